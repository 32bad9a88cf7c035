/* text.h -- validation of names and text from outside. */
#ifndef CH_TEXT_H
#define CH_TEXT_H

#include <stddef.h>

#include "buf.h"

/* text.c */
/* Document id: [a-z0-9][a-z0-9-]{0,63} (DESIGN.md). */
int ch_valid_doc_id(const char *s);
/* Person id: [a-z0-9][a-z0-9._-]{0,63}, no "..". */
int ch_valid_person_id(const char *s);
/* Workflow, state, role, site names: [a-z0-9][a-z0-9_-]{0,63}. */
int ch_valid_name(const char *s);
/* Unit: names joined by '/', e.g. "hq/legal", at most 128 bytes. */
int ch_valid_unit(const char *s);
/* 40 upper-case hex digits (an OpenPGP v4 fingerprint). */
int ch_valid_fpr(const char *s);
/* 40 lower-case hex digits (a git commit id). */
int ch_valid_oid_hex(const char *s);
/* Well-formed UTF-8 without NUL bytes. */
int ch_utf8_valid(const void *data, size_t len);
/* NFC-normalise valid UTF-8 into out. CH_EINVALID if not valid UTF-8. */
int ch_utf8_nfc(ch_buf *out, const void *data, size_t len);
/* A one-line text field (title, name): valid UTF-8, no control
 * characters, 1..max bytes. */
int ch_valid_line(const char *s, size_t max);

#endif
