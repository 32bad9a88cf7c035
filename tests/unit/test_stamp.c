/* test_stamp.c -- the classification stamp scanner (workflows/classify/stamp.c;
 * DESIGN.md "Classification"): a table of inputs with the verdict each must
 * get, stamps in every form and the words that only look like them; files
 * by type; every corpus document, as is and re-encoded in the legacy
 * Vietnamese encodings; the invariances (NFC/NFD, zero-width spaces); no
 * echo of the content; linear time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "workflows/classify/stamp.h"
#include "util/fs.h"
#include "util/common.h"

#define BODY CH_STAMP_IN_BODY
#define TITLE CH_STAMP_IN_TITLE
#define NAME CH_STAMP_IN_FILENAME
#define NONE CH_STAMP_NONE
#define CONF CH_STAMP_CONFIDENTIAL
#define SECRET CH_STAMP_SECRET
#define TOP CH_STAMP_TOP_SECRET
#define DECL CH_STAMP_DECLASSIFIED_NO_REF
#define UNREAD CH_STAMP_UNREADABLE

/* Twenty-five lines of prose: what comes after it is past the header. */
#define PROSE25                                                                                 \
	"Dòng 1 của văn bản.\nDòng 2.\nDòng 3.\nDòng 4.\nDòng 5.\nDòng 6.\nDòng 7.\nDòng 8.\n"   \
	"Dòng 9.\nDòng 10.\nDòng 11.\nDòng 12.\nDòng 13.\nDòng 14.\nDòng 15.\nDòng 16.\n"        \
	"Dòng 17.\nDòng 18.\nDòng 19.\nDòng 20.\nDòng 21.\nDòng 22.\nDòng 23.\nDòng 24.\n"       \
	"Dòng 25.\n"

typedef struct {
	const char *in;
	int where;
	ch_stamp_level want;
	const char *what;
} row;

static const row rows[] = {
	/* plain stamps, as lines */
	{ "MẬT", BODY, CONF, "plain MẬT" },
	{ "TỐI MẬT", BODY, SECRET, "plain TỐI MẬT" },
	{ "TUYỆT MẬT", BODY, TOP, "plain TUYỆT MẬT" },
	{ "BỘ NGOẠI GIAO\nSố: 123/BNG-VP\nTỐI MẬT\n\nBÁO CÁO\nVề tình hình khu vực\n", BODY, SECRET,
	  "stamp under the number in a header" },
	{ "MẬT\nBản số: 02", BODY, CONF, "with a copy number on the next line" },
	{ "TUYỆT MẬT  Bản số: 01/05", BODY, TOP, "with a copy number on the line" },
	{ "   **TỐI MẬT**   ", BODY, SECRET, "Markdown emphasis" },
	{ "[MẬT]", BODY, CONF, "in brackets" },
	{ "(TUYỆT MẬT)", BODY, TOP, "in parentheses" },
	{ "Trang 3/10\n\n" PROSE25 "TỐI MẬT\n" PROSE25, BODY, SECRET, "page header deep in the body" },
	/* boxes and columns */
	{ "┌─────────┐\n│ TỐI MẬT │\n└─────────┘", BODY, SECRET, "box of box-drawing characters" },
	{ "+-------+\n| MẬT |\n+-------+", BODY, CONF, "ASCII box" },
	{ "╔═══════════╗\n║ TUYỆT MẬT ║\n╚═══════════╝", BODY, TOP, "double box" },
	{ "BỘ NGOẠI GIAO            TỐI MẬT\nSố: 12/BNG", BODY, SECRET, "second column of a header" },
	{ "BỘ NGOẠI GIAO\tMẬT", BODY, CONF, "tab-separated cell" },
	{ "Cơ quan │ Độ mật │ Số\nVụ A │ Tuyệt mật │ 12", BODY, TOP, "table cell" },
	/* NFD and case */
	{ "TO\u0302\u0301I MA\u0323\u0302T", BODY, SECRET, "NFD TỐI MẬT" },
	{ "ma\u0323\u0302t", BODY, CONF, "NFD lower-case mật" },
	{ "TUYE\u0323\u0302T MA\u0323\u0302T", BODY, TOP, "NFD TUYỆT MẬT" },
	{ "Mật", BODY, CONF, "mixed case line" },
	{ "tối mật", BODY, SECRET, "lower-case line" },
	{ "tUyỆt mẬt", BODY, TOP, "odd case line" },
	/* without diacritics */
	{ "TOI MAT", BODY, SECRET, "TOI MAT" },
	{ "TUYET MAT", BODY, TOP, "TUYET MAT" },
	{ "toi mat", BODY, SECRET, "toi mat, lower case" },
	{ "MAT", BODY, CONF, "MAT alone on a line" },
	{ "DO MAT: MAT", BODY, CONF, "DO MAT: MAT" },
	{ "Do mat: TUYET MAT", BODY, TOP, "Do mat: TUYET MAT" },
	{ "MÂT", BODY, CONF, "damaged: circumflex only" },
	/* spaced letters */
	{ "T Ố I   M Ậ T", BODY, SECRET, "spaced letters" },
	{ "T.O.I M.A.T", BODY, SECRET, "dotted letters" },
	{ "T-U-Y-Ệ-T M-Ậ-T", BODY, TOP, "hyphenated letters" },
	{ "M    Ậ    T", BODY, CONF, "wide-spaced letters" },
	{ "BỘ NGOẠI GIAO T U Y Ệ T M Ậ T", BODY, TOP, "spaced letters inside a header line" },
	{ "M\nẬ\nT", BODY, CONF, "one letter per line (joined reading)" },
	{ "TỐI\nMẬT", BODY, SECRET, "a stamp over two lines" },
	/* invisible characters */
	{ "TỐI\u200bMẬT", BODY, SECRET, "zero-width space between words" },
	{ "M\u200bẬ\u200bT", BODY, CONF, "zero-width spaces inside" },
	{ "T\u200cU\u200dY\u2060Ệ\ufeffT MẬT", BODY, TOP, "ZWNJ, ZWJ, word joiner, BOM inside" },
	{ "M\u00adẬT", BODY, CONF, "soft hyphen inside" },
	{ "TỐ\u034fI M\u202eẬ\u202cT", BODY, SECRET, "CGJ and bidi controls inside" },
	{ "TỐI\u00a0MẬT", BODY, SECRET, "NBSP between words" },
	{ "TUYỆT\u202fMẬT", BODY, TOP, "narrow NBSP" },
	{ "\u3000MẬT\u3000", BODY, CONF, "ideographic spaces" },
	{ "T\u2009O\u2009I\u2009M\u2009A\u2009T", BODY, SECRET, "thin spaces" },
	/* look-alikes */
	{ "\u041c\u0410\u0422", BODY, CONF, "Cyrillic МАТ" },
	{ "\u0422\u1ed0\u0406 \u041c\u1eac\u0422", BODY, SECRET, "Cyrillic Т І М around marked vowels" },
	{ "\u039c\u0391\u03a4", BODY, CONF, "Greek ΜΑΤ" },
	{ "\u03a4\u039f\u0399 \u039c\u0391\u03a4", BODY, SECRET, "Greek ΤΟΙ ΜΑΤ" },
	{ "\uff34\uff35\uff39\uff25\uff34 \uff2d\uff21\uff34", BODY, TOP, "fullwidth" },
	{ "\uff2d\uff21\u0323\u0302\uff34", BODY, CONF, "fullwidth with combining marks" },
	{ "\U0001d413\U0001d40e\U0001d408 \U0001d40c\U0001d400\U0001d413", BODY, SECRET,
	  "mathematical bold" },
	{ "\u1d1b\u1d0f\u026a \u1d0d\u1d00\u1d1b", BODY, SECRET, "small capitals" },
	{ "T0I MAT", BODY, SECRET, "digit zero for O" },
	{ "\u24c9\u24c4\u24be \u24c2\u24b6\u24c9", BODY, SECRET, "circled letters" },
	/* legacy encodings, raw and as mojibake in UTF-8 */
	{ "M\xcbT", BODY, CONF, "TCVN3 MẬT (capital font, lower-case code)" },
	{ "T\xe8I M\xcbT", BODY, SECRET, "TCVN3 TỐI MẬT" },
	{ "TUY\xd6T M\xcbT", BODY, TOP, "TCVN3 TUYỆT MẬT" },
	{ "T\xffI M\x86T", BODY, SECRET, "TCVN 5712 VN1 capitals" },
	{ "M\u00cbT", BODY, CONF, "TCVN3 shown as Latin-1 (MËT)" },
	{ "TO\xc1I MA\xc4T", BODY, SECRET, "VNI TOÁI MAÄT" },
	{ "TUYE\u00c4T MA\u00c4T", BODY, TOP, "VNI shown as Latin-1 (TUYEÄT MAÄT)" },
	{ "\u00d1O\u00c4 MA\u00c4T: MA\u00c4T", BODY, CONF, "VNI ÑOÄ MAÄT: MAÄT" },
	{ "T\xd4\xecI M\xc2\xf2T", BODY, SECRET, "Windows-1258 TỐI MẬT" },
	{ "M\u00c2\u00f2T", BODY, CONF, "Windows-1258 shown as Latin-1 (MÂòT)" },
	{ "ba\xfbo ma\xe4t", BODY, NONE, "VNI bảo mật passes" },
	/* fields and leads */
	{ "Độ mật: Mật", BODY, CONF, "Độ mật: Mật" },
	{ "ĐỘ MẬT: TUYỆT MẬT     ĐỘ KHẨN: HỎA TỐC", BODY, TOP, "field with another field" },
	{ "Mức độ mật: Tối mật", BODY, SECRET, "Mức độ mật" },
	{ "Độ mật: Tối mật, Độ khẩn: Khẩn", BODY, SECRET, "field followed by Độ khẩn" },
	{ "TỐI MẬT - CHỈ NGƯỜI CÓ TÊN MỚI ĐƯỢC BÓC BÌ", BODY, SECRET, "envelope stamp" },
	{ PROSE25 "TUYỆT MẬT CHỈ NGƯỜI CÓ TÊN MỚI ĐƯỢC BÓC BÌ", BODY, TOP,
	  "envelope stamp without punctuation, past the header" },
	{ "Số: 15/BNG-VP - MẬT", BODY, CONF, "level closing a line after a dash" },
	{ "MẬT - LƯU HÀNH NỘI BỘ", BODY, CONF, "level with a caveat" },
	{ "BỘ NGOẠI GIAO TỐI MẬT", BODY, SECRET, "capitals in a header line" },
	{ "BÁO CÁO MẬT VỀ TÌNH HÌNH", BODY, CONF, "MẬT in capitals in the header" },
	/* titles */
	{ "Báo cáo tối mật về tình hình biên giới", TITLE, SECRET, "title: tối mật" },
	{ "Kế hoạch mật", TITLE, CONF, "title: kế hoạch mật" },
	{ "TOI MAT - ke hoach", TITLE, SECRET, "title: TOI MAT" },
	{ "[MẬT] Báo cáo tháng 5", TITLE, CONF, "title: [MẬT]" },
	{ "Bao cao mat", TITLE, CONF, "title: bao cao mat" },
	{ "Quy chế bảo mật thông tin", TITLE, NONE, "title: bảo mật" },
	{ "Bảo vệ bí mật nhà nước", TITLE, NONE, "title: bí mật nhà nước" },
	{ "Hướng dẫn đổi mật khẩu", TITLE, NONE, "title: mật khẩu" },
	{ "Mặt trận Tổ quốc Việt Nam", TITLE, NONE, "title: Mặt trận" },
	{ "Format of the minutes", TITLE, NONE, "title: English" },
	/* file names */
	{ "TOI-MAT_baocao.docx", NAME, SECRET, "name: TOI-MAT_" },
	{ "tuyet_mat.pdf", NAME, TOP, "name: tuyet_mat" },
	{ "ToiMat.docx", NAME, SECRET, "name: camelCase" },
	{ "baocaotoimat.docx", NAME, SECRET, "name: run together" },
	{ "BAOCAOTUYETMAT2024.pdf", NAME, TOP, "name: TUYETMAT inside" },
	{ "mat.txt", NAME, CONF, "name: mat.txt" },
	{ "MẬT.docx", NAME, CONF, "name: MẬT.docx" },
	{ "MAT_baocao.docx", NAME, CONF, "name: MAT_ in capitals" },
	{ "tai_lieu_mat.docx", NAME, CONF, "name: tai_lieu_mat" },
	{ "C:\\fakepath\\tuyệt mật\\ghi chú.txt", NAME, TOP, "name: a directory" },
	{ "TAI_LIEU_TOI_MAT", NAME, SECRET, "name: no extension" },
	{ "bao-cao.TOI_MAT", NAME, SECRET, "name: in the extension" },
	{ "mat_khau.txt", NAME, NONE, "name: mat_khau" },
	{ "bao_mat.pdf", NAME, NONE, "name: bao_mat" },
	{ "mat_bang_tang_2.dwg", NAME, NONE, "name: mat_bang" },
	{ "bao_cao_tien_mat.xlsx", NAME, NONE, "name: tien_mat" },
	{ "format.txt", NAME, NONE, "name: format" },
	{ "photoimate.png", NAME, NONE, "name: photoimate" },
	{ "nghi-quyet-292-NQ-CP.txt", NAME, NONE, "name: corpus file" },
	/* attachment names (workflows/classify/attach.h: the gate scans them as file names) */
	{ "Phụ lục TỐI MẬT.pdf", NAME, SECRET, "attachment name: spaced, with marks" },
	{ "phu-luc_tuyet-mat_02.png", NAME, TOP, "attachment name: undiacritized" },
	{ "Hồ sơ MẬT.png", NAME, CONF, "attachment name: MẬT after a document noun" },
	{ "Bản đồ MẬT.png", NAME, CONF, "attachment name: ĐỒ (map) is not ĐỘ (độ mật)" },
	{ "Bản đồ mật độ dân số.png", NAME, NONE, "attachment name: mật độ (density)" },
	{ "BẢN ĐỒ\nMẬT", BODY, CONF, "a map's caption, then a MẬT line" },
	{ "Độ mật: Mật", BODY, CONF, "field: độ mật still a field" },
	{ "do mat cao", NAME, NONE, "name: undiacritized độ mật passes" },
	{ "MẬT - ảnh chụp.jpg", NAME, CONF, "attachment name: MẬT leading" },
	{ "TÓI MẬT.docx", NAME, SECRET, "attachment name: NFD" },
	{ "T​OI-MAT.csv", NAME, SECRET, "attachment name: zero-width space" },
	{ "Ảnh hội nghị bảo mật thông tin.jpg", NAME, NONE, "attachment name: bảo mật" },
	{ "Danh sách mật khẩu wifi.csv", NAME, NONE, "attachment name: mật khẩu" },
	{ "Mặt bằng hội trường.png", NAME, NONE, "attachment name: Mặt bằng (MẶT)" },
	/* declassified */
	{ "GIẢI MẬT", BODY, DECL, "GIẢI MẬT alone" },
	{ "GIẢI MẬT\nTheo Quyết định số 12/QĐ-BNG ngày 01/02/2024", BODY, NONE,
	  "GIẢI MẬT with a decision after it" },
	{ "Quyết định số 45/2024/QĐ-BNG\nGIẢI MẬT", BODY, NONE, "GIẢI MẬT with a decision before it" },
	{ "GIẢI MẬT theo Quyết định 7/QĐ-BNG", BODY, NONE, "GIẢI MẬT with a decision on the line" },
	{ "GIAI MAT\nSo: 12/QD-BNG", BODY, NONE, "GIAI MAT with QD" },
	{ "ĐÃ GIẢI MẬT", BODY, DECL, "ĐÃ GIẢI MẬT without a decision" },
	{ "Độ mật: Giải mật", BODY, DECL, "field value GIẢI MẬT" },
	{ "GIẢI MẬT\nBỘ NGOẠI GIAO\nVụ Tổng hợp\nBáo cáo\nNội dung\nKết luận\nSố 12/QĐ-BNG", BODY, DECL,
	  "decision too far below" },
	{ "GIẢI MẬT\nTỐI MẬT\nQuyết định 3/QĐ-BNG", BODY, SECRET, "old level marking still fires" },
	{ "Việc giải mật tài liệu được thực hiện theo luật.", BODY, NONE, "giải mật in prose" },
	{ "GIẢI MẬT MÃ", BODY, NONE, "GIẢI MẬT MÃ is decryption" },
	/* caveats */
	{ "LƯU HÀNH NỘI BỘ", BODY, NONE, "caveat LƯU HÀNH NỘI BỘ" },
	{ "KHÔNG PHỔ BIẾN", BODY, NONE, "caveat KHÔNG PHỔ BIẾN" },
	{ "HẠN CHẾ PHẠM VI PHỔ BIẾN\nKHẨN", BODY, NONE, "caveat and urgency" },
	/* false friends */
	{ "Bảo vệ bí mật nhà nước là nhiệm vụ của mọi công dân.", BODY, NONE, "bí mật nhà nước" },
	{ "BẢO VỆ BÍ MẬT NHÀ NƯỚC", BODY, NONE, "BÍ MẬT NHÀ NƯỚC in capitals in the header" },
	{ "Bí mật", BODY, NONE, "bí mật as a line" },
	{ "BẢO MẬT", BODY, NONE, "BẢO MẬT as a line" },
	{ "Đổi mật khẩu định kỳ ba tháng một lần.", BODY, NONE, "mật khẩu" },
	{ "MẬT KHẨU", BODY, NONE, "MẬT KHẨU in capitals" },
	{ "Ứng dụng mật mã trong bảo mật thông tin.", BODY, NONE, "mật mã, bảo mật" },
	{ "Quan hệ mật thiết giữa hai nước.", BODY, NONE, "mật thiết" },
	{ "Mật độ dân số tăng.", BODY, NONE, "mật độ" },
	{ "Mật ong rừng", BODY, NONE, "mật ong" },
	{ "Cuộc gặp thân mật", BODY, NONE, "thân mật" },
	{ "MẶT TRẬN TỔ QUỐC VIỆT NAM", BODY, NONE, "MẶT TRẬN" },
	{ "mặt trời", BODY, NONE, "mặt trời" },
	{ "MẶT", BODY, NONE, "MẶT alone" },
	{ "MẤT", BODY, NONE, "MẤT alone" },
	{ "MÁT", BODY, NONE, "MÁT alone" },
	{ "TỚI MẶT", BODY, NONE, "TỚI MẶT" },
	{ "Tài liệu tối mật phải được bảo vệ nghiêm ngặt.", BODY, NONE, "tối mật in prose" },
	{ "Bí mật nhà nước được phân loại theo độ mật: tuyệt mật, tối mật và mật.", BODY, NONE,
	  "the law's list of levels" },
	{ PROSE25 "Theo quy định, TÀI LIỆU TỐI MẬT phải được cất trong két.", BODY, NONE,
	  "capitals inside a sentence past the header" },
	{ "Độ mật: Không", BODY, NONE, "Độ mật: Không" },
	{ "MẶT BẰNG TẦNG 2", BODY, NONE, "MẶT BẰNG" },
	{ "Best regards,\nMat", BODY, NONE, "English name Mat" },
	{ "  -p, --password MẬT_KHẨU       mật mã hóa mật khẩu mới", BODY, NONE,
	  "MẬT_KHẨU joined by an underscore" },
	{ "Mật _khẩu", TITLE, NONE, "mật khẩu with a GTK mnemonic" },
	{ "Phương thức xác thực Tài-khoản/Mật_khẩu bị lỗi.", TITLE, NONE, "Tài-khoản/Mật_khẩu" },
	{ "The format matters; automation too.", BODY, NONE, "English words with mat" },
	/* markup, as the Markdown renderer shows it */
	{ "M&#7852;T", BODY, CONF, "numeric character reference" },
	{ "T&#x1ED0;I&nbsp;M&#x1EAC;T", BODY, SECRET, "hex references and &nbsp;" },
	{ "M<b></b>ẬT", BODY, CONF, "tag inside the word" },
	{ "TỐI&ZeroWidthSpace;MẬT", BODY, SECRET, "named zero-width space" },
	{ "a &amp; b &lt; c", BODY, NONE, "harmless references" },
	{ "[M](https://example.org/x)ẬT", BODY, CONF, "Markdown link text" },
	{ "[TỐI][1] [MẬT][2]", BODY, SECRET, "Markdown reference links" },
	{ "Xem [tài liệu](https://example.org/mat) này.", BODY, NONE, "Markdown link to a 'mat' page" },
	/* bidi: a right-to-left override shows the letters reversed */
	{ "\u202eTẬM\u202c", BODY, CONF, "RLO: TẬM shows as MẬT" },
	{ "BỘ NGOẠI GIAO\n\u202eTẬM IỐT", BODY, SECRET, "RLO: TẬM IỐT shows as TỐI MẬT" },
	{ "\u202eTA\u0323\u0302M", BODY, CONF, "RLO with combining marks" },
	{ "\u202eMẬT", BODY, CONF, "RLO: the logical order is read too" },
};

static const char *const rule_names[] = {
	"", "stamp-line", "level-field", "stamp-lead", "header-upper", "title", "filename",
	"declassified-no-ref", "archive", "pdf", "office-binary", "image", "encrypted", "rtf",
	"binary", "too-large",
};
static const char *const encoding_names[] = {
	"", "utf-8", "tcvn3", "vni", "cp1258", "bidi", "utf-16", "html", "json", "csv", "joined",
};

static int in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s == list[i] || !strcmp(s, list[i]))
			return 1;
	return 0;
}

/* The result holds static names only. */
static void check_static(const ch_stamp_result *r)
{
	assert_non_null(r->rule);
	assert_non_null(r->encoding);
	assert_true(in_list(r->rule, rule_names, CH_ARRAY_SIZE(rule_names)));
	assert_true(in_list(r->encoding, encoding_names, CH_ARRAY_SIZE(encoding_names)));
	assert_true(r->level == CH_STAMP_NONE || r->rule[0]);
}

static ch_stamp_level scan(const char *in, size_t len, int where)
{
	ch_stamp_result r;

	assert_int_equal(ch_stamp_scan_text(&r, in, len, where), 0);
	check_static(&r);
	return r.level;
}

static void test_table(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(rows); i++) {
		ch_stamp_result r;

		assert_int_equal(ch_stamp_scan_text(&r, rows[i].in, strlen(rows[i].in), rows[i].where), 0);
		check_static(&r);
		if (r.level != rows[i].want) {
			print_message("row %zu (%s): got %s (%s, %s, line %zu), want %s\n", i, rows[i].what,
			              ch_stamp_level_name(r.level), r.rule, r.encoding, r.line,
			              ch_stamp_level_name(rows[i].want));
			bad++;
		}
	}
	print_message("%zu rows, %zu wrong\n", CH_ARRAY_SIZE(rows), bad);
	assert_true(CH_ARRAY_SIZE(rows) >= 80);
	assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------------ */

typedef struct {
	const char *name;
	const char *data;
	size_t len;
	ch_stamp_level want;
	const char *rule;
} file_row;

#define F(name, lit, want, rule) { name, lit, sizeof(lit) - 1, want, rule }

static const file_row files[] = {
	F("scan.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", UNREAD, "image"),
	F("photo.jpg", "\xff\xd8\xff\xe0\0\x10JFIF", UNREAD, "image"),
	F("report.docx", "PK\x03\x04\x14\0\x06\0\x08\0", UNREAD, "archive"),
	F("notes.zip", "PK\x05\x06\0\0\0\0", UNREAD, "archive"),
	F("letter.pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", UNREAD, "pdf"),
	F("old.doc", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0", UNREAD, "office-binary"),
	F("msg.asc", "-----BEGIN PGP MESSAGE-----\n\nhQEMA...\n", UNREAD, "encrypted"),
	F("msg.gpg", "\x84\x8c\x03\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x08\xff", UNREAD, "encrypted"),
	F("letter.rtf", "{\\rtf1\\ansi M\\u7852?T}", UNREAD, "rtf"),
	F("blob.bin", "\x01\x02\x03\0\0\x10\x11MAT\0\xff\xfe\x00", UNREAD, "binary"),
	F("TOI_MAT.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", SECRET, "filename"),
	F("ghi-chu.txt", "BỘ NGOẠI GIAO\nTỐI MẬT\n", SECRET, "stamp-line"),
	F("bom.txt", "\xef\xbb\xbfMẬT\n", CONF, "stamp-line"),
	F("utf16.txt", "\xff\xfeT\0\xd0\x1eI\0 \0M\0\xac\x1eT\0", SECRET, "stamp-line"),
	F("utf16be.txt", "\xfe\xff\0T\x1e\xd0\0I\0 \0M\x1e\xac\0T", SECRET, "stamp-line"),
	F("nobom16.txt", "T\0U\0Y\0\xc6\x1eT\0 \0M\0\xac\x1eT\0\n\0", TOP, "stamp-line"),
	F("tcvn3.txt", "BO NGOAI GIAO\nT\xe8I M\xcbT\n", SECRET, "stamp-line"),
	F("page.html", "<html><body><p>T&#7888;I M&#7852;T</p><p>B\xc3\xa1o c\xc3\xa1o</p></body></html>",
	  SECRET, "stamp-line"),
	F("table.html", "<table><tr><td>Độ mật</td><td>Mật</td></tr></table>", CONF, "stamp-line"),
	F("wrap.html", "<p>TỐI\nMẬT</p>", SECRET, "stamp-line"),
	F("data.json", "{\"title\":\"Kế hoạch\",\"classification\":\"Tối mật\"}", SECRET, "level-field"),
	F("data2.json", "{\"title\":\"Kế hoạch\",\"note\":\"Tối mật\"}", SECRET, "stamp-line"),
	F("esc.json", "{\"a\":\"M\\u1eacT\"}", CONF, "stamp-line"),
	F("list.csv", "1,Báo cáo quý,Tối mật\n2,Thư mời,Thường\n", SECRET, "stamp-line"),
	F("bao_mat.txt", "Quy chế bảo mật thông tin của Bộ.\n", NONE, ""),
	F("empty.txt", "", NONE, ""),
	F("zipped.txt", "Một đoạn văn bản.\nPK\x03\x04\0\0\0\0\x14\0", UNREAD, "binary"),
	/* attachment texts */
	F("phu-luc.md", "# Phụ lục\n\n| Số | Độ mật |\n|---|---|\n| 1 | Tối mật |\n", SECRET, "stamp-line"),
	F("bang.csv", "STT;Tên;Ghi chú\n1;Kế hoạch;MẬT\n", CONF, "stamp-lead"),
	F("danh-sach.csv", "STT,Tên,Ghi chú\n1,Hội nghị,bảo mật thông tin\n2,Mật khẩu,đổi hằng quý\n", NONE, ""),
	F("ghi-chu.md", "Ghi chú về bí mật nhà nước và bảo mật.\n", NONE, ""),
	F("anh.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>TUYỆT MẬT</text></svg>", TOP,
	  "header-upper"),
	F("thu.txt", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n", UNREAD, "encrypted"),
};

static void test_files(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(files); i++) {
		ch_stamp_result r;

		assert_int_equal(ch_stamp_scan_file(&r, files[i].name, files[i].data, files[i].len), 0);
		check_static(&r);
		if (r.level != files[i].want || strcmp(r.rule, files[i].rule)) {
			print_message("file %s: got %s (%s, %s), want %s (%s)\n", files[i].name,
			              ch_stamp_level_name(r.level), r.rule, r.encoding,
			              ch_stamp_level_name(files[i].want), files[i].rule);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------------ */
/* The corpus: every document passes, as is and in legacy encodings   */

static void corpus_dir(ch_buf *out)
{
	const char *top = getenv("CH_TOP");

	ch_buf_clear(out);
	ch_buf_printf(out, "%s/../shared/corpus", top ? top : ".");
	if (ch_fs_exists(out->ptr))
		return;
	ch_buf_clear(out); /* a worktree one level deeper (/work/wt/<name>) */
	ch_buf_printf(out, "%s/../../shared/corpus", top ? top : ".");
}

/* iconv `in` to `to` (with transliteration for what it lacks). */
static int convert(ch_buf *out, const char *to, const char *in, size_t len)
{
	char target[64];
	iconv_t cd;
	char *ip = (char *)in, *op;
	size_t il = len, ol, cap = len * 2 + 16;

	snprintf(target, sizeof(target), "%s//TRANSLIT", to);
	if ((cd = iconv_open(target, "UTF-8")) == (iconv_t)-1)
		return -1;
	ch_buf_clear(out);
	ch_buf_grow(out, cap);
	op = out->ptr;
	ol = cap;
	while (il > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
			if (ol < 8)
				break;
			*op++ = '?'; /* not representable: skip one character */
			ol--;
			do {
				ip++;
				il--;
			} while (il > 0 && ((unsigned char)*ip & 0xc0) == 0x80);
		}
	}
	iconv_close(cd);
	out->size = cap - ol;
	out->ptr[out->size] = '\0';
	return 0;
}

static void test_corpus(void **state)
{
	static const char *const encodings[] = { "TCVN5712-1", "CP1258" };
	ch_buf dir = CH_BUF_INIT, path = CH_BUF_INIT, text = CH_BUF_INIT, conv = CH_BUF_INIT;
	DIR *d;
	struct dirent *e;
	size_t count = 0, k;

	(void)state;
	corpus_dir(&dir);
	d = opendir(dir.ptr);
	if (!d)
		fail_msg("no corpus at %s (CH_TOP is the repository)", dir.ptr);
	while ((e = readdir(d))) {
		ch_stamp_result r;
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".txt"))
			continue;
		ch_buf_clear(&path);
		ch_buf_printf(&path, "%s/%s", dir.ptr, e->d_name);
		assert_int_equal(ch_fs_read(&text, path.ptr, 16u << 20), 0);
		assert_int_equal(ch_stamp_scan_file(&r, e->d_name, text.ptr, text.size), 0);
		if (r.level != NONE)
			fail_msg("corpus %s: %s (%s, %s, line %zu)", e->d_name, ch_stamp_level_name(r.level),
			         r.rule, r.encoding, r.line);
		assert_int_equal(ch_stamp_scan_text(&r, text.ptr, text.size, BODY), 0);
		assert_int_equal(r.level, NONE);
		for (k = 0; k < CH_ARRAY_SIZE(encodings); k++) {
			assert_int_equal(convert(&conv, encodings[k], text.ptr, text.size), 0);
			assert_int_equal(ch_stamp_scan_file(&r, e->d_name, conv.ptr, conv.size), 0);
			if (r.level != NONE)
				fail_msg("corpus %s in %s: %s (%s, %s, line %zu)", e->d_name, encodings[k],
				         ch_stamp_level_name(r.level), r.rule, r.encoding, r.line);
		}
		count++;
	}
	closedir(d);
	assert_true(count >= 5);
	ch_buf_dispose(&dir);
	ch_buf_dispose(&path);
	ch_buf_dispose(&text);
	ch_buf_dispose(&conv);
}

/* A stamped document made from a corpus-like text, re-encoded with iconv
 * into each legacy encoding, still fires at its level. */
static void test_legacy_iconv(void **state)
{
	static const char *const encodings[] = { "TCVN5712-1", "CP1258" };
	static const struct { const char *doc; ch_stamp_level want; } docs[] = {
		{ "BỘ NGOẠI GIAO\nSố: 12/BNG-TH\nMẬT\n\nBÁO CÁO\nVề công tác đối ngoại.\n", CONF },
		{ "BỘ NGOẠI GIAO\nSố: 12/BNG-TH\nTỐI MẬT\n\nBÁO CÁO\nVề công tác đối ngoại.\n", SECRET },
		{ "BỘ NGOẠI GIAO\nTUYỆT MẬT\nCHỈ NGƯỜI CÓ TÊN MỚI ĐƯỢC BÓC BÌ\n", TOP },
		{ "Độ mật: Tối mật\nĐộ khẩn: Hỏa tốc\n", SECRET },
		{ "Kế hoạch bảo vệ bí mật nhà nước; đổi mật khẩu; mật độ; MẶT TRẬN.\n", NONE },
	};
	ch_buf conv = CH_BUF_INIT;
	size_t i, k;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(docs); i++)
		for (k = 0; k < CH_ARRAY_SIZE(encodings); k++) {
			ch_stamp_result r;

			assert_int_equal(convert(&conv, encodings[k], docs[i].doc, strlen(docs[i].doc)), 0);
			assert_int_equal(ch_stamp_scan_text(&r, conv.ptr, conv.size, BODY), 0);
			if (r.level != docs[i].want)
				fail_msg("doc %zu in %s: got %s (%s, %s), want %s", i, encodings[k],
				         ch_stamp_level_name(r.level), r.rule, r.encoding,
				         ch_stamp_level_name(docs[i].want));
		}
	ch_buf_dispose(&conv);
}

/* ------------------------------------------------------------------ */
/* Invariances                                                         */

static int has_markup(const char *s)
{
	return strchr(s, '&') || strchr(s, '<');
}

/* Every valid UTF-8 row reads the same in NFC and NFD, and with a
 * zero-width space between every two letters. */
static void test_invariances(void **state)
{
	size_t i, checked = 0;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(rows); i++) {
		const uint8_t *in = (const uint8_t *)rows[i].in;
		size_t len = strlen(rows[i].in), n, j;
		uint8_t *nfc, *nfd;
		ch_buf zw = CH_BUF_INIT;
		ucs4_t prev = 0;

		if (u8_check(in, len))
			continue;
		nfc = u8_normalize(UNINORM_NFC, in, len, NULL, &n);
		assert_non_null(nfc);
		if (scan((char *)nfc, n, rows[i].where) != rows[i].want)
			fail_msg("row %zu (%s): NFC changes the verdict", i, rows[i].what);
		free(nfc);
		nfd = u8_normalize(UNINORM_NFD, in, len, NULL, &n);
		assert_non_null(nfd);
		if (scan((char *)nfd, n, rows[i].where) != rows[i].want)
			fail_msg("row %zu (%s): NFD changes the verdict", i, rows[i].what);
		free(nfd);
		if (has_markup(rows[i].in))
			continue;
		for (j = 0; j < len;) {
			ucs4_t cp;
			int k = u8_mbtouc(&cp, in + j, len - j);

			if (uc_is_general_category(cp, UC_CATEGORY_L) &&
			    uc_is_general_category(prev, UC_CATEGORY_L))
				ch_buf_puts(&zw, "\u200b");
			ch_buf_put(&zw, in + j, (size_t)k);
			prev = cp;
			j += (size_t)k;
		}
		if (scan(zw.ptr, zw.size, rows[i].where) != rows[i].want)
			fail_msg("row %zu (%s): zero-width spaces change the verdict", i, rows[i].what);
		ch_buf_dispose(&zw);
		checked++;
	}
	assert_true(checked > 100);
}

/* ------------------------------------------------------------------ */
/* Nothing of the content comes back                                   */

static void test_no_echo(void **state)
{
	static const char *const inputs[] = {
		"TỐI MẬT: Kế hoạch XYZZY", "GIẢI MẬT\nXYZZY", "Độ mật: Mật XYZZY",
	};
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(inputs); i++) {
		ch_stamp_result r;
		int error;

		assert_int_equal(ch_stamp_scan_text(&r, inputs[i], strlen(inputs[i]), TITLE), 0);
		assert_int_not_equal(r.level, NONE);
		check_static(&r);
		assert_null(strstr(r.rule, "XYZZY"));
		error = ch_stamp_refuse(&r, "the title");
		assert_int_equal(error, CH_ECLASSIFIED);
		assert_null(strstr(ch_error_last(), "XYZZY"));
		assert_null(strstr(ch_error_last(), "Kế hoạch"));
		assert_non_null(strstr(ch_error_last(), "the title"));
	}
	{
		ch_stamp_result r;

		assert_int_equal(ch_stamp_scan_file(&r, "XYZZY-TOI-MAT.pdf", "%PDF-1.4", 8), 0);
		assert_int_equal(r.level, SECRET);
		assert_int_equal(ch_stamp_refuse(&r, "an attachment"), CH_ECLASSIFIED);
		assert_null(strstr(ch_error_last(), "XYZZY"));
		assert_int_equal(ch_stamp_scan_text(&r, "Báo cáo", strlen("Báo cáo"), BODY), 0);
		assert_int_equal(ch_stamp_refuse(&r, "the text"), 0);
	}
}

static void test_api(void **state)
{
	ch_stamp_result r;
	static const char nuls[] = "M\0\0ẬT";

	(void)state;
	assert_int_equal(ch_stamp_scan_text(NULL, "x", 1, BODY), CH_EINVALID);
	assert_int_equal(ch_stamp_scan_text(&r, NULL, 1, BODY), CH_EINVALID);
	assert_int_equal(ch_stamp_scan_text(&r, "x", 1, 7), CH_EINVALID);
	assert_int_equal(ch_stamp_scan_file(NULL, "x", "x", 1), CH_EINVALID);
	assert_int_equal(ch_stamp_scan_text(&r, NULL, 0, BODY), 0);
	assert_int_equal(r.level, NONE);
	assert_int_equal(ch_stamp_scan_file(&r, NULL, NULL, 0), 0);
	assert_int_equal(r.level, NONE);
	/* NUL bytes are invisible, not an end */
	assert_int_equal(scan(nuls, sizeof(nuls) - 1, BODY), CONF);
	assert_string_equal(ch_stamp_level_name(TOP), "top-secret");
	assert_string_equal(ch_stamp_level_name(NONE), "unclassified");
	/* verdicts are ordered by severity */
	assert_true(TOP > SECRET && SECRET > CONF && CONF > UNREAD && UNREAD > DECL && DECL > NONE);
	/* the line of the finding */
	assert_int_equal(ch_stamp_scan_text(&r, "a\nb\r\nc\n\nTỐI MẬT\n", strlen("a\nb\r\nc\n\nTỐI MẬT\n"), BODY), 0);
	assert_int_equal(r.level, SECRET);
	assert_int_equal(r.line, 5);
	assert_string_equal(r.rule, "stamp-line");
}

/* ------------------------------------------------------------------ */
/* Linear time, bounded work                                           */

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double time_scan(const ch_buf *b, int file)
{
	ch_stamp_result r;
	double t0 = cpu_ms();

	if (file)
		assert_int_equal(ch_stamp_scan_file(&r, "big.txt", b->ptr, b->size), 0);
	else
		assert_int_equal(ch_stamp_scan_text(&r, b->ptr, b->size, BODY), 0);
	return cpu_ms() - t0;
}

static void test_linear_time(void **state)
{
	ch_buf dir = CH_BUF_INIT, path = CH_BUF_INIT, one = CH_BUF_INIT, big = CH_BUF_INIT;
	ch_buf small = CH_BUF_INIT;
	static const char *const worst[] = { "M", "MẬ", "M ", "&#", "<b>", "\xcb", "T\u200b", "Ä" };
	double t_big, t_small;
	size_t k;
	ch_stamp_result r;

	(void)state;
	corpus_dir(&dir);
	ch_buf_printf(&path, "%s/nghi-quyet-292-NQ-CP.txt", dir.ptr);
	assert_int_equal(ch_fs_read(&one, path.ptr, 16u << 20), 0);
	while (big.size < 4u * 1024 * 1024)
		ch_buf_put(&big, one.ptr, one.size);
	ch_buf_put(&small, big.ptr, big.size / 4);
	time_scan(&small, 1); /* tables */
	t_small = time_scan(&small, 1);
	t_big = time_scan(&big, 1);
	print_message("4 MiB of corpus text: %.1f ms (1 MiB: %.1f ms)\n", t_big, t_small);
	assert_true(t_big < 8 * t_small + 50);
	assert_true(t_big < 2000);
	assert_int_equal(ch_stamp_scan_file(&r, "big.txt", big.ptr, big.size), 0);
	assert_int_equal(r.level, NONE);

	/* pathological inputs: one long line of each pattern, 4 MiB */
	for (k = 0; k < CH_ARRAY_SIZE(worst); k++) {
		double t;

		ch_buf_clear(&big);
		while (big.size < 4u * 1024 * 1024)
			ch_buf_puts(&big, worst[k]);
		t = time_scan(&big, 0);
		print_message("4 MiB of '%s'...: %.1f ms\n", worst[k][0] == '\xcb' ? "\\xcb" : worst[k], t);
		assert_true(t < 4000);
	}
	ch_buf_dispose(&dir);
	ch_buf_dispose(&path);
	ch_buf_dispose(&one);
	ch_buf_dispose(&big);
	ch_buf_dispose(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_legacy_iconv),
		cmocka_unit_test(test_invariances),
		cmocka_unit_test(test_no_echo),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_linear_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
