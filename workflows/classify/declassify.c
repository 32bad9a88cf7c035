/* declassify.c -- the signed declassification bundle: export on the
 * offline tier, verify, gate and import on the networked one. */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/classify/declassify.h"
#include "workflows/classify/gate.h"
#include "workflows/json.h"
#include "workflows/classify/spill.h"
#include "workflows/classify/stamp.h"
#include "util/text.h"
#include "workflows/store/keyguard.h"
#include "util/common.h"

static const char kind[] = "chancery-declassification";

/* The current policy and the person in it who holds `role`. */
static int person_with_role(const ch_policy **pol, const ch_person **p, ch_site *site,
                            const char *id, const char *role)
{
	git_oid head;
	int error;

	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(pol, site, &head)) < 0)
		return error;
	*p = id ? ch_policy_person(*pol, id) : NULL;
	if (!*p || (*p)->revoked || !ch_person_has_role(*p, role))
		return ch_error_setc(CH_EDENIED, "%.64s is not a %s of site %s", id ? id : "(none)",
		                     role, site->site_id);
	return 0;
}

/* The stamp scanner's own rule says whether a reference holds a decision
 * number: "GIẢI MẬT" followed by it passes only then. */
static int check_reference(const char *ref)
{
	ch_buf probe = CH_BUF_INIT;
	ch_stamp_result r;
	int error = 0;

	if (!ref || !ch_valid_line(ref, 200))
		return ch_error_setc(CH_EINVALID, "--reference is required: the declassification "
		                     "decision, one line (\"Quyết định giải mật số 12/QĐ-BNG\")");
	ch_buf_printf(&probe, "GIẢI MẬT\n%s\n", ref);
	if (ch_stamp_scan_text(&r, probe.ptr, probe.size, CH_STAMP_IN_BODY) < 0 ||
	    r.level != CH_STAMP_NONE)
		error = ch_error_setc(CH_EINVALID, "the reference names no decision number (like "
		                      "12/QĐ-BNG or 12/2026/QĐ-BNG)");
	ch_buf_dispose(&probe);
	return error;
}

/* What is released must carry no level marking any more. */
static int check_released(const char *title, const void *text, size_t len)
{
	ch_stamp_result r;

	if (ch_stamp_scan_text(&r, title, strlen(title), CH_STAMP_IN_TITLE) == 0 &&
	    r.level >= CH_STAMP_CONFIDENTIAL)
		return ch_error_setc(CH_EINVALID, "the title still carries a %s marking: the "
		                     "networked tier would refuse it", ch_stamp_level_name(r.level));
	if (ch_stamp_scan_file(&r, NULL, text, len) == 0 && r.level != CH_STAMP_NONE)
		return ch_error_setc(CH_EINVALID, "the text still carries a marking (%s, rule %s, line "
		                     "%zu): give the released text with the marking removed "
		                     "(--file)", ch_stamp_level_name(r.level), r.rule, r.line);
	return 0;
}

static json_t *payload_json(ch_site *site, const ch_doc *doc, const ch_declassify_req *req,
                            const char *who, const void *text, size_t len)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	                 "s:s%}", "version", 1, "kind", kind, "source_site", site->site_id,
	                 "source_doc", doc->id, "source_head", git_oid_tostr_s(&doc->head),
	                 "source_classification", doc->meta.classification, "classification",
	                 "unclassified", "declassifier", who, "reference", req->reference, "at",
	                 when, "title", doc->meta.title, "type", doc->meta.type, "urgency",
	                 doc->meta.urgency, "number", doc->meta.number, "text", (const char *)text,
	                 len);
}

static int sign_payload(ch_buf *sig, ch_site *site, const ch_person *p, const char *pass,
                        const char *payload)
{
	ch_keystore *ks;
	ch_keyinfo key;
	int error;

	if ((error = ch_site_signer(&key, site, p->id)) < 0 ||
	    (error = ch_site_keystore(&ks, site)) < 0)
		return error;
	if (!ch_person_key_find(p, key.fpr) || ch_person_key_find(p, key.fpr)->revoked)
		return ch_error_setc(CH_EDENIED, "the local key of %s is not a key the policy names",
		                     p->id);
	error = ch_keyguard_sign(sig, site, p->id, &key, pass, payload, strlen(payload));
	if (error == CH_EAUTH)
		ch_error_setc(CH_EAUTH, "wrong signing passphrase for %s; nothing was written", p->id);
	return error;
}

int ch_declassify_export(ch_buf *out, ch_site *site, const ch_declassify_req *req,
                         const ch_actor *declassifier)
{
	const ch_policy *pol;
	const ch_person *p;
	const ch_buf *text;
	ch_buf sig = CH_BUF_INIT;
	ch_doc *doc = NULL;
	json_t *payload = NULL, *bundle = NULL;
	char *ptext = NULL, *btext = NULL;
	const void *released;
	size_t rlen;
	int error;

	if ((error = person_with_role(&pol, &p, site, declassifier->actor, "declassifier")) < 0 ||
	    (error = check_reference(req->reference)) < 0 ||
	    (error = ch_doc_load(&doc, site, req->doc)) < 0)
		goto done;
	if (strcmp(pol->tier, "offline")) {
		error = ch_error_setc(CH_EINVALID, "site %s is on the %s tier: declassification "
		                      "starts on the offline tier", site->site_id, pol->tier);
		goto done;
	}
	text = ch_fileset_get(&doc->files, "document.md");
	released = req->text ? req->text : (text ? text->ptr : "");
	rlen = req->text ? req->text_len : (text ? text->size : 0);
	if (!ch_utf8_valid(released, rlen) || memchr(released, 0, rlen)) {
		error = ch_error_setc(CH_EINVALID, "the released text is not UTF-8 text");
		goto done;
	}
	if ((error = check_released(doc->meta.title, released, rlen)) < 0)
		goto done;
	payload = payload_json(site, doc, req, p->id, released, rlen);
	ptext = ch_json_dump(payload);
	if ((error = sign_payload(&sig, site, p, declassifier->passphrase, ptext)) < 0)
		goto done;
	bundle = json_pack("{s:i, s:s, s:s}", "version", 1, "payload", ptext, "signature", sig.ptr);
	btext = ch_json_dump(bundle);
	ch_buf_puts(out, btext);
	ch_buf_putc(out, '\n');
done:
	free(btext);
	free(ptext);
	json_decref(bundle);
	json_decref(payload);
	ch_buf_dispose(&sig);
	ch_doc_free(doc);
	return error;
}

/* ---- import ---- */

typedef struct {
	json_t *root, *payload;
	const char *ptext, *sig;
} bundle;

static int bundle_parse(bundle *b, const void *data, size_t len)
{
	static const char *const keys[] = { "version", "payload", "signature", NULL };
	long version;
	int error;

	memset(b, 0, sizeof(*b));
	if (len > CH_DECLASSIFY_MAX)
		return ch_error_setc(CH_EINVALID, "the bundle is larger than %u bytes",
		                     CH_DECLASSIFY_MAX);
	if ((error = ch_json_parse(&b->root, data, len, CH_DECLASSIFY_MAX, "the bundle")) < 0 ||
	    (error = ch_json_only_keys(b->root, keys, "the bundle", "")) < 0 ||
	    (error = ch_json_int(&version, b->root, "version", 1, 0, 1, 1, "the bundle", "")) < 0 ||
	    (error = ch_json_str(&b->ptext, b->root, "payload", 1, NULL, "the bundle", "")) < 0 ||
	    (error = ch_json_str(&b->sig, b->root, "signature", 1, NULL, "the bundle", "")) < 0)
		return error;
	if ((error = ch_json_parse(&b->payload, b->ptext, strlen(b->ptext), CH_DECLASSIFY_MAX,
	                           "the bundle's payload")) < 0)
		return error;
	if (!json_is_object(b->payload) ||
	    strcmp(json_string_value(json_object_get(b->payload, "kind")) ?
	           json_string_value(json_object_get(b->payload, "kind")) : "", kind) ||
	    json_integer_value(json_object_get(b->payload, "version")) != 1)
		return ch_error_setc(CH_EINVALID, "not a Chancery declassification bundle (version 1)");
	return 0;
}

static void bundle_dispose(bundle *b)
{
	json_decref(b->payload);
	json_decref(b->root);
}

static const char *pstr(const bundle *b, const char *key)
{
	const char *s = json_string_value(json_object_get(b->payload, key));

	return s ? s : "";
}

/* The declassifier named in the payload signed it, with the key the
 * networked policy gives them, and holds the role there. */
static int check_signature(const bundle *b, ch_site *site, char who[65])
{
	const ch_policy *pol;
	const ch_person *p;
	ch_pgp_verify_result res;
	const char *id = pstr(b, "declassifier");
	int error;

	snprintf(who, 65, "%s", id);
	if (!ch_valid_person_id(id))
		return ch_error_setc(CH_EINVALID, "the bundle names no valid declassifier");
	if ((error = person_with_role(&pol, &p, site, id, "declassifier")) < 0) {
		ch_error_prefix("refused: ");
		return error;
	}
	if ((error = ch_pgp_verify(&res, pol->keyring, b->ptext, strlen(b->ptext), b->sig,
	                           strlen(b->sig))) < 0) {
		ch_error_prefix("refused: the bundle's signature does not verify with the keys of "
		                "site %s: ", site->site_id);
		return error == CH_ENOTFOUND ? CH_EDENIED : error;
	}
	if (ch_policy_key_ok(pol, p, res.primary_fpr) < 0)
		return ch_error_setc(CH_EDENIED, "refused: the bundle is signed by key %s, not by a "
		                     "key of declassifier %s that may sign: %s", res.primary_fpr, id,
		                     ch_error_last());
	if (strcmp(pstr(b, "classification"), "unclassified"))
		return ch_error_setc(CH_ECLASSIFIED, "refused: the bundle does not declassify to "
		                     "unclassified");
	return check_reference(pstr(b, "reference"));
}

static int gate_reference(ch_site *site, const bundle *b, const ch_actor *drafter)
{
	const ch_policy *pol;
	ch_gate_item item;
	git_oid head;
	int error;

	if ((error = ch_site_policy_head(&head, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &head)) < 0)
		return error;
	memset(&item, 0, sizeof(item));
	item.door = drafter->door;
	item.person = drafter->actor;
	item.title = pstr(b, "reference");
	return ch_gate_check(site, pol, &item);
}

/* The id a bundle is imported under: one per source version (site,
 * document, head), so the same release imported twice, from the same file
 * or a re-signed one, finds the first document instead of making another. */
static void import_id(ch_buf *out, const bundle *b)
{
	unsigned char md[32];
	ch_buf key = CH_BUF_INIT;
	size_t i;

	ch_buf_puts(&key, pstr(b, "source_site"));
	ch_buf_putc(&key, '\n');
	ch_buf_puts(&key, pstr(b, "source_doc"));
	ch_buf_putc(&key, '\n');
	ch_buf_puts(&key, pstr(b, "source_head"));
	gcry_md_hash_buffer(GCRY_MD_SHA256, md, key.ptr, key.size);
	ch_buf_clear(out);
	ch_buf_printf(out, "%.40s-decl-", ch_valid_name(pstr(b, "type")) ? pstr(b, "type") : "doc");
	for (i = 0; i < 8; i++)
		ch_buf_printf(out, "%02x", md[i]);
	ch_buf_dispose(&key);
}

static int already_imported(ch_site *site, const char *id)
{
	ch_spill_list spills;
	ch_buf ref = CH_BUF_INIT;
	git_oid head;
	int found, spilled = 0;

	ch_buf_printf(&ref, "refs/docs/%s", id);
	found = git_reference_name_to_id(&head, site->repo, ref.ptr) == 0;
	ch_buf_dispose(&ref);
	if (!found && ch_spill_list_load(&spills, site->repo) == 0) {
		spilled = ch_spill_find(&spills, id) != NULL;
		ch_spill_list_dispose(&spills);
	}
	if (found)
		return ch_error_setc(CH_EINVALID, "refused: this declassification (that version of "
		                     "the offline document) was already imported as document %s; "
		                     "nothing was recorded", id);
	if (spilled)
		return ch_error_setc(CH_EINVALID, "refused: this declassification was imported as "
		                     "document %s, which was withdrawn for spillage: it does not come "
		                     "back; nothing was recorded", id);
	return 0;
}

int ch_declassify_import(ch_buf *id_out, char who[65], ch_site *site, const void *data,
                         size_t len, const ch_actor *drafter)
{
	ch_buf comment = CH_BUF_INIT;
	ch_actor as = *drafter;
	ch_doc_new req;
	bundle b;
	int error;

	ch_buf id = CH_BUF_INIT;

	if ((error = bundle_parse(&b, data, len)) < 0 ||
	    (error = check_signature(&b, site, who)) < 0 ||
	    (error = gate_reference(site, &b, drafter)) < 0)
		goto done;
	import_id(&id, &b);
	if ((error = already_imported(site, id.ptr)) < 0)
		goto done;
	ch_buf_printf(&comment, "Giải mật / declassified: %s; by %s on %s, from %s/%s at %.12s",
	              pstr(&b, "reference"), who, pstr(&b, "at"), pstr(&b, "source_site"),
	              pstr(&b, "source_doc"), pstr(&b, "source_head"));
	as.comment = comment.ptr;
	memset(&req, 0, sizeof(req));
	req.title = pstr(&b, "title");
	req.type = pstr(&b, "type");
	req.urgency = pstr(&b, "urgency");
	req.number = pstr(&b, "number");
	req.classification = "unclassified";
	req.text = pstr(&b, "text");
	req.text_len = json_string_length(json_object_get(b.payload, "text"));
	req.id = id.ptr;
	error = ch_doc_create(id_out, site, &req, &as);
	if (error == CH_ECONFLICT) /* imported at the same moment by someone else */
		error = already_imported(site, id.ptr) < 0 ? CH_EINVALID : error;
done:
	ch_buf_dispose(&id);
	bundle_dispose(&b);
	ch_buf_dispose(&comment);
	return error;
}
