/* test_keycache.c -- the step engine's unlocked-key cache (crypto/keycache.c)
 * against gpg-agent: the same signature bytes both ways, signatures that
 * ch_pgp_verify and stock gpg accept, a wrong passphrase refused and
 * evicting the key, expiry, a changed key file, the cache off.
 *
 * Everything runs in a fresh temporary GnuPG home; its agent is killed at
 * the end. gpg-agent's EXPORT_KEY exchanges are counted by the keystore
 * (ch_keystore_exports): a signature that went to the agent for the key
 * shows there, one made from the cache does not. */
#include <fcntl.h>
#include <gcrypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/keycache.h"
#include "crypto/keystore.h"
#include "crypto/pgp.h"
#include "util/fs.h"
#include "util/common.h"

#define WRONG "correct horse battery staple 8"

#include "keystore_fixture.h"

static int group_setup(void **state)
{
	(void)state;
	unsetenv("CHANCERY_KEYCACHE_TTL");
	return fixture_setup("/tmp/ch-keycache.XXXXXX", "gnupg");
}

static void digest_of(unsigned char d[32], const char *text)
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, text, strlen(text));
}

/* The exported key: the one asked for, Ed25519, in secure memory. */
static void test_export_secret(void **state)
{
	struct gcry_sexp *key = NULL;
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	assert_int_equal(ch_keystore_export_secret(&key, fx.ks, fx.ed.keygrip, PASSPHRASE), 0);
	assert_non_null(key);
	assert_true(gcry_is_secure(key));
	assert_string_equal(gcry_pk_get_curve(key, 0, NULL), "Ed25519");
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);
	gcry_sexp_release(key);

	assert_int_equal(ch_keystore_export_secret(&key, fx.ks, fx.ed.keygrip, WRONG), CH_EAUTH);
	assert_null(key);
	assert_string_equal(ch_error_last(), "wrong signing passphrase");
	assert_int_equal(ch_keystore_export_secret(&key, fx.ks,
	                                           "0123456789ABCDEF0123456789ABCDEF01234567",
	                                           PASSPHRASE), CH_ENOTFOUND);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);
	/* the connection is still good for the agent's own signatures */
	{
		ch_buf sig = CH_BUF_INIT;

		assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, "x", 1), 0);
		ch_buf_dispose(&sig);
	}
}

/* Ed25519 is deterministic: the agent's PKSIGN and the cache give the same
 * S-expression, byte for byte, for the same digest. */
static void test_same_sigval_as_agent(void **state)
{
	ch_buf agent = CH_BUF_INIT, miss = CH_BUF_INIT, hit = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	ch_keycache_stats st;
	unsigned char d[32];
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	digest_of(d, "tờ trình số 12");
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_sign_digest(&agent, fx.ks, fx.ed.keygrip, d, 32, PASSPHRASE),
	                 0);
	assert_int_equal(ch_keycache_sign_digest(&miss, fx.ks, kc, fx.ed.keygrip, d, 32,
	                                         PASSPHRASE), 0);
	assert_int_equal(ch_keycache_sign_digest(&hit, fx.ks, kc, fx.ed.keygrip, d, 32,
	                                         PASSPHRASE), 0);
	assert_true(agent.size > 64);
	assert_memory_equal(agent.ptr, "(7:sig-val(5:eddsa(1:r", 22);
	assert_int_equal(miss.size, agent.size);
	assert_memory_equal(miss.ptr, agent.ptr, agent.size);
	assert_int_equal(hit.size, agent.size);
	assert_memory_equal(hit.ptr, agent.ptr, agent.size);
	ch_keycache_get_stats(&st, kc);
	assert_int_equal(st.unlocks, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);
	assert_int_equal(ch_keycache_size(kc), 1);

	/* another digest: still the agent's bytes */
	digest_of(d, "công văn 7");
	assert_int_equal(ch_keystore_sign_digest(&agent, fx.ks, fx.ed.keygrip, d, 32, PASSPHRASE),
	                 0);
	assert_int_equal(ch_keycache_sign_digest(&hit, fx.ks, kc, fx.ed.keygrip, d, 32,
	                                         PASSPHRASE), 0);
	assert_int_equal(hit.size, agent.size);
	assert_memory_equal(hit.ptr, agent.ptr, agent.size);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);
	ch_keycache_free(kc);
	ch_buf_dispose(&agent);
	ch_buf_dispose(&miss);
	ch_buf_dispose(&hit);
}

/* A whole signature from the cache verifies, in process and with gpg. */
static void test_cached_signature_verifies(void **state)
{
	static const char payload[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nstep\n";
	ch_buf sig = CH_BUF_INIT, pub = CH_BUF_INIT, path = CH_BUF_INIT, dpath = CH_BUF_INIT;
	ch_pgp_keyring *kr = NULL;
	ch_pgp_verify_result res;
	ch_keycache *kc = NULL;
	ch_keycache_stats st;
	int i;

	(void)state;
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_export(&pub, fx.ks, fx.ed.fpr), 0);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_int_equal(ch_pgp_keyring_add(kr, pub.ptr, pub.size, "nguyen.van.a", NULL), 0);
	for (i = 0; i < 2; i++) { /* a miss, then a hit */
		ch_buf_clear(&sig);
		assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, payload,
		                                         strlen(payload)), 0);
		assert_non_null(strstr(sig.ptr, "-----BEGIN PGP SIGNATURE-----"));
		assert_int_equal(ch_pgp_verify(&res, kr, payload, strlen(payload), sig.ptr, sig.size),
		                 0);
		assert_string_equal(res.signer_fpr, fx.ed.signing_fpr);
		/* altered data does not verify */
		assert_int_equal(ch_pgp_verify(&res, kr, "tree X", 6, sig.ptr, sig.size), CH_EAUTH);
	}
	ch_keycache_get_stats(&st, kc);
	assert_int_equal(st.unlocks, 1);
	assert_int_equal(st.hits, 1);

	ch_buf_printf(&path, "%s/payload.asc", fx.base);
	ch_buf_printf(&dpath, "%s/payload", fx.base);
	write_file(path.ptr, sig.ptr, sig.size);
	write_file(dpath.ptr, payload, strlen(payload));
	assert_int_equal(sh("gpg --homedir '%s' --batch --status-fd 1 --verify '%s' '%s' "
	                    "2>/dev/null | grep -q '^\\[GNUPG:\\] VALIDSIG %s '", fx.home.ptr,
	                    path.ptr, dpath.ptr, fx.ed.signing_fpr), 0);
	ch_pgp_keyring_free(kr);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&pub);
	ch_buf_dispose(&path);
	ch_buf_dispose(&dpath);
}

static void test_wrong_passphrase_on_miss(void **state)
{
	ch_buf sig = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, WRONG, "x", 1), CH_EAUTH);
	assert_string_equal(ch_error_last(), "wrong signing passphrase");
	assert_int_equal(sig.size, 0);
	assert_int_equal(ch_keycache_size(kc), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before);
	/* then the right one works */
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "x", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
}

/* A wrong passphrase on a cached key: refused by the agent (not by the
 * verifier alone), the key evicted, the next right passphrase asked of the
 * agent again. */
static void test_wrong_passphrase_on_hit_evicts(void **state)
{
	ch_buf sig = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	ch_keycache_stats st;
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "b", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);
	assert_int_equal(ch_keycache_size(kc), 1);

	ch_buf_clear(&sig);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, WRONG, "c", 1), CH_EAUTH);
	assert_string_equal(ch_error_last(), "wrong signing passphrase");
	assert_int_equal(sig.size, 0);
	assert_int_equal(ch_keycache_size(kc), 0);
	ch_keycache_get_stats(&st, kc);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.hits, 1);

	/* a prefix, an extension: wrong too */
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, "correct horse", "c", 1),
	                 CH_EAUTH);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE "x", "c", 1),
	                 CH_EAUTH);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);

	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "d", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 2);
	ch_keycache_get_stats(&st, kc);
	assert_int_equal(st.unlocks, 2);
	assert_int_equal(st.hits, 1);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
}

static void test_ttl_expiry(void **state)
{
	ch_buf sig = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	ch_keycache_stats st;
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	assert_int_equal(ch_keycache_new(&kc, 1), 0);
	assert_int_equal(ch_keycache_ttl(kc), 1);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "b", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);
	usleep(1100 * 1000);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "c", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 2);
	ch_keycache_get_stats(&st, kc);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.evictions, 1);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
}

/* The agent's key file touched or rewritten (a new passphrase, a restored
 * backup): the cached key is not used again. */
static void test_key_file_changed(void **state)
{
	ch_buf sig = CH_BUF_INIT, path = CH_BUF_INIT, tmp = CH_BUF_INIT, content = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	struct timespec times[2];
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_key_path(&path, fx.ks, fx.ed.keygrip), 0);
	assert_true(ch_fs_exists(path.ptr));
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "b", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 1);

	/* touch: a new modification time */
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec += 5;
	times[1] = times[0];
	assert_int_equal(utimensat(AT_FDCWD, path.ptr, times, 0), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "c", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 2);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "d", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 2);

	/* rewritten: the same bytes in a new file renamed over it */
	assert_int_equal(ch_fs_read(&content, path.ptr, 1 << 20), 0);
	ch_buf_printf(&tmp, "%s.tmp", path.ptr);
	write_file(tmp.ptr, content.ptr, content.size);
	assert_int_equal(chmod(tmp.ptr, 0600), 0);
	assert_int_equal(rename(tmp.ptr, path.ptr), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "e", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 3);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&path);
	ch_buf_dispose(&tmp);
	ch_buf_dispose(&content);
}

/* TTL 0: nothing is cached, every signature goes to PKSIGN. */
static void test_ttl_zero_never_caches(void **state)
{
	ch_buf sig = CH_BUF_INIT, a = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	ch_keycache_stats st;
	unsigned char d[32];
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	setenv("CHANCERY_KEYCACHE_TTL", "0", 1);
	assert_int_equal(ch_keycache_new(&kc, -1), 0);
	assert_int_equal(ch_keycache_ttl(kc), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "b", 1), 0);
	digest_of(d, "x");
	assert_int_equal(ch_keycache_sign_digest(&a, fx.ks, kc, fx.ed.keygrip, d, 32, PASSPHRASE),
	                 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, WRONG, "c", 1), CH_EAUTH);
	assert_int_equal(ch_keystore_exports(fx.ks), before);
	assert_int_equal(ch_keycache_size(kc), 0);
	ch_keycache_get_stats(&st, kc);
	assert_int_equal(st.hits + st.unlocks, 0);
	ch_keycache_free(kc);

	/* the environment: bad values give the default, large ones the cap */
	setenv("CHANCERY_KEYCACHE_TTL", "ten", 1);
	assert_int_equal(ch_keycache_new(&kc, -1), 0);
	assert_int_equal(ch_keycache_ttl(kc), CH_KEYCACHE_TTL_DEFAULT);
	ch_keycache_free(kc);
	setenv("CHANCERY_KEYCACHE_TTL", "9999999", 1);
	assert_int_equal(ch_keycache_new(&kc, -1), 0);
	assert_int_equal(ch_keycache_ttl(kc), CH_KEYCACHE_TTL_MAX);
	ch_keycache_free(kc);
	setenv("CHANCERY_KEYCACHE_TTL", "30", 1);
	assert_int_equal(ch_keycache_new(&kc, -1), 0);
	assert_int_equal(ch_keycache_ttl(kc), 30);
	ch_keycache_free(kc);
	unsetenv("CHANCERY_KEYCACHE_TTL");
	assert_int_equal(ch_keycache_new(&kc, -1), 0);
	assert_int_equal(ch_keycache_ttl(kc), CH_KEYCACHE_TTL_DEFAULT);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&a);
}

/* Several people's keys side by side; clearing wipes them all. */
static void test_two_keys_and_clear(void **state)
{
	ch_buf sig = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	ch_keyinfo b;
	unsigned long before;

	(void)state;
	assert_int_equal(ch_keystore_create_key(&b, fx.ks, "Tran Thi B", "b@example.vn", NULL,
	                                        "another passphrase 9"), 0);
	before = ch_keystore_exports(fx.ks);
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &b, "another passphrase 9", "a",
	                                         1), 0);
	assert_int_equal(ch_keycache_size(kc), 2);
	/* one person's passphrase does not open the other's cached key */
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &b, PASSPHRASE, "a", 1),
	                 CH_EAUTH);
	assert_int_equal(ch_keycache_size(kc), 1);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "b", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 2);
	ch_keycache_clear(kc);
	assert_int_equal(ch_keycache_size(kc), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "c", 1), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before + 3);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
}

/* An RSA key is never cached: it signs through the agent. */
static void test_rsa_not_cached(void **state)
{
	ch_buf sig = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	ch_keyinfo r;
	unsigned long before;

	(void)state;
	assert_int_equal(ch_keystore_create_key(&r, fx.ks, "Le Van C", "c@example.vn", "rsa3072",
	                                        PASSPHRASE), 0);
	assert_int_equal(r.pk_algo, CH_PGP_PK_RSA);
	before = ch_keystore_exports(fx.ks);
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &r, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &r, WRONG, "a", 1), CH_EAUTH);
	assert_int_equal(ch_keycache_size(kc), 0);
	assert_int_equal(ch_keystore_exports(fx.ks), before);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
}

/* libgcrypt's secure pool full (it does not grow: secret.c sets 32 KiB):
 * the cache cannot hold or use a key, and the agent signs instead. */
static void test_secure_pool_full_falls_back(void **state)
{
	ch_buf sig = CH_BUF_INIT, pub = CH_BUF_INIT;
	ch_pgp_keyring *kr = NULL;
	ch_pgp_verify_result res;
	ch_keycache *kc = NULL;
	void *chunk[512];
	size_t n = 0, i;
	unsigned long before = ch_keystore_exports(fx.ks);

	(void)state;
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	for (i = 1024; i >= 16 && n < CH_ARRAY_SIZE(chunk); )
		if (!(chunk[n] = gcry_malloc_secure(i)))
			i /= 2;
		else
			n++;
	assert_null(gcry_malloc_secure(16));
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_keycache_size(kc), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, WRONG, "a", 1), CH_EAUTH);
	assert_int_equal(ch_keystore_exports(fx.ks), before);
	while (n)
		gcry_free(chunk[--n]);
	assert_int_equal(ch_keystore_export(&pub, fx.ks, fx.ed.fpr), 0);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_int_equal(ch_pgp_keyring_add(kr, pub.ptr, pub.size, "a", NULL), 0);
	ch_buf_clear(&sig);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "a", 1), 0);
	assert_int_equal(ch_pgp_verify(&res, kr, "a", 1, sig.ptr, sig.size), 0);
	assert_int_equal(ch_keycache_size(kc), 1);
	ch_pgp_keyring_free(kr);
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&pub);
}

/* Informational: the agent's PKSIGN against a cached signature. */
static void test_timing(void **state)
{
	enum { N = 100 };
	ch_buf sig = CH_BUF_INIT;
	ch_keycache *kc = NULL;
	double t0, t_agent, t_cache;
	int i;

	(void)state;
	assert_int_equal(ch_keycache_new(&kc, 60), 0);
	assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE, "w", 1), 0);
	t0 = now_ms();
	for (i = 0; i < N; i++)
		assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, "payload", 7), 0);
	t_agent = (now_ms() - t0) / N;
	t0 = now_ms();
	for (i = 0; i < N; i++)
		assert_int_equal(ch_keystore_sign_cached(&sig, fx.ks, kc, &fx.ed, PASSPHRASE,
		                                         "payload", 7), 0);
	t_cache = (now_ms() - t0) / N;
	printf("# Ed25519 signature, mean of %d: gpg-agent PKSIGN %.3f ms, from the cache %.3f ms\n",
	       N, t_agent, t_cache);
	/* Under valgrind or a sanitizer only our side is slowed down. */
#ifndef __SANITIZE_ADDRESS__
	if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "vgpreload"))
		assert_true(t_cache < t_agent);
#endif
	ch_keycache_free(kc);
	ch_buf_dispose(&sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_secret),
		cmocka_unit_test(test_same_sigval_as_agent),
		cmocka_unit_test(test_cached_signature_verifies),
		cmocka_unit_test(test_wrong_passphrase_on_miss),
		cmocka_unit_test(test_wrong_passphrase_on_hit_evicts),
		cmocka_unit_test(test_ttl_expiry),
		cmocka_unit_test(test_key_file_changed),
		cmocka_unit_test(test_ttl_zero_never_caches),
		cmocka_unit_test(test_two_keys_and_clear),
		cmocka_unit_test(test_rsa_not_cached),
		cmocka_unit_test(test_secure_pool_full_falls_back),
		cmocka_unit_test(test_timing),
	};

	return cmocka_run_group_tests(tests, group_setup, fixture_teardown);
}
