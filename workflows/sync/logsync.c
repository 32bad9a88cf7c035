/* logsync.c -- site logs between sites: taking, forks, countersigning,
 * and D1 at a log position (logsync.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/classify/gate.h"
#include "workflows/json.h"
#include "workflows/sync/logsync.h"
#include "workflows/trailers.h"
#include "util/text.h"
#include "util/common.h"

#define LOGSYNC_MAX_POLICY_WALK 100000 /* policy commits walked back for a revocation */

void ch_logsync_result_dispose(ch_logsync_result *r)
{
	ch_strv_free(&r->lines);
	memset(r, 0, sizeof(*r));
}

int ch_logsync_ref(char site[65], const char *ref, const char *from)
{
	size_t plen = strlen(CH_PEERLOG_PREFIX), n;
	const char *s, *slash;

	site[0] = '\0';
	if (!strcmp(ref, CH_LOG_REF)) {
		if (!from || strlen(from) > 64)
			return 0;
		snprintf(site, 65, "%s", from);
		return 1;
	}
	if (strncmp(ref, CH_PEERLOG_PREFIX, plen))
		return 0;
	s = ref + plen;
	if (!(slash = strchr(s, '/')) || strcmp(slash, "/log") || (n = (size_t)(slash - s)) == 0 ||
	    n > 64)
		return 0;
	memcpy(site, s, n);
	site[n] = '\0';
	if (!ch_valid_name(site)) {
		site[0] = '\0';
		return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

/* The log_key the policy's sites.json names for `site` (40 hex), if any. */
static int policy_log_key(char out[41], const ch_policy *pol, const char *site)
{
	const ch_buf *text = ch_fileset_get(&pol->files, "policy/sites.json");
	json_t *root = NULL, *arr, *e;
	const char *key;
	size_t i;
	int found = 0;

	out[0] = '\0';
	if (!text || ch_json_parse(&root, text->ptr, text->size, CH_SITE_CONFIG_MAX,
	                           "policy/sites.json") < 0) {
		ch_error_clear();
		return 0;
	}
	arr = json_object_get(root, "sites");
	json_array_foreach(arr, i, e) {
		if (!json_is_string(json_object_get(e, "id")) ||
		    strcmp(json_string_value(json_object_get(e, "id")), site))
			continue;
		key = json_string_value(json_object_get(e, "log_key"));
		if (key && strlen(key) == 40) {
			snprintf(out, 41, "%s", key);
			found = 1;
		}
		break;
	}
	json_decref(root);
	return found;
}

/* The seq an entry's first line names ("log: <site> <seq>"); 0 if none. */
static unsigned long long entry_seq(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	const char *sum, *sp;
	unsigned long long seq = 0;

	if (git_commit_lookup(&c, repo, id) < 0)
		return 0;
	sum = git_commit_summary(c);
	if (sum && !strncmp(sum, "log: ", 5) && (sp = strrchr(sum, ' ')))
		seq = strtoull(sp + 1, NULL, 10);
	git_commit_free(c);
	return seq;
}

static void peer_ref(ch_buf *out, const char *site)
{
	ch_buf_clear(out);
	ch_buf_printf(out, "%s%s/log", CH_PEERLOG_PREFIX, site);
}

static int copy_object(git_odb *dst, git_odb *src, const git_oid *id, size_t *bytes)
{
	git_odb_object *o = NULL;
	git_oid w;
	int error = 0;

	if (git_odb_exists(dst, id))
		return 0;
	if (git_odb_read(&o, src, id) < 0 ||
	    git_odb_write(&w, dst, git_odb_object_data(o), git_odb_object_size(o),
	                  git_odb_object_type(o)) < 0 || !git_oid_equal(&w, id))
		error = ch_error_setc(CH_EIO, "cannot copy log object %s into the site",
		                      git_oid_tostr_s(id));
	else
		*bytes += git_odb_object_size(o);
	git_odb_object_free(o);
	return error;
}

/* Copy the log chain at `head` (commits, their tree and site.asc) from
 * `src` into the site, down to the first commit the site holds. */
static int copy_chain(ch_site *site, git_repository *src, const git_oid *head, size_t *bytes)
{
	git_odb *dst = NULL, *sodb = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_oid id = *head;
	size_t i, n = 0;
	int error = 0;

	if (git_repository_odb(&dst, site->repo) < 0 || git_repository_odb(&sodb, src) < 0) {
		error = ch_error_setc(CH_EIO, "cannot open the object databases");
		goto done;
	}
	git_odb_refresh(dst);
	while (!git_odb_exists(dst, &id)) {
		if (++n > CH_LOG_MAX_ENTRIES || git_commit_lookup(&c, src, &id) < 0 ||
		    git_commit_tree(&t, c) < 0) {
			error = ch_error_setc(CH_EIO, "cannot read log entry %s", git_oid_tostr_s(&id));
			goto done;
		}
		for (i = 0; i < git_tree_entrycount(t) && !error; i++)
			error = copy_object(dst, sodb, git_tree_entry_id(git_tree_entry_byindex(t, i)),
			                    bytes);
		if (!error)
			error = copy_object(dst, sodb, git_tree_id(t), bytes);
		/* the commit last: the site holds a commit only with what it names */
		if (!error)
			error = copy_object(dst, sodb, &id, bytes);
		if (error < 0 || git_commit_parentcount(c) == 0)
			goto done;
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_tree_free(t);
		git_commit_free(c);
		t = NULL;
		c = NULL;
	}
done:
	git_tree_free(t);
	git_commit_free(c);
	git_odb_free(sodb);
	git_odb_free(dst);
	return error;
}

/* Move refs/chancery/peers/<site>/log from `old` (NULL: absent) to `head`. */
static int store_ref(ch_site *site, const char *whose, const git_oid *old, const git_oid *head)
{
	ch_buf name = CH_BUF_INIT;
	git_reference *ref = NULL;
	int rc;

	peer_ref(&name, whose);
	rc = old ? git_reference_create_matching(&ref, site->repo, name.ptr, head, 1, old,
	                                         "chancery: a peer's log") :
	           git_reference_create(&ref, site->repo, name.ptr, head, 0, "chancery: a peer's log");
	git_reference_free(ref);
	ch_buf_dispose(&name);
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot store %s's log: %s (it moved meanwhile?)", whose,
		                     git_error_last() ? git_error_last()->message : "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Taking logs                                                         */

static void line(ch_logsync_result *out, const char *fmt, ...) CH_PRINTF(2, 3);
static void line(ch_logsync_result *out, const char *fmt, ...)
{
	ch_buf b = CH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ch_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ch_strv_push(&out->lines, b.ptr);
	ch_buf_dispose(&b);
}

/* `bseq`: b's seq when b may be absent here (a witnessed head); 0: read it. */
static void fork_found(ch_logsync_result *out, ch_site *site, git_repository *repo,
                       const char *door, const char *peer, const char *whose,
                       const git_oid *a, const git_oid *b, uint64_t bseq, const char *how)
{
	char ha[GIT_OID_HEXSZ + 1], hb[GIT_OID_HEXSZ + 1];

	git_oid_tostr(ha, sizeof(ha), a);
	git_oid_tostr(hb, sizeof(hb), b);
	line(out, "fork: %s's log at %s (seq %llu) and %s (seq %llu) do not extend one another "
	     "(%s, from %s)", whose, ha, entry_seq(repo, a), hb,
	     bseq ? (unsigned long long)bseq : entry_seq(repo, b), how, peer);
	out->forks++;
	ch_gate_event(site, door, peer, "R6", "site log fork");
}

/* The entry of seq `s` on the chain at `head` (of seq `hseq`, s <= hseq). */
static int entry_at(git_oid *out, git_repository *repo, const git_oid *head, uint64_t hseq,
                    uint64_t s)
{
	git_commit *c = NULL;
	git_oid id = *head;

	while (hseq > s) {
		if (git_commit_lookup(&c, repo, &id) < 0 || git_commit_parentcount(c) != 1) {
			git_commit_free(c);
			return -1;
		}
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
		hseq--;
	}
	git_oid_cpy(out, &id);
	return 0;
}

/* Whether a witnessed head `h` (seq `s`) of a log can be the same history
 * as `k`, the head this site holds of it: 0 when they fork for sure. */
static int same_history(git_repository *repo, const git_oid *k, const git_oid *h, uint64_t s)
{
	uint64_t kseq = entry_seq(repo, k);
	git_odb *odb = NULL;
	git_oid at;
	int have;

	if (s <= kseq)
		return entry_at(&at, repo, k, kseq, s) < 0 || git_oid_equal(&at, h);
	if (git_repository_odb(&odb, repo) < 0)
		return 1;
	have = git_odb_exists(odb, h);
	git_odb_free(odb);
	/* a later head this site has not seen: nothing to compare yet */
	return !have || ch_log_extends(repo, k, h) == 1;
}

/* Each Witness in `log` after entry `from_seq` names a head of the
 * witnessed site's log that is the history this site holds of it: of
 * ours, our own head extends it; of another site, the head we keep. So a
 * relayed log tells a mission what history of headquarters another
 * mission countersigned. */
static void check_witnesses(ch_logsync_result *out, ch_site *site, git_repository *repo,
                            const char *door, const char *peer, const ch_log *log,
                            uint64_t from_seq)
{
	ch_buf name = CH_BUF_INIT;
	ch_strv forked = CH_STRV_INIT;
	git_oid own, kept;
	size_t i, k;
	int has_own = git_reference_name_to_id(&own, site->repo, CH_LOG_REF) == 0;

	for (i = from_seq; i < log->n; i++)
		for (k = 0; k < log->v[i].n; k++) {
			const ch_log_item *it = &log->v[i].items[k];

			if (it->kind != CH_LOG_WITNESS || ch_strv_contains(&forked, it->peer))
				continue;
			if (!strcmp(it->peer, site->site_id)) {
				if (has_own && ch_log_extends(repo, &it->peer_head, &own) == 1)
					continue;
				fork_found(out, site, repo, door, peer, site->site_id,
				           has_own ? &own : &it->peer_head, &it->peer_head, it->peer_seq,
				           "our head, and one of ours the log countersigned; the log is "
				           "kept as evidence");
				ch_strv_push(&forked, it->peer);
				continue;
			}
			peer_ref(&name, it->peer);
			if (git_reference_name_to_id(&kept, site->repo, name.ptr) < 0 ||
			    same_history(repo, &kept, &it->peer_head, it->peer_seq))
				continue;
			fork_found(out, site, repo, door, peer, it->peer, &kept, &it->peer_head,
			           it->peer_seq, "the head kept here, and one the log countersigned; the log is kept "
			           "as evidence");
			ch_strv_push(&forked, it->peer);
		}
	ch_strv_free(&forked);
	ch_buf_dispose(&name);
}

/* A relayed copy of this site's own log. */
static int take_own(ch_logsync_result *out, ch_site *site, git_repository *src, const char *door,
                    const char *peer, const git_oid *head)
{
	git_oid own;
	ch_log log;
	int error;

	if (git_reference_name_to_id(&own, site->repo, CH_LOG_REF) < 0) {
		line(out, "refused log: %s shows a log of this site, which has none", peer);
		out->forks++;
		ch_gate_event(site, door, peer, "R6", "a forged site log of this site");
		return 0;
	}
	if (ch_log_extends(src, head, &own) == 1)
		return 0;
	if ((error = ch_log_load(&log, src, head, NULL)) < 0) {
		line(out, "refused log: %s's copy of this site's log: %s", peer, ch_error_last());
		out->forks++;
		ch_gate_event(site, door, peer, "R3", "an invalid site log");
		return 0;
	}
	ch_log_dispose(&log);
	fork_found(out, site, src, door, peer, site->site_id, &own, head, 0,
	           "our head, and a history of this site it never wrote");
	return 0;
}

/* Whether only Witness items follow entry `since` (the log moved only to
 * countersign others: witnessing that again would never settle). */
static int only_witnesses_since(const ch_log *log, uint64_t since)
{
	size_t i, k;

	if (!since)
		return 0;
	for (i = since; i < log->n; i++)
		for (k = 0; k < log->v[i].n; k++)
			if (log->v[i].items[k].kind != CH_LOG_WITNESS)
				return 0;
	return 1;
}

/* Countersign `peer`'s verified log: a Witness item in this site's log,
 * unless its head is witnessed already or it moved only by witnessing.
 * The refs have moved: an entry that cannot be written is said (as the
 * quarantine says it), not an error of the transfer. */
static int witness(ch_logsync_result *out, ch_site *site, const char *peer, const ch_log *log)
{
	ch_log own;
	ch_log_item item;
	git_oid wh;
	uint64_t ws = 0;
	int error;

	if ((error = ch_log_read_ref(&own, site->repo, CH_LOG_REF)) == 0) { /* its own */
		ws = ch_log_witnessed(&own, peer, &wh);
		ch_log_dispose(&own);
		if (ws && git_oid_equal(&wh, &log->head))
			return 0;
		if (ws && ws <= log->n && git_oid_equal(&log->v[ws - 1].id, &wh) &&
		    only_witnesses_since(log, ws))
			return 0;
	} else if (error != CH_ENOTFOUND) {
		return error;
	}
	ch_error_clear();
	memset(&item, 0, sizeof(item));
	item.kind = CH_LOG_WITNESS;
	snprintf(item.peer, sizeof(item.peer), "%s", peer);
	item.peer_seq = log->n;
	git_oid_cpy(&item.peer_head, &log->head);
	if ((error = ch_log_append(site, &item, 1)) < 0) {
		fprintf(stderr, "chancery: warning: %s's log head was verified but this site's log "
		        "could not countersign it: %s\n", peer, ch_error_last());
		ch_error_clear();
		return 0;
	}
	out->witnessed++;
	return 0;
}

/* One log of `whose` at `head`. `direct`: the sender's own log (it must
 * extend what we keep); else relayed. */
/* Whether this site's own log countersigned `whose` (it met that site:
 * Witness items are written only for the peer of a transfer). */
static int witnessed_here(ch_site *site, const char *whose)
{
	ch_log own;
	int yes = 0;

	if (ch_log_read_ref(&own, site->repo, CH_LOG_REF) == 0) {
		yes = ch_log_witnessed(&own, whose, NULL) > 0;
		ch_log_dispose(&own);
	}
	ch_error_clear();
	return yes;
}

/* Whether two heads of a site's log carry the same site.asc (the tree is
 * exactly that file, the same in every entry: the tree ids say it). */
static int same_key(git_repository *a, const git_oid *ha, git_repository *b, const git_oid *hb)
{
	git_commit *ca = NULL, *cb = NULL;
	int same;

	same = git_commit_lookup(&ca, a, ha) == 0 && git_commit_lookup(&cb, b, hb) == 0 &&
	       git_oid_equal(git_commit_tree_id(ca), git_commit_tree_id(cb));
	git_commit_free(ca);
	git_commit_free(cb);
	return same;
}

static int take_one(ch_logsync_result *out, ch_site *site, const ch_policy *pol,
                    git_repository *src, const char *peer, const char *door, const char *whose,
                    const git_oid *head, int direct, int do_witness)
{
	ch_buf name = CH_BUF_INIT;
	char fpr[41];
	git_oid kept;
	ch_log log;
	uint64_t kept_seq = 0;
	int has_kept, error = 0, loaded = 0, replace = 0;

	memset(&log, 0, sizeof(log));
	if (!strcmp(whose, site->site_id)) {
		error = direct ? 0 : take_own(out, site, src, door, peer, head);
		goto done;
	}
	if (!ch_policy_site(pol, whose))
		goto done; /* not (yet) a site of our policy: taken once the policy names it */
	peer_ref(&name, whose);
	has_kept = git_reference_name_to_id(&kept, site->repo, name.ptr) == 0;
	if (has_kept && git_oid_equal(&kept, head))
		goto done; /* verified, checked and countersigned when it came */
	if (has_kept && !direct && ch_log_extends(src, head, &kept) == 1)
		goto done; /* ours is newer: the relay holds an older head */
	/* a log that extends the head kept (verified whole when stored) has
	 * only its new entries' signatures checked, and the kept head's; any
	 * other (a fork, another history, a first contact) is checked whole */
	if (ch_log_load_since(&log, src, head, policy_log_key(fpr, pol, whose) ? fpr : NULL,
	                      has_kept ? &kept : NULL, NULL) < 0) {
		line(out, "refused log: %s's log from %s: %s", whose, peer, ch_error_last());
		out->forks++;
		ch_gate_event(site, door, peer, "R3", "an invalid site log");
		ch_error_clear();
		goto done;
	}
	loaded = 1;
	if (strcmp(log.site, whose)) {
		line(out, "refused log: the log %s names as %s's is site %s's", peer, whose, log.site);
		out->forks++;
		ch_gate_event(site, door, peer, "R2", "a site log under another site's name");
		goto done;
	}
	if (has_kept && !same_key(site->repo, &kept, src, head)) {
		if (direct && !witnessed_here(site, whose)) {
			/* the one kept came only by relay (this site never met that
			 * site, so never countersigned it): a relay forged it, and the
			 * site's own log, from the site itself, replaces it */
			line(out, "replaced log: the log of %s kept here (%.12s) came by relay under "
			     "another key than %s's own: a relay's forgery, replaced", whose,
			     git_oid_tostr_s(&kept), whose);
			ch_gate_event(site, door, peer, "R3", "a relayed site log under another key "
			              "than the site's own");
			replace = 1;
		} else {
			/* not a fork of that site's log: a log under another key, made
			 * by whoever sent it (the key is pinned by the entries kept) */
			line(out, "refused log: the log %s sends as %s's is signed by another key than "
			     "the log of %s kept here (%.12s): a forgery, not %s's", peer, whose, whose,
			     git_oid_tostr_s(&kept), whose);
			out->forks++;
			ch_gate_event(site, door, peer, "R3", "a site log under another key");
			goto done;
		}
	}
	if (replace) {
		kept_seq = 0;
	} else if (has_kept && ch_log_extends(src, &kept, head) == 1) {
		kept_seq = entry_seq(src, &kept);
	} else if (has_kept) {
		fork_found(out, site, src, door, peer, whose, &kept, head, 0,
		           direct ? "the head kept here, and its own log now: refused" :
		           "the head kept here, and a relayed one: refused");
		goto done;
	}
	check_witnesses(out, site, src, door, peer, &log, kept_seq);
	if ((error = copy_chain(site, src, head, &out->bytes)) < 0)
		goto done;
	if (store_ref(site, whose, has_kept ? &kept : NULL, head) < 0) {
		/* another transfer moved it meanwhile: the next one takes this */
		fprintf(stderr, "chancery: warning: %s\n", ch_error_last());
		ch_error_clear();
		goto done;
	}
	out->stored++;
	if (direct && do_witness)
		error = witness(out, site, whose, &log);
done:
	if (loaded)
		ch_log_dispose(&log);
	ch_buf_dispose(&name);
	return error;
}

int ch_logsync_take(ch_logsync_result *out, ch_site *site, git_repository *src,
                    const char *peer, const char *door, const ch_logsync_in *in, size_t n,
                    int do_witness)
{
	const ch_policy *pol;
	git_oid ph;
	size_t i;
	int error;

	if (n > LOGSYNC_MAX_LOGS)
		return ch_error_setc(CH_EINVALID, "a transfer of more than %d logs", LOGSYNC_MAX_LOGS);
	if ((error = ch_site_policy_head(&ph, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &ph)) < 0)
		return error;
	/* relayed logs first: the peer's own head is then witnessed last */
	for (i = 0; i < n && !error; i++)
		if (strcmp(in[i].site, peer))
			error = take_one(out, site, pol, src, peer, door, in[i].site, &in[i].head, 0, 0);
	for (i = 0; i < n && !error; i++)
		if (!strcmp(in[i].site, peer))
			error = take_one(out, site, pol, src, peer, door, in[i].site, &in[i].head, 1,
			                 do_witness);
	return error;
}

int ch_logsync_take_fetched(ch_logsync_result *out, ch_site *site, const char *qpath,
                            const char *peer, const char *door)
{
	git_repository *q = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	ch_logsync_in *in = NULL;
	size_t n = 0, plen = strlen(LOGSYNC_RELAYED_PREFIX);
	git_oid id;
	int error = 0;

	if (git_repository_open_bare(&q, qpath) < 0)
		return ch_error_setc(CH_EIO, "cannot open the quarantine");
	in = ch_calloc(LOGSYNC_MAX_LOGS + 1, sizeof(*in));
	if (git_reference_name_to_id(&id, q, LOGSYNC_PEER_REF) == 0) {
		snprintf(in[n].site, sizeof(in[n].site), "%s", peer);
		git_oid_cpy(&in[n++].head, &id);
	}
	if (git_reference_iterator_glob_new(&it, q, LOGSYNC_RELAYED_PREFIX "*") < 0) {
		error = ch_error_setc(CH_EIO, "cannot list the logs fetched");
		goto done;
	}
	while (git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref), *s = name + plen, *slash;

		if (n < LOGSYNC_MAX_LOGS && git_reference_target(ref) && !strncmp(name,
		    LOGSYNC_RELAYED_PREFIX, plen) && (slash = strchr(s, '/')) &&
		    !strcmp(slash, "/log") && (size_t)(slash - s) < sizeof(in[n].site) &&
		    slash > s) {
			memcpy(in[n].site, s, (size_t)(slash - s));
			in[n].site[slash - s] = '\0';
			if (ch_valid_name(in[n].site) && strcmp(in[n].site, peer))
				git_oid_cpy(&in[n++].head, git_reference_target(ref));
		}
		git_reference_free(ref);
	}
	error = ch_logsync_take(out, site, q, peer, door, in, n, 1);
done:
	git_reference_iterator_free(it);
	git_repository_free(q);
	free(in);
	return error;
}

int ch_logsync_receive(char **reason, ch_site *site, const char *qpath, const char *peer,
                       const char *ref, const git_oid *new_id)
{
	ch_logsync_result res;
	ch_logsync_in in;
	git_repository *q = NULL;
	ch_buf want = CH_BUF_INIT;
	int error = 0;

	*reason = NULL;
	if (strcmp(ref, CH_LOG_REF) && strncmp(ref, CH_PEERLOG_PREFIX, strlen(CH_PEERLOG_PREFIX)))
		return 0; /* not a log: the quarantine judges it */
	memset(&res, 0, sizeof(res));
	peer_ref(&want, peer);
	if (strcmp(ref, want.ptr)) {
		*reason = ch_strdup("REF: a peer pushes only its own log, as "
		                    "refs/chancery/peers/<its site>/log");
		goto done;
	}
	if (git_oid_is_zero(new_id)) {
		*reason = ch_strdup("REF: deleting a log is never accepted from a peer");
		goto done;
	}
	if (git_repository_open_bare(&q, qpath) < 0) {
		*reason = ch_strdup("IO: cannot open the quarantine");
		goto done;
	}
	snprintf(in.site, sizeof(in.site), "%s", peer);
	git_oid_cpy(&in.head, new_id);
	if ((error = ch_logsync_take(&res, site, q, peer, "git push", &in, 1, 1)) < 0) {
		ch_buf b = CH_BUF_INIT;

		ch_buf_printf(&b, "IO: %s", ch_error_last());
		*reason = ch_buf_detach(&b);
		error = 0;
	} else if (res.forks) {
		char *all = ch_strv_join(&res.lines, "; ");
		ch_buf b = CH_BUF_INIT;

		ch_buf_printf(&b, "R6: %s", all);
		free(all);
		*reason = ch_buf_detach(&b);
	}
done:
	git_repository_free(q);
	ch_buf_dispose(&want);
	ch_logsync_result_dispose(&res);
	return error < 0 ? error : 1;
}

/* ------------------------------------------------------------------ */
/* D1 at a log position                                                */

typedef struct {
	char site[65];
	int state; /* 0 not tried, 1 loaded, -1 none */
	ch_log log;
} cached_log;

struct ch_logsync_cache {
	cached_log **v; /* each its own allocation: a log handed out stays put */
	size_t n;
};

void ch_logsync_cache_free(ch_logsync_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		if (c->v[i]->state == 1)
			ch_log_dispose(&c->v[i]->log);
		free(c->v[i]);
	}
	free(c->v);
	free(c);
}

/* The log of `whose` this site holds (its own, or a peer's), loaded from
 * `repo` (which sees the site's objects); NULL when none. */
static const ch_log *held_log(ch_logsync_cache *c, ch_site *site, git_repository *repo,
                              const char *whose)
{
	ch_buf name = CH_BUF_INIT;
	cached_log *e = NULL;
	git_oid id;
	size_t i;

	for (i = 0; i < c->n && !e; i++)
		if (!strcmp(c->v[i]->site, whose))
			e = c->v[i];
	if (!e) {
		c->v = ch_realloc(c->v, (c->n + 1) * sizeof(*c->v));
		e = c->v[c->n++] = ch_calloc(1, sizeof(*e));
		snprintf(e->site, sizeof(e->site), "%s", whose);
		if (!strcmp(whose, site->site_id))
			ch_buf_puts(&name, CH_LOG_REF);
		else
			peer_ref(&name, whose);
		e->state = git_reference_name_to_id(&id, site->repo, name.ptr) == 0 &&
		           ch_log_read(&e->log, repo, &id) == 0 ? 1 : -1; /* verified when stored */
		ch_error_clear();
	}
	ch_buf_dispose(&name);
	return e->state == 1 ? &e->log : NULL;
}

static int revoked_in(const ch_policy *pol, const char *actor, const char *fpr)
{
	const ch_person *p = ch_policy_person(pol, actor);
	const ch_person_key *k;

	return !p || p->revoked || (fpr && fpr[0] && (k = ch_person_key_find(p, fpr)) && k->revoked);
}

/* The first policy commit (walking back from `head` along first parents)
 * of the run of policies in which the actor or key stands revoked. */
static int first_revoking(git_oid *out, git_repository *repo, const git_oid *head,
                          const char *actor, const char *fpr)
{
	git_commit *c = NULL;
	ch_policy *pol = NULL;
	git_oid id = *head;
	size_t n = 0;
	int error = 0, rev;

	git_oid_cpy(out, head);
	for (;;) {
		if (++n > LOGSYNC_MAX_POLICY_WALK)
			return ch_error_setc(CH_EINVALID, "a policy chain of more than %d commits",
			                     LOGSYNC_MAX_POLICY_WALK);
		if ((error = ch_policy_load(&pol, repo, &id)) < 0)
			return error;
		rev = revoked_in(pol, actor, fpr);
		ch_policy_free(pol);
		pol = NULL;
		if (!rev)
			return 0;
		git_oid_cpy(out, &id);
		if (git_commit_lookup(&c, repo, &id) < 0)
			return ch_error_setc(CH_EIO, "cannot read policy commit %s", git_oid_tostr_s(&id));
		if (git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			return 0;
		}
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
}

typedef struct {
	ch_logsync_cache *cache;
	ch_site *site;
	git_repository *repo;
	const char *ref;
	const git_oid *step, *head;
} lrev;

static const ch_log *lrev_find(const char *site, void *ctx)
{
	lrev *r = ctx;

	return held_log(r->cache, r->site, r->repo, site);
}

static uint64_t lrev_at(const ch_log *log, void *ctx)
{
	lrev *r = ctx;

	return ch_log_doc_position(log, r->repo, r->ref, r->step, r->head);
}

int ch_logsync_before_revocation(ch_logsync_cache **cache, ch_buf *why, ch_site *site,
                                 git_repository *repo, const git_oid *policy_head,
                                 const char *ref, const git_oid *step, const git_oid *head,
                                 const char *actor, const char *fpr)
{
	const ch_policy *pol;
	ch_policy *owned = NULL;
	const ch_log *hq, *by;
	git_oid revoking;
	uint64_t y, at;
	lrev r;
	int error, valid = 0;

	if (!*cache)
		*cache = ch_calloc(1, sizeof(**cache));
	if ((error = ch_policy_load(&owned, repo, policy_head)) < 0)
		return error;
	pol = owned;
	if ((error = first_revoking(&revoking, repo, policy_head, actor, fpr)) < 0)
		goto done;
	if (!(hq = held_log(*cache, site, repo, pol->site))) {
		ch_buf_printf(why, "; no log of headquarters (%s) is held here to show when it was "
		              "made", pol->site);
		goto done;
	}
	if (!(y = ch_log_policy_position(hq, repo, &revoking))) {
		ch_buf_printf(why, "; %s's log does not record the revoking policy %s", pol->site,
		              git_oid_tostr_s(&revoking));
		goto done;
	}
	r = (lrev){ *cache, site, repo, ref, step, head };
	valid = ch_log_before_revocation(hq, y, lrev_find, lrev_at, &r, &by, &at);
	if (!valid)
		ch_buf_printf(why, "; %s's log records the revoking policy %.12s at entry %llu and "
		              "the step %s, and no log it witnessed before that shows the step",
		              pol->site, git_oid_tostr_s(&revoking), (unsigned long long)y,
		              at ? "only later" : "not at all");
done:
	ch_policy_free(owned);
	return error < 0 ? error : valid;
}
