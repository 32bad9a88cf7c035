/* cmd_remote.c -- `chancery remote`: the official's own client of a remote
 * site over its JSON API (docs/api.md), signing on the official's own
 * workstation (issue 17, signing with a token): the server prepares the
 * exact commit, the official's own GnuPG signs it through GPGME -- the key
 * may sit on an OpenPGP card or a PKCS#11 token behind their gpg-agent --
 * and the server verifies and records it. Nothing secret but the login
 * password travels; the PIN goes to the official's own agent only.
 *
 * HTTPS with mbedTLS (linked already, under libgit2), trusting only the
 * CA given (--ca); the server's name is checked against its certificate.
 * Not in chancery-offline. */
#ifndef CH_OFFLINE
#include <gpgme.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "workflows/json.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define REMOTE_MAX_RESPONSE (16u << 20)

typedef struct {
	char host[256], port[8];
	ch_buf ca;
	char token[65];
} remote;

static int parse_url(remote *r, const char *url)
{
	const char *h, *c, *end;

	if (strncmp(url, "https://", 8))
		return ch_error_setc(CH_EINVALID, "the site's URL is https://HOST[:PORT]");
	h = url + 8;
	end = h + strcspn(h, "/");
	c = memchr(h, ':', (size_t)(end - h));
	if ((size_t)((c ? c : end) - h) >= sizeof(r->host) || (c ? c : end) == h)
		return ch_error_setc(CH_EINVALID, "bad host in %s", url);
	memcpy(r->host, h, (size_t)((c ? c : end) - h));
	r->host[(c ? c : end) - h] = '\0';
	if (c && (size_t)(end - c - 1) < sizeof(r->port) && end - c > 1) {
		memcpy(r->port, c + 1, (size_t)(end - c - 1));
		r->port[end - c - 1] = '\0';
	} else {
		snprintf(r->port, sizeof(r->port), "443");
	}
	return 0;
}

/* One request over its own TLS connection; the JSON answer and status. */
static int https(json_t **out, unsigned *status, remote *r, const char *method,
                 const char *path, const json_t *body)
{
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_entropy_context ent;
	ch_buf req = CH_BUF_INIT, resp = CH_BUF_INIT;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL, chunk[4096];
	const char *hdr_end;
	int rc, error = 0;

	*out = NULL;
	mbedtls_net_init(&net);
	mbedtls_ssl_init(&ssl);
	mbedtls_ssl_config_init(&conf);
	mbedtls_x509_crt_init(&ca);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_entropy_init(&ent);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) ||
	    mbedtls_x509_crt_parse(&ca, (const unsigned char *)r->ca.ptr, r->ca.size + 1) ||
	    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                MBEDTLS_SSL_PRESET_DEFAULT)) {
		error = ch_error_setc(CH_EINVALID, "TLS set-up failed (is --ca a PEM certificate?)");
		goto done;
	}
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	if (mbedtls_ssl_setup(&ssl, &conf) || mbedtls_ssl_set_hostname(&ssl, r->host) ||
	    mbedtls_net_connect(&net, r->host, r->port, MBEDTLS_NET_PROTO_TCP)) {
		error = ch_error_setc(CH_EIO, "cannot connect to %s:%s", r->host, r->port);
		goto done;
	}
	mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(&ssl)) != 0)
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			error = ch_error_setc(CH_EAUTH, "TLS with %s failed: the server's certificate "
			                      "does not verify against --ca for that name (%d)", r->host,
			                      rc);
			goto done;
		}
	ch_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n"
	              "Accept: application/json\r\n", method, path, r->host, r->port);
	if (r->token[0])
		ch_buf_printf(&req, "Authorization: Bearer %s\r\n", r->token);
	if (text)
		ch_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
		              strlen(text));
	ch_buf_puts(&req, "\r\n");
	if (text)
		ch_buf_puts(&req, text);
	for (size_t off = 0; off < req.size;) {
		rc = mbedtls_ssl_write(&ssl, (const unsigned char *)req.ptr + off, req.size - off);
		if (rc <= 0) {
			error = ch_error_setc(CH_EIO, "cannot send the request");
			goto done;
		}
		off += (size_t)rc;
	}
	while ((rc = mbedtls_ssl_read(&ssl, (unsigned char *)chunk, sizeof(chunk))) > 0) {
		if (resp.size + (size_t)rc > REMOTE_MAX_RESPONSE) {
			error = ch_error_setc(CH_EIO, "the answer is too large");
			goto done;
		}
		ch_buf_put(&resp, chunk, (size_t)rc);
	}
	if (!(hdr_end = strstr(resp.ptr, "\r\n\r\n")) || sscanf(resp.ptr, "HTTP/1.%*d %u", status) != 1 ||
	    strstr(resp.ptr, "Transfer-Encoding: chunked")) {
		error = ch_error_setc(CH_EIO, "the server's answer is not HTTP/1.1 with a length");
		goto done;
	}
	hdr_end += 4;
	/* an object or an array (the inbox) */
	if (!(*out = json_loadb(hdr_end, resp.size - (size_t)(hdr_end - resp.ptr),
	                        JSON_REJECT_DUPLICATES, NULL)))
		error = ch_error_setc(CH_EIO, "the server's answer is not JSON");
done:
	mbedtls_ssl_close_notify(&ssl);
	mbedtls_net_free(&net);
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_x509_crt_free(&ca);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	if (req.size)
		ch_wipe(req.ptr, req.size);
	ch_buf_dispose(&req);
	ch_buf_dispose(&resp);
	if (text) {
		ch_wipe(text, strlen(text));
		free(text);
	}
	return error;
}

/* A call whose answer must be 200; the server's error message otherwise. */
static int call(json_t **out, remote *r, const char *method, const char *path, const json_t *body)
{
	unsigned status = 0;
	int error;

	if ((error = https(out, &status, r, method, path, body)) < 0)
		return error;
	if (status == 200 || status == 201)
		return 0;
	error = ch_error_setc(status == 409 ? CH_ECONFLICT : status == 404 ? CH_ENOTFOUND :
	                      status == 403 || status == 401 ? CH_EDENIED : CH_EINVALID,
	                      "%s %s: %u %s", method, path, status,
	                      json_string_value(json_object_get(*out, "error")) ?
	                      json_string_value(json_object_get(*out, "error")) : "");
	json_decref(*out);
	*out = NULL;
	return error;
}

static int login(remote *r, const char *id, const char *password)
{
	json_t *b = json_pack("{s:s, s:s}", "id", id, "password", password), *a = NULL;
	const char *t;
	int error;

	if ((error = call(&a, r, "POST", "/api/v1/session", b)) == 0) {
		t = json_string_value(json_object_get(a, "token"));
		if (!t || strlen(t) != 64)
			error = ch_error_setc(CH_EIO, "the server gave no session token");
		else
			memcpy(r->token, t, 65);
	}
	json_decref(b);
	json_decref(a);
	return error;
}

/* ---- signing on this workstation: GPGME, the official's own agent ---- */

static gpgme_error_t on_pin(void *payload, const char *hint, const char *info, int bad, int fd)
{
	const char *pin = payload;

	(void)hint;
	(void)info;
	if (bad || !pin)
		return gpg_error(GPG_ERR_CANCELED);
	if (gpgme_io_writen(fd, pin, strlen(pin)) || gpgme_io_writen(fd, "\n", 1))
		return gpg_error(GPG_ERR_CANCELED);
	return 0;
}

static int sign_here(ch_buf *armored, const char *fpr, const char *pin, const char *payload,
                     size_t len)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t res;
	char *mem;
	size_t n;
	int error = 0;

	gpgme_check_version(NULL);
	if (gpgme_new(&ctx) || gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) {
		error = ch_error_setc(CH_EIO, "GPGME cannot start");
		goto done;
	}
	gpgme_set_armor(ctx, 1);
	if (pin) {
		gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
		gpgme_set_passphrase_cb(ctx, on_pin, (void *)pin);
	}
	if (gpgme_get_key(ctx, fpr, &key, 1) || !key) {
		error = ch_error_setc(CH_ENOTFOUND, "your GnuPG holds no secret key %s (on a token: "
		                      "is it plugged in and known to gpg-agent?)", fpr);
		goto done;
	}
	gpgme_signers_add(ctx, key);
	if (gpgme_data_new_from_mem(&in, payload, len, 0) || gpgme_data_new(&out) ||
	    gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH) ||
	    !(res = gpgme_op_sign_result(ctx)) || !res->signatures || res->signatures->next ||
	    res->invalid_signers) {
		error = ch_error_setc(CH_EAUTH, "signing with key %s failed (a wrong PIN?)", fpr);
		goto done;
	}
	mem = gpgme_data_release_and_get_mem(out, &n);
	out = NULL;
	ch_buf_set(armored, mem, n);
	gpgme_free(mem);
done:
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_key_unref(key);
	gpgme_release(ctx);
	return error;
}

/* ---- commands ---- */

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int inbox(remote *r)
{
	json_t *a = NULL, *docs, *d;
	size_t i;
	int error;

	if ((error = call(&a, r, "GET", "/api/v1/inbox", NULL)) < 0)
		return error;
	docs = json_is_array(a) ? a : json_object_get(a, "documents");
	json_array_foreach(docs, i, d)
		printf("%s\t%s\t%s\n", jstr(d, "id"),
		       jstr(d, "state"),
		       jstr(d, "title"));
	json_decref(a);
	return 0;
}

static int show(remote *r, const char *doc)
{
	ch_buf path = CH_BUF_INIT;
	json_t *a = NULL;
	char *text;
	int error;

	ch_buf_printf(&path, "/api/v1/docs/%s", doc);
	if ((error = call(&a, r, "GET", path.ptr, NULL)) == 0) {
		text = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "");
		free(text);
	}
	json_decref(a);
	ch_buf_dispose(&path);
	return error;
}

/* Prepare, show what is signed, sign here, finish. */
static int act(remote *r, const char *doc, const char *action, const char *fpr,
               const char *comment, const char *pin)
{
	ch_buf path = CH_BUF_INIT, sig = CH_BUF_INIT;
	json_t *d = NULL, *prep = NULL, *b = NULL, *fin = NULL;
	const char *head, *payload;
	int error;

	ch_buf_printf(&path, "/api/v1/docs/%s", doc);
	if ((error = call(&d, r, "GET", path.ptr, NULL)) < 0)
		goto done;
	if (!(head = json_string_value(json_object_get(d, "head")))) {
		error = ch_error_setc(CH_EIO, "the server gave no document head");
		goto done;
	}
	b = json_pack("{s:s, s:s, s:s}", "action", action, "head", head, "key", fpr);
	if (comment)
		json_object_set_new(b, "comment", json_string(comment));
	ch_buf_puts(&path, "/prepare");
	if ((error = call(&prep, r, "POST", path.ptr, b)) < 0)
		goto done;
	if (!(payload = json_string_value(json_object_get(prep, "payload")))) {
		error = ch_error_setc(CH_EIO, "the server prepared no payload");
		goto done;
	}
	/* what is signed, as the commit will hold it */
	fprintf(stderr, "signing, with key %s, the commit:\n%s", fpr, payload);
	if ((error = sign_here(&sig, fpr, pin, payload, strlen(payload))) < 0)
		goto done;
	json_decref(b);
	b = json_pack("{s:O, s:s}", "token", json_object_get(prep, "token"), "signature_armored",
	              sig.ptr);
	if ((error = call(&fin, r, "POST", "/api/v1/sign/finish", b)) == 0)
		printf("%s\n", jstr(fin, "commit"));
done:
	json_decref(d);
	json_decref(prep);
	json_decref(b);
	json_decref(fin);
	ch_buf_dispose(&path);
	ch_buf_dispose(&sig);
	return error;
}

int cmd_remote(int argc, char **argv)
{
	static const char *const opts[] = { "as", "password-file", "ca", "action", "key", "comment",
	                                    "pin-file", NULL };
	static const char usage[] =
		"usage: chancery remote https://HOST:PORT inbox|show DOC|act DOC --as ID --ca CA.pem\n"
		"       [--password-file F] (act: --action A --key FPR [--comment C] [--pin-file F])\n";
	char *pw = NULL, *pin = NULL;
	const char *what;
	remote r;
	cli_args a;
	int error;

	if (cli_parse(&a, argc, argv, opts, NULL) < 0)
		return cli_bad_args(&a);
	memset(&r, 0, sizeof(r));
	ch_buf_init(&r.ca);
	what = a.pos.n >= 2 ? a.pos.v[1] : "";
	if (!cli_get(&a, "as") || !cli_get(&a, "ca") || a.pos.n < 2 ||
	    (strcmp(what, "inbox") && a.pos.n != 3)) {
		cli_args_dispose(&a);
		return cli_usage(usage);
	}
	if ((error = parse_url(&r, a.pos.v[0])) < 0 ||
	    (error = ch_fs_read(&r.ca, cli_get(&a, "ca"), 1u << 20)) < 0 ||
	    (error = cli_passphrase(&pw, cli_get(&a, "password-file"), "login password", 0)) < 0 ||
	    (cli_get(&a, "pin-file") &&
	     (error = cli_passphrase(&pin, cli_get(&a, "pin-file"), "token PIN", 0)) < 0) ||
	    (error = login(&r, cli_get(&a, "as"), pw)) < 0)
		goto done;
	if (!strcmp(what, "inbox"))
		error = inbox(&r);
	else if (!strcmp(what, "show"))
		error = show(&r, a.pos.v[2]);
	else if (!strcmp(what, "act") && cli_get(&a, "action") && cli_get(&a, "key"))
		error = act(&r, a.pos.v[2], cli_get(&a, "action"), cli_get(&a, "key"),
		            cli_get(&a, "comment"), pin);
	else
		error = ch_error_setc(CH_EINVALID, "%s", usage);
done:
	ch_free_secret(pw);
	ch_free_secret(pin);
	ch_wipe(r.token, sizeof(r.token));
	ch_buf_dispose(&r.ca);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}
#endif
