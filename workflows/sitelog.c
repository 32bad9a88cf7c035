/* sitelog.c -- the site log (sitelog.h; docs/format.md "The site log"). */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workflows/format.h"
#include "workflows/sitelog.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/text.h"
#include "util/common.h"

#define ZERO40 "0000000000000000000000000000000000000000"
#define LOG_LOCK_TRIES 500 /* 10 ms apart: 5 s for another writer's entry */
#define CHAIN_MAX 1000000  /* commits walked to a chain's root */

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return ch_error_setc(code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* ------------------------------------------------------------------ */
/* Commitments                                                         */

void ch_log_commitment(unsigned char out[32], const char *ref, const git_oid *root,
                       const git_oid *head)
{
	char r[GIT_OID_HEXSZ + 1], h[GIT_OID_HEXSZ + 1];
	ch_buf b = CH_BUF_INIT;

	git_oid_tostr(r, sizeof(r), root);
	git_oid_tostr(h, sizeof(h), head);
	ch_buf_printf(&b, "chancery-log-doc 1\n%s\n%s\n%s\n", ref, r, h);
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, b.ptr, b.size);
	ch_buf_dispose(&b);
}

int ch_log_chain_root(git_oid *out, git_repository *repo, const git_oid *head)
{
	git_commit *c = NULL, *p = NULL;
	size_t n = 0;

	if (git_commit_lookup(&c, repo, head) < 0)
		return git_fail(CH_EIO, "cannot read a chain's commit");
	while (git_commit_parentcount(c) > 0) {
		if (++n > CHAIN_MAX || git_commit_parent(&p, c, 0) < 0) {
			git_commit_free(c);
			return n > CHAIN_MAX ? ch_error_setc(CH_EINVALID, "a chain longer than %d",
			                                     CHAIN_MAX) :
			                       git_fail(CH_EIO, "cannot walk a chain");
		}
		git_commit_free(c);
		c = p;
	}
	git_oid_cpy(out, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly `n` lower-case hex digits at s, then end or ' '. */
static int lowhex(const char *s, size_t len, size_t n)
{
	size_t i;

	if (len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

static int parse_oid(git_oid *out, const char *s)
{
	return git_oid_fromstrn(out, s, GIT_OID_HEXSZ) == 0 ? 0 : -1;
}

/* "<digits>" without a leading zero, at most 19 digits. */
static int parse_u64(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 19 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int bad(size_t line, const char *why)
{
	return ch_error_setc(CH_EINVALID, "R2: log entry line %zu: %s", line, why);
}

/* "<old40> <new40>" */
static int parse_pair(ch_log_item *it, const char *v, size_t len)
{
	if (len != 81 || v[40] != ' ' || !lowhex(v, 40, 40) || !lowhex(v + 41, 40, 40) ||
	    parse_oid(&it->old_id, v) < 0 || parse_oid(&it->new_id, v + 41) < 0 ||
	    !strncmp(v + 41, ZERO40, 40))
		return -1;
	return 0;
}

static int parse_witness(ch_log_item *it, const char *v, size_t len)
{
	const char *sp = memchr(v, ' ', len), *sp2;
	size_t nl;

	if (!sp || (nl = (size_t)(sp - v)) == 0 || nl >= sizeof(it->peer))
		return -1;
	memcpy(it->peer, v, nl);
	it->peer[nl] = '\0';
	if (!ch_valid_name(it->peer))
		return -1;
	sp2 = memchr(sp + 1, ' ', len - nl - 1);
	if (!sp2 || parse_u64(&it->peer_seq, sp + 1, (size_t)(sp2 - sp - 1)) < 0 ||
	    !it->peer_seq || (size_t)(v + len - sp2 - 1) != 40 || !lowhex(sp2 + 1, 40, 40) ||
	    parse_oid(&it->peer_head, sp2 + 1) < 0)
		return -1;
	return 0;
}

static int parse_item(ch_log_item *it, const char *line, size_t len)
{
	static const struct {
		const char *key;
		ch_log_kind kind;
	} keys[] = {
		{ "Chancery-Log-Policy: ", CH_LOG_POLICY },
		{ "Chancery-Log-Spills: ", CH_LOG_SPILLS },
		{ "Chancery-Log-Doc: ", CH_LOG_DOC },
		{ "Chancery-Log-Witness: ", CH_LOG_WITNESS },
	};
	size_t k, i;

	memset(it, 0, sizeof(*it));
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t kl = strlen(keys[k].key);
		const char *v = line + kl;
		size_t vl = len - kl;

		if (len < kl || memcmp(line, keys[k].key, kl))
			continue;
		it->kind = keys[k].kind;
		switch (it->kind) {
		case CH_LOG_POLICY:
		case CH_LOG_SPILLS:
			return parse_pair(it, v, vl);
		case CH_LOG_DOC:
			if (vl != 64 || !lowhex(v, vl, 64))
				return -1;
			for (i = 0; i < 32; i++)
				it->commitment[i] = (unsigned char)(hexval(v[2 * i]) << 4 |
				                                    hexval(v[2 * i + 1]));
			return 0;
		case CH_LOG_WITNESS:
			return parse_witness(it, v, vl);
		}
	}
	return -1;
}

/* The value of "<key>: <value>" at line, or NULL. */
static const char *header_value(const char *line, size_t len, const char *key, size_t *vlen)
{
	size_t kl = strlen(key);

	if (len <= kl + 2 || memcmp(line, key, kl) || line[kl] != ':' || line[kl + 1] != ' ')
		return NULL;
	*vlen = len - kl - 2;
	return line + kl + 2;
}

int ch_log_parse(ch_log_entry *out, char site[65], const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *v;
	char subject[128], tsite[65];
	size_t lineno = 0, vl, cap = 0;
	uint64_t t;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (len > CH_LOG_MAX_MESSAGE || memchr(msg, '\0', len))
		return ch_error_setc(CH_EINVALID, "R2: a log entry's message is malformed or too long");
	if (!len || msg[len - 1] != '\n')
		return bad(0, "the message does not end with a line break");
	while (p < end && !error) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)(nl - p);

		lineno++;
		switch (lineno) {
		case 1: /* "log: <site> <seq>", checked against the headers below */
			if (ll >= sizeof(subject) || ll < 8 || memcmp(p, "log: ", 5))
				error = bad(lineno, "not 'log: <site> <seq>'");
			else {
				memcpy(subject, p, ll);
				subject[ll] = '\0';
			}
			break;
		case 2:
			if (ll)
				error = bad(lineno, "a blank line must follow the subject");
			break;
		case 3:
			if (!(v = header_value(p, ll, "Chancery-Log-Site", &vl)) || vl >= sizeof(tsite))
				error = bad(lineno, "Chancery-Log-Site expected");
			else {
				memcpy(tsite, v, vl);
				tsite[vl] = '\0';
				if (!ch_valid_name(tsite))
					error = bad(lineno, "the site is not a valid id");
			}
			break;
		case 4:
			if (!(v = header_value(p, ll, "Chancery-Log-Seq", &vl)) ||
			    parse_u64(&out->seq, v, vl) < 0 || !out->seq ||
			    out->seq > CH_LOG_MAX_ENTRIES)
				error = bad(lineno, "Chancery-Log-Seq expected (1 or more)");
			break;
		case 5:
			if (!(v = header_value(p, ll, "Chancery-Log-Time", &vl)) ||
			    parse_u64(&t, v, vl) < 0 || t > (uint64_t)INT64_MAX / 2)
				error = bad(lineno, "Chancery-Log-Time expected (Unix seconds)");
			else
				out->time = (int64_t)t;
			break;
		default:
			if (out->n >= CH_LOG_MAX_ITEMS) {
				error = bad(lineno, "more than the items an entry may hold");
				break;
			}
			if (out->n == cap) {
				cap = cap ? cap * 2 : 16;
				out->items = ch_realloc(out->items, cap * sizeof(*out->items));
			}
			if (parse_item(&out->items[out->n], p, ll) < 0)
				error = bad(lineno, "not a well-formed Policy, Spills, Doc or Witness item");
			else
				out->n++;
		}
		p = nl + 1;
	}
	if (!error && lineno < 5)
		error = bad(lineno, "the entry is cut short");
	if (!error) {
		char want[128];

		snprintf(want, sizeof(want), "log: %s %" PRIu64, tsite, out->seq);
		if (strcmp(want, subject))
			error = bad(1, "the subject does not name the entry's site and seq");
		else if (site && site[0] && strcmp(site, tsite))
			error = ch_error_setc(CH_EINVALID, "R2: an entry of site %s in the log of %s",
			                      tsite, site);
		else if (site)
			memcpy(site, tsite, strlen(tsite) + 1);
	}
	if (error)
		ch_log_entry_dispose(out);
	return error;
}

void ch_log_entry_dispose(ch_log_entry *e)
{
	free(e->items);
	e->items = NULL;
	e->n = 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

typedef struct {
	unsigned char c[32];
	uint64_t seq;
} idx_ent;

typedef struct {
	idx_ent *v;
	size_t n;
} log_index;

static int cmp_idx(const void *a, const void *b)
{
	const idx_ent *x = a, *y = b;
	int c = memcmp(x->c, y->c, 32);

	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static void build_index(ch_log *log)
{
	log_index *ix = ch_calloc(1, sizeof(*ix));
	size_t i, k, n = 0;

	for (i = 0; i < log->n; i++)
		for (k = 0; k < log->v[i].n; k++)
			n += log->v[i].items[k].kind == CH_LOG_DOC;
	ix->v = ch_calloc(n ? n : 1, sizeof(*ix->v));
	for (i = 0; i < log->n; i++)
		for (k = 0; k < log->v[i].n; k++)
			if (log->v[i].items[k].kind == CH_LOG_DOC) {
				memcpy(ix->v[ix->n].c, log->v[i].items[k].commitment, 32);
				ix->v[ix->n++].seq = log->v[i].seq;
			}
	qsort(ix->v, ix->n, sizeof(*ix->v), cmp_idx);
	log->index = ix;
}

uint64_t ch_log_find_doc(const ch_log *log, const unsigned char commitment[32])
{
	const log_index *ix = log->index;
	size_t lo = 0, hi;

	if (!ix)
		return 0;
	hi = ix->n;
	while (lo < hi) { /* the first with this commitment: the smallest seq */
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(ix->v[mid].c, commitment, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && !memcmp(ix->v[lo].c, commitment, 32) ? ix->v[lo].seq : 0;
}

void ch_log_dispose(ch_log *log)
{
	size_t i;
	log_index *ix = log->index;

	for (i = 0; i < log->n; i++)
		ch_log_entry_dispose(&log->v[i]);
	free(log->v);
	if (ix)
		free(ix->v);
	free(ix);
	memset(log, 0, sizeof(*log));
}

/* The key of site.asc in `tree`: its blob id, and a keyring holding it. */
static int tree_key(git_oid *blob, ch_pgp_keyring **kr, char fpr[41], git_repository *repo,
                    const git_commit *c)
{
	git_tree *tree = NULL;
	git_blob *b = NULL;
	const git_tree_entry *e;
	int error = 0;

	if (git_commit_tree(&tree, c) < 0)
		return git_fail(CH_EIO, "cannot read a log entry's tree");
	if (git_tree_entrycount(tree) != 1 || !(e = git_tree_entry_byname(tree, CH_LOG_KEY_FILE)) ||
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB) {
		error = ch_error_setc(CH_EINVALID, "R2: the log entry's tree is not exactly %s",
		                      CH_LOG_KEY_FILE);
		goto done;
	}
	git_oid_cpy(blob, git_tree_entry_id(e));
	if (!kr)
		goto done;
	if (git_blob_lookup(&b, repo, blob) < 0) {
		error = git_fail(CH_EIO, "cannot read site.asc");
		goto done;
	}
	if ((error = ch_pgp_keyring_new(kr)) < 0 ||
	    (error = ch_pgp_keyring_add(*kr, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b),
	                                "site", fpr)) < 0)
		ch_error_prefix("R3: site.asc: ");
done:
	git_blob_free(b);
	git_tree_free(tree);
	return error;
}

/* R3: the entry is signed by the key of site.asc. */
static int check_sig(git_repository *repo, const git_oid *id, const ch_pgp_keyring *kr)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	ch_pgp_verify_result res;
	int error;

	if (git_commit_extract_signature(&sig, &data, repo, (git_oid *)id, NULL) < 0)
		return ch_error_setc(CH_EINVALID, "R3: log entry %s is not signed",
		                     git_oid_tostr_s(id));
	error = ch_pgp_verify(&res, kr, data.ptr, data.size, sig.ptr, sig.size);
	if (error < 0) {
		/* an unknown signer (CH_ENOTFOUND) or a bad signature (CH_EAUTH)
		 * is an invalid log, as sitelog.h says: never "no log" */
		char *why = ch_strdup(ch_error_last());

		error = ch_error_setc(CH_EINVALID, "R3: log entry %s: %s", git_oid_tostr_s(id), why);
		free(why);
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return error;
}

/* One entry, given its successor's expectations. */
static int load_entry(ch_log_entry *e, char site[65], git_repository *repo, const git_commit *c)
{
	const char *msg = git_commit_message_raw(c);
	const git_signature *cm = git_commit_committer(c);
	int error;

	if ((error = ch_log_parse(e, site, msg, strlen(msg))) < 0) {
		ch_error_prefix("log entry %s: ", git_oid_tostr_s(git_commit_id(c)));
		return error;
	}
	git_oid_cpy(&e->id, git_commit_id(c));
	if (cm->when.time != e->time)
		return ch_error_setc(CH_EINVALID, "R4: log entry %s (seq %" PRIu64 "): the committer "
		                     "time is not the log time", git_oid_tostr_s(&e->id), e->seq);
	(void)repo;
	return 0;
}

static int load_log(ch_log *out, git_repository *repo, const git_oid *head, const char *want_fpr,
                    int verify, const git_oid *kept, size_t *checked);

int ch_log_load(ch_log *out, git_repository *repo, const git_oid *head, const char *want_fpr)
{
	return load_log(out, repo, head, want_fpr, 1, NULL, NULL);
}

int ch_log_load_since(ch_log *out, git_repository *repo, const git_oid *head,
                      const char *want_fpr, const git_oid *kept, size_t *checked)
{
	return load_log(out, repo, head, want_fpr, 1, kept, checked);
}

int ch_log_read(ch_log *out, git_repository *repo, const git_oid *head)
{
	return load_log(out, repo, head, NULL, 0, NULL, NULL);
}

/* `kept` (NULL: none): R3 for the entries after it and for itself only,
 * when it is on the chain (rev is newest first); else for every entry. */
static size_t sigs_to_check(const ch_log_entry *rev, size_t n, const git_oid *kept)
{
	size_t i;

	for (i = 0; kept && i < n; i++)
		if (git_oid_equal(&rev[i].id, kept))
			return i + 1;
	return n;
}

static int load_log(ch_log *out, git_repository *repo, const git_oid *head, const char *want_fpr,
                    int verify, const git_oid *kept, size_t *checked)
{
	git_commit *c = NULL, *p = NULL;
	ch_pgp_keyring *kr = NULL;
	git_oid key_blob, blob;
	ch_log_entry *rev = NULL;
	size_t n = 0, cap = 0, i, total = 0;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (checked)
		*checked = 0;
	if (git_commit_lookup(&c, repo, head) < 0)
		return git_fail(CH_EIO, "cannot read the log's head");
	git_oid_cpy(&out->head, head);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			rev = ch_realloc(rev, cap * sizeof(*rev));
		}
		if ((error = load_entry(&rev[n], out->site, repo, c)) < 0)
			goto done;
		total += rev[n].n;
		n++;
		if (total > CH_LOG_MAX_TOTAL_ITEMS) {
			error = ch_error_setc(CH_EINVALID, "R2: the log holds more than %d items in all: "
			                      "refused before more memory is taken", CH_LOG_MAX_TOTAL_ITEMS);
			goto done;
		}
		if ((error = tree_key(&blob, NULL, NULL, repo, c)) < 0)
			goto done;
		if (n > 1 && !git_oid_equal(&blob, &key_blob)) {
			error = ch_error_setc(CH_EINVALID, "R2: log entry %s changes site.asc",
			                      git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		git_oid_cpy(&key_blob, &blob);
		if (n > 1 && rev[n - 2].seq != rev[n - 1].seq + 1) {
			error = ch_error_setc(CH_EINVALID, "R2: log entry %s has seq %" PRIu64 " after "
			                      "seq %" PRIu64, git_oid_tostr_s(&rev[n - 2].id),
			                      rev[n - 2].seq, rev[n - 1].seq);
			goto done;
		}
		if (n > 1 && rev[n - 2].time < rev[n - 1].time) {
			error = ch_error_setc(CH_EINVALID, "R4: log entry %s (seq %" PRIu64 ") goes back in "
			                      "time from its parent (%" PRId64 " < %" PRId64 ")",
			                      git_oid_tostr_s(&rev[n - 2].id), rev[n - 2].seq,
			                      rev[n - 2].time, rev[n - 1].time);
			goto done;
		}
		if (git_commit_parentcount(c) == 0)
			break;
		if (git_commit_parentcount(c) > 1 || n >= CH_LOG_MAX_ENTRIES) {
			error = ch_error_setc(CH_EINVALID, "R2: log entry %s has more than one parent",
			                      git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		if (git_commit_parent(&p, c, 0) < 0) {
			error = git_fail(CH_EIO, "cannot read a log entry's parent");
			goto done;
		}
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	if (rev[n - 1].seq != 1) {
		error = ch_error_setc(CH_EINVALID, "R2: the log's first entry %s has seq %" PRIu64,
		                      git_oid_tostr_s(&rev[n - 1].id), rev[n - 1].seq);
		goto done;
	}
	/* the first entry pins the key; every entry is signed by it */
	if ((error = tree_key(&blob, &kr, out->key_fpr, repo, c)) < 0)
		goto done;
	if (want_fpr && want_fpr[0] && strcasecmp(want_fpr, out->key_fpr)) {
		error = ch_error_setc(CH_EINVALID, "R3: the log of %s is kept with key %s, the policy "
		                      "names %s", out->site, out->key_fpr, want_fpr);
		goto done;
	}
	/* (the shape, times and key of every entry are checked above, kept
	 * or not; the kept head's own signature binds its ancestors, by their
	 * ids, to the key that signed it) */
	for (i = 0; verify && i < sigs_to_check(rev, n, kept); i++) {
		if ((error = check_sig(repo, &rev[i].id, kr)) < 0)
			goto done;
		if (checked)
			++*checked;
	}
	out->v = ch_calloc(n, sizeof(*out->v));
	for (i = 0; i < n; i++)
		out->v[i] = rev[n - 1 - i];
	out->n = n;
	n = 0;
	build_index(out);
done:
	for (i = 0; i < n; i++)
		ch_log_entry_dispose(&rev[i]);
	free(rev);
	ch_pgp_keyring_free(kr);
	git_commit_free(c);
	git_commit_free(p);
	if (error < 0)
		ch_log_dispose(out);
	return error;
}

static int load_ref(ch_log *out, git_repository *repo, const char *ref, int verify)
{
	git_oid head;
	int rc = git_reference_name_to_id(&head, repo, ref ? ref : CH_LOG_REF);

	memset(out, 0, sizeof(*out));
	if (rc == GIT_ENOTFOUND)
		return ch_error_setc(CH_ENOTFOUND, "no log at %s", ref ? ref : CH_LOG_REF);
	if (rc < 0)
		return git_fail(CH_EIO, "cannot read the log's ref");
	return load_log(out, repo, &head, NULL, verify, NULL, NULL);
}

int ch_log_load_ref(ch_log *out, git_repository *repo, const char *ref)
{
	return load_ref(out, repo, ref, 1);
}

int ch_log_read_ref(ch_log *out, git_repository *repo, const char *ref)
{
	return load_ref(out, repo, ref, 0);
}

/* ------------------------------------------------------------------ */
/* Positions                                                           */

uint64_t ch_log_doc_position(const ch_log *log, git_repository *repo, const char *ref,
                             const git_oid *step, const git_oid *head)
{
	git_commit *c = NULL, *p = NULL;
	git_oid root;
	unsigned char h[32];
	uint64_t best = 0, s;
	size_t n = 0;

	if (ch_log_chain_root(&root, repo, head) < 0 || git_commit_lookup(&c, repo, head) < 0) {
		ch_error_clear();
		return 0;
	}
	/* the head down to the step: each is the step or a later commit */
	for (;;) {
		ch_log_commitment(h, ref, &root, git_commit_id(c));
		if ((s = ch_log_find_doc(log, h)) && (!best || s < best))
			best = s;
		if (git_oid_equal(git_commit_id(c), step) || git_commit_parentcount(c) == 0 ||
		    ++n > CHAIN_MAX || git_commit_parent(&p, c, 0) < 0)
			break;
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	if (!git_oid_equal(git_commit_id(c), step))
		best = 0; /* the step is not on this chain */
	git_commit_free(c);
	return best;
}

uint64_t ch_log_policy_position(const ch_log *log, git_repository *repo,
                                const git_oid *policy_commit)
{
	size_t i, k;

	for (i = 0; i < log->n; i++)
		for (k = 0; k < log->v[i].n; k++) {
			const ch_log_item *it = &log->v[i].items[k];

			if (it->kind == CH_LOG_POLICY &&
			    (git_oid_equal(&it->new_id, policy_commit) ||
			     git_graph_descendant_of(repo, &it->new_id, policy_commit) == 1))
				return log->v[i].seq;
		}
	return 0;
}

uint64_t ch_log_witnessed(const ch_log *log, const char *site, git_oid *head)
{
	size_t i, k;
	uint64_t best = 0;

	for (i = log->n; i-- > 0;)
		for (k = 0; k < log->v[i].n; k++) {
			const ch_log_item *it = &log->v[i].items[k];

			if (it->kind == CH_LOG_WITNESS && !strcmp(it->peer, site) && it->peer_seq > best) {
				best = it->peer_seq;
				if (head)
					git_oid_cpy(head, &it->peer_head);
			}
		}
	return best;
}

int ch_log_before_revocation(const ch_log *hq, uint64_t rev, ch_log_find_fn find,
                             ch_log_step_at_fn at, void *ctx, const ch_log **by,
                             uint64_t *by_seq)
{
	const ch_log *other;
	ch_strv seen = CH_STRV_INIT;
	uint64_t sp = at(hq, ctx), x, e;
	size_t k;
	int valid = 0;

	*by = hq;
	*by_seq = sp;
	if (sp && sp < rev)
		return 1;
	/* a log of another site that hq witnessed before the revocation */
	for (e = rev - 1; e > 0 && e <= hq->n && !valid; e--) {
		const ch_log_entry *ent = &hq->v[e - 1];

		for (k = 0; k < ent->n && !valid; k++) {
			const ch_log_item *it = &ent->items[k];

			if (it->kind != CH_LOG_WITNESS || ch_strv_contains(&seen, it->peer))
				continue;
			ch_strv_push(&seen, it->peer); /* its newest witness before rev */
			if (!(other = find(it->peer, ctx)) || !it->peer_seq || it->peer_seq > other->n ||
			    !git_oid_equal(&other->v[it->peer_seq - 1].id, &it->peer_head))
				continue;
			if ((x = at(other, ctx)) && x <= it->peer_seq) {
				*by = other;
				*by_seq = x;
				valid = 1;
			}
		}
	}
	ch_strv_free(&seen);
	return valid;
}

int ch_log_extends(git_repository *repo, const git_oid *a, const git_oid *b)
{
	return git_oid_equal(a, b) || git_graph_descendant_of(repo, b, a) == 1;
}

/* ------------------------------------------------------------------ */
/* The site key                                                        */

int ch_log_site_key(ch_keyinfo *out, ch_buf *armored, ch_site *site, int create)
{
	ch_keystore *ks = NULL;
	ch_buf name = CH_BUF_INIT, email = CH_BUF_INIT;
	int error;

	ch_buf pub = CH_BUF_INIT;

	error = ch_site_signer(out, site, CH_LOG_SIGNER);
	/* a key made for another site (a site directory copied by hand) is
	 * not this site's: it gets its own */
	if (error == 0 && ch_site_log_key_site(site) &&
	    strcmp(ch_site_log_key_site(site), site->site_id))
		error = ch_error_setc(CH_ENOTFOUND, "site %s holds the log key of site %s",
		                      site->site_id, ch_site_log_key_site(site));
	if (error == CH_ENOTFOUND && create) {
		ch_error_clear();
		ch_buf_printf(&name, "Chancery site %s", site->site_id);
		ch_buf_printf(&email, "log@%s.chancery", site->site_id);
		if ((error = ch_site_keystore(&ks, site)) == 0 &&
		    (error = ch_keystore_create_machine_key(out, ks, name.ptr, email.ptr)) == 0 &&
		    (error = ch_keystore_export(&pub, ks, out->fpr)) == 0 &&
		    (error = ch_site_set_log_public(site, pub.ptr)) == 0)
			error = ch_site_set_signer(site, CH_LOG_SIGNER, out);
		if (!error)
			error = ch_site_set_log_key_site(site);
	}
	if (!error && armored) {
		if (ch_site_log_public(site))
			ch_buf_puts(armored, ch_site_log_public(site));
		else if ((error = ch_site_keystore(&ks, site)) == 0 &&
		         (error = ch_keystore_export(armored, ks, out->fpr)) == 0)
			error = ch_site_set_log_public(site, armored->ptr);
	}
	ch_buf_dispose(&pub);
	ch_buf_dispose(&name);
	ch_buf_dispose(&email);
	return error;
}

/* ------------------------------------------------------------------ */
/* Appending                                                           */

static void put_item(ch_buf *b, const ch_log_item *it)
{
	char o[GIT_OID_HEXSZ + 1], n[GIT_OID_HEXSZ + 1];
	size_t i;

	switch (it->kind) {
	case CH_LOG_POLICY:
	case CH_LOG_SPILLS:
		git_oid_tostr(o, sizeof(o), &it->old_id);
		git_oid_tostr(n, sizeof(n), &it->new_id);
		ch_buf_printf(b, "Chancery-Log-%s: %s %s\n",
		              it->kind == CH_LOG_POLICY ? "Policy" : "Spills", o, n);
		break;
	case CH_LOG_DOC:
		ch_buf_puts(b, "Chancery-Log-Doc: ");
		for (i = 0; i < 32; i++)
			ch_buf_printf(b, "%02x", it->commitment[i]);
		ch_buf_putc(b, '\n');
		break;
	case CH_LOG_WITNESS:
		git_oid_tostr(n, sizeof(n), &it->peer_head);
		ch_buf_printf(b, "Chancery-Log-Witness: %s %" PRIu64 " %s\n", it->peer, it->peer_seq, n);
		break;
	}
}

int ch_log_item_for(ch_log_item *out, int *skip, git_repository *repo, const char *ref,
                    const git_oid *old_id, const git_oid *new_id)
{
	git_oid root;
	int error;

	memset(out, 0, sizeof(*out));
	*skip = 0;
	if (!strcmp(ref, CH_POLICY_REF) || !strcmp(ref, CH_SPILLS_REF)) {
		out->kind = !strcmp(ref, CH_POLICY_REF) ? CH_LOG_POLICY : CH_LOG_SPILLS;
		if (old_id)
			git_oid_cpy(&out->old_id, old_id);
		git_oid_cpy(&out->new_id, new_id);
		return 0;
	}
	if (strncmp(ref, CH_DOCS_PREFIX, strlen(CH_DOCS_PREFIX)) &&
	    strncmp(ref, CH_CONFLICTS_PREFIX, strlen(CH_CONFLICTS_PREFIX))) {
		*skip = 1;
		return 0;
	}
	if ((error = ch_log_chain_root(&root, repo, new_id)) < 0)
		return error;
	out->kind = CH_LOG_DOC;
	ch_log_commitment(out->commitment, ref, &root, new_id);
	return 0;
}

typedef struct {
	ch_log_item *v;
	size_t n, cap;
} item_vec;

static void items_push(item_vec *iv, const ch_log_item *it)
{
	if (iv->n == iv->cap) {
		iv->cap = iv->cap ? iv->cap * 2 : 64;
		iv->v = ch_realloc(iv->v, iv->cap * sizeof(*iv->v));
	}
	iv->v[iv->n++] = *it;
}

static int head_cb(git_reference *ref, void *payload)
{
	item_vec *iv = payload;
	const git_oid *id = git_reference_target(ref);
	git_repository *repo = git_reference_owner(ref);
	ch_log_item it;
	int skip;

	if (id && ch_log_item_for(&it, &skip, repo, git_reference_name(ref), NULL, id) == 0 &&
	    !skip)
		items_push(iv, &it);
	ch_error_clear();
	git_reference_free(ref);
	return 0;
}

static int same_item(const ch_log_item *a, const ch_log_item *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == CH_LOG_DOC)
		return !memcmp(a->commitment, b->commitment, 32);
	if (a->kind == CH_LOG_WITNESS)
		return !strcmp(a->peer, b->peer) && a->peer_seq == b->peer_seq;
	return git_oid_equal(&a->new_id, &b->new_id);
}

static int already(const item_vec *iv, const ch_log_item *it)
{
	size_t i;

	for (i = 0; i < iv->n; i++)
		if (same_item(&iv->v[i], it))
			return 1;
	return 0;
}

/* The first entry records every head the site holds. */
static int all_heads(item_vec *iv, git_repository *repo)
{
	if (git_reference_foreach(repo, head_cb, iv) < 0)
		return git_fail(CH_EIO, "cannot list the site's refs");
	return 0;
}

static int key_tree(git_oid *tree, ch_site *site)
{
	ch_keyinfo key;
	ch_buf armored = CH_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_oid blob;
	int error;

	if ((error = ch_log_site_key(&key, &armored, site, 1)) < 0)
		return error;
	if (git_blob_create_from_buffer(&blob, site->repo, armored.ptr, armored.size) < 0 ||
	    git_treebuilder_new(&tb, site->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, CH_LOG_KEY_FILE, &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(tree, tb) < 0)
		error = git_fail(CH_EIO, "cannot write the log's key");
	git_treebuilder_free(tb);
	ch_buf_dispose(&armored);
	return error;
}

static int sign_entry(ch_buf *sig, ch_site *site, const ch_buf *text)
{
	ch_keyinfo key;

	if (site->sign) {
		memset(&key, 0, sizeof(key));
		return site->sign(sig, CH_LOG_SIGNER, &key, "", text->ptr, text->size,
		                  site->sign_ctx);
	}
	return ch_log_sign_guarded(sig, site, text->ptr, text->size, 1);
}

/* ------------------------------------------------------------------ */
/* The key holder's guard: the site key signs one chain                */

void ch_log_signed_id(git_oid *out, const char *text, size_t len, const char *sig)
{
	const char *end = memmem(text, len, "\n\n", 2), *p;
	ch_buf b = CH_BUF_INIT;

	/* as git_commit_create_with_signature writes it: the headers, then
	 * "gpgsig" with the signature's lines continued by a space */
	end = end ? end + 1 : text + len;
	ch_buf_set(&b, text, (size_t)(end - text));
	ch_buf_puts(&b, "gpgsig ");
	for (p = sig; *p; p++) {
		ch_buf_putc(&b, *p);
		if (*p == '\n')
			ch_buf_putc(&b, ' ');
	}
	ch_buf_putc(&b, '\n');
	ch_buf_put(&b, end, (size_t)(text + len - end));
	git_odb_hash(out, b.ptr, b.size, GIT_OBJECT_COMMIT);
	ch_buf_dispose(&b);
}

/* seq and parent ("" for none) of a payload that passed the check */
static void payload_position(uint64_t *seq, char parent[41], const char *text, size_t len)
{
	const char *m = memmem(text, len, "\n\nlog: ", 7), *sp;

	parent[0] = '\0';
	if (len > 48 && !strncmp(text + 46, "parent ", 7))
		memcpy(parent, text + 53, 40), parent[40] = '\0';
	*seq = 0;
	if (m && (sp = memchr(m + 7, ' ', (size_t)(text + len - m - 7))))
		*seq = strtoull(sp + 1, NULL, 10);
}

#define GUARD_FILE "chancery-log-head"
#define GUARD_MAX 8192 /* the record's line, then the last entry's signature */

int ch_log_sign_guarded(ch_buf *sig, ch_site *site, const void *text, size_t len, int create)
{
	ch_buf path = CH_BUF_INIT, state = CH_BUF_INIT;
	ch_keystore *ks;
	ch_keyinfo key;
	char parent[41], last_parent[41] = "", last_id[41] = "", buf[GUARD_MAX + 1];
	const char *last_sig = "";
	unsigned long long last = 0;
	uint64_t seq;
	git_oid id;
	ssize_t n, got = 0;
	int fd, error, known = 0;

	if ((error = ch_log_check_payload(site->site_id, text, len)) < 0)
		return error;
	payload_position(&seq, parent, text, len);
	ch_buf_printf(&path, "%s/%s", site->gnupg_path, GUARD_FILE);
	fd = open(path.ptr, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	ch_buf_dispose(&path);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		error = ch_error_setc(CH_EDENIED, "the site log's key is the key holder's (root, or "
		                      "chanceryd's signer, which open SITE/gnupg): run this as that user");
		goto done;
	}
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		error = ch_error_setc(CH_EIO, "cannot open the site key's record: %s", strerror(errno));
		goto done;
	}
	while (got < GUARD_MAX && (n = read(fd, buf + got, (size_t)(GUARD_MAX - got))) > 0)
		got += n;
	buf[got] = '\0';
	if (got > 0) {
		char who[66] = "", *nl = strchr(buf, '\n');

		if (sscanf(buf, "%65s %llu %40s %40s", who, &last, last_parent, last_id) == 4 &&
		    !strcmp(who, site->site_id))
			known = 1; /* (another site's record: a copied directory) */
		if (nl)
			last_sig = nl + 1; /* the last entry's signature (records since the fix) */
	}
	if (!strcmp(last_parent, "-"))
		last_parent[0] = '\0';
	/* the next entry, or the last one again when it was lost before it
	 * was written (a crash); never an entry beside an older one */
	if (known && !((seq == last + 1 && !strcmp(parent, last_id)) ||
	               (seq == last && !strcmp(parent, last_parent)))) {
		error = ch_error_setc(CH_EDENIED, "R6: the site key signed entry %llu (%s) last; it "
		                      "does not sign entry %" PRIu64 " on %s, which would fork the "
		                      "site log", last, last_id, seq, parent[0] ? parent : "no parent");
		goto done;
	}
	/* the last entry again: only that very entry, with the signature it
	 * got (the same commit id); another payload at that seq on that
	 * parent would be a second entry beside it, a fork made without the
	 * key (a writer that lost its entry finishes it: SITE/state/
	 * sitelog.pending, ch_log_append) */
	if (known && seq == last) {
		if (last_sig[0]) {
			ch_log_signed_id(&id, text, len, last_sig);
			if (!strcmp(git_oid_tostr_s(&id), last_id)) {
				ch_buf_puts(sig, last_sig);
				goto done;
			}
		}
		error = ch_error_setc(CH_EDENIED, "R6: the site key signed entry %llu (%s) already; "
		                      "it does not sign another entry %" PRIu64 " on %s, which would "
		                      "fork the site log", last, last_id, seq,
		                      parent[0] ? parent : "no parent");
		goto done;
	}
	if ((error = ch_log_site_key(&key, NULL, site, create)) < 0 ||
	    (error = ch_site_keystore(&ks, site)) < 0 ||
	    (error = ch_keystore_sign_machine(sig, ks, &key, text, len)) < 0)
		goto done;
	while (sig->size && sig->ptr[sig->size - 1] == '\n')
		ch_buf_truncate(sig, sig->size - 1);
	ch_log_signed_id(&id, text, len, sig->ptr);
	ch_buf_printf(&state, "%s %" PRIu64 " %s %s\n%s", site->site_id, seq,
	              parent[0] ? parent : "-", git_oid_tostr_s(&id), sig->ptr);
	if (state.size > GUARD_MAX) {
		error = ch_error_setc(CH_EIO, "the site key's signature is too long to record");
		goto done;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0 ||
	    write(fd, state.ptr, state.size) != (ssize_t)state.size || fsync(fd) < 0)
		error = ch_error_setc(CH_EIO, "cannot write the site key's record: %s",
		                      strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	ch_buf_dispose(&state);
	return error;
}

/* The entry's commit text: tree, parent, author, committer, message. */
static void entry_text(ch_buf *out, const char *site_id, const git_oid *tree,
                       const git_oid *parent, uint64_t seq, int64_t when,
                       const ch_log_item *items, size_t n)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	ch_buf_printf(out, "tree %s\n", git_oid_tostr(hex, sizeof(hex), tree));
	if (parent)
		ch_buf_printf(out, "parent %s\n", git_oid_tostr(hex, sizeof(hex), parent));
	for (i = 0; i < 2; i++)
		ch_buf_printf(out, "%s %s site log <log@%s.chancery> %" PRId64 " +0000\n",
		              i ? "committer" : "author", site_id, site_id, when);
	ch_buf_putc(out, '\n');
	ch_log_message(out, site_id, seq, when, items, n);
}

void ch_log_message(ch_buf *out, const char *site_id, uint64_t seq, int64_t when,
                    const ch_log_item *items, size_t n)
{
	size_t i;

	ch_buf_printf(out, "log: %s %" PRIu64 "\n\nChancery-Log-Site: %s\nChancery-Log-Seq: %" PRIu64
	              "\nChancery-Log-Time: %" PRId64 "\n", site_id, seq, site_id, seq, when);
	for (i = 0; i < n; i++)
		put_item(out, &items[i]);
}

/* The current head, its seq, time and tree (none: seq 0). */
static int log_tip(git_oid *head, uint64_t *seq, int64_t *when, git_oid *tree, int *has,
                   git_repository *repo)
{
	git_commit *c = NULL;
	ch_log_entry e;
	char site[65] = "";
	const char *msg;
	int rc = git_reference_name_to_id(head, repo, CH_LOG_REF), error;

	*has = 0;
	*seq = 0;
	*when = 0;
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0 || git_commit_lookup(&c, repo, head) < 0)
		return git_fail(CH_EIO, "cannot read the site log");
	msg = git_commit_message_raw(c);
	if ((error = ch_log_parse(&e, site, msg, strlen(msg))) == 0) {
		*seq = e.seq;
		*when = e.time;
		git_oid_cpy(tree, git_commit_tree_id(c));
		*has = 1;
		ch_log_entry_dispose(&e);
	}
	git_commit_free(c);
	return error;
}

/* The log's writers take SITE/state/sitelog.lock (flock: the kernel lets
 * go of it when its holder dies), then git's refs/chancery/log.lock. Under
 * the flock a git lock found is a dead writer's: removed, so a crash while
 * the log is written never blocks the site's later steps. */
static int lock_log(git_transaction **tx, int *fd, ch_site *site)
{
	ch_buf path = CH_BUF_INIT;
	int tries, rc;

	*tx = NULL;
	ch_buf_printf(&path, "%s/state", site->path);
	if (mkdir(path.ptr, 0700) < 0 && errno != EEXIST) {
		ch_buf_dispose(&path);
		return ch_error_setc(CH_EIO, "cannot make the site's state directory: %s",
		                     strerror(errno));
	}
	ch_buf_puts(&path, "/sitelog.lock");
	*fd = open(path.ptr, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	ch_buf_dispose(&path);
	if (*fd < 0)
		return ch_error_setc(CH_EIO, "cannot open the site log's lock: %s", strerror(errno));
	for (tries = 0; flock(*fd, LOCK_EX | LOCK_NB) < 0; tries++) {
		if (errno != EWOULDBLOCK || tries >= LOG_LOCK_TRIES)
			return ch_error_setc(CH_ECONFLICT, "the site log is busy: another entry is being "
			                     "written; nothing was recorded, try again");
		usleep(10000);
	}
	for (tries = 0; tries < 2; tries++) {
		if (git_transaction_new(tx, site->repo) < 0)
			return git_fail(CH_EIO, "cannot start a ref transaction");
		if ((rc = git_transaction_lock_ref(*tx, CH_LOG_REF)) == 0)
			return 0;
		git_transaction_free(*tx);
		*tx = NULL;
		if (rc != GIT_ELOCKED && rc != GIT_EEXISTS)
			break;
		path = (ch_buf)CH_BUF_INIT;
		ch_buf_printf(&path, "%s/%s.lock", site->repo_path, CH_LOG_REF);
		if (unlink(path.ptr) < 0 && errno != ENOENT)
			tries = 2;
		ch_buf_dispose(&path);
	}
	return git_fail(CH_EIO, "cannot lock the site log");
}

#define PENDING_FILE "sitelog.pending"

static void pending_path(ch_buf *out, ch_site *site)
{
	ch_buf_printf(out, "%s/state/%s", site->path, PENDING_FILE);
}

/* An entry this writer had signed and not yet entered (it died between the
 * signature and the ref): when it is the next entry on the current tip,
 * signed again (the key holder gives the same signature for the same
 * payload, ch_log_sign_guarded) and written; it becomes the tip the new
 * entry follows. Anything else in the file is stale: dropped. */
static int finish_pending(ch_site *site, git_oid *head, uint64_t *seq, int64_t *when,
                          git_oid *tree, int *has, git_oid *written)
{
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT, sig = CH_BUF_INIT;
	char parent[41], tip[GIT_OID_HEXSZ + 1];
	git_commit *c = NULL;
	ch_log_entry e;
	uint64_t pseq;
	const char *msg;
	int error = 0;

	pending_path(&path, site);
	if (ch_fs_read(&text, path.ptr, CH_LOG_MAX_MESSAGE + 1024) < 0) {
		ch_error_clear();
		goto done; /* none */
	}
	if (ch_log_check_payload(site->site_id, text.ptr, text.size) < 0) {
		ch_error_clear();
		goto drop;
	}
	payload_position(&pseq, parent, text.ptr, text.size);
	if (*has ? pseq != *seq + 1 || strcmp(parent, git_oid_tostr(tip, sizeof(tip), head)) :
	    pseq != 1 || parent[0])
		goto drop; /* entered already, or overtaken */
	if ((error = sign_entry(&sig, site, &text)) < 0) {
		ch_error_prefix("cannot finish the site log's entry %" PRIu64 " a writer lost: ",
		                pseq);
		goto done;
	}
	while (sig.size && sig.ptr[sig.size - 1] == '\n')
		ch_buf_truncate(&sig, sig.size - 1);
	if (git_commit_create_with_signature(written, site->repo, text.ptr, sig.ptr, NULL) < 0 ||
	    git_commit_lookup(&c, site->repo, written) < 0) {
		error = git_fail(CH_EIO, "cannot write the site log's entry a writer lost");
		goto done;
	}
	msg = git_commit_message_raw(c);
	if ((error = ch_log_parse(&e, NULL, msg, strlen(msg))) < 0)
		goto done;
	git_oid_cpy(head, written);
	*seq = e.seq;
	*when = e.time;
	git_oid_cpy(tree, git_commit_tree_id(c));
	*has = 1;
	ch_log_entry_dispose(&e);
	goto done;
drop:
	unlink(path.ptr);
done:
	git_commit_free(c);
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	ch_buf_dispose(&sig);
	return error;
}

int ch_log_append(ch_site *site, const ch_log_item *items, size_t n)
{
	git_transaction *tx = NULL;
	ch_buf text = CH_BUF_INIT, sig = CH_BUF_INIT;
	item_vec iv = { NULL, 0, 0 };
	int lockfd = -1;
	git_oid head, tree, id, lost;
	ch_buf ppath = CH_BUF_INIT;
	uint64_t seq;
	int64_t when, now = (int64_t)time(NULL);
	size_t i;
	int has, error;

	if (n > CH_LOG_MAX_ITEMS)
		return ch_error_setc(CH_EINVALID, "more than %d updates in one log entry",
		                     CH_LOG_MAX_ITEMS);
	if ((error = lock_log(&tx, &lockfd, site)) < 0)
		goto done;
	if ((error = log_tip(&head, &seq, &when, &tree, &has, site->repo)) < 0)
		goto done;
	memset(&lost, 0, sizeof(lost));
	if ((error = finish_pending(site, &head, &seq, &when, &tree, &has, &lost)) < 0)
		goto done;
	if (!git_oid_is_zero(&lost)) {
		/* entered at once, so that the next pending entry never replaces
		 * one whose ref has not moved */
		if (git_transaction_set_target(tx, CH_LOG_REF, &lost, NULL, "chancery: site log") < 0 ||
		    git_transaction_commit(tx) < 0) {
			error = git_fail(CH_EIO, "cannot move the site log");
			goto done;
		}
		pending_path(&ppath, site);
		unlink(ppath.ptr);
		ch_buf_clear(&ppath);
		git_transaction_free(tx);
		tx = NULL;
		if (git_transaction_new(&tx, site->repo) < 0 ||
		    git_transaction_lock_ref(tx, CH_LOG_REF) < 0) {
			error = git_fail(CH_EIO, "cannot lock the site log");
			goto done;
		}
	}
	if (!has) { /* the first entry: every head, then these */
		if ((error = key_tree(&tree, site)) < 0 || (error = all_heads(&iv, site->repo)) < 0)
			goto done;
	}
	for (i = 0; i < n; i++)
		if (has || !already(&iv, &items[i]))
			items_push(&iv, &items[i]);
	if (!iv.n && has)
		goto done; /* nothing to record */
	if (iv.n > CH_LOG_MAX_ITEMS) {
		error = ch_error_setc(CH_EINVALID, "the site's first log entry would hold more than "
		                      "%d heads", CH_LOG_MAX_ITEMS);
		goto done;
	}
	entry_text(&text, site->site_id, &tree, has ? &head : NULL, seq + 1,
	           now > when ? now : when, iv.v, iv.n);
	/* kept until the ref moves: a writer that dies once the key signed
	 * finishes this very entry next time (finish_pending) */
	pending_path(&ppath, site);
	if ((error = ch_fs_write_atomic(ppath.ptr, text.ptr, text.size, 0600)) < 0)
		goto done;
	if ((error = sign_entry(&sig, site, &text)) < 0) {
		if (error == CH_EDENIED || error == CH_EINVALID)
			unlink(ppath.ptr); /* refused, so never signed */
		ch_error_prefix("cannot sign the site log's entry: ");
		goto done;
	}
	while (sig.size && sig.ptr[sig.size - 1] == '\n')
		ch_buf_truncate(&sig, sig.size - 1);
	if (git_commit_create_with_signature(&id, site->repo, text.ptr, sig.ptr, NULL) < 0) {
		error = git_fail(CH_EIO, "cannot write the site log's entry");
		goto done;
	}
	if (git_transaction_set_target(tx, CH_LOG_REF, &id, NULL, "chancery: site log") < 0 ||
	    git_transaction_commit(tx) < 0)
		error = git_fail(CH_EIO, "cannot move the site log");
	else {
		ch_buf_clear(&ppath);
		pending_path(&ppath, site);
		unlink(ppath.ptr);
	}
done:
	git_transaction_free(tx);
	ch_buf_dispose(&ppath);
	if (lockfd >= 0)
		close(lockfd); /* (after git's lock is gone) */
	ch_buf_dispose(&text);
	ch_buf_dispose(&sig);
	free(iv.v);
	return error;
}

int ch_log_record(ch_site *site, const char *ref, const git_oid *old_id, const git_oid *new_id)
{
	ch_log_item it;
	int skip, error;

	if ((error = ch_log_item_for(&it, &skip, site->repo, ref, old_id, new_id)) < 0 || skip)
		return error;
	return ch_log_append(site, &it, 1);
}

/* ------------------------------------------------------------------ */
/* The signer's check                                                  */

int ch_log_check_payload(const char *site, const void *text, size_t len)
{
	const char *t = text, *msg;
	ch_log_entry e;
	char s[65];
	ch_buf want = CH_BUF_INIT;
	size_t i;
	int error;

	if (len > CH_LOG_MAX_MESSAGE + 1024 || memchr(t, '\0', len) ||
	    !(msg = memmem(t, len, "\n\n", 2)))
		return ch_error_setc(CH_EINVALID, "not a site log entry");
	/* tree, at most one parent, author and committer of the log */
	ch_buf_set(&want, t, (size_t)(msg - t) + 1);
	error = 0;
	{
		const char *p = want.ptr;
		size_t line = 0;

		while (*p && !error) {
			const char *nl = strchr(p, '\n');

			line++;
			if (line == 1 ? strncmp(p, "tree ", 5) || nl - p != 45 :
			    line == 2 && !strncmp(p, "parent ", 7) ? nl - p != 47 :
			    strncmp(p, "author ", 7) && strncmp(p, "committer ", 10))
				error = -1;
			p = nl + 1;
		}
		if (line < 3 || line > 4)
			error = -1;
	}
	ch_buf_dispose(&want);
	if (error)
		return ch_error_setc(CH_EINVALID, "not a site log entry's headers");
	msg += 2;
	snprintf(s, sizeof(s), "%s", site);
	if ((error = ch_log_parse(&e, s, msg, len - (size_t)(msg - t))) < 0)
		return error;
	for (i = 0; i < e.n; i++)
		if (e.items[i].kind < CH_LOG_POLICY || e.items[i].kind > CH_LOG_WITNESS)
			error = ch_error_setc(CH_EINVALID, "not a site log entry");
	ch_log_entry_dispose(&e);
	return error;
}

/* ------------------------------------------------------------------ */
/* Beginning                                                           */

int ch_log_begin(ch_site *site, int *begun)
{
	git_oid head;
	int rc = git_reference_name_to_id(&head, site->repo, CH_LOG_REF);

	*begun = 0;
	if (rc == 0)
		return 0; /* a log: a head it lacks is R5's to find, never entered now */
	if (rc != GIT_ENOTFOUND)
		return git_fail(CH_EIO, "cannot read the site log");
	*begun = 1;
	return ch_log_append(site, NULL, 0);
}
