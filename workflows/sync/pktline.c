/* pktline.c -- pkt-line framing and the upload-pack request (pktline.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/sync/pktline.h"
#include "util/common.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ch_pkt_read(ch_pkt *out, const void *data, size_t len, size_t *pos)
{
	const char *p = (const char *)data + *pos;
	size_t left = len - *pos, n = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (*pos >= len)
		return CH_ENOTFOUND;
	if (left < 4)
		return ch_error_setc(CH_EINVALID, "truncated pkt-line header");
	for (i = 0; i < 4; i++) {
		int v = hexval(p[i]);

		if (v < 0)
			return ch_error_setc(CH_EINVALID, "a pkt-line length is not hexadecimal");
		n = n * 16 + (size_t)v;
	}
	if (n < 4) {
		if (n == 3)
			return ch_error_setc(CH_EINVALID, "invalid pkt-line length");
		out->type = n == 0 ? CH_PKT_FLUSH : n == 1 ? CH_PKT_DELIM : CH_PKT_RESPONSE_END;
		*pos += 4;
		return 0;
	}
	if (n == 4)
		return ch_error_setc(CH_EINVALID, "empty pkt-line (length 0004)");
	if (n > CH_PKT_MAX_LEN)
		return ch_error_setc(CH_EINVALID, "pkt-line longer than %d bytes", CH_PKT_MAX_LEN);
	if (n > left)
		return ch_error_setc(CH_EINVALID, "truncated pkt-line");
	out->type = CH_PKT_DATA;
	out->data = p + 4;
	out->len = n - 4;
	*pos += n;
	return 0;
}

void ch_pkt_write(ch_buf *out, const void *data, size_t len)
{
	char hdr[5];

	if (len > CH_PKT_MAX_DATA)
		abort();
	snprintf(hdr, sizeof(hdr), "%04zx", len + 4);
	ch_buf_put(out, hdr, 4);
	ch_buf_put(out, data, len);
}

void ch_pkt_printf(ch_buf *out, const char *fmt, ...)
{
	ch_buf line = CH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ch_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	ch_pkt_write(out, line.ptr, line.size);
	ch_buf_dispose(&line);
}

void ch_pkt_flush(ch_buf *out)
{
	ch_buf_put(out, "0000", 4);
}

void ch_pkt_sideband(ch_buf *out, int band, const void *data, size_t len, size_t max)
{
	const char *p = data;
	char hdr[6];

	if (max == 0 || max > CH_PKT_SIDEBAND_MAX || band < 1 || band > 3)
		abort();
	while (len > 0) {
		size_t n = len < max ? len : max;

		snprintf(hdr, sizeof(hdr), "%04zx%c", n + 5, (char)band);
		ch_buf_put(out, hdr, 5);
		ch_buf_put(out, p, n);
		p += n;
		len -= n;
	}
}

/* ---- the upload-pack request ---- */

int ch_pkt_parse_oid(git_oid *out, const char *s, size_t len)
{
	size_t i;

	if (len != GIT_OID_HEXSZ)
		return -1;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return git_oid_fromstrn(out, s, len) < 0 ? -1 : 0;
}

int ch_pkt_printable(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

int ch_pkt_parse_caps(ch_strv *caps, const char *s, size_t len, const char *where)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		char *cap;

		while (j < len && s[j] != ' ')
			j++;
		if (j > i) {
			if (!ch_pkt_printable(s + i, j - i, CH_UPLOAD_MAX_CAP_LEN))
				return ch_error_setc(CH_EINVALID, "malformed capability in the first %s",
				                     where);
			if (caps->n >= CH_UPLOAD_MAX_CAPS)
				return ch_error_setc(CH_EINVALID, "more than %d capabilities",
				                     CH_UPLOAD_MAX_CAPS);
			cap = ch_strndup(s + i, j - i);
			ch_strv_push(caps, cap);
			free(cap);
		}
		i = j + 1;
	}
	return 0;
}

static void push_oid(git_oid **v, size_t *n, const git_oid *id)
{
	/* grow by doubling: n is bounded by the caller */
	if ((*n & (*n - 1)) == 0)
		*v = ch_realloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));
	git_oid_cpy(&(*v)[(*n)++], id);
}

static int starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

int ch_upload_request_parse(ch_upload_request *out, const void *data, size_t len)
{
	enum { WANTS, HAVES, END } phase = WANTS;
	size_t pos = 0, lines = 0;
	ch_pkt pkt;
	git_oid id;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (len > CH_UPLOAD_MAX_BODY) {
		error = ch_error_setc(CH_EINVALID, "request larger than %u bytes", CH_UPLOAD_MAX_BODY);
		goto done;
	}
	while ((error = ch_pkt_read(&pkt, data, len, &pos)) == 0) {
		const char *s = pkt.data;
		size_t n = pkt.len;

		if (++lines > CH_UPLOAD_MAX_LINES) {
			error = ch_error_setc(CH_EINVALID, "more than %d pkt-lines", CH_UPLOAD_MAX_LINES);
			goto done;
		}
		if (phase == END) {
			error = ch_error_setc(CH_EINVALID, "data after the end of the request");
			goto done;
		}
		if (pkt.type == CH_PKT_DELIM || pkt.type == CH_PKT_RESPONSE_END) {
			error = ch_error_setc(CH_EINVALID, "protocol version 2 packets are not supported");
			goto done;
		}
		if (pkt.type == CH_PKT_FLUSH) {
			if (phase == WANTS) {
				if (!out->nwants) {
					error = ch_error_setc(CH_EINVALID, "a request without a want");
					goto done;
				}
				phase = HAVES;
			} else {
				phase = END; /* a negotiation round without "done" */
			}
			continue;
		}
		if (n && s[n - 1] == '\n')
			n--;
		if (phase == WANTS && starts(s, n, "want ")) {
			size_t oidlen = n - 5 < GIT_OID_HEXSZ ? n - 5 : GIT_OID_HEXSZ;

			if (out->nwants >= CH_UPLOAD_MAX_WANTS) {
				error = ch_error_setc(CH_EINVALID, "more than %d wants", CH_UPLOAD_MAX_WANTS);
				goto done;
			}
			if (ch_pkt_parse_oid(&id, s + 5, oidlen) < 0 ||
			    (n > 5 + GIT_OID_HEXSZ && s[5 + GIT_OID_HEXSZ] != ' ') ||
			    (n > 5 + GIT_OID_HEXSZ && out->nwants > 0)) {
				error = ch_error_setc(CH_EINVALID, "malformed want line");
				goto done;
			}
			if (out->nwants == 0 && n > 5 + GIT_OID_HEXSZ &&
			    (error = ch_pkt_parse_caps(&out->caps, s + 6 + GIT_OID_HEXSZ,
			                               n - 6 - GIT_OID_HEXSZ, "want")) < 0)
				goto done;
			push_oid(&out->wants, &out->nwants, &id);
		} else if (phase == HAVES && starts(s, n, "have ")) {
			if (out->nhaves >= CH_UPLOAD_MAX_HAVES) {
				error = ch_error_setc(CH_EINVALID, "more than %d haves", CH_UPLOAD_MAX_HAVES);
				goto done;
			}
			if (ch_pkt_parse_oid(&id, s + 5, n - 5) < 0) {
				error = ch_error_setc(CH_EINVALID, "malformed have line");
				goto done;
			}
			push_oid(&out->haves, &out->nhaves, &id);
		} else if (phase == HAVES && n == 4 && !memcmp(s, "done", 4)) {
			out->done = 1;
			phase = END;
		} else if (starts(s, n, "shallow ") || starts(s, n, "deepen") ||
		           starts(s, n, "filter ")) {
			error = ch_error_setc(CH_EINVALID, "shallow and partial fetches are not supported");
			goto done;
		} else {
			error = ch_error_setc(CH_EINVALID, "unexpected line in an upload-pack request");
			goto done;
		}
	}
	if (error != CH_ENOTFOUND)
		goto done;
	error = 0;
	if (phase != END)
		error = ch_error_setc(CH_EINVALID, "truncated upload-pack request");
done:
	if (error < 0)
		ch_upload_request_dispose(out);
	return error;
}

void ch_upload_request_dispose(ch_upload_request *r)
{
	free(r->wants);
	free(r->haves);
	ch_strv_free(&r->caps);
	memset(r, 0, sizeof(*r));
}

int ch_pkt_has_cap(const ch_strv *caps, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < caps->n; i++)
		if (!strncmp(caps->v[i], name, n) && (caps->v[i][n] == '\0' || caps->v[i][n] == '='))
			return 1;
	return 0;
}

int ch_upload_request_has_cap(const ch_upload_request *r, const char *name)
{
	return ch_pkt_has_cap(&r->caps, name);
}

void ch_upload_request_write(ch_buf *out, const ch_upload_request *r)
{
	char hex[GIT_OID_HEXSZ + 1];
	ch_buf line = CH_BUF_INIT;
	size_t i, j;

	for (i = 0; i < r->nwants; i++) {
		git_oid_tostr(hex, sizeof(hex), &r->wants[i]);
		ch_buf_clear(&line);
		ch_buf_printf(&line, "want %s", hex);
		for (j = 0; i == 0 && j < r->caps.n; j++)
			ch_buf_printf(&line, " %s", r->caps.v[j]);
		ch_buf_putc(&line, '\n');
		ch_pkt_write(out, line.ptr, line.size);
	}
	ch_pkt_flush(out);
	for (i = 0; i < r->nhaves; i++) {
		git_oid_tostr(hex, sizeof(hex), &r->haves[i]);
		ch_pkt_printf(out, "have %s\n", hex);
	}
	if (r->done)
		ch_pkt_printf(out, "done\n");
	else
		ch_pkt_flush(out);
	ch_buf_dispose(&line);
}
