/* keystore_fixture.h -- what the keystore's unit tests share
 * (test_keystore.c): a temporary GnuPG home with one
 * Ed25519 key made once, shell helpers, and stock gpg's verdict.
 * Included by one test program each (static functions, a static fixture). */
#ifndef CH_KEYSTORE_FIXTURE_H
#define CH_KEYSTORE_FIXTURE_H

#define PASSPHRASE "correct horse battery staple 7"

typedef struct {
	char base[64];   /* temporary directory holding everything */
	ch_buf home;     /* the keystore's GnuPG home */
	ch_keystore *ks;
	ch_keyinfo ed;   /* an Ed25519 key made once for all tests */
} fixture;

static fixture fx;

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run a shell command built with printf; its exit status. Only paths from
 * mkdtemp and fixed strings go into it (never a passphrase). */
static inline int sh(const char *fmt, ...) CH_PRINTF(1, 2);
static inline int sh(const char *fmt, ...)
{
	ch_buf cmd = CH_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ch_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd.ptr);
	ch_buf_dispose(&cmd);
	return rc;
}

/* Like sh, with stdout captured into out. */
static inline int sh_out(ch_buf *out, const char *fmt, ...) CH_PRINTF(2, 3);
static inline int sh_out(ch_buf *out, const char *fmt, ...)
{
	ch_buf cmd = CH_BUF_INIT;
	char chunk[4096];
	va_list ap;
	size_t n;
	FILE *p;

	va_start(ap, fmt);
	ch_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	ch_buf_clear(out);
	p = popen(cmd.ptr, "r");
	ch_buf_dispose(&cmd);
	if (!p)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		ch_buf_put(out, chunk, n);
	return pclose(p);
}

static inline void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void kill_agent(const char *home)
{
	sh("gpgconf --homedir '%s' --kill gpg-agent >/dev/null 2>&1", home);
}

/* gpg --verify in `home`: good, and made by `fpr` (status VALIDSIG). */
static inline void assert_gpg_verifies(const char *home, const ch_buf *sig, const void *payload,
                                size_t len, const char *fpr)
{
	ch_buf path_sig = CH_BUF_INIT, path_data = CH_BUF_INIT, out = CH_BUF_INIT;
	ch_buf want = CH_BUF_INIT;

	ch_buf_printf(&path_sig, "%s/payload.asc", fx.base);
	ch_buf_printf(&path_data, "%s/payload", fx.base);
	write_file(path_sig.ptr, sig->ptr, sig->size);
	write_file(path_data.ptr, payload, len);
	assert_int_equal(sh_out(&out, "gpg --homedir '%s' --batch --status-fd 1 --verify "
	                        "'%s' '%s' 2>/dev/null", home, path_sig.ptr, path_data.ptr), 0);
	ch_buf_printf(&want, "[GNUPG:] VALIDSIG %s ", fpr);
	if (!strstr(out.ptr, want.ptr))
		print_error("gpg status:\n%s\n", out.ptr);
	assert_non_null(strstr(out.ptr, want.ptr));
	assert_non_null(strstr(out.ptr, "[GNUPG:] GOODSIG "));
	ch_buf_dispose(&path_sig);
	ch_buf_dispose(&path_data);
	ch_buf_dispose(&out);
	ch_buf_dispose(&want);
}

/* The fixture: `tmpl` for mkdtemp, the home at `home_rel` under it. */
static inline int fixture_setup(const char *tmpl, const char *home_rel)
{
	if (ch_crypto_init() < 0)
		return -1;
	snprintf(fx.base, sizeof(fx.base), "%s", tmpl);
	if (!mkdtemp(fx.base))
		return -1;
	ch_buf_init(&fx.home);
	ch_buf_printf(&fx.home, "%s/%s", fx.base, home_rel);
	if (ch_keystore_open(&fx.ks, fx.home.ptr) < 0 ||
	    ch_keystore_create_key(&fx.ed, fx.ks, "Nguyen Van A", "a@example.vn", NULL,
	                           PASSPHRASE) < 0) {
		fprintf(stderr, "setup: %s\n", ch_error_last());
		return -1;
	}
	return 0;
}

static inline int fixture_teardown(void **state)
{
	(void)state;
	ch_keystore_free(fx.ks);
	kill_agent(fx.home.ptr);
	ch_fs_remove_tree(fx.base);
	ch_buf_dispose(&fx.home);
	return 0;
}

#endif
