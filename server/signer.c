/* signer.c -- the signer process and its client. */
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "signer.h"
#include "util/text.h"
#include "util/common.h"

static int reply_err(int fd, int code, const char *msg)
{
	const void *f[1] = { msg };
	size_t l[1] = { strlen(msg) };

	return ch_ipc_send(fd, CH_IPC_ERR, code, 1, f, l);
}

static int handle_sign(int fd, ch_site *site, const ch_ipc_msg *m)
{
	const char *person = m->field[0], *pass = m->field[1];
	ch_buf sig = CH_BUF_INIT;
	ch_keystore *ks;
	ch_keyinfo key;
	int error;

	if (m->flen[0] != strlen(person) || !ch_valid_person_id(person) ||
	    m->flen[1] != strlen(pass) || !m->flen[1])
		return ch_error_setc(CH_EINVALID, "signer: malformed sign request");
	/* site.json may have gained people since start: read it again. */
	if ((error = ch_site_reload_config(site)) < 0 ||
	    (error = ch_site_signer(&key, site, person)) < 0 ||
	    (error = ch_site_keystore(&ks, site)) < 0 ||
	    (error = ch_keystore_sign(&sig, ks, &key, pass, m->field[2], m->flen[2])) < 0) {
		error = reply_err(fd, error, ch_error_last());
	} else {
		const void *f[1] = { sig.ptr };
		size_t l[1] = { sig.size };

		error = ch_ipc_send(fd, CH_IPC_OK, 0, 1, f, l);
	}
	ch_buf_dispose(&sig);
	return error;
}

int ch_signer_main(int fd, const char *site_path)
{
	ch_site *site = NULL;
	ch_ipc_msg m;
	int rc;

	if (ch_site_open(&site, site_path) < 0)
		return 1;
	for (;;) {
		rc = ch_ipc_recv(&m, fd, CH_IPC_SIGN, CH_IPC_SIGN, 3);
		if (rc == 0)
			rc = handle_sign(fd, site, &m);
		ch_ipc_msg_dispose(&m);
		if (rc < 0 && rc != CH_EAUTH)
			break;
	}
	ch_site_free(site);
	/* A clean end of stream is the network process going away. */
	return rc == CH_ENOTFOUND ? 0 : 1;
}

int ch_signer_client_sign(ch_buf *sig, const char *person, const ch_keyinfo *key,
                          const char *passphrase, const void *payload, size_t len, void *ctx)
{
	ch_signer_client *c = ctx;
	const void *f[3] = { person, passphrase, payload };
	size_t l[3] = { strlen(person), strlen(passphrase), len };
	ch_ipc_msg m;
	int error;

	(void)key; /* the signer looks the key up itself */
	pthread_mutex_lock(&c->lock);
	if ((error = ch_ipc_send(c->fd, CH_IPC_SIGN, 0, 3, f, l)) == 0 &&
	    (error = ch_ipc_recv(&m, c->fd, CH_IPC_OK, CH_IPC_ERR, 1)) == 0) {
		if (m.type == CH_IPC_OK) {
			ch_buf_set(sig, m.field[0], m.flen[0]);
		} else {
			error = m.code < 0 ? m.code : CH_ERROR;
			ch_error_setc(error, "%s", m.field[0]);
		}
		ch_ipc_msg_dispose(&m);
	} else if (error == CH_ENOTFOUND) {
		error = ch_error_setc(CH_EIO, "the signer process has gone away");
	}
	pthread_mutex_unlock(&c->lock);
	return error;
}
