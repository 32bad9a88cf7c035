/* model.c -- what pages and the API show: an in-memory index of the
 * site's documents (refreshed from the refs when they move), inbox and
 * list queries, a document's full view, Markdown and diffs. */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/pgp.h"
#include "server.h"
#include "workflows/classify/spill.h"
#include "util/common.h"
#include "util/fs.h"

#define INDEX_RESCAN_SECONDS 1

typedef struct {
	char *id;
	git_oid head;
	ch_meta meta;
	ch_docstate st;
	char *creator_unit; /* the document's unit (ch_doc.unit), for lists and reading */
	long long updated; /* time of the last step */
	size_t steps;
	unsigned gen;      /* the scan that last saw its ref */
} idx_entry;

typedef struct {
	git_oid commit;
	char status[16]; /* "good", "bad", "unsigned", "unknown-key" */
	char signer[65];
} sig_entry;

static struct {
	pthread_mutex_t lock;
	idx_entry *v;
	size_t n;
	time_t scanned;
	sig_entry *sigs;
	size_t nsigs;
	ch_spill_list spills; /* tombstones: never indexed, never shown */
	unsigned long gen;    /* bumped whenever an entry or the policy changes */
	const void *policy;   /* the policy the index was last built under */
	struct { char person[65]; int lang_en; unsigned long gen; json_t *docs; } inbox[64];
} idx = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, NULL, 0, { NULL, 0, { { 0 } }, 0 }, 0, NULL,
          { { { 0 }, 0, 0, NULL } } };

int srv_current_policy(const ch_policy **out, srv_ctx *x)
{
	git_oid head;
	int error;

	if ((error = ch_site_policy_head(&head, x->site)) < 0)
		return error;
	return ch_site_policy(out, x->site, &head);
}

static void entry_dispose(idx_entry *e)
{
	free(e->id);
	free(e->creator_unit);
	ch_meta_dispose(&e->meta);
	ch_docstate_dispose(&e->st);
	memset(e, 0, sizeof(*e));
}

static void entry_fill(idx_entry *e, const ch_doc *doc, const ch_policy *pol)
{
	size_t i;

	(void)pol;
	entry_dispose(e);
	e->id = ch_strdup(doc->id);
	git_oid_cpy(&e->head, &doc->head);
	e->meta.title = ch_strdup(doc->meta.title);
	e->meta.type = ch_strdup(doc->meta.type);
	e->meta.classification = ch_strdup(doc->meta.classification);
	e->meta.urgency = ch_strdup(doc->meta.urgency);
	e->meta.workflow = ch_strdup(doc->meta.workflow);
	e->meta.number = ch_strdup(doc->meta.number);
	for (i = 0; i < doc->meta.recipients.n; i++)
		ch_strv_push(&e->meta.recipients, doc->meta.recipients.v[i]);
	ch_docstate_copy(&e->st, &doc->state);
	e->creator_unit = ch_strdup(doc->unit ? doc->unit : "");
	e->updated = doc->nevents ? doc->events[doc->nevents - 1].time : 0;
	e->steps = doc->nevents;
	e->gen = 0;
}

/* The index is kept sorted by id after every scan (idx.sorted entries);
 * entries added during a scan sit after them until the next sort. */
static size_t idx_sorted;

static int cmp_entry_id(const void *a, const void *b)
{
	return strcmp(((const idx_entry *)a)->id, ((const idx_entry *)b)->id);
}

static int cmp_key_entry(const void *key, const void *e)
{
	return strcmp(key, ((const idx_entry *)e)->id);
}

static idx_entry *find_entry(const char *id)
{
	idx_entry *e = idx_sorted ? bsearch(id, idx.v, idx_sorted, sizeof(*idx.v), cmp_key_entry) :
	                            NULL;
	size_t i;

	for (i = idx_sorted; !e && i < idx.n; i++)
		if (!strcmp(idx.v[i].id, id))
			e = &idx.v[i];
	return e;
}

/* Read the spill list again when its ref moved; 1 if it changed. A list
 * that cannot be read keeps the last one read (withdrawals only grow).
 * Called with idx.lock held. */
static int spills_refresh_locked(srv_ctx *x)
{
	ch_spill_list l;
	git_oid head;
	int rc = git_reference_name_to_id(&head, x->site->repo, CH_SPILLS_REF);

	if (rc < 0 || (idx.spills.has_head && git_oid_equal(&head, &idx.spills.head)))
		return 0;
	if (ch_spill_list_load(&l, x->site->repo) < 0)
		return 0;
	ch_spill_list_dispose(&idx.spills);
	idx.spills = l;
	idx.scanned = 0; /* the next list or inbox rescans: tombstones leave at once */
	return 1;
}

int srv_spilled(srv_ctx *x, const char *id, char *when, size_t size)
{
	const ch_spill *s;
	int yes;

	pthread_mutex_lock(&idx.lock);
	spills_refresh_locked(x);
	s = ch_spill_find(&idx.spills, id);
	if (s && when)
		snprintf(when, size, "%s", s->at);
	yes = s != NULL;
	pthread_mutex_unlock(&idx.lock);
	return yes;
}

/* A spill recorded whose purge has not written its readers list yet (the
 * purge runs next, or was refused: "run the spill again"): the ref is still
 * there, and whoever may read the document now is shown the tombstone,
 * never its text; anyone else gets the answer they had before. */
static int readable_unpurged(srv_ctx *x, const char *id)
{
	ch_buf path = CH_BUF_INIT;
	int yes = 0;

	ch_spill_readers_path(&path, x->site->path, id);
	if (!ch_fs_exists(path.ptr))
		yes = ch_doc_readable(x->site, x->sess.person, id) == 0;
	ch_error_clear();
	ch_buf_dispose(&path);
	return yes;
}

int srv_spill_shown(srv_ctx *x, const char *id)
{
	const ch_policy *pol;
	const ch_person *p;

	if (!x->logged_in)
		return 0;
	if (srv_current_policy(&pol, x) == 0 && (p = ch_policy_person(pol, x->sess.person)) &&
	    ch_person_has_role(p, "security-officer"))
		return 1;
	ch_error_clear();
	return ch_spill_shown_to(x->site->path, id, x->sess.person) || readable_unpurged(x, id);
}

/* Bring the index up to date with the refs: load only documents whose
 * head moved; forget documents whose ref is gone (spilled). Called with
 * idx.lock held. */
static void rescan_locked(srv_ctx *x, int force)
{
	static unsigned gen;
	const ch_policy *pol;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	time_t now = time(NULL);
	size_t i;

	if (spills_refresh_locked(x))
		force = 1;
	if (!force && now - idx.scanned < INDEX_RESCAN_SECONDS)
		return;
	if (srv_current_policy(&pol, x) < 0 ||
	    git_reference_iterator_glob_new(&it, x->site->repo, CH_DOCS_GLOB) < 0)
		return;
	gen++;
	while (git_reference_next(&ref, it) == 0) {
		const char *id = git_reference_name(ref) + 10;
		const git_oid *head = git_reference_target(ref);
		idx_entry *e = find_entry(id);
		ch_doc *doc = NULL;

		if (ch_spill_find(&idx.spills, id)) {
			/* a tombstone: its entry (if any) is dropped below */
		} else if (e && head && git_oid_equal(&e->head, head)) {
			e->gen = gen;
		} else if (head && ch_doc_load(&doc, x->site, id) == 0) {
			if (!e) {
				idx.v = ch_realloc(idx.v, (idx.n + 1) * sizeof(*idx.v));
				e = &idx.v[idx.n++];
				memset(e, 0, sizeof(*e));
			}
			entry_fill(e, doc, pol);
			idx.gen++;
			e->gen = gen;
			ch_doc_free(doc);
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	for (i = 0; i < idx.n;) {
		if (idx.v[i].gen != gen) {
			entry_dispose(&idx.v[i]);
			idx.gen++;
			idx.v[i] = idx.v[--idx.n];
		} else {
			i++;
		}
	}
	if (idx.policy != (const void *)pol) {
		idx.policy = pol;
		idx.gen++;
	}
	if (idx.n)
		qsort(idx.v, idx.n, sizeof(*idx.v), cmp_entry_id);
	idx_sorted = idx.n;
	idx.scanned = now;
}

static int urgency_rank(const char *u)
{
	return !strcmp(u, "flash") ? 0 : !strcmp(u, "very-urgent") ? 1 : !strcmp(u, "urgent") ? 2 : 3;
}

static long long due_seconds(const char *u)
{
	static const long long d[] = { 4 * 3600, 24 * 3600, 48 * 3600, 7 * 24 * 3600 };

	return d[urgency_rank(u)];
}

static json_t *entry_json(const idx_entry *e, int lang_en)
{
	char due[32];
	time_t t = (time_t)(e->updated + due_seconds(e->meta.urgency));
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(due, sizeof(due), "%Y-%m-%d %H:%M", &tm);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:I, s:b}",
	                 "id", e->id, "title", e->meta.title, "type", e->meta.type,
	                 "state", e->st.state ? e->st.state : "", "urgency", e->meta.urgency,
	                 "urgency_label", srv_msg(lang_en, e->meta.urgency),
	                 "number", e->meta.number, "final", e->st.final, "unit", e->creator_unit,
	                 "due", due, "steps", (json_int_t)e->steps,
	                 "urgent", urgency_rank(e->meta.urgency) < 3);
}

static int cmp_inbox(const void *a, const void *b)
{
	const idx_entry *x = *(idx_entry *const *)a, *y = *(idx_entry *const *)b;
	int ux = urgency_rank(x->meta.urgency), uy = urgency_rank(y->meta.urgency);

	if (ux != uy)
		return ux - uy;
	return x->updated < y->updated ? -1 : x->updated > y->updated;
}

/* A cheap first look: does any action of this state (or its edit) name one
 * of the roles? Only then does the engine decide exactly (quorum rounds,
 * delegations), so an inbox over 10,000 documents stays fast. */
static int may_act_somehow(const ch_workflow *wf, const char *state, const ch_strv *roles)
{
	const ch_wf_state *st = state ? ch_workflow_state(wf, state) : NULL;
	size_t i;

	if (!st)
		return 0;
	if (st->editable && ch_strv_intersects(&st->edit_roles, roles))
		return 1;
	for (i = 0; i < st->nactions; i++)
		if (ch_strv_intersects(&st->actions[i].roles, roles))
			return 1;
	return 0;
}

/* Read authorization (ch_policy_may_read): what a person may not read is
 * in no list, no search result and no count. */
static int entry_readable(const idx_entry *e, const ch_policy *pol, const char *person)
{
	return ch_policy_may_read(pol, person, e->creator_unit, &e->meta.recipients);
}

static void inbox_remember(const char *person, int lang_en, const json_t *docs)
{
	size_t i, slot = (size_t)(idx.gen % CH_ARRAY_SIZE(idx.inbox));

	for (i = 0; i < CH_ARRAY_SIZE(idx.inbox); i++)
		if (!idx.inbox[i].docs || !strcmp(idx.inbox[i].person, person)) {
			slot = i;
			break;
		}
	json_decref(idx.inbox[slot].docs);
	snprintf(idx.inbox[slot].person, sizeof(idx.inbox[slot].person), "%s", person);
	idx.inbox[slot].lang_en = lang_en;
	idx.inbox[slot].gen = idx.gen;
	idx.inbox[slot].docs = json_deep_copy(docs);
}

json_t *srv_inbox(srv_ctx *x, const char *person)
{
	json_t *arr = json_array();
	const ch_policy *pol;
	const ch_person *me;
	const ch_strv *roles;
	idx_entry **pick;
	size_t i, n = 0;

	if (srv_current_policy(&pol, x) < 0 || !(me = ch_policy_person(pol, person)) || me->revoked)
		return arr;
	roles = &me->roles;
	pthread_mutex_lock(&idx.lock);
	rescan_locked(x, 0);
	/* The same person's inbox is computed once per change of the index. */
	for (i = 0; i < CH_ARRAY_SIZE(idx.inbox); i++)
		if (idx.inbox[i].docs && idx.inbox[i].gen == idx.gen &&
		    idx.inbox[i].lang_en == x->lang_en && !strcmp(idx.inbox[i].person, person)) {
			json_decref(arr);
			arr = json_deep_copy(idx.inbox[i].docs);
			pthread_mutex_unlock(&idx.lock);
			return arr;
		}
	pick = ch_calloc(idx.n ? idx.n : 1, sizeof(*pick));
	for (i = 0; i < idx.n; i++) {
		const ch_workflow *wf = ch_policy_workflow(pol, idx.v[i].meta.workflow);
		ch_strv can = CH_STRV_INIT;

		if (idx.v[i].st.final || !wf || !may_act_somehow(wf, idx.v[i].st.state, roles) ||
		    !entry_readable(&idx.v[i], pol, person))
			continue;
		ch_engine_allowed(&can, &idx.v[i].st, wf, pol, person);
		if (can.n)
			pick[n++] = &idx.v[i];
		ch_strv_free(&can);
	}
	qsort(pick, n, sizeof(*pick), cmp_inbox);
	for (i = 0; i < n && i < SRV_PAGE_ROWS; i++)
		json_array_append_new(arr, entry_json(pick[i], x->lang_en));
	inbox_remember(person, x->lang_en, arr);
	pthread_mutex_unlock(&idx.lock);
	free(pick);
	return arr;
}

static int matches(const idx_entry *e, const char *state, const char *type, const char *unit,
                   const char *urgency, const char *text)
{
	if (state && *state && strcmp(state, e->st.state ? e->st.state : ""))
		return 0;
	if (type && *type && strcmp(type, e->meta.type))
		return 0;
	if (unit && *unit && strncmp(e->creator_unit, unit, strlen(unit)))
		return 0;
	if (urgency && *urgency && strcmp(urgency, e->meta.urgency))
		return 0;
	if (text && *text && !strcasestr(e->meta.title, text) && !strcasestr(e->meta.number, text) &&
	    !strstr(e->id, text))
		return 0;
	return 1;
}

static int cmp_recent(const void *a, const void *b)
{
	const idx_entry *x = *(idx_entry *const *)a, *y = *(idx_entry *const *)b;

	return x->updated > y->updated ? -1 : x->updated < y->updated;
}

json_t *srv_doc_list(srv_ctx *x, const char *state, const char *type, const char *unit,
                     const char *urgency, const char *text)
{
	json_t *arr = json_array();
	const ch_policy *pol;
	idx_entry **pick;
	size_t i, n = 0;

	if (!x->logged_in || srv_current_policy(&pol, x) < 0)
		return arr;
	pthread_mutex_lock(&idx.lock);
	rescan_locked(x, 0);
	pick = ch_calloc(idx.n ? idx.n : 1, sizeof(*pick));
	for (i = 0; i < idx.n; i++)
		if (entry_readable(&idx.v[i], pol, x->sess.person) &&
		    matches(&idx.v[i], state, type, unit, urgency, text))
			pick[n++] = &idx.v[i];
	qsort(pick, n, sizeof(*pick), cmp_recent);
	for (i = 0; i < n && i < SRV_PAGE_ROWS; i++)
		json_array_append_new(arr, entry_json(pick[i], x->lang_en));
	pthread_mutex_unlock(&idx.lock);
	free(pick);
	return arr;
}

json_t *srv_doc_summary(srv_ctx *x, const ch_doc *doc, const ch_policy *pol)
{
	idx_entry e;
	json_t *j;

	memset(&e, 0, sizeof(e));
	entry_fill(&e, doc, pol);
	j = entry_json(&e, x->lang_en);
	entry_dispose(&e);
	return j;
}

/* ---- signatures of steps, cached by commit id (immutable) ---- */

static void step_signature(char status[16], char signer[65], srv_ctx *x, const git_oid *id,
                           const ch_policy *pol)
{
	git_buf sig = { 0 }, data = { 0 };
	ch_pgp_verify_result res;
	size_t i;
	int rc;

	pthread_mutex_lock(&idx.lock);
	for (i = 0; i < idx.nsigs; i++)
		if (git_oid_equal(&idx.sigs[i].commit, id)) {
			memcpy(status, idx.sigs[i].status, 16);
			memcpy(signer, idx.sigs[i].signer, 65);
			pthread_mutex_unlock(&idx.lock);
			return;
		}
	pthread_mutex_unlock(&idx.lock);
	signer[0] = '\0';
	rc = git_commit_extract_signature(&sig, &data, x->site->repo, (git_oid *)id, NULL);
	if (rc == GIT_ENOTFOUND)
		snprintf(status, 16, "unsigned");
	else if (rc < 0 || (rc = ch_pgp_verify(&res, pol->keyring, data.ptr, data.size, sig.ptr,
	                                       sig.size)) < 0)
		snprintf(status, 16, rc == CH_ENOTFOUND ? "unknown-key" : "bad");
	else {
		snprintf(status, 16, "good");
		snprintf(signer, 65, "%s", res.owner);
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	pthread_mutex_lock(&idx.lock);
	idx.sigs = ch_realloc(idx.sigs, (idx.nsigs + 1) * sizeof(*idx.sigs));
	git_oid_cpy(&idx.sigs[idx.nsigs].commit, id);
	memcpy(idx.sigs[idx.nsigs].status, status, 16);
	memcpy(idx.sigs[idx.nsigs].signer, signer, 65);
	idx.nsigs++;
	pthread_mutex_unlock(&idx.lock);
}

static json_t *history(srv_ctx *x, const ch_doc *doc)
{
	json_t *arr = json_array();
	char date[32], status[16], signer[65];
	size_t i;

	for (i = 0; i < doc->nevents; i++) {
		const ch_doc_event *e = &doc->events[i];
		const ch_policy *pol = NULL;
		git_oid pid;
		time_t t = (time_t)e->time;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
		if (git_oid_fromstr(&pid, e->t.policy) == 0 && ch_site_policy(&pol, x->site, &pid) == 0)
			step_signature(status, signer, x, &e->id, pol);
		else
			snprintf(status, sizeof(status), "bad"), signer[0] = '\0';
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
			"commit", git_oid_tostr_s(&e->id), "action", e->t.action,
			"action_label", srv_msg(x->lang_en, e->t.action), "step", e->t.step,
			"actor", e->t.actor, "on_behalf", e->t.on_behalf, "date", date,
			"comment", e->comment ? e->comment : "", "signed_ok", !strcmp(status, "good"),
			"signature", srv_msg(x->lang_en, status)));
		(void)signer;
	}
	return arr;
}

/* Who is awaited in the current state, and the quorum so far. */
static json_t *progress(const ch_doc *doc, const ch_policy *pol, int lang_en)
{
	const ch_workflow *wf = ch_policy_workflow(pol, doc->meta.workflow);
	const ch_wf_state *st = wf && doc->state.state ? ch_workflow_state(wf, doc->state.state) : NULL;
	json_t *arr = json_array();
	size_t i, j;

	for (i = 0; st && i < st->nactions; i++) {
		const ch_wf_action *a = &st->actions[i];
		json_t *roles = json_array(), *who = json_array();
		size_t so_far = doc->state.round_action && !strcmp(doc->state.round_action, a->name) ?
		                doc->state.round_signers.n : 0;

		for (j = 0; j < a->roles.n; j++)
			json_array_append_new(roles, json_string(a->roles.v[j]));
		for (j = 0; so_far && j < doc->state.round_signers.n; j++)
			json_array_append_new(who, json_string(doc->state.round_signers.v[j]));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s, s:i, s:I, s:o, s:b}",
		                                     "action", a->name, "label", srv_msg(lang_en, a->name),
		                                     "roles", roles, "to", a->to, "quorum", a->quorum,
		                                     "so_far", (json_int_t)so_far, "approved_by", who,
		                                     "has_quorum", a->quorum > 1));
	}
	return arr;
}

json_t *srv_doc_full(srv_ctx *x, const ch_doc *doc, const ch_policy *pol)
{
	const ch_buf *text = ch_fileset_get(&doc->files, CH_FILE_TEXT);
	ch_strv can = CH_STRV_INIT;
	ch_buf html = CH_BUF_INIT;
	const ch_workflow *wf = ch_policy_workflow(pol, doc->meta.workflow);
	json_t *j = srv_doc_summary(x, doc, pol), *acts = json_array(), *rec = json_array();
	size_t i;

	if (text)
		srv_markdown(&html, text->ptr, text->size);
	if (wf && x->logged_in && !doc->state.final)
		ch_engine_allowed(&can, &doc->state, wf, pol, x->sess.person);
	for (i = 0; i < can.n; i++)
		if (strcmp(can.v[i], "revise"))
			json_array_append_new(acts, json_pack("{s:s, s:s}", "action", can.v[i], "label",
			                                      srv_msg(x->lang_en, can.v[i])));
	for (i = 0; i < doc->meta.recipients.n; i++)
		json_array_append_new(rec, json_string(doc->meta.recipients.v[i]));
	json_object_set_new(j, "head", json_string(git_oid_tostr_s(&doc->head)));
	json_object_set_new(j, "workflow", json_string(doc->meta.workflow));
	json_object_set_new(j, "classification", json_string(doc->meta.classification));
	json_object_set_new(j, "creator", json_string(doc->state.creator ? doc->state.creator : ""));
	json_object_set_new(j, "recipients", rec);
	json_object_set_new(j, "body_html", json_string(html.ptr));
	json_object_set_new(j, "text", json_string(text ? text->ptr : ""));
	json_object_set_new(j, "actions", acts);
	json_object_set_new(j, "can_act", json_boolean(json_array_size(acts) > 0));
	json_object_set_new(j, "can_revise", json_boolean(ch_strv_contains(&can, "revise")));
	json_object_set_new(j, "progress", progress(doc, pol, x->lang_en));
	json_object_set_new(j, "history", history(x, doc));
	srv_attachments_json(j, x, doc, pol);
	ch_strv_free(&can);
	ch_buf_dispose(&html);
	return j;
}

/* cmark's default options suppress raw HTML and unsafe link schemes. */
void srv_markdown(ch_buf *out, const char *text, size_t len)
{
	/* Official texts are line-oriented (and uploads are often plain
	 * text): a line break in the source is a line break on the page. */
	char *html = cmark_markdown_to_html(text, len, CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 |
	                                               CMARK_OPT_HARDBREAKS);

	if (html) {
		ch_buf_puts(out, html);
		free(html);
	}
}

typedef struct {
	json_t *lines;
	size_t n;
} diff_ctx;

static int diff_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l,
                     void *payload)
{
	diff_ctx *dc = payload;
	char kind[2] = { l->origin, 0 };
	size_t len = l->content_len;

	(void)d;
	(void)h;
	if (l->origin != '+' && l->origin != '-' && l->origin != ' ')
		return 0;
	if (++dc->n > 20000)
		return 0;
	while (len && (l->content[len - 1] == '\n' || l->content[len - 1] == '\r'))
		len--;
	json_array_append_new(dc->lines, json_pack("{s:s, s:s%, s:b, s:b}", "kind", kind, "text",
	                                           l->content, len, "added", l->origin == '+',
	                                           "removed", l->origin == '-'));
	return 0;
}

static int text_at(ch_buf *out, git_repository *repo, const char *hex)
{
	git_oid id;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	int error = 0;

	if (git_oid_fromstr(&id, hex) < 0 || git_commit_lookup(&c, repo, &id) < 0 ||
	    git_commit_tree(&t, c) < 0 || git_tree_entry_bypath(&e, t, CH_FILE_TEXT) < 0 ||
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) < 0)
		error = ch_error_setc(CH_ENOTFOUND, "no such revision");
	else
		ch_buf_set(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return error;
}

static int in_chain(const ch_doc *doc, const char *hex)
{
	size_t i;

	for (i = 0; i < doc->nevents; i++)
		if (!strcmp(git_oid_tostr_s(&doc->events[i].id), hex))
			return 1;
	return 0;
}

int srv_diff(json_t **out, srv_ctx *x, const ch_doc *doc, const char *from, const char *to)
{
	ch_buf a = CH_BUF_INIT, b = CH_BUF_INIT;
	diff_ctx dc = { json_array(), 0 };
	git_diff_options opts;
	int error;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	*out = NULL;
	/* Only revisions of this document: never an arbitrary object by id. */
	if (!from || !to || !in_chain(doc, from) || !in_chain(doc, to)) {
		json_decref(dc.lines);
		return ch_error_setc(CH_ENOTFOUND, "both revisions must be steps of this document");
	}
	opts.context_lines = 1000000; /* the whole text: nothing silently left out */
	if ((error = text_at(&a, x->site->repo, from)) == 0 &&
	    (error = text_at(&b, x->site->repo, to)) == 0 &&
	    git_diff_buffers(a.ptr, a.size, CH_FILE_TEXT, b.ptr, b.size, CH_FILE_TEXT, &opts,
	                     NULL, NULL, NULL, diff_line, &dc) < 0)
		error = ch_error_setc(CH_EIO, "cannot compute the diff");
	if (error)
		json_decref(dc.lines);
	else
		*out = dc.lines;
	ch_buf_dispose(&a);
	ch_buf_dispose(&b);
	return error;
}

void srv_index_touch(srv_ctx *x)
{
	pthread_mutex_lock(&idx.lock);
	rescan_locked(x, 1);
	pthread_mutex_unlock(&idx.lock);
}
