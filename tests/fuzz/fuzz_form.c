/* fuzz_form.c -- browser form bodies as chanceryd reads them:
 * application/x-www-form-urlencoded and multipart/form-data (file
 * uploads) through libmicrohttpd's post processor and server/http.c's
 * field collector (srv_req_begin/srv_req_feed, post_iter), over a real
 * MHD connection (tests/fuzz/http_harness.c); then the CSRF check the
 * pages make on the fields (srv_csrf_ok).
 *
 * Input: one flags byte, the Content-Type value up to the first '\n',
 * then the body.
 *   flags & 1      the browser's session cookie is sent (logged in: the
 *                  8 MiB body limit; else the 16 KiB one before login)
 *   flags & 2      the body is sent twice: with a Content-Length, then
 *                  chunked (Transfer-Encoding: chunked) in pieces of 1, 7,
 *                  64 or 4096 bytes (flags >> 2 & 3), so the post
 *                  processor gets it split anywhere: the two must give
 *                  the same fields (or both be refused)
 *   flags & 16     POST /login instead of /docs/new
 *   flags & 32     a cross-site Sec-Fetch-Site header (CSRF must fail)
 *   flags & 64     a Content-Length that understates the body (no
 *                  comparison then)
 * Checks: every field the collector kept is within the limits, its value
 * NUL-terminated at its length; the body read never passes the limit the
 * headers chose; the session cookie logs in; srv_csrf_ok accepts exactly
 * the session's token from a same-site form; a body split in pieces gives
 * the fields it gives whole. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/http_harness.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
	unsigned flags;
	int chunked;     /* this run */
	int reached;     /* the first run reached its last call */
	int refused;     /* the first run's */
	ch_buf fields;   /* the first run's fields, serialized */
} form_case;

/* The names the pages read (server/pages.c). */
static const char *const names[] = { "csrf", "id", "password", "action", "passphrase",
                                     "comment", "on_behalf", "head", "text", "file", "title",
                                     "type", "urgency", "number", "classification",
                                     "recipients", "roles", "new_password", "new_passphrase",
                                     "name", "unit", "from", "to", NULL };

/* name, value (with any NUL in it) and filename of every field */
static void serialize(ch_buf *out, const srv_req *r)
{
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		ch_buf_printf(out, "%s=%zu:", r->fields[i].name, r->fields[i].len);
		ch_buf_put(out, r->fields[i].value, r->fields[i].len);
		ch_buf_printf(out, ";%s\n", r->fields[i].filename ? r->fields[i].filename : "-");
	}
}

static void final(srv_ctx *x, void *payload)
{
	form_case *fc = payload;
	const srv_req *r = x->r;
	const char *token;
	size_t i;
	int want;

	fh_check(r->nfields <= SRV_MAX_FIELDS);
	for (i = 0; i < r->nfields; i++) {
		const srv_field *f = &r->fields[i];

		fh_check(f->name && f->value && strlen(f->name) <= 64);
		fh_check(f->len <= SRV_MAX_FIELD && f->value[f->len] == '\0');
		fh_check(!f->filename || strlen(f->filename) <= 255);
	}
	fh_check(r->limit == ((fc->flags & 1) ? SRV_MAX_BODY : SRV_MAX_BODY_ANON));
	if (!fc->chunked) {
		fc->reached = 1;
		fc->refused = r->refused;
		if (!r->refused)
			serialize(&fc->fields, r);
	} else if (fc->reached && !(fc->flags & 64)) {
		/* the same body in pieces: the same fields */
		fh_check(!r->refused == !fc->refused);
		if (!r->refused) {
			ch_buf here = CH_BUF_INIT;

			serialize(&here, r);
			if (getenv("FH_TRACE"))
				fprintf(stderr, "whole:\n%.*s\nin pieces:\n%.*s\n", (int)fc->fields.size,
				        fc->fields.ptr, (int)here.size, here.ptr);
			fh_check(here.size == fc->fields.size &&
			         !memcmp(here.ptr, fc->fields.ptr, here.size));
			ch_buf_dispose(&here);
		}
	}
	if (r->refused)
		return;
	fh_check(r->body_bytes <= r->limit);
	fh_check(x->logged_in == (int)(fc->flags & 1));
	for (i = 0; names[i]; i++) {
		const srv_field *f = srv_field_find(r, names[i]);
		const char *v = srv_field_get(r, names[i]);

		fh_check(f ? v == f->value && !strcmp(f->name, names[i]) : v == NULL);
	}
	token = srv_field_get(r, "csrf");
	want = x->logged_in && !(fc->flags & 32) && token && !strcmp(token, FH_CSRF);
	fh_check(srv_csrf_ok(x) == want);
}

static void request(ch_buf *req, const form_case *fc, const uint8_t *type, size_t tlen,
                    const uint8_t *body, size_t blen)
{
	static const size_t chunks[] = { 1, 7, 64, 4096 };

	ch_buf_clear(req);
	ch_buf_printf(req, "POST %s HTTP/1.1\r\nHost: chancery.example:8443\r\n",
	              (fc->flags & 16) ? "/login" : "/docs/new");
	ch_buf_puts(req, "Content-Type: ");
	ch_buf_put(req, type, tlen);
	ch_buf_puts(req, "\r\n");
	if (fc->flags & 1)
		ch_buf_puts(req, "Cookie: chancery_session=" FH_TOKEN "\r\n");
	ch_buf_puts(req, (fc->flags & 32) ? "Sec-Fetch-Site: cross-site\r\n" :
	                                    "Sec-Fetch-Site: same-origin\r\nOrigin: " FH_ORIGIN "\r\n");
	if (fc->chunked)
		ch_buf_puts(req, "Transfer-Encoding: chunked\r\n");
	else
		ch_buf_printf(req, "Content-Length: %zu\r\n",
		              (fc->flags & 64) && blen ? blen / 2 : blen);
	ch_buf_puts(req, "Connection: close\r\n\r\n");
	fh_body(req, body, blen, fc->chunked, chunks[(fc->flags >> 2) & 3]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_buf req = CH_BUF_INIT;
	const uint8_t *nl, *body;
	form_case fc;
	size_t tlen, blen;

	if (size < 1 || size > 64 * 1024)
		return 0;
	memset(&fc, 0, sizeof(fc));
	ch_buf_init(&fc.fields);
	fc.flags = data[0];
	data++;
	size--;
	nl = memchr(data, '\n', size);
	tlen = nl ? (size_t)(nl - data) : size;
	body = nl ? nl + 1 : data + size;
	blen = (size_t)(data + size - body);
	if (tlen && data[tlen - 1] == '\r')
		tlen--;
	request(&req, &fc, data, tlen, body, blen);
	fh_run(req.ptr, req.size, final, &fc);
	if (fc.flags & 2) {
		fc.chunked = 1;
		request(&req, &fc, data, tlen, body, blen);
		fh_run(req.ptr, req.size, final, &fc);
	}
	ch_buf_dispose(&req);
	ch_buf_dispose(&fc.fields);
	return 0;
}
