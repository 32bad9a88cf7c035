/* marking_variants.h -- the generated corpus of classification markings
 * (test support, header only): every marking of workflows/markings.c and
 * the Vietnamese levels, written in each folding family an attacker may use
 * to get a marking past a scanner: decorative letters (circled, squared,
 * negative squared and circled, parenthesized), fullwidth, mathematical
 * alphanumerics (bold, italic, script, fraktur, double-struck, sans-serif,
 * monospace), small capitals, Cyrillic and Greek look-alikes mixed in,
 * decomposed diacritics, letters spaced out, zero-width spaces.
 *
 * Used by tests/unit/test_markings.c (every variant is refused, every false
 * friend passes) and by build/tests/gen_markings, which prints the corpus
 * for the door tests. */
#ifndef CH_MARKING_VARIANTS_H
#define CH_MARKING_VARIANTS_H

#include <stdint.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>

#include "workflows/classify/markings.h"
#include "util/buf.h"

enum {
	MV_PLAIN, MV_NFD, MV_CIRCLED, MV_SQUARED, MV_NEG_SQUARED, MV_NEG_CIRCLED, MV_PAREN,
	MV_FULLWIDTH, MV_BOLD, MV_ITALIC, MV_BOLD_ITALIC, MV_SCRIPT, MV_FRAKTUR, MV_DOUBLE,
	MV_SANS_BOLD, MV_MONO, MV_SMALLCAPS, MV_CONFUSABLE, MV_SPACED, MV_ZERO_WIDTH, MV_COUNT
};

static const char *const mv_family_names[MV_COUNT] = {
	"plain", "nfd", "circled", "squared", "negative-squared", "negative-circled",
	"parenthesized", "fullwidth", "math-bold", "math-italic", "math-bold-italic", "math-script",
	"math-fraktur", "math-double-struck", "math-sans-bold", "math-monospace", "small-capitals",
	"confusable", "spaced", "zero-width",
};

/* The Vietnamese levels, with the foreign table. */
static const ch_marking mv_vietnamese[] = {
	{ "vi", "TUYỆT MẬT", CH_STAMP_TOP_SECRET, 0 },
	{ "vi", "TỐI MẬT", CH_STAMP_SECRET, 0 },
	{ "vi", "MẬT", CH_STAMP_CONFIDENTIAL, 0 },
};

/* The first capital of each block, and the letters Unicode put elsewhere
 * (the holes of the mathematical blocks are in Letterlike Symbols). */
static uint32_t mv_math(uint32_t base, int family, char c)
{
	static const struct { int family; char c; uint32_t cp; } holes[] = {
		{ MV_SCRIPT, 'B', 0x212C }, { MV_SCRIPT, 'E', 0x2130 }, { MV_SCRIPT, 'F', 0x2131 },
		{ MV_SCRIPT, 'H', 0x210B }, { MV_SCRIPT, 'I', 0x2110 }, { MV_SCRIPT, 'L', 0x2112 },
		{ MV_SCRIPT, 'M', 0x2133 }, { MV_SCRIPT, 'R', 0x211B }, { MV_FRAKTUR, 'C', 0x212D },
		{ MV_FRAKTUR, 'H', 0x210C }, { MV_FRAKTUR, 'I', 0x2111 }, { MV_FRAKTUR, 'R', 0x211C },
		{ MV_FRAKTUR, 'Z', 0x2128 }, { MV_DOUBLE, 'C', 0x2102 }, { MV_DOUBLE, 'H', 0x210D },
		{ MV_DOUBLE, 'N', 0x2115 }, { MV_DOUBLE, 'P', 0x2119 }, { MV_DOUBLE, 'Q', 0x211A },
		{ MV_DOUBLE, 'R', 0x211D }, { MV_DOUBLE, 'Z', 0x2124 },
	};
	size_t i;

	for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
		if (holes[i].family == family && holes[i].c == c)
			return holes[i].cp;
	return base + (uint32_t)(c - 'A');
}

/* A capital Latin letter in a family; 0 if the family leaves it as is. */
static uint32_t mv_letter(int family, char c)
{
	static const uint32_t small_caps[26] = {
		0x1D00, 0x0299, 0x1D04, 0x1D05, 0x1D07, 0xA730, 0x0262, 0x029C, 0x026A, 0x1D0A,
		0x1D0B, 0x029F, 0x1D0D, 0x0274, 0x1D0F, 0x1D18, 0xA7AF, 0x0280, 0xA731, 0x1D1B,
		0x1D1C, 0x1D20, 0x1D21, 0, 0x028F, 0x1D22,
	};
	/* Cyrillic or Greek capitals that look like these Latin ones */
	static const uint32_t look_alike[26] = {
		0x0410, 0x0412, 0x0421, 0, 0x0415, 0, 0, 0x041D, 0x0406, 0x0408, 0x041A, 0, 0x041C,
		0x039D, 0x041E, 0x0420, 0, 0, 0x0405, 0x0422, 0, 0, 0, 0x0425, 0x03A5, 0x0396,
	};

	switch (family) {
	case MV_CIRCLED: return 0x24B6 + (uint32_t)(c - 'A');
	case MV_SQUARED: return 0x1F130 + (uint32_t)(c - 'A');
	case MV_NEG_SQUARED: return 0x1F170 + (uint32_t)(c - 'A');
	case MV_NEG_CIRCLED: return 0x1F150 + (uint32_t)(c - 'A');
	case MV_PAREN: return 0x1F110 + (uint32_t)(c - 'A');
	case MV_FULLWIDTH: return 0xFF21 + (uint32_t)(c - 'A');
	case MV_BOLD: return mv_math(0x1D400, family, c);
	case MV_ITALIC: return mv_math(0x1D434, family, c);
	case MV_BOLD_ITALIC: return mv_math(0x1D468, family, c);
	case MV_SCRIPT: return mv_math(0x1D49C, family, c);
	case MV_FRAKTUR: return mv_math(0x1D504, family, c);
	case MV_DOUBLE: return mv_math(0x1D538, family, c);
	case MV_SANS_BOLD: return mv_math(0x1D5D4, family, c);
	case MV_MONO: return mv_math(0x1D670, family, c);
	case MV_SMALLCAPS: return small_caps[c - 'A'];
	case MV_CONFUSABLE: return look_alike[c - 'A'];
	default: return 0;
	}
}

/* Cyrillic capitals that look like Latin ones, for the confusable family
 * of a Russian marking. */
static uint32_t mv_cyrillic_to_latin(uint32_t cp)
{
	static const uint32_t map[][2] = {
		{ 0x0410, 'A' }, { 0x0412, 'B' }, { 0x0415, 'E' }, { 0x041A, 'K' }, { 0x041C, 'M' },
		{ 0x041D, 'H' }, { 0x041E, 'O' }, { 0x0420, 'P' }, { 0x0421, 'C' }, { 0x0422, 'T' },
		{ 0x0425, 'X' },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i][0] == cp)
			return map[i][1];
	return 0;
}

static void mv_put(ch_buf *out, uint32_t cp)
{
	uint8_t u[6];
	int n = u8_uctomb(u, cp, sizeof(u));

	if (n > 0)
		ch_buf_put(out, u, (size_t)n);
}

/* `text` in `family`, into out (cleared). Returns 0, or -1 if the family
 * changes nothing in it (no Latin capital to change). Every family works
 * on the decomposed text, so accented capitals keep their marks. */
static int mv_variant(ch_buf *out, const char *text, int family)
{
	size_t n = 0, i = 0;
	uint8_t *nfd = u8_normalize(UNINORM_NFD, (const uint8_t *)text, strlen(text), NULL, &n);
	int changed = family == MV_PLAIN, letters = 0;

	ch_buf_clear(out);
	if (!nfd)
		return -1;
	while (i < n) {
		ucs4_t cp;
		int k = u8_mbtouc(&cp, nfd + i, n - i);
		uint32_t to = 0;

		i += (size_t)k;
		if (family == MV_SPACED && letters++ && cp != ' ' && !(cp >= 0x300 && cp < 0x370))
			ch_buf_putc(out, ' ');
		if (family == MV_ZERO_WIDTH && letters++ && !(cp >= 0x300 && cp < 0x370))
			mv_put(out, 0x200B);
		if (cp >= 'A' && cp <= 'Z')
			to = mv_letter(family, (char)cp);
		else if (family == MV_CONFUSABLE)
			to = mv_cyrillic_to_latin(cp);
		if (family == MV_CONFUSABLE && to && (i & 1))
			to = 0; /* mixed in: every other letter */
		mv_put(out, to ? to : cp);
		changed |= to != 0 || family == MV_NFD || family == MV_SPACED || family == MV_ZERO_WIDTH;
	}
	free(nfd);
	if (family == MV_NFD && !strcmp(out->ptr, text))
		changed = 0;
	return changed ? 0 : -1;
}

#endif
