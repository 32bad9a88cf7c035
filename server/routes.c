/* routes.c -- the server's one route table: every path it answers, with
 * its method, who may call it (no login, a session or token, roles), its
 * CSRF or Origin check, and the handler. dispatch() in http.c hands every
 * request here (git's smart HTTP included: its peers log in with their TLS
 * client certificate, checked in git_http.c). Nothing else routes. */
#include <string.h>

#include "server.h"
#include "util/text.h"
#include "util/common.h"

enum {
	R_PUBLIC = 1 << 0, /* no login needed */
	R_API = 1 << 1,    /* JSON answers; bearer token, never a cookie */
	R_CSRF = 1 << 2,   /* a page form: the session's CSRF token and our Origin */
	R_ORIGIN = 1 << 3, /* a form before login: our Origin only */
	R_DOC = 1 << 4,    /* {id} is a document id; a spilled one answers its tombstone */
};

typedef enum MHD_Result (*route_fn)(srv_ctx *x, const char *id, const char *rest);

typedef struct {
	const char *method; /* "GET" or "POST" */
	const char *path;   /* literal; "{id}" matches one segment; a final "*" the rest */
	unsigned flags;
	const char *roles;  /* NULL: anyone logged in; else any of these (space-separated) */
	route_fn fn;
} route;

static const route routes[] = {
	{ "GET", "/static/style.css", R_PUBLIC, NULL, srv_page_style },
	{ "GET", "/static/chancery.js", R_PUBLIC, NULL, srv_page_script },
	{ "GET", "/static/*", R_PUBLIC, NULL, srv_page_static },
	{ "GET", "/login", R_PUBLIC, NULL, srv_page_login_form },
	{ "POST", "/login", R_PUBLIC | R_ORIGIN, NULL, srv_page_login },
	{ "POST", "/logout", R_CSRF, NULL, srv_page_logout },
	{ "GET", "/enrol", R_PUBLIC, NULL, srv_page_enrol_form },
	{ "POST", "/enrol", R_PUBLIC | R_ORIGIN, NULL, srv_page_enrol },
	{ "GET", "/account", 0, NULL, srv_page_account },
	{ "POST", "/account/password", R_CSRF, NULL, srv_page_account_post },
	{ "POST", "/account/passphrase", R_CSRF, NULL, srv_page_account_post },
	{ "POST", "/account/device", R_CSRF, NULL, srv_page_account_post },
	{ "POST", "/sign/finish", R_CSRF, NULL, srv_page_sign_finish },
	{ "GET", "/", 0, NULL, srv_page_inbox },
	{ "GET", "/inbox", 0, NULL, srv_page_inbox },
	{ "GET", "/docs", 0, NULL, srv_page_doc_list },
	{ "GET", "/docs/new", 0, NULL, srv_page_new_form },
	{ "POST", "/docs/new", R_CSRF, NULL, srv_page_create },
	{ "POST", "/docs/new/prepare", R_CSRF, NULL, srv_page_create_prepare },
	{ "GET", "/docs/{id}", R_DOC, NULL, srv_page_doc },
	{ "GET", "/docs/{id}/diff", R_DOC, NULL, srv_page_diff },
	{ "POST", "/docs/{id}/act", R_DOC | R_CSRF, NULL, srv_page_act },
	{ "POST", "/docs/{id}/prepare", R_DOC | R_CSRF, NULL, srv_page_prepare },
	{ "POST", "/docs/{id}/revise", R_DOC | R_CSRF, NULL, srv_page_revise },
	{ "GET", "/docs/{id}/attachments/*", R_DOC, NULL, srv_page_attachment },
	{ "GET", "/people", 0, "policy-admin", srv_page_people },
	{ "POST", "/people/add", R_CSRF, "policy-admin", srv_page_people_post },
	{ "POST", "/people/roles", R_CSRF, "policy-admin", srv_page_people_post },
	{ "POST", "/people/delegate", R_CSRF, "policy-admin", srv_page_people_post },
	{ "POST", "/people/approve", R_CSRF, "policy-admin", srv_page_approve },
	{ "GET", "/security", 0, "security-officer", srv_page_security },
	{ "GET", "/audit", 0, "auditor policy-admin", srv_page_audit },
	{ "POST", "/api/v1/session", R_PUBLIC | R_API, NULL, srv_api_session },
	{ "POST", "/api/v1/session/end", R_API, NULL, srv_api_session_end },
	{ "GET", "/api/v1/inbox", R_API, NULL, srv_api_inbox },
	{ "GET", "/api/v1/docs", R_API, NULL, srv_api_doc_list },
	{ "POST", "/api/v1/docs", R_API, NULL, srv_api_create },
	{ "GET", "/api/v1/access", R_API, "auditor", srv_api_access },
	{ "GET", "/api/v1/docs/{id}", R_API | R_DOC, NULL, srv_api_doc },
	{ "POST", "/api/v1/docs/{id}/act", R_API | R_DOC, NULL, srv_api_act },
	{ "POST", "/api/v1/docs/{id}/prepare", R_API | R_DOC, NULL, srv_api_prepare },
	{ "POST", "/api/v1/sign/finish", R_API, NULL, srv_api_sign_finish },
	{ "POST", "/api/v1/account/*", R_API, NULL, srv_api_account },
	{ "POST", "/api/v1/docs/{id}/revise", R_API | R_DOC, NULL, srv_api_revise },
	{ "GET", "/api/v1/docs/{id}/attachments/*", R_API | R_DOC, NULL, srv_api_attachment },
};

/* Match `path` against a pattern: 1 with the {id} segment copied into id
 * (empty when none) and *rest at what "*" matched ("" when none). */
static int match(const char *pat, const char *path, char *id, size_t size, const char **rest)
{
	*id = '\0';
	*rest = "";
	while (*pat) {
		if (!strncmp(pat, "{id}", 4)) {
			size_t n = strcspn(path, "/");

			if (n == 0 || n >= size)
				return 0;
			memcpy(id, path, n);
			id[n] = '\0';
			path += n;
			pat += 4;
		} else if (!strcmp(pat, "*")) {
			if (!*path)
				return 0;
			*rest = path;
			return 1;
		} else if (*pat++ != *path++) {
			return 0;
		}
	}
	return *path == '\0';
}

static int has_any_role(srv_ctx *x, const char *roles)
{
	char role[64];

	while (*roles) {
		size_t n = strcspn(roles, " ");

		if (n < sizeof(role)) {
			memcpy(role, roles, n);
			role[n] = '\0';
			if (srv_has_role(x, role))
				return 1;
		}
		roles += n;
		roles += strspn(roles, " ");
	}
	return 0;
}

/* The same answer for "no such path", "not for your roles" and "wrong
 * method": nothing tells a caller which it was. */
static enum MHD_Result not_found(srv_ctx *x, int api)
{
	return api ? srv_api_error(x, 404, "no such endpoint") : srv_page_not_found(x);
}

static enum MHD_Result call(srv_ctx *x, const route *rt, const char *id, const char *rest)
{
	int api = !!(rt->flags & R_API);

	if (!(rt->flags & R_PUBLIC) && !x->logged_in)
		return api ? srv_api_error(x, 401, "a bearer token from POST /api/v1/session is "
		                           "required") : srv_page_need_login(x);
	if (rt->roles && !has_any_role(x, rt->roles))
		return not_found(x, api);
	if (((rt->flags & R_CSRF) && !srv_csrf_ok(x)) || ((rt->flags & R_ORIGIN) && !srv_origin_ok(x)))
		return srv_error_page(x, 403, srv_msg(x->lang_en, "csrf"));
	if (rt->flags & R_DOC) {
		if (!ch_valid_doc_id(id))
			return api ? srv_api_error(x, 400, "not a valid document id") : not_found(x, 0);
		if (srv_spilled(x, id, NULL, 0) && srv_spill_shown(x, id))
			return srv_tombstone(x, id, api);
	}
	return rt->fn(x, id, rest);
}

enum MHD_Result srv_route(srv_ctx *x)
{
	int api = !strncmp(x->path, "/api/", 5);
	const char *rest;
	char id[80];
	size_t i;

	if (!strncmp(x->path, "/git/", 5))
		return srv_route_git(x); /* peers: the TLS client certificate */
	for (i = 0; i < CH_ARRAY_SIZE(routes); i++)
		if (!strcmp(routes[i].method, x->r->method) &&
		    match(routes[i].path, x->path, id, sizeof(id), &rest))
			return call(x, &routes[i], id, rest);
	/* an unknown page of a visitor who is not logged in: to the login form */
	if (!api && !x->logged_in)
		return srv_page_need_login(x);
	if (api && !x->logged_in)
		return srv_api_error(x, 401, "a bearer token from POST /api/v1/session is required");
	return not_found(x, api);
}
