/* keycache.c -- the step engine's unlocked-key cache: see keycache.h.
 *
 * The signature made here is the one gpg-agent makes (agent/pksign.c, for
 * a key in a file): the digest goes into
 * (data(flags eddsa)(hash-algo sha512)(value DIGEST)), libgcrypt's
 * gcry_pk_sign signs it with the private-key S-expression, and the result
 * is written as a canonical S-expression, as PKSIGN answers it. Ed25519 is
 * deterministic, so both give the same bytes (tests/unit/test_keycache.c). */
#include <errno.h>
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/keycache.h"
#include "crypto/pgp.h"
#include "util/common.h"

#define MAC_KEY_LEN 32
#define VERIFIER_LEN 32

typedef struct {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns, ctime_ns;
} file_id;

typedef struct {
	char grip[41];                       /* upper-case hex; "" when free */
	gcry_sexp_t key;                     /* secure memory */
	unsigned char verifier[VERIFIER_LEN]; /* HMAC(mac_key, passphrase) */
	long long unlocked_ms;               /* CLOCK_BOOTTIME: counts suspend */
	file_id file;
} entry;

struct ch_keycache {
	unsigned char *mac_key; /* secure memory, MAC_KEY_LEN */
	long ttl;               /* seconds; 0: off */
	entry e[CH_KEYCACHE_MAX];
	ch_keycache_stats stats;
};

static long long boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long ttl_from_env(void)
{
	const char *s = getenv("CHANCERY_KEYCACHE_TTL");
	char *end;
	long v;

	if (!s || !*s)
		return CH_KEYCACHE_TTL_DEFAULT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0)
		return CH_KEYCACHE_TTL_DEFAULT;
	return v > CH_KEYCACHE_TTL_MAX ? CH_KEYCACHE_TTL_MAX : v;
}

int ch_keycache_new(ch_keycache **out, long ttl_seconds)
{
	ch_keycache *kc;
	int error;

	*out = NULL;
	if ((error = ch_crypto_init()) < 0)
		return error;
	kc = ch_calloc(1, sizeof(*kc));
	kc->ttl = ttl_seconds < 0 ? ttl_from_env() :
	          ttl_seconds > CH_KEYCACHE_TTL_MAX ? CH_KEYCACHE_TTL_MAX : ttl_seconds;
	if (!(kc->mac_key = gcry_malloc_secure(MAC_KEY_LEN))) {
		free(kc);
		return ch_error_setc(CH_EIO, "out of secure memory for the key cache");
	}
	gcry_randomize(kc->mac_key, MAC_KEY_LEN, GCRY_STRONG_RANDOM);
	*out = kc;
	return 0;
}

static void evict(ch_keycache *kc, entry *e)
{
	gcry_sexp_release(e->key); /* libgcrypt wipes secure memory it frees */
	ch_wipe(e, sizeof(*e));
	kc->stats.evictions++;
}

void ch_keycache_clear(ch_keycache *kc)
{
	size_t i;

	if (!kc)
		return;
	for (i = 0; i < CH_KEYCACHE_MAX; i++)
		if (kc->e[i].grip[0])
			evict(kc, &kc->e[i]);
}

void ch_keycache_free(ch_keycache *kc)
{
	if (!kc)
		return;
	ch_keycache_clear(kc);
	ch_wipe(kc->mac_key, MAC_KEY_LEN);
	gcry_free(kc->mac_key);
	ch_wipe(kc, sizeof(*kc));
	free(kc);
}

long ch_keycache_ttl(const ch_keycache *kc)
{
	return kc ? kc->ttl : 0;
}

size_t ch_keycache_size(const ch_keycache *kc)
{
	size_t i, n = 0;

	for (i = 0; kc && i < CH_KEYCACHE_MAX; i++)
		n += kc->e[i].grip[0] != '\0';
	return n;
}

void ch_keycache_get_stats(ch_keycache_stats *out, const ch_keycache *kc)
{
	if (kc)
		*out = kc->stats;
	else
		memset(out, 0, sizeof(*out));
}

/* The agent's key file as it is now; -1 when it cannot be read. */
static int key_file_id(file_id *out, const ch_keystore *ks, const char *grip)
{
	ch_buf path = CH_BUF_INIT;
	struct stat st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ch_keystore_key_path(&path, ks, grip) == 0 && stat(path.ptr, &st) == 0) {
		out->dev = st.st_dev;
		out->ino = st.st_ino;
		out->size = st.st_size;
		out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		out->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
		rc = 0;
	}
	ch_buf_dispose(&path);
	return rc;
}

static int same_file(const file_id *a, const file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

static entry *find(ch_keycache *kc, const char *grip)
{
	size_t i;

	for (i = 0; i < CH_KEYCACHE_MAX; i++)
		if (kc->e[i].grip[0] && !strcmp(kc->e[i].grip, grip))
			return &kc->e[i];
	return NULL;
}

/* A free slot, evicting the oldest entry when there is none. */
static entry *slot(ch_keycache *kc)
{
	entry *oldest = NULL;
	size_t i;

	for (i = 0; i < CH_KEYCACHE_MAX; i++) {
		if (!kc->e[i].grip[0])
			return &kc->e[i];
		if (!oldest || kc->e[i].unlocked_ms < oldest->unlocked_ms)
			oldest = &kc->e[i];
	}
	evict(kc, oldest);
	return oldest;
}

/* An Ed25519 private key, and the one asked for (its keygrip). */
static int is_ed25519_for(gcry_sexp_t key, const char *grip)
{
	unsigned char bin[20];
	char hex[41];
	gcry_sexp_t d;
	const char *curve = gcry_pk_get_curve(key, 0, NULL);
	size_t i;

	if (!curve || strcmp(curve, "Ed25519") || !(d = gcry_sexp_find_token(key, "d", 1)))
		return 0;
	gcry_sexp_release(d);
	if (!gcry_pk_get_keygrip(key, bin))
		return 0;
	for (i = 0; i < 20; i++) {
		hex[2 * i] = "0123456789ABCDEF"[bin[i] >> 4];
		hex[2 * i + 1] = "0123456789ABCDEF"[bin[i] & 15];
	}
	hex[40] = '\0';
	return !strcmp(hex, grip);
}

/* What agent/pksign.c does for an EdDSA key in a file. */
static int sign_in_process(ch_buf *sigval, gcry_sexp_t key, const unsigned char *digest,
                           size_t digest_len)
{
	gcry_sexp_t data = NULL, sig = NULL;
	gcry_error_t gerr;
	size_t n;
	int error = 0;

	gerr = gcry_sexp_build(&data, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))",
	                       (int)digest_len, digest);
	if (!gerr)
		gerr = gcry_pk_sign(&sig, data, key);
	if (gerr) {
		error = ch_error_setc(CH_EIO, "cannot sign with the unlocked key: %s",
		                      gcry_strerror(gerr));
		goto done;
	}
	/* Asked for its size, sprint counts a terminating NUL; writing, it
	 * returns the bytes written without one. */
	n = gcry_sexp_sprint(sig, GCRYSEXP_FMT_CANON, NULL, 0);
	ch_buf_clear(sigval);
	ch_buf_grow(sigval, n);
	if (n == 0 || (n = gcry_sexp_sprint(sig, GCRYSEXP_FMT_CANON, sigval->ptr, n)) == 0) {
		error = ch_error_setc(CH_EIO, "cannot write the signature S-expression");
		goto done;
	}
	sigval->size = n;
	sigval->ptr[n] = '\0';
done:
	gcry_sexp_release(data);
	gcry_sexp_release(sig);
	return error;
}

/* The digest signer: grip normalised, passphrase checked by the caller. */
static int cached_signer(ch_buf *sigval, ch_keystore *ks, const char *grip, int pk_algo,
                         const unsigned char *digest, size_t digest_len,
                         const char *passphrase, void *ctx)
{
	ch_keycache *kc = ctx;
	unsigned char verifier[VERIFIER_LEN];
	gcry_sexp_t key = NULL;
	file_id now;
	entry *e;
	int error;

	if (pk_algo != CH_PGP_PK_EDDSA || kc->ttl == 0)
		return ch_keystore_sign_digest(sigval, ks, grip, digest, digest_len, passphrase);
	if (ch_hmac_sha256(verifier, kc->mac_key, MAC_KEY_LEN, passphrase,
	                   strlen(passphrase)) < 0) {
		/* No verifier (the secure pool is full): no cache this time. */
		if ((e = find(kc, grip)))
			evict(kc, e);
		return ch_keystore_sign_digest(sigval, ks, grip, digest, digest_len, passphrase);
	}
	if (key_file_id(&now, ks, grip) < 0) {
		/* No key file to watch (gone, or not where the agent keeps
		 * it): nothing cached, the agent says what is wrong. */
		if ((e = find(kc, grip)))
			evict(kc, e);
		error = ch_keystore_sign_digest(sigval, ks, grip, digest, digest_len, passphrase);
		goto done;
	}
	if ((e = find(kc, grip))) {
		/* Evict before asking the agent: a wrong passphrase costs the
		 * agent's S2K, and the right one after it too. */
		if (!same_file(&e->file, &now) ||
		    boot_ms() - e->unlocked_ms >= (long long)kc->ttl * 1000 ||
		    boot_ms() < e->unlocked_ms ||
		    !ch_ct_memeq(e->verifier, verifier, VERIFIER_LEN)) {
			evict(kc, e);
			e = NULL;
		}
	}
	if (e) {
		kc->stats.hits++;
		if ((error = sign_in_process(sigval, e->key, digest, digest_len)) < 0) {
			evict(kc, e); /* never again from that entry; the agent signs */
			error = ch_keystore_sign_digest(sigval, ks, grip, digest, digest_len,
			                                passphrase);
		}
		goto done;
	}
	error = ch_keystore_export_secret(&key, ks, grip, passphrase);
	if (error == CH_EIO) {
		/* Whatever failed here (the secure pool full, an agent that
		 * will not export), PKSIGN may still sign: the cache must never
		 * refuse what the agent would do. */
		error = ch_keystore_sign_digest(sigval, ks, grip, digest, digest_len, passphrase);
		goto done;
	}
	if (error < 0)
		goto done;
	if (!is_ed25519_for(key, grip)) {
		/* Not what we expected to cache: the agent signs, as always. */
		gcry_sexp_release(key);
		key = NULL;
		error = ch_keystore_sign_digest(sigval, ks, grip, digest, digest_len, passphrase);
		goto done;
	}
	e = slot(kc);
	memcpy(e->grip, grip, sizeof(e->grip));
	e->key = key;
	key = NULL;
	memcpy(e->verifier, verifier, VERIFIER_LEN);
	e->unlocked_ms = boot_ms();
	e->file = now;
	kc->stats.unlocks++;
	if ((error = sign_in_process(sigval, e->key, digest, digest_len)) < 0) {
		evict(kc, e);
		error = ch_keystore_sign_digest(sigval, ks, grip, digest, digest_len, passphrase);
	}
done:
	gcry_sexp_release(key);
	ch_wipe(verifier, sizeof(verifier));
	return error;
}

int ch_keystore_sign_cached(ch_buf *out, ch_keystore *ks, ch_keycache *kc,
                            const ch_keyinfo *key, const char *passphrase,
                            const void *payload, size_t len)
{
	if (!kc || kc->ttl == 0 || key->pk_algo != CH_PGP_PK_EDDSA)
		return ch_keystore_sign(out, ks, key, passphrase, payload, len);
	return ch_keystore_sign_with(out, ks, key, passphrase, payload, len, cached_signer, kc);
}

int ch_keycache_sign_digest(ch_buf *sigval, ch_keystore *ks, ch_keycache *kc,
                            const char *keygrip, const unsigned char *digest,
                            size_t digest_len, const char *passphrase)
{
	char grip[41];
	size_t i;

	for (i = 0; i < 40 && keygrip[i]; i++) {
		char c = keygrip[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			break;
		grip[i] = (char)(c >= 'a' ? c - 'a' + 'A' : c);
	}
	grip[i] = '\0';
	if (i != 40 || keygrip[40] != '\0')
		return ch_error_setc(CH_EINVALID, "keygrip \"%.60s\" is not 40 hex digits", keygrip);
	if (!*passphrase)
		return ch_error_setc(CH_EINVALID, "the signing passphrase is empty");
	return cached_signer(sigval, ks, grip, CH_PGP_PK_EDDSA, digest, digest_len, passphrase,
	                     kc);
}
