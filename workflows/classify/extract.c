/* extract.c -- the text of Office Open XML (docx, xlsx, pptx) and
 * OpenDocument (odt, ods) attachments, for the stamp scanner.
 *
 * Such a file is a ZIP of parts. Every part is read, whatever its name:
 *   - an XML part (its content starts with '<') through expat, a real XML
 *     parser: character data with entities, character references and CDATA
 *     sections decoded, in every part (body, headers, footers, notes,
 *     comments, document properties, charts, relationships); paragraphs,
 *     rows and shared strings end lines, table cells and tabs are tab
 *     separated, as the scanner's stamp-line rule expects; every attribute
 *     value (alt text, titles, w:val ...), comment and processing
 *     instruction is read too, each on a line of its own after the text;
 *   - a part that is text (ODF's "mimetype", a thumbnail that is no
 *     picture) is read as text;
 *   - a picture is passed over only as the thumbnail (docProps/thumbnail.*,
 *     Thumbnails/thumbnail.png), and only when the sniffer says it is one:
 *     a picture of the first page, whose text is read anyway;
 *   - anything else (a picture, which may show a stamp we cannot read, an
 *     embedded object, a font, macros, an EMF drawing, a nested archive),
 *     and any part we cannot read (malformed XML, a
 *     document type declaration, too deep, an encrypted entry, a
 *     compression other than stored or deflate, ZIP64, a size that lies, a
 *     ratio of a ZIP bomb), leaves the whole file unreadable (then it enters
 *     only as declared unclassified, rule D10): never a part skipped.
 * The names of the parts are read too, one a line, at the end.
 * Bounded: EXTRACT_MAX_ENTRIES entries, EXTRACT_MAX_INFLATED bytes inflated
 * in all, EXTRACT_MAX_RATIO per part, EXTRACT_MAX_DEPTH of XML nesting, and
 * CH_ATTACH_MAX_TOTAL bytes of text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <expat.h>
#include <zlib.h>

#include "workflows/classify/attach.h"
#include "util/common.h"

#define EXTRACT_MAX_ENTRIES 2000
#define EXTRACT_MAX_INFLATED CH_ATTACH_MAX_TOTAL /* all parts together */
#define EXTRACT_MAX_RATIO 1000                   /* inflated / compressed, per part */
#define EXTRACT_MAX_DEPTH 256                    /* XML element nesting */
#define MAX_TEXT CH_ATTACH_MAX_TOTAL

static unsigned rd16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int inflate_part(ch_buf *out, const unsigned char *src, size_t clen, size_t ulen)
{
	z_stream z;
	int rc;

	if (!ulen)
		return clen <= 2 ? 0 : -1; /* an empty deflate stream is 2 bytes */
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

/* ------------------------------------------------------------------ */
/* One XML part, through expat                                         */

typedef struct {
	XML_Parser p;
	ch_buf *text;  /* character data, with line and cell ends */
	ch_buf *aux;   /* attribute values, comments, processing instructions */
	unsigned depth;
	uint8_t had_text[EXTRACT_MAX_DEPTH + 1]; /* an element held character data */
	int bad;       /* a construct we refuse: a DTD, too deep, too much text */
} xml_state;

static int name_in(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return 1;
	return 0;
}

/* Elements that end a line, a cell, or that are runs inside a line. */
static const char *const line_ends[] = { "w:p", "a:p", "text:p", "text:h", "si", "row",
	                                 "table:table-row", "w:br", "text:line-break", "w:cr" };
static const char *const cell_ends[] = { "w:tc", "w:tab", "c", "table:table-cell", "text:tab",
	                                 "a:tc", "w:ptab" };
static const char *const inline_runs[] = { "w:t", "w:delText", "w:instrText", "a:t", "t",
	                                   "text:span", "text:a", "m:t", "w:r", "a:r", "r",
	                                   "a:fld", "w:fldSimple", "w:hyperlink" };

static void refuse(xml_state *x)
{
	x->bad = 1;
	XML_StopParser(x->p, XML_FALSE);
}

static int over(const xml_state *x)
{
	return x->text->size + x->aux->size > MAX_TEXT;
}

static void XMLCALL on_start(void *payload, const XML_Char *name, const XML_Char **attr)
{
	xml_state *x = payload;
	size_t i;

	if (++x->depth > EXTRACT_MAX_DEPTH) {
		refuse(x);
		return;
	}
	x->had_text[x->depth] = 0;
	if (!strcmp(name, "text:s"))
		ch_buf_putc(x->text, ' ');
	for (i = 0; attr[i]; i += 2) {
		if (!strncmp(attr[i], "xmlns", 5) || !attr[i + 1][0])
			continue;
		ch_buf_puts(x->aux, attr[i + 1]);
		ch_buf_putc(x->aux, '\n');
	}
	if (over(x))
		refuse(x);
}

static void XMLCALL on_end(void *payload, const XML_Char *name)
{
	xml_state *x = payload;

	if (name_in(name, line_ends, CH_ARRAY_SIZE(line_ends)))
		ch_buf_putc(x->text, '\n');
	else if (name_in(name, cell_ends, CH_ARRAY_SIZE(cell_ends)))
		ch_buf_putc(x->text, '\t');
	else if (x->depth <= EXTRACT_MAX_DEPTH && x->had_text[x->depth] &&
	         !name_in(name, inline_runs, CH_ARRAY_SIZE(inline_runs)))
		ch_buf_putc(x->text, '\n'); /* a property, a value: <dc:title>...</dc:title> */
	if (x->depth)
		x->depth--;
}

static void XMLCALL on_text(void *payload, const XML_Char *s, int len)
{
	xml_state *x = payload;
	unsigned d;

	ch_buf_put(x->text, s, (size_t)len);
	for (d = x->depth; d > 0 && d <= EXTRACT_MAX_DEPTH && !x->had_text[d]; d--)
		x->had_text[d] = 1;
	if (over(x))
		refuse(x);
}

static void XMLCALL on_comment(void *payload, const XML_Char *s)
{
	xml_state *x = payload;

	ch_buf_puts(x->aux, s);
	ch_buf_putc(x->aux, '\n');
	if (over(x))
		refuse(x);
}

static void XMLCALL on_pi(void *payload, const XML_Char *target, const XML_Char *data)
{
	(void)target;
	on_comment(payload, data);
}

/* Office XML has no document type: one (and with it entity declarations,
 * the way to a billion laughs) makes the part unreadable. */
static void XMLCALL on_doctype(void *payload, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	refuse(payload);
}

static int xml_part(ch_buf *text, ch_buf *aux, const char *s, size_t n)
{
	xml_state x;
	int ok;

	memset(&x, 0, sizeof(x));
	if (n > (size_t)INT32_MAX || !(x.p = XML_ParserCreate(NULL)))
		return -1;
	x.text = text;
	x.aux = aux;
	XML_SetUserData(x.p, &x);
	XML_SetElementHandler(x.p, on_start, on_end);
	XML_SetCharacterDataHandler(x.p, on_text);
	XML_SetCommentHandler(x.p, on_comment);
	XML_SetProcessingInstructionHandler(x.p, on_pi);
	XML_SetStartDoctypeDeclHandler(x.p, on_doctype);
	ok = XML_Parse(x.p, s, (int)n, 1) == XML_STATUS_OK && !x.bad;
	XML_ParserFree(x.p);
	ch_buf_putc(text, '\n');
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* One part, whatever it is                                            */

static int is_xml(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	else if (n >= 2 && (!memcmp(s, "\xff\xfe", 2) || !memcmp(s, "\xfe\xff", 2)))
		return 1; /* UTF-16 with a byte order mark: expat reads it */
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < n && s[i] == '<';
}

static int is_thumbnail(const char *name, size_t n)
{
	return (n > 19 && !memcmp(name, "docProps/thumbnail.", 19)) ||
	       (n == 24 && !memcmp(name, "Thumbnails/thumbnail.png", 24));
}

/* Read a part's content into text (or aux); -1 if it cannot be read. */
static int read_part(ch_buf *text, ch_buf *aux, const char *s, size_t n, int thumbnail)
{
	const char *kind;

	if (!n)
		return 0;
	if (is_xml(s, n))
		return xml_part(text, aux, s, n);
	if (!(kind = ch_stamp_sniff(s, n))) { /* text: judged as such */
		ch_buf_put(aux, s, n);
		ch_buf_putc(aux, '\n');
		return 0;
	}
	return thumbnail && !strcmp(kind, "image") ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The ZIP                                                             */

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

typedef struct {
	const char *name;
	size_t nlen, clen, ulen, off;
	unsigned flags, method;
} zentry;

/* The central directory entry at *p (moved past it). */
static int read_entry(zentry *e, const unsigned char *s, size_t *p, size_t eocd)
{
	size_t at = *p;

	if (at + 46 > eocd || memcmp(s + at, "PK\x01\x02", 4))
		return -1;
	e->flags = rd16(s + at + 8);
	e->method = rd16(s + at + 10);
	e->clen = rd32(s + at + 20);
	e->ulen = rd32(s + at + 24);
	e->nlen = rd16(s + at + 28);
	e->off = rd32(s + at + 42);
	e->name = (const char *)s + at + 46;
	*p = at + 46 + e->nlen + rd16(s + at + 30) + rd16(s + at + 32);
	if (*p > eocd || (e->flags & 1) || e->clen == 0xffffffffu || e->ulen == 0xffffffffu ||
	    e->off == 0xffffffffu)
		return -1; /* truncated, encrypted or ZIP64 */
	return 0;
}

/* An entry's bytes, inflated into part; *read counts what all parts
 * inflated. */
static int entry_data(ch_buf *part, const zentry *e, const unsigned char *s, size_t len,
                      size_t *read)
{
	size_t data_at;

	if ((e->method != 0 && e->method != 8) || e->off + 30 > len ||
	    memcmp(s + e->off, "PK\x03\x04", 4))
		return -1;
	data_at = e->off + 30 + rd16(s + e->off + 26) + rd16(s + e->off + 28);
	if (data_at > len || e->clen > len - data_at || e->ulen > EXTRACT_MAX_INFLATED - *read)
		return -1;
	if (e->clen && e->ulen / e->clen > EXTRACT_MAX_RATIO)
		return -1;
	*read += e->ulen;
	ch_buf_clear(part);
	if (e->method == 0) {
		if (e->clen != e->ulen)
			return -1;
		ch_buf_put(part, s + data_at, e->clen);
		return 0;
	}
	return inflate_part(part, s + data_at, e->clen, e->ulen);
}

int ch_attach_extract(ch_buf *out, const void *data, size_t len)
{
	const unsigned char *s = data;
	ch_buf part = CH_BUF_INIT, aux = CH_BUF_INIT, names = CH_BUF_INIT;
	size_t eocd, n, i, p, read = 0;
	int error = -1;

	ch_buf_clear(out);
	if (find_eocd(s, len, &eocd) < 0)
		return -1;
	n = rd16(s + eocd + 10);
	p = rd32(s + eocd + 16);
	if (n == 0xffff || n > EXTRACT_MAX_ENTRIES || p > eocd || rd32(s + eocd + 12) > eocd - p)
		return -1;
	for (i = 0; i < n; i++) {
		zentry e;

		if (read_entry(&e, s, &p, eocd) < 0)
			goto done;
		ch_buf_put(&names, e.name, e.nlen);
		ch_buf_putc(&names, '\n');
		if (e.nlen && e.name[e.nlen - 1] == '/' && !e.ulen)
			continue; /* a directory */
		if (entry_data(&part, &e, s, len, &read) < 0 ||
		    read_part(out, &aux, part.ptr, part.size, is_thumbnail(e.name, e.nlen)) < 0)
			goto done;
		if (out->size + aux.size + names.size > MAX_TEXT)
			goto done;
	}
	ch_buf_put(out, aux.ptr, aux.size);
	ch_buf_put(out, names.ptr, names.size);
	error = out->size > MAX_TEXT ? -1 : 0;
done:
	ch_buf_dispose(&part);
	ch_buf_dispose_secret(&aux);
	ch_buf_dispose(&names);
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
