/* access.h -- who read what (Decree 30/2020, appendix VI, III.5.a): every
 * read of a document is recorded with the person, the time, the document
 * and what was read, never the document's text, in a record that cannot
 * be edited without detection (docs/format.md "The access log").
 *
 *   SITE/state/access.log   one JSON object a line, only ever appended:
 *     {"seq":N,"at":"<UTC>","person":"<id>"|"peer:<site>","doc":"<id>",
 *      "what":"page"|"diff"|"api"|"attachment <name>"|"sync",
 *      "prev":"<64 hex>","hash":"<64 hex>"}
 *   `hash` is the SHA-256 of the line's bytes before `,"hash":`; `prev` is
 *   the previous line's `hash` (64 zeros for the first): a hash chain, so
 *   an edited, removed or reordered line breaks every link after it.
 *
 *   refs/chancery/access    the seals: each commit's tree holds
 *     days/<YYYY-MM-DD>.log (that day's lines, byte for byte) for every
 *     complete day sealed so far, and `head` ("<seq> <hash>\n" of the last
 *     line sealed). The server seals each finished day when the first read
 *     of a new day is recorded, with an unsigned commit: its network process
 *     holds no key, by design. `chancery access seal SITE --as AUDITOR`
 *     countersigns: a commit with the same tree signed by an auditor's or
 *     security officer's own key. Whoever can write both SITE/state and
 *     repo.git can rebuild the chain and the unsigned seals; not a signed
 *     seal. ch_access_verify says which days a signed seal covers. */
#ifndef CH_ACCESS_H
#define CH_ACCESS_H

#include "workflows/format.h"

#include <jansson.h>

#include "workflows/doc.h"
#include "workflows/site.h"
#include "util/strv.h"

#define CH_ACCESS_LOG "access.log"               /* under SITE/state/ */
#define CH_ACCESS_MAX_LINE 2048
#define CH_ACCESS_MAX_LOG (512u * 1024 * 1024)   /* read whole by verify */

typedef struct {
	size_t lines, days;
	size_t sealed_days;      /* days found in the seals, identical to the log */
	size_t signed_days;      /* of those, covered by a good signed seal */
	ch_strv findings;        /* tampering: each names the line, day or seal */
	ch_strv notes;           /* days not sealed yet, unsigned seals, who signed */
} ch_access_report;

/* access.c */
/* Append one record (`what` as above; person "peer:<site>" for a sync).
 * Serialized by an exclusive lock on the file (threads and processes).
 * When the last record was of an earlier day, that day and any before
 * it are sealed (unsigned) afterwards. */
int ch_access_record(ch_site *site, const char *person, const char *doc, const char *what);
/* Seal every complete (UTC) day not sealed yet: an unsigned commit when
 * `who` is NULL; with `who`, then a commit over the same tree signed by
 * who->actor (an auditor or security-officer of the current policy).
 * *sealed (may be NULL) receives the number of days newly sealed. */
int ch_access_seal(ch_site *site, const ch_actor *who, size_t *sealed);
/* Check the chain and every seal commit against the log. 0 when nothing
 * was tampered with (notes may remain); CH_EINVALID with findings. */
int ch_access_verify(ch_access_report *out, ch_site *site);
void ch_access_report_dispose(ch_access_report *r);
/* The records of `doc` (JSON objects as in the log, without prev and
 * hash), newest first, at most `max`; *out owned by the caller. */
int ch_access_history(json_t **out, ch_site *site, const char *doc, size_t max);

#endif
