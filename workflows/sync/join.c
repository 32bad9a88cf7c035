/* join.c -- a mission's site: `chancery join` takes headquarters' policy
 * chain (and the documents addressed to the mission) into a new site with
 * its own id and GnuPG home.
 *
 * join: the policy chain is fetched with stock git into a staging
 * repository (SITE/state/join.git), verified there whole by the auditors'
 * verifier (with the anchor when given), and only then copied into
 * SITE/repo.git, whose first ref it is; the documents then come through
 * the quarantine as `chancery sync` pulls them. A refused join leaves no
 * site behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/doc.h"
#include "workflows/classify/spill.h"
#include "workflows/verify/verify.h"
#include "workflows/sync/join.h"
#include "workflows/sync/peerview.h"
#include "workflows/sync/transport.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

static int is_url(const char *s)
{
	return !strncmp(s, "https://", 8);
}

/* A local source: the documents it holds that `me` may see (need to know,
 * workflows/sync/peerview.h: addressed to it or created by its people, not
 * spilled), judged with the source's current policy, as refspecs. */
static int local_wants(ch_strv *refspecs, const char *src, const char *me)
{
	git_repository *repo = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	ch_policy *pol = NULL;
	ch_spill_list spills;
	ch_buf spec = CH_BUF_INIT;
	git_oid head;
	int error = 0, have_spills = 0;

	if (git_repository_open_bare(&repo, src) < 0)
		return ch_error_setc(CH_ENOTFOUND, "%s: not a repository: %s", src,
		                     git_error_last()->message);
	if (git_reference_name_to_id(&head, repo, CH_POLICY_REF) < 0) {
		error = ch_error_setc(CH_ENOTFOUND, "%s has no policy chain", src);
		goto done;
	}
	if ((error = ch_policy_load(&pol, repo, &head)) < 0 ||
	    (error = ch_spill_list_load(&spills, repo)) < 0)
		goto done;
	have_spills = 1;
	if (git_reference_iterator_glob_new(&it, repo, "refs/docs/*") < 0) {
		error = ch_error_setc(CH_EIO, "%s: cannot list documents", src);
		goto done;
	}
	while (git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref), *id = name + 10;

		if (ch_valid_doc_id(id) && git_reference_target(ref) &&
		    !ch_spill_find(&spills, id) &&
		    ch_view_doc_for_peer(repo, git_reference_target(ref), pol, me, NULL) == 1) {
			ch_buf_clear(&spec);
			ch_buf_printf(&spec, "+%s:%s", name, name);
			ch_strv_push(refspecs, spec.ptr);
		}
		git_reference_free(ref);
	}
done:
	if (have_spills)
		ch_spill_list_dispose(&spills);
	ch_policy_free(pol);
	git_reference_iterator_free(it);
	git_repository_free(repo);
	ch_buf_dispose(&spec);
	return error;
}

int ch_sync_join(const ch_join_req *jr, ch_sync_run *out)
{
	ch_strv env = CH_STRV_INIT, args = CH_STRV_INIT, wants = CH_STRV_INIT;
	ch_buf staging = CH_BUF_INIT, src = CH_BUF_INIT, state = CH_BUF_INIT;
	git_repository *srepo = NULL;
	ch_policy *pol = NULL;
	ch_site *site = NULL;
	char *peer = NULL;
	ch_sync_run r;
	ch_report rep;
	git_oid head;
	size_t i;
	int error, created = 0, have_report = 0;

	memset(&rep, 0, sizeof(rep));
	memset(&r, 0, sizeof(r));
	if (jr->anchor && !ch_valid_oid_hex(jr->anchor))
		return ch_error_setc(CH_EINVALID, "--anchor: a 40-hex commit id (the introduction)");
	if (is_url(jr->from)) {
		ch_buf_puts(&src, jr->from);
	} else if (strstr(jr->from, "://")) {
		return ch_error_setc(CH_EINVALID, "%s: a mission joins over https:// or from a "
		                     "local directory", jr->from);
	} else {
		ch_buf_printf(&src, "%s/repo.git", jr->from); /* a site directory */
		if (!ch_fs_exists(src.ptr)) {
			ch_buf_clear(&src);
			ch_buf_puts(&src, jr->from);
		}
	}
	if ((error = ch_site_create(&site, jr->path, jr->site_id, "networked")) < 0) {
		ch_site *old = NULL;

		if (ch_site_open(&old, jr->path) == 0 && ch_site_policy_head(&head, old) < 0)
			error = ch_error_setc(CH_EINVALID, "%s holds a site whose join did not finish "
			                      "(no policy): remove the directory and join again",
			                      jr->path);
		else if (old)
			error = ch_error_setc(CH_EINVALID, "%s already holds a site: `chancery sync` "
			                      "keeps it in step", jr->path);
		ch_site_free(old);
		goto done;
	}
	created = 1;
	ch_buf_printf(&state, "%s/state", jr->path);
	ch_buf_printf(&staging, "%s/state/join.git", jr->path);
	if (((error = ch_fs_mkdir_p(state.ptr, 0700)) < 0))
		goto done;
	if (git_repository_init(&srepo, staging.ptr, 1) < 0) {
		error = ch_error_setc(CH_EIO, "cannot create %s", staging.ptr);
		goto done;
	}
	/* 1. the policy chain, with stock git, into a staging repository: the
	 * site has no policy yet for a quarantine to judge it by */
	ch_git_env(&env, staging.ptr, jr->cert, jr->key, jr->ca, 0);
	ch_strv_push(&args, "fetch");
	ch_strv_push(&args, "--no-tags");
	ch_strv_push(&args, "--no-write-fetch-head");
	ch_strv_push(&args, jr->progress ? "--progress" : "--quiet");
	if (!is_url(jr->from)) /* a site served by chanceryd belongs to its user */
		ch_git_upload_pack_arg(&args, src.ptr);
	ch_strv_push(&args, src.ptr);
	ch_strv_push(&args, "refs/heads/policy:refs/heads/policy");
	if (jr->progress)
		fprintf(stderr, "join: fetching the policy chain from %s\n", jr->from);
	if ((error = ch_git_run(NULL, &env, jr->progress, &args)) < 0)
		goto done;
	if (git_reference_name_to_id(&head, srepo, CH_POLICY_REF) < 0) {
		error = ch_error_setc(CH_ENOTFOUND, "%s has no policy chain", jr->from);
		goto done;
	}
	/* 2. verified whole (P1-P6), the introduction against the anchor */
	{
		ch_verify_opts vo;

		memset(&vo, 0, sizeof(vo));
		vo.no_log = 1; /* the staging repository holds only the policy chain */
		if ((error = ch_verify(&rep, srepo, &vo)) < 0)
			goto done;
		have_report = 1;
	}
	for (i = 0; i < rep.n; i++)
		if (!rep.v[i].warning) {
			error = ch_error_setc(CH_EDENIED, "the policy chain does not verify: %s %s %s",
			                      rep.v[i].rule, rep.v[i].commit, rep.v[i].message);
			goto done;
		}
	if (jr->anchor && strcmp(rep.root, jr->anchor)) {
		error = ch_error_setc(CH_EDENIED, "P1: the policy chain's introduction is %s, not "
		                      "the anchor %s", rep.root, jr->anchor);
		goto done;
	}
	if ((error = ch_policy_load(&pol, srepo, &head)) < 0)
		goto done;
	if (strcmp(pol->tier, "networked")) {
		error = ch_error_setc(CH_EDENIED, "the policy's signed tier is %s: a networked site "
		                      "cannot join it", pol->tier);
		goto done;
	}
	if (!ch_policy_site(pol, jr->site_id)) {
		error = ch_error_setc(CH_EDENIED, "site %s is not listed in the policy's sites.json: "
		                      "a policy-admin adds it first (chancery site set)", jr->site_id);
		goto done;
	}
	peer = jr->peer ? ch_strdup(jr->peer) : is_url(jr->from) ?
	       ch_sync_peer_from_url(jr->from) : ch_strdup(pol->site);
	if (!peer || !ch_policy_site(pol, peer) || !strcmp(peer, jr->site_id)) {
		error = ch_error_setc(CH_EINVALID, "--peer ID: the site %s is (one of the policy's "
		                      "sites.json, not this one)", jr->from);
		goto done;
	}
	/* 3. the policy into the site (its first ref: nothing to compare and
	 * swap against), the tier from the signed repository.json */
	if ((error = ch_site_set_tier(site, pol->tier)) < 0)
		goto done;
	ch_strv_free(&env);
	ch_strv_free(&args);
	ch_git_env(&env, site->repo_path, NULL, NULL, NULL, 1);
	ch_strv_push(&args, "fetch");
	ch_strv_push(&args, "--no-tags");
	ch_strv_push(&args, "--no-write-fetch-head");
	ch_strv_push(&args, "--quiet");
	ch_strv_push(&args, staging.ptr);
	ch_strv_push(&args, "refs/heads/policy:refs/heads/policy");
	if ((error = ch_git_run(NULL, &env, 0, &args)) < 0)
		goto done;
	git_repository_free(srepo);
	srepo = NULL;
	ch_fs_remove_tree(staging.ptr);
	/* 4. the documents through the quarantine, as `chancery sync` pulls
	 * them (verified, gated, need to know, the peer's heads recorded) */
	if (!is_url(jr->from) && (error = local_wants(&wants, src.ptr, jr->site_id)) < 0)
		goto done;
	r.remote = src.ptr;
	r.cert = jr->cert;
	r.key = jr->key;
	r.ca = jr->ca;
	r.peer = peer;
	r.safe_dir = is_url(jr->from) ? NULL : src.ptr;
	r.progress = jr->progress;
	r.out = jr->out;
	ch_site_free(site);
	site = NULL;
	if ((error = ch_site_open(&site, jr->path)) < 0 ||
	    (error = ch_sync_pull(&r, site, is_url(jr->from) ? NULL : &wants)) < 0)
		goto done;
	fprintf(jr->out, "site %s joined the policy chain of %s in %s: introduction %s%s, policy %s, "
	       "tier %s, %zu documents%s\n", jr->site_id, pol->site, jr->path, rep.root,
	       jr->anchor ? " (the anchor)" : "", git_oid_tostr_s(&head), pol->tier, r.pulled,
	       r.refused + r.conflicts ? " (some refused: see above)" : "");
	if (!jr->anchor)
		fprintf(stderr, "chancery: join: no --anchor given: the introduction found, %s, was "
		        "trusted; compare it with the one headquarters gave you out of band\n",
		        rep.root);
	*out = r;
	created = 0; /* keep the site */
done:
	git_repository_free(srepo);
	if (staging.size)
		ch_fs_remove_tree(staging.ptr);
	ch_site_free(site);
	if (created && error < 0) {
		/* a refused join leaves nothing behind (the error message stays) */
		char *msg = ch_strdup(ch_error_last());

		ch_fs_remove_tree(jr->path);
		ch_error_setc(error, "%s", msg);
		free(msg);
	}
	if (have_report)
		ch_report_dispose(&rep);
	ch_policy_free(pol);
	free(peer);
	ch_strv_free(&env);
	ch_strv_free(&args);
	ch_strv_free(&wants);
	ch_buf_dispose(&staging);
	ch_buf_dispose(&src);
	ch_buf_dispose(&state);
	return error;
}
