/* presign.c -- steps signed in the official's own custody (issue 17): the
 * server prepares the exact commit it will write (tree, parent, trailers,
 * times: workflows/commit.h, ch_commit_ext), hands out the payload and
 * the v4 signature's hashed part, and keeps them here, in the network
 * process's memory, under a random one-time token. The browser (or a
 * token, through the JSON API) signs; the finish call takes the entry out
 * of the table -- one try, whatever its outcome, so a signature cannot be
 * replayed -- verifies the signature against the *current* policy (a key
 * of the person, listed, not revoked, the key prepared for) and writes the
 * commit by compare-and-swap on the head prepared. Nothing the client
 * sends besides the signature ends up in the commit. */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "crypto/crypto.h"
#include "util/text.h"
#include "workflows/custody.h"
#include "util/common.h"

#define PENDING_MAX 256        /* prepared steps awaiting a signature, all people */
#define PENDING_PER_PERSON 8
#define PENDING_SECONDS 600    /* a prepared step not signed by then is dropped */
#define PENDING_MAX_BYTES (64u << 20) /* texts and files kept, all entries */

typedef struct {
	char token[65];
	char person[65];
	char doc[80];
	time_t made;
	ch_commit_ext ext;
} pending;

static pending table[PENDING_MAX];
static size_t ntable;
static size_t table_bytes;

/* What an entry keeps: its commit text and, for create and revise, files. */
static size_t entry_bytes(const ch_commit_ext *ext)
{
	size_t i, n = ext->text.size;

	for (i = 0; i < ext->files.n; i++)
		n += ext->files.v[i].data.size;
	return n;
}
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static void drop(size_t i)
{
	table_bytes -= entry_bytes(&table[i].ext);
	ch_commit_ext_dispose(&table[i].ext);
	ch_wipe(table[i].token, sizeof(table[i].token));
	table[i] = table[--ntable];
}

static void expire(time_t now)
{
	size_t i = 0;

	while (i < ntable)
		if (now - table[i].made > PENDING_SECONDS)
			drop(i);
		else
			i++;
}

/* Keep ext under `token` (its contents move here). */
static int store(const char *token, const char *person, const char *doc, ch_commit_ext *ext)
{
	size_t i, mine = 0;
	int error = 0;

	pthread_mutex_lock(&table_lock);
	expire(time(NULL));
	for (i = 0; i < ntable; i++)
		mine += !strcmp(table[i].person, person);
	if (ntable == PENDING_MAX || mine >= PENDING_PER_PERSON ||
	    table_bytes + entry_bytes(ext) > PENDING_MAX_BYTES) {
		error = ch_error_setc(CH_EDENIED, "too many steps await a signature: sign or wait "
		                      "%d minutes", PENDING_SECONDS / 60);
		goto done;
	}
	memset(&table[ntable], 0, sizeof(table[ntable]));
	memcpy(table[ntable].token, token, 64);
	snprintf(table[ntable].person, sizeof(table[ntable].person), "%s", person);
	snprintf(table[ntable].doc, sizeof(table[ntable].doc), "%s", doc);
	table[ntable].made = time(NULL);
	table[ntable].ext = *ext;
	ch_commit_ext_init(ext); /* moved */
	table_bytes += entry_bytes(&table[ntable].ext);
	ntable++;
done:
	pthread_mutex_unlock(&table_lock);
	return error;
}

/* Take the entry out (one try). CH_ENOTFOUND: no such token for this person
 * (used already, expired, never made, or another person's). */
static int take(pending *out, const char *token, const char *person)
{
	size_t i;
	int error = ch_error_setc(CH_ENOTFOUND, "no step awaits this signature: it was used "
	                          "already, has expired, or was never prepared for %s; nothing was "
	                          "recorded", person);

	if (!token || strlen(token) != 64)
		return error;
	pthread_mutex_lock(&table_lock);
	expire(time(NULL));
	for (i = 0; i < ntable; i++)
		if (ch_ct_memeq(table[i].token, token, 64) && !strcmp(table[i].person, person)) {
			*out = table[i];
			table_bytes -= entry_bytes(&table[i].ext);
			ch_commit_ext_init(&table[i].ext);
			drop(i);
			error = 0;
			break;
		}
	pthread_mutex_unlock(&table_lock);
	return error;
}

static void put_hex(ch_buf *b, const void *p, size_t n)
{
	ch_buf_puthex(b, p, n);
}

/* What the client shows and signs: the payload itself (it recomputes the
 * digest from payload and hashed part, never trusting ours), the hashed
 * part, the digest, the key. */
static json_t *prepared_json(const char *token, const char *doc, const ch_commit_ext *ext)
{
	ch_buf hashed = CH_BUF_INIT, digest = CH_BUF_INIT;
	json_t *o;

	put_hex(&hashed, ext->sig.hashed.ptr, ext->sig.hashed.size);
	put_hex(&digest, ext->sig.digest, ext->sig.digest_len);
	o = json_pack("{s:s, s:s, s:s%, s:s, s:s, s:s, s:s}", "token", token, "doc", doc, "payload",
	              ext->text.ptr, ext->text.size, "hashed", hashed.ptr, "digest", digest.ptr,
	              "key", ext->key_fpr, "hash", "SHA256");
	ch_buf_dispose(&hashed);
	ch_buf_dispose(&digest);
	return o;
}

int srv_presign_reply(srv_ctx *x, const char *doc, ch_commit_ext *ext)
{
	ch_buf tok = CH_BUF_INIT;
	json_t *j;
	int error;

	ch_random_hex(&tok, 32);
	j = prepared_json(tok.ptr, doc, ext);
	if ((error = store(tok.ptr, x->sess.person, doc, ext)) == 0) {
		srv_log(x, "prepared %s for a signature", doc);
		srv_send_json(x, 200, j);
		j = NULL;
	}
	json_decref(j);
	ch_wipe(tok.ptr, tok.size);
	ch_buf_dispose(&tok);
	return error;
}

/* A key named by the client: 40 hex digits, upper case. */
int srv_presign_key(char out[CH_PGP_FPR_HEX], const char *in)
{
	size_t i;

	if (!in || strlen(in) != 40)
		return ch_error_setc(CH_EINVALID, "key: 40 hex digits (the fingerprint) required");
	for (i = 0; i < 40; i++) {
		char c = in[i];

		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return ch_error_setc(CH_EINVALID, "key: not hex");
		out[i] = c;
	}
	out[40] = '\0';
	return 0;
}

static int unhex64(unsigned char out[64], const char *s)
{
	size_t i;

	if (!s || strlen(s) != 128)
		return ch_error_setc(CH_EINVALID, "signature: 128 hex digits (r then s) required");
	for (i = 0; i < 64; i++) {
		unsigned v;

		if (!strchr("0123456789abcdefABCDEF", s[2 * i]) || !s[2 * i] ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]) || !s[2 * i + 1] ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return ch_error_setc(CH_EINVALID, "signature: not hex");
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Finish: the Ed25519 signature (hex) or an armored OpenPGP one. */
static enum MHD_Result finish(srv_ctx *x, const char *token, const char *sig_hex,
                              const char *armored)
{
	unsigned char sig[64];
	pending p;
	git_oid out;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	memset(&p, 0, sizeof(p));
	ch_commit_ext_init(&p.ext);
	if ((error = take(&p, token, x->sess.person)) == 0) {
		if (armored)
			error = ch_custody_finish_armored(&out, x->site, &p.ext, x->sess.person, armored);
		else if ((error = unhex64(sig, sig_hex)) == 0)
			error = ch_custody_finish_ed25519(&out, x->site, &p.ext, x->sess.person, sig);
	}
	srv_log(x, "signed step %s: %s", p.doc[0] ? p.doc : "?",
	        error ? "refused" : git_oid_tostr(hex, sizeof(hex), &out));
	ch_commit_ext_dispose(&p.ext);
	if (error < 0)
		return srv_send_json(x, ch_error_http_status(error), json_pack("{s:s}", "error",
		                                                                 ch_error_last()));
	srv_index_touch(x);
	return srv_send_json(x, 200, json_pack("{s:s, s:s}", "commit",
	                                       git_oid_tostr(hex, sizeof(hex), &out), "doc", p.doc));
}

enum MHD_Result srv_page_sign_finish(srv_ctx *x, const char *id, const char *rest)
{
	(void)id;
	(void)rest;
	return finish(x, srv_field_get(x->r, "token"), srv_field_get(x->r, "signature"), NULL);
}

enum MHD_Result srv_api_sign_finish(srv_ctx *x, const char *id, const char *rest)
{
	json_t *b = NULL;
	enum MHD_Result rc;

	(void)id;
	(void)rest;
	if (srv_api_body(&b, x->r) < 0)
		return srv_api_error(x, 400, ch_error_last());
	rc = finish(x, srv_api_str(b, "token"), srv_api_str(b, "signature"),
	            srv_api_str(b, "signature_armored"));
	json_decref(b);
	return rc;
}

/* Prepare an action: the same checks as acting with a passphrase
 * (ch_doc_act: roles, state, head, the gate on the comment), then the
 * commit is built and not written. */
static enum MHD_Result prepare_act(srv_ctx *x, const char *id, const char *action,
                                   const char *key, ch_actor *who)
{
	char fpr[CH_PGP_FPR_HEX];
	ch_commit_ext ext;
	git_oid out;
	int error;

	ch_commit_ext_init(&ext);
	ext.prepare = 1;
	ext.pk_algo = CH_PGP_PK_EDDSA;
	if ((error = srv_presign_key(fpr, key)) == 0 && !action)
		error = ch_error_setc(CH_EINVALID, "action required");
	snprintf(ext.key_fpr, sizeof(ext.key_fpr), "%s", fpr);
	who->ext = &ext;
	if (!error && (error = ch_doc_act(&out, x->site, id, action, who)) == 0)
		error = srv_presign_reply(x, id, &ext);
	ch_commit_ext_dispose(&ext);
	if (error < 0)
		return srv_send_json(x, ch_error_http_status(error), json_pack("{s:s}", "error",
		                                                                 ch_error_last()));
	return MHD_YES;
}

enum MHD_Result srv_page_prepare(srv_ctx *x, const char *id, const char *rest)
{
	const char *h = srv_field_get(x->r, "head");
	ch_actor who;
	git_oid head;

	(void)rest;
	memset(&who, 0, sizeof(who));
	who.actor = x->sess.person;
	who.comment = srv_field_get(x->r, "comment");
	if (who.comment && !who.comment[0])
		who.comment = NULL;
	who.on_behalf = srv_field_get(x->r, "on_behalf");
	if (who.on_behalf && !who.on_behalf[0])
		who.on_behalf = NULL;
	who.expected = h && ch_valid_oid_hex(h) && git_oid_fromstr(&head, h) == 0 ? &head : NULL;
	who.door = "browser form";
	if (!who.expected)
		return srv_send_json(x, 400, json_pack("{s:s}", "error", "missing document head"));
	return prepare_act(x, id, srv_field_get(x->r, "action"), srv_field_get(x->r, "key"), &who);
}

enum MHD_Result srv_api_prepare(srv_ctx *x, const char *id, const char *rest)
{
	json_t *b = NULL;
	ch_actor who;
	git_oid head;
	enum MHD_Result rc;

	(void)rest;
	if (srv_api_body(&b, x->r) < 0)
		return srv_api_error(x, 400, ch_error_last());
	srv_api_actor(&who, x->sess.person, b, &head);
	who.passphrase = NULL;
	if (!who.expected)
		rc = srv_api_error(x, 400, "head (the document head you saw) is required");
	else
		rc = prepare_act(x, id, srv_api_str(b, "action"), srv_api_str(b, "key"), &who);
	json_decref(b);
	return rc;
}
