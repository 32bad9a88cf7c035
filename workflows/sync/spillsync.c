/* spillsync.c -- spills reach every recipient: taking a peer's spill list,
 * purging what it names, and reading the recipients' acknowledgements back
 * from their logs (spillsync.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workflows/classify/gate.h"
#include "workflows/classify/spill.h"
#include "workflows/doc.h"
#include "workflows/sitelog.h"
#include "workflows/sync/spillsync.h"
#include "util/common.h"

#define SPILLSYNC_MAX_NEW 100000 /* new spill commits in one take */

void ch_spillsync_dispose(ch_spillsync *s)
{
	ch_strv_free(&s->purged);
	ch_strv_free(&s->failed);
	memset(s, 0, sizeof(*s));
}

static void set_result(ch_spillsync *s, ch_qstatus status, const char *rule, const char *fmt, ...)
	CH_PRINTF(4, 5);

static void set_result(ch_spillsync *s, ch_qstatus status, const char *rule, const char *fmt, ...)
{
	va_list ap;

	s->status = status;
	snprintf(s->rule, sizeof(s->rule), "%s", rule ? rule : "");
	va_start(ap, fmt);
	vsnprintf(s->message, sizeof(s->message), fmt, ap);
	va_end(ap);
}

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return ch_error_setc(CH_EIO, "%s: %s", what, e && e->message ? e->message : "libgit2 failed");
}

static int descends(git_repository *repo, const git_oid *a, const git_oid *b)
{
	return git_oid_equal(a, b) || git_graph_descendant_of(repo, a, b) == 1;
}

/* ---- purging what the list names ---- */

/* 1 when the site holds the document: its ref or a kept conflict. */
static int holds(ch_site *site, const char *doc)
{
	ch_strv peers = CH_STRV_INIT;
	ch_buf ref = CH_BUF_INIT;
	git_oid id;
	int yes;

	ch_buf_printf(&ref, "%s%s", CH_DOCS_PREFIX, doc);
	yes = git_reference_name_to_id(&id, site->repo, ref.ptr) == 0;
	if (!yes && ch_doc_conflicts(&peers, site, doc) == 0)
		yes = peers.n > 0;
	ch_error_clear();
	ch_strv_free(&peers);
	ch_buf_dispose(&ref);
	return yes;
}

int ch_spillsync_sweep(ch_site *site, ch_strv *purged, ch_strv *failed)
{
	ch_spill_list list;
	ch_purge_result res;
	size_t i;
	int error, first = 0;

	if ((error = ch_spill_list_load(&list, site->repo)) < 0)
		return error;
	for (i = 0; i < list.n; i++) {
		if (!holds(site, list.v[i].doc))
			continue;
		if ((error = ch_spill_purge(&res, site, list.v[i].doc)) < 0) {
			ch_strv_push(failed, list.v[i].doc);
			if (!first)
				first = error;
			continue;
		}
		ch_strv_push(purged, list.v[i].doc);
	}
	ch_spill_list_dispose(&list);
	return first;
}

/* ---- taking a peer's list ---- */

/* Copy into the site exactly what `head` reaches and `local` (if any)
 * does not, durable before the ref moves. */
static int copy_objects(ch_site *site, git_repository *qrepo, const git_oid *head,
                        const git_oid *local)
{
	git_revwalk *walk = NULL;
	int error;

	if (git_revwalk_new(&walk, qrepo) < 0 || git_revwalk_push(walk, head) < 0 ||
	    (local && git_revwalk_hide(walk, local) < 0))
		error = git_fail("cannot collect the spill list's objects");
	else
		error = ch_quarantine_pack_into(site, qrepo, walk);
	git_revwalk_free(walk);
	return error;
}

static int set_qref(git_repository *qrepo, const char *name, const git_oid *id)
{
	git_reference *ref = NULL;

	if (git_reference_create(&ref, qrepo, name, id, 1, NULL) < 0)
		return git_fail("cannot set a quarantine ref");
	git_reference_free(ref);
	return 0;
}

/* The gate on every commit of the list new to the site (its reason is
 * text). 0, or 1 with the result set. */
static int gate_new(ch_spillsync *s, ch_site *site, git_repository *qrepo, const git_oid *head,
                    const git_oid *local, const char *peer, const char *door)
{
	const ch_policy *pol;
	git_revwalk *walk = NULL;
	git_oid phead, id;
	size_t n = 0;
	int rc, error = 0;

	if ((error = ch_site_policy_head(&phead, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &phead)) < 0)
		return error;
	if (git_revwalk_new(&walk, qrepo) < 0 || git_revwalk_push(walk, head) < 0 ||
	    (local && git_revwalk_hide(walk, local) < 0)) {
		git_revwalk_free(walk);
		return git_fail("cannot walk the spill list");
	}
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		if (++n > SPILLSYNC_MAX_NEW) {
			set_result(s, CH_Q_REFUSED, "REF", "more than %d new spill records",
			           SPILLSYNC_MAX_NEW);
			error = 1;
			break;
		}
		if (ch_gate_commit(site, qrepo, pol, &id, door, peer) < 0) {
			git_oid_tostr(s->commit, sizeof(s->commit), &id);
			set_result(s, CH_Q_REFUSED, "G", "commit %s rule G: %s", s->commit,
			           ch_error_last());
			error = 1;
			break;
		}
	}
	git_revwalk_free(walk);
	return error;
}

/* Verify the list at the quarantine's refs/chancery/spills against the
 * policy the site now holds. 0, 1 (refused: result set), or negative. */
static int verify_list(ch_spillsync *s, ch_site *site, git_repository *qrepo, size_t *n,
                       const char *peer, const char *door)
{
	ch_spill_list list;
	git_oid phead;
	int error;

	if ((error = ch_site_policy_head(&phead, site)) < 0 ||
	    (error = set_qref(qrepo, CH_POLICY_REF, &phead)) < 0)
		return error;
	if (ch_spill_verify(&list, qrepo) < 0) {
		set_result(s, CH_Q_REFUSED, "SL2", "the spill list does not verify: %s",
		           ch_error_last());
		ch_gate_event(site, door, peer, "SL2", "a spill list that does not verify");
		return 1;
	}
	*n = list.n;
	ch_spill_list_dispose(&list);
	return 0;
}

/* Move the site's refs/chancery/spills from `local` (NULL: absent) to
 * `head` by compare-and-swap. 0, or 1 when it moved meanwhile. */
static int move_ref(ch_spillsync *s, ch_site *site, const git_oid *head, const git_oid *local)
{
	git_reference *ref = NULL;
	int rc;

	if (local)
		rc = git_reference_create_matching(&ref, site->repo, CH_SPILLS_REF, head, 1, local,
		                                   "chancery: spill list from a peer");
	else
		rc = git_reference_create(&ref, site->repo, CH_SPILLS_REF, head, 0,
		                          "chancery: spill list from a peer");
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
		set_result(s, CH_Q_REFUSED, "CAS", "%s moved here while it was verified; sync again",
		           CH_SPILLS_REF);
		return 1;
	}
	return rc < 0 ? git_fail("cannot move " CH_SPILLS_REF) : 0;
}

/* Where the incoming head stands against ours: 0 to take it, 1 when the
 * result is set (unchanged, ours ahead, refused). */
static int judge_head(ch_spillsync *s, ch_site *site, git_repository *qrepo, const git_oid *head,
                      const git_oid *local, const char *peer, const char *door)
{
	git_commit *c = NULL;

	if (git_commit_lookup(&c, qrepo, head) < 0) {
		set_result(s, CH_Q_REFUSED, "REF", "%s: not a commit that the transfer brought",
		           CH_SPILLS_REF);
		return 1;
	}
	git_commit_free(c);
	if (!local)
		return 0;
	if (git_oid_equal(head, local)) {
		set_result(s, CH_Q_UNCHANGED, NULL, "unchanged");
		return 1;
	}
	if (descends(qrepo, local, head)) {
		set_result(s, CH_Q_AHEAD, NULL, "this site's spill list is ahead: ours is kept");
		return 1;
	}
	if (!descends(qrepo, head, local)) {
		set_result(s, CH_Q_REFUSED, "SL1", "the spill list %s does not extend this site's "
		           "(%s): a list is never rewritten or rewound; ours is kept", s->commit,
		           git_oid_tostr_s(local));
		ch_gate_event(site, door, peer, "SL1", "a spill list that does not extend ours");
		return 1;
	}
	return 0;
}

static int take(ch_spillsync *s, ch_site *site, git_repository *qrepo, const git_oid *head,
                const char *peer, const char *door)
{
	ch_spill_list old;
	git_oid local, zero;
	const git_oid *lp;
	size_t n = 0;
	int rc, error;

	memset(&zero, 0, sizeof(zero));
	lp = git_reference_name_to_id(&local, site->repo, CH_SPILLS_REF) == 0 ? &local : NULL;
	if ((rc = judge_head(s, site, qrepo, head, lp, peer, door)) != 0 ||
	    (rc = verify_list(s, site, qrepo, &n, peer, door)) != 0 ||
	    (rc = gate_new(s, site, qrepo, head, lp, peer, door)) != 0)
		return rc < 0 ? rc : 0;
	if ((error = ch_spill_list_load(&old, site->repo)) < 0)
		return error;
	s->new_records = n > old.n ? n - old.n : 0;
	ch_spill_list_dispose(&old);
	if ((error = copy_objects(site, qrepo, head, lp)) < 0 ||
	    (rc = move_ref(s, site, head, lp)) != 0)
		return error < 0 ? error : rc < 0 ? rc : 0;
	set_result(s, CH_Q_ACCEPTED, NULL, "taken: %zu new spill record%s", s->new_records,
	           s->new_records == 1 ? "" : "s");
	/* the log's Spills item is this site's acknowledgement of the list */
	return ch_log_record(site, CH_SPILLS_REF, lp ? lp : &zero, head);
}

int ch_spillsync_take(ch_spillsync *out, ch_site *site, ch_quarantine *q, const git_oid *head,
                      const char *peer, const char *door)
{
	git_repository *qrepo = NULL;
	git_oid id;
	int error, sweep_error;

	memset(out, 0, sizeof(*out));
	if (git_repository_open_bare(&qrepo, ch_quarantine_path(q)) < 0)
		return git_fail("cannot open the quarantine");
	if (head) {
		git_oid_cpy(&id, head);
	} else if ((error = git_reference_name_to_id(&id, qrepo, CH_SPILLS_REF)) < 0) {
		git_repository_free(qrepo);
		return error == GIT_ENOTFOUND ? 0 : git_fail("cannot read the spill list fetched");
	}
	out->present = 1;
	git_oid_tostr(out->commit, sizeof(out->commit), &id);
	if ((!head || (error = set_qref(qrepo, CH_SPILLS_REF, &id)) == 0))
		error = take(out, site, qrepo, &id, peer, door);
	git_repository_free(qrepo);
	if (error < 0 && out->status != CH_Q_ACCEPTED)
		return error;
	/* what our list names goes, whether it came now or before (a purge
	 * interrupted earlier is finished here), also when the log could not
	 * record the move: the withdrawal matters more */
	sweep_error = ch_spillsync_sweep(site, &out->purged, &out->failed);
	return error < 0 ? error : sweep_error;
}

void ch_spillsync_qresult(ch_qresult *out, const ch_spillsync *s)
{
	ch_buf msg = CH_BUF_INIT;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(out->ref, sizeof(out->ref), "%s", CH_SPILLS_REF);
	out->status = s->status;
	memcpy(out->commit, s->commit, sizeof(out->commit));
	memcpy(out->rule, s->rule, sizeof(out->rule));
	ch_buf_puts(&msg, s->message);
	for (i = 0; i < s->purged.n; i++)
		ch_buf_printf(&msg, "%s withdrawn and purged: %s", i ? "," : ";", s->purged.v[i]);
	for (i = 0; i < s->failed.n; i++)
		ch_buf_printf(&msg, "; the purge of %s failed", s->failed.v[i]);
	out->message = ch_buf_detach(&msg);
}

void ch_spillsync_print(FILE *out, const ch_spillsync *s)
{
	size_t i;

	for (i = 0; i < s->purged.n; i++)
		fprintf(out, "purged    %s%s: spilled (%s): withdrawn, its objects removed\n",
		        CH_DOCS_PREFIX, s->purged.v[i], CH_SPILLS_REF);
	for (i = 0; i < s->failed.n; i++)
		fprintf(out, "not purged %s%s: the purge failed; sync again (or chancery spill)\n",
		        CH_DOCS_PREFIX, s->failed.v[i]);
}

/* ---- acknowledgements ---- */

void ch_spill_acks_dispose(ch_spill_acks *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].acks);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* The list's commits from the first, at most `max`. */
static int list_commits(git_oid **out, size_t *n, git_repository *repo, const git_oid *head,
                        size_t max)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc;

	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, head) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0) {
		git_revwalk_free(walk);
		return git_fail("cannot walk the spill list");
	}
	git_revwalk_simplify_first_parent(walk);
	while ((rc = git_revwalk_next(&id, walk)) == 0 && *n < max) {
		*out = ch_realloc(*out, (*n + 1) * sizeof(**out));
		git_oid_cpy(&(*out)[(*n)++], &id);
	}
	git_revwalk_free(walk);
	return 0;
}

/* One site's log, loaded once for the whole table. */
typedef struct {
	char site[65];
	int loaded;  /* 1 loaded, 0 absent or unreadable */
	ch_log log;
} log_slot;

static log_slot *log_for(log_slot **slots, size_t *n, git_repository *repo, const char *self,
                         const char *site)
{
	ch_buf ref = CH_BUF_INIT;
	log_slot *s;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*slots)[i].site, site))
			return &(*slots)[i];
	*slots = ch_realloc(*slots, (*n + 1) * sizeof(**slots));
	s = &(*slots)[(*n)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->site, sizeof(s->site), "%s", site);
	if (self && !strcmp(site, self))
		ch_buf_puts(&ref, CH_LOG_REF);
	else
		ch_buf_printf(&ref, "%s%s/log", CH_PEERLOG_PREFIX, site);
	s->loaded = ch_log_read_ref(&s->log, repo, ref.ptr) == 0; /* verified when stored */
	ch_error_clear();
	ch_buf_dispose(&ref);
	return s;
}

/* The first entry of `log` whose Spills item reaches `commit`. */
static void find_ack(ch_spill_ack *a, git_repository *repo, const ch_log *log,
                     const git_oid *commit)
{
	size_t i, k;

	a->state = CH_ACK_NOT_YET;
	for (i = 0; i < log->n; i++)
		for (k = 0; k < log->v[i].n; k++) {
			const ch_log_item *it = &log->v[i].items[k];

			if (it->kind == CH_LOG_SPILLS && descends(repo, &it->new_id, commit)) {
				a->state = CH_ACK_APPLIED;
				a->seq = log->v[i].seq;
				a->time = log->v[i].time;
				return;
			}
		}
}

static void fill_status(ch_spill_status *st, const ch_spill *sp, const git_oid *commit,
                        git_repository *repo, const char *self, log_slot **slots, size_t *nslots)
{
	size_t i;

	snprintf(st->doc, sizeof(st->doc), "%s", sp->doc);
	snprintf(st->at, sizeof(st->at), "%s", sp->at);
	snprintf(st->by, sizeof(st->by), "%s", sp->by);
	git_oid_cpy(&st->commit, commit);
	st->acks = ch_calloc(sp->recipients.n + 1, sizeof(*st->acks));
	for (i = 0; i < sp->recipients.n; i++) {
		ch_spill_ack *a = &st->acks[st->nacks++];
		log_slot *ls = log_for(slots, nslots, repo, self, sp->recipients.v[i]);

		snprintf(a->site, sizeof(a->site), "%s", sp->recipients.v[i]);
		if (!ls->loaded)
			a->state = CH_ACK_NO_LOG;
		else
			find_ack(a, repo, &ls->log, commit);
	}
}

int ch_spillsync_acks(ch_spill_acks *out, git_repository *repo, const char *self)
{
	ch_spill_list list;
	log_slot *slots = NULL;
	git_oid *commits = NULL;
	size_t i, nslots = 0, ncommits = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ch_spill_list_load(&list, repo)) < 0)
		return error;
	if (!list.has_head || !list.n)
		goto done;
	if ((error = list_commits(&commits, &ncommits, repo, &list.head, list.n)) < 0)
		goto done;
	out->v = ch_calloc(list.n, sizeof(*out->v));
	for (i = 0; i < list.n; i++) {
		/* commit k adds record k (ch_spill_verify); a list that does not
		 * hold to that asks for the head itself */
		const git_oid *c = ncommits == list.n ? &commits[i] : &list.head;

		fill_status(&out->v[out->n++], &list.v[i], c, repo, self, &slots, &nslots);
	}
done:
	for (i = 0; i < nslots; i++)
		if (slots[i].loaded)
			ch_log_dispose(&slots[i].log);
	free(slots);
	free(commits);
	ch_spill_list_dispose(&list);
	return error;
}
