/* http.c -- libmicrohttpd glue: limits, per-request state, bodies,
 * responses with security headers, and dispatch. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "server/config.h"
#include "workflows/classify/gate.h"
#include "workflows/classify/stamp.h"
#include "workflows/store/access.h"
#include "workflows/store/accounts.h"
#include "util/journal.h"
#include "util/text.h"
#include "util/common.h"

/* TLS 1.3, and TLS 1.2 with forward secrecy and AEAD suites only: no CBC,
 * no SHA-1 or MD5, no static RSA key exchange (issue 18). */
const char srv_tls_priorities[] =
	"SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	"-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:"
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-SIGN-ALL:"
	"+SIGN-ECDSA-SHA256:+SIGN-ECDSA-SHA384:+SIGN-ECDSA-SHA512:"
	"+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SECP384R1-SHA384:+SIGN-EDDSA-ED25519:"
	"+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-PSS-RSAE-SHA512:"
	"+SIGN-RSA-SHA256:+SIGN-RSA-SHA384:+SIGN-RSA-SHA512:"
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:%SERVER_PRECEDENCE";

static const char csp[] =
	"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
	"img-src 'self'; form-action 'self'; "
	"frame-ancestors 'none'; base-uri 'none'";

/* ---- per-thread site handles (libgit2 objects are not shared) ---- */

static pthread_key_t site_key;
static pthread_once_t site_once = PTHREAD_ONCE_INIT;

static void site_release(void *site)
{
	ch_site_free(site);
}

static void site_key_init(void)
{
	pthread_key_create(&site_key, site_release);
}

/* Each worker thread opens the site once and keeps it; the key's
 * destructor closes it when MHD's threads end. */
ch_site *srv_thread_site(srv *s)
{
	ch_site *site;

	pthread_once(&site_once, site_key_init);
	if (!(site = pthread_getspecific(site_key))) {
		if (ch_site_open(&site, s->site_path) < 0)
			return NULL;
		site->sign = ch_signer_client_sign;
		site->keygen = ch_signer_client_keygen;
		site->passwd = ch_signer_client_passwd;
		site->sign_ctx = &s->signer;
		pthread_setspecific(site_key, site);
	}
	return site;
}

/* ---- responses ---- */

static void add_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
}

/* Set on a sync thread while it answers a suspended /git/ connection:
 * its answer is kept in the request and queued when the connection is
 * resumed (only libmicrohttpd's own threads may queue a response). */
static _Thread_local srv_req *deferring;
/* The status of this thread's last answer (access records: 200 only). */
static _Thread_local unsigned last_status;

enum MHD_Result srv_queue_raw(struct MHD_Connection *c, unsigned status,
                              struct MHD_Response *resp)
{
	enum MHD_Result rc;

	last_status = status;
	if (deferring) {
		if (deferring->resp)
			MHD_destroy_response(deferring->resp);
		deferring->resp = resp;
		deferring->resp_status = status;
		return MHD_YES;
	}
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* The values of an HTML answer's attributes (which a reading of the page's
 * text drops with its tags: a filter echoed into value="..."), one a line,
 * judged as titles, as every short field is at the doors. */
static int attributes_stamped(ch_stamp_result *r, const char *body, size_t len)
{
	ch_buf vals = CH_BUF_INIT;
	size_t i = 0;
	int stamped;

	while (i < len) {
		const char *lt = memchr(body + i, '<', len - i);

		if (!lt)
			break;
		for (i = (size_t)(lt - body) + 1; i < len && body[i] != '>'; i++) {
			char q = body[i];
			size_t start;

			if (body[i] != '=')
				continue;
			for (i++; i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n'); i++)
				;
			if (i >= len)
				break;
			q = body[i];
			if (q == '"' || q == '\'') {
				start = ++i;
				while (i < len && body[i] != q)
					i++;
			} else {
				start = i;
				while (i < len && !strchr(" \t\n>", body[i]))
					i++;
			}
			ch_buf_put(&vals, body + start, i - start);
			ch_buf_putc(&vals, '\n');
			if (i < len && body[i] == '>')
				break;
		}
	}
	stamped = vals.size && ch_stamp_scan_text(r, vals.ptr, vals.size, CH_STAMP_IN_TITLE) == 0 &&
	          r->level >= CH_STAMP_CONFIDENTIAL;
	ch_buf_dispose(&vals);
	return stamped;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
                             struct MHD_Response *resp)
{
	add_headers(resp);
	return srv_queue_raw(c, status, resp);
}

/* The gate on the way out: a page or JSON answer that carries a stamp is
 * withheld, whatever let the material in (the command line of an old
 * version, a repository copied in by hand). */
static int response_withheld(srv_ctx *x, const char *type, const void *body, size_t len)
{
	ch_stamp_result r;

	if (strncmp(type, "text/html", 9) && strncmp(type, "application/json", 16))
		return 0;
	if ((ch_stamp_scan_file(&r, NULL, body, len) < 0 || r.level < CH_STAMP_CONFIDENTIAL) &&
	    (strncmp(type, "text/html", 9) || !attributes_stamped(&r, body, len)))
		return 0;
	if (x->site)
		ch_gate_event(x->site, "response", x->logged_in ? x->sess.person : NULL, r.rule,
		              ch_stamp_level_name(r.level));
	return 1;
}

enum MHD_Result srv_send(srv_ctx *x, unsigned status, const char *type, const void *body,
                         size_t len)
{
	static const char withheld[] = "451 withheld: this answer carries a classification "
	                               "marking; the event was recorded for the security officer.";
	struct MHD_Response *resp;

	if (response_withheld(x, type, body, len)) {
		status = 451;
		type = "text/plain; charset=utf-8";
		body = withheld;
		len = sizeof(withheld) - 1;
	}
	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	if (x->r->refused || status >= 400)
		MHD_add_response_header(resp, "Connection", "close");
	srv_log(x, "%u", status);
	return queue(x->c, status, resp);
}

enum MHD_Result srv_send_file(srv_ctx *x, const char *type, const char *disposition,
                              const void *body, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Disposition", disposition);
	srv_log(x, "200");
	return queue(x->c, 200, resp);
}

enum MHD_Result srv_redirect(srv_ctx *x, const char *location)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Location", location);
	srv_log(x, "303");
	return queue(x->c, 303, resp);
}

enum MHD_Result srv_send_json(srv_ctx *x, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	enum MHD_Result rc;

	json_decref(body);
	if (!text)
		return MHD_NO;
	rc = srv_send(x, status, "application/json; charset=utf-8", text, strlen(text));
	free(text);
	return rc;
}

/* Who did what, never document text, passphrases or query strings. */
/* A path is logged only when it has the shape of the server's own routes
 * (lower-case ids and names): any other path is the requester's text, which
 * may be anything, classified material included. */
static const char *loggable_path(const char *path)
{
	size_t n = strspn(path, "abcdefghijklmnopqrstuvwxyz0123456789/._-");

	return path[n] == '\0' && n <= 120 ? path : "(path withheld)";
}

/* The request as structured fields (log = journal or logfmt): who, which
 * route, which answer; STATUS when `what` is a status, else EVENT. */
static void log_fields(srv_ctx *x, const char *what)
{
	char msg[200];
	const char *path = loggable_path(x->path);
	int status = what[0] && what[strspn(what, "0123456789")] == '\0';
	ch_journal_field f[] = {
		{ "MESSAGE", msg },
		{ "PRIORITY", status && what[0] == '5' ? "4" : "6" },
		{ "SYSLOG_IDENTIFIER", "chanceryd" },
		{ "PERSON", x->logged_in ? x->sess.person : "-" },
		{ "METHOD", x->r->method },
		{ "ROUTE", path },
		{ "STATUS", status ? what : NULL },
		{ "EVENT", status ? NULL : what },
		{ "REMOTE_ADDR", x->addr },
	};
	ch_buf line = CH_BUF_INIT;
	size_t n = sizeof(f) / sizeof(f[0]);

	snprintf(msg, sizeof(msg), "%s %.120s %.60s", x->r->method, path, what);
	if (ch_journal_format(&line, f, n) < 0) /* a control byte in an event: not logged as is */
		f[0].value = f[7].value = "(event withheld: not printable)";
	ch_buf_clear(&line);
	if (x->s->log_mode == CH_LOG_JOURNAL && ch_journal_send(x->s->journal_fd, f, n) == 0)
		return;
	/* no journal after all, or a refused field: one logfmt line on stderr */
	if (ch_journal_format_logfmt(&line, f + 3, n - 3) == 0 &&
	    write(x->s->log_fd, line.ptr, line.size) < 0)
		line.size = 0;
	ch_buf_dispose(&line);
}

void srv_log(srv_ctx *x, const char *fmt, ...)
{
	char when[32], line[512], what[128];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (x->s->log_mode == CH_LOG_JOURNAL || x->s->log_mode == CH_LOG_LOGFMT) {
		log_fields(x, what);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s %s %s %.120s %s\n", when, x->addr,
	             x->logged_in ? x->sess.person : "-", x->r->method, loggable_path(x->path),
	             what);
	if (n > 0 && write(x->s->log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		return;
}

/* ---- request state ---- */

const srv_field *srv_field_find(const srv_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].name, name))
			return &r->fields[i];
	return NULL;
}

const char *srv_field_get(const srv_req *r, const char *name)
{
	const srv_field *f = srv_field_find(r, name);

	return f ? f->value : NULL;
}

const char *srv_arg(const srv_ctx *x, const char *name)
{
	return MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, name);
}

const char *srv_header(const srv_ctx *x, const char *name)
{
	return MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, name);
}

void srv_req_free(srv_req *r)
{
	size_t i;

	if (!r)
		return;
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (i = 0; i < r->nfields; i++) {
		/* fields may hold passphrases: wipe them all */
		ch_wipe(r->fields[i].value, r->fields[i].len);
		free(r->fields[i].value);
		free(r->fields[i].name);
		free(r->fields[i].filename);
	}
	free(r->fields);
	ch_buf_dispose_secret(&r->raw);
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->url);
	free(r);
}

static void conn_phase(srv *s, struct MHD_Connection *c, int phase);

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	if (cls)
		conn_phase(cls, c, 0); /* the next request's headers, from now */
	srv_req_free(*req_cls);
	*req_cls = NULL;
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size)
{
	srv_req *r = cls;
	srv_field *f = NULL;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	/* MHD gives a multipart part whose Content-Disposition it cannot read
	 * no name at all (found by tests/fuzz/fuzz_form.c: a NULL here took
	 * the server down, before login) */
	if (!key) {
		r->refused = 400;
		r->refuse_why = "a form field without a name";
		return MHD_NO;
	}
	/* MHD hands a value over in pieces, each with its offset in the value,
	 * the first often empty (a multipart part's headers came in one read,
	 * its data in the next): a piece continues the last field when the name
	 * is the same and the offset is where that field ends. (So an empty
	 * field and the next one of the same name are one field.) */
	if (r->nfields && !strcmp(r->fields[r->nfields - 1].name, key) &&
	    off == r->fields[r->nfields - 1].len)
		f = &r->fields[r->nfields - 1];
	if (!f) {
		if (r->nfields >= SRV_MAX_FIELDS || strlen(key) > 64) {
			r->refused = 413;
			r->refuse_why = "too many form fields";
			return MHD_NO;
		}
		r->fields = ch_realloc(r->fields, (r->nfields + 1) * sizeof(*r->fields));
		f = &r->fields[r->nfields++];
		memset(f, 0, sizeof(*f));
		f->name = ch_strdup(key);
		f->value = ch_strdup("");
		f->filename = filename ? ch_strndup(filename, 255) : NULL;
	}
	if (!f->filename && filename)
		f->filename = ch_strndup(filename, 255);
	if (f->len + size > SRV_MAX_FIELD) {
		r->refused = 413;
		r->refuse_why = "a form field is too large";
		return MHD_NO;
	}
	f->value = ch_realloc(f->value, f->len + size + 1);
	memcpy(f->value + f->len, data, size);
	f->len += size;
	f->value[f->len] = '\0';
	return MHD_YES;
}

/* The session token a request carries where its path reads one: the
 * cookie on pages, the bearer token on /api/, nothing on /git/. */
static const char *session_token(struct MHD_Connection *c, const char *path)
{
	const char *auth;

	if (!strncmp(path, "/git/", 5))
		return NULL;
	if (strncmp(path, "/api/", 5))
		return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "chancery_session");
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	return auth && !strncmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
}

/* The larger body limit is for requests with a live session of the right
 * kind, not for any request that sends a Cookie or Authorization header
 * (issue 18: a made-up cookie lifted 16 KiB to 8 MiB before login). */
static int authenticated(srv *s, struct MHD_Connection *c, const char *url)
{
	const char *token = session_token(c, url);
	srv_session sess;
	int ok;

	if (!token || srv_session_find(s, &sess, token) < 0)
		return 0;
	ok = sess.api == !strncmp(url, "/api/", 5);
	ch_wipe(&sess, sizeof(sess));
	return ok;
}

/* First call: decide on headers alone whether to read a body at all. */
srv_req *srv_req_begin(srv *s, struct MHD_Connection *c, const char *url, const char *method)
{
	srv_req *r = ch_calloc(1, sizeof(*r));
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	unsigned long long n = len ? strtoull(len, NULL, 10) : 0;
	size_t limit = authenticated(s, c, url) ? SRV_MAX_BODY : SRV_MAX_BODY_ANON;
	int git = !strcmp(method, "POST") && !strncmp(url, "/git/", 5) && type &&
	          !strcasecmp(type, "application/x-git-upload-pack-request");
	int push = !strcmp(method, "POST") && !strncmp(url, "/git/", 5) && type &&
	           !strcasecmp(type, "application/x-git-receive-pack-request");

	if (git)
		limit = SRV_MAX_GIT_BODY;
	if (push)
		limit = SRV_MAX_GIT_PUSH_BODY;

	r->server = s;
	r->limit = limit;
	r->started = time(NULL);
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->url = ch_strndup(url, 2048);
	ch_buf_init(&r->raw);
	if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST")) {
		r->refused = 405;
		r->refuse_why = "method not allowed";
	} else if (n > limit) {
		r->refused = 413;
		r->refuse_why = "request body too large";
	} else if ((git || push) && !srv_git_has_client_cert(c)) {
		r->refused = 403;
		r->refuse_why = "sync needs a TLS client certificate";
	} else if (git || push) {
		r->is_git = push ? SRV_GIT_PUSH : SRV_GIT_FETCH;
	} else if (!strcmp(method, "POST")) {
		/* (MHD's own test for the encoding: a prefix, any case) */
		r->urlencoded = type && !strncasecmp(type, MHD_HTTP_POST_ENCODING_FORM_URLENCODED,
		                                     strlen(MHD_HTTP_POST_ENCODING_FORM_URLENCODED));
		if (type && !strncasecmp(type, "application/json", 16))
			r->is_json = 1;
		else if (!(r->pp = MHD_create_post_processor(c, 16 * 1024, post_iter, r))) {
			r->refused = 415;
			r->refuse_why = "unsupported body type (use a form or application/json)";
		}
	}
	return r;
}

/* What a browser sends as application/x-www-form-urlencoded: no raw NUL
 * byte, and '%' always followed by two hex digits. MHD's decoder reads
 * either differently depending on where the body was split (a value cut
 * at a NUL or not, a '%' kept or dropped: tests/fuzz/fuzz_form.c), so
 * neither is accepted. r->pct carries an escape split between pieces. */
static int urlencoded_ok(srv_req *r, const char *data, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		unsigned char c = (unsigned char)data[i];

		if (r->pct) {
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
				return 0;
			r->pct--;
		} else if (c == '%') {
			r->pct = 2;
		} else if (c == '\0') {
			return 0;
		}
	}
	return 1;
}

void srv_req_finish(srv_req *r)
{
	if (!r->refused && r->urlencoded && r->pct) {
		r->refused = 400;
		r->refuse_why = "malformed form body";
	}
}

void srv_req_feed(srv_req *r, const char *data, size_t size)
{
	/* the limit chosen on the headers: a chunked body (no Content-Length)
	 * before login stops at SRV_MAX_BODY_ANON too */
	size_t limit = r->limit;

	r->body_bytes += size;
	if (r->refused)
		return;
	/* The idle timeout cuts silent clients; this cuts one that sends a
	 * byte now and then to hold a worker for ever. */
	if (time(NULL) - r->started > SRV_REQUEST_SECONDS) {
		r->refused = 408;
		r->refuse_why = "the request took too long";
		return;
	}
	if (r->body_bytes > limit) {
		r->refused = 413;
		r->refuse_why = "request body too large";
	} else if (r->is_json || r->is_git) {
		ch_buf_put(&r->raw, data, size);
	} else if (r->urlencoded && !urlencoded_ok(r, data, size)) {
		r->refused = 400;
		r->refuse_why = "malformed form body";
	} else if (r->pp && MHD_post_process(r->pp, data, size) != MHD_YES && !r->refused) {
		r->refused = 400;
		r->refuse_why = "malformed form body";
	}
}

static void client_addr(char *out, size_t size, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, size, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		          (socklen_t)size);
}

void srv_find_session(srv_ctx *x)
{
	const char *token = session_token(x->c, x->path);

	if (token && srv_session_find(x->s, &x->sess, token) == 0 &&
	    x->sess.api == !strncmp(x->path, "/api/", 5)) {
		/* Revocation cuts at once: the current policy is asked on every
		 * request (a ref read; parsed policies are cached by head). A
		 * revoked or removed person's session or token ends here. */
		/* (x->site is never NULL in the server: dispatch answers 500 first;
		 * only tests/fuzz/http_harness.c drives this without a site) */
		if (x->site && !ch_accounts_person_active(x->site, x->sess.person)) {
			srv_log(x, "session of %s ended: revoked or removed in the current policy",
			        x->sess.person);
			srv_session_destroy(x->s, token);
			ch_wipe(&x->sess, sizeof(x->sess));
			return;
		}
		x->logged_in = 1;
		x->lang_en = x->sess.lang_en;
	}
}

static int want_english(const srv_ctx *x)
{
	const char *lang = srv_arg(x, "lang");
	const char *accept = srv_header(x, "Accept-Language");

	if (lang)
		return !strcmp(lang, "en");
	return accept && !strncasecmp(accept, "en", 2);
}

/* The query string is a door too: every name and value of it is judged as
 * a title before any route sees it (a filter echoed back, a search). */
typedef struct {
	ch_stamp_result r;
	int stamped;
	int search;         /* it was the search query, q */
} query_verdict;

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	query_verdict *v = cls;
	const char *s[2] = { key, value };
	int i;

	(void)kind;
	for (i = 0; i < 2 && !v->stamped; i++)
		if (s[i] && ch_stamp_scan_text(&v->r, s[i], strlen(s[i]), CH_STAMP_IN_TITLE) == 0 &&
		    v->r.level != CH_STAMP_NONE) {
			v->stamped = 1;
			v->search = i == 1 && key && !strcmp(key, "q");
		}
	return v->stamped ? MHD_NO : MHD_YES;
}

/* 1 when refused, with the message (the parameter by its role, never its
 * value) in `why`. */
static int query_refused(srv_ctx *x, char *why, size_t size)
{
	query_verdict v;

	memset(&v, 0, sizeof(v));
	if (!strcmp(x->site->tier, "offline"))
		return 0;
	MHD_get_connection_values(x->c, MHD_GET_ARGUMENT_KIND, query_arg, &v);
	if (!v.stamped)
		return 0;
	ch_gate_event(x->site, v.search ? "search" : "query string",
	              x->logged_in ? x->sess.person : NULL, v.r.rule, ch_stamp_level_name(v.r.level));
	snprintf(why, size, "refused at the %s: %s carries a classification marking (%s; rule %s): "
	         "classified material is never accepted on the networked server; %s, and the event "
	         "was recorded for the security officer", v.search ? "search" : "query string",
	         v.search ? "the search query" : "a parameter of the query string",
	         ch_stamp_level_name(v.r.level), v.r.rule,
	         v.search ? "the search was not run" : "nothing was done");
	return 1;
}

/* Who read what (workflows/store/access.h): every document read a route
 * answered with 200 -- its page, diff, attachment, or the API's document
 * or attachment. The path says what; no text is recorded. A failure to
 * record is logged, and the answer already sent stands. */
static void record_read(srv_ctx *x)
{
	const char *p = x->path, *rest;
	char id[80], what[160];
	size_t n;

	if (!strncmp(p, "/docs/", 6))
		p += 6;
	else if (!strncmp(p, "/api/v1/docs/", 13))
		p += 13;
	else
		return;
	rest = strchr(p, '/');
	n = rest ? (size_t)(rest - p) : strlen(p);
	if (n == 0 || n >= sizeof(id))
		return;
	memcpy(id, p, n);
	id[n] = '\0';
	if (!ch_valid_doc_id(id) || !strcmp(id, "new"))
		return;
	if (!rest)
		snprintf(what, sizeof(what), "%s", x->path[1] == 'a' ? "api" : "page");
	else if (!strcmp(rest, "/diff"))
		snprintf(what, sizeof(what), "diff");
	else if (!strncmp(rest, "/attachments/", 13))
		snprintf(what, sizeof(what), "%sattachment %.100s", x->path[1] == 'a' ? "api " : "",
		         rest + 13);
	else
		return;
	if (ch_access_record(x->site, x->sess.person, id, what) < 0)
		srv_log(x, "access record failed: %s", ch_error_last());
}

static enum MHD_Result dispatch(srv *s, struct MHD_Connection *c, srv_req *r)
{
	char path[512], why[400];
	srv_ctx x;
	enum MHD_Result rc;
	size_t n = strcspn(r->url, "?");

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.c = c;
	x.r = r;
	snprintf(path, sizeof(path), "%.*s", (int)(n < sizeof(path) - 1 ? n : sizeof(path) - 1),
	         r->url);
	x.path = path;
	client_addr(x.addr, sizeof(x.addr), c);
	x.lang_en = want_english(&x);
	if (r->refused) {
		const char *m = r->refuse_why ? r->refuse_why : "refused";

		return strncmp(path, "/api/", 5) ?
		       srv_send(&x, (unsigned)r->refused, "text/plain; charset=utf-8", m, strlen(m)) :
		       srv_send_json(&x, (unsigned)r->refused, json_pack("{s:s}", "error", m));
	}
	if (!(x.site = srv_thread_site(s))) {
		const char *m = "the site cannot be opened";

		return srv_send(&x, 500, "text/plain; charset=utf-8", m, strlen(m));
	}
	if (strncmp(path, "/git/", 5)) { /* git: no sessions, the TLS client certificate */
		srv_find_session(&x);
		if (!x.logged_in && srv_arg(&x, "lang") == NULL && x.sess.lang_en)
			x.lang_en = 1;
	}
	if (query_refused(&x, why, sizeof(why)))
		return strncmp(path, "/api/", 5) ?
		       srv_send(&x, 400, "text/plain; charset=utf-8", why, strlen(why)) :
		       srv_send_json(&x, 400, json_pack("{s:s}", "error", why));
	if (!strncmp(path, "/git/", 5))
		return srv_route(&x);
	last_status = 0;
	rc = srv_route(&x);
	if (x.logged_in && last_status == 200 && !strcmp(r->method, "GET"))
		record_read(&x);
	return rc;
}

/* ---- sync threads: /git/ answered off the workers ---- */

static void *sync_main(void *payload)
{
	srv *s = payload;
	srv_job *job;

	for (;;) {
		pthread_mutex_lock(&s->sync_lock);
		while (!s->jobs && !s->sync_stop)
			pthread_cond_wait(&s->sync_cond, &s->sync_lock);
		if (!(job = s->jobs)) {
			pthread_mutex_unlock(&s->sync_lock);
			break; /* stopping, and nothing left */
		}
		if (!(s->jobs = job->next))
			s->jobs_tail = &s->jobs;
		s->njobs--;
		pthread_mutex_unlock(&s->sync_lock);
		deferring = job->r;
		(void)dispatch(s, job->c, job->r);
		deferring = NULL;
		job->r->deferred = 2;
		MHD_resume_connection(job->c);
		free(job);
	}
	return NULL;
}

/* 0: queued (the caller suspends nothing: done here); CH_EDENIED when the
 * queue is full or the threads are not running. */
static int sync_submit(srv *s, struct MHD_Connection *c, srv_req *r)
{
	srv_job *job;

	pthread_mutex_lock(&s->sync_lock);
	if (!s->sync_running || s->sync_stop || s->njobs >= SRV_SYNC_QUEUE) {
		pthread_mutex_unlock(&s->sync_lock);
		return CH_EDENIED;
	}
	job = ch_calloc(1, sizeof(*job));
	job->r = r;
	job->c = c;
	r->deferred = 1;
	/* suspended before a sync thread can see the job (and resume it) */
	MHD_suspend_connection(c);
	*s->jobs_tail = job;
	s->jobs_tail = &job->next;
	s->njobs++;
	pthread_cond_signal(&s->sync_cond);
	pthread_mutex_unlock(&s->sync_lock);
	return 0;
}

static int sync_start(srv *s)
{
	int i;

	pthread_mutex_init(&s->sync_lock, NULL);
	pthread_cond_init(&s->sync_cond, NULL);
	s->jobs = NULL;
	s->jobs_tail = &s->jobs;
	for (i = 0; i < SRV_SYNC_THREADS; i++)
		if (pthread_create(&s->sync_threads[i], NULL, sync_main, s) != 0)
			break;
	s->sync_running = i;
	return i == SRV_SYNC_THREADS ? 0 : ch_error_setc(CH_EIO, "cannot start the sync threads");
}

/* Every queued job is answered first: no connection stays suspended. */
static void sync_stop(srv *s)
{
	int i, n = s->sync_running;

	if (!n)
		return;
	pthread_mutex_lock(&s->sync_lock);
	s->sync_stop = 1;
	pthread_cond_broadcast(&s->sync_cond);
	pthread_mutex_unlock(&s->sync_lock);
	for (i = 0; i < n; i++)
		pthread_join(s->sync_threads[i], NULL);
	s->sync_running = 0;
}

/* ---- deadlines per connection ----
 *
 * MHD's CONNECTION_TIMEOUT counts silence, and restarts at every byte: a
 * client sending a header line every 10 s held a worker's connection for
 * ever (issue 18). Each connection is listed from its first byte; a
 * watchdog thread shuts down the socket of one whose headers have not all
 * arrived SRV_HEADER_SECONDS after the connection (or its previous
 * request) began, or whose body is still coming SRV_REQUEST_SECONDS after
 * its headers (the blocked read then fails and MHD closes it). An answer
 * being sent has no deadline but the idle one. */
enum { CONN_HEADERS, CONN_BODY, CONN_ANSWER };

struct srv_conn {
	struct srv_conn *next, *prev;
	int fd;
	int phase;       /* CONN_* */
	time_t since;    /* when the phase began */
	int cut;
};

static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	srv *s = cls;
	srv_conn *e = *socket_context;

	pthread_mutex_lock(&s->conn_lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED && !e) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		e = ch_calloc(1, sizeof(*e));
		e->fd = ci ? ci->connect_fd : -1;
		e->since = time(NULL);
		e->next = s->conns;
		if (s->conns)
			s->conns->prev = e;
		s->conns = e;
		*socket_context = e;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && e) {
		/* (before MHD closes the descriptor: it is never reused under us) */
		if (e->prev)
			e->prev->next = e->next;
		else
			s->conns = e->next;
		if (e->next)
			e->next->prev = e->prev;
		free(e);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&s->conn_lock);
}

static void conn_phase(srv *s, struct MHD_Connection *c, int phase)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	srv_conn *e = ci ? ci->socket_context : NULL;

	if (!e)
		return;
	pthread_mutex_lock(&s->conn_lock);
	e->phase = phase;
	e->since = time(NULL);
	pthread_mutex_unlock(&s->conn_lock);
}

static void *watchdog(void *payload)
{
	srv *s = payload;
	struct timespec ts;
	srv_conn *e;

	pthread_mutex_lock(&s->conn_lock);
	while (!s->stopping) {
		time_t now = time(NULL);

		for (e = s->conns; e; e = e->next)
			if (!e->cut && e->fd >= 0 &&
			    ((e->phase == CONN_HEADERS && now - e->since > s->header_seconds) ||
			     (e->phase == CONN_BODY && now - e->since > SRV_REQUEST_SECONDS + 5))) {
				shutdown(e->fd, SHUT_RDWR);
				e->cut = 1;
			}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->conn_cond, &s->conn_lock, &ts);
	}
	pthread_mutex_unlock(&s->conn_lock);
	return NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size,
                               void **req_cls)
{
	srv *s = cls;
	srv_req *r = *req_cls;
	enum MHD_Result rc;

	(void)version;
	if (!r) {
		conn_phase(s, c, CONN_BODY);
		*req_cls = r = srv_req_begin(s, c, url, method);
		if (r->refused)
			return dispatch(s, c, r); /* refuse on headers alone */
		return MHD_YES;
	}
	if (*upload_data_size) {
		srv_req_feed(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->deferred == 2) { /* resumed: the sync thread's answer */
		struct MHD_Response *resp = r->resp;

		r->resp = NULL;
		if (!resp)
			return MHD_NO;
		rc = MHD_queue_response(c, r->resp_status, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	if (r->deferred == 1)
		return MHD_YES; /* cannot happen: suspended until answered */
	srv_req_finish(r);
	conn_phase(s, c, CONN_ANSWER);
	if (!r->refused && !strncmp(r->url, "/git/", 5) && s->sync_running) {
		if (sync_submit(s, c, r) == 0)
			return MHD_YES;
		r->refused = 503;
		r->refuse_why = "busy: too many sync requests are waiting; try again shortly";
	}
	return dispatch(s, c, r);
}

int srv_start(srv *s, const char *listen_addr, int port, const char *cert_pem,
              const char *key_pem, const char *client_ca_pem)
{
	struct MHD_OptionItem trust[] = {
		{ MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)(uintptr_t)client_ca_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, listen_addr, &sa.sin_addr) != 1)
		return ch_error_setc(CH_EINVALID, "'%s' is not an IPv4 address to listen on",
		                     listen_addr);
	if (sync_start(s) < 0) {
		sync_stop(s);
		return CH_EIO;
	}
	s->daemon = MHD_start_daemon(
		MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME,
		(uint16_t)port, NULL, NULL, handler, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, srv_tls_priorities,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SRV_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)SRV_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->max_per_ip ? s->max_per_ip : (unsigned)SRV_MAX_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SRV_CONNECTION_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SRV_CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
		/* with a trust list, MHD asks for (does not require) a client
		 * certificate: browsers without one still get the pages */
		MHD_OPTION_ARRAY, client_ca_pem ? trust : trust + 1,
		MHD_OPTION_END);
	if (!s->daemon) {
		sync_stop(s);
		return ch_error_setc(CH_EIO, "cannot listen on %s:%d (in use, or the TLS key and "
		                     "certificate do not load)", listen_addr, port);
	}
	if (pthread_create(&s->watchdog, NULL, watchdog, s) != 0) {
		srv_stop(s);
		return ch_error_setc(CH_EIO, "cannot start the connection watchdog");
	}
	s->watching = 1;
	return 0;
}

void srv_stop(srv *s)
{
	sync_stop(s);
	if (s->watching) {
		pthread_mutex_lock(&s->conn_lock);
		s->stopping = 1;
		pthread_cond_signal(&s->conn_cond);
		pthread_mutex_unlock(&s->conn_lock);
		pthread_join(s->watchdog, NULL);
		s->watching = 0;
	}
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
}
