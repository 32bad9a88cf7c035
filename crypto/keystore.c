/* keystore.c -- a site's GnuPG home: per-person keys, held by gpg-agent.
 *
 * Two paths with different costs:
 *
 *   key management (create, find, export) goes through GPGME's OpenPGP
 *   engine, i.e. a gpg process per call (~10 ms, and ~10 ms more for the
 *   first gpgme_new of a process, which runs `gpg --version`, `gpgsm
 *   --version` and `gpgconf`). Accounts are created rarely; that is fine.
 *
 *   signing must cost ~1 ms of a 7.5 ms workflow step, so it neither
 *   starts a process nor creates a GPGME context: it speaks the Assuan protocol to gpg-agent over one
 *   socket with libassuan (the library GPGME itself uses for
 *   GPGME_PROTOCOL_ASSUAN): RESET, SIGKEY, SETHASH, PKSIGN, the agent's
 *   INQUIRE PASSPHRASE answered with the loopback pinentry. The connection
 *   stays open in the keystore for the next signature.
 *
 * A passphrase never travels in argv, the environment or a file: key
 * creation hands it to gpg through GPGME's passphrase callback (a pipe),
 * signing writes it on the agent socket from a buffer we wipe.
 *
 * A keystore is not thread-safe (one connection, one GPGME context): use
 * one per thread, or the signing process's single thread. */
#include <assuan.h>
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <gpgme.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/keystore.h"
#include "crypto/pgp.h"
#include "util/fs.h"
#include "util/common.h"

extern char **environ;

/* gpg-agent's limit (MAX_PASSPHRASE_LEN in agent/agent.h). */
#define CH_PASSPHRASE_MAX 255
/* An S-expression for an RSA-4096 signature is ~530 bytes. */
#define CH_SIGVAL_MAX 8192
/* gpgconf prints one path; anything longer is not what we asked for. */
#define CH_GPGCONF_OUTPUT_MAX 4096

/* The digest we ask the agent to sign: SHA-256, what gpg 2.2 itself picks
 * for Ed25519 and RSA keys when no preference is set (g10/sign.c,
 * hash_for), so our signatures look like `git commit -S`'s. For EdDSA the
 * agent signs the digest bytes as the message, with Ed25519's own
 * internal SHA-512 (agent/pksign.c, "(flags eddsa)(hash-algo sha512)");
 * for RSA it wraps them in a PKCS#1 DigestInfo, so the name must match. */
#define CH_SIGN_HASH CH_PGP_HASH_SHA256
#define CH_SIGN_HASH_NAME "sha256"

/* gpg-agent protects each secret key with a key derived from the
 * passphrase by iterated-salted S2K, calibrated by the agent to ~100 ms of
 * this machine (an Ed25519 signature costs ~230 ms here with the cache
 * off: the passphrase unprotects the key at every signature). That cost is
 * what protects a stolen home against offline guessing; it is left as the
 * agent sets it. Test builds (CH_TEST_HOOKS) may lower it through
 * CHANCERY_TEST_S2K_COUNT so that the suite's thousands of signatures stay
 * quick; a release build never reads that variable. */
static const char agent_conf[] =
	"# Written by Chancery (crypto/keystore.c); rewritten whenever it differs.\n"
	"# The server answers passphrase requests itself (loopback pinentry)...\n"
	"allow-loopback-pinentry\n"
	"# ...and the passphrase is asked at every signature, like a token's PIN.\n"
	"default-cache-ttl 0\n"
	"max-cache-ttl 0\n"
	"ignore-cache-for-signing\n"
	"no-allow-external-cache\n"
	"# Keys live in this home only; never start scdaemon for a smartcard.\n"
	"disable-scdaemon\n";

static const char gpg_conf[] =
	"# Written by Chancery (crypto/keystore.c); rewritten whenever it differs.\n"
	"# A signing home knows only the keys it holds: no network lookups.\n"
	"auto-key-locate local\n"
	"no-auto-key-retrieve\n"
	"# Match the digest Chancery signs with, for signatures made by hand.\n"
	"personal-digest-preferences SHA256\n";

struct ch_keystore {
	char *home;             /* absolute path */
	char *socket;           /* gpg-agent's socket, once known */
	gpgme_ctx_t gpg;        /* OpenPGP engine, created on first use */
	assuan_context_t agent; /* open connection to gpg-agent, or NULL */
};

/* ------------------------------------------------------------------------
 * Validation helpers
 * ------------------------------------------------------------------------ */

static int valid_passphrase(const char *passphrase)
{
	size_t len = strlen(passphrase);

	if (len == 0)
		return ch_error_setc(CH_EINVALID, "the signing passphrase is empty");
	if (len > CH_PASSPHRASE_MAX)
		return ch_error_setc(CH_EINVALID, "the signing passphrase is longer than %d bytes",
		                     CH_PASSPHRASE_MAX);
	/* gpg reads the passphrase as one line from GPGME: a line break
	 * would silently cut it at key creation. */
	if (strpbrk(passphrase, "\r\n"))
		return ch_error_setc(CH_EINVALID, "the signing passphrase contains a line break");
	return 0;
}

/* 40 hex digits, copied upper-case into out. */
static int normalize_hex40(char out[41], const char *in, const char *what)
{
	size_t i;

	for (i = 0; i < 40; i++) {
		char c = in[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			break;
		out[i] = (char)(c >= 'a' ? c - 'a' + 'A' : c);
	}
	out[i] = '\0';
	if (i != 40 || in[40] != '\0')
		return ch_error_setc(CH_EINVALID, "%s \"%.60s\" is not 40 hex digits", what, in);
	return 0;
}

/* A user id part: printable, no angle brackets, bounded. */
static int valid_uid_part(const char *s, size_t max, const char *what)
{
	const unsigned char *p;

	if (!*s || strlen(s) > max)
		return ch_error_setc(CH_EINVALID, "the %s must be 1 to %zu bytes", what, max);
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return ch_error_setc(CH_EINVALID, "the %s contains a control character "
			                     "or an angle bracket", what);
	return 0;
}

static int valid_email(const char *email)
{
	const char *at;
	int error;

	if ((error = valid_uid_part(email, 254, "email address")) < 0)
		return error;
	at = strchr(email, '@');
	if (!at || at == email || !at[1] || strchr(at + 1, '@') || strpbrk(email, " \t"))
		return ch_error_setc(CH_EINVALID, "\"%s\" is not an email address", email);
	return 0;
}

/* ------------------------------------------------------------------------
 * The home directory and its configuration
 * ------------------------------------------------------------------------ */

/* gpg and gpg-agent warn about, and an attacker could use, a home that
 * others can read or write: refuse rather than silently chmod, so that an
 * administrator learns the keys were exposed. */
static int check_home(const char *home)
{
	struct stat st;

	if (lstat(home, &st) < 0)
		return ch_error_setc(CH_EIO, "%s: %s", home, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ch_error_setc(CH_EINVALID, "%s: the GnuPG home is not a directory%s", home,
		                     S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
	/* root (the command line beside chanceryd) may use the home of a
	 * site's keys user (chancery-SITE-keys); what it writes there is
	 * handed back (workflows/site.c hand_back_keys) */
	if (st.st_uid != geteuid() && geteuid() != 0)
		return ch_error_set("%s: the GnuPG home belongs to uid %ld, not to us (uid %ld)",
		                    home, (long)st.st_uid, (long)geteuid());
	if (st.st_mode & 077)
		return ch_error_set("%s: the GnuPG home is accessible to group or others "
		                    "(mode %04o); make it 0700 (chmod 700) and check who read it",
		                    home, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int open_home(char **out, const char *homedir)
{
	struct stat st;
	char *abs;
	int error;

	if (!homedir || !*homedir)
		return ch_error_setc(CH_EINVALID, "no GnuPG home given");
	if (lstat(homedir, &st) < 0) {
		if (errno != ENOENT)
			return ch_error_setc(CH_EIO, "%s: %s", homedir, strerror(errno));
		if ((error = ch_fs_mkdir_p(homedir, 0700)) < 0)
			return error;
	}
	if ((error = check_home(homedir)) < 0)
		return error;
	/* gpg-agent derives its socket directory from the absolute home path:
	 * use one spelling, whatever the caller passed. */
	if (!(abs = realpath(homedir, NULL)))
		return ch_error_setc(CH_EIO, "%s: %s", homedir, strerror(errno));
	*out = abs;
	return 0;
}

/* Write home/name unless it already holds exactly `content`. */
static int write_conf(int *changed, const char *home, const char *name, const char *content)
{
	ch_buf path = CH_BUF_INIT, cur = CH_BUF_INIT;
	size_t len = strlen(content);
	int error;

	*changed = 0;
	ch_buf_printf(&path, "%s/%s", home, name);
	error = ch_fs_read(&cur, path.ptr, 65536);
	if (error == 0 && cur.size == len && !memcmp(cur.ptr, content, len))
		goto done;
	if (error < 0 && error != CH_ENOTFOUND && error != CH_EINVALID)
		goto done;
	if ((error = ch_fs_write_atomic(path.ptr, content, len, 0600)) < 0)
		goto done;
	*changed = 1;
done:
	ch_buf_dispose(&path);
	ch_buf_dispose(&cur);
	return error;
}

/* ------------------------------------------------------------------------
 * gpgconf, run without a shell
 * ------------------------------------------------------------------------ */

/* Start `gpgconf --homedir HOME args...` with stdin on /dev/null, stdout
 * (and stderr when merge_stderr) on a pipe whose reading end is *fd. */
static int spawn_gpgconf(pid_t *pid, int *fd, const char *home, const char *const *args,
                         int merge_stderr)
{
	const char *argv[8] = { "gpgconf", "--homedir", home };
	posix_spawn_file_actions_t fa;
	int pipefd[2], rc;
	size_t i;

	for (i = 0; args[i]; i++) {
		if (3 + i >= CH_ARRAY_SIZE(argv) - 1)
			return ch_error_set("too many gpgconf arguments");
		argv[3 + i] = args[i];
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ch_error_setc(CH_EIO, "cannot run gpgconf: pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	if (merge_stderr)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* posix_spawnp searches PATH, or /bin:/usr/bin when PATH is unset. */
	rc = posix_spawnp(pid, "gpgconf", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		return ch_error_setc(CH_EIO, "cannot run gpgconf: %s", strerror(rc));
	}
	*fd = pipefd[0];
	return 0;
}

/* Read fd to its end, keeping the first CH_GPGCONF_OUTPUT_MAX bytes
 * without the final line break; closes fd. */
static void read_output(ch_buf *out, int fd)
{
	char chunk[512];
	ssize_t n;

	ch_buf_clear(out);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (out->size + (size_t)n <= CH_GPGCONF_OUTPUT_MAX)
			ch_buf_put(out, chunk, (size_t)n);
	}
	close(fd);
	while (out->size && (out->ptr[out->size - 1] == '\n' || out->ptr[out->size - 1] == '\r'))
		ch_buf_truncate(out, out->size - 1);
}

static int wait_child(int *status, pid_t pid)
{
	while (waitpid(pid, status, 0) < 0) {
		/* SIGCHLD ignored: reaped already, status unknown; the
		 * callers check what the child did anyway. */
		if (errno == ECHILD) {
			*status = 0;
			return 0;
		}
		if (errno != EINTR)
			return ch_error_setc(CH_EIO, "gpgconf: waitpid: %s", strerror(errno));
	}
	return 0;
}

/* Run `gpgconf --homedir HOME args...`; its output into out. */
static int run_gpgconf(ch_buf *out, const char *home, const char *const *args, int merge_stderr)
{
	int fd = -1, status, error;
	pid_t pid;

	if ((error = spawn_gpgconf(&pid, &fd, home, args, merge_stderr)) < 0)
		return error;
	read_output(out, fd);
	if ((error = wait_child(&status, pid)) < 0)
		return error;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ch_error_setc(CH_EIO, "gpgconf --homedir %s %s failed (%s %d)%s%.200s", home,
		                     args[0], WIFEXITED(status) ? "exit" : "signal",
		                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		                     out->size ? ": " : "", out->ptr);
	return 0;
}

/* ------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------ */

/* The agent's options; in a test build, CHANCERY_TEST_S2K_COUNT (digits
 * only) adds an s2k-count (see agent_conf above). */
static void agent_conf_text(ch_buf *out)
{
	ch_buf_puts(out, agent_conf);
#ifdef CH_TEST_HOOKS
	{
		const char *n = getenv("CHANCERY_TEST_S2K_COUNT");

		if (n && *n && strlen(n) < 12 && strspn(n, "0123456789") == strlen(n))
			ch_buf_printf(out, "# test build: CHANCERY_TEST_S2K_COUNT\ns2k-count %s\n", n);
	}
#endif
}

static void agent_disconnect(ch_keystore *ks)
{
	if (ks->agent) {
		assuan_release(ks->agent);
		ks->agent = NULL;
	}
}

int ch_keystore_open(ch_keystore **out, const char *homedir)
{
	static const char *const reload[] = { "--reload", "gpg-agent", NULL };
	ch_keystore *ks = NULL;
	ch_buf ignored = CH_BUF_INIT, conf = CH_BUF_INIT;
	char *home = NULL;
	int error, agent_changed, gpg_changed;

	*out = NULL;
	if ((error = ch_crypto_init()) < 0)
		return error;
	if (!assuan_check_version("2.5.0"))
		return ch_error_setc(CH_EIO, "libassuan 2.5.0 or newer is required");
	if ((error = open_home(&home, homedir)) < 0)
		return error;
	agent_conf_text(&conf);
	if ((error = write_conf(&agent_changed, home, "gpg-agent.conf", conf.ptr)) < 0 ||
	    (error = write_conf(&gpg_changed, home, "gpg.conf", gpg_conf)) < 0)
		goto done;
	/* An agent already running for this home must re-read its options
	 * (no cache!) before it signs again; this starts no agent. */
	if (agent_changed && (error = run_gpgconf(&ignored, home, reload, 1)) < 0)
		goto done;
	ks = ch_calloc(1, sizeof(*ks));
	ks->home = home;
	home = NULL;
	*out = ks;
done:
	free(home);
	ch_buf_dispose(&conf);
	ch_buf_dispose(&ignored);
	return error;
}

void ch_keystore_free(ch_keystore *ks)
{
	if (!ks)
		return;
	agent_disconnect(ks);
	if (ks->gpg)
		gpgme_release(ks->gpg);
	free(ks->socket);
	free(ks->home);
	free(ks);
}

/* ------------------------------------------------------------------------
 * Key management through GPGME (slow path: a gpg process per call)
 * ------------------------------------------------------------------------ */

static int gpgme_fail(gpgme_error_t err, const char *what)
{
	return ch_error_setc(CH_EIO, "%s: %s", what, gpgme_strerror(err));
}

static int gpg_context(gpgme_ctx_t *out, ch_keystore *ks)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t err;

	if (ks->gpg) {
		*out = ks->gpg;
		return 0;
	}
	if ((err = gpgme_new(&ctx)) ||
	    (err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, ks->home)) ||
	    (err = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK)) ||
	    (err = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL |
	                                  GPGME_KEYLIST_MODE_WITH_KEYGRIP))) {
		if (ctx)
			gpgme_release(ctx);
		return gpgme_fail(err, "cannot set up GPGME for the GnuPG home");
	}
	gpgme_set_offline(ctx, 1); /* never a keyserver or WKD lookup */
	*out = ks->gpg = ctx;
	return 0;
}

static int pk_algo_of(gpgme_pubkey_algo_t algo)
{
	switch (algo) {
	case GPGME_PK_RSA:
	case GPGME_PK_RSA_S:
		return CH_PGP_PK_RSA;
	case GPGME_PK_ECDSA:
		return CH_PGP_PK_ECDSA;
	case GPGME_PK_EDDSA:
		return CH_PGP_PK_EDDSA;
	default:
		return 0;
	}
}

static int subkey_can_sign_here(gpgme_subkey_t sk)
{
	return sk->can_sign && sk->secret && !sk->revoked && !sk->expired &&
	       !sk->disabled && !sk->invalid && sk->keygrip && pk_algo_of(sk->pubkey_algo);
}

/* The primary key when it can sign here, else the newest signing subkey. */
static gpgme_subkey_t pick_signer(gpgme_key_t key)
{
	gpgme_subkey_t sk, best = NULL;

	if (subkey_can_sign_here(key->subkeys))
		return key->subkeys;
	for (sk = key->subkeys->next; sk; sk = sk->next)
		if (subkey_can_sign_here(sk) && (!best || sk->timestamp > best->timestamp))
			best = sk;
	return best;
}

static int keyinfo_from_key(ch_keyinfo *out, gpgme_key_t key, const char *fpr)
{
	gpgme_subkey_t signer;

	if (!key->subkeys || !key->subkeys->fpr || strcasecmp(key->subkeys->fpr, fpr) != 0)
		return ch_error_setc(CH_ENOTFOUND, "no primary key %s in the GnuPG home", fpr);
	if (key->revoked || key->expired || key->disabled || key->invalid)
		return ch_error_setc(CH_EINVALID, "key %s is %s", fpr,
		                     key->revoked ? "revoked" : key->expired ? "expired" :
		                     key->disabled ? "disabled" : "invalid");
	if (!(signer = pick_signer(key)))
		return ch_error_setc(CH_ENOTFOUND, "key %s has no usable signing key with its "
		                     "secret part in this GnuPG home", fpr);
	memset(out, 0, sizeof(*out));
	if (normalize_hex40(out->fpr, key->subkeys->fpr, "fingerprint") < 0 ||
	    normalize_hex40(out->signing_fpr, signer->fpr, "fingerprint") < 0 ||
	    normalize_hex40(out->keygrip, signer->keygrip, "keygrip") < 0)
		return ch_error_setc(CH_EIO, "GPGME listed key %s without a v4 fingerprint "
		                     "or keygrip", fpr);
	out->pk_algo = pk_algo_of(signer->pubkey_algo);
	return 0;
}

int ch_keystore_find(ch_keyinfo *out, ch_keystore *ks, const char *fpr)
{
	char want[41];
	gpgme_ctx_t ctx;
	gpgme_key_t key = NULL;
	gpgme_error_t err;
	int error;

	if ((error = normalize_hex40(want, fpr, "fingerprint")) < 0 ||
	    (error = gpg_context(&ctx, ks)) < 0)
		return error;
	/* secret_only: the key is only of use if the agent holds it. */
	err = gpgme_get_key(ctx, want, &key, 1);
	if (gpg_err_code(err) == GPG_ERR_EOF || (!err && !key))
		return ch_error_setc(CH_ENOTFOUND, "no secret key %s in the GnuPG home", want);
	if (err)
		return gpgme_fail(err, "cannot list keys in the GnuPG home");
	error = keyinfo_from_key(out, key, want);
	gpgme_key_unref(key);
	return error;
}

/* Loopback pinentry: gpg asks GPGME, GPGME asks us, we write one line to
 * the pipe fd. A second request means the first answer was refused. */
static gpgme_error_t on_passphrase(void *payload, const char *uid_hint,
                                   const char *info, int prev_was_bad, int fd)
{
	const char *passphrase = payload;

	(void)uid_hint;
	(void)info;
	if (prev_was_bad)
		return gpg_error(GPG_ERR_CANCELED);
	if (gpgme_io_writen(fd, passphrase, strlen(passphrase)) < 0 ||
	    gpgme_io_writen(fd, "\n", 1) < 0)
		return gpg_error_from_syserror();
	return 0;
}

/* An encryption subkey (cv25519 beside an Ed25519 primary, RSA-3072
 * beside an RSA one), so that bundles can be encrypted to the person
 * (docs/sync.md "Bundles"). The policy's verifier ignores it: it signs
 * nothing. */
static int add_encryption_subkey(gpgme_ctx_t ctx, const char *fpr, const char *algo,
                                 const char *passphrase)
{
	gpgme_key_t key = NULL;
	gpgme_error_t err;

	if ((err = gpgme_get_key(ctx, fpr, &key, 1)) || !key)
		return ch_error_setc(CH_EIO, "cannot read back the new key %s: %s", fpr,
		                     err ? gpgme_strerror(err) : "not found");
	gpgme_set_passphrase_cb(ctx, on_passphrase, (void *)passphrase);
	err = gpgme_op_createsubkey(ctx, key, strcmp(algo, "rsa3072") ? "cv25519" : "rsa3072", 0, 0,
	                            GPGME_CREATE_ENCR | GPGME_CREATE_NOEXPIRE);
	gpgme_set_passphrase_cb(ctx, NULL, NULL);
	gpgme_key_unref(key);
	if (err)
		return ch_error_setc(CH_EIO, "cannot add an encryption subkey to %s: %s", fpr,
		                     gpgme_strerror(err));
	return 0;
}

/* A primary key for uid that signs and certifies, without expiry (FORCE:
 * keys are told apart by fingerprint); its fingerprint. */
static int create_primary(char fpr[41], gpgme_ctx_t ctx, const char *uid, const char *algo,
                          unsigned int extra)
{
	gpgme_genkey_result_t res;
	gpgme_error_t err;
	int error;

	err = gpgme_op_createkey(ctx, uid, algo, 0, 0, NULL, GPGME_CREATE_SIGN |
	                         GPGME_CREATE_NOEXPIRE | GPGME_CREATE_FORCE | extra);
	if (err) {
		error = gpgme_fail(err, "cannot create the key");
		ch_error_prefix("%s: ", uid);
		return error;
	}
	res = gpgme_op_genkey_result(ctx);
	if (!res || !res->fpr)
		return ch_error_setc(CH_EIO, "%s: gpg created no key", uid);
	return normalize_hex40(fpr, res->fpr, "new key fingerprint");
}

int ch_keystore_create_key(ch_keyinfo *out, ch_keystore *ks, const char *name,
                           const char *email, const char *algo, const char *passphrase)
{
	ch_buf uid = CH_BUF_INIT;
	gpgme_ctx_t ctx;
	char fpr[41];
	int error;

	if (!algo)
		algo = "ed25519";
	if (strcmp(algo, "ed25519") != 0 && strcmp(algo, "rsa3072") != 0)
		return ch_error_setc(CH_EINVALID, "key algorithm \"%s\": use ed25519 or rsa3072", algo);
	if ((error = valid_uid_part(name, 256, "name")) < 0 ||
	    (error = valid_email(email)) < 0 ||
	    (error = valid_passphrase(passphrase)) < 0 ||
	    (error = gpg_context(&ctx, ks)) < 0)
		return error;
	ch_buf_printf(&uid, "%s <%s>", name, email);
	gpgme_set_passphrase_cb(ctx, on_passphrase, (void *)passphrase);
	/* A primary key that signs (and certifies), no expiry, then an
	 * encryption subkey (add_encryption_subkey). FORCE: a person may hold
	 * several keys over the years (a lost passphrase means a new key);
	 * keys are told apart by fingerprint. */
	error = create_primary(fpr, ctx, uid.ptr, algo, 0);
	gpgme_set_passphrase_cb(ctx, NULL, NULL);
	if (error < 0 || (error = add_encryption_subkey(ctx, fpr, algo, passphrase)) < 0)
		goto done;
	error = ch_keystore_find(out, ks, fpr);
done:
	ch_buf_dispose(&uid);
	return error;
}

/* A site's own key (the site log's, workflows/sitelog.h): signing only, no
 * passphrase -- a machine signs with it at every accepted update, and the
 * GnuPG home's permissions are what protect it (only the key holder opens
 * the home). Never used for an official. */
int ch_keystore_create_machine_key(ch_keyinfo *out, ch_keystore *ks, const char *name,
                                   const char *email)
{
	ch_buf uid = CH_BUF_INIT;
	gpgme_ctx_t ctx;
	char fpr[41];
	int error;

	if ((error = valid_uid_part(name, 256, "name")) < 0 || (error = valid_email(email)) < 0 ||
	    (error = gpg_context(&ctx, ks)) < 0)
		return error;
	ch_buf_printf(&uid, "%s <%s>", name, email);
	if ((error = create_primary(fpr, ctx, uid.ptr, "ed25519", GPGME_CREATE_NOPASSWD)) < 0)
		goto done;
	error = ch_keystore_find(out, ks, fpr);
done:
	ch_buf_dispose(&uid);
	return error;
}

int ch_keystore_export(ch_buf *out, ch_keystore *ks, const char *fpr)
{
	char want[41];
	gpgme_ctx_t ctx;
	gpgme_data_t data = NULL;
	gpgme_error_t err;
	size_t len = 0;
	char *mem;
	int error;

	if ((error = normalize_hex40(want, fpr, "fingerprint")) < 0 ||
	    (error = gpg_context(&ctx, ks)) < 0)
		return error;
	if ((err = gpgme_data_new(&data)))
		return gpgme_fail(err, "cannot export the key");
	gpgme_set_armor(ctx, 1);
	/* MINIMAL: the key, its user id and subkeys with their latest
	 * self-signatures; no third-party signatures. */
	err = gpgme_op_export(ctx, want, GPGME_EXPORT_MODE_MINIMAL, data);
	gpgme_set_armor(ctx, 0);
	mem = gpgme_data_release_and_get_mem(data, &len);
	if (err)
		error = gpgme_fail(err, "cannot export the key");
	else if (!mem || len == 0)
		error = ch_error_setc(CH_ENOTFOUND, "no key %s in the GnuPG home", want);
	else
		ch_buf_set(out, mem, len); /* NUL-terminates, which GPGME's copy is not */
	gpgme_free(mem);
	return error;
}

/* ------------------------------------------------------------------------
 * The agent connection (fast path)
 * ------------------------------------------------------------------------ */

/* libassuan's default write() would raise SIGPIPE, killing the server,
 * when gpg-agent goes away; sockets it opens must not leak into the
 * processes we spawn. Everything else is libassuan's default. */
static ssize_t agent_write(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t n)
{
	ssize_t r = send(fd, buf, n, MSG_NOSIGNAL);

	if (r < 0 && errno == ENOTSOCK)
		return __assuan_write(ctx, fd, buf, n);
	return r;
}

static int agent_sendmsg(assuan_context_t ctx, assuan_fd_t fd, const assuan_msghdr_t msg,
                         int flags)
{
	return __assuan_sendmsg(ctx, fd, msg, flags | MSG_NOSIGNAL);
}

/* libassuan's own socket(), with close-on-exec: the local Unix socket to
 * gpg-agent. Going through libassuan keeps socket() out of our binaries'
 * imports, which the offline build's symbol test checks. */
static int agent_socket(assuan_context_t ctx, int domain, int type, int proto)
{
	return __assuan_socket(ctx, domain, type | SOCK_CLOEXEC, proto);
}

static struct assuan_system_hooks agent_hooks = {
	ASSUAN_SYSTEM_HOOKS_VERSION, __assuan_usleep, __assuan_pipe, __assuan_close,
	__assuan_read, agent_write, __assuan_recvmsg, agent_sendmsg, __assuan_spawn,
	__assuan_waitpid, __assuan_socketpair, agent_socket, __assuan_connect
};

static struct assuan_malloc_hooks agent_malloc = { malloc, realloc, free };

/* Never log the protocol: a data line may hold a passphrase. */
static int agent_no_log(assuan_context_t ctx, void *hook, unsigned int cat, const char *msg)
{
	(void)ctx;
	(void)hook;
	(void)cat;
	(void)msg;
	return 0;
}

/* Errors from our side of the socket (not an ERR line from the agent)
 * mean the connection is unusable. */
#define CH_ASSUAN_ERRSOURCE GPG_ERR_SOURCE_USER_1

static int agent_err_is_local(gpg_error_t err)
{
	gpg_err_source_t src = gpg_err_source(err);

	/* our callbacks' errors carry no source */
	return err && (src == CH_ASSUAN_ERRSOURCE || src == GPG_ERR_SOURCE_UNKNOWN);
}

static int agent_connect_to(assuan_context_t *out, const char *socket_path)
{
	assuan_context_t ctx = NULL;
	gpg_error_t err;

	if ((err = assuan_new_ext(&ctx, CH_ASSUAN_ERRSOURCE, &agent_malloc, agent_no_log, NULL)))
		return ch_error_setc(CH_EIO, "cannot create an Assuan context: %s", gpg_strerror(err));
	assuan_ctx_set_system_hooks(ctx, &agent_hooks);
	assuan_set_flag(ctx, ASSUAN_NO_LOGGING, 1);
	err = assuan_socket_connect(ctx, socket_path, ASSUAN_INVALID_PID, 0);
	if (!err)
		err = assuan_transact(ctx, "OPTION pinentry-mode=loopback",
		                      NULL, NULL, NULL, NULL, NULL, NULL);
	if (err) {
		assuan_release(ctx);
		return ch_error_setc(CH_EIO, "cannot talk to gpg-agent at %s: %s", socket_path,
		                     gpg_strerror(err));
	}
	*out = ctx;
	return 0;
}

/* Where is the agent? Usually HOME/S.gpg-agent: use it without running
 * gpgconf (~2 ms, a quarter of a workflow step). When /run/user/UID
 * exists, GnuPG puts sockets there instead; only gpgconf knows the name. */
static int agent_socket_path(ch_keystore *ks, int ask_gpgconf)
{
	static const char *const list_dirs[] = { "--list-dirs", "agent-socket", NULL };
	ch_buf path = CH_BUF_INIT;
	struct stat st;
	int error = 0;

	if (!ask_gpgconf) {
		ch_buf_printf(&path, "%s/S.gpg-agent", ks->home);
		if (lstat(path.ptr, &st) < 0)
			ask_gpgconf = 1;
	}
	if (ask_gpgconf) {
		if ((error = run_gpgconf(&path, ks->home, list_dirs, 0)) < 0)
			goto done;
		if (path.size == 0 || path.ptr[0] != '/' || strchr(path.ptr, '\n')) {
			error = ch_error_setc(CH_EIO, "gpgconf gave no agent socket for %s", ks->home);
			goto done;
		}
	}
	free(ks->socket);
	ks->socket = ch_buf_detach(&path);
done:
	ch_buf_dispose(&path);
	return error;
}

/* Connect, asking gpgconf where the socket is and starting the agent only
 * when the quick guess does not work. */
static int agent_connect(ch_keystore *ks)
{
	static const char *const launch[] = { "--launch", "gpg-agent", NULL };
	ch_buf ignored = CH_BUF_INIT;
	int error;

	if (ks->agent)
		return 0;
	if (!ks->socket && (error = agent_socket_path(ks, 0)) < 0)
		return error;
	if (agent_connect_to(&ks->agent, ks->socket) == 0)
		return 0;
	if ((error = agent_socket_path(ks, 1)) < 0 ||
	    (error = run_gpgconf(&ignored, ks->home, launch, 1)) < 0)
		goto done;
	error = agent_connect_to(&ks->agent, ks->socket);
done:
	ch_buf_dispose(&ignored);
	return error;
}

typedef struct {
	assuan_context_t ctx;
	const char *passphrase;
	int answered;   /* the agent asked once already */
	int unexpected; /* it inquired something else */
	ch_buf *sigval;
} pksign_state;

static gpg_error_t on_sigval(void *payload, const void *data, size_t len)
{
	pksign_state *st = payload;

	if (st->sigval->size + len > CH_SIGVAL_MAX)
		return gpg_error(GPG_ERR_TOO_LARGE);
	ch_buf_put(st->sigval, data, len);
	return 0;
}

/* Answer INQUIRE PASSPHRASE with one data line built in our own buffer and
 * written directly (assuan_write_line), so no copy stays in libassuan's
 * buffers; libassuan then sends END. Only '%', CR and LF need escaping,
 * and valid_passphrase() has refused CR and LF. */
static gpg_error_t on_inquire(void *payload, const char *line)
{
	pksign_state *st = payload;
	char dline[2 + 3 * CH_PASSPHRASE_MAX + 1];
	const char *p;
	size_t n = 0;
	gpg_error_t err;

	if (strncmp(line, "PASSPHRASE", 10) != 0 || (line[10] && line[10] != ' ') ||
	    st->answered) {
		st->unexpected = 1;
		return gpg_error(GPG_ERR_ASS_CANCELED);
	}
	st->answered = 1;
	dline[n++] = 'D';
	dline[n++] = ' ';
	for (p = st->passphrase; *p; p++) {
		if (*p == '%') {
			memcpy(dline + n, "%25", 3);
			n += 3;
		} else {
			dline[n++] = *p;
		}
	}
	dline[n] = '\0';
	err = assuan_write_line(st->ctx, dline);
	ch_wipe(dline, sizeof(dline));
	return err;
}

static gpg_error_t agent_cmd(assuan_context_t ctx, const char *cmd)
{
	return assuan_transact(ctx, cmd, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* `what`: what the agent was asked to do with the key ("sign with"). */
static int agent_error(gpg_error_t err, const char *keygrip, int unexpected, const char *what)
{
	switch (gpg_err_code(err)) {
	case GPG_ERR_BAD_PASSPHRASE:
		return ch_error_setc(CH_EAUTH, "wrong signing passphrase");
	case GPG_ERR_NO_SECKEY:
		return ch_error_setc(CH_ENOTFOUND, "gpg-agent holds no secret key with keygrip %s",
		                     keygrip);
	default:
		break;
	}
	if (unexpected)
		return ch_error_setc(CH_EIO, "gpg-agent asked for something other than the "
		                     "passphrase (is allow-loopback-pinentry off?)");
	return ch_error_setc(CH_EIO, "gpg-agent could not %s key %s: %s", what, keygrip,
	                     gpg_strerror(err));
}

/* A connection ready for a new exchange. A kept one gets RESET, which
 * drops whatever an earlier, failed exchange left behind and finds out
 * whether it outlived its agent (restarted, or killed by gpgconf --kill);
 * if it did not, connect again. No passphrase has been sent yet. */
static int agent_ready(ch_keystore *ks)
{
	gpg_error_t err;

	if (ks->agent) {
		if (!(err = agent_cmd(ks->agent, "RESET")))
			return 0;
		agent_disconnect(ks);
		if (!agent_err_is_local(err))
			return ch_error_setc(CH_EIO, "gpg-agent refused RESET: %s", gpg_strerror(err));
	}
	return agent_connect(ks);
}

/* Sign `digest` with the key `keygrip`; the agent's S-expression into sigval. */
static int agent_pksign(ch_buf *sigval, ch_keystore *ks, const char *keygrip,
                        const unsigned char *digest, size_t digest_len, const char *passphrase)
{
	pksign_state st = { NULL, passphrase, 0, 0, sigval };
	ch_buf cmd = CH_BUF_INIT;
	gpg_error_t err;
	int error;

	if ((error = agent_ready(ks)) < 0)
		return error;
	st.ctx = ks->agent;
	ch_buf_printf(&cmd, "SIGKEY %s", keygrip);
	if ((err = agent_cmd(ks->agent, cmd.ptr)))
		goto done;
	ch_buf_clear(&cmd);
	ch_buf_puts(&cmd, "SETHASH --hash=" CH_SIGN_HASH_NAME " ");
	ch_buf_puthex(&cmd, digest, digest_len);
	if ((err = agent_cmd(ks->agent, cmd.ptr)))
		goto done;
	ch_buf_clear(sigval);
	err = assuan_transact(ks->agent, "PKSIGN", on_sigval, &st, on_inquire, &st, NULL, NULL);
done:
	ch_buf_dispose(&cmd);
	if (!err)
		return 0;
	/* Our side failed mid-exchange: the stream is out of step. */
	if (agent_err_is_local(err) || st.unexpected)
		agent_disconnect(ks);
	ch_buf_clear(sigval);
	return agent_error(err, keygrip, st.unexpected, "sign with");
}

static int sign_with(ch_buf *out, ch_keystore *ks, const ch_keyinfo *key,
                     const char *passphrase, const void *payload, size_t len, int machine);

int ch_keystore_sign(ch_buf *out, ch_keystore *ks, const ch_keyinfo *key,
                     const char *passphrase, const void *payload, size_t len)
{
	return sign_with(out, ks, key, passphrase, payload, len, 0);
}

int ch_keystore_sign_machine(ch_buf *out, ch_keystore *ks, const ch_keyinfo *key,
                             const void *payload, size_t len)
{
	return sign_with(out, ks, key, "", payload, len, 1);
}

static int sign_with(ch_buf *out, ch_keystore *ks, const ch_keyinfo *key,
                     const char *passphrase, const void *payload, size_t len, int machine)
{
	ch_pgp_sigctx sig;
	ch_buf sigval = CH_BUF_INIT;
	char keygrip[41], fpr[41];
	int error;

	memset(&sig, 0, sizeof(sig));
	ch_buf_init(&sig.hashed);
	ch_buf_init(&sig.unhashed);
	if ((error = normalize_hex40(keygrip, key->keygrip, "keygrip")) < 0 ||
	    (error = normalize_hex40(fpr, key->signing_fpr, "signing key fingerprint")) < 0 ||
	    (!machine && (error = valid_passphrase(passphrase)) < 0))
		return error;
	if ((error = ch_pgp_sig_begin(&sig, fpr, key->pk_algo, CH_SIGN_HASH, (int64_t)time(NULL),
	                              payload, len)) < 0)
		goto done;
	if ((error = agent_pksign(&sigval, ks, keygrip, sig.digest, sig.digest_len,
	                          passphrase)) < 0)
		goto done;
	error = ch_pgp_sig_finish(out, &sig, sigval.ptr, sigval.size);
done:
	ch_pgp_sig_dispose(&sig);
	ch_buf_dispose(&sigval);
	return error;
}

/* PASSWD: the agent inquires PASSPHRASE (the old one, which it checks)
 * and then NEW_PASSPHRASE, each answered once, in loopback mode. */
typedef struct {
	assuan_context_t ctx;
	const char *old_pass, *new_pass;
	int asked_old, asked_new, unexpected;
} passwd_state;

static gpg_error_t send_dline(assuan_context_t ctx, const char *pass)
{
	char dline[2 + 3 * CH_PASSPHRASE_MAX + 1];
	const char *p;
	size_t n = 0;
	gpg_error_t err;

	dline[n++] = 'D';
	dline[n++] = ' ';
	for (p = pass; *p; p++) {
		if (*p == '%') {
			memcpy(dline + n, "%25", 3);
			n += 3;
		} else {
			dline[n++] = *p;
		}
	}
	dline[n] = '\0';
	err = assuan_write_line(ctx, dline);
	ch_wipe(dline, sizeof(dline));
	return err;
}

static gpg_error_t on_passwd_inquire(void *payload, const char *line)
{
	passwd_state *st = payload;

	if (!strncmp(line, "NEW_PASSPHRASE", 14) && (!line[14] || line[14] == ' ') &&
	    !st->asked_new) {
		st->asked_new = 1;
		return send_dline(st->ctx, st->new_pass);
	}
	if (!strncmp(line, "PASSPHRASE", 10) && (!line[10] || line[10] == ' ') &&
	    !st->asked_old) {
		st->asked_old = 1;
		return send_dline(st->ctx, st->old_pass);
	}
	st->unexpected = 1;
	return gpg_error(GPG_ERR_ASS_CANCELED);
}

/* One keygrip's passphrase. */
static int passwd_one(ch_keystore *ks, const char *keygrip, const char *old_pass,
                      const char *new_pass)
{
	passwd_state st = { NULL, old_pass, new_pass, 0, 0, 0 };
	ch_buf cmd = CH_BUF_INIT;
	gpg_error_t err;
	int error;

	if ((error = agent_ready(ks)) < 0)
		return error;
	st.ctx = ks->agent;
	ch_buf_printf(&cmd, "PASSWD %s", keygrip);
	err = assuan_transact(ks->agent, cmd.ptr, NULL, NULL, on_passwd_inquire, &st, NULL, NULL);
	ch_buf_dispose(&cmd);
	if (!err)
		return 0;
	if (agent_err_is_local(err) || st.unexpected)
		agent_disconnect(ks);
	return agent_error(err, keygrip, st.unexpected, "change the passphrase of");
}

/* Every key of the certificate (primary, signing and encryption subkeys:
 * bundles decrypt with the same passphrase), the signing one first, so a
 * wrong old passphrase changes nothing. */
int ch_keystore_passwd(ch_keystore *ks, const ch_keyinfo *key, const char *old_pass,
                       const char *new_pass)
{
	char keygrip[41], want[41], other[41];
	gpgme_ctx_t ctx;
	gpgme_key_t k = NULL;
	gpgme_subkey_t sk;
	gpgme_error_t err;
	int error;

	if ((error = normalize_hex40(keygrip, key->keygrip, "keygrip")) < 0 ||
	    (error = normalize_hex40(want, key->fpr, "fingerprint")) < 0 ||
	    (error = valid_passphrase(old_pass)) < 0 || (error = valid_passphrase(new_pass)) < 0)
		return error;
	if (strlen(new_pass) < 8)
		return ch_error_setc(CH_EINVALID, "a signing passphrase has at least 8 characters");
	if ((error = passwd_one(ks, keygrip, old_pass, new_pass)) < 0)
		return error;
	if ((error = gpg_context(&ctx, ks)) < 0)
		return error;
	err = gpgme_get_key(ctx, want, &k, 1);
	if (err || !k)
		return gpgme_fail(err ? err : gpg_error(GPG_ERR_NO_SECKEY),
		                  "cannot list the key's subkeys");
	for (sk = k->subkeys; sk && !error; sk = sk->next)
		if (sk->keygrip && normalize_hex40(other, sk->keygrip, "keygrip") == 0 &&
		    strcmp(other, keygrip))
			error = passwd_one(ks, other, old_pass, new_pass);
	gpgme_key_unref(k);
	return error;
}

/* ------------------------------------------------------------------------
 * Encryption for bundles (docs/sync.md "Bundles")
 * ------------------------------------------------------------------------ */

typedef struct {
	ch_buf *out;
	size_t max;
	int over;
} bounded_sink;

static ssize_t sink_write(void *handle, const void *buf, size_t size)
{
	bounded_sink *s = handle;

	if (size > s->max || s->out->size > s->max - size) {
		s->over = 1;
		errno = EFBIG;
		return -1;
	}
	ch_buf_put(s->out, buf, size);
	return (ssize_t)size;
}

static int import_recipient(gpgme_key_t *out, gpgme_ctx_t ctx, const ch_seal_recipient *r)
{
	gpgme_data_t in = NULL;
	gpgme_import_result_t res;
	gpgme_error_t err;
	gpgme_subkey_t sk;

	*out = NULL;
	if ((err = gpgme_data_new_from_mem(&in, r->key, r->len, 0)) ||
	    (err = gpgme_op_import(ctx, in))) {
		gpgme_data_release(in);
		return ch_error_setc(CH_EIO, "cannot read the public key of %s: %s", r->owner,
		                     gpgme_strerror(err));
	}
	gpgme_data_release(in);
	res = gpgme_op_import_result(ctx);
	if (!res || !res->imports || !res->imports->fpr || res->imports->result)
		return ch_error_setc(CH_EINVALID, "the public key of %s cannot be imported",
		                     r->owner);
	if ((err = gpgme_get_key(ctx, res->imports->fpr, out, 0)) || !*out)
		return ch_error_setc(CH_EIO, "cannot list the public key of %s", r->owner);
	for (sk = (*out)->subkeys; sk; sk = sk->next)
		if (sk->can_encrypt && !sk->revoked && !sk->expired && !sk->disabled && !sk->invalid)
			return 0;
	gpgme_key_unref(*out);
	*out = NULL;
	return ch_error_setc(CH_EINVALID, "the key of %s has no encryption subkey (keys made "
	                     "before bundles existed sign only: give the person a new key)",
	                     r->owner);
}

int ch_seal_encrypt(ch_buf *out, const ch_seal_recipient *r, size_t n, const void *data,
                    size_t len)
{
	char home[] = "/tmp/chancery-seal.XXXXXX";
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t *keys = NULL;
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_error_t err;
	char *mem = NULL;
	size_t i, clen = 0;
	int error = 0, made = 0;

	if (n == 0)
		return ch_error_setc(CH_EINVALID, "no recipient to encrypt to");
	if (!mkdtemp(home))
		return ch_error_setc(CH_EIO, "cannot create a temporary GnuPG home: %s",
		                     strerror(errno));
	made = 1;
	if ((err = gpgme_new(&ctx)) ||
	    (err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home))) {
		error = gpgme_fail(err, "cannot set up GPGME for encryption");
		goto done;
	}
	gpgme_set_offline(ctx, 1);
	keys = ch_calloc(n + 1, sizeof(*keys));
	for (i = 0; i < n; i++)
		if ((error = import_recipient(&keys[i], ctx, &r[i])) < 0)
			goto done;
	if ((err = gpgme_data_new_from_mem(&in, data, len, 0)) || (err = gpgme_data_new(&cipher))) {
		error = gpgme_fail(err, "cannot set up GPGME buffers");
		goto done;
	}
	/* Packs are compressed already; ALWAYS_TRUST: the keys come from the
	 * signed policy, which is our trust, not the web of trust. */
	err = gpgme_op_encrypt(ctx, keys, GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_COMPRESS,
	                       in, cipher);
	if (err) {
		error = gpgme_fail(err, "cannot encrypt");
		goto done;
	}
	mem = gpgme_data_release_and_get_mem(cipher, &clen);
	cipher = NULL;
	if (!mem) {
		error = ch_error_setc(CH_EIO, "GPGME returned no ciphertext");
		goto done;
	}
	ch_buf_put(out, mem, clen);
	gpgme_free(mem);
done:
	for (i = 0; keys && i < n; i++)
		if (keys[i])
			gpgme_key_unref(keys[i]);
	free(keys);
	gpgme_data_release(in);
	gpgme_data_release(cipher);
	if (ctx)
		gpgme_release(ctx);
	if (made)
		ch_fs_remove_tree(home);
	return error;
}

/* Why a decryption failed, from the recipients gpg listed: none held
 * here (not for us), a session key obtained (the data is damaged), or
 * keys held here that all refused (the passphrase). gpg reports a wrong
 * passphrase as NO_SECKEY for that recipient when there are several. */
static int decrypt_failure(gpgme_ctx_t ctx, gpgme_error_t err)
{
	gpgme_decrypt_result_t res = gpgme_op_decrypt_result(ctx);
	gpgme_recipient_t r;
	int listed = 0, held = 0, opened = 0;

	for (r = res ? res->recipients : NULL; r; r = r->next) {
		gpgme_key_t key = NULL;

		listed++;
		if (r->keyid && !gpgme_get_key(ctx, r->keyid, &key, 1) && key) {
			held++;
			gpgme_key_unref(key);
			if (!r->status)
				opened++;
		}
	}
	if (gpg_err_code(err) == GPG_ERR_BAD_PASSPHRASE || gpg_err_code(err) == GPG_ERR_CANCELED ||
	    (held && !opened && gpg_err_code(err) == GPG_ERR_NO_SECKEY))
		return ch_error_setc(CH_EAUTH, "wrong passphrase for the key of this site that can "
		                     "decrypt it");
	if (listed && !held)
		return ch_error_setc(CH_EDENIED, "no key of this site can decrypt it: it is not "
		                     "addressed to this site's people");
	return ch_error_setc(CH_EINVALID, "it cannot be decrypted (damaged, truncated or altered; "
	                     "or not an encrypted bundle): %s", gpgme_strerror(err));
}

int ch_keystore_decrypt(ch_buf *out, ch_keystore *ks, const char *passphrase, const void *data,
                        size_t len, size_t max)
{
	gpgme_ctx_t ctx;
	gpgme_data_t in = NULL, plain = NULL;
	struct gpgme_data_cbs cbs;
	bounded_sink sink = { out, max, 0 };
	gpgme_error_t err;
	int error = 0;

	if ((error = gpg_context(&ctx, ks)) < 0)
		return error;
	memset(&cbs, 0, sizeof(cbs));
	cbs.write = sink_write;
	if ((err = gpgme_data_new_from_mem(&in, data, len, 0)) ||
	    (err = gpgme_data_new_from_cbs(&plain, &cbs, &sink))) {
		error = gpgme_fail(err, "cannot set up GPGME buffers");
		goto done;
	}
	gpgme_set_passphrase_cb(ctx, on_passphrase, (void *)(passphrase ? passphrase : ""));
	err = gpgme_op_decrypt(ctx, in, plain);
	gpgme_set_passphrase_cb(ctx, NULL, NULL);
	if (sink.over)
		error = ch_error_setc(CH_EINVALID, "the decrypted bundle is larger than %zu bytes", max);
	else if (err)
		error = decrypt_failure(ctx, err);
done:
	gpgme_data_release(in);
	gpgme_data_release(plain);
	if (error < 0)
		ch_buf_dispose_secret(out);
	return error;
}
