/* exchange.c -- one exchange with a peer site (docs/sync.md): pull, then
 * push (`chancery sync`, and the documents of `chancery join`).
 *
 * Pull: stock git fetches everything the remote advertises (its view for
 * us: the policy and the documents we may see) into a quarantine
 * (workflows/sync/quarantine.h); ch_quarantine_apply verifies it there and
 * moves each accepted ref by compare-and-swap. Nothing unverified ever
 * enters the site. The policy is applied first, alone; then the spill
 * list the remote sent is taken (workflows/sync/spillsync.h: what it
 * spills is purged here); then the documents, judged against both.
 * Push: each local document the remote should have (one it may see:
 * addressed to it or created by its people; and, when the remote is
 * headquarters, every document for this site: created by its people or
 * addressed to it) and that is ahead of what the remote advertised is
 * pushed with stock git, one explicit refspec per document, never forced
 * (never one the local spill list names). The remote verifies it in
 * its own quarantine and answers per ref.
 *
 * Idempotent and resumable: refs move only by compare-and-swap after
 * their objects are durable, on both sides; a run killed at any point
 * leaves each ref either as it was or at a verified head, and the next
 * run fetches and pushes whatever is still missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/doc.h"
#include "workflows/classify/spill.h"
#include "workflows/sync/exchange.h"
#include "workflows/sync/logsync.h"
#include "workflows/sync/peerview.h"
#include "workflows/sync/quarantine.h"
#include "workflows/sync/spillsync.h"
#include "workflows/sync/transport.h"
#include "util/spawn.h"
#include "util/text.h"
#include "util/common.h"

typedef ch_sync_run sync_run;

/* name -> id of what the remote advertised (= what we fetched) */
typedef struct {
	char **names;
	git_oid *ids;
	size_t n;
} tips;

static void tips_dispose(tips *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

static const git_oid *tips_find(const tips *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->names[i], name))
			return &t->ids[i];
	return NULL;
}

static void tips_add(tips *t, const char *name, const git_oid *id)
{
	t->names = ch_realloc(t->names, (t->n + 1) * sizeof(*t->names));
	t->ids = ch_realloc(t->ids, (t->n + 1) * sizeof(*t->ids));
	t->names[t->n] = ch_strdup(name);
	git_oid_cpy(&t->ids[t->n], id);
	t->n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The refs fetched into the quarantine, the policy first. Anything else
 * (a ref name we never asked for) is ignored. */
static int read_tips(tips *out, const char *git_dir)
{
	git_repository *repo = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	ch_strv names = CH_STRV_INIT;
	git_oid id;
	size_t i;
	int error = 0;

	if (git_repository_open_bare(&repo, git_dir) < 0)
		return ch_error_setc(CH_EIO, "cannot open the quarantine: %s",
		                     git_error_last()->message);
	if (git_reference_iterator_new(&it, repo) < 0) {
		error = ch_error_setc(CH_EIO, "cannot list the refs fetched");
		goto done;
	}
	while (git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref);

		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    (!strcmp(name, CH_POLICY_REF) ||
		     (!strncmp(name, "refs/docs/", 10) && ch_valid_doc_id(name + 10))))
			ch_strv_push(&names, name);
		git_reference_free(ref);
	}
	qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	if (git_reference_name_to_id(&id, repo, CH_POLICY_REF) == 0)
		tips_add(out, CH_POLICY_REF, &id);
	for (i = 0; i < names.n; i++)
		if (strcmp(names.v[i], CH_POLICY_REF) &&
		    git_reference_name_to_id(&id, repo, names.v[i]) == 0)
			tips_add(out, names.v[i], &id);
done:
	ch_strv_free(&names);
	git_reference_iterator_free(it);
	git_repository_free(repo);
	return error;
}

static void report_result(sync_run *r, const ch_qresult *res, const char *peer)
{
	switch (res->status) {
	case CH_Q_ACCEPTED:
		fprintf(r->out, "pulled    %s %.12s\n", res->ref, res->commit);
		r->pulled++;
		break;
	case CH_Q_UNCHANGED:
	case CH_Q_AHEAD:
		r->unchanged++;
		break;
	case CH_Q_CONFLICT:
		fprintf(r->out, "conflict  %s %.12s: diverged from ours, kept as refs/conflicts/%s/%s\n",
		       res->ref, res->commit, peer, res->ref + 5);
		r->conflicts++;
		break;
	case CH_Q_REFUSED:
		fprintf(r->out, "refused   %s: commit %s rule %s: %s\n", res->ref,
		       res->commit[0] ? res->commit : "-", res->rule[0] ? res->rule : "-",
		       res->message ? res->message : "");
		r->refused++;
		break;
	}
}

#define SYNC_APPLY_BATCH CH_Q_MAX_UPDATES /* updates one ch_quarantine_apply takes */

/* The site logs the fetch brought (logsync.h): a fork is reported and
 * counted as refused (the sync exits non-zero). */
static int take_logs(sync_run *r, ch_site *site, const char *qpath)
{
	ch_logsync_result lr;
	size_t i;
	int error;

	memset(&lr, 0, sizeof(lr));
	error = ch_logsync_take_fetched(&lr, site, qpath, r->peer, "git fetch");
	for (i = 0; i < lr.lines.n; i++)
		fprintf(r->out, "%s\n", lr.lines.v[i]);
	r->refused += lr.forks;
	r->log_bytes += lr.bytes;
	if (r->progress)
		fprintf(stderr, "sync: %zu logs stored, %zu bytes of log objects, %zu witnessed\n",
		        lr.stored, lr.bytes, lr.witnessed);
	ch_logsync_result_dispose(&lr);
	return error;
}

/* The spill list the remote sent, taken once its policy is applied and
 * before its documents are judged (workflows/sync/spillsync.h). */
static int take_spills(sync_run *r, ch_site *site, ch_quarantine *q)
{
	ch_spillsync s;
	ch_qresult qr;
	int error = ch_spillsync_take(&s, site, q, NULL, r->peer, "git fetch");

	if (s.present) {
		ch_spillsync_qresult(&qr, &s);
		report_result(r, &qr, r->peer);
		free(qr.message);
	}
	ch_spillsync_print(r->out, &s);
	ch_spillsync_dispose(&s);
	return error;
}

static int pull(sync_run *r, ch_site *site, tips *remote, const ch_strv *doc_refspecs)
{
	ch_strv env = CH_STRV_INIT, args = CH_STRV_INIT;
	ch_quarantine *q = NULL;
	ch_qupdate *u = NULL;
	ch_qresult *res = NULL;
	size_t i, off, n;
	int error;

	if ((error = ch_quarantine_open(&q, site, r->peer, "git fetch")) < 0)
		goto done;
	ch_git_env(&env, ch_quarantine_path(q), r->cert, r->key, r->ca, 0);
	ch_strv_push(&args, "fetch");
	ch_strv_push(&args, "--no-tags");
	ch_strv_push(&args, "--no-write-fetch-head");
	ch_strv_push(&args, r->progress ? "--progress" : "--quiet");
	if (r->safe_dir)
		ch_git_upload_pack_arg(&args, r->safe_dir);
	ch_strv_push(&args, r->remote);
	ch_strv_push(&args, "+refs/heads/policy:refs/heads/policy");
	/* a pattern: a remote without a spill list is not an error */
	ch_strv_push(&args, "+" CH_SPILLS_REF "*:" CH_SPILLS_REF "*");
	if (!doc_refspecs)
		ch_strv_push(&args, "+refs/docs/*:refs/docs/*");
	for (i = 0; doc_refspecs && i < doc_refspecs->n; i++)
		ch_strv_push(&args, doc_refspecs->v[i]);
	/* the peer's site log and the logs it keeps (logsync.h) */
	ch_strv_push(&args, LOGSYNC_FETCH_OWN);
	ch_strv_push(&args, LOGSYNC_FETCH_RELAYED);
	if (r->progress)
		fprintf(stderr, "sync: fetching from %s\n", r->remote);
	if ((error = ch_git_run(NULL, &env, r->progress, &args)) < 0 ||
	    (error = read_tips(remote, ch_quarantine_path(q))) < 0)
		goto done;
	if (!remote->n || strcmp(remote->names[0], CH_POLICY_REF)) {
		error = ch_error_setc(CH_EIO, "%s advertised no policy chain", r->remote);
		goto done;
	}
	/* the logs before the documents: D1 at a log position reads them */
	if ((error = take_logs(r, site, ch_quarantine_path(q))) < 0)
		goto done;
	if (r->progress)
		fprintf(stderr, "sync: verifying %zu refs in quarantine\n", remote->n);
	u = ch_calloc(remote->n, sizeof(*u));
	for (i = 0; i < remote->n; i++) {
		snprintf(u[i].ref, sizeof(u[i].ref), "%s", remote->names[i]);
		if (git_reference_name_to_id(&u[i].old_id, site->repo, remote->names[i]) < 0)
			memset(&u[i].old_id, 0, sizeof(u[i].old_id));
		git_oid_cpy(&u[i].new_id, &remote->ids[i]);
	}
	/* the policy alone first, then the spill list, then the documents,
	 * judged against both */
	for (off = 0; off < remote->n; off += n) {
		n = off == 0 ? 1 : remote->n - off < SYNC_APPLY_BATCH ? remote->n - off :
		    SYNC_APPLY_BATCH;
		if ((error = ch_quarantine_apply(q, u + off, n, 0, &res)) < 0)
			goto done;
		for (i = 0; i < n; i++)
			report_result(r, &res[i], r->peer);
		ch_qresults_free(res, n);
		res = NULL;
		if (off == 0 && (error = take_spills(r, site, q)) < 0)
			goto done;
	}
done:
	free(u);
	ch_quarantine_free(q);
	ch_strv_free(&env);
	ch_strv_free(&args);
	return error;
}

int ch_sync_pull(ch_sync_run *r, ch_site *site, const ch_strv *doc_refspecs)
{
	tips remote;
	int error;

	memset(&remote, 0, sizeof(remote));
	error = pull(r, site, &remote, doc_refspecs);
	tips_dispose(&remote);
	return error;
}

/* One porcelain line of git push: "<flag>\t<from>:<to>\t<summary>". */
/* 1 when the remote turned the ref down ('!'), else 0. */
static int report_push_line(sync_run *r, const char *line)
{
	const char *tab = strchr(line, '\t'), *colon, *tab2;
	char flag = line[0];

	if (!tab || !(colon = strchr(tab + 1, ':')) || !(tab2 = strchr(colon, '\t')))
		return 0;
	if (flag == '!' && strstr(tab2 + 1, "conflict")) {
		/* the remote kept our diverged chain beside its own */
		fprintf(r->out, "conflict  %.*s: the remote keeps ours beside its own (%s)\n",
		       (int)(tab2 - colon - 1), colon + 1, tab2 + 1);
		r->conflicts++;
	} else if (flag == '!' && strstr(tab2 + 1, "ahead")) {
		r->unchanged++; /* it has more than we sent: the next pull takes it */
	} else if (flag == '!') {
		fprintf(r->out, "refused   %.*s: %s\n", (int)(tab2 - colon - 1), colon + 1, tab2 + 1);
		r->refused++;
	} else if (flag == '=') {
		r->unchanged++;
	} else {
		fprintf(r->out, "pushed    %.*s %s\n", (int)(tab2 - colon - 1), colon + 1, tab2 + 1);
		r->pushed++;
	}
	return flag == '!';
}

#define SYNC_PUSH_BATCH 500 /* refs a push (the remote takes CH_Q_MAX_UPDATES) */

/* `git push` with args[0..4) (push --porcelain --progress URL) and the
 * refspecs args[from..from+n); one report line per ref. */
static int push_batch(sync_run *r, const ch_strv *env, const ch_strv *args, size_t from,
                      size_t n)
{
	const char **argv = ch_calloc(n + 6, sizeof(*argv));
	const char **envp = ch_calloc(env->n + 1, sizeof(*envp));
	ch_buf out = CH_BUF_INIT, err = CH_BUF_INIT;
	char *line, *save = NULL;
	size_t i, k = 0, turned_down = 0, refused_before = r->refused + r->conflicts;
	int error, status;

	argv[k++] = "git";
	for (i = 0; i < 4; i++)
		argv[k++] = args->v[i];
	for (i = 0; i < n; i++)
		argv[k++] = args->v[from + i];
	for (i = 0; i < env->n; i++)
		envp[i] = env->v[i];
	error = ch_spawn_run(&status, argv, envp, &out, r->progress ? NULL : &err);
	if (error < 0)
		goto done;
	for (line = strtok_r(out.size ? out.ptr : NULL, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] && line[1] == '\t')
			turned_down += (size_t)report_push_line(r, line);
	if (status != 0 && !turned_down) {
		while (err.size && err.ptr[err.size - 1] == '\n')
			ch_buf_truncate(&err, err.size - 1);
		error = ch_error_setc(CH_EIO, "git push failed (exit %d)%s%s", status,
		                      err.size ? ": " : "",
		                      err.size ? err.ptr + (err.size > 600 ? err.size - 600 : 0) : "");
		goto done;
	}
	/* the remote's own words on refusals ("remote: ...") */
	if (r->refused + r->conflicts > refused_before && err.size)
		for (line = strtok_r(err.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (!strncmp(line, "remote:", 7))
				fprintf(r->out, "          %s\n", line);
done:
	free(argv);
	free(envp);
	ch_buf_dispose(&out);
	ch_buf_dispose(&err);
	return error;
}

static int push(sync_run *r, ch_site *site, const tips *remote)
{
	ch_strv env = CH_STRV_INIT, args = CH_STRV_INIT;
	ch_buf spec = CH_BUF_INIT;
	const ch_policy *pol;
	ch_view view;
	ch_spill_list spills;
	ch_strv ids = CH_STRV_INIT;
	git_oid head;
	size_t i, nspecs = 0;
	git_odb *odb = NULL;
	int error, force;

	memset(&view, 0, sizeof(view));
	memset(&spills, 0, sizeof(spills));
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0 ||
	    (error = ch_view_visible(&view, site, pol, r->peer, 0)) < 0 ||
	    (error = ch_spill_list_load(&spills, site->repo)) < 0 ||
	    (error = ch_doc_list_ids(&ids, site)) < 0)
		goto done;
	if (git_repository_odb(&odb, site->repo) < 0) {
		error = ch_error_setc(CH_EIO, "cannot open the object database");
		goto done;
	}
	ch_git_env(&env, site->repo_path, r->cert, r->key, r->ca, 1);
	ch_strv_push(&args, "push");
	ch_strv_push(&args, "--porcelain");
	/* not --quiet: it silences the per-ref lines too */
	ch_strv_push(&args, r->progress ? "--progress" : "--no-progress");
	ch_strv_push(&args, r->remote);
	for (i = 0; i < ids.n; i++) {
		const git_oid *theirs;
		git_oid mine;

		ch_buf_clear(&spec);
		ch_buf_printf(&spec, "refs/docs/%s", ids.v[i]);
		if (git_reference_name_to_id(&mine, site->repo, spec.ptr) < 0)
			continue;
		/* spilled here (a purge not finished): it never goes out again */
		if (ch_spill_find(&spills, ids.v[i]))
			continue;
		if (!ch_view_find(&view, spec.ptr)) {
			/* Not the peer's to see by recipients or creator. Headquarters
			 * (the site named in the signed repository.json) still keeps
			 * every document of ours: those our people created and those
			 * addressed to us, which we may have stepped on. Any other
			 * peer gets only its view. */
			if (strcmp(r->peer, pol->site) ||
			    ch_view_doc_for_peer(site->repo, &mine, pol, site->site_id, NULL) != 1)
				continue;
			/* the gate still stands at this door (the view gated the others) */
			if (ch_gate_head(site, site->repo, pol, &mine, "git sync", r->peer) < 0) {
				fprintf(r->out, "not pushed %s: %s\n", spec.ptr, ch_error_last());
				r->refused++;
				continue;
			}
		}
		theirs = tips_find(remote, spec.ptr);
		if (theirs && git_oid_equal(theirs, &mine))
			continue;
		force = 0;
		if (theirs && git_graph_descendant_of(site->repo, &mine, theirs) != 1) {
			if (git_graph_descendant_of(site->repo, theirs, &mine) == 1)
				continue; /* behind: the pull took theirs */
			if (!git_odb_exists(odb, theirs)) {
				/* theirs was refused on pull: nothing to judge against */
				fprintf(r->out, "not pushed %s: the remote's head %.12s was not taken here\n",
				       spec.ptr, git_oid_tostr_s(theirs));
				continue;
			}
			/* diverged: sent all the same ("+": past git's own
			 * fast-forward check), so that the remote keeps our chain
			 * under refs/conflicts/<us>/docs/<id>; it never moves its ref */
			force = 1;
		}
		ch_buf_clear(&spec);
		ch_buf_printf(&spec, "%s%s:refs/docs/%s", force ? "+" : "", git_oid_tostr_s(&mine),
		              ids.v[i]);
		ch_strv_push(&args, spec.ptr);
		nspecs++;
	}
	if (!nspecs)
		goto done;
	if (r->progress)
		fprintf(stderr, "sync: pushing %zu documents\n", nspecs);
	/* in batches: the remote takes at most CH_Q_MAX_UPDATES refs a push */
	for (i = 0; i < nspecs; i += SYNC_PUSH_BATCH)
		if ((error = push_batch(r, &env, &args, 4 + i,
		                        nspecs - i < SYNC_PUSH_BATCH ? nspecs - i : SYNC_PUSH_BATCH)) < 0)
			goto done;
done:
	git_odb_free(odb);
	ch_spill_list_dispose(&spills);
	ch_view_dispose(&view);
	ch_strv_free(&ids);
	ch_strv_free(&env);
	ch_strv_free(&args);
	ch_buf_dispose(&spec);
	return error;
}

/* This site's log to the peer, as refs/chancery/peers/<me>/log (the peer
 * takes only a log that extends the one it keeps). Not
 * counted as a pushed ref; a refusal is (the sync exits non-zero). */
static int push_log(sync_run *r, ch_site *site)
{
	ch_strv env = CH_STRV_INIT;
	ch_buf spec = CH_BUF_INIT, out = CH_BUF_INIT, err = CH_BUF_INIT;
	const char *argv[8];
	const char **envp = NULL;
	char *ln, *save = NULL;
	git_oid own;
	size_t i;
	int error = 0, status = 0;

	if (git_reference_name_to_id(&own, site->repo, CH_LOG_REF) < 0)
		return 0;
	ch_git_env(&env, site->repo_path, r->cert, r->key, r->ca, 1);
	envp = ch_calloc(env.n + 1, sizeof(*envp));
	for (i = 0; i < env.n; i++)
		envp[i] = env.v[i];
	/* "+": past git's own fast-forward check, so that the peer judges (it
	 * refuses a log that does not extend the one it keeps, naming the
	 * fork, and replaces one a relay forged under another key) */
	ch_buf_printf(&spec, "+%s:%s%s/log", CH_LOG_REF, CH_PEERLOG_PREFIX, site->site_id);
	argv[0] = "git";
	argv[1] = "push";
	argv[2] = "--porcelain";
	argv[3] = "--no-progress";
	argv[4] = r->remote;
	argv[5] = spec.ptr;
	argv[6] = NULL;
	if ((error = ch_spawn_run(&status, argv, envp, &out, &err)) < 0)
		goto done;
	for (ln = strtok_r(out.size ? out.ptr : NULL, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save))
		if (ln[0] == '!' && ln[1] == '\t') {
			fprintf(r->out, "refused   %s: %s\n", spec.ptr, ln + 2);
			r->refused++;
			status = 0;
		}
	if (status != 0) {
		fprintf(r->out, "refused   %s: git push failed (exit %d)\n", spec.ptr, status);
		r->refused++;
	}
	for (ln = strtok_r(err.size ? err.ptr : NULL, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save))
		if (!strncmp(ln, "remote:", 7) && strstr(ln, "fork"))
			fprintf(r->out, "          %s\n", ln);
done:
	free(envp);
	ch_strv_free(&env);
	ch_buf_dispose(&spec);
	ch_buf_dispose(&out);
	ch_buf_dispose(&err);
	return error;
}

char *ch_sync_peer_from_url(const char *url)
{
	const char *p = strstr(url, "/git/"), *end;

	if (!p)
		return NULL;
	p += 5;
	end = strstr(p, ".git");
	if (!end || end == p || (end[4] && strcmp(end + 4, "/")))
		return NULL;
	return ch_strndup(p, (size_t)(end - p));
}

int ch_sync(ch_sync_run *r, const char *site_path)
{
	ch_site *site = NULL;
	const ch_policy *pol;
	tips remote;
	git_oid head;
	int error;

	memset(&remote, 0, sizeof(remote));
	if (strncmp(r->remote, "https://", 8))
		return ch_error_setc(CH_EINVALID, "--remote: an https:// URL");
	if (!r->peer || !ch_valid_name(r->peer))
		return ch_error_setc(CH_EINVALID, "--peer ID is needed (the remote URL does not "
		                     "end in /git/<site>.git)");
	if ((error = ch_site_open(&site, site_path)) < 0 ||
	    (error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		goto done;
	if (!ch_policy_site(pol, r->peer) || !strcmp(r->peer, site->site_id)) {
		error = ch_error_setc(CH_EINVALID, "%s is not another site of the policy's sites.json",
		                      r->peer);
		goto done;
	}
	if ((error = pull(r, site, &remote, NULL)) < 0)
		goto done;
	/* a pulled policy may have changed what the peer may see */
	ch_site_free(site);
	site = NULL;
	if ((error = ch_site_open(&site, site_path)) < 0 || (error = push(r, site, &remote)) < 0 ||
	    (error = push_log(r, site)) < 0)
		goto done;
	if (!r->pulled && !r->pushed && !r->refused && !r->conflicts)
		fprintf(r->out, "sync with %s: nothing new (%zu refs the same on both sides)\n", r->peer,
		        r->unchanged);
	else
		fprintf(r->out, "sync with %s: %zu pulled, %zu pushed, %zu refused, %zu conflicts\n",
		        r->peer, r->pulled, r->pushed, r->refused, r->conflicts);
	if (r->log_bytes)
		fprintf(r->out, "site logs: %zu bytes of log objects taken\n", r->log_bytes);
done:
	tips_dispose(&remote);
	ch_site_free(site);
	return error;
}
