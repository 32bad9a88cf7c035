/* test_engine.c -- the workflow state machine (workflows/statemachine.c).
 *
 * A real policy is parsed once (ch_policy_parse, with the committed fixture
 * keys of tests/fixtures/pgp: one distinct key per person, since a key
 * belongs to one person only) holding the shipped cong-van workflow and a
 * small "panel" workflow whose quorum state can be edited. Each test then
 * drives a document through ch_engine_apply and checks the rule named on
 * every refusal, and that a refusal leaves the state exactly as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/statemachine.h"
#include "workflows/policy.h"
#include "workflows/fileset.h"
#include "util/common.h"

/* ------------------------------------------------------------------ */
/* The policy                                                          */

/* Who is who. Every person has a key of their own. */
/* Units and scopes matter only to documents with a unit (DESIGN.md
 * "Scoped roles"): the tests before test_scope_* drive unscoped ones. */
static const struct {
	const char *id, *key, *roles, *unit, *extra;
} people[] = {
	{ "an.drafter", "ed25519", "\"drafter\"", "hq/legal", "" },
	{ "binh.head", "nistp256", "\"head\"", "hq/legal", "" },
	{ "chi.deputy", "nistp384", "\"deputy\"", "hq/consular", "" },
	{ "dung.deputy", "nistp521", "\"deputy\"", "mission-tokyo", "" },
	{ "em.deputy", "rsa3072", "\"deputy\"", "hq/leaders", ",\"scope\":[\"*\"]" },
	{ "giang.minister", "default", "\"minister\",\"clerk\"", "hq/leaders", ",\"scope\":[\"hq\"]" },
	{ "khoa.admin", "futdef", "\"policy-admin\",\"auditor\"", "hq/audit", "" },
	{ "lan.revoked", "sub", "\"drafter\",\"head\",\"deputy\"", "hq/legal", ",\"revoked\":true" },
	{ "minh.assistant", "revsub", "", "hq/legal", "" },
	{ "oanh.chief", "revprim", "\"head\",\"deputy\"", "hq/legal", "" },
};

/* Delegations: minh may act for binh (head; minister is listed but binh
 * does not hold it), for oanh (head only, though oanh is also a deputy) and
 * for lan (who is revoked); em may act for dung as a deputy. */
static const char delegations[] =
	"[{\"from\":\"binh.head\",\"to\":\"minh.assistant\",\"roles\":[\"head\",\"minister\"]},"
	"{\"from\":\"oanh.chief\",\"to\":\"minh.assistant\",\"roles\":[\"head\"]},"
	"{\"from\":\"lan.revoked\",\"to\":\"minh.assistant\",\"roles\":[\"drafter\"]},"
	"{\"from\":\"dung.deputy\",\"to\":\"em.deputy\",\"roles\":[\"deputy\"]}]";

/* A quorum in a state that can be edited: a revise must end the round. */
static const char panel[] =
	"{\"version\":1,\"name\":\"panel\",\"create\":{\"roles\":[\"drafter\"]},"
	"\"start\":\"review\",\"states\":{"
	"\"review\":{\"edit\":{\"roles\":[\"drafter\"]},\"actions\":{"
	"\"approve\":{\"roles\":[\"deputy\"],\"quorum\":3,\"to\":\"approved\"},"
	"\"reject\":{\"roles\":[\"deputy\"],\"to\":\"rejected\"}}},"
	"\"approved\":{\"final\":true},\"rejected\":{\"final\":true}}}";

static ch_policy *pol;
static const ch_workflow *cv, *pn;

static const char *top(void)
{
	const char *t = getenv("CH_TOP");

	return t && t[0] ? t : ".";
}

static void read_file(ch_buf *out, const char *rel)
{
	char path[4096], chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top(), rel);
	if (!(f = fopen(path, "rb")))
		fail_msg("cannot open %s (run from the repository top or set CH_TOP)", path);
	ch_buf_clear(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ch_buf_put(out, chunk, n);
	fclose(f);
}

static void put_fixture(ch_fileset *fs, const char *path, const char *rel)
{
	ch_buf b = CH_BUF_INIT;

	read_file(&b, rel);
	ch_fileset_put(fs, path, b.ptr, b.size);
	ch_buf_dispose(&b);
}

static void put_str(ch_fileset *fs, const char *path, const char *s)
{
	ch_fileset_put(fs, path, s, strlen(s));
}

static void build_policy_files(ch_fileset *fs)
{
	ch_buf b = CH_BUF_INIT, rel = CH_BUF_INIT, path = CH_BUF_INIT;
	size_t i;

	put_str(fs, "policy/repository.json", "{\"version\":1,\"site\":\"hq\",\"tier\":\"networked\"}");
	put_str(fs, "policy/sites.json", "{\"version\":1,\"sites\":[{\"id\":\"hq\",\"units\":[\"hq\"]},"
	        "{\"id\":\"mission-tokyo\",\"units\":[\"mission-tokyo\"],\"tls_fingerprint\":"
	        "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}]}");
	put_fixture(fs, "policy/workflows/cong-van.json", "workflows/defs/cong-van.json");
	put_str(fs, "policy/workflows/panel.json", panel);
	ch_buf_puts(&b, "{\"version\":1,\"people\":[");
	for (i = 0; i < CH_ARRAY_SIZE(people); i++) {
		ch_buf fpr = CH_BUF_INIT;

		ch_buf_clear(&rel);
		ch_buf_printf(&rel, "tests/fixtures/pgp/%s.fpr", people[i].key);
		read_file(&fpr, rel.ptr);
		assert_true(fpr.size >= 40);
		ch_buf_printf(&b, "%s{\"id\":\"%s\",\"name\":\"Person %zu\",\"unit\":\"%s\","
		              "\"fingerprint\":\"%.40s\",\"roles\":[%s],"
		              "\"clearance\":\"unclassified\"%s}",
		              i ? "," : "", people[i].id, i, people[i].unit, fpr.ptr, people[i].roles,
		              people[i].extra);
		ch_buf_dispose(&fpr);
		ch_buf_clear(&rel);
		ch_buf_printf(&rel, "tests/fixtures/pgp/%s.asc", people[i].key);
		ch_buf_clear(&path);
		ch_buf_printf(&path, "policy/keys/%s.asc", people[i].id);
		put_fixture(fs, path.ptr, rel.ptr);
	}
	ch_buf_printf(&b, "],\"delegations\":%s}", delegations);
	put_str(fs, "policy/people.json", b.ptr);
	ch_buf_dispose(&b);
	ch_buf_dispose(&rel);
	ch_buf_dispose(&path);
}

static int setup(void **state)
{
	ch_fileset fs = CH_FILESET_INIT;
	int error;

	(void)state;
	if (!gcry_check_version(NULL))
		return -1;
	/* No secret keys here: libgcrypt's secure pool would only read as a
	 * leak under LeakSanitizer. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	build_policy_files(&fs);
	error = ch_policy_parse(&pol, &fs);
	ch_fileset_dispose(&fs);
	if (error) {
		fprintf(stderr, "policy: %s\n", ch_error_last());
		return -1;
	}
	cv = ch_policy_workflow(pol, "cong-van");
	pn = ch_policy_workflow(pol, "panel");
	return cv && pn ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ch_policy_free(pol);
	pol = NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Driving a document                                                  */

static int strv_equal(const ch_strv *a, const ch_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}

static int str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void assert_same_state(const ch_docstate *a, const ch_docstate *b)
{
	assert_true(str_equal(a->state, b->state));
	assert_true(str_equal(a->creator, b->creator));
	assert_true(str_equal(a->round_action, b->round_action));
	assert_true(strv_equal(&a->round_people, &b->round_people));
	assert_true(strv_equal(&a->round_signers, &b->round_signers));
	assert_int_equal(a->final, b->final);
}

static void act_as(ch_docstate *st, const ch_workflow *wf, const char *action, const char *actor,
                   const char *on_behalf, const char *want_state, int line)
{
	ch_step step = { action, actor, on_behalf };
	const char *rule = "unset";
	int error = ch_engine_apply(st, wf, pol, &step, &rule);

	if (error)
		fail_msg("line %d: %s by %s%s%s refused (%s): %s", line, action, actor,
		         on_behalf ? " for " : "", on_behalf ? on_behalf : "", rule ? rule : "-",
		         ch_error_last());
	if (rule)
		fail_msg("line %d: rule set to %s on success", line, rule);
	if (want_state && !str_equal(st->state, want_state))
		fail_msg("line %d: %s by %s: state '%s', expected '%s'", line, action, actor,
		         st->state ? st->state : "(none)", want_state);
}

/* Refused with CH_EDENIED and `rule`; the state is left as it was. */
static void refuse_as(ch_docstate *st, const ch_workflow *wf, const char *action,
                      const char *actor, const char *on_behalf, const char *want_rule,
                      const char *want_msg, int line)
{
	ch_step step = { action, actor, on_behalf };
	const char *rule = NULL;
	ch_docstate before;
	int error;

	ch_docstate_copy(&before, st);
	ch_error_clear();
	error = ch_engine_apply(st, wf, pol, &step, &rule);
	if (error != CH_EDENIED)
		fail_msg("line %d: %s by %s%s%s: expected CH_EDENIED, got %d (state now '%s')", line,
		         action, actor, on_behalf ? " for " : "", on_behalf ? on_behalf : "", error,
		         st->state ? st->state : "(none)");
	if (!rule || strcmp(rule, want_rule))
		fail_msg("line %d: %s by %s: rule %s, expected %s (%s)", line, action, actor,
		         rule ? rule : "(none)", want_rule, ch_error_last());
	if (!ch_error_last()[0])
		fail_msg("line %d: refused without a message", line);
	if (want_msg && !strstr(ch_error_last(), want_msg))
		fail_msg("line %d: message '%s' lacks '%s'", line, ch_error_last(), want_msg);
	assert_same_state(st, &before);
	ch_docstate_dispose(&before);
}

#define ACT(st, a, who, to) act_as((st), cv, (a), (who), NULL, (to), __LINE__)
#define ACT_FOR(st, a, who, principal, to) \
	act_as((st), cv, (a), (who), (principal), (to), __LINE__)
#define REFUSE(st, a, who, rule) refuse_as((st), cv, (a), (who), NULL, (rule), NULL, __LINE__)
#define REFUSE_FOR(st, a, who, principal, rule) \
	refuse_as((st), cv, (a), (who), (principal), (rule), NULL, __LINE__)

/* A cong-van document brought to `state` by the ordinary path. */
static void to_state(ch_docstate *st, const char *state)
{
	ch_docstate init = CH_DOCSTATE_INIT;

	*st = init;
	ACT(st, "create", "an.drafter", "draft");
	if (!strcmp(state, "draft"))
		return;
	ACT(st, "submit", "an.drafter", "review");
	if (!strcmp(state, "review"))
		return;
	ACT(st, "approve", "binh.head", "deputies");
	if (!strcmp(state, "deputies"))
		return;
	ACT(st, "approve", "chi.deputy", "deputies");
	ACT(st, "approve", "dung.deputy", "signing");
	if (!strcmp(state, "signing"))
		return;
	ACT(st, "sign", "giang.minister", "signed");
	if (!strcmp(state, "signed"))
		return;
	ACT(st, "publish", "giang.minister", "published");
	assert_string_equal(state, "published");
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_policy_parsed(void **state)
{
	const ch_person *p;

	(void)state;
	assert_int_equal(pol->npeople, CH_ARRAY_SIZE(people));
	assert_int_equal(pol->ndelegations, 4);
	assert_int_equal(pol->nworkflows, 2);
	assert_string_equal(pol->site, "hq");
	assert_string_equal(pol->tier, "networked");
	assert_true(ch_policy_has_admin(pol));
	assert_non_null(p = ch_policy_person(pol, "lan.revoked"));
	assert_true(p->revoked);
	assert_ptr_equal(ch_policy_person_by_fpr(pol, p->fingerprint), p);
	assert_non_null(ch_policy_delegation(pol, "binh.head", "minh.assistant"));
	assert_null(ch_policy_delegation(pol, "minh.assistant", "binh.head"));
	assert_non_null(ch_policy_site(pol, "mission-tokyo"));
}

/* Site ids name sync peers and the units they serve: like person ids, each
 * may appear once (rule P6). A second "hq" would be ignored by every lookup,
 * its units and TLS fingerprint with it. */
static void test_policy_duplicate_site_id(void **state)
{
	ch_fileset fs = CH_FILESET_INIT;
	ch_policy *dup = NULL;
	int error;

	(void)state;
	build_policy_files(&fs);
	put_str(&fs, "policy/sites.json", "{\"version\":1,\"sites\":[{\"id\":\"hq\",\"units\":"
	        "[\"hq\"]},{\"id\":\"hq\",\"units\":[\"mission-tokyo\"]}]}");
	error = ch_policy_parse(&dup, &fs);
	ch_fileset_dispose(&fs);
	ch_policy_free(dup);
	assert_int_equal(error, CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "policy/sites.json"));
	assert_non_null(strstr(ch_error_last(), "sites[1]"));
}

/* Keys with custody (DESIGN "Keys with custody"): one person listing two
 * keys, the key file holding exactly their two certificates. */
static void custody_files(ch_fileset *fs, const char *keys_json, const char *certs,
                          const char *settings)
{
	ch_buf b = CH_BUF_INIT, f1 = CH_BUF_INIT, f2 = CH_BUF_INIT, k = CH_BUF_INIT;
	const char *c;

	read_file(&f1, "tests/fixtures/pgp/ed25519.fpr");
	read_file(&f2, "tests/fixtures/pgp/nistp256.fpr");
	put_str(fs, "policy/repository.json", "{\"version\":1,\"site\":\"hq\",\"tier\":\"networked\"}");
	put_str(fs, "policy/sites.json", "{\"version\":1,\"sites\":[{\"id\":\"hq\",\"units\":[\"hq\"]}]}");
	ch_buf_puts(&b, "{\"version\":1,\"people\":[{\"id\":\"a.admin\",\"name\":\"A\",\"unit\":\"hq\","
	            "\"roles\":[\"policy-admin\"],\"clearance\":\"unclassified\",");
	for (c = keys_json; *c; c++) /* F1, F2 stand for the two fingerprints */
		if (c[0] == 'F' && (c[1] == '1' || c[1] == '2')) {
			ch_buf_put(&b, c[1] == '1' ? f1.ptr : f2.ptr, 40);
			c++;
		} else {
			ch_buf_putc(&b, *c);
		}
	ch_buf_puts(&b, "}]}");
	put_str(fs, "policy/people.json", b.ptr);
	for (c = certs; *c; c++) {
		ch_buf one = CH_BUF_INIT;

		read_file(&one, *c == '1' ? "tests/fixtures/pgp/ed25519.asc" :
		                *c == '2' ? "tests/fixtures/pgp/nistp256.asc" :
		                            "tests/fixtures/pgp/nistp384.asc");
		ch_buf_put(&k, one.ptr, one.size);
		ch_buf_dispose(&one);
	}
	ch_fileset_put(fs, "policy/keys/a.admin.asc", k.ptr, k.size);
	if (settings)
		put_str(fs, "policy/settings.json", settings);
	ch_buf_dispose(&b);
	ch_buf_dispose(&f1);
	ch_buf_dispose(&f2);
	ch_buf_dispose(&k);
}

static int custody_parse(ch_policy **out, const char *keys_json, const char *certs,
                         const char *settings)
{
	ch_fileset fs = CH_FILESET_INIT;
	int error;

	custody_files(&fs, keys_json, certs, settings);
	error = ch_policy_parse(out, &fs);
	ch_fileset_dispose(&fs);
	return error;
}

static void test_policy_custody(void **state)
{
	static const char two[] = "\"keys\":[{\"fingerprint\":\"F1\",\"custody\":\"server\"},"
	                          "{\"fingerprint\":\"F2\",\"custody\":\"browser\",\"label\":\"PC\","
	                          "\"revoked\":true}]";
	ch_policy *p = NULL;
	const ch_person *a;
	ch_buf f1 = CH_BUF_INIT, f2 = CH_BUF_INIT;

	(void)state;
	read_file(&f1, "tests/fixtures/pgp/ed25519.fpr");
	read_file(&f2, "tests/fixtures/pgp/nistp256.fpr");
	ch_buf_truncate(&f1, 40);
	ch_buf_truncate(&f2, 40);
	assert_int_equal(custody_parse(&p, two, "12", NULL), 0);
	assert_non_null(a = ch_policy_person(p, "a.admin"));
	assert_int_equal(a->nkeys, 2);
	assert_int_equal(a->keys[1].custody, CH_CUSTODY_BROWSER);
	assert_string_equal(a->keys[1].label, "PC");
	assert_string_equal(a->fingerprint, f1.ptr); /* the first key not revoked */
	assert_ptr_equal(ch_policy_person_by_fpr(p, f2.ptr), a);
	assert_int_equal(ch_policy_key_ok(p, a, f1.ptr), 0);
	assert_int_equal(ch_policy_key_ok(p, a, f2.ptr), CH_EDENIED); /* revoked: that key only */
	assert_false(a->revoked);
	ch_policy_free(p);
	p = NULL;
	/* certificates in another order: still one per listed key */
	assert_int_equal(custody_parse(&p, two, "21", NULL), 0);
	ch_policy_free(p);
	p = NULL;
	/* server custody forbidden: the server-held key may not sign steps */
	assert_int_equal(custody_parse(&p, two, "12", "{\"version\":1,\"server_custody\":\"forbidden\"}"), 0);
	assert_int_equal(ch_policy_key_ok(p, ch_policy_person(p, "a.admin"), f1.ptr), CH_EDENIED);
	assert_non_null(strstr(ch_error_last(), "forbids server custody"));
	ch_policy_free(p);
	p = NULL;
	/* a listed key without its certificate; a certificate not listed */
	assert_int_equal(custody_parse(&p, two, "1", NULL), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "holds no certificate for key"));
	assert_int_equal(custody_parse(&p, two, "123", NULL), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "is not a key that people.json lists"));
	assert_int_equal(custody_parse(&p, two, "112", NULL), CH_EINVALID);
	/* both forms at once; a key listed twice; an unknown custody */
	assert_int_equal(custody_parse(&p, "\"fingerprint\":\"F1\",\"keys\":[]", "1", NULL),
	                 CH_EINVALID);
	assert_int_equal(custody_parse(&p, "\"keys\":[{\"fingerprint\":\"F1\",\"custody\":\"server\"},"
	                               "{\"fingerprint\":\"F1\",\"custody\":\"token\"}]", "1", NULL),
	                 CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "listed twice"));
	assert_int_equal(custody_parse(&p, "\"keys\":[{\"fingerprint\":\"F1\",\"custody\":\"usb\"}]",
	                               "1", NULL), CH_EINVALID);
	/* a version-1 key file still holds exactly one certificate */
	assert_int_equal(custody_parse(&p, "\"fingerprint\":\"F1\"", "12", NULL), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "more than one certificate"));
	assert_null(p);
	ch_buf_dispose(&f1);
	ch_buf_dispose(&f2);
}

static void test_create(void **state)
{
	ch_docstate st = CH_DOCSTATE_INIT;

	(void)state;
	REFUSE(&st, "create", "binh.head", "D3");
	REFUSE(&st, "create", "khoa.admin", "D3");
	REFUSE(&st, "submit", "an.drafter", "D3"); /* nothing to submit yet */
	REFUSE(&st, "comment", "an.drafter", "D3");
	assert_null(st.state);
	ACT(&st, "create", "an.drafter", "draft");
	assert_string_equal(st.creator, "an.drafter");
	assert_false(st.final);
	assert_null(st.round_action);
	/* once only */
	REFUSE(&st, "create", "an.drafter", "D5");
	ch_docstate_dispose(&st);
}

static void test_ordinary_path(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "draft");
	REFUSE(&st, "submit", "binh.head", "D3");
	REFUSE(&st, "approve", "binh.head", "D3"); /* not an action of draft */
	refuse_as(&st, cv, "sign", "giang.minister", NULL, "D3", "allowed: submit", __LINE__);
	ACT(&st, "submit", "an.drafter", "review");
	REFUSE(&st, "submit", "an.drafter", "D3");
	REFUSE(&st, "approve", "an.drafter", "D3");
	REFUSE(&st, "approve", "chi.deputy", "D3");
	ACT(&st, "approve", "binh.head", "deputies");
	REFUSE(&st, "sign", "giang.minister", "D3");
	ACT(&st, "approve", "chi.deputy", "deputies");
	ACT(&st, "approve", "em.deputy", "signing");
	REFUSE(&st, "publish", "giang.minister", "D3");
	REFUSE(&st, "sign", "binh.head", "D3");
	ACT(&st, "sign", "giang.minister", "signed");
	REFUSE(&st, "sign", "giang.minister", "D3");
	ACT(&st, "publish", "giang.minister", "published");
	assert_true(st.final);
	ch_docstate_dispose(&st);
}

static void test_quorum(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "deputies");
	ACT(&st, "approve", "chi.deputy", "deputies");
	assert_string_equal(st.round_action, "approve");
	assert_int_equal(st.round_signers.n, 1);
	assert_string_equal(st.round_signers.v[0], "chi.deputy");
	/* the same deputy twice counts once: refused */
	refuse_as(&st, cv, "approve", "chi.deputy", NULL, "D3", "already", __LINE__);
	/* the head is no deputy */
	REFUSE(&st, "approve", "binh.head", "D3");
	ACT(&st, "approve", "dung.deputy", "signing");
	assert_null(st.round_action);
	assert_int_equal(st.round_signers.n, 0);
	assert_int_equal(st.round_people.n, 0);
	ch_docstate_dispose(&st);
}

static void test_quorum_on_behalf(void **state)
{
	ch_docstate st;

	(void)state;
	/* The principal has approved: the delegate cannot count for them again. */
	to_state(&st, "deputies");
	ACT(&st, "approve", "dung.deputy", "deputies");
	REFUSE_FOR(&st, "approve", "em.deputy", "dung.deputy", "D3");
	/* em has not counted, in either right: em's own approval completes it */
	ACT(&st, "approve", "em.deputy", "signing");
	ch_docstate_dispose(&st);

	/* The delegate acted for the principal: neither may count again. */
	to_state(&st, "deputies");
	ACT_FOR(&st, "approve", "em.deputy", "dung.deputy", "deputies");
	assert_int_equal(st.round_signers.n, 1);
	assert_string_equal(st.round_signers.v[0], "dung.deputy");
	REFUSE(&st, "approve", "dung.deputy", "D3");
	REFUSE(&st, "approve", "em.deputy", "D3");
	ACT(&st, "approve", "chi.deputy", "signing");
	ch_docstate_dispose(&st);

	/* The delegate approved in their own right: they cannot then add their
	 * principal's approval with the same signature key. */
	to_state(&st, "deputies");
	ACT(&st, "approve", "em.deputy", "deputies");
	REFUSE_FOR(&st, "approve", "em.deputy", "dung.deputy", "D3");
	ACT(&st, "approve", "dung.deputy", "signing");
	ch_docstate_dispose(&st);
}

static void test_return_ends_round(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "deputies");
	ACT(&st, "approve", "chi.deputy", "deputies");
	ACT(&st, "return", "dung.deputy", "draft");
	assert_null(st.round_action);
	ACT(&st, "submit", "an.drafter", "review");
	ACT(&st, "approve", "binh.head", "deputies");
	/* chi's earlier approval no longer counts: chi may approve again, and
	 * the document waits for a second deputy */
	ACT(&st, "approve", "chi.deputy", "deputies");
	assert_int_equal(st.round_signers.n, 1);
	ACT(&st, "approve", "dung.deputy", "signing");
	ch_docstate_dispose(&st);

	/* A return by one who approved in the round also ends it. */
	to_state(&st, "deputies");
	ACT(&st, "approve", "chi.deputy", "deputies");
	ACT(&st, "return", "chi.deputy", "draft");
	ch_docstate_dispose(&st);

	/* A reject ends the document. */
	to_state(&st, "deputies");
	ACT(&st, "approve", "chi.deputy", "deputies");
	ACT(&st, "reject", "dung.deputy", "rejected");
	assert_true(st.final);
	REFUSE(&st, "approve", "em.deputy", "D7");
	ch_docstate_dispose(&st);
}

static void test_revise(void **state)
{
	ch_docstate st, init = CH_DOCSTATE_INIT;
	const char *const states[] = { "review", "deputies", "signing", "signed" };
	size_t i;

	(void)state;
	/* cong-van: only draft can be edited, only by a drafter */
	for (i = 0; i < CH_ARRAY_SIZE(states); i++) {
		to_state(&st, states[i]);
		refuse_as(&st, cv, "revise", "an.drafter", NULL, "D3", "cannot be revised", __LINE__);
		ch_docstate_dispose(&st);
	}
	to_state(&st, "draft");
	ACT(&st, "revise", "an.drafter", "draft");
	ACT(&st, "revise", "an.drafter", "draft");
	REFUSE(&st, "revise", "binh.head", "D3");
	ch_docstate_dispose(&st);

	/* panel (quorum 3 in an editable state): a revise ends the round */
	st = init;
	act_as(&st, pn, "create", "an.drafter", NULL, "review", __LINE__);
	act_as(&st, pn, "approve", "chi.deputy", NULL, "review", __LINE__);
	act_as(&st, pn, "approve", "dung.deputy", NULL, "review", __LINE__);
	assert_int_equal(st.round_signers.n, 2);
	refuse_as(&st, pn, "revise", "chi.deputy", NULL, "D3", NULL, __LINE__);
	assert_int_equal(st.round_signers.n, 2);
	act_as(&st, pn, "revise", "an.drafter", NULL, "review", __LINE__);
	assert_null(st.round_action);
	assert_int_equal(st.round_signers.n, 0);
	assert_int_equal(st.round_people.n, 0);
	/* the approvals of the earlier text no longer count */
	act_as(&st, pn, "approve", "em.deputy", NULL, "review", __LINE__);
	act_as(&st, pn, "approve", "chi.deputy", NULL, "review", __LINE__);
	act_as(&st, pn, "approve", "dung.deputy", NULL, "approved", __LINE__);
	assert_true(st.final);
	refuse_as(&st, pn, "revise", "an.drafter", NULL, "D7", NULL, __LINE__);
	ch_docstate_dispose(&st);
}

static void test_comment(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "review");
	/* anyone holding a role the workflow names, whether or not it acts now */
	ACT(&st, "comment", "an.drafter", "review");
	ACT(&st, "comment", "em.deputy", "review");
	ACT(&st, "comment", "giang.minister", "review");
	ACT(&st, "comment", "oanh.chief", "review");
	/* not for a person with no such role: the auditor acts on nothing */
	REFUSE(&st, "comment", "khoa.admin", "D3");
	REFUSE(&st, "comment", "minh.assistant", "D3");
	/* a comment changes nothing, not even a quorum round */
	ch_docstate_dispose(&st);
	to_state(&st, "deputies");
	ACT(&st, "approve", "chi.deputy", "deputies");
	ACT(&st, "comment", "dung.deputy", "deputies");
	ACT(&st, "comment", "chi.deputy", "deputies");
	assert_int_equal(st.round_signers.n, 1);
	ACT(&st, "approve", "dung.deputy", "signing");
	ch_docstate_dispose(&st);
}

static void test_withdraw(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "deputies");
	ACT(&st, "approve", "chi.deputy", "deputies");
	refuse_as(&st, cv, "withdraw", "binh.head", NULL, "D3", "an.drafter", __LINE__);
	REFUSE(&st, "withdraw", "chi.deputy", "D3");
	REFUSE(&st, "withdraw", "khoa.admin", "D3");
	ACT(&st, "withdraw", "an.drafter", "withdrawn");
	assert_true(st.final);
	assert_null(st.round_action);
	ch_docstate_dispose(&st);

	to_state(&st, "draft");
	ACT(&st, "withdraw", "an.drafter", "withdrawn");
	ch_docstate_dispose(&st);
}

/* D7: once final, nothing more -- whichever final state it is. */
static void check_all_refused_final(ch_docstate *st, int line)
{
	static const struct { const char *action, *actor; } steps[] = {
		{ "revise", "an.drafter" }, { "submit", "an.drafter" }, { "approve", "binh.head" },
		{ "approve", "chi.deputy" }, { "return", "binh.head" }, { "reject", "binh.head" },
		{ "sign", "giang.minister" }, { "publish", "giang.minister" },
		{ "withdraw", "an.drafter" }, { "comment", "an.drafter" },
		{ "comment", "giang.minister" },
	};
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(steps); i++)
		refuse_as(st, cv, steps[i].action, steps[i].actor, NULL, "D7", NULL, line);
	/* a delegate fares no better */
	refuse_as(st, cv, "approve", "minh.assistant", "binh.head", "D7", NULL, line);
	/* and the document cannot be created again */
	refuse_as(st, cv, "create", "an.drafter", NULL, "D5", NULL, line);
}

static void test_nothing_after_publish(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "published");
	assert_true(st.final);
	check_all_refused_final(&st, __LINE__);
	ch_docstate_dispose(&st);
}

static void test_nothing_after_withdraw(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "review");
	ACT(&st, "withdraw", "an.drafter", "withdrawn");
	check_all_refused_final(&st, __LINE__);
	ch_docstate_dispose(&st);
}

static void test_nothing_after_reject(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "review");
	ACT(&st, "reject", "binh.head", "rejected");
	check_all_refused_final(&st, __LINE__);
	ch_docstate_dispose(&st);
}

static void test_delegation(void **state)
{
	ch_docstate st;

	(void)state;
	/* no delegation stands: D9, whatever the roles */
	to_state(&st, "deputies");
	refuse_as(&st, cv, "approve", "minh.assistant", "chi.deputy", "D9", "no delegation",
	          __LINE__);
	REFUSE_FOR(&st, "approve", "chi.deputy", "dung.deputy", "D9");
	REFUSE_FOR(&st, "approve", "dung.deputy", "em.deputy", "D9"); /* the wrong way round */
	REFUSE_FOR(&st, "approve", "minh.assistant", "nobody.at.all", "D9");
	/* the delegate has no role of their own */
	REFUSE(&st, "approve", "minh.assistant", "D3");
	ch_docstate_dispose(&st);

	/* with a delegation: allowed, for the roles it lists and the principal holds */
	to_state(&st, "review");
	REFUSE(&st, "approve", "minh.assistant", "D3");
	ACT_FOR(&st, "approve", "minh.assistant", "binh.head", "deputies");
	ch_docstate_dispose(&st);
	to_state(&st, "review");
	ACT_FOR(&st, "approve", "minh.assistant", "oanh.chief", "deputies");
	/* oanh is a deputy, but the delegation lists only head */
	refuse_as(&st, cv, "approve", "minh.assistant", "oanh.chief", "D9", "delegation",
	          __LINE__);
	ACT(&st, "approve", "oanh.chief", "deputies"); /* in their own right: fine */
	ch_docstate_dispose(&st);

	/* the delegation lists minister, but binh is no minister */
	to_state(&st, "signing");
	REFUSE_FOR(&st, "sign", "minh.assistant", "binh.head", "D9");
	ACT(&st, "sign", "giang.minister", "signed");
	ch_docstate_dispose(&st);

	/* a delegation from a revoked person no longer stands */
	{
		ch_docstate init = CH_DOCSTATE_INIT;

		st = init;
		REFUSE_FOR(&st, "create", "minh.assistant", "lan.revoked", "D9");
		assert_null(st.state);
	}
}

static void test_delegate_withdraw(void **state)
{
	ch_docstate st;

	(void)state;
	/* A step for someone is that person's step: em acting for dung is not
	 * the creator, and dung holds no drafter role to create with. */
	to_state(&st, "review");
	REFUSE_FOR(&st, "withdraw", "em.deputy", "dung.deputy", "D3");
	REFUSE_FOR(&st, "create", "em.deputy", "dung.deputy", "D5");
	ch_docstate_dispose(&st);
	{
		ch_docstate init = CH_DOCSTATE_INIT;

		st = init;
		REFUSE_FOR(&st, "create", "em.deputy", "dung.deputy", "D9");
		assert_null(st.state);
	}
}

static void test_roles(void **state)
{
	ch_strv roles = CH_STRV_INIT;
	const char *rule;

	(void)state;
	assert_int_equal(ch_engine_roles(&roles, pol, "oanh.chief", NULL, &rule), 0);
	assert_int_equal(roles.n, 2);
	assert_true(ch_strv_contains(&roles, "head"));
	assert_true(ch_strv_contains(&roles, "deputy"));
	ch_strv_free(&roles);
	assert_int_equal(ch_engine_roles(&roles, pol, "oanh.chief", "", &rule), 0);
	assert_int_equal(roles.n, 2);
	ch_strv_free(&roles);

	/* for binh: head (listed and held), not minister (listed, not held) */
	assert_int_equal(ch_engine_roles(&roles, pol, "minh.assistant", "binh.head", &rule), 0);
	assert_int_equal(roles.n, 1);
	assert_string_equal(roles.v[0], "head");
	ch_strv_free(&roles);
	/* for oanh: head only, though oanh is also a deputy */
	assert_int_equal(ch_engine_roles(&roles, pol, "minh.assistant", "oanh.chief", &rule), 0);
	assert_int_equal(roles.n, 1);
	assert_string_equal(roles.v[0], "head");
	ch_strv_free(&roles);
	assert_int_equal(ch_engine_roles(&roles, pol, "minh.assistant", NULL, &rule), 0);
	assert_int_equal(roles.n, 0);

	rule = NULL;
	assert_int_equal(ch_engine_roles(&roles, pol, "binh.head", "minh.assistant", &rule),
	                 CH_EDENIED);
	assert_string_equal(rule, "D9");
	rule = NULL;
	assert_int_equal(ch_engine_roles(&roles, pol, "minh.assistant", "lan.revoked", &rule),
	                 CH_EDENIED);
	assert_string_equal(rule, "D9");
	rule = NULL;
	assert_int_equal(ch_engine_roles(&roles, pol, "lan.revoked", NULL, &rule), CH_EDENIED);
	assert_string_equal(rule, "D1");
	rule = NULL;
	assert_int_equal(ch_engine_roles(&roles, pol, "nobody", NULL, &rule), CH_EDENIED);
	assert_string_equal(rule, "D1");
	assert_int_equal(roles.n, 0);
	/* rule may be NULL */
	assert_int_equal(ch_engine_roles(&roles, pol, "nobody", NULL, NULL), CH_EDENIED);
}

static void test_revoked(void **state)
{
	ch_docstate st = CH_DOCSTATE_INIT;

	(void)state;
	/* lan holds every role it would need, but is revoked */
	refuse_as(&st, cv, "create", "lan.revoked", NULL, "D1", "revoked", __LINE__);
	refuse_as(&st, cv, "create", "nobody", NULL, "D1", "not a person", __LINE__);
	ch_docstate_dispose(&st);
	to_state(&st, "draft");
	REFUSE(&st, "revise", "lan.revoked", "D1");
	REFUSE(&st, "submit", "lan.revoked", "D1");
	REFUSE(&st, "comment", "lan.revoked", "D1");
	REFUSE(&st, "withdraw", "lan.revoked", "D1");
	ACT(&st, "submit", "an.drafter", "review");
	REFUSE(&st, "approve", "lan.revoked", "D1");
	ACT(&st, "approve", "binh.head", "deputies");
	REFUSE(&st, "approve", "lan.revoked", "D1");
	/* a revoked actor is D1 even with a delegation in hand */
	REFUSE_FOR(&st, "approve", "lan.revoked", "dung.deputy", "D1");
	ch_docstate_dispose(&st);
}

static void test_bad_state(void **state)
{
	ch_docstate st;

	(void)state;
	to_state(&st, "draft");
	free(st.state);
	st.state = ch_strdup("nowhere");
	REFUSE(&st, "submit", "an.drafter", "D3");
	REFUSE(&st, "frobnicate", "an.drafter", "D3");
	ch_docstate_dispose(&st);
	to_state(&st, "draft");
	REFUSE(&st, "frobnicate", "an.drafter", "D3");
	REFUSE(&st, "policy", "khoa.admin", "D3");
	ch_docstate_dispose(&st);
}

static void check_allowed(const ch_docstate *st, const char *person, const char *want)
{
	ch_strv got = CH_STRV_INIT;
	ch_docstate before;
	char *joined;

	ch_docstate_copy(&before, st);
	ch_engine_allowed(&got, st, cv, pol, person);
	joined = ch_strv_join(&got, " ");
	if (strcmp(joined, want))
		fail_msg("%s in '%s': allowed '%s', expected '%s'", person,
		         st->state ? st->state : "(none)", joined, want);
	free(joined);
	ch_strv_free(&got);
	assert_same_state(st, &before);
	ch_docstate_dispose(&before);
}

static void test_allowed(void **state)
{
	ch_docstate st = CH_DOCSTATE_INIT;

	(void)state;
	check_allowed(&st, "an.drafter", "");
	to_state(&st, "draft");
	check_allowed(&st, "an.drafter", "revise submit");
	check_allowed(&st, "binh.head", "");
	check_allowed(&st, "lan.revoked", "");
	check_allowed(&st, "nobody", "");
	ch_docstate_dispose(&st);
	to_state(&st, "review");
	check_allowed(&st, "an.drafter", "");
	check_allowed(&st, "binh.head", "approve return reject");
	check_allowed(&st, "oanh.chief", "approve return reject");
	check_allowed(&st, "minh.assistant", ""); /* own right only */
	ch_docstate_dispose(&st);
	to_state(&st, "deputies");
	check_allowed(&st, "chi.deputy", "approve return reject");
	ACT(&st, "approve", "chi.deputy", "deputies");
	check_allowed(&st, "chi.deputy", "return reject"); /* already counted */
	check_allowed(&st, "dung.deputy", "approve return reject");
	check_allowed(&st, "binh.head", "");
	ch_docstate_dispose(&st);
	to_state(&st, "signed");
	check_allowed(&st, "giang.minister", "publish");
	ch_docstate_dispose(&st);
	to_state(&st, "published");
	check_allowed(&st, "giang.minister", "");
	check_allowed(&st, "an.drafter", "");
	ch_docstate_dispose(&st);
}

static void test_copy_dispose(void **state)
{
	ch_docstate st, copy, empty = CH_DOCSTATE_INIT;

	(void)state;
	to_state(&st, "deputies");
	ACT(&st, "approve", "chi.deputy", "deputies");
	ch_docstate_copy(&copy, &st);
	assert_same_state(&copy, &st);
	assert_ptr_not_equal(copy.state, st.state);
	ch_docstate_dispose(&st);
	assert_null(st.state);
	ACT(&copy, "approve", "dung.deputy", "signing");
	ch_docstate_dispose(&copy);
	ch_docstate_copy(&copy, &empty);
	assert_same_state(&copy, &empty);
	ch_docstate_dispose(&copy);
	ch_docstate_dispose(&copy); /* twice is harmless */
}

/* ------------------------------------------------------------------ */
/* Scoped roles and reading (DESIGN.md "Scoped roles")                 */

static void test_scope_within(void **state)
{
	(void)state;
	assert_true(ch_unit_within("hq/legal", "hq"));
	assert_true(ch_unit_within("hq", "hq"));
	assert_true(ch_unit_within("hq/legal/treaties", "hq/legal"));
	assert_false(ch_unit_within("hq", "hq/legal"));
	assert_false(ch_unit_within("hqx/legal", "hq"));   /* a prefix, not a parent */
	assert_false(ch_unit_within("hq/legalx", "hq/legal"));
	assert_true(ch_unit_within("mission-tokyo", "*"));
	assert_false(ch_unit_within("", "*"));
	assert_false(ch_unit_within(NULL, "hq"));
}

/* A document of hq/legal: its drafter, head and people whose scope
 * reaches hq/legal act; a deputy of hq/consular does not (D3, the message
 * naming the scope and the unit); on behalf of someone, their scope. */
static void test_scope_engine(void **state)
{
	ch_docstate st = CH_DOCSTATE_INIT;

	(void)state;
	ch_docstate_set_unit(&st, "hq/legal");
	ACT(&st, "create", "an.drafter", "draft");
	ACT(&st, "submit", "an.drafter", "review");
	ACT(&st, "approve", "binh.head", "deputies");
	refuse_as(&st, cv, "approve", "chi.deputy", NULL, "D3",
	          "chi.deputy may act on documents of hq/consular and below; this document "
	          "belongs to hq/legal", __LINE__);
	refuse_as(&st, cv, "comment", "chi.deputy", NULL, "D3", "hq/consular", __LINE__);
	refuse_as(&st, cv, "approve", "em.deputy", "dung.deputy", "D3",
	          "em.deputy acts for dung.deputy, who may act on documents of mission-tokyo",
	          __LINE__);
	ACT(&st, "approve", "em.deputy", "deputies");       /* scope ["*"] */
	ACT(&st, "approve", "oanh.chief", "signing");        /* her own unit */
	ACT(&st, "sign", "giang.minister", "signed");        /* scope ["hq"] */
	ch_docstate_dispose(&st);

	/* a document of mission-tokyo: hq/legal's head does not reach it */
	ch_docstate_set_unit(&st, "mission-tokyo");
	refuse_as(&st, cv, "create", "an.drafter", NULL, "D3",
	          "an.drafter may act on documents of hq/legal and below; this document belongs "
	          "to mission-tokyo", __LINE__);
	ch_docstate_dispose(&st);
}

/* ch_engine_allowed (the inbox, the page's buttons) hides what scope forbids. */
static void test_scope_allowed(void **state)
{
	ch_docstate st = CH_DOCSTATE_INIT;
	ch_strv can = CH_STRV_INIT;

	(void)state;
	ch_docstate_set_unit(&st, "hq/legal");
	ACT(&st, "create", "an.drafter", "draft");
	ACT(&st, "submit", "an.drafter", "review");
	ACT(&st, "approve", "binh.head", "deputies");
	ch_engine_allowed(&can, &st, cv, pol, "chi.deputy");
	assert_int_equal(can.n, 0);
	ch_engine_allowed(&can, &st, cv, pol, "em.deputy");
	assert_true(ch_strv_contains(&can, "approve"));
	ch_strv_free(&can);
	ch_docstate_dispose(&st);
}

static void test_may_read(void **state)
{
	ch_strv to_tokyo = CH_STRV_INIT, to_hq = CH_STRV_INIT;

	(void)state;
	ch_strv_push(&to_tokyo, "mission-tokyo");
	ch_strv_push(&to_hq, "hq");
	assert_true(ch_policy_may_read(pol, "an.drafter", "hq/legal", NULL));
	assert_true(ch_policy_may_read(pol, "an.drafter", "hq/legal/treaties", NULL));
	assert_false(ch_policy_may_read(pol, "chi.deputy", "hq/legal", NULL));
	assert_false(ch_policy_may_read(pol, "chi.deputy", "hq/legal", &to_hq)); /* hq is not below hq/consular */
	assert_false(ch_policy_may_read(pol, "dung.deputy", "hq/legal", &to_hq));
	assert_true(ch_policy_may_read(pol, "dung.deputy", "hq/legal", &to_tokyo)); /* a recipient's unit */
	assert_true(ch_policy_may_read(pol, "giang.minister", "hq/consular", NULL));
	assert_false(ch_policy_may_read(pol, "giang.minister", "mission-tokyo", NULL));
	assert_true(ch_policy_may_read(pol, "giang.minister", "mission-tokyo", &to_hq));
	assert_true(ch_policy_may_read(pol, "em.deputy", "mission-tokyo", NULL));
	assert_true(ch_policy_may_read(pol, "khoa.admin", "mission-tokyo", NULL)); /* auditor */
	assert_true(ch_policy_may_read(pol, "khoa.admin", NULL, NULL));
	assert_false(ch_policy_may_read(pol, "an.drafter", NULL, NULL));
	assert_false(ch_policy_may_read(pol, "an.drafter", "", NULL));
	assert_false(ch_policy_may_read(pol, "lan.revoked", "hq/legal", NULL));
	assert_false(ch_policy_may_read(pol, "nobody.here", "hq/legal", NULL));
	assert_false(ch_policy_may_read(pol, NULL, "hq/legal", NULL));
	ch_strv_free(&to_tokyo);
	ch_strv_free(&to_hq);
}

/* people.json's "scope": units, or "*" alone; never empty. */
static void scope_parse(const char *from, const char *to, int want_ok)
{
	ch_fileset fs = CH_FILESET_INIT;
	const ch_buf *b = ch_fileset_get(&pol->files, "policy/people.json");
	ch_buf text = CH_BUF_INIT;
	ch_policy *p = NULL;
	char *at;
	size_t i;
	int error;

	for (i = 0; i < pol->files.n; i++)
		ch_fileset_put(&fs, pol->files.v[i].path, pol->files.v[i].data.ptr,
		               pol->files.v[i].data.size);
	ch_buf_set(&text, b->ptr, b->size);
	assert_non_null(at = strstr(text.ptr, from));
	{
		ch_buf out = CH_BUF_INIT;

		ch_buf_put(&out, text.ptr, (size_t)(at - text.ptr));
		ch_buf_puts(&out, to);
		ch_buf_puts(&out, at + strlen(from));
		ch_fileset_put(&fs, "policy/people.json", out.ptr, out.size);
		ch_buf_dispose(&out);
	}
	error = ch_policy_parse(&p, &fs);
	if (want_ok && error)
		fail_msg("'%s' refused: %s", to, ch_error_last());
	if (!want_ok && !error)
		fail_msg("'%s' accepted", to);
	if (!want_ok)
		assert_non_null(strstr(ch_error_last(), "scope"));
	ch_policy_free(p);
	ch_fileset_dispose(&fs);
	ch_buf_dispose(&text);
}

static void test_scope_parse(void **state)
{
	(void)state;
	assert_int_equal(ch_policy_person(pol, "giang.minister")->scope.n, 1);
	assert_int_equal(ch_policy_person(pol, "an.drafter")->scope.n, 0);
	scope_parse("\"scope\":[\"hq\"]", "\"scope\":[\"hq\",\"mission-tokyo/consular\"]", 1);
	scope_parse("\"scope\":[\"hq\"]", "\"scope\":[]", 0);
	scope_parse("\"scope\":[\"hq\"]", "\"scope\":[\"*\",\"hq\"]", 0);
	scope_parse("\"scope\":[\"hq\"]", "\"scope\":[\"hq//x\"]", 0);
	scope_parse("\"scope\":[\"hq\"]", "\"scope\":[\"hq\",\"hq\"]", 0);
	scope_parse("\"scope\":[\"hq\"]", "\"scope\":\"hq\"", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parsed),
		cmocka_unit_test(test_policy_duplicate_site_id),
		cmocka_unit_test(test_policy_custody),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_ordinary_path),
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_quorum_on_behalf),
		cmocka_unit_test(test_return_ends_round),
		cmocka_unit_test(test_revise),
		cmocka_unit_test(test_comment),
		cmocka_unit_test(test_withdraw),
		cmocka_unit_test(test_nothing_after_publish),
		cmocka_unit_test(test_nothing_after_withdraw),
		cmocka_unit_test(test_nothing_after_reject),
		cmocka_unit_test(test_delegation),
		cmocka_unit_test(test_delegate_withdraw),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_bad_state),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_copy_dispose),
		cmocka_unit_test(test_scope_within),
		cmocka_unit_test(test_scope_engine),
		cmocka_unit_test(test_scope_allowed),
		cmocka_unit_test(test_may_read),
		cmocka_unit_test(test_scope_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
