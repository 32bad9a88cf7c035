/* quarantine.c -- received objects are verified before they enter the site
 * (quarantine.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>

#include "crypto/crypto.h"
#include "workflows/doc.h"
#include "workflows/classify/gate.h"
#include "workflows/json.h"
#include "workflows/oidset.h"
#include "workflows/sync/quarantine.h"
#include "workflows/sitelog.h"
#include "util/failpoint.h"
#include "workflows/classify/spill.h"
#include "workflows/trailers.h"
#include "workflows/verify/verify.h"
#include "workflows/sync/logsync.h"
#include "workflows/sync/peerview.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define Q_MAX_NEW_COMMITS 200000  /* commits new to the site in one apply */
#define Q_MAX_TREE_DEPTH 8
#define Q_PEERS_MAX (16u * 1024 * 1024)

struct ch_quarantine {
	ch_site *site;
	char *path;         /* the quarantine's git directory */
	char *peer;
	const char *door;
	git_repository *repo;
	size_t pack_bytes;
	size_t objects;
	git_oid *bases;     /* objects a thin pack's deltas took from the site */
	size_t nbases;
};

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return ch_error_setc(code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* ------------------------------------------------------------------ */
/* Opening and closing                                                 */

/* Quarantines left by a crash: removed once older than an hour. */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	ch_buf p = CH_BUF_INIT;
	time_t now = time(NULL);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ch_buf_clear(&p);
		ch_buf_printf(&p, "%s/%s", dir, e->d_name);
		if (lstat(p.ptr, &st) == 0 && S_ISDIR(st.st_mode) &&
		    now - st.st_mtime > CH_Q_STALE_SECONDS)
			ch_fs_remove_tree(p.ptr);
	}
	if (d)
		closedir(d);
	ch_buf_dispose(&p);
}

static int write_alternates(ch_quarantine *q)
{
	ch_buf dir = CH_BUF_INIT, line = CH_BUF_INIT;
	char *objects = NULL;
	int error;

	ch_buf_printf(&dir, "%s/objects", q->site->repo_path);
	if (!(objects = realpath(dir.ptr, NULL))) {
		error = ch_error_setc(CH_EIO, "%s: %s", dir.ptr, strerror(errno));
		goto done;
	}
	ch_buf_clear(&dir);
	ch_buf_printf(&dir, "%s/objects/info", q->path);
	if ((error = ch_fs_mkdir_p(dir.ptr, 0700)) < 0)
		goto done;
	ch_buf_puts(&dir, "/alternates");
	ch_buf_printf(&line, "%s\n", objects);
	error = ch_fs_write_atomic(dir.ptr, line.ptr, line.size, 0600);
done:
	free(objects);
	ch_buf_dispose(&dir);
	ch_buf_dispose(&line);
	return error;
}

int ch_quarantine_open(ch_quarantine **out, ch_site *site, const char *peer_site,
                       const char *door)
{
	ch_quarantine *q = NULL;
	ch_buf dir = CH_BUF_INIT;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int error = 0;

	*out = NULL;
	if (!peer_site || !ch_valid_name(peer_site) || !door)
		return ch_error_setc(CH_EINVALID, "a quarantine needs a valid peer site id and door");
	ch_buf_printf(&dir, "%s/state/quarantine", site->path);
	if ((error = ch_fs_mkdir_p(dir.ptr, 0700)) < 0)
		goto done;
	remove_stale(dir.ptr);
	ch_buf_putc(&dir, '/');
	if ((error = ch_random_hex(&dir, 16)) < 0)
		goto done;
	q = ch_calloc(1, sizeof(*q));
	q->site = site;
	q->peer = ch_strdup(peer_site);
	q->door = door;
	q->path = ch_strdup(dir.ptr);
	if (mkdir(q->path, 0700) < 0) {
		error = ch_error_setc(CH_EIO, "%s: %s", q->path, strerror(errno));
		goto done;
	}
	if (git_repository_init(&repo, q->path, 1) < 0) {
		error = git_fail(CH_EIO, "cannot create the quarantine repository");
		goto done;
	}
	if (git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_string(cfg, "chancery.tier", site->tier) < 0) {
		error = git_fail(CH_EIO, "cannot configure the quarantine repository");
		goto done;
	}
	if ((error = write_alternates(q)) < 0)
		goto done;
	*out = q;
	q = NULL;
done:
	git_config_free(cfg);
	git_repository_free(repo);
	ch_quarantine_free(q);
	ch_buf_dispose(&dir);
	return error;
}

const char *ch_quarantine_path(const ch_quarantine *q)
{
	return q->path;
}

void ch_quarantine_free(ch_quarantine *q)
{
	if (!q)
		return;
	git_repository_free(q->repo);
	if (q->path)
		ch_fs_remove_tree(q->path);
	free(q->path);
	free(q->peer);
	free(q->bases);
	free(q);
}

/* The quarantine repository, opened (again) so it sees every pack. */
static int q_repo(git_repository **out, ch_quarantine *q)
{
	git_odb *odb = NULL;

	if (!q->repo && git_repository_open_bare(&q->repo, q->path) < 0)
		return git_fail(CH_EIO, "cannot open the quarantine repository");
	if (git_repository_odb(&odb, q->repo) == 0) {
		git_odb_refresh(odb);
		git_odb_free(odb);
	}
	*out = q->repo;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Receiving a pack                                                    */

static int index_progress(const git_indexer_progress *stats, void *payload)
{
	(void)payload;
	/* Stops a pack whose header claims more objects than we take. */
	return stats->total_objects > CH_Q_MAX_OBJECTS ? -1 : 0;
}

static unsigned long be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 |
	       (unsigned long)p[3];
}

/* The objects git_indexer appended to complete a thin pack: it writes the
 * delta bases it took from the site after the received objects, so in the
 * pack's index (version 2) they are the entries at or past the received
 * pack's end (its 20-byte trailer is dropped). Need to know judges them
 * (check_thin_bases): a delta on a hidden file would otherwise rebuild
 * that file in the quarantine. */
static int thin_bases(ch_quarantine *q, const char *dir, const char *name, size_t len)
{
	ch_buf path = CH_BUF_INIT, idx = CH_BUF_INIT;
	const unsigned char *p, *shas, *offs, *large;
	unsigned long n, i;
	uint64_t off;
	int error;

	ch_buf_printf(&path, "%s/pack-%s.idx", dir, name);
	if ((error = ch_fs_read(&idx, path.ptr, 256u * 1024 * 1024)) < 0)
		goto done;
	p = (const unsigned char *)idx.ptr;
	if (idx.size < 8 + 1024 || memcmp(p, "\377tOc", 4) || be32(p + 4) != 2) {
		error = ch_error_setc(CH_EIO, "the quarantine's pack index is not version 2");
		goto done;
	}
	n = be32(p + 8 + 255 * 4);
	if (idx.size < 8 + 1024 + (size_t)n * 28) {
		error = ch_error_setc(CH_EIO, "the quarantine's pack index is truncated");
		goto done;
	}
	shas = p + 8 + 1024;
	offs = shas + (size_t)n * 24; /* after the names and the CRCs */
	large = offs + (size_t)n * 4;
	for (i = 0; i < n; i++) {
		off = be32(offs + 4 * i);
		if (off & 0x80000000u) {
			size_t k = (size_t)(off & 0x7fffffffu);

			if ((size_t)(large - p) + 8 * (k + 1) > idx.size) {
				error = ch_error_setc(CH_EIO, "the quarantine's pack index is truncated");
				goto done;
			}
			off = (uint64_t)be32(large + 8 * k) << 32 | be32(large + 8 * k + 4);
		}
		if (off + 20 >= len) {
			q->bases = ch_realloc(q->bases, (q->nbases + 1) * sizeof(*q->bases));
			git_oid_fromraw(&q->bases[q->nbases++], shas + 20 * i);
		}
	}
done:
	ch_buf_dispose(&path);
	ch_buf_dispose(&idx);
	return error;
}

int ch_quarantine_add_pack(ch_quarantine *q, const void *pack, size_t len)
{
	const unsigned char *p = pack;
	git_indexer_options opts;
	git_indexer_progress stats;
	git_indexer *idx = NULL;
	git_repository *repo;
	git_odb *odb = NULL;
	ch_buf dir = CH_BUF_INIT;
	unsigned long count;
	int error = 0;

	if (len == 0)
		return 0;
	if (len > CH_Q_MAX_PACK || q->pack_bytes + len > CH_Q_MAX_PACK)
		return ch_error_setc(CH_EINVALID, "packs larger than %u bytes are refused",
		                     CH_Q_MAX_PACK);
	if (len < 12 + 20 || memcmp(p, "PACK", 4) || (be32(p + 4) != 2 && be32(p + 4) != 3))
		return ch_error_setc(CH_EINVALID, "not a git pack (version 2 or 3)");
	count = be32(p + 8);
	if (count > CH_Q_MAX_OBJECTS || q->objects + count > CH_Q_MAX_OBJECTS || count > len)
		return ch_error_setc(CH_EINVALID, "a pack of more than %u objects, or claiming "
		                     "more objects than it has bytes", CH_Q_MAX_OBJECTS);
	if ((error = q_repo(&repo, q)) < 0)
		return error;
	if (git_repository_odb(&odb, repo) < 0) {
		error = git_fail(CH_EIO, "cannot open the quarantine's objects");
		goto done;
	}
	git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION);
	opts.progress_cb = index_progress;
	/* No opts.verify: libgit2 1.5's connectivity check leaks every parsed
	 * object that the odb already has (a thin pack's bases, a file the site
	 * holds). Connectivity is checked by check_new_commits instead: every
	 * commit, tree and file new to the site is read there, and a missing
	 * one refuses the update. */
	opts.verify = 0;
	ch_buf_printf(&dir, "%s/objects/pack", q->path);
	/* odb: the bases of a thin pack's deltas come from the site */
	if (git_indexer_new(&idx, dir.ptr, 0, odb, &opts) < 0 ||
	    git_indexer_append(idx, pack, len, &stats) < 0 || git_indexer_commit(idx, &stats) < 0) {
		error = git_fail(CH_EINVALID, "the pack was refused");
		goto done;
	}
	q->pack_bytes += len;
	q->objects += count;
	if (stats.local_objects > 0 &&
	    (error = thin_bases(q, dir.ptr, git_indexer_name(idx), len)) < 0)
		goto done;
	git_odb_refresh(odb);
done:
	git_indexer_free(idx);
	git_odb_free(odb);
	ch_buf_dispose(&dir);
	return error;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

void ch_qresults_free(ch_qresult *r, size_t n)
{
	size_t i;

	for (i = 0; r && i < n; i++)
		free(r[i].message);
	free(r);
}

const char *ch_qstatus_name(ch_qstatus s)
{
	switch (s) {
	case CH_Q_ACCEPTED: return "accepted";
	case CH_Q_UNCHANGED: return "unchanged";
	case CH_Q_AHEAD: return "ahead";
	case CH_Q_CONFLICT: return "conflict";
	case CH_Q_REFUSED: return "refused";
	}
	return "?";
}

static void set_msg(ch_qresult *r, const char *fmt, ...) CH_PRINTF(2, 3);
static void set_msg(ch_qresult *r, const char *fmt, ...)
{
	ch_buf b = CH_BUF_INIT;
	va_list ap;
	char *p;

	va_start(ap, fmt);
	ch_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	/* one line: it goes into a report-status line */
	for (p = b.ptr; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	free(r->message);
	r->message = ch_buf_detach(&b);
}

static void set_status(ch_qresult *r, ch_qstatus s, const git_oid *commit, const char *what)
{
	r->status = s;
	r->rule[0] = '\0';
	if (commit)
		git_oid_tostr(r->commit, sizeof(r->commit), commit);
	set_msg(r, "%s", what);
}

/* REFUSED: "<rule> commit <id>: <why>" (or "<rule>: <why>" without a commit). */
static void refuse(ch_qresult *r, const char *rule, const git_oid *commit, const char *fmt, ...)
	CH_PRINTF(4, 5);
static void refuse(ch_qresult *r, const char *rule, const git_oid *commit, const char *fmt, ...)
{
	ch_buf why = CH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ch_buf_vprintf(&why, fmt, ap);
	va_end(ap);
	r->status = CH_Q_REFUSED;
	snprintf(r->rule, sizeof(r->rule), "%s", rule);
	r->commit[0] = '\0';
	if (commit)
		git_oid_tostr(r->commit, sizeof(r->commit), commit);
	if (commit)
		set_msg(r, "%s commit %s: %s", rule, r->commit, why.ptr);
	else
		set_msg(r, "%s: %s", rule, why.ptr);
	ch_buf_dispose(&why);
}

/* ------------------------------------------------------------------ */
/* What we remember of each peer: SITE/state/peers/<peer>.json          */
/*   {"version":1,"site":"<peer>","refs":{"<ref>":"<40 hex>",...}}       */

static void peers_path(ch_buf *out, const ch_quarantine *q, const char *ext)
{
	ch_buf_printf(out, "%s/state/peers/%s.%s", q->site->path, q->peer, ext);
}

static int peers_lock(int *fd, const ch_quarantine *q)
{
	ch_buf p = CH_BUF_INIT;
	int error = 0;

	ch_buf_printf(&p, "%s/state/peers", q->site->path);
	if ((error = ch_fs_mkdir_p(p.ptr, 0700)) < 0)
		goto done;
	ch_buf_clear(&p);
	peers_path(&p, q, "lock");
	if ((*fd = open(p.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(*fd, LOCK_EX) < 0)
		error = ch_error_setc(CH_EIO, "%s: %s", p.ptr, strerror(errno));
done:
	ch_buf_dispose(&p);
	return error;
}

static int peers_load(json_t **out, const ch_quarantine *q)
{
	ch_buf p = CH_BUF_INIT, text = CH_BUF_INIT;
	json_t *root = NULL, *refs;
	int error;

	*out = NULL;
	peers_path(&p, q, "json");
	error = ch_fs_read(&text, p.ptr, Q_PEERS_MAX);
	if (error == CH_ENOTFOUND) {
		*out = json_object();
		error = 0;
		goto done;
	}
	if (error < 0 || (error = ch_json_parse(&root, text.ptr, text.size, Q_PEERS_MAX,
	                                        p.ptr)) < 0)
		goto done;
	refs = json_object_get(root, "refs");
	if (!json_is_object(refs)) {
		error = ch_error_setc(CH_EINVALID, "%s: no \"refs\" object", p.ptr);
		goto done;
	}
	*out = json_incref(refs);
done:
	json_decref(root);
	ch_buf_dispose(&p);
	ch_buf_dispose(&text);
	return error;
}

static int peers_save(const ch_quarantine *q, json_t *refs)
{
	ch_buf p = CH_BUF_INIT;
	json_t *root = json_pack("{s:i, s:s, s:O}", "version", 1, "site", q->peer, "refs", refs);
	char *text = ch_json_dump(root);
	int error;

	peers_path(&p, q, "json");
	error = ch_fs_write_atomic(p.ptr, text, strlen(text), 0600);
	free(text);
	json_decref(root);
	ch_buf_dispose(&p);
	return error;
}

static int seen_head(git_oid *out, json_t *refs, const char *ref)
{
	const char *hex = json_string_value(json_object_get(refs, ref));

	return hex && ch_valid_oid_hex(hex) && git_oid_fromstr(out, hex) == 0;
}

/* ------------------------------------------------------------------ */
/* Judging                                                             */

typedef enum { K_NONE, K_FORWARD, K_DIVERGED } kind;

typedef struct {
	const ch_qupdate *u;
	ch_qresult *r;
	int is_policy, has_local, judged;
	kind k;
	git_oid local;
	char target[300]; /* the ref that moves: R, or refs/conflicts/<peer>/docs/<id> */
} item;

typedef struct {
	ch_quarantine *q;
	git_repository *repo;   /* the quarantine */
	git_odb *site_odb;
	const ch_policy *pol;   /* the site's policy as it will stand */
	ch_policy *pol_owned;   /* when that is a policy still in quarantine */
	git_oid policy_head;
	unsigned flags;
	const ch_view *view;    /* a push: what the peer may see (CH_VIEW_OBJECTS) */
	git_odb *sent_odb;      /* a push: the received packs alone, no alternates */
	ch_logsync_cache *logs; /* the site logs D1 at a log position reads */
} judge;

static int descends(git_repository *repo, const git_oid *a, const git_oid *b)
{
	return git_oid_equal(a, b) || git_graph_descendant_of(repo, a, b) == 1;
}

static int zero_oid(const git_oid *id)
{
	return git_oid_is_zero(id);
}

/* Shape, compare-and-swap, rollback, and where N stands against L. */
static void judge_shape(judge *j, item *it, const ch_view *view, json_t *seen, item *all,
                        size_t idx)
{
	const ch_qupdate *u = it->u;
	git_commit *c = NULL;
	git_oid s;
	size_t k;

	it->is_policy = !strcmp(u->ref, CH_POLICY_REF);
	if (!it->is_policy && (strncmp(u->ref, "refs/docs/", 10) || !ch_valid_doc_id(u->ref + 10))) {
		refuse(it->r, "REF", NULL, "only refs/heads/policy and refs/docs/<id> are accepted");
		return;
	}
	for (k = 0; k < idx; k++)
		if (!strcmp(all[k].u->ref, u->ref)) {
			refuse(it->r, "REF", NULL, "the same ref twice in one transfer");
			return;
		}
	if (zero_oid(&u->new_id)) {
		refuse(it->r, "REF", NULL, "deleting a ref is never accepted from a peer");
		return;
	}
	if (git_commit_lookup(&c, j->repo, &u->new_id) < 0) {
		refuse(it->r, "REF", &u->new_id, "not a commit that the transfer brought");
		return;
	}
	git_commit_free(c);
	it->has_local = git_reference_name_to_id(&it->local, j->q->site->repo, u->ref) == 0;
	/* Need to know, before anything tells whether the ref exists here. */
	if (!it->is_policy && (j->flags & CH_Q_CHECK_OLD) && it->has_local &&
	    !ch_view_find(view, u->ref)) {
		refuse(it->r, "N", &u->new_id, "not a document this site shares with %s", j->q->peer);
		return;
	}
	if ((j->flags & CH_Q_CHECK_OLD) &&
	    (zero_oid(&u->old_id) ? it->has_local :
	     !it->has_local || !git_oid_equal(&u->old_id, &it->local))) {
		refuse(it->r, "CAS", NULL, "the ref moved here since it was read; fetch and push again");
		return;
	}
	if (seen_head(&s, seen, u->ref) && !descends(j->repo, &u->new_id, &s)) {
		refuse(it->r, "R1", &u->new_id, "a rollback or freeze: this does not descend from %s, "
		       "which %s sent before", git_oid_tostr_s(&s), j->q->peer);
		ch_gate_event(j->q->site, j->q->door, j->q->peer, "R1", "rollback");
		return;
	}
	if (it->has_local && git_oid_equal(&it->local, &u->new_id)) {
		set_status(it->r, CH_Q_UNCHANGED, &u->new_id, "unchanged");
		it->judged = 1;
	} else if (it->has_local && descends(j->repo, &it->local, &u->new_id)) {
		set_status(it->r, CH_Q_AHEAD, &u->new_id, "this site is ahead: it already has "
		           "these steps and more; nothing moved");
		it->judged = 1;
	} else if (!it->has_local || descends(j->repo, &u->new_id, &it->local)) {
		it->k = K_FORWARD;
		snprintf(it->target, sizeof(it->target), "%s", u->ref);
	} else if (it->is_policy) {
		refuse(it->r, "P3", &u->new_id, "the policy chain diverged from this site's (%s): a "
		       "policy fork is never merged", git_oid_tostr_s(&it->local));
		ch_gate_event(j->q->site, j->q->door, j->q->peer, "P3", "policy fork");
	} else {
		it->k = K_DIVERGED;
		snprintf(it->target, sizeof(it->target), "refs/conflicts/%s/docs/%s", j->q->peer,
		         u->ref + 10);
	}
}

/* Every entry of a tree new to the site is a file or a directory, nested
 * at most Q_MAX_TREE_DEPTH deep (its bytes are judged by gate_commit). */
static int gate_tree(judge *j, item *it, const git_oid *commit, const git_tree *tree,
                     const char *prefix, int depth)
{
	size_t i, n = git_tree_entrycount(tree);
	ch_buf path = CH_BUF_INIT;
	git_tree *sub = NULL;
	int error = 0;

	if (depth > Q_MAX_TREE_DEPTH) {
		refuse(it->r, it->is_policy ? "P6" : "D8", commit, "directories nested too deep");
		return -1;
	}
	for (i = 0; i < n && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_filemode_t mode = git_tree_entry_filemode_raw(e);
		const git_oid *id = git_tree_entry_id(e);

		ch_buf_clear(&path);
		ch_buf_printf(&path, "%s%s", prefix, git_tree_entry_name(e));
		if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_TREE) {
			refuse(it->r, it->is_policy ? "P6" : "D8", commit, "%s: only plain files and "
			       "directories are allowed", path.ptr);
			error = -1;
		} else if (git_odb_exists(j->site_odb, id)) {
			continue; /* it passed its door when it came in */
		} else if (mode == GIT_FILEMODE_TREE) {
			ch_buf_putc(&path, '/');
			if (git_tree_lookup(&sub, j->repo, id) < 0) {
				refuse(it->r, it->is_policy ? "P6" : "D8", commit, "%s: missing", path.ptr);
				error = -1;
			} else {
				error = gate_tree(j, it, commit, sub, path.ptr, depth + 1);
			}
			git_tree_free(sub);
			sub = NULL;
		}
	}
	ch_buf_dispose(&path);
	return error;
}

/* The gate on one new commit, whole (workflows/classify/gate.h: its
 * message, headers, every name and every blob it adds), whatever kind of
 * commit it is: one rule for every door. */
static int gate_commit(judge *j, item *it, const git_oid *commit)
{
	if (ch_gate_commit(j->q->site, j->repo, j->pol, commit, j->q->door, j->q->peer) < 0) {
		refuse(it->r, "G", commit, "%s", ch_error_last());
		return -1;
	}
	return 0;
}

/* D1 at a log position (docs/format.md): a step by a person or key revoked
 * in the policy as it will stand is still accepted when headquarters' log
 * shows it before the revocation (workflows/sync/logsync.h); `why` then
 * or else says what the logs show. */
static int logged_before_revocation(judge *j, item *it, const git_commit *c, const char *actor,
                                    const char *fpr, ch_buf *why)
{
	int rc = ch_logsync_before_revocation(&j->logs, why, j->q->site, j->repo, &j->policy_head,
	                                      it->u->ref, git_commit_id(c), &it->u->new_id, actor,
	                                      fpr);

	if (rc < 0) {
		ch_buf_printf(why, "; the logs could not be read: %s", ch_error_last());
		ch_error_clear();
	}
	return rc == 1;
}

/* A step by a person revoked (or removed) in the site's current policy is
 * not accepted, whatever policy it names (DESIGN.md, "Revocation"), unless
 * a log shows it made before the revocation. */
/* A key revoked in the current policy (a lost device) signs nothing
 * more here, whatever policy the step names. */
static int check_actor_key(judge *j, item *it, const git_commit *c, const ch_person *p)
{
	git_buf sig = { 0 }, data = { 0 };
	const ch_person_key *k;
	ch_pgp_verify_result res;
	ch_buf why = CH_BUF_INIT;
	int bad = 0;

	if (git_commit_extract_signature(&sig, &data, j->repo, (git_oid *)git_commit_id(c),
	                                 NULL) == 0 &&
	    ch_pgp_verify(&res, j->pol->keyring, data.ptr, data.size, sig.ptr, sig.size) == 0 &&
	    (k = ch_person_key_find(p, res.primary_fpr)) && k->revoked &&
	    !logged_before_revocation(j, it, c, p->id, res.primary_fpr, &why)) {
		refuse(it->r, "D1", git_commit_id(c), "a step by %s signed with key %s, which is "
		       "revoked in this site's current policy%s", p->id, res.primary_fpr,
		       why.size ? why.ptr : "");
		bad = 1;
	}
	ch_buf_dispose(&why);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return bad ? -1 : 0;
}

static int check_actor(judge *j, item *it, const git_commit *c)
{
	const char *msg = git_commit_message_raw(c);
	const ch_person *p;
	ch_trailers t;

	if (ch_trailers_parse(&t, msg, strlen(msg)) < 0)
		return 0; /* the verifier names it (D8) */
	p = ch_policy_person(j->pol, t.actor);
	if (!p || p->revoked) {
		ch_buf why = CH_BUF_INIT;

		if (logged_before_revocation(j, it, c, t.actor, NULL, &why)) {
			ch_buf_dispose(&why);
			return 0;
		}
		refuse(it->r, "D1", git_commit_id(c), "a step by %s, who is %s in this site's current "
		       "policy%s", t.actor, p ? "revoked" : "not listed", why.ptr);
		ch_buf_dispose(&why);
		return -1;
	}
	return check_actor_key(j, it, c, p);
}

/* ------------------------------------------------------------------ */
/* A push builds only on what the peer may see                         */

static int is_base(const ch_quarantine *q, const git_oid *id)
{
	size_t i;

	for (i = 0; i < q->nbases; i++)
		if (git_oid_equal(&q->bases[i], id))
			return 1;
	return 0;
}

/* An object a pushed object may name: one the transfer brought (not a
 * thin pack's base taken from here), or one the peer may see. A hidden
 * object and a missing one get the same answer, so a refusal does not
 * tell the peer whether this site holds an object it may not see. */
static int may_name(judge *j, const git_oid *id)
{
	return (git_odb_exists(j->sent_odb, id) && !is_base(j->q, id)) ||
	       ch_view_has_object(j->view, id);
}

static void refuse_hidden(judge *j, item *it, const git_oid *commit, const git_oid *what)
{
	refuse(it->r, "N", commit, "it builds on %s, which is neither in the transfer nor among "
	       "what this site shares with %s", git_oid_tostr_s(what), j->q->peer);
	ch_gate_event(j->q->site, j->q->door, j->q->peer, "N", "a push built on an object "
	              "not shared with the peer");
}

/* Every entry of a tree the transfer brought names what the peer may see
 * or what it sent; a visible tree holds only visible entries. */
static int tree_visible(judge *j, item *it, const git_oid *commit, const git_oid *tree_id,
                        int depth)
{
	git_tree *tree = NULL;
	size_t i, n;
	int error = 0;

	if (!may_name(j, tree_id)) {
		refuse_hidden(j, it, commit, tree_id);
		return -1;
	}
	if (!git_odb_exists(j->sent_odb, tree_id) || depth > Q_MAX_TREE_DEPTH ||
	    git_tree_lookup(&tree, j->repo, tree_id) < 0)
		return 0; /* visible; or too deep / malformed: gate_tree names it */
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			error = tree_visible(j, it, commit, git_tree_entry_id(e), depth + 1);
		else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
		         !may_name(j, git_tree_entry_id(e))) {
			refuse_hidden(j, it, commit, git_tree_entry_id(e));
			error = -1;
		}
	}
	git_tree_free(tree);
	return error;
}

/* Issue 16, part 4: every commit, tree and file that N's new commits name
 * (parents, trees, files) is in the transfer or visible to the peer
 * (peerview.h), else the update is REFUSED, rule "N", naming the commit;
 * nothing of the hidden object enters a ref the peer can fetch. The walk
 * covers only commits the transfer brought. */
static int check_builds_on_visible(judge *j, item *it)
{
	ch_oidset seen = CH_OIDSET_INIT;
	git_oid *stack = NULL;
	git_commit *c = NULL;
	size_t top = 0, cap = 0, n = 0;
	unsigned i, np;
	int bad = 0;

	if (!may_name(j, &it->u->new_id)) {
		refuse_hidden(j, it, &it->u->new_id, &it->u->new_id);
		return -1;
	}
	if (!git_odb_exists(j->sent_odb, &it->u->new_id))
		return 0; /* visible, and so is all it reaches */
	stack = ch_malloc(sizeof(*stack));
	cap = 1;
	git_oid_cpy(&stack[top++], &it->u->new_id);
	ch_oidset_add(&seen, &it->u->new_id);
	while (!bad && top > 0 && ++n <= Q_MAX_NEW_COMMITS) {
		git_oid id = stack[--top];

		if (git_commit_lookup(&c, j->repo, &id) < 0)
			break; /* not a commit: check_new_commits names it */
		np = git_commit_parentcount(c);
		for (i = 0; i < np && !bad; i++) {
			const git_oid *p = git_commit_parent_id(c, i);

			if (!may_name(j, p)) {
				refuse_hidden(j, it, &id, p);
				bad = 1;
			} else if (git_odb_exists(j->sent_odb, p) && ch_oidset_add(&seen, p)) {
				if (top == cap) {
					cap *= 2;
					stack = ch_realloc(stack, cap * sizeof(*stack));
				}
				git_oid_cpy(&stack[top++], p);
			}
		}
		if (!bad && tree_visible(j, it, &id, git_commit_tree_id(c), 0) < 0)
			bad = 1;
		git_commit_free(c);
		c = NULL;
	}
	free(stack);
	ch_oidset_dispose(&seen);
	return bad ? -1 : 0;
}

/* A thin pack's delta on a base the peer may not see rebuilds (part of)
 * that hidden file here: the whole transfer is refused. */
static void check_thin_bases(judge *j, item *items, size_t n)
{
	size_t i, k;

	for (k = 0; k < j->q->nbases; k++) {
		if (ch_view_has_object(j->view, &j->q->bases[k]))
			continue;
		for (i = 0; i < n; i++)
			if (items[i].r->status != CH_Q_REFUSED && !items[i].judged)
				refuse(items[i].r, "N", &items[i].u->new_id, "the pack's deltas build on "
				       "%s, which is not among what this site shares with %s",
				       git_oid_tostr_s(&j->q->bases[k]), j->q->peer);
		ch_gate_event(j->q->site, j->q->door, j->q->peer, "N", "a thin pack on an object "
		              "not shared with the peer");
		return;
	}
}

static int open_sent_odb(judge *j)
{
	git_odb_backend *be = NULL;
	ch_buf dir = CH_BUF_INIT;
	int error = 0;

	ch_buf_printf(&dir, "%s/objects", j->q->path);
	if (git_odb_new(&j->sent_odb) < 0 || git_odb_backend_pack(&be, dir.ptr) < 0 ||
	    git_odb_add_backend(j->sent_odb, be, 1) < 0) {
		if (be && j->sent_odb)
			be->free(be);
		error = git_fail(CH_EIO, "cannot read the received pack");
		goto done;
	}
	/* `git fetch` into the quarantine keeps small transfers loose */
	be = NULL;
	if (git_odb_backend_loose(&be, dir.ptr, -1, 0, 0, 0) < 0 ||
	    git_odb_add_backend(j->sent_odb, be, 2) < 0) {
		if (be)
			be->free(be);
		error = git_fail(CH_EIO, "cannot read the received objects");
	}
done:
	ch_buf_dispose(&dir);
	return error;
}

/* ------------------------------------------------------------------ */
/* What was spilled never comes back                                   */

typedef struct {
	const ch_oidset *spilled;
	git_oid hit;
	int found;
} spill_scan;

static int spill_cb(const git_oid *id, void *payload)
{
	spill_scan *sc = payload;

	if (!ch_oidset_has(sc->spilled, id))
		return 0;
	git_oid_cpy(&sc->hit, id);
	sc->found = 1;
	return 1; /* stop */
}

/* Issue 16, part 5: an object the transfer brought that a spill record
 * keeps (spill.h) refuses the whole transfer, rule "SPILL", whatever ref
 * names it; a security event. */
static int check_spilled_objects(judge *j, item *items, size_t n)
{
	ch_oidset spilled = CH_OIDSET_INIT;
	spill_scan sc;
	size_t i;
	int error;

	memset(&sc, 0, sizeof(sc));
	sc.spilled = &spilled;
	if ((error = ch_spill_objects_load(&spilled, j->q->site->repo)) < 0 || !spilled.n)
		goto done;
	git_odb_foreach(j->sent_odb, spill_cb, &sc);
	if (!sc.found)
		goto done;
	/* the gravest refusal: it stands in for any other rule's answer (a
	 * spilled chain under a new id also breaks D11), except N's "spilled
	 * here", which tells a recipient of that very document to purge it */
	for (i = 0; i < n; i++)
		if ((items[i].r->status != CH_Q_REFUSED && !items[i].judged) ||
		    (items[i].r->status == CH_Q_REFUSED && strcmp(items[i].r->rule, "N")))
			refuse(items[i].r, "SPILL", &items[i].u->new_id, "the transfer brings back %s, "
			       "which belongs to a spilled document: what was spilled never comes back, "
			       "under any id", git_oid_tostr_s(&sc.hit));
	ch_gate_event(j->q->site, j->q->door, j->q->peer, "SPILL", "a spilled document's object "
	              "came back");
done:
	ch_oidset_dispose(&spilled);
	return error;
}

/* Walk the commits N brings that the site does not have, oldest first. */
static int check_new_commits(judge *j, item *it)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL;
	git_oid id;
	size_t n = 0;
	int rc = GIT_ITEROVER, bad = 0;

	if (git_revwalk_new(&walk, j->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, &it->u->new_id) < 0 ||
	    (it->has_local && git_revwalk_hide(walk, &it->local) < 0)) {
		refuse(it->r, "IO", NULL, "cannot walk the pushed commits");
		bad = 1;
		goto done;
	}
	while (!bad && (rc = git_revwalk_next(&id, walk)) == 0) {
		if (git_odb_exists(j->site_odb, &id))
			continue;
		if (++n > Q_MAX_NEW_COMMITS) {
			refuse(it->r, "REF", NULL, "more than %d new commits", Q_MAX_NEW_COMMITS);
			bad = 1;
			break;
		}
		if (git_commit_lookup(&c, j->repo, &id) < 0 || git_commit_tree(&tree, c) < 0) {
			refuse(it->r, it->is_policy ? "P6" : "D8", &id, "the commit or its tree is "
			       "missing or malformed");
			bad = 1;
			break;
		}
		/* a tree the same as its parent's (D4) or already here has its
		 * shape checked; the gate judges every new commit whole */
		if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0 &&
		    git_oid_equal(git_commit_tree_id(parent), git_tree_id(tree))) {
			;
		} else if (!git_odb_exists(j->site_odb, git_tree_id(tree)) &&
		           gate_tree(j, it, &id, tree, "", 0) < 0) {
			bad = 1;
		}
		if (!bad && gate_commit(j, it, &id) < 0)
			bad = 1;
		if (!bad && !it->is_policy && check_actor(j, it, c) < 0)
			bad = 1;
		git_commit_free(parent);
		git_tree_free(tree);
		git_commit_free(c);
		parent = NULL;
		tree = NULL;
		c = NULL;
	}
	if (!bad && rc != GIT_ITEROVER) {
		refuse(it->r, it->is_policy ? "P6" : "D8", &it->u->new_id, "the history is incomplete: "
		       "a commit it names is in neither the transfer nor this site");
		bad = 1;
	}
done:
	git_revwalk_free(walk);
	return bad ? -1 : 0;
}

/* Need to know: a document the peer may see (workflows/sync/peerview.h), not spilled.
 * On a fetch (door "git fetch": `chancery sync` pulling from a hub), a
 * document for this site itself is also taken: one mission's document to
 * another is relayed by headquarters, which neither addressed nor created
 * it. */
static int check_need_to_know(judge *j, item *it, const ch_spill_list *spills)
{
	const ch_spill *sp = ch_spill_find(spills, it->u->ref + 10);
	int rc;

	if (sp) {
		/* a recipient is told (it must purge its copy too); anyone else
		 * learns nothing about the id */
		if (ch_strv_contains(&sp->recipients, j->q->peer))
			refuse(it->r, "N", &it->u->new_id, "the document was spilled here: it never "
			       "comes back through sync; purge your copy (chancery spill)");
		else
			refuse(it->r, "N", &it->u->new_id, "not a document this site shares with %s",
			       j->q->peer);
		return -1;
	}
	rc = ch_view_doc_for_peer(j->repo, &it->u->new_id, j->pol, j->q->peer, NULL);
	if (rc == 0 && !strcmp(j->q->door, "git fetch"))
		rc = ch_view_doc_for_peer(j->repo, &it->u->new_id, j->pol, j->q->site->site_id, NULL);
	if (rc < 0) {
		refuse(it->r, "D8", &it->u->new_id, "%s", ch_error_last());
		return -1;
	}
	if (rc == 0) {
		refuse(it->r, "N", &it->u->new_id, "not a document this site shares with %s: "
		       "neither addressed to it nor created by its people", j->q->peer);
		return -1;
	}
	return 0;
}

/* D13 against the site's own refs (the verifier on the quarantine sees
 * only the refs of this transfer): a chain whose root another document of
 * this site already holds is that document replayed under a new id. The
 * other document is named only when the peer shares it: a chain grafted
 * onto a commit the peer was never sent must not learn which document
 * holds it. A chain that cannot be walked is left to check_new_commits. */
static int check_shared_root(judge *j, item *it)
{
	ch_buf holder = CH_BUF_INIT;
	git_oid root, hh;
	int rc = ch_doc_shared_root(&holder, &root, j->q->site, j->repo, it->u->ref,
	                            &it->u->new_id), shared = 0;

	if (rc <= 0) {
		ch_buf_dispose(&holder);
		ch_error_clear();
		return 0;
	}
	if (git_reference_name_to_id(&hh, j->q->site->repo, holder.ptr) == 0)
		shared = ch_view_doc_for_peer(j->repo, &hh, j->pol, j->q->peer, NULL) == 1;
	if (shared)
		refuse(it->r, "D13", &root, "a commit belongs to one document: this chain's root is "
		       "already the root of %s here; %s would replay it under another id",
		       holder.ptr, it->u->ref);
	else
		refuse(it->r, "D13", &it->u->new_id, "a commit belongs to one document: this chain "
		       "is built on a commit of another document of this site");
	ch_gate_event(j->q->site, j->q->door, j->q->peer, "D13", "replayed chain");
	ch_buf_dispose(&holder);
	ch_error_clear();
	return -1;
}

/* Run the verifier on the quarantine for the policy chain and `docs`;
 * apply its first finding (not a warning) to each item it concerns. */
static int run_verifier(judge *j, item *items, size_t n, const ch_strv *docs, int policy_only)
{
	ch_verify_opts opts;
	ch_report rep;
	const ch_finding *pol_finding = NULL;
	size_t i, k;
	git_oid id;
	int error;

	memset(&opts, 0, sizeof(opts));
	opts.docs = docs;
	opts.threads = 2;
	opts.no_log = 1; /* the quarantine holds no log; received steps are placed by the peers' logs (check_actor) */
	memset(&rep, 0, sizeof(rep));
	error = ch_verify(&rep, j->repo, &opts);
	if (error < 0) {
		ch_report_dispose(&rep);
		return error;
	}
	for (k = 0; k < rep.n && !pol_finding; k++)
		if (!rep.v[k].warning && !strcmp(rep.v[k].ref, CH_POLICY_REF))
			pol_finding = &rep.v[k];
	for (i = 0; i < n; i++) {
		item *it = &items[i];
		const ch_finding *f = NULL;

		if (it->judged || it->r->status == CH_Q_REFUSED || it->k == K_NONE ||
		    it->is_policy != policy_only)
			continue;
		if (it->is_policy || pol_finding) {
			f = pol_finding;
		} else {
			for (k = 0; k < rep.n && !f; k++)
				if (!rep.v[k].warning && !strcmp(rep.v[k].ref, it->u->ref))
					f = &rep.v[k];
		}
		if (f)
			refuse(it->r, f->rule, f->commit[0] && git_oid_fromstr(&id, f->commit) == 0 ?
			       &id : &it->u->new_id, "%s", f->message);
	}
	ch_report_dispose(&rep);
	return 0;
}

static int set_qref(judge *j, const char *name, const git_oid *id)
{
	git_reference *ref = NULL;

	if (git_reference_create(&ref, j->repo, name, id, 1, NULL) < 0)
		return git_fail(CH_EIO, "cannot set a quarantine ref");
	git_reference_free(ref);
	return 0;
}

/* The policy update, if any: judged first; documents are judged against
 * the policy as it will stand. */
static int judge_policy(judge *j, item *items, size_t n)
{
	item *it = NULL;
	ch_strv none = CH_STRV_INIT;
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if (items[i].is_policy && items[i].k == K_FORWARD && items[i].r->status != CH_Q_REFUSED)
			it = &items[i];
	if (!it)
		return set_qref(j, CH_POLICY_REF, &j->policy_head);
	if ((error = set_qref(j, CH_POLICY_REF, &it->u->new_id)) < 0 ||
	    (error = ch_policy_load(&j->pol_owned, j->repo, &it->u->new_id)) < 0) {
		if (error == CH_EINVALID) {
			refuse(it->r, "P6", &it->u->new_id, "%s", ch_error_last());
			error = set_qref(j, CH_POLICY_REF, &j->policy_head);
		}
		return error;
	}
	j->pol = j->pol_owned;
	if (check_new_commits(j, it) == 0 && (error = run_verifier(j, items, n, &none, 1)) < 0)
		return error;
	if (it->r->status != CH_Q_REFUSED) {
		git_oid_cpy(&j->policy_head, &it->u->new_id);
		return 0;
	}
	/* refused: documents are judged against the site's own policy */
	ch_policy_free(j->pol_owned);
	j->pol_owned = NULL;
	if ((error = ch_site_policy(&j->pol, j->q->site, &j->policy_head)) < 0)
		return error;
	return set_qref(j, CH_POLICY_REF, &j->policy_head);
}

static int judge_docs(judge *j, item *items, size_t n, const ch_spill_list *spills)
{
	ch_strv ids = CH_STRV_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < n; i++) {
		item *it = &items[i];

		if (it->is_policy || it->k == K_NONE || it->r->status == CH_Q_REFUSED)
			continue;
		if (check_need_to_know(j, it, spills) < 0 || check_shared_root(j, it) < 0 ||
		    check_new_commits(j, it) < 0)
			continue;
		if ((error = set_qref(j, it->u->ref, &it->u->new_id)) < 0)
			goto done;
		ch_strv_push(&ids, it->u->ref + 10);
	}
	if (ids.n)
		error = run_verifier(j, items, n, &ids, 0);
done:
	ch_strv_free(&ids);
	return error;
}

/* ------------------------------------------------------------------ */
/* Applying                                                            */

static int moving(const item *it)
{
	return it->k != K_NONE && it->r->status != CH_Q_REFUSED && !it->judged;
}

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC), rc;

	if (fd < 0)
		return ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
	rc = fsync(fd);
	close(fd);
	return rc < 0 ? ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno)) : 0;
}

int ch_quarantine_pack_into(ch_site *site, git_repository *src, git_revwalk *walk)
{
	git_packbuilder *pb = NULL;
	git_odb *odb = NULL;
	ch_buf dir = CH_BUF_INIT, file = CH_BUF_INIT;
	int error = 0;

	if (git_packbuilder_new(&pb, src) < 0) {
		error = git_fail(CH_EIO, "cannot start the pack for the site");
		goto done;
	}
	git_packbuilder_set_threads(pb, 1);
	if (git_packbuilder_insert_walk(pb, walk) < 0) {
		error = git_fail(CH_EIO, "cannot collect the accepted objects");
		goto done;
	}
	if (git_packbuilder_object_count(pb) == 0)
		goto done;
	ch_buf_printf(&dir, "%s/objects/pack", site->repo_path);
	if (git_packbuilder_write(pb, dir.ptr, 0, NULL, NULL) < 0) {
		error = git_fail(CH_EIO, "cannot write the accepted objects into the site");
		goto done;
	}
	/* libgit2 fsyncs with GIT_OPT_ENABLE_FSYNC_GITDIR; make sure anyway */
	ch_buf_printf(&file, "%s/pack-%s.pack", dir.ptr, git_packbuilder_name(pb));
	if ((error = fsync_path(file.ptr, 0)) < 0)
		goto done;
	ch_buf_truncate(&file, file.size - 5);
	ch_buf_puts(&file, ".idx");
	if ((error = fsync_path(file.ptr, 0)) < 0 || (error = fsync_path(dir.ptr, 1)) < 0)
		goto done;
	if (git_repository_odb(&odb, site->repo) == 0)
		git_odb_refresh(odb);
done:
	git_odb_free(odb);
	git_packbuilder_free(pb);
	ch_buf_dispose(&dir);
	ch_buf_dispose(&file);
	return error;
}

/* Copy into the site exactly the objects the moving heads reach (not
 * what their old heads reach), as one pack, durable before any ref moves.
 * Junk that a peer slipped into its pack stays in quarantine. */
static int migrate(judge *j, item *items, size_t n)
{
	git_revwalk *walk = NULL;
	size_t i, pushed = 0;
	int error = 0;

	if (git_revwalk_new(&walk, j->repo) < 0)
		return git_fail(CH_EIO, "cannot walk the accepted commits");
	for (i = 0; i < n; i++) {
		if (!moving(&items[i]))
			continue;
		if (git_revwalk_push(walk, &items[i].u->new_id) < 0 ||
		    (items[i].has_local && git_revwalk_hide(walk, &items[i].local) < 0)) {
			error = git_fail(CH_EIO, "cannot walk the accepted commits");
			goto done;
		}
		pushed++;
	}
	if (pushed && (error = ch_quarantine_pack_into(j->q->site, j->repo, walk)) == 0)
		git_odb_refresh(j->site_odb);
done:
	git_revwalk_free(walk);
	return error;
}

static void refuse_atomic(item *items, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (moving(&items[i]) || items[i].r->status == CH_Q_CONFLICT)
			refuse(items[i].r, "ATOM", NULL, "not applied: %s", why);
}

/* Lock the ref an item moves and check, under the lock, that it is still
 * where it was judged. */
static int lock_item(judge *j, git_transaction *tx, item *it)
{
	git_oid cur;
	int exists;

	if (git_transaction_lock_ref(tx, it->target) < 0) {
		refuse(it->r, "CAS", NULL, "%s is locked: a step is being recorded; push again",
		       it->target);
		return -1;
	}
	if (it->k != K_FORWARD)
		return 0;
	exists = git_reference_name_to_id(&cur, j->q->site->repo, it->u->ref) == 0;
	if (exists != it->has_local || (exists && !git_oid_equal(&cur, &it->local))) {
		refuse(it->r, "CAS", NULL, "the ref moved here while the transfer was verified; "
		       "fetch and push again");
		return -1;
	}
	return 0;
}

/* A conflict kept again, at the head it was kept at: nothing moves. */
static int already_there(judge *j, const item *it)
{
	git_oid cur;

	return git_reference_name_to_id(&cur, j->q->site->repo, it->target) == 0 &&
	       git_oid_equal(&cur, &it->u->new_id);
}

/* The site log records what will move, in one entry (sitelog.h), under
 * the refs' locks and before they move: a log that cannot be written
 * moves nothing. */
static int log_moving(judge *j, item *items, size_t n)
{
	ch_log_item *v = ch_calloc(n ? n : 1, sizeof(*v));
	size_t i, k = 0;
	int skip, error = 0;

	for (i = 0; i < n && !error; i++)
		if (moving(&items[i]) && !already_there(j, &items[i]) &&
		    (error = ch_log_item_for(&v[k], &skip, j->q->site->repo, items[i].target,
		                             items[i].has_local ? &items[i].local : NULL,
		                             &items[i].u->new_id)) == 0 && !skip)
			k++;
	if (!error && k)
		error = ch_log_append(j->q->site, v, k);
	if (error < 0)
		ch_error_prefix("the site log cannot record what %s sent, so no ref moved: ",
		                j->q->peer);
	free(v);
	return error;
}

/* Move every ref by compare-and-swap under git's ref locks, every lock
 * taken and checked first. The policy moves in its own transaction, before
 * the documents that were verified against it; if it cannot move, neither
 * do they. */
static int move_refs(judge *j, item *items, size_t n)
{
	git_transaction *tx[2] = { NULL, NULL }; /* 0: the policy, 1: documents */
	size_t i, k;
	int failed = 0, policy_failed = 0, error = 0;

	if (git_transaction_new(&tx[0], j->q->site->repo) < 0 ||
	    git_transaction_new(&tx[1], j->q->site->repo) < 0) {
		error = git_fail(CH_EIO, "cannot start a ref transaction");
		goto done;
	}
	for (i = 0; i < n; i++)
		if (moving(&items[i]) && lock_item(j, tx[items[i].is_policy ? 0 : 1], &items[i]) < 0) {
			failed = 1;
			policy_failed |= items[i].is_policy;
		}
	if (failed && (j->flags & CH_Q_ATOMIC))
		refuse_atomic(items, n, "another ref of this atomic transfer could not move");
	if (policy_failed)
		for (i = 0; i < n; i++)
			if (moving(&items[i]))
				refuse(items[i].r, "CAS", NULL, "not applied: the policy update it was "
				       "verified against could not move; push again");
	if ((error = log_moving(j, items, n)) < 0)
		goto done;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++)
			if (moving(&items[i]) && (items[i].is_policy ? 0 : 1) == (int)k &&
			    git_transaction_set_target(tx[k], items[i].target, &items[i].u->new_id,
			                               NULL, "chancery: from a peer") < 0) {
				error = git_fail(CH_EIO, "cannot move a ref");
				goto done;
			}
		if (git_transaction_commit(tx[k]) < 0) {
			error = git_fail(CH_EIO, "cannot move the refs");
			goto done;
		}
	}
done:
	git_transaction_free(tx[0]);
	git_transaction_free(tx[1]);
	return error;
}

static void finish_statuses(item *items, size_t n, const char *peer)
{
	size_t i;

	for (i = 0; i < n; i++) {
		item *it = &items[i];

		if (!moving(it))
			continue;
		if (it->k == K_FORWARD)
			set_status(it->r, CH_Q_ACCEPTED, &it->u->new_id, "accepted");
		else {
			set_status(it->r, CH_Q_CONFLICT, &it->u->new_id, "");
			set_msg(it->r, "conflict: both sides added steps; %s's are kept under %s for "
			        "review, nothing is lost and %s did not move", peer, it->target,
			        it->u->ref);
		}
		it->judged = 1;
	}
}

static int remember(judge *j, item *items, size_t n, json_t *seen)
{
	size_t i;
	int changed = 0;

	for (i = 0; i < n; i++) {
		ch_qstatus s = items[i].r->status;

		if (s == CH_Q_ACCEPTED || s == CH_Q_UNCHANGED || s == CH_Q_AHEAD) {
			json_object_set_new(seen, items[i].u->ref,
			                    json_string(git_oid_tostr_s(&items[i].u->new_id)));
			changed = 1;
		}
	}
	return changed ? peers_save(j->q, seen) : 0;
}

int ch_quarantine_apply(ch_quarantine *q, const ch_qupdate *u, size_t n, unsigned flags,
                        ch_qresult **results)
{
	ch_qresult *r = NULL;
	item *items = NULL;
	judge j;
	json_t *seen = NULL;
	ch_view view;
	ch_spill_list spills;
	size_t i;
	int lockfd = -1, spills_loaded = 0, error = 0;

	*results = NULL;
	memset(&j, 0, sizeof(j));
	memset(&view, 0, sizeof(view));
	if (n > CH_Q_MAX_UPDATES)
		return ch_error_setc(CH_EINVALID, "more than %d ref updates", CH_Q_MAX_UPDATES);
	j.q = q;
	j.flags = flags;
	if ((error = peers_lock(&lockfd, q)) < 0 || (error = peers_load(&seen, q)) < 0 ||
	    (error = q_repo(&j.repo, q)) < 0)
		goto done;
	if (git_repository_odb(&j.site_odb, q->site->repo) < 0) {
		error = git_fail(CH_EIO, "cannot open the site's objects");
		goto done;
	}
	git_odb_refresh(j.site_odb);
	if ((error = ch_site_policy_head(&j.policy_head, q->site)) < 0 ||
	    (error = ch_site_policy(&j.pol, q->site, &j.policy_head)) < 0)
		goto done;
	if (!ch_policy_site(j.pol, q->peer)) {
		error = ch_error_setc(CH_EDENIED, "%s is not a site of the current policy", q->peer);
		goto done;
	}
	if ((error = open_sent_odb(&j)) < 0 ||
	    ((flags & CH_Q_CHECK_OLD) &&
	     (error = ch_view_visible(&view, q->site, j.pol, q->peer, CH_VIEW_OBJECTS)) < 0))
		goto done;
	j.view = &view;
	if ((error = ch_spill_list_load(&spills, q->site->repo)) < 0)
		goto done;
	spills_loaded = 1;
	r = ch_calloc(n ? n : 1, sizeof(*r));
	items = ch_calloc(n ? n : 1, sizeof(*items));
	for (i = 0; i < n; i++) {
		snprintf(r[i].ref, sizeof(r[i].ref), "%s", u[i].ref);
		items[i].u = &u[i];
		items[i].r = &r[i];
		/* provisional: refuse() and set_status() decide */
		set_status(&r[i], CH_Q_ACCEPTED, NULL, "not judged");
	}
	for (i = 0; i < n; i++)
		judge_shape(&j, &items[i], &view, seen, items, i);
	if (flags & CH_Q_CHECK_OLD) {
		check_thin_bases(&j, items, n);
		for (i = 0; i < n; i++)
			if (items[i].k != K_NONE && !items[i].judged &&
			    items[i].r->status != CH_Q_REFUSED)
				check_builds_on_visible(&j, &items[i]);
	}
	if ((error = judge_policy(&j, items, n)) < 0 ||
	    (error = judge_docs(&j, items, n, &spills)) < 0 ||
	    (error = check_spilled_objects(&j, items, n)) < 0)
		goto done;
	if (flags & CH_Q_ATOMIC) {
		for (i = 0; i < n; i++)
			if (r[i].status == CH_Q_REFUSED || items[i].k == K_DIVERGED)
				break;
		if (i < n)
			refuse_atomic(items, n, "a ref of this atomic transfer was refused or diverged");
	}
	if ((error = migrate(&j, items, n)) < 0)
		goto done;
	ch_failpoint_signal_and_wait("CHANCERY_FAILPOINT_QUARANTINE");
	if ((error = move_refs(&j, items, n)) < 0)
		goto done;
	finish_statuses(items, n, q->peer);
	error = remember(&j, items, n, seen);
	if (error < 0) /* the refs moved: say so, but the record of the peer is behind */
		error = 0;
	*results = r;
	r = NULL;
done:
	if (lockfd >= 0)
		close(lockfd);
	if (spills_loaded)
		ch_spill_list_dispose(&spills);
	ch_view_dispose(&view);
	ch_policy_free(j.pol_owned);
	ch_logsync_cache_free(j.logs);
	git_odb_free(j.site_odb);
	git_odb_free(j.sent_odb);
	json_decref(seen);
	ch_qresults_free(r, n);
	free(items);
	return error;
}

