/* transport.c -- stock git as the transport of join and sync: the
 * environment (GIT_DIR, the TLS client certificate as GIT_SSL_*), upload-
 * pack's safe.directory, and running it (util/spawn.h) with progress on a
 * terminal. */
#include <stdlib.h>
#include <string.h>

#include "workflows/sync/transport.h"
#include "util/spawn.h"
#include "util/common.h"

static const char **nt(const ch_strv *s, const char *first)
{
	const char **v = ch_calloc(s->n + 2, sizeof(*v));
	size_t i, k = 0;

	if (first)
		v[k++] = first;
	for (i = 0; i < s->n; i++)
		v[k++] = s->v[i];
	v[k] = NULL;
	return v;
}

void ch_git_env(ch_strv *env, const char *git_dir, const char *cert, const char *key,
                 const char *ca, int durable)
{
	static const char *const cfg[][2] = {
		{ "core.fsync", "committed" },     /* objects and refs reach the disk */
		{ "core.fsyncMethod", "fsync" },
		{ "fetch.fsckObjects", "true" },   /* malformed objects never land */
		{ "protocol.version", "0" },       /* chanceryd speaks v0/v1 */
		{ "credential.helper", "" },
		{ "maintenance.auto", "false" },   /* no gc of a site or a quarantine behind our back */
		{ "gc.auto", "0" },
	};
	ch_buf b = CH_BUF_INIT;
	size_t i;

	ch_buf_printf(&b, "GIT_DIR=%s", git_dir);
	ch_strv_push(env, b.ptr);
	ch_strv_push(env, "GIT_TERMINAL_PROMPT=0");
	ch_strv_push(env, "GIT_CONFIG_NOSYSTEM=1");
#define ENV(name, v) do { if (v) { ch_buf_clear(&b); ch_buf_printf(&b, "%s=%s", name, v); \
			ch_strv_push(env, b.ptr); } } while (0)
	ENV("GIT_SSL_CERT", cert);
	ENV("GIT_SSL_KEY", key);
	ENV("GIT_SSL_CAINFO", ca);
	ch_buf_clear(&b);
	ch_buf_printf(&b, "GIT_CONFIG_COUNT=%zu", sizeof(cfg) / sizeof(cfg[0]));
	ch_strv_push(env, b.ptr);
	for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		ch_buf_clear(&b);
		ch_buf_printf(&b, "GIT_CONFIG_KEY_%zu=%s", i, cfg[i][0]);
		ch_strv_push(env, b.ptr);
		ch_buf_clear(&b);
		/* a quarantine or staging repository is thrown away on a crash
		 * and fsyncs what it keeps itself: no fsync per ref there */
		ch_buf_printf(&b, "GIT_CONFIG_VALUE_%zu=%s", i,
		              !durable && !strcmp(cfg[i][0], "core.fsync") ? "none" : cfg[i][1]);
		ch_strv_push(env, b.ptr);
	}
#undef ENV
	ch_buf_dispose(&b);
}

void ch_git_upload_pack_arg(ch_strv *args, const char *safe_dir)
{
	ch_buf b = CH_BUF_INIT;
	const char *p;

	/* git runs it through the shell, and clears GIT_CONFIG_* for a local
	 * transport: the exception goes on its own command line, quoted */
	ch_buf_puts(&b, "--upload-pack=git -c safe.directory='");
	for (p = safe_dir; *p; p++)
		if (*p == '\'')
			ch_buf_puts(&b, "'\\''");
		else
			ch_buf_putc(&b, *p);
	ch_buf_puts(&b, "' upload-pack");
	ch_strv_push(args, b.ptr);
	ch_buf_dispose(&b);
}

int ch_git_run(ch_buf *out, const ch_strv *env, int progress, const ch_strv *args)
{
	ch_buf err = CH_BUF_INIT;
	const char **argv = nt(args, "git"), **envp = nt(env, NULL);
	int status, error;
	size_t n;

	error = ch_spawn_run(&status, argv, envp, out, progress ? NULL : &err);
	if (!error && status != 0) {
		/* the last lines say why (git's "fatal: ...") */
		while (err.size && (err.ptr[err.size - 1] == '\n' || err.ptr[err.size - 1] == '\r'))
			ch_buf_truncate(&err, err.size - 1);
		n = err.size > 600 ? err.size - 600 : 0;
		error = ch_error_setc(CH_EIO, "git %s failed (exit %d)%s%s", args->n ? args->v[0] : "",
		                      status, err.size ? ": " : "", err.size ? err.ptr + n : "");
	}
	free(argv);
	free(envp);
	ch_buf_dispose(&err);
	return error;
}
