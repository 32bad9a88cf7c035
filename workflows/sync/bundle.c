/* bundle.c -- signed, encrypted sync bundles (bundle.h, docs/sync.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/sync/bundle.h"
#include "workflows/sync/logsync.h"
#include "workflows/sync/peerview.h"
#include "workflows/sync/spillsync.h"
#include "crypto/keystore.h"
#include "crypto/pgp.h"
#include "workflows/json.h"
#include "util/fs.h"
#include "util/text.h"
#include "workflows/store/keyguard.h"
#include "util/common.h"

#define POLICY_REF "refs/heads/policy"
#define DOCS_PREFIX "refs/docs/"
#define MAX_LINE 320 /* "ref " + 40 + " " + 255 and the newline, with room */

/* ---- parsing ---- */

typedef struct {
	const unsigned char *p, *end;
} cursor;

/* The next line, without its '\n', at most MAX_LINE bytes, no NUL. */
static int next_line(const char **line, size_t *len, cursor *c, const char *what)
{
	const unsigned char *nl;
	size_t avail = (size_t)(c->end - c->p);

	nl = memchr(c->p, '\n', avail < MAX_LINE ? avail : MAX_LINE);
	if (!nl)
		return ch_error_setc(CH_EINVALID, "bundle: %s: %s", what,
		                     avail < MAX_LINE ? "truncated" : "line too long");
	if (memchr(c->p, '\0', (size_t)(nl - c->p)))
		return ch_error_setc(CH_EINVALID, "bundle: %s: NUL byte", what);
	*line = (const char *)c->p;
	*len = (size_t)(nl - c->p);
	c->p = nl + 1;
	return 0;
}

/* "<key> <value>": the value, copied NUL-terminated into out. */
static int keyed(char *out, size_t outsz, cursor *c, const char *key)
{
	const char *line;
	size_t len, klen = strlen(key);
	int error;

	if ((error = next_line(&line, &len, c, key)) < 0)
		return error;
	if (len <= klen + 1 || memcmp(line, key, klen) || line[klen] != ' ')
		return ch_error_setc(CH_EINVALID, "bundle: expected the \"%s\" line", key);
	if (len - klen - 1 >= outsz)
		return ch_error_setc(CH_EINVALID, "bundle: \"%s\" is too long", key);
	memcpy(out, line + klen + 1, len - klen - 1);
	out[len - klen - 1] = '\0';
	return 0;
}

/* A decimal number without sign or leading zeros, at most max. */
static int number(unsigned long long *out, const char *s, unsigned long long max, const char *what)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!*p || (p[0] == '0' && p[1]))
		return ch_error_setc(CH_EINVALID, "bundle: %s is not a number", what);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return ch_error_setc(CH_EINVALID, "bundle: %s is not a number", what);
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > max)
			return ch_error_setc(CH_EINVALID, "bundle: %s is over %llu", what, max);
	}
	*out = v;
	return 0;
}

static int oid_lower_hex(git_oid *out, const char *s)
{
	size_t i;

	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return git_oid_fromstrn(out, s, GIT_OID_HEXSZ) < 0 ? -1 : 0;
}

static int valid_ref(const char *name)
{
	char whose[65];

	if (!strcmp(name, POLICY_REF) || !strcmp(name, CH_SPILLS_REF) ||
	    ch_logsync_ref(whose, name, "-"))
		return 1; /* the policy, the spill list, or a site log (logsync.h) */
	return !strncmp(name, DOCS_PREFIX, strlen(DOCS_PREFIX)) &&
	       ch_valid_doc_id(name + strlen(DOCS_PREFIX));
}

static int parse_ref(ch_bundle_ref *r, const char *line, size_t len)
{
	size_t nlen;

	if (len < 4 + GIT_OID_HEXSZ + 2 || memcmp(line, "ref ", 4) || line[4 + GIT_OID_HEXSZ] != ' ')
		return ch_error_setc(CH_EINVALID, "bundle: malformed ref line");
	if (oid_lower_hex(&r->id, line + 4) < 0 || git_oid_is_zero(&r->id))
		return ch_error_setc(CH_EINVALID, "bundle: malformed object id in a ref line");
	nlen = len - 4 - GIT_OID_HEXSZ - 1;
	if (nlen >= sizeof(r->name))
		return ch_error_setc(CH_EINVALID, "bundle: ref name too long");
	memcpy(r->name, line + 4 + GIT_OID_HEXSZ + 1, nlen);
	r->name[nlen] = '\0';
	if (!valid_ref(r->name))
		return ch_error_setc(CH_EINVALID, "bundle: ref %.80s is neither %s, %s nor "
		                     "%s<document id>", r->name, POLICY_REF, CH_SPILLS_REF, DOCS_PREFIX);
	return 0;
}

void ch_bundle_dispose(ch_bundle *b)
{
	free(b->refs);
	memset(b, 0, sizeof(*b));
}

int ch_bundle_parse(ch_bundle *out, const void *data, size_t len)
{
	static const char armor[] = "-----BEGIN PGP SIGNATURE-----";
	cursor c = { data, (const unsigned char *)data + len };
	unsigned long long n;
	char value[64];
	const char *line;
	size_t llen, cap = 0, ml = strlen(CH_BUNDLE_MAGIC);
	int error, policy = 0;

	memset(out, 0, sizeof(*out));
	if (len < ml || memcmp(data, CH_BUNDLE_MAGIC, ml)) {
		error = ch_error_setc(CH_EINVALID, "bundle: not a Chancery bundle of version 1");
		goto done;
	}
	c.p += ml;
	if ((error = keyed(value, sizeof(value), &c, "signature")) < 0 ||
	    (error = number(&n, value, CH_BUNDLE_MAX_SIG, "the signature length")) < 0)
		goto done;
	if (n == 0) {
		error = ch_error_setc(CH_EINVALID, "bundle: it is not signed");
		goto done;
	}
	if (n > (unsigned long long)(c.end - c.p)) {
		error = ch_error_setc(CH_EINVALID, "bundle: truncated in its signature");
		goto done;
	}
	if (n < sizeof(armor) - 1 || memcmp(c.p, armor, sizeof(armor) - 1)) {
		error = ch_error_setc(CH_EINVALID, "bundle: the signature is not an armored "
		                      "OpenPGP signature");
		goto done;
	}
	out->sig = (const char *)c.p;
	out->sig_len = (size_t)n;
	c.p += n;
	out->body = c.p;
	out->body_len = (size_t)(c.end - c.p);
	if ((error = keyed(out->from, sizeof(out->from), &c, "from")) < 0 ||
	    (error = keyed(out->to, sizeof(out->to), &c, "to")) < 0 ||
	    (error = keyed(out->signer, sizeof(out->signer), &c, "signer")) < 0 ||
	    (error = keyed(value, sizeof(value), &c, "created")) < 0 ||
	    (error = number(&n, value, 100000000000ull, "the creation time")) < 0)
		goto done;
	out->created = (long long)n;
	if (!ch_valid_name(out->from) || !ch_valid_name(out->to) || !ch_valid_person_id(out->signer)) {
		error = ch_error_setc(CH_EINVALID, "bundle: malformed site or person id");
		goto done;
	}
	for (;;) {
		if ((error = next_line(&line, &llen, &c, "ref or pack")) < 0)
			goto done;
		if (llen > 5 && !memcmp(line, "pack ", 5))
			break;
		if (out->nrefs >= CH_BUNDLE_MAX_REFS) {
			error = ch_error_setc(CH_EINVALID, "bundle: more than %u refs",
			                      CH_BUNDLE_MAX_REFS);
			goto done;
		}
		if (out->nrefs == cap) {
			cap = cap ? cap * 2 : 16;
			out->refs = ch_realloc(out->refs, cap * sizeof(*out->refs));
		}
		if ((error = parse_ref(&out->refs[out->nrefs], line, llen)) < 0)
			goto done;
		if (out->nrefs && strcmp(out->refs[out->nrefs - 1].name, out->refs[out->nrefs].name) >= 0) {
			error = ch_error_setc(CH_EINVALID, "bundle: refs out of order or repeated (%.80s)",
			                      out->refs[out->nrefs].name);
			goto done;
		}
		policy |= !strcmp(out->refs[out->nrefs].name, POLICY_REF);
		out->nrefs++;
	}
	if (!policy) {
		error = ch_error_setc(CH_EINVALID, "bundle: no %s ref", POLICY_REF);
		goto done;
	}
	if (llen - 5 >= sizeof(value)) {
		error = ch_error_setc(CH_EINVALID, "bundle: malformed pack length");
		goto done;
	}
	memcpy(value, line + 5, llen - 5);
	value[llen - 5] = '\0';
	if ((error = number(&n, value, CH_BUNDLE_MAX_PACK, "the pack length")) < 0)
		goto done;
	if (n != (unsigned long long)(c.end - c.p)) {
		error = ch_error_setc(CH_EINVALID, "bundle: the pack is %llu bytes but %zu follow "
		                      "(truncated or padded)", n, (size_t)(c.end - c.p));
		goto done;
	}
	if (n < 32 || memcmp(c.p, "PACK\0\0\0\2", 8)) {
		error = ch_error_setc(CH_EINVALID, "bundle: the pack is not a git pack of version 2");
		goto done;
	}
	out->pack = c.p;
	out->pack_len = (size_t)n;
done:
	if (error < 0) {
		free(out->refs);
		memset(out, 0, sizeof(*out));
	}
	return error;
}

/* ---- creating ---- */

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return ch_error_setc(CH_EIO, "%s: %s", what, e && e->message ? e->message : "libgit2 failed");
}

static int pack_chunk(void *buf, size_t size, void *payload)
{
	ch_buf *out = payload;

	if (size > CH_BUNDLE_MAX_PACK || out->size > CH_BUNDLE_MAX_PACK - size)
		return -1;
	ch_buf_put(out, buf, size);
	return 0;
}

static int build_pack(ch_buf *out, git_repository *repo, const ch_view *v, const git_oid *have,
                      size_t nhave)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	size_t i;
	int error = 0;

	if (git_packbuilder_new(&pb, repo) < 0 || git_revwalk_new(&walk, repo) < 0) {
		error = git_fail("cannot build the pack");
		goto done;
	}
	for (i = 0; i < v->nrefs; i++)
		if (git_revwalk_push(walk, &v->refs[i].id) < 0) {
			error = git_fail("cannot walk the repository");
			goto done;
		}
	/* what the peer holds, if it is here and the peer may see it (the
	 * walk never reads anything else), is left out with all it reaches */
	for (i = 0; i < nhave; i++)
		if (ch_view_has_commit(v, &have[i]) && git_revwalk_hide(walk, &have[i]) < 0) {
			error = git_fail("cannot walk the repository");
			goto done;
		}
	if (git_packbuilder_insert_walk(pb, walk) < 0) {
		error = git_fail("cannot build the pack");
		goto done;
	}
	if (git_packbuilder_foreach(pb, pack_chunk, out) < 0) {
		error = out->size > CH_BUNDLE_MAX_PACK / 2 ?
		        ch_error_setc(CH_EINVALID, "the pack would be over %u bytes: too large "
		                      "for one bundle", CH_BUNDLE_MAX_PACK) :
		        git_fail("cannot build the pack");
		goto done;
	}
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return error;
}

/* The people who can open a bundle for `peer`: their public keys. */
static int recipients(ch_seal_recipient **out, size_t *n, const ch_policy *pol,
                      const ch_site_entry *peer)
{
	ch_buf path = CH_BUF_INIT;
	const ch_buf *key;
	size_t i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < pol->npeople; i++) {
		const ch_person *p = &pol->people[i];

		if (p->revoked || !ch_view_unit_in_site(peer, p->unit))
			continue;
		ch_buf_clear(&path);
		ch_buf_printf(&path, "policy/keys/%s.asc", p->id);
		if (!(key = ch_fileset_get(&pol->files, path.ptr)))
			continue;
		*out = ch_realloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].owner = p->id;
		(*out)[*n].key = key->ptr;
		(*out)[*n].len = key->size;
		(*n)++;
	}
	ch_buf_dispose(&path);
	if (*n == 0)
		return ch_error_setc(CH_EDENIED, "site %s has no person in the current policy who is "
		                     "not revoked (no one to encrypt the bundle to): add its officials "
		                     "first", peer->id);
	return 0;
}

static int sign_body(ch_buf *sig, ch_site *site, const ch_actor *who, const void *body,
                     size_t len)
{
	ch_keystore *ks = NULL;
	ch_keyinfo key;
	int error;

	if ((error = ch_site_signer(&key, site, who->actor)) < 0)
		return error;
	if (site->sign)
		error = site->sign(sig, who->actor, &key, who->passphrase, body, len, site->sign_ctx);
	else if ((error = ch_site_keystore(&ks, site)) == 0)
		error = ch_keyguard_sign(sig, site, who->actor, &key, who->passphrase, body, len);
	if (error == CH_EAUTH)
		ch_error_setc(CH_EAUTH, "wrong signing passphrase for %s; no bundle was written",
		              who->actor);
	return error;
}

/* A person of the current policy, not revoked, whose unit belongs to site. */
static int person_of_site(const ch_person **out, const ch_policy *pol, const char *id,
                          const char *site_id, const char *as_what)
{
	const ch_site_entry *s = ch_policy_site(pol, site_id);
	const ch_person *p = ch_policy_person(pol, id);

	*out = NULL;
	if (!p)
		return ch_error_setc(CH_EDENIED, "%s %s is not a person of the current policy",
		                     as_what, id);
	if (p->revoked)
		return ch_error_setc(CH_EDENIED, "%s %s is revoked", as_what, id);
	if (!s)
		return ch_error_setc(CH_EDENIED, "site %s is not in the current policy's sites.json",
		                     site_id);
	if (!ch_view_unit_in_site(s, p->unit))
		return ch_error_setc(CH_EDENIED, "%s %s (unit %s) is not a person of site %s",
		                     as_what, id, p->unit ? p->unit : "none", site_id);
	*out = p;
	return 0;
}

int ch_bundle_read_checkpoint(git_oid **have, size_t *nhave, const char *path)
{
	ch_buf text = CH_BUF_INIT;
	json_t *root = NULL, *refs, *val;
	const char *ref;
	int error;

	*have = NULL;
	*nhave = 0;
	if ((error = ch_fs_read(&text, path, CH_BUNDLE_MAX_CHECKPOINT)) < 0 ||
	    (error = ch_json_parse(&root, text.ptr, text.size, CH_BUNDLE_MAX_CHECKPOINT, path)) < 0)
		goto done;
	if (!json_is_object(refs = json_object_get(root, "refs")) ||
	    json_integer_value(json_object_get(root, "version")) != 1) {
		error = ch_error_setc(CH_EINVALID, "%s: not a checkpoint file (version 1, refs)", path);
		goto done;
	}
	if (json_object_size(refs) > CH_BUNDLE_MAX_REFS) {
		error = ch_error_setc(CH_EINVALID, "%s: more than %u refs", path, CH_BUNDLE_MAX_REFS);
		goto done;
	}
	*have = ch_calloc(json_object_size(refs) + 1, sizeof(**have));
	json_object_foreach(refs, ref, val) {
		if (!json_is_string(val) || !ch_valid_oid_hex(json_string_value(val)) ||
		    git_oid_fromstr(&(*have)[*nhave], json_string_value(val)) < 0) {
			error = ch_error_setc(CH_EINVALID, "%s: %.80s: not an object id", path, ref);
			goto done;
		}
		(*nhave)++;
	}
done:
	json_decref(root);
	ch_buf_dispose(&text);
	if (error < 0) {
		free(*have);
		*have = NULL;
		*nhave = 0;
	}
	return error;
}

int ch_bundle_create(ch_buf *out, size_t *nrefs_out, ch_site *site, const char *peer,
                     const ch_actor *who, const git_oid *have, size_t nhave)
{
	ch_buf body = CH_BUF_INIT, pack = CH_BUF_INIT, sig = CH_BUF_INIT, plain = CH_BUF_INIT;
	ch_seal_recipient *to = NULL;
	const ch_policy *pol;
	const ch_site_entry *peer_entry;
	const ch_person *signer;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid head;
	ch_view v;
	size_t i, nto = 0;
	int error;

	memset(&v, 0, sizeof(v));
	*nrefs_out = 0;
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		goto done;
	if (!ch_valid_name(peer) || !(peer_entry = ch_policy_site(pol, peer))) {
		error = ch_error_setc(CH_ENOTFOUND, "site %s is not in the current policy's "
		                      "sites.json", peer);
		goto done;
	}
	if (!strcmp(peer, site->site_id)) {
		error = ch_error_setc(CH_EINVALID, "a bundle for this site itself makes no sense");
		goto done;
	}
	if ((error = person_of_site(&signer, pol, who->actor, site->site_id, "signer")) < 0 ||
	    (error = recipients(&to, &nto, pol, peer_entry)) < 0 ||
	    (error = ch_view_visible(&v, site, pol, peer, nhave ? CH_VIEW_COMMITS : 0)) < 0 ||
	    (error = build_pack(&pack, site->repo, &v, have, nhave)) < 0)
		goto done;
	ch_buf_printf(&body, "from %s\nto %s\nsigner %s\ncreated %lld\n", site->site_id, peer,
	              who->actor, (long long)time(NULL));
	for (i = 0; i < v.nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &v.refs[i].id);
		ch_buf_printf(&body, "ref %s %s\n", hex, v.refs[i].name);
	}
	ch_buf_printf(&body, "pack %zu\n", pack.size);
	ch_buf_put(&body, pack.ptr, pack.size);
	if ((error = sign_body(&sig, site, who, body.ptr, body.size)) < 0)
		goto done;
	ch_buf_printf(&plain, "%ssignature %zu\n", CH_BUNDLE_MAGIC, sig.size);
	ch_buf_put(&plain, sig.ptr, sig.size);
	ch_buf_put(&plain, body.ptr, body.size);
	if ((error = ch_seal_encrypt(out, to, nto, plain.ptr, plain.size)) < 0)
		goto done;
	*nrefs_out = v.nrefs;
done:
	ch_view_dispose(&v);
	free(to);
	ch_buf_dispose_secret(&body);
	ch_buf_dispose_secret(&pack);
	ch_buf_dispose_secret(&plain);
	ch_buf_dispose(&sig);
	return error;
}

/* ---- applying ---- */

/* The site logs a bundle carries (logsync.h): taken as a pull takes them. */
static int apply_logs(const ch_bundle *b, ch_site *site, ch_quarantine *q, size_t *nlogs,
                      ch_strv *forks)
{
	ch_logsync_result lr;
	ch_logsync_in *in = ch_calloc(b->nrefs + 1, sizeof(*in));
	git_repository *repo = NULL;
	size_t i, n = 0;
	int error = 0;

	memset(&lr, 0, sizeof(lr));
	for (i = 0; i < b->nrefs; i++)
		if (ch_logsync_ref(in[n].site, b->refs[i].name, b->from))
			git_oid_cpy(&in[n++].head, &b->refs[i].id);
	*nlogs = n;
	if (!n)
		goto done;
	if (git_repository_open_bare(&repo, ch_quarantine_path(q)) < 0) {
		error = git_fail("cannot open the quarantine");
		goto done;
	}
	if ((error = ch_logsync_take(&lr, site, repo, b->from, "bundle", in, n, 1)) < 0)
		goto done;
	for (i = 0; i < lr.lines.n; i++)
		ch_strv_push(forks, lr.lines.v[i]);
done:
	git_repository_free(repo);
	ch_logsync_result_dispose(&lr);
	free(in);
	return error;
}

/* The bundle's spill list (if any), taken after its policy and before its
 * documents (workflows/sync/spillsync.h); its result joins the others. */
static int take_spills(ch_qresult *res, size_t *nres, ch_site *site, ch_quarantine *q,
                       const ch_bundle *b)
{
	ch_spillsync s;
	size_t i;
	int error = 0;

	for (i = 0; i < b->nrefs; i++)
		if (!strcmp(b->refs[i].name, CH_SPILLS_REF))
			break;
	if (i == b->nrefs)
		return 0;
	error = ch_spillsync_take(&s, site, q, &b->refs[i].id, b->from, "bundle");
	if (s.present) {
		ch_spillsync_qresult(&res[*nres], &s);
		(*nres)++;
	}
	ch_spillsync_dispose(&s);
	return error;
}

int ch_bundle_apply(ch_qresult **results, size_t *nres, char *from_out, ch_site *site,
                    const void *file, size_t len, const char *passphrase)
{
	ch_buf plain = CH_BUF_INIT;
	ch_quarantine *q = NULL;
	ch_qupdate *u = NULL;
	ch_qresult *all = NULL, *part = NULL;
	ch_pgp_verify_result vr;
	ch_keystore *ks = NULL;
	const ch_policy *pol;
	const ch_person *signer;
	ch_bundle b;
	git_oid head;
	ch_strv forks = CH_STRV_INIT;
	size_t i, k, n, done_n = 0, nlogs = 0;
	int error, parsed = 0;

	*results = NULL;
	*nres = 0;
	memset(&b, 0, sizeof(b));
	if (len > CH_BUNDLE_MAX_FILE) {
		error = ch_error_setc(CH_EINVALID, "bundle: larger than %zu bytes",
		                      (size_t)CH_BUNDLE_MAX_FILE);
		goto done;
	}
	if ((error = ch_site_keystore(&ks, site)) < 0)
		goto done;
	if ((error = ch_keystore_decrypt(&plain, ks, passphrase, file, len, CH_BUNDLE_MAX_PLAIN)) < 0) {
		ch_error_prefix("bundle: ");
		goto done;
	}
	if ((error = ch_bundle_parse(&b, plain.ptr, plain.size)) < 0)
		goto done;
	parsed = 1;
	if (strcmp(b.to, site->site_id)) {
		error = ch_error_setc(CH_EDENIED, "bundle: addressed to site %s, and this site is %s",
		                      b.to, site->site_id);
		goto done;
	}
	if (!strcmp(b.from, site->site_id)) {
		error = ch_error_setc(CH_EDENIED, "bundle: made by this site itself");
		goto done;
	}
	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		goto done;
	if ((error = ch_pgp_verify(&vr, pol->keyring, b.body, b.body_len, b.sig, b.sig_len)) < 0) {
		ch_error_prefix("bundle: the signature does not verify against the current policy's "
		                "keys: ");
		if (error != CH_EIO)
			error = CH_EDENIED;
		goto done;
	}
	if (!vr.owner || strcmp(vr.owner, b.signer)) {
		error = ch_error_setc(CH_EDENIED, "bundle: signed by %s, but it names %s as its "
		                      "signer", vr.owner ? vr.owner : "an unknown key", b.signer);
		goto done;
	}
	if ((error = person_of_site(&signer, pol, b.signer, b.from, "bundle: signer")) < 0)
		goto done;
	if ((error = ch_quarantine_open(&q, site, b.from, "bundle")) < 0)
		goto done;
	if ((error = ch_quarantine_add_pack(q, b.pack, b.pack_len)) < 0) {
		ch_error_prefix("bundle: ");
		goto done;
	}
	/* the site logs first (D1 at a log position reads them), witnessing
	 * the sender's; a fork is a refused result */
	if ((error = apply_logs(&b, site, q, &nlogs, &forks)) < 0)
		goto done;
	/* the policy first (refs are sorted: refs/docs/ < refs/heads/), alone,
	 * then the spill list, so that documents are judged against both as
	 * they will stand; the spill list and the logs are not quarantine
	 * updates */
	u = ch_calloc(b.nrefs, sizeof(*u));
	for (i = 0, k = 1; i < b.nrefs; i++) {
		char whose[65];
		ch_qupdate *x;

		if (!strcmp(b.refs[i].name, CH_SPILLS_REF) || ch_logsync_ref(whose, b.refs[i].name, b.from))
			continue;
		x = !strcmp(b.refs[i].name, POLICY_REF) ? &u[0] : &u[k++];
		memcpy(x->ref, b.refs[i].name, sizeof(x->ref));
		git_oid_cpy(&x->new_id, &b.refs[i].id);
	}
	all = ch_calloc(b.nrefs + forks.n + 1, sizeof(*all));
	for (i = 0; i < k; i += n) {
		n = i == 0 ? 1 : k - i > CH_Q_MAX_UPDATES ? CH_Q_MAX_UPDATES : k - i;
		if ((error = ch_quarantine_apply(q, u + i, n, 0, &part)) < 0)
			goto done;
		memcpy(all + done_n, part, n * sizeof(*part));
		free(part); /* the messages now belong to all */
		part = NULL;
		done_n += n;
		if (i == 0 && (error = take_spills(all, &done_n, site, q, &b)) < 0)
			goto done;
	}
	for (i = 0; i < forks.n; i++, done_n++) {
		snprintf(all[done_n].ref, sizeof(all[done_n].ref), "%s", CH_LOG_REF);
		all[done_n].status = CH_Q_REFUSED;
		snprintf(all[done_n].rule, sizeof(all[done_n].rule), "R6");
		all[done_n].message = ch_strdup(forks.v[i]);
	}
	if (from_out)
		snprintf(from_out, 128, "%s", b.from);
	*results = all;
	*nres = done_n;
	all = NULL;
done:
	ch_strv_free(&forks);
	if (all)
		ch_qresults_free(all, done_n);
	free(u);
	ch_quarantine_free(q);
	if (parsed)
		ch_bundle_dispose(&b);
	ch_buf_dispose_secret(&plain);
	return error;
}
