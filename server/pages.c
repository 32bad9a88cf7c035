/* pages.c -- the browser pages: server-rendered HTML from templates,
 * working without JavaScript. Every state-changing form carries the
 * session's CSRF token; every signature asks the signing passphrase. */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "util/embedded.h"
#include "util/fs.h"
#include "util/text.h"
#include "workflows/store/accounts.h"
#include "workflows/admin.h"
#include "workflows/commit.h"
#include "workflows/enrol.h"
#include "workflows/classify/gate.h"
#include "workflows/verify/verify.h"
#include "util/common.h"

/* ---- rendering ---- */

static json_t *me_json(srv_ctx *x)
{
	const ch_policy *pol;
	const ch_person *p;

	if (!x->logged_in || srv_current_policy(&pol, x) < 0 ||
	    !(p = ch_policy_person(pol, x->sess.person)))
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "id", p->id, "name", p->name,
	                 "unit", p->unit, "is_security", ch_person_has_role(p, "security-officer"),
	                 "is_admin", ch_person_has_role(p, "policy-admin"),
	                 "is_auditor", ch_person_has_role(p, "auditor") ||
	                               ch_person_has_role(p, "policy-admin"));
}

int srv_render(srv_ctx *x, unsigned status, const char *tmpl, json_t *data)
{
	ch_buf out = CH_BUF_INIT;
	int error;

	if (!json_object_get(data, "page_title"))
		json_object_set_new(data, "page_title", json_string(srv_msg(x->lang_en, tmpl)));
	json_object_set_new(data, "t", srv_messages(x->lang_en));
	json_object_set_new(data, "me", me_json(x));
	json_object_set_new(data, "lang", json_string(x->lang_en ? "en" : "vi"));
	if (x->logged_in)
		json_object_set_new(data, "csrf", json_string(x->sess.csrf));
	error = ch_tmpl_render(&out, x->s->tmpl, tmpl, data);
	json_decref(data);
	if (error < 0) {
		ch_buf_dispose(&out);
		srv_send(x, 500, "text/plain; charset=utf-8", "template error", 14);
		return error;
	}
	srv_send(x, status, "text/html; charset=utf-8", out.ptr, out.size);
	ch_buf_dispose(&out);
	return 0;
}

enum MHD_Result srv_error_page(srv_ctx *x, unsigned status, const char *message)
{
	srv_render(x, status, "error", json_pack("{s:s}", "message", message));
	return MHD_YES;
}

/* A spilled document: its id and when, never its title or text. */
enum MHD_Result srv_tombstone(srv_ctx *x, const char *id, int json)
{
	char when[64] = "";
	ch_buf msg = CH_BUF_INIT;

	srv_spilled(x, id, when, sizeof(when));
	srv_log(x, "tombstone %s", id);
	if (json)
		return srv_send_json(x, 410, json_pack("{s:s, s:s, s:s, s:b}", "error",
		                                       "withdrawn (spillage)", "id", id, "spilled_at",
		                                       when, "tombstone", 1));
	ch_buf_printf(&msg, srv_msg(x->lang_en, "spilled-fmt"), id, when);
	srv_render(x, 410, "error", json_pack("{s:s, s:b}", "message", msg.ptr, "tombstone", 1));
	ch_buf_dispose(&msg);
	return MHD_YES;
}

static enum MHD_Result need_login(srv_ctx *x)
{
	return srv_redirect(x, "/login");
}

/* ---- login ---- */

static enum MHD_Result login_form(srv_ctx *x, unsigned status, const char *error)
{
	srv_render(x, status, "login", json_pack("{s:s?}", "error", error));
	return MHD_YES;
}

static enum MHD_Result do_login(srv_ctx *x)
{
	const char *id = srv_field_get(x->r, "id"), *pw = srv_field_get(x->r, "password");
	const char *fetch = srv_header(x, "Sec-Fetch-Site");
	char token[65], cookie[200];
	struct MHD_Response *resp;
	enum MHD_Result rc;
	int error;

	if (fetch && strcmp(fetch, "same-origin") && strcmp(fetch, "none"))
		return login_form(x, 403, srv_msg(x->lang_en, "error"));
	if (!id || !pw || !ch_valid_person_id(id))
		return login_form(x, 400, srv_msg(x->lang_en, "login-missing"));
	if ((error = srv_login_check(x, id, pw)) == CH_EDENIED || error == CH_ELOCKED) {
		srv_log(x, "login %s for %s", error == CH_ELOCKED ? "busy" : "throttled", id);
		return login_form(x, error == CH_ELOCKED ? 503 : 429,
		                  srv_msg(x->lang_en, "login-throttled"));
	}
	if (error < 0) {
		srv_log(x, "login failed for %s", id);
		return login_form(x, 403, srv_msg(x->lang_en, "login-wrong"));
	}
	if (srv_session_create(x->s, token, sizeof(token), id, 0, x->lang_en) < 0)
		return login_form(x, 503, ch_error_last());
	snprintf(cookie, sizeof(cookie), "chancery_session=%s; Path=/; HttpOnly; Secure; "
	         "SameSite=Strict; Max-Age=%d", token, SRV_SESSION_MAX);
	ch_wipe(token, sizeof(token));
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Set-Cookie", cookie);
	MHD_add_response_header(resp, "Location", "/inbox");
	MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ch_wipe(cookie, sizeof(cookie));
	snprintf(x->sess.person, sizeof(x->sess.person), "%s", id);
	x->logged_in = 1;
	srv_log(x, "login");
	rc = MHD_queue_response(x->c, 303, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result do_logout(srv_ctx *x)
{
	const char *cookie = MHD_lookup_connection_value(x->c, MHD_COOKIE_KIND, "chancery_session");
	struct MHD_Response *resp;
	enum MHD_Result rc;

	if (cookie)
		srv_session_destroy(x->s, cookie);
	srv_log(x, "logout");
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Set-Cookie", "chancery_session=; Path=/; HttpOnly; Secure; "
	                        "SameSite=Strict; Max-Age=0");
	MHD_add_response_header(resp, "Location", "/login");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	rc = MHD_queue_response(x->c, 303, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* ---- lists ---- */

static enum MHD_Result inbox(srv_ctx *x)
{
	json_t *docs = srv_inbox(x, x->sess.person);

	srv_render(x, 200, "inbox", json_pack("{s:o, s:b}", "docs", docs, "empty",
	                                      json_array_size(docs) == 0));
	return MHD_YES;
}

static const char *arg_or(srv_ctx *x, const char *name)
{
	const char *v = srv_arg(x, name);

	return v && strlen(v) <= 200 && ch_utf8_valid(v, strlen(v)) ? v : "";
}

/* A search query is a door too: one that carries a classification marking
 * is refused, neither run nor echoed (a security event is recorded). */
int srv_gate_query(srv_ctx *x, const char *q)
{
	const ch_policy *pol;
	ch_gate_item item;

	if (!q || !*q || srv_current_policy(&pol, x) < 0)
		return 0;
	memset(&item, 0, sizeof(item));
	item.door = "search";
	item.person = x->sess.person;
	item.query = q;
	return ch_gate_check(x->site, pol, &item);
}

static enum MHD_Result doc_list(srv_ctx *x)
{
	const char *state = arg_or(x, "state"), *type = arg_or(x, "type"), *unit = arg_or(x, "unit");
	const char *urgency = arg_or(x, "urgency"), *q = arg_or(x, "q");
	json_t *docs;

	if (srv_gate_query(x, q) < 0)
		return srv_error_page(x, 400, ch_error_last());
	docs = srv_doc_list(x, state, type, unit, urgency, q);

	srv_render(x, 200, "list", json_pack("{s:o, s:b, s:{s:s, s:s, s:s, s:s, s:s}}", "docs", docs,
	                                     "empty", json_array_size(docs) == 0, "f", "state", state,
	                                     "type", type, "unit", unit, "urgency", urgency, "q", q));
	return MHD_YES;
}

/* ---- one document ---- */

static int load_doc(ch_doc **doc, const ch_policy **pol, srv_ctx *x, const char *id)
{
	int error;

	if ((error = srv_current_policy(pol, x)) < 0)
		return error;
	return ch_doc_load_as(doc, x->site, x->sess.person, id);
}

static enum MHD_Result show_doc(srv_ctx *x, const char *id, unsigned status, const char *notice,
                                const char *error_msg, const char *kept_comment)
{
	const ch_policy *pol;
	ch_doc *doc = NULL;
	ch_strv conflicts = CH_STRV_INIT;
	ch_buf conflict_msg = CH_BUF_INIT;
	json_t *j;
	/* Callers pass ch_error_last(): loading and rendering the document
	 * below set errors of their own (the engine probes every action), so
	 * the message is kept before it is overwritten. */
	json_t *err = error_msg ? json_string(error_msg) : json_null();

	if (load_doc(&doc, &pol, x, id) < 0) {
		json_decref(err);
		return srv_error_page(x, 404, ch_error_last());
	}
	j = srv_doc_full(x, doc, pol);
	if (!notice && ch_doc_conflicts(&conflicts, x->site, id) == 0 && conflicts.n) {
		char *who = ch_strv_join(&conflicts, ", ");

		ch_buf_printf(&conflict_msg, srv_msg(x->lang_en, "conflict-kept-fmt"), who);
		free(who);
		notice = conflict_msg.ptr;
	}
	json_object_set_new(j, "notice", notice ? json_string(notice) : json_null());
	json_object_set_new(j, "error", err);
	json_object_set_new(j, "kept_comment", json_string(kept_comment ? kept_comment : ""));
	srv_render(x, status, "doc", json_pack("{s:o}", "doc", j));
	ch_doc_free(doc);
	ch_strv_free(&conflicts);
	ch_buf_dispose(&conflict_msg);
	return MHD_YES;
}

static enum MHD_Result show_diff(srv_ctx *x, const char *id)
{
	const ch_policy *pol;
	ch_doc *doc = NULL;
	json_t *lines = NULL, *revs = json_array();
	const char *from = srv_arg(x, "from"), *to = srv_arg(x, "to");
	size_t i;

	if (load_doc(&doc, &pol, x, id) < 0)
		return srv_error_page(x, 404, ch_error_last());
	for (i = 0; i < doc->nevents; i++)
		if (!strcmp(doc->events[i].t.action, "create") || !strcmp(doc->events[i].t.action, "revise"))
			json_array_append_new(revs, json_pack("{s:s, s:s, s:s}", "commit",
			                                      git_oid_tostr_s(&doc->events[i].id), "label",
			                                      srv_msg(x->lang_en, doc->events[i].t.action),
			                                      "actor", doc->events[i].t.actor));
	if (!from && json_array_size(revs) >= 2)
		from = json_string_value(json_object_get(json_array_get(revs, json_array_size(revs) - 2), "commit"));
	if (!to && json_array_size(revs) >= 1)
		to = json_string_value(json_object_get(json_array_get(revs, json_array_size(revs) - 1), "commit"));
	for (i = 0; i < json_array_size(revs); i++) {
		json_t *r = json_array_get(revs, i);
		const char *c = json_string_value(json_object_get(r, "commit"));

		json_object_set_new(r, "sel_from", json_boolean(from && !strcmp(c, from)));
		json_object_set_new(r, "sel_to", json_boolean(to && !strcmp(c, to)));
	}
	if (from && to && srv_diff(&lines, x, doc, from, to) < 0) {
		json_decref(revs);
		ch_doc_free(doc);
		return srv_error_page(x, 404, ch_error_last());
	}
	srv_render(x, 200, "diff", json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?}", "id", doc->id,
	                                     "title", doc->meta.title, "lines",
	                                     lines ? lines : json_array(), "revisions", revs, "from",
	                                     from, "to", to));
	ch_doc_free(doc);
	return MHD_YES;
}

static int parse_head(git_oid *out, srv_ctx *x)
{
	const char *h = srv_field_get(x->r, "head");

	return h && ch_valid_oid_hex(h) && git_oid_fromstr(out, h) == 0 ? 0 : CH_EINVALID;
}

static void actor_from_form(ch_actor *who, srv_ctx *x, git_oid *head)
{
	memset(who, 0, sizeof(*who));
	who->actor = x->sess.person;
	who->passphrase = srv_field_get(x->r, "passphrase");
	who->comment = srv_field_get(x->r, "comment");
	if (who->comment && !who->comment[0])
		who->comment = NULL;
	who->on_behalf = srv_field_get(x->r, "on_behalf");
	if (who->on_behalf && !who->on_behalf[0])
		who->on_behalf = NULL;
	who->expected = parse_head(head, x) == 0 ? head : NULL;
	who->door = "browser form";
	who->need_read = 1;
	if (srv_field_find(x->r, "file") && srv_field_find(x->r, "file")->len)
		who->source_name = srv_field_find(x->r, "file")->filename;
}

static enum MHD_Result act(srv_ctx *x, const char *id)
{
	const char *action = srv_field_get(x->r, "action");
	ch_actor who;
	git_oid head, out;
	int error;

	actor_from_form(&who, x, &head);
	if (!action || !who.passphrase || !who.passphrase[0])
		return show_doc(x, id, 400, NULL, srv_msg(x->lang_en, "act-missing"), who.comment);
	if (!who.expected)
		return show_doc(x, id, 400, NULL, "missing document head", who.comment);
	error = ch_doc_act(&out, x->site, id, action, &who);
	srv_log(x, "act %s %s: %s", id, action, error ? "refused" : git_oid_tostr_s(&out));
	if (error == CH_ECONFLICT)
		return show_doc(x, id, 409, NULL, srv_msg(x->lang_en, "conflict"), who.comment);
	if (error < 0) /* a comment the gate refused is not echoed back */
		return show_doc(x, id, ch_error_http_status(error), NULL, ch_error_last(),
		                error == CH_ECLASSIFIED ? NULL : who.comment);
	srv_index_touch(x);
	return show_doc(x, id, 200, srv_msg(x->lang_en, "done"), NULL, NULL);
}

static const char *text_field(srv_ctx *x, size_t *len)
{
	const srv_field *file = srv_field_find(x->r, "file");
	const srv_field *text = srv_field_find(x->r, "text");

	if (file && file->len) {
		*len = file->len;
		return file->value;
	}
	if (text) { /* a textarea posts CRLF line ends: the text keeps the LF it was shown with */
		size_t i, o = 0;

		for (i = 0; i < text->len; i++)
			if (!(text->value[i] == '\r' && i + 1 < text->len && text->value[i + 1] == '\n'))
				text->value[o++] = text->value[i];
		((srv_field *)text)->len = o;
		text->value[o] = '\0';
	}
	*len = text ? text->len : 0;
	return text ? text->value : NULL;
}

static enum MHD_Result revise(srv_ctx *x, const char *id)
{
	srv_attach fa;
	ch_actor who;
	git_oid head;
	const char *text;
	size_t len;
	int error;

	actor_from_form(&who, x, &head);
	text = text_field(x, &len);
	if (!text || !who.passphrase || !who.expected)
		return show_doc(x, id, 400, NULL, "text, passphrase and head are required", NULL);
	srv_attach_from_form(&fa, x);
	error = ch_doc_revise_ex(x->site, id, text, len, &fa.req, &who);
	srv_attach_dispose(&fa);
	srv_log(x, "revise %s: %s", id, error ? "refused" : "ok");
	if (error < 0)
		return show_doc(x, id, ch_error_http_status(error), NULL,
		                error == CH_ECONFLICT ? srv_msg(x->lang_en, "conflict") : ch_error_last(),
		                NULL);
	srv_index_touch(x);
	return show_doc(x, id, 200, srv_msg(x->lang_en, "done"), NULL, NULL);
}

/* ---- new document ---- */

static const char *skeleton(const char *type, size_t *len)
{
	const ch_embedded *e;
	char path[128];

	snprintf(path, sizeof(path), "templates/decree30/%s.md", type ? type : "");
	for (e = ch_embedded_files; e->path; e++)
		if (!strcmp(e->path, path)) {
			*len = e->len;
			return (const char *)e->data;
		}
	return NULL;
}

static json_t *types_json(srv_ctx *x, const char *selected)
{
	const ch_policy *pol;
	json_t *arr = json_array();
	size_t i;

	if (srv_current_policy(&pol, x) < 0)
		return arr;
	for (i = 0; i < pol->nworkflows; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "name", pol->workflows[i]->name,
		                                     "title", pol->workflows[i]->title, "selected",
		                                     selected && !strcmp(selected, pol->workflows[i]->name)));
	return arr;
}

/* `echo`: put the submitted title and text back in the form (never after
 * the classification gate refused them). */
static enum MHD_Result new_form(srv_ctx *x, unsigned status, const char *error, int echo)
{
	const char *type = srv_arg(x, "skeleton");
	size_t len = 0;
	const char *sk = skeleton(type, &len);
	const char *text = echo ? srv_field_get(x->r, "text") : NULL;
	const char *title = echo ? srv_field_get(x->r, "title") : NULL;

	json_t *j = json_pack("{s:o, s:s%, s:s, s:s?}", "types",
	                      types_json(x, type ? type : srv_field_get(x->r, "type")),
	                      "text", text ? text : (sk ? sk : ""),
	                      text ? strlen(text) : len, "title", title ? title : "",
	                      "error", error);

	srv_attach_slots_json(j, x);
	srv_render(x, status, "new", j);
	return MHD_YES;
}

static enum MHD_Result create_doc_ext(srv_ctx *x, ch_commit_ext *ext);

static enum MHD_Result create_doc(srv_ctx *x)
{
	return create_doc_ext(x, NULL);
}

/* The same form, for a step signed in the browser: prepared, not written;
 * the answer is JSON (presign.c). */
enum MHD_Result srv_page_create_prepare(srv_ctx *x, const char *id, const char *rest)
{
	char fpr[CH_PGP_FPR_HEX];
	ch_commit_ext ext;
	enum MHD_Result rc;

	(void)id;
	(void)rest;
	if (srv_presign_key(fpr, srv_field_get(x->r, "key")) < 0)
		return srv_send_json(x, 400, json_pack("{s:s}", "error", ch_error_last()));
	ch_commit_ext_init(&ext);
	ext.prepare = 1;
	ext.pk_algo = CH_PGP_PK_EDDSA;
	snprintf(ext.key_fpr, sizeof(ext.key_fpr), "%s", fpr);
	rc = create_doc_ext(x, &ext);
	ch_commit_ext_dispose(&ext);
	return rc;
}

static enum MHD_Result create_doc_ext(srv_ctx *x, ch_commit_ext *ext)
{
	ch_strv to = CH_STRV_INIT;
	ch_buf id = CH_BUF_INIT, loc = CH_BUF_INIT;
	srv_attach fa;
	ch_doc_new req;
	ch_actor who;
	git_oid head;
	size_t len;
	enum MHD_Result rc;
	int error;

	actor_from_form(&who, x, &head);
	who.expected = NULL;
	memset(&req, 0, sizeof(req));
	req.title = srv_field_get(x->r, "title");
	req.type = srv_field_get(x->r, "type");
	req.urgency = srv_field_get(x->r, "urgency");
	req.number = srv_field_get(x->r, "number");
	/* a label given is a label claimed: the gate judges it */
	req.classification = srv_field_get(x->r, "classification");
	if (srv_field_get(x->r, "recipients"))
		for (const char *p = srv_field_get(x->r, "recipients"); *p;) {
			size_t n = strcspn(p, ", ");
			char *one = ch_strndup(p, n);

			if (one[0] && !ch_strv_contains(&to, one))
				ch_strv_push(&to, one);
			free(one);
			p += n;
			p += strspn(p, ", ");
		}
	req.recipients = &to;
	req.text = text_field(x, &len);
	req.text_len = len;
	srv_attach_from_form(&fa, x);
	req.attach = &fa.req;
	who.ext = ext;
	if ((!who.passphrase && !ext) || !req.text)
		error = ch_error_setc(CH_EINVALID, "text and signing passphrase are required");
	else
		error = ch_doc_create(&id, x->site, &req, &who);
	srv_attach_dispose(&fa);
	srv_log(x, "create: %s", error ? "refused" : id.ptr);
	if (ext) {
		if (!error)
			error = srv_presign_reply(x, id.ptr, ext);
		rc = error < 0 ? srv_send_json(x, ch_error_http_status(error), json_pack("{s:s}",
		                               "error", ch_error_last())) : MHD_YES;
	} else if (error < 0) {
		rc = new_form(x, ch_error_http_status(error), ch_error_last(), error != CH_ECLASSIFIED);
	} else {
		srv_index_touch(x);
		ch_buf_printf(&loc, "/docs/%s", id.ptr);
		rc = srv_redirect(x, loc.ptr);
	}
	ch_strv_free(&to);
	ch_buf_dispose(&id);
	ch_buf_dispose(&loc);
	return rc;
}

/* ---- people (policy-admins) ---- */

static int is_role(srv_ctx *x, const char *role)
{
	const ch_policy *pol;
	const ch_person *p;

	return srv_current_policy(&pol, x) == 0 && (p = ch_policy_person(pol, x->sess.person)) &&
	       !p->revoked && ch_person_has_role(p, role);
}

/* Every key of a person with its custody (DESIGN "Keys with custody"). */
static json_t *keys_json(const ch_person *p)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < p->nkeys; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b}", "fingerprint",
		                                   p->keys[i].fingerprint, "custody",
		                                   ch_custody_name(p->keys[i].custody), "label",
		                                   p->keys[i].label, "revoked", p->keys[i].revoked));
	return a;
}

static enum MHD_Result people(srv_ctx *x, unsigned status, const char *notice, const char *error)
{
	const ch_policy *pol;
	json_t *arr = json_array(), *del = json_array(), *pending = NULL;
	size_t i, j;

	if (srv_current_policy(&pol, x) < 0)
		return srv_error_page(x, 500, ch_error_last());
	for (i = 0; i < pol->npeople; i++) {
		const ch_person *p = &pol->people[i];
		ch_buf roles = CH_BUF_INIT;

		for (j = 0; j < p->roles.n; j++)
			ch_buf_printf(&roles, "%s%s", j ? ", " : "", p->roles.v[j]);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", p->id,
		                                     "name", p->name, "unit", p->unit, "roles", roles.ptr,
		                                     "fingerprint", p->fingerprint, "revoked", p->revoked,
		                                     "keys", keys_json(p)));
		ch_buf_dispose(&roles);
	}
	for (i = 0; i < pol->ndelegations; i++) {
		char *roles = ch_strv_join(&pol->delegations[i].roles, ", ");

		json_array_append_new(del, json_pack("{s:s, s:s, s:s}", "from", pol->delegations[i].from,
		                                     "to", pol->delegations[i].to, "roles", roles));
		free(roles);
	}
	if (ch_enrol_pending(&pending, x->site) < 0)
		pending = json_array();
	srv_render(x, status, "people", json_pack("{s:o, s:o, s:o, s:s?, s:s?}", "people", arr,
	                                          "delegations", del, "pending", pending, "notice",
	                                          notice, "error", error));
	return MHD_YES;
}

enum MHD_Result srv_people_page(srv_ctx *x, unsigned status, const char *notice,
                                const char *error)
{
	return people(x, status, notice, error);
}

static void split_roles(ch_strv *out, const char *list)
{
	const char *p = list ? list : "";

	while (*p) {
		size_t n = strcspn(p, ", ");
		char *one = ch_strndup(p, n);

		if (one[0] && !ch_strv_contains(out, one))
			ch_strv_push(out, one);
		free(one);
		p += n;
		p += strspn(p, ", ");
	}
}

static enum MHD_Result people_post(srv_ctx *x, const char *what)
{
	ch_strv roles = CH_STRV_INIT;
	ch_actor admin;
	git_oid head;
	int error;

	actor_from_form(&admin, x, &head);
	admin.expected = NULL;
	if (!admin.passphrase)
		return people(x, 400, NULL, "signing passphrase required");
	split_roles(&roles, srv_field_get(x->r, "roles"));
	if (!strcmp(what, "add")) {
		/* No secret of the new person's here: the admin gets a one-time
		 * enrolment code, shown once, with which the official sets their
		 * own (workflows/enrol.h). */
		const char *custody = srv_field_get(x->r, "custody");
		ch_buf code = CH_BUF_INIT;
		ch_person_new p;

		memset(&p, 0, sizeof(p));
		p.id = srv_field_get(x->r, "id");
		p.name = srv_field_get(x->r, "name");
		p.unit = srv_field_get(x->r, "unit");
		p.roles = &roles;
		if (!p.id || !p.name || !p.unit)
			error = ch_error_setc(CH_EINVALID, "id, name, unit and roles are required");
		else
			error = ch_enrol_person_add(&code, x->site, &admin, &p,
			                            custody && !strcmp(custody, "server"));
		srv_log(x, "people add: %s", error ? "refused" : "ok");
		if (!error) {
			ch_buf notice = CH_BUF_INIT;
			enum MHD_Result rc;

			ch_buf_printf(&notice, "%s: enrolment code %s (valid %d hours, shown once: "
			              "hand it to the official in person; /enrol)", p.id, code.ptr,
			              CH_ENROL_TTL / 3600);
			rc = people(x, 200, notice.ptr, NULL);
			ch_wipe(notice.ptr, notice.size);
			ch_buf_dispose(&notice);
			ch_wipe(code.ptr, code.size);
			ch_buf_dispose(&code);
			ch_strv_free(&roles);
			return rc;
		}
		ch_buf_dispose(&code);
	} else if (!strcmp(what, "roles")) {
		const char *id = srv_field_get(x->r, "id");

		error = id ? ch_admin_person_roles(x->site, &admin, id, &roles) :
		             ch_error_setc(CH_EINVALID, "id required");
	} else {
		const char *from = srv_field_get(x->r, "from"), *to = srv_field_get(x->r, "to");

		error = from && to ? ch_admin_delegate(x->site, &admin, from, to, roles.n ? &roles : NULL) :
		                     ch_error_setc(CH_EINVALID, "from and to required");
	}
	srv_log(x, "people %s: %s", what, error ? "refused" : "ok");
	ch_strv_free(&roles);
	return error < 0 ? people(x, ch_error_http_status(error), NULL, ch_error_last()) :
	                   people(x, 200, srv_msg(x->lang_en, "done"), NULL);
}

/* ---- audit ---- */

/* Every document but the spilled ones (a spill between its record and its
 * purge still has a ref) and, for a policy-admin who is not an auditor,
 * those they may not read (into hidden: the verifier treats them as
 * absent); the count of those left out. */
static size_t audit_unspilled(ch_strv *out, ch_strv *hidden, srv_ctx *x)
{
	ch_strv all = CH_STRV_INIT;
	size_t i, left_out = 0;

	if (ch_doc_list_ids(&all, x->site) == 0)
		for (i = 0; i < all.n; i++) {
			if (srv_spilled(x, all.v[i], NULL, 0)) {
				left_out++;
			} else if (ch_doc_readable(x->site, x->sess.person, all.v[i]) < 0) {
				ch_strv_push(hidden, all.v[i]);
				left_out++;
			} else {
				ch_strv_push(out, all.v[i]);
			}
		}
	ch_strv_free(&all);
	ch_error_clear();
	return left_out;
}

static enum MHD_Result audit(srv_ctx *x)
{
	ch_strv docs = CH_STRV_INIT, hidden = CH_STRV_INIT;
	ch_verify_opts vo;
	ch_report rep;
	ch_buf text = CH_BUF_INIT;
	json_t *f = json_array(), *w = json_array();
	const char *doc = srv_arg(x, "doc");
	size_t i;

	memset(&vo, 0, sizeof(vo));
	vo.hide = &hidden;
	if (doc && ch_valid_doc_id(doc)) {
		if (srv_spilled(x, doc, NULL, 0) && srv_spill_shown(x, doc))
			return srv_tombstone(x, doc, 0);
		ch_strv_push(&docs, doc);
		vo.docs = &docs;
		if (ch_doc_readable(x->site, x->sess.person, doc) < 0) /* as if it did not exist */
			ch_strv_push(&hidden, doc);
		ch_error_clear();
	} else if (audit_unspilled(&docs, &hidden, x) > 0) {
		vo.docs = &docs;
	}
	if (ch_verify(&rep, x->site->repo, &vo) < 0) {
		ch_strv_free(&docs);
		ch_strv_free(&hidden);
		return srv_error_page(x, 500, ch_error_last());
	}
	for (i = 0; i < rep.n; i++)
		json_array_append_new(rep.v[i].warning ? w : f,
		                      json_pack("{s:s, s:s, s:s, s:s}", "rule", rep.v[i].rule, "ref",
		                                rep.v[i].ref, "commit", rep.v[i].commit, "message",
		                                rep.v[i].message));
	ch_report_text(&text, &rep);
	srv_render(x, 200, "audit", json_pack(
		"{s:o, s:o, s:b, s:I, s:I, s:I, s:s, s:s, s:s?, s:o?}", "findings", f, "warnings", w,
		"ok", rep.nfindings == 0, "policy_commits", (json_int_t)rep.policy_commits, "docs",
		(json_int_t)rep.docs, "doc_commits", (json_int_t)rep.doc_commits, "introduction",
		rep.root, "report", text.ptr, "doc", doc, "access", srv_access_json(x, doc)));
	ch_report_dispose(&rep);
	ch_buf_dispose(&text);
	ch_strv_free(&docs);
	ch_strv_free(&hidden);
	return MHD_YES;
}

/* ---- security events (security-officer) ---- */

/* Every event the rotated log holds, SRV_PAGE_ROWS a page, newest first
 * (?page=N); repeats are folded by the log itself (count, last time). */
static enum MHD_Result security(srv_ctx *x)
{
	const char *arg = srv_arg(x, "page");
	unsigned long page = arg && strlen(arg) < 8 && strspn(arg, "0123456789") == strlen(arg) ?
	                     strtoul(arg, NULL, 10) : 0;
	json_t *events, *spills = srv_spills_json(x);
	size_t total;

	ch_gate_events(&events, &total, x->site, page * SRV_PAGE_ROWS, SRV_PAGE_ROWS);
	srv_render(x, 200, "security",
	           json_pack("{s:o, s:b, s:o, s:b, s:I, s:I, s:b, s:I, s:b, s:I}", "spills", spills,
	                     "no_spills", json_array_size(spills) == 0, "events", events, "empty",
	                     total == 0, "total", (json_int_t)total, "page", (json_int_t)page + 1,
	                     "has_newer", page > 0, "newer", (json_int_t)(page ? page - 1 : 0),
	                     "has_older", (page + 1) * SRV_PAGE_ROWS < total,
	                     "older", (json_int_t)page + 1));
	return MHD_YES;
}

/* ---- the handlers the route table (routes.c) calls ---- */

enum MHD_Result srv_page_style(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return srv_send(x, 200, "text/css; charset=utf-8", x->s->css.ptr, x->s->css.size);
}

enum MHD_Result srv_page_static(srv_ctx *x, const char *id, const char *rest)
{
	const ch_buf *f = srv_static_get(x->s, rest);

	(void)id;
	return f ? srv_send(x, 200, "application/octet-stream", f->ptr, f->size) :
	           srv_page_not_found(x);
}

enum MHD_Result srv_page_login_form(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return login_form(x, 200, NULL);
}

enum MHD_Result srv_page_login(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return do_login(x);
}

enum MHD_Result srv_page_need_login(srv_ctx *x)
{
	return need_login(x);
}

enum MHD_Result srv_page_logout(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return do_logout(x);
}

enum MHD_Result srv_page_inbox(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return inbox(x);
}

enum MHD_Result srv_page_doc_list(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return doc_list(x);
}

enum MHD_Result srv_page_new_form(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return new_form(x, 200, NULL, 0);
}

enum MHD_Result srv_page_create(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return create_doc(x);
}

enum MHD_Result srv_page_doc(srv_ctx *x, const char *id, const char *rest)
{
	(void)rest;
	return show_doc(x, id, 200, NULL, NULL, NULL);
}

enum MHD_Result srv_page_diff(srv_ctx *x, const char *id, const char *rest)
{
	(void)rest;
	return show_diff(x, id);
}

enum MHD_Result srv_page_act(srv_ctx *x, const char *id, const char *rest)
{
	(void)rest;
	return act(x, id);
}

enum MHD_Result srv_page_revise(srv_ctx *x, const char *id, const char *rest)
{
	(void)rest;
	return revise(x, id);
}

enum MHD_Result srv_page_attachment(srv_ctx *x, const char *id, const char *rest)
{
	return srv_attachment_get(x, id, rest, 0);
}

enum MHD_Result srv_page_people(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return people(x, 200, NULL, NULL);
}

enum MHD_Result srv_page_people_post(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	return people_post(x, rest);
}

enum MHD_Result srv_page_security(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return security(x);
}

enum MHD_Result srv_page_audit(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return audit(x);
}

enum MHD_Result srv_page_not_found(srv_ctx *x)
{
	return srv_error_page(x, 404, srv_msg(x->lang_en, "not-found"));
}

int srv_has_role(srv_ctx *x, const char *role)
{
	return is_role(x, role);
}
