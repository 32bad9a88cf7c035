/* session.c -- sessions (random tokens, server-side expiry), CSRF tokens,
 * login throttling per account and address, bounded Argon2id work.
 *
 * A session token is 32 random bytes (hex) handed to the browser once;
 * the server keeps only its SHA-256, so a memory dump or log of the table
 * reveals no usable token, and lookups compare hashes in constant time. */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "server.h"
#include "workflows/store/accounts.h"
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

/* A person holds at most SRV_SESSIONS_PER_PERSON live sessions (cookies and
 * tokens together): a new one ends the oldest, so no account can fill the
 * global table, and a stolen session is ended by logging in a few times. */
static void drop_oldest_locked(srv *s, const char *person)
{
	size_t i, n = 0, oldest = 0;

	for (i = 0; i < s->nsessions; i++)
		if (!strcmp(s->sessions[i].person, person) &&
		    (n++ == 0 || s->sessions[i].created < s->sessions[oldest].created))
			oldest = i;
	if (n < SRV_SESSIONS_PER_PERSON)
		return;
	ch_wipe(&s->sessions[oldest], sizeof(s->sessions[oldest]));
	s->sessions[oldest] = s->sessions[--s->nsessions];
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
	drop_oldest_locked(s, person);
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

/* ---- throttling ----
 *
 * Wrong passwords are counted per account *and* source address, never per
 * account alone, so that a stranger who knows an official's identifier can
 * slow and lock only their own address (issue 18):
 *   p:ACCOUNT ADDR  wrong passwords for one account from one address: the
 *                   first SRV_LOGIN_FREE cost nothing more; each later one
 *                   makes the next try wait 2^(n - SRV_LOGIN_FREE) seconds
 *                   (at most SRV_LOGIN_MAX_DELAY); at SRV_LOGIN_FAILS_PAIR
 *                   the pair is locked for SRV_LOCK_SECONDS. A good
 *                   password from that address clears it.
 *   a:ADDR          wrong passwords from one address, any account: at
 *                   SRV_LOGIN_FAILS_ADDR the address is locked. A good
 *                   password does not clear it (the guesser's own account
 *                   would).
 * A try refused by either is answered at once, without Argon2id work. */

/* Forget entries idle for a day so the table stays small. */
static void throttle_purge(srv *s, time_t now)
{
	size_t i = 0;

	while (i < s->nthrottles)
		if (now - s->throttles[i].last > 86400 && s->throttles[i].until <= now)
			s->throttles[i] = s->throttles[--s->nthrottles];
		else
			i++;
}

/* The slot of the entry used longest ago: a full table forgets it rather
 * than refusing everyone (a full table must not lock officials out). */
static size_t throttle_oldest(const srv *s)
{
	size_t i, o = 0;

	for (i = 1; i < s->nthrottles; i++)
		if (s->throttles[i].last < s->throttles[o].last)
			o = i;
	return o;
}

/* The index of key's entry, created if needed. An index, not a pointer:
 * a later insertion may move the table. */
static size_t throttle_idx(srv *s, const char *key, time_t now)
{
	size_t i;

	for (i = 0; i < s->nthrottles; i++)
		if (!strcmp(s->throttles[i].key, key))
			return i;
	if (s->nthrottles >= SRV_MAX_THROTTLES) {
		i = throttle_oldest(s);
	} else {
		s->throttles = ch_realloc(s->throttles, (s->nthrottles + 1) * sizeof(*s->throttles));
		i = s->nthrottles++;
	}
	memset(&s->throttles[i], 0, sizeof(*s->throttles));
	snprintf(s->throttles[i].key, sizeof(s->throttles[0].key), "%s", key);
	s->throttles[i].last = now;
	return i;
}

static void keys(char *pair, char *addr, size_t size, const char *person, const char *ip)
{
	snprintf(pair, size, "p:%.64s %.46s", person ? person : "", ip);
	snprintf(addr, size, "a:%.46s", ip);
}

int srv_throttle_check(srv *s, const char *person, const char *addr)
{
	char kp[128], ka[128];
	time_t now = time(NULL);
	size_t p, a;
	int locked;

	keys(kp, ka, sizeof(kp), person, addr);
	pthread_mutex_lock(&s->lock);
	throttle_purge(s, now);
	p = throttle_idx(s, kp, now);
	a = throttle_idx(s, ka, now);
	locked = s->throttles[p].until > now || s->throttles[a].until > now;
	pthread_mutex_unlock(&s->lock);
	return locked ? CH_EDENIED : 0;
}

/* How long the pair waits after its n-th wrong password. */
static time_t pair_wait(unsigned n)
{
	if (n >= SRV_LOGIN_FAILS_PAIR)
		return SRV_LOCK_SECONDS;
	if (n < SRV_LOGIN_FREE)
		return 0;
	n -= SRV_LOGIN_FREE;
	return n >= 6 || ((time_t)1 << n) > SRV_LOGIN_MAX_DELAY ? SRV_LOGIN_MAX_DELAY : (time_t)1 << n;
}

void srv_throttle_result(srv *s, const char *person, const char *addr, int ok)
{
	char kp[128], ka[128];
	time_t now = time(NULL);
	srv_throttle *t;

	keys(kp, ka, sizeof(kp), person, addr);
	pthread_mutex_lock(&s->lock);
	t = &s->throttles[throttle_idx(s, kp, now)];
	t->last = now;
	if (ok) {
		t->fails = 0;
		t->until = 0;
	} else {
		t->fails++;
		t->until = now + pair_wait(t->fails);
		if (t->fails >= SRV_LOGIN_FAILS_PAIR)
			t->fails = 0;
	}
	t = &s->throttles[throttle_idx(s, ka, now)];
	t->last = now;
	if (!ok && ++t->fails >= SRV_LOGIN_FAILS_ADDR) {
		t->until = now + SRV_LOCK_SECONDS;
		t->fails = 0;
	}
	pthread_mutex_unlock(&s->lock);
}

/* The Argon2id work of logins is bounded: at most SRV_LOGIN_HASHES at once
 * (each holds 46 MiB and ~90 ms of a core); a login beyond them is
 * answered at once (503), so that a flood of logins leaves the workers and
 * cores to the pages of people already logged in. */
int srv_login_check(srv_ctx *x, const char *person, const char *password)
{
	srv *s = x->s;
	int error;

	if (srv_throttle_check(s, person, x->addr) < 0)
		return ch_error_setc(CH_EDENIED, "too many failed logins: try again later");
	pthread_mutex_lock(&s->lock);
	if (s->hashing >= SRV_LOGIN_HASHES) {
		pthread_mutex_unlock(&s->lock);
		return ch_error_setc(CH_ELOCKED, "the server is busy with other logins: try again "
		                     "in a second");
	}
	s->hashing++;
	pthread_mutex_unlock(&s->lock);
	error = ch_accounts_check(x->site, person, password);
	pthread_mutex_lock(&s->lock);
	s->hashing--;
	pthread_mutex_unlock(&s->lock);
	srv_throttle_result(s, person, x->addr, error == 0);
	return error < 0 ? ch_error_setc(CH_EAUTH, "wrong identifier or password") : 0;
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
