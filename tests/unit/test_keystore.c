/* test_keystore.c -- GnuPG home, key creation, export and agent signing
 * (crypto/keystore.c), checked against stock gpg and git.
 *
 * Everything runs in fresh temporary homes; every agent started here is
 * killed at the end. */
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
#include "crypto/keystore.h"
#include "util/fs.h"
#include "util/common.h"


#include "keystore_fixture.h"

static int group_setup(void **state)
{
	(void)state;
	return fixture_setup("/tmp/ch-keystore.XXXXXX", "site/gnupg"); /* parents do not exist yet */
}

static void test_home_created_0700(void **state)
{
	ch_buf conf = CH_BUF_INIT, path = CH_BUF_INIT;
	ch_keystore *ks = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(stat(fx.home.ptr, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);

	ch_buf_printf(&path, "%s/gpg-agent.conf", fx.home.ptr);
	assert_int_equal(ch_fs_read(&conf, path.ptr, 65536), 0);
	assert_non_null(strstr(conf.ptr, "\nallow-loopback-pinentry\n"));
	assert_non_null(strstr(conf.ptr, "\ndefault-cache-ttl 0\n"));
	assert_non_null(strstr(conf.ptr, "\nmax-cache-ttl 0\n"));
	/* the agent's own calibrated S2K: no lowered count (this test runs
	 * without CHANCERY_TEST_S2K_COUNT, the test build's only way to lower it) */
	assert_null(strstr(conf.ptr, "s2k-count"));
	assert_int_equal(stat(path.ptr, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);

	/* opening again is fine and leaves the home as it was */
	assert_int_equal(ch_keystore_open(&ks, fx.home.ptr), 0);
	ch_keystore_free(ks);
	ch_buf_dispose(&conf);
	ch_buf_dispose(&path);
}

static void test_home_refused_when_open_to_others(void **state)
{
	ch_buf dir = CH_BUF_INIT, link = CH_BUF_INIT;
	ch_keystore *ks = NULL;
	struct stat st;

	(void)state;
	ch_buf_printf(&dir, "%s/loose", fx.base);
	assert_int_equal(mkdir(dir.ptr, 0755), 0);
	assert_int_equal(chmod(dir.ptr, 0755), 0);
	assert_int_equal(ch_keystore_open(&ks, dir.ptr), CH_ERROR);
	assert_null(ks);
	assert_non_null(strstr(ch_error_last(), "group or others"));
	/* refused, not silently changed, and nothing written into it */
	assert_int_equal(stat(dir.ptr, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	ch_buf_puts(&dir, "/gpg-agent.conf");
	assert_false(ch_fs_exists(dir.ptr));

	ch_buf_printf(&link, "%s/link", fx.base);
	assert_int_equal(symlink(fx.home.ptr, link.ptr), 0);
	assert_int_equal(ch_keystore_open(&ks, link.ptr), CH_EINVALID);
	assert_null(ks);
	assert_int_equal(ch_keystore_open(&ks, ""), CH_EINVALID);
	ch_buf_dispose(&dir);
	ch_buf_dispose(&link);
}

static void assert_hex40(const char *s)
{
	size_t i;

	assert_int_equal(strlen(s), 40);
	for (i = 0; i < 40; i++)
		assert_non_null(strchr("0123456789ABCDEF", s[i]));
}

static void test_created_key_info(void **state)
{
	ch_keyinfo found;

	(void)state;
	assert_hex40(fx.ed.fpr);
	assert_hex40(fx.ed.keygrip);
	assert_string_equal(fx.ed.signing_fpr, fx.ed.fpr);
	assert_int_equal(fx.ed.pk_algo, CH_PGP_PK_EDDSA);

	assert_int_equal(ch_keystore_find(&found, fx.ks, fx.ed.fpr), 0);
	assert_memory_equal(&found, &fx.ed, sizeof(found));
}

static void test_find_errors(void **state)
{
	ch_keyinfo k;
	ch_buf b = CH_BUF_INIT;
	char lower[41];
	size_t i;

	(void)state;
	for (i = 0; i < 41; i++)
		lower[i] = (char)(fx.ed.fpr[i] >= 'A' && fx.ed.fpr[i] <= 'F' ?
		                  fx.ed.fpr[i] - 'A' + 'a' : fx.ed.fpr[i]);
	assert_int_equal(ch_keystore_find(&k, fx.ks, lower), 0);
	assert_string_equal(k.fpr, fx.ed.fpr);
	assert_int_equal(ch_keystore_find(&k, fx.ks, "0123456789ABCDEF0123456789ABCDEF01234567"),
	                 CH_ENOTFOUND);
	assert_int_equal(ch_keystore_find(&k, fx.ks, "Nguyen Van A"), CH_EINVALID);
	assert_int_equal(ch_keystore_export(&b, fx.ks, "0123456789ABCDEF0123456789ABCDEF01234567"),
	                 CH_ENOTFOUND);
	ch_buf_dispose(&b);
}

static void test_create_refuses_bad_input(void **state)
{
	ch_keyinfo k;

	(void)state;
	assert_int_equal(ch_keystore_create_key(&k, fx.ks, "A", "a@example.vn", "dsa1024",
	                                        PASSPHRASE), CH_EINVALID);
	assert_int_equal(ch_keystore_create_key(&k, fx.ks, "A <evil>", "a@example.vn", NULL,
	                                        PASSPHRASE), CH_EINVALID);
	assert_int_equal(ch_keystore_create_key(&k, fx.ks, "A", "not-an-email", NULL,
	                                        PASSPHRASE), CH_EINVALID);
	assert_int_equal(ch_keystore_create_key(&k, fx.ks, "A", "a@example.vn", NULL, ""),
	                 CH_EINVALID);
	assert_int_equal(ch_keystore_create_key(&k, fx.ks, "A", "a@example.vn", NULL,
	                                        "two\nlines"), CH_EINVALID);
}

static void test_sign_verifies_with_gpg(void **state)
{
	static const char payload[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	                              "author A <a@example.vn> 1700000000 +0700\n\nhello\n";
	ch_buf sig = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, payload,
	                                  strlen(payload)), 0);
	assert_true(strncmp(sig.ptr, "-----BEGIN PGP SIGNATURE-----\n", 30) == 0);
	assert_non_null(strstr(sig.ptr, "-----END PGP SIGNATURE-----\n"));
	assert_gpg_verifies(fx.home.ptr, &sig, payload, strlen(payload), fx.ed.fpr);
	ch_buf_dispose(&sig);
}

/* Ed25519 is deterministic: with the same creation time, stock gpg must
 * write exactly our bytes (the time is frozen with --faked-system-time,
 * the passphrase goes in on stdin). Retried if a second boundary falls
 * between the two signatures. */
static void test_signature_matches_gpg_bytes(void **state)
{
	static const char payload[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nbytes\n";
	ch_buf sig = CH_BUF_INIT, theirs = CH_BUF_INIT, data = CH_BUF_INIT, out = CH_BUF_INIT;
	ch_buf cmd = CH_BUF_INIT;
	int attempt, same = 0;
	time_t t;
	FILE *p;

	(void)state;
	ch_buf_printf(&data, "%s/bytes", fx.base);
	ch_buf_printf(&out, "%s/bytes.asc", fx.base);
	write_file(data.ptr, payload, strlen(payload));
	for (attempt = 0; attempt < 3 && !same; attempt++) {
		t = time(NULL);
		assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, payload,
		                                  strlen(payload)), 0);
		if (time(NULL) != t)
			continue;
		unlink(out.ptr);
		ch_buf_clear(&cmd);
		ch_buf_printf(&cmd, "gpg --homedir '%s' --batch --pinentry-mode loopback "
		              "--passphrase-fd 0 --faked-system-time %lld! -u %s! --armor "
		              "--detach-sign -o '%s' '%s' 2>/dev/null", fx.home.ptr, (long long)t,
		              fx.ed.fpr, out.ptr, data.ptr);
		p = popen(cmd.ptr, "w");
		assert_non_null(p);
		fputs(PASSPHRASE "\n", p);
		assert_int_equal(pclose(p), 0);
		assert_int_equal(ch_fs_read(&theirs, out.ptr, 65536), 0);
		same = 1;
	}
	assert_true(same);
	assert_string_equal(sig.ptr, theirs.ptr);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&theirs);
	ch_buf_dispose(&data);
	ch_buf_dispose(&out);
	ch_buf_dispose(&cmd);
}

/* The signature in a commit's gpgsig header, checked by git verify-commit. */
static void test_sign_verifies_with_git(void **state)
{
	static const char head[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	                           "author Nguyen Van A <a@example.vn> 1700000000 +0700\n"
	                           "committer Nguyen Van A <a@example.vn> 1700000000 +0700\n";
	static const char msg[] = "\napprove: document 42\n";
	ch_buf payload = CH_BUF_INIT, sig = CH_BUF_INIT, commit = CH_BUF_INIT;
	ch_buf repo = CH_BUF_INIT, path = CH_BUF_INIT, oid = CH_BUF_INIT;
	const char *line, *nl;

	(void)state;
	ch_buf_printf(&payload, "%s%s", head, msg);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, payload.ptr,
	                                  payload.size), 0);
	/* gpgsig header: first line after "gpgsig ", the rest after a space */
	ch_buf_puts(&commit, head);
	for (line = sig.ptr; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		ch_buf_puts(&commit, line == sig.ptr ? "gpgsig " : " ");
		ch_buf_put(&commit, line, (size_t)(nl - line) + 1);
	}
	ch_buf_puts(&commit, msg);

	ch_buf_printf(&repo, "%s/repo", fx.base);
	ch_buf_printf(&path, "%s/commit", fx.base);
	write_file(path.ptr, commit.ptr, commit.size);
	assert_int_equal(sh("git init -q '%s'", repo.ptr), 0);
	assert_int_equal(sh_out(&oid, "git -C '%s' hash-object -t commit -w '%s'", repo.ptr,
	                        path.ptr), 0);
	while (oid.size && oid.ptr[oid.size - 1] == '\n')
		ch_buf_truncate(&oid, oid.size - 1);
	assert_int_equal(oid.size, 40);
	assert_int_equal(sh("GNUPGHOME='%s' git -C '%s' -c gpg.program=gpg verify-commit %s "
	                    ">/dev/null 2>&1", fx.home.ptr, repo.ptr, oid.ptr), 0);
	/* and git notices a changed message */
	ch_buf_truncate(&commit, commit.size - 2);
	ch_buf_puts(&commit, "3\n");
	write_file(path.ptr, commit.ptr, commit.size);
	assert_int_equal(sh_out(&oid, "git -C '%s' hash-object -t commit -w '%s'", repo.ptr,
	                        path.ptr), 0);
	ch_buf_truncate(&oid, 40);
	assert_int_not_equal(sh("GNUPGHOME='%s' git -C '%s' -c gpg.program=gpg verify-commit %s "
	                        ">/dev/null 2>&1", fx.home.ptr, repo.ptr, oid.ptr), 0);
	ch_buf_dispose(&payload);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&commit);
	ch_buf_dispose(&repo);
	ch_buf_dispose(&path);
	ch_buf_dispose(&oid);
}

static void test_wrong_passphrase(void **state)
{
	ch_buf sig = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE "x", "data", 4),
	                 CH_EAUTH);
	assert_string_equal(ch_error_last(), "wrong signing passphrase");
	assert_int_equal(sig.size, 0);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, "Correct horse battery staple 7",
	                                  "data", 4), CH_EAUTH);
	assert_int_equal(sig.size, 0);
	/* the passphrase is asked every time: no cache lets this through */
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, "wrong", "data", 4), CH_EAUTH);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, "", "data", 4), CH_EINVALID);
	assert_int_equal(sig.size, 0);
	/* the connection is still good for the right one */
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, "data", 4), 0);
	assert_gpg_verifies(fx.home.ptr, &sig, "data", 4, fx.ed.fpr);
	ch_buf_dispose(&sig);
}

static void test_unknown_keygrip(void **state)
{
	ch_keyinfo k = fx.ed;
	ch_buf sig = CH_BUF_INIT;

	(void)state;
	memcpy(k.keygrip, "0123456789ABCDEF0123456789ABCDEF01234567", 41);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &k, PASSPHRASE, "data", 4), CH_ENOTFOUND);
	assert_non_null(strstr(ch_error_last(), "0123456789ABCDEF0123456789ABCDEF01234567"));
	memcpy(k.keygrip, "not a keygrip", 14);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &k, PASSPHRASE, "data", 4), CH_EINVALID);
	assert_int_equal(sig.size, 0);
}

static void test_export_imports_elsewhere(void **state)
{
	ch_buf key = CH_BUF_INIT, other = CH_BUF_INIT, path = CH_BUF_INIT, out = CH_BUF_INIT;
	ch_buf sig = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_keystore_export(&key, fx.ks, fx.ed.fpr), 0);
	assert_true(strncmp(key.ptr, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n", 37) == 0);
	assert_non_null(strstr(key.ptr, "-----END PGP PUBLIC KEY BLOCK-----\n"));
	assert_int_equal(strlen(key.ptr), key.size);
	assert_null(strstr(key.ptr, "PRIVATE"));

	ch_buf_printf(&other, "%s/other", fx.base);
	assert_int_equal(mkdir(other.ptr, 0700), 0);
	ch_buf_printf(&path, "%s/key.asc", fx.base);
	write_file(path.ptr, key.ptr, key.size);
	assert_int_equal(sh("gpg --homedir '%s' --batch --import '%s' >/dev/null 2>&1",
	                    other.ptr, path.ptr), 0);
	assert_int_equal(sh_out(&out, "gpg --homedir '%s' --batch --with-colons --list-keys %s "
	                        "2>/dev/null", other.ptr, fx.ed.fpr), 0);
	assert_non_null(strstr(out.ptr, fx.ed.fpr));
	assert_non_null(strstr(out.ptr, "Nguyen Van A <a@example.vn>"));
	/* a home holding only the public key verifies our signatures */
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, "x", 1), 0);
	assert_gpg_verifies(other.ptr, &sig, "x", 1, fx.ed.fpr);
	kill_agent(other.ptr);
	ch_buf_dispose(&key);
	ch_buf_dispose(&other);
	ch_buf_dispose(&path);
	ch_buf_dispose(&out);
	ch_buf_dispose(&sig);
}

/* Passphrases with '%' (escaped on the Assuan line), spaces and UTF-8. */
static void test_passphrase_special_characters(void **state)
{
	const char *pass = "50% c\xe1\xbb\xa7" "a %25 m\xe1\xbb\x99t ng\xc6\xb0\xe1\xbb\x9di";
	ch_keyinfo k;
	ch_buf sig = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_keystore_create_key(&k, fx.ks, "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b B",
	                                        "b@example.vn", "ed25519", pass), 0);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &k, pass, "y", 1), 0);
	assert_gpg_verifies(fx.home.ptr, &sig, "y", 1, k.fpr);
	ch_buf_clear(&sig);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &k, "50% c", "y", 1), CH_EAUTH);
	ch_buf_dispose(&sig);
}

static void test_rsa3072(void **state)
{
	ch_keyinfo k;
	ch_buf sig = CH_BUF_INIT;
	double t0;

	(void)state;
	t0 = now_ms();
	assert_int_equal(ch_keystore_create_key(&k, fx.ks, "Le Van C", "c@example.vn", "rsa3072",
	                                        PASSPHRASE), 0);
	printf("# rsa3072 key creation: %.0f ms\n", now_ms() - t0);
	assert_int_equal(k.pk_algo, CH_PGP_PK_RSA);
	assert_string_equal(k.signing_fpr, k.fpr);
	assert_string_not_equal(k.keygrip, fx.ed.keygrip);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &k, PASSPHRASE, "rsa payload", 11), 0);
	assert_gpg_verifies(fx.home.ptr, &sig, "rsa payload", 11, k.fpr);
	ch_buf_clear(&sig);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &k, "nope", "rsa payload", 11), CH_EAUTH);
	ch_buf_dispose(&sig);
}

/* The agent goes away (restart, gpgconf --kill): the kept connection is
 * replaced and the agent started again. */
static void test_agent_restart(void **state)
{
	ch_buf sig = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, "a", 1), 0);
	kill_agent(fx.home.ptr);
	assert_int_equal(ch_keystore_sign(&sig, fx.ks, &fx.ed, PASSPHRASE, "b", 1), 0);
	assert_gpg_verifies(fx.home.ptr, &sig, "b", 1, fx.ed.fpr);
	ch_buf_dispose(&sig);
}

/* Information, not an assertion: what a signature costs over a kept
 * connection, and in a fresh keystore as a command-line process has it. */
static void test_sign_timing(void **state)
{
	enum { N = 100 };
	ch_buf sig = CH_BUF_INIT;
	ch_keystore *ks = NULL;
	double t0, t1, worst = 0, t;
	int i;

	(void)state;
	t0 = now_ms();
	assert_int_equal(ch_keystore_open(&ks, fx.home.ptr), 0);
	assert_int_equal(ch_keystore_sign(&sig, ks, &fx.ed, PASSPHRASE, "first", 5), 0);
	t1 = now_ms();
	printf("# fresh keystore: open + first signature (connect): %.2f ms\n", t1 - t0);
	for (i = 0; i < N; i++) {
		t = now_ms();
		assert_int_equal(ch_keystore_sign(&sig, ks, &fx.ed, PASSPHRASE, "payload", 7), 0);
		t = now_ms() - t;
		worst = t > worst ? t : worst;
	}
	printf("# Ed25519: %d signatures, mean %.3f ms, worst %.3f ms\n", N,
	       (now_ms() - t1) / N, worst);
	ch_keystore_free(ks);
	ch_buf_dispose(&sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_created_0700),
		cmocka_unit_test(test_home_refused_when_open_to_others),
		cmocka_unit_test(test_created_key_info),
		cmocka_unit_test(test_find_errors),
		cmocka_unit_test(test_create_refuses_bad_input),
		cmocka_unit_test(test_sign_verifies_with_gpg),
		cmocka_unit_test(test_signature_matches_gpg_bytes),
		cmocka_unit_test(test_sign_verifies_with_git),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_unknown_keygrip),
		cmocka_unit_test(test_export_imports_elsewhere),
		cmocka_unit_test(test_passphrase_special_characters),
		cmocka_unit_test(test_rsa3072),
		cmocka_unit_test(test_agent_restart),
		cmocka_unit_test(test_sign_timing),
	};

	return cmocka_run_group_tests(tests, group_setup, fixture_teardown);
}
