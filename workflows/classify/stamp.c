/* stamp.c -- the classification stamp scanner: text is folded character by
 * character to letters with their Vietnamese marks kept apart, cut into
 * lines, cells and words, and the rules of stamp.h run over each line from
 * the tables below. Only lines that hold the letters M, A, T in that order
 * (with anything but letters between) are analysed further. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "workflows/classify/fold.h"
#include "workflows/classify/markings.h"
#include "workflows/classify/stamp.h"
#include "util/common.h"

/* ------------------------------------------------------------------ */
/* Tokens: one folded character                                        */

enum {
	K_IGNORE = 0, /* invisible: dropped */
	K_LETTER,     /* ch is 'A'..'Z' */
	K_DIGIT,      /* ch is '0'..'9' */
	K_OTHER,      /* a letter that folds to no Latin letter (CJK, ß...) */
	K_SPACE,      /* marks holds the run length (capped at 255) */
	K_CELL,       /* tab, vertical bar, box-drawing vertical: a cell break */
	K_NL,         /* end of line */
	K_PUNCT,      /* ch is ':' '/' '-' '_' '=' '.' (a full stop), or '#' for anything else */
	K_MARK        /* a combining mark: marks/flags go onto the letter before */
};

/* Vietnamese marks: vowel quality, then the five tones. */
#define M_CIRC 0x01
#define M_BREVE 0x02
#define M_HORN 0x04
#define M_ACUTE 0x08
#define M_GRAVE 0x10
#define M_HOOK 0x20
#define M_TILDE 0x40
#define M_DOT 0x80
#define M_QUALITY (M_CIRC | M_BREVE | M_HORN)
#define M_TONE (M_ACUTE | M_GRAVE | M_HOOK | M_TILDE | M_DOT)

#define F_UPPER 0x01    /* written as a capital */
#define F_CASELESS 0x02 /* case unknown (TCVN3 high bytes): counts as a capital */
#define F_STROKE 0x04   /* Đ */
#define F_IDEO F_STROKE /* on K_OTHER: an ideograph or kana, a word of its own */
#define F_FOREIGN 0x08  /* carries a mark Vietnamese does not use (ignored when matching) */
#define F_M 0x10        /* reads as M, A, T (digits 4 and 7 too): the line filter's letters */
#define F_A 0x20
#define F_T 0x40
#define F_VOWEL 0x80

typedef struct {
	uint8_t kind, ch, marks, flags;
} tok;

/* The per-character path is inlined by force: it runs for every byte. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

/* ------------------------------------------------------------------ */
/* Tables: the words                                                   */

enum { P_TOP, P_SECRET, P_CONF, P_GIAI, P_DA, NFIXED };

/* The levels, longest first, then the declassification phrase. */
static const char *const fixed_words[NFIXED] = {
	[P_TOP] = "TUYỆT MẬT", [P_SECRET] = "TỐI MẬT", [P_CONF] = "MẬT",
	[P_GIAI] = "GIẢI MẬT", [P_DA] = "ĐÃ",
};
static const ch_stamp_level fixed_level[3] = {
	CH_STAMP_TOP_SECRET, CH_STAMP_SECRET, CH_STAMP_CONFIDENTIAL
};

/* Field labels whose value is a level ("Độ mật: Mật"). */
static const char *const labels[] = {
	"MỨC ĐỘ MẬT", "CẤP ĐỘ MẬT", "ĐỘ MẬT", "MỨC MẬT", "CLASSIFICATION",
};
/* A copy number after a level on its stamp line ("MẬT  Bản số: 01"). */
static const char *const copy_words[] = { "BẢN SỐ", "SỐ", "BẢN", "COPY", "NO" };
/* What may follow a level on a stamp: other stamps and header fields. */
static const char *const companions[] = {
	"CHỈ NGƯỜI CÓ TÊN", "BẢN SỐ", "SỐ", "KHÔNG ĐƯỢC", "ĐỘ KHẨN", "THƯỢNG KHẨN", "HỎA TỐC",
	"HOẢ TỐC", "KHẨN", "HẠN", "THU HỒI", "LƯU HÀNH", "COPY",
};
/* Words that make MẬT (or a bare MAT) part of an ordinary compound when they
 * come right before it: bí mật, bảo mật, thân mật, độ mật, tiền mặt... */
static const char *const compound_prev[] = {
	"BÍ", "BẢO", "THÂN", "CƠ", "CHU", "NGHIÊM", "CẨN", "TÚI", "ĐƯỜNG", "NƯỚC", "GIẢI", "ĐỘ",
	"MỨC", "CẤP", "TIỀN", "BỀ", "GƯƠNG", "KHUÔN", "ĐỐI", "ĐÃ", "SẮC", "RỬA", "LÀM", "MẶT",
};
/* ... and right after it: mật khẩu, mật mã, mật độ, mặt trận, mất tích... */
static const char *const compound_next[] = {
	"KHẨU", "MÃ", "THIẾT", "ĐỘ", "ONG", "THÁM", "DANH", "VỤ", "ĐÀM", "NGỮ", "THƯ", "HIỆU",
	"ƯỚC", "TẤU", "MÍA", "GẤU", "NGỌT", "ĐẮNG", "KHU", "ĐẠO", "TRẬN", "TRỜI", "TRƯỚC", "SAU",
	"BẰNG", "HÀNG", "NẠ", "ĐẤT", "NƯỚC", "TÍCH", "CẮT", "TIỀN", "ĐIỆN", "LÒNG", "NGỦ", "MÁT",
	"MẺ", "TRĂNG", "NGOÀI", "TRONG", "PHẲNG", "KÍNH", "ĐƯỜNG",
};
/* Document nouns that make a following MẬT (even bare) a classification in a
 * title or file name: tài liệu mật, điện mật. */
static const char *const doc_nouns[] = {
	"TÀI LIỆU", "VĂN BẢN", "HỒ SƠ", "BÁO CÁO", "CÔNG VĂN", "CÔNG ĐIỆN", "ĐIỆN", "THÔNG TIN",
	"KẾ HOẠCH", "THƯ",
};

/* Digits that may stand for letters inside a stamp ("T0I M4T"). */
static char digit_alt(uint8_t d)
{
	switch (d) {
	case '0': return 'O';
	case '1': return 'I';
	case '3': return 'E';
	case '4': return 'A';
	case '7': return 'T';
	default: return 0;
	}
}

static uint8_t letter_bits(uint8_t c)
{
	switch (c) {
	case 'M': return F_M;
	case 'A': case '4': return (uint8_t)(F_A | (c == 'A' ? F_VOWEL : 0));
	case 'T': case '7': return F_T;
	case 'E': case 'I': case 'O': case 'U': case 'Y': return F_VOWEL;
	default: return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Tables: legacy encodings                                            */

/* Windows-1252 0x80..0x9F (the rest is Latin-1). */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

/* TCVN 5712 (glibc's TCVN5712-1), 0x80..0xFF: the lower-case codes at
 * 0xA8..0xFF are also what the ".VnTimeH" capital fonts of TCVN3 use. */
static const uint16_t tcvn_hi[128] = {
	0x00c0, 0x1ea2, 0x00c3, 0x00c1, 0x1ea0, 0x1eb6, 0x1eac, 0x00c8,
	0x1eba, 0x1ebc, 0x00c9, 0x1eb8, 0x1ec6, 0x00cc, 0x1ec8, 0x0128,
	0x00cd, 0x1eca, 0x00d2, 0x1ece, 0x00d5, 0x00d3, 0x1ecc, 0x1ed8,
	0x1edc, 0x1ede, 0x1ee0, 0x1eda, 0x1ee2, 0x00d9, 0x1ee6, 0x0168,
	0x00a0, 0x0102, 0x00c2, 0x00ca, 0x00d4, 0x01a0, 0x01af, 0x0110,
	0x0103, 0x00e2, 0x00ea, 0x00f4, 0x01a1, 0x01b0, 0x0111, 0x1eb0,
	0x0300, 0x0309, 0x0303, 0x0301, 0x0323, 0x00e0, 0x1ea3, 0x00e3,
	0x00e1, 0x1ea1, 0x1eb2, 0x1eb1, 0x1eb3, 0x1eb5, 0x1eaf, 0x1eb4,
	0x1eae, 0x1ea6, 0x1ea8, 0x1eaa, 0x1ea4, 0x1ec0, 0x1eb7, 0x1ea7,
	0x1ea9, 0x1eab, 0x1ea5, 0x1ead, 0x00e8, 0x1ec2, 0x1ebb, 0x1ebd,
	0x00e9, 0x1eb9, 0x1ec1, 0x1ec3, 0x1ec5, 0x1ebf, 0x1ec7, 0x00ec,
	0x1ec9, 0x1ec4, 0x1ebe, 0x1ed2, 0x0129, 0x00ed, 0x1ecb, 0x00f2,
	0x1ed4, 0x1ecf, 0x00f5, 0x00f3, 0x1ecd, 0x1ed3, 0x1ed5, 0x1ed7,
	0x1ed1, 0x1ed9, 0x1edd, 0x1edf, 0x1ee1, 0x1edb, 0x1ee3, 0x00f9,
	0x1ed6, 0x1ee7, 0x0169, 0x00fa, 0x1ee5, 0x1eeb, 0x1eed, 0x1eef,
	0x1ee9, 0x1ef1, 0x1ef3, 0x1ef7, 0x1ef9, 0x00fd, 0x1ef5, 0x1ed0,
};
/* TCVN 5712 VN1 capitals in the C0 range (never \t \n \r). */
static const struct { uint8_t b; uint16_t cp; } tcvn_lo[] = {
	{ 0x01, 0x00da }, { 0x02, 0x1ee4 }, { 0x04, 0x1eea }, { 0x05, 0x1eec },
	{ 0x06, 0x1eee }, { 0x11, 0x1ee8 }, { 0x12, 0x1ef0 }, { 0x13, 0x1ef2 },
	{ 0x14, 0x1ef6 }, { 0x15, 0x1ef8 }, { 0x16, 0x00dd }, { 0x17, 0x1ef4 },
};

/* Windows-1258 where it differs from Windows-1252 (tone marks are combining). */
static const struct { uint8_t b; uint16_t cp; } cp1258_diff[] = {
	{ 0x8a, 0x008a }, { 0x8e, 0x008e }, { 0x9a, 0x009a }, { 0x9e, 0x009e },
	{ 0xc3, 0x0102 }, { 0xcc, 0x0300 }, { 0xd0, 0x0110 }, { 0xd2, 0x0309 },
	{ 0xd5, 0x01a0 }, { 0xdd, 0x01af }, { 0xde, 0x0303 }, { 0xe3, 0x0103 },
	{ 0xec, 0x0301 }, { 0xf0, 0x0111 }, { 0xf2, 0x0323 }, { 0xf5, 0x01a1 },
	{ 0xfd, 0x01b0 }, { 0xfe, 0x20ab },
};

/* VNI-Windows writes a vowel, then a Latin-1 character for its marks
 * ("MAÄT" = MẬT); a few characters stand alone for a letter ("Ñ" = Đ). */
static const struct { uint8_t lo, up, marks; } vni_marks[] = {
	{ 0xf9, 0xd9, M_ACUTE }, { 0xf8, 0xd8, M_GRAVE }, { 0xfb, 0xdb, M_HOOK },
	{ 0xf5, 0xd5, M_TILDE }, { 0xef, 0xcf, M_DOT }, { 0xe2, 0xc2, M_CIRC },
	{ 0xe1, 0xc1, M_CIRC | M_ACUTE }, { 0xe0, 0xc0, M_CIRC | M_GRAVE },
	{ 0xe5, 0xc5, M_CIRC | M_HOOK }, { 0xe3, 0xc3, M_CIRC | M_TILDE },
	{ 0xe4, 0xc4, M_CIRC | M_DOT }, { 0xea, 0xca, M_BREVE },
	{ 0xe9, 0xc9, M_BREVE | M_ACUTE }, { 0xe8, 0xc8, M_BREVE | M_GRAVE },
	{ 0xfa, 0xda, M_BREVE | M_HOOK }, { 0xfc, 0xdc, M_BREVE | M_TILDE },
	{ 0xeb, 0xcb, M_BREVE | M_DOT },
};
static const struct { uint8_t lo, up; char ch; uint8_t marks, flags; } vni_alone[] = {
	{ 0xf4, 0xd4, 'O', M_HORN, 0 }, { 0xf6, 0xd6, 'U', M_HORN, 0 },
	{ 0xf1, 0xd1, 'D', 0, F_STROKE }, { 0xed, 0xcd, 'I', M_ACUTE, 0 },
	{ 0xec, 0xcc, 'I', M_GRAVE, 0 }, { 0xe6, 0xc6, 'I', M_HOOK, 0 },
	{ 0xf3, 0xd3, 'I', M_TILDE, 0 }, { 0xf2, 0xd2, 'I', M_DOT, 0 },
	{ 0xee, 0xce, 'Y', M_DOT, 0 },
};

/* Common typography that alone does not suggest a legacy encoding. */
static int common_punct(uint32_t cp)
{
	return cp == 0x2013 || cp == 0x2014 || cp == 0x2018 || cp == 0x2019 || cp == 0x201c ||
	       cp == 0x201d || cp == 0x2022 || cp == 0x2026;
}

/* ------------------------------------------------------------------ */
/* Folding one character                                               */

/* What each character folds to, computed on first sight and kept: a
 * command-line process scans a few hundred characters and must not pay
 * for classifying all 65,536 (about 12 ms). A cell holds the packed tok
 * with bit 7 of the kind byte set once computed; threads that race compute
 * the same value, so relaxed atomics suffice. */
static _Atomic uint32_t fold_bmp[0x10000];
static _Atomic uint32_t fold_math[0x400];  /* U+1D400.. mathematical alphanumerics */
static _Atomic uint32_t fold_encl[0x100];  /* U+1F100.. enclosed alphanumeric supplement */
static uint8_t sig_latin1[0x100]; /* a Latin-1 character that suggests mojibake */
static uint8_t vni_mark_of[0x100], vni_alone_of[0x100]; /* index + 1 */
static uint32_t tcvn_map[0x100], cp1258_map[0x100], cp1252_map[0x100];
/* Each byte's token in each legacy reading (VNI: before its marks logic).
 * In TCVN3 a lower-case letter from a high byte is caseless: the capital
 * fonts (.VnTimeH) reuse the lower-case codes. */
static tok legacy_tok[4][0x100];

typedef struct {
	uint8_t n, words;
	uint8_t ch[32];
	uint8_t marks[32];
} phrase;

typedef struct {
	const phrase *p;
	size_t n;
} phrase_list;

static phrase fixed[NFIXED];
static phrase p_labels[CH_ARRAY_SIZE(labels)], p_copy[CH_ARRAY_SIZE(copy_words)],
	p_comp[CH_ARRAY_SIZE(companions)], p_prev[CH_ARRAY_SIZE(compound_prev)],
	p_next[CH_ARRAY_SIZE(compound_next)], p_nouns[CH_ARRAY_SIZE(doc_nouns)];
static const phrase_list l_labels = { p_labels, CH_ARRAY_SIZE(p_labels) },
	l_copy = { p_copy, CH_ARRAY_SIZE(p_copy) }, l_comp = { p_comp, CH_ARRAY_SIZE(p_comp) },
	l_prev = { p_prev, CH_ARRAY_SIZE(p_prev) }, l_next = { p_next, CH_ARRAY_SIZE(p_next) },
	l_nouns = { p_nouns, CH_ARRAY_SIZE(p_nouns) };

static uint8_t mark_bits(uint32_t cp)
{
	switch (cp) {
	case 0x0300: case 0x0340: return M_GRAVE;
	case 0x0301: case 0x0341: return M_ACUTE;
	case 0x0302: return M_CIRC;
	case 0x0303: return M_TILDE;
	case 0x0306: return M_BREVE;
	case 0x0309: return M_HOOK;
	case 0x031B: return M_HORN;
	case 0x0323: return M_DOT;
	default: return 0;
	}
}

static int is_vbar(uint32_t cp)
{
	static const uint32_t bars[] = {
		'|', 0x00a6, 0x2016, 0x2223, 0x2225, 0x23d0, 0x2502, 0x2503, 0x2506, 0x2507,
		0x250a, 0x250b, 0x254e, 0x254f, 0x2551, 0x2758, 0x2759, 0x275a, 0xff5c, 0xffe8,
	};
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(bars); i++)
		if (bars[i] == cp)
			return 1;
	return 0;
}

/* Letters of the foreign markings' scripts that fold to no Latin letter
 * (Ш, Й, 密, 秘 ...): each has a code of its own, 0x80 + its index, as the
 * ch of a K_OTHER token, so that phrases can name it. Keyed on the capital
 * of the decomposition's base; registered (extra_register) before any
 * character is folded. */
#define MAX_EXTRA 128
static uint32_t extra_cp[MAX_EXTRA];
static size_t n_extra;

static uint8_t extra_code(uint32_t key)
{
	size_t i;

	for (i = 0; i < n_extra; i++)
		if (extra_cp[i] == key)
			return (uint8_t)(0x80 + i);
	return 0;
}

/* A letter-like code point that compatibility decomposition does not fold
 * to a Latin letter: the generated table (fold.h). For a letter with case
 * its capital is looked up first, so that both cases fold alike (a foreign
 * marking's letter, extra_code, stays itself); a caseless one (a small
 * capital, a negative squared letter) reads as the table says. */
static char table_letter(uint32_t cp, uint32_t base, uint32_t up, uint8_t *upper, uint8_t *foreign)
{
	uint8_t f, own;
	char c;

	/* a small capital reads as a capital, whatever its case pair (ʀ, Ʀ) */
	*upper = ch_fold_letter(cp, &own) && (own & CH_FOLD_UPPER);
	if (up != base && ((c = ch_fold_letter(up, &f)) || extra_code(up))) {
		*foreign = (f & CH_FOLD_FOREIGN) != 0;
		return c;
	}
	if (!(c = ch_fold_letter(base, &f)) && base != cp)
		c = ch_fold_letter(cp, &f);
	if (up == base)
		*upper = (f & CH_FOLD_UPPER) != 0;
	*foreign = (f & CH_FOLD_FOREIGN) != 0;
	return c;
}

static int is_ideo(uint32_t cp)
{
	const uc_script_t *sc = uc_script(cp);

	return uc_is_property_ideographic(cp) ||
	       (sc && (!strcmp(sc->name, "Han") || !strcmp(sc->name, "Hiragana") ||
	               !strcmp(sc->name, "Katakana")));
}

/* A letter that folds to no Latin letter: its code if registered, else '?';
 * an ideograph or kana is a word of its own and has no case. */
static tok other_tok(uint32_t cp, uint32_t base, tok t)
{
	uint32_t up = uc_toupper(base);
	uint8_t code = extra_code(up);

	t.kind = K_OTHER;
	t.ch = code ? code : '?';
	if (is_ideo(base))
		t.flags |= F_IDEO | F_CASELESS;
	else if (up == base && uc_tolower(base) == base)
		t.flags |= F_CASELESS;
	else if (uc_is_property_uppercase(cp))
		t.flags |= F_UPPER;
	return t;
}

static char punct_class(uint32_t cp)
{
	if (cp == ':' || cp == 0x2236 || cp == 0xa789 || cp == 0xfe13 || cp == 0xfe55)
		return ':';
	if (cp == '/' || cp == '\\' || cp == 0x2215 || cp == 0x2044 || cp == 0x29f8 ||
	    cp == 0x29f5 || cp == 0x2216)
		return '/';
	if (cp == '-' || cp == 0x2212 || uc_is_general_category(cp, UC_DASH_PUNCTUATION))
		return '-';
	if (cp == '=')
		return '=';
	if (cp == '_' || cp == 0xff3f)
		return '_';
	if (cp == '.' || cp == 0x2024 || cp == 0xfe52)
		return '.';
	if (cp == 0x2605 || cp == 0x2606 || cp == 0x2736 || cp == 0x272A || cp == 0x2729)
		return '*'; /* the star between a Chinese marking and its term: 绝密★10年 */
	return '#';
}

/* Fold one character: compatibility decomposition, upper case, look-alikes.
 * Called only while the tables are built (it is slow). */
static tok classify(uint32_t cp)
{
	tok t = { K_PUNCT, '#', 0, 0 };
	uint32_t buf[32], *d;
	size_t n = CH_ARRAY_SIZE(buf), i, starters = 0;
	uint32_t base, up;
	uint8_t upper = 0, foreign = 0;
	char c;

	if (cp == '\t' || is_vbar(cp))
		return (tok){ K_CELL, 0, 0, 0 };
	if (cp == '\n' || cp == 0x0b || cp == 0x0c || cp == '\r' || cp == 0x85 || cp == 0x2028 ||
	    cp == 0x2029)
		return (tok){ K_NL, 0, 0, 0 };
	if (cp == 0x2800 || uc_is_property_white_space(cp) ||
	    uc_is_general_category(cp, UC_SPACE_SEPARATOR))
		return (tok){ K_SPACE, 0, 1, 0 };
	if (uc_is_general_category(cp, UC_CATEGORY_M) &&
	    !uc_is_property_default_ignorable_code_point(cp)) {
		/* a mark may decompose into marks (U+0344 is U+0308 U+0301) */
		t = (tok){ K_MARK, 0, 0, 0 };
		d = u32_normalize(UNINORM_NFKD, &cp, 1, buf, &n);
		if (!d || n == 0) {
			d = buf;
			buf[0] = cp;
			n = 1;
		}
		for (i = 0; i < n; i++) {
			uint8_t m = mark_bits(d[i]);

			t.marks |= m;
			if (!m)
				t.flags = F_FOREIGN;
		}
		if (d != buf)
			free(d);
		return t;
	}
	if (uc_is_property_default_ignorable_code_point(cp) || uc_is_general_category(cp, UC_CATEGORY_C))
		return (tok){ K_IGNORE, 0, 0, 0 };
	if (cp == 0x0110 || cp == 0x0111 || cp == 0x00d0 || cp == 0x00f0 || cp == 0x0189 || cp == 0x0256)
		return (tok){ K_LETTER, 'D', 0,
		              (uint8_t)(F_STROKE | (uc_is_property_uppercase(cp) ? F_UPPER : 0)) };

	d = u32_normalize(UNINORM_NFKD, &cp, 1, buf, &n);
	if (!d || n == 0) {
		d = buf;
		buf[0] = cp;
		n = 1;
	}
	base = d[0];
	for (i = 0; i < n; i++) {
		uint8_t m;

		if (uc_combining_class(d[i]) == 0 && !uc_is_general_category(d[i], UC_CATEGORY_M)) {
			starters++;
			continue;
		}
		m = mark_bits(d[i]);
		t.marks |= m;
		if (!m)
			t.flags |= F_FOREIGN;
	}
	if (d != buf)
		free(d);
	if (base == ' ' || starters != 1) { /* spacing accents, ligatures, fractions, "(A)" */
		if ((c = table_letter(cp, cp, cp, &upper, &foreign)))
			return (tok){ K_LETTER, (uint8_t)c, 0,
			              (uint8_t)(letter_bits((uint8_t)c) | (upper ? F_UPPER : 0) |
			                        (foreign ? F_FOREIGN : 0)) };
		return uc_is_alpha(cp) ? other_tok(cp, base, (tok){ K_OTHER, '?', 0, 0 }) :
		                         (tok){ K_PUNCT, '#', 0, 0 };
	}

	up = uc_toupper(base);
	c = 0;
	if (up >= 'A' && up <= 'Z')
		c = (char)up;
	else
		c = table_letter(cp, base, up, &upper, &foreign);
	if (c) {
		t.kind = K_LETTER;
		t.ch = (uint8_t)c;
		t.flags |= letter_bits(t.ch) | (foreign ? F_FOREIGN : 0);
		if (upper || uc_is_property_uppercase(cp) ||
		    uc_is_general_category(cp, UC_TITLECASE_LETTER))
			t.flags |= F_UPPER;
		return t;
	}
	if (uc_decimal_value(base) >= 0) {
		c = (char)('0' + uc_decimal_value(base));
		return (tok){ K_DIGIT, (uint8_t)c, 0, (uint8_t)(letter_bits((uint8_t)c) & ~F_VOWEL) };
	}
	if (uc_is_alpha(base))
		return other_tok(cp, base, t);
	return (tok){ K_PUNCT, (uint8_t)punct_class(base), 0, 0 };
}

/* Characters beyond the BMP outside the cached blocks: folded in full only
 * when the generated table has them (modifier small capitals, Deseret and
 * other look-alikes); nothing else there folds to a Latin letter. */
static tok classify_astral(uint32_t cp)
{
	uint8_t f;

	if (ch_fold_letter(cp, &f))
		return classify(cp);
	if (uc_is_property_default_ignorable_code_point(cp) || cp > 0x10FFFF)
		return (tok){ K_IGNORE, 0, 0, 0 };
	if (uc_is_general_category(cp, UC_CATEGORY_M))
		return (tok){ K_MARK, 0, 0, F_FOREIGN };
	if (uc_is_general_category(cp, UC_CATEGORY_C) && !uc_is_general_category(cp, UC_CATEGORY_Co) &&
	    !uc_is_general_category(cp, UC_CATEGORY_Cn))
		return (tok){ K_IGNORE, 0, 0, 0 };
	if (uc_decimal_value(cp) >= 0) {
		uint8_t c = (uint8_t)('0' + uc_decimal_value(cp));

		return (tok){ K_DIGIT, c, 0, (uint8_t)(letter_bits(c) & ~F_VOWEL) };
	}
	if (uc_is_alpha(cp))
		return other_tok(cp, cp, (tok){ K_OTHER, '?', 0, 0 });
	return (tok){ K_PUNCT, '#', 0, 0 };
}

#define FOLD_DONE 0x80u

static tok fold_compute(_Atomic uint32_t *cell, uint32_t cp)
{
	tok t = (cp >= 0xD800 && cp < 0xE000) ? (tok){ K_IGNORE, 0, 0, 0 } : classify(cp);
	uint32_t v = ((uint32_t)t.kind | FOLD_DONE) | (uint32_t)t.ch << 8 |
	             (uint32_t)t.marks << 16 | (uint32_t)t.flags << 24;

	atomic_store_explicit(cell, v, memory_order_relaxed);
	return t;
}

static inline tok fold_cell(_Atomic uint32_t *cell, uint32_t cp)
{
	uint32_t v = atomic_load_explicit(cell, memory_order_relaxed);

	if (!(v & FOLD_DONE))
		return fold_compute(cell, cp);
	return (tok){ (uint8_t)(v & 0x7f), (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
}

static inline tok fold(uint32_t cp)
{
	if (cp < 0x10000)
		return fold_cell(&fold_bmp[cp], cp);
	if (cp >= 0x1D400 && cp < 0x1D800)
		return fold_cell(&fold_math[cp - 0x1D400], cp);
	if (cp >= 0x1F100 && cp < 0x1F200)
		return fold_cell(&fold_encl[cp - 0x1F100], cp);
	return classify_astral(cp);
}

static void compile_phrase(phrase *p, const char *s)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t len = strlen(s), i = 0;

	memset(p, 0, sizeof(*p));
	p->words = 1;
	while (i < len) {
		ucs4_t cp;
		int k = u8_mbtouc(&cp, u + i, len - i);
		tok t = fold(cp);

		i += (size_t)k;
		if (t.kind == K_SPACE)
			p->words++;
		if (t.kind == K_MARK && p->n)
			p->marks[p->n - 1] |= t.marks;
		if ((t.kind == K_LETTER || t.kind == K_DIGIT || (t.kind == K_OTHER && t.ch >= 0x80)) &&
		    p->n < sizeof(p->ch)) {
			p->ch[p->n] = t.ch;
			p->marks[p->n++] = t.marks;
		}
	}
}

static void compile_list(phrase *out, const char *const *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		compile_phrase(&out[i], src[i]);
}

/* ------------------------------------------------------------------ */
/* Tables: foreign markings (markings.c), compiled                     */

typedef struct {
	phrase p;
	ch_stamp_level level;
	int word; /* CH_MARKING_WORD: also an everyday word */
} fmark;

static fmark *f_marks;
static size_t n_fmarks;
static phrase *p_flabels, *p_fcaveats, *p_fcopies;
static phrase_list l_flabels, l_fcaveats, l_fcopies;

/* The line filter for foreign markings: an Aho-Corasick automaton over the
 * letters of a line (everything else skipped; L and I alike, and digits as
 * the letters they may stand for, as is_letter reads them), built on the
 * longest word of each marking. A line where none occurs holds no foreign
 * marking and is not analysed for one. Symbol 0 (any other letter) goes
 * back to the root. */
static uint8_t ac_sym[256];
static size_t ac_nsym, ac_nstates;
static uint16_t *ac_go;
static uint8_t *ac_out;
#define AC_NONE 0xFFFFu

static void extra_register(const char *s)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t len = strlen(s), i = 0;

	while (i < len) {
		ucs4_t cp;
		uint32_t buf[8], *d, key;
		size_t n = CH_ARRAY_SIZE(buf);
		int k = u8_mbtouc(&cp, u + i, len - i);
		tok t = classify(cp);

		i += (size_t)(k > 0 ? k : 1);
		if (t.kind != K_OTHER || t.ch != '?')
			continue;
		d = u32_normalize(UNINORM_NFKD, &cp, 1, buf, &n);
		key = uc_toupper(d && n ? d[0] : cp);
		if (d && d != buf)
			free(d);
		if (!extra_code(key) && n_extra < MAX_EXTRA)
			extra_cp[n_extra++] = key;
	}
}

static void ac_symbols(void)
{
	size_t c;

	ac_nsym = 1;
	for (c = 'A'; c <= 'Z'; c++)
		if (c != 'L')
			ac_sym[c] = (uint8_t)ac_nsym++;
	ac_sym['L'] = ac_sym['I'];
	for (c = '0'; c <= '9'; c++)
		ac_sym[c] = digit_alt((uint8_t)c) ? ac_sym[(uint8_t)digit_alt((uint8_t)c)] : 0;
	for (c = 0; c < n_extra; c++)
		ac_sym[0x80 + c] = (uint8_t)ac_nsym++;
}

/* The longest word of a marking ("TOP SECRET": SECRET), compiled. */
static void longest_word(phrase *out, const char *text)
{
	char w[128];
	const char *p = text;

	memset(out, 0, sizeof(*out));
	while (*p) {
		size_t n = strcspn(p, " -");
		phrase cand;

		if (n && n < sizeof(w)) {
			memcpy(w, p, n);
			w[n] = '\0';
			compile_phrase(&cand, w);
			if (cand.n > out->n)
				*out = cand;
		}
		p += n + (p[n] != '\0');
	}
}

static void ac_add(const phrase *key)
{
	size_t st = 0, k;

	for (k = 0; k < key->n; k++) {
		uint16_t *next = &ac_go[st * ac_nsym + ac_sym[key->ch[k]]];

		if (*next == AC_NONE)
			*next = (uint16_t)ac_nstates++;
		st = *next;
	}
	ac_out[st] = 1;
}

/* Failure links, folded into a full transition table (breadth first). */
static void ac_finish(size_t cap)
{
	uint16_t *fail = ch_malloc(cap * sizeof(uint16_t)), *queue = ch_malloc(cap * sizeof(uint16_t));
	size_t head = 0, tail = 0, s;

	for (s = 0; s < ac_nsym; s++) {
		uint16_t *g = &ac_go[s];

		if (*g == AC_NONE || s == 0)
			*g = 0;
		else {
			fail[*g] = 0;
			queue[tail++] = *g;
		}
	}
	while (head < tail) {
		uint16_t u = queue[head++];

		for (s = 0; s < ac_nsym; s++) {
			uint16_t *g = &ac_go[u * ac_nsym + s];

			if (*g == AC_NONE || s == 0) {
				*g = ac_go[fail[u] * ac_nsym + s];
				continue;
			}
			fail[*g] = ac_go[fail[u] * ac_nsym + s];
			ac_out[*g] |= ac_out[fail[*g]];
			queue[tail++] = *g;
		}
	}
	free(fail);
	free(queue);
}

static void ac_build(void)
{
	size_t i, cap = 1;
	phrase *keys = ch_malloc(ch_markings_len * sizeof(phrase));

	ac_symbols();
	for (i = 0; i < ch_markings_len; i++) {
		longest_word(&keys[i], ch_markings[i].text);
		cap += keys[i].n;
	}
	ac_go = ch_malloc(cap * ac_nsym * sizeof(uint16_t));
	memset(ac_go, 0xFF, cap * ac_nsym * sizeof(uint16_t));
	ac_out = ch_malloc(cap);
	memset(ac_out, 0, cap);
	ac_nstates = 1;
	for (i = 0; i < ch_markings_len; i++)
		ac_add(&keys[i]);
	ac_finish(cap);
	free(keys);
}

static void compile_words(phrase **out, phrase_list *l, const ch_marking_word *src, size_t n)
{
	size_t i;

	*out = ch_malloc(n * sizeof(phrase));
	for (i = 0; i < n; i++)
		compile_phrase(&(*out)[i], src[i].text);
	l->p = *out;
	l->n = n;
}

static void foreign_build(void)
{
	size_t i;

	f_marks = ch_malloc(ch_markings_len * sizeof(fmark));
	n_fmarks = ch_markings_len;
	for (i = 0; i < n_fmarks; i++) {
		compile_phrase(&f_marks[i].p, ch_markings[i].text);
		f_marks[i].level = ch_markings[i].level;
		f_marks[i].word = (ch_markings[i].flags & CH_MARKING_WORD) != 0;
	}
	compile_words(&p_flabels, &l_flabels, ch_marking_labels, ch_marking_labels_len);
	compile_words(&p_fcaveats, &l_fcaveats, ch_marking_caveats, ch_marking_caveats_len);
	compile_words(&p_fcopies, &l_fcopies, ch_marking_copies, ch_marking_copies_len);
	ac_build();
}

/* A letter Vietnamese writes: at most one tone, the right vowel quality,
 * no marks on consonants but the stroke of Đ. */
static int viet_valid(const tok *t)
{
	uint8_t q = t->marks & M_QUALITY, tone = t->marks & M_TONE;

	if (t->flags & F_FOREIGN || (tone & (tone - 1)))
		return 0;
	switch (t->ch) {
	case 'A': return q == 0 || q == M_CIRC || q == M_BREVE;
	case 'E': return q == 0 || q == M_CIRC;
	case 'O': return q == 0 || q == M_CIRC || q == M_HORN;
	case 'U': return q == 0 || q == M_HORN;
	case 'I': case 'Y': return q == 0;
	default: return t->marks == 0;
	}
}

static uint8_t viet_ok[26][256];

static void tables_build(void)
{
	uint32_t cp;
	size_t i;

	for (i = 0; i < ch_markings_len; i++) /* before any character is folded */
		extra_register(ch_markings[i].text);
	for (i = 0; i < ch_marking_labels_len; i++)
		extra_register(ch_marking_labels[i].text);
	for (i = 0; i < ch_marking_caveats_len; i++)
		extra_register(ch_marking_caveats[i].text);
	for (i = 0; i < ch_marking_copies_len; i++)
		extra_register(ch_marking_copies[i].text);

	for (cp = 0; cp < 0x100; cp++) {
		tok t = fold(cp);

		cp1252_map[cp] = (cp >= 0x80 && cp < 0xA0) ? cp1252_c1[cp - 0x80] : cp;
		cp1258_map[cp] = cp1252_map[cp];
		tcvn_map[cp] = cp >= 0x80 ? tcvn_hi[cp - 0x80] : cp;
		sig_latin1[cp] = (cp >= 0xA1 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
		                 (cp >= 0xC0 && t.kind == K_OTHER);
	}
	for (i = 0; i < CH_ARRAY_SIZE(tcvn_lo); i++)
		tcvn_map[tcvn_lo[i].b] = tcvn_lo[i].cp;
	for (i = 0; i < CH_ARRAY_SIZE(cp1258_diff); i++)
		cp1258_map[cp1258_diff[i].b] = cp1258_diff[i].cp;
	for (cp = 0; cp < 0x100; cp++) {
		tok t = fold(tcvn_map[cp]);

		if (cp >= 0x80 && t.kind == K_LETTER && !(t.flags & F_UPPER))
			t.flags |= F_CASELESS;
		legacy_tok[1][cp] = t;
		legacy_tok[2][cp] = fold(cp1252_map[cp]);
		legacy_tok[3][cp] = fold(cp1258_map[cp]);
	}
	for (i = 0; i < CH_ARRAY_SIZE(vni_marks); i++)
		vni_mark_of[vni_marks[i].lo] = vni_mark_of[vni_marks[i].up] = (uint8_t)(i + 1);
	for (i = 0; i < CH_ARRAY_SIZE(vni_alone); i++)
		vni_alone_of[vni_alone[i].lo] = vni_alone_of[vni_alone[i].up] = (uint8_t)(i + 1);

	for (i = 0; i < 26; i++)
		for (cp = 0; cp < 256; cp++) {
			tok t = { K_LETTER, (uint8_t)('A' + i), (uint8_t)cp, 0 };

			viet_ok[i][cp] = (uint8_t)(!viet_valid(&t) ? 0 :
			                           cp == M_GRAVE && (t.ch == 'I' || t.ch == 'O') ? 2 : 1);
		}
	for (i = 0; i < NFIXED; i++)
		compile_phrase(&fixed[i], fixed_words[i]);
	compile_list(p_labels, labels, CH_ARRAY_SIZE(labels));
	compile_list(p_copy, copy_words, CH_ARRAY_SIZE(copy_words));
	compile_list(p_comp, companions, CH_ARRAY_SIZE(companions));
	compile_list(p_prev, compound_prev, CH_ARRAY_SIZE(compound_prev));
	compile_list(p_next, compound_next, CH_ARRAY_SIZE(compound_next));
	compile_list(p_nouns, doc_nouns, CH_ARRAY_SIZE(doc_nouns));
	foreign_build();
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static int tables_init(void)
{
	if (pthread_once(&tables_once, tables_build) != 0)
		return ch_error_setc(CH_ERROR, "cannot build the stamp scanner's tables");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The scanner: views, line buffer, state                              */

/* The readings of a text. Lines without a sign of a legacy encoding read
 * the same in all of them. */
enum { V_UNI, V_TCVN3, V_VNI, V_CP1258, V_BIDI, V_JOINED, NVIEWS };
static const char *const view_names[NVIEWS] = { "utf-8", "tcvn3", "vni", "cp1258", "bidi",
	                                         "joined" };
#define V_LEGACY_END V_BIDI

typedef struct {
	ch_stamp_level level; /* strongest level rule fired */
	const char *rule;
	unsigned nonempty : 1, ref : 1, claim : 1, signal : 1;
} linesum;

typedef struct {
	ch_stamp_level level;
	const char *rule;
	size_t line;
	size_t nonempty;          /* non-empty lines seen */
	size_t pending, pending_line; /* an unresolved GIẢI MẬT claim: its non-empty index + 1 */
	size_t last_ref;          /* non-empty index + 1 of the last decision reference */
	int declass_fail;
	size_t declass_line;
} vstate;

/* A word: a run of letters and digits. gap says what separates it from the
 * word before. */
#define G_SPACE 0x01
#define G_WIDE 0x02  /* two or more spaces */
#define G_CELL 0x04  /* tab, vertical bar */
#define G_PUNCT 0x08
#define G_SLASH 0x10 /* a '/' or '\\' (a path separator in a file name) */
#define G_JOIN 0x20  /* a hyphen or underscore: may join a compound ("MẬT_KHẨU") */
#define G_STAR 0x40  /* a star (绝密★10年) */
#define G_MARKS (G_PUNCT | G_JOIN) /* any punctuation */
#define G_BREAK (G_WIDE | G_CELL)

typedef struct {
	uint32_t s, e;
	uint8_t gap, digits;
} word;

typedef struct {
	int where;
	int view;       /* the reading being folded */
	tok *t;         /* tokens of the current line (or chunk of it) */
	size_t n, cap;  /* cap: min(CH_STAMP_LINE_TOKENS, input + 1); a line has no more
	                 * tokens than bytes, so only a long one is cut into chunks */
	word *w;
	size_t nw;
	linesum *sum;   /* where the current line's findings go */
	int mat;        /* the line filter: 0, saw M, saw M A; then 3: a candidate */
	uint16_t fst;   /* the line filter for foreign markings: its state ... */
	int fhit;       /* ... and 1 once a key word of one was seen: a candidate */
	int slash;      /* a '/' seen in the line (a decision reference is possible) */
	uint8_t *nfc;   /* scratch for NFC of a line (malloc'd by libunistring) */
	size_t nfccap;
	uint32_t *cps;  /* scratch for the bidi reading of a line */
	size_t cpscap;
	vstate vs[NVIEWS];
	/* the joined reading: the current paragraph, while it is short */
	tok *para;
	size_t para_n, para_cap, para_alnum, para_lines, para_line;
	int para_big;   /* too long to be a stamp: no longer kept */
	int para_mat;   /* the line filter over the paragraph */
	uint16_t para_fst; /* the foreign filter over the paragraph */
	int para_fhit;
	int flushed;    /* the current line was analysed in chunks (it is long) */
} scanner;


static void analyze(scanner *sc);

static void hit(linesum *sum, ch_stamp_level level, const char *rule)
{
	if (level > sum->level) {
		sum->level = level;
		sum->rule = rule;
	}
}

/* A full line buffer: analyse what we have, keep the tail (from a cell
 * break if there is one, else from any separator) to give the next chunk
 * its left context. */
static void flush_chunk(scanner *sc)
{
	size_t from = sc->n - sc->cap / 8, i, cut = sc->n; /* keep up to 1/8 */

	sc->flushed = 1;
	analyze(sc);
	for (i = from; i < sc->n; i++)
		if (sc->t[i].kind == K_CELL || (sc->t[i].kind == K_SPACE && sc->t[i].marks >= 2)) {
			cut = i;
			break;
		}
	if (cut == sc->n)
		for (i = from; i < sc->n; i++)
			if (sc->t[i].kind == K_SPACE || sc->t[i].kind == K_PUNCT) {
				cut = i;
				break;
			}
	memmove(sc->t, sc->t + cut, (sc->n - cut) * sizeof(tok));
	sc->n -= cut;
}

/* viet_ok, built with the tables: for a letter (index ch - 'A') and its
 * marks, 1 if Vietnamese writes it, 0 if not, 2 for ì and ò (fine, unless
 * right after a vowel). */

/* The letter before is complete (its combining marks are in): in the UTF-8
 * reading, is it a sign of a legacy text read as Latin-1? A letter
 * Vietnamese does not write ("MAÄT", "MËT"), or a vowel then ì/ò
 * (Windows-1258 tone marks: "MÂòT"). */
HOT void letter_done(scanner *sc)
{
	const tok *last = &sc->t[sc->n - 1];
	uint8_t ok;

	if (last->kind != K_LETTER || sc->view != V_UNI)
		return;
	ok = (last->flags & F_FOREIGN) ? 0 : viet_ok[last->ch - 'A'][last->marks];
	if (ok == 1)
		return;
	if (ok == 0 || (sc->n > 1 && sc->t[sc->n - 2].kind == K_LETTER &&
	                (sc->t[sc->n - 2].flags & F_VOWEL)))
		sc->sum->signal = 1;
}

static void push_other(scanner *sc, tok t);

/* The line filter, one letter or digit at a time: 1 after an M, 2 after
 * M A, 3 (for good) after M A T. */
HOT int mat_step(int st, const tok *t)
{
	uint8_t f = t->flags;

	if (st == 3)
		return 3;
	if (f & F_M)
		return 1;
	if (st == 1 && (f & F_A) && !(t->marks & ~(M_CIRC | M_DOT)))
		return 2;
	return st == 2 && (f & F_T) ? 3 : 0;
}

/* The foreign filter, one letter or digit at a time. */
HOT void ac_step(uint16_t *st, int *seen, const tok *t)
{
	*st = ac_go[*st * ac_nsym + ac_sym[t->ch]];
	*seen |= ac_out[*st];
}

HOT void push(scanner *sc, const tok *tp)
{
	if (tp->kind > K_OTHER) {
		if (tp->kind == K_SPACE && sc->n && sc->t[sc->n - 1].kind == K_SPACE) {
			sc->t[sc->n - 1].marks += sc->t[sc->n - 1].marks < 255;
			return;
		}
		push_other(sc, *tp);
		return;
	}
	if (tp->kind == K_IGNORE)
		return;
	if (sc->n) {
		letter_done(sc);
		if (sc->n == sc->cap)
			flush_chunk(sc);
	}
	sc->sum->nonempty = 1;
	sc->mat = mat_step(sc->mat, tp);
	ac_step(&sc->fst, &sc->fhit, tp);
	sc->t[sc->n++] = *tp;
}

static void push_other(scanner *sc, tok t)
{
	tok *last = sc->n ? &sc->t[sc->n - 1] : NULL;

	switch (t.kind) {
	case K_NL:
		return;
	case K_MARK:
		if (last && (last->kind == K_LETTER || last->kind == K_OTHER)) {
			last->marks |= t.marks;
			last->flags |= t.flags;
		}
		return;
	case K_SPACE:
		if (last && last->kind == K_SPACE) {
			if (last->marks < 255)
				last->marks++;
			return;
		}
		t.marks = 1;
		break;
	case K_PUNCT:
		if (last && last->kind == K_PUNCT && last->ch == t.ch)
			return;
		if (t.ch == '/')
			sc->slash = 1;
		break;
	case K_CELL:
		if (last && last->kind == K_CELL)
			return;
		break;
	default:
		break;
	}
	if (last) {
		letter_done(sc);
		if (sc->n == sc->cap)
			flush_chunk(sc);
	}
	sc->t[sc->n++] = t;
}

/* ------------------------------------------------------------------ */
/* Matching phrases over words                                         */

static int is_vowel(uint8_t c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' || c == 'Y';
}

static int is_letter(const tok *t, uint8_t want)
{
	if (want >= 0x80)
		return t->kind == K_OTHER && t->ch == want;
	if (t->kind == K_LETTER)
		return t->ch == want ||
		       (want == 'I' && t->ch == 'L' && !(t->flags & (F_UPPER | F_CASELESS)));
	return t->kind == K_DIGIT && digit_alt(t->ch) == want;
}

enum { FORM_EXACT, FORM_PARTIAL, FORM_BARE };

typedef struct {
	int form;  /* all marks as written / some missing / none */
	int upper; /* every letter a capital (or caseless) */
	int cased; /* some letter has case (not only ideographs) */
} mres;

/* Match p over the words from word i, crossing gaps with none of the `stop`
 * flags; it must start and end on word boundaries. Marks are checked unless
 * `skel`: a marked letter of p matches a letter with a subset of its marks
 * (marks lost), never one with another mark (MẶT, MẤT, MÁT are not MẬT).
 * Returns the index of the word after the match, or 0. */
static size_t match_fwd(const scanner *sc, size_t i, size_t end, const phrase *p, uint8_t stop,
                        int skel, mres *m)
{
	const tok *t = sc->t;
	const word *w = sc->w;
	size_t wi = i, ti, k;
	int upper = 1, exact = 1, bare = 1, marked = 0, cased = 0;

	if (i >= end || !p->n)
		return 0;
	ti = w[i].s;
	for (k = 0; k < p->n; k++) {
		if (ti == w[wi].e) {
			if (++wi >= end || (w[wi].gap & stop))
				return 0;
			ti = w[wi].s;
		}
		if (!is_letter(&t[ti], p->ch[k]))
			return 0;
		if (p->marks[k] && !skel) {
			uint8_t mk = t[ti].kind == K_LETTER ? t[ti].marks : 0;

			marked = 1;
			if (mk & ~p->marks[k])
				return 0;
			if (mk != p->marks[k])
				exact = 0;
			if (mk)
				bare = 0;
		}
		if ((t[ti].kind == K_LETTER || t[ti].kind == K_OTHER) &&
		    !(t[ti].flags & (F_UPPER | F_CASELESS)))
			upper = 0;
		if (t[ti].kind == K_LETTER || (t[ti].kind == K_OTHER && !(t[ti].flags & F_CASELESS)))
			cased = 1;
		ti++;
	}
	if (ti != w[wi].e)
		return 0;
	if (m) {
		m->form = bare ? FORM_BARE : exact && marked ? FORM_EXACT : FORM_PARTIAL;
		m->upper = upper;
		m->cased = cased;
	}
	return wi + 1;
}

/* A letter written with a mark its place in p does not have: "BẢN ĐỒ"
 * (map) is not "ĐỘ" (as in "độ mật"); a letter that lost its marks ("DO")
 * still matches. */
static int wrong_marks(const tok *t, const phrase *p, size_t k)
{
	return p->marks[k] && t->kind == K_LETTER && (t->marks & ~p->marks[k]);
}

/* Does a phrase of `l` end right before word i, adjacent to it (no gap in
 * `stop`)? Letters without marks match any ("BI MAT"); a letter with a
 * mark the phrase's letter lacks does not (wrong_marks). */
static int match_back(const scanner *sc, size_t i, const phrase_list *l, uint8_t stop)
{
	size_t k;

	if (i == 0 || (sc->w[i].gap & stop))
		return 0;
	for (k = 0; k < l->n; k++) {
		const phrase *p = &l->p[k];
		size_t wi = i - 1, ti = sc->w[wi].e, c = p->n;
		int ok = 1;

		while (c > 0) {
			if (ti == sc->w[wi].s) {
				if (wi == 0 || (sc->w[wi].gap & G_BREAK)) {
					ok = 0;
					break;
				}
				wi--;
				ti = sc->w[wi].e;
			}
			if (!is_letter(&sc->t[--ti], p->ch[--c]) || wrong_marks(&sc->t[ti], p, c)) {
				ok = 0;
				break;
			}
		}
		if (ok && ti == sc->w[wi].s)
			return 1;
	}
	return 0;
}

/* The first phrase of `l` that matches (skeleton) from word i, adjacent to
 * what came before (no gap in `stop`); returns the word after it, or 0, and
 * which phrase in *which (if not NULL). */
static size_t match_list_which(const scanner *sc, size_t i, const phrase_list *l, uint8_t stop,
                               size_t *which)
{
	size_t k, e;

	if (i >= sc->nw || (i > 0 && (sc->w[i].gap & stop)))
		return 0;
	for (k = 0; k < l->n; k++)
		if ((e = match_fwd(sc, i, sc->nw, &l->p[k], G_BREAK, 1, NULL))) {
			if (which)
				*which = k;
			return e;
		}
	return 0;
}

static size_t match_list(const scanner *sc, size_t i, const phrase_list *l, uint8_t stop)
{
	return match_list_which(sc, i, l, stop, NULL);
}

/* MẬT from word i to k is part of a compound word (bí mật, mật khẩu). */
static int compound(const scanner *sc, size_t i, size_t k)
{
	return match_back(sc, i, &l_prev, G_BREAK | G_PUNCT) ||
	       match_list(sc, k, &l_next, G_BREAK | G_PUNCT);
}

static int cell_start(const scanner *sc, size_t i)
{
	return i == 0 || (sc->w[i].gap & G_BREAK);
}

static int cell_end(const scanner *sc, size_t k)
{
	return k >= sc->nw || (sc->w[k].gap & G_BREAK);
}

static int digits_from(const scanner *sc, size_t k, size_t end)
{
	for (; k < end; k++)
		if (!sc->w[k].digits)
			return 0;
	return 1;
}

/* What may follow a level on its own stamp line: nothing, a number, or a
 * copy number ("Bản số 01"). */
static int copy_tail(const scanner *sc, size_t k, size_t end)
{
	size_t i;

	if (digits_from(sc, k, end))
		return 1;
	for (i = 0; i < l_copy.n; i++) {
		size_t e = match_fwd(sc, k, end, &l_copy.p[i], 0, 1, NULL);

		if (e && digits_from(sc, e, end))
			return 1;
	}
	return 0;
}

/* A level (longest first) at word i; its index 0..2 in *lvl. */
static size_t match_level(const scanner *sc, size_t i, size_t end, uint8_t stop, int *lvl,
                          mres *m)
{
	int k;
	size_t e;

	for (k = P_TOP; k <= P_CONF; k++)
		if ((e = match_fwd(sc, i, end, &fixed[k], stop, 0, m))) {
			*lvl = k;
			return e;
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The rules                                                           */

/* stamp-line: the words a..end are exactly a level (+ copy number), or a
 * GIẢI MẬT claim (+ a number or date). */
static void rule_line(scanner *sc, size_t a, size_t end, const char *rule, int fname)
{
	mres m;
	int lvl;
	size_t k, s;

	if (a >= end)
		return;
	if ((k = match_level(sc, a, end, 0, &lvl, &m)) && copy_tail(sc, k, end) &&
	    !(m.form == FORM_BARE && lvl == P_CONF && !m.upper && !fname)) {
		hit(sc->sum, fixed_level[lvl], rule);
		return;
	}
	if (fname)
		return;
	s = match_fwd(sc, a, end, &fixed[P_DA], 0, 1, NULL);
	if (!s)
		s = a;
	if ((k = match_fwd(sc, s, end, &fixed[P_GIAI], 0, 0, &m)) && digits_from(sc, k, end) &&
	    (m.form != FORM_BARE || m.upper))
		sc->sum->claim = 1;
}

/* Run rule_line over each cell, split at gaps with any of `split` (not
 * over the whole line: the caller does that once). */
static void rule_line_cells(scanner *sc, uint8_t split, const char *rule, int fname)
{
	size_t a = 0, i;

	for (i = 1; i <= sc->nw; i++)
		if (i == sc->nw || (sc->w[i].gap & split)) {
			if (a > 0 || i < sc->nw)
				rule_line(sc, a, i, rule, fname);
			a = i;
		}
}

static void rule_lines(scanner *sc)
{
	rule_line(sc, 0, sc->nw, "stamp-line", 0);
	rule_line_cells(sc, G_CELL, "stamp-line", 0);
	rule_line_cells(sc, G_BREAK, "stamp-line", 0);
}

/* level-field: a label, then a level that ends its cell, is followed by
 * another header field, or is in capitals. */
static void rule_field(scanner *sc, size_t i)
{
	size_t which = 0, j = match_list_which(sc, i, &l_labels, 0, &which), k;
	mres m, lm = { FORM_BARE, 0, 0 };
	int lvl;

	if (!j || j >= sc->nw)
		return;
	/* a bare value "mat" needs capitals, or a label with its marks */
	match_fwd(sc, i, sc->nw, &l_labels.p[which], G_BREAK, 0, &lm);
	if ((k = match_level(sc, j, sc->nw, G_CELL, &lvl, &m))) {
		if (m.form == FORM_BARE && lvl == P_CONF && !m.upper && lm.form == FORM_BARE)
			return;
		if (m.upper || cell_end(sc, k) || match_list(sc, k, &l_comp, G_CELL))
			hit(sc->sum, fixed_level[lvl], "level-field");
	} else if ((k = match_fwd(sc, j, sc->nw, &fixed[P_GIAI], G_CELL, 0, &m)) &&
	           (m.upper || cell_end(sc, k) || match_list(sc, k, &l_comp, G_CELL))) {
		sc->sum->claim = 1;
	}
}

/* stamp-lead, header-upper and title, for a level found at words i..k. */
static void rule_level_at(scanner *sc, size_t i, size_t k, int lvl, const mres *m, int header,
                          int title)
{
	int single = lvl == P_CONF, comp = single && compound(sc, i, k);

	if (m->upper && !comp) {
		int lead = cell_start(sc, i) && k < sc->nw && !cell_start(sc, k) &&
		           ((sc->w[k].gap & G_MARKS) || match_list(sc, k, &l_comp, G_CELL));
		int tail = cell_end(sc, k) && !cell_start(sc, i) && (sc->w[i].gap & G_MARKS);

		if (lead || tail)
			hit(sc->sum, fixed_level[lvl], "stamp-lead");
	}
	if (header && m->upper && (!single || (m->form == FORM_EXACT && !comp)))
		hit(sc->sum, fixed_level[lvl], "header-upper");
	if (title) {
		if (!single || (m->form == FORM_EXACT && !comp))
			hit(sc->sum, fixed_level[lvl], "title");
		else if (match_back(sc, i, &l_nouns, G_BREAK | G_PUNCT) &&
		         !match_list(sc, k, &l_next, G_BREAK | G_PUNCT))
			hit(sc->sum, fixed_level[lvl], "title");
	}
}

/* A GIẢI MẬT claim at word i: in capitals at the start of a cell or in the
 * header (field values and whole lines are handled by their rules). */
static void rule_declass_at(scanner *sc, size_t i, int header)
{
	mres m;
	size_t k = match_fwd(sc, i, sc->nw, &fixed[P_GIAI], G_CELL, 0, &m);

	if (!k || !m.upper || match_list(sc, k, &l_next, G_BREAK | G_PUNCT))
		return;
	if (header || cell_start(sc, i))
		sc->sum->claim = 1;
}

static void rules_text(scanner *sc, int header, int title)
{
	size_t i, k;
	mres m;
	int lvl;

	rule_lines(sc);
	for (i = 0; i < sc->nw; i++) {
		rule_field(sc, i);
		rule_declass_at(sc, i, header);
		if ((k = match_level(sc, i, sc->nw, G_CELL, &lvl, &m)))
			rule_level_at(sc, i, k, lvl, &m, header, title);
	}
}

/* Inside one word: TUYETMAT anywhere, TOIMAT at either end ("baocaotoimat"). */
static void rule_filename_word(scanner *sc, size_t wi)
{
	const word *w = &sc->w[wi];
	size_t len = w->e - w->s, off, k;
	int lvl;

	for (lvl = P_TOP; lvl <= P_SECRET; lvl++) {
		const phrase *p = &fixed[lvl];

		if (len <= p->n)
			continue;
		for (off = 0; off + p->n <= len; off++) {
			if (lvl == P_SECRET && off != 0 && off + p->n != len)
				continue;
			for (k = 0; k < p->n; k++) {
				const tok *t = &sc->t[w->s + off + k];

				if (!is_letter(t, p->ch[k]) ||
				    (p->marks[k] && t->kind == K_LETTER && (t->marks & ~p->marks[k])))
					break;
			}
			if (k == p->n) {
				hit(sc->sum, fixed_level[lvl], "filename");
				return;
			}
		}
	}
}

static void rules_filename(scanner *sc)
{
	size_t i, k;
	mres m;
	int lvl;

	rule_line(sc, 0, sc->nw, "filename", 1);
	rule_line_cells(sc, G_SLASH, "filename", 1);
	for (i = 0; i < sc->nw; i++) {
		rule_filename_word(sc, i);
		if (!(k = match_level(sc, i, sc->nw, G_SLASH, &lvl, &m)))
			continue;
		if (lvl != P_CONF) {
			hit(sc->sum, fixed_level[lvl], "filename");
			continue;
		}
		if (match_back(sc, i, &l_nouns, G_SLASH | G_CELL) &&
		    !match_list(sc, k, &l_next, G_SLASH | G_CELL))
			hit(sc->sum, fixed_level[lvl], "filename");
		else if (!match_back(sc, i, &l_prev, G_SLASH | G_CELL) &&
		         !match_list(sc, k, &l_next, G_SLASH | G_CELL) &&
		         (m.form != FORM_BARE || m.upper))
			hit(sc->sum, fixed_level[lvl], "filename");
	}
}

/* ------------------------------------------------------------------ */
/* The rules for foreign markings                                      */

/* The longest marking from word i (the higher level on a tie), or 0. */
static size_t match_marking(const scanner *sc, size_t i, size_t end, uint8_t stop,
                            const fmark **which, mres *m)
{
	size_t k, e, best = 0;
	uint8_t first;
	mres mm;

	if (i >= end)
		return 0;
	first = ac_sym[sc->t[sc->w[i].s].ch]; /* a cheap test before each match */
	for (k = 0; k < n_fmarks; k++) {
		if (ac_sym[f_marks[k].p.ch[0]] != first ||
		    !(e = match_fwd(sc, i, end, &f_marks[k].p, stop, 1, &mm)))
			continue;
		if (e > best || (e == best && f_marks[k].level > (*which)->level)) {
			best = e;
			*which = &f_marks[k];
			*m = mm;
		}
	}
	return best;
}

/* What follows a marking that ends at word k, up to the end of its cell. */
enum { FT_NONE, FT_END, FT_DIGITS, FT_COPY, FT_CAVEAT, FT_SLASH, FT_STAR };

static int ftail(const scanner *sc, size_t k, size_t end)
{
	size_t i, e;

	if (k >= end)
		return FT_END;
	if (sc->w[k].gap & G_STAR)
		return FT_STAR;
	if (digits_from(sc, k, end))
		return FT_DIGITS;
	for (i = 0; i < l_fcopies.n; i++)
		if ((e = match_fwd(sc, k, end, &l_fcopies.p[i], 0, 1, NULL)) && e < end &&
		    digits_from(sc, e, end))
			return FT_COPY;
	if (match_list(sc, k, &l_fcaveats, G_BREAK))
		return FT_CAVEAT;
	return sc->w[k].gap & G_SLASH ? FT_SLASH : FT_NONE;
}

/* A marking with this tail on a line or cell of its own is a stamp: in
 * capitals (or a script without case) alone, with a number, a caveat or
 * after a slash ("SECRET//NOFORN"); in any case with a copy number
 * ("Секретно, экз. № 2") or a term (绝密★10年). */
static int fstamp(const mres *m, int tail)
{
	switch (tail) {
	case FT_END:
	case FT_DIGITS:
	case FT_CAVEAT:
	case FT_SLASH:
		return m->upper;
	case FT_COPY:
	case FT_STAR:
		return 1;
	default:
		return 0;
	}
}

/* stamp-line: the words a..end are a marking and what may follow one. */
static void frule_line(scanner *sc, size_t a, size_t end, const char *rule)
{
	const fmark *f = NULL;
	mres m;
	size_t k;

	if (a < end && (k = match_marking(sc, a, end, 0, &f, &m)) && fstamp(&m, ftail(sc, k, end)))
		hit(sc->sum, f->level, rule);
}

static void frule_cells(scanner *sc, uint8_t split, const char *rule)
{
	size_t a = 0, i;

	for (i = 1; i <= sc->nw; i++)
		if (i == sc->nw || (sc->w[i].gap & split)) {
			if (a > 0 || i < sc->nw)
				frule_line(sc, a, i, rule);
			a = i;
		}
}

static void frule_lines(scanner *sc)
{
	frule_line(sc, 0, sc->nw, "stamp-line");
	frule_cells(sc, G_CELL, "stamp-line");
	frule_cells(sc, G_BREAK, "stamp-line");
}

/* level-field: a label, then a marking that ends its cell or has a tail, in
 * any case ("Classification: Secret", "Гриф: секретно", "密级：机密"). */
static void frule_field(scanner *sc, size_t i)
{
	const fmark *f = NULL;
	size_t l, j, k, e;
	mres m;

	for (l = 0; l < l_flabels.n; l++) {
		if (ac_sym[l_flabels.p[l].ch[0]] != ac_sym[sc->t[sc->w[i].s].ch])
			continue;
		j = match_fwd(sc, i, sc->nw, &l_flabels.p[l], G_BREAK, 1, NULL);
		if (!j || j >= sc->nw || (sc->w[j].gap & G_CELL))
			continue;
		if (!(k = match_marking(sc, j, sc->nw, G_CELL, &f, &m)))
			continue;
		for (e = k; e < sc->nw && !(sc->w[e].gap & G_BREAK); e++)
			;
		if (ftail(sc, k, e) != FT_NONE)
			hit(sc->sum, f->level, "level-field");
	}
}

static int word_caps(const scanner *sc, size_t wi)
{
	uint32_t i;

	for (i = sc->w[wi].s; i < sc->w[wi].e; i++)
		if ((sc->t[i].kind == K_LETTER || sc->t[i].kind == K_OTHER) &&
		    !(sc->t[i].flags & (F_UPPER | F_CASELESS)))
			return 0;
	return 1;
}

/* The words next to words i..k in their cell are in capitals too: a header
 * line written in capitals, not a level named in a sentence. */
static int caps_around(const scanner *sc, size_t i, size_t k)
{
	if (!cell_start(sc, i) && !word_caps(sc, i - 1))
		return 0;
	return k >= sc->nw || cell_start(sc, k) || word_caps(sc, k);
}

/* What may follow a marking that closes a title (words from k): nothing,
 * what punctuation sets apart from it ("SECRET//NOFORN", "SECRET - 2026",
 * "(SECRET) v2"; a hyphen only with a space: "SECRET-SANTA" is a word),
 * or numbers ("SECRET 2026"). */
static int title_tail(const scanner *sc, size_t k)
{
	uint8_t gap;

	if (k >= sc->nw)
		return 1;
	gap = sc->w[k].gap;
	if ((gap & (G_PUNCT | G_SLASH | G_CELL)) ||
	    ((gap & G_JOIN) && (gap & (G_SPACE | G_WIDE))))
		return 1;
	return digits_from(sc, k, sc->nw);
}

/* stamp-lead and header-upper for a marking at words i..k: it opens a cell
 * and a star, a slash or a caveat follows (in a title, any punctuation);
 * or, not an everyday word, it is in capitals in a capital header line (in
 * a title, anywhere). */
static void frule_at(scanner *sc, size_t i, size_t k, const fmark *f, const mres *m, int header,
                     int title)
{
	if (cell_start(sc, i) && k < sc->nw && !cell_start(sc, k)) {
		uint8_t gap = sc->w[k].gap;

		if ((gap & G_STAR) ||
		    (m->upper && ((gap & G_SLASH) || match_list(sc, k, &l_fcaveats, G_BREAK))) ||
		    (title && m->upper && (gap & G_MARKS)))
			hit(sc->sum, f->level, "stamp-lead");
	}
	if (header && !f->word && m->upper && m->cased && (title || caps_around(sc, i, k)))
		hit(sc->sum, f->level, "header-upper");
	/* A title that opens with a marking, as a stamp opens a page: in
	 * capitals ("SECRET Báo cáo", "СЕКРЕТНО Экз. № 2 ..."), or in a script
	 * without case when it is set apart from what follows by a space or a
	 * mark ("绝密 ...", "極秘：..."; run on, it begins an ordinary word or
	 * phrase: 秘书长, 秘密保持契約書, 極秘プロジェクト). */
	if (title && cell_start(sc, i) && i == 0 &&
	    ((m->upper && m->cased) ||
	     (!m->cased && k - i >= 2 && (k >= sc->nw || (sc->w[k].gap & (G_SPACE | G_MARKS))))))
		hit(sc->sum, f->level, "title");
	/* ... or that closes with one in capitals, set apart from what precedes
	 * it by punctuation and a space, or by a slash, as a stamp closes a
	 * line ("Số 12 - СЕКРЕТНО", "Kế hoạch (CONFIDENTIAL)"); joined to the
	 * word before ("NON-SECRET") or after a bare space it is a word. */
	if (title && i > 0 && title_tail(sc, k) && m->upper && m->cased &&
	    (((sc->w[i].gap & G_MARKS) && (sc->w[i].gap & (G_SPACE | G_WIDE))) ||
	     (sc->w[i].gap & (G_SLASH | G_CELL))))
		hit(sc->sum, f->level, "title");
}

static void frules_text(scanner *sc, int header, int title)
{
	const fmark *f = NULL;
	size_t i, k;
	mres m;

	frule_lines(sc);
	for (i = 0; i < sc->nw; i++) {
		frule_field(sc, i);
		if ((k = match_marking(sc, i, sc->nw, G_CELL, &f, &m)))
			frule_at(sc, i, k, f, &m, header, title);
	}
}

/* In a file name: the whole name or a path component as a stamp line; a
 * marking that is no everyday word anywhere, in any case ("top_secret",
 * "TopSecret", "绝密文件"); an everyday one as a word in capitals
 * ("SECRET_plan"). */
static void frules_filename(scanner *sc)
{
	const fmark *f = NULL;
	size_t i, k;
	mres m;

	frule_line(sc, 0, sc->nw, "filename");
	frule_cells(sc, G_SLASH, "filename");
	for (i = 0; i < sc->nw; i++)
		if ((k = match_marking(sc, i, sc->nw, G_SLASH, &f, &m)) &&
		    (!f->word || (m.upper && m.cased)))
			hit(sc->sum, f->level, "filename");
}

/* ------------------------------------------------------------------ */
/* Analysing one line                                                  */

/* A decision reference "N/QĐ" or "N/YYYY/QĐ" (spaces allowed around '/'). */
static void find_ref(scanner *sc)
{
	enum { R0, RDIG, RSLASH, RQ };
	const tok *t, *end = sc->t + sc->n;
	int rs = R0;

	for (t = sc->t; t < end; t++) {
		if (t->kind == K_DIGIT)
			rs = RDIG;
		else if (t->kind == K_LETTER && rs == RSLASH && t->ch == 'Q')
			rs = RQ;
		else if (t->kind == K_LETTER && rs == RQ && t->ch == 'D') {
			sc->sum->ref = 1;
			return;
		} else if (t->kind == K_PUNCT && t->ch == '/' && (rs == RDIG || rs == RSLASH))
			rs = RSLASH;
		else if (t->kind != K_SPACE || rs == RQ)
			rs = R0;
	}
}

/* Would a letter here start a new word in a file name (camelCase, or a
 * change between letters and digits)? */
static int fname_split(const tok *a, const tok *b)
{
	if ((a->kind == K_DIGIT) != (b->kind == K_DIGIT))
		return 1;
	return a->kind == K_LETTER && b->kind == K_LETTER && !(a->flags & (F_UPPER | F_CASELESS)) &&
	       (b->flags & F_UPPER);
}

static int ideo(const tok *t)
{
	return t->kind == K_OTHER && (t->flags & F_IDEO);
}

static void build_words(scanner *sc, int fname)
{
	size_t i, n = sc->n;
	uint8_t gap = 0;
	int in = 0;

	sc->nw = 0;
	if (fname) { /* drop an extension: a final '.' and 1..5 letters or digits */
		for (i = n; i > 0 && n - i <= 5 &&
		            (sc->t[i - 1].kind == K_LETTER || sc->t[i - 1].kind == K_DIGIT); i--)
			;
		if (i > 1 && i < n && n - i <= 5 && sc->t[i - 1].kind == K_PUNCT && sc->t[i - 1].ch == '.')
			n = i - 1;
	}
	for (i = 0; i < n; i++) {
		const tok *t = &sc->t[i];

		switch (t->kind) {
		case K_LETTER:
		case K_DIGIT:
		case K_OTHER:
			if (in && (ideo(&sc->t[i - 1]) || ideo(t))) {
				sc->nw++; /* every ideograph is a word: 秘书长 is 秘 书 长 */
				in = 0;
			} else if (in && fname && fname_split(&sc->t[i - 1], t)) {
				sc->nw++;
				in = 0;
				gap = G_SPACE;
			}
			if (!in) {
				sc->w[sc->nw] = (word){ (uint32_t)i, (uint32_t)i, gap, 1 };
				gap = 0;
				in = 1;
			}
			sc->w[sc->nw].e = (uint32_t)(i + 1);
			if (t->kind != K_DIGIT)
				sc->w[sc->nw].digits = 0;
			continue;
		case K_SPACE:
			gap |= t->marks >= 2 ? G_WIDE : G_SPACE;
			break;
		case K_CELL:
			gap |= G_CELL;
			break;
		case K_PUNCT:
			gap |= t->ch == '-' || t->ch == '_' ? G_JOIN :
			       G_PUNCT | (t->ch == '/' ? G_SLASH : 0) | (t->ch == '*' ? G_STAR : 0);
			break;
		default:
			break;
		}
		if (in) {
			sc->nw++;
			in = 0;
		}
	}
	if (in)
		sc->nw++;
}

static void analyze(scanner *sc)
{
	int header, vn, fr;

	if (sc->n)
		letter_done(sc);
	if (sc->slash)
		find_ref(sc);
	vn = sc->mat == 3;
	fr = sc->fhit;
	if (!vn && !fr)
		return;
	build_words(sc, sc->where == CH_STAMP_IN_FILENAME);
	if (sc->where == CH_STAMP_IN_FILENAME) {
		if (vn)
			rules_filename(sc);
		if (fr)
			frules_filename(sc);
		return;
	}
	if (sc->view == V_JOINED) { /* a paragraph: whole lines and cells only */
		if (vn)
			rule_lines(sc);
		if (fr)
			frule_lines(sc);
		return;
	}
	header = sc->where == CH_STAMP_IN_TITLE || sc->vs[sc->view].nonempty < CH_STAMP_HEADER_LINES;
	if (vn)
		rules_text(sc, header, sc->where == CH_STAMP_IN_TITLE);
	if (fr)
		frules_text(sc, header, sc->where == CH_STAMP_IN_TITLE);
}

/* ------------------------------------------------------------------ */
/* Per-reading state across lines: header, GIẢI MẬT windows            */

#define DECLASS_BEFORE 2 /* non-empty lines before a claim that may hold its reference */
#define DECLASS_AFTER 3  /* ... and after it */

static void vs_fail_pending(vstate *vs)
{
	if (!vs->declass_fail) {
		vs->declass_fail = 1;
		vs->declass_line = vs->pending_line;
	}
	vs->pending = 0;
}

static void vs_update(vstate *vs, const linesum *sum, size_t lineno)
{
	size_t k;

	if (sum->level > vs->level) {
		vs->level = sum->level;
		vs->rule = sum->rule;
		vs->line = lineno;
	}
	if (!sum->nonempty)
		return;
	k = ++vs->nonempty;
	if (vs->pending && k - vs->pending > DECLASS_AFTER)
		vs_fail_pending(vs);
	if (sum->ref) {
		vs->pending = 0;
		vs->last_ref = k;
	}
	if (sum->claim && !sum->ref && !(vs->last_ref && k - vs->last_ref <= DECLASS_BEFORE) &&
	    !vs->pending) {
		vs->pending = k;
		vs->pending_line = lineno;
	}
}

/* ------------------------------------------------------------------ */
/* Reading lines                                                       */

/* The byte a character had in a legacy 8-bit text shown as Latin-1 or
 * Windows-1252; -1 if none. */
static int legacy_byte(uint32_t cp)
{
	size_t i;

	if (cp < 0x100)
		return (int)cp;
	if (cp < 0x152 || cp > 0x2122 || (cp > 0x192 && cp < 0x2c6) || (cp > 0x2dc && cp < 0x2013))
		return -1; /* outside the few ranges Windows-1252 uses */
	for (i = 0; i < CH_ARRAY_SIZE(cp1252_c1); i++)
		if (cp1252_c1[i] == cp)
			return (int)(0x80 + i);
	return -1;
}

/* VNI: a mark character after a vowel goes onto it; a stand-alone one is
 * its letter. Returns 1 if handled. */
static int vni_push(scanner *sc, uint32_t cp)
{
	tok *last = sc->n ? &sc->t[sc->n - 1] : NULL;
	uint8_t k;

	if (cp >= 0x100)
		return 0;
	if ((k = vni_mark_of[cp]) && last && last->kind == K_LETTER && is_vowel(last->ch)) {
		last->marks |= vni_marks[k - 1].marks;
		return 1;
	}
	if ((k = vni_alone_of[cp])) {
		tok t = { K_LETTER, (uint8_t)vni_alone[k - 1].ch, vni_alone[k - 1].marks,
		          (uint8_t)(vni_alone[k - 1].flags | letter_bits((uint8_t)vni_alone[k - 1].ch)) };

		if (cp == vni_alone[k - 1].up)
			t.flags |= F_UPPER;
		push(sc, &t);
		return 1;
	}
	return 0;
}

/* One legacy byte in reading `v` (legacy_tok: each byte's token there). */
HOT void push_legacy(scanner *sc, int v, uint8_t b)
{
	if (v == V_VNI && b >= 0xC0 && vni_push(sc, b))
		return;
	push(sc, &legacy_tok[v][b]);
}

/* Read one line again in a legacy reading: valid UTF-8 with combining
 * marks is first composed (NFC), so that "A" + U+0308 is the Ä of "MAÄT";
 * invalid UTF-8 is read byte by byte. */
static void read_legacy_line(scanner *sc, int v, const uint8_t *s, size_t len, int invalid,
                             int marks)
{
	size_t i;

	sc->view = v;
	sc->n = 0;
	sc->mat = sc->slash = sc->fhit = 0;
	sc->fst = 0;
	if (!invalid) {
		size_t m = sc->nfccap;
		uint8_t *r = marks ? u8_normalize(UNINORM_NFC, s, len, sc->nfc, &m) : NULL;

		if (r) {
			if (r != sc->nfc) {
				free(sc->nfc);
				sc->nfc = r;
				sc->nfccap = m;
			}
			s = r;
			len = m;
		}
		for (i = 0; i < len;) {
			ucs4_t cp;
			int k = u8_mbtouc(&cp, s + i, len - i), b;

			i += (size_t)(k > 0 ? k : 1);
			if ((b = legacy_byte(cp)) >= 0)
				push_legacy(sc, v, (uint8_t)b);
			else {
				tok t = fold(cp);

				push(sc, &t);
			}
		}
	} else {
		for (i = 0; i < len; i++)
			push_legacy(sc, v, s[i]);
	}
	analyze(sc);
}

/* One UTF-8 character at s (n > 0 bytes left): its length, or -1 if the
 * bytes are not well-formed UTF-8 (overlong, surrogate, out of range). */
static inline int utf8_next(const uint8_t *s, size_t n, ucs4_t *cp)
{
	uint8_t b = s[0];

	if (b >= 0xC2 && b <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
		*cp = (ucs4_t)(b & 0x1F) << 6 | (s[1] & 0x3F);
		return 2;
	}
	if (b >= 0xE0 && b <= 0xEF && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		ucs4_t c = (ucs4_t)(b & 0x0F) << 12 | (ucs4_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);

		if (c < 0x800 || (c >= 0xD800 && c < 0xE000))
			return -1;
		*cp = c;
		return 3;
	}
	if (b >= 0xF0 && b <= 0xF4)
		return u8_mbtoucr(cp, s, n) == 4 ? 4 : -1;
	return -1;
}

/* The bidi reading, for a line with a RIGHT-TO-LEFT OVERRIDE (U+202E): a
 * browser shows the letters after it, up to a POP DIRECTIONAL FORMATTING
 * (U+202C), a POP DIRECTIONAL ISOLATE (U+2069) or the end of the line, in
 * reverse order, so "\u202eTẬM" shows as "MẬT". Letters are reversed with
 * their combining marks. */
static size_t cluster_end(const uint32_t *c, size_t i, size_t end)
{
	for (i++; i < end && fold(c[i]).kind == K_MARK; i++)
		;
	return i;
}

static void read_bidi_line(scanner *sc, const uint8_t *s, size_t len)
{
	size_t n = 0, i, j, k, e;

	if (len + 1 > sc->cpscap) {
		free(sc->cps);
		sc->cpscap = len + 1;
		sc->cps = ch_malloc(sc->cpscap * sizeof(uint32_t));
	}
	for (i = 0; i < len;) {
		ucs4_t cp = s[i];
		int b = cp < 0x80 ? 1 : utf8_next(s + i, len - i, &cp);

		if (b < 0) {
			cp = cp1252_map[s[i]];
			b = 1;
		}
		sc->cps[n++] = cp;
		i += (size_t)b;
	}
	sc->view = V_BIDI;
	sc->n = 0;
	sc->mat = sc->slash = sc->fhit = 0;
	sc->fst = 0;
	for (i = 0; i < n;) {
		tok t;

		if (sc->cps[i] != 0x202E) {
			t = fold(sc->cps[i++]);
			push(sc, &t);
			continue;
		}
		for (j = ++i; j < n && sc->cps[j] != 0x202C && sc->cps[j] != 0x2069; j++)
			;
		for (e = j; e > i;) { /* the clusters of [i, j), last first */
			size_t c = e - 1;

			while (c > i && fold(sc->cps[c]).kind == K_MARK)
				c--;
			for (k = c; k < cluster_end(sc->cps, c, e); k++) {
				t = fold(sc->cps[k]);
				push(sc, &t);
			}
			e = c;
		}
		i = j;
	}
	analyze(sc);
}

/* The joined reading: the lines of a paragraph (a blank line ends one) read
 * as one line, as Markdown and word processors show soft line breaks:
 * "M\nẬ\nT" reads "M Ậ T". Only the stamp-line rule applies, so only a
 * short paragraph can fire: one with more than PARA_ALNUM letters and
 * digits or PARA_TOKENS characters (spaces and invisibles do not count) is
 * dropped, which keeps this reading inside the one pass. */
#define PARA_ALNUM 64
#define PARA_TOKENS 512

static void para_add(scanner *sc, size_t lineno)
{
	size_t i;

	if (sc->para_big)
		return;
	if (sc->flushed)
		sc->para_big = 1;
	if (!sc->para_lines++)
		sc->para_line = lineno;
	if (sc->para_n && sc->para_n < sc->para_cap)
		sc->para[sc->para_n++] = (tok){ K_SPACE, 0, 1, 0 };
	for (i = 0; i < sc->n && !sc->para_big; i++) {
		const tok *t = &sc->t[i];

		if (sc->para_n == sc->para_cap || (t->kind <= K_OTHER && ++sc->para_alnum > PARA_ALNUM)) {
			sc->para_big = 1;
			break;
		}
		if (t->kind <= K_OTHER) {
			sc->para_mat = mat_step(sc->para_mat, t);
			ac_step(&sc->para_fst, &sc->para_fhit, t);
		}
		sc->para[sc->para_n++] = *t;
	}
}

static void para_finish(scanner *sc)
{
	if (sc->para_lines >= 2 && !sc->para_big && (sc->para_mat == 3 || sc->para_fhit)) {
		linesum js = { CH_STAMP_NONE, NULL, 0, 0, 0, 0 }, *keep = sc->sum;

		memcpy(sc->t, sc->para, sc->para_n * sizeof(tok));
		sc->n = sc->para_n;
		sc->view = V_JOINED;
		sc->mat = sc->para_mat;
		sc->fhit = sc->para_fhit;
		sc->slash = 0;
		sc->sum = &js;
		analyze(sc);
		js.claim = js.nonempty = 0;
		vs_update(&sc->vs[V_JOINED], &js, sc->para_line);
		sc->sum = keep;
		sc->view = V_UNI;
		sc->n = 0;
		sc->mat = sc->fhit = 0;
		sc->fst = 0;
	}
	sc->para_n = sc->para_alnum = sc->para_lines = 0;
	sc->para_big = sc->para_mat = sc->para_fhit = 0;
	sc->para_fst = 0;
}

/* The end of a line: analyse the last chunk into sc->sum (the UTF-8
 * reading, which has the findings of earlier chunks of a long line), read
 * the line again in the legacy readings if it shows signs of one, and move
 * every reading's state on. */
static void end_line(scanner *sc, const uint8_t *s, size_t len, size_t lineno, int invalid,
                     int signal, int marks, int rlo)
{
	linesum *sum = sc->sum;
	int v, blank;

	analyze(sc);
	blank = !sum->nonempty;
	if (!blank && sc->where != CH_STAMP_IN_FILENAME)
		para_add(sc, lineno);
	if (signal || invalid || sum->signal) {
		for (v = V_UNI + 1; v < V_LEGACY_END; v++) {
			linesum lsum = { CH_STAMP_NONE, NULL, 0, 0, 0, 0 };

			sc->sum = &lsum;
			read_legacy_line(sc, v, s, len, invalid, marks);
			vs_update(&sc->vs[v], &lsum, lineno);
		}
	} else {
		for (v = V_UNI + 1; v < V_LEGACY_END; v++)
			vs_update(&sc->vs[v], sum, lineno);
	}
	if (rlo) {
		linesum lsum = { CH_STAMP_NONE, NULL, 0, 0, 0, 0 };

		sc->sum = &lsum;
		read_bidi_line(sc, s, len);
		vs_update(&sc->vs[V_BIDI], &lsum, lineno);
	} else {
		vs_update(&sc->vs[V_BIDI], sum, lineno);
	}
	vs_update(&sc->vs[V_UNI], sum, lineno);
	sc->view = V_UNI;
	sc->n = 0;
	sc->mat = sc->slash = sc->flushed = sc->fhit = 0;
	sc->fst = 0;
	*sum = (linesum){ CH_STAMP_NONE, NULL, 0, 0, 0, 0 };
	sc->sum = sum;
	if (blank)
		para_finish(sc);
}

/* A character that suggests a legacy text seen as Latin-1 or Windows-1252. */
static int cp_signal(uint32_t cp)
{
	if (cp < 0x100)
		return sig_latin1[cp];
	return legacy_byte(cp) >= 0 && !common_punct(cp);
}

static void scan_bytes(scanner *sc, const uint8_t *s, size_t len)
{
	size_t pos = 0, start = 0, lineno = 1;
	int invalid = 0, signal = 0, marks = 0, rlo = 0;
	linesum cur = { CH_STAMP_NONE, NULL, 0, 0, 0, 0 };

	sc->view = V_UNI;
	sc->n = 0;
	sc->mat = sc->slash = sc->fhit = 0;
	sc->fst = 0;
	sc->sum = &cur;
	while (pos < len) {
		ucs4_t cp = s[pos];
		int k = 1;
		const tok *t;
		tok astral;

		if (cp >= 0x80) {
			k = utf8_next(s + pos, len - pos, &cp);
			if (k < 0) {
				cp = cp1252_map[s[pos]];
				k = 1;
				invalid = 1;
			}
			if (cp < 0x100)
				signal |= sig_latin1[cp];
			else if (cp <= 0x2122)
				signal |= cp_signal(cp);
			rlo |= cp == 0x202E;
		}
		astral = fold(cp);
		t = &astral;
		if (t->kind == K_NL) {
			if (cp == '\r' && pos + 1 < len && s[pos + 1] == '\n') {
				pos++; /* CR LF ends one line */
				continue;
			}
			end_line(sc, s + start, pos - start, lineno, invalid, signal, marks, rlo);
			pos += (size_t)k;
			start = pos;
			lineno++;
			invalid = signal = marks = rlo = 0;
			continue;
		}
		marks |= t->kind == K_MARK;
		push(sc, t);
		pos += (size_t)k;
	}
	end_line(sc, s + start, len - start, lineno, invalid, signal, marks, rlo);
	para_finish(sc);
	sc->sum = NULL;
}

/* ------------------------------------------------------------------ */
/* One reading of a text                                               */

static void result_none(ch_stamp_result *r)
{
	r->level = CH_STAMP_NONE;
	r->rule = "";
	r->encoding = "";
	r->line = 0;
}

static void result_merge(ch_stamp_result *into, const ch_stamp_result *r)
{
	if (r->level > into->level)
		*into = *r;
}

/* The verdict of each reading; the strongest wins (the first on a tie). */
static void scanner_verdict(const scanner *sc, const char *uni_name, ch_stamp_result *out)
{
	int v;

	result_none(out);
	for (v = 0; v < NVIEWS; v++) {
		const vstate *vs = &sc->vs[v];
		ch_stamp_result r;

		result_none(&r);
		if (vs->level >= CH_STAMP_CONFIDENTIAL) {
			r.level = vs->level;
			r.rule = vs->rule;
			r.line = vs->line;
		} else if (vs->declass_fail || vs->pending) {
			r.level = CH_STAMP_DECLASSIFIED_NO_REF;
			r.rule = "declassified-no-ref";
			r.line = vs->declass_fail ? vs->declass_line : vs->pending_line;
		} else {
			continue;
		}
		r.encoding = v == V_UNI ? uni_name : view_names[v];
		if (sc->where == CH_STAMP_IN_FILENAME)
			r.line = 0;
		result_merge(out, &r);
	}
}

/* Scan one reading of the text (`name` names it in the verdict). */
static void scan_reading(ch_stamp_result *out, int where, const void *data, size_t len,
                         const char *name)
{
	scanner sc;
	ch_stamp_result r;

	memset(&sc, 0, sizeof(sc));
	sc.where = where;
	sc.cap = len < CH_STAMP_LINE_TOKENS ? (len < 64 ? 64 : len + 1) : CH_STAMP_LINE_TOKENS;
	sc.para_cap = sc.cap < PARA_TOKENS ? sc.cap : PARA_TOKENS; /* it is copied into sc.t */
	sc.t = ch_malloc(sc.cap * sizeof(tok));
	sc.w = ch_malloc(sc.cap * sizeof(word));
	sc.para = ch_malloc(sc.para_cap * sizeof(tok));
	scan_bytes(&sc, data, len);
	scanner_verdict(&sc, name, &r);
	result_merge(out, &r);
	free(sc.t);
	free(sc.w);
	free(sc.para);
	free(sc.nfc);
	free(sc.cps);
}

/* ------------------------------------------------------------------ */
/* Other readings: HTML, JSON, CSV, UTF-16                            */

/* HTML character references the scanner decodes by name: the Latin-1 set
 * (U+00A0.., in order), then the spaces, invisibles and Vietnamese letters. */
static const char *const latin1_entities[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
	"laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
	"para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
	"Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave",
	"Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve",
	"Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml",
	"Yacute", "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig",
	"ccedil", "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth",
	"ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave",
	"uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
};
static const struct { const char *name; uint32_t cp; } other_entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	{ "Tab", '\t' }, { "NewLine", '\n' }, { "colon", ':' }, { "sol", '/' }, { "verbar", '|' },
	{ "vert", '|' }, { "VerticalLine", '|' }, { "lowbar", '_' }, { "ast", '*' },
	{ "midast", '*' }, { "lsqb", '[' }, { "rsqb", ']' }, { "lpar", '(' }, { "rpar", ')' },
	{ "dash", 0x2010 }, { "hyphen", 0x2010 }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "minus", 0x2212 }, { "ensp", 0x2002 }, { "emsp", 0x2003 }, { "emsp13", 0x2004 },
	{ "emsp14", 0x2005 }, { "numsp", 0x2007 }, { "puncsp", 0x2008 }, { "thinsp", 0x2009 },
	{ "ThinSpace", 0x2009 }, { "hairsp", 0x200a }, { "VeryThinSpace", 0x200a },
	{ "MediumSpace", 0x205f }, { "NonBreakingSpace", 0xa0 }, { "ZeroWidthSpace", 0x200b },
	{ "NegativeVeryThinSpace", 0x200b }, { "NegativeThinSpace", 0x200b },
	{ "NegativeMediumSpace", 0x200b }, { "NegativeThickSpace", 0x200b }, { "zwnj", 0x200c },
	{ "zwj", 0x200d }, { "lrm", 0x200e }, { "rlm", 0x200f }, { "NoBreak", 0x2060 },
	{ "af", 0x2061 }, { "ApplyFunction", 0x2061 }, { "it", 0x2062 },
	{ "InvisibleTimes", 0x2062 }, { "ic", 0x2063 }, { "InvisibleComma", 0x2063 },
	{ "Abreve", 0x0102 }, { "abreve", 0x0103 }, { "Dstrok", 0x0110 }, { "dstrok", 0x0111 },
	{ "Itilde", 0x0128 }, { "itilde", 0x0129 }, { "Utilde", 0x0168 }, { "utilde", 0x0169 },
	{ "boxv", 0x2502 }, { "boxV", 0x2551 },
};

static int is_alpha_ascii(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum_ascii(uint8_t c)
{
	return is_alpha_ascii(c) || (c >= '0' && c <= '9');
}

static void put_cp(ch_buf *out, uint32_t cp)
{
	uint8_t u[6];
	int n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
		cp = 0xFFFD;
	n = u8_uctomb(u, cp, sizeof(u));
	if (n > 0)
		ch_buf_put(out, u, (size_t)n);
}

/* A character reference at s[0] == '&': its length, or 0 (then '&' is text).
 * Numeric ones need no ';' (as browsers read them); in 0x80..0x9F they are
 * Windows-1252, as HTML says. Named ones need it, but for the Latin-1 set. */
static size_t entity(const uint8_t *s, size_t len, uint32_t *cp)
{
	size_t i = 1, k, n;

	if (len > 2 && s[1] == '#') {
		int hex = len > 3 && (s[2] == 'x' || s[2] == 'X');
		uint32_t v = 0;

		for (i = hex ? 3 : 2, n = 0; i < len && n < 8; i++, n++) {
			uint8_t c = s[i];
			int d = c >= '0' && c <= '9' ? c - '0' :
			        hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			        hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (n == 0)
			return 0;
		if (i < len && s[i] == ';')
			i++;
		*cp = (v >= 0x80 && v < 0xA0) ? cp1252_map[v] : v;
		return i;
	}
	while (i < len && i < 40 && is_alnum_ascii(s[i]))
		i++;
	n = i - 1;
	if (n == 0)
		return 0;
	for (k = 0; k < CH_ARRAY_SIZE(latin1_entities); k++)
		if (strlen(latin1_entities[k]) == n && !memcmp(latin1_entities[k], s + 1, n)) {
			*cp = (uint32_t)(0xA0 + k);
			return i < len && s[i] == ';' ? i + 1 : i;
		}
	if (i >= len || s[i] != ';')
		return 0;
	for (k = 0; k < CH_ARRAY_SIZE(other_entities); k++)
		if (strlen(other_entities[k].name) == n && !memcmp(other_entities[k].name, s + 1, n)) {
			*cp = other_entities[k].cp;
			return i + 1;
		}
	return 0;
}

/* Is the tag name (any case) one of the space-separated `list`? */
static int tag_is(const uint8_t *name, size_t n, const char *list)
{
	char key[16];
	size_t j;

	if (n == 0 || n > sizeof(key) - 3)
		return 0;
	key[0] = ' ';
	for (j = 0; j < n; j++)
		key[j + 1] = (char)(name[j] | 0x20);
	key[n + 1] = ' ';
	key[n + 2] = '\0';
	return strstr(list, key) != NULL;
}

/* A tag at s[0] == '<': its length (to '>'), or 0 if it is not one. Sets
 * *sep to what it shows as: '\n' for a block, '\t' for a table cell, 0. */
static size_t tag(const uint8_t *s, size_t len, uint8_t *sep)
{
	static const char blocks[] =
		" br p div tr li ul ol dl dt dd h1 h2 h3 h4 h5 h6 table thead tbody tfoot caption title"
		" section article header footer aside nav blockquote pre hr address figure figcaption"
		" main body head html form fieldset legend option ";
	const uint8_t *end, *name;
	size_t n = 0;

	*sep = 0;
	if (len < 2 || !(is_alpha_ascii(s[1]) || s[1] == '/' || s[1] == '!' || s[1] == '?'))
		return 0;
	if (len >= 4 && !memcmp(s, "<!--", 4)) {
		const uint8_t *p = s + 4;

		while ((size_t)(p - s) + 3 <= len && memcmp(p, "-->", 3))
			p++;
		return (size_t)(p - s) + 3 <= len ? (size_t)(p - s) + 3 : len;
	}
	if (!(end = memchr(s, '>', len)))
		return 0;
	name = s + 1 + (s[1] == '/');
	while (name + n < end && is_alnum_ascii(name[n]))
		n++;
	/* "<c\xcc\x8c>" (NFD) is "<\xc4\x8d>" (NFC), which is text: a name
	 * running on into a non-ASCII letter or mark is no tag either way */
	if (n && name[n] >= 0x80)
		return 0;
	if (tag_is(name, n, " td th "))
		*sep = '\t';
	else if (tag_is(name, n, blocks))
		*sep = '\n';
	return (size_t)(end - s) + 1;
}

/* After a Markdown link's text: "(target)" or "[ref]" on the same line,
 * its length, or 0. */
static size_t link_target(const uint8_t *s, size_t len)
{
	uint8_t close = s[0] == '(' ? ')' : ']';
	size_t i, depth = 0;

	for (i = 1; i < len && s[i] != '\n'; i++) {
		if (s[i] == s[0])
			depth++;
		else if (s[i] == close && depth-- == 0)
			return i + 1;
	}
	return 0;
}

/* The text as a browser (or the Markdown renderer) shows it: tags removed
 * (blocks end lines, cells are tab-separated), references decoded. With
 * `html`, line breaks in the source are spaces, as in HTML. */
static void markup_text(ch_buf *out, const uint8_t *s, size_t len, int html)
{
	size_t i = 0, k;

	while (i < len) {
		uint8_t c = s[i], sep;
		uint32_t cp;

		if (!html && c == ']' && i + 1 < len && (s[i + 1] == '(' || s[i + 1] == '[') &&
		    (k = link_target(s + i + 1, len - i - 1))) {
			i += 1 + k; /* a Markdown link shows its text, not its target */
		} else if (c == '<' && (k = tag(s + i, len - i, &sep))) {
			if (sep)
				ch_buf_putc(out, (char)sep);
			i += k;
		} else if (c == '&' && (k = entity(s + i, len - i, &cp))) {
			put_cp(out, cp);
			i += k;
		} else {
			ch_buf_putc(out, html && (c == '\n' || c == '\r') ? ' ' : (char)c);
			i++;
		}
	}
}

static int has_markup(const uint8_t *s, size_t len)
{
	const uint8_t *p, *end = s + len;

	for (p = s; p + 1 < end && (p = memchr(p, '<', (size_t)(end - p - 1))); p++)
		if (is_alpha_ascii(p[1]) || p[1] == '/' || p[1] == '!')
			return 1;
	for (p = s; p + 1 < end && (p = memchr(p, '&', (size_t)(end - p - 1))); p++)
		if (is_alpha_ascii(p[1]) || p[1] == '#')
			return 1;
	for (p = s; p + 1 < end && (p = memchr(p, ']', (size_t)(end - p - 1))); p++)
		if (p[1] == '(' || p[1] == '[')
			return 1;
	return 0;
}

/* Each JSON string literal on a line of its own, escapes decoded. */
static void json_strings(ch_buf *out, const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (s[i++] != '"')
			continue;
		while (i < len && s[i] != '"') {
			uint32_t cp = 0, lo = 0;
			size_t k;

			if (s[i] != '\\' || i + 1 >= len) {
				ch_buf_putc(out, (char)s[i++]);
				continue;
			}
			switch (s[i + 1]) {
			case 'n': case 'r': ch_buf_putc(out, '\n'); i += 2; continue;
			case 't': ch_buf_putc(out, '\t'); i += 2; continue;
			case 'u': break;
			default: ch_buf_putc(out, (char)s[i + 1]); i += 2; continue;
			}
			for (k = 0; k < 4 && i + 2 + k < len; k++) {
				uint8_t c = s[i + 2 + k];
				int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ?
				        (c | 0x20) - 'a' + 10 : -1;

				if (d < 0)
					break;
				cp = cp * 16 + (uint32_t)d;
			}
			i += 2 + k;
			if (k < 4) {
				put_cp(out, 0xFFFD);
				continue;
			}
			if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u') {
				for (k = 0; k < 4; k++) {
					uint8_t c = s[i + 2 + k];
					int d = c >= '0' && c <= '9' ? c - '0' :
					        (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;

					if (d < 0)
						break;
					lo = lo * 16 + (uint32_t)d;
				}
				if (k == 4 && lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					i += 6;
				}
			}
			put_cp(out, cp);
		}
		i++;
		ch_buf_putc(out, '\n');
	}
}

/* CSV: commas and semicolons become cell breaks. */
static void csv_cells(ch_buf *out, const uint8_t *s, size_t len)
{
	size_t i;

	ch_buf_put(out, s, len);
	for (i = 0; i < out->size; i++)
		if (out->ptr[i] == ',' || out->ptr[i] == ';')
			out->ptr[i] = '\t';
}

static void utf16_to_utf8(ch_buf *out, const uint8_t *s, size_t len, int be)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		uint32_t u = be ? (uint32_t)(s[i] << 8 | s[i + 1]) : (uint32_t)(s[i + 1] << 8 | s[i]);

		if (u >= 0xD800 && u < 0xDC00 && i + 3 < len) {
			uint32_t lo = be ? (uint32_t)(s[i + 2] << 8 | s[i + 3]) :
			                   (uint32_t)(s[i + 3] << 8 | s[i + 2]);

			if (lo >= 0xDC00 && lo < 0xE000) {
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			}
		}
		put_cp(out, u == 0 ? ' ' : u);
	}
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static int starts(const uint8_t *s, size_t len, const char *magic, size_t n)
{
	return len >= n && !memcmp(s, magic, n);
}

/* Does this read as UTF-16 text: no control characters, surrogates in
 * pairs, and most of it Latin letters, digits, spaces and punctuation? */
static int utf16_plausible(const uint8_t *s, size_t len, int be)
{
	size_t i, bad = 0, latin = 0, units = len / 2;

	for (i = 0; i + 1 < len; i += 2) {
		uint32_t u = be ? (uint32_t)(s[i] << 8 | s[i + 1]) : (uint32_t)(s[i + 1] << 8 | s[i]);

		if (u >= 0xD800 && u < 0xDC00 && i + 3 < len) {
			uint32_t lo = be ? (uint32_t)(s[i + 2] << 8 | s[i + 3]) :
			                   (uint32_t)(s[i + 3] << 8 | s[i + 2]);

			if (lo >= 0xDC00 && lo < 0xE000) {
				i += 2;
				continue;
			}
		}
		if ((u < 0x20 && u != '\t' && u != '\n' && u != '\r' && u != '\f') ||
		    (u >= 0xD800 && u < 0xE000) || u >= 0xFFFE || u == 0x7f)
			bad++;
		else if (u < 0x250 || (u >= 0x1E00 && u < 0x2070) || (u >= 0x300 && u < 0x370))
			latin++;
	}
	return bad * 200 <= units && latin * 2 >= units;
}

/* A binary OpenPGP message starts with a session key packet: public-key
 * (tag 1, version 3) or symmetric (tag 3, version 4 or 5), old or new format. */
static int openpgp_message(const uint8_t *s, size_t len)
{
	if (len < 8)
		return 0;
	switch (s[0]) {
	case 0x84: return s[2] == 3;
	case 0x85: return s[3] == 3;
	case 0x8c: return s[2] == 4 || s[2] == 5;
	case 0x8d: return s[3] == 4 || s[3] == 5;
	case 0xc1: return s[1] < 192 ? s[2] == 3 || s[2] == 6 : s[3] == 3 || s[3] == 6;
	case 0xc3: return s[1] < 192 && (s[2] == 4 || s[2] == 5 || s[2] == 6);
	default: return 0;
	}
}

/* What a file is, by its first bytes: NULL for text, else the rule name of
 * an unreadable type. *utf16 is 1 (LE) or 2 (BE) for UTF-16, *skip the
 * length of a byte order mark. */
static const char *sniff(const uint8_t *s, size_t len, int *utf16, size_t *skip)
{
	static const struct { const char *magic; size_t n; const char *rule; } magics[] = {
		{ "PK\x03\x04", 4, "archive" }, { "PK\x05\x06", 4, "archive" },
		{ "PK\x07\x08", 4, "archive" }, { "\x1f\x8b", 2, "archive" }, { "BZh", 3, "archive" },
		{ "\xfd" "7zXZ\x00", 6, "archive" }, { "7z\xbc\xaf\x27\x1c", 6, "archive" },
		{ "Rar!\x1a\x07", 6, "archive" }, { "\x28\xb5\x2f\xfd", 4, "archive" },
		{ "%PDF", 4, "pdf" }, { "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "office-binary" },
		{ "\x89PNG", 4, "image" }, { "\xff\xd8\xff", 3, "image" }, { "GIF8", 4, "image" },
		{ "II*\x00", 4, "image" }, { "MM\x00*", 4, "image" }, { "\x00\x00\x01\x00", 4, "image" },
		{ "-----BEGIN PGP MESSAGE", 22, "encrypted" },
		{ "age-encryption.org/", 19, "encrypted" },
		{ "-----BEGIN AGE ENCRYPTED", 24, "encrypted" }, { "{\\rtf", 5, "rtf" },
		{ "\xff\xfe\x00\x00", 4, "binary" }, { "\x00\x00\xfe\xff", 4, "binary" },
	};
	size_t i, ctl = 0, nul_even = 0, nul_odd = 0;

	*utf16 = 0;
	*skip = 0;
	for (i = 0; i < CH_ARRAY_SIZE(magics); i++)
		if (starts(s, len, magics[i].magic, magics[i].n))
			return magics[i].rule;
	if (len >= 12 && starts(s, len, "RIFF", 4) && !memcmp(s + 8, "WEBP", 4))
		return "image";
	if (len >= 12 && !memcmp(s + 4, "ftyp", 4))
		return "image"; /* HEIC, AVIF (and MP4 video) */
	if (len >= 262 && !memcmp(s + 257, "ustar", 5))
		return "archive";
	if (len >= 2 && s[0] == 0xff && s[1] == 0xfe) {
		*utf16 = 1, *skip = 2;
		return NULL;
	}
	if (len >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		*utf16 = 2, *skip = 2;
		return NULL;
	}
	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		*skip = 3;
	if (openpgp_message(s, len))
		return "encrypted";
	if (memchr(s, 0, len))
		for (i = 0; i < len; i++)
			if (!s[i])
				*(i & 1 ? &nul_odd : &nul_even) += 1;
	for (i = 0; i < len; i++) {
		uint64_t x;

		if (i + 8 <= len && !(i & 7)) { /* skip 8 bytes at a time when none is < 0x20 or 0x7f */
			memcpy(&x, s + i, 8);
			if (!((x - 0x2020202020202020ull) & ~x & 0x8080808080808080ull) &&
			    !(((x ^ 0x7f7f7f7f7f7f7f7full) - 0x0101010101010101ull) &
			      ~(x ^ 0x7f7f7f7f7f7f7f7full) & 0x8080808080808080ull)) {
				i += 7;
				continue;
			}
		}
		ctl += s[i] < 0x20 ? (0xFFFFC1FFu >> s[i]) & 1 : s[i] == 0x7f;
	}
	if (len >= 4 && (nul_odd + nul_even) * 4 >= len) { /* UTF-16 without a mark? */
		if (nul_odd > nul_even && utf16_plausible(s, len, 0))
			*utf16 = 1;
		else if (nul_even > nul_odd && utf16_plausible(s, len, 1))
			*utf16 = 2;
		return *utf16 ? NULL : "binary";
	}
	if (nul_odd + nul_even > 0 || ctl * 100 > len)
		return "binary";
	return NULL;
}

/* The extension of a file name, lower-cased into buf ("" if none). */
static const char *extension(const char *name, char *buf, size_t size)
{
	const char *dot = NULL, *p;
	size_t i, n;

	buf[0] = '\0';
	if (!name)
		return buf;
	for (p = name; *p; p++)
		if (*p == '.')
			dot = p + 1;
		else if (*p == '/' || *p == '\\')
			dot = NULL;
	if (!dot || (n = strlen(dot)) >= size)
		return buf;
	for (i = 0; i < n; i++)
		buf[i] = (char)(dot[i] >= 'A' && dot[i] <= 'Z' ? dot[i] + 32 : dot[i]);
	buf[n] = '\0';
	return buf;
}

static int ext_in(const char *ext, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(ext, list[i]))
			return 1;
	return 0;
}

/* Every reading of a text: as is (with its legacy and joined readings),
 * with markup decoded; `html` for HTML and XML files, `json` and `csv` for
 * those. */
static void scan_readings(ch_stamp_result *out, int where, const uint8_t *s, size_t len,
                          const char *name, int html, int json, int csv)
{
	ch_buf b = CH_BUF_INIT;
	int markup = html || (where != CH_STAMP_IN_FILENAME && has_markup(s, len));

	scan_reading(out, where, s, len, name);
	if (where == CH_STAMP_IN_FILENAME)
		return;
	if (markup) {
		markup_text(&b, s, len, html);
		scan_reading(out, where, b.ptr, b.size, "html");
	}
	if (json) {
		ch_buf_clear(&b);
		json_strings(&b, s, len);
		scan_reading(out, where, b.ptr, b.size, "json");
	}
	if (csv) {
		ch_buf_clear(&b);
		csv_cells(&b, s, len);
		scan_reading(out, where, b.ptr, b.size, "csv");
	}
	ch_buf_dispose(&b);
}

/* ------------------------------------------------------------------ */
/* The API                                                             */

static int too_large(ch_stamp_result *out, size_t len)
{
	if (len <= CH_STAMP_MAX_BYTES)
		return 0;
	out->level = CH_STAMP_UNREADABLE;
	out->rule = "too-large";
	return 1;
}

int ch_stamp_scan_text(ch_stamp_result *out, const char *text, size_t len, int where)
{
	int error;

	if (!out || (!text && len) ||
	    (where != CH_STAMP_IN_BODY && where != CH_STAMP_IN_TITLE && where != CH_STAMP_IN_FILENAME))
		return ch_error_setc(CH_EINVALID, "stamp scan: bad arguments");
	result_none(out);
	if ((error = tables_init()) < 0)
		return error;
	if (too_large(out, len) || !len)
		return 0;
	scan_readings(out, where, (const uint8_t *)text, len, "utf-8", 0, 0, 0);
	return 0;
}

int ch_stamp_scan_file(ch_stamp_result *out, const char *name, const void *data, size_t len)
{
	static const char *const html_ext[] = { "html", "htm", "xhtml", "xml", "svg", "mht" };
	static const char *const csv_ext[] = { "csv" };
	const uint8_t *s = data;
	ch_stamp_result r;
	ch_buf conv = CH_BUF_INIT;
	const char *rule, *enc = "utf-8";
	char ext[16];
	size_t skip;
	int error, utf16, html, json;

	if (!out || (!data && len))
		return ch_error_setc(CH_EINVALID, "stamp scan: bad arguments");
	result_none(out);
	if ((error = tables_init()) < 0)
		return error;
	if (name && (error = ch_stamp_scan_text(out, name, strlen(name), CH_STAMP_IN_FILENAME)) < 0)
		return error;
	result_none(&r);
	if (too_large(&r, len) || !len) {
		result_merge(out, &r);
		return 0;
	}
	if ((rule = sniff(s, len, &utf16, &skip))) {
		r.level = CH_STAMP_UNREADABLE;
		r.rule = rule;
		result_merge(out, &r);
		return 0;
	}
	s += skip;
	len -= skip;
	if (utf16) {
		utf16_to_utf8(&conv, s, len, utf16 == 2);
		s = (const uint8_t *)conv.ptr;
		len = conv.size;
		enc = "utf-16";
	}
	extension(name, ext, sizeof(ext));
	html = ext_in(ext, html_ext, CH_ARRAY_SIZE(html_ext));
	for (skip = 0; skip < len && (s[skip] == ' ' || s[skip] == '\t' || s[skip] == '\n' ||
	                              s[skip] == '\r'); skip++)
		;
	json = !strcmp(ext, "json") || (skip < len && (s[skip] == '{' || s[skip] == '['));
	if (!html && skip + 1 < len && s[skip] == '<' && (s[skip + 1] == '!' || s[skip + 1] == '?' ||
	                                                  is_alpha_ascii(s[skip + 1])))
		html = 1; /* "<!DOCTYPE html>", "<?xml ...>", "<html>" */
	scan_readings(&r, CH_STAMP_IN_BODY, s, len, enc, html, json,
	              ext_in(ext, csv_ext, CH_ARRAY_SIZE(csv_ext)));
	result_merge(out, &r);
	ch_buf_dispose(&conv);
	return 0;
}

const char *ch_stamp_sniff(const void *data, size_t len)
{
	int utf16;
	size_t skip;

	if (len > CH_STAMP_MAX_BYTES)
		return "too-large";
	return len && data ? sniff(data, len, &utf16, &skip) : NULL;
}

const char *ch_stamp_level_name(ch_stamp_level level)
{
	switch (level) {
	case CH_STAMP_NONE: return "unclassified";
	case CH_STAMP_DECLASSIFIED_NO_REF: return "declassified-without-reference";
	case CH_STAMP_UNREADABLE: return "unreadable";
	case CH_STAMP_CONFIDENTIAL: return "confidential";
	case CH_STAMP_SECRET: return "secret";
	case CH_STAMP_TOP_SECRET: return "top-secret";
	}
	return "unknown";
}

int ch_stamp_refuse(const ch_stamp_result *r, const char *what)
{
	if (!r || r->level == CH_STAMP_NONE)
		return 0;
	if (!what)
		what = "the item";
	switch (r->level) {
	case CH_STAMP_UNREADABLE:
		return ch_error_setc(CH_ECLASSIFIED,
		                     "%s cannot be checked for classification markings (%s): it is "
		                     "refused unless the policy allows this type and it is declared "
		                     "unclassified", what, r->rule);
	case CH_STAMP_DECLASSIFIED_NO_REF:
		return ch_error_setc(CH_ECLASSIFIED,
		                     "%s is marked declassified (GIẢI MẬT) without the number of a "
		                     "declassification decision (line %zu); add it (e.g. 12/QĐ-...)",
		                     what, r->line);
	default:
		return ch_error_setc(CH_ECLASSIFIED,
		                     "%s carries a classification marking (%s; rule %s, %s, line %zu): "
		                     "classified material is never accepted on the networked server",
		                     what, ch_stamp_level_name(r->level), r->rule, r->encoding, r->line);
	}
}
