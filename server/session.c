/* session.c -- sessions (random tokens, server-side expiry), CSRF tokens,
 * login throttling per account and per address.
 *
 * A session token is 32 random bytes (hex) handed to the browser once;
 * the server keeps only its SHA-256, so a memory dump or log of the table
 * reveals no usable token, and lookups compare hashes in constant time. */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "server.h"
#include "util/common.h"

static void token_hash(unsigned char out[32], const char *token)
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, token, strlen(token));
}

static void expire_locked(srv *s, time_t now)
{
	size_t i = 0;

	while (i < s->nsessions) {
		srv_session *e = &s->sessions[i];

		if (now - e->seen > SRV_SESSION_IDLE || now - e->created > SRV_SESSION_MAX) {
			ch_wipe(e, sizeof(*e));
			s->sessions[i] = s->sessions[--s->nsessions];
		} else {
			i++;
		}
	}
}

int srv_session_create(srv *s, char *token_out, size_t size, const char *person, int api,
                       int lang_en)
{
	ch_buf tok = CH_BUF_INIT, csrf = CH_BUF_INIT;
	srv_session e;
	time_t now = time(NULL);
	int error = 0;

	if (size < 65)
		return ch_error_setc(CH_EINVALID, "token buffer too small");
	memset(&e, 0, sizeof(e));
	ch_random_hex(&tok, 32);
	ch_random_hex(&csrf, 32);
	token_hash(e.id_hash, tok.ptr);
	snprintf(e.person, sizeof(e.person), "%s", person);
	memcpy(e.csrf, csrf.ptr, 64);
	e.created = e.seen = now;
	e.api = api;
	e.lang_en = lang_en;
	pthread_mutex_lock(&s->lock);
	expire_locked(s, now);
	if (s->nsessions >= SRV_MAX_SESSIONS) {
		error = ch_error_setc(CH_EDENIED, "too many open sessions; try again later");
	} else {
		s->sessions = ch_realloc(s->sessions, (s->nsessions + 1) * sizeof(*s->sessions));
		s->sessions[s->nsessions++] = e;
	}
	pthread_mutex_unlock(&s->lock);
	if (!error)
		memcpy(token_out, tok.ptr, 65);
	ch_wipe(&e, sizeof(e));
	ch_buf_dispose_secret(&tok);
	ch_buf_dispose_secret(&csrf);
	return error;
}

static int valid_token(const char *token)
{
	size_t i;

	if (strlen(token) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
			return 0;
	return 1;
}

int srv_session_find(srv *s, srv_session *out, const char *token)
{
	unsigned char h[32];
	time_t now = time(NULL);
	size_t i;
	int found = 0;

	if (!valid_token(token))
		return CH_ENOTFOUND;
	token_hash(h, token);
	pthread_mutex_lock(&s->lock);
	expire_locked(s, now);
	for (i = 0; i < s->nsessions; i++)
		if (ch_ct_memeq(s->sessions[i].id_hash, h, 32)) {
			s->sessions[i].seen = now;
			*out = s->sessions[i];
			found = 1;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return found ? 0 : CH_ENOTFOUND;
}

void srv_session_destroy(srv *s, const char *token)
{
	unsigned char h[32];
	size_t i;

	if (!valid_token(token))
		return;
	token_hash(h, token);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nsessions; i++)
		if (ch_ct_memeq(s->sessions[i].id_hash, h, 32)) {
			ch_wipe(&s->sessions[i], sizeof(s->sessions[i]));
			s->sessions[i] = s->sessions[--s->nsessions];
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

/* ---- throttling ---- */

/* Forget entries idle for a day so the table stays small. */
static void throttle_purge(srv *s, time_t now)
{
	size_t i = 0;

	while (i < s->nthrottles)
		if (now - s->throttles[i].last > 86400)
			s->throttles[i] = s->throttles[--s->nthrottles];
		else
			i++;
}

/* The index of key's entry, created if needed; -1 when the table is full.
 * An index, not a pointer: a later insertion may move the table. */
static long throttle_idx(srv *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nthrottles; i++)
		if (!strcmp(s->throttles[i].key, key))
			return (long)i;
	if (s->nthrottles >= 100000)
		return -1;
	s->throttles = ch_realloc(s->throttles, (s->nthrottles + 1) * sizeof(*s->throttles));
	memset(&s->throttles[s->nthrottles], 0, sizeof(*s->throttles));
	snprintf(s->throttles[s->nthrottles].key, sizeof(s->throttles[0].key), "%s", key);
	return (long)s->nthrottles++;
}

static void keys(char *acct, char *addr, size_t size, const char *person, const char *ip)
{
	snprintf(acct, size, "u:%.70s", person ? person : "");
	snprintf(addr, size, "a:%.70s", ip);
}

int srv_throttle_check(srv *s, const char *person, const char *addr)
{
	char ka[80], kb[80];
	time_t now = time(NULL);
	long a, b;
	int locked;

	keys(ka, kb, sizeof(ka), person, addr);
	pthread_mutex_lock(&s->lock);
	throttle_purge(s, now);
	a = throttle_idx(s, ka);
	b = throttle_idx(s, kb);
	locked = a < 0 || b < 0 || s->throttles[a].until > now || s->throttles[b].until > now;
	pthread_mutex_unlock(&s->lock);
	return locked ? CH_EDENIED : 0;
}

void srv_throttle_result(srv *s, const char *person, const char *addr, int ok)
{
	char k[2][80];
	time_t now = time(NULL);
	unsigned limit[2] = { SRV_LOGIN_FAILS_ACCOUNT, SRV_LOGIN_FAILS_ADDR };
	long idx[2];
	int i;

	keys(k[0], k[1], sizeof(k[0]), person, addr);
	pthread_mutex_lock(&s->lock);
	idx[0] = throttle_idx(s, k[0]);
	idx[1] = throttle_idx(s, k[1]);
	for (i = 0; i < 2; i++) {
		srv_throttle *t;

		if (idx[i] < 0)
			continue;
		t = &s->throttles[idx[i]];
		t->last = now;
		if (ok && i == 0) {
			t->fails = 0;
			continue;
		}
		if (!ok && ++t->fails >= limit[i]) {
			t->until = now + SRV_LOCK_SECONDS;
			t->fails = 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

/* A browser's request comes from our own pages: its Origin (when sent) is
 * ours, and Sec-Fetch-Site (when sent) is same-origin or none. The login
 * form has no session yet, so this is all it can check (a cross-site POST
 * would log the victim in as the attacker). */
int srv_origin_ok(const srv_ctx *x)
{
	const char *origin = srv_header(x, "Origin");
	const char *fetch = srv_header(x, "Sec-Fetch-Site");

	if (fetch && strcmp(fetch, "same-origin") && strcmp(fetch, "none"))
		return 0;
	if (origin && x->s->origin && strcmp(origin, x->s->origin))
		return 0;
	return 1;
}

/* A state-changing form carries the session's CSRF token, and comes from
 * our own pages (srv_origin_ok). */
int srv_csrf_ok(const srv_ctx *x)
{
	const char *token = srv_field_get(x->r, "csrf");

	if (!x->logged_in || !token || strlen(token) != 64 || !srv_origin_ok(x))
		return 0;
	return ch_ct_memeq(token, x->sess.csrf, 64);
}
