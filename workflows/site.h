/* site.h -- a Chancery site on disk.
 *
 *   SITE/repo.git    the bare repository (DESIGN.md "Repository format")
 *   SITE/gnupg/      the site's own GnuPG home (mode 0700): secret keys
 *   SITE/site.json   local configuration: site id, tier, and which key in
 *                    the GnuPG home signs for which person (keygrips, so
 *                    signing needs no key listing)
 *
 * Every write goes through libgit2 with fsync (GIT_OPT_ENABLE_FSYNC_GITDIR):
 * objects are durable before a ref moves, and refs move only by
 * compare-and-swap under git's own lock (commit.h). */
#ifndef CH_SITE_H
#define CH_SITE_H

#include <git2.h>
#include <jansson.h>

#include "crypto/keystore.h"
#include "workflows/policy.h"

#define CH_SITE_CONFIG_MAX (4 * 1024 * 1024)

typedef struct ch_site ch_site;

/* Who signs: by default the site's own keystore (the command line); the
 * server's network process sets a function that asks its signer process,
 * which alone can open the GnuPG home. */
typedef int (*ch_sign_fn)(ch_buf *sig, const char *person, const ch_keyinfo *key,
                          const char *passphrase, const void *payload, size_t len, void *ctx);
/* Likewise for creating a person's key: the signer process creates it,
 * records it in site.json, and returns the public part. */
typedef int (*ch_keygen_fn)(ch_keyinfo *key, ch_buf *armored, const char *person,
                            const char *name, const char *email, const char *algo,
                            const char *passphrase, void *ctx);

/* Likewise for changing the passphrase of a person's server-held key
 * (workflows/store/keyguard.h counts a wrong old one). */
typedef int (*ch_passwd_fn)(const char *person, const char *old_pass, const char *new_pass,
                            void *ctx);

typedef struct {
	git_oid id;
	ch_policy *policy;
} ch_policy_cache_entry;

struct ch_site {
	char *path, *repo_path, *gnupg_path, *config_path;
	char *site_id, *tier;
	git_repository *repo;
	ch_keystore *ks;     /* opened on first use */
	ch_sign_fn sign;     /* NULL: sign with ks */
	ch_keygen_fn keygen; /* NULL: create keys in ks */
	ch_passwd_fn passwd; /* NULL: change passphrases in ks */
	void *sign_ctx;      /* for both */
	json_t *config;
	ch_policy_cache_entry *policies;
	size_t npolicies;
	int write_fd;        /* SITE/state/write.lock, opened on first write; -1 */
	unsigned write_depth; /* nested ch_site_write_lock holds */
	/* The signer (server/signer.c) cannot write state/: the key guard
	 * leaves its security event's rule here for it to relay instead. */
	int relay_events;
	const char *key_event; /* "wrong-passphrase", "key-locked" or NULL */
};

/* site.c */
/* Process-wide library set-up (libgit2, libgcrypt, GPGME, fsync on). */
int ch_lib_init(void);
/* Create SITE/ with an empty bare repository and GnuPG home. Refuses an
 * existing non-empty directory. */
int ch_site_create(ch_site **out, const char *path, const char *site_id, const char *tier);
/* Open an existing site. CH_ENOTFOUND names what is missing. */
int ch_site_open(ch_site **out, const char *path);
/* site.json and the GnuPG home only, never the repository (site->repo is
 * NULL): chanceryd's signer, which must not read a tree the network
 * process writes. */
int ch_site_open_keys(ch_site **out, const char *path);
void ch_site_free(ch_site *site);
/* Read site.json again (people added since the site was opened). */
int ch_site_reload_config(ch_site *site);
/* Borrowed, opened on first use. */
int ch_site_keystore(ch_keystore **out, ch_site *site);
/* The local key that signs for `person`; CH_ENOTFOUND if none here. */
int ch_site_signer(ch_keyinfo *out, ch_site *site, const char *person);
/* The site log's public key (sitelog.h), armored, kept in site.json so
 * that a process without the GnuPG home can write the log's first entry;
 * NULL when none yet. */
int ch_site_set_log_public(ch_site *site, const char *armored);
const char *ch_site_log_public(const ch_site *site);
/* The site the log key was made for (a copied site directory holds
 * another site's); NULL when site.json does not say. */
int ch_site_set_log_key_site(ch_site *site);
const char *ch_site_log_key_site(const ch_site *site);
int ch_site_set_signer(ch_site *site, const char *person, const ch_keyinfo *key);
/* The site's write lock, SITE/state/write.lock (flock). Every write to
 * repo.git holds it SHARED for its whole length (ch_commit_signed: ref lock,
 * objects, ref move; a spill's purge), so writers never wait for one
 * another here; `chancery recover` takes it EXCLUSIVE (workflows/store/recover.h),
 * and so knows that a <ref>.lock or temporary file it finds was left by a
 * writer that died. A writer waits for a running recovery at most
 * CH_WRITE_LOCK_WAIT_MS, then CH_ECONFLICT. Holds nest (a count). */
#define CH_WRITE_LOCK_WAIT_MS 30000
int ch_site_write_lock(ch_site *site);
void ch_site_write_unlock(ch_site *site);
/* SITE/state/write.lock opened (created if need be, with SITE/state/). */
int ch_site_write_lock_fd(ch_site *site);

/* Record the tier read from the signed repository.json (a site that
 * joined another's policy chain learns it only then): site.json and the
 * git config key chancery.tier. */
int ch_site_set_tier(ch_site *site, const char *tier);
/* The head of refs/heads/policy. CH_ENOTFOUND if there is none. */
int ch_site_policy_head(git_oid *out, ch_site *site);
/* The parsed policy at a commit (cached for the life of the site; borrowed). */
int ch_site_policy(const ch_policy **out, ch_site *site, const git_oid *commit);

#endif
