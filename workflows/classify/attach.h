/* attach.h -- a document's attachments (DESIGN.md: `attachments/<name>` in
 * a document's tree): names, limits, and what a file is by its content.
 *
 * Only create and revise change a document's tree (D4), so only they add,
 * replace (same name) or remove attachments. Every attachment brought to
 * the networked tier goes through the classification gate
 * (ch_gate_attachment, workflows/classify/gate.h): its name and what the stamp
 * scanner can read of it (ch_attach_scan: text, and the text of Office Open
 * XML and OpenDocument files, extract.c) are scanned like a document's
 * text; a file the
 * scanner cannot read is refused unless the signed policy
 * (policy/attachments.json) allows its type and a person holding one of
 * that type's declare_roles declares it unclassified on the step that adds
 * it (trailer Chancery-Declared-Unclassified, verifier rule D10). */
#ifndef CH_ATTACH_H
#define CH_ATTACH_H

#include "workflows/format.h"

#include <stddef.h>

#include "workflows/classify/stamp.h"
#include "util/buf.h"

#define CH_ATTACH_MAX_COUNT 16                 /* attachments of one document */
#define CH_ATTACH_MAX_NAME 120                 /* bytes of UTF-8 in a name */
#define CH_ATTACH_MAX_FILE (4u * 1024 * 1024)  /* one attachment */
#define CH_ATTACH_MAX_TOTAL (16u * 1024 * 1024)/* all attachments of a document */
#define CH_ATTACH_TRAILER "Chancery-Declared-Unclassified"

/* One attachment to add or replace. */
typedef struct {
	const char *name;  /* as given (a path's last component); NFC-normalised on the way in */
	const void *data;
	size_t len;
} ch_attachment;

/* What a create or revise does to the attachments. */
typedef struct {
	const ch_attachment *add;   /* added, or replacing the one of the same name */
	size_t nadd;
	const char *const *remove;  /* names detached (revise only) */
	size_t nremove;
	const char *const *declare; /* names (of `add`) the actor declares unclassified */
	size_t ndeclare;
} ch_attach_req;

/* attach.c */
/* NFC-normalise `name` into out and check it: valid UTF-8, 1 to
 * CH_ATTACH_MAX_NAME bytes, no path separator, no leading dot, no control,
 * invisible or bidi characters, none of : * ? " < > |, no trailing dot or
 * space. CH_EINVALID says what is wrong without echoing the name (a name
 * may itself carry a stamp). */
int ch_attach_name(ch_buf *out, const char *name);
/* 1 if `name` is already a valid, NFC-normalised attachment name. */
int ch_attach_valid_name(const char *name);
/* The MIME type of data by its content (never by its name): "image/png",
 * "application/pdf", "application/zip", ..., "text/plain" for text the
 * stamp scanner reads, "application/octet-stream" for anything else.
 * Static string. */
const char *ch_attach_sniff(const void *data, size_t len);
/* 1 if `type` is one the sniffer can return for a file the scanner cannot
 * read (the only types policy/attachments.json may name). */
int ch_attach_type_known(const char *type);
/* 1 for encrypted content (OpenPGP, age, an encrypted ZIP): nobody can
 * read it to declare it, so the policy may never allow it. */
int ch_attach_type_encrypted(const char *type);
/* A Content-Type safe to serve the file with (as a download, with nosniff):
 * text as text/plain; charset=utf-8, known binary types as themselves,
 * never HTML, SVG or script. Static string. */
const char *ch_attach_serve_type(const void *data, size_t len);

/* extract.c */
/* The text of an Office Open XML or OpenDocument file, when every part of
 * it can be read (XML through expat, text, a thumbnail that is a picture);
 * -1 when one cannot: the whole file is then unreadable. */
int ch_attach_extract(ch_buf *out, const void *data, size_t len);
/* The stamp scanner's verdict on an attachment's content: as
 * ch_stamp_scan_file, but the text of Office Open XML and OpenDocument
 * files is read when it can be (then they are no longer UNREADABLE). The
 * gate and the verifier (D10) both judge attachments with it. */
int ch_attach_scan(ch_stamp_result *out, const void *data, size_t len);


#endif
