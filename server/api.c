/* api.c -- the JSON API under /api/v1, with the same checks as the pages:
 * a bearer token from POST /api/v1/session (never a cookie, so no CSRF),
 * roles, workflow, classification. Documented in docs/api.md. */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "util/text.h"
#include "workflows/store/accounts.h"
#include "workflows/json.h"
#include "util/common.h"

#define API_MAX_JSON (6u * 1024 * 1024)

static enum MHD_Result err(srv_ctx *x, unsigned status, const char *msg)
{
	return srv_send_json(x, status, json_pack("{s:s}", "error", msg));
}

int srv_api_body(json_t **out, const srv_req *r)
{
	*out = NULL;
	if (!r->is_json)
		return ch_error_setc(CH_EINVALID, "expected Content-Type: application/json");
	return ch_json_parse(out, r->raw.ptr, r->raw.size, API_MAX_JSON, "request body");
}

static int body(json_t **out, srv_ctx *x)
{
	return srv_api_body(out, x->r);
}

/* A string member, or NULL when it is absent, not a string, or holds a
 * NUL (\u0000): the C code after this would read a shorter value than
 * the one the client sent (a passphrase cut short, a text that is not
 * what was signed). */
const char *srv_api_str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

static const char *str(const json_t *o, const char *k)
{
	return srv_api_str(o, k);
}

static enum MHD_Result session(srv_ctx *x)
{
	json_t *b = NULL;
	const char *id, *pw;
	char token[65];
	enum MHD_Result rc;

	if (body(&b, x) < 0)
		return err(x, 400, ch_error_last());
	id = str(b, "id");
	pw = str(b, "password");
	if (!id || !pw || !ch_valid_person_id(id))
		rc = err(x, 400, "id and password are required");
	else if (srv_throttle_check(x->s, id, x->addr) < 0)
		rc = err(x, 429, "too many failed logins: try again later");
	else if (ch_accounts_check(x->site, id, pw) < 0) {
		srv_throttle_result(x->s, id, x->addr, 0);
		rc = err(x, 403, "wrong identifier or password");
	} else if (srv_throttle_result(x->s, id, x->addr, 1),
	           srv_session_create(x->s, token, sizeof(token), id, 1, 0) < 0) {
		rc = err(x, 503, ch_error_last());
	} else {
		rc = srv_send_json(x, 200, json_pack("{s:s, s:s}", "token", token, "person", id));
		ch_wipe(token, sizeof(token));
	}
	json_decref(b);
	return rc;
}

void srv_api_actor(ch_actor *who, const char *person, const json_t *b, git_oid *head)
{
	const char *h = str(b, "head");

	memset(who, 0, sizeof(*who));
	who->actor = person;
	who->passphrase = str(b, "passphrase");
	who->comment = str(b, "comment");
	who->on_behalf = str(b, "on_behalf");
	who->expected = h && ch_valid_oid_hex(h) && git_oid_fromstr(head, h) == 0 ? head : NULL;
	who->door = "JSON API";
}

int srv_api_doc_new(ch_doc_new *req, ch_strv *to, const json_t *b)
{
	json_t *r, *e;
	size_t i;

	memset(req, 0, sizeof(*req));
	req->title = str(b, "title");
	req->type = str(b, "type");
	req->workflow = str(b, "workflow");
	req->urgency = str(b, "urgency");
	req->number = str(b, "number");
	req->classification = str(b, "classification");
	req->recipients = to;
	req->text = str(b, "text");
	req->text_len = req->text ? strlen(req->text) : 0;
	if (!(r = json_object_get(b, "recipients")))
		return 0;
	if (!json_is_array(r) || json_array_size(r) > 1024)
		return ch_error_setc(CH_EINVALID, "recipients: expected an array of at most 1024 ids");
	json_array_foreach(r, i, e) {
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
			return ch_error_setc(CH_EINVALID, "recipients[%zu]: expected a person id", i);
		if (!ch_strv_contains(to, json_string_value(e)))
			ch_strv_push(to, json_string_value(e));
	}
	return 0;
}

static enum MHD_Result create(srv_ctx *x)
{
	ch_strv to = CH_STRV_INIT;
	ch_buf id = CH_BUF_INIT;
	srv_attach fa;
	json_t *b = NULL;
	ch_doc_new req;
	ch_actor who;
	git_oid head;
	int error;
	enum MHD_Result rc;

	if (body(&b, x) < 0)
		return err(x, 400, ch_error_last());
	srv_api_actor(&who, x->sess.person, b, &head);
	who.expected = NULL;
	memset(&fa, 0, sizeof(fa));
	error = srv_api_doc_new(&req, &to, b);
	req.attach = &fa.req;
	if (!error)
		error = srv_attach_from_json(&fa, b);
	if (!error && (!who.passphrase || !req.text))
		error = ch_error_setc(CH_EINVALID, "text and passphrase are required");
	else if (!error)
		error = ch_doc_create(&id, x->site, &req, &who);
	srv_attach_dispose(&fa);
	srv_log(x, "api create: %s", error ? "refused" : id.ptr);
	if (error < 0) {
		rc = err(x, ch_error_http_status(error), ch_error_last());
	} else {
		srv_index_touch(x);
		rc = srv_send_json(x, 201, json_pack("{s:s}", "id", id.ptr));
	}
	ch_strv_free(&to);
	ch_buf_dispose(&id);
	json_decref(b);
	return rc;
}

static enum MHD_Result act(srv_ctx *x, const char *id, int is_revise)
{
	json_t *b = NULL;
	srv_attach fa;
	ch_actor who;
	git_oid head, out;
	const char *text;
	int error;
	enum MHD_Result rc;

	if (body(&b, x) < 0)
		return err(x, 400, ch_error_last());
	srv_api_actor(&who, x->sess.person, b, &head);
	text = str(b, "text");
	memset(&fa, 0, sizeof(fa));
	if (!who.passphrase || !who.expected)
		error = ch_error_setc(CH_EINVALID, "passphrase and head (the document head you saw) "
		                      "are required");
	else if (is_revise && (error = srv_attach_from_json(&fa, b)) < 0)
		;
	else if (is_revise) /* without text: the text stays, attachments change */
		error = text || fa.req.nadd || fa.req.nremove ?
		        ch_doc_revise_ex(x->site, id, text,
		                         text ? json_string_length(json_object_get(b, "text")) : 0,
		                         &fa.req, &who) :
		        ch_error_setc(CH_EINVALID, "text, attachments or detach is required");
	else
		error = str(b, "action") ? ch_doc_act(&out, x->site, id, str(b, "action"), &who) :
		                           ch_error_setc(CH_EINVALID, "action is required");
	srv_attach_dispose(&fa);
	srv_log(x, "api %s %s: %s", is_revise ? "revise" : "act", id, error ? "refused" : "ok");
	if (error < 0) {
		rc = err(x, ch_error_http_status(error), ch_error_last());
	} else {
		ch_doc *doc = NULL;

		srv_index_touch(x);
		/* For act, the commit this step recorded (another may follow it at
		 * once); revise answers the head it reads back. */
		rc = ch_doc_load(&doc, x->site, id) == 0 ?
		     srv_send_json(x, 200, json_pack("{s:s, s:s}", "head",
		                                     git_oid_tostr_s(is_revise ? &doc->head : &out),
		                                     "state", doc->state.state)) :
		     err(x, 500, ch_error_last());
		ch_doc_free(doc);
	}
	json_decref(b);
	return rc;
}

static enum MHD_Result get_doc(srv_ctx *x, const char *id)
{
	const ch_policy *pol;
	ch_doc *doc = NULL;
	json_t *j;
	int error;

	if ((error = srv_current_policy(&pol, x)) < 0 || (error = ch_doc_load(&doc, x->site, id)) < 0)
		return err(x, ch_error_http_status(error), ch_error_last());
	j = srv_doc_full(x, doc, pol);
	json_object_del(j, "body_html");
	ch_doc_free(doc);
	return srv_send_json(x, 200, j);
}

/* ---- the handlers the route table (routes.c) calls ---- */

enum MHD_Result srv_api_session(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return session(x);
}

enum MHD_Result srv_api_session_end(srv_ctx *x, const char *id, const char *rest)
{
	const char *auth = srv_header(x, "Authorization");

	(void)id;
	(void)rest;
	srv_session_destroy(x->s, auth + 7);
	return srv_send_json(x, 200, json_pack("{s:b}", "ok", 1));
}

enum MHD_Result srv_api_inbox(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return srv_send_json(x, 200, srv_inbox(x, x->sess.person));
}

enum MHD_Result srv_api_doc_list(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	if (srv_gate_query(x, srv_arg(x, "q")) < 0)
		return err(x, 400, ch_error_last());
	return srv_send_json(x, 200, srv_doc_list(x, srv_arg(x, "state"), srv_arg(x, "type"),
	                                          srv_arg(x, "unit"), srv_arg(x, "urgency"),
	                                          srv_arg(x, "q")));
}

enum MHD_Result srv_api_create(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return create(x);
}

enum MHD_Result srv_api_doc(srv_ctx *x, const char *id, const char *rest)
{
	(void)rest;
	return get_doc(x, id);
}

enum MHD_Result srv_api_act(srv_ctx *x, const char *id, const char *rest)
{
	(void)rest;
	return act(x, id, 0);
}

enum MHD_Result srv_api_revise(srv_ctx *x, const char *id, const char *rest)
{
	(void)rest;
	return act(x, id, 1);
}

enum MHD_Result srv_api_attachment(srv_ctx *x, const char *id, const char *rest)
{
	return srv_attachment_get(x, id, rest, 1);
}

enum MHD_Result srv_api_access(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return srv_access_api(x);
}

enum MHD_Result srv_api_error(srv_ctx *x, unsigned status, const char *message)
{
	return err(x, status, message);
}
