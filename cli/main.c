/* main.c -- `chancery`: site administration, documents, verification.
 * Built twice: `chancery` and `chancery-offline` (CH_OFFLINE: the
 * air-gapped build, whose sites default to the offline tier). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>

#include "cli.h"
#include "util/fs.h"
#include "util/common.h"

#define PASSPHRASE_MAX 1024

static const char usage_text[] =
	"usage: chancery <command> [arguments]\n"
	"\n"
	"sites and people (each change is a policy commit signed by a policy-admin):\n"
	"  init SITE --site-id ID --admin ID --name NAME [--unit U] [--tier networked|offline]\n"
	"  person add SITE ID --name NAME --roles R1,R2 [--unit U] [--clearance C]\n"
	"             [--scope U1,U2|*] [--custody server|browser] [--key PUBLIC.asc] --as ADMIN\n"
	"             (prints the official's one-time enrolment code; --key: a key whose\n"
	"             secret stays elsewhere; --scope: the units the roles reach, instead of\n"
	"             the person's own unit and below)\n"
	"  person roles SITE ID --roles R1,R2 --as ADMIN\n"
	"  person set SITE ID --scope U1,U2|*|own --as ADMIN\n"
	"  person revoke SITE ID --as ADMIN\n"
	"  person key add SITE ID --key PUBLIC.asc --custody browser|token|server [--label L]\n"
	"             --as ADMIN                  (one more key of ID; docs/format.md)\n"
	"  person key revoke SITE ID FINGERPRINT --as ADMIN   (that key only; ID stays)\n"
	"  custody set SITE --server allowed|forbidden --as ADMIN   (policy/settings.json)\n"
	"  delegate SITE --from ID --to ID --roles R1 --as ADMIN\n"
	"  undelegate SITE --from ID --to ID --as ADMIN\n"
	"  workflow set SITE FILE.json --as ADMIN\n"
	"  attachment-types set SITE attachments.json --as ADMIN   (policy/attachments.json)\n"
	"  site set SITE ID --units U1,U2 [--tls-fingerprint HEX] --as ADMIN\n"
	"  export-keys SITE\n"
	"  person code SITE ID --as ADMIN              (a new enrolment code: a forgotten\n"
	"                                              password, a locked key)\n"
	"  person unlock SITE ID --as ADMIN            (a key locked by wrong passphrases)\n"
	"  person pending SITE                         (device keys awaiting approval)\n"
	"  person approve SITE ID FINGERPRINT --as ADMIN   (after comparing fingerprints)\n"
	"\n"
	"officials (their own secrets; nobody else ever knows them):\n"
	"  enrol SITE ID --code-file F [--password-file F] [--passphrase-file F]\n"
	"        [--device-key PUBLIC.asc --custody token|browser [--label L]]\n"
	"  account password SITE ID [--old-password-file F] [--password-file F]\n"
	"  key passphrase SITE ID [--passphrase-file OLD] [--new-passphrase-file NEW]\n"
	"  key new SITE ID [--name NAME]             (an official's key in this site's own\n"
	"                                            GnuPG home; prints the public key)\n"
	"\n"
	"missions (chancery only):\n"
	"  join SITE --site-id ID --from DIR_OR_URL [--anchor COMMIT] [--cert F --key F --ca F]\n"
	"  sync SITE --remote URL --cert F --key F --ca F [--peer ID]\n"
	"  remote https://HOST:PORT inbox|show DOC|act DOC --as ID --ca CA.pem\n"
	"         [--password-file F] [--action A --key FPR --comment C --pin-file F]\n"
	"         (an official's client of a remote site: signs here, with their own GnuPG,\n"
	"         whose key may be on a token)\n"
	"\n"
	"documents (each step is a commit signed by the acting person):\n"
	"  doc create SITE --as ID --title T --type TYPE [--workflow W] --file F.md\n"
	"             [--id DOC] [--urgency U] [--classification C] [--number N] [--to S1,S2]\n"
	"             [--attach FILE ...] [--declare-unclassified NAME ...]\n"
	"  doc revise SITE DOC --as ID [--file F.md] [--comment C] [--attach FILE ...]\n"
	"             [--detach NAME ...] [--declare-unclassified NAME ...]\n"
	"             (--attach replaces an attachment of the same name; a file the scanner\n"
	"             cannot read needs --declare-unclassified NAME and the right to it)\n"
	"  doc act SITE DOC --as ID --action submit|approve|return|reject|sign|publish|\n"
	"          withdraw|comment [--comment C] [--on-behalf-of ID]\n"
	"          [--expect HEAD]   (the head `doc show` printed: a conflict if it moved)\n"
	"  doc show SITE DOC | doc log SITE DOC | doc list SITE [--awaiting ID]\n"
	"\n"
	"\n"
	"security:\n"
	"  spill SITE DOC --as SECURITY-OFFICER [--reason TEXT]   (networked: withdraw, purge)\n"
	"  declassify SITE DOC --as DECLASSIFIER --to FILE --reference REF [--file F.md]\n"
	"                                                      (chancery-offline: signed bundle)\n"
	"  import SITE FILE --as DRAFTER                       (networked: a declassified bundle)\n"
	"\n"
	"sync by file (networked; docs/sync.md \"Bundles\"):\n"
	"  bundle create SITE --for PEER --as ID -o FILE        (signed, encrypted to PEER)\n"
	"  bundle apply SITE FILE --as ID                       (verified in quarantine)\n"
	"\n"
	"auditing:\n"
	"  verify REPO [--introduction COMMIT --introducer FPR] [--doc ID ...] [--json]\n"
	"              [--html FILE] [--checkpoint FILE] [--cache DIR]\n"
	"  access verify SITE | access seal SITE [--as AUDITOR] | access show SITE DOC\n"
	"              who read what: the hash-chained log and its daily seals\n"
	"\n"
	"after a crash:\n"
	"  recover SITE [--wait SECONDS]   remove stale ref locks and temporary files a\n"
	"                                  killed writer left (safe beside a running server),\n"
	"                                  then check the repository\n"
	"\n"
	"backups (the file holds the site's secret keys: mode 0600, keep it as the keys):\n"
	"  backup SITE FILE [--wait SECONDS]   the whole site, under its write lock\n"
	"  restore FILE SITE                   into a new directory; checked: every ref as\n"
	"                                      backed up, and the repository verifies\n"
	"\n"
	"Passphrases are asked on the terminal; --passphrase-file FILE serves scripts\n"
	"(--new-passphrase-file for the key of a person being added or created).\n"
	"Exit: 0 done, 1 refused, 2 usage or I/O error, 3 conflict (someone acted first).\n";

int cli_usage(const char *text)
{
	fprintf(stderr, "%s", text ? text : usage_text);
	return CLI_USAGE;
}

int cli_fail(int code)
{
	fprintf(stderr, "chancery: %s\n", ch_error_last());
	return ch_error_exit_code(code);
}

/* The entry of `list` naming option `s`: "name", or "name*" for an option
 * that may be given more than once. */
static const char *find_opt(const char *const *list, const char *s)
{
	size_t n = strlen(s);

	for (; list && *list; list++)
		if (!strncmp(*list, s, n) && (!(*list)[n] || !strcmp(*list + n, "*")))
			return *list;
	return NULL;
}

static int given(const cli_args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nopts; i++)
		if (!strcmp(a->opts[i].name, name))
			return 1;
	return 0;
}

/* "unknown option X (this command takes --a, --b)": what was wrong, and
 * what would have been right. */
static int unknown_option(const char *arg, const char *const *allowed,
                          const char *const *flags)
{
	const char *const *lists[2] = { allowed, flags };
	ch_buf takes = CH_BUF_INIT;
	const char *const *l;
	size_t i;
	int error;

	for (i = 0; i < 2; i++)
		for (l = lists[i]; l && *l; l++)
			ch_buf_printf(&takes, "%s--%.*s", takes.size ? ", " : "",
			              (int)strcspn(*l, "*"), *l);
	error = takes.size ?
		ch_error_setc(CH_EINVALID, "unknown option %s (this command takes %s)", arg,
		              takes.ptr) :
		ch_error_setc(CH_EINVALID, "unknown option %s (this command takes no option)", arg);
	ch_buf_dispose(&takes);
	return error;
}

/* One "--name [value]" at argv[*i]; *i moves past what it took. */
static int parse_opt(cli_args *out, int argc, char **argv, int *i,
                     const char *const *allowed, const char *const *flags)
{
	const char *a = argv[*i], *name = a + 2, *entry = find_opt(allowed, name);
	int flag = !entry && find_opt(flags, name);

	if (!entry && !flag)
		return unknown_option(a, allowed, flags);
	if (given(out, name) && !strchr(entry ? entry : "", '*'))
		return ch_error_setc(CH_EINVALID, "option %s given twice", a);
	if (!flag && (*i + 1 >= argc || !strncmp(argv[*i + 1], "--", 2)))
		return ch_error_setc(CH_EINVALID, "option %s needs a value%s%s", a,
		                     *i + 1 < argc ? ", not the option " : "",
		                     *i + 1 < argc ? argv[*i + 1] : "");
	out->opts = ch_realloc(out->opts, (out->nopts + 1) * sizeof(*out->opts));
	out->opts[out->nopts].name = name;
	out->opts[out->nopts++].value = flag ? "1" : argv[++*i];
	return 0;
}

int cli_parse(cli_args *out, int argc, char **argv, const char *const *allowed,
              const char *const *flags)
{
	int i, error;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] && a[1] != '-')
			return unknown_option(a, allowed, flags); /* no short options */
		if (strncmp(a, "--", 2) || !a[2]) {
			ch_strv_push(&out->pos, a);
			continue;
		}
		if ((error = parse_opt(out, argc, argv, &i, allowed, flags)) < 0)
			return error;
	}
	return 0;
}

int cli_only(const cli_args *a, const char *const *allowed)
{
	size_t i;

	for (i = 0; i < a->nopts; i++)
		if (!find_opt(allowed, a->opts[i].name)) {
			ch_buf arg = CH_BUF_INIT;
			int error;

			ch_buf_printf(&arg, "--%s", a->opts[i].name);
			error = unknown_option(arg.ptr, allowed, NULL);
			ch_buf_dispose(&arg);
			return error;
		}
	return 0;
}

int cli_bad_args(cli_args *a)
{
	fprintf(stderr, "chancery: %s\n", ch_error_last());
	cli_args_dispose(a);
	return CLI_USAGE;
}

void cli_args_dispose(cli_args *a)
{
	ch_strv_free(&a->pos);
	free(a->opts);
	memset(a, 0, sizeof(*a));
}

const char *cli_get(const cli_args *a, const char *name)
{
	size_t i;
	const char *v = NULL;

	for (i = 0; i < a->nopts; i++)
		if (!strcmp(a->opts[i].name, name))
			v = a->opts[i].value;
	return v;
}

void cli_get_all(ch_strv *out, const cli_args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nopts; i++)
		if (!strcmp(a->opts[i].name, name))
			ch_strv_push(out, a->opts[i].value);
}

void cli_split(ch_strv *out, const char *list)
{
	const char *p = list, *comma;

	while (p && *p) {
		comma = strchr(p, ',');
		if (comma) {
			char *part = ch_strndup(p, (size_t)(comma - p));

			if (part[0] && !ch_strv_contains(out, part))
				ch_strv_push(out, part);
			free(part);
			p = comma + 1;
		} else {
			if (!ch_strv_contains(out, p))
				ch_strv_push(out, p);
			break;
		}
	}
}

static int read_passphrase_file(char **out, const char *file)
{
	ch_buf b = CH_BUF_INIT;
	char *nl;
	int error;

	if ((error = ch_fs_read(&b, file, PASSPHRASE_MAX)) < 0) {
		ch_buf_dispose_secret(&b);
		return error;
	}
	if ((nl = memchr(b.ptr, '\n', b.size)))
		ch_buf_truncate(&b, (size_t)(nl - b.ptr));
	if (b.size && b.ptr[b.size - 1] == '\r')
		ch_buf_truncate(&b, b.size - 1);
	if (!b.size || strlen(b.ptr) != b.size) {
		ch_buf_dispose_secret(&b);
		return ch_error_setc(CH_EINVALID, "%s: empty passphrase", file);
	}
	*out = ch_strdup(b.ptr);
	ch_buf_dispose_secret(&b);
	return 0;
}

static int ask_tty(char **out, const char *prompt)
{
	char line[PASSPHRASE_MAX + 2];
	struct termios old, noecho;
	FILE *tty = fopen("/dev/tty", "r+");
	size_t n;
	int ok;

	if (!tty)
		return ch_error_setc(CH_EINVALID, "no terminal to ask a passphrase on: use "
		                     "--passphrase-file");
	fprintf(tty, "%s", prompt);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	noecho = old;
	noecho.c_lflag &= (tcflag_t)~ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	ok = fgets(line, sizeof(line), tty) != NULL;
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fprintf(tty, "\n");
	fclose(tty);
	n = ok ? strcspn(line, "\r\n") : 0;
	line[n] = '\0';
	*out = n ? ch_strdup(line) : NULL;
	ch_wipe(line, sizeof(line));
	return n ? 0 : ch_error_setc(CH_EINVALID, "no passphrase given");
}

int cli_passphrase(char **out, const char *file, const char *who, int confirm)
{
	ch_buf prompt = CH_BUF_INIT;
	char *again = NULL;
	int error;

	*out = NULL;
	if (file)
		return read_passphrase_file(out, file);
	ch_buf_printf(&prompt, "Signing passphrase of %s: ", who);
	error = ask_tty(out, prompt.ptr);
	if (!error && confirm) {
		ch_buf_clear(&prompt);
		ch_buf_printf(&prompt, "Again: ");
		if ((error = ask_tty(&again, prompt.ptr)) == 0 && !ch_ct_streq(*out, again))
			error = ch_error_setc(CH_EINVALID, "the two passphrases differ");
		ch_free_secret(again);
		if (error) {
			ch_free_secret(*out);
			*out = NULL;
		}
	}
	ch_buf_dispose(&prompt);
	return error;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	/* A dying gpg or agent must not kill us with SIGPIPE mid-step. */
	signal(SIGPIPE, SIG_IGN);
	if (!cmd || !strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return cmd ? (printf("%s", usage_text), 0) : cli_usage(NULL);
	argc -= 2;
	argv += 2;
	if (!strcmp(cmd, "init"))
		return cmd_init(argc, argv);
	if (!strcmp(cmd, "person"))
		return cmd_person(argc, argv);
	if (!strcmp(cmd, "delegate"))
		return cmd_delegate(argc, argv, 0);
	if (!strcmp(cmd, "undelegate"))
		return cmd_delegate(argc, argv, 1);
	if (!strcmp(cmd, "workflow"))
		return cmd_workflow(argc, argv);
	if (!strcmp(cmd, "site"))
		return cmd_site(argc, argv);
	if (!strcmp(cmd, "attachment-types"))
		return cmd_attachment_types(argc, argv);
	if (!strcmp(cmd, "enrol"))
		return cmd_enrol(argc, argv);
	if (!strcmp(cmd, "custody"))
		return cmd_custody(argc, argv);
	if (!strcmp(cmd, "account"))
		return cmd_account(argc, argv);
	if (!strcmp(cmd, "key"))
		return cmd_key(argc, argv);
	if (!strcmp(cmd, "export-keys"))
		return cmd_export_keys(argc, argv);
	if (!strcmp(cmd, "doc"))
		return cmd_doc(argc, argv);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(argc, argv);
	if (!strcmp(cmd, "recover"))
		return cmd_recover(argc, argv);
	if (!strcmp(cmd, "backup"))
		return cmd_backup(argc, argv);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(argc, argv);
	if (!strcmp(cmd, "access"))
		return cmd_access(argc, argv);
#ifndef CH_OFFLINE
	if (!strcmp(cmd, "spill"))
		return cmd_spill(argc, argv);
	if (!strcmp(cmd, "import"))
		return cmd_import(argc, argv);
	if (!strcmp(cmd, "bundle"))
		return cmd_bundle(argc, argv);
	if (!strcmp(cmd, "join"))
		return cmd_join(argc, argv);
	if (!strcmp(cmd, "sync"))
		return cmd_sync(argc, argv);
	if (!strcmp(cmd, "remote"))
		return cmd_remote(argc, argv);
#else
	if (!strcmp(cmd, "declassify"))
		return cmd_declassify(argc, argv);
#endif
	fprintf(stderr, "chancery: unknown command '%s'\n", cmd);
	return cli_usage(NULL);
}
