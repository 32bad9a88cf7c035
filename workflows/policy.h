/* policy.h -- the signed policy (refs/heads/policy): who may act, with
 * which keys and roles, under which workflows, and which sites exist.
 *
 * A policy is parsed whole from a commit's tree and checked against its
 * schema (rule P6): a policy that does not parse is never used. */
#ifndef CH_POLICY_H
#define CH_POLICY_H

#include "workflows/format.h"

#include <git2.h>

#include "crypto/pgp.h"
#include "workflows/fileset.h"
#include "util/strv.h"
#include "workflows/workflow.h"

#define CH_POLICY_MAX_PEOPLE 4096
#define CH_POLICY_MAX_FILE (1024 * 1024)
#define CH_KEY_MAX_BYTES (64 * 1024)

#define CH_PERSON_MAX_KEYS 16

/* Where a person's key lives (DESIGN "Keys with custody"): in their
 * browser (a WebCrypto key that cannot be exported), on their token, or in
 * the site's GnuPG home. */
typedef enum {
	CH_CUSTODY_SERVER = 0,
	CH_CUSTODY_BROWSER,
	CH_CUSTODY_TOKEN
} ch_custody;

typedef struct {
	char fingerprint[CH_PGP_FPR_HEX]; /* primary key, 40 upper-case hex */
	ch_custody custody;
	char *label;                      /* "" when none */
	int revoked;                      /* this key only; the person stays */
} ch_person_key;

typedef struct {
	char *id, *name, *unit, *clearance;
	/* The first listed key that is not revoked (a version-1 entry's one
	 * key); NULL when every key is revoked. For messages and for code that
	 * knows one key per person; D1 uses keys[]. */
	const char *fingerprint;
	ch_person_key *keys;    /* every listed key, in order */
	size_t nkeys;
	int v2_keys;            /* the entry lists "keys" (not "fingerprint") */
	ch_strv roles;
	ch_strv scope; /* "scope" (units, or "*"); empty: the person's own unit */
	int revoked;
} ch_person;

typedef struct {
	char *from, *to;
	ch_strv roles;
} ch_delegation;

typedef struct {
	char *id, *tls_fingerprint; /* tls_fingerprint may be NULL */
	char *log_key;              /* the site log's key (40 hex, upper case); may be NULL */
	ch_strv units;
} ch_site_entry;

/* policy/attachments.json: a type of file the stamp scanner cannot read
 * that may still enter the networked tier, declared unclassified by a
 * person holding one of `declare_roles` (workflows/classify/attach.h). */
typedef struct {
	char *type;              /* a MIME type ch_attach_sniff returns */
	ch_strv declare_roles;
} ch_attach_type;

typedef struct {
	char *site, *tier; /* policy/repository.json */
	ch_person *people;
	size_t npeople;
	ch_delegation *delegations;
	size_t ndelegations;
	ch_workflow **workflows;
	size_t nworkflows;
	ch_site_entry *sites;
	size_t nsites;
	ch_attach_type *attach_types; /* policy/attachments.json (optional) */
	int server_custody_forbidden; /* policy/settings.json (optional) */
	size_t nattach_types;
	ch_pgp_keyring *keyring; /* every person's key, tagged with the person id */
	ch_fileset files;        /* the raw files, to build the next policy from */
} ch_policy;

/* policy.c */
/* Parse and check a whole policy; errors name the file and field. */
int ch_policy_parse(ch_policy **out, const ch_fileset *files);
/* The same, leaving rule P5 (an admin who is not revoked) to the caller. */
int ch_policy_parse_ex(ch_policy **out, const ch_fileset *files, int require_admin);
int ch_policy_load(ch_policy **out, git_repository *repo, const git_oid *commit);
void ch_policy_free(ch_policy *pol);
/* Borrowed; NULL when absent. */
const ch_person *ch_policy_person(const ch_policy *pol, const char *id);
const ch_workflow *ch_policy_workflow(const ch_policy *pol, const char *name);
const ch_delegation *ch_policy_delegation(const ch_policy *pol, const char *from, const char *to);
const ch_site_entry *ch_policy_site(const ch_policy *pol, const char *id);
/* The person who lists the key (primary fingerprint) `fpr`; NULL if none. */
const ch_person *ch_policy_person_by_fpr(const ch_policy *pol, const char *fpr);
/* The entry of `p` for primary key `fpr`; NULL if not listed. Borrowed. */
const ch_person_key *ch_person_key_find(const ch_person *p, const char *fpr);
/* 0 when `fpr` may sign for `p` under `pol`: p not revoked, the key listed,
 * not revoked, of a custody the policy allows. CH_EDENIED with a message
 * naming which otherwise. */
int ch_policy_key_ok(const ch_policy *pol, const ch_person *p, const char *fpr);
/* "server", "browser", "token". */
const char *ch_custody_name(ch_custody c);
int ch_custody_parse(ch_custody *out, const char *s);
int ch_person_has_role(const ch_person *p, const char *role);
/* Scoped roles (DESIGN.md "Scoped roles"). 1 if `unit` is `base` or lies
 * below it (hq/legal below hq; "*" holds every unit). */
int ch_unit_within(const char *unit, const char *base);
/* 1 if the person's scope (their "scope" list, else their own unit)
 * reaches `unit`. */
int ch_person_scope_reaches(const ch_person *p, const char *unit);
/* The person's scope as text for messages: "hq/legal" or "hq, mission-tokyo"
 * (caller frees). */
char *ch_person_scope_text(const ch_person *p);
/* Read authorization, the one rule every page, API answer, attachment,
 * diff, list, search and count of the server goes through: `person` (not
 * revoked) reads a document when they are an auditor, or when its unit,
 * or a unit of one of its recipient sites (sites.json), lies in their
 * scope. `unit` is the document's unit (ch_doc.unit), NULL or "" if
 * unknown; `recipients` may be NULL. */
int ch_policy_may_read(const ch_policy *pol, const char *person, const char *unit,
                       const ch_strv *recipients);
/* A policy-admin who is not revoked exists (rule P5). */
int ch_policy_has_admin(const ch_policy *pol);
/* The entry of policy/attachments.json for `type`; NULL if not allowed. */
const ch_attach_type *ch_policy_attach_type(const ch_policy *pol, const char *type);
/* `p` (not revoked) holds one of the declare_roles of `type`. */
int ch_policy_may_declare(const ch_policy *pol, const ch_person *p, const char *type);
/* Classification levels: unclassified, confidential, secret, top-secret. */
int ch_valid_classification(const char *s);

#endif
