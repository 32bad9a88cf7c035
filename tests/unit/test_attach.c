/* test_attach.c -- attachment names and content sniffing
 * (workflows/classify/attach.c): what a file is by its bytes, never its name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "workflows/classify/attach.h"
#include "util/common.h"

static void name_ok(const char *in, const char *want)
{
	ch_buf out = CH_BUF_INIT;

	if (ch_attach_name(&out, in) < 0)
		fail_msg("name '%s' refused: %s", in, ch_error_last());
	assert_string_equal(out.ptr, want);
	assert_true(ch_attach_valid_name(out.ptr));
	ch_buf_dispose(&out);
}

static void name_bad(const char *in, const char *what)
{
	ch_buf out = CH_BUF_INIT;

	if (ch_attach_name(&out, in) != CH_EINVALID)
		fail_msg("name (%s) taken", what);
	assert_false(ch_attach_valid_name(in));
	/* the message never echoes the name */
	if (strlen(in) > 3 && strstr(ch_error_last(), in))
		fail_msg("the refusal of (%s) echoes it: %s", what, ch_error_last());
	ch_buf_dispose(&out);
}

static void test_names(void **state)
{
	char long_name[CH_ATTACH_MAX_NAME + 2];

	(void)state;
	name_ok("bao-cao.pdf", "bao-cao.pdf");
	name_ok("Biên bản họp (lần 2).docx", "Biên bản họp (lần 2).docx");
	name_ok("Bie\xcc\x82n ba\xcc\x89n.txt", "Biên bản.txt"); /* NFD in, NFC out */
	name_ok("a", "a");
	name_ok("-x.txt", "-x.txt");
	memset(long_name, 'a', CH_ATTACH_MAX_NAME);
	long_name[CH_ATTACH_MAX_NAME] = '\0';
	name_ok(long_name, long_name);
	assert_false(ch_attach_valid_name("Bie\xcc\x82n.txt")); /* valid only when already NFC */

	long_name[CH_ATTACH_MAX_NAME] = 'a';
	long_name[CH_ATTACH_MAX_NAME + 1] = '\0';
	name_bad(long_name, "too long");
	name_bad("", "empty");
	name_bad(".git", "leading dot");
	name_bad("..", "dot dot");
	name_bad(".bashrc", "hidden");
	name_bad("a/b.txt", "slash");
	name_bad("..\\x.txt", "backslash");
	name_bad("c:x.txt", "colon");
	name_bad("a*b", "star");
	name_bad("a?b", "question mark");
	name_bad("a\"b", "quote");
	name_bad("a<b>", "angle brackets");
	name_bad("a|b", "pipe");
	name_bad("x.txt.", "trailing dot");
	name_bad("x.txt ", "trailing space");
	name_bad(" x.txt", "leading space");
	name_bad("a\nb", "newline");
	name_bad("a\tb", "tab");
	name_bad("a\x7f" "b", "DEL");
	name_bad("a\xc2\x85" "b", "C1 control");
	name_bad("invoice\xe2\x80\xae" "fdp.exe", "right-to-left override");
	name_bad("a\xe2\x80\x8b" "b.txt", "zero-width space");
	name_bad("a\xef\xbb\xbf" "b.txt", "BOM");
	name_bad("a\xe2\x81\xa6" "b.txt", "bidi isolate");
	name_bad("a\xe2\x80\xa8" "b.txt", "line separator");
	name_bad("a\xff" "b.txt", "invalid UTF-8");
	name_bad("a\xc0\xaf" "b.txt", "overlong slash");
}

typedef struct {
	const char *what;
	const char *data;
	size_t len;
	const char *type;
} sniff_row;

#define S(what, lit, type) { what, lit, sizeof(lit) - 1, type }

static const sniff_row sniffs[] = {
	S("PNG", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
	S("JPEG", "\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
	S("GIF", "GIF89a\x01\0\x01\0", "image/gif"),
	S("WebP", "RIFF\x10\0\0\0WEBPVP8 ", "image/webp"),
	S("TIFF", "II*\0\x08\0\0\0", "image/tiff"),
	S("BMP of its own length", "BM\x10\0\0\0\0\0\0\0\x0e\0\0\0\0\0", "image/bmp"),
	S("PDF", "%PDF-1.7\n", "application/pdf"),
	S("ZIP", "PK\x03\x04\x14\0\0\0\x08\0data.bin", "application/zip"),
	S("encrypted ZIP", "PK\x03\x04\x14\0\x01\0\x08\0x", "application/x-encrypted-zip"),
	S("DOCX", "PK\x03\x04\x14\0\x06\0\x08\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x13\0\0\0"
	  "[Content_Types].xml....PK\x03\x04word/document.xml",
	  "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
	S("XLSX", "PK\x03\x04\x14\0\x06\0[Content_Types].xml..xl/workbook.xml",
	  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
	S("ODT", "PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x08\0\0\0"
	  "mimetypeapplication/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text"),
	S("OLE (old Office)", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0", "application/x-ole-storage"),
	S("gzip", "\x1f\x8b\x08\0\0\0", "application/gzip"),
	S("bzip2", "BZh91AY", "application/x-bzip2"),
	S("xz", "\xfd" "7zXZ\0\0", "application/x-xz"),
	S("7z", "7z\xbc\xaf\x27\x1c\0\x04", "application/x-7z-compressed"),
	S("RAR", "Rar!\x1a\x07\x01\0", "application/vnd.rar"),
	S("OpenPGP armored", "-----BEGIN PGP MESSAGE-----\n\nhQEMA\n", "application/pgp-encrypted"),
	S("OpenPGP binary", "\x84\x8c\x03\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x08\xff",
	  "application/pgp-encrypted"),
	S("age", "age-encryption.org/v1\n-> X25519", "application/x-age-encrypted"),
	S("RTF", "{\\rtf1\\ansi x}", "application/rtf"),
	S("unknown binary", "\x01\x02\x03\0\0\x10\x11\0\xff", "application/octet-stream"),
	S("text", "Công văn số 12.\n", "text/plain"),
	S("CSV", "a,b\n1,2\n", "text/plain"),
	S("HTML is text", "<html><script>x</script></html>", "text/plain"),
	S("SVG is text", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "text/plain"),
	S("empty", "", "text/plain"),
	S("BM that is text", "BMW và Mercedes\n", "text/plain"),
	S("PK that is text", "PKI là hạ tầng khóa công khai.\n", "text/plain"),
};

static void test_sniff(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(sniffs); i++) {
		const char *t = ch_attach_sniff(sniffs[i].data, sniffs[i].len);

		if (strcmp(t, sniffs[i].type)) {
			print_message("%s: got %s, want %s\n", sniffs[i].what, t, sniffs[i].type);
			bad++;
		}
		/* every type it returns for a file is one a policy may name, or text */
		assert_true(!strcmp(t, "text/plain") || ch_attach_type_known(t));
	}
	assert_int_equal(bad, 0);
}

static void test_types(void **state)
{
	(void)state;
	assert_true(ch_attach_type_known("image/png"));
	assert_true(ch_attach_type_known("application/octet-stream"));
	assert_false(ch_attach_type_known("text/plain"));
	assert_false(ch_attach_type_known("image/svg+xml"));
	assert_false(ch_attach_type_known("text/html"));
	assert_false(ch_attach_type_known("image/PNG"));
	assert_false(ch_attach_type_known(NULL));
	assert_true(ch_attach_type_encrypted("application/pgp-encrypted"));
	assert_true(ch_attach_type_encrypted("application/x-age-encrypted"));
	assert_true(ch_attach_type_encrypted("application/x-encrypted-zip"));
	assert_false(ch_attach_type_encrypted("application/zip"));
}

static void test_serve_type(void **state)
{
	(void)state;
	assert_string_equal(ch_attach_serve_type("Ghi chú\n", strlen("Ghi chú\n")), "text/plain; charset=utf-8");
	assert_string_equal(ch_attach_serve_type("<html><script>alert(1)</script>", 31),
	                    "text/plain; charset=utf-8");
	assert_string_equal(ch_attach_serve_type("\x89PNG\r\n\x1a\n\0", 9), "image/png");
	/* legacy 8-bit text the scanner reads is served as bytes, not as UTF-8 */
	assert_string_equal(ch_attach_serve_type("T\xe8I M\xcbT\n", 8), "application/octet-stream");
}

/* ---- Office files: a small ZIP writer (stored or deflated entries) ---- */

typedef struct {
	ch_buf zip, cd;
	unsigned n;
} zipw;

static void le16(ch_buf *b, unsigned v)
{
	ch_buf_putc(b, (char)(v & 0xff));
	ch_buf_putc(b, (char)(v >> 8));
}

static void le32(ch_buf *b, unsigned long v)
{
	le16(b, (unsigned)(v & 0xffff));
	le16(b, (unsigned)(v >> 16));
}

static void zip_add(zipw *z, const char *name, const char *data, int deflated, unsigned flags)
{
	size_t len = strlen(data), off = z->zip.size;
	unsigned long crc = crc32(0, (const Bytef *)data, (uInt)len);
	unsigned char out[65536];
	size_t clen = len;
	const void *body = data;

	if (deflated) {
		z_stream s;

		memset(&s, 0, sizeof(s));
		assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
		s.next_in = (Bytef *)(uintptr_t)data;
		s.avail_in = (uInt)len;
		s.next_out = out;
		s.avail_out = sizeof(out);
		assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
		clen = s.total_out;
		deflateEnd(&s);
		body = out;
	}
	ch_buf_put(&z->zip, "PK\x03\x04", 4);
	le16(&z->zip, 20); le16(&z->zip, flags); le16(&z->zip, deflated ? 8 : 0);
	le16(&z->zip, 0); le16(&z->zip, 0);
	le32(&z->zip, crc); le32(&z->zip, clen); le32(&z->zip, len);
	le16(&z->zip, (unsigned)strlen(name)); le16(&z->zip, 0);
	ch_buf_puts(&z->zip, name);
	ch_buf_put(&z->zip, body, clen);
	ch_buf_put(&z->cd, "PK\x01\x02", 4);
	le16(&z->cd, 20); le16(&z->cd, 20); le16(&z->cd, flags); le16(&z->cd, deflated ? 8 : 0);
	le16(&z->cd, 0); le16(&z->cd, 0);
	le32(&z->cd, crc); le32(&z->cd, clen); le32(&z->cd, len);
	le16(&z->cd, (unsigned)strlen(name)); le16(&z->cd, 0); le16(&z->cd, 0);
	le16(&z->cd, 0); le16(&z->cd, 0); le32(&z->cd, 0); le32(&z->cd, off);
	ch_buf_puts(&z->cd, name);
	z->n++;
}

static void zip_end(zipw *z)
{
	size_t cd_at = z->zip.size;

	ch_buf_put(&z->zip, z->cd.ptr, z->cd.size);
	ch_buf_put(&z->zip, "PK\x05\x06", 4);
	le16(&z->zip, 0); le16(&z->zip, 0); le16(&z->zip, z->n); le16(&z->zip, z->n);
	le32(&z->zip, z->cd.size); le32(&z->zip, cd_at); le16(&z->zip, 0);
}

#define DOCX_TYPES "<?xml version=\"1.0\"?><Types xmlns=\"x\"/>"
#define W_DOC(body) "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>" \
	"<w:document xmlns:w=\"w\"><w:body>" body "</w:body></w:document>"
#define W_P(text) "<w:p><w:r><w:t>" text "</w:t></w:r></w:p>"

/* A docx with `document` as word/document.xml (deflated), and `extra`
 * (a part name) holding a few bytes when given. */
static void docx(ch_buf *out, const char *document, const char *extra, unsigned flags)
{
	zipw z;

	memset(&z, 0, sizeof(z));
	ch_buf_init(&z.zip);
	ch_buf_init(&z.cd);
	zip_add(&z, "[Content_Types].xml", DOCX_TYPES, 0, 0);
	zip_add(&z, "_rels/.rels", "<Relationships/>", 1, 0);
	zip_add(&z, "word/document.xml", document, 1, flags);
	if (extra)
		zip_add(&z, extra, "\x89PNG\r\n\x1a\nxx", 0, 0);
	zip_end(&z);
	ch_buf_set(out, z.zip.ptr, z.zip.size);
	ch_buf_dispose(&z.zip);
	ch_buf_dispose(&z.cd);
}

static ch_stamp_level office_level(const char *document, const char *extra, unsigned flags)
{
	ch_buf b = CH_BUF_INIT;
	ch_stamp_result r;

	docx(&b, document, extra, flags);
	assert_string_equal(ch_attach_sniff(b.ptr, b.size),
	                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
	assert_int_equal(ch_attach_scan(&r, b.ptr, b.size), 0);
	ch_buf_dispose(&b);
	return r.level;
}

static void test_office(void **state)
{
	ch_buf b = CH_BUF_INIT, text = CH_BUF_INIT;
	ch_stamp_result r;

	(void)state;
	/* read: the text of a plain docx */
	assert_int_equal(office_level(W_DOC(W_P("Công văn về hợp tác.") W_P("Bảo mật thông tin.")),
	                              NULL, 0), CH_STAMP_NONE);
	docx(&b, W_DOC(W_P("Dòng một") W_P("A &amp; B &#7852;")), NULL, 0);
	assert_int_equal(ch_attach_extract(&text, b.ptr, b.size), 0);
	assert_non_null(strstr(text.ptr, "Dòng một\nA & B Ậ\n"));
	/* a stamp as its own paragraph, in a table cell, split over runs */
	assert_int_equal(office_level(W_DOC(W_P("BỘ NGOẠI GIAO") W_P("TỐI MẬT") W_P("Nội dung.")),
	                              NULL, 0), CH_STAMP_SECRET);
	assert_int_equal(office_level(W_DOC("<w:tbl><w:tr><w:tc>" W_P("Số: 12/BNG") "</w:tc><w:tc>"
	                                    W_P("MẬT") "</w:tc></w:tr></w:tbl>"), NULL, 0),
	                 CH_STAMP_CONFIDENTIAL);
	assert_int_equal(office_level(W_DOC("<w:p><w:r><w:t>TUYỆT</w:t></w:r><w:r><w:t xml:space=\""
	                                    "preserve\"> MẬT</w:t></w:r></w:p>"), NULL, 0),
	                 CH_STAMP_TOP_SECRET);
	/* unreadable: a picture in it, an encrypted entry, a macro part */
	assert_int_equal(office_level(W_DOC(W_P("Ảnh kèm.")), "word/media/image1.png", 0),
	                 CH_STAMP_UNREADABLE);
	assert_int_equal(office_level(W_DOC(W_P("x")), "word/vbaProject.bin", 0), CH_STAMP_UNREADABLE);
	assert_int_equal(office_level(W_DOC(W_P("x")), NULL, 1), CH_STAMP_UNREADABLE);
	/* a thumbnail is skipped */
	assert_int_equal(office_level(W_DOC(W_P("Thư mời.")), "docProps/thumbnail.jpeg", 0),
	                 CH_STAMP_NONE);
	/* damaged: cut anywhere, it is unreadable, never read as what is left */
	docx(&b, W_DOC(W_P("Nội dung.")), NULL, 0);
	for (size_t cut = 0; cut < b.size; cut += 7) {
		assert_int_equal(ch_attach_scan(&r, b.ptr, cut), 0);
		assert_true(r.level == CH_STAMP_UNREADABLE || r.level == CH_STAMP_NONE);
		assert_true(cut < 30 || ch_attach_extract(&text, b.ptr, cut) < 0);
	}
	ch_buf_dispose(&b);
	ch_buf_dispose(&text);
}

/* A Word file with one more part, `name` holding `content` (deflated). */
static ch_stamp_level part_level(const char *document, const char *name, const char *content)
{
	zipw z;
	ch_stamp_result r;

	memset(&z, 0, sizeof(z));
	ch_buf_init(&z.zip);
	ch_buf_init(&z.cd);
	zip_add(&z, "[Content_Types].xml", DOCX_TYPES, 0, 0);
	zip_add(&z, "_rels/.rels", "<Relationships/>", 1, 0);
	zip_add(&z, "word/document.xml", document, 1, 0);
	if (name)
		zip_add(&z, name, content, 1, 0);
	zip_end(&z);
	assert_int_equal(ch_attach_scan(&r, z.zip.ptr, z.zip.size), 0);
	ch_buf_dispose(&z.zip);
	ch_buf_dispose(&z.cd);
	return r.level;
}

/* What an attacker tries to carry a marking through an Office file: every
 * place is read by the XML parser, or the file is unreadable. */
static void test_office_tricks(void **state)
{
	static const char plain[] = W_DOC(W_P("Công văn về hợp tác."));
	static const struct {
		const char *document, *name, *content;
		ch_stamp_level want;
	} rows[] = {
		{ W_DOC("<w:p><w:r><w:t><![CDATA[TỐI MẬT]]></w:t></w:r></w:p>"), NULL, NULL,
		  CH_STAMP_SECRET },
		{ W_DOC("<w:p><w:r><w:t>T&#x1ED0;I M&#7852;T</w:t></w:r></w:p>"), NULL, NULL,
		  CH_STAMP_SECRET },
		{ W_DOC("<w:p><w:r><w:t>SECRET//NOFORN</w:t></w:r></w:p>"), NULL, NULL,
		  CH_STAMP_SECRET },
		{ W_DOC("<w:p><w:r><w:t>T</w:t></w:r><w:r><w:t>OP SEC</w:t></w:r><w:r><w:t>RET</w:t>"
		        "</w:r></w:p>"), NULL, NULL, CH_STAMP_TOP_SECRET },
		{ W_DOC("<w:p><wp:docPr id=\"1\" name=\"p\" descr=\"TUYỆT MẬT\"/></w:p>" W_P("x")),
		  NULL, NULL, CH_STAMP_TOP_SECRET },
		{ W_DOC("<!-- TỐI MẬT -->" W_P("x")), NULL, NULL, CH_STAMP_SECRET },
		{ plain, "docProps/thumbnail.jpeg", "TỐI MẬT", CH_STAMP_SECRET },
		{ plain, "docProps/thumbnail.emf", "<x>TỐI MẬT</x>", CH_STAMP_SECRET },
		{ plain, "docProps/thumbnail.wmf", "\x01\x02\x03binary", CH_STAMP_UNREADABLE },
		{ plain, "docProps/core.xml", "<cp:coreProperties xmlns:cp=\"c\" xmlns:dc=\"d\">"
		  "<dc:title>TỐI MẬT</dc:title><dc:creator>A</dc:creator></cp:coreProperties>",
		  CH_STAMP_SECRET },
		{ plain, "word/header1.xml", "<w:hdr xmlns:w=\"w\">" W_P("MẬT") "</w:hdr>",
		  CH_STAMP_CONFIDENTIAL },
		{ plain, "word/footnotes.xml", "<w:footnotes xmlns:w=\"w\">" W_P("TUYỆT MẬT")
		  "</w:footnotes>", CH_STAMP_TOP_SECRET },
		{ plain, "word/comments.xml", "<w:comments xmlns:w=\"w\">" W_P("绝密★10年")
		  "</w:comments>", CH_STAMP_TOP_SECRET },
		{ plain, "word/charts/chart1.xml", "<c:chartSpace xmlns:c=\"c\" xmlns:a=\"a\">"
		  "<a:p><a:r><a:t>COSMIC TOP SECRET</a:t></a:r></a:p></c:chartSpace>",
		  CH_STAMP_TOP_SECRET },
		{ plain, "customXml/item1.xml", "<x>unclosed", CH_STAMP_UNREADABLE },
		{ plain, "customXml/item2.xml", "<!DOCTYPE x [<!ENTITY a \"TỐI MẬT\">]><x>&a;</x>",
		  CH_STAMP_UNREADABLE },
		{ plain, "word/notes.txt", "TỐI MẬT", CH_STAMP_SECRET },
		{ plain, "word/TỐI MẬT.xml", "<x/>", CH_STAMP_SECRET },
		{ plain, "word/embeddings/oleObject1.bin", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
		  CH_STAMP_UNREADABLE },
		{ plain, "word/settings.xml", "<w:settings xmlns:w=\"w\"/>", CH_STAMP_NONE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(rows); i++) {
		ch_stamp_level got = part_level(rows[i].document, rows[i].name, rows[i].content);

		if (got != rows[i].want)
			fail_msg("row %zu (%s): got %s, want %s", i, rows[i].name ? rows[i].name : "document",
			         ch_stamp_level_name(got), ch_stamp_level_name(rows[i].want));
	}
}

/* Reading an Office file's text is linear: twice the paragraphs, about
 * twice the time (a search to the end of the part for each run of text
 * once made 30,000 paragraphs take 1.8 s). Best of three runs each. */
static double extract_ms(size_t paragraphs)
{
	ch_buf xml = CH_BUF_INIT, b = CH_BUF_INIT, text = CH_BUF_INIT;
	double best = 1e9;
	size_t i;
	int k;

	ch_buf_puts(&xml, "<?xml version=\"1.0\"?><w:document xmlns:w=\"w\"><w:body>");
	for (i = 0; i < paragraphs; i++)
		ch_buf_puts(&xml, W_P("Bộ Ngoại giao triển khai Nghị quyết 292/NQ-CP."));
	ch_buf_puts(&xml, "</w:body></w:document>");
	docx(&b, xml.ptr, NULL, 0);
	for (k = 0; k < 3; k++) {
		struct timespec t0, t1;
		double ms;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		assert_int_equal(ch_attach_extract(&text, b.ptr, b.size), 0);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		best = ms < best ? ms : best;
	}
	ch_buf_dispose(&xml);
	ch_buf_dispose(&b);
	ch_buf_dispose(&text);
	return best;
}

static void test_extract_linear(void **state)
{
	double a, b;

	(void)state;
	a = extract_ms(20000);
	b = extract_ms(40000);
	print_message("20,000 paragraphs: %.1f ms; 40,000: %.1f ms\n", a, b);
	assert_true(b < 4 * a + 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_serve_type),
		cmocka_unit_test(test_office),
		cmocka_unit_test(test_office_tricks),
		cmocka_unit_test(test_extract_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
