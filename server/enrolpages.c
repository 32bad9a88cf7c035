/* enrolpages.c -- the officials' own secrets in the browser (issue 17):
 * the enrolment page (a one-time code opens the account: the official's
 * own login password, and a browser key made here or their own signing
 * passphrase), the account page (change both, enrol another device), a
 * policy-admin's approval of a pending key, and the script that signs in
 * the browser (served from the binary, under the site's CSP). */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "util/embedded.h"
#include "util/text.h"
#include "workflows/classify/gate.h"
#include "workflows/enrol.h"
#include "util/common.h"

enum MHD_Result srv_page_script(srv_ctx *x, const char *id, const char *rest)
{
	const ch_embedded *e;

	(void)id;
	(void)rest;
	for (e = ch_embedded_files; e->path; e++)
		if (!strcmp(e->path, "templates/html/chancery.js"))
			return srv_send(x, 200, "text/javascript; charset=utf-8", e->data, e->len);
	return srv_page_not_found(x);
}

static int server_custody_allowed(srv_ctx *x)
{
	const ch_policy *pol;

	return srv_current_policy(&pol, x) == 0 && !pol->server_custody_forbidden;
}

static enum MHD_Result enrol_page(srv_ctx *x, unsigned status, const char *notice,
                                  const char *fpr, const char *error)
{
	srv_render(x, status, "enrol", json_pack("{s:s, s:b, s:s?, s:s?, s:s?}", "site",
	                                         x->site->site_id, "server_custody",
	                                         server_custody_allowed(x), "notice", notice,
	                                         "fingerprint", fpr, "error", error));
	return MHD_YES;
}

enum MHD_Result srv_page_enrol_form(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return enrol_page(x, 200, NULL, NULL, NULL);
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* A device key posted by the enrolment script; NULL when none. */
static const ch_buf *device_key(ch_buf *b, srv_ctx *x)
{
	const char *k = nonempty(srv_field_get(x->r, "device_key"));

	if (!k)
		return NULL;
	ch_buf_puts(b, k);
	return b;
}

enum MHD_Result srv_page_enrol(srv_ctx *x, const char *id, const char *rest)
{
	const char *who = srv_field_get(x->r, "id");
	ch_buf dev = CH_BUF_INIT;
	char fpr[CH_PGP_FPR_HEX] = "";
	ch_enrol_req req;
	enum MHD_Result rc;
	int error;

	(void)id;
	(void)rest;
	if (!who || !ch_valid_person_id(who) || !srv_field_get(x->r, "code"))
		return enrol_page(x, 400, NULL, NULL, srv_msg(x->lang_en, "login-missing"));
	if (srv_throttle_check(x->s, who, x->addr) < 0)
		return enrol_page(x, 429, NULL, NULL, srv_msg(x->lang_en, "login-throttled"));
	memset(&req, 0, sizeof(req));
	req.person = who;
	req.code = srv_field_get(x->r, "code");
	req.password = srv_field_get(x->r, "password");
	req.passphrase = nonempty(srv_field_get(x->r, "passphrase"));
	req.device_key = device_key(&dev, x);
	req.device_custody = CH_CUSTODY_BROWSER;
	req.device_label = nonempty(srv_field_get(x->r, "device_label"));
	if (!req.password)
		error = ch_error_setc(CH_EINVALID, "a new login password is required");
	else
		error = ch_enrol_open(x->site, &req);
	if (error == CH_EAUTH) {
		srv_throttle_result(x->s, who, x->addr, 0);
		ch_gate_event(x->site, "enrolment", who, "wrong-code", "unclassified");
	}
	srv_log(x, "enrol %s: %s", who, error ? "refused" : "ok");
	if (!error && req.device_key)
		ch_custody_cert_fpr(fpr, req.device_key);
	rc = error < 0 ? enrol_page(x, ch_error_http_status(error), NULL, NULL, ch_error_last()) :
	     enrol_page(x, 200, srv_msg(x->lang_en, "done"), fpr[0] ? fpr : NULL, NULL);
	ch_buf_dispose(&dev);
	return rc;
}

static enum MHD_Result account_page(srv_ctx *x, unsigned status, const char *notice,
                                    const char *fpr, const char *error)
{
	const ch_policy *pol;
	const ch_person *p = NULL;
	json_t *keys = json_array();
	int server_key = 0;
	size_t i;

	if (srv_current_policy(&pol, x) == 0)
		p = ch_policy_person(pol, x->sess.person);
	for (i = 0; p && i < p->nkeys; i++) {
		json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:b}", "fingerprint",
		                                      p->keys[i].fingerprint, "custody",
		                                      ch_custody_name(p->keys[i].custody), "label",
		                                      p->keys[i].label, "revoked", p->keys[i].revoked));
		server_key |= p->keys[i].custody == CH_CUSTODY_SERVER && !p->keys[i].revoked;
	}
	srv_render(x, status, "account", json_pack("{s:o, s:b, s:s, s:s, s:s?, s:s?, s:s?}", "keys",
	                                           keys, "has_server_key", server_key, "site",
	                                           x->site->site_id, "person", x->sess.person,
	                                           "notice", notice, "fingerprint", fpr, "error",
	                                           error));
	return MHD_YES;
}

enum MHD_Result srv_page_account(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return account_page(x, 200, NULL, NULL, NULL);
}

enum MHD_Result srv_page_account_post(srv_ctx *x, const char *id, const char *rest)
{
	const char *old = srv_field_get(x->r, "old"), *nw = srv_field_get(x->r, "new");
	char fpr[CH_PGP_FPR_HEX] = "";
	ch_buf dev = CH_BUF_INIT;
	enum MHD_Result rc;
	int error;

	(void)id;
	(void)rest;
	if (!strcmp(x->path, "/account/password"))
		error = old && nw ? ch_enrol_change_password(x->site, x->sess.person, old, nw) :
		                    ch_error_setc(CH_EINVALID, "the current and the new password");
	else if (!strcmp(x->path, "/account/passphrase"))
		error = old && nw ? ch_enrol_change_passphrase(x->site, x->sess.person, old, nw) :
		                    ch_error_setc(CH_EINVALID, "the current and the new passphrase");
	else if (device_key(&dev, x))
		error = ch_enrol_device(x->site, x->sess.person, &dev, CH_CUSTODY_BROWSER,
		                        nonempty(srv_field_get(x->r, "device_label")), fpr);
	else
		error = ch_error_setc(CH_EINVALID, "no device key was made (JavaScript is needed to "
		                      "make a key in the browser)");
	srv_log(x, "account %s: %s", x->path + 9, error ? "refused" : "ok");
	rc = error < 0 ? account_page(x, ch_error_http_status(error), NULL, NULL, ch_error_last()) :
	     account_page(x, 200, srv_msg(x->lang_en, "done"), fpr[0] ? fpr : NULL, NULL);
	ch_buf_dispose(&dev);
	return rc;
}

/* JSON: {"old","new"} for /api/v1/account/password and /passphrase. */
enum MHD_Result srv_api_account(srv_ctx *x, const char *id, const char *rest)
{
	json_t *b = NULL;
	const char *old, *nw;
	int error;

	(void)id;
	if (srv_api_body(&b, x->r) < 0)
		return srv_api_error(x, 400, ch_error_last());
	old = srv_api_str(b, "old");
	nw = srv_api_str(b, "new");
	if (!old || !nw)
		error = ch_error_setc(CH_EINVALID, "old and new are required");
	else if (!strcmp(rest, "password"))
		error = ch_enrol_change_password(x->site, x->sess.person, old, nw);
	else if (!strcmp(rest, "passphrase"))
		error = ch_enrol_change_passphrase(x->site, x->sess.person, old, nw);
	else
		error = ch_error_setc(CH_ENOTFOUND, "no such endpoint");
	json_decref(b);
	srv_log(x, "api account %s: %s", rest, error ? "refused" : "ok");
	if (error < 0)
		return srv_api_error(x, ch_error_http_status(error), ch_error_last());
	return srv_send_json(x, 200, json_pack("{s:b}", "changed", 1));
}

enum MHD_Result srv_page_approve(srv_ctx *x, const char *id, const char *rest)
{
	const char *person = srv_field_get(x->r, "person"), *fpr = srv_field_get(x->r, "fingerprint");
	ch_actor admin;
	int error;

	(void)id;
	(void)rest;
	memset(&admin, 0, sizeof(admin));
	admin.actor = x->sess.person;
	admin.passphrase = srv_field_get(x->r, "passphrase");
	admin.door = "browser form";
	if (!person || !fpr || !admin.passphrase)
		error = ch_error_setc(CH_EINVALID, "person, fingerprint and your signing passphrase");
	else
		error = ch_enrol_approve(x->site, &admin, person, fpr);
	srv_log(x, "approve key of %s: %s", person ? person : "?", error ? "refused" : "ok");
	return srv_people_page(x, error < 0 ? ch_error_http_status(error) : 200,
	                       error < 0 ? NULL : srv_msg(x->lang_en, "done"),
	                       error < 0 ? ch_error_last() : NULL);
}
