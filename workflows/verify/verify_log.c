/* verify_log.c -- the verifier's side of the site log (docs/format.md
 * "The site log": R2-R7, "D1 at a log position"; verify_log.h).
 *
 * Sections: loading the logs (R2-R4, the policy's log_key); witnesses (R6
 * and R7's earliest bounds); heads (R5); a document's positions (R5's
 * order rule, R7); revocation at a log position (D1); exported helpers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workflows/classify/spill.h"
#include "workflows/format.h"
#include "workflows/verify/verify_log.h"
#include "util/common.h"

#define MAX_POLICY_CHAIN 1000000
#define MAX_PEER_LOGS 4096

/* ------------------------------------------------------------------ */
/* Loading                                                             */

int ch_vlog_is_log_ref(const char *ref)
{
	size_t n = strlen(ref), p = strlen(CH_PEERLOG_PREFIX);

	if (!strcmp(ref, CH_LOG_REF))
		return 1;
	return n > p + 4 && !strncmp(ref, CH_PEERLOG_PREFIX, p) && !strcmp(ref + n - 4, "/log") &&
	       !memchr(ref + p, '/', n - p - 4);
}

/* "... R3 ..." in ch_log_load's message: the rule it names (R2 when none). */
static const char *rule_named(const char *msg)
{
	static const char *const rules[] = { "R2", "R3", "R4" };
	const char *best = "R2", *at = NULL, *hit;
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(rules); i++)
		if ((hit = strstr(msg, rules[i])) && (!at || hit < at)) {
			at = hit;
			best = rules[i];
		}
	return best;
}

static void push_log(ch_vlogs *L, ch_log *log, const char *ref)
{
	ch_vlog *v;

	L->v = ch_realloc(L->v, (L->n + 1) * sizeof(*L->v));
	v = &L->v[L->n++];
	memset(v, 0, sizeof(*v));
	v->log = *log;
	v->ref = ch_strdup(ref);
	v->before = ch_calloc(log->n + 2, sizeof(*v->before));
}

/* Load and check the log at `ref`; `site` (a peer's) the name it must
 * carry, NULL for the own log. 0 when usable, -1 (a finding) when not. */
static int load_one(ch_vlogs *L, git_repository *repo, const char *ref, const char *site,
                    const ch_policy *newest, ch_vflist *f)
{
	const ch_site_entry *se;
	ch_log log;
	git_oid head;
	int rc;

	memset(&log, 0, sizeof(log));
	if (git_reference_name_to_id(&head, repo, ref) < 0) {
		ch_vadd(f, "R2", ref, NULL, "the log ref does not lead to a commit");
		return -1;
	}
	if ((rc = ch_log_load(&log, repo, &head, NULL)) < 0) {
		ch_vadd(f, rule_named(ch_error_last()), ref, &head, "the site log cannot be trusted "
		        "(nothing is taken from it): %s", ch_error_last());
		return -1;
	}
	if (site && strcmp(log.site, site)) {
		ch_vadd(f, "R2", ref, &head, "a log of site %s kept as the log of site %s", log.site,
		        site);
		ch_log_dispose(&log);
		return -1;
	}
	se = newest ? ch_policy_site(newest, log.site) : NULL;
	if (se && se->log_key && strcasecmp(se->log_key, log.key_fpr)) {
		ch_vadd(f, "R3", ref, &head, "site %s's log is signed by key %s, but the newest "
		        "policy's sites.json names %s as its log key", log.site, log.key_fpr,
		        se->log_key);
		ch_log_dispose(&log);
		return -1;
	}
	push_log(L, &log, ref);
	return 0;
}

/* refs/chancery/peers/<site>/log -> <site> (a pointer into a copy). */
static int peer_site(char *out, size_t size, const char *ref)
{
	size_t p = strlen(CH_PEERLOG_PREFIX), n = strlen(ref);

	if (!ch_vlog_is_log_ref(ref) || !strcmp(ref, CH_LOG_REF) || n - p - 4 >= size)
		return 0;
	memcpy(out, ref + p, n - p - 4);
	out[n - p - 4] = '\0';
	return 1;
}

static void load_peers(ch_vlogs *L, git_repository *repo, const ch_policy *newest,
                       ch_vflist *f)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	char site[65];
	size_t seen = 0;

	if (git_reference_iterator_glob_new(&it, repo, CH_PEERLOG_PREFIX "*") < 0)
		return;
	while (git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref);

		if (peer_site(site, sizeof(site), name) && seen++ < MAX_PEER_LOGS) {
			if (L->own && !strcmp(site, L->v[0].log.site))
				ch_vadd(f, "R2", name, NULL, "a peer's log under this site's own name (%s)",
				        site);
			else
				load_one(L, repo, name, site, newest, f);
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
}

/* ------------------------------------------------------------------ */
/* Witnesses: R6, and R7's earliest bounds                             */

void ch_vlog_before(int64_t *before, const int64_t *wit, size_t n)
{
	int64_t last = 0;
	size_t p;

	before[0] = 0;
	for (p = 1; p <= n + 1; p++) {
		before[p] = last;
		if (p <= n && wit[p])
			last = wit[p];
	}
}

static ch_vlog *log_of(ch_vlogs *L, const char *site)
{
	size_t i;

	for (i = 0; i < L->n; i++)
		if (!strcmp(L->v[i].log.site, site))
			return &L->v[i];
	return NULL;
}

/* One Witness item of log `w` (entry e) about log `t`: R6 when what it
 * names is not `t`'s history as held here; else its time counts. 1 when
 * it was a fork. */
static int judge_witness(git_repository *repo, const ch_vlog *w, const ch_log_entry *e,
                         const ch_log_item *it, ch_vlog *t, int64_t *wit, ch_vflist *f)
{
	char held[GIT_OID_HEXSZ + 1], named[GIT_OID_HEXSZ + 1];
	git_odb *odb = NULL;
	int have = 0;

	git_oid_tostr(named, sizeof(named), &it->peer_head);
	if (it->peer_seq >= 1 && it->peer_seq <= t->log.n) {
		const ch_log_entry *te = &t->log.v[it->peer_seq - 1];

		if (git_oid_equal(&te->id, &it->peer_head)) {
			if (!wit[it->peer_seq] || e->time < wit[it->peer_seq])
				wit[it->peer_seq] = e->time;
			return 0;
		}
		git_oid_tostr(held, sizeof(held), &te->id);
		ch_vadd(f, "R6", t->ref, &t->log.head, "fork: site %s witnessed (its log entry "
		        "%" PRIu64 ", %s) site %s's log at seq %" PRIu64 " as %s, but the entry at "
		        "that seq here is %s (head %s): two histories of one log", w->log.site,
		        e->seq, git_oid_tostr_s(&e->id), t->log.site, it->peer_seq, named, held,
		        git_oid_tostr_s(&t->log.head));
		return 1;
	}
	/* A newer head than the one held here: a fork unless it extends it. */
	if (git_repository_odb(&odb, repo) == 0)
		have = git_odb_exists(odb, &it->peer_head);
	git_odb_free(odb);
	if (!have || ch_log_extends(repo, &t->log.head, &it->peer_head) == 1)
		return 0; /* not held here: the next sync brings it, and judges it then */
	git_oid_tostr(held, sizeof(held), &t->log.head);
	ch_vadd(f, "R6", t->ref, &t->log.head, "fork: site %s witnessed (its log entry %" PRIu64
	        ") site %s's log head %s at seq %" PRIu64 ", which does not extend the head held "
	        "here, %s (seq %zu): two histories of one log", w->log.site, e->seq, t->log.site,
	        named, it->peer_seq, held, t->log.n);
	return 1;
}

static void witnesses(ch_vlogs *L, git_repository *repo, ch_vflist *f)
{
	int64_t **wit = ch_calloc(L->n ? L->n : 1, sizeof(*wit));
	unsigned char *forked = ch_calloc(L->n * L->n + 1, 1);
	size_t i, j, k, ti;

	for (i = 0; i < L->n; i++)
		wit[i] = ch_calloc(L->v[i].log.n + 2, sizeof(**wit));
	for (i = 0; i < L->n; i++) {
		const ch_vlog *w = &L->v[i];

		for (j = 0; j < w->log.n; j++)
			for (k = 0; k < w->log.v[j].n; k++) {
				const ch_log_item *it = &w->log.v[j].items[k];
				ch_vlog *t;

				if (it->kind != CH_LOG_WITNESS || !(t = log_of(L, it->peer)) || t == w)
					continue;
				ti = (size_t)(t - L->v);
				if (forked[i * L->n + ti])
					continue; /* one finding per witnessing log and log */
				if (judge_witness(repo, w, &w->log.v[j], it, t, wit[ti], f))
					forked[i * L->n + ti] = 1;
			}
	}
	for (i = 0; i < L->n; i++) {
		ch_vlog_before(L->v[i].before, wit[i], L->v[i].log.n);
		free(wit[i]);
	}
	free(wit);
	free(forked);
}

int ch_vlogs_open(ch_vlogs *L, git_repository *repo, const ch_policy *newest, ch_vflist *f)
{
	git_oid head;
	size_t i;

	memset(L, 0, sizeof(*L));
	if (git_reference_name_to_id(&head, repo, CH_LOG_REF) < 0) {
		ch_error_clear();
		return 0;
	}
	L->held = 1;
	L->own = load_one(L, repo, CH_LOG_REF, NULL, newest, f) == 0;
	load_peers(L, repo, newest, f);
	witnesses(L, repo, f);
	L->logs = ch_calloc(L->n ? L->n : 1, sizeof(*L->logs));
	for (i = 0; i < L->n; i++)
		L->logs[i] = &L->v[i].log;
	ch_error_clear();
	return 0;
}

void ch_vlogs_dispose(ch_vlogs *L)
{
	size_t i;

	for (i = 0; i < L->n; i++) {
		ch_log_dispose(&L->v[i].log);
		free(L->v[i].ref);
		free(L->v[i].before);
	}
	free(L->v);
	free(L->logs);
	memset(L, 0, sizeof(*L));
}

/* ------------------------------------------------------------------ */
/* Heads: R5                                                           */

/* The last update of `kind` the log records: its new id and entry. */
static const ch_log_item *last_update(const ch_log *log, ch_log_kind kind, uint64_t *seq)
{
	size_t i, k;

	for (i = log->n; i-- > 0;)
		for (k = log->v[i].n; k-- > 0;)
			if (log->v[i].items[k].kind == kind) {
				*seq = log->v[i].seq;
				return &log->v[i].items[k];
			}
	return NULL;
}

/* R5 for the policy and the spill list: the head is the last one the log
 * records (every update is logged, so a head the log does not end with
 * moved in hiding, forward or back). */
static void head_recorded(const ch_vlog *own, git_repository *repo, const char *ref,
                          ch_log_kind kind, const char *what, ch_vflist *f)
{
	const ch_log_item *it;
	uint64_t seq = 0;
	git_oid id;
	int have = git_reference_name_to_id(&id, repo, ref) == 0;

	ch_error_clear();
	it = last_update(&own->log, kind, &seq);
	if (!have && it)
		ch_vadd(f, "R5", ref, &it->new_id, "hidden history: site %s's log records the %s at "
		        "this commit (entry %" PRIu64 "), but the ref is gone", own->log.site, what, seq);
	else if (have && !it)
		ch_vadd(f, "R5", ref, &id, "hidden history: the %s head is recorded in no entry of "
		        "site %s's log (head %s): the ref moved without the site logging it", what,
		        own->log.site, git_oid_tostr_s(&own->log.head));
	else if (have && !git_oid_equal(&it->new_id, &id))
		ch_vadd(f, "R5", ref, &id, "hidden history: the %s head is not the last one site %s's "
		        "log records (%s, entry %" PRIu64 "): the ref moved without the site logging "
		        "it", what, own->log.site, git_oid_tostr_s(&it->new_id), seq);
}

static void conflict_recorded(const ch_vlog *own, git_repository *repo, const char *ref,
                              ch_vflist *f)
{
	unsigned char cm[32];
	git_oid head, root;

	if (git_reference_name_to_id(&head, repo, ref) < 0 ||
	    ch_log_chain_root(&root, repo, &head) < 0) {
		ch_vadd(f, "R5", ref, NULL, "the kept conflict cannot be read to its root");
		return;
	}
	ch_log_commitment(cm, ref, &root, &head);
	if (!ch_log_find_doc(&own->log, cm))
		ch_vadd(f, "R5", ref, &head, "hidden history: this kept conflict's head is recorded "
		        "in no entry of site %s's log (head %s)", own->log.site,
		        git_oid_tostr_s(&own->log.head));
}

static int is_conflict_ref(const char *name)
{
	const char *p = name + strlen("refs/conflicts/"), *s = strchr(p, '/');

	return s && s > p && !strncmp(s, "/docs/", 6) && s[6] && !strchr(s + 6, '/');
}

void ch_vlogs_heads(const ch_vlogs *L, git_repository *repo, int conflicts, ch_vflist *f)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	const ch_vlog *own = L->own ? &L->v[0] : NULL;

	if (!own)
		return; /* its own finding says why */
	head_recorded(own, repo, CH_POLICY_REF, CH_LOG_POLICY, "policy", f);
	head_recorded(own, repo, CH_SPILLS_REF, CH_LOG_SPILLS, "spill list", f);
	if (!conflicts || git_reference_iterator_glob_new(&it, repo, "refs/conflicts/*") < 0)
		return;
	while (git_reference_next(&ref, it) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    is_conflict_ref(git_reference_name(ref)))
			conflict_recorded(own, repo, git_reference_name(ref), f);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	ch_error_clear();
}

/* ------------------------------------------------------------------ */
/* A document's positions                                              */

size_t ch_vlog_order_fault(const uint64_t *first, size_t n, size_t *older)
{
	uint64_t max = 0;
	size_t i, at = 0;

	for (i = 0; i < n; i++) {
		if (!first[i])
			continue;
		if (first[i] < max) {
			*older = at;
			return i;
		}
		max = first[i];
		at = i;
	}
	return n;
}

void ch_vlogs_doc(const ch_vlogs *L, const char *ref, git_commit *const *chain, size_t n,
                  uint64_t *pos, ch_vflist *f)
{
	unsigned char cm[32];
	const git_oid *root;
	size_t l, i, bad, older = 0;
	uint64_t *p, min;

	if (!n)
		return;
	root = git_commit_id(chain[0]);
	for (l = 0; l < L->n; l++) {
		const ch_vlog *lg = &L->v[l];

		p = pos + l * n;
		for (i = 0; i < n; i++) {
			ch_log_commitment(cm, ref, root, git_commit_id(chain[i]));
			p[i] = ch_log_find_doc(&lg->log, cm);
		}
		if (l == 0 && L->own && !p[n - 1])
			ch_vadd(f, "R5", ref, git_commit_id(chain[n - 1]), "hidden history: this "
			        "document's head is recorded in no entry of site %s's log (head %s): the "
			        "ref moved without the site logging it", lg->log.site,
			        git_oid_tostr_s(&lg->log.head));
		if ((bad = ch_vlog_order_fault(p, n, &older)) < n)
			ch_vadd(f, "R5", ref, git_commit_id(chain[bad]), "site %s's log records this "
			        "commit at entry %" PRIu64 ", before the older commit %s of the chain "
			        "(entry %" PRIu64 "): the log records the chain going backwards",
			        lg->log.site, p[bad], git_oid_tostr_s(git_commit_id(chain[older])),
			        p[older]);
		/* a position: the first entry recording the commit or a later one */
		for (min = 0, i = n; i-- > 0;) {
			if (p[i] && (!min || p[i] < min))
				min = p[i];
			p[i] = min;
		}
	}
}

void ch_vlogs_bounds(const ch_vlogs *L, const uint64_t *pos, size_t n, size_t i,
                     int64_t *earliest, int64_t *latest)
{
	int unknown = 0;
	size_t l;

	*earliest = *latest = 0;
	for (l = 0; l < L->n; l++) {
		uint64_t p = pos[l * n + i];
		int64_t t, b;

		if (!p || p > L->v[l].log.n)
			continue;
		t = L->v[l].log.v[p - 1].time;
		b = L->v[l].before[p];
		if (!*latest || t < *latest)
			*latest = t;
		if (!b)
			unknown = 1; /* this log cannot bound it: nor can the others, soundly */
		else if (!*earliest || b < *earliest)
			*earliest = b;
	}
	if (unknown)
		*earliest = 0;
}

/* ------------------------------------------------------------------ */
/* D1 at a log position                                                */

static long log_index_of(const ch_vlogs *L, const char *site)
{
	size_t l;

	for (l = 0; l < L->n; l++)
		if (!strcmp(L->v[l].log.site, site))
			return (long)l;
	return -1;
}

typedef struct {
	const ch_vlogs *L;
	const uint64_t *pos;
	size_t n, i;
} vrev;

static const ch_log *vrev_find(const char *site, void *ctx)
{
	const vrev *r = ctx;
	long l = log_index_of(r->L, site);

	return l < 0 ? NULL : &r->L->v[l].log;
}

static uint64_t vrev_at(const ch_log *log, void *ctx)
{
	const vrev *r = ctx;
	size_t l = (size_t)((const ch_vlog *)(const void *)log - r->L->v);

	return r->pos[l * r->n + r->i]; /* (log is &L->v[l].log, its first member) */
}

/* The one rule (ch_log_before_revocation), over the logs held here. */
int ch_vlogs_before_revocation(const ch_vlogs *L, git_repository *repo, const uint64_t *pos,
                               size_t n, size_t i, const git_oid *revoking, const char *hq,
                               ch_vlog_where *where)
{
	vrev r = { L, pos, n, i };
	const ch_log *by;
	long h = log_index_of(L, hq);
	uint64_t y, at;
	int valid;

	memset(where, 0, sizeof(*where));
	if (h < 0)
		return -1; /* no log of headquarters held: the rule without logs */
	where->log = (size_t)h;
	where->step_seq = pos[(size_t)h * n + i];
	where->rev_seq = y = ch_log_policy_position(&L->v[h].log, repo, revoking);
	if (!y || (y == 1 && where->step_seq == 1))
		return -1; /* a log begun after both: it cannot order them */
	valid = ch_log_before_revocation(&L->v[h].log, y, vrev_find, vrev_at, &r, &by, &at);
	if (valid) {
		where->log = (size_t)((const ch_vlog *)(const void *)by - L->v);
		where->step_seq = at;
	}
	return valid;
}

const char *ch_vlog_revoked_in(const ch_policy *pol, const char *actor, const char *fpr)
{
	const ch_person *p = ch_policy_person(pol, actor);
	const ch_person_key *k;

	if (!p)
		return "is no longer a person";
	if (p->revoked)
		return "is revoked";
	if (!(k = ch_person_key_find(p, fpr)))
		return "no longer holds this key (replaced or removed)";
	if (k->revoked)
		return "has this key revoked";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Exported (verify.h)                                                 */

int ch_verify_revoking_policy(git_oid *out, git_repository *repo, const git_oid *named,
                              const git_oid *head, const char *actor, const char *fpr)
{
	git_oid *ids = NULL, cur;
	git_commit *c = NULL;
	ch_policy *pol = NULL;
	size_t n = 0, alloc = 0, i;
	int error = 0, found = 0;

	git_oid_cpy(&cur, head);
	while (!git_oid_equal(&cur, named)) {
		if (n >= MAX_POLICY_CHAIN || git_commit_lookup(&c, repo, &cur) < 0 ||
		    git_commit_parentcount(c) != 1) {
			error = ch_error_setc(CH_EINVALID, "policy %s is not an ancestor of the policy "
			                      "head on a chain of single parents", git_oid_tostr_s(named));
			goto done;
		}
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			ids = ch_realloc(ids, alloc * sizeof(*ids));
		}
		git_oid_cpy(&ids[n++], &cur);
		git_oid_cpy(&cur, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
	for (i = n; i-- > 0 && !found;) { /* oldest first */
		if ((error = ch_policy_load(&pol, repo, &ids[i])) < 0)
			goto done;
		if (ch_vlog_revoked_in(pol, actor, fpr)) {
			git_oid_cpy(out, &ids[i]);
			found = 1;
		}
		ch_policy_free(pol);
		pol = NULL;
	}
done:
	git_commit_free(c);
	free(ids);
	return error < 0 ? error : found;
}
