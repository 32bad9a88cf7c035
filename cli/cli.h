/* cli.h -- the `chancery` command line: argument parsing, passphrases,
 * exit codes, and one function per command. */
#ifndef CH_CLI_H
#define CH_CLI_H

#include "util/buf.h"
#include "workflows/doc.h"
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
/* Parse, then run `fn` with the site open and the admin's passphrase. */
typedef int (*cli_admin_fn)(ch_site *site, const ch_actor *admin, const cli_args *a);
int cli_with_admin(const cli_args *a, cli_admin_fn fn);
int cmd_init(int argc, char **argv);
int cmd_person(int argc, char **argv);
int cmd_delegate(int argc, char **argv, int remove);
int cmd_workflow(int argc, char **argv);
int cmd_attachment_types(int argc, char **argv);
int cmd_site(int argc, char **argv);
int cmd_export_keys(int argc, char **argv);
int cmd_account(int argc, char **argv);

/* cmd_custody.c */
int cmd_person_key(int argc, char **argv);
int cmd_custody(int argc, char **argv);
int cmd_person_enrol(int argc, char **argv);
int cmd_enrol(int argc, char **argv);
int cmd_account_password(int argc, char **argv);
int cmd_key_passphrase(int argc, char **argv);

/* cmd_remote.c (not in chancery-offline) */
int cmd_remote(int argc, char **argv);

/* cmd_join.c */
int cmd_join(int argc, char **argv);
int cmd_key(int argc, char **argv);

/* cmd_sync.c */
int cmd_sync(int argc, char **argv);

/* cmd_doc.c */
int cmd_doc(int argc, char **argv);

/* cmd_declassify.c */
int cmd_declassify(int argc, char **argv);
int cmd_import(int argc, char **argv);

/* cmd_access.c */
int cmd_access(int argc, char **argv);

/* cmd_spill.c */
int cmd_spill(int argc, char **argv);

/* cmd_bundle.c */
int cmd_bundle(int argc, char **argv);

/* cmd_verify.c */
int cmd_verify(int argc, char **argv);

/* cmd_backup.c */
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* cmd_recover.c */
int cmd_recover(int argc, char **argv);

#endif
