/* test_sitelog.c -- the site log's core (workflows/sitelog.c): the entry
 * format read strictly and written canonically, the commitment's exact
 * input, appending and loading with the R2-R4 checks (a forged, unsigned
 * or reordered entry is refused naming its rule), positions, witnesses and
 * the extends relation, and the signer's payload check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keystore.h"
#include "workflows/sitelog.h"
#include "util/fs.h"
#include "util/common.h"

#define H40(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static const char *good =
	"log: hq 7\n\nChancery-Log-Site: hq\nChancery-Log-Seq: 7\nChancery-Log-Time: 1796686176\n"
	"Chancery-Log-Policy: " H40("0") " " H40("a") "\n"
	"Chancery-Log-Doc: " H40("b") "bbbbbbbbbbbbbbbbbbbbbbbb\n"
	"Chancery-Log-Witness: mission-1 12 " H40("c") "\n";

static void test_parse_roundtrip(void **state)
{
	ch_log_entry e;
	ch_buf again = CH_BUF_INIT;
	char site[65] = "";

	(void)state;
	assert_int_equal(ch_log_parse(&e, site, good, strlen(good)), 0);
	assert_string_equal(site, "hq");
	assert_int_equal(e.seq, 7);
	assert_int_equal(e.time, 1796686176);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.items[0].kind, CH_LOG_POLICY);
	assert_int_equal(e.items[1].kind, CH_LOG_DOC);
	assert_int_equal(e.items[1].commitment[31], 0xbb);
	assert_int_equal(e.items[2].kind, CH_LOG_WITNESS);
	assert_string_equal(e.items[2].peer, "mission-1");
	assert_int_equal(e.items[2].peer_seq, 12);
	ch_log_message(&again, site, e.seq, e.time, e.items, e.n);
	assert_int_equal(again.size, strlen(good));
	assert_memory_equal(again.ptr, good, again.size);
	ch_log_entry_dispose(&e);
	ch_buf_dispose(&again);
}

/* Each variant of `good` with one fault is refused, naming R2. */
static void test_parse_refuses(void **state)
{
	static const struct {
		const char *from, *to;
	} faults[] = {
		{ "log: hq 7\n", "log: hq 8\n" },                 /* subject and seq disagree */
		{ "Chancery-Log-Seq: 7", "Chancery-Log-Seq: 07" }, /* leading zero */
		{ "Chancery-Log-Seq: 7", "Chancery-Log-Seq: 0" },
		{ "Chancery-Log-Time: 1796686176", "Chancery-Log-Time: -1" },
		{ "Chancery-Log-Site: hq", "Chancery-Log-Site: h q" },
		{ "Chancery-Log-Doc: bb", "Chancery-Log-Doc: BB" },   /* upper-case hex */
		{ "Chancery-Log-Doc: bb", "Chancery-Log-Docs: bb" },  /* unknown item */
		{ "Chancery-Log-Witness: mission-1 12", "Chancery-Log-Witness: mission-1 0" },
		{ "Chancery-Log-Policy: 00", "Chancery-Log-Policy:  0" },
		{ H40("a") "\n", H40("0") "\n" },                 /* a new head of zeros */
		{ "\n\nChancery", "\nChancery" },                  /* no blank line */
		{ "Chancery-Log-Site: hq\nChancery-Log-Seq: 7\n", "Chancery-Log-Seq: 7\nChancery-Log-Site: hq\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		ch_buf b = CH_BUF_INIT;
		const char *at = strstr(good, faults[i].from);
		ch_log_entry e;
		char site[65] = "";

		assert_non_null(at);
		ch_buf_set(&b, good, (size_t)(at - good));
		ch_buf_puts(&b, faults[i].to);
		ch_buf_puts(&b, at + strlen(faults[i].from));
		if (ch_log_parse(&e, site, b.ptr, b.size) == 0)
			fail_msg("fault %zu accepted: %s", i, b.ptr);
		assert_non_null(strstr(ch_error_last(), "R2"));
		ch_buf_dispose(&b);
	}
	/* an entry of another site in this site's log */
	{
		ch_log_entry e;
		char site[65] = "mission-1";

		assert_int_equal(ch_log_parse(&e, site, good, strlen(good)), CH_EINVALID);
		/* cut short, and no final line break */
		site[0] = '\0';
		assert_int_equal(ch_log_parse(&e, site, good, 30), CH_EINVALID);
		assert_int_equal(ch_log_parse(&e, site, good, strlen(good) - 1), CH_EINVALID);
	}
}

static void test_commitment(void **state)
{
	const char *text = "chancery-log-doc 1\nrefs/docs/2026-0001\n" H40("1") "\n" H40("2") "\n";
	unsigned char want[32], got[32];
	git_oid root, head;

	(void)state;
	git_oid_fromstr(&root, H40("1"));
	git_oid_fromstr(&head, H40("2"));
	gcry_md_hash_buffer(GCRY_MD_SHA256, want, text, strlen(text));
	ch_log_commitment(got, "refs/docs/2026-0001", &root, &head);
	assert_memory_equal(got, want, 32);
	ch_log_commitment(got, "refs/docs/2026-0002", &root, &head);
	assert_memory_not_equal(got, want, 32);
}

typedef struct {
	char tmpl[32];
	char path[64];
	ch_site *site;
} fx;

static int setup(void **state)
{
	fx *f = ch_calloc(1, sizeof(*f));

	snprintf(f->tmpl, sizeof(f->tmpl), "/tmp/chlog.XXXXXX");
	if (!mkdtemp(f->tmpl))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hq", f->tmpl);
	if (ch_site_create(&f->site, f->path, "hq", "networked") < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	ch_site_free(f->site);
	ch_fs_remove_tree(f->tmpl);
	free(f);
	return 0;
}

static void policy_item(ch_log_item *it, const char *hex)
{
	memset(it, 0, sizeof(*it));
	it->kind = CH_LOG_POLICY;
	git_oid_fromstr(&it->new_id, hex);
}

static void test_append_load(void **state)
{
	fx *f = *state;
	ch_log_item it[2];
	ch_log log;
	git_oid first, witnessed;
	unsigned char c[32];
	git_oid root, head;

	policy_item(&it[0], H40("1"));
	assert_int_equal(ch_log_append(f->site, it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&first, f->site->repo, CH_LOG_REF), 0);
	policy_item(&it[0], H40("2"));
	memset(&it[1], 0, sizeof(it[1]));
	it[1].kind = CH_LOG_DOC;
	git_oid_fromstr(&root, H40("3"));
	git_oid_fromstr(&head, H40("4"));
	ch_log_commitment(it[1].commitment, "refs/docs/x", &root, &head);
	assert_int_equal(ch_log_append(f->site, it, 2), 0);
	memset(&it[0], 0, sizeof(it[0]));
	it[0].kind = CH_LOG_WITNESS;
	snprintf(it[0].peer, sizeof(it[0].peer), "mission-1");
	it[0].peer_seq = 5;
	git_oid_fromstr(&it[0].peer_head, H40("5"));
	assert_int_equal(ch_log_append(f->site, it, 1), 0);

	assert_int_equal(ch_log_load_ref(&log, f->site->repo, NULL), 0);
	assert_string_equal(log.site, "hq");
	assert_int_equal(log.n, 3);
	assert_int_equal(log.v[0].seq, 1);
	assert_int_equal(log.v[2].seq, 3);
	assert_true(log.v[0].time <= log.v[2].time);
	assert_int_equal(strlen(log.key_fpr), 40);
	ch_log_commitment(c, "refs/docs/x", &root, &head);
	assert_int_equal(ch_log_find_doc(&log, c), 2);
	c[0] ^= 1;
	assert_int_equal(ch_log_find_doc(&log, c), 0);
	assert_int_equal(ch_log_witnessed(&log, "mission-1", &witnessed), 5);
	assert_int_equal(ch_log_witnessed(&log, "mission-2", NULL), 0);
	assert_true(ch_log_extends(f->site->repo, &first, &log.head));
	assert_false(ch_log_extends(f->site->repo, &log.head, &first));
	/* the key the policy names, or another */
	ch_log_dispose(&log);
	assert_int_equal(ch_log_load(&log, f->site->repo, &first, H40("A")), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "R3"));
}

/* An entry made by someone without the site key: unsigned, or signed by
 * no one the log's site.asc holds. */
static void test_forged_entry(void **state)
{
	fx *f = *state;
	git_commit *c = NULL;
	git_odb *odb = NULL;
	char tree[GIT_OID_HEXSZ + 1], parent[GIT_OID_HEXSZ + 1];
	git_oid head, forged;
	ch_buf text = CH_BUF_INIT;
	ch_log log;
	ch_log_item it;

	policy_item(&it, H40("1"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&head, f->site->repo, CH_LOG_REF), 0);
	assert_int_equal(git_commit_lookup(&c, f->site->repo, &head), 0);
	ch_buf_printf(&text, "tree %s\nparent %s\nauthor hq site log <log@hq.chancery> 4102444800 "
	              "+0000\ncommitter hq site log <log@hq.chancery> 4102444800 +0000\n\n",
	              git_oid_tostr(tree, sizeof(tree), git_commit_tree_id(c)),
	              git_oid_tostr(parent, sizeof(parent), &head));
	ch_log_message(&text, "hq", 2, 4102444800, &it, 1);
	assert_int_equal(git_repository_odb(&odb, f->site->repo), 0);
	assert_int_equal(git_odb_write(&forged, odb, text.ptr, text.size, GIT_OBJECT_COMMIT), 0);
	git_odb_free(odb);
	if (ch_log_load(&log, f->site->repo, &forged, NULL) != CH_EINVALID)
		fail_msg("%s", ch_error_last());
	assert_non_null(strstr(ch_error_last(), "R3"));
	assert_non_null(strstr(ch_error_last(), "not signed"));
	/* ch_log_read, for logs verified when stored, checks the shape only */
	assert_int_equal(ch_log_read(&log, f->site->repo, &forged), 0);
	assert_int_equal(log.n, 2);
	ch_log_dispose(&log);
	git_commit_free(c);
	ch_buf_dispose(&text);
}

/* The key signs one chain: the id it records is the entry libgit2 wrote,
 * and an entry that would fork the log (an earlier seq, another parent)
 * is refused by the key holder itself. */
static void test_guard(void **state)
{
	fx *f = *state;
	ch_log_item it;
	ch_buf path = CH_BUF_INIT, rec = CH_BUF_INIT, p = CH_BUF_INIT, sig = CH_BUF_INIT;
	git_oid head, first;
	git_commit *c = NULL;
	char tree[GIT_OID_HEXSZ + 1];

	policy_item(&it, H40("1"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&first, f->site->repo, CH_LOG_REF), 0);
	policy_item(&it, H40("2"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&head, f->site->repo, CH_LOG_REF), 0);
	ch_buf_printf(&path, "%s/gnupg/chancery-log-head", f->path);
	assert_int_equal(ch_fs_read(&rec, path.ptr, 1000), 0);
	assert_non_null(strstr(rec.ptr, git_oid_tostr_s(&head)));
	assert_non_null(strstr(rec.ptr, git_oid_tostr_s(&first)));
	/* another seq 2 on the first entry: an entry beside the last one, a
	 * fork (only that very entry is signed again: test_resign_other_payload_refused) */
	assert_int_equal(git_commit_lookup(&c, f->site->repo, &head), 0);
	git_oid_tostr(tree, sizeof(tree), git_commit_tree_id(c));
	ch_buf_printf(&p, "tree %s\nparent %s\nauthor hq site log <log@hq.chancery> 1796686999 "
	              "+0000\ncommitter hq site log <log@hq.chancery> 1796686999 +0000\n\n", tree,
	              git_oid_tostr_s(&first));
	ch_log_message(&p, "hq", 2, 1796686999, &it, 1);
	assert_int_equal(ch_log_sign_guarded(&sig, f->site, p.ptr, p.size, 0), CH_EDENIED);
	assert_non_null(strstr(ch_error_last(), "fork"));
	/* an earlier seq on the real head: refused */
	ch_buf_clear(&p);
	ch_buf_clear(&sig);
	ch_buf_printf(&p, "tree %s\nparent %s\nauthor hq site log <log@hq.chancery> 1796687000 "
	              "+0000\ncommitter hq site log <log@hq.chancery> 1796687000 +0000\n\n", tree,
	              git_oid_tostr_s(&head));
	ch_log_message(&p, "hq", 2, 1796687000, &it, 1);
	assert_int_equal(ch_log_sign_guarded(&sig, f->site, p.ptr, p.size, 0), CH_EDENIED);
	assert_non_null(strstr(ch_error_last(), "fork"));
	/* a first entry again: refused */
	ch_buf_clear(&p);
	ch_buf_printf(&p, "tree %s\nauthor hq site log <log@hq.chancery> 1796687000 +0000\n"
	              "committer hq site log <log@hq.chancery> 1796687000 +0000\n\n", tree);
	ch_log_message(&p, "hq", 1, 1796687000, &it, 1);
	assert_int_equal(ch_log_sign_guarded(&sig, f->site, p.ptr, p.size, 0), CH_EDENIED);
	git_commit_free(c);
	ch_buf_dispose(&path);
	ch_buf_dispose(&rec);
	ch_buf_dispose(&p);
	ch_buf_dispose(&sig);
}

/* Red-team findings on the key holder: whoever writes the repository (the
 * network process) must not get the site key to sign two different
 * entries at one seq on one parent -- a fork made without the key --
 * while a writer that crashed between the signature and the ref still
 * finishes its entry. */
static void payload(ch_buf *p, git_repository *repo, const git_oid *parent, uint64_t seq,
                    int64_t when, const ch_log_item *it)
{
	git_commit *c = NULL;
	char tree[GIT_OID_HEXSZ + 1];

	assert_int_equal(git_commit_lookup(&c, repo, parent), 0);
	git_oid_tostr(tree, sizeof(tree), git_commit_tree_id(c));
	ch_buf_clear(p);
	ch_buf_printf(p, "tree %s\nparent %s\nauthor hq site log <log@hq.chancery> %lld +0000\n"
	              "committer hq site log <log@hq.chancery> %lld +0000\n\n", tree,
	              git_oid_tostr_s(parent), (long long)when, (long long)when);
	ch_log_message(p, "hq", seq, when, it, 1);
	git_commit_free(c);
}

/* Attack 3: the network process asks for entry 3 recording A, then for
 * entry 3 on the same parent recording B. Before the fix the key signed
 * both: two valid entries at seq 3, a fork of the site log made by a
 * process without the key. The same payload again gets the same
 * signature (one entry, one id). */
static void test_resign_other_payload_refused(void **state)
{
	fx *f = *state;
	ch_log_item it;
	ch_buf p = CH_BUF_INIT, sig1 = CH_BUF_INIT, sig2 = CH_BUF_INIT, sig3 = CH_BUF_INIT;
	git_oid head;

	policy_item(&it, H40("1"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	policy_item(&it, H40("2"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&head, f->site->repo, CH_LOG_REF), 0);

	policy_item(&it, H40("a"));
	payload(&p, f->site->repo, &head, 3, 1896686999, &it);
	assert_int_equal(ch_log_sign_guarded(&sig1, f->site, p.ptr, p.size, 0), 0);
	/* the same entry again (a writer that crashed): the same signature */
	assert_int_equal(ch_log_sign_guarded(&sig3, f->site, p.ptr, p.size, 0), 0);
	assert_string_equal(sig1.ptr, sig3.ptr);
	/* another entry 3 on the same parent: a second history */
	policy_item(&it, H40("b"));
	payload(&p, f->site->repo, &head, 3, 1896686999, &it);
	if (ch_log_sign_guarded(&sig2, f->site, p.ptr, p.size, 0) != CH_EDENIED)
		fail_msg("the site key signed two different entries 3 on one parent");
	assert_non_null(strstr(ch_error_last(), "fork"));
	ch_buf_dispose(&p);
	ch_buf_dispose(&sig1);
	ch_buf_dispose(&sig2);
	ch_buf_dispose(&sig3);
}

/* A writer that died after the key signed its entry, before the ref
 * moved: the next append finishes that entry (kept in
 * SITE/state/sitelog.pending) and goes on after it, instead of being
 * refused as a fork. */
static void test_crash_after_signature_recovers(void **state)
{
	fx *f = *state;
	ch_log_item it;
	ch_buf p = CH_BUF_INIT, sig = CH_BUF_INIT, path = CH_BUF_INIT;
	git_oid head;
	ch_log log;

	policy_item(&it, H40("1"));
	assert_int_equal(ch_log_append(f->site, &it, 1), 0);
	assert_int_equal(git_reference_name_to_id(&head, f->site->repo, CH_LOG_REF), 0);
	policy_item(&it, H40("c"));
	payload(&p, f->site->repo, &head, 2, 1896686999, &it);
	ch_buf_printf(&path, "%s/state/sitelog.pending", f->path);
	assert_int_equal(ch_fs_write_atomic(path.ptr, p.ptr, p.size, 0600), 0);
	assert_int_equal(ch_log_sign_guarded(&sig, f->site, p.ptr, p.size, 0), 0);
	/* ... the writer dies here */
	policy_item(&it, H40("d"));
	if (ch_log_append(f->site, &it, 1) < 0)
		fail_msg("after a crash: %s", ch_error_last());
	assert_int_equal(ch_log_load_ref(&log, f->site->repo, NULL), 0);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.v[1].time, 1896686999);
	assert_int_equal(log.v[1].n, 1);
	assert_string_equal(git_oid_tostr_s(&log.v[1].items[0].new_id), H40("c"));
	assert_string_equal(git_oid_tostr_s(&log.v[2].items[0].new_id), H40("d"));
	assert_false(ch_fs_exists(path.ptr));
	ch_log_dispose(&log);
	ch_buf_dispose(&p);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&path);
}

static void test_check_payload(void **state)
{
	ch_buf p = CH_BUF_INIT;

	(void)state;
	ch_buf_printf(&p, "tree %s\nauthor hq site log <log@hq.chancery> 1 +0000\ncommitter hq site "
	              "log <log@hq.chancery> 1 +0000\n\n%s", H40("e"), good);
	assert_int_equal(ch_log_check_payload("hq", p.ptr, p.size), 0);
	/* another site's entry, a step's text, a payload with a NUL */
	assert_int_equal(ch_log_check_payload("mission-1", p.ptr, p.size), CH_EINVALID);
	ch_buf_clear(&p);
	ch_buf_printf(&p, "tree %s\nauthor a <a@b> 1 +0000\ncommitter a <a@b> 1 +0000\n\nsubmit\n\n"
	              "Chancery-Action: approve\n", H40("e"));
	assert_int_equal(ch_log_check_payload("hq", p.ptr, p.size), CH_EINVALID);
	assert_int_equal(ch_log_check_payload("hq", "tree\0x", 6), CH_EINVALID);
	ch_buf_dispose(&p);
}

/* ------------------------------------------------------------------ */
/* The incremental check (ch_log_load_since): a log that arrives
 * extending the head kept has R3 checked only from that head on. Each
 * attack on the shortcut is refused, naming its rule. */

/* An entry of "hq" on `p1` (and `p2`: a merge) with `tree`, signed by
 * `signer`'s site key directly (no guard: what an attacker holding a key,
 * or a key holder gone wrong, could sign), or unsigned when NULL. */
static void make_entry(git_oid *out, git_repository *repo, ch_site *signer,
                       const git_oid *tree, const git_oid *p1, const git_oid *p2, uint64_t seq,
                       int64_t when)
{
	ch_buf text = CH_BUF_INIT, sig = CH_BUF_INIT;
	ch_keystore *ks = NULL;
	ch_keyinfo key;
	ch_log_item it;
	git_odb *odb = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	policy_item(&it, H40("7"));
	ch_buf_printf(&text, "tree %s\n", git_oid_tostr(hex, sizeof(hex), tree));
	if (p1)
		ch_buf_printf(&text, "parent %s\n", git_oid_tostr(hex, sizeof(hex), p1));
	if (p2)
		ch_buf_printf(&text, "parent %s\n", git_oid_tostr(hex, sizeof(hex), p2));
	ch_buf_printf(&text, "author hq site log <log@hq.chancery> %lld +0000\ncommitter hq site "
	              "log <log@hq.chancery> %lld +0000\n\n", (long long)when, (long long)when);
	ch_log_message(&text, "hq", seq, when, &it, 1);
	if (signer) {
		assert_int_equal(ch_site_keystore(&ks, signer), 0);
		assert_int_equal(ch_site_signer(&key, signer, CH_LOG_SIGNER), 0);
		assert_int_equal(ch_keystore_sign_machine(&sig, ks, &key, text.ptr, text.size), 0);
		while (sig.size && sig.ptr[sig.size - 1] == '\n')
			ch_buf_truncate(&sig, sig.size - 1);
		assert_int_equal(git_commit_create_with_signature(out, repo, text.ptr, sig.ptr, NULL), 0);
	} else {
		assert_int_equal(git_repository_odb(&odb, repo), 0);
		assert_int_equal(git_odb_write(out, odb, text.ptr, text.size, GIT_OBJECT_COMMIT), 0);
		git_odb_free(odb);
	}
	ch_buf_dispose(&text);
	ch_buf_dispose(&sig);
}

typedef struct {
	git_oid e[4];   /* hq's log, seq 1..4, appended as a site does */
	git_oid tree;   /* its site.asc */
	int64_t when;   /* entry 2's time */
	char fpr[41];
	ch_site *evil;  /* another "hq" with its own key */
	git_oid etree;  /* the evil key's site.asc, in hq's repository */
} incr_fx;

static void incr_setup(incr_fx *x, fx *f)
{
	ch_buf path = CH_BUF_INIT, armored = CH_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_commit *c = NULL;
	ch_log_item it;
	ch_keyinfo key;
	ch_log log;
	git_oid blob;
	int i;

	for (i = 0; i < 4; i++) {
		policy_item(&it, i % 2 ? H40("1") : H40("2"));
		assert_int_equal(ch_log_append(f->site, &it, 1), 0);
		assert_int_equal(git_reference_name_to_id(&x->e[i], f->site->repo, CH_LOG_REF), 0);
	}
	assert_int_equal(git_commit_lookup(&c, f->site->repo, &x->e[1]), 0);
	git_oid_cpy(&x->tree, git_commit_tree_id(c));
	x->when = git_commit_committer(c)->when.time;
	git_commit_free(c);
	assert_int_equal(ch_log_load(&log, f->site->repo, &x->e[3], NULL), 0);
	snprintf(x->fpr, sizeof(x->fpr), "%s", log.key_fpr);
	ch_log_dispose(&log);
	ch_buf_printf(&path, "%s/evil", f->tmpl);
	assert_int_equal(ch_site_create(&x->evil, path.ptr, "hq", "networked"), 0);
	assert_int_equal(ch_log_site_key(&key, &armored, x->evil, 1), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, f->site->repo, armored.ptr,
	                                             armored.size), 0);
	assert_int_equal(git_treebuilder_new(&tb, f->site->repo, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, CH_LOG_KEY_FILE, &blob,
	                                        GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&x->etree, tb), 0);
	git_treebuilder_free(tb);
	ch_buf_dispose(&path);
	ch_buf_dispose(&armored);
}

/* Refused, naming `rule`, whether `kept` is given or not. */
static void refused(git_repository *repo, const git_oid *head, const git_oid *kept,
                    const char *rule)
{
	ch_log log;
	size_t checked;

	if (ch_log_load_since(&log, repo, head, NULL, kept, &checked) != CH_EINVALID)
		fail_msg("the incremental check took a log it must refuse (%s)", rule);
	if (!strstr(ch_error_last(), rule))
		fail_msg("refused for another reason than %s: %s", rule, ch_error_last());
	assert_int_equal(ch_log_load(&log, repo, head, NULL), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), rule));
}

/* The shortcut itself: k new entries cost k + 1 signatures; a kept head
 * not on the chain costs them all. */
static void test_since_checks_the_new_part(void **state)
{
	fx *f = *state;
	incr_fx x;
	ch_log log;
	git_oid other;
	size_t checked = 99;

	incr_setup(&x, f);
	assert_int_equal(ch_log_load_since(&log, f->site->repo, &x.e[3], x.fpr, &x.e[1], &checked), 0);
	assert_int_equal(checked, 3); /* entries 3 and 4, and the kept 2 */
	assert_int_equal(log.n, 4);
	assert_true(git_oid_equal(&log.v[1].id, &x.e[1]));
	ch_log_dispose(&log);
	assert_int_equal(ch_log_load_since(&log, f->site->repo, &x.e[3], NULL, &x.e[3], &checked), 0);
	assert_int_equal(checked, 1);
	ch_log_dispose(&log);
	git_oid_fromstr(&other, H40("9"));
	assert_int_equal(ch_log_load_since(&log, f->site->repo, &x.e[3], NULL, &other, &checked), 0);
	assert_int_equal(checked, 4);
	ch_log_dispose(&log);
	assert_int_equal(ch_log_load_since(&log, f->site->repo, &x.e[3], NULL, NULL, &checked), 0);
	assert_int_equal(checked, 4);
	ch_log_dispose(&log);
	/* the key the policy names still holds the whole log to it */
	assert_int_equal(ch_log_load_since(&log, f->site->repo, &x.e[3], H40("A"), &x.e[1], NULL),
	                 CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "R3"));
	ch_site_free(x.evil);
}

/* A new part well formed and signed, on an old part that differs from
 * the one kept (an unsigned history under the same site.asc): the kept
 * head is not on that chain, so every entry is checked. */
static void test_since_other_old_part(void **state)
{
	fx *f = *state;
	incr_fx x;
	git_oid a, b, c;

	incr_setup(&x, f);
	make_entry(&a, f->site->repo, NULL, &x.tree, NULL, NULL, 1, x.when);
	make_entry(&b, f->site->repo, NULL, &x.tree, &a, NULL, 2, x.when);
	make_entry(&c, f->site->repo, f->site, &x.tree, &b, NULL, 3, x.when + 1);
	refused(f->site->repo, &c, &x.e[1], "not signed");
	ch_site_free(x.evil);
}

/* A head that "extends" the kept one through a merge: kept as the first
 * parent, or as a second parent beside a forged history. */
static void test_since_merge(void **state)
{
	fx *f = *state;
	incr_fx x;
	git_oid a, m;

	incr_setup(&x, f);
	make_entry(&m, f->site->repo, f->site, &x.tree, &x.e[3], &x.e[2], 5, x.when + 10);
	assert_true(ch_log_extends(f->site->repo, &x.e[3], &m));
	refused(f->site->repo, &m, &x.e[3], "R2");
	make_entry(&a, f->site->repo, NULL, &x.tree, NULL, NULL, 1, x.when);
	make_entry(&m, f->site->repo, f->site, &x.tree, &a, &x.e[3], 2, x.when + 10);
	assert_true(ch_log_extends(f->site->repo, &x.e[3], &m));
	refused(f->site->repo, &m, &x.e[3], "R2");
	ch_site_free(x.evil);
}

/* A suffix that changes site.asc to another key (and signs with it), or
 * keeps site.asc and signs with another key. */
static void test_since_suffix_changes_key(void **state)
{
	fx *f = *state;
	incr_fx x;
	git_oid a;

	incr_setup(&x, f);
	make_entry(&a, f->site->repo, x.evil, &x.etree, &x.e[3], NULL, 5, x.when + 10);
	refused(f->site->repo, &a, &x.e[3], "changes site.asc");
	make_entry(&a, f->site->repo, x.evil, &x.tree, &x.e[3], NULL, 5, x.when + 10);
	refused(f->site->repo, &a, &x.e[3], "R3");
	/* an unsigned new entry */
	make_entry(&a, f->site->repo, NULL, &x.tree, &x.e[3], NULL, 5, x.when + 10);
	refused(f->site->repo, &a, &x.e[3], "not signed");
	ch_site_free(x.evil);
}

/* A relayed log of hq under another key: a whole other history, signed
 * throughout by that key. The kept head is not on it: checked whole
 * (valid under its own key, so logsync's key check refuses it: test
 * test_relay_forged_log), and refused outright under the key the
 * policy names. */
static void test_since_relayed_other_key(void **state)
{
	fx *f = *state;
	incr_fx x;
	ch_log log;
	git_oid a, b;
	size_t checked;

	incr_setup(&x, f);
	make_entry(&a, f->site->repo, x.evil, &x.etree, NULL, NULL, 1, x.when);
	make_entry(&b, f->site->repo, x.evil, &x.etree, &a, NULL, 2, x.when + 1);
	assert_int_equal(ch_log_load_since(&log, f->site->repo, &b, NULL, &x.e[3], &checked), 0);
	assert_int_equal(checked, 2);
	assert_string_not_equal(log.key_fpr, x.fpr);
	ch_log_dispose(&log);
	if (ch_log_load_since(&log, f->site->repo, &b, x.fpr, &x.e[3], &checked) != CH_EINVALID)
		fail_msg("a log under another key than the policy's was taken");
	assert_non_null(strstr(ch_error_last(), "R3"));
	ch_site_free(x.evil);
}

/* A kept ref planted by hand on a chain never verified (unsigned entries
 * under hq's site.asc), then a signed entry sent on top of it: the kept
 * head's own signature is checked, so the planted history is refused. */
static void test_since_planted_kept(void **state)
{
	fx *f = *state;
	incr_fx x;
	git_oid a, b, c;

	incr_setup(&x, f);
	make_entry(&a, f->site->repo, NULL, &x.tree, NULL, NULL, 1, x.when);
	make_entry(&b, f->site->repo, NULL, &x.tree, &a, NULL, 2, x.when);
	make_entry(&c, f->site->repo, f->site, &x.tree, &b, NULL, 3, x.when + 1);
	refused(f->site->repo, &c, &b, "not signed");
	/* planted under another site.asc, and the new part under hq's */
	make_entry(&a, f->site->repo, x.evil, &x.etree, NULL, NULL, 1, x.when);
	make_entry(&c, f->site->repo, f->site, &x.tree, &a, NULL, 2, x.when + 1);
	refused(f->site->repo, &c, &a, "changes site.asc");
	ch_site_free(x.evil);
}

/* The new part's seq and time continue the kept head's. */
static void test_since_seq_and_time(void **state)
{
	fx *f = *state;
	incr_fx x;
	git_oid a;

	incr_setup(&x, f);
	make_entry(&a, f->site->repo, f->site, &x.tree, &x.e[3], NULL, 6, x.when + 10);
	refused(f->site->repo, &a, &x.e[3], "R2");
	make_entry(&a, f->site->repo, f->site, &x.tree, &x.e[3], NULL, 4, x.when + 10);
	refused(f->site->repo, &a, &x.e[3], "R2");
	make_entry(&a, f->site->repo, f->site, &x.tree, &x.e[3], NULL, 5, 1000000000);
	refused(f->site->repo, &a, &x.e[3], "R4");
	ch_site_free(x.evil);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_commitment),
		cmocka_unit_test(test_check_payload),
		cmocka_unit_test_setup_teardown(test_append_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resign_other_payload_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_after_signature_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_checks_the_new_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_other_old_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_suffix_changes_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_relayed_other_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_planted_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_seq_and_time, setup, teardown),
	};

	ch_lib_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
