/* declassify.h -- bringing a document from the offline tier to the
 * networked one (SECURITY.md "Declassification").
 *
 * On the offline site a person with the role `declassifier` signs a
 * declassification bundle, a file carried across the air gap:
 *
 *   {"version":1,"payload":"<JSON text>","signature":"<armored OpenPGP>"}
 *
 * where the signature is a detached OpenPGP signature, by the
 * declassifier's own key, over the exact bytes of `payload`, which is
 *
 *   {"version":1,"kind":"chancery-declassification","source_site":"...",
 *    "source_doc":"<id>","source_head":"<commit>","source_classification":"secret",
 *    "classification":"unclassified","declassifier":"<person>",
 *    "reference":"<decision number>","at":"<UTC>","title":"...","type":"...",
 *    "urgency":"...","number":"...","text":"<Markdown>"}
 *
 * On the networked site the bundle is imported: the declassifier must be a
 * person of the networked policy with the role `declassifier` and the key
 * that signed (the policy carries that public key only: the secret key
 * never leaves the offline machine), then the classification gate judges
 * the title, the text and the reference as at any other door, and a
 * drafter records the document as an ordinary create step whose comment
 * names the declassification. */
#ifndef CH_DECLASSIFY_H
#define CH_DECLASSIFY_H

#include "workflows/doc.h"
#include "workflows/site.h"

#define CH_DECLASSIFY_MAX (8u * 1024 * 1024)

typedef struct {
	const char *doc;        /* the offline document */
	const char *reference;  /* the declassification decision, "Quyết định số 12/QĐ-BNG" */
	const void *text;       /* the text released (marking removed), or NULL: the document's */
	size_t text_len;
} ch_declassify_req;

/* declassify.c */
/* On an offline site: the signed bundle into out. */
int ch_declassify_export(ch_buf *out, ch_site *site, const ch_declassify_req *req,
                         const ch_actor *declassifier);
/* On a networked site: verify the bundle, gate it, create the document as
 * `drafter`; its id into id_out, the declassifier into who (65 bytes). */
int ch_declassify_import(ch_buf *id_out, char who[65], ch_site *site, const void *bundle,
                         size_t len, const ch_actor *drafter);

#endif
