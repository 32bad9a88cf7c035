/* sitelog.h -- the site log (docs/format.md "The site log"; DESIGN.md
 * "The site log (R-rules)").
 *
 * Every ref update a site accepts -- the policy, the spill list, each
 * document and kept conflict -- is appended to refs/chancery/log, a chain of
 * commits signed by the site's own key (not an official's). One commit is
 * one entry; an entry may record several updates (a sync batch):
 *
 *   tree:    site.asc     the site's public key (the same blob in every entry)
 *   parent:  the previous entry (none for the first, seq 1)
 *   message: "log: <site> <seq>", a blank line, then in this order
 *            Chancery-Log-Site: <site>
 *            Chancery-Log-Seq: <seq, 1, 2, ...>
 *            Chancery-Log-Time: <Unix seconds, the site's clock>
 *            and any number of
 *            Chancery-Log-Policy: <old 40 hex | 40 zeros> <new 40 hex>
 *            Chancery-Log-Spills: <old | zeros> <new>
 *            Chancery-Log-Doc: <64 hex: ch_log_commitment(ref, root, head)>
 *            Chancery-Log-Witness: <peer site> <peer seq> <peer log commit>
 *   author and committer: "<site> site log <log@<site>.chancery>" at the
 *   log time; gpgsig: the site key's signature, as for any git commit.
 *
 * A document update is recorded as a commitment, not by name: a site that
 * holds the chain (its root and head) can find it; another learns nothing
 * about documents it may not see. Logs therefore travel to every site.
 * Peers' logs, as verified here, are kept under
 * refs/chancery/peers/<site>/log; a Witness item is this site's
 * countersignature of a peer's log head. */
#ifndef CH_SITELOG_H
#define CH_SITELOG_H

#include <git2.h>
#include <stdint.h>

#include "workflows/site.h"

#define CH_LOG_REF "refs/chancery/log"
#define CH_PEERLOG_PREFIX "refs/chancery/peers/" /* refs/chancery/peers/<site>/log */
#define CH_LOG_KEY_FILE "site.asc"
#define CH_LOG_SIGNER "@site"     /* the "person" a ch_sign_fn is asked to sign as */
#define CH_LOG_MAX_ITEMS 100000   /* items in one entry */
#define CH_LOG_MAX_MESSAGE (16u * 1024 * 1024)
#define CH_LOG_MAX_ENTRIES 10000000
/* Items in a whole log as loaded (about 180 bytes each in memory): a peer's
 * log of highly compressible entries cannot make a site take more than
 * ~700 MiB. A site with more accepted updates than this needs the log read
 * in pieces (not built). */
#define CH_LOG_MAX_TOTAL_ITEMS 4000000
#define CH_LOG_SKEW 300           /* seconds a signer's clock may be ahead of a bound */

typedef enum {
	CH_LOG_POLICY = 1, /* old, new in clear */
	CH_LOG_SPILLS,     /* old, new in clear */
	CH_LOG_DOC,        /* commitment */
	CH_LOG_WITNESS     /* peer, peer_seq, peer_head */
} ch_log_kind;

typedef struct {
	ch_log_kind kind;
	git_oid old_id, new_id;      /* POLICY, SPILLS (old zero: the ref was new) */
	unsigned char commitment[32];/* DOC */
	char peer[65];               /* WITNESS */
	uint64_t peer_seq;
	git_oid peer_head;
} ch_log_item;

typedef struct {
	git_oid id;        /* the log commit */
	uint64_t seq;
	int64_t time;
	ch_log_item *items;
	size_t n;
} ch_log_entry;

/* A whole log, entries in order: v[i].seq == i + 1. */
typedef struct {
	char site[65];
	char key_fpr[41];  /* the primary fingerprint of site.asc */
	git_oid head;
	ch_log_entry *v;
	size_t n;
	void *index;       /* private: commitment -> first seq */
} ch_log;

/* sitelog.c */
/* SHA-256 over "chancery-log-doc 1\n<ref>\n<root hex>\n<head hex>\n". */
void ch_log_commitment(unsigned char out[32], const char *ref, const git_oid *root,
                       const git_oid *head);
/* The root commit of the chain at `head` (first parents). */
int ch_log_chain_root(git_oid *out, git_repository *repo, const git_oid *head);

/* Parse one entry's commit message strictly (bounded; every line known).
 * `site` NULL accepts any site name. CH_EINVALID naming the line. */
int ch_log_parse(ch_log_entry *out, char site[65], const char *msg, size_t len);
void ch_log_entry_dispose(ch_log_entry *e);
/* The message of an entry, as ch_log_parse reads it (canonical: parsing
 * and writing again gives the same bytes). */
void ch_log_message(ch_buf *out, const char *site_id, uint64_t seq, int64_t when,
                    const ch_log_item *items, size_t n);

/* Read and check the log at `head` (ref: CH_LOG_REF or a peer's ref):
 * every entry parsed, seq 1.. without gaps, one site, one parent each
 * (none for seq 1), the tree exactly site.asc and the same in each entry,
 * times never going back, and every entry signed by the key of site.asc
 * (and, when `want_fpr` is not NULL, that key is want_fpr). CH_EINVALID
 * naming the entry and the rule (R2 shape, R3 signature, R4 time) on the
 * first fault; CH_ENOTFOUND when there is no log. */
int ch_log_load(ch_log *out, git_repository *repo, const git_oid *head, const char *want_fpr);
/* The same for a log that arrives extending `kept`, a head of that site's
 * log this site verified whole (ch_log_load) when it stored it under
 * refs/chancery/peers/<site>/log: every entry is still read and held to
 * R2 and R4 (shape, seq, one parent, site.asc the same in all, times) and
 * the first entry's key to want_fpr, but R3 is checked only for `kept`
 * itself and the entries after it (the kept head's signature binds its
 * ancestors, by their ids, to the key that signed it: a kept ref planted
 * by hand on a chain that key never signed is refused). When `kept` is
 * not on the chain at `head` (a fork, another history, a first contact:
 * NULL), every entry's signature is checked, as ch_log_load. `checked`
 * (may be NULL): how many signatures were verified. Never in the
 * verifier, which checks every copy whole. */
int ch_log_load_since(ch_log *out, git_repository *repo, const git_oid *head,
                      const char *want_fpr, const git_oid *kept, size_t *checked);
/* The site's own log at CH_LOG_REF; CH_ENOTFOUND when it has none yet. */
int ch_log_load_ref(ch_log *out, git_repository *repo, const char *ref);
/* The same without checking the entries' signatures (R3), for a log this
 * site verified when it stored it (its own; a peer's under
 * refs/chancery/peers/, stored only after ch_log_load): every entry
 * parsed and the chain's shape and times checked, at a fraction of the
 * cost (one ed25519 verification an entry saved). Never for a log that
 * arrives, nor in the verifier. */
int ch_log_read(ch_log *out, git_repository *repo, const git_oid *head);
int ch_log_read_ref(ch_log *out, git_repository *repo, const char *ref);
void ch_log_dispose(ch_log *log);

/* The first entry (seq) recording this commitment; 0 if none. */
uint64_t ch_log_find_doc(const ch_log *log, const unsigned char commitment[32]);
/* The first entry recording `step` of the document chain at `ref` (the
 * step itself or any later commit of the chain up to `head`): 0 if none. */
uint64_t ch_log_doc_position(const ch_log *log, git_repository *repo, const char *ref,
                             const git_oid *step, const git_oid *head);
/* The first entry whose policy update reaches `policy_commit` (its new head
 * is that commit or a later one): 0 if none. */
uint64_t ch_log_policy_position(const ch_log *log, git_repository *repo,
                                const git_oid *policy_commit);
/* The newest witness of `site`'s log that this log holds: its peer seq and
 * head; 0 if none. */
uint64_t ch_log_witnessed(const ch_log *log, const char *site, git_oid *head);

/* D1 at a log position, the one rule (docs/format.md): the revocation takes
 * effect at entry `rev` of `hq`, the log of the site whose policy revoked.
 * A step is before it when `at` places it in hq at an earlier entry, or in
 * another site's log (found by `find`, loaded and checked) at or before a
 * head of that log hq witnessed at an earlier entry. 1 and *by, *by_seq
 * (the log that shows it, the step's position there) when it is; 0 when
 * not (*by = hq, *by_seq the step's position in hq, 0 if none). */
typedef const ch_log *(*ch_log_find_fn)(const char *site, void *ctx);
typedef uint64_t (*ch_log_step_at_fn)(const ch_log *log, void *ctx);
int ch_log_before_revocation(const ch_log *hq, uint64_t rev, ch_log_find_fn find,
                             ch_log_step_at_fn at, void *ctx, const ch_log **by,
                             uint64_t *by_seq);

/* Whether log head `b` extends `a` (a == b or a is an ancestor of b on
 * the log's chain): 1 yes, 0 no (a fork when neither extends the other). */
int ch_log_extends(git_repository *repo, const git_oid *a, const git_oid *b);

/* Appending. The site's key: created (ed25519, no passphrase: the GnuPG
 * home's permissions protect it) and recorded in site.json as "log_key"
 * on first use, by whoever holds the keystore. */
int ch_log_site_key(ch_keyinfo *out, ch_buf *armored, ch_site *site, int create);
/* Append one entry holding `items` (n >= 1), signed by the site key
 * (through site->sign as CH_LOG_SIGNER when set, else the keystore). The
 * first entry also records every head the site holds. Serialized by the
 * lock of CH_LOG_REF (retried for a while); the entry's objects are
 * durable before the ref moves. n == 0 writes only a first entry. */
int ch_log_append(ch_site *site, const ch_log_item *items, size_t n);
/* The item for a ref update (policy, spills, a document or conflict ref);
 * 0 when the ref is not one the log records (*skip set to 1). */
int ch_log_item_for(ch_log_item *out, int *skip, git_repository *repo, const char *ref,
                    const git_oid *old_id, const git_oid *new_id);
/* ch_log_item_for and ch_log_append for one update. */
int ch_log_record(ch_site *site, const char *ref, const git_oid *old_id, const git_oid *new_id);

/* The key holder's signature of an entry (the signer's, or this process's
 * when it holds the GnuPG home): only a well-formed entry of this site
 * (ch_log_check_payload), and only the next entry of the chain the key
 * has signed (recorded beside the key, SITE/gnupg/chancery-log-head: seq,
 * parent, id), or that last entry again (lost to a crash before it was
 * written): a process that writes the repository cannot make the key sign
 * a second history. CH_EDENIED naming both otherwise. The signature is
 * returned without its final line break. create: make the key if none. */
int ch_log_sign_guarded(ch_buf *sig, ch_site *site, const void *text, size_t len, int create);
/* The id of the commit git_commit_create_with_signature makes of text and
 * sig (as written, without a final line break). */
void ch_log_signed_id(git_oid *out, const char *text, size_t len, const char *sig);

/* A site without a log yet (made before logs): its first entry, every
 * head it holds; *begun says whether it was written. A site with a log is
 * left as it is: every update is entered before its ref moves, so a head
 * the log lacks was moved by hand, R5's to find, never to enter now. */
int ch_log_begin(ch_site *site, int *begun);

/* The signer's check: `text` is the payload of a log entry of `site`
 * (tree and message well formed). */
int ch_log_check_payload(const char *site, const void *text, size_t len);

#endif
