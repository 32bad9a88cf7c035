/* armor.c -- OpenPGP ASCII armor (RFC 4880 section 6) and CRC-24. */
#include <string.h>

#include "crypto.h"
#include "util/common.h"

#define CRC24_INIT 0xB704CEul
#define CRC24_POLY 0x1864CFBul

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

unsigned long ch_crc24(const unsigned char *data, size_t len)
{
	unsigned long crc = CRC24_INIT;
	size_t i;
	int j;

	for (i = 0; i < len; i++) {
		crc ^= (unsigned long)data[i] << 16;
		for (j = 0; j < 8; j++) {
			crc <<= 1;
			if (crc & 0x1000000ul)
				crc ^= CRC24_POLY;
		}
	}
	return crc & 0xFFFFFFul;
}

static void put_b64(ch_buf *out, const unsigned char *p, size_t len, int wrap)
{
	size_t i, col = 0;
	unsigned long v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		ch_buf_putc(out, b64[(v >> 18) & 63]);
		ch_buf_putc(out, b64[(v >> 12) & 63]);
		ch_buf_putc(out, i + 1 < len ? b64[(v >> 6) & 63] : '=');
		ch_buf_putc(out, i + 2 < len ? b64[v & 63] : '=');
		col += 4;
		if (wrap && col == 64 && i + 3 < len) {
			ch_buf_putc(out, '\n');
			col = 0;
		}
	}
}

void ch_pgp_armor(ch_buf *out, const char *type, const void *data, size_t len)
{
	unsigned long crc = ch_crc24(data, len);
	unsigned char c[3] = { (unsigned char)(crc >> 16), (unsigned char)(crc >> 8),
	                       (unsigned char)crc };

	ch_buf_printf(out, "-----BEGIN PGP %s-----\n\n", type);
	put_b64(out, data, len, 1);
	ch_buf_puts(out, "\n=");
	put_b64(out, c, 3, 0);
	ch_buf_printf(out, "\n-----END PGP %s-----\n", type);
}

static int b64_value(int c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int ch_base64_decode(ch_buf *out, const char *s, size_t len)
{
	unsigned long acc = 0;
	int bits = 0, v;
	size_t i, nchars = 0, npad = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			npad++;
			continue;
		}
		if (npad)
			return ch_error_setc(CH_EINVALID, "base64: data after the padding");
		if ((v = b64_value((unsigned char)s[i])) < 0)
			return ch_error_setc(CH_EINVALID, "base64: invalid character 0x%02x",
			                     (unsigned char)s[i]);
		nchars++;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ch_buf_putc(out, (char)((acc >> bits) & 0xFF));
		}
	}
	if ((nchars + npad) % 4 || npad > 2 || (npad && nchars % 4 == 1))
		return ch_error_setc(CH_EINVALID, "base64: truncated data");
	return 0;
}

static const char *find_line(const char *p, const char *end, const char *line)
{
	size_t n = strlen(line);

	while (p && p < end) {
		if ((size_t)(end - p) >= n && !memcmp(p, line, n) &&
		    (p + n == end || p[n] == '\n' || p[n] == '\r'))
			return p;
		p = memchr(p, '\n', (size_t)(end - p));
		if (p)
			p++;
	}
	return NULL;
}

static const char *next_line(const char *p, const char *end)
{
	p = memchr(p, '\n', (size_t)(end - p));
	return p ? p + 1 : end;
}

int ch_pgp_dearmor(ch_buf *out, const char *type, const char *text, size_t len)
{
	ch_buf begin = CH_BUF_INIT, endl = CH_BUF_INIT, crcbuf = CH_BUF_INIT;
	const char *end = text + len, *p, *body, *stop, *crcline = NULL, *q;
	int error = 0;

	ch_buf_clear(out);
	ch_buf_printf(&begin, "-----BEGIN PGP %s-----", type);
	ch_buf_printf(&endl, "-----END PGP %s-----", type);
	if (!(p = find_line(text, end, begin.ptr))) {
		error = ch_error_setc(CH_EINVALID, "armor: no '%s' line", begin.ptr);
		goto done;
	}
	/* Armor headers ("Key: value") run until the first empty line. */
	p = next_line(p, end);
	while (p < end && *p != '\n' && *p != '\r') {
		if (!memchr(p, ':', (size_t)(next_line(p, end) - p))) {
			break; /* no headers and no blank line: tolerate, as gpg does */
		}
		p = next_line(p, end);
	}
	if (p < end && (*p == '\n' || *p == '\r'))
		p = next_line(p, end);
	body = p;
	if (!(stop = find_line(body, end, endl.ptr))) {
		error = ch_error_setc(CH_EINVALID, "armor: no '%s' line", endl.ptr);
		goto done;
	}
	for (q = body; q < stop; q = next_line(q, stop))
		if (*q == '=')
			crcline = q;
	if ((error = ch_base64_decode(out, body, (size_t)((crcline ? crcline : stop) - body))) < 0)
		goto done;
	if (crcline) {
		unsigned long want, got = ch_crc24((const unsigned char *)out->ptr, out->size);

		if ((error = ch_base64_decode(&crcbuf, crcline + 1,
		                        (size_t)(next_line(crcline, stop) - crcline - 1))) < 0)
			goto done;
		for (q = next_line(crcline, stop); q < stop && (*q == '\r' || *q == '\n' ||
		                                               *q == ' ' || *q == '\t'); q++)
			;
		if (crcbuf.size != 3 || q != stop) {
			error = ch_error_setc(CH_EINVALID, "armor: malformed checksum line");
			goto done;
		}
		want = ((unsigned long)(unsigned char)crcbuf.ptr[0] << 16) |
		       ((unsigned long)(unsigned char)crcbuf.ptr[1] << 8) |
		       (unsigned char)crcbuf.ptr[2];
		if (want != got) {
			error = ch_error_setc(CH_EINVALID, "armor: checksum mismatch (damaged text)");
			goto done;
		}
	}
	if (!out->size)
		error = ch_error_setc(CH_EINVALID, "armor: empty block");
done:
	ch_buf_dispose(&begin);
	ch_buf_dispose(&endl);
	ch_buf_dispose(&crcbuf);
	return error;
}
