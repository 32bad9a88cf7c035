/* extract.c -- the text of Office Open XML (docx, xlsx, pptx) and
 * OpenDocument (odt, ods) attachments, for the stamp scanner.
 *
 * Such a file is a ZIP of XML parts. Its text is read only when every part
 * is one we read: XML (".xml", ".rels"), ODF's "mimetype", and a
 * thumbnail (a picture of the first page, whose text is read anyway); a
 * part of any other kind (pictures, embedded objects, macros, fonts), an
 * encrypted entry, a compression other than stored or deflate, ZIP64, or
 * anything malformed leaves the file unreadable (then it enters only as
 * declared unclassified). Paragraphs, rows and shared strings end lines and
 * table cells are separated by tabs, as the scanner's stamp-line rule
 * expects; other tags are dropped and character references decoded.
 * Bounded: 2,000 entries, 16 MiB inflated in all (zlib; a part that
 * inflates to more than its header says is refused), 16 MiB of text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "workflows/classify/attach.h"
#include "util/common.h"

#define MAX_ENTRIES 2000
#define MAX_TEXT CH_ATTACH_MAX_TOTAL

typedef struct {
	const unsigned char *s;
	size_t len;
} zbuf;

static unsigned rd16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

/* 1 for a part we read as XML, 2 for one we may skip, 0 for anything else. */
static int part_kind(const char *name, size_t n)
{
	if (ends_with(name, n, ".xml") || ends_with(name, n, ".rels") ||
	    (n == 8 && !memcmp(name, "mimetype", 8)))
		return 1;
	if ((n == 25 && !memcmp(name, "Thumbnails/thumbnail.png", 24)) ||
	    (n > 19 && !memcmp(name, "docProps/thumbnail.", 19)) || (n && name[n - 1] == '/'))
		return 2;
	return 0;
}

static int inflate_part(ch_buf *out, const unsigned char *src, size_t clen, size_t ulen)
{
	z_stream z;
	int rc;

	if (ulen > MAX_TEXT || !ulen)
		return ulen ? -1 : 0;
	ch_buf_grow(out, ulen);
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)(uintptr_t)src;
	z.avail_in = (uInt)clen;
	z.next_out = (unsigned char *)out->ptr + out->size;
	z.avail_out = (uInt)ulen;
	rc = inflate(&z, Z_FINISH);
	if (rc == Z_STREAM_END && z.total_out == ulen) {
		out->size += ulen;
		out->ptr[out->size] = '\0';
	}
	inflateEnd(&z);
	return rc == Z_STREAM_END && z.total_out == ulen ? 0 : -1;
}

/* Append `part`'s text: tags dropped, references decoded, line and cell
 * ends where paragraphs, rows and cells end. */
static void xml_text(ch_buf *out, const char *s, size_t n)
{
	static const char *const line_ends[] = { "w:p", "a:p", "text:p", "text:h", "si", "row",
	                                         "table:table-row", "w:br", "text:line-break" };
	static const char *const cell_ends[] = { "w:tc", "w:tab", "c", "table:table-cell",
	                                         "text:tab" };
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '<') {
			const char *end = memchr(s + i, '>', n - i), *nm = s + i + 1;
			size_t len;

			if (!end)
				break;
			if (*nm == '/')
				nm++;
			for (len = 0; nm + len < end && nm[len] != ' ' && nm[len] != '/' &&
			              nm[len] != '\t' && nm[len] != '\n' && nm[len] != '\r'; len++)
				;
			if (s[i + 1] == '/' || end[-1] == '/') {
				for (k = 0; k < CH_ARRAY_SIZE(line_ends); k++)
					if (strlen(line_ends[k]) == len && !memcmp(nm, line_ends[k], len))
						ch_buf_putc(out, '\n');
				for (k = 0; k < CH_ARRAY_SIZE(cell_ends); k++)
					if (strlen(cell_ends[k]) == len && !memcmp(nm, cell_ends[k], len))
						ch_buf_putc(out, '\t');
			}
			i = (size_t)(end - s) + 1;
		} else if (s[i] == '&') {
			const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
			static const struct { const char *name; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
				{ "&apos;", '\'' },
			};
			size_t elen = semi ? (size_t)(semi - (s + i)) + 1 : 0;

			for (k = 0; semi && k < CH_ARRAY_SIZE(ents); k++)
				if (strlen(ents[k].name) == elen && !memcmp(s + i, ents[k].name, elen)) {
					ch_buf_putc(out, ents[k].c);
					break;
				}
			if (semi && k == CH_ARRAY_SIZE(ents) && elen > 3 && s[i + 1] == '#') {
				unsigned long cp = s[i + 2] == 'x' ? strtoul(s + i + 3, NULL, 16) :
				                                     strtoul(s + i + 2, NULL, 10);
				char u[4];
				size_t ul = 0;

				if (cp < 0x80) {
					u[ul++] = (char)cp;
				} else if (cp < 0x800) {
					u[ul++] = (char)(0xc0 | cp >> 6);
					u[ul++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					u[ul++] = (char)(0xe0 | cp >> 12);
					u[ul++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					u[ul++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x110000) {
					u[ul++] = (char)(0xf0 | cp >> 18);
					u[ul++] = (char)(0x80 | ((cp >> 12) & 0x3f));
					u[ul++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					u[ul++] = (char)(0x80 | (cp & 0x3f));
				}
				ch_buf_put(out, u, ul);
			} else if (!semi || k == CH_ARRAY_SIZE(ents)) {
				ch_buf_putc(out, '&');
				elen = 1;
			}
			i += elen ? elen : 1;
		} else {
			const char *lt = memchr(s + i, '<', n - i), *amp, *stop;

			/* '&' only up to the next tag: linear, however many runs */
			amp = memchr(s + i, '&', (size_t)((lt ? lt : s + n) - (s + i)));
			stop = amp ? amp : lt ? lt : s + n;

			ch_buf_put(out, s + i, (size_t)(stop - (s + i)));
			i = (size_t)(stop - s);
		}
	}
	ch_buf_putc(out, '\n');
}

/* The End of Central Directory record, searched from the end. */
static int find_eocd(const unsigned char *s, size_t len, size_t *at)
{
	size_t i, lo = len > 22 + 65535 ? len - 22 - 65535 : 0;

	if (len < 22)
		return -1;
	for (i = len - 22 + 1; i-- > lo;)
		if (!memcmp(s + i, "PK\x05\x06", 4)) {
			*at = i;
			return 0;
		}
	return -1;
}

int ch_attach_extract(ch_buf *out, const void *data, size_t len)
{
	const unsigned char *s = data;
	ch_buf part = CH_BUF_INIT;
	size_t eocd, cd, n, i, p, read = 0;
	int error = -1;

	ch_buf_clear(out);
	if (find_eocd(s, len, &eocd) < 0)
		return -1;
	n = rd16(s + eocd + 10);
	cd = rd32(s + eocd + 16);
	if (n == 0xffff || n > MAX_ENTRIES || cd > eocd || rd32(s + eocd + 12) > eocd - cd)
		return -1;
	for (i = 0, p = cd; i < n; i++) {
		size_t nlen, xlen, clen2, clen, ulen, off, data_at;
		unsigned flags, method;
		const char *name;
		int kind;

		if (p + 46 > eocd || memcmp(s + p, "PK\x01\x02", 4))
			goto done;
		flags = rd16(s + p + 8);
		method = rd16(s + p + 10);
		clen = rd32(s + p + 20);
		ulen = rd32(s + p + 24);
		nlen = rd16(s + p + 28);
		xlen = rd16(s + p + 30);
		clen2 = rd16(s + p + 32);
		off = rd32(s + p + 42);
		name = (const char *)s + p + 46;
		if (p + 46 + nlen + xlen + clen2 > eocd || (flags & 1) ||
		    clen == 0xffffffffu || ulen == 0xffffffffu || off == 0xffffffffu)
			goto done; /* encrypted, ZIP64 or truncated */
		p += 46 + nlen + xlen + clen2;
		if (!(kind = part_kind(name, nlen)))
			goto done;
		if (kind == 2)
			continue;
		if ((method != 0 && method != 8) || off + 30 > len || memcmp(s + off, "PK\x03\x04", 4))
			goto done;
		data_at = off + 30 + rd16(s + off + 26) + rd16(s + off + 28);
		if (data_at > len || clen > len - data_at || ulen > MAX_TEXT - read)
			goto done; /* all parts together inflate to 16 MiB at most */
		read += ulen;
		ch_buf_clear(&part);
		if (method == 0) {
			if (clen != ulen || ulen > MAX_TEXT - out->size)
				goto done;
			ch_buf_put(&part, s + data_at, clen);
		} else if (inflate_part(&part, s + data_at, clen, ulen) < 0) {
			goto done;
		}
		if (ends_with(name, nlen, ".xml"))
			xml_text(out, part.ptr, part.size);
		if (out->size > MAX_TEXT)
			goto done;
	}
	error = 0;
done:
	ch_buf_dispose(&part);
	if (error < 0)
		ch_buf_clear(out);
	return error;
}

int ch_attach_scan(ch_stamp_result *out, const void *data, size_t len)
{
	static const char *const office[] = {
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	};
	const char *type;
	ch_buf text = CH_BUF_INIT;
	size_t i;
	int error;

	if ((error = ch_stamp_scan_file(out, NULL, data, len)) < 0 ||
	    out->level != CH_STAMP_UNREADABLE)
		return error;
	type = ch_attach_sniff(data, len);
	for (i = 0; i < CH_ARRAY_SIZE(office) && strcmp(type, office[i]); i++)
		;
	if (i < CH_ARRAY_SIZE(office) && ch_attach_extract(&text, data, len) == 0)
		error = ch_stamp_scan_text(out, text.ptr, text.size, CH_STAMP_IN_BODY);
	ch_buf_dispose_secret(&text);
	return error;
}
