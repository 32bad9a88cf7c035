/* site.c -- a site directory: bare repository, GnuPG home, local config. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "workflows/json.h"
#include "workflows/site.h"
#include "util/fs.h"
#include "util/spawn.h"
#include "util/text.h"
#include "util/common.h"

int ch_lib_init(void)
{
	static int done;
	int error;

	if (done)
		return 0;
	if (git_libgit2_init() < 0)
		return ch_error_setc(CH_EIO, "cannot initialise libgit2");
	/* Objects and refs reach the disk before a step is acknowledged. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if ((error = ch_crypto_init()) < 0)
		return error;
	done = 1;
	return 0;
}

static void set_paths(ch_site *site, const char *path)
{
	ch_buf b = CH_BUF_INIT;

	site->path = ch_strdup(path);
	ch_buf_printf(&b, "%s/repo.git", path);
	site->repo_path = ch_buf_detach(&b);
	ch_buf_printf(&b, "%s/gnupg", path);
	site->gnupg_path = ch_buf_detach(&b);
	ch_buf_printf(&b, "%s/site.json", path);
	site->config_path = ch_buf_detach(&b);
	site->write_fd = -1;
}

/* site.json read whole under a shared lock: the signer rewrites it in
 * place (save_in_place), and a reader must not see half of it. */
static int read_config(ch_buf *out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), error;

	if (fd < 0)
		return ch_fs_read(out, path, CH_SITE_CONFIG_MAX); /* (its error) */
	while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
		;
	error = ch_fs_read(out, path, CH_SITE_CONFIG_MAX);
	close(fd); /* (drops the lock) */
	return error;
}

/* The signer (the keys user: site.json is its, SITE root's, so it cannot
 * replace the file) rewrites site.json in place, under an exclusive lock:
 * only a regular file with one link that it owns. The new text is first
 * made durable beside the keys, SITE/gnupg/site.json.pending (written and
 * renamed there: the home is the signer's), and removed once site.json is
 * whole again; a crash in between is finished at the next opening by a
 * process that can read the home (finish_pending). */
static int write_in_place(const char *path, const char *text);

static void pending_path(ch_buf *out, const ch_site *site)
{
	ch_buf_printf(out, "%s/site.json.pending", site->gnupg_path);
}

static int save_in_place(const ch_site *site, const char *text)
{
	ch_buf pending = CH_BUF_INIT;
	int error;

	pending_path(&pending, site);
	if ((error = ch_fs_write_atomic(pending.ptr, text, strlen(text), 0600)) == 0 &&
	    (error = write_in_place(site->config_path, text)) == 0)
		unlink(pending.ptr);
	ch_buf_dispose(&pending);
	return error;
}

/* A rewrite a crash cut short: site.json from the pending text (it is the
 * newest intended), then the pending file removed. Quiet when there is
 * none, or when this process cannot read the home (the network process). */
static void finish_pending(const ch_site *site)
{
	ch_buf pending = CH_BUF_INIT, text = CH_BUF_INIT;
	json_t *j = NULL;

	pending_path(&pending, site);
	if (ch_fs_read(&text, pending.ptr, CH_SITE_CONFIG_MAX) == 0 &&
	    ch_json_parse(&j, text.ptr, text.size, CH_SITE_CONFIG_MAX, pending.ptr) == 0 &&
	    json_is_object(json_object_get(j, "signers")) &&
	    write_in_place(site->config_path, text.ptr) == 0)
		unlink(pending.ptr);
	ch_error_clear();
	json_decref(j);
	ch_buf_dispose(&text);
	ch_buf_dispose(&pending);
}

static int write_in_place(const char *path, const char *text)
{
	size_t len = strlen(text), off = 0;
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC), error = 0;

	if (fd < 0)
		return ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		close(fd);
		return ch_error_setc(CH_EDENIED, "%s: not a file of ours to rewrite", path);
	}
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	while (off < len && !error) {
		ssize_t n = pwrite(fd, text + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			error = ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
		else
			off += (size_t)n;
	}
	if (!error && (ftruncate(fd, (off_t)len) < 0 || fsync(fd) < 0))
		error = ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
	close(fd);
	return error;
}

static int save_config(ch_site *site)
{
	char *text = ch_json_dump(site->config);
	struct stat st, old;
	int had = lstat(site->config_path, &old) == 0 && S_ISREG(old.st_mode), error;

	/* not root, in a directory we cannot write, over a file of ours: the
	 * signer in a site chanceryd serves */
	if (geteuid() != 0 && had && old.st_uid == geteuid() && access(site->path, W_OK) < 0) {
		error = save_in_place(site, text);
		free(text);
		return error;
	}
	error = ch_fs_write_atomic(site->config_path, text, strlen(text), 0600);
	free(text);
	/* A site chanceryd serves is root:USER 0750 and its site.json
	 * KEYS:USER 0640 (server/main.c): root rewriting it keeps its owner,
	 * group and mode, so the signer can still write it and the network
	 * process read it. (The directory is root's: no other user can swap
	 * the name.) */
	if (error == 0 && geteuid() == 0 && had && stat(site->path, &st) == 0 && st.st_uid == 0 &&
	    (old.st_uid != 0 || old.st_gid != 0 || (old.st_mode & 0777) != 0600) &&
	    (lchown(site->config_path, old.st_uid, old.st_gid) < 0 ||
	     chmod(site->config_path, old.st_mode & 0640) < 0))
		error = ch_error_setc(CH_EIO, "%s: %s", site->config_path, strerror(errno));
	return error;
}

int ch_site_create(ch_site **out, const char *path, const char *site_id, const char *tier)
{
	ch_site *site = ch_calloc(1, sizeof(*site));
	git_config *cfg = NULL;
	struct stat st;
	int error;

	*out = NULL;
	if ((error = ch_lib_init()) < 0)
		goto done;
	if (!ch_valid_name(site_id)) {
		error = ch_error_setc(CH_EINVALID, "'%s' is not a valid site id ([a-z0-9][a-z0-9_-]*)",
		                      site_id);
		goto done;
	}
	set_paths(site, path);
	if (stat(site->repo_path, &st) == 0 || stat(site->config_path, &st) == 0) {
		error = ch_error_setc(CH_EINVALID, "%s already holds a site", path);
		goto done;
	}
	if ((error = ch_fs_mkdir_p(path, 0700)) < 0)
		goto done;
	if (git_repository_init(&site->repo, site->repo_path, 1) < 0) {
		error = ch_error_setc(CH_EIO, "cannot create %s: %s", site->repo_path,
		                      git_error_last()->message);
		goto done;
	}
	if (git_repository_config(&cfg, site->repo) < 0 ||
	    git_config_set_string(cfg, "chancery.tier", tier) < 0 ||
	    git_config_set_string(cfg, "chancery.site", site_id) < 0) {
		error = ch_error_setc(CH_EIO, "cannot write the repository config");
		goto done;
	}
	site->site_id = ch_strdup(site_id);
	site->tier = ch_strdup(tier);
	site->config = json_pack("{s:i, s:s, s:s, s:{}}", "version", 1, "site", site_id, "tier",
	                         tier, "signers");
	if ((error = save_config(site)) < 0)
		goto done;
	if ((error = ch_keystore_open(&site->ks, site->gnupg_path)) < 0)
		goto done;
	*out = site;
	site = NULL;
done:
	git_config_free(cfg);
	ch_site_free(site);
	return error;
}

static int site_open(ch_site **out, const char *path, int repo);

int ch_site_open(ch_site **out, const char *path)
{
	return site_open(out, path, 1);
}

int ch_site_open_keys(ch_site **out, const char *path)
{
	return site_open(out, path, 0);
}

static int site_open(ch_site **out, const char *path, int repo)
{
	static const char *const keys[] = { "version", "site", "tier", "signers", "log_public",
	                                    "log_key_site", NULL };
	ch_site *site = ch_calloc(1, sizeof(*site));
	ch_buf text = CH_BUF_INIT;
	const char *s;
	long version;
	int error;

	*out = NULL;
	if ((error = ch_lib_init()) < 0)
		goto done;
	set_paths(site, path);
	finish_pending(site);
	if ((error = read_config(&text, site->config_path)) < 0) {
		if (error == CH_ENOTFOUND)
			ch_error_setc(CH_ENOTFOUND, "%s is not a Chancery site (no site.json)", path);
		goto done;
	}
	if ((error = ch_json_parse(&site->config, text.ptr, text.size, CH_SITE_CONFIG_MAX,
	                           site->config_path)) < 0 ||
	    (error = ch_json_only_keys(site->config, keys, site->config_path, "")) < 0 ||
	    (error = ch_json_int(&version, site->config, "version", 1, 0, 1, 1,
	                         site->config_path, "")) < 0 ||
	    (error = ch_json_str(&s, site->config, "site", 1, ch_valid_name, site->config_path,
	                         "")) < 0)
		goto done;
	site->site_id = ch_strdup(s);
	if ((error = ch_json_str(&s, site->config, "tier", 1, NULL, site->config_path, "")) < 0)
		goto done;
	site->tier = ch_strdup(s);
	if (!json_is_object(json_object_get(site->config, "signers"))) {
		error = ch_error_setc(CH_EINVALID, "%s: signers: expected an object",
		                      site->config_path);
		goto done;
	}
	if (repo && git_repository_open_bare(&site->repo, site->repo_path) < 0) {
		error = ch_error_setc(CH_ENOTFOUND, "%s: cannot open the repository: %s",
		                      site->repo_path, git_error_last()->message);
		goto done;
	}
	*out = site;
	site = NULL;
done:
	ch_buf_dispose(&text);
	ch_site_free(site);
	return error;
}

int ch_site_reload_config(ch_site *site)
{
	ch_buf text = CH_BUF_INIT;
	json_t *cfg = NULL;
	int error;

	if ((error = read_config(&text, site->config_path)) == 0 &&
	    (error = ch_json_parse(&cfg, text.ptr, text.size, CH_SITE_CONFIG_MAX,
	                           site->config_path)) == 0) {
		if (json_is_object(json_object_get(cfg, "signers"))) {
			json_decref(site->config);
			site->config = cfg;
			cfg = NULL;
		} else {
			error = ch_error_setc(CH_EINVALID, "%s: signers: expected an object",
			                      site->config_path);
		}
	}
	json_decref(cfg);
	ch_buf_dispose(&text);
	return error;
}

/* ---- handing back what root wrote ---- */

/* chanceryd started as root hands repo.git and state/ to its network
 * process's user (server/main.c). The command line run as root beside it
 * (it needs the root-only GnuPG home to sign) writes objects, refs and
 * state files as root, which that user could then not write over: so,
 * when it is done, it hands every file of those two trees that root owns
 * back to the user who owns repo.git.
 *
 * Those trees are writable by that other user, so root never follows a
 * path in them: the walk goes by directory descriptor, each directory
 * opened with O_NOFOLLOW relative to its parent's descriptor (a directory
 * swapped for a link fails to open and is passed over), each entry changed
 * with fchownat(AT_SYMLINK_NOFOLLOW) relative to it, and only a regular
 * file or directory that root owns with one link (a hard link to a file
 * elsewhere is never changed). Depth and entries are bounded. */
#define HAND_MAX_DEPTH 8
#define HAND_MAX_ENTRIES 1000000

static void hand_dir(int dfd, uid_t uid, gid_t gid, int depth, size_t *budget)
{
	DIR *d;
	struct dirent *e;

	if (depth > HAND_MAX_DEPTH || !(d = fdopendir(dfd))) {
		close(dfd);
		return;
	}
	while ((e = readdir(d)) && (*budget)-- > 0) {
		struct stat st;
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd(d), e->d_name,
			             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				hand_dir(sub, uid, gid, depth + 1, budget);
		}
		if (st.st_uid != 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) ||
		    (S_ISREG(st.st_mode) && st.st_nlink != 1))
			continue;
		if (fchownat(dirfd(d), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			fprintf(stderr, "chancery: warning: cannot hand %s back to uid %d: %s\n",
			        e->d_name, (int)uid, strerror(errno));
	}
	closedir(d);
}

static void hand_tree(const char *path, uid_t uid, gid_t gid)
{
	size_t budget = HAND_MAX_ENTRIES;
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_uid != uid) { /* not the tree we were told of */
		close(fd);
		return;
	}
	hand_dir(fd, uid, gid, 0, &budget);
}

/* The GnuPG home of a site chanceryd serves is its keys user's
 * (chancery-SITE-keys, server/main.c): what root wrote there (gpg's rings,
 * key files a root gpg-agent made, the key guard's counts, the log head)
 * goes back to that user, or the signer could not read it. Sockets stay. */
/* A gpg-agent root started for a home another user owns (the command line
 * beside a running chanceryd, when the signer's agent was not up): stopped,
 * or the signer, as the keys user, could not reach or start one there. */
static void stop_root_agent(const char *home)
{
	const char *argv[] = { "gpgconf", "--homedir", home, "--kill", "gpg-agent", NULL };
	ch_buf sock = CH_BUF_INIT;
	struct stat st;
	int status;

	ch_buf_printf(&sock, "%s/S.gpg-agent", home);
	if (lstat(sock.ptr, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == 0) {
		/* (the message of the command's own error, which the caller has
		 * yet to print, is kept) */
		char *kept = ch_strdup(ch_error_last());

		ch_spawn_run(&status, argv, NULL, NULL, NULL);
		ch_error_setc(CH_ERROR, "%s", kept);
		free(kept);
	}
	ch_buf_dispose(&sock);
}

static void hand_back_keys(const ch_site *site)
{
	struct stat st;

	if (geteuid() != 0 || !site->gnupg_path || lstat(site->gnupg_path, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid == 0)
		return;
	stop_root_agent(site->gnupg_path);
	hand_tree(site->gnupg_path, st.st_uid, st.st_gid);
}

static void hand_back(const ch_site *site)
{
	ch_buf state = CH_BUF_INIT;
	struct stat st;

	hand_back_keys(site);
	if (geteuid() != 0 || !site->repo || !site->repo_path || !site->path ||
	    lstat(site->repo_path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid == 0)
		return;
	hand_tree(site->repo_path, st.st_uid, st.st_gid);
	ch_buf_printf(&state, "%s/state", site->path);
	hand_tree(state.ptr, st.st_uid, st.st_gid);
	ch_buf_dispose(&state);
}

void ch_site_free(ch_site *site)
{
	size_t i;

	if (!site)
		return;
	hand_back(site);
	for (i = 0; i < site->npolicies; i++)
		ch_policy_free(site->policies[i].policy);
	free(site->policies);
	ch_keystore_free(site->ks);
	git_repository_free(site->repo);
	json_decref(site->config);
	free(site->path);
	free(site->repo_path);
	free(site->gnupg_path);
	free(site->config_path);
	free(site->site_id);
	free(site->tier);
	if (site->write_fd >= 0)
		close(site->write_fd); /* (drops any flock still held) */
	free(site);
}

/* ---- the write lock ---- */

int ch_site_write_lock_fd(ch_site *site)
{
	ch_buf dir = CH_BUF_INIT, path = CH_BUF_INIT;
	int error = 0;

	if (site->write_fd >= 0)
		return site->write_fd;
	ch_buf_printf(&dir, "%s/state", site->path);
	ch_buf_printf(&path, "%s/write.lock", dir.ptr);
	/* read-only is enough for flock: the server's network process and the
	 * command line (another user) share one file */
	site->write_fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	if (site->write_fd < 0 && errno == ENOENT && (error = ch_fs_mkdir_p(dir.ptr, 0700)) == 0)
		site->write_fd = open(path.ptr, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	if (site->write_fd < 0 && !error)
		error = ch_error_setc(CH_EIO, "cannot open %s: %s", path.ptr, strerror(errno));
	ch_buf_dispose(&dir);
	ch_buf_dispose(&path);
	return error < 0 ? error : site->write_fd;
}

int ch_site_write_lock(ch_site *site)
{
	int fd, waited = 0;

	if (site->write_depth) {
		site->write_depth++;
		return 0;
	}
	if ((fd = ch_site_write_lock_fd(site)) < 0)
		return fd;
	/* polled, not blocking: a recovery that hangs must not hold a writer
	 * (a server worker) for ever */
	while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return ch_error_setc(CH_EIO, "cannot lock %s/state/write.lock: %s", site->path,
			                     strerror(errno));
		if (waited >= CH_WRITE_LOCK_WAIT_MS)
			return ch_error_setc(CH_ECONFLICT, "the site is being recovered (chancery "
			                     "recover holds %s/state/write.lock); nothing was recorded: "
			                     "try again", site->path);
		usleep(10000);
		waited += 10;
	}
	site->write_depth = 1;
	return 0;
}

void ch_site_write_unlock(ch_site *site)
{
	if (!site->write_depth || --site->write_depth)
		return;
	flock(site->write_fd, LOCK_UN);
}

int ch_site_keystore(ch_keystore **out, ch_site *site)
{
	int error;

	if (!site->ks && (error = ch_keystore_open(&site->ks, site->gnupg_path)) < 0)
		return error;
	*out = site->ks;
	return 0;
}

static int copy_field(char *dst, size_t size, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || strlen(s) >= size)
		return ch_error_setc(CH_EINVALID, "site.json: signers: malformed '%s'", key);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int ch_site_signer(ch_keyinfo *out, ch_site *site, const char *person)
{
	json_t *o = json_object_get(json_object_get(site->config, "signers"), person);
	int error;

	memset(out, 0, sizeof(*out));
	if (!o)
		return ch_error_setc(CH_ENOTFOUND, "%s has no signing key on site %s", person,
		                     site->site_id);
	if ((error = copy_field(out->fpr, sizeof(out->fpr), o, "fingerprint")) < 0 ||
	    (error = copy_field(out->signing_fpr, sizeof(out->signing_fpr), o,
	                        "signing_fingerprint")) < 0 ||
	    (error = copy_field(out->keygrip, sizeof(out->keygrip), o, "keygrip")) < 0)
		return error;
	out->pk_algo = (int)json_integer_value(json_object_get(o, "algo"));
	return 0;
}

int ch_site_set_signer(ch_site *site, const char *person, const ch_keyinfo *key)
{
	json_t *signers = json_object_get(site->config, "signers");

	json_object_set_new(signers, person,
	                    json_pack("{s:s, s:s, s:s, s:i}", "fingerprint", key->fpr,
	                              "signing_fingerprint", key->signing_fpr, "keygrip",
	                              key->keygrip, "algo", key->pk_algo));
	return save_config(site);
}

int ch_site_set_log_public(ch_site *site, const char *armored)
{
	json_object_set_new(site->config, "log_public", json_string(armored));
	return save_config(site);
}

int ch_site_set_log_key_site(ch_site *site)
{
	json_object_set_new(site->config, "log_key_site", json_string(site->site_id));
	return save_config(site);
}

const char *ch_site_log_key_site(const ch_site *site)
{
	return json_string_value(json_object_get(site->config, "log_key_site"));
}

const char *ch_site_log_public(const ch_site *site)
{
	return json_string_value(json_object_get(site->config, "log_public"));
}

int ch_site_set_tier(ch_site *site, const char *tier)
{
	git_config *cfg = NULL;
	int error;

	if (strcmp(tier, "networked") && strcmp(tier, "offline"))
		return ch_error_setc(CH_EINVALID, "'%.40s' is not a tier", tier);
	if (git_repository_config(&cfg, site->repo) < 0 ||
	    git_config_set_string(cfg, "chancery.tier", tier) < 0) {
		git_config_free(cfg);
		return ch_error_setc(CH_EIO, "cannot write the repository config");
	}
	git_config_free(cfg);
	json_object_set_new(site->config, "tier", json_string(tier));
	if ((error = save_config(site)) < 0)
		return error;
	free(site->tier);
	site->tier = ch_strdup(tier);
	return 0;
}

int ch_site_policy_head(git_oid *out, ch_site *site)
{
	int rc = git_reference_name_to_id(out, site->repo, CH_POLICY_REF);

	if (rc == GIT_ENOTFOUND)
		return ch_error_setc(CH_ENOTFOUND, "site %s has no policy yet", site->site_id);
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot read %s: %s", CH_POLICY_REF,
		                     git_error_last()->message);
	return 0;
}

int ch_site_policy(const ch_policy **out, ch_site *site, const git_oid *commit)
{
	ch_policy *pol;
	size_t i;
	int error;

	for (i = 0; i < site->npolicies; i++)
		if (git_oid_equal(&site->policies[i].id, commit)) {
			*out = site->policies[i].policy;
			return 0;
		}
	if ((error = ch_policy_load(&pol, site->repo, commit)) < 0)
		return error;
	site->policies = ch_realloc(site->policies, (site->npolicies + 1) * sizeof(*site->policies));
	git_oid_cpy(&site->policies[site->npolicies].id, commit);
	site->policies[site->npolicies++].policy = pol;
	*out = pol;
	return 0;
}
