/* http_harness.c -- see http_harness.h. The handler below is chanceryd's
 * (server/http.c: handler and dispatch) with the routing cut off: the
 * same calls on the same MHD callbacks, then the target's checks where
 * dispatch would hand over to the pages or the API. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/fuzz/http_harness.h"
#include "util/common.h"

static srv server;
static struct MHD_Daemon *daemon_;
static fh_final_fn cur_final;
static void *cur_payload;
static int reached;

void fh_check(int ok)
{
	if (!ok)
		abort();
}

static void add_session(const char *token, int api)
{
	srv_session *e;

	server.sessions = ch_realloc(server.sessions,
	                             (server.nsessions + 1) * sizeof(*server.sessions));
	e = &server.sessions[server.nsessions++];
	memset(e, 0, sizeof(*e));
	gcry_md_hash_buffer(GCRY_MD_SHA256, e->id_hash, token, strlen(token));
	snprintf(e->person, sizeof(e->person), "%s", FH_PERSON);
	memcpy(e->csrf, FH_CSRF, 64);
	e->api = api;
}

/* As dispatch() builds the context; then the target's checks; then an
 * answer, so MHD ends the request as it does in the server. */
static enum MHD_Result answer(struct MHD_Connection *c, srv_req *r)
{
	char path[512];
	srv_ctx x;
	size_t n = strcspn(r->url, "?");

	memset(&x, 0, sizeof(x));
	x.s = &server;
	x.c = c;
	x.r = r;
	snprintf(path, sizeof(path), "%.*s", (int)(n < sizeof(path) - 1 ? n : sizeof(path) - 1),
	         r->url);
	x.path = path;
	snprintf(x.addr, sizeof(x.addr), "127.0.0.1");
	if (!r->refused && strncmp(path, "/git/", 5))
		srv_find_session(&x);
	reached = 1;
	if (getenv("FH_TRACE")) /* to see what a seed reaches */
		fprintf(stderr, "%s %s: refused %d (%s), logged in %d, %zu fields, %zu body bytes\n",
		        r->method, path, r->refused, r->refuse_why ? r->refuse_why : "-",
		        x.logged_in, r->nfields, r->body_bytes);
	if (cur_final)
		cur_final(&x, cur_payload);
	if (r->refused) {
		const char *m = r->refuse_why ? r->refuse_why : "refused";

		return srv_send(&x, (unsigned)r->refused, "text/plain; charset=utf-8", m, strlen(m));
	}
	return srv_send(&x, 200, "text/plain; charset=utf-8", "ok", 2);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size,
                               void **req_cls)
{
	srv_req *r = *req_cls;

	(void)cls;
	(void)version;
	if (!r) {
		*req_cls = r = srv_req_begin(&server, c, url, method);
		if (r->refused)
			return answer(c, r); /* refuse on headers alone */
		return MHD_YES;
	}
	if (*upload_data_size) {
		srv_req_feed(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	srv_req_finish(r);
	return answer(c, r);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	srv_req_free(*req_cls);
	*req_cls = NULL;
}

static void init_once(void)
{
	if (daemon_)
		return;
	gcry_check_version(NULL);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	json_object_seed(1);
	pthread_mutex_init(&server.lock, NULL);
	pthread_mutex_init(&server.conn_lock, NULL);
	server.origin = ch_strdup(FH_ORIGIN);
	if ((server.log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	add_session(FH_TOKEN, 0);
	add_session(FH_API_TOKEN, 1);
	/* chanceryd's options (server/http.c srv_start) but TLS and threads */
	daemon_ = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, handler, NULL,
	                           MHD_OPTION_CONNECTION_LIMIT, (unsigned)SRV_MAX_CONNECTIONS,
	                           MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SRV_CONNECTION_TIMEOUT,
	                           MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	                           (size_t)SRV_CONNECTION_MEMORY,
	                           MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!daemon_)
		abort();
}

static unsigned connections(void)
{
	const union MHD_DaemonInfo *i =
		MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}

void fh_body(ch_buf *out, const void *body, size_t len, int chunked, size_t chunk)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = body;
	size_t off, n;

	if (!chunked) {
		ch_buf_put(out, body, len);
		return;
	}
	if (!chunk)
		chunk = 1;
	/* at most FH_MAX_PIECES pieces: a large body in 1-byte pieces would
	 * cost a handler call a byte (small bodies are still split anywhere) */
	if (len / chunk > FH_MAX_PIECES)
		chunk = len / FH_MAX_PIECES + 1;
	/* by hand, not printf: with 1-byte pieces this is most of a run */
	ch_buf_grow(out, len + (len / chunk + 1) * 24 + 8);
	for (off = 0; off < len; off += n) {
		char head[24];
		size_t k = sizeof(head), v;

		n = len - off < chunk ? len - off : chunk;
		head[--k] = '\n';
		head[--k] = '\r';
		v = n;
		do
			head[--k] = hex[v & 15];
		while ((v >>= 4) && k > 0);
		ch_buf_put(out, head + k, sizeof(head) - k);
		ch_buf_put(out, p + off, n);
		ch_buf_put(out, "\r\n", 2);
	}
	ch_buf_put(out, "0\r\n\r\n", 5);
}

int fh_run(const void *req, size_t len, fh_final_fn final, void *payload)
{
	const char *data = req;
	struct sockaddr_in sa;
	char sink[16384];
	size_t off = 0, i;
	int sv[2], idle = 0;
	time_t now = time(NULL);

	init_once();
	for (i = 0; i < server.nsessions; i++) /* keep both sessions fresh */
		server.sessions[i].created = server.sessions[i].seen = now;
	cur_final = final;
	cur_payload = payload;
	reached = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(40000);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (MHD_add_connection(daemon_, sv[0], (const struct sockaddr *)&sa, sizeof(sa)) != MHD_YES) {
		close(sv[1]); /* MHD closed sv[0] */
		return 0;
	}
	/* Send what the socket takes, let MHD work, read its answer; stop when
	 * it closes the connection or nothing moves for a few rounds (a request
	 * that never ends, or a connection kept alive). */
	while (idle < 4) {
		ssize_t n;
		int moved = 0;

		if (off < len) {
			n = send(sv[1], data + off, len - off, MSG_NOSIGNAL);
			if (n > 0) {
				off += (size_t)n;
				moved = 1;
			}
		}
		MHD_run(daemon_);
		n = recv(sv[1], sink, sizeof(sink), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		if (n > 0)
			moved = 1;
		idle = moved ? 0 : idle + 1;
	}
	close(sv[1]);
	/* MHD sees the end of the stream and ends the connection (completed
	 * frees the request). */
	for (i = 0; i < 1000 && connections() > 0; i++)
		MHD_run(daemon_);
	fh_check(connections() == 0);
	cur_final = NULL;
	cur_payload = NULL;
	return reached;
}
