/* fuzz_office.c -- libFuzzer target for the Office and OpenDocument reader
 * (workflows/extract.c: the ZIP, expat over every XML part). The first
 * byte chooses what the rest is:
 *   even  a whole file: ch_attach_extract and ch_attach_scan
 *   odd   the XML of one part, put into a Word file as word/document.xml
 *         (stored), so that the fuzzer reaches the XML parser directly
 * Beyond "no crash, no leak": the text is bounded (CH_ATTACH_MAX_TOTAL) and
 * empty on failure; the verdict of a file that was read is what the stamp
 * scanner says of its text; a file that cannot be read is never NONE. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workflows/classify/attach.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void put16(ch_buf *b, unsigned v)
{
	ch_buf_putc(b, (char)(v & 0xff));
	ch_buf_putc(b, (char)(v >> 8));
}

static void put32(ch_buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/* A ZIP of stored entries (no CRC: the reader does not check it). */
static void zip_entry(ch_buf *zip, ch_buf *cd, const char *name, const void *data, size_t len)
{
	size_t off = zip->size, n = strlen(name);

	ch_buf_put(zip, "PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00", 14);
	put32(zip, 0);
	put32(zip, (uint32_t)len);
	put32(zip, (uint32_t)len);
	put16(zip, (unsigned)n);
	put16(zip, 0);
	ch_buf_put(zip, name, n);
	ch_buf_put(zip, data, len);
	ch_buf_put(cd, "PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16);
	put32(cd, 0);
	put32(cd, (uint32_t)len);
	put32(cd, (uint32_t)len);
	put16(cd, (unsigned)n);
	ch_buf_put(cd, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
	put32(cd, (uint32_t)off);
	ch_buf_put(cd, name, n);
}

static void wrap_docx(ch_buf *out, const uint8_t *xml, size_t len)
{
	static const char types[] =
		"<Types><Override PartName=\"/word/document.xml\" ContentType=\"application/"
		"vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
	ch_buf cd = CH_BUF_INIT;
	size_t at;

	zip_entry(out, &cd, "[Content_Types].xml", types, sizeof(types) - 1);
	zip_entry(out, &cd, "word/document.xml", xml, len);
	at = out->size;
	ch_buf_put(out, cd.ptr, cd.size);
	ch_buf_put(out, "PK\x05\x06\x00\x00\x00\x00\x02\x00\x02\x00", 12);
	put32(out, (uint32_t)cd.size);
	put32(out, (uint32_t)at);
	put16(out, 0);
	ch_buf_dispose(&cd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_buf file = CH_BUF_INIT, text = CH_BUF_INIT;
	ch_stamp_result r, t;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		wrap_docx(&file, data + 1, size - 1);
	else
		ch_buf_put(&file, data + 1, size - 1);
	if (ch_attach_extract(&text, file.ptr, file.size) == 0) {
		check(text.size <= CH_ATTACH_MAX_TOTAL);
		check(ch_stamp_scan_text(&t, text.ptr, text.size, CH_STAMP_IN_BODY) == 0);
	} else {
		check(text.size == 0);
	}
	check(ch_attach_scan(&r, file.ptr, file.size) == 0);
	check(r.rule != NULL && r.encoding != NULL);
	ch_buf_dispose(&file);
	ch_buf_dispose(&text);
	return 0;
}
