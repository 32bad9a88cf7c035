/* stamp.h -- the classification stamp scanner (DESIGN.md "Classification").
 *
 * The networked server holds unclassified work only. At every door (a form
 * or JSON field, an upload, an attachment, a push or sync, every response)
 * it runs these scanners over the title, the text, file names and what it
 * can read of attachments, and refuses anything whose verdict is not
 * CH_STAMP_NONE. A verdict names a level and a static rule name, never the
 * text that matched: a refusal must not echo the content.
 *
 * What is a stamp. The levels of Decree 30/2020 and the Law on State Secrets
 * are MẬT (confidential), TỐI MẬT (secret), TUYỆT MẬT (top secret). The
 * scanner fires on a level written as a *marking*, and passes the ordinary
 * words that share its letters: "bí mật nhà nước" (state secret), "bảo mật"
 * (security), "mật khẩu" (password), "mật mã", "mật độ", "mật thiết",
 * "mật ong", "thân mật", MẶT (face), MẤT (lose), MÁT (cool), and a level
 * named in lower-case running text ("tài liệu tối mật phải được bảo vệ": a
 * sentence about the level, not a marking of this text). The rules, in the
 * order the scanner tries them on each line:
 *
 *   stamp-line    A line, or a cell of it (text between tabs, vertical bars
 *                 or box-drawing verticals, or runs of 2+ spaces), whose
 *                 letters are exactly a level, whatever the spacing,
 *                 punctuation, boxes, brackets or asterisks around and inside
 *                 ("│ T Ố I   M Ậ T │", "**MẬT**", "T.O.I M.A.T"), optionally
 *                 followed by a copy number ("MẬT  Bản số: 01"). Any case.
 *   level-field   A field label (ĐỘ MẬT, MỨC ĐỘ MẬT, CẤP ĐỘ MẬT, MỨC MẬT,
 *                 CLASSIFICATION) followed by a level that ends its cell, is
 *                 followed by another header field (Độ khẩn, Bản số...), or is
 *                 written in capitals: "Độ mật: Mật", "DO MAT: MAT". The prose
 *                 "phân loại theo độ mật: tuyệt mật, tối mật và mật" passes.
 *   stamp-lead    A level in capitals that opens a cell and is followed by
 *                 punctuation or a stamp companion ("TỐI MẬT - CHỈ NGƯỜI CÓ
 *                 TÊN MỚI ĐƯỢC BÓC BÌ", "[MẬT] Báo cáo"), or closes a cell
 *                 after punctuation ("Số: 12/BNG - MẬT").
 *   header-upper  In the header (the first CH_STAMP_HEADER_LINES non-empty
 *                 lines), a level in capitals anywhere in a line: TỐI MẬT and
 *                 TUYỆT MẬT always, MẬT when fully marked and not part of a
 *                 compound word (BÍ MẬT, BẢO MẬT, MẬT KHẨU, ...).
 *   title         In a title (CH_STAMP_IN_TITLE), every line counts as header,
 *                 and a level in any case counts as a marking: "Báo cáo tối
 *                 mật", "Kế hoạch mật"; compounds still pass ("Quy chế bảo
 *                 mật", "Bảo vệ bí mật nhà nước").
 *   filename      In a file name (CH_STAMP_IN_FILENAME; '-', '_', '.', spaces,
 *                 path separators and camelCase split words; the extension is
 *                 dropped): TỐI MẬT / TUYỆT MẬT in any form ("TOI-MAT_baocao",
 *                 "tuyet_mat.pdf", "ToiMat.docx", "baocaotoimat.docx"); a name
 *                 that is just the level ("mat.txt", "MẬT.docx"); MẬT with
 *                 its marks, or MAT in capitals, outside compounds
 *                 ("MAT_baocao.docx"); a document noun followed by the level
 *                 ("tai_lieu_mat", "dien_mat"). "mat_khau.txt",
 *                 "bao_mat.pdf", "mat_bang.dwg", "tien_mat.xlsx" pass.
 *
 * Undiacritized forms. "TOI MAT" and "TUYET MAT" are unambiguous and count
 * in every rule. A bare "MAT" is English, or MẶT/MẤT/MÁT without their
 * marks, so it counts only in capitals as a whole line or cell ("MAT"), as a
 * field value ("DO MAT: MAT"), as a stamp-lead, or as a whole file name.
 * Damaged marks (a circumflex or a dot below missing from MẬT, an acute from
 * TỐI) still count as the level in stamp contexts; a wrong mark (MẶT, MẤT,
 * MÁT, TỚI) never does.
 *
 * Declassified. GIẢI MẬT as a marking (its own line or cell, a field value,
 * or in capitals at the start of a cell or anywhere in the header) claims
 * the text was declassified: the claim needs a declassification decision
 * number "N/QĐ-..." or "N/YYYY/QĐ-..." (QD without the stroke too) on the
 * same line, the 2 non-empty lines before it or the 3 after it, else the
 * verdict is CH_STAMP_DECLASSIFIED_NO_REF. "GIẢI MẬT MÃ" (decryption) and
 * "giải mật" in running text are not claims. A level marking still fires on
 * a declassified text: remove the old marking from what is uploaded.
 *
 * Caveats. Circulation marks (LƯU HÀNH NỘI BỘ, KHÔNG PHỔ BIẾN, HẠN CHẾ...)
 * are not levels; they pass.
 *
 * Foreign markings. The markings of other states and organisations
 * (markings.h: English, French, Russian, Chinese, Japanese, German,
 * Spanish, Italian, NATO, EU; one table row each, with the level it counts
 * as) go through the same rules, extended:
 *   stamp-line    a line or cell that is a marking, in capitals (or in a
 *                 script without case), optionally followed by a number, a
 *                 caveat ("TOP SECRET//NOFORN", "SECRET REL TO USA",
 *                 "SECRET UE/EU SECRET"); in any case when a copy number
 *                 ("Секретно, экз. № 2") or a term (绝密★10年) follows;
 *   level-field   a label (Classification, Гриф, 密级, 秘密区分...) followed by
 *                 a marking that ends its cell or has such a tail, any case;
 *   stamp-lead    a marking opening a cell, followed by a star, or in
 *                 capitals by a slash or a caveat ("SECRET//NF Report...");
 *                 in a title, by any punctuation ("SECRET: plan");
 *   header-upper  a marking that is no everyday word (TOP SECRET, NATO
 *                 SECRET, СОВЕРШЕННО СЕКРЕТНО), in capitals in the header
 *                 amid capitals ("MINISTRY OF DEFENCE TOP SECRET"); in a
 *                 title, anywhere in capitals;
 *   filename      a marking that is no everyday word anywhere in any case
 *                 ("top_secret.pdf", "绝密文件.docx"), an everyday one as a
 *                 word in capitals ("SECRET_plan.docx") or as the whole name.
 * Running text passes: "Secretary", "secrétaire", "секретарь", 秘书长, a
 * "confidential" letter, UNCLASSIFIED banners, a guide that names the levels
 * in a sentence, titles of works in their own case ("Top Secret!").
 * Ideographs are words of their own (秘书长 is 秘 书 长), so 秘 inside a word
 * is no marking.
 *
 * Normalization, before the rules: the text is decoded as UTF-8 (invalid
 * bytes are read as Windows-1252), then every character is folded: Unicode
 * compatibility decomposition (so NFC, NFD, fullwidth, mathematical, circled,
 * squared and superscript letters all fold alike), upper-casing, then the
 * generated table of letter-like code points (fold.h, scripts/gen_fold.sh
 * from UnicodeData.txt and ICU's UTS #39 confusables: parenthesized,
 * negative squared and negative circled capitals, regional indicators,
 * small capitals, modifier letters, Cyrillic, Greek, Cherokee, Lisu and
 * other look-alikes; digits 0 1 3 4 7 and a lower-case l may stand for O I
 * E A T I), zero-width
 * and other invisible characters dropped (U+200B-U+200F, U+2060, U+FEFF,
 * U+00AD, bidi controls, variation selectors, tags, control characters),
 * every space-like character (NBSP, U+2000-U+200A, U+202F, U+3000...) a
 * space. The Vietnamese marks (circumflex, breve, horn, the five tones, the
 * stroke of Đ) are kept apart from the letter, so a rule can tell MẬT from
 * MẶT. Lines that show signs of a legacy 8-bit encoding (invalid UTF-8, or
 * Latin-1 characters no Vietnamese Unicode text uses) are also read as
 * TCVN3 (ABC, ".VnTime", whose upper-case fonts reuse the lower-case codes:
 * "MËT"), VNI-Windows ("MAÄT") and Windows-1258 ("MÂòT"), raw or as
 * mojibake in UTF-8; the strongest verdict of all readings counts.
 *
 * Readings as shown. Besides the text as stored, the scanner reads it as a
 * reader would see it: the lines of a short paragraph joined, as Markdown
 * and word processors show soft line breaks ("TỐI\nMẬT", "M\nẬ\nT"; this
 * reading applies stamp-line only); a line with a right-to-left override
 * (U+202E) with the overridden letters reversed ("\u202eTẬM" shows MẬT);
 * and text with HTML tags, character references or Markdown links with
 * tags removed, references decoded and link targets dropped ("M&#7852;T",
 * "M<b></b>ẬT", "[M](url)ẬT"), as the Markdown renderer or a browser shows
 * it.
 *
 * Not covered: text inside Office files (read by extract.c), PDF and
 * archives (reported UNREADABLE), RTF escapes (UNREADABLE), text hidden or
 * moved by CSS in an HTML file, a level written one letter per line across
 * blank lines, a GIẢI MẬT claim split over lines, portion markings
 * ("(S//NF)", "(TS)"), a foreign everyday-word marking in mixed case alone
 * on a line ("Secret", as much a title as a marking), and images of text.
 *
 * Cost: linear in the input: one pass, plus a second over a line only when
 * it needs another reading (legacy signs, an override) and one more over the
 * whole text when it holds markup. About 25-35 ms for 4 MiB of Vietnamese
 * UTF-8 on the project's machines (tests/bench/bench_stamp.c: about 95 MB/s
 * over the corpus, the same with the foreign markings as without); legacy
 * 8-bit text costs about four times that. A line is analysed in
 * overlapping chunks of CH_STAMP_LINE_TOKENS characters, and only a line
 * holding the letters M, A, T in that order, or the longest word of a
 * foreign marking (an Aho-Corasick automaton over its letters), is analysed
 * at all, so memory stays bounded by the input size. Thread-safe
 * (the tables are built once, under pthread_once, on the first call). */
#ifndef CH_STAMP_H
#define CH_STAMP_H

#include <stddef.h>

/* The largest input the scanners read; a longer one is UNREADABLE ("too-large"). */
#define CH_STAMP_MAX_BYTES (64u * 1024 * 1024)
/* Lines that count as the header of a text (non-empty lines only). */
#define CH_STAMP_HEADER_LINES 20
/* Characters of one line analysed at a time (longer lines overlap by 1/8).
 * A test build may lower it to exercise the chunking. */
#ifndef CH_STAMP_LINE_TOKENS
#define CH_STAMP_LINE_TOKENS 16384
#endif

/* Verdicts, in increasing order of severity: a higher value is the stronger
 * refusal, so verdicts of several parts combine with a plain maximum.
 * Anything but CH_STAMP_NONE is refused by the networked server. */
typedef enum {
	CH_STAMP_NONE = 0,            /* no marking found */
	CH_STAMP_DECLASSIFIED_NO_REF, /* GIẢI MẬT without a decision reference */
	CH_STAMP_UNREADABLE,          /* a file the scanner cannot read: refused unless the
	                               * policy allows its type and a person with that right
	                               * declares it unclassified */
	CH_STAMP_CONFIDENTIAL,        /* MẬT */
	CH_STAMP_SECRET,              /* TỐI MẬT */
	CH_STAMP_TOP_SECRET           /* TUYỆT MẬT */
} ch_stamp_level;

/* Where a text comes from: decides which rules apply. */
enum {
	CH_STAMP_IN_BODY = 0, /* a document's text, a comment, an attachment's text */
	CH_STAMP_IN_TITLE,    /* a title or other short one-line field */
	CH_STAMP_IN_FILENAME  /* a file name or path (of an upload, attachment, tree entry) */
};

/* A verdict. Every pointer is a static string: nothing here is copied from
 * the scanned text, so a result can be logged and shown as is. */
typedef struct {
	ch_stamp_level level;
	const char *rule;     /* which rule fired: "stamp-line", "level-field", "stamp-lead",
	                       * "header-upper", "title", "filename", "declassified-no-ref",
	                       * or for UNREADABLE "archive", "pdf", "office-binary", "image",
	                       * "encrypted", "rtf", "binary", "too-large"; "" for NONE */
	const char *encoding; /* the reading it fired in: "utf-8", "tcvn3", "vni", "cp1258",
	                       * "bidi", "joined", "utf-16", "html", "json", "csv"; "" for
	                       * NONE */
	size_t line;          /* 1-based line of the reading where it fired; 0 for a file
	                       * name, a file sniffed as unreadable, or NONE */
} ch_stamp_result;

/* stamp.c */
/* Scan `len` bytes of text from `where` (CH_STAMP_IN_*). Always reads the
 * whole input (any bytes; NULs and invalid UTF-8 are allowed). Returns 0 and
 * the verdict in *out, or CH_EINVALID for a NULL pointer or unknown `where`. */
int ch_stamp_scan_text(ch_stamp_result *out, const char *text, size_t len, int where);

/* Scan an uploaded file: its name (may be NULL) as CH_STAMP_IN_FILENAME, and
 * its content: UTF-8 text (with or without BOM), UTF-16 with a BOM or
 * recognisably without, and legacy 8-bit Vietnamese text are read (HTML/XML
 * with tags removed, JSON string by string, CSV cell by cell, as well as
 * plain); ZIP-based and OLE Office files, PDF, images, archives, OpenPGP/age
 * messages, RTF and other binary data are CH_STAMP_UNREADABLE. The stronger
 * verdict of name and content is returned. Returns 0, or CH_EINVALID for a
 * NULL out or data (with len > 0). */
int ch_stamp_scan_file(ch_stamp_result *out, const char *name, const void *data, size_t len);

/* Without scanning: NULL if ch_stamp_scan_file reads this content as text,
 * else the rule of its UNREADABLE verdict ("image", "archive", "pdf",
 * "office-binary", "encrypted", "rtf", "binary", "too-large"). Linear, and
 * much cheaper than a scan. */
const char *ch_stamp_sniff(const void *data, size_t len);

/* "unclassified", "declassified-without-reference", "unreadable",
 * "confidential", "secret", "top-secret" (static). */
const char *ch_stamp_level_name(ch_stamp_level level);

/* For a door: 0 if r is CH_STAMP_NONE; otherwise CH_ECLASSIFIED with a
 * message naming `what` (a static description chosen by the caller, such as
 * "the title" or "an attachment" -- never user data, never a file name),
 * the level, the rule and the line, and nothing of the content. */
int ch_stamp_refuse(const ch_stamp_result *r, const char *what);

#endif
