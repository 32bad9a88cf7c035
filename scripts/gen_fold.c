/* gen_fold.c -- generate workflows/classify/fold_table.c: every code point that
 * reads as a Latin letter but that Unicode compatibility decomposition alone
 * (what the scanner does at run time, through libunistring) does not bring
 * to one: parenthesized letters ("(A)", U+1F110..), negative squared and
 * negative circled capitals (U+1F150.., U+1F170..), regional indicators,
 * small capitals (U+1D00..), letters with a stroke or hook that have no
 * decomposition, modifier letters built on those, and the look-alikes of
 * Unicode's confusables (UTS #39 skeletons, from ICU's spoof checker).
 *
 * Inputs: Debian's unicode-data (/usr/share/unicode/UnicodeData.txt: names
 * and decompositions) and libicu (the confusables data of UTS #39). Run by
 * scripts/gen_fold.sh; the output is committed, so the build needs neither.
 *
 * A code point derives a letter by the first of these that gives one:
 *   1. its decomposition (any tag), recursively, with combining marks and
 *      the parentheses of "(X)" dropped, leaves one code point that derives
 *      a letter;
 *   2. its name is "... LATIN ... LETTER X" or "... LETTER X WITH ..." (X a
 *      single letter), or "REGIONAL INDICATOR SYMBOL LETTER X";
 *   3. its UTS #39 skeleton, without marks, is one ASCII letter ('l', the
 *      prototype of I, l, 1 and |, reads as I).
 * A letter is a capital unless its name says SMALL LETTER (small capitals
 * count as capitals, as a reader sees them). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#define NCP 0x110000
#define MAXD 18

typedef struct {
	char *name;
	int mark;      /* general category M* */
	int tagged;    /* a compatibility decomposition (<tag>) */
	int nd;
	uint32_t d[MAXD];
} ucd;

static ucd *db;
static signed char memo[NCP]; /* 0 unknown, 1 none, 2 letter */
static char memo_letter[NCP];
static unsigned char memo_flags[NCP];
static USpoofChecker *spoof;

#define E_UPPER 0x01
#define E_FOREIGN 0x02

static void load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f) {
		perror(path);
		exit(1);
	}
	db = calloc(NCP, sizeof(ucd));
	while (fgets(line, sizeof(line), f)) {
		char *field[15], *p = line, *q;
		uint32_t cp;
		int n = 0;
		ucd *u;

		while (n < 15 && (field[n++] = p) && (p = strchr(p, ';')))
			*p++ = '\0';
		if (n < 6)
			continue;
		cp = (uint32_t)strtoul(field[0], NULL, 16);
		if (cp >= NCP || field[1][0] == '<')
			continue; /* ranges (CJK, Hangul...) and controls: no letters there */
		u = &db[cp];
		u->name = strdup(field[1]);
		u->mark = field[2][0] == 'M';
		p = field[5];
		if (*p == '<') {
			u->tagged = 1;
			p = strchr(p, '>') + 1;
		}
		while (*p && u->nd < MAXD) {
			uint32_t v = (uint32_t)strtoul(p, &q, 16);

			if (q == p)
				break;
			u->d[u->nd++] = v;
			p = q;
		}
	}
	fclose(f);
}

/* The full decomposition of cp into out (marks kept). */
static int decompose(uint32_t cp, uint32_t *out, int cap)
{
	int n = 0, i;

	if (cp >= NCP || !db[cp].nd) {
		if (cap > 0)
			out[0] = cp;
		return 1;
	}
	for (i = 0; i < db[cp].nd && n < cap; i++)
		n += decompose(db[cp].d[i], out + n, cap - n);
	return n;
}

static int is_mark(uint32_t cp)
{
	return cp < NCP && db[cp].mark;
}

/* Rule 2: the letter a name spells, or 0. */
static char name_letter(const char *name, int *upper, int *foreign)
{
	const char *p, *last = NULL;

	if (!name || (!strstr(name, "LATIN") && strncmp(name, "REGIONAL INDICATOR", 18)))
		return 0;
	for (p = name; (p = strstr(p, "LETTER ")); p += 7)
		last = p + 7;
	if (last && !strncmp(last, "SMALL CAPITAL ", 14))
		last += 14; /* "LATIN LETTER SMALL CAPITAL A" */
	if (!last || last[0] < 'A' || last[0] > 'Z' || (last[1] && strncmp(last + 1, " WITH ", 6)))
		return 0;
	*upper = !strstr(name, "SMALL LETTER");
	*foreign = last[1] != '\0';
	return last[0];
}

/* Rule 3: the letter of cp's UTS #39 skeleton, or 0. */
static char skeleton_letter(uint32_t cp, int *upper)
{
	UChar src[2], dst[32];
	UErrorCode st = U_ZERO_ERROR;
	int32_t n = 0, len, i, letters = 0;
	char c = 0;

	U16_APPEND_UNSAFE(src, n, cp);
	len = uspoof_getSkeleton(spoof, 0, src, n, dst, 32, &st);
	if (U_FAILURE(st))
		return 0;
	for (i = 0; i < len; i++) {
		UChar u = dst[i];

		if (u >= 0x300 && u < 0x370)
			continue; /* a combining mark of the prototype */
		if (u > 0x7f || !((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) || letters++)
			return 0;
		c = (char)u;
	}
	if (!c)
		return 0;
	*upper = c >= 'A' && c <= 'Z';
	if (c == 'l')
		return 'I';
	return (char)(c & ~0x20);
}

static char derive(uint32_t cp, int *upper, int *foreign);

/* Rule 1. */
static char decomposition_letter(uint32_t cp, int *upper, int *foreign)
{
	uint32_t d[64], keep = 0;
	int n, i, starters = 0, marks = 0;

	if (cp >= NCP || !db[cp].nd)
		return 0;
	n = decompose(cp, d, 64);
	if (n == 3 && d[0] == '(' && d[2] == ')' && !is_mark(d[1]))
		return derive(d[1], upper, foreign);
	for (i = 0; i < n; i++) {
		if (is_mark(d[i]))
			marks = 1;
		else if (!starters++)
			keep = d[i];
	}
	if (starters != 1 || keep == cp)
		return 0;
	i = derive(keep, upper, foreign);
	*foreign |= marks;
	return (char)i;
}

static char derive(uint32_t cp, int *upper, int *foreign)
{
	char c;

	*upper = *foreign = 0;
	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ?
		       (*upper = cp <= 'Z', (char)(cp & ~0x20u)) : 0;
	if (cp >= NCP)
		return 0;
	if (memo[cp]) {
		*upper = memo_flags[cp] & E_UPPER;
		*foreign = (memo_flags[cp] & E_FOREIGN) != 0;
		return memo[cp] == 2 ? memo_letter[cp] : 0;
	}
	memo[cp] = 1; /* against cycles */
	if (!(c = decomposition_letter(cp, upper, foreign)) &&
	    !(c = name_letter(db[cp].name, upper, foreign)))
		c = skeleton_letter(cp, upper);
	if (c && db[cp].name && strstr(db[cp].name, "CAPITAL"))
		*upper = 1;
	if (c) {
		memo[cp] = 2;
		memo_letter[cp] = c;
		memo_flags[cp] = (unsigned char)((*upper ? E_UPPER : 0) | (*foreign ? E_FOREIGN : 0));
	}
	return c;
}

/* What the scanner gets at run time without the table: the full
 * decomposition has one starter, an ASCII letter. */
static int runtime_folds(uint32_t cp)
{
	uint32_t d[64];
	int n = decompose(cp, d, 64), i, starters = 0;
	uint32_t keep = 0;

	for (i = 0; i < n; i++)
		if (!is_mark(d[i]) && !starters++)
			keep = d[i];
	return starters == 1 && keep < 0x80 &&
	       ((keep >= 'A' && keep <= 'Z') || (keep >= 'a' && keep <= 'z'));
}

int main(int argc, char **argv)
{
	const char *ucd_path = argc > 1 ? argv[1] : "/usr/share/unicode/UnicodeData.txt";
	UErrorCode st = U_ZERO_ERROR;
	uint32_t cp;
	size_t count = 0;

	load(ucd_path);
	spoof = uspoof_open(&st);
	if (U_FAILURE(st)) {
		fprintf(stderr, "gen_fold: uspoof_open: %s\n", u_errorName(st));
		return 1;
	}
	printf("/* fold_table.c -- GENERATED by scripts/gen_fold.sh (scripts/gen_fold.c) from\n"
	       " * Debian's unicode-data (UnicodeData.txt) and ICU %s's UTS #39 confusables.\n"
	       " * Do not edit. Code points that read as a Latin letter and that compatibility\n"
	       " * decomposition alone does not fold to one, sorted. */\n"
	       "#include \"workflows/classify/fold.h\"\n\nconst ch_fold_entry ch_fold_table[] = {\n", U_ICU_VERSION);
	for (cp = 0x80; cp < NCP; cp++) {
		int upper, foreign;
		char c;

		if (!db[cp].name || (cp >= 0xD800 && cp < 0xE000) || runtime_folds(cp))
			continue;
		if (!(c = derive(cp, &upper, &foreign)))
			continue;
		printf("\t{ 0x%05X, '%c', %d },\n", (unsigned)cp, c,
		       (upper ? E_UPPER : 0) | (foreign ? E_FOREIGN : 0));
		count++;
	}
	printf("};\n\nconst size_t ch_fold_table_len = %zu;\n", count);
	uspoof_close(spoof);
	return 0;
}
