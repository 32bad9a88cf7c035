/* test_secret.c -- Argon2id passwords, random tokens, HMAC (crypto/secret.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <gcrypt.h>

#include "crypto/crypto.h"
#include "util/common.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of this process: "did no work" checks hold on a loaded machine */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void unhex(unsigned char *out, size_t n, const char *hex)
{
	size_t i;
	unsigned int v;

	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static int setup(void **state)
{
	(void)state;
	return ch_crypto_init();
}

/* RFC 9106 section 5.3: libgcrypt's Argon2id, including the secret and
 * associated-data inputs that Chancery itself does not use. */
static void test_argon2id_rfc9106_vector(void **state)
{
	unsigned long param[4] = { 32, 3, 32, 4 }; /* tag, t, m KiB, p */
	unsigned char pw[32], salt[16], secret[8], ad[12], tag[32], want[32];
	gcry_kdf_hd_t hd;

	(void)state;
	memset(pw, 0x01, sizeof(pw));
	memset(salt, 0x02, sizeof(salt));
	memset(secret, 0x03, sizeof(secret));
	memset(ad, 0x04, sizeof(ad));
	unhex(want, 32, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
	assert_int_equal(gcry_kdf_open(&hd, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, param, 4,
	                               pw, sizeof(pw), salt, sizeof(salt), secret,
	                               sizeof(secret), ad, sizeof(ad)), 0);
	assert_int_equal(gcry_kdf_compute(hd, NULL), 0);
	assert_int_equal(gcry_kdf_final(hd, sizeof(tag), tag), 0);
	gcry_kdf_close(hd);
	assert_memory_equal(tag, want, 32);
}

/* A hash made by the reference implementation's command line
 * (echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32 -e):
 * our PHC parser and Argon2id agree with it. */
static void test_reference_phc_string(void **state)
{
	const char *ref = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
	                  "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

	(void)state;
	assert_int_equal(ch_password_check(ref, "password"), 0);
	assert_int_equal(ch_password_check(ref, "passwore"), CH_EAUTH);
}

static void test_hash_check_round_trip(void **state)
{
	ch_buf a = CH_BUF_INIT, b = CH_BUF_INIT;
	const char *pw = "correct horse battery staple \xc3\xa2n";
	const char *salt, *tag;
	double t0, t1;

	(void)state;
	t0 = now_ms();
	assert_int_equal(ch_password_hash(&a, pw), 0);
	t1 = now_ms();
	printf("# Argon2id hash: %.1f ms (%s)\n", t1 - t0, a.ptr);
	assert_true(strncmp(a.ptr, "$argon2id$v=19$m=", 17) == 0);
	/* 16-byte salt -> 22 chars, 32-byte tag -> 43 chars, no padding */
	tag = strrchr(a.ptr, '$');
	salt = tag - 22;
	assert_int_equal(salt[-1], '$');
	assert_int_equal(strlen(tag + 1), 43);
	assert_null(strchr(salt, '='));

	assert_int_equal(ch_password_hash(&b, pw), 0);
	assert_string_not_equal(a.ptr, b.ptr); /* fresh salt each time */

	t0 = now_ms();
	assert_int_equal(ch_password_check(a.ptr, pw), 0);
	t1 = now_ms();
	printf("# Argon2id check: %.1f ms\n", t1 - t0);
	assert_int_equal(ch_password_check(b.ptr, pw), 0);
	ch_buf_dispose(&a);
	ch_buf_dispose(&b);
}

static void test_wrong_password(void **state)
{
	ch_buf h = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_password_hash(&h, "s3cret"), 0);
	assert_int_equal(ch_password_check(h.ptr, "s3creT"), CH_EAUTH);
	assert_string_equal(ch_error_last(), "wrong password");
	assert_int_equal(ch_password_check(h.ptr, "s3cret "), CH_EAUTH);
	assert_int_equal(ch_password_check(h.ptr, ""), CH_EAUTH);
	assert_int_equal(ch_password_check(h.ptr, "s3cret"), 0);
	ch_buf_dispose(&h);
}

static void test_hash_refuses_bad_passwords(void **state)
{
	ch_buf h = CH_BUF_INIT;
	char *longpw = ch_malloc(2000);

	(void)state;
	assert_int_equal(ch_password_hash(&h, ""), CH_EINVALID);
	memset(longpw, 'x', 1999);
	longpw[1999] = '\0';
	assert_int_equal(ch_password_hash(&h, longpw), CH_EINVALID);
	assert_int_equal(h.size, 0);
	free(longpw);
}

static void test_malformed_phc(void **state)
{
	static const char *bad[] = {
		"",
		"$argon2id$",
		"argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$t=2,m=65536,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=+65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=0$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=15,t=2,p=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1,keyid=x$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536, t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$",
		"$argon2id$v=19$m=65536,t=2,p=1$$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		/* padding, bad alphabet, non-canonical final character */
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc=",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbH-$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHR$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPd",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPP",
		/* salt under 8 bytes, tag under 16 bytes, extra field */
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaOw",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc$x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(bad); i++) {
		int rc = ch_password_check(bad[i], "password");

		if (rc != CH_EINVALID)
			print_error("accepted: %s (rc %d)\n", bad[i], rc);
		assert_int_equal(rc, CH_EINVALID);
		assert_true(strlen(ch_error_last()) > 0);
	}
}

/* A stored hash that asks for absurd work is refused before any is done. */
static void test_oversized_params(void **state)
{
	static const char *big[] = {
		"$argon2id$v=19$m=262145,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=4294967296,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=99999999999999999999999,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=33,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=17$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=262144,t=32,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=262144,t=3,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	};
	ch_buf longsalt = CH_BUF_INIT;
	size_t i;
	double t0 = cpu_ms();

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(big); i++)
		assert_int_equal(ch_password_check(big[i], "password"), CH_EINVALID);
	assert_true(cpu_ms() - t0 < 50.0);

	/* salt over 64 bytes; a string over 256 characters */
	ch_buf_puts(&longsalt, "$argon2id$v=19$m=65536,t=2,p=1$");
	for (i = 0; i < 88; i++)
		ch_buf_putc(&longsalt, 'A');
	ch_buf_puts(&longsalt, "$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc");
	assert_int_equal(ch_password_check(longsalt.ptr, "password"), CH_EINVALID);
	for (i = 0; i < 200; i++)
		ch_buf_putc(&longsalt, 'A');
	assert_int_equal(ch_password_check(longsalt.ptr, "password"), CH_EINVALID);
	ch_buf_dispose(&longsalt);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_random_tokens(void **state)
{
	enum { N = 1000 };
	char **tok = ch_calloc(N, sizeof(*tok));
	unsigned char bytes[64], zero[64] = { 0 };
	ch_buf b = CH_BUF_INIT;
	size_t i, j;

	(void)state;
	for (i = 0; i < N; i++) {
		ch_buf_clear(&b);
		assert_int_equal(ch_random_hex(&b, 16), 0);
		assert_int_equal(b.size, 32);
		for (j = 0; j < b.size; j++)
			assert_non_null(strchr("0123456789abcdef", b.ptr[j]));
		tok[i] = ch_strdup(b.ptr);
	}
	qsort(tok, N, sizeof(*tok), cmp_str);
	for (i = 1; i < N; i++)
		assert_string_not_equal(tok[i - 1], tok[i]);
	for (i = 0; i < N; i++)
		free(tok[i]);
	free(tok);

	/* appends; longer than one internal chunk; zero bytes is empty */
	ch_buf_set(&b, "x", 1);
	assert_int_equal(ch_random_hex(&b, 100), 0);
	assert_int_equal(b.size, 201);
	assert_int_equal(b.ptr[0], 'x');
	assert_int_equal(ch_random_hex(&b, 0), 0);
	assert_int_equal(b.size, 201);
	assert_int_equal(ch_random_hex(&b, 1u << 20), CH_EINVALID);
	assert_int_equal(b.size, 201);
	ch_buf_dispose(&b);

	ch_random_bytes(bytes, sizeof(bytes));
	assert_memory_not_equal(bytes, zero, sizeof(bytes));
}

static void check_hmac(const void *key, size_t keylen, const char *data, const char *hex)
{
	unsigned char mac[32], want[32];

	unhex(want, 32, hex);
	assert_int_equal(ch_hmac_sha256(mac, key, keylen, data, strlen(data)), 0);
	assert_memory_equal(mac, want, 32);
}

/* RFC 4231 test cases 1, 2, 6 and 7. */
static void test_hmac_sha256_rfc4231(void **state)
{
	unsigned char k1[20], k6[131], mac[32];

	(void)state;
	memset(k1, 0x0b, sizeof(k1));
	memset(k6, 0xaa, sizeof(k6));
	check_hmac(k1, sizeof(k1), "Hi There",
	           "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_hmac("Jefe", 4, "what do ya want for nothing?",
	           "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	check_hmac(k6, sizeof(k6), "Test Using Larger Than Block-Size Key - Hash Key First",
	           "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	check_hmac(k6, sizeof(k6), "This is a test using a larger than block-size key and a "
	           "larger than block-size data. The key needs to be hashed before being "
	           "used by the HMAC algorithm.",
	           "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
	assert_int_equal(ch_hmac_sha256(mac, "", 0, "x", 1), CH_EINVALID);
}

static void test_ct_streq(void **state)
{
	(void)state;
	assert_true(ch_ct_streq("token-abc", "token-abc"));
	assert_true(ch_ct_streq("", ""));
	assert_false(ch_ct_streq("token-abc", "token-abd"));
	assert_false(ch_ct_streq("token-abc", "token-ab"));
	assert_false(ch_ct_streq("", "x"));
	assert_true(ch_ct_memeq("ab\0c", "ab\0c", 4));
	assert_false(ch_ct_memeq("ab\0c", "ab\0d", 4));
}

static void test_init_is_idempotent(void **state)
{
	double t0;

	(void)state;
	t0 = cpu_ms();
	assert_int_equal(ch_crypto_init(), 0);
	assert_int_equal(ch_crypto_init(), 0);
	assert_true(cpu_ms() - t0 < 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argon2id_rfc9106_vector),
		cmocka_unit_test(test_reference_phc_string),
		cmocka_unit_test(test_hash_check_round_trip),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_hash_refuses_bad_passwords),
		cmocka_unit_test(test_malformed_phc),
		cmocka_unit_test(test_oversized_params),
		cmocka_unit_test(test_random_tokens),
		cmocka_unit_test(test_hmac_sha256_rfc4231),
		cmocka_unit_test(test_ct_streq),
		cmocka_unit_test(test_init_is_idempotent),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
