/* verify.c -- the auditor's verifier (DESIGN.md rules P1-P6, D1-D9, C1;
 * D10 on attachments, SECURITY.md; version 2: D11-D13 and scoped roles).
 *
 * Order of work: read the checkpoint; verify the policy chain in the
 * calling thread (it decides which keys and policies every step may name);
 * list the refs; verify the document chains in worker threads, each with
 * its own git_repository handle (libgit2 objects are not shared between
 * threads), reading the verified policies, which nobody writes any more;
 * merge the findings in a stable order; check and write the checkpoint;
 * store newly verified signatures in the cache.
 *
 * Sections: findings; signatures; the verification cache; the policy
 * chain; document chains; worker threads; refs and the checkpoint; the
 * run; reports. */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/pgp.h"
#include "workflows/doc.h"
#include "workflows/statemachine.h"
#include "workflows/json.h"
#include "workflows/policy.h"
#include "workflows/classify/gate.h"
#include "workflows/classify/spill.h"
#include "workflows/classify/stamp.h"
#include "workflows/trailers.h"
#include "workflows/verify/verify.h"
#include "workflows/verify/verify_log.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define MAX_CHAIN 1000000
#define CHECKPOINT_MAX (64 * 1024 * 1024)
#define MAX_THREADS 64
#define PERSON_MAX 64 /* ch_valid_person_id: at most 64 bytes */
#define META_MAX (64 * 1024) /* ch_meta_parse reads no more */

/* ------------------------------------------------------------------ */
/* Findings                                                            */

typedef ch_vflist flist;

static void flist_vadd(flist *l, const char *rule, const char *ref, const git_oid *commit,
                       const char *fmt, va_list ap)
{
	ch_buf msg = CH_BUF_INIT;
	ch_finding *f;

	ch_buf_vprintf(&msg, fmt, ap);
	l->v = ch_realloc(l->v, (l->n + 1) * sizeof(*l->v));
	f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->ref = ch_strdup(ref);
	if (commit)
		git_oid_tostr(f->commit, sizeof(f->commit), commit);
	f->message = ch_buf_detach(&msg);
	f->warning = rule[0] == 'W';
}

static void add(flist *l, const char *rule, const char *ref, const git_oid *commit,
                const char *fmt, ...) CH_PRINTF(5, 6);

static void add(flist *l, const char *rule, const char *ref, const git_oid *commit,
                const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	flist_vadd(l, rule, ref, commit, fmt, ap);
	va_end(ap);
}

void ch_vadd(ch_vflist *l, const char *rule, const char *ref, const git_oid *commit,
             const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	flist_vadd(l, rule, ref, commit, fmt, ap);
	va_end(ap);
}

static void flist_dispose(flist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].ref);
		free(l->v[i].message);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static size_t flist_count(const flist *l, int warnings)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->v[i].warning == warnings;
	return n;
}

/* "approve" -> "approves": findings read "approves as X, signed by ...". */
static const char *verb(const char *action)
{
	static const char *const verbs[][2] = {
		{ "create", "creates" }, { "revise", "revises" }, { "submit", "submits" },
		{ "approve", "approves" }, { "reject", "rejects" }, { "return", "returns" },
		{ "sign", "signs" }, { "publish", "publishes" }, { "withdraw", "withdraws" },
		{ "comment", "comments" },
	};
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i][0], action))
			return verbs[i][1];
	return action;
}

/* A log time for the reports: "2026-03-01 08:15:00 UTC", "unknown" for 0. */
typedef struct {
	char s[32];
} vtime;

static vtime fmt_time(int64_t t)
{
	vtime v;
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(v.s, sizeof(v.s), "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(v.s, sizeof(v.s), "%s", t ? "(out of range)" : "unknown");
	return v;
}

void ch_report_dispose(ch_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].ref);
		free(r->v[i].message);
	}
	free(r->v);
	for (i = 0; i < r->ndoclist; i++) {
		free(r->doclist[i].ref);
		free(r->doclist[i].title);
		free(r->doclist[i].state);
		free(r->doclist[i].steps);
	}
	free(r->doclist);
	ch_strv_free(&r->other_refs);
	free(r->repo_path);
	free(r->tier);
	free(r->cache_note);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Types shared by the sections below                                  */

typedef struct {
	git_oid id;
	ch_policy *pol; /* NULL when it did not parse */
	int trusted;
} vpolicy;

typedef struct {
	git_oid id;
	size_t index; /* into vctx.pols */
} vpolicy_ref;

typedef struct vcache vcache;

typedef struct {
	char *ref;
	git_oid head;
	flist found;       /* this document's findings, in chain order */
	ch_report_doc sum;
	git_oid *commits;  /* every commit of the chain, for D13 */
	size_t ncommits;
	int judged;        /* in the run's scope (else walked only for D13) */
} vdoc;

/* What every thread reads; written only before the workers start. */
typedef struct {
	git_repository *repo;    /* the caller's handle: this thread only */
	const ch_verify_opts *opts;
	ch_report *r;
	flist main;              /* findings made in the calling thread */
	vpolicy *pols;           /* the policy chain, root first */
	size_t npols;
	vpolicy_ref *byid;       /* the same, sorted by id */
	const vpolicy *newest;   /* the last trusted policy, or NULL */
	const char *tier;        /* the introduction's signed tier, or NULL */
	ch_buf intro_repo;       /* the introduction's repository.json */
	json_t *checkpoint;      /* read before the run, or NULL */
	vcache *cache;           /* NULL: no cache */
	vdoc *docs;              /* the document chains to verify, by ref */
	size_t ndocs;
	vdoc *others;            /* document refs outside --doc: walked for D13 only */
	size_t nothers;
	ch_vlogs logs;           /* the site logs held (verify_log.h) */
	atomic_size_t next;      /* the next document a worker takes */
} vctx;

typedef struct {
	unsigned char commit[20], policy[20];
	char signer[40], primary[40]; /* fingerprints, upper-case hex */
	char owner[PERSON_MAX];       /* person id, NUL-padded */
	unsigned char mac[32];
} vrecord;

/* One thread's working state. */
typedef struct {
	vctx *v;
	git_repository *repo;
	int own_repo;            /* opened by this worker */
	vrecord *news;           /* signatures verified here, for the cache */
	size_t nnews;
	size_t hits;
	pthread_t thread;
	int started;
} vworker;

/* ------------------------------------------------------------------ */
/* Signatures                                                          */

enum { SIG_OK, SIG_UNSIGNED, SIG_NOKEY, SIG_BAD };

typedef struct {
	ch_pgp_verify_result res; /* res.owner points at owner below */
	char owner[PERSON_MAX + 1];
	char issuer[CH_PGP_FPR_HEX];  /* who the signature says signed; "" if unknown */
	char why[512];                /* why it failed */
} vsig;

static int cache_lookup(vworker *w, const git_oid *commit, const git_oid *policy, vsig *s);
static void cache_add(vworker *w, const git_oid *commit, const git_oid *policy, const vsig *s);

static void sig_reset(vsig *s)
{
	memset(s, 0, sizeof(*s));
}

/* Verify a commit's signature against the keyring of policy `vp`, or take
 * the verdict from the cache. `actor`, when not NULL, lets a good
 * signature by that person be cached. Returns SIG_*; s->why says why not. */
static int verify_commit_sig(vsig *s, vworker *w, const git_oid *id, const vpolicy *vp,
                             const char *actor)
{
	git_buf sig = { 0 }, data = { 0 };
	int rc, status = SIG_OK;

	sig_reset(s);
	if (cache_lookup(w, id, &vp->id, s))
		return SIG_OK;
	rc = git_commit_extract_signature(&sig, &data, w->repo, (git_oid *)id, NULL);
	if (rc == GIT_ENOTFOUND) {
		snprintf(s->why, sizeof(s->why), "the commit is not signed");
		return SIG_UNSIGNED;
	} else if (rc < 0) {
		snprintf(s->why, sizeof(s->why), "its signature cannot be read: %s",
		         git_error_last()->message);
		return SIG_BAD;
	}
	rc = ch_pgp_verify(&s->res, vp->pol->keyring, data.ptr, data.size, sig.ptr, sig.size);
	if (rc < 0) {
		snprintf(s->why, sizeof(s->why), "%s", ch_error_last());
		if (ch_pgp_sig_issuer(s->issuer, sig.ptr, sig.size) < 0)
			s->issuer[0] = '\0';
		status = rc == CH_ENOTFOUND ? SIG_NOKEY : SIG_BAD;
	} else {
		snprintf(s->owner, sizeof(s->owner), "%s", s->res.owner);
		s->res.owner = s->owner;
		memcpy(s->issuer, s->res.signer_fpr, sizeof(s->issuer));
		/* Cached only when its verdict cannot change with the clock: no
		 * expiry of its own (RNP's "expires: never", 0, is none). */
		if (actor && w->v->cache && !strcmp(s->owner, actor) && !s->res.expires)
			cache_add(w, id, &vp->id, s);
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return status;
}

/* ------------------------------------------------------------------ */
/* The verification cache                                              *
 *                                                                      *
 * Checking a signature costs about 1 ms (Ed25519 in libgcrypt); all    *
 * the rest of a commit's checks cost some 20 us. So a later run over   *
 * the same history may skip the signature checks already done, and     *
 * nothing else:                                                        *
 *                                                                      *
 * - A record says: commit C, checked against the keyring of policy     *
 *   commit P, carries a good signature by key K (primary key F) of     *
 *   person A. C and P are object ids, so a record can never describe   *
 *   other bytes: the commit, its signature and the keyring (keys,      *
 *   revocations) are all fixed by the two ids. Everything else (the    *
 *   trailers, D2-D9, whether A is the actor or revoked, the revocation *
 *   warnings) is checked on every run.                                 *
 * - Only good signatures by the actor are stored; failures are checked *
 *   again each time (they are findings, and rare). Signatures with an  *
 *   expiration time are never stored: their verdict changes with the   *
 *   clock.                                                             *
 * - The cache is the user's own and trusts nothing else: DIR must be a *
 *   directory (not a link) owned by the effective uid, mode 0700       *
 *   (created so when missing); DIR/key holds 32 random bytes, a        *
 *   regular file of the uid, mode 0600, made with ch_random_bytes;     *
 *   DIR/signatures.v1 holds the records, a regular file of the uid,    *
 *   mode 0600. Files are opened with O_NOFOLLOW and checked with fstat *
 *   on the open descriptor. A directory or key that fails the checks   *
 *   turns the cache off; a records file that fails them is ignored     *
 *   whole and replaced. Each record carries an HMAC-SHA-256 under the  *
 *   key over a version label and all its fields; a record whose MAC    *
 *   does not match is ignored and its signature verified again. A new  *
 *   key starts an empty cache.                                         *
 * - Records are fixed-size, in file order oldest first; lookups use a  *
 *   sorted index and run read-only in every worker thread. New records *
 *   are kept per worker and appended after the run, the whole file     *
 *   written atomically (temporary file, fsync, rename); at most         *
 *   CACHE_MAX_RECORDS, the newest, are kept. Two runs at once may lose *
 *   each other's new records, never corrupt the file.                  */

#define CACHE_MAGIC "chancery-vcache1" /* 16 bytes, no NUL in the file */
#define CACHE_MAGIC_LEN 16
#define CACHE_LABEL "chancery verify cache, record v1"
#define CACHE_FILE "signatures.v1"
#define CACHE_KEY_FILE "key"
#define CACHE_KEY_LEN 32
#define CACHE_MAX_RECORDS 500000
#define CACHE_MAC_OFF offsetof(vrecord, mac)

_Static_assert(sizeof(vrecord) == 216, "vrecord is made of byte arrays: no padding");

struct vcache {
	unsigned char key[CACHE_KEY_LEN];
	char *path;              /* DIR/signatures.v1 */
	vrecord *recs;           /* as read, oldest first */
	size_t n;
	const vrecord **sorted;  /* recs sorted by (commit, policy) */
};

static int cmp_record(const void *a, const void *b)
{
	const vrecord *x = *(const vrecord *const *)a, *y = *(const vrecord *const *)b;

	return memcmp(x, y, 40); /* commit and policy: the first 40 bytes */
}

static int record_mac(unsigned char out[32], const vcache *c, const vrecord *rec)
{
	unsigned char msg[sizeof(CACHE_LABEL) + CACHE_MAC_OFF];

	memcpy(msg, CACHE_LABEL, sizeof(CACHE_LABEL));
	memcpy(msg + sizeof(CACHE_LABEL), rec, CACHE_MAC_OFF);
	return ch_hmac_sha256(out, c->key, sizeof(c->key), msg, sizeof(msg));
}

static int fixed_str(char *out, size_t size, const char *field, size_t len)
{
	size_t n = strnlen(field, len);

	if (n >= size)
		return 0;
	memcpy(out, field, n);
	out[n] = '\0';
	return 1;
}

/* A record counts only if its MAC is ours and its fields are well formed. */
static int record_valid(const vcache *c, const vrecord *rec, vsig *s)
{
	unsigned char mac[32];

	if (record_mac(mac, c, rec) < 0 || !ch_ct_memeq(mac, rec->mac, sizeof(mac)))
		return 0;
	if (!fixed_str(s->res.signer_fpr, sizeof(s->res.signer_fpr), rec->signer, 40) ||
	    !fixed_str(s->res.primary_fpr, sizeof(s->res.primary_fpr), rec->primary, 40) ||
	    !fixed_str(s->owner, sizeof(s->owner), rec->owner, PERSON_MAX))
		return 0;
	return ch_valid_fpr(s->res.signer_fpr) && ch_valid_fpr(s->res.primary_fpr) &&
	       ch_valid_person_id(s->owner);
}

static int cache_lookup(vworker *w, const git_oid *commit, const git_oid *policy, vsig *s)
{
	const vcache *c = w->v->cache;
	const vrecord *const *hit, *pp;
	vrecord probe;

	if (!c || !c->n)
		return 0;
	memcpy(probe.commit, commit->id, 20);
	memcpy(probe.policy, policy->id, 20);
	pp = &probe;
	hit = bsearch(&pp, c->sorted, c->n, sizeof(*c->sorted), cmp_record);
	if (!hit || !record_valid(c, *hit, s)) {
		sig_reset(s);
		return 0;
	}
	s->res.owner = s->owner;
	memcpy(s->issuer, s->res.signer_fpr, sizeof(s->issuer));
	w->hits++;
	return 1;
}

static void cache_add(vworker *w, const git_oid *commit, const git_oid *policy, const vsig *s)
{
	vrecord *rec;

	w->news = ch_realloc(w->news, (w->nnews + 1) * sizeof(*w->news));
	rec = &w->news[w->nnews];
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->commit, commit->id, 20);
	memcpy(rec->policy, policy->id, 20);
	memcpy(rec->signer, s->res.signer_fpr, 40);
	memcpy(rec->primary, s->res.primary_fpr, 40);
	memcpy(rec->owner, s->owner, strlen(s->owner));
	if (record_mac(rec->mac, w->v->cache, rec) == 0)
		w->nnews++;
}

static int check_private_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT)
			return ch_error_setc(CH_EIO, "%s: %s", dir, strerror(errno));
		if (ch_fs_mkdir_p(dir, 0700) < 0 || lstat(dir, &st) < 0)
			return ch_error_setc(CH_EIO, "%s: cannot create it", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return ch_error_setc(CH_EINVALID, "%s is not a directory (or is a symbolic link)",
		                     dir);
	if (st.st_uid != geteuid())
		return ch_error_setc(CH_EINVALID, "%s belongs to uid %ld, not to this user", dir,
		                     (long)st.st_uid);
	if ((st.st_mode & 07777) != 0700)
		return ch_error_setc(CH_EINVALID, "%s has mode %04o; a cache directory must have "
		                     "0700", dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Open a file of the cache: a regular file of this user, mode 0600, not
 * through a symbolic link. -1 with errno ENOENT when it does not exist. */
static int open_private(const char *path, off_t maxsize, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid() ||
	    (st->st_mode & 07777) != 0600 || st->st_size > maxsize) {
		ch_error_setc(CH_EINVALID, "%s is not a regular file of this user with mode 0600",
		              path);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int create_key(vcache *c, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return errno == EEXIST ? CH_ECONFLICT : ch_error_setc(CH_EIO, "%s: %s", path,
		                                                      strerror(errno));
	ch_random_bytes(c->key, sizeof(c->key));
	n = fchmod(fd, 0600) == 0 ? write(fd, c->key, sizeof(c->key)) : -1;
	if (n != (ssize_t)sizeof(c->key) || fsync(fd) < 0) {
		close(fd);
		unlink(path);
		return ch_error_setc(CH_EIO, "%s: cannot write the cache key", path);
	}
	close(fd);
	return 1; /* a new key */
}

/* 1 when the key was made now, 0 when read, negative when unusable. */
static int load_key(vcache *c, const char *dir)
{
	ch_buf path = CH_BUF_INIT;
	struct stat st;
	int fd = -1, tries, error = 0;

	ch_buf_printf(&path, "%s/%s", dir, CACHE_KEY_FILE);
	for (tries = 0; tries < 2; tries++) {
		if ((fd = open_private(path.ptr, CACHE_KEY_LEN, &st)) >= 0)
			break;
		if (errno != ENOENT) {
			error = CH_EINVALID;
			goto done;
		}
		if ((error = create_key(c, path.ptr)) != CH_ECONFLICT)
			goto done;
	}
	if (fd < 0 || st.st_size != CACHE_KEY_LEN || read_all(fd, c->key, sizeof(c->key)) < 0)
		error = ch_error_setc(CH_EINVALID, "%s: not a cache key", path.ptr);
	if (fd >= 0)
		close(fd);
done:
	ch_buf_dispose(&path);
	return error;
}

static int load_records(vcache *c)
{
	const off_t max = CACHE_MAGIC_LEN + (off_t)CACHE_MAX_RECORDS * (off_t)sizeof(vrecord);
	char magic[CACHE_MAGIC_LEN];
	struct stat st;
	size_t n, i;
	int fd;

	if ((fd = open_private(c->path, max, &st)) < 0)
		return errno == ENOENT ? 0 : CH_EINVALID;
	n = st.st_size >= CACHE_MAGIC_LEN ?
	    (size_t)(st.st_size - CACHE_MAGIC_LEN) / sizeof(vrecord) : 0;
	c->recs = ch_calloc(n ? n : 1, sizeof(*c->recs));
	if (read_all(fd, magic, sizeof(magic)) < 0 || memcmp(magic, CACHE_MAGIC, sizeof(magic)) ||
	    read_all(fd, c->recs, n * sizeof(*c->recs)) < 0) {
		close(fd);
		return ch_error_setc(CH_EINVALID, "%s: not a verification cache", c->path);
	}
	close(fd);
	c->n = n;
	c->sorted = ch_calloc(n ? n : 1, sizeof(*c->sorted));
	for (i = 0; i < n; i++)
		c->sorted[i] = &c->recs[i];
	qsort(c->sorted, n, sizeof(*c->sorted), cmp_record);
	return 0;
}

static void cache_free(vcache *c)
{
	if (!c)
		return;
	ch_wipe(c->key, sizeof(c->key));
	free(c->recs);
	free(c->sorted);
	free(c->path);
	free(c);
}

static void cache_note(ch_report *r, const char *what)
{
	ch_buf b = CH_BUF_INIT;

	ch_buf_printf(&b, "%s%s%s", r->cache_note ? r->cache_note : "",
	              r->cache_note ? "; " : "", what);
	free(r->cache_note);
	r->cache_note = ch_buf_detach(&b);
}

/* The cache never fails a run: what cannot be used is said in the report. */
static void cache_open(vctx *v, const char *dir)
{
	vcache *c = ch_calloc(1, sizeof(*c));
	ch_buf path = CH_BUF_INIT;
	int fresh;

	if (check_private_dir(dir) < 0 || (fresh = load_key(c, dir)) < 0) {
		cache_note(v->r, ch_error_last());
		cache_note(v->r, "the cache is not used");
		cache_free(c);
		return;
	}
	ch_buf_printf(&path, "%s/%s", dir, CACHE_FILE);
	c->path = ch_buf_detach(&path);
	if (!fresh && load_records(c) < 0) {
		cache_note(v->r, ch_error_last());
		cache_note(v->r, "its records are ignored and will be replaced");
		free(c->recs);
		c->recs = NULL;
		c->n = 0;
	}
	v->cache = c;
}

static void cache_save(vctx *v, vworker *ws, size_t nw)
{
	vcache *c = v->cache;
	ch_buf out = CH_BUF_INIT;
	size_t i, fresh = 0, keep;

	for (i = 0; i < nw; i++) {
		fresh += ws[i].nnews;
		v->r->cache_hits += ws[i].hits;
	}
	if (!c || !fresh)
		return;
	if (fresh > CACHE_MAX_RECORDS)
		fresh = CACHE_MAX_RECORDS;
	keep = c->n < CACHE_MAX_RECORDS - fresh ? c->n : CACHE_MAX_RECORDS - fresh;
	ch_buf_put(&out, CACHE_MAGIC, CACHE_MAGIC_LEN);
	if (keep)
		ch_buf_put(&out, c->recs + (c->n - keep), keep * sizeof(vrecord));
	for (i = 0; i < nw; i++)
		if (ws[i].nnews)
			ch_buf_put(&out, ws[i].news, ws[i].nnews * sizeof(vrecord));
	ch_buf_truncate(&out, CACHE_MAGIC_LEN + (keep + fresh) * sizeof(vrecord));
	if (ch_fs_write_atomic(c->path, out.ptr, out.size, 0600) < 0)
		cache_note(v->r, ch_error_last());
	else
		v->r->cache_stored = fresh;
	ch_buf_dispose(&out);
}

/* ------------------------------------------------------------------ */
/* Chains                                                              */

static void free_chain(git_commit **chain, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		git_commit_free(chain[i]);
	free(chain);
}

static void report_merge(flist *f, const char *ref, const char *rule, const git_commit *c)
{
	ch_buf others = CH_BUF_INIT;
	unsigned i;

	for (i = 1; i < git_commit_parentcount(c); i++)
		ch_buf_printf(&others, "%s%s", i > 1 ? ", " : "",
		              git_oid_tostr_s(git_commit_parent_id(c, i)));
	add(f, rule, ref, git_commit_id(c), "is a merge of %u parents; a chain has no merges "
	    "(only the first parent is followed: %s %s not part of the chain and not judged)",
	    git_commit_parentcount(c), others.ptr,
	    git_commit_parentcount(c) > 2 ? "are" : "is");
	ch_buf_dispose(&others);
}

/* The commits from the root to `head` along first parents, owned by the
 * caller (free_chain). Merges are reported under `merge_rule`. */
static int walk_chain(git_commit ***out, size_t *n, git_repository *repo, const git_oid *head,
                      flist *f, const char *ref, const char *merge_rule)
{
	git_commit *c = NULL, **chain = NULL;
	size_t count = 0, alloc = 0, i;
	git_oid next;
	int error = 0;

	git_oid_cpy(&next, head);
	for (;;) {
		if (git_commit_lookup(&c, repo, &next) < 0) {
			error = ch_error_setc(CH_EIO, "commit %s cannot be read: %s",
			                      git_oid_tostr_s(&next), git_error_last()->message);
			break;
		}
		if (count == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			chain = ch_realloc(chain, alloc * sizeof(*chain));
		}
		chain[count++] = c;
		if (git_commit_parentcount(c) == 0)
			break;
		if (count >= MAX_CHAIN) {
			error = ch_error_setc(CH_EINVALID, "longer than %d commits", MAX_CHAIN);
			break;
		}
		if (git_commit_parentcount(c) > 1)
			report_merge(f, ref, merge_rule, c);
		git_oid_cpy(&next, git_commit_parent_id(c, 0));
	}
	for (i = 0; i < count / 2; i++) {
		git_commit *t = chain[i];

		chain[i] = chain[count - 1 - i];
		chain[count - 1 - i] = t;
	}
	*out = chain;
	*n = count;
	return error;
}

/* ------------------------------------------------------------------ */
/* The policy chain                                                    */

static int cmp_policy_ref(const void *a, const void *b)
{
	return git_oid_cmp(&((const vpolicy_ref *)a)->id, &((const vpolicy_ref *)b)->id);
}

static const vpolicy *find_policy(const vctx *v, const git_oid *id, size_t *index)
{
	vpolicy_ref probe, *hit;

	if (!v->npols)
		return NULL;
	git_oid_cpy(&probe.id, id);
	hit = bsearch(&probe, v->byid, v->npols, sizeof(*v->byid), cmp_policy_ref);
	if (!hit)
		return NULL;
	*index = hit->index;
	return &v->pols[hit->index];
}

/* Given the anchor, any other root is refused (P1). */
static int anchor_ok(vctx *v, const git_commit *c)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (!v->opts->introduction)
		return 1;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	if (!strcmp(hex, v->opts->introduction))
		return 1;
	add(&v->main, "P1", CH_POLICY_REF, git_commit_id(c), "the root of the policy chain is "
	    "not the introduction %s given as trust anchor", v->opts->introduction);
	return 0;
}

/* P6: exactly the policy trailers, Chancery-Action policy and an actor. */
static int policy_trailers(vctx *v, const git_commit *c, ch_trailers *t)
{
	const char *msg = git_commit_message_raw(c);

	if (ch_trailers_parse(t, msg, strlen(msg)) < 0) {
		add(&v->main, "P6", CH_POLICY_REF, git_commit_id(c), "policy commit trailers: %s",
		    ch_error_last());
		return 0;
	}
	if (!t->is_policy) {
		add(&v->main, "P6", CH_POLICY_REF, git_commit_id(c), "a policy commit whose "
		    "Chancery-Action is '%s', not 'policy'", t->action);
		return 0;
	}
	return 1;
}

/* P6: every file parses and follows its schema (P5 is checked apart). */
static void load_policy(vctx *v, vpolicy *vp, const git_commit *c)
{
	ch_fileset files = CH_FILESET_INIT;
	git_tree *tree = NULL;
	int error;

	if (git_commit_tree(&tree, c) < 0)
		error = ch_error_setc(CH_EIO, "its tree cannot be read: %s",
		                      git_error_last()->message);
	else if ((error = ch_fileset_from_tree(&files, v->repo, tree)) == 0)
		error = ch_policy_parse_ex(&vp->pol, &files, 0);
	if (error < 0)
		add(&v->main, "P6", CH_POLICY_REF, git_commit_id(c), "%s", ch_error_last());
	git_tree_free(tree);
	ch_fileset_dispose(&files);
}

/* P5 (an admin who is not revoked) and P4 (repository.json unchanged). */
static int check_policy_content(vctx *v, const vpolicy *vp, size_t i)
{
	const ch_buf *repo_json = ch_fileset_get(&vp->pol->files, "policy/repository.json");
	int ok = 1;

	if (!ch_policy_has_admin(vp->pol)) {
		add(&v->main, "P5", CH_POLICY_REF, &vp->id, "the policy names no policy-admin who "
		    "is not revoked: it locks itself out");
		ok = 0;
	}
	if (i == 0) {
		ch_buf_set(&v->intro_repo, repo_json->ptr, repo_json->size);
	} else if (repo_json->size != v->intro_repo.size ||
	           memcmp(repo_json->ptr, v->intro_repo.ptr, repo_json->size)) {
		add(&v->main, "P4", CH_POLICY_REF, &vp->id, "repository.json differs from the "
		    "introduction's (site %s, tier %s now)", vp->pol->site, vp->pol->tier);
		ok = 0;
	}
	return ok;
}

/* P1 (the introduction, checked against its own policy) or P2 (a later
 * commit, checked against its parent's): signed by a policy-admin who is
 * not revoked, who is the Chancery-Actor (t is NULL when the trailers
 * were unreadable: that is P6 already). */
static int check_policy_signer(vctx *v, vworker *w, const git_commit *c, const vpolicy *kp,
                               const ch_trailers *t, size_t i)
{
	const char *rule = i ? "P2" : "P1", *where = i ? "the parent policy" : "its own policy";
	const git_oid *id = git_commit_id(c);
	const ch_person *p;
	vsig s;
	int st = verify_commit_sig(&s, w, id, kp, t ? t->actor : NULL);

	if (i == 0 && st == SIG_OK) /* for the reports' trust-anchor line */
		snprintf(v->r->root_signer, sizeof(v->r->root_signer), "%s", s.res.primary_fpr);

	if (st == SIG_NOKEY) {
		add(&v->main, rule, CH_POLICY_REF, id, "policy commit signed by key %s, which %s "
		    "does not hold", s.issuer[0] ? s.issuer : "(unnamed)", where);
	} else if (st != SIG_OK) {
		add(&v->main, rule, CH_POLICY_REF, id, "policy commit: %s", s.why);
	} else if (!(p = ch_policy_person(kp->pol, s.owner)) || p->revoked ||
	           !ch_person_has_role(p, "policy-admin")) {
		add(&v->main, rule, CH_POLICY_REF, id, "policy commit signed by key %s of %s, who "
		    "is not a policy-admin%s in %s", s.res.signer_fpr, s.owner,
		    p && p->revoked ? " (revoked)" : "", where);
	} else if (ch_person_key_find(p, s.res.primary_fpr) &&
	           ch_person_key_find(p, s.res.primary_fpr)->revoked) {
		add(&v->main, rule, CH_POLICY_REF, id, "policy commit signed by key %s of %s, which "
		    "is revoked in %s", s.res.primary_fpr, s.owner, where);
	} else if (t && strcmp(t->actor, s.owner)) {
		add(&v->main, i ? "P2" : "P6", CH_POLICY_REF, id, "Chancery-Actor is %s but the "
		    "commit is signed by key %s, which belongs to %s", t->actor, s.res.signer_fpr,
		    s.owner);
	} else if (i == 0 && v->opts->introducer &&
	           strcmp(s.res.primary_fpr, v->opts->introducer)) {
		add(&v->main, "P1", CH_POLICY_REF, id, "the introduction is signed by key %s of %s, "
		    "not by the introducer %s given as trust anchor", s.res.primary_fpr, s.owner,
		    v->opts->introducer);
	} else {
		return t != NULL;
	}
	return 0;
}

static void verify_policy_commit(vctx *v, vworker *w, const git_commit *c, size_t i)
{
	vpolicy *vp = &v->pols[i];
	const vpolicy *parent = i ? &v->pols[i - 1] : NULL, *kp;
	ch_trailers t;
	int tok, ok;

	if (parent && !parent->trusted)
		return; /* after an untrusted commit, everything is untrusted */
	if (i == 0 && !anchor_ok(v, c))
		return;
	if (i > 0 && git_commit_parentcount(c) > 1)
		return; /* P3, reported by the walk */
	tok = policy_trailers(v, c, &t);
	load_policy(v, vp, c);
	ok = tok && vp->pol;
	if (vp->pol && !check_policy_content(v, vp, i))
		ok = 0;
	kp = i ? parent : vp;
	if (kp->pol && !check_policy_signer(v, w, c, kp, tok ? &t : NULL, i))
		ok = 0;
	vp->trusted = ok;
}

static void index_policies(vctx *v)
{
	size_t i;

	v->byid = ch_calloc(v->npols ? v->npols : 1, sizeof(*v->byid));
	for (i = 0; i < v->npols; i++) {
		git_oid_cpy(&v->byid[i].id, &v->pols[i].id);
		v->byid[i].index = i;
		if (v->pols[i].trusted)
			v->newest = &v->pols[i];
	}
	qsort(v->byid, v->npols, sizeof(*v->byid), cmp_policy_ref);
	if (v->npols && v->pols[0].trusted) {
		v->tier = v->pols[0].pol->tier;
		v->r->tier = ch_strdup(v->tier);
	}
}

/* The head of refs/heads/policy; 0 with a finding when there is none. */
static int policy_head(vctx *v, git_oid *out)
{
	git_reference *ref = NULL, *res = NULL;
	int rc = git_reference_lookup(&ref, v->repo, CH_POLICY_REF), found = 0;

	if (rc == GIT_ENOTFOUND) {
		add(&v->main, "P1", CH_POLICY_REF, NULL, "the repository has no policy chain");
		return 0;
	} else if (rc < 0) {
		return ch_error_setc(CH_EIO, "cannot read %s: %s", CH_POLICY_REF,
		                     git_error_last()->message);
	}
	if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC)
		add(&v->main, "W", CH_POLICY_REF, NULL, "is a symbolic ref to %s; the chain "
		    "verified is the one it points at", git_reference_symbolic_target(ref));
	if (git_reference_resolve(&res, ref) < 0 || !git_reference_target(res)) {
		add(&v->main, "P1", CH_POLICY_REF, NULL, "does not lead to a commit");
	} else {
		git_oid_cpy(out, git_reference_target(res));
		found = 1;
	}
	git_reference_free(res);
	git_reference_free(ref);
	return found;
}

/* What the reports say of the trust anchor: what was given, and whether
 * the root found is that introduction, signed by that introducer. */
static void note_anchor(ch_report *r, const ch_verify_opts *o)
{
	if (!o->introduction || !o->introducer)
		return;
	r->anchor_given = 1;
	snprintf(r->anchor_introduction, sizeof(r->anchor_introduction), "%s", o->introduction);
	snprintf(r->anchor_introducer, sizeof(r->anchor_introducer), "%s", o->introducer);
	r->anchored = r->root[0] && !strcmp(r->root, o->introduction) &&
	              !strcmp(r->root_signer, o->introducer);
}

static int verify_policy_chain(vctx *v, vworker *w)
{
	git_commit **chain = NULL;
	git_oid head;
	size_t n = 0, i;
	int rc;

	if ((rc = policy_head(v, &head)) <= 0) {
		index_policies(v);
		return rc;
	}
	if (walk_chain(&chain, &n, v->repo, &head, &v->main, CH_POLICY_REF, "P3") < 0) {
		add(&v->main, "P1", CH_POLICY_REF, &head, "the policy chain cannot be read to its "
		    "root: %s", ch_error_last());
		free_chain(chain, n);
		n = 0;
		chain = NULL;
	}
	v->pols = ch_calloc(n ? n : 1, sizeof(*v->pols));
	v->npols = n;
	for (i = 0; i < n; i++)
		git_oid_cpy(&v->pols[i].id, git_commit_id(chain[i]));
	if (n)
		git_oid_tostr(v->r->root, sizeof(v->r->root), &v->pols[0].id);
	for (i = 0; i < n; i++)
		verify_policy_commit(v, w, chain[i], i);
	note_anchor(v->r, v->opts);
	v->r->policy_commits = n;
	index_policies(v);
	free_chain(chain, n);
	return 0;
}

/* A git config tier that disagrees with the signed tier is a warning. */
static void check_config_tier(vctx *v)
{
	git_config *cfg = NULL;
	const char *tier;

	if (!v->tier || git_repository_config_snapshot(&cfg, v->repo) < 0)
		return;
	if (git_config_get_string(&tier, cfg, "chancery.tier") == 0 && strcmp(tier, v->tier))
		add(&v->main, "W", CH_POLICY_REF, NULL, "git config chancery.tier is '%s' but the "
		    "signed tier (policy/repository.json) is '%s'; the signed value counts", tier,
		    v->tier);
	git_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* Document chains                                                     */

typedef struct {
	vworker *w;
	const vctx *v;
	vdoc *doc;
	ch_docstate st;
	int replay_ok;
	ch_meta meta;          /* meta.json of meta_tree */
	git_oid meta_tree;
	int have_meta, meta_ok;
	int meta_new;          /* meta.json was read again at this commit */
	ch_meta first;         /* meta.json at create, for D12 */
	int have_first;
	git_oid tree;          /* the tree of the commit before */
	int have_tree;
	size_t prev_pol;       /* the newest policy named so far (index) */
	int have_prev_pol;
	const git_oid *cp_head;/* the checkpoint's head of this ref, or NULL */
	git_oid cp_buf;
	int d1;                /* a D1 finding was made on the current commit */
	int stamped;           /* a D6 stamp finding: the title is not shown */
	ch_report_step *steps; /* for the reports */
	size_t nsteps;
	uint64_t *pos;         /* positions in the logs held (ch_vlogs_doc), or NULL */
	size_t nchain, index;  /* the chain's length; the commit being checked */
} dctx;

static void dadd(dctx *d, const char *rule, const git_oid *id, const char *fmt, ...)
	CH_PRINTF(4, 5);

static void dadd(dctx *d, const char *rule, const git_oid *id, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(rule, "D1"))
		d->d1 = 1;
	va_start(ap, fmt);
	flist_vadd(&d->doc->found, rule, d->doc->ref, id, fmt, ap);
	va_end(ap);
}

/* "approves as le.van.c for tran.thi.b" */
static void step_desc(ch_buf *out, const ch_trailers *t)
{
	ch_buf_printf(out, "%s as %s", verb(t->action), t->actor);
	if (t->on_behalf[0])
		ch_buf_printf(out, " for %s", t->on_behalf);
}

/* D8: the five trailers, once each and well formed; a document step. */
static int doc_trailers(dctx *d, const git_commit *c, ch_trailers *t)
{
	const char *msg = git_commit_message_raw(c);

	if (ch_trailers_parse(t, msg, strlen(msg)) < 0) {
		dadd(d, "D8", git_commit_id(c), "trailers: %s", ch_error_last());
		return 0;
	}
	if (t->is_policy) {
		dadd(d, "D8", git_commit_id(c), "a policy commit (Chancery-Action: policy) in a "
		     "document chain");
		return 0;
	}
	return 1;
}

/* meta.json's blob, read only once its header says it is small: a hostile
 * repository must not make the verifier load a huge object. */
static int meta_blob(git_blob **out, git_repository *repo, const git_tree_entry *e)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t len = 0;
	int rc;

	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return ch_error_setc(CH_EINVALID, "meta.json: missing");
	rc = git_repository_odb(&odb, repo);
	if (rc == 0)
		rc = git_odb_read_header(&len, &type, odb, git_tree_entry_id(e));
	git_odb_free(odb);
	if (rc == 0 && len > META_MAX)
		return ch_error_setc(CH_EINVALID, "meta.json: larger than %d bytes", META_MAX);
	if (rc < 0 || git_blob_lookup(out, repo, git_tree_entry_id(e)) < 0)
		return ch_error_setc(CH_EIO, "meta.json cannot be read: %s", git_error_last()->message);
	return 0;
}

static int read_meta(ch_meta *out, git_repository *repo, const git_oid *tree_id)
{
	git_tree *tree = NULL;
	const git_tree_entry *e;
	git_blob *blob = NULL;
	int error;

	if (git_tree_lookup(&tree, repo, tree_id) < 0) {
		error = ch_error_setc(CH_EIO, "the tree cannot be read: %s", git_error_last()->message);
	} else if (!(e = git_tree_entry_byname(tree, "document.md")) ||
	           git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		error = ch_error_setc(CH_EINVALID, "the tree holds no document.md");
	} else if ((error = meta_blob(&blob, repo, git_tree_entry_byname(tree, "meta.json"))) == 0) {
		error = ch_meta_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	}
	git_blob_free(blob);
	git_tree_free(tree);
	return error;
}

static const char *fixed_value(const ch_meta *m, const char *field)
{
	const char *v = NULL;

	if (!strcmp(field, "version"))
		return m->version >= 2 ? "2" : "1";
	if (!strcmp(field, "id"))
		v = m->id;
	else if (!strcmp(field, "site"))
		v = m->site;
	else if (!strcmp(field, "unit"))
		v = m->unit;
	else if (!strcmp(field, "type"))
		v = m->type;
	else if (!strcmp(field, "workflow"))
		v = m->workflow;
	else if (!strcmp(field, "classification"))
		v = m->classification;
	return v ? v : "(none)";
}

/* meta.json is read again only when the tree changes: replaying a long
 * chain of approvals costs no blob reads. */
static void doc_meta(dctx *d, const git_commit *c)
{
	const git_oid *tid = git_commit_tree_id(c);

	if (d->have_meta && git_oid_equal(tid, &d->meta_tree))
		return;
	ch_meta_dispose(&d->meta);
	d->have_meta = 1;
	d->meta_new = 1;
	git_oid_cpy(&d->meta_tree, tid);
	d->meta_ok = read_meta(&d->meta, d->w->repo, tid) == 0;
	if (!d->meta_ok)
		dadd(d, "D8", git_commit_id(c), "%s", ch_error_last());
}

/* D11 and D12 where meta.json was read again: the chain is bound to the
 * document its ref names, at a site the policy knows (version 2), and the
 * fields fixed at create are unchanged (every version: no version-1 chain
 * Chancery wrote ever changed them, and the version itself is fixed). */
static void check_binding(dctx *d, const git_commit *c, const ch_trailers *t, const vpolicy *vp,
                          size_t index)
{
	const git_oid *id = git_commit_id(c);
	const char *field;

	if (!d->meta_ok || !d->meta_new)
		return;
	if (index == 0 || !d->have_first) {
		ch_meta_dispose(&d->first);
		ch_meta_copy(&d->first, &d->meta);
		d->have_first = 1;
	} else if ((field = ch_meta_fixed_change(&d->first, &d->meta))) {
		ch_buf who = CH_BUF_INIT;

		step_desc(&who, t);
		dadd(d, "D12", id, "%s changes meta.json's %s from '%s' to '%s': it is fixed when "
		     "the document is created", who.ptr, field, fixed_value(&d->first, field),
		     fixed_value(&d->meta, field));
		ch_buf_dispose(&who);
	}
	if (ch_meta_check_bound(&d->meta, d->doc->ref + 10, vp && vp->pol ? vp->pol : NULL) < 0)
		dadd(d, "D11", id, "%s", ch_error_last());
}

/* D5 (create is the root, and only the root) and D4 (the tree changes
 * only on create and revise). */
static void check_shape(dctx *d, const git_commit *c, const ch_trailers *t, size_t index)
{
	const git_oid *id = git_commit_id(c), *tree = git_commit_tree_id(c);
	int editing = !strcmp(t->action, "create") || !strcmp(t->action, "revise");
	char was[GIT_OID_HEXSZ + 1], now[GIT_OID_HEXSZ + 1];

	if (index == 0 && strcmp(t->action, "create"))
		dadd(d, "D5", id, "the root of the chain is a %s step, not a create", t->action);
	else if (index > 0 && !strcmp(t->action, "create"))
		dadd(d, "D5", id, "a create that is not the root of the chain");
	if (d->have_tree && !editing && !git_oid_equal(tree, &d->tree)) {
		ch_buf who = CH_BUF_INIT;

		step_desc(&who, t);
		dadd(d, "D4", id, "%s with tree %s, but its parent's tree is %s: only create and "
		     "revise may change the document, so what this step acts on is not what was "
		     "reviewed", who.ptr, git_oid_tostr(now, sizeof(now), tree),
		     git_oid_tostr(was, sizeof(was), &d->tree));
		ch_buf_dispose(&who);
	}
}

/* D6: the trailer agrees with meta.json; networked means unclassified. */
static void check_classification(dctx *d, const git_oid *id, const ch_trailers *t)
{
	if (strcmp(t->classification, d->meta.classification))
		dadd(d, "D6", id, "Chancery-Classification is %s but meta.json says %s",
		     t->classification, d->meta.classification);
	if (d->v->tier && !strcmp(d->v->tier, "networked") &&
	    strcmp(d->meta.classification, "unclassified"))
		dadd(d, "D6", id, "a %s document in a repository whose signed tier is networked",
		     d->meta.classification);
}

/* D6: on the networked tier nothing the commit adds carries a marking:
 * its message, headers, names and every blob it adds or changes, judged
 * as the doors judge them (ch_gate_judge_commit). The finding names the
 * place, never the content; unreadable attachments are D10's. */
static void check_stamps(dctx *d, const git_commit *c)
{
	git_tree *ptree = NULL;
	ch_gate_verdict gv;
	int rc;

	if (!d->v->tier || strcmp(d->v->tier, "networked"))
		return;
	if (d->have_tree && git_tree_lookup(&ptree, d->w->repo, &d->tree) < 0)
		ptree = NULL;
	rc = ch_gate_judge_commit(&gv, d->w->repo, NULL, c, ptree, CH_GATE_AUDIT);
	git_tree_free(ptree);
	if (rc < 0 || gv.r.level == CH_STAMP_NONE || !strcmp(gv.r.rule, "label"))
		return; /* an unreadable object is D8's, a label check_classification's */
	d->stamped = 1;
	if (gv.r.level == CH_STAMP_UNREADABLE)
		dadd(d, "D6", git_commit_id(c), "%s cannot be read by the stamp scanner (%s): the "
		     "networked tier holds only what it can judge", gv.where, gv.r.rule);
	else if (gv.r.level == CH_STAMP_DECLASSIFIED_NO_REF)
		dadd(d, "D6", git_commit_id(c), "%s is marked declassified without a decision "
		     "reference (rule %s)", gv.where, gv.r.rule);
	else
		dadd(d, "D6", git_commit_id(c), "%s carries a classification marking (%s, rule %s): "
		     "a networked repository holds unclassified material only", gv.where,
		     ch_stamp_level_name(gv.r.level), gv.r.rule);
}

/* D2: the policy named is a trusted commit of the chain, not older than
 * the newest one named before. NULL when it is not trusted. */
static const vpolicy *step_policy(dctx *d, const git_oid *id, const ch_trailers *t)
{
	const vpolicy *vp;
	git_oid pid;
	size_t idx;

	if (git_oid_fromstr(&pid, t->policy) < 0 || !(vp = find_policy(d->v, &pid, &idx))) {
		dadd(d, "D2", id, "names policy %s, which is not a commit of the policy chain "
		     "(%s)", t->policy, CH_POLICY_REF);
		return NULL;
	}
	if (!vp->trusted) {
		dadd(d, "D2", id, "names policy %s (policy commit %zu of %zu), which is not "
		     "trusted: it or a policy commit before it breaks a rule", t->policy, idx + 1,
		     d->v->npols);
		return NULL;
	}
	if (d->have_prev_pol && idx < d->prev_pol)
		dadd(d, "D2", id, "names policy %s (policy commit %zu), older than policy %s "
		     "(policy commit %zu) named by an earlier step: a downgrade", t->policy,
		     idx + 1, git_oid_tostr_s(&d->v->pols[d->prev_pol].id), d->prev_pol + 1);
	else
		d->prev_pol = idx;
	d->have_prev_pol = 1;
	return vp;
}

/* When the policy named cannot be used, D1 still says if it is unsigned. */
static void check_signed(dctx *d, const git_commit *c, const ch_trailers *t)
{
	git_buf sig = { 0 }, data = { 0 };
	ch_buf who = CH_BUF_INIT;

	if (git_commit_extract_signature(&sig, &data, d->w->repo, (git_oid *)git_commit_id(c),
	                                 NULL) == GIT_ENOTFOUND) {
		step_desc(&who, t);
		dadd(d, "D1", git_commit_id(c), "%s: the commit is not signed", who.ptr);
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	ch_buf_dispose(&who);
}

static int new_since_checkpoint(dctx *d, const git_oid *id)
{
	if (!d->cp_head)
		return 1; /* the checkpoint does not vouch for this document */
	if (git_oid_equal(id, d->cp_head))
		return 0;
	return git_graph_descendant_of(d->w->repo, d->cp_head, id) != 1;
}

static int key_file_changed(const ch_policy *a, const ch_policy *b, const char *person)
{
	ch_buf path = CH_BUF_INIT;
	const ch_buf *x, *y;
	int changed;

	ch_buf_printf(&path, "policy/keys/%s.asc", person);
	x = ch_fileset_get(&a->files, path.ptr);
	y = ch_fileset_get(&b->files, path.ptr);
	changed = !x || !y || x->size != y->size || memcmp(x->ptr, y->ptr, x->size);
	ch_buf_dispose(&path);
	return changed;
}

/* The first trusted policy after `vp` (up to the newest) in which the
 * step's actor or key no longer stands; the newest when none says so
 * plainly (a key file changed under the same fingerprint). */
static const vpolicy *revoking_policy(const dctx *d, const vpolicy *vp, const ch_trailers *t,
                                      const vsig *s)
{
	const vpolicy *nw = d->v->newest;
	size_t i;

	for (i = (size_t)(vp - d->v->pols) + 1; i < d->v->npols && &d->v->pols[i] <= nw; i++)
		if (d->v->pols[i].trusted && d->v->pols[i].pol &&
		    ch_vlog_revoked_in(d->v->pols[i].pol, t->actor, s->res.primary_fpr))
			return &d->v->pols[i];
	return nw;
}

/* D1 at a log position (docs/format.md "The site log"): when logs are
 * held, a step by a person or key revoked later is valid if a log shows it
 * before the entry recording the revoking policy, else a D1 finding. 0
 * when no log can judge it (the rule without logs applies). */
static int revoked_by_log(dctx *d, const git_commit *c, const ch_trailers *t, const vpolicy *vp,
                          const vsig *s, const char *why)
{
	const ch_vlogs *L = &d->v->logs;
	const git_oid *id = git_commit_id(c);
	ch_report_step *rs = &d->steps[d->nsteps - 1];
	const vpolicy *rv;
	const char *rwhy;
	ch_buf who = CH_BUF_INIT;
	ch_vlog_where w;
	int rc;

	if (!L->held || !L->n || !d->pos)
		return 0;
	rv = revoking_policy(d, vp, t, s);
	rc = ch_vlogs_before_revocation(L, d->w->repo, d->pos, d->nchain, d->index, &rv->id,
	                                rv->pol->site, &w);
	if (rc < 0)
		return 0; /* no log can order them: the rule without logs */
	if (rc == 1) {
		snprintf(rs->rev_log, sizeof(rs->rev_log), "%s", L->v[w.log].log.site);
		rs->rev_step_seq = w.step_seq;
		rs->rev_seq = w.rev_seq;
		return 1;
	}
	rwhy = ch_vlog_revoked_in(rv->pol, t->actor, s->res.primary_fpr);
	step_desc(&who, t);
	if (!w.step_seq)
		dadd(d, "D1", id, "%s, signed by key %s: %s %s in policy %s (site %s's log entry "
		     "%" PRIu64 "), and neither that log nor a log it witnessed before then records "
		     "the step", who.ptr, s->res.signer_fpr,
		     t->actor, rwhy ? rwhy : why, git_oid_tostr_s(&rv->id), L->v[w.log].log.site,
		     w.rev_seq);
	else
		dadd(d, "D1", id, "%s, signed by key %s: %s %s in policy %s, recorded at entry "
		     "%" PRIu64 " of site %s's log; that log records the step only later (entry "
		     "%" PRIu64 "), nor did it witness a log recording it before", who.ptr, s->res.signer_fpr,
		     t->actor, rwhy ? rwhy : why, git_oid_tostr_s(&rv->id), w.rev_seq,
		     L->v[w.log].log.site, w.step_seq);
	ch_buf_dispose(&who);
	return 1;
}

/* "Revocation and its limit": a step by a person revoked (or removed, or
 * whose key was revoked or replaced) in the newest policy is judged by the
 * logs when the repository holds them (revoked_by_log); without, it is a
 * warning, and with a checkpoint, such a step that is new since it is a D1
 * finding. */
static void check_revoked_newest(dctx *d, const git_commit *c, const ch_trailers *t,
                                 const vpolicy *vp, const vsig *s)
{
	const vpolicy *nw = d->v->newest;
	const git_oid *id = git_commit_id(c);
	const ch_person *p;
	const char *why;
	ch_buf who = CH_BUF_INIT;
	vsig o;

	if (!nw || nw == vp)
		return;
	if (!(p = ch_policy_person(nw->pol, t->actor)))
		why = "is no longer a person in the newest policy";
	else if (p->revoked)
		why = "is revoked in the newest policy";
	else if (ch_person_key_find(p, s->res.primary_fpr) &&
	         ch_person_key_find(p, s->res.primary_fpr)->revoked)
		why = "has this key revoked in the newest policy (the person is not)";
	else if (!key_file_changed(vp->pol, nw->pol, t->actor) ||
	         (verify_commit_sig(&o, d->w, id, nw, NULL) == SIG_OK &&
	          !strcmp(o.owner, t->actor)))
		return;
	else
		why = "no longer holds this key in the newest policy (revoked or replaced)";
	if (revoked_by_log(d, c, t, vp, s, why))
		return;
	step_desc(&who, t);
	if (d->v->checkpoint && new_since_checkpoint(d, id))
		dadd(d, "D1", id, "%s, signed by key %s: %s %s (policy %s), and the step is new "
		     "since the checkpoint", who.ptr, s->res.signer_fpr, t->actor, why,
		     git_oid_tostr_s(&nw->id));
	else
		dadd(d, "W", id, "%s, signed by key %s: %s %s (policy %s); the step names the "
		     "older policy %s, under which it was valid", who.ptr, s->res.signer_fpr,
		     t->actor, why, git_oid_tostr_s(&nw->id), t->policy);
	ch_buf_dispose(&who);
}

/* D1: signed, the signature good, the key the actor's in the policy the
 * step names, where the actor is not revoked. */
static void check_signer(dctx *d, const git_commit *c, const ch_trailers *t, const vpolicy *vp)
{
	const git_oid *id = git_commit_id(c);
	const vpolicy *nw = d->v->newest;
	const ch_person *p = NULL;
	ch_buf who = CH_BUF_INIT;
	vsig s, o;
	int st = verify_commit_sig(&s, d->w, id, vp, t->actor);

	step_desc(&who, t);
	if (st == SIG_NOKEY && nw && nw != vp && verify_commit_sig(&o, d->w, id, nw, NULL) == SIG_OK)
		dadd(d, "D1", id, "%s, signed by key %s of %s, which the policy it names (%s) "
		     "does not hold: only the later policy %s authorizes it", who.ptr,
		     o.res.signer_fpr, o.owner, t->policy, git_oid_tostr_s(&nw->id));
	else if (st == SIG_NOKEY)
		dadd(d, "D1", id, "%s, signed by key %s, which neither the policy it names (%s) "
		     "nor any later trusted policy holds", who.ptr,
		     s.issuer[0] ? s.issuer : "(unnamed)", t->policy);
	else if (st != SIG_OK)
		dadd(d, "D1", id, "%s: %s", who.ptr, s.why);
	else if (strcmp(s.owner, t->actor))
		dadd(d, "D1", id, "%s, signed by key %s which belongs to %s", who.ptr,
		     s.res.signer_fpr, s.owner);
	else if (!(p = ch_policy_person(vp->pol, t->actor)) || p->revoked)
		dadd(d, "D1", id, "%s, who is revoked in the policy the step names (%s)", who.ptr,
		     t->policy);
	else if (ch_policy_key_ok(vp->pol, p, s.res.primary_fpr) < 0)
		dadd(d, "D1", id, "%s, signed by key %s: %s (policy %s)", who.ptr,
		     s.res.signer_fpr, ch_error_last(), t->policy);
	else
		check_revoked_newest(d, c, t, vp, &s);
	if (st == SIG_OK && !strcmp(s.owner, t->actor) && p && d->nsteps) {
		const ch_person_key *k = ch_person_key_find(p, s.res.primary_fpr);
		ch_report_step *rs = &d->steps[d->nsteps - 1];

		snprintf(rs->key, sizeof(rs->key), "%s", s.res.primary_fpr);
		if (k)
			snprintf(rs->custody, sizeof(rs->custody), "%s", ch_custody_name(k->custody));
	}
	ch_buf_dispose(&who);
}

/* The facts of a D9 refusal: what the delegation lists, what the
 * principal holds, in the policy the step names. */
static void delegation_facts(ch_buf *out, const ch_policy *pol, const ch_trailers *t,
                             const char *policy)
{
	const ch_delegation *dl = ch_policy_delegation(pol, t->on_behalf, t->actor);
	const ch_person *p = ch_policy_person(pol, t->on_behalf);
	char *roles, *held;

	if (!t->on_behalf[0])
		return;
	if (!dl) {
		ch_buf_printf(out, " (policy %s)", policy);
		return;
	}
	roles = ch_strv_join(&dl->roles, ", ");
	held = p ? ch_strv_join(&p->roles, ", ") : ch_strdup("");
	ch_buf_printf(out, " (in policy %s the delegation lists: %s; %s holds: %s)", policy,
	              roles, t->on_behalf, p ? held : "nothing, not a person");
	free(roles);
	free(held);
}

/* D3, D7, D9: replay the step through the workflow engine. */
static void replay_step(dctx *d, const git_oid *id, const ch_trailers *t, const vpolicy *vp)
{
	const ch_workflow *wf = ch_policy_workflow(vp->pol, d->meta.workflow);
	ch_step step = { t->action, t->actor, t->on_behalf };
	ch_buf who = CH_BUF_INIT, facts = CH_BUF_INIT;
	const char *expect, *rule;
	char *state;

	if (!d->replay_ok)
		return;
	step_desc(&who, t);
	if (!wf) {
		dadd(d, "D3", id, "%s: workflow '%s' (meta.json) is not in the policy the step "
		     "names (%s)", who.ptr, d->meta.workflow, t->policy);
		d->replay_ok = 0;
		goto done;
	}
	expect = d->st.state ? d->st.state : wf->start;
	if (!d->st.final && strcmp(t->step, expect)) {
		dadd(d, "D3", id, "%s with Chancery-Step '%s', but the document was in '%s'",
		     who.ptr, t->step, expect);
		d->replay_ok = 0;
		goto done;
	}
	state = ch_strdup(expect);
	if (!strcmp(t->action, "create"))
		ch_docstate_set_unit(&d->st, d->meta.unit);
	if (ch_engine_apply(&d->st, wf, vp->pol, &step, &rule) < 0) {
		rule = rule ? rule : "D3";
		if (!strcmp(rule, "D9"))
			delegation_facts(&facts, vp->pol, t, t->policy);
		if (strcmp(rule, "D1") || !d->d1)
			dadd(d, rule, id, "%s in state '%s': %s%s", who.ptr, state, ch_error_last(),
			     facts.ptr);
		d->replay_ok = 0;
	}
	free(state);
done:
	ch_buf_dispose(&who);
	ch_buf_dispose(&facts);
}

/* ---- D10: attachments ---- */

typedef struct {
	git_tree *tree, *att, *patt; /* this step's tree, its attachments/, the parent's */
	ch_strv declared;
	size_t total;
} attctx;

static git_tree *att_dir(dctx *d, const git_commit *c, git_tree *tree)
{
	const git_tree_entry *e = git_tree_entry_byname(tree, "attachments");
	git_tree *att = NULL;

	if (!e)
		return NULL;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&att, d->w->repo, git_tree_entry_id(e)) < 0)
		dadd(d, "D10", git_commit_id(c), "attachments is not a directory of files");
	return att;
}

static size_t blob_size(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t len = (size_t)-1;

	if (git_repository_odb(&odb, repo) == 0 && git_odb_read_header(&len, &type, odb, id) < 0)
		len = (size_t)-1;
	git_odb_free(odb);
	return len;
}

/* One attachment of the step's tree; names are shown only when valid. */
static void check_one_attachment(dctx *d, const git_commit *c, const ch_trailers *t,
                                 const vpolicy *vp, attctx *a, const git_tree_entry *e)
{
	const char *name = git_tree_entry_name(e), *type;
	const git_oid *id = git_commit_id(c);
	const git_tree_entry *pe;
	git_blob *blob = NULL;
	ch_stamp_result r;
	size_t size;
	int changed, declared;

	if (!ch_attach_valid_name(name)) {
		dadd(d, "D10", id, "an attachment's name is not a valid attachment name (UTF-8 NFC, "
		     "at most %d bytes, no separators, leading dot or invisible characters)",
		     CH_ATTACH_MAX_NAME);
		return;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		dadd(d, "D10", id, "attachments/%s is not a file", name);
		return;
	}
	size = blob_size(d->w->repo, git_tree_entry_id(e));
	if (size == (size_t)-1 || size > CH_ATTACH_MAX_FILE) {
		dadd(d, "D10", id, "attachments/%s is larger than %u bytes (or unreadable)", name,
		     CH_ATTACH_MAX_FILE);
		return;
	}
	a->total += size;
	pe = a->patt ? git_tree_entry_byname(a->patt, name) : NULL;
	changed = !pe || !git_oid_equal(git_tree_entry_id(pe), git_tree_entry_id(e));
	declared = ch_strv_contains(&a->declared, name);
	if (!changed && !declared)
		return;
	if (git_blob_lookup(&blob, d->w->repo, git_tree_entry_id(e)) < 0 ||
	    ch_attach_scan(&r, git_blob_rawcontent(blob), size) < 0) {
		dadd(d, "D10", id, "attachments/%s cannot be read", name);
		goto done;
	}
	type = ch_attach_sniff(git_blob_rawcontent(blob), size);
	if (declared && !changed)
		dadd(d, "D10", id, "declares attachments/%s unclassified, but this step does not add "
		     "or change it", name);
	else if (declared && r.level != CH_STAMP_UNREADABLE)
		dadd(d, "D10", id, "declares attachments/%s unclassified, but the scanner reads it: "
		     "declarations are for files it cannot read", name);
	else if (declared && vp && vp->pol &&
	         !ch_policy_may_declare(vp->pol, ch_policy_person(vp->pol, t->actor), type))
		dadd(d, "D10", id, "declares attachments/%s (type %s) unclassified, but %s holds no "
		     "role that policy/attachments.json of policy %.12s allows to declare that type",
		     name, type, t->actor, t->policy);
	else if (!declared && r.level == CH_STAMP_UNREADABLE && d->v->tier &&
	         !strcmp(d->v->tier, "networked"))
		dadd(d, "D10", id, "adds attachments/%s, which the scanner cannot read (%s, type %s), "
		     "without a %s trailer: the networked tier takes it only as declared "
		     "unclassified by a person with that right", name, r.rule, type, CH_ATTACH_TRAILER);
done:
	git_blob_free(blob);
}

/* D10: on a create or revise, the attachments are well named and within
 * bounds, every file added that the scanner cannot read is declared
 * unclassified (networked tier), and every declaration is valid. */
static void check_attachments(dctx *d, const git_commit *c, const ch_trailers *t,
                              const vpolicy *vp)
{
	const char *msg = git_commit_message_raw(c);
	const git_oid *id = git_commit_id(c);
	git_tree *ptree = NULL;
	attctx a;
	size_t i, n;

	if (strcmp(t->action, "create") && strcmp(t->action, "revise"))
		return; /* D4 keeps their tree, and the trailer parser refuses declarations */
	memset(&a, 0, sizeof(a));
	if (ch_trailers_declared(&a.declared, msg, strlen(msg)) < 0)
		dadd(d, "D10", id, "%s", ch_error_last());
	if (git_tree_lookup(&a.tree, d->w->repo, git_commit_tree_id(c)) < 0)
		goto done;
	a.att = att_dir(d, c, a.tree);
	if (d->have_tree && strcmp(t->action, "create") &&
	    git_tree_lookup(&ptree, d->w->repo, &d->tree) == 0) {
		const git_tree_entry *pe = git_tree_entry_byname(ptree, "attachments");

		if (pe && git_tree_entry_type(pe) == GIT_OBJECT_TREE)
			git_tree_lookup(&a.patt, d->w->repo, git_tree_entry_id(pe));
	}
	n = a.att ? git_tree_entrycount(a.att) : 0;
	if (n > CH_ATTACH_MAX_COUNT)
		dadd(d, "D10", id, "%zu attachments; a document holds at most %d", n,
		     CH_ATTACH_MAX_COUNT);
	for (i = 0; i < n && i < 4 * CH_ATTACH_MAX_COUNT; i++)
		check_one_attachment(d, c, t, vp, &a, git_tree_entry_byindex(a.att, i));
	if (a.total > CH_ATTACH_MAX_TOTAL)
		dadd(d, "D10", id, "the attachments hold %zu bytes; at most %u in all", a.total,
		     CH_ATTACH_MAX_TOTAL);
	for (i = 0; i < a.declared.n; i++)
		if (!a.att || !git_tree_entry_byname(a.att, a.declared.v[i]))
			dadd(d, "D10", id, "declares attachments/%s unclassified, which the tree does not "
			     "hold", a.declared.v[i]);
done:
	ch_strv_free(&a.declared);
	git_tree_free(a.patt);
	git_tree_free(a.att);
	git_tree_free(ptree);
	git_tree_free(a.tree);
}

static void check_doc_commit(dctx *d, const git_commit *c, size_t index)
{
	const git_oid *id = git_commit_id(c);
	const vpolicy *vp;
	ch_trailers t;

	d->d1 = 0;
	d->meta_new = 0;
	d->steps = ch_realloc(d->steps, (d->nsteps + 1) * sizeof(*d->steps));
	memset(&d->steps[d->nsteps], 0, sizeof(*d->steps));
	git_oid_tostr(d->steps[d->nsteps].commit, sizeof(d->steps[0].commit), id);
	d->steps[d->nsteps].claimed = (int64_t)git_commit_committer(c)->when.time;
	d->nsteps++;
	d->index = index;
	if (!doc_trailers(d, c, &t)) {
		d->replay_ok = 0;
		goto done;
	}
	snprintf(d->steps[d->nsteps - 1].action, sizeof(d->steps[0].action), "%s", t.action);
	snprintf(d->steps[d->nsteps - 1].actor, sizeof(d->steps[0].actor), "%s", t.actor);
	doc_meta(d, c);
	check_shape(d, c, &t, index);
	if (d->meta_ok)
		check_classification(d, id, &t);
	check_stamps(d, c);
	vp = step_policy(d, id, &t);
	check_binding(d, c, &t, vp, index);
	check_attachments(d, c, &t, vp);
	if (!vp) {
		check_signed(d, c, &t);
		d->replay_ok = 0;
		goto done;
	}
	check_signer(d, c, &t, vp);
	if (d->meta_ok)
		replay_step(d, id, &t, vp);
	else
		d->replay_ok = 0;
done:
	git_oid_cpy(&d->tree, git_commit_tree_id(c));
	d->have_tree = 1;
}

static const git_oid *checkpoint_head(const vctx *v, const char *ref, git_oid *buf)
{
	const char *hex;

	if (!v->checkpoint)
		return NULL;
	hex = json_string_value(json_object_get(json_object_get(v->checkpoint, "refs"), ref));
	if (!hex || git_oid_fromstr(buf, hex) < 0)
		return NULL;
	return buf;
}

static void summarize(dctx *d, size_t n)
{
	ch_report_doc *s = &d->doc->sum;

	s->ref = ch_strdup(d->doc->ref);
	git_oid_tostr(s->head, sizeof(s->head), &d->doc->head);
	s->commits = n;
	s->findings = flist_count(&d->doc->found, 0);
	if (d->have_meta && d->meta_ok && git_oid_equal(&d->meta_tree, &d->tree) && !d->stamped)
		s->title = ch_strdup(d->meta.title);
	if (d->replay_ok && d->st.state)
		s->state = ch_strdup(d->st.state);
	s->steps = d->steps;
	s->nsteps = d->nsteps;
	d->steps = NULL;
}

/* D13 needs every commit a ref reaches: the first-parent chain, and what
 * the other parents of a merge (a D5 finding already) bring. */
static void record_commits(vdoc *doc, git_repository *repo, git_commit **chain, size_t n)
{
	git_revwalk *walk = NULL;
	size_t i, alloc = n ? n : 1;
	unsigned k;
	git_oid id;

	doc->commits = ch_calloc(alloc, sizeof(*doc->commits));
	for (i = 0; i < n; i++) {
		git_oid_cpy(&doc->commits[i], git_commit_id(chain[i]));
		for (k = 1; k < git_commit_parentcount(chain[i]); k++) {
			if (!walk && git_revwalk_new(&walk, repo) < 0)
				break;
			git_revwalk_push(walk, git_commit_parent_id(chain[i], k));
		}
	}
	doc->ncommits = n;
	while (walk && doc->ncommits < MAX_CHAIN && git_revwalk_next(&id, walk) == 0) {
		if (doc->ncommits == alloc) {
			alloc *= 2;
			doc->commits = ch_realloc(doc->commits, alloc * sizeof(*doc->commits));
		}
		git_oid_cpy(&doc->commits[doc->ncommits++], &id);
	}
	git_revwalk_free(walk);
}

/* The chain's positions in the logs held, and R5 on them. */
static void log_positions(dctx *d, git_commit **chain, size_t n)
{
	const ch_vlogs *L = &d->v->logs;

	if (!L->held || !L->n || !n)
		return;
	d->nchain = n;
	d->pos = ch_calloc(L->n * n, sizeof(*d->pos));
	ch_vlogs_doc(L, d->doc->ref, chain, n, d->pos, &d->doc->found);
}

/* R7: each step's bounds from the logs; a claimed time before the
 * earliest bound (by more than the skew allowed) is back-dated. */
static void time_bounds(dctx *d)
{
	const ch_vlogs *L = &d->v->logs;
	git_oid id;
	size_t i;

	if (!d->pos || d->nsteps != d->nchain)
		return;
	for (i = 0; i < d->nsteps; i++) {
		ch_report_step *rs = &d->steps[i];

		ch_vlogs_bounds(L, d->pos, d->nchain, i, &rs->earliest, &rs->latest);
		rs->seq = L->own ? d->pos[i] : 0;
		if (rs->earliest && rs->claimed < rs->earliest - CH_LOG_SKEW &&
		    git_oid_fromstr(&id, rs->commit) == 0)
			dadd(d, "R7", &id, "back-dated: %s by %s claims %s, but a peer witnessed the log "
			     "before the entry that first records it at %s (earliest; latest %s): more "
			     "than %d seconds earlier than any witness allows", rs->action[0] ?
			     rs->action : "the step", rs->actor[0] ? rs->actor : "?",
			     fmt_time(rs->claimed).s, fmt_time(rs->earliest).s, fmt_time(rs->latest).s,
			     CH_LOG_SKEW);
	}
}

static void verify_doc(vworker *w, vdoc *doc)
{
	git_commit **chain = NULL;
	size_t n = 0, i;
	dctx d;

	memset(&d, 0, sizeof(d));
	d.w = w;
	d.v = w->v;
	d.doc = doc;
	d.replay_ok = 1;
	d.cp_head = checkpoint_head(w->v, doc->ref, &d.cp_buf);
	if (walk_chain(&chain, &n, w->repo, &doc->head, &doc->found, doc->ref, "D5") < 0) {
		add(&doc->found, "D5", doc->ref, &doc->head, "the chain cannot be read to its "
		    "root: %s", ch_error_last());
		d.replay_ok = 0;
	} else {
		log_positions(&d, chain, n);
		for (i = 0; i < n; i++)
			check_doc_commit(&d, chain[i], i);
		time_bounds(&d);
	}
	free(d.pos);
	record_commits(doc, w->repo, chain, n);
	summarize(&d, n);
	free_chain(chain, n);
	ch_docstate_dispose(&d.st);
	ch_meta_dispose(&d.meta);
	ch_meta_dispose(&d.first);
}

/* ------------------------------------------------------------------ */
/* Worker threads                                                      */

static unsigned resolve_threads(const ch_verify_opts *o)
{
	const char *env = getenv("CHANCERY_THREADS");
	long n = (long)o->threads;

	if (n <= 0 && env && *env)
		n = strtol(env, NULL, 10);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/* libgcrypt 1.10 fills its table of field primes (mpi/ec.c,
 * field_table_mpis) lazily and without a lock the first time an EC
 * context is made. secp256k1 is the table's last entry, so one context
 * made here fills all of it before the workers start; verification then
 * only reads it. The policy chain's own verification has used the other
 * process-wide state (hash and public-key tables, set up at init). */
static void warm_up_gcrypt(void)
{
	static const char *const curves[] = { "secp256k1", "NIST P-521", "Ed25519" };
	gcry_ctx_t ctx;
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(curves); i++)
		if (gcry_mpi_ec_new(&ctx, NULL, curves[i]) == 0)
			gcry_ctx_release(ctx);
}

static void run_jobs(vworker *w)
{
	vctx *v = w->v;
	size_t i;

	while ((i = atomic_fetch_add(&v->next, 1)) < v->ndocs)
		verify_doc(w, &v->docs[i]);
}

static void *worker_main(void *arg)
{
	vworker *w = arg;

	/* Each thread opens its own handle on the same repository: a worker
	 * that cannot just leaves its share to the others. */
	if (git_repository_open_bare(&w->repo, w->v->r->repo_path) == 0) {
		w->own_repo = 1;
		run_jobs(w);
	}
	return NULL;
}

/* ws[0] is the calling thread's worker; the others are started here. */
static unsigned run_workers(vctx *v, vworker *ws, unsigned n)
{
	unsigned i, used = 1;

	for (i = 1; i < n; i++) {
		ws[i].v = v;
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) == 0) {
			ws[i].started = 1;
			used++;
		}
	}
	run_jobs(&ws[0]);
	for (i = 1; i < n; i++)
		if (ws[i].started)
			pthread_join(ws[i].thread, NULL);
	return used;
}

static void workers_dispose(vworker *ws, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (ws[i].own_repo)
			git_repository_free(ws[i].repo);
		free(ws[i].news);
	}
	free(ws);
}

/* ------------------------------------------------------------------ */
/* Refs and the checkpoint                                             */

static int read_checkpoint(vctx *v)
{
	ch_buf text = CH_BUF_INIT;
	json_t *refs;
	int error;

	if (!v->opts->checkpoint)
		return 0;
	error = ch_fs_read(&text, v->opts->checkpoint, CHECKPOINT_MAX);
	if (error == CH_ENOTFOUND) {
		ch_buf_dispose(&text);
		return 0; /* the first run writes it */
	}
	if (!error)
		error = ch_json_parse(&v->checkpoint, text.ptr, text.size, CHECKPOINT_MAX,
		                      v->opts->checkpoint);
	if (!error && (!json_is_object(refs = json_object_get(v->checkpoint, "refs")) ||
	               json_integer_value(json_object_get(v->checkpoint, "version")) != 1))
		error = ch_error_setc(CH_EINVALID, "%s: not a checkpoint file (version 1, refs)",
		                      v->opts->checkpoint);
	ch_buf_dispose(&text);
	return error;
}

static int in_scope(const vctx *v, const char *ref)
{
	return !v->opts->docs || !strcmp(ref, CH_POLICY_REF) || ch_vlog_is_log_ref(ref) ||
	       (!strncmp(ref, "refs/docs/", 10) && ch_strv_contains(v->opts->docs, ref + 10));
}

/* A document that the spill list names, once the list's signatures hold
 * (workflows/classify/spill.h), vanished on purpose: *state 0 unread, 1 verified,
 * -1 refused. */
static const ch_spill *spilled_doc(vctx *v, ch_spill_list *l, int *state, const char *ref)
{
	if (strncmp(ref, "refs/docs/", 10))
		return NULL;
	if (!*state)
		*state = ch_spill_verify(l, v->repo) == 0 ? 1 : -1;
	return *state > 0 ? ch_spill_find(l, ref + 10) : NULL;
}

/* C1: every ref the checkpoint names still exists, at or after the
 * commit recorded; a document spilled by a signed record is a warning. */
static void check_checkpoint(vctx *v)
{
	const char *ref;
	json_t *val;
	git_oid rec, cur;
	ch_spill_list spills;
	const ch_spill *sp;
	int sp_state = 0;

	memset(&spills, 0, sizeof(spills));
	if (!v->checkpoint)
		return;
	json_object_foreach(json_object_get(v->checkpoint, "refs"), ref, val) {
		if (!in_scope(v, ref))
			continue;
		if (!json_is_string(val) || !ch_valid_oid_hex(json_string_value(val)) ||
		    git_oid_fromstr(&rec, json_string_value(val)) < 0) {
			add(&v->main, "C1", ref, NULL, "the checkpoint's entry for this ref is malformed");
			continue;
		}
		if (git_reference_name_to_id(&cur, v->repo, ref) < 0 &&
		    (sp = spilled_doc(v, &spills, &sp_state, ref))) {
			add(&v->main, "W", ref, &rec, "the document vanished: spilled on %s by %s "
			    "(a signed record in %s)", sp->at, sp->by, CH_SPILLS_REF);
			continue;
		}
		if (git_reference_name_to_id(&cur, v->repo, ref) < 0) {
			add(&v->main, "C1", ref, &rec, "the ref recorded at this commit in the "
			    "checkpoint no longer exists (%s)", strncmp(ref, "refs/docs/", 10) ?
			    "the policy chain vanished" : "the document vanished");
			continue;
		}
		if (!git_oid_equal(&cur, &rec) && ch_vlog_is_log_ref(ref) &&
		    git_graph_descendant_of(v->repo, &cur, &rec) != 1)
			add(&v->main, "R6", ref, &cur, "fork: the log's head %s does not extend %s, the "
			    "head the checkpoint recorded: the log was rewritten", git_oid_tostr_s(&cur),
			    json_string_value(val));
		else if (!git_oid_equal(&cur, &rec) && git_graph_descendant_of(v->repo, &cur, &rec) != 1)
			add(&v->main, "C1", ref, &cur, "the ref was rewritten or rolled back: it now "
			    "points at this commit, which does not descend from %s recorded in the "
			    "checkpoint", json_string_value(val));
	}
	ch_spill_list_dispose(&spills);
}

static int write_checkpoint(vctx *v, json_t *heads)
{
	json_t *root;
	char *text;
	int error;

	if (!v->opts->checkpoint || v->r->nfindings)
		return 0;
	root = json_pack("{s:i, s:O}", "version", 1, "refs", heads);
	text = ch_json_dump(root);
	error = ch_fs_write_atomic(v->opts->checkpoint, text, strlen(text), 0644);
	free(text);
	json_decref(root);
	v->r->checkpoint_written = !error;
	return error;
}

static void push_doc(vctx *v, const char *name, const git_oid *head)
{
	vdoc *d;

	v->docs = ch_realloc(v->docs, (v->ndocs + 1) * sizeof(*v->docs));
	d = &v->docs[v->ndocs++];
	memset(d, 0, sizeof(*d));
	d->ref = ch_strdup(name);
	git_oid_cpy(&d->head, head);
}

static void push_other(vctx *v, const char *name, const git_oid *head)
{
	vdoc *d;

	v->others = ch_realloc(v->others, (v->nothers + 1) * sizeof(*v->others));
	d = &v->others[v->nothers++];
	memset(d, 0, sizeof(*d));
	d->ref = ch_strdup(name);
	git_oid_cpy(&d->head, head);
}

static void other_ref(vctx *v, const git_reference *ref)
{
	ch_buf b = CH_BUF_INIT;

	if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC)
		ch_buf_printf(&b, "%s -> %s", git_reference_name(ref),
		              git_reference_symbolic_target(ref));
	else
		ch_buf_puts(&b, git_reference_name(ref));
	ch_strv_push(&v->r->other_refs, b.ptr);
	ch_buf_dispose(&b);
}

/* Sort one ref into the policy chain, a document chain, or the others. */
static void classify_ref(vctx *v, const git_reference *ref, json_t *heads)
{
	const char *name = git_reference_name(ref);
	git_oid id;

	if (!strcmp(name, CH_POLICY_REF) || (v->logs.held && ch_vlog_is_log_ref(name))) {
		if (git_reference_name_to_id(&id, v->repo, name) == 0)
			json_object_set_new(heads, name, json_string(git_oid_tostr_s(&id)));
	} else if (strncmp(name, "refs/docs/", 10)) {
		other_ref(v, ref);
	} else if (v->opts->hide && ch_strv_contains(v->opts->hide, name + 10)) {
		return;
	} else if (!in_scope(v, name)) {
		if (git_reference_type(ref) != GIT_REFERENCE_SYMBOLIC && ch_valid_doc_id(name + 10))
			push_other(v, name, git_reference_target(ref));
		return;
	} else if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC) {
		add(&v->main, "D8", name, NULL, "a symbolic ref (to %s), not a document chain",
		    git_reference_symbolic_target(ref));
	} else if (!ch_valid_doc_id(name + 10)) {
		add(&v->main, "D8", name, NULL, "'%s' is not a valid document id", name + 10);
	} else {
		push_doc(v, name, git_reference_target(ref));
		json_object_set_new(heads, name, json_string(git_oid_tostr_s(git_reference_target(ref))));
	}
}

static int cmp_doc(const void *a, const void *b)
{
	return strcmp(((const vdoc *)a)->ref, ((const vdoc *)b)->ref);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_refs(vctx *v, json_t *heads)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t i;
	int rc;

	if (git_reference_iterator_new(&it, v->repo) < 0)
		return ch_error_setc(CH_EIO, "cannot list refs: %s", git_error_last()->message);
	while ((rc = git_reference_next(&ref, it)) == 0) {
		classify_ref(v, ref, heads);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER)
		return ch_error_setc(CH_EIO, "cannot list refs: %s", git_error_last()->message);
	if (v->ndocs)
		qsort(v->docs, v->ndocs, sizeof(*v->docs), cmp_doc);
	if (v->r->other_refs.n)
		qsort(v->r->other_refs.v, v->r->other_refs.n, sizeof(char *), cmp_str);
	for (i = 0; v->opts->docs && i < v->opts->docs->n; i++) {
		ch_buf name = CH_BUF_INIT;

		ch_buf_printf(&name, "refs/docs/%s", v->opts->docs->v[i]);
		if (!json_object_get(heads, name.ptr))
			add(&v->main, "D8", name.ptr, NULL, "no such document");
		ch_buf_dispose(&name);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* D13: a commit belongs to one document                               */

typedef struct {
	git_oid id;
	size_t owner; /* into docs, then others */
	size_t pos;   /* in the owner's chain, root first */
} vowned;

typedef struct {
	size_t a, b;  /* owners, a < b */
	size_t pos;   /* the newest shared commit, in b's chain */
	git_oid id;
	size_t shared;
} vpair;

static int cmp_owned(const void *x, const void *y)
{
	const vowned *a = x, *b = y;
	int c = git_oid_cmp(&a->id, &b->id);

	if (c)
		return c;
	return a->owner < b->owner ? -1 : a->owner > b->owner;
}

static int cmp_pair(const void *x, const void *y)
{
	const vpair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return a->pos > b->pos ? -1 : a->pos < b->pos;
}

static vdoc *owner_doc(vctx *v, size_t i)
{
	return i < v->ndocs ? &v->docs[i] : &v->others[i - v->ndocs];
}

/* Refs outside --doc are walked here, in the calling thread. */
static void walk_others(vctx *v)
{
	git_commit **chain;
	flist ignore = { NULL, 0 };
	size_t i, n;

	for (i = 0; i < v->nothers; i++) {
		chain = NULL;
		n = 0;
		walk_chain(&chain, &n, v->repo, &v->others[i].head, &ignore, v->others[i].ref, "D5");
		record_commits(&v->others[i], v->repo, chain, n);
		free_chain(chain, n);
	}
	flist_dispose(&ignore);
	ch_error_clear();
}

static void report_pair(vctx *v, const vpair *p)
{
	vdoc *a = owner_doc(v, p->a), *b = owner_doc(v, p->b);
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), &p->id);
	if (p->a < v->ndocs)
		add(&a->found, "D13", a->ref, &p->id, "this chain shares %zu commit%s with %s (the "
		    "newest: %s): a commit belongs to one document, so one of the two chains was "
		    "replayed under another document's ref", p->shared, p->shared == 1 ? "" : "s",
		    b->ref, hex);
	if (p->b < v->ndocs)
		add(&b->found, "D13", b->ref, &p->id, "this chain shares %zu commit%s with %s (the "
		    "newest: %s): a commit belongs to one document, so one of the two chains was "
		    "replayed under another document's ref", p->shared, p->shared == 1 ? "" : "s",
		    a->ref, hex);
}

/* Every commit of every document ref, sorted by id; a commit held by two
 * refs pairs the first holder with each later one (linear in the refs,
 * however many share a root); one finding per pair and ref. */
static void check_shared_commits(vctx *v)
{
	vowned *all;
	vpair *pairs = NULL;
	size_t total = 0, n = 0, npairs = 0, alloc = 0, i, j, k, owners = v->ndocs + v->nothers;

	if (!v->ndocs)
		return;
	walk_others(v);
	for (i = 0; i < owners; i++)
		total += owner_doc(v, i)->ncommits;
	all = ch_calloc(total ? total : 1, sizeof(*all));
	for (i = 0; i < owners; i++) {
		vdoc *d = owner_doc(v, i);

		for (j = 0; j < d->ncommits; j++) {
			git_oid_cpy(&all[n].id, &d->commits[j]);
			all[n].owner = i;
			all[n++].pos = j;
		}
	}
	qsort(all, n, sizeof(*all), cmp_owned);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && git_oid_equal(&all[j].id, &all[i].id); j++)
			;
		for (k = i + 1; k < j; k++) {
			if (all[k].owner == all[k - 1].owner)
				continue; /* a merge reached it twice within one ref */
			if (all[i].owner >= v->ndocs && all[k].owner >= v->ndocs)
				continue; /* neither is judged in this run */
			if (npairs == alloc) {
				alloc = alloc ? 2 * alloc : 16;
				pairs = ch_realloc(pairs, alloc * sizeof(*pairs));
			}
			pairs[npairs].a = all[i].owner;
			pairs[npairs].b = all[k].owner;
			pairs[npairs].pos = all[k].pos;
			pairs[npairs].shared = 1;
			git_oid_cpy(&pairs[npairs++].id, &all[i].id);
		}
	}
	free(all);
	if (npairs)
		qsort(pairs, npairs, sizeof(*pairs), cmp_pair);
	for (i = 0; i < npairs; i = j) {
		for (j = i + 1; j < npairs && pairs[j].a == pairs[i].a && pairs[j].b == pairs[i].b; j++)
			;
		pairs[i].shared = j - i;
		report_pair(v, &pairs[i]);
	}
	free(pairs);
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

typedef struct {
	ch_finding f;
	size_t seq;
} seq_finding;

static int ref_group(const char *ref)
{
	if (!strcmp(ref, CH_POLICY_REF))
		return 0;
	return strncmp(ref, "refs/docs/", 10) ? 2 : 1;
}

static int cmp_finding(const void *a, const void *b)
{
	const seq_finding *x = a, *y = b;
	int gx = ref_group(x->f.ref), gy = ref_group(y->f.ref), c;

	if (gx != gy)
		return gx - gy;
	if ((c = strcmp(x->f.ref, y->f.ref)))
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void take(seq_finding *all, size_t *n, flist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		all[*n].f = l->v[i];
		all[*n].seq = *n;
		(*n)++;
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Stable order whatever the threads did: the policy chain, then each
 * document by ref name (its chain in order, then its ref-level and
 * checkpoint findings), then other refs. */
static void merge_findings(vctx *v)
{
	ch_report *r = v->r;
	seq_finding *all;
	size_t total = v->main.n, n = 0, i;

	for (i = 0; i < v->ndocs; i++)
		total += v->docs[i].found.n;
	all = ch_calloc(total ? total : 1, sizeof(*all));
	for (i = 0; i < v->ndocs; i++)
		take(all, &n, &v->docs[i].found);
	take(all, &n, &v->main);
	qsort(all, n, sizeof(*all), cmp_finding);
	r->v = ch_calloc(n ? n : 1, sizeof(*r->v));
	for (i = 0; i < n; i++) {
		r->v[i] = all[i].f;
		if (r->v[i].warning)
			r->nwarnings++;
		else
			r->nfindings++;
	}
	r->n = n;
	free(all);
}

static void count_custody(ch_report *r, const ch_report_doc *d)
{
	ch_custody c;
	size_t i;

	for (i = 0; i < d->nsteps; i++) {
		if (d->steps[i].custody[0] && ch_custody_parse(&c, d->steps[i].custody) == 0)
			r->by_custody[c]++;
		else
			r->by_unknown++;
	}
}

static void collect_docs(vctx *v)
{
	ch_report *r = v->r;
	size_t i;

	r->doclist = ch_calloc(v->ndocs ? v->ndocs : 1, sizeof(*r->doclist));
	for (i = 0; i < v->ndocs; i++) {
		r->doclist[i] = v->docs[i].sum;
		memset(&v->docs[i].sum, 0, sizeof(v->docs[i].sum));
		r->doc_commits += r->doclist[i].commits;
		count_custody(r, &r->doclist[i]);
	}
	r->ndoclist = r->docs = v->ndocs;
}

static void vctx_dispose(vctx *v)
{
	size_t i;

	for (i = 0; i < v->nothers; i++) {
		free(v->others[i].ref);
		free(v->others[i].commits);
	}
	free(v->others);
	for (i = 0; i < v->ndocs; i++) {
		free(v->docs[i].ref);
		free(v->docs[i].commits);
		flist_dispose(&v->docs[i].found);
		free(v->docs[i].sum.ref);
		free(v->docs[i].sum.title);
		free(v->docs[i].sum.state);
	}
	free(v->docs);
	flist_dispose(&v->main);
	json_decref(v->checkpoint);
	for (i = 0; i < v->npols; i++)
		ch_policy_free(v->pols[i].pol);
	free(v->pols);
	free(v->byid);
	ch_buf_dispose(&v->intro_repo);
	cache_free(v->cache);
	ch_vlogs_dispose(&v->logs);
}

/* The site logs held (R2-R4, R6), unless the caller's repository is not a
 * site's (the quarantine). */
static void open_logs(vctx *v)
{
	ch_report *r = v->r;

	if (v->opts->no_log)
		return;
	ch_vlogs_open(&v->logs, v->repo, v->newest ? v->newest->pol : NULL, &v->main);
	r->log_held = v->logs.held;
	if (v->logs.own) {
		snprintf(r->log_site, sizeof(r->log_site), "%s", v->logs.v[0].log.site);
		r->log_entries = v->logs.v[0].log.n;
	}
	r->peer_logs = v->logs.n - (size_t)v->logs.own;
}

static int check_opts(const ch_verify_opts *o)
{
	size_t i;

	if ((o->introduction != NULL) != (o->introducer != NULL))
		return ch_error_setc(CH_EINVALID, "--introduction and --introducer go together: the "
		                     "trust anchor is the introduction and its signer");
	if ((o->introduction && !ch_valid_oid_hex(o->introduction)) ||
	    (o->introducer && !ch_valid_fpr(o->introducer)))
		return ch_error_setc(CH_EINVALID, "the introduction is a 40-hex commit id, the "
		                     "introducer a 40-hex upper-case fingerprint");
	for (i = 0; o->docs && i < o->docs->n; i++)
		if (!ch_valid_doc_id(o->docs->v[i]))
			return ch_error_setc(CH_EINVALID, "'%.80s' is not a valid document id",
			                     o->docs->v[i]);
	return 0;
}

int ch_verify(ch_report *out, git_repository *repo, const ch_verify_opts *opts)
{
	json_t *heads = json_object();
	vworker *ws = NULL;
	unsigned nw = 1;
	vctx v;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	v.repo = repo;
	v.opts = opts;
	v.r = out;
	atomic_init(&v.next, 0);
	out->repo_path = ch_strdup(git_repository_path(repo));
	if ((error = check_opts(opts)) < 0 || (error = ch_crypto_init()) < 0 ||
	    (error = read_checkpoint(&v)) < 0)
		goto done;
	if (opts->cache_dir)
		cache_open(&v, opts->cache_dir);
	ws = ch_calloc(MAX_THREADS, sizeof(*ws));
	ws[0].v = &v;
	ws[0].repo = repo;
	if ((error = verify_policy_chain(&v, &ws[0])) < 0)
		goto done;
	open_logs(&v);
	if ((error = list_refs(&v, heads)) < 0)
		goto done;
	check_config_tier(&v);
	if (v.logs.held)
		ch_vlogs_heads(&v.logs, v.repo, !opts->docs, &v.main);
	nw = resolve_threads(opts);
	if (nw > v.ndocs)
		nw = v.ndocs ? (unsigned)v.ndocs : 1;
	warm_up_gcrypt();
	out->threads = run_workers(&v, ws, nw);
	check_shared_commits(&v);
	check_checkpoint(&v);
	merge_findings(&v);
	collect_docs(&v);
	cache_save(&v, ws, nw);
	error = write_checkpoint(&v, heads);
done:
	if (ws)
		workers_dispose(ws, nw);
	json_decref(heads);
	vctx_dispose(&v);
	return error;
}

/* ------------------------------------------------------------------ */
/* Reports: text                                                       */

/* One sentence on the introduction and the trust anchor: what was given,
 * what was checked, what was found. */
static void anchor_summary(ch_buf *out, const ch_report *r)
{
	if (!r->anchor_given) {
		ch_buf_printf(out, "introduction %s", r->root[0] ? r->root : "none found");
		if (r->root_signer[0])
			ch_buf_printf(out, ", signed by %s", r->root_signer);
		ch_buf_puts(out, " (trusted as found: no trust anchor was given)");
		return;
	}
	if (r->anchored) {
		ch_buf_printf(out, "introduction %s, signed by %s: matches the trust anchor given",
		              r->root, r->root_signer);
		return;
	}
	ch_buf_printf(out, "introduction %s DOES NOT match the trust anchor given (introduction "
	              "%s, introducer %s): ", r->root[0] ? r->root : "none found",
	              r->anchor_introduction, r->anchor_introducer);
	if (strcmp(r->root, r->anchor_introduction))
		ch_buf_puts(out, "the root of the policy chain is another commit");
	else if (r->root_signer[0])
		ch_buf_printf(out, "it is signed by %s", r->root_signer);
	else
		ch_buf_puts(out, "its signature could not be tied to a policy-admin's key");
	ch_buf_puts(out, "; nothing in this repository is anchored (finding P1)");
}

/* R7: "  time: claimed ..., earliest ..., latest ..., log entry N". */
static void text_bounds(ch_buf *out, const ch_report_step *s)
{
	ch_buf_printf(out, "  time: claimed %s, earliest %s%s, latest %s", fmt_time(s->claimed).s,
	              fmt_time(s->earliest).s, s->earliest ? "" : " (no witnessed log entry "
	              "before the one recording it)", s->latest ? fmt_time(s->latest).s :
	              "unknown (no log records it)");
	if (s->seq)
		ch_buf_printf(out, ", log entry %" PRIu64, s->seq);
	ch_buf_putc(out, '\n');
	if (s->rev_log[0] && s->rev_seq)
		ch_buf_printf(out, "  accepted at entry %" PRIu64 " of site %s's log, before the "
		              "revocation at entry %" PRIu64 ": valid\n", s->rev_step_seq, s->rev_log,
		              s->rev_seq);
	else if (s->rev_log[0])
		ch_buf_printf(out, "  accepted at entry %" PRIu64 " of site %s's log, which records "
		              "no revocation: valid\n", s->rev_step_seq, s->rev_log);
}

/* One line on the logs held. */
static void text_logs(ch_buf *out, const ch_report *r)
{
	if (!r->log_held) {
		ch_buf_puts(out, "site log: none held (R2-R7 not checked)\n");
		return;
	}
	if (r->log_site[0])
		ch_buf_printf(out, "site log: site %s, %" PRIu64 " entries", r->log_site,
		              r->log_entries);
	else
		ch_buf_puts(out, "site log: held but not usable (see its finding)");
	ch_buf_printf(out, "; %zu peer log%s checked\n", r->peer_logs, r->peer_logs == 1 ? "" : "s");
}

/* Every step, with the custody of the key that signed it, then the
 * counts: an auditor sees at once how many steps a server-held key
 * signed (the server could have made those itself). */
static void text_steps(ch_buf *out, const ch_report *r)
{
	size_t i, j;

	for (i = 0; i < r->ndoclist; i++)
		for (j = 0; j < r->doclist[i].nsteps; j++) {
			const ch_report_step *s = &r->doclist[i].steps[j];

			ch_buf_printf(out, "step %s commit %s: %s by %s, key %s, custody %s\n",
			              r->doclist[i].ref, s->commit, s->action[0] ? s->action : "?",
			              s->actor[0] ? s->actor : "?", s->key[0] ? s->key : "(none)",
			              s->custody[0] ? s->custody : "unknown");
			if (r->log_held)
				text_bounds(out, s);
		}
	ch_buf_printf(out, "custody: %zu steps signed by server-held keys, %zu by browser keys, "
	              "%zu by token keys, %zu without a good signature by a listed key\n",
	              r->by_custody[CH_CUSTODY_SERVER], r->by_custody[CH_CUSTODY_BROWSER],
	              r->by_custody[CH_CUSTODY_TOKEN], r->by_unknown);
}

void ch_report_text(ch_buf *out, const ch_report *r)
{
	size_t i;

	if (r->root[0] || r->anchor_given) {
		anchor_summary(out, r);
		ch_buf_putc(out, '\n');
	}
	for (i = 0; i < r->n; i++) {
		const ch_finding *f = &r->v[i];

		ch_buf_printf(out, "%s %s %s%s%s: %s\n", f->warning ? "warning" : "FINDING",
		              f->warning ? "--" : f->rule, f->ref, f->commit[0] ? " commit " : "",
		              f->commit, f->message);
	}
	for (i = 0; i < r->other_refs.n; i++)
		ch_buf_printf(out, "not a chain, not judged: %s\n", r->other_refs.v[i]);
	text_logs(out, r);
	text_steps(out, r);
	if (r->cache_hits || r->cache_stored)
		ch_buf_printf(out, "cache: %zu signatures taken from it, %zu added\n", r->cache_hits,
		              r->cache_stored);
	ch_buf_printf(out, "%zu policy commits, %zu documents, %zu document commits: "
	              "%zu findings, %zu warnings%s\n", r->policy_commits, r->docs, r->doc_commits,
	              r->nfindings, r->nwarnings, r->checkpoint_written ? "; checkpoint written" : "");
}

/* ------------------------------------------------------------------ */
/* Reports: JSON                                                       */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *int_or_null(int64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

/* R7's bounds (null: unknown), the own log's entry, and a later
 * revocation the logs put after the step. */
static json_t *step_log_json(const ch_report_step *s)
{
	json_t *o = json_pack("{s:o, s:o, s:o}", "earliest", int_or_null(s->earliest), "latest",
	                      int_or_null(s->latest), "log_seq", int_or_null((int64_t)s->seq));

	if (s->rev_log[0])
		json_object_set_new(o, "before_revocation",
		                    json_pack("{s:s, s:I, s:o}", "log", s->rev_log, "step_seq",
		                              (json_int_t)s->rev_step_seq, "revocation_seq",
		                              int_or_null((int64_t)s->rev_seq)));
	return o;
}

static json_t *doclist_json(const ch_report *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->ndoclist; i++) {
		const ch_report_doc *d = &r->doclist[i];
		json_t *steps = json_array();
		size_t j;

		for (j = 0; j < d->nsteps; j++) {
			const ch_report_step *s = &d->steps[j];

			json_t *js = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I}", "commit", s->commit,
			                       "action", s->action, "actor", s->actor, "key",
			                       s->key[0] ? json_string(s->key) : json_null(), "custody",
			                       s->custody[0] ? json_string(s->custody) : json_null(),
			                       "claimed", (json_int_t)s->claimed);

			if (r->log_held)
				json_object_update_new(js, step_log_json(s));
			json_array_append_new(steps, js);
		}
		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:s, s:I, s:I, s:o}", "ref", d->ref,
		                                   "title", str_or_null(d->title), "state",
		                                   str_or_null(d->state), "head", d->head, "commits",
		                                   (json_int_t)d->commits, "findings",
		                                   (json_int_t)d->findings, "steps", steps));
	}
	return a;
}

/* {"given":false} or {"given":true,"introduction":...,"introducer":...,
 * "matches":...,"root_matches":...,"signer":...}: the anchor given and what
 * was found. */
static json_t *anchor_json(const ch_report *r)
{
	if (!r->anchor_given)
		return json_pack("{s:b}", "given", 0);
	return json_pack("{s:b, s:s, s:s, s:b, s:b, s:o}", "given", 1, "introduction",
	                 r->anchor_introduction, "introducer", r->anchor_introducer, "matches",
	                 r->anchored, "root_matches", !strcmp(r->root, r->anchor_introduction),
	                 "signer", r->root_signer[0] ? json_string(r->root_signer) : json_null());
}

void ch_report_json(ch_buf *out, const ch_report *r)
{
	json_t *o = json_object(), *f = json_array(), *w = json_array(), *other = json_array();
	char *text;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const ch_finding *e = &r->v[i];
		json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "rule", e->warning ? "warning" : e->rule,
		                      "ref", e->ref, "commit", e->commit, "message", e->message);

		json_array_append_new(e->warning ? w : f, j);
	}
	for (i = 0; i < r->other_refs.n; i++)
		json_array_append_new(other, json_string(r->other_refs.v[i]));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "ok", json_boolean(r->nfindings == 0));
	json_object_set_new(o, "introduction", json_string(r->root));
	json_object_set_new(o, "anchored", json_boolean(r->anchored));
	json_object_set_new(o, "anchor", anchor_json(r));
	json_object_set_new(o, "tier", str_or_null(r->tier));
	json_object_set_new(o, "policy_commits", json_integer((json_int_t)r->policy_commits));
	json_object_set_new(o, "documents", json_integer((json_int_t)r->docs));
	json_object_set_new(o, "document_commits", json_integer((json_int_t)r->doc_commits));
	json_object_set_new(o, "findings", f);
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "other_refs", other);
	json_object_set_new(o, "document_list", doclist_json(r));
	json_object_set_new(o, "custody", json_pack("{s:I, s:I, s:I, s:I}", "server",
	                                            (json_int_t)r->by_custody[CH_CUSTODY_SERVER],
	                                            "browser",
	                                            (json_int_t)r->by_custody[CH_CUSTODY_BROWSER],
	                                            "token",
	                                            (json_int_t)r->by_custody[CH_CUSTODY_TOKEN],
	                                            "unknown", (json_int_t)r->by_unknown));
	json_object_set_new(o, "checkpoint_written", json_boolean(r->checkpoint_written));
	json_object_set_new(o, "site_log", r->log_held ?
	                    json_pack("{s:o, s:I, s:I}", "site", r->log_site[0] ?
	                              json_string(r->log_site) : json_null(), "entries",
	                              (json_int_t)r->log_entries, "peer_logs",
	                              (json_int_t)r->peer_logs) : json_null());
	json_object_set_new(o, "cache", json_pack("{s:I, s:I, s:o}", "hits",
	                                          (json_int_t)r->cache_hits, "stored",
	                                          (json_int_t)r->cache_stored, "note",
	                                          str_or_null(r->cache_note)));
	text = ch_json_dump(o);
	ch_buf_puts(out, text);
	free(text);
	json_decref(o);
}

/* ------------------------------------------------------------------ */
/* Reports: HTML                                                       */

static const char *const rule_text[][2] = {
	{ "P1", "The first policy commit is the introduction: a root commit signed by a "
	        "policy-admin of its own people.json (and, given the trust anchor, that one)." },
	{ "P2", "Every later policy commit is signed by a policy-admin, not revoked, of its "
	        "parent's policy, who is its Chancery-Actor." },
	{ "P3", "A policy commit has exactly one parent: no merges." },
	{ "P4", "repository.json never changes after the introduction." },
	{ "P5", "Every policy names at least one policy-admin who is not revoked." },
	{ "P6", "Every policy file parses and follows its schema; policy commits carry only "
	        "their two trailers." },
	{ "D1", "Each step is signed, the signature is good, and the key is one listed for its "
	        "Chancery-Actor in the policy the step names, neither the key nor the person "
	        "revoked there, of a custody that policy allows (settings.json); when site "
	        "logs are held, a step by a person or key revoked later is valid only if a log "
	        "records it before the revocation." },
	{ "D2", "The policy a step names is a trusted commit of the policy chain, not older "
	        "than the one named before (no downgrade)." },
	{ "D3", "Replaying the workflow, the action is allowed for the actor's roles in that "
	        "state, the actor's scope (or the principal's) reaches the document's unit, and "
	        "Chancery-Step names the state." },
	{ "D4", "Only create and revise change the tree: what was approved is byte for byte "
	        "what was reviewed." },
	{ "D5", "create is a root commit; every other step has exactly one parent." },
	{ "D6", "The classification trailer equals meta.json's; a networked repository holds "
	        "unclassified documents only." },
	{ "D7", "Once a document is published, rejected or withdrawn, nothing more." },
	{ "D8", "All trailers are present, once each, well formed; meta.json follows its "
	        "schema; the ref is a valid document id." },
	{ "D9", "A step on behalf of someone needs a delegation standing in the policy it "
	        "names, and acts only with the roles it lists." },
	{ "D10", "Attachments are well named and within bounds; a file the stamp scanner cannot "
	         "read enters the networked tier only declared unclassified (trailer "
	         "Chancery-Declared-Unclassified) by a person whose role policy/attachments.json "
	         "allows for its type, on the step that adds it." },
	{ "D11", "A version-2 meta.json names the document id of the ref that holds the chain, "
	         "and a site of the policy (or the repository's own)." },
	{ "D12", "id, site, unit, type, workflow and classification (and meta.json's version) "
	         "never change after create." },
	{ "D13", "A commit belongs to one document: no commit is reachable from two document "
	         "refs." },
	{ "C1", "Every ref the checkpoint names still exists, at or after the recorded "
	        "commit." },
	{ "R2", "Site log shape: every entry parses, seq 1, 2, 3, ... with one parent each, one "
	        "site, the tree exactly site.asc and the same in every entry." },
	{ "R3", "Every site log entry is signed by the key of its site.asc (and the log_key "
	        "sites.json names for the site, when it names one)." },
	{ "R4", "Site log times never go back, and each entry's committer time is its log "
	        "time." },
	{ "R5", "Hidden history: every document head, kept conflict, the policy head and the "
	        "spill list head is recorded in the site's own log, and each log records a "
	        "chain's commits going forward." },
	{ "R6", "Fork: every head of a site's log that a peer witnessed, or a checkpoint "
	        "recorded, is the head held here or one of its ancestors." },
	{ "R7", "Time bounds: no step claims to be older (by more than 300 seconds) than the "
	        "last witnessed log head before the entry that first records it." },
};

static void html_esc(ch_buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': ch_buf_puts(out, "&amp;"); break;
		case '<': ch_buf_puts(out, "&lt;"); break;
		case '>': ch_buf_puts(out, "&gt;"); break;
		case '"': ch_buf_puts(out, "&quot;"); break;
		case '\'': ch_buf_puts(out, "&#39;"); break;
		default: ch_buf_putc(out, *s); break;
		}
	}
}

/* <tag>escaped text</tag> */
static void html_el(ch_buf *out, const char *tag, const char *text)
{
	ch_buf_printf(out, "<%s>", tag);
	html_esc(out, text);
	ch_buf_printf(out, "</%.*s>", (int)strcspn(tag, " "), tag);
}

static const char html_style[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:80em;color:#222;"
	"padding:0 1em}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}"
	"th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}"
	"th{background:#f3f3f3}td.id,code{font-family:ui-monospace,monospace;font-size:.9em;"
	"word-break:break-all}"
	".verdict{padding:.7em 1em;font-weight:bold;border-radius:4px}"
	".ok{background:#e3f4e1;border:1px solid #5a5}.bad{background:#fbe4e4;border:1px solid #c55}"
	"tr.finding td.rule{color:#a00;font-weight:bold}tr.warning td.rule{color:#a60}"
	"table.facts th{width:14em}tr.custody-server td.custody{color:#a60;font-weight:bold}"
	"tr.custody-browser td.custody,tr.custody-token td.custody{color:#262}footer{margin-top:3em;color:#666;font-size:.9em}";

static void html_head(ch_buf *out, const ch_report *r)
{
	ch_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	            "style-src 'unsafe-inline'\">\n<title>Chancery verification report: ");
	html_esc(out, r->repo_path);
	ch_buf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n"
	              "<h1>Chancery verification report</h1>\n", html_style);
	ch_buf_printf(out, "<p class=\"verdict %s\">", r->nfindings ? "bad" : "ok");
	if (r->nfindings)
		ch_buf_printf(out, "%zu finding%s: the repository breaks the rules below.",
		              r->nfindings, r->nfindings == 1 ? "" : "s");
	else
		ch_buf_puts(out, "Every rule holds.");
	ch_buf_puts(out, "</p>\n");
}

static void html_fact(ch_buf *out, const char *name, const char *value)
{
	ch_buf_puts(out, "<tr>");
	html_el(out, "th", name);
	html_el(out, "td", value);
	ch_buf_puts(out, "</tr>\n");
}

static void html_facts(ch_buf *out, const ch_report *r)
{
	ch_buf b = CH_BUF_INIT;
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	ch_buf_puts(out, "<table class=\"facts\">\n");
	html_fact(out, "Repository", r->repo_path);
	anchor_summary(&b, r);
	html_fact(out, r->anchor_given && !r->anchored ? "Introduction (NOT ANCHORED)" :
	          "Introduction", b.ptr);
	html_fact(out, "Signed tier", r->tier ? r->tier : "unknown");
	ch_buf_clear(&b);
	ch_buf_printf(&b, "%zu policy commits, %zu documents, %zu document commits",
	              r->policy_commits, r->docs, r->doc_commits);
	html_fact(out, "Verified", b.ptr);
	ch_buf_clear(&b);
	ch_buf_printf(&b, "%zu findings, %zu warnings", r->nfindings, r->nwarnings);
	html_fact(out, "Result", b.ptr);
	ch_buf_clear(&b);
	ch_buf_printf(&b, "%zu steps signed by keys the server held, %zu by browser keys, %zu by "
	              "token keys, %zu without a good signature by a listed key",
	              r->by_custody[CH_CUSTODY_SERVER], r->by_custody[CH_CUSTODY_BROWSER],
	              r->by_custody[CH_CUSTODY_TOKEN], r->by_unknown);
	html_fact(out, "Custody of signing keys", b.ptr);
	html_fact(out, "Checkpoint", r->checkpoint_written ? "written" : "not written");
	html_fact(out, "Generated", when);
	ch_buf_puts(out, "</table>\n");
	ch_buf_dispose(&b);
}

static void html_findings(ch_buf *out, const ch_report *r, int warnings)
{
	size_t i, n = warnings ? r->nwarnings : r->nfindings;

	ch_buf_printf(out, "<h2>%s (%zu)</h2>\n", warnings ? "Warnings" : "Findings", n);
	if (!n) {
		ch_buf_puts(out, "<p>None.</p>\n");
		return;
	}
	ch_buf_puts(out, "<table>\n<tr><th>Rule</th><th>Chain</th><th>Commit</th>"
	            "<th>Facts</th></tr>\n");
	for (i = 0; i < r->n; i++) {
		const ch_finding *f = &r->v[i];

		if (f->warning != warnings)
			continue;
		ch_buf_printf(out, "<tr class=\"%s\">", warnings ? "warning" : "finding");
		html_el(out, "td class=\"rule\"", warnings ? "warning" : f->rule);
		html_el(out, "td class=\"id\"", f->ref);
		html_el(out, "td class=\"id\"", f->commit);
		html_el(out, "td", f->message);
		ch_buf_puts(out, "</tr>\n");
	}
	ch_buf_puts(out, "</table>\n");
}

static void html_docs(ch_buf *out, const ch_report *r)
{
	char n[32];
	size_t i;

	ch_buf_printf(out, "<h2>Documents (%zu)</h2>\n", r->ndoclist);
	if (!r->ndoclist)
		return;
	ch_buf_puts(out, "<table>\n<tr><th>Document</th><th>Title</th><th>State</th>"
	            "<th>Steps</th><th>Findings</th><th>Head</th></tr>\n");
	for (i = 0; i < r->ndoclist; i++) {
		const ch_report_doc *d = &r->doclist[i];

		ch_buf_printf(out, "<tr%s>", d->findings ? " class=\"finding\"" : "");
		html_el(out, "td class=\"id\"", d->ref + 10);
		html_el(out, "td", d->title ? d->title : "(meta.json unreadable)");
		html_el(out, "td", d->state ? d->state : "(replay stopped)");
		snprintf(n, sizeof(n), "%zu", d->commits);
		html_el(out, "td", n);
		snprintf(n, sizeof(n), "%zu", d->findings);
		html_el(out, "td class=\"rule\"", n);
		html_el(out, "td class=\"id\"", d->head);
		ch_buf_puts(out, "</tr>\n");
	}
	ch_buf_puts(out, "</table>\n");
}

static void html_tail(ch_buf *out, const ch_report *r)
{
	size_t i;

	ch_buf_printf(out, "<h2>Other refs (%zu)</h2>\n", r->other_refs.n);
	ch_buf_puts(out, "<p>Not document chains: listed, not judged.</p>\n<ul>\n");
	for (i = 0; i < r->other_refs.n; i++)
		html_el(out, "li", r->other_refs.v[i]);
	ch_buf_puts(out, "</ul>\n<h2>Rules</h2>\n<table>\n");
	for (i = 0; i < CH_ARRAY_SIZE(rule_text); i++) {
		ch_buf_puts(out, "<tr>");
		html_el(out, "th", rule_text[i][0]);
		html_el(out, "td", rule_text[i][1]);
		ch_buf_puts(out, "</tr>\n");
	}
	ch_buf_puts(out, "</table>\n<footer>Written by chancery verify, which reads nothing but "
	            "the repository: keys come from its signed policy chain. DESIGN.md states "
	            "the rules in full.</footer>\n</body>\n</html>\n");
}

/* Every step of every document, with the custody of its signing key. */
static void html_steps(ch_buf *out, const ch_report *r)
{
	size_t i, j;

	ch_buf_puts(out, "<h2>Steps and the custody of their keys</h2>\n<p>browser: a key the "
	            "official's browser made and cannot export; token: a key on the official's "
	            "token; server: a key the site held (the site could have signed it).</p>\n");
	ch_buf_puts(out, "<table>\n<tr><th>Document</th><th>Commit</th><th>Action</th>"
	            "<th>Actor</th><th>Key</th><th>Custody</th>");
	if (r->log_held)
		ch_buf_puts(out, "<th>Claimed time</th><th>Earliest (log)</th><th>Latest (log)</th>");
	ch_buf_puts(out, "</tr>\n");
	for (i = 0; i < r->ndoclist; i++)
		for (j = 0; j < r->doclist[i].nsteps; j++) {
			const ch_report_step *s = &r->doclist[i].steps[j];

			ch_buf_printf(out, "<tr class=\"custody-%s\">", s->custody[0] ? s->custody :
			              "unknown");
			html_el(out, "td class=\"id\"", r->doclist[i].ref + 10);
			html_el(out, "td class=\"id\"", s->commit);
			html_el(out, "td", s->action);
			html_el(out, "td", s->actor);
			html_el(out, "td class=\"id\"", s->key[0] ? s->key : "(none)");
			html_el(out, "td class=\"custody\"", s->custody[0] ? s->custody : "unknown");
			if (r->log_held) {
				html_el(out, "td", fmt_time(s->claimed).s);
				html_el(out, "td", fmt_time(s->earliest).s);
				html_el(out, "td", fmt_time(s->latest).s);
			}
			ch_buf_puts(out, "</tr>\n");
		}
	ch_buf_puts(out, "</table>\n");
}

void ch_report_html(ch_buf *out, const ch_report *r)
{
	html_head(out, r);
	html_facts(out, r);
	html_findings(out, r, 0);
	html_findings(out, r, 1);
	html_docs(out, r);
	html_steps(out, r);
	html_tail(out, r);
}
