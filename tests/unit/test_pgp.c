/* test_pgp.c -- OpenPGP keys and signatures (crypto/pgp.c, crypto/pgp_sign.c).
 *
 * Three kinds of evidence:
 *  - fixtures made by stock gpg 2.2 (tests/fixtures/pgp/make-fixtures.sh,
 *    committed, so no gpg is needed at run time): good signatures for every
 *    key type, subkeys, revocations, and the shapes that must be refused;
 *  - signatures built by pgp_sign.c from libgcrypt keys, on key blocks built
 *    here, including subkey bindings gpg would never write (no back-sig,
 *    wrong flags, bad binder), and a byte-for-byte comparison with gpg's
 *    own output given the same r and s;
 *  - when gpg is installed: a fresh key in gpg-agent signs our digest with
 *    PKSIGN (as keystore.c does), and stock `gpg --verify` must accept the
 *    packet pgp_sign.c built around it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/pgp.h"
#include "util/common.h"

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

static void fixture(ch_buf *out, const char *name)
{
	const char *top = getenv("CH_TOP");
	char path[4096], chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/fixtures/pgp/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s (run from the repository top or set CH_TOP)", path);
	ch_buf_clear(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ch_buf_put(out, chunk, n);
	fclose(f);
}

/* The first line of a fixture (a fingerprint file). */
static void fixture_line(char out[CH_PGP_FPR_HEX], const char *name)
{
	ch_buf b = CH_BUF_INIT;

	fixture(&b, name);
	assert_true(b.size >= 16);
	snprintf(out, CH_PGP_FPR_HEX, "%.*s", (int)strcspn(b.ptr, "\r\n"), b.ptr);
	ch_buf_dispose(&b);
}

static void add_fixture_key(ch_pgp_keyring *kr, const char *name)
{
	char primary[CH_PGP_FPR_HEX], want[CH_PGP_FPR_HEX], file[256];
	ch_buf key = CH_BUF_INIT;
	int error;

	snprintf(file, sizeof(file), "%s.asc", name);
	fixture(&key, file);
	error = ch_pgp_keyring_add(kr, key.ptr, key.size, name, primary);
	if (error)
		fail_msg("adding %s: %s", name, ch_error_last());
	snprintf(file, sizeof(file), "%s.fpr", name);
	fixture_line(want, file);
	assert_string_equal(primary, want);
	ch_buf_dispose(&key);
}

static ch_pgp_keyring *ring_of(const char *name)
{
	ch_pgp_keyring *kr;

	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	add_fixture_key(kr, name);
	return kr;
}

/* Verify fixture signature `signame` over data.txt. */
static int verify_fixture(ch_pgp_verify_result *res, const ch_pgp_keyring *kr,
                          const char *signame)
{
	ch_buf data = CH_BUF_INIT, sig = CH_BUF_INIT;
	int error;

	fixture(&data, "data.txt");
	fixture(&sig, signame);
	error = ch_pgp_verify(res, kr, data.ptr, data.size, sig.ptr, sig.size);
	ch_buf_dispose(&data);
	ch_buf_dispose(&sig);
	return error;
}

static void assert_error(int got, int want, const char *needle)
{
	if (got != want)
		fail_msg("expected error %d, got %d (%s)", want, got, ch_error_last());
	if (needle && !strstr(ch_error_last(), needle))
		fail_msg("message '%s' does not mention '%s'", ch_error_last(), needle);
}

/* ------------------------------------------------------------------ */
/* Verifying gpg's signatures                                          */

static void test_good_signature_each_key_type(void **state)
{
	static const char *names[] = { "ed25519", "rsa3072", "nistp256", "nistp384",
	                               "nistp521", "default", "futdef" };
	ch_pgp_verify_result res;
	char fpr[CH_PGP_FPR_HEX], file[64];
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(names); i++) {
		ch_pgp_keyring *kr = ring_of(names[i]);
		int error;

		snprintf(file, sizeof(file), "%s.sig", names[i]);
		error = verify_fixture(&res, kr, file);
		if (error)
			fail_msg("%s: %s", names[i], ch_error_last());
		snprintf(file, sizeof(file), "%s.fpr", names[i]);
		fixture_line(fpr, file);
		assert_string_equal(res.signer_fpr, fpr);
		assert_string_equal(res.primary_fpr, fpr);
		assert_string_equal(res.owner, names[i]);
		assert_true(res.created > 1600000000);
		ch_pgp_keyring_free(kr);
	}
}

static void test_other_signature_shapes(void **state)
{
	ch_pgp_keyring *kr = ring_of("ed25519");
	ch_buf data = CH_BUF_INIT, sig = CH_BUF_INIT, bin = CH_BUF_INIT;
	ch_pgp_verify_result res;

	(void)state;
	assert_int_equal(verify_fixture(&res, kr, "sha512.sig"), 0);
	/* Signed with -u <mail>: gpg adds a signer's-user-ID subpacket (28). */
	assert_int_equal(verify_fixture(&res, kr, "signeruid.sig"), 0);
	/* The same signature unarmored. */
	fixture(&data, "data.txt");
	fixture(&sig, "ed25519.sig");
	assert_int_equal(ch_pgp_dearmor(&bin, "SIGNATURE", sig.ptr, sig.size), 0);
	assert_int_equal(ch_pgp_verify(&res, kr, data.ptr, data.size, bin.ptr, bin.size), 0);
	ch_buf_dispose(&data);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&bin);
	ch_pgp_keyring_free(kr);
}

static void test_subkey_maps_to_primary(void **state)
{
	ch_pgp_keyring *kr = ring_of("sub");
	ch_pgp_verify_result res;
	char primary[CH_PGP_FPR_HEX], sub[CH_PGP_FPR_HEX];

	(void)state;
	fixture_line(primary, "sub.fpr");
	fixture_line(sub, "sub.subfpr");
	assert_int_equal(verify_fixture(&res, kr, "sub.sig"), 0);
	assert_string_equal(res.signer_fpr, sub);
	assert_string_equal(res.primary_fpr, primary);
	assert_string_equal(res.owner, "sub");
	ch_pgp_keyring_free(kr);
}

static void test_wrong_data(void **state)
{
	static const char *names[] = { "ed25519", "rsa3072", "nistp256", "sub" };
	ch_buf data = CH_BUF_INIT, sig = CH_BUF_INIT;
	ch_pgp_verify_result res;
	char file[64];
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(names); i++) {
		ch_pgp_keyring *kr = ring_of(names[i]);

		fixture(&data, "data.txt");
		data.ptr[data.size - 2] ^= 1; /* "approve" -> "approvd": one bit */
		snprintf(file, sizeof(file), "%s.sig", names[i]);
		fixture(&sig, file);
		assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, sig.ptr, sig.size),
		             CH_EAUTH, "bad signature");
		assert_null(res.owner);
		/* Truncated data as well. */
		assert_error(ch_pgp_verify(&res, kr, data.ptr, 10, sig.ptr, sig.size), CH_EAUTH, NULL);
		ch_pgp_keyring_free(kr);
	}
	ch_buf_dispose(&data);
	ch_buf_dispose(&sig);
}

/* Re-armor a signature after changing one byte of its packet. */
static void tamper(ch_buf *out, const char *signame, size_t offset_from_end)
{
	ch_buf sig = CH_BUF_INIT, bin = CH_BUF_INIT;

	fixture(&sig, signame);
	assert_int_equal(ch_pgp_dearmor(&bin, "SIGNATURE", sig.ptr, sig.size), 0);
	bin.ptr[bin.size - offset_from_end] ^= 0x04;
	ch_buf_clear(out);
	ch_pgp_armor(out, "SIGNATURE", bin.ptr, bin.size);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&bin);
}

static void test_tampered_signature(void **state)
{
	ch_pgp_keyring *kr = ring_of("ed25519");
	ch_buf data = CH_BUF_INIT, sig = CH_BUF_INIT;
	ch_pgp_verify_result res;
	size_t offsets[] = { 1, 20, 40, 70 }, i;

	(void)state;
	fixture(&data, "data.txt");
	/* Offsets in s, in r, in the hash prefix / issuer id, and in the
	 * hashed creation time (117-byte Ed25519 packet). */
	for (i = 0; i < CH_ARRAY_SIZE(offsets); i++) {
		int error;

		tamper(&sig, "ed25519.sig", offsets[i]);
		error = ch_pgp_verify(&res, kr, data.ptr, data.size, sig.ptr, sig.size);
		if (error != CH_EAUTH && error != CH_EINVALID && error != CH_ENOTFOUND)
			fail_msg("tampered at -%zu: %d (%s)", offsets[i], error, ch_error_last());
	}
	tamper(&sig, "ed25519.sig", 1);
	assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, sig.ptr, sig.size), CH_EAUTH, NULL);
	ch_buf_dispose(&data);
	ch_buf_dispose(&sig);
	ch_pgp_keyring_free(kr);
}

static void test_unknown_key(void **state)
{
	ch_pgp_keyring *kr = ring_of("rsa3072");
	ch_pgp_verify_result res;
	char fpr[CH_PGP_FPR_HEX];

	(void)state;
	fixture_line(fpr, "ed25519.fpr");
	assert_error(verify_fixture(&res, kr, "ed25519.sig"), CH_ENOTFOUND, fpr);
	ch_pgp_keyring_free(kr);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_error(verify_fixture(&res, kr, "ed25519.sig"), CH_ENOTFOUND, NULL);
	ch_pgp_keyring_free(kr);
}

static void test_two_signatures(void **state)
{
	ch_pgp_keyring *kr = ring_of("ed25519");
	ch_buf data = CH_BUF_INIT, a = CH_BUF_INIT, b = CH_BUF_INIT, both = CH_BUF_INIT;
	ch_pgp_verify_result res;

	(void)state;
	/* Two armored blocks, as `cat a.asc b.asc` makes. */
	assert_error(verify_fixture(&res, kr, "two.sig"), CH_EINVALID, "more than one signature");
	/* Two packets in one armored block, and unarmored. */
	fixture(&data, "data.txt");
	fixture(&a, "ed25519.sig");
	assert_int_equal(ch_pgp_dearmor(&b, "SIGNATURE", a.ptr, a.size), 0);
	ch_buf_put(&both, b.ptr, b.size);
	ch_buf_put(&both, b.ptr, b.size);
	assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, both.ptr, both.size),
	             CH_EINVALID, "more than one signature");
	ch_buf_clear(&a);
	ch_pgp_armor(&a, "SIGNATURE", both.ptr, both.size);
	assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, a.ptr, a.size),
	             CH_EINVALID, "more than one signature");
	ch_buf_dispose(&data);
	ch_buf_dispose(&a);
	ch_buf_dispose(&b);
	ch_buf_dispose(&both);
	ch_pgp_keyring_free(kr);
}

static void test_refused_signature_shapes(void **state)
{
	ch_pgp_keyring *kr = ring_of("ed25519");
	ch_pgp_verify_result res;

	(void)state;
	assert_error(verify_fixture(&res, kr, "sha1.sig"), CH_EINVALID, "SHA-1");
	assert_error(verify_fixture(&res, kr, "text.sig"), CH_EINVALID, "0x01");
	ch_pgp_keyring_free(kr);
}

static void test_garbage_signatures(void **state)
{
	ch_pgp_keyring *kr = ring_of("ed25519");
	ch_buf data = CH_BUF_INIT, sig = CH_BUF_INIT, t = CH_BUF_INIT;
	ch_pgp_verify_result res;
	char issuer[CH_PGP_FPR_HEX];
	const char *bad[] = {
		"", "   \n", "hello", "-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n",
		"-----BEGIN PGP SIGNATURE-----\n\n!!!!\n-----END PGP SIGNATURE-----\n",
		"-----BEGIN PGP SIGNATURE-----\n\niHUE\n", "\x88\x75\x04\x00",
		"\x88", "\xc2\xe5\x04", "\x8b\x00", "\x83\x00",
	};
	size_t i, cut;

	(void)state;
	fixture(&data, "data.txt");
	for (i = 0; i < CH_ARRAY_SIZE(bad); i++) {
		assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, bad[i], strlen(bad[i]) +
		                           (i >= 6)), CH_EINVALID, NULL);
		assert_error(ch_pgp_sig_issuer(issuer, bad[i], strlen(bad[i])), CH_EINVALID, NULL);
	}
	fixture(&sig, "ed25519.sig");
	/* Every truncation of the armored text. */
	for (cut = 0; cut < sig.size - 30; cut++) {
		int error = ch_pgp_verify(&res, kr, data.ptr, data.size, sig.ptr, cut);

		if (error != CH_EINVALID)
			fail_msg("cut at %zu: %d (%s)", cut, error, ch_error_last());
	}
	/* A damaged base64 character: the CRC catches it. */
	ch_buf_set(&t, sig.ptr, sig.size);
	t.ptr[40] = t.ptr[40] == 'A' ? 'B' : 'A';
	assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, t.ptr, t.size),
	             CH_EINVALID, "checksum");
	/* Text after the armor, and a clear-signed message. */
	ch_buf_set(&t, sig.ptr, sig.size);
	ch_buf_puts(&t, "trailing\n");
	assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, t.ptr, t.size), CH_EINVALID, NULL);
	ch_buf_clear(&t);
	ch_buf_puts(&t, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n");
	ch_buf_put(&t, sig.ptr, sig.size);
	assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, t.ptr, t.size), CH_EINVALID, NULL);
	/* Larger than the limit. */
	ch_buf_set(&t, sig.ptr, sig.size);
	while (t.size <= 65536)
		ch_buf_puts(&t, "                                ");
	assert_error(ch_pgp_verify(&res, kr, data.ptr, data.size, t.ptr, t.size),
	             CH_EINVALID, "larger");
	ch_buf_dispose(&data);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&t);
	ch_pgp_keyring_free(kr);
}

static void test_garbage_keys(void **state)
{
	ch_pgp_keyring *kr;
	ch_buf key = CH_BUF_INIT, bin = CH_BUF_INIT, t = CH_BUF_INIT;
	const char *bad[] = { "", "garbage", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n" };
	size_t i, cut;

	(void)state;
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	for (i = 0; i < CH_ARRAY_SIZE(bad); i++)
		assert_error(ch_pgp_keyring_add(kr, bad[i], strlen(bad[i]), "x", NULL),
		             CH_EINVALID, NULL);
	/* A signature is not a key. */
	fixture(&key, "ed25519.sig");
	assert_error(ch_pgp_keyring_add(kr, key.ptr, key.size, "x", NULL), CH_EINVALID, NULL);
	/* Every truncation of a binary key block fails cleanly or, cut at a
	 * packet boundary, still needs its self-signed user ID. */
	fixture(&key, "sub.asc");
	assert_int_equal(ch_pgp_dearmor(&bin, "PUBLIC KEY BLOCK", key.ptr, key.size), 0);
	for (cut = 1; cut < bin.size; cut++) {
		char fpr[CH_PGP_FPR_HEX];
		int error = ch_pgp_keyring_add(kr, bin.ptr, cut, "x", fpr);

		if (error != CH_EINVALID && error != 0)
			fail_msg("cut at %zu: %d (%s)", cut, error, ch_error_last());
	}
	ch_pgp_keyring_free(kr);
	/* Oversized key text. */
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	ch_buf_set(&t, key.ptr, key.size);
	while (t.size <= (2u << 20))
		ch_buf_puts(&t, "                                                                ");
	assert_error(ch_pgp_keyring_add(kr, t.ptr, t.size, "x", NULL), CH_EINVALID, "larger");
	ch_pgp_keyring_free(kr);
	ch_buf_dispose(&key);
	ch_buf_dispose(&bin);
	ch_buf_dispose(&t);
}

static void test_revoked_primary(void **state)
{
	ch_pgp_keyring *kr = ring_of("revprim");
	ch_pgp_verify_result res;
	char fpr[CH_PGP_FPR_HEX];

	(void)state;
	fixture_line(fpr, "revprim.fpr");
	assert_error(verify_fixture(&res, kr, "revprim.sig"), CH_EAUTH, "revoked");
	assert_non_null(strstr(ch_error_last(), fpr));
	ch_pgp_keyring_free(kr);
}

static void test_revoked_subkey(void **state)
{
	ch_pgp_keyring *kr = ring_of("revsub");
	ch_pgp_verify_result res;

	(void)state;
	assert_error(verify_fixture(&res, kr, "revsub.sig"), CH_EAUTH, "revoked");
	ch_pgp_keyring_free(kr);
}

static void test_unbound_subkey(void **state)
{
	ch_pgp_keyring *kr;
	ch_buf key = CH_BUF_INIT;
	ch_pgp_verify_result res;
	char primary[CH_PGP_FPR_HEX], want[CH_PGP_FPR_HEX];

	(void)state;
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	fixture(&key, "sub-unbound.gpg");
	assert_int_equal(ch_pgp_keyring_add(kr, key.ptr, key.size, "sub", primary), 0);
	fixture_line(want, "sub.fpr");
	assert_string_equal(primary, want);
	/* The subkey is known, and refused by its real reason (issue 20: it
	 * used to be reported as a key the policy does not hold). */
	assert_error(verify_fixture(&res, kr, "sub.sig"), CH_EAUTH, "no binding signature");
	ch_buf_dispose(&key);
	ch_pgp_keyring_free(kr);
}

static void test_sig_issuer(void **state)
{
	ch_buf sig = CH_BUF_INIT;
	char got[CH_PGP_FPR_HEX], want[CH_PGP_FPR_HEX];

	(void)state;
	fixture(&sig, "ed25519.sig");
	assert_int_equal(ch_pgp_sig_issuer(got, sig.ptr, sig.size), 0);
	fixture_line(want, "ed25519.fpr");
	assert_string_equal(got, want);
	fixture(&sig, "sub.sig");
	assert_int_equal(ch_pgp_sig_issuer(got, sig.ptr, sig.size), 0);
	fixture_line(want, "sub.subfpr");
	assert_string_equal(got, want);
	fixture(&sig, "two.sig");
	assert_error(ch_pgp_sig_issuer(got, sig.ptr, sig.size), CH_EINVALID, "more than one");
	ch_buf_dispose(&sig);
}

static void test_keyring_owners(void **state)
{
	ch_pgp_keyring *kr = ring_of("ed25519");
	ch_buf key = CH_BUF_INIT, both = CH_BUF_INIT;
	ch_pgp_verify_result res;

	(void)state;
	fixture(&key, "ed25519.asc");
	/* The same key again for the same person replaces it... */
	assert_int_equal(ch_pgp_keyring_add(kr, key.ptr, key.size, "ed25519", NULL), 0);
	assert_int_equal(verify_fixture(&res, kr, "ed25519.sig"), 0);
	/* ...for someone else it is refused, and the keyring is unchanged. */
	assert_error(ch_pgp_keyring_add(kr, key.ptr, key.size, "mallory", NULL), CH_EINVALID,
	             "already in the keyring");
	assert_int_equal(verify_fixture(&res, kr, "ed25519.sig"), 0);
	assert_string_equal(res.owner, "ed25519");
	/* Two certificates in one text are refused whole (issue 20: the
	 * second one's signatures counted as the person's). */
	ch_pgp_keyring_free(kr);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	ch_buf_put(&both, key.ptr, key.size);
	fixture(&key, "rsa3072.asc");
	ch_buf_put(&both, key.ptr, key.size);
	assert_error(ch_pgp_keyring_add(kr, both.ptr, both.size, "two", NULL), CH_EINVALID,
	             "more than one certificate");
	assert_error(verify_fixture(&res, kr, "ed25519.sig"), CH_ENOTFOUND, NULL);
	assert_error(verify_fixture(&res, kr, "rsa3072.sig"), CH_ENOTFOUND, NULL);
	ch_pgp_keyring_free(kr);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	ch_buf_puts(&both, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n");
	assert_error(ch_pgp_keyring_add(kr, both.ptr, both.size, "two", NULL), CH_EINVALID, NULL);
	assert_error(verify_fixture(&res, kr, "ed25519.sig"), CH_ENOTFOUND, NULL);
	ch_pgp_keyring_free(kr);
	ch_buf_dispose(&key);
	ch_buf_dispose(&both);
}

/* ------------------------------------------------------------------ */
/* Keys and signatures built here with libgcrypt                       */

typedef struct {
	int algo;
	unsigned qbytes; /* ECDSA: digest bytes signed */
	gcry_sexp_t skey;
	ch_buf body;     /* public-key packet body */
	unsigned char fpr[20];
	char hex[CH_PGP_FPR_HEX];
} tkey;

#define T_CREATED 1700000000u

static void put_be(ch_buf *b, uint32_t v, size_t n)
{
	while (n--)
		ch_buf_putc(b, (char)(v >> (8 * n)));
}

static void put_mpi(ch_buf *b, const unsigned char *p, size_t n)
{
	size_t bits;
	unsigned top;

	while (n && !*p) {
		p++;
		n--;
	}
	assert_true(n > 0);
	for (bits = n * 8, top = p[0]; !(top & 0x80); top <<= 1)
		bits--;
	put_be(b, (uint32_t)bits, 2);
	ch_buf_put(b, p, n);
}

/* New-format packet header, every length form. */
static void put_packet(ch_buf *b, int tag, const void *body, size_t len, int long_form)
{
	ch_buf_putc(b, (char)(0xC0 | tag));
	if (long_form || len >= 8384) {
		ch_buf_putc(b, (char)0xFF);
		put_be(b, (uint32_t)len, 4);
	} else if (len < 192) {
		ch_buf_putc(b, (char)len);
	} else {
		ch_buf_putc(b, (char)(((len - 192) >> 8) + 192));
		ch_buf_putc(b, (char)((len - 192) & 0xFF));
	}
	ch_buf_put(b, body, len);
}

static void put_subpacket(ch_buf *b, int type, const void *data, size_t len)
{
	size_t n = len + 1;

	if (n < 192) {
		ch_buf_putc(b, (char)n);
	} else {
		assert_true(n < 8384);
		ch_buf_putc(b, (char)(((n - 192) >> 8) + 192));
		ch_buf_putc(b, (char)((n - 192) & 0xFF));
	}
	ch_buf_putc(b, (char)type);
	ch_buf_put(b, data, len);
}

static void sexp_value(ch_buf *out, gcry_sexp_t key, const char *name)
{
	gcry_sexp_t l = gcry_sexp_find_token(key, name, 0);
	const char *p;
	size_t n = 0;

	assert_non_null(l);
	p = gcry_sexp_nth_data(l, 1, &n);
	assert_non_null(p);
	ch_buf_set(out, p, n);
	gcry_sexp_release(l);
}

static void tkey_gen(tkey *k, int algo, const char *params)
{
	static const unsigned char ed_oid[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 };
	static const unsigned char p256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
	static const unsigned char p384[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
	gcry_sexp_t parms = NULL, pub;
	ch_buf v = CH_BUF_INIT, q = CH_BUF_INIT;
	unsigned char head[3];
	gcry_md_hd_t md;

	memset(k, 0, sizeof(*k));
	k->algo = algo;
	assert_int_equal(gcry_sexp_new(&parms, params, 0, 1), 0);
	assert_int_equal(gcry_pk_genkey(&k->skey, parms), 0);
	gcry_sexp_release(parms);
	pub = gcry_sexp_find_token(k->skey, "public-key", 0);
	assert_non_null(pub);
	ch_buf_putc(&k->body, 4);
	put_be(&k->body, T_CREATED, 4);
	ch_buf_putc(&k->body, (char)algo);
	if (algo == CH_PGP_PK_RSA) {
		sexp_value(&v, pub, "n");
		put_mpi(&k->body, (unsigned char *)v.ptr, v.size);
		sexp_value(&v, pub, "e");
		put_mpi(&k->body, (unsigned char *)v.ptr, v.size);
	} else {
		const unsigned char *oid = algo == CH_PGP_PK_EDDSA ? ed_oid :
		                           strstr(params, "P-384") ? p384 : p256;
		size_t oidlen = algo == CH_PGP_PK_EDDSA ? sizeof(ed_oid) :
		                strstr(params, "P-384") ? sizeof(p384) : sizeof(p256);

		k->qbytes = strstr(params, "P-384") ? 48 : 32;
		ch_buf_putc(&k->body, (char)oidlen);
		ch_buf_put(&k->body, oid, oidlen);
		sexp_value(&v, pub, "q");
		if (algo == CH_PGP_PK_EDDSA && v.size == 32)
			ch_buf_putc(&q, 0x40); /* OpenPGP's native-point prefix */
		ch_buf_put(&q, v.ptr, v.size);
		put_mpi(&k->body, (unsigned char *)q.ptr, q.size);
	}
	gcry_sexp_release(pub);
	head[0] = 0x99;
	head[1] = (unsigned char)(k->body.size >> 8);
	head[2] = (unsigned char)k->body.size;
	assert_int_equal(gcry_md_open(&md, GCRY_MD_SHA1, 0), 0);
	gcry_md_write(md, head, 3);
	gcry_md_write(md, k->body.ptr, k->body.size);
	memcpy(k->fpr, gcry_md_read(md, 0), 20);
	gcry_md_close(md);
	for (size_t i = 0; i < 20; i++)
		snprintf(k->hex + 2 * i, 3, "%02X", k->fpr[i]);
	ch_buf_dispose(&v);
	ch_buf_dispose(&q);
}

static void tkey_free(tkey *k)
{
	gcry_sexp_release(k->skey);
	ch_buf_dispose(&k->body);
}

/* What gpg-agent's PKSIGN does with a digest: the signature S-expression
 * in canonical form. */
static void tkey_sign(ch_buf *canon, const tkey *k, int hash_algo,
                      const unsigned char *d, size_t dlen)
{
	gcry_sexp_t data = NULL, sig = NULL;
	const char *hname = hash_algo == CH_PGP_HASH_SHA512 ? "sha512" :
	                    hash_algo == CH_PGP_HASH_SHA384 ? "sha384" : "sha256";
	size_t n;

	if (k->algo == CH_PGP_PK_EDDSA)
		assert_int_equal(gcry_sexp_build(&data, NULL,
		                 "(data(flags eddsa)(hash-algo sha512)(value %b))", (int)dlen, d), 0);
	else if (k->algo == CH_PGP_PK_ECDSA)
		assert_int_equal(gcry_sexp_build(&data, NULL, "(data(flags raw)(value %b))",
		                                 (int)k->qbytes, d), 0);
	else
		assert_int_equal(gcry_sexp_build(&data, NULL, "(data(flags pkcs1)(hash %s %b))",
		                                 hname, (int)dlen, d), 0);
	assert_int_equal(gcry_pk_sign(&sig, data, k->skey), 0);
	n = gcry_sexp_sprint(sig, GCRYSEXP_FMT_CANON, NULL, 0);
	ch_buf_clear(canon);
	ch_buf_grow(canon, n);
	canon->size = gcry_sexp_sprint(sig, GCRYSEXP_FMT_CANON, canon->ptr, n);
	assert_true(canon->size > 0);
	gcry_sexp_release(data);
	gcry_sexp_release(sig);
}

/* The body of a v4 signature of `type` by k, covering `prefix` then its
 * own hashed part. pgp_sign.c builds the packet (only its hashed part is
 * replaced), which the round trip through ch_pgp_verify then checks. */
static void tsig(ch_buf *body, const tkey *k, int type, const ch_buf *prefix,
                 const ch_buf *hsub_extra, const ch_buf *usub_extra)
{
	ch_pgp_sigctx ctx;
	ch_buf hs = CH_BUF_INIT, canon = CH_BUF_INIT, armored = CH_BUF_INIT, bin = CH_BUF_INIT;
	unsigned char fprsub[21], created[4] = { 0x65, 0x53, 0xF1, 0x00 }; /* T_CREATED */
	int hash = k->algo == CH_PGP_PK_RSA ? CH_PGP_HASH_SHA512 :
	           k->qbytes == 48 ? CH_PGP_HASH_SHA384 : CH_PGP_HASH_SHA256;
	gcry_md_hd_t md;
	size_t hdr;

	fprsub[0] = 4;
	memcpy(fprsub + 1, k->fpr, 20);
	put_subpacket(&hs, 33, fprsub, 21);
	put_subpacket(&hs, 2, created, 4);
	if (hsub_extra)
		ch_buf_put(&hs, hsub_extra->ptr, hsub_extra->size);
	memset(&ctx, 0, sizeof(ctx));
	ch_buf_init(&ctx.hashed);
	ch_buf_init(&ctx.unhashed);
	ctx.pk_algo = k->algo;
	ctx.hash_algo = hash;
	ch_buf_putc(&ctx.hashed, 4);
	ch_buf_putc(&ctx.hashed, (char)type);
	ch_buf_putc(&ctx.hashed, (char)k->algo);
	ch_buf_putc(&ctx.hashed, (char)hash);
	put_be(&ctx.hashed, (uint32_t)hs.size, 2);
	ch_buf_put(&ctx.hashed, hs.ptr, hs.size);
	put_subpacket(&ctx.unhashed, 16, k->fpr + 12, 8);
	if (usub_extra)
		ch_buf_put(&ctx.unhashed, usub_extra->ptr, usub_extra->size);
	assert_int_equal(gcry_md_open(&md, hash == CH_PGP_HASH_SHA512 ? GCRY_MD_SHA512 :
	                              hash == CH_PGP_HASH_SHA384 ? GCRY_MD_SHA384 : GCRY_MD_SHA256,
	                              0), 0);
	gcry_md_write(md, prefix->ptr, prefix->size);
	gcry_md_write(md, ctx.hashed.ptr, ctx.hashed.size);
	{
		ch_buf tr = CH_BUF_INIT;

		ch_buf_putc(&tr, 4);
		ch_buf_putc(&tr, (char)0xFF);
		put_be(&tr, (uint32_t)ctx.hashed.size, 4);
		gcry_md_write(md, tr.ptr, tr.size);
		ch_buf_dispose(&tr);
	}
	ctx.digest_len = gcry_md_get_algo_dlen(gcry_md_get_algo(md));
	memcpy(ctx.digest, gcry_md_read(md, 0), ctx.digest_len);
	gcry_md_close(md);
	tkey_sign(&canon, k, hash, ctx.digest, ctx.digest_len);
	assert_int_equal(ch_pgp_sig_finish(&armored, &ctx, canon.ptr, canon.size), 0);
	assert_int_equal(ch_pgp_dearmor(&bin, "SIGNATURE", armored.ptr, armored.size), 0);
	hdr = (unsigned char)bin.ptr[0] == 0x88 ? 2 : 3;
	ch_buf_set(body, bin.ptr + hdr, bin.size - hdr);
	ch_pgp_sig_dispose(&ctx);
	ch_buf_dispose(&hs);
	ch_buf_dispose(&canon);
	ch_buf_dispose(&armored);
	ch_buf_dispose(&bin);
}

static void put_key_hash(ch_buf *b, const tkey *k)
{
	ch_buf_putc(b, (char)0x99);
	put_be(b, (uint32_t)k->body.size, 2);
	ch_buf_put(b, k->body.ptr, k->body.size);
}

/* Primary key, a user ID and its positive self-certification (0x13)
 * with key flags `f`. */
static void block_primary_flags(ch_buf *blk, const tkey *pk, int long_form, unsigned char f)
{
	static const char uid[] = "Test <test@example.org>";
	ch_buf prefix = CH_BUF_INIT, sig = CH_BUF_INIT, flags = CH_BUF_INIT;

	put_packet(blk, 6, pk->body.ptr, pk->body.size, long_form);
	put_packet(blk, 13, uid, strlen(uid), 0);
	put_key_hash(&prefix, pk);
	ch_buf_putc(&prefix, (char)0xB4);
	put_be(&prefix, (uint32_t)strlen(uid), 4);
	ch_buf_puts(&prefix, uid);
	put_subpacket(&flags, 27, &f, 1);
	tsig(&sig, pk, 0x13, &prefix, &flags, NULL);
	put_packet(blk, 2, sig.ptr, sig.size, long_form);
	ch_buf_dispose(&prefix);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&flags);
}

/* The same, certify and sign (0x03). */
static void block_primary(ch_buf *blk, const tkey *pk, int long_form)
{
	block_primary_flags(blk, pk, long_form, 0x03);
}

/* A subkey and its binding by `binder` (normally the primary), with key
 * flags `flags` (0: no flags subpacket) and a back-signature by
 * `backsigner` (NULL: none). */
static void block_subkey(ch_buf *blk, const tkey *pk, const tkey *sub, unsigned flags,
                         const tkey *binder, const tkey *backsigner)
{
	ch_buf prefix = CH_BUF_INIT, sig = CH_BUF_INIT, hsub = CH_BUF_INIT, usub = CH_BUF_INIT,
	       back = CH_BUF_INIT;
	unsigned char f = (unsigned char)flags;

	put_packet(blk, 14, sub->body.ptr, sub->body.size, 0);
	put_key_hash(&prefix, pk);
	put_key_hash(&prefix, sub);
	if (flags)
		put_subpacket(&hsub, 27, &f, 1);
	if (backsigner) {
		tsig(&back, backsigner, 0x19, &prefix, NULL, NULL);
		put_subpacket(&usub, 32, back.ptr, back.size);
	}
	tsig(&sig, binder, 0x18, &prefix, &hsub, &usub);
	put_packet(blk, 2, sig.ptr, sig.size, 0);
	ch_buf_dispose(&prefix);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&hsub);
	ch_buf_dispose(&usub);
	ch_buf_dispose(&back);
}

static int hash_for(const tkey *k)
{
	return k->algo == CH_PGP_PK_RSA ? CH_PGP_HASH_SHA512 :
	       k->qbytes == 48 ? CH_PGP_HASH_SHA384 : CH_PGP_HASH_SHA256;
}

/* Sign data with k through ch_pgp_sig_begin / ch_pgp_sig_finish. */
static void sign_doc(ch_buf *armored, const tkey *k, const char *data, int advanced)
{
	ch_pgp_sigctx ctx;
	ch_buf canon = CH_BUF_INIT;

	assert_int_equal(ch_pgp_sig_begin(&ctx, k->hex, k->algo, hash_for(k), time(NULL),
	                                  data, strlen(data)), 0);
	tkey_sign(&canon, k, hash_for(k), ctx.digest, ctx.digest_len);
	if (advanced) {
		gcry_sexp_t s;
		size_t n;

		assert_int_equal(gcry_sexp_sscan(&s, NULL, canon.ptr, canon.size), 0);
		n = gcry_sexp_sprint(s, GCRYSEXP_FMT_ADVANCED, NULL, 0);
		ch_buf_clear(&canon);
		ch_buf_grow(&canon, n);
		canon.size = gcry_sexp_sprint(s, GCRYSEXP_FMT_ADVANCED, canon.ptr, n);
		canon.ptr[canon.size] = '\0';
		gcry_sexp_release(s);
	}
	assert_int_equal(ch_pgp_sig_finish(armored, &ctx, canon.ptr, canon.size), 0);
	ch_pgp_sig_dispose(&ctx);
	ch_buf_dispose(&canon);
}

static void test_sign_roundtrip(void **state)
{
	static const struct { int algo; const char *params; } kinds[] = {
		{ CH_PGP_PK_EDDSA, "(genkey(ecc(curve Ed25519)(flags eddsa)))" },
		{ CH_PGP_PK_ECDSA, "(genkey(ecc(curve \"NIST P-256\")))" },
		{ CH_PGP_PK_ECDSA, "(genkey(ecc(curve \"NIST P-384\")))" },
		{ CH_PGP_PK_RSA, "(genkey(rsa(nbits 4:2048)))" },
	};
	static const char data[] = "tree 0\n\nsigned by pgp_sign.c\n";
	ch_buf blk = CH_BUF_INIT, armored = CH_BUF_INIT;
	ch_pgp_verify_result res;
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(kinds); i++) {
		ch_pgp_keyring *kr;
		tkey k;
		char primary[CH_PGP_FPR_HEX];
		int error;

		tkey_gen(&k, kinds[i].algo, kinds[i].params);
		ch_buf_clear(&blk);
		block_primary(&blk, &k, i == 1);
		assert_int_equal(ch_pgp_keyring_new(&kr), 0);
		error = ch_pgp_keyring_add(kr, blk.ptr, blk.size, "me", primary);
		if (error)
			fail_msg("%s: %s", kinds[i].params, ch_error_last());
		assert_string_equal(primary, k.hex);
		sign_doc(&armored, &k, data, (int)(i & 1));
		assert_true(!strncmp(armored.ptr, "-----BEGIN PGP SIGNATURE-----\n\n", 31));
		error = ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size);
		if (error)
			fail_msg("%s: %s", kinds[i].params, ch_error_last());
		assert_string_equal(res.signer_fpr, k.hex);
		assert_error(ch_pgp_verify(&res, kr, data, 5, armored.ptr, armored.size), CH_EAUTH, NULL);
		ch_pgp_keyring_free(kr);
		tkey_free(&k);
	}
	ch_buf_dispose(&blk);
	ch_buf_dispose(&armored);
}

static void test_sign_refuses_bad_input(void **state)
{
	ch_pgp_sigctx ctx;
	ch_buf out = CH_BUF_INIT;
	static const char fpr[] = "0123456789ABCDEF0123456789ABCDEF01234567";
	static const char rsa_sig[] = "(7:sig-val(3:rsa(1:s2:\x01\x02)))";
	static const char ed_sig[] = "(7:sig-val(5:eddsa(1:r1:\x01)(1:s1:\x02)))";
	static const char long_r[] = "(sig-val(eddsa(r #0101010101010101010101010101010101010101"
	                             "01010101010101010101010101010101#)(s #01#)))";

	(void)state;
	assert_error(ch_pgp_sig_begin(&ctx, "12AB", CH_PGP_PK_EDDSA, CH_PGP_HASH_SHA256, 1, "x", 1),
	             CH_EINVALID, NULL);
	ch_pgp_sig_dispose(&ctx);
	assert_error(ch_pgp_sig_begin(&ctx, fpr, CH_PGP_PK_EDDSA, 2, 1, "x", 1), CH_EINVALID, NULL);
	ch_pgp_sig_dispose(&ctx);
	assert_error(ch_pgp_sig_begin(&ctx, fpr, 17, CH_PGP_HASH_SHA256, 1, "x", 1), CH_EINVALID, NULL);
	ch_pgp_sig_dispose(&ctx);
	assert_error(ch_pgp_sig_begin(&ctx, fpr, CH_PGP_PK_EDDSA, CH_PGP_HASH_SHA256, -1, "x", 1),
	             CH_EINVALID, NULL);
	ch_pgp_sig_dispose(&ctx);
	assert_int_equal(ch_pgp_sig_begin(&ctx, fpr, CH_PGP_PK_EDDSA, CH_PGP_HASH_SHA256, 1, NULL, 0),
	                 0);
	assert_int_equal(ctx.digest_len, 32);
	assert_error(ch_pgp_sig_finish(&out, &ctx, "garbage", 7), CH_EINVALID, NULL);
	assert_error(ch_pgp_sig_finish(&out, &ctx, rsa_sig, sizeof(rsa_sig) - 1), CH_EINVALID, "eddsa");
	assert_error(ch_pgp_sig_finish(&out, &ctx, long_r, sizeof(long_r) - 1), CH_EINVALID, "'r'");
	assert_int_equal(ch_pgp_sig_finish(&out, &ctx, ed_sig, sizeof(ed_sig) - 1), 0);
	ch_pgp_sig_dispose(&ctx);
	ch_pgp_sig_dispose(&ctx); /* twice is harmless */
	assert_error(ch_pgp_sig_finish(&out, &ctx, ed_sig, sizeof(ed_sig) - 1), CH_EINVALID, "begun");
	ch_buf_dispose(&out);
}

/* Subkey bindings gpg would not write: only a properly bound, signing-
 * capable, back-signed subkey may sign for its primary. */
static void test_constructed_subkeys(void **state)
{
	static const char data[] = "payload\n";
	static const char *ed = "(genkey(ecc(curve Ed25519)(flags eddsa)))";
	enum { GOOD, NO_BACKSIG, NO_SIGN_FLAG, NO_FLAGS, BAD_BACKSIG, BAD_BINDER, NCASES };
	/* Each refusal names its reason (not "no such key"). */
	static const char *why[NCASES] = {
		NULL, "no back-signature", "key flags (0x0c) do not allow signing", NULL,
		"back-signature does not verify", "no binding signature"
	};
	tkey pk, sub, other;
	ch_buf blk = CH_BUF_INIT, armored = CH_BUF_INIT;
	ch_pgp_verify_result res;
	int c;

	(void)state;
	tkey_gen(&pk, CH_PGP_PK_EDDSA, ed);
	tkey_gen(&sub, CH_PGP_PK_EDDSA, ed);
	tkey_gen(&other, CH_PGP_PK_EDDSA, ed);
	sign_doc(&armored, &sub, data, 0);
	for (c = GOOD; c < NCASES; c++) {
		ch_pgp_keyring *kr;
		int error;

		ch_buf_clear(&blk);
		block_primary(&blk, &pk, 0);
		block_subkey(&blk, &pk, &sub, c == NO_SIGN_FLAG ? 0x0C : c == NO_FLAGS ? 0 : 0x02,
		             c == BAD_BINDER ? &other : &pk,
		             c == NO_BACKSIG ? NULL : c == BAD_BACKSIG ? &other : &sub);
		assert_int_equal(ch_pgp_keyring_new(&kr), 0);
		assert_int_equal(ch_pgp_keyring_add(kr, blk.ptr, blk.size, "pk", NULL), 0);
		error = ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size);
		if (c == GOOD || c == NO_FLAGS) {
			if (error)
				fail_msg("case %d: %s", c, ch_error_last());
			assert_string_equal(res.signer_fpr, sub.hex);
			assert_string_equal(res.primary_fpr, pk.hex);
		} else {
			if (error != CH_EAUTH || !strstr(ch_error_last(), why[c]))
				fail_msg("case %d: %d (%s)", c, error, ch_error_last());
		}
		ch_pgp_keyring_free(kr);
	}
	tkey_free(&pk);
	tkey_free(&sub);
	tkey_free(&other);
	ch_buf_dispose(&blk);
	ch_buf_dispose(&armored);
}

/* A document signature with extra hashed subpackets, armored. */
static void doc_sig_with(ch_buf *armored, const tkey *k, const char *data, const ch_buf *hsub)
{
	ch_buf prefix = CH_BUF_INIT, body = CH_BUF_INIT, pkt = CH_BUF_INIT;

	ch_buf_puts(&prefix, data);
	tsig(&body, k, 0x00, &prefix, hsub, NULL);
	put_packet(&pkt, 2, body.ptr, body.size, 0);
	ch_buf_clear(armored);
	ch_pgp_armor(armored, "SIGNATURE", pkt.ptr, pkt.size);
	ch_buf_dispose(&prefix);
	ch_buf_dispose(&body);
	ch_buf_dispose(&pkt);
}

static void test_subpackets(void **state)
{
	static const char data[] = "payload\n";
	unsigned char expire[4] = { 0, 0, 0, 1 }; /* one second after 2023-11-14 */
	tkey k;
	ch_buf blk = CH_BUF_INIT, hsub = CH_BUF_INIT, armored = CH_BUF_INIT;
	ch_pgp_keyring *kr;
	ch_pgp_verify_result res;

	(void)state;
	tkey_gen(&k, CH_PGP_PK_EDDSA, "(genkey(ecc(curve Ed25519)(flags eddsa)))");
	block_primary(&blk, &k, 0);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_int_equal(ch_pgp_keyring_add(kr, blk.ptr, blk.size, "k", NULL), 0);
	/* Unknown but not critical: fine. */
	put_subpacket(&hsub, 99, "xy", 2);
	doc_sig_with(&armored, &k, data, &hsub);
	assert_int_equal(ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size), 0);
	assert_int_equal(res.created, T_CREATED);
	/* Unknown and critical: refused, even though the signature is good. */
	ch_buf_clear(&hsub);
	put_subpacket(&hsub, 0x80 | 99, "xy", 2);
	doc_sig_with(&armored, &k, data, &hsub);
	assert_error(ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size),
	             CH_EINVALID, "critical");
	/* A critical notation we cannot interpret. */
	ch_buf_clear(&hsub);
	put_subpacket(&hsub, 0x80 | 20, "\x80\0\0\0\0\1\0\1" "ab", 10);
	doc_sig_with(&armored, &k, data, &hsub);
	assert_error(ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size),
	             CH_EINVALID, "critical");
	/* An expired signature. */
	ch_buf_clear(&hsub);
	put_subpacket(&hsub, 0x80 | 3, expire, 4);
	doc_sig_with(&armored, &k, data, &hsub);
	assert_error(ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size),
	             CH_EAUTH, "expired");
	ch_pgp_keyring_free(kr);
	tkey_free(&k);
	ch_buf_dispose(&blk);
	ch_buf_dispose(&hsub);
	ch_buf_dispose(&armored);
}

static void test_packet_framing(void **state)
{
	tkey k;
	ch_buf blk = CH_BUF_INIT, t = CH_BUF_INIT;
	ch_pgp_keyring *kr;
	char fpr[CH_PGP_FPR_HEX];

	(void)state;
	tkey_gen(&k, CH_PGP_PK_EDDSA, "(genkey(ecc(curve Ed25519)(flags eddsa)))");
	block_primary(&blk, &k, 1); /* five-octet lengths */
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_int_equal(ch_pgp_keyring_add(kr, blk.ptr, blk.size, "k", fpr), 0);
	assert_string_equal(fpr, k.hex);
	/* Partial body length on the key packet. */
	ch_buf_set(&t, blk.ptr, blk.size);
	t.ptr[1] = (char)0xE0;
	assert_error(ch_pgp_keyring_add(kr, t.ptr, t.size, "k", NULL), CH_EINVALID, "partial");
	/* Old-format indeterminate length. */
	ch_buf_clear(&t);
	ch_buf_putc(&t, (char)(0x80 | (6 << 2) | 3));
	ch_buf_put(&t, k.body.ptr, k.body.size);
	assert_error(ch_pgp_keyring_add(kr, t.ptr, t.size, "k", NULL), CH_EINVALID, "indeterminate");
	/* A length that runs past the end. */
	ch_buf_set(&t, blk.ptr, blk.size);
	t.ptr[5] = 0x7F;
	assert_error(ch_pgp_keyring_add(kr, t.ptr, t.size, "k", NULL), CH_EINVALID, NULL);
	/* A key without a self-signed user ID. */
	ch_buf_clear(&t);
	put_packet(&t, 6, k.body.ptr, k.body.size, 0);
	assert_error(ch_pgp_keyring_add(kr, t.ptr, t.size, "k", NULL), CH_EINVALID, "user ID");
	/* Secret key packets are refused by name. */
	ch_buf_clear(&t);
	put_packet(&t, 5, k.body.ptr, k.body.size, 0);
	assert_error(ch_pgp_keyring_add(kr, t.ptr, t.size, "k", NULL), CH_EINVALID, "secret");
	ch_pgp_keyring_free(kr);
	tkey_free(&k);
	ch_buf_dispose(&blk);
	ch_buf_dispose(&t);
}

/* ------------------------------------------------------------------ */
/* Same shape as gpg                                                   */

/* ------------------------------------------------------------------ */
/* Issue 20: key semantics, on the differential corpus                 */
/* (tests/fixtures/pgp/make-corpus.sh: GnuPG 2.2 and 1.4, RNP, Sequoia) */

/* Verify corpus case `name` (its .key, .sig, and data.txt); the key
 * file's refusal is returned as is. The keyring is gone on return: leave
 * res->owner alone. */
static int verify_corpus(ch_pgp_verify_result *res, const char *name)
{
	ch_buf key = CH_BUF_INIT, sig = CH_BUF_INIT, data = CH_BUF_INIT;
	ch_pgp_keyring *kr;
	char file[256];
	int error;

	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	snprintf(file, sizeof(file), "corpus/%s.key", name);
	fixture(&key, file);
	snprintf(file, sizeof(file), "corpus/%s.sig", name);
	fixture(&sig, file);
	fixture(&data, "corpus/data.txt");
	error = ch_pgp_keyring_add(kr, key.ptr, key.size, name, NULL);
	if (!error)
		error = ch_pgp_verify(res, kr, data.ptr, data.size, sig.ptr, sig.size);
	ch_pgp_keyring_free(kr);
	ch_buf_dispose(&key);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&data);
	return error;
}

static void corpus_good(const char *name)
{
	ch_pgp_verify_result res;

	if (verify_corpus(&res, name))
		fail_msg("%s: %s", name, ch_error_last());
	assert_int_equal(strlen(res.signer_fpr), 40); /* res.owner died with the keyring */
}

static void corpus_refused(const char *name, int want, const char *needle)
{
	ch_pgp_verify_result res;
	int error = verify_corpus(&res, name);

	if (error != want || !strstr(ch_error_last(), needle))
		fail_msg("%s: expected %d naming '%s', got %d (%s)", name, want, needle, error,
		         error ? ch_error_last() : "accepted");
}

/* False accept 1: a revocation counts whatever its hash. */
static void test_revoked_with_sha1(void **state)
{
	(void)state;
	corpus_refused("gpg2-revprim-hard-sha1", CH_EAUTH, "is revoked (no reason specified)");
	corpus_refused("gpg2-revsub-hard-sha1", CH_EAUTH, "is revoked (key material compromised)");
	corpus_refused("gpg2-revprim-hard", CH_EAUTH, "is revoked (key material compromised)");
	corpus_refused("rnp-revoked-compromised", CH_EAUTH, "is revoked");
	corpus_refused("sq-revoked-compromised", CH_EAUTH, "is revoked");
}

/* Soft revocations (superseded, retired) void only later signatures. */
static void test_soft_revocation(void **state)
{
	(void)state;
	corpus_good("gpg2-revprim-soft-before");
	corpus_refused("gpg2-revprim-soft-after", CH_EAUTH,
	               "is revoked (superseded) since 2021-01-01 00:00:00 UTC, before this "
	               "signature was made (2022-06-01 00:00:00 UTC)");
	corpus_good("gpg2-revsub-soft-before");
	corpus_refused("gpg2-revsub-soft-after", CH_EAUTH, "is revoked (retired) since");
	corpus_good("rnp-revoked-superseded");
	corpus_good("sq-revoked-retired-before");
	corpus_refused("sq-revoked-retired-after", CH_EAUTH, "is revoked (retired) since");
}

/* False accept 2: key and subkey expiry, from the newest self-signature
 * or binding; a signature made before the expiry stays good. */
static void test_key_expiry(void **state)
{
	(void)state;
	corpus_good("gpg2-exp-before");
	corpus_refused("gpg2-exp-after", CH_EAUTH, "expired on 2021-01-01 00:00:00 UTC, before "
	               "this signature was made (2022-06-01 00:00:00 UTC)");
	corpus_good("gpg2-subexp-before");
	corpus_refused("gpg2-subexp-after", CH_EAUTH, "expired on 2021-01-01");
	corpus_good("sq-exp-before");
}

/* False accept 3: a certify-only primary may not sign (built here: no
 * tool will make such a signature). */
static void test_certify_only_primary(void **state)
{
	static const char data[] = "payload\n";
	ch_buf blk = CH_BUF_INIT, armored = CH_BUF_INIT;
	ch_pgp_verify_result res;
	ch_pgp_keyring *kr;
	tkey k;

	(void)state;
	tkey_gen(&k, CH_PGP_PK_EDDSA, "(genkey(ecc(curve Ed25519)(flags eddsa)))");
	block_primary_flags(&blk, &k, 0, 0x01);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_int_equal(ch_pgp_keyring_add(kr, blk.ptr, blk.size, "k", NULL), 0);
	sign_doc(&armored, &k, data, 0);
	assert_error(ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size),
	             CH_EAUTH, "key flags (0x01) do not allow signing");
	assert_error(ch_pgp_keyring_can_sign(kr, k.hex, time(NULL)), CH_EINVALID, "certify-only");
	ch_pgp_keyring_free(kr);
	/* The same key flagged certify+sign signs. */
	ch_buf_clear(&blk);
	block_primary_flags(&blk, &k, 0, 0x03);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_int_equal(ch_pgp_keyring_add(kr, blk.ptr, blk.size, "k", NULL), 0);
	assert_int_equal(ch_pgp_verify(&res, kr, data, strlen(data), armored.ptr, armored.size), 0);
	assert_int_equal(ch_pgp_keyring_can_sign(kr, k.hex, time(NULL)), 0);
	ch_pgp_keyring_free(kr);
	tkey_free(&k);
	ch_buf_dispose(&blk);
	ch_buf_dispose(&armored);
}

/* False accept 4: a key file holding two certificates is refused whole. */
static void test_two_certificates(void **state)
{
	(void)state;
	corpus_refused("gpg2-two-certs", CH_EINVALID, "more than one certificate");
}

/* The misleading messages: each refusal names its real reason. */
static void test_refusal_messages(void **state)
{
	(void)state;
	corpus_refused("gpg2-sub-sha1binding", CH_EAUTH,
	               "whose binding signature uses SHA-1, which is not accepted");
	corpus_refused("rnp-rsa2048-SHA3-256", CH_EINVALID, "signature uses SHA3-256 (algorithm 12)");
	corpus_refused("gpg2-rsa2048-SHA1", CH_EINVALID, "signature uses SHA-1 (algorithm 2)");
	corpus_refused("gpg2-notation-crit", CH_EINVALID, "critical subpacket (type 20)");
	corpus_refused("gpg1-dsa2048", CH_EINVALID, "unsupported public-key algorithm 17");
}

/* RNP's and Sequoia's signatures verify, and their verdicts do not expire
 * (RNP writes a signature expiration of 0, "never"): verify.c caches them
 * as it does GnuPG's. */
static void test_other_implementations(void **state)
{
	static const char *names[] = {
		"rnp-ed25519", "rnp-p256", "rnp-p384", "rnp-p521", "rnp-rsa2048", "rnp-rsa4096",
		"sq-cv25519", "sq-rsa3k", "sq-rsa4k", "sq-nouid", "sq-notation", "sqop-default",
		"gpg1-rsa2048-default", "gpg2-sub-rsa", "gpg2-sub-ed25519"
	};
	ch_pgp_verify_result res;
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(names); i++) {
		if (verify_corpus(&res, names[i]))
			fail_msg("%s: %s", names[i], ch_error_last());
		if (res.expires)
			fail_msg("%s: the verdict expires (%lld): it would never be cached", names[i],
			         (long long)res.expires);
	}
	assert_int_equal(verify_corpus(&res, "gpg2-sigexp-future"), 0);
	assert_true(res.expires > 3000000000);
}

/* What `person add --key` and every policy change ask of a new key. */
static void test_can_sign(void **state)
{
	static const struct { const char *name, *why; } cases[] = {
		{ "gpg2-ed25519", NULL },
		{ "gpg2-sub-ed25519", NULL },
		{ "gpg2-revprim-hard", "is revoked" },
		{ "gpg2-revsub-soft-before", "is revoked (retired)" },
		{ "gpg2-exp-before", "expired on" },
		{ "gpg2-sub-sha1binding", "binding signature uses SHA-1" },
	};
	ch_buf key = CH_BUF_INIT;
	char file[256], fpr[CH_PGP_FPR_HEX];
	ch_pgp_keyring *kr;
	size_t i;
	int error;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(cases); i++) {
		assert_int_equal(ch_pgp_keyring_new(&kr), 0);
		snprintf(file, sizeof(file), "corpus/%s.key", cases[i].name);
		fixture(&key, file);
		assert_int_equal(ch_pgp_keyring_add(kr, key.ptr, key.size, "p", fpr), 0);
		error = ch_pgp_keyring_can_sign(kr, fpr, time(NULL));
		if (cases[i].why ? (error != CH_EINVALID || !strstr(ch_error_last(), cases[i].why)) :
		                   error != 0)
			fail_msg("%s: %d (%s)", cases[i].name, error, error ? ch_error_last() : "");
		if (cases[i].why && !strstr(ch_error_last(), fpr))
			fail_msg("%s: the message does not name the certificate", cases[i].name);
		assert_error(ch_pgp_keyring_can_sign(kr, "0123456789ABCDEF0123456789ABCDEF01234567",
		                                     time(NULL)), CH_ENOTFOUND, NULL);
		ch_pgp_keyring_free(kr);
	}
	ch_buf_dispose(&key);
}

/* The signature values of a gpg-made signature, as the canonical
 * S-expression gpg-agent would have returned, plus the hash algorithm. */
static void sexp_from_gpg_sig(ch_buf *sexp, int *pk_algo, int *hash_algo, const char *signame)
{
	ch_buf sig = CH_BUF_INIT, bin = CH_BUF_INIT;
	const unsigned char *p, *end;
	size_t hl, ul, n, i, nmpi;

	fixture(&sig, signame);
	assert_int_equal(ch_pgp_dearmor(&bin, "SIGNATURE", sig.ptr, sig.size), 0);
	p = (const unsigned char *)bin.ptr + ((unsigned char)bin.ptr[0] == 0x88 ? 2 : 3);
	end = (const unsigned char *)bin.ptr + bin.size;
	*pk_algo = p[2];
	*hash_algo = p[3];
	hl = (size_t)p[4] << 8 | p[5];
	p += 6 + hl;
	ul = (size_t)p[0] << 8 | p[1];
	p += 2 + ul + 2;
	nmpi = *pk_algo == CH_PGP_PK_RSA ? 1 : 2;
	ch_buf_clear(sexp);
	ch_buf_printf(sexp, "(7:sig-val(%s", *pk_algo == CH_PGP_PK_RSA ? "3:rsa" :
	              *pk_algo == CH_PGP_PK_EDDSA ? "5:eddsa" : "5:ecdsa");
	for (i = 0; i < nmpi; i++) {
		assert_true(p + 2 <= end);
		n = (((size_t)p[0] << 8 | p[1]) + 7) / 8;
		p += 2;
		assert_true(p + n <= end);
		/* The agent pads EdDSA values and adds a zero before a set top
		 * bit; both must be undone. */
		if (*pk_algo == CH_PGP_PK_EDDSA) {
			ch_buf_printf(sexp, "(1:%c32:", nmpi == 1 ? 's' : "rs"[i]);
			for (size_t z = n; z < 32; z++)
				ch_buf_putc(sexp, 0);
		} else {
			ch_buf_printf(sexp, "(1:%c%zu:", nmpi == 1 ? 's' : "rs"[i], n + 1);
			ch_buf_putc(sexp, 0);
		}
		ch_buf_put(sexp, p, n);
		ch_buf_putc(sexp, ')');
		p += n;
	}
	ch_buf_puts(sexp, "))");
	assert_true(p == end);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&bin);
}

static void test_sign_matches_gpg_bytes(void **state)
{
	static const char *names[] = { "ed25519", "rsa3072", "nistp256", "nistp521", "sub" };
	ch_buf data = CH_BUF_INIT, want = CH_BUF_INIT, got = CH_BUF_INIT, sexp = CH_BUF_INIT;
	ch_pgp_verify_result res;
	ch_pgp_sigctx ctx;
	char file[64];
	size_t i;

	(void)state;
	fixture(&data, "data.txt");
	for (i = 0; i < CH_ARRAY_SIZE(names); i++) {
		ch_pgp_keyring *kr = ring_of(names[i]);
		int pk_algo, hash_algo;

		snprintf(file, sizeof(file), "%s.sig", names[i]);
		assert_int_equal(verify_fixture(&res, kr, file), 0);
		sexp_from_gpg_sig(&sexp, &pk_algo, &hash_algo, file);
		assert_int_equal(ch_pgp_sig_begin(&ctx, res.signer_fpr, pk_algo, hash_algo,
		                                  res.created, data.ptr, data.size), 0);
		assert_int_equal(ch_pgp_sig_finish(&got, &ctx, sexp.ptr, sexp.size), 0);
		fixture(&want, file);
		if (strcmp(got.ptr, want.ptr))
			fail_msg("%s: built\n%s\ngpg wrote\n%s", names[i], got.ptr, want.ptr);
		ch_pgp_sig_dispose(&ctx);
		ch_pgp_keyring_free(kr);
	}
	ch_buf_dispose(&data);
	ch_buf_dispose(&want);
	ch_buf_dispose(&got);
	ch_buf_dispose(&sexp);
}

/* ------------------------------------------------------------------ */
/* Interop with the real gpg-agent and gpg (skipped without gpg)       */

static int run_cmd(ch_buf *out, const char *fmt, ...) CH_PRINTF(2, 3);

/* Run a shell command (only hex and fixed words are interpolated);
 * returns its exit status, its output appended to out when not NULL. */
static int run_cmd(ch_buf *out, const char *fmt, ...)
{
	ch_buf cmd = CH_BUF_INIT;
	char chunk[4096];
	va_list ap;
	size_t n;
	FILE *f;
	int rc;

	va_start(ap, fmt);
	ch_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	if (!out)
		ch_buf_puts(&cmd, " >/dev/null 2>&1");
	f = popen(cmd.ptr, "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (out)
			ch_buf_put(out, chunk, n);
	rc = pclose(f);
	ch_buf_dispose(&cmd);
	return rc;
}

/* Field 10 of the first colon-listing line of `kind` ("fpr", "grp"). */
static void colon_field(char *out, size_t outlen, const char *listing, const char *kind)
{
	const char *p = listing, *f;
	size_t klen = strlen(kind);
	int field;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, kind, klen) || p[klen] != ':')
			continue;
		for (f = p, field = 1; f && field < 10; field++)
			f = strchr(f, ':') ? strchr(f, ':') + 1 : NULL;
		assert_non_null(f);
		snprintf(out, outlen, "%.*s", (int)strcspn(f, ":"), f);
		return;
	}
	fail_msg("no %s line in:\n%s", kind, listing);
}

/* The data of an Assuan reply: the "D " lines, percent-unescaped. */
static void assuan_data(ch_buf *out, const ch_buf *reply)
{
	const char *p = reply->ptr, *end = reply->ptr + reply->size, *eol;
	unsigned v;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if (eol - p < 2 || p[0] != 'D' || p[1] != ' ')
			continue;
		for (p += 2; p < eol; p++) {
			if (*p == '%' && eol - p >= 3 && sscanf(p + 1, "%2x", &v) == 1) {
				ch_buf_putc(out, (char)v);
				p += 2;
			} else {
				ch_buf_putc(out, *p);
			}
		}
	}
}

static void interop_one(const char *home, int n, const char *algo_name, int pk_algo,
                        int hash_algo)
{
	static const char payload[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	                              "author A <a@x> 1700000000 +0000\n\nsigned via PKSIGN\n";
	ch_buf listing = CH_BUF_INIT, key = CH_BUF_INIT, reply = CH_BUF_INIT, sexp = CH_BUF_INIT,
	       armored = CH_BUF_INIT, status = CH_BUF_INIT, hex = CH_BUF_INIT;
	char fpr[64], grip[64], path[4096];
	ch_pgp_keyring *kr;
	ch_pgp_verify_result res;
	ch_pgp_sigctx ctx;
	FILE *f;

	assert_int_equal(run_cmd(NULL, "gpg --batch --no-auto-check-trustdb --pinentry-mode "
	                         "loopback --passphrase '' --quick-gen-key 'I%d <i%d@example.org>' "
	                         "%s sign never", n, n, algo_name), 0);
	assert_int_equal(run_cmd(&listing, "gpg --batch --with-colons --with-keygrip "
	                         "--list-secret-keys i%d@example.org 2>/dev/null", n), 0);
	colon_field(fpr, sizeof(fpr), listing.ptr, "fpr");
	colon_field(grip, sizeof(grip), listing.ptr, "grp");
	assert_int_equal(run_cmd(&key, "gpg --batch --armor --export i%d@example.org", n), 0);
	assert_int_equal(ch_pgp_keyring_new(&kr), 0);
	assert_int_equal(ch_pgp_keyring_add(kr, key.ptr, key.size, "i", NULL), 0);

	/* What keystore.c does: digest here, PKSIGN in the agent. */
	assert_int_equal(ch_pgp_sig_begin(&ctx, fpr, pk_algo, hash_algo, time(NULL),
	                                  payload, strlen(payload)), 0);
	ch_buf_puthex(&hex, ctx.digest, ctx.digest_len);
	assert_int_equal(run_cmd(&reply, "gpg-connect-agent 'SIGKEY %s' 'SETHASH --hash=%s %s' "
	                         "PKSIGN /bye", grip, hash_algo == CH_PGP_HASH_SHA512 ? "sha512" :
	                         "sha256", hex.ptr), 0);
	if (strstr(reply.ptr, "\nERR") || !strncmp(reply.ptr, "ERR", 3))
		fail_msg("gpg-agent refused: %s", reply.ptr);
	assuan_data(&sexp, &reply);
	assert_int_equal(ch_pgp_sig_finish(&armored, &ctx, sexp.ptr, sexp.size), 0);
	ch_pgp_sig_dispose(&ctx);

	/* Stock gpg must call it good, and so must we. */
	snprintf(path, sizeof(path), "%s/sig.asc", home);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(armored.ptr, 1, armored.size, f), armored.size);
	fclose(f);
	snprintf(path, sizeof(path), "%s/data", home);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(payload, 1, strlen(payload), f), strlen(payload));
	fclose(f);
	assert_int_equal(run_cmd(&status, "gpg --batch --status-fd 1 --verify '%s/sig.asc' "
	                         "'%s/data' 2>/dev/null", home, home), 0);
	if (!strstr(status.ptr, "[GNUPG:] GOODSIG ") || !strstr(status.ptr, fpr))
		fail_msg("gpg --verify (%s):\n%s", algo_name, status.ptr);
	assert_int_equal(ch_pgp_verify(&res, kr, payload, strlen(payload), armored.ptr,
	                               armored.size), 0);
	assert_string_equal(res.primary_fpr, fpr);
	print_message("# %s: gpg-agent PKSIGN + pgp_sign.c -> gpg --verify GOODSIG\n", algo_name);
	ch_pgp_keyring_free(kr);
	ch_buf_dispose(&listing);
	ch_buf_dispose(&key);
	ch_buf_dispose(&reply);
	ch_buf_dispose(&sexp);
	ch_buf_dispose(&armored);
	ch_buf_dispose(&status);
	ch_buf_dispose(&hex);
}

/* The temporary GNUPGHOME, removed (and its agent stopped) by the
 * teardown even when an assertion ends the test early. */
static char interop_home[64];
static char *interop_saved_home;

static void test_interop_gpg_agent(void **state)
{
	const char *old = getenv("GNUPGHOME");

	(void)state;
	if (run_cmd(NULL, "command -v gpg && command -v gpg-agent && command -v gpg-connect-agent "
	            "&& command -v gpgconf") != 0) {
		print_message("# gpg not installed: interop test skipped\n");
		skip();
	}
	snprintf(interop_home, sizeof(interop_home), "/tmp/chpgp-agent.XXXXXX");
	if (!mkdtemp(interop_home)) {
		interop_home[0] = '\0';
		fail_msg("mkdtemp failed");
	}
	interop_saved_home = old ? ch_strdup(old) : NULL;
	setenv("GNUPGHOME", interop_home, 1);
	interop_one(interop_home, 1, "ed25519", CH_PGP_PK_EDDSA, CH_PGP_HASH_SHA256);
	interop_one(interop_home, 2, "nistp256", CH_PGP_PK_ECDSA, CH_PGP_HASH_SHA256);
	interop_one(interop_home, 3, "rsa3072", CH_PGP_PK_RSA, CH_PGP_HASH_SHA512);
}

static int interop_teardown(void **state)
{
	(void)state;
	if (!interop_home[0])
		return 0;
	run_cmd(NULL, "gpgconf --kill gpg-agent");
	run_cmd(NULL, "rm -rf '%s'", interop_home);
	interop_home[0] = '\0';
	if (interop_saved_home)
		setenv("GNUPGHOME", interop_saved_home, 1);
	else
		unsetenv("GNUPGHOME");
	free(interop_saved_home);
	interop_saved_home = NULL;
	return 0;
}

/* ------------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	if (!gcry_check_version(NULL))
		return -1;
	/* Test keys need no locked memory; libgcrypt's auto-expanded secure
	 * pool is never freed and would read as a leak under LeakSanitizer. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_signature_each_key_type),
		cmocka_unit_test(test_other_signature_shapes),
		cmocka_unit_test(test_subkey_maps_to_primary),
		cmocka_unit_test(test_wrong_data),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_two_signatures),
		cmocka_unit_test(test_refused_signature_shapes),
		cmocka_unit_test(test_garbage_signatures),
		cmocka_unit_test(test_garbage_keys),
		cmocka_unit_test(test_revoked_primary),
		cmocka_unit_test(test_revoked_subkey),
		cmocka_unit_test(test_unbound_subkey),
		cmocka_unit_test(test_sig_issuer),
		cmocka_unit_test(test_keyring_owners),
		cmocka_unit_test(test_sign_roundtrip),
		cmocka_unit_test(test_sign_refuses_bad_input),
		cmocka_unit_test(test_constructed_subkeys),
		cmocka_unit_test(test_subpackets),
		cmocka_unit_test(test_packet_framing),
		cmocka_unit_test(test_revoked_with_sha1),
		cmocka_unit_test(test_soft_revocation),
		cmocka_unit_test(test_key_expiry),
		cmocka_unit_test(test_certify_only_primary),
		cmocka_unit_test(test_two_certificates),
		cmocka_unit_test(test_refusal_messages),
		cmocka_unit_test(test_other_implementations),
		cmocka_unit_test(test_can_sign),
		cmocka_unit_test(test_sign_matches_gpg_bytes),
		cmocka_unit_test_teardown(test_interop_gpg_agent, interop_teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
