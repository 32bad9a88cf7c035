/* fuzz_api.c -- JSON API request bodies as chanceryd reads them: the body
 * collected by server/http.c (application/json, raw), parsed by
 * server/api.c srv_api_body, and the fields each endpoint takes from it
 * (srv_api_str for the login, srv_api_actor for every step,
 * srv_api_doc_new for a new document), over a real MHD connection
 * (http_harness.c) with the API client's bearer token.
 *
 * Input: one flags byte, then the body.
 *   flags & 3      POST /api/v1/session, /api/v1/docs, /api/v1/docs/ID/act
 *                  or /api/v1/docs/ID/revise
 *   flags & 4      chunked transfer encoding, in pieces of 1, 13, 256 or
 *                  8192 bytes (flags >> 3 & 3)
 *   flags & 32     Content-Type: application/json; charset=utf-8
 * Checks: a body that parses is an object and one that does not leaves
 * nothing behind; every string taken from it is the member's whole value
 * (no NUL cuts it short); the head a step expects is the one sent;
 * recipients are unique strings, at most 1024. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/http_harness.h"
#include "util/text.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s is NULL, or the whole string value of member k of o. */
static void whole(const json_t *o, const char *k, const char *s)
{
	const json_t *v = json_object_get(o, k);

	if (!s)
		return;
	fh_check(json_is_string(v) && json_string_value(v) == s);
	fh_check(strlen(s) == json_string_length(v));
}

static void final(srv_ctx *x, void *payload)
{
	static const char *const keys[] = { "id", "password", "passphrase", "comment",
	                                    "on_behalf", "head", "text", "action", "title",
	                                    "type", "workflow", "urgency", "number",
	                                    "classification", NULL };
	ch_strv to = CH_STRV_INIT;
	json_t *b = NULL;
	ch_doc_new req;
	ch_actor who;
	git_oid head;
	size_t i, j;
	int error;

	(void)payload;
	if (x->r->refused)
		return;
	fh_check(x->r->is_json);
	fh_check(x->r->raw.size == x->r->body_bytes);
	fh_check(x->logged_in == !!strcmp(x->path, "/api/v1/session"));
	if ((error = srv_api_body(&b, x->r)) < 0) {
		fh_check(b == NULL && ch_error_last()[0]);
		return;
	}
	fh_check(json_is_object(b));
	for (i = 0; keys[i]; i++)
		whole(b, keys[i], srv_api_str(b, keys[i]));
	/* the login (api.c session) */
	if (srv_api_str(b, "id"))
		(void)ch_valid_person_id(srv_api_str(b, "id"));
	/* a step (act, revise) */
	srv_api_actor(&who, FH_PERSON, b, &head);
	fh_check(!strcmp(who.actor, FH_PERSON) && !strcmp(who.door, "JSON API"));
	whole(b, "passphrase", who.passphrase);
	whole(b, "comment", who.comment);
	whole(b, "on_behalf", who.on_behalf);
	if (who.expected) {
		const char *h = srv_api_str(b, "head");
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &head);
		fh_check(who.expected == &head && h && !strcmp(hex, h));
	}
	/* a new document (create) */
	error = srv_api_doc_new(&req, &to, b);
	if (error < 0) {
		fh_check(ch_error_last()[0]);
	} else {
		const json_t *r = json_object_get(b, "recipients");

		fh_check(req.recipients == &to && to.n <= 1024 && to.n <= json_array_size(r));
		whole(b, "title", req.title);
		whole(b, "text", req.text);
		fh_check(req.text ? req.text_len == strlen(req.text) : req.text_len == 0);
		for (i = 0; i < to.n; i++)
			for (j = i + 1; j < to.n; j++)
				fh_check(strcmp(to.v[i], to.v[j]) != 0);
	}
	ch_strv_free(&to);
	json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/api/v1/session", "/api/v1/docs",
	                                     "/api/v1/docs/cv-2026-0001/act",
	                                     "/api/v1/docs/cv-2026-0001/revise" };
	static const size_t chunks[] = { 1, 13, 256, 8192 };
	ch_buf req = CH_BUF_INIT;
	unsigned flags;

	if (size < 1 || size > 256 * 1024)
		return 0;
	flags = data[0];
	ch_buf_printf(&req, "POST %s HTTP/1.1\r\nHost: chancery.example:8443\r\n", paths[flags & 3]);
	ch_buf_printf(&req, "Content-Type: application/json%s\r\n",
	              (flags & 32) ? "; charset=utf-8" : "");
	if (flags & 3)
		ch_buf_puts(&req, "Authorization: Bearer " FH_API_TOKEN "\r\n");
	if (flags & 4)
		ch_buf_puts(&req, "Transfer-Encoding: chunked\r\n");
	else
		ch_buf_printf(&req, "Content-Length: %zu\r\n", size - 1);
	ch_buf_puts(&req, "Connection: close\r\n\r\n");
	fh_body(&req, data + 1, size - 1, flags & 4, chunks[(flags >> 3) & 3]);
	fh_run(req.ptr, req.size, final, NULL);
	ch_buf_dispose(&req);
	return 0;
}
