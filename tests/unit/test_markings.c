/* test_markings.c -- foreign and international classification markings
 * (workflows/markings.c, the rules in workflows/stamp.c): each language's
 * markings refused where a marking stands (a line, a cell, a marking field,
 * with a caveat, a copy number or a term, a capital header, a file name),
 * each language's false friends passing; the generated corpus (every
 * marking of the table x every folding family, tests/unit/
 * marking_variants.h) refused at the marking's level; and the table itself
 * well formed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/classify/markings.h"
#include "workflows/classify/stamp.h"
#include "util/common.h"
#include "marking_variants.h"

#define BODY CH_STAMP_IN_BODY
#define TITLE CH_STAMP_IN_TITLE
#define NAME CH_STAMP_IN_FILENAME
#define NONE CH_STAMP_NONE
#define CONF CH_STAMP_CONFIDENTIAL
#define SEC CH_STAMP_SECRET
#define TOP CH_STAMP_TOP_SECRET

typedef struct {
	const char *in;
	int where;
	ch_stamp_level want;
} row;

static ch_stamp_level scan(const char *s, int where)
{
	ch_stamp_result r;

	assert_int_equal(ch_stamp_scan_text(&r, s, strlen(s), where), 0);
	return r.level;
}

static void run_rows(const row *rows, size_t n)
{
	size_t i, wrong = 0;

	for (i = 0; i < n; i++) {
		ch_stamp_level got = scan(rows[i].in, rows[i].where);

		if (got != rows[i].want) {
			print_message("WRONG: \"%s\" (where %d): got %s, want %s\n", rows[i].in,
			              rows[i].where, ch_stamp_level_name(got),
			              ch_stamp_level_name(rows[i].want));
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
}

/* Every false friend of `lang` passes where it stands. */
static void false_friends(const char *lang)
{
	size_t i, count = 0;

	for (i = 0; i < ch_false_friends_len; i++) {
		const ch_false_friend *f = &ch_false_friends[i];

		if (strcmp(f->lang, lang))
			continue;
		if (scan(f->text, f->where) != NONE)
			fail_msg("false friend refused (%s): \"%s\"", f->why, f->text);
		count++;
	}
	assert_true(count >= 2);
}

static void test_english(void **state)
{
	static const row rows[] = {
		{ "TOP SECRET", BODY, TOP },
		{ "SECRET", BODY, SEC },
		{ "CONFIDENTIAL", BODY, CONF },
		{ "TOP SECRET//NOFORN", BODY, TOP },
		{ "SECRET//REL TO USA, GBR, AUS", BODY, SEC },
		{ "TOP SECRET//SI//ORCON/NOFORN\nOperation details follow.", BODY, TOP },
		{ "SECRET REL TO USA, FVEY", BODY, SEC },
		{ "CONFIDENTIAL  Copy No. 3", BODY, CONF },
		{ "Secret  Copy No. 3", BODY, SEC },
		{ "Classification: Secret", BODY, SEC },
		{ "SECURITY CLASSIFICATION: CONFIDENTIAL\nSubject: visas", BODY, CONF },
		{ "Ref. 12/2024\tTOP SECRET\tPage 1", BODY, TOP },
		{ "MINISTRY OF DEFENCE TOP SECRET", BODY, TOP },
		{ "SECRET//NOFORN Report on the talks", BODY, SEC },
		{ "SECRET: the plan", TITLE, SEC },
		{ "TOP SECRET report on the talks", TITLE, TOP },
		{ "TOP_SECRET_plan.docx", NAME, TOP },
		{ "TopSecret.pdf", NAME, TOP },
		{ "SECRET_notes.txt", NAME, SEC },
		{ "CONFIDENTIAL.pdf", NAME, CONF },
		/* what passes */
		{ "Secret", BODY, NONE },
		{ "top secret", BODY, NONE },
		{ "secret_recipe.txt", NAME, NONE },
		{ "The classification: secret, confidential or restricted, is chosen by the author.", BODY,
		  NONE },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("en");
}

static void test_french(void **state)
{
	static const row rows[] = {
		{ "TRÈS SECRET", BODY, TOP },
		{ "TRES SECRET", BODY, TOP },
		{ "TRÈS SECRET DÉFENSE", BODY, TOP },
		{ "SECRET DÉFENSE", BODY, SEC },
		{ "SECRET DEFENSE", BODY, SEC },
		{ "CONFIDENTIEL DÉFENSE", BODY, CONF },
		{ "CONFIDENTIEL", BODY, CONF },
		{ "TRÈS SECRET SPÉCIAL FRANCE", BODY, TOP },
		{ "Niveau de classification : Secret", BODY, SEC },
		{ "Exemplaire n° 2\nSECRET DÉFENSE", BODY, SEC },
		{ "Secret défense  Exemplaire n° 2", BODY, SEC },
		{ "MINISTÈRE DES ARMÉES — TRÈS SECRET", BODY, TOP },
		{ "tres_secret_defense.odt", NAME, TOP },
		{ "Le secret défense", BODY, NONE },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("fr");
}

static void test_russian(void **state)
{
	static const row rows[] = {
		{ "СОВЕРШЕННО СЕКРЕТНО", BODY, SEC },
		{ "СЕКРЕТНО", BODY, CONF },
		{ "ОСОБОЙ ВАЖНОСТИ", BODY, TOP },
		{ "Секретно\nЭкз. № 2", BODY, CONF },
		{ "Совершенно секретно, экз. № 1", BODY, SEC },
		{ "СЕКРЕТНО  Экз. № 3", BODY, CONF },
		{ "Гриф: секретно", BODY, CONF },
		{ "ГРИФ СЕКРЕТНОСТИ: СОВЕРШЕННО СЕКРЕТНО", BODY, SEC },
		{ "МИНИСТЕРСТВО ОБОРОНЫ СОВЕРШЕННО СЕКРЕТНО", BODY, SEC },
		{ "sovershenno.txt", NAME, NONE },
		{ "СОВЕРШЕННО_СЕКРЕТНО.docx", NAME, SEC },
		{ "Секретно", BODY, NONE },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("ru");
}

static void test_chinese(void **state)
{
	static const row rows[] = {
		{ "绝密", BODY, TOP },
		{ "机密", BODY, SEC },
		{ "秘密", BODY, CONF },
		{ "绝密★10年", BODY, TOP },
		{ "机密★长期", BODY, SEC },
		{ "秘密★1年", BODY, CONF },
		{ "绝密★启用前\n2024年普通高等学校招生全国统一考试", BODY, TOP },
		{ "密级：机密", BODY, SEC },
		{ "密级: 绝密★20年", BODY, TOP },
		{ "外交部\t秘密", BODY, CONF },
		{ "絕密", BODY, TOP },
		{ "極機密", BODY, SEC },
		{ "绝密文件.docx", NAME, TOP },
		{ "秘密.pdf", NAME, CONF },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("zh");
}

static void test_japanese(void **state)
{
	static const row rows[] = {
		{ "極秘", BODY, SEC },
		{ "秘", BODY, CONF },
		{ "㊙", BODY, CONF },
		{ "機密", BODY, TOP },
		{ "特定秘密", BODY, TOP },
		{ "秘密区分：極秘", BODY, SEC },
		{ "防衛省\t秘", BODY, CONF },
		{ "極秘.docx", NAME, SEC },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("ja");
}

static void test_other_languages(void **state)
{
	static const row rows[] = {
		{ "STRENG GEHEIM", BODY, TOP },
		{ "GEHEIM", BODY, SEC },
		{ "VS-VERTRAULICH", BODY, CONF },
		{ "Einstufung: geheim", BODY, SEC },
		{ "SECRETO", BODY, TOP },
		{ "RESERVADO", BODY, SEC },
		{ "CONFIDENCIAL", BODY, CONF },
		{ "SEGRETISSIMO", BODY, TOP },
		{ "SEGRETO", BODY, SEC },
		{ "RISERVATISSIMO", BODY, CONF },
		{ "Geheim", BODY, NONE },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("de");
	false_friends("es");
	false_friends("it");
}

static void test_nato(void **state)
{
	static const row rows[] = {
		{ "COSMIC TOP SECRET", BODY, TOP },
		{ "COSMIC TOP SECRET ATOMAL", BODY, TOP },
		{ "NATO SECRET", BODY, SEC },
		{ "NATO CONFIDENTIAL", BODY, CONF },
		{ "NATO RESTRICTED", BODY, CONF },
		{ "NATO UNCLASSIFIED", BODY, NONE },
		{ "NORTH ATLANTIC COUNCIL NATO SECRET", BODY, SEC },
		{ "nato_secret_minutes.docx", NAME, SEC },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("nato");
}

static void test_eu(void **state)
{
	static const row rows[] = {
		{ "EU TOP SECRET", BODY, TOP },
		{ "TRES SECRET UE/EU TOP SECRET", BODY, TOP },
		{ "SECRET UE/EU SECRET", BODY, SEC },
		{ "CONFIDENTIEL UE/EU CONFIDENTIAL", BODY, CONF },
		{ "RESTREINT UE/EU RESTRICTED", BODY, CONF },
		{ "STRENG GEHEIM UE/EU TOP SECRET", BODY, TOP },
		{ "RESERVADO UE/EU SECRET", BODY, SEC },
		{ "SEGRETO UE", BODY, SEC },
		{ "Classification: EU Confidential", BODY, CONF },
	};

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	false_friends("eu");
}

/* The tricks of someone who wants a marking through. */
static void test_tricks(void **state)
{
	static const row rows[] = {
		{ "TOP\nSECRET", BODY, TOP },                 /* a soft line break */
		{ "T O P  S E C R E T", BODY, TOP },          /* spaced out */
		{ "TOP\u200bSECRET", BODY, TOP },             /* joined by a zero-width space */
		{ "&#84;OP SECRET", BODY, TOP },              /* a character reference */
		{ "<b>TOP</b> SECRET", BODY, TOP },           /* markup */
		{ "| Ref | TOP SECRET |", BODY, TOP },        /* a table cell */
		{ "┃ TRÈS SECRET ┃", BODY, TOP },             /* a box */
		{ "S3CR3T", BODY, SEC },                      /* digits for letters */
		{ "\u202eTERCES", BODY, SEC },                /* a right-to-left override */
		{ "СЕКРЕТ", BODY, NONE },                     /* a Russian word, not a marking */
		{ "SΕCRΕT", BODY, SEC },                      /* Greek epsilons */
		{ "ＴＯＰ　ＳＥＣＲＥＴ", BODY, TOP },        /* fullwidth, ideographic space */
		{ "🆃🅾🅿 🆂🅴🅲🆁🅴🆃", BODY, TOP },             /* negative squared */
		{ "🄣🄞🄟 🄢🄔🄒🄡🄔🄣", BODY, TOP },             /* parenthesized */
		{ "ᴛᴏᴘ ꜱᴇᴄʀᴇᴛ", BODY, TOP },                  /* small capitals */
	};

	static const char json[] = "{\"note\":\"TOP SECRET\"}";
	ch_stamp_result r;

	(void)state;
	run_rows(rows, CH_ARRAY_SIZE(rows));
	/* a JSON string, in an uploaded file */
	assert_int_equal(ch_stamp_scan_file(&r, "meta.json", json, strlen(json)), 0);
	assert_int_equal(r.level, TOP);
}

/* The generated corpus: every marking (the table and the Vietnamese
 * levels) in every family, alone on a line and as a marking field, is
 * refused at its level; every false friend passes in the families that
 * keep its case. */
static void corpus_one(const ch_marking *m, size_t *count, size_t *wrong)
{
	ch_buf v = CH_BUF_INIT, line = CH_BUF_INIT;
	int f;

	for (f = 0; f < MV_COUNT; f++) {
		ch_stamp_level got;

		if (mv_variant(&v, m->text, f) < 0)
			continue;
		got = scan(v.ptr, BODY);
		ch_buf_clear(&line);
		ch_buf_printf(&line, "Classification: %s\nText.", v.ptr);
		if (got != m->level || scan(line.ptr, BODY) < CH_STAMP_CONFIDENTIAL) {
			print_message("NOT REFUSED %s \"%s\" as %s: %s\n", m->lang, m->text,
			              mv_family_names[f], ch_stamp_level_name(got));
			(*wrong)++;
		}
		(*count)++;
	}
	ch_buf_dispose(&v);
	ch_buf_dispose(&line);
}

/* A title that opens with a marking, as a stamp opens a page (found by the
 * door tests: these passed in one-line fields). */
static void test_title_opens_with_marking(void **state)
{
	static const row rows[] = {
		{ "SECRET Báo cáo tình hình", TITLE, SEC },
		{ "CONFIDENTIAL Kế hoạch", TITLE, CONF },
		{ "СЕКРЕТНО Экз. № 2 Доклад", TITLE, CONF },
		{ "绝密 报告", TITLE, TOP },
		{ "極秘：報告書", TITLE, SEC },
		{ "Secret negotiations in history", TITLE, NONE }, /* not in capitals */
		{ "SECRETARY-GENERAL's report", TITLE, NONE },
		{ "CONFIDENTIALITY policy", TITLE, NONE },
		{ "秘书长的报告", TITLE, NONE },                    /* run on: an ordinary word */
		{ "秘密保持契約書", TITLE, NONE },
		{ "Báo cáo SECRET sharing", TITLE, NONE },           /* not at the start */
	};

	(void)state;
	run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* A title that closes with a marking in capitals, set apart from what
 * precedes it by punctuation and a space (or a slash), as a stamp closes a
 * line: "Số 12 - СЕКРЕТНО" passed every door. */
static void test_title_closes_with_marking(void **state)
{
	static const row rows[] = {
		{ "Số 12 - СЕКРЕТНО", TITLE, CONF },
		{ "Số 12 - TỐI MẬT", TITLE, SEC },
		{ "Báo cáo hợp tác (MẬT)", TITLE, CONF },
		{ "Báo cáo tình hình: TOP SECRET", TITLE, TOP },
		{ "Kế hoạch hợp tác (CONFIDENTIAL)", TITLE, CONF },
		{ "Kế hoạch hợp tác / SECRET", TITLE, SEC },
		{ "Công văn số 7 – SECRET", TITLE, SEC },
		/* red team: what may follow the closing marking (a number, or
		 * what punctuation sets apart) */
		{ "Số 12 - СЕКРЕТНО 2026", TITLE, CONF },
		{ "Số 12 - СЕКРЕТНО (экз. 2)", TITLE, CONF },
		{ "Số 12 — СЕКРЕТНО - 2026", TITLE, CONF },
		{ "Kế hoạch - SECRET 2026", TITLE, SEC },
		{ "Kế hoạch: SECRET//NOFORN", TITLE, SEC },
		{ "Kế hoạch - SECRET//REL TO USA", TITLE, SEC },
		{ "Kế hoạch (SECRET) v2", TITLE, SEC },
		{ "Kế hoạch - SECRET - 2026", TITLE, SEC },
		{ "Kế hoạch - SECRET.", TITLE, SEC },
		{ "Kế hoạch - SECRET-SANTA 2026", TITLE, NONE },     /* joined after: a word */
		{ "Tài liệu NON-SECRET 2026", TITLE, NONE },
		{ "Victoria's SECRET 2026", TITLE, NONE },
		{ "Tài liệu NON-SECRET", TITLE, NONE },              /* joined: one word */
		{ "Victoria's SECRET", TITLE, NONE },                /* no mark sets it apart */
		{ "Báo cáo - Secret negotiations", TITLE, NONE },    /* not in capitals, not last */
		{ "Hồi ký: Secret", TITLE, NONE },                   /* not in capitals */
	};

	(void)state;
	run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_generated_corpus(void **state)
{
	static const int keep_case[] = { MV_PLAIN, MV_NFD, MV_ZERO_WIDTH };
	ch_buf v = CH_BUF_INIT;
	size_t i, k, count = 0, wrong = 0, friends = 0;

	(void)state;
	for (i = 0; i < ch_markings_len; i++)
		corpus_one(&ch_markings[i], &count, &wrong);
	for (i = 0; i < CH_ARRAY_SIZE(mv_vietnamese); i++)
		corpus_one(&mv_vietnamese[i], &count, &wrong);
	for (i = 0; i < ch_false_friends_len; i++)
		for (k = 0; k < CH_ARRAY_SIZE(keep_case); k++) {
			const ch_false_friend *f = &ch_false_friends[i];

			if (mv_variant(&v, f->text, keep_case[k]) < 0)
				continue;
			if (scan(v.ptr, f->where) != NONE) {
				print_message("FALSE FRIEND REFUSED %s \"%s\" as %s\n", f->lang, f->text,
				              mv_family_names[keep_case[k]]);
				wrong++;
			}
			friends++;
		}
	print_message("%zu marking variants, %zu false-friend variants, %zu wrong\n", count,
	              friends, wrong);
	assert_true(count > 800);
	assert_int_equal(wrong, 0);
	ch_buf_dispose(&v);
}

/* The table: every language named by the issue is there, every marking is
 * refused as written, every level is one of the three. */
static void test_table(void **state)
{
	static const char *const langs[] = { "en", "fr", "ru", "zh", "ja", "nato", "eu" };
	size_t i, k;

	(void)state;
	for (k = 0; k < CH_ARRAY_SIZE(langs); k++) {
		for (i = 0; i < ch_markings_len && strcmp(ch_markings[i].lang, langs[k]); i++)
			;
		assert_true(i < ch_markings_len);
	}
	for (i = 0; i < ch_markings_len; i++) {
		assert_true(ch_markings[i].level >= CONF && ch_markings[i].level <= TOP);
		assert_int_equal(scan(ch_markings[i].text, BODY), ch_markings[i].level);
	}
}

/* Lines full of what the foreign rules look at stay linear: 4 MiB of each
 * pattern on one line and on many lines, against a quarter of it. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double time_pattern(const char *pat, size_t size)
{
	ch_buf b = CH_BUF_INIT;
	ch_stamp_result r;
	double t0;

	while (b.size < size)
		ch_buf_puts(&b, pat);
	t0 = cpu_ms();
	assert_int_equal(ch_stamp_scan_text(&r, b.ptr, b.size, BODY), 0);
	t0 = cpu_ms() - t0;
	ch_buf_dispose(&b);
	return t0;
}

static void test_linear_time(void **state)
{
	static const char *const worst[] = {
		"SECRET ", "Classification: SECRET ", "TOP SECRET//", "绝密", "秘", "S3CR3T ",
		"SECRET\n", "Гриф: СЕКРЕТНО ", "NATO NATO ",
	};
	size_t k;

	(void)state;
	for (k = 0; k < CH_ARRAY_SIZE(worst); k++) {
		double small = time_pattern(worst[k], 1u << 20), big = time_pattern(worst[k], 4u << 20);

		print_message("4 MiB of '%s': %.1f ms (1 MiB: %.1f ms)\n",
		              worst[k][strlen(worst[k]) - 1] == '\n' ? "SECRET\\n" : worst[k], big, small);
		assert_true(big < 8 * small + 50);
		assert_true(big < 4000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),         cmocka_unit_test(test_english),
		cmocka_unit_test(test_french),        cmocka_unit_test(test_russian),
		cmocka_unit_test(test_chinese),       cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_other_languages), cmocka_unit_test(test_nato),
		cmocka_unit_test(test_eu),            cmocka_unit_test(test_tricks),
		cmocka_unit_test(test_title_opens_with_marking),
		cmocka_unit_test(test_title_closes_with_marking),
		cmocka_unit_test(test_generated_corpus), cmocka_unit_test(test_linear_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
