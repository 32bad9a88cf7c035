/* signer.c -- the signer process and its client.
 *
 * The signer answers two typed requests (server/ipc.h) and nothing else,
 * each rate-limited so that a network process taken over cannot use it as
 * an oracle at full speed: CH_IPC_SIGN at most SIGNER_SIGNS_PER_MINUTE
 * per person (a wrong passphrase counts: gpg-agent's S2K is the only other
 * brake on guessing), CH_IPC_KEYGEN only for a person who holds no key yet
 * (it can never replace a person's key in site.json) and at most
 * SIGNER_KEYGENS_PER_HOUR in all. It opens site.json and the GnuPG home,
 * never the repository (ch_site_open_keys). */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "signer.h"
#include "util/text.h"
#include "workflows/site.h"
#include "workflows/sitelog.h"
#include "workflows/store/keyguard.h"
#include "workflows/classify/gate.h"
#include "util/common.h"

#define SIGNER_SIGNS_PER_MINUTE 30
#define SIGNER_KEYGENS_PER_HOUR 30
#define SIGNER_LOG_FACTOR 40 /* site log entries: 1,200 a minute */
#define SIGNER_PEOPLE 4096 /* people tracked; the longest idle is forgotten */

typedef struct {
	char person[65];
	time_t window; /* start of the current minute */
	unsigned n;
} signer_rate;

static signer_rate rates[SIGNER_PEOPLE];
static time_t keygen_window;
static unsigned keygen_n;

/* The rate; a test build may raise it (CHANCERY_TEST_SIGNS_PER_MINUTE) for
 * a test that records many steps as one person in a minute. */
static unsigned signs_per_minute(void)
{
#ifdef CH_TEST_HOOKS
	const char *v = getenv("CHANCERY_TEST_SIGNS_PER_MINUTE");

	if (v && *v && strlen(v) < 7 && strspn(v, "0123456789") == strlen(v))
		return (unsigned)atoi(v);
#endif
	return SIGNER_SIGNS_PER_MINUTE;
}

/* 1 if `person` may sign once more now (counted), 0 if over the rate
 * (times `factor`: the site log's entries, one per accepted update, are
 * allowed SIGNER_LOG_FACTOR times a person's rate). */
static int sign_allowed(const char *person, time_t now, unsigned factor)
{
	size_t i, slot = 0;

	for (i = 0; i < SIGNER_PEOPLE; i++) {
		if (!strcmp(rates[i].person, person)) {
			slot = i;
			break;
		}
		if (rates[i].window < rates[slot].window)
			slot = i;
	}
	if (i == SIGNER_PEOPLE) {
		memset(&rates[slot], 0, sizeof(rates[slot]));
		snprintf(rates[slot].person, sizeof(rates[slot].person), "%s", person);
	}
	if (now - rates[slot].window >= 60) {
		rates[slot].window = now;
		rates[slot].n = 0;
	}
	return ++rates[slot].n <= signs_per_minute() * factor;
}

static int keygen_allowed(time_t now)
{
	if (now - keygen_window >= 3600) {
		keygen_window = now;
		keygen_n = 0;
	}
	return ++keygen_n <= SIGNER_KEYGENS_PER_HOUR;
}

static int reply_err(int fd, int code, const char *msg)
{
	const void *f[1] = { msg };
	size_t l[1] = { strlen(msg) };

	return ch_ipc_send(fd, CH_IPC_ERR, code, 1, f, l);
}

/* An error after the key guard counted a wrong passphrase: the event's
 * rule goes with it, for the network process to record in state/ (which
 * the signer, as the keys user, cannot open). */
static int reply_err_event(int fd, ch_site *site, int code, const char *msg)
{
	const char *ev = site->key_event;
	const void *f[2] = { msg, ev };
	size_t l[2] = { strlen(msg), ev ? strlen(ev) : 0 };

	site->key_event = NULL;
	return ch_ipc_send(fd, CH_IPC_ERR, code, ev ? 2 : 1, f, l);
}

/* The network process's side: record the relayed event (one of the key
 * guard's two rules, nothing else) for `person`. */
static void record_event(const ch_signer_client *c, const ch_ipc_msg *m, const char *person)
{
	ch_site at;

	if (m->nfields != 2 || !c->site_path ||
	    (strcmp(m->field[1], "wrong-passphrase") && strcmp(m->field[1], "key-locked")))
		return;
	memset(&at, 0, sizeof(at));
	at.path = (char *)c->site_path; /* ch_gate_event reads no more than the path */
	at.write_fd = -1;
	ch_gate_event(&at, "signing key", person, m->field[1], "unclassified");
}

/* The site log's entries (workflows/sitelog.h), signed with the site's own
 * key: only a well-formed entry of this site, never any other payload, so
 * the key is no oracle for steps or anything else. No passphrase (the
 * key has none: this home's permissions protect it), no person's rate:
 * one entry follows each accepted update. */
static int reply_sig(int fd, int error, const ch_buf *sig)
{
	const void *f[1] = { sig->ptr };
	size_t l[1] = { sig->size };

	return error < 0 ? reply_err(fd, error, ch_error_last()) :
	                   ch_ipc_send(fd, CH_IPC_OK, 0, 1, f, l);
}

static int handle_log_sign(int fd, ch_site *site, const ch_ipc_msg *m)
{
	ch_buf sig = CH_BUF_INIT;
	int error;

	if (m->flen[1] != 0)
		return ch_error_setc(CH_EINVALID, "signer: malformed log sign request");
	if (!sign_allowed(CH_LOG_SIGNER, time(NULL), SIGNER_LOG_FACTOR))
		return reply_err(fd, CH_EDENIED, "too many site log entries asked for: wait a minute");
	if ((error = ch_site_reload_config(site)) == 0)
		error = ch_log_sign_guarded(&sig, site, m->field[2], m->flen[2], 0);
	error = reply_sig(fd, error, &sig);
	ch_buf_dispose(&sig);
	return error;
}

static int handle_sign(int fd, ch_site *site, const ch_ipc_msg *m)
{
	const char *person = m->field[0], *pass = m->field[1];
	ch_buf sig = CH_BUF_INIT;
	ch_keyinfo key;
	int error;

	if (m->flen[0] == strlen(CH_LOG_SIGNER) && !strcmp(person, CH_LOG_SIGNER))
		return handle_log_sign(fd, site, m);
	if (m->flen[0] != strlen(person) || !ch_valid_person_id(person) ||
	    m->flen[1] != strlen(pass) || !m->flen[1])
		return ch_error_setc(CH_EINVALID, "signer: malformed sign request");
	if (!sign_allowed(person, time(NULL), 1))
		return reply_err(fd, CH_EDENIED, "too many signatures asked for this person: wait a "
		                 "minute");
	/* site.json may have gained people since start: read it again. */
	site->key_event = NULL;
	if ((error = ch_site_reload_config(site)) == 0 &&
	    (error = ch_site_signer(&key, site, person)) == 0)
		error = ch_keyguard_sign(&sig, site, person, &key, pass, m->field[2], m->flen[2]);
	error = error < 0 ? reply_err_event(fd, site, error, ch_error_last()) :
	                    reply_sig(fd, 0, &sig);
	ch_buf_dispose(&sig);
	return error;
}

static int text_field(const ch_ipc_msg *m, size_t i, size_t max)
{
	return m->flen[i] == strlen(m->field[i]) && m->flen[i] <= max;
}

static int handle_keygen(int fd, ch_site *site, const ch_ipc_msg *m)
{
	const char *person = m->field[0], *name = m->field[1], *email = m->field[2];
	const char *algo = m->field[3], *pass = m->field[4];
	ch_buf armored = CH_BUF_INIT;
	ch_keystore *ks;
	ch_keyinfo key;
	char algo_s[16];
	int error, i;

	for (i = 0; i < 5; i++)
		if (!text_field(m, (size_t)i, 1024))
			return ch_error_setc(CH_EINVALID, "signer: malformed keygen request");
	if (!ch_valid_person_id(person) || !ch_valid_line(name, 200) || !pass[0])
		return reply_err(fd, CH_EINVALID, "malformed person, name or passphrase");
	if (ch_site_reload_config(site) == 0 && ch_site_signer(&key, site, person) == 0)
		return reply_err(fd, CH_EDENIED, "this person holds a key already: the signer makes "
		                 "keys only for people who have none");
	if (!keygen_allowed(time(NULL)))
		return reply_err(fd, CH_EDENIED, "too many keys made this hour: try again later");
	if ((error = ch_site_keystore(&ks, site)) < 0 ||
	    (error = ch_keystore_create_key(&key, ks, name, email, algo[0] ? algo : NULL, pass)) < 0 ||
	    (error = ch_keystore_export(&armored, ks, key.fpr)) < 0 ||
	    (error = ch_site_reload_config(site)) < 0 ||
	    (error = ch_site_set_signer(site, person, &key)) < 0) {
		error = reply_err(fd, error, ch_error_last());
	} else {
		const void *f[5] = { key.fpr, key.signing_fpr, key.keygrip, algo_s, armored.ptr };
		size_t l[5];

		snprintf(algo_s, sizeof(algo_s), "%d", key.pk_algo);
		for (i = 0; i < 4; i++)
			l[i] = strlen(f[i]);
		l[4] = armored.size;
		error = ch_ipc_send(fd, CH_IPC_OK, 0, 5, f, l);
	}
	ch_buf_dispose(&armored);
	return error;
}

/* The official changes their signing passphrase (or sets it at enrolment,
 * the old one being the enrolment code the key was made with). Counted
 * like a signature: a locked key changes nothing. */
static int handle_passwd(int fd, ch_site *site, const ch_ipc_msg *m)
{
	const char *person = m->field[0], *old = m->field[1], *nw = m->field[2];
	ch_keyinfo key;
	int error, i;

	for (i = 0; i < 3; i++)
		if (!text_field(m, (size_t)i, 1024))
			return ch_error_setc(CH_EINVALID, "signer: malformed passwd request");
	if (!ch_valid_person_id(person))
		return reply_err(fd, CH_EINVALID, "malformed person");
	site->key_event = NULL;
	if ((error = ch_site_reload_config(site)) < 0 ||
	    (error = ch_site_signer(&key, site, person)) < 0 ||
	    (error = ch_keyguard_passwd(site, person, &key, old, nw)) < 0)
		return reply_err_event(fd, site, error, ch_error_last());
	return ch_ipc_send(fd, CH_IPC_OK, 0, 0, NULL, NULL);
}

int ch_signer_main(int fd, const char *site_path)
{
	ch_site *site = NULL;
	ch_ipc_msg m;
	int rc;

	if (ch_site_open_keys(&site, site_path) < 0)
		return 1;
	site->relay_events = 1;
	for (;;) {
		rc = ch_ipc_recv(&m, fd, CH_IPC_SIGN, CH_IPC_PASSWD, 0);
		if (rc == 0 && m.type == CH_IPC_SIGN && m.nfields == 3)
			rc = handle_sign(fd, site, &m);
		else if (rc == 0 && m.type == CH_IPC_KEYGEN && m.nfields == 5)
			rc = handle_keygen(fd, site, &m);
		else if (rc == 0 && m.type == CH_IPC_PASSWD && m.nfields == 3)
			rc = handle_passwd(fd, site, &m);
		else if (rc == 0)
			rc = ch_error_setc(CH_EINVALID, "signer: unexpected request type %u", m.type);
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
	    (error = ch_ipc_recv(&m, c->fd, CH_IPC_OK, CH_IPC_ERR, 0)) == 0) {
		if (m.type == CH_IPC_OK && m.nfields == 1) {
			ch_buf_set(sig, m.field[0], m.flen[0]);
		} else if (m.type == CH_IPC_OK || m.nfields < 1 || m.nfields > 2) {
			error = ch_error_setc(CH_EIO, "the signer sent a malformed reply");
		} else {
			record_event(c, &m, person);
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

int ch_signer_client_keygen(ch_keyinfo *key, ch_buf *armored, const char *person,
                            const char *name, const char *email, const char *algo,
                            const char *passphrase, void *ctx)
{
	ch_signer_client *c = ctx;
	const void *f[5] = { person, name, email, algo ? algo : "", passphrase };
	size_t l[5], i;
	ch_ipc_msg m;
	int error;

	for (i = 0; i < 5; i++)
		l[i] = strlen(f[i]);
	memset(key, 0, sizeof(*key));
	pthread_mutex_lock(&c->lock);
	if ((error = ch_ipc_send(c->fd, CH_IPC_KEYGEN, 0, 5, f, l)) == 0 &&
	    (error = ch_ipc_recv(&m, c->fd, CH_IPC_OK, CH_IPC_ERR, 0)) == 0) {
		if (m.type == CH_IPC_OK && m.nfields == 5 && m.flen[0] < sizeof(key->fpr) &&
		    m.flen[1] < sizeof(key->signing_fpr) && m.flen[2] < sizeof(key->keygrip)) {
			memcpy(key->fpr, m.field[0], m.flen[0] + 1);
			memcpy(key->signing_fpr, m.field[1], m.flen[1] + 1);
			memcpy(key->keygrip, m.field[2], m.flen[2] + 1);
			key->pk_algo = atoi(m.field[3]);
			ch_buf_set(armored, m.field[4], m.flen[4]);
		} else if (m.type == CH_IPC_ERR && m.nfields == 1) {
			error = m.code < 0 ? m.code : CH_ERROR;
			ch_error_setc(error, "%s", m.field[0]);
		} else {
			error = ch_error_setc(CH_EIO, "the signer sent a malformed reply");
		}
		ch_ipc_msg_dispose(&m);
	} else if (error == CH_ENOTFOUND) {
		error = ch_error_setc(CH_EIO, "the signer process has gone away");
	}
	pthread_mutex_unlock(&c->lock);
	return error;
}

int ch_signer_client_passwd(const char *person, const char *old_pass, const char *new_pass,
                            void *ctx)
{
	ch_signer_client *c = ctx;
	const void *f[3] = { person, old_pass, new_pass };
	size_t l[3] = { strlen(person), strlen(old_pass), strlen(new_pass) };
	ch_ipc_msg m;
	int error;

	pthread_mutex_lock(&c->lock);
	if ((error = ch_ipc_send(c->fd, CH_IPC_PASSWD, 0, 3, f, l)) == 0 &&
	    (error = ch_ipc_recv(&m, c->fd, CH_IPC_OK, CH_IPC_ERR, 0)) == 0) {
		if (m.type == CH_IPC_ERR && (m.nfields == 1 || m.nfields == 2)) {
			record_event(c, &m, person);
			error = m.code < 0 ? m.code : CH_ERROR;
			ch_error_setc(error, "%s", m.field[0]);
		} else if (m.type != CH_IPC_OK) {
			error = ch_error_setc(CH_EIO, "the signer sent a malformed reply");
		}
		ch_ipc_msg_dispose(&m);
	} else if (error == CH_ENOTFOUND) {
		error = ch_error_setc(CH_EIO, "the signer process has gone away");
	}
	pthread_mutex_unlock(&c->lock);
	return error;
}
