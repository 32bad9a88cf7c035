/* server.h -- chanceryd, the HTTPS server.
 *
 * Processes (OpenBSD httpd's table, OpenSMTPD's ca.c):
 *   parent/network  talks to browsers over TLS (libmicrohttpd + GnuTLS); runs
 *                   as an unprivileged user when started as root, under a
 *                   seccomp filter; cannot open the GnuPG home
 *   signer          holds the GnuPG home; answers only typed sign requests
 *                   (server/signer.c) */
#ifndef CH_SERVER_H
#define CH_SERVER_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "server/signer.h"
#include "templates/tmpl.h"
#include "workflows/doc.h"
#include "workflows/sync/quarantine.h"

/* Named limits (httpd.h's SERVER_MAX* habit): stricter before login. */
#define SRV_MAX_CONNECTIONS 512
#define SRV_MAX_PER_IP 32                  /* default of --max-per-ip */
#define SRV_CONNECTION_TIMEOUT 15          /* seconds of silence before a cut */
#define SRV_REQUEST_SECONDS 120            /* a whole request body, however it trickles */
#define SRV_CONNECTION_MEMORY (64 * 1024)  /* headers must fit in this */
#define SRV_MAX_BODY (8u * 1024 * 1024)    /* any request body */
#define SRV_MAX_BODY_ANON (16u * 1024)     /* a body before login */
#define SRV_MAX_FIELDS 64
#define SRV_MAX_FIELD (6u * 1024 * 1024)
#define SRV_SESSION_IDLE (30 * 60)         /* seconds */
#define SRV_SESSION_MAX (12 * 3600)
#define SRV_HEADER_SECONDS 20              /* from a request's first byte to its last header */
#define SRV_MAX_SESSIONS 10000
#define SRV_SESSIONS_PER_PERSON 8          /* a new one ends the person's oldest */
#define SRV_LOGIN_FREE 5                   /* wrong passwords (account, address) before delays */
#define SRV_LOGIN_MAX_DELAY 60             /* seconds: the longest delay between tries */
#define SRV_LOGIN_FAILS_PAIR 20            /* (account, address): then locked */
#define SRV_LOGIN_FAILS_ADDR 50            /* one address, any account: then locked */
#define SRV_LOCK_SECONDS (15 * 60)
#define SRV_MAX_THROTTLES 100000           /* entries; the oldest is forgotten */
#define SRV_LOGIN_HASHES 1                 /* Argon2id computations at once */
#define SRV_THREADS 4                      /* libmicrohttpd's worker pool */
#define SRV_PAGE_ROWS 200                  /* documents on one inbox or list page */
#define SRV_MAX_GIT_BODY (4u * 1024 * 1024) /* a git-upload-pack request (gzip or not) */
#define SRV_MAX_GIT_PUSH_BODY (CH_Q_MAX_PACK + 1024u * 1024) /* a git-receive-pack request */
#define SRV_SYNC_THREADS 2                 /* threads that answer /git/ (fetch, push) */
#define SRV_SYNC_QUEUE 256                 /* /git/ requests waiting for one; then 503 */

typedef struct srv srv;
typedef struct srv_conn srv_conn; /* a connection and its deadline (http.c) */

enum { SRV_GIT_FETCH = 1, SRV_GIT_PUSH = 2 };

typedef struct {
	char *name, *value, *filename;
	size_t len;
} srv_field;

/* Per-request state, in *req_cls: created on the first call, fed the
 * body on the next ones, answered on the last (STYLE.md). */
typedef struct {
	srv *server;
	char method[8];
	char *url;
	struct MHD_PostProcessor *pp;
	srv_field *fields;
	size_t nfields;
	ch_buf raw;          /* JSON bodies */
	size_t body_bytes;
	size_t limit;        /* of body_bytes, chosen on the headers */
	time_t started;      /* first call: bounds the whole request's time */
	int refused;         /* 0, or the HTTP status already decided */
	const char *refuse_why;
	int is_json;
	int urlencoded;      /* a form body in application/x-www-form-urlencoded */
	unsigned pct;        /* hex digits due after a '%' at the end of the last piece */
	int is_git;          /* SRV_GIT_FETCH (x-git-upload-pack-request) or SRV_GIT_PUSH
	                      * (x-git-receive-pack-request): raw, in `raw` */
	int deferred;        /* /git/: 1 queued for a sync thread (connection suspended),
	                      * 2 answered by it (resp, resp_status) */
	struct MHD_Response *resp;
	unsigned resp_status;
} srv_req;

/* A /git/ request waiting for a sync thread. */
typedef struct srv_job {
	srv_req *r;
	struct MHD_Connection *c;
	struct srv_job *next;
} srv_job;

typedef struct {
	unsigned char id_hash[32]; /* SHA-256 of the cookie token */
	char person[65];
	char csrf[65];
	time_t created, seen;
	int api;                   /* a bearer token, not a cookie */
	int lang_en;
} srv_session;

typedef struct {
	char key[128];
	unsigned fails;
	time_t until;
	time_t last;
} srv_throttle;

struct srv {
	char *site_path;
	char *origin;          /* https://host:port, for Origin checks */
	ch_signer_client signer;
	ch_tmpl_set *tmpl;
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;  /* sessions and throttles */
	srv_session *sessions;
	size_t nsessions;
	srv_throttle *throttles;
	size_t nthrottles;
	/* Sync threads: a /git/ request is answered off libmicrohttpd's workers
	 * (its connection suspended meanwhile), so no peer holds them. */
	pthread_t sync_threads[SRV_SYNC_THREADS];
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
	srv_job *jobs, **jobs_tail;
	size_t njobs;
	int sync_running, sync_stop;
	unsigned hashing;      /* Argon2id computations under way (SRV_LOGIN_HASHES) */
	ch_buf css;
	int log_fd;
	int log_mode;          /* CH_LOG_TEXT, _LOGFMT or _JOURNAL (server/config.h) */
	int journal_fd;        /* CH_LOG_JOURNAL: the journal's socket (util/journal.h) */
	unsigned max_per_ip;   /* connections from one address (--max-per-ip) */
	unsigned header_seconds; /* SRV_HEADER_SECONDS unless configured */
	pthread_mutex_t conn_lock; /* conns, stopping */
	pthread_cond_t conn_cond;
	srv_conn *conns;       /* open connections, for the watchdog */
	pthread_t watchdog;
	int watching, stopping;
	/* --static DIR: files read once at start, served under /static/NAME */
	char **static_names;
	ch_buf *static_data;
	size_t nstatic;
};

/* Everything a handler needs about the current request. */
typedef struct {
	srv *s;
	struct MHD_Connection *c;
	srv_req *r;
	ch_site *site;         /* this thread's handle */
	srv_session sess;      /* copy of the session, if logged in */
	int logged_in;
	int lang_en;
	const char *path;      /* url without query */
	char addr[64];
} srv_ctx;

/* http.c */
extern const char srv_tls_priorities[];
/* client_ca_pem: the CA of mission client certificates (requested, not
 * required, at the TLS level; /git/ needs one), or NULL. */
int srv_start(srv *s, const char *listen_addr, int port, const char *cert_pem,
              const char *key_pem, const char *client_ca_pem);
void srv_stop(srv *s);
ch_site *srv_thread_site(srv *s);
const char *srv_field_get(const srv_req *r, const char *name);
const srv_field *srv_field_find(const srv_req *r, const char *name);
const char *srv_arg(const srv_ctx *x, const char *name);
const char *srv_header(const srv_ctx *x, const char *name);
enum MHD_Result srv_send(srv_ctx *x, unsigned status, const char *type, const void *body,
                         size_t len);
enum MHD_Result srv_redirect(srv_ctx *x, const char *location);
/* A download: Content-Disposition `disposition`, the type given (with the
 * usual headers, X-Content-Type-Options: nosniff among them). */
enum MHD_Result srv_send_file(srv_ctx *x, const char *type, const char *disposition,
                              const void *body, size_t len);
enum MHD_Result srv_send_json(srv_ctx *x, unsigned status, json_t *body);
/* Queue `resp` (consumed) on the connection, or, on a sync thread, keep it
 * for the connection's resumption. No headers added. */
enum MHD_Result srv_queue_raw(struct MHD_Connection *c, unsigned status,
                              struct MHD_Response *resp);
void srv_log(srv_ctx *x, const char *fmt, ...) CH_PRINTF(2, 3);
/* A request's state, as the MHD handler keeps it in *req_cls (exported for
 * tests/fuzz/http_harness.c, which drives them as the handler does):
 * begin on the headers (refuses there when it can), feed each piece of the
 * body, finish when it has ended, free in the completed callback (wipes
 * every field). */
srv_req *srv_req_begin(srv *s, struct MHD_Connection *c, const char *url, const char *method);
void srv_req_feed(srv_req *r, const char *data, size_t size);
/* The body has ended (the last call, before dispatch). */
void srv_req_finish(srv_req *r);
void srv_req_free(srv_req *r);
/* Log x in from its session cookie (pages) or bearer token (/api/). */
void srv_find_session(srv_ctx *x);

/* session.c */
int srv_session_create(srv *s, char *token_out, size_t size, const char *person, int api,
                       int lang_en);
int srv_session_find(srv *s, srv_session *out, const char *token);
void srv_session_destroy(srv *s, const char *token);
/* 0 if allowed; CH_EDENIED if the account or address is locked. */
int srv_throttle_check(srv *s, const char *person, const char *addr);
void srv_throttle_result(srv *s, const char *person, const char *addr, int ok);
/* A login's password, throttled and with bounded Argon2id work: 0; or
 * CH_EDENIED (throttled: 429), CH_ELOCKED (too many logins being hashed:
 * 503), CH_EAUTH (wrong: 403), each with a message. */
int srv_login_check(srv_ctx *x, const char *person, const char *password);
int srv_csrf_ok(const srv_ctx *x);
int srv_origin_ok(const srv_ctx *x);

/* static.c */
/* Read DIR's regular files (names [a-z0-9._-], at most 256 of 16 MiB). */
int srv_static_load(srv *s, const char *dir);
/* Borrowed; NULL when there is no such file. */
const ch_buf *srv_static_get(const srv *s, const char *name);
void srv_static_free(srv *s);

/* routes.c */
/* Every request after its body (git's smart HTTP included). */
enum MHD_Result srv_route(srv_ctx *x);

/* pages.c: the handlers of the route table (id: the document id or "";
 * rest: what a final "*" matched, or "") */
enum MHD_Result srv_page_style(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_static(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_login_form(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_login(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_logout(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_inbox(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_doc_list(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_new_form(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_create(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_doc(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_diff(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_act(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_revise(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_attachment(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_people(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_people_post(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_security(srv_ctx *x, const char *id, const char *rest);
/* spillpage.c */
/* The spills of this site's list, each with its recipients'
 * acknowledgements, for the security page (a JSON array, never NULL). */
json_t *srv_spills_json(srv_ctx *x);
enum MHD_Result srv_page_audit(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_need_login(srv_ctx *x);

/* presign.c: steps signed in the official's own custody */
enum MHD_Result srv_page_prepare(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_sign_finish(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_prepare(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_sign_finish(srv_ctx *x, const char *id, const char *rest);
/* Keep a prepared step (ext's contents move) and answer its JSON. */
int srv_presign_reply(srv_ctx *x, const char *doc, struct ch_commit_ext_s *ext);
int srv_presign_key(char out[41], const char *in);

/* enrolpages.c: enrolment, the official's own secrets, approvals */
enum MHD_Result srv_page_enrol_form(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_enrol(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_account(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_account_post(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_approve(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_script(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_page_create_prepare(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_account(srv_ctx *x, const char *id, const char *rest);
/* pages.c: the people page with a notice or an error */
enum MHD_Result srv_people_page(srv_ctx *x, unsigned status, const char *notice,
                                const char *error);
enum MHD_Result srv_page_not_found(srv_ctx *x);
int srv_has_role(srv_ctx *x, const char *role);
int srv_render(srv_ctx *x, unsigned status, const char *tmpl, json_t *data);
enum MHD_Result srv_error_page(srv_ctx *x, unsigned status, const char *message);
/* The classification gate on a search query (door "search"): 0 to run it. */
int srv_gate_query(srv_ctx *x, const char *q);

/* api.c: the handlers of the route table */
enum MHD_Result srv_api_session(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_session_end(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_inbox(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_doc_list(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_create(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_doc(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_act(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_revise(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_attachment(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_access(srv_ctx *x, const char *id, const char *rest);
enum MHD_Result srv_api_error(srv_ctx *x, unsigned status, const char *message);
/* The JSON body's handling, without a connection (tests/fuzz/fuzz_api.c):
 * parse a request's body (*out is the caller's); a string member (NULL if
 * absent, not a string, or holding a NUL); the actor of a step (strings
 * borrowed from b; who->expected is head when "head" is a valid id); a new
 * document's fields (CH_EINVALID unless recipients, when given, is an
 * array of at most 1024 strings; each is pushed to `to` once). */
int srv_api_body(json_t **out, const srv_req *r);
const char *srv_api_str(const json_t *o, const char *k);
void srv_api_actor(ch_actor *who, const char *person, const json_t *b, git_oid *head);
int srv_api_doc_new(ch_doc_new *req, ch_strv *to, const json_t *b);

/* access.c -- who read what, for auditors */
/* A document's access records (newest first), or NULL. */
json_t *srv_access_json(srv_ctx *x, const char *doc);
/* GET /api/v1/access?doc=ID (auditors). */
enum MHD_Result srv_access_api(srv_ctx *x);

/* model.c -- data for pages and the API */
json_t *srv_doc_summary(srv_ctx *x, const ch_doc *doc, const ch_policy *pol);
json_t *srv_doc_full(srv_ctx *x, const ch_doc *doc, const ch_policy *pol);
int srv_current_policy(const ch_policy **out, srv_ctx *x);
/* Documents that `person` may act on now, urgent first. Like every list,
 * only documents the person may read (ch_policy_may_read). */
json_t *srv_inbox(srv_ctx *x, const char *person);
/* The documents the session's person may read that match the filters. */
json_t *srv_doc_list(srv_ctx *x, const char *state, const char *type, const char *unit,
                     const char *urgency, const char *text);
void srv_markdown(ch_buf *out, const char *text, size_t len);
int srv_diff(json_t **out, srv_ctx *x, const ch_doc *doc, const char *from, const char *to);
/* 1 if the spill list names document `id` (then `when`, if given, gets
 * the time of the spill): it is served only as a tombstone. */
int srv_spilled(srv_ctx *x, const char *id, char *when, size_t size);
/* 1 when the person logged in may see spilled document `id`'s tombstone:
 * a security officer, or someone who could read it when it was purged
 * (ch_spill_shown_to). Anyone else is answered as for an id that never
 * existed, so a spill tells nothing to people outside the document. */
int srv_spill_shown(srv_ctx *x, const char *id);
/* The tombstone answer: 410 Gone, the id and the time, no title. */
enum MHD_Result srv_tombstone(srv_ctx *x, const char *id, int json);
/* Rescan the refs now (after our own writes). */
void srv_index_touch(srv_ctx *x);

/* attach.c -- attachments in the browser and the API */
#define SRV_ATTACH_SLOTS 4      /* file inputs attach1..N on a form */
#define SRV_ATTACH_MAX_JSON CH_ATTACH_MAX_COUNT
typedef struct {
	ch_attachment add[CH_ATTACH_MAX_COUNT];
	ch_buf data[CH_ATTACH_MAX_COUNT]; /* copies, wiped when disposed */
	size_t nadd;
	ch_strv names, remove, declare;
	ch_attach_req req;
} srv_attach;
/* From the form fields attach1..N (a file each), declareN (its checkbox)
 * and detach (an attachment name each). */
void srv_attach_from_form(srv_attach *a, srv_ctx *x);
/* From a JSON body: "attachments":[{"name":..,"content_base64":..}],
 * "detach":[names], "declare_unclassified":[names]. */
int srv_attach_from_json(srv_attach *a, const json_t *body);
void srv_attach_dispose(srv_attach *a);
/* Adds attachments, has_attachments, can_declare, declare_types to j. */
void srv_attachments_json(json_t *j, srv_ctx *x, const ch_doc *doc, const ch_policy *pol);
/* Adds attach_slots, can_declare, declare_types for a new document's form. */
void srv_attach_slots_json(json_t *j, srv_ctx *x);
/* Serve one attachment as a download (gated on the way out). */
enum MHD_Result srv_attachment_get(srv_ctx *x, const char *id, const char *name, int json);

/* git_http.c -- mission sync over git's smart HTTP (fetch and push) */
enum MHD_Result srv_route_git(srv_ctx *x);
/* 1 if the TLS peer presented a certificate (checked before a body is read). */
int srv_git_has_client_cert(struct MHD_Connection *c);

/* sandbox.c */
/* Load the network process's seccomp filter (after dropping privileges). */
int srv_sandbox(void);
/* Load the signer's (after its drop and its own network namespace);
 * inherited by the gpgconf and gpg-agent it starts. */
int srv_sandbox_signer(void);
/* 0 in a sanitized build (make asan), whose filters log a call outside
 * their list instead of refusing it; 1 otherwise. */
int srv_sandbox_enforcing(void);

/* i18n.c */
json_t *srv_messages(int lang_en);
const char *srv_msg(int lang_en, const char *key);

#endif
