/* admin.h -- changes to the policy chain: the introduction, people,
 * roles, revocation, delegations, workflow definitions. Each change is one
 * policy commit signed by a policy-admin of the current policy (P2); the
 * new policy is parsed and checked whole (P5, P6) before anything is
 * signed, so an invalid policy is never written. */
#ifndef CH_ADMIN_H
#define CH_ADMIN_H

#include "workflows/doc.h"
#include "workflows/site.h"

typedef struct {
	const char *id, *name, *unit, *clearance;
	const ch_strv *roles;
	const ch_strv *scope;   /* "scope" (units, or "*"); NULL or empty: their own unit */
	const char *passphrase; /* the new person's signing passphrase */
	const char *key_algo;   /* NULL: ed25519 */
	const ch_buf *public_key; /* an existing public key (no secret key on this site,
	                           * e.g. an offline declassifier's); then no passphrase */
	int no_key;             /* no key yet ("keys": []): the official enrols a device
	                         * key, which an admin approves (workflows/enrol.h) */
} ch_person_new;

/* Change the policy: fn edits the files (people.json and sites.json are
 * given parsed and written back after it); the whole new policy is then
 * parsed (P5, P6), every key it brings must be able to sign, and the
 * admin signs it. For changes defined elsewhere (workflows/custody.c). */
typedef int (*ch_admin_change_fn)(ch_fileset *files, json_t *people, json_t *sites,
                                  void *payload);
int ch_admin_policy_change(ch_site *site, const ch_actor *admin, ch_admin_change_fn fn,
                           void *payload, const char *subject);

/* admin.c */
/* Create a site with its introduction commit: the first admin (roles
 * policy-admin), the shipped workflows, repository.json and sites.json. */
int ch_admin_init(ch_site **out, const char *path, const char *site_id, const char *tier,
                  const ch_person_new *admin);
int ch_admin_person_add(ch_site *site, const ch_actor *admin, const ch_person_new *p);
/* Replace a person's roles. */
int ch_admin_person_roles(ch_site *site, const ch_actor *admin, const char *id,
                          const ch_strv *roles);
/* Set a person's scope (DESIGN.md "Scoped roles"): the units their roles
 * reach; NULL or empty removes "scope" (their own unit and below). */
int ch_admin_person_scope(ch_site *site, const ch_actor *admin, const char *id,
                          const ch_strv *scope);
/* Move a person to another unit (an official posted to a mission). The
 * documents they created keep the unit bound in their meta.json: reading
 * and the peers' views follow the document's unit, not its creator. */
int ch_admin_person_unit(ch_site *site, const ch_actor *admin, const char *id, const char *unit);
int ch_admin_person_revoke(ch_site *site, const ch_actor *admin, const char *id);
/* Add (roles != NULL) or remove (roles == NULL) the delegation from -> to. */
int ch_admin_delegate(ch_site *site, const ch_actor *admin, const char *from, const char *to,
                      const ch_strv *roles);
/* Add or replace policy/workflows/<name>.json. */
int ch_admin_workflow_set(ch_site *site, const ch_actor *admin, const char *name,
                          const void *json, size_t len);
/* Set policy/attachments.json (types of unreadable attachments that may be
 * declared unclassified, and by which roles); parsed whole first. */
int ch_admin_attach_types_set(ch_site *site, const ch_actor *admin, const void *json, size_t len);
/* Add or replace a site entry in sites.json. `units` NULL keeps an
 * entry's units (a new entry: the site id); `tls_fingerprint` and
 * `log_key` (the site log's key: R3 then holds every copy of that site's
 * log to it) NULL keep what the entry has. */
int ch_admin_site_set(ch_site *site, const ch_actor *admin, const char *id, const ch_strv *units,
                      const char *tls_fingerprint, const char *log_key);

#endif
