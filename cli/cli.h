/* cli.h -- the `chancery` command line: argument parsing, passphrases,
 * exit codes, and one function per command. */
#ifndef CH_CLI_H
#define CH_CLI_H

#include "util/buf.h"
#include "workflows/site.h"
#include "util/strv.h"

/* Exit codes: verify uses 0/1/2 as DESIGN.md says; the other commands add
 * 3 for a conflict (someone acted first, or the ref is locked). */
enum {
	CLI_OK = 0,
	CLI_REFUSED = 1, /* denied, wrong passphrase, invalid input; verify: findings */
	CLI_USAGE = 2,   /* usage or I/O error */
	CLI_CONFLICT = 3
};

typedef struct {
	const char *name;
	const char *value;
} cli_opt;

typedef struct {
	ch_strv pos;     /* positional arguments */
	cli_opt *opts;
	size_t nopts;
} cli_args;

/* main.c */
/* Parse argv: "--name value" pairs (flags listed in `flags` take none) and
 * positionals. An option not in `allowed` or `flags`, a short option, an
 * option given twice (unless listed as "name*": repeatable) and a value
 * that is itself an option are refused, naming them. */
int cli_parse(cli_args *out, int argc, char **argv, const char *const *allowed,
              const char *const *flags);
/* Refuse any option parsed that is not in `allowed` (a command whose
 * options depend on a positional, e.g. `bundle create|apply`). */
int cli_only(const cli_args *a, const char *const *allowed);
/* Print the parse error, dispose of `a`, return CLI_USAGE. */
int cli_bad_args(cli_args *a);
void cli_args_dispose(cli_args *a);
const char *cli_get(const cli_args *a, const char *name);
/* Every value of a repeatable option. */
void cli_get_all(ch_strv *out, const cli_args *a, const char *name);
/* Split "a,b,c" into out. */
void cli_split(ch_strv *out, const char *list);
/* The passphrase of `who`: from --passphrase-file (first line), or asked
 * on the terminal without echo. Caller frees with ch_free_secret. */
int cli_passphrase(char **out, const char *file, const char *who, int confirm);
/* Print the last error and map a library code to an exit code. */
int cli_fail(int code);
int cli_usage(const char *text);

/* cmd_admin.c */
int cmd_init(int argc, char **argv);
int cmd_person(int argc, char **argv);
int cmd_delegate(int argc, char **argv, int remove);
int cmd_workflow(int argc, char **argv);
int cmd_attachment_types(int argc, char **argv);
int cmd_site(int argc, char **argv);
int cmd_export_keys(int argc, char **argv);
int cmd_account(int argc, char **argv);

/* run.c (running a program: util/spawn.h) */
/* The environment for stock git on `git_dir` (GIT_DIR), with the TLS
 * client certificate, its key and the CA (any may be NULL) as GIT_SSL_*,
 * no prompts, fsck of received objects, no automatic gc; with `durable`,
 * fsync of objects and refs (a site's repository; not a quarantine). */
void cli_git_env(ch_strv *env, const char *git_dir, const char *cert, const char *key,
                 const char *ca, int durable);
/* For `git fetch` from a local repository owned by another user (a site
 * that chanceryd serves): --upload-pack=... with safe.directory for it. */
void cli_git_upload_pack_arg(ch_strv *args, const char *safe_dir);
/* Run `git ARGS...`: CH_EIO naming git's own last words unless it exits 0.
 * With `progress`, git's stderr is ours (a terminal); else captured. */
int cli_git(ch_buf *out, const ch_strv *env, int progress, const ch_strv *args);

/* cmd_join.c */
int cmd_join(int argc, char **argv);
int cmd_key(int argc, char **argv);

/* cmd_sync.c */
typedef struct {
	const char *remote, *cert, *key, *ca, *peer;
	const char *safe_dir; /* a local remote owned by another user (join), or NULL */
	int progress;
	size_t pulled, pushed, refused, conflicts, unchanged; /* counted, each ref reported */
} cli_sync_run;
int cmd_sync(int argc, char **argv);
/* Fetch the remote's policy (and `doc_refspecs`, e.g. "+refs/docs/x:refs/docs/x";
 * NULL: every document it advertises) into a quarantine for r->peer, and
 * apply: a line on stdout for each ref that changed or was refused. */
int cli_sync_pull(cli_sync_run *r, ch_site *site, const ch_strv *doc_refspecs);
/* The peer's site id from ".../git/<id>.git", or NULL (caller frees). */
char *cli_sync_peer_from_url(const char *url);

/* cmd_doc.c */
int cmd_doc(int argc, char **argv);

/* cmd_declassify.c */
int cmd_declassify(int argc, char **argv);
int cmd_import(int argc, char **argv);

/* cmd_spill.c */
int cmd_spill(int argc, char **argv);

/* cmd_bundle.c */
int cmd_bundle(int argc, char **argv);

/* cmd_verify.c */
int cmd_verify(int argc, char **argv);

/* cmd_recover.c */
int cmd_recover(int argc, char **argv);

#endif
