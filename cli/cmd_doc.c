/* cmd_doc.c -- doc create|revise|act|show|log|list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "workflows/doc.h"
#include "workflows/sync/quarantine.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

/* The options of each subcommand ("name*": repeatable): any other is
 * refused, naming it, so that a misplaced one never goes unnoticed. */
static const char *const create_opts[] = {
	"as", "title", "type", "workflow", "file", "id", "urgency", "classification", "number",
	"to", "on-behalf-of", "passphrase-file", "comment", "attach*", "declare-unclassified*", NULL
};
static const char *const revise_opts[] = {
	"as", "file", "on-behalf-of", "passphrase-file", "comment", "attach*", "detach*",
	"declare-unclassified*", NULL
};
/* (attachment options are taken only to be refused with the reason: D4) */
static const char *const act_opts[] = {
	"as", "action", "comment", "on-behalf-of", "passphrase-file", "expect", "attach*",
	"detach*", "declare-unclassified*", NULL
};
static const char *const list_opts[] = { "awaiting", NULL };
static const char *const no_opts[] = { NULL };

/* --attach FILE (repeatable; named by the file's last path component),
 * --detach NAME, --declare-unclassified NAME. */
typedef struct {
	ch_attachment *add;
	ch_buf *data;
	size_t n;
	ch_strv files, detach, declare;
	ch_attach_req req;
} cli_attach;

static void attach_dispose(cli_attach *ca)
{
	size_t i;

	for (i = 0; i < ca->n; i++)
		ch_buf_dispose(&ca->data[i]);
	free(ca->data);
	free(ca->add);
	ch_strv_free(&ca->files);
	ch_strv_free(&ca->detach);
	ch_strv_free(&ca->declare);
}

static int attach_read(cli_attach *ca, const cli_args *a)
{
	size_t i;
	int error;

	memset(ca, 0, sizeof(*ca));
	cli_get_all(&ca->files, a, "attach");
	cli_get_all(&ca->detach, a, "detach");
	cli_get_all(&ca->declare, a, "declare-unclassified");
	if (ca->files.n > CH_ATTACH_MAX_COUNT)
		return ch_error_setc(CH_EINVALID, "at most %d --attach", CH_ATTACH_MAX_COUNT);
	ca->add = ch_calloc(ca->files.n + 1, sizeof(*ca->add));
	ca->data = ch_calloc(ca->files.n + 1, sizeof(*ca->data));
	for (i = 0; i < ca->files.n; i++, ca->n++) {
		const char *f = ca->files.v[i], *base = strrchr(f, '/');

		ch_buf_init(&ca->data[i]);
		if ((error = ch_fs_read(&ca->data[i], f, CH_ATTACH_MAX_FILE)) < 0) {
			ca->n++;
			return error;
		}
		ca->add[i].name = base ? base + 1 : f;
		ca->add[i].data = ca->data[i].ptr;
		ca->add[i].len = ca->data[i].size;
	}
	ca->req.add = ca->add;
	ca->req.nadd = ca->n;
	ca->req.remove = (const char *const *)ca->detach.v;
	ca->req.nremove = ca->detach.n;
	ca->req.declare = (const char *const *)ca->declare.v;
	ca->req.ndeclare = ca->declare.n;
	return 0;
}

/* Steps that record a signed commit share the set-up: site, passphrase
 * (asked unless *pass already holds it). */
static int open_actor(ch_site **site, char **pass, ch_actor *who, const cli_args *a)
{
	int error;

	memset(who, 0, sizeof(*who));
	who->actor = cli_get(a, "as");
	who->on_behalf = cli_get(a, "on-behalf-of");
	who->comment = cli_get(a, "comment");
	who->door = "command line";
	if (cli_get(a, "file"))
		who->source_name = strrchr(cli_get(a, "file"), '/') ? strrchr(cli_get(a, "file"), '/') + 1 :
		                   cli_get(a, "file");
	if (!who->actor)
		return ch_error_setc(CH_EINVALID, "--as ID is required: who takes this step");
	if ((error = ch_site_open(site, a->pos.v[0])) < 0 ||
	    (!*pass &&
	     (error = cli_passphrase(pass, cli_get(a, "passphrase-file"), who->actor, 0)) < 0))
		return error;
	who->passphrase = *pass;
	return 0;
}

static int read_text(ch_buf *out, const char *file)
{
	if (!file)
		return ch_error_setc(CH_EINVALID, "--file F.md is required");
	return ch_fs_read(out, file, CH_DOC_MAX_TEXT);
}

static int doc_create(const cli_args *a)
{
	ch_strv to = CH_STRV_INIT;
	ch_buf text = CH_BUF_INIT, id = CH_BUF_INIT;
	ch_site *site = NULL;
	char *pass = NULL;
	cli_attach ca;
	ch_doc_new req;
	ch_actor who;
	int error;

	memset(&req, 0, sizeof(req));
	if ((error = attach_read(&ca, a)) < 0 ||
	    (error = read_text(&text, cli_get(a, "file"))) < 0 ||
	    (error = open_actor(&site, &pass, &who, a)) < 0)
		goto done;
	req.attach = &ca.req;
	cli_split(&to, cli_get(a, "to"));
	req.id = cli_get(a, "id");
	req.title = cli_get(a, "title");
	req.type = cli_get(a, "type");
	req.workflow = cli_get(a, "workflow");
	req.classification = cli_get(a, "classification");
	req.urgency = cli_get(a, "urgency");
	req.number = cli_get(a, "number");
	req.recipients = &to;
	req.text = text.ptr;
	req.text_len = text.size;
	if ((error = ch_doc_create(&id, site, &req, &who)) == 0)
		printf("%s\n", id.ptr);
done:
	attach_dispose(&ca);
	ch_free_secret(pass);
	ch_site_free(site);
	ch_strv_free(&to);
	ch_buf_dispose(&text);
	ch_buf_dispose(&id);
	return error;
}

/* Without --file the text stays as it is (an attachment-only revision). */
static int doc_revise(const cli_args *a)
{
	ch_buf text = CH_BUF_INIT;
	ch_site *site = NULL;
	char *pass = NULL;
	cli_attach ca;
	ch_actor who;
	int error, has_text = cli_get(a, "file") != NULL;

	if ((error = attach_read(&ca, a)) == 0 && !has_text && !ca.req.nadd && !ca.req.nremove)
		error = ch_error_setc(CH_EINVALID, "--file F.md, --attach FILE or --detach NAME is "
		                      "required");
	if (error == 0 && (!has_text || (error = read_text(&text, cli_get(a, "file"))) == 0) &&
	    (error = open_actor(&site, &pass, &who, a)) == 0)
		error = ch_doc_revise_ex(site, a->pos.v[1], has_text ? text.ptr : NULL, text.size,
		                         &ca.req, &who);
	attach_dispose(&ca);
	ch_free_secret(pass);
	ch_site_free(site);
	ch_buf_dispose(&text);
	return error;
}

/* --expect HEAD: the head the official read (`doc show`); the step is
 * refused as a conflict if the document has moved since, as the browser
 * form and the API refuse it (ch_doc_act compares it). */
static int expected_head(git_oid *out, const cli_args *a)
{
	const char *hex = cli_get(a, "expect");

	if (!hex)
		return 0;
	if (!ch_valid_oid_hex(hex) || git_oid_fromstr(out, hex) < 0)
		return ch_error_setc(CH_EINVALID, "--expect takes the 40-hex head commit that "
		                     "`chancery doc show` prints, not '%.80s'", hex);
	return 1;
}

static int doc_act(const cli_args *a)
{
	ch_site *site = NULL;
	char *pass = NULL;
	ch_actor who;
	git_oid id, expect;
	int error, have_expect;

	if (!cli_get(a, "action"))
		return ch_error_setc(CH_EINVALID, "--action is required");
	if (cli_get(a, "attach") || cli_get(a, "detach") || cli_get(a, "declare-unclassified"))
		return ch_error_setc(CH_EINVALID, "only doc create and doc revise change attachments "
		                     "(rule D4)");
	if ((have_expect = expected_head(&expect, a)) < 0)
		return have_expect;
	if ((error = open_actor(&site, &pass, &who, a)) == 0) {
		if (have_expect)
			who.expected = &expect;
		error = ch_doc_act(&id, site, a->pos.v[1], cli_get(a, "action"), &who);
		if (error == 0)
			printf("%s\n", git_oid_tostr_s(&id));
	}
	ch_free_secret(pass);
	ch_site_free(site);
	return error;
}

static const char *when(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}

static void print_awaited(ch_site *site, const ch_doc *doc)
{
	const ch_policy *pol;
	const ch_workflow *wf;
	const ch_wf_state *st;
	git_oid head;
	size_t i;

	if (ch_site_policy_head(&head, site) < 0 || ch_site_policy(&pol, site, &head) < 0 ||
	    !(wf = ch_policy_workflow(pol, doc->meta.workflow)) ||
	    !(st = ch_workflow_state(wf, doc->state.state)))
		return;
	for (i = 0; i < st->nactions; i++) {
		char *roles = ch_strv_join(&st->actions[i].roles, ", ");

		printf("awaits:         %s by %s", st->actions[i].name, roles);
		if (st->actions[i].quorum > 1)
			printf(" (quorum %d; %zu so far)", st->actions[i].quorum,
			       doc->state.round_action &&
			       !strcmp(doc->state.round_action, st->actions[i].name) ?
			       doc->state.round_signers.n : (size_t)0);
		printf(" -> %s\n", st->actions[i].to);
		free(roles);
	}
}

/* Diverged chains kept by sync (refs/conflicts/<peer>/docs/<id>): one
 * line each, with `indent`. */
static void print_conflicts(ch_site *site, const char *id, const char *indent)
{
	ch_strv peers = CH_STRV_INIT;
	ch_buf ref = CH_BUF_INIT;
	git_oid at;
	size_t i;

	if (ch_doc_conflicts(&peers, site, id) < 0)
		return;
	for (i = 0; i < peers.n; i++) {
		ch_buf_clear(&ref);
		ch_buf_printf(&ref, CH_CONFLICTS_PREFIX "%s/docs/%s", peers.v[i], id);
		if (git_reference_name_to_id(&at, site->repo, ref.ptr) < 0)
			continue;
		printf("%sconflict: %s at %.12s (a diverged chain from site %s, kept; compare "
		       "with `chancery doc log`)\n", indent, ref.ptr, git_oid_tostr_s(&at),
		       peers.v[i]);
	}
	ch_buf_dispose(&ref);
	ch_strv_free(&peers);
}

static int doc_show(const cli_args *a)
{
	ch_site *site = NULL;
	ch_doc *doc = NULL;
	const ch_buf *text;
	char *to;
	int error;

	if ((error = ch_site_open(&site, a->pos.v[0])) < 0 ||
	    (error = ch_doc_load(&doc, site, a->pos.v[1])) < 0)
		goto done;
	to = ch_strv_join(&doc->meta.recipients, ", ");
	printf("document:       %s\ntitle:          %s\ntype:           %s\nworkflow:       %s\n"
	       "state:          %s\nclassification: %s\nurgency:        %s\nnumber:         %s\n"
	       "recipients:     %s\ncreator:        %s\nhead:           %s\nsteps:          %zu\n",
	       doc->id, doc->meta.title, doc->meta.type, doc->meta.workflow, doc->state.state,
	       doc->meta.classification, doc->meta.urgency, doc->meta.number, to,
	       doc->state.creator, git_oid_tostr_s(&doc->head), doc->nevents);
	free(to);
	print_conflicts(site, doc->id, "");
	if (!doc->state.final)
		print_awaited(site, doc);
	for (size_t i = 0; i < doc->files.n; i++)
		if (!strncmp(doc->files.v[i].path, CH_ATTACH_DIR, sizeof(CH_ATTACH_DIR) - 1))
			printf("attachment:     %s (%zu bytes, %s)\n",
			       doc->files.v[i].path + sizeof(CH_ATTACH_DIR) - 1, doc->files.v[i].data.size,
			       ch_attach_sniff(doc->files.v[i].data.ptr, doc->files.v[i].data.size));
	if ((text = ch_fileset_get(&doc->files, CH_FILE_TEXT))) {
		printf("\n");
		fwrite(text->ptr, 1, text->size, stdout);
		if (text->size && text->ptr[text->size - 1] != '\n')
			printf("\n");
	}
done:
	ch_doc_free(doc);
	ch_site_free(site);
	return error;
}

static int doc_log(const cli_args *a)
{
	ch_site *site = NULL;
	ch_doc *doc = NULL;
	char date[32];
	size_t i;
	int error;

	if ((error = ch_site_open(&site, a->pos.v[0])) < 0 ||
	    (error = ch_doc_load(&doc, site, a->pos.v[1])) < 0)
		goto done;
	for (i = 0; i < doc->nevents; i++) {
		const ch_doc_event *e = &doc->events[i];

		printf("%.12s  %s  %-8s %-10s by %s%s%s\n", git_oid_tostr_s(&e->id),
		       when(e->time, date, sizeof(date)), e->t.action, e->t.step, e->t.actor,
		       e->t.on_behalf[0] ? " for " : "", e->t.on_behalf);
		if (e->comment && e->comment[0])
			printf("              \"%s\"\n", e->comment);
	}
done:
	ch_doc_free(doc);
	ch_site_free(site);
	return error;
}

static int doc_list(const cli_args *a)
{
	const char *awaiting = cli_get(a, "awaiting");
	const ch_policy *pol = NULL;
	ch_strv ids = CH_STRV_INIT;
	ch_site *site = NULL;
	git_oid head;
	size_t i;
	int error;

	if ((error = ch_site_open(&site, a->pos.v[0])) < 0 ||
	    (error = ch_doc_list_ids(&ids, site)) < 0)
		goto done;
	if (awaiting && ((error = ch_site_policy_head(&head, site)) < 0 ||
	                 (error = ch_site_policy(&pol, site, &head)) < 0))
		goto done;
	for (i = 0; i < ids.n; i++) {
		ch_strv can = CH_STRV_INIT;
		ch_doc *doc = NULL;
		const ch_workflow *wf;

		if (ch_doc_load(&doc, site, ids.v[i]) < 0) {
			printf("%-32s (invalid chain: %s)\n", ids.v[i], ch_error_last());
			continue;
		}
		if (awaiting && (wf = ch_policy_workflow(pol, doc->meta.workflow)))
			ch_engine_allowed(&can, &doc->state, wf, pol, awaiting);
		if (!awaiting || can.n) {
			printf("%-32s %-10s %-8s %s\n", doc->id, doc->state.state, doc->meta.urgency,
			       doc->meta.title);
			print_conflicts(site, doc->id, "    ");
		}
		ch_strv_free(&can);
		ch_doc_free(doc);
	}
done:
	ch_strv_free(&ids);
	ch_site_free(site);
	return error;
}

int cmd_doc(int argc, char **argv)
{
	static const struct {
		const char *name;
		int npos;
		int (*fn)(const cli_args *);
		const char *const *opts;
	} subs[] = {
		{ "create", 1, doc_create, create_opts }, { "revise", 2, doc_revise, revise_opts },
		{ "act", 2, doc_act, act_opts }, { "show", 2, doc_show, no_opts },
		{ "log", 2, doc_log, no_opts }, { "list", 1, doc_list, list_opts },
	};
	cli_args a;
	size_t i;
	int error;

	for (i = 0; argc > 0 && i < CH_ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[0], subs[i].name))
			break;
	if (argc < 1 || i == CH_ARRAY_SIZE(subs))
		return cli_usage(NULL);
	if (cli_parse(&a, argc - 1, argv + 1, subs[i].opts, NULL) < 0) {
		fprintf(stderr, "chancery: doc %s: %s\n", subs[i].name, ch_error_last());
		cli_args_dispose(&a);
		return CLI_USAGE;
	}
	if (a.pos.n != (size_t)subs[i].npos) {
		cli_args_dispose(&a);
		return cli_usage(NULL);
	}
	error = subs[i].fn(&a);
	cli_args_dispose(&a);
	return error < 0 ? cli_fail(error) : CLI_OK;
}
