/* journal.c -- the step journal (journal.h), loose objects and ref moves
 * written by hand so that only the journal is flushed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "journal.h"
#include "site.h"
#include "util/fs.h"
#include "util/common.h"

#define MAGIC "CHJ1"
#define BOOT_LEN 36
#define HEAD_LEN (4 + 4 + BOOT_LEN)

/* ---- object lists ---- */

int ch_objlist_add(ch_objlist *l, git_object_t type, const void *data, size_t len,
                   git_oid *id_out)
{
	git_oid id;
	size_t i;

	if (git_odb_hash(&id, data, len, type) < 0)
		return ch_error_setc(CH_EIO, "cannot hash an object: %s",
		                     git_error_last() ? git_error_last()->message : "?");
	if (id_out)
		git_oid_cpy(id_out, &id);
	for (i = 0; i < l->n; i++)
		if (git_oid_equal(&l->v[i].id, &id))
			return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = ch_realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].type = type;
	git_oid_cpy(&l->v[l->n].id, &id);
	ch_buf_init(&l->v[l->n].data);
	ch_buf_put(&l->v[l->n].data, data, len);
	l->n++;
	return 0;
}

void ch_objlist_dispose(ch_objlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ch_buf_dispose(&l->v[i].data);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- small helpers ---- */

static void put_u16(ch_buf *b, uint32_t v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	ch_buf_put(b, c, 2);
}

static void put_u32(ch_buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	                       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	ch_buf_put(b, c, 4);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_of(const void *data, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	const unsigned char *p = data;

	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The current boot, as the kernel names it; CHANCERY_TEST_BOOT_ID for
 * tests that simulate a crash. */
static const char *boot_id(void)
{
	static char id[BOOT_LEN + 1];
	const char *test = getenv("CHANCERY_TEST_BOOT_ID");
	ssize_t n;
	int fd;

	if (test && *test) {
		snprintf(id, sizeof(id), "%-36.36s", test);
		return id;
	}
	if (id[0])
		return id;
	memset(id, '-', BOOT_LEN);
	if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, id, BOOT_LEN);
		if (n != BOOT_LEN)
			memset(id, '-', BOOT_LEN); /* no /proc: every record looks stale */
		close(fd);
	}
	id[BOOT_LEN] = '\0';
	return id;
}

static void journal_path(ch_buf *out, ch_site *site)
{
	ch_buf_clear(out);
	ch_buf_printf(out, "%s/state/journal", site->path);
}

/* Open (creating when `create`) the journal; -1 with no error set when it
 * does not exist and `create` is off. */
static int journal_fd(ch_site *site, int create)
{
	ch_buf path = CH_BUF_INIT, dir = CH_BUF_INIT;
	struct stat st;
	int fd, error = 0;

	if (site->journal_fd >= 0)
		return site->journal_fd;
	journal_path(&path, site);
	fd = open(path.ptr, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		ch_buf_printf(&dir, "%s/state", site->path);
		if ((error = ch_fs_mkdir_p(dir.ptr, 0700)) < 0)
			goto done;
		fd = open(path.ptr, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		/* run as root beside the site's own user (who runs the server):
		 * the file stays that user's, or the server could not append */
		if (fd >= 0 && geteuid() == 0 && stat(dir.ptr, &st) == 0 && st.st_uid != 0 &&
		    fchown(fd, st.st_uid, st.st_gid) < 0) {
			error = ch_error_setc(CH_EIO, "cannot give %s to its site's owner: %s", path.ptr,
			                      strerror(errno));
			goto done;
		}
	}
	if (fd < 0 && (errno != ENOENT || create))
		error = ch_error_setc(CH_EIO, "cannot open %s: %s", path.ptr, strerror(errno));
done:
	if (error < 0 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	ch_buf_dispose(&path);
	ch_buf_dispose(&dir);
	if (error < 0)
		return error;
	site->journal_fd = fd;
	return fd;
}

/* flock with a bounded wait (ms < 0: do not wait). */
static int lock_wait(int fd, int op, int ms)
{
	int waited = 0;

	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || ms < 0 || waited >= ms)
			return -1;
		usleep(1000);
		waited++;
	}
	return 0;
}

/* ---- appending ---- */

int ch_journal_begin(ch_site *site)
{
	int fd = journal_fd(site, 1);

	if (fd < 0)
		return fd;
	/* a checkpoint holds it exclusively for one syncfs */
	if (lock_wait(fd, LOCK_SH, CH_WRITE_LOCK_WAIT_MS) < 0)
		return ch_error_setc(CH_ECONFLICT, "the step journal of %s stayed locked: nothing "
		                     "was recorded; try again", site->path);
	return 0;
}

void ch_journal_end(ch_site *site)
{
	if (site->journal_fd >= 0)
		flock(site->journal_fd, LOCK_UN);
}

int ch_journal_append(ch_site *site, const char *ref, const git_oid *old,
                      const git_oid *new_id, const ch_objlist *objs)
{
	static const unsigned char zero[GIT_OID_RAWSZ];
	ch_buf rec = CH_BUF_INIT;
	size_t i, reflen = strlen(ref);
	int fd = site->journal_fd, error = 0;

	if (fd < 0)
		return ch_error_setc(CH_EINVALID, "journal append outside ch_journal_begin");
	if (reflen > 1024)
		return ch_error_setc(CH_EINVALID, "ref name too long for the journal");
	ch_buf_put(&rec, MAGIC, 4);
	put_u32(&rec, 0); /* the length, below */
	ch_buf_put(&rec, boot_id(), BOOT_LEN);
	put_u16(&rec, (uint32_t)reflen);
	ch_buf_put(&rec, ref, reflen);
	ch_buf_put(&rec, old ? old->id : zero, GIT_OID_RAWSZ);
	ch_buf_put(&rec, new_id->id, GIT_OID_RAWSZ);
	put_u32(&rec, (uint32_t)objs->n);
	for (i = 0; i < objs->n; i++) {
		if (objs->v[i].data.size > CH_JOURNAL_RECORD_MAX ||
		    rec.size + objs->v[i].data.size > CH_JOURNAL_RECORD_MAX) {
			error = ch_error_setc(CH_EINVALID, "a step of more than %u bytes",
			                      CH_JOURNAL_RECORD_MAX);
			goto done;
		}
		ch_buf_putc(&rec, (char)objs->v[i].type);
		put_u32(&rec, (uint32_t)objs->v[i].data.size);
		ch_buf_put(&rec, objs->v[i].data.ptr, objs->v[i].data.size);
	}
	{
		unsigned char *p = (unsigned char *)rec.ptr + 4;
		uint32_t len = (uint32_t)rec.size + 4;

		p[0] = (unsigned char)len;
		p[1] = (unsigned char)(len >> 8);
		p[2] = (unsigned char)(len >> 16);
		p[3] = (unsigned char)(len >> 24);
	}
	put_u32(&rec, crc_of(rec.ptr, rec.size));
	/* Appends are serialized by a lock of their own (an open file
	 * description lock, apart from the flock that checkpoints use): a
	 * write cut short (a signal, a full disk) is then continued or taken
	 * back before anyone appends after it, so no record is ever torn in
	 * the middle of the journal. The flush is outside it: it flushes the
	 * others' records with ours. */
	{
		struct flock lk;
		struct stat st;
		int cut;

		memset(&lk, 0, sizeof(lk));
		lk.l_type = F_WRLCK;
		lk.l_whence = SEEK_SET;
		lk.l_len = 1;
		while (fcntl(fd, F_OFD_SETLKW, &lk) < 0)
			if (errno != EINTR) {
				error = ch_error_setc(CH_EIO, "cannot lock the step journal of %s: %s; "
				                      "nothing was recorded", site->path, strerror(errno));
				goto done;
			}
		if ((cut = fstat(fd, &st) < 0))
			error = ch_error_setc(CH_EIO, "cannot read the step journal of %s: %s; nothing "
			                      "was recorded", site->path, strerror(errno));
		else if ((cut = write_all(fd, rec.ptr, rec.size) < 0)) {
			error = ch_error_setc(CH_EIO, "cannot write the step journal of %s: %s; nothing "
			                      "was recorded", site->path, strerror(errno));
			if (ftruncate(fd, st.st_size) < 0) {
				/* the record stays cut: a replay stops there (journal.h) */
			}
		}
		lk.l_type = F_UNLCK;
		fcntl(fd, F_OFD_SETLK, &lk);
		if (cut)
			goto done;
	}
	if (fdatasync(fd) < 0)
		error = ch_error_setc(CH_EIO, "cannot flush the step journal of %s: %s; nothing "
		                      "was recorded", site->path, strerror(errno));
done:
	ch_buf_dispose(&rec);
	return error;
}

/* ---- loose objects and refs, as git writes them ---- */

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int deflate_object(ch_buf *out, const ch_jobj *o)
{
	char head[64];
	int hlen = snprintf(head, sizeof(head), "%s %zu", git_object_type2string(o->type),
	                    o->data.size);
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit(&z, Z_BEST_SPEED) != Z_OK)
		return ch_error_setc(CH_EIO, "zlib: cannot start");
	ch_buf_clear(out);
	ch_buf_grow(out, deflateBound(&z, (uLong)(hlen + 1 + o->data.size)) + 64);
	z.next_out = (Bytef *)out->ptr;
	z.avail_out = (uInt)(out->asize - 1);
	z.next_in = (Bytef *)head;
	z.avail_in = (uInt)hlen + 1; /* with its NUL */
	rc = deflate(&z, Z_NO_FLUSH);
	if (rc == Z_OK) {
		z.next_in = (Bytef *)o->data.ptr;
		z.avail_in = (uInt)o->data.size;
		rc = deflate(&z, Z_FINISH);
	}
	out->size = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return ch_error_setc(CH_EIO, "zlib: cannot compress an object");
	return 0;
}

/* A fan-out directory objects/XX with the mode of objects/ itself, whatever
 * the umask (the step engine runs with 077): readers of the repository who
 * can read objects/ can read what goes in it. */
static int make_fanout(const char *dir)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(dir, '/');
	struct stat st;

	if (mkdir(dir, 0700) < 0)
		return errno == EEXIST ? 0 : -1;
	if (slash && (size_t)(slash - dir) < sizeof(parent)) {
		memcpy(parent, dir, (size_t)(slash - dir));
		parent[slash - dir] = '\0';
		if (stat(parent, &st) == 0)
			chmod(dir, st.st_mode & 0777);
	}
	return 0;
}

/* Files are made unnamed (O_TMPFILE) and linked by /proc/self/fd/N. */
static int have_proc_fd(void)
{
	static int known, have;

	if (!known) {
		have = access("/proc/self/fd", X_OK) == 0;
		known = 1;
	}
	return have;
}

/* A file in `dir` for the object's bytes, to be linked under its name:
 * unnamed (O_TMPFILE, nothing to remove after a crash) where the file
 * system can, else tmp_obj_XXXXXX (what `chancery recover` removes when its
 * writer died). Creates `dir` when it is missing. */
static int object_file(ch_site *site, ch_buf *tmp, const char *dir)
{
	int fd, tries;

	if (site->spare_obj_fd >= 0) {
		fd = site->spare_obj_fd;
		site->spare_obj_fd = -1;
		ch_buf_clear(tmp);
		return fd;
	}
	for (tries = 0; tries < 2; tries++) {
		ch_buf_clear(tmp);
		fd = have_proc_fd() ? open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0444) : -1;
		if (fd >= 0)
			return fd;
		if (errno != ENOENT || !have_proc_fd()) {
			ch_buf_printf(tmp, "%s/tmp_obj_XXXXXX", dir);
			if ((fd = mkostemp(tmp->ptr, O_CLOEXEC)) >= 0 || errno != ENOENT)
				return fd;
			ch_buf_clear(tmp);
		}
		if (make_fanout(dir) < 0)
			return -1;
	}
	return -1;
}

int ch_loose_write(ch_site *site, const ch_jobj *o, int durable)
{
	const char *gitdir = git_repository_path(site->repo);
	char hex[GIT_OID_HEXSZ + 1], proc[64];
	ch_buf dir = CH_BUF_INIT, path = CH_BUF_INIT, tmp = CH_BUF_INIT, z = CH_BUF_INIT;
	struct stat st;
	int fd = -1, rc, error = 0;

	git_oid_tostr(hex, sizeof(hex), &o->id);
	ch_buf_printf(&dir, "%sobjects/%.2s", gitdir, hex);
	ch_buf_printf(&path, "%s/%s", dir.ptr, hex + 2);
	if (stat(path.ptr, &st) == 0 && st.st_size > 0)
		goto done;
	if ((error = deflate_object(&z, o)) < 0)
		goto done;
	if ((fd = object_file(site, &tmp, dir.ptr)) < 0) {
		error = ch_error_setc(CH_EIO, "cannot create an object in %s: %s", dir.ptr,
		                      strerror(errno));
		goto done;
	}
	if (write_all(fd, z.ptr, z.size) < 0 || (durable && fsync(fd) < 0) ||
	    (tmp.size && fchmod(fd, 0444) < 0)) {
		error = ch_error_setc(CH_EIO, "cannot write object %s: %s", hex, strerror(errno));
		goto done;
	}
	if (tmp.size) {
		rc = link(tmp.ptr, path.ptr);
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, proc, AT_FDCWD, path.ptr, AT_SYMLINK_FOLLOW);
	}
	/* a file there already (another writer, or a broken copy that the
	 * replay removed first): the same content by its name */
	if (rc < 0 && errno != EEXIST) {
		error = ch_error_setc(CH_EIO, "cannot store object %s: %s", hex, strerror(errno));
		goto done;
	}
	if (durable && fsync_path(dir.ptr, 1) < 0)
		error = ch_error_setc(CH_EIO, "cannot sync %s: %s", dir.ptr, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (tmp.size)
		unlink(tmp.ptr);
	ch_buf_dispose(&dir);
	ch_buf_dispose(&path);
	ch_buf_dispose(&tmp);
	ch_buf_dispose(&z);
	return error;
}

void ch_loose_prepare(const char *gitdir)
{
	ch_buf dir = CH_BUF_INIT;
	int i;

	for (i = 0; i < 256; i++) {
		ch_buf_clear(&dir);
		ch_buf_printf(&dir, "%sobjects/%02x", gitdir, i);
		if (make_fanout(dir.ptr) < 0)
			break; /* a read-only repository: the steps will say so */
	}
	ch_buf_dispose(&dir);
}

/* Create `path` exclusively, as O_CREAT|O_EXCL would (EEXIST when it is
 * there): an unnamed file linked under the name, the site's spare one for
 * that directory when it has one (ch_journal_prepare); O_CREAT|O_EXCL
 * where O_TMPFILE is not supported. */
static int lock_create(ch_site *site, const char *path)
{
	char dir[PATH_MAX], proc[64];
	const char *slash = strrchr(path, '/');
	int fd, saved;

	if (!slash || (size_t)(slash - path) >= sizeof(dir) || !have_proc_fd())
		return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (site->spare_lock_fd >= 0 && site->spare_lock_dir &&
	    !strcmp(site->spare_lock_dir, dir)) {
		fd = site->spare_lock_fd;
		site->spare_lock_fd = -1;
	} else {
		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return errno == ENOENT ? -1 :
		       open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		saved = errno;
		close(fd);
		if (saved != EEXIST) /* (the directory is there: O_TMPFILE found it) */
			return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		errno = saved;
		return -1;
	}
	return fd;
}

void ch_journal_prepare(ch_site *site)
{
	const char *gitdir = git_repository_path(site->repo);
	ch_buf dir = CH_BUF_INIT;

	if (!have_proc_fd())
		return;
	ch_buf_printf(&dir, "%srefs/docs", gitdir);
	if (site->spare_lock_fd < 0 || !site->spare_lock_dir ||
	    strcmp(site->spare_lock_dir, dir.ptr)) {
		if (site->spare_lock_fd >= 0)
			close(site->spare_lock_fd);
		free(site->spare_lock_dir);
		site->spare_lock_fd = open(dir.ptr, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
		site->spare_lock_dir = ch_buf_detach(&dir);
	}
	if (site->spare_obj_fd < 0) {
		ch_buf_clear(&dir);
		ch_buf_printf(&dir, "%sobjects", gitdir);
		site->spare_obj_fd = open(dir.ptr, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0444);
	}
	ch_buf_dispose(&dir);
}

int ch_ref_lock(int *lock_fd, ch_site *site, const char *ref)
{
	const char *gitdir = git_repository_path(site->repo);
	ch_buf path = CH_BUF_INIT;
	char *slash;
	int valid = 0, error = 0;

	*lock_fd = -1;
	if (git_reference_name_is_valid(&valid, ref) < 0 || !valid || strncmp(ref, "refs/", 5))
		return ch_error_setc(CH_EINVALID, "'%.200s' is not a valid ref name", ref);
	ch_buf_printf(&path, "%s%s.lock", gitdir, ref);
	*lock_fd = lock_create(site, path.ptr);
	if (*lock_fd < 0 && errno == ENOENT) {
		/* the ref's directory does not exist yet (a first document) */
		slash = strrchr(path.ptr, '/');
		*slash = '\0';
		error = ch_fs_mkdir_p(path.ptr, 0755);
		*slash = '/';
		if (error < 0)
			goto done;
		*lock_fd = lock_create(site, path.ptr);
	}
	if (*lock_fd < 0) {
		if (errno == EEXIST)
			error = ch_error_setc(CH_ECONFLICT, "%s is locked: another step is being "
			                      "recorded (or a crashed one left %s.lock: `chancery "
			                      "recover SITE` removes it safely); nothing was recorded",
			                      ref, ref);
		else
			error = ch_error_setc(CH_EIO, "cannot lock %s: %s", ref, strerror(errno));
	}
done:
	ch_buf_dispose(&path);
	return error;
}

void ch_ref_unlock(const char *gitdir, const char *ref, int lock_fd)
{
	ch_buf path = CH_BUF_INIT;

	if (lock_fd < 0)
		return;
	close(lock_fd);
	ch_buf_printf(&path, "%s%s.lock", gitdir, ref);
	unlink(path.ptr);
	ch_buf_dispose(&path);
}

int ch_ref_commit_lock(const char *gitdir, const char *ref, int lock_fd, const git_oid *id,
                       int durable)
{
	char line[GIT_OID_HEXSZ + 2];
	ch_buf path = CH_BUF_INIT, lock = CH_BUF_INIT;
	char *slash;
	int error = 0;

	git_oid_tostr(line, sizeof(line), id);
	line[GIT_OID_HEXSZ] = '\n';
	ch_buf_printf(&path, "%s%s", gitdir, ref);
	ch_buf_printf(&lock, "%s.lock", path.ptr);
	if (write_all(lock_fd, line, GIT_OID_HEXSZ + 1) < 0 || (durable && fsync(lock_fd) < 0)) {
		error = ch_error_setc(CH_EIO, "cannot write %s: %s", lock.ptr, strerror(errno));
		close(lock_fd);
		unlink(lock.ptr);
		goto done;
	}
	close(lock_fd);
	if (rename(lock.ptr, path.ptr) < 0) {
		error = ch_error_setc(CH_EIO, "cannot move %s: %s", ref, strerror(errno));
		unlink(lock.ptr);
		goto done;
	}
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	if (durable && fsync_path(path.ptr, 1) < 0)
		error = ch_error_setc(CH_EIO, "cannot sync %s: %s", path.ptr, strerror(errno));
done:
	ch_buf_dispose(&path);
	ch_buf_dispose(&lock);
	return error;
}

/* ---- checkpoints ---- */

static int sync_repo(ch_site *site)
{
	int fd = open(site->repo_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return ch_error_setc(CH_EIO, "cannot open %s: %s", site->repo_path, strerror(errno));
	rc = syncfs(fd);
	close(fd);
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot sync the file system of %s: %s",
		                     site->repo_path, strerror(errno));
	return 0;
}

/* Holding the journal exclusively: make what the records name durable
 * by other means, then empty the file. */
static int empty_journal(ch_site *site, int fd)
{
	int error;

	if ((error = sync_repo(site)) < 0)
		return error;
	if (ftruncate(fd, 0) < 0 || fsync(fd) < 0)
		return ch_error_setc(CH_EIO, "cannot empty the step journal of %s: %s", site->path,
		                     strerror(errno));
	return 0;
}

int ch_journal_checkpoint(ch_site *site, int force)
{
	struct stat st;
	int fd = journal_fd(site, 0), error;

	if (fd < 0)
		return fd == -1 ? 0 : fd;
	if (fstat(fd, &st) < 0)
		return ch_error_setc(CH_EIO, "cannot read the step journal: %s", strerror(errno));
	if (st.st_size == 0 || (!force && st.st_size < CH_JOURNAL_CHECKPOINT))
		return 0;
	if (lock_wait(fd, LOCK_EX, force ? CH_WRITE_LOCK_WAIT_MS : -1) < 0) {
		if (!force)
			return 0; /* a step is under way: the next one checkpoints */
		return ch_error_setc(CH_ECONFLICT, "steps kept the journal of %s busy: try again",
		                     site->path);
	}
	error = fstat(fd, &st) == 0 && st.st_size == 0 ? 0 : empty_journal(site, fd);
	flock(fd, LOCK_UN);
	return error;
}

/* ---- replay ---- */

typedef struct {
	char boot[BOOT_LEN + 1];
	char *ref;
	git_oid old, new_id;
	int has_old;
	ch_objlist objs;
} record;

static void record_dispose(record *r)
{
	free(r->ref);
	ch_objlist_dispose(&r->objs);
	memset(r, 0, sizeof(*r));
}

/* Parse one record of `len` bytes (already checked: magic, length, crc). */
static int parse_record(record *r, const unsigned char *p, size_t len)
{
	static const unsigned char zero[GIT_OID_RAWSZ];
	size_t off = HEAD_LEN, reflen, i, n;
	int valid = 0;

	memset(r, 0, sizeof(*r));
	memcpy(r->boot, p + 8, BOOT_LEN);
	len -= 4; /* the crc */
	if (off + 2 > len)
		return -1;
	reflen = (size_t)p[off] | (size_t)p[off + 1] << 8;
	off += 2;
	if (off + reflen + 2 * GIT_OID_RAWSZ + 4 > len)
		return -1;
	r->ref = ch_calloc(1, reflen + 1);
	memcpy(r->ref, p + off, reflen);
	off += reflen;
	if (git_reference_name_is_valid(&valid, r->ref) < 0 || !valid ||
	    strncmp(r->ref, "refs/", 5) || strlen(r->ref) != reflen)
		return -1;
	r->has_old = memcmp(p + off, zero, GIT_OID_RAWSZ) != 0;
	git_oid_fromraw(&r->old, p + off);
	off += GIT_OID_RAWSZ;
	git_oid_fromraw(&r->new_id, p + off);
	off += GIT_OID_RAWSZ;
	n = get_u32(p + off);
	off += 4;
	for (i = 0; i < n; i++) {
		git_object_t type;
		size_t olen;

		if (off + 5 > len)
			return -1;
		type = (git_object_t)p[off];
		olen = get_u32(p + off + 1);
		off += 5;
		if (olen > len - off || (type != GIT_OBJECT_COMMIT && type != GIT_OBJECT_TREE &&
		                         type != GIT_OBJECT_BLOB))
			return -1;
		if (ch_objlist_add(&r->objs, type, p + off, olen, NULL) < 0)
			return -1;
		off += olen;
	}
	return off == len ? 0 : -1;
}

/* Readable in full, by its id? */
static int object_ok(git_odb *odb, const git_oid *id)
{
	git_odb_object *obj = NULL;
	int ok = git_odb_read(&obj, odb, id) == 0;

	git_odb_object_free(obj);
	return ok;
}

static int commit_ok(git_odb *odb, const git_oid *id)
{
	git_odb_object *obj = NULL;
	int ok = git_odb_read(&obj, odb, id) == 0 && git_odb_object_type(obj) == GIT_OBJECT_COMMIT;

	git_odb_object_free(obj);
	return ok;
}

static void remove_loose(const char *gitdir, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	ch_buf path = CH_BUF_INIT;

	git_oid_tostr(hex, sizeof(hex), id);
	ch_buf_printf(&path, "%sobjects/%.2s/%s", gitdir, hex, hex + 2);
	unlink(path.ptr);
	ch_buf_dispose(&path);
}

/* The ref as the file system has it: 0 and its target; CH_ENOTFOUND when
 * absent; CH_EINVALID when its file cannot be read as a ref. */
static int ref_state(git_oid *out, git_repository *repo, const char *ref)
{
	git_reference *r = NULL;
	int rc = git_reference_lookup(&r, repo, ref), error = 0;

	if (rc == GIT_ENOTFOUND)
		error = CH_ENOTFOUND;
	else if (rc < 0 || git_reference_type(r) != GIT_REFERENCE_DIRECT)
		error = CH_EINVALID;
	else
		git_oid_cpy(out, git_reference_target(r));
	git_reference_free(r);
	return error;
}

static int replay_one(ch_site *site, git_odb *odb, const record *r, ch_strv *done)
{
	const char *gitdir = git_repository_path(site->repo);
	char hex[GIT_OID_HEXSZ + 1];
	ch_buf line = CH_BUF_INIT, path = CH_BUF_INIT;
	git_oid cur;
	size_t i;
	int state, lock_fd, error = 0;

	for (i = 0; i < r->objs.n; i++) {
		if (object_ok(odb, &r->objs.v[i].id))
			continue;
		remove_loose(gitdir, &r->objs.v[i].id);
		if ((error = ch_loose_write(site, &r->objs.v[i], 1)) < 0)
			goto done;
		git_odb_refresh(odb);
		ch_buf_clear(&line);
		ch_buf_printf(&line, "restored %s %s of %s", git_object_type2string(r->objs.v[i].type),
		              git_oid_tostr(hex, sizeof(hex), &r->objs.v[i].id), r->ref);
		ch_strv_push(done, line.ptr);
	}
	state = ref_state(&cur, site->repo, r->ref);
	if (state == 0 && (git_oid_equal(&cur, &r->new_id) ||
	                   !r->has_old || !git_oid_equal(&cur, &r->old)))
		goto done; /* recorded, or moved on since */
	/* missing, unreadable, or still at the old id: the move was lost --
	 * if the record holds the commit it moves the ref to (a record written
	 * by ch_commit_signed always does; a damaged one may not) */
	if (!commit_ok(odb, &r->new_id)) {
		ch_buf_printf(&line, "did not set %s: the record names %s, not a commit it holds",
		              r->ref, git_oid_tostr(hex, sizeof(hex), &r->new_id));
		ch_strv_push(done, line.ptr);
		goto done;
	}
	ch_buf_printf(&path, "%s%s.lock", gitdir, r->ref);
	unlink(path.ptr); /* a dead writer's (the caller holds the write lock) */
	if (state == CH_EINVALID) {
		ch_buf_clear(&path);
		ch_buf_printf(&path, "%s%s", gitdir, r->ref);
		unlink(path.ptr);
	}
	if ((error = ch_ref_lock(&lock_fd, site, r->ref)) < 0 ||
	    (error = ch_ref_commit_lock(gitdir, r->ref, lock_fd, &r->new_id, 1)) < 0)
		goto done;
	ch_buf_clear(&line);
	ch_buf_printf(&line, "set %s to %s (its move was lost)", r->ref,
	              git_oid_tostr(hex, sizeof(hex), &r->new_id));
	ch_strv_push(done, line.ptr);
done:
	ch_buf_dispose(&line);
	ch_buf_dispose(&path);
	return error;
}

int ch_journal_stale(ch_site *site)
{
	unsigned char head[HEAD_LEN];
	int fd = journal_fd(site, 0);

	if (fd < 0)
		return 0;
	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
		return 0; /* empty, or a first record cut short: nothing acknowledged */
	return memcmp(head + 8, boot_id(), BOOT_LEN) != 0;
}

int ch_journal_replay(ch_site *site, ch_strv *done)
{
	ch_buf rec = CH_BUF_INIT;
	unsigned char head[HEAD_LEN];
	const char *now = boot_id();
	git_odb *odb = NULL;
	struct stat st;
	off_t off = 0;
	int fd = journal_fd(site, 0), error = 0;

	if (fd < 0)
		return fd == -1 ? 0 : fd;
	if (lock_wait(fd, LOCK_EX, CH_WRITE_LOCK_WAIT_MS) < 0)
		return ch_error_setc(CH_ECONFLICT, "the step journal of %s is busy", site->path);
	if (fstat(fd, &st) < 0 || git_repository_odb(&odb, site->repo) < 0) {
		error = ch_error_setc(CH_EIO, "cannot read the step journal of %s", site->path);
		goto done;
	}
	while (off + HEAD_LEN <= st.st_size) {
		uint32_t len;
		record r;

		if (pread(fd, head, HEAD_LEN, off) != HEAD_LEN)
			break;
		len = get_u32(head + 4);
		if (memcmp(head, MAGIC, 4) || len < HEAD_LEN + 4 || len > CH_JOURNAL_RECORD_MAX ||
		    (off_t)len > st.st_size - off)
			break;
		ch_buf_clear(&rec);
		ch_buf_grow(&rec, len);
		if (pread(fd, rec.ptr, len, off) != (ssize_t)len)
			break;
		rec.size = len;
		if (get_u32((unsigned char *)rec.ptr + len - 4) != crc_of(rec.ptr, len - 4))
			break;
		if (parse_record(&r, (unsigned char *)rec.ptr, len) < 0) {
			record_dispose(&r);
			break;
		}
		/* this boot's records lost nothing: the page cache has it all */
		if (memcmp(r.boot, now, BOOT_LEN))
			error = replay_one(site, odb, &r, done);
		record_dispose(&r);
		if (error < 0)
			goto done;
		off += len;
	}
	if (off < st.st_size) {
		ch_buf_clear(&rec);
		ch_buf_printf(&rec, "dropped the journal from byte %lld on (%lld bytes): a record "
		              "cut short by the crash, whose step was never acknowledged",
		              (long long)off, (long long)(st.st_size - off));
		ch_strv_push(done, rec.ptr);
	}
	error = empty_journal(site, fd);
done:
	flock(fd, LOCK_UN);
	git_odb_free(odb);
	ch_buf_dispose(&rec);
	return error;
}
