/* http_harness.h -- one raw HTTP request through libmicrohttpd, in
 * process and without TLS, handled by chanceryd's own request code
 * (server/http.c: srv_req_begin, srv_req_feed, srv_find_session,
 * srv_req_free) with the server's connection limits. Shared by the fuzz
 * targets over HTTP input (fuzz_form, fuzz_cookie, fuzz_api); not a target
 * itself (run.sh and the Makefile link it into those).
 *
 * The daemon has no listen socket: each request is one end of a
 * socketpair handed to MHD_add_connection, and MHD_run is driven from the
 * calling thread, so one input costs no thread, no port and no sleep. */
#ifndef CH_FUZZ_HTTP_HARNESS_H
#define CH_FUZZ_HTTP_HARNESS_H

#include "server/server.h"

/* Two sessions the harness keeps open: a browser's (cookie) and an API
 * client's (bearer token), both for FH_PERSON. Fixed, so seeds can hold
 * them. */
#define FH_PERSON "tran.thi.b"
#define FH_TOKEN "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
#define FH_API_TOKEN "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define FH_CSRF "c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0c5f0"
#define FH_ORIGIN "https://chancery.example:8443"

/* Called on the request's last call, as dispatch() would route it: x is
 * built as dispatch builds it (path, addr, session looked up unless the
 * request was refused on its headers or body). */
typedef void (*fh_final_fn)(srv_ctx *x, void *payload);

/* Run one request (the whole raw bytes: request line, headers, body).
 * Returns 1 if the request reached its last call (final ran), else 0. */
int fh_run(const void *req, size_t len, fh_final_fn final, void *payload);

/* Append a body to `out` as it is sent: as it is with Content-Length, or
 * chunked (Transfer-Encoding: chunked) in pieces of `chunk` bytes (larger
 * when that would make more than FH_MAX_PIECES). The caller writes the
 * matching header. */
#define FH_MAX_PIECES 512
void fh_body(ch_buf *out, const void *body, size_t len, int chunked, size_t chunk);

/* abort() unless ok: a broken invariant is a crash for libFuzzer. */
void fh_check(int ok);

#endif
