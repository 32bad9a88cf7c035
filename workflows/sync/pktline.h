/* pktline.h -- git's pkt-line framing and the upload-pack request of the
 * smart-HTTP protocol, version 0/1 (git's Documentation/gitprotocol-pack.txt,
 * gitprotocol-http.txt).
 *
 * A pkt-line is four lower- or upper-case hex digits giving the length of
 * the whole line (the four digits included), then the data; "0000" is a
 * flush-pkt, "0001" a delim-pkt (protocol v2, refused here), "0002" a
 * response-end-pkt (v2, refused). "0003" and "0004" are invalid lengths.
 *
 * Everything here reads untrusted network input: every length, count and
 * total is bounded by the named limits below, and a malformed request is
 * CH_EINVALID with a message that never echoes the input. No socket code:
 * the parser lives in the library so that it can be fuzzed
 * (tests/fuzz/fuzz_pktline.c). */
#ifndef CH_PKTLINE_H
#define CH_PKTLINE_H

#include <stddef.h>

#include <git2.h>

#include "util/buf.h"
#include "util/strv.h"

#define CH_PKT_MAX_LEN 65520                  /* git's LARGE_PACKET_MAX, header included */
#define CH_PKT_MAX_DATA (CH_PKT_MAX_LEN - 4)
#define CH_PKT_SIDEBAND_MAX (CH_PKT_MAX_DATA - 1) /* side-band-64k payload after the band byte */
#define CH_PKT_SIDEBAND_SMALL (1000 - 5)      /* plain side-band: 1000-byte lines */
#define CH_UPLOAD_MAX_BODY (16u * 1024 * 1024) /* a whole request, after gunzip */
#define CH_UPLOAD_MAX_LINES 400000            /* pkt-lines in one request */
#define CH_UPLOAD_MAX_WANTS 100000
#define CH_UPLOAD_MAX_HAVES 200000
#define CH_UPLOAD_MAX_CAPS 64
#define CH_UPLOAD_MAX_CAP_LEN 256

typedef enum {
	CH_PKT_DATA = 0,
	CH_PKT_FLUSH,
	CH_PKT_DELIM,
	CH_PKT_RESPONSE_END
} ch_pkt_type;

typedef struct {
	ch_pkt_type type;
	const char *data; /* into the input; CH_PKT_DATA only; not NUL-terminated */
	size_t len;       /* data bytes, at most CH_PKT_MAX_DATA */
} ch_pkt;

/* pktline.c */
/* Read the pkt-line at data[*pos]; advances *pos past it. CH_ENOTFOUND at
 * the end of the input (*pos == len), CH_EINVALID on a malformed or
 * truncated line. */
int ch_pkt_read(ch_pkt *out, const void *data, size_t len, size_t *pos);

/* Append one data pkt-line (len <= CH_PKT_MAX_DATA, else it aborts: a
 * programming error). */
void ch_pkt_write(ch_buf *out, const void *data, size_t len);
void ch_pkt_printf(ch_buf *out, const char *fmt, ...) CH_PRINTF(2, 3);
void ch_pkt_flush(ch_buf *out);
/* Append data on side-band `band` (1 pack data, 2 progress, 3 error),
 * split into lines whose payload is at most `max` bytes. */
void ch_pkt_sideband(ch_buf *out, int band, const void *data, size_t len, size_t max);

/* A version 0/1 upload-pack request, as one stateless-RPC round sends it:
 *
 *   want <oid> <capabilities>   (capabilities on the first want only)
 *   want <oid> ...
 *   flush-pkt
 *   have <oid> ...              (any number, possibly none)
 *   done | flush-pkt            (done: send the pack; flush: only ACK/NAK)
 *
 * shallow, deepen* and filter lines are refused (not advertised). */
typedef struct {
	git_oid *wants;
	size_t nwants;
	git_oid *haves;
	size_t nhaves;
	ch_strv caps;
	int done;
} ch_upload_request;

int ch_upload_request_parse(ch_upload_request *out, const void *data, size_t len);
void ch_upload_request_dispose(ch_upload_request *r);
/* "<40 hex>" exactly (SHA-1 repositories; lower case, as git sends it):
 * 0, or -1. */
int ch_pkt_parse_oid(git_oid *out, const char *s, size_t len);
/* 1 if s[0..len) is printable ASCII without spaces, 1..max bytes
 * (capabilities, ref names). */
int ch_pkt_printable(const char *s, size_t len, size_t max);
/* 1 if capability `name` (exactly, or name=value) is in the list. */
int ch_pkt_has_cap(const ch_strv *caps, const char *name);
/* The space-separated capabilities after the first want or command
 * (`where`, for messages): each printable, at most CH_UPLOAD_MAX_CAP_LEN
 * bytes, at most CH_UPLOAD_MAX_CAPS in all, appended to caps. */
int ch_pkt_parse_caps(ch_strv *caps, const char *s, size_t len, const char *where);
/* 1 if the client asked for capability `name`. */
int ch_upload_request_has_cap(const ch_upload_request *r, const char *name);
/* Write a request back (for tests and the fuzz target). */
void ch_upload_request_write(ch_buf *out, const ch_upload_request *r);

#endif
