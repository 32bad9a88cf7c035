/* git_http.c -- mission sync, phase 1: git's smart-HTTP protocol (v0/v1),
 * fetch (phase 1) and push (phase 2) (git's Documentation/gitprotocol-http.txt,
 * -pack.txt, -capabilities.txt).
 *
 *   GET  /git/<site>.git/info/refs?service=git-upload-pack    advertisement
 *   POST /git/<site>.git/git-upload-pack                      negotiation, pack
 *   GET  /git/<site>.git/info/refs?service=git-receive-pack   advertisement
 *   POST /git/<site>.git/git-receive-pack                     commands, pack;
 *        everything lands in a quarantine (workflows/sync/quarantine.h), is
 *        verified there, and only then enters the site; report-status
 *        names the commit and rule of each refusal.
 *
 * Who: only a peer whose TLS client certificate is signed by the mission CA
 * (chanceryd --client-ca) and whose SHA-256 (DER) is the tls_fingerprint of
 * a site in the current policy's sites.json; that site is the peer.
 * Anything else gets 403 before a byte of repository data is read.
 *
 * What (need to know): refs/heads/policy (and HEAD, an alias of it), and
 * refs/docs/<id> only for documents whose current meta.json recipients
 * name the peer, that are not spilled, and whose head passes the
 * classification gate (label, title, text: door "git sync"); the spill
 * list refs/chancery/spills to every peer (workflows/sync/spillsync.h);
 * the site logs (refs/chancery/log, refs/chancery/peers/<site>/log:
 * commitments only, workflows/sync/logsync.h). Nothing else is ever
 * advertised. A want must be a commit
 * reachable from an advertised tip; a have counts only if it is one too
 * (so an ACK never tells the peer that we hold something it may not see).
 *
 * Negotiation: multi_ack_detailed without "ready" (the client stops
 * sending haves by itself); the pack holds what the wants reach minus
 * what the common haves reach. Packs are built whole in memory with
 * libgit2's pack builder before anything is sent, so an error never
 * leaves a half-sent pack. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <zlib.h>

#include "server.h"
#include "workflows/classify/gate.h"
#include "workflows/store/access.h"
#include "workflows/sync/logsync.h"
#include "workflows/sync/pktline.h"
#include "workflows/sync/pushcmd.h"
#include "workflows/sync/quarantine.h"
#include "workflows/sync/peerview.h"
#include "util/common.h"

#define GIT_ADV_TYPE "application/x-git-upload-pack-advertisement"
#define GIT_RESULT_TYPE "application/x-git-upload-pack-result"
#define GIT_PUSH_ADV_TYPE "application/x-git-receive-pack-advertisement"
#define GIT_PUSH_RESULT_TYPE "application/x-git-receive-pack-result"
#define GIT_PUSH_CAPS "report-status delete-refs side-band-64k atomic ofs-delta " \
                      "agent=chancery/1"
#define GIT_REASON_MAX 1000 /* bytes of one "ng" reason */
#define GIT_CAPS "multi_ack_detailed side-band-64k side-band ofs-delta no-progress " \
                 "allow-reachable-sha1-in-want symref=HEAD:refs/heads/policy agent=chancery/1"

/* ---- the peer ---- */

static gnutls_session_t tls_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	return ci ? (gnutls_session_t)ci->tls_session : NULL;
}

int srv_git_has_client_cert(struct MHD_Connection *c)
{
	gnutls_session_t tls = tls_of(c);
	unsigned n = 0;

	return tls && gnutls_certificate_type_get(tls) == GNUTLS_CRT_X509 &&
	       gnutls_certificate_get_peers(tls, &n) && n > 0;
}

/* The site of the policy whose tls_fingerprint is the SHA-256 of the
 * peer's (CA-verified) certificate; CH_EDENIED otherwise. */
static int peer_site(const ch_site_entry **out, srv_ctx *x, const ch_policy *pol)
{
	gnutls_session_t tls = tls_of(x->c);
	const gnutls_datum_t *certs;
	unsigned char md[32];
	char hex[65];
	size_t mdlen = sizeof(md), i;
	unsigned n = 0, status = 0;

	*out = NULL;
	if (!tls || gnutls_certificate_type_get(tls) != GNUTLS_CRT_X509 ||
	    !(certs = gnutls_certificate_get_peers(tls, &n)) || n == 0)
		return ch_error_setc(CH_EDENIED, "sync needs a TLS client certificate");
	if (gnutls_certificate_verify_peers2(tls, &status) < 0 || status != 0)
		return ch_error_setc(CH_EDENIED, "the client certificate is not signed by the "
		                     "mission certificate authority, or has expired");
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], md, &mdlen) < 0 || mdlen != 32)
		return ch_error_setc(CH_EDENIED, "cannot fingerprint the client certificate");
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	for (i = 0; i < pol->nsites; i++)
		if (pol->sites[i].tls_fingerprint && !strcmp(pol->sites[i].tls_fingerprint, hex)) {
			*out = &pol->sites[i];
			return 0;
		}
	return ch_error_setc(CH_EDENIED, "the client certificate belongs to no site of the policy");
}

/* ---- responses ---- */

static enum MHD_Result send_git(srv_ctx *x, unsigned status, const char *type, ch_buf *body,
                                const char *peer)
{
	struct MHD_Response *resp;
	size_t len = body->size;
	char *p = ch_buf_detach(body);
	enum MHD_Result rc;

	if (!(resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE))) {
		free(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-cache, max-age=0, must-revalidate");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	srv_log(x, "%u sync peer=%s %zu bytes", status, peer, len);
	rc = srv_queue_raw(x->c, status, resp);
	return rc;
}

static enum MHD_Result send_text(srv_ctx *x, unsigned status, const char *msg)
{
	return srv_send(x, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* An ERR pkt-line: git prints "remote error: <msg>". */
static enum MHD_Result send_err(srv_ctx *x, const char *peer, const char *msg)
{
	ch_buf out = CH_BUF_INIT;

	ch_pkt_printf(&out, "ERR %s\n", msg);
	return send_git(x, 200, GIT_RESULT_TYPE, &out, peer);
}

static enum MHD_Result advertise(srv_ctx *x, const ch_policy *pol, const char *peer)
{
	ch_buf out = CH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	ch_view v;
	size_t i;
	const ch_view_ref *policy;

	if (ch_view_visible(&v, x->site, pol, peer, 0) < 0 ||
	    !(policy = ch_view_find(&v, CH_POLICY_REF))) {
		ch_view_dispose(&v);
		return send_text(x, 500, ch_error_last());
	}
	ch_pkt_printf(&out, "# service=git-upload-pack\n");
	ch_pkt_flush(&out);
	git_oid_tostr(hex, sizeof(hex), &policy->id);
	ch_pkt_printf(&out, "%s HEAD%c%s\n", hex, '\0', GIT_CAPS);
	for (i = 0; i < v.nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &v.refs[i].id);
		ch_pkt_printf(&out, "%s %s\n", hex, v.refs[i].name);
	}
	ch_pkt_flush(&out);
	ch_view_dispose(&v);
	return send_git(x, 200, GIT_ADV_TYPE, &out, peer);
}

/* A gzip request body (git compresses bodies over 1 KiB), bounded. */
static int gunzip(ch_buf *out, const ch_buf *in, size_t max)
{
	z_stream z;
	unsigned char chunk[16384];
	int rc, error = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return ch_error_setc(CH_EIO, "cannot start zlib");
	z.next_in = (unsigned char *)in->ptr;
	z.avail_in = (uInt)in->size;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END) {
			error = ch_error_setc(CH_EINVALID, "malformed gzip request body");
			break;
		}
		ch_buf_put(out, chunk, sizeof(chunk) - z.avail_out);
		if (out->size > max) {
			error = ch_error_setc(CH_EINVALID, "request larger than %zu bytes", max);
			break;
		}
		if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			error = ch_error_setc(CH_EINVALID, "truncated gzip request body");
			break;
		}
	} while (rc != Z_STREAM_END);
	inflateEnd(&z);
	return error;
}

typedef struct {
	ch_buf *out;
	size_t band_max; /* 0: no side-band */
} pack_ctx;

static int pack_chunk(void *buf, size_t size, void *payload)
{
	pack_ctx *p = payload;

	if (p->band_max)
		ch_pkt_sideband(p->out, 1, buf, size, p->band_max);
	else
		ch_buf_put(p->out, buf, size);
	return 0;
}

static int write_pack(ch_buf *out, git_repository *repo, const ch_upload_request *req,
                      const git_oid *common, size_t ncommon, size_t band_max)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	pack_ctx p = { out, band_max };
	size_t i;
	int error = 0;

	if (git_packbuilder_new(&pb, repo) < 0 || git_revwalk_new(&walk, repo) < 0)
		goto fail;
	for (i = 0; i < req->nwants; i++)
		if (git_revwalk_push(walk, &req->wants[i]) < 0)
			goto fail;
	for (i = 0; i < ncommon; i++)
		if (git_revwalk_hide(walk, &common[i]) < 0)
			goto fail;
	if (git_packbuilder_insert_walk(pb, walk) < 0 || git_packbuilder_foreach(pb, pack_chunk, &p) < 0)
		goto fail;
	goto done;
fail:
	error = ch_error_setc(CH_EIO, "cannot build the pack: %s",
	                      git_error_last() ? git_error_last()->message : "libgit2 failed");
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return error;
}

/* Who read what (workflows/store/access.h): each document whose head the
 * peer asked for, as "peer:<site>" reading "sync". */
static void record_sync(srv_ctx *x, const ch_view *v, const ch_upload_request *req,
                        const char *peer)
{
	ch_buf who = CH_BUF_INIT;
	size_t i, k;

	ch_buf_printf(&who, "peer:%s", peer);
	for (k = 0; k < v->nrefs; k++) {
		if (strncmp(v->refs[k].name, CH_DOCS_PREFIX, strlen(CH_DOCS_PREFIX)))
			continue;
		for (i = 0; i < req->nwants; i++)
			if (git_oid_equal(&req->wants[i], &v->refs[k].id)) {
				if (ch_access_record(x->site, who.ptr, v->refs[k].name + 10, "sync") < 0)
					srv_log(x, "access record failed: %s", ch_error_last());
				break;
			}
	}
	ch_buf_dispose(&who);
}

static enum MHD_Result upload_pack(srv_ctx *x, const ch_policy *pol, const char *peer)
{
	const char *enc = srv_header(x, "Content-Encoding");
	ch_buf body = CH_BUF_INIT, out = CH_BUF_INIT;
	ch_upload_request req;
	git_oid *common = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, ncommon = 0, band_max = 0;
	int detailed, error, parsed = 0;
	ch_view v;
	enum MHD_Result rc;

	memset(&v, 0, sizeof(v));
	if (enc && !strcasecmp(enc, "gzip")) {
		if (gunzip(&body, &x->r->raw, CH_UPLOAD_MAX_BODY) < 0) {
			rc = send_err(x, peer, ch_error_last());
			goto done;
		}
	} else if (enc && strcasecmp(enc, "identity")) {
		rc = send_text(x, 415, "unsupported Content-Encoding");
		goto done;
	} else {
		ch_buf_set(&body, x->r->raw.ptr, x->r->raw.size);
	}
	if (ch_upload_request_parse(&req, body.ptr, body.size) < 0) {
		rc = send_err(x, peer, ch_error_last());
		goto done;
	}
	parsed = 1;
	if (!ch_upload_request_has_cap(&req, "ofs-delta")) {
		rc = send_err(x, peer, "this server sends packs with ofs-delta: ask for it");
		goto done;
	}
	if (ch_upload_request_has_cap(&req, "side-band-64k"))
		band_max = CH_PKT_SIDEBAND_MAX;
	else if (ch_upload_request_has_cap(&req, "side-band"))
		band_max = CH_PKT_SIDEBAND_SMALL;
	detailed = ch_upload_request_has_cap(&req, "multi_ack_detailed");
	if (ch_view_visible(&v, x->site, pol, peer, CH_VIEW_COMMITS) < 0) {
		rc = send_err(x, peer, ch_error_last());
		goto done;
	}
	/* Every want is a commit the peer may see; else nothing is sent. */
	for (i = 0; i < req.nwants; i++)
		if (!ch_view_has_commit(&v, &req.wants[i])) {
			char msg[128];

			git_oid_tostr(hex, sizeof(hex), &req.wants[i]);
			snprintf(msg, sizeof(msg), "upload-pack: not our ref %s", hex);
			srv_log(x, "403 sync peer=%s want refused", peer);
			rc = send_err(x, peer, msg);
			goto done;
		}
	/* Haves we hold and the peer may see are common: ACK them. */
	for (i = 0; i < req.nhaves; i++) {
		if (!ch_view_has_commit(&v, &req.haves[i]))
			continue;
		common = ch_realloc(common, (ncommon + 1) * sizeof(*common));
		git_oid_cpy(&common[ncommon++], &req.haves[i]);
		git_oid_tostr(hex, sizeof(hex), &req.haves[i]);
		if (detailed)
			ch_pkt_printf(&out, "ACK %s common\n", hex);
		else if (ncommon == 1)
			ch_pkt_printf(&out, "ACK %s\n", hex);
	}
	if (!req.done) {
		/* one round of a stateless negotiation: the client sends more */
		if (detailed || ncommon == 0)
			ch_pkt_printf(&out, "NAK\n");
		rc = send_git(x, 200, GIT_RESULT_TYPE, &out, peer);
		goto done;
	}
	if (ncommon && detailed) {
		git_oid_tostr(hex, sizeof(hex), &common[ncommon - 1]);
		ch_pkt_printf(&out, "ACK %s\n", hex);
	} else if (!ncommon) {
		ch_pkt_printf(&out, "NAK\n");
	}
	if ((error = write_pack(&out, x->site->repo, &req, common, ncommon, band_max)) < 0) {
		rc = send_err(x, peer, ch_error_last());
		goto done;
	}
	if (band_max)
		ch_pkt_flush(&out);
	record_sync(x, &v, &req, peer);
	rc = send_git(x, 200, GIT_RESULT_TYPE, &out, peer);
done:
	if (parsed)
		ch_upload_request_dispose(&req);
	ch_view_dispose(&v);
	free(common);
	ch_buf_dispose(&body);
	ch_buf_dispose(&out);
	return rc;
}

/* ---- push ---- */

static enum MHD_Result advertise_push(srv_ctx *x, const ch_policy *pol, const char *peer)
{
	ch_buf out = CH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	ch_view v;
	size_t i;

	if (ch_view_visible(&v, x->site, pol, peer, 0) < 0) {
		ch_view_dispose(&v);
		return send_text(x, 500, ch_error_last());
	}
	ch_pkt_printf(&out, "# service=git-receive-pack\n");
	ch_pkt_flush(&out);
	for (i = 0; i < v.nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &v.refs[i].id);
		if (i == 0)
			ch_pkt_printf(&out, "%s %s%c%s\n", hex, v.refs[i].name, '\0', GIT_PUSH_CAPS);
		else
			ch_pkt_printf(&out, "%s %s\n", hex, v.refs[i].name);
	}
	ch_pkt_flush(&out);
	ch_view_dispose(&v);
	return send_git(x, 200, GIT_PUSH_ADV_TYPE, &out, peer);
}

/* One report-status line; a reason is one line, bounded. */
static void report_line(ch_buf *out, const char *ref, const char *reason)
{
	if (!reason)
		ch_pkt_printf(out, "ok %s\n", ref);
	else
		ch_pkt_printf(out, "ng %s %.*s\n", ref, GIT_REASON_MAX, reason);
}

/* report-status, inside side-band 1 when asked; refusals also on band 2,
 * which git prints as "remote: ..." lines. */
static enum MHD_Result send_report(srv_ctx *x, const char *peer, const ch_buf *report,
                                   const ch_buf *progress, int band)
{
	ch_buf out = CH_BUF_INIT;

	if (!band) {
		ch_buf_put(&out, report->ptr, report->size);
	} else {
		if (progress->size)
			ch_pkt_sideband(&out, 2, progress->ptr, progress->size, CH_PKT_SIDEBAND_MAX);
		ch_pkt_sideband(&out, 1, report->ptr, report->size, CH_PKT_SIDEBAND_MAX);
		ch_pkt_flush(&out);
	}
	return send_git(x, 200, GIT_PUSH_RESULT_TYPE, &out, peer);
}

static const char *result_reason(const ch_qresult *r)
{
	return r->status == CH_Q_ACCEPTED || r->status == CH_Q_UNCHANGED ? NULL : r->message;
}

static char log_taken[] = "";
#define LOG_TAKEN log_taken

/* The peer's own site log (workflows/sync/logsync.h), taken before the
 * documents so that D1 at a log position sees it; every other command is
 * copied into docs[] for the quarantine (at[i]: its place there, plus 1).
 * logs[i]: NULL for a document, LOG_TAKEN, or the log's refusal. */
static int push_logs(srv_ctx *x, ch_quarantine *q, const char *peer, const ch_push_request *req,
                     char **logs, size_t *at, ch_qupdate *docs, size_t *ndocs)
{
	size_t i;
	int rc;

	for (i = 0; i < req->ncmds; i++) {
		rc = ch_logsync_receive(&logs[i], x->site, ch_quarantine_path(q), peer,
		                        req->cmds[i].ref, &req->cmds[i].new_id);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (!logs[i])
				logs[i] = LOG_TAKEN;
			else
				srv_log(x, "push peer=%s log refused: %s", peer, logs[i]);
			continue;
		}
		docs[*ndocs] = req->cmds[i];
		at[i] = ++*ndocs;
	}
	return 0;
}

static enum MHD_Result receive_pack(srv_ctx *x, const char *peer)
{
	const char *enc = srv_header(x, "Content-Encoding");
	ch_buf body = CH_BUF_INIT, report = CH_BUF_INIT, progress = CH_BUF_INIT;
	const ch_buf *in = &x->r->raw; /* up to 65 MiB: not copied */
	ch_push_request req;
	ch_quarantine *q = NULL;
	ch_qresult *res = NULL;
	const char *unpack_err = NULL;
	char err[512] = "";
	size_t i, ndocs = 0, *at = NULL;
	char **logs = NULL;
	ch_qupdate *docs = NULL;
	int band = 0, parsed = 0;
	unsigned flags = CH_Q_CHECK_OLD;
	enum MHD_Result rc;

	if (enc && !strcasecmp(enc, "gzip")) {
		if (gunzip(&body, &x->r->raw, SRV_MAX_GIT_PUSH_BODY) < 0) {
			rc = send_err(x, peer, ch_error_last());
			goto done;
		}
		in = &body;
	} else if (enc && strcasecmp(enc, "identity")) {
		rc = send_text(x, 415, "unsupported Content-Encoding");
		goto done;
	}
	if (ch_push_request_parse(&req, in->ptr, in->size) < 0) {
		srv_log(x, "400 push peer=%s: %s", peer, ch_error_last());
		rc = send_err(x, peer, ch_error_last());
		goto done;
	}
	parsed = 1;
	band = ch_push_request_has_cap(&req, "side-band-64k");
	if (ch_push_request_has_cap(&req, "atomic"))
		flags |= CH_Q_ATOMIC;
	if (req.ncmds == 0) { /* nothing to do: git sends this as a probe */
		rc = send_git(x, 200, GIT_PUSH_RESULT_TYPE, &report, peer);
		goto done;
	}
	/* Everything lands in quarantine; nothing reaches the site unverified. */
	logs = ch_calloc(req.ncmds, sizeof(*logs));
	at = ch_calloc(req.ncmds, sizeof(*at));
	docs = ch_calloc(req.ncmds, sizeof(*docs));
	if (ch_quarantine_open(&q, x->site, peer, "git push") < 0 ||
	    ch_quarantine_add_pack(q, in->ptr + req.pack_offset, req.pack_len) < 0) {
		snprintf(err, sizeof(err), "%s", ch_error_last());
		unpack_err = err;
	} else if (push_logs(x, q, peer, &req, logs, at, docs, &ndocs) < 0 ||
	           (ndocs && ch_quarantine_apply(q, docs, ndocs, flags, &res) < 0)) {
		snprintf(err, sizeof(err), "%s", ch_error_last());
	}
	ch_pkt_printf(&report, "unpack %s\n", unpack_err ? unpack_err : "ok");
	for (i = 0; i < req.ncmds; i++) {
		const ch_qresult *ri = res && at[i] ? &res[at[i] - 1] : NULL;
		const char *reason = logs[i] ? (logs[i] == LOG_TAKEN ? NULL : logs[i]) :
		                     ri ? result_reason(ri) : err;

		report_line(&report, req.cmds[i].ref, reason);
		if (reason)
			ch_buf_printf(&progress, "chancery: %s: %.*s\n", req.cmds[i].ref,
			              GIT_REASON_MAX, reason);
		srv_log(x, "push peer=%s %s %s%s%s", peer, req.cmds[i].ref,
		        logs[i] ? (reason ? "refused" : "accepted") :
		        ri ? ch_qstatus_name(ri->status) : "refused",
		        ri && ri->rule[0] ? " rule=" : "", ri ? ri->rule : "");
	}
	ch_pkt_flush(&report);
	rc = send_report(x, peer, &report, &progress, band);
done:
	if (res)
		ch_qresults_free(res, ndocs);
	for (i = 0; logs && i < req.ncmds; i++)
		if (logs[i] != LOG_TAKEN)
			free(logs[i]);
	free(logs);
	free(at);
	free(docs);
	ch_quarantine_free(q);
	if (parsed)
		ch_push_request_dispose(&req);
	ch_buf_dispose(&body);
	ch_buf_dispose(&report);
	ch_buf_dispose(&progress);
	return rc;
}

/* ---- routing ---- */

enum MHD_Result srv_route_git(srv_ctx *x)
{
	const ch_policy *pol;
	const ch_site_entry *peer;
	const char *rest;
	ch_buf prefix = CH_BUF_INIT;
	const char *service = srv_arg(x, "service");
	int get = !strcmp(x->r->method, "GET"), post = !strcmp(x->r->method, "POST");

	ch_buf_printf(&prefix, "/git/%s.git/", x->site->site_id);
	if (strncmp(x->path, prefix.ptr, prefix.size)) {
		ch_buf_dispose(&prefix);
		return send_text(x, 404, "no such repository");
	}
	rest = x->path + prefix.size;
	ch_buf_dispose(&prefix);
	if (srv_current_policy(&pol, x) < 0)
		return send_text(x, 500, "the site's policy cannot be read");
	if (peer_site(&peer, x, pol) < 0) {
		srv_log(x, "403 sync refused: %s", ch_error_last());
		return send_text(x, 403, ch_error_last());
	}
	if (get && !strcmp(rest, "info/refs")) {
		if (service && !strcmp(service, "git-upload-pack"))
			return advertise(x, pol, peer->id);
		if (service && !strcmp(service, "git-receive-pack"))
			return advertise_push(x, pol, peer->id);
		return send_text(x, 403, "only git's smart HTTP protocol "
		                 "(service=git-upload-pack or git-receive-pack) is served");
	}
	if (post && !strcmp(rest, "git-upload-pack")) {
		if (x->r->is_git != SRV_GIT_FETCH)
			return send_text(x, 415, "expected application/x-git-upload-pack-request");
		return upload_pack(x, pol, peer->id);
	}
	if (post && !strcmp(rest, "git-receive-pack")) {
		if (x->r->is_git != SRV_GIT_PUSH)
			return send_text(x, 415, "expected application/x-git-receive-pack-request");
		return receive_pack(x, peer->id);
	}
	return send_text(x, 404, "not found");
}
