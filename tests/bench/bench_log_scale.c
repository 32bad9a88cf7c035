/* bench_log_scale.c -- a long site log and what taking it costs
 * (tests/bench/bench_log_scale.sh):
 *
 *   bench_log_scale build SITE N     extend SITE's log by N entries of one
 *       document update each, each signed by the site key through
 *       gpg-agent, written in process without fsync (a fixture: the key
 *       holder's record, SITE/gnupg/chancery-log-head, is left behind, so
 *       the site appends no more); prints "build <ns> <entries>"
 *   bench_log_scale load SITE REPS   the whole own log, REPS times:
 *       "load <ns>" (ch_log_load: R2-R4, every signature, what a sync did
 *       with a peer's log on arrival) and "read <ns>" (ch_log_read: shape
 *       and times only)
 *   bench_log_scale take SITE SRC PEER K REPS   SITE takes PEER's log from
 *       the repository SRC (as from a quarantine: ch_logsync_take, no
 *       countersignature), REPS times each way: "whole <ns>" with no head
 *       kept (every signature checked, as every sync did before the
 *       incremental check) and "incr <ns>" with the head K entries back
 *       kept (refs/chancery/peers/PEER/log set there first, as the last
 *       sync left it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/keystore.h"
#include "workflows/sitelog.h"
#include "workflows/sync/logsync.h"
#include "util/common.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int die(const char *what)
{
	fprintf(stderr, "bench_log_scale: %s: %s\n", what, ch_error_last());
	return 1;
}

/* The tip of the site's own log: id, seq, time, tree. */
static int tip(git_oid *head, uint64_t *seq, int64_t *when, git_oid *tree, ch_site *site)
{
	ch_log_entry e;
	git_commit *c = NULL;
	char s[65] = "";
	const char *msg;
	int error;

	if (git_reference_name_to_id(head, site->repo, CH_LOG_REF) < 0 ||
	    git_commit_lookup(&c, site->repo, head) < 0)
		return ch_error_setc(CH_EIO, "no log");
	msg = git_commit_message_raw(c);
	if ((error = ch_log_parse(&e, s, msg, strlen(msg))) == 0) {
		*seq = e.seq;
		*when = e.time;
		git_oid_cpy(tree, git_commit_tree_id(c));
		ch_log_entry_dispose(&e);
	}
	git_commit_free(c);
	return error;
}

static int build(ch_site *site, long n)
{
	ch_keystore *ks = NULL;
	ch_keyinfo key;
	ch_log_item it;
	git_oid head, tree, root, doc, id;
	uint64_t seq = 0;
	int64_t when = 0;
	long long t0;
	long i;

	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	if (git_reference_name_to_id(&head, site->repo, CH_LOG_REF) < 0 &&
	    ch_log_append(site, NULL, 0) < 0) /* the first entry, and the key */
		return die("first entry");
	if (tip(&head, &seq, &when, &tree, site) < 0 || ch_site_keystore(&ks, site) < 0 ||
	    ch_site_signer(&key, site, CH_LOG_SIGNER) < 0)
		return die("site key");
	memset(&it, 0, sizeof(it));
	it.kind = CH_LOG_DOC;
	memset(&root, 0x11, sizeof(root));
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		ch_buf text = CH_BUF_INIT, sig = CH_BUF_INIT;
		char hex[GIT_OID_HEXSZ + 1];
		int64_t t = (int64_t)time(NULL) > when ? (int64_t)time(NULL) : when;

		memset(&doc, 0, sizeof(doc));
		memcpy(doc.id, &i, sizeof(i));
		ch_log_commitment(it.commitment, "refs/docs/2026-bench", &root, &doc);
		ch_buf_printf(&text, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree));
		ch_buf_printf(&text, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &head));
		ch_buf_printf(&text, "author %s site log <log@%s.chancery> %" PRId64 " +0000\n"
		              "committer %s site log <log@%s.chancery> %" PRId64 " +0000\n\n",
		              site->site_id, site->site_id, t, site->site_id, site->site_id, t);
		ch_log_message(&text, site->site_id, ++seq, t, &it, 1);
		if (ch_keystore_sign_machine(&sig, ks, &key, text.ptr, text.size) < 0)
			return die("signature");
		while (sig.size && sig.ptr[sig.size - 1] == '\n')
			ch_buf_truncate(&sig, sig.size - 1);
		if (git_commit_create_with_signature(&id, site->repo, text.ptr, sig.ptr, NULL) < 0)
			return die("commit");
		git_oid_cpy(&head, &id);
		when = t;
		ch_buf_dispose(&text);
		ch_buf_dispose(&sig);
	}
	{
		git_reference *ref = NULL;

		if (git_reference_create(&ref, site->repo, CH_LOG_REF, &head, 1, "bench") < 0)
			return die("ref");
		git_reference_free(ref);
	}
	printf("build %lld %ld\n", now_ns() - t0, n);
	return 0;
}

static int load(ch_site *site, long reps)
{
	git_oid head;
	ch_log log;
	long r;

	if (git_reference_name_to_id(&head, site->repo, CH_LOG_REF) < 0)
		return die("no log");
	for (r = 0; r < reps; r++) {
		long long t0 = now_ns(), t1, t2;

		if (ch_log_load(&log, site->repo, &head, NULL) < 0)
			return die("ch_log_load");
		t1 = now_ns();
		ch_log_dispose(&log);
		t2 = now_ns();
		if (ch_log_read(&log, site->repo, &head) < 0)
			return die("ch_log_read");
		printf("load %lld\nread %lld\n", t1 - t0, now_ns() - t2);
		ch_log_dispose(&log);
	}
	return 0;
}

/* One take of `peer`'s log at `head`, with `kept` (NULL: none) set first. */
static int take_once(long long *ns, ch_site *site, git_repository *src, const char *peer,
                     const git_oid *head, const git_oid *kept)
{
	ch_buf name = CH_BUF_INIT;
	ch_logsync_result res;
	ch_logsync_in in;
	git_reference *ref = NULL;
	long long t0;
	int error;

	ch_buf_printf(&name, "%s%s/log", CH_PEERLOG_PREFIX, peer);
	if (git_reference_lookup(&ref, site->repo, name.ptr) == 0) {
		git_reference_delete(ref);
		git_reference_free(ref);
		ref = NULL;
	}
	if (kept && git_reference_create(&ref, site->repo, name.ptr, kept, 1, "bench") < 0) {
		ch_buf_dispose(&name);
		return ch_error_setc(CH_EIO, "cannot set the kept head");
	}
	git_reference_free(ref);
	ch_buf_dispose(&name);
	memset(&res, 0, sizeof(res));
	snprintf(in.site, sizeof(in.site), "%s", peer);
	git_oid_cpy(&in.head, head);
	t0 = now_ns();
	error = ch_logsync_take(&res, site, src, peer, "bench", &in, 1, 0);
	*ns = now_ns() - t0;
	if (!error && (res.stored != 1 || res.forks))
		error = ch_error_setc(CH_EINVALID, "the log was not taken (%zu forks): %s", res.forks,
		                      res.lines.n ? res.lines.v[0] : "");
	ch_logsync_result_dispose(&res);
	return error;
}

static int take(ch_site *site, const char *srcpath, const char *peer, long k, long reps)
{
	git_repository *src = NULL;
	git_commit *c = NULL;
	git_oid head, kept;
	long r, i;
	long long ns;

	if (git_repository_open_bare(&src, srcpath) < 0 ||
	    git_reference_name_to_id(&head, src, CH_LOG_REF) < 0)
		return die("the peer's repository");
	git_oid_cpy(&kept, &head);
	for (i = 0; i < k; i++) {
		if (git_commit_lookup(&c, src, &kept) < 0 || git_commit_parentcount(c) != 1)
			return die("the log is shorter than K");
		git_oid_cpy(&kept, git_commit_parent_id(c, 0));
		git_commit_free(c);
	}
	for (r = 0; r < reps; r++) {
		if (take_once(&ns, site, src, peer, &head, NULL) < 0)
			return die("whole");
		printf("whole %lld\n", ns);
		if (take_once(&ns, site, src, peer, &head, &kept) < 0)
			return die("incremental");
		printf("incr %lld\n", ns);
	}
	git_repository_free(src);
	return 0;
}

int main(int argc, char **argv)
{
	ch_site *site = NULL;
	int rc;

	if (argc < 4 || (strcmp(argv[1], "build") && strcmp(argv[1], "load") &&
	                 (strcmp(argv[1], "take") || argc != 7))) {
		fprintf(stderr, "usage: bench_log_scale build SITE N | load SITE REPS | "
		        "take SITE SRC PEER K REPS\n");
		return 2;
	}
	if (ch_lib_init() < 0 || ch_site_open(&site, argv[2]) < 0)
		return die("site");
	if (!strcmp(argv[1], "build"))
		rc = build(site, atol(argv[3]));
	else if (!strcmp(argv[1], "load"))
		rc = load(site, atol(argv[3]));
	else
		rc = take(site, argv[3], argv[4], atol(argv[5]), atol(argv[6]));
	ch_site_free(site);
	return rc;
}
