/* gen_markings.c -- print the generated corpus of classification markings
 * (tests/unit/marking_variants.h), for tests that push it through the
 * network doors: every marking of workflows/markings.c and the Vietnamese
 * levels, in every folding family, one a line; or the false friends.
 *
 *   gen_markings            the variants, one a line
 *   gen_markings -v         level, language, family and variant, tab-separated
 *   gen_markings -f [-0]    the false friends (-0: NUL after each, since some
 *                           span lines; else their newlines print as \n) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "marking_variants.h"
#include "util/common.h"

static void print_variants(const ch_marking *m, int verbose)
{
	ch_buf v = CH_BUF_INIT;
	int f;

	for (f = 0; f < MV_COUNT; f++) {
		if (mv_variant(&v, m->text, f) < 0)
			continue;
		if (verbose)
			printf("%s\t%s\t%s\t", ch_stamp_level_name(m->level), m->lang, mv_family_names[f]);
		printf("%s\n", v.ptr);
	}
	ch_buf_dispose(&v);
}

static void print_friend(const ch_false_friend *f, int nul)
{
	const char *p;

	if (nul) {
		fputs(f->text, stdout);
		putchar('\0');
		return;
	}
	for (p = f->text; *p; p++)
		if (*p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	putchar('\n');
}

int main(int argc, char **argv)
{
	int verbose = 0, friends = 0, nul = 0, i;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-f"))
			friends = 1;
		else if (!strcmp(argv[i], "-0"))
			nul = 1;
		else {
			fprintf(stderr, "usage: gen_markings [-v] | -f [-0]\n");
			return 2;
		}
	}
	if (friends) {
		for (k = 0; k < ch_false_friends_len; k++)
			print_friend(&ch_false_friends[k], nul);
		return 0;
	}
	for (k = 0; k < ch_markings_len; k++)
		print_variants(&ch_markings[k], verbose);
	for (k = 0; k < CH_ARRAY_SIZE(mv_vietnamese); k++)
		print_variants(&mv_vietnamese[k], verbose);
	return 0;
}
