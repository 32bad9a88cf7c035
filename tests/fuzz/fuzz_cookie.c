/* fuzz_cookie.c -- the Cookie and Authorization headers as chanceryd reads
 * them: libmicrohttpd's cookie parser, then server/http.c srv_find_session
 * (the chancery_session cookie for pages, "Bearer" for /api/) and
 * server/session.c srv_session_find (token shape, SHA-256, constant-time
 * compare, expiry), over a real MHD connection (http_harness.c).
 *
 * Input: one flags byte (flags & 1: GET /api/v1/inbox, else GET /inbox),
 * then the Cookie part, a NUL, the Authorization part. Each line of the
 * Cookie part is sent as a Cookie header of its own; the Authorization
 * part, when not empty, as one Authorization header.
 * Checks: a request is logged in only with the session's own token in the
 * header its path reads (the cookie session never on /api/, the bearer
 * token never on pages), as that session's person; the plain forms
 * ("chancery_session=TOKEN", "Bearer TOKEN") always log in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/http_harness.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
	int api;
	const uint8_t *input;
	size_t size;
	int plain; /* the canonical header for the path was sent alone */
} cookie_case;

static int input_has(const cookie_case *cc, const char *s)
{
	return memmem(cc->input, cc->size, s, strlen(s)) != NULL;
}

static void final(srv_ctx *x, void *payload)
{
	const cookie_case *cc = payload;

	if (x->r->refused)
		return;
	if (cc->plain)
		fh_check(x->logged_in);
	if (!x->logged_in)
		return;
	fh_check(!strcmp(x->sess.person, FH_PERSON));
	fh_check(x->sess.api == cc->api);
	if (cc->api) {
		const char *auth = srv_header(x, "Authorization");

		fh_check(auth && !strcmp(auth, "Bearer " FH_API_TOKEN));
		fh_check(input_has(cc, FH_API_TOKEN));
	} else {
		const char *cookie = MHD_lookup_connection_value(x->c, MHD_COOKIE_KIND,
		                                                 "chancery_session");

		fh_check(cookie && !strcmp(cookie, FH_TOKEN));
		fh_check(input_has(cc, FH_TOKEN));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char plain_cookie[] = "chancery_session=" FH_TOKEN;
	static const char plain_auth[] = "Bearer " FH_API_TOKEN;
	ch_buf req = CH_BUF_INIT;
	const uint8_t *cookie, *auth, *nul, *p, *end;
	size_t clen, alen;
	cookie_case cc;

	if (size < 1 || size > 16 * 1024)
		return 0;
	cc.api = data[0] & 1;
	cc.input = data + 1;
	cc.size = size - 1;
	cookie = data + 1;
	end = data + size;
	nul = memchr(cookie, 0, (size_t)(end - cookie));
	clen = (size_t)((nul ? nul : end) - cookie);
	auth = nul ? nul + 1 : end;
	alen = (size_t)(end - auth);
	cc.plain = cc.api ? (alen == strlen(plain_auth) && !memcmp(auth, plain_auth, alen) &&
	                     clen == 0) :
	                    (clen == strlen(plain_cookie) && !memcmp(cookie, plain_cookie, clen) &&
	                     alen == 0);
	ch_buf_printf(&req, "GET %s HTTP/1.1\r\nHost: chancery.example:8443\r\n",
	              cc.api ? "/api/v1/inbox" : "/inbox");
	for (p = cookie; p < cookie + clen;) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(cookie + clen - p));
		size_t n = (size_t)((eol ? eol : cookie + clen) - p);

		ch_buf_puts(&req, "Cookie: ");
		ch_buf_put(&req, p, n);
		ch_buf_puts(&req, "\r\n");
		p += n + (eol ? 1 : 0);
	}
	if (alen) {
		ch_buf_puts(&req, "Authorization: ");
		ch_buf_put(&req, auth, alen);
		ch_buf_puts(&req, "\r\n");
	}
	ch_buf_puts(&req, "Connection: close\r\n\r\n");
	fh_run(req.ptr, req.size, final, &cc);
	ch_buf_dispose(&req);
	return 0;
}
