/* markings.h -- the classification markings of other states and of
 * international organisations, which the networked server refuses like the
 * Vietnamese ones (DESIGN.md "Classification"), and the everyday words and
 * titles that share their letters and must pass (the false friends).
 *
 * One row per marking, saying which level it maps to; the stamp scanner
 * (stamp.c) compiles the table once and applies to each marking the rules
 * of stamp.h: a marking counts where a marking stands (a line or cell of
 * its own, a marking field, the head of a cell with a caveat, a copy number
 * or a term, a header line in capitals, a file name), never as a word of
 * running text. The false friends are test data (tests/unit/test_markings.c
 * and the generated corpus, tests/unit/marking_variants.h), kept here with
 * the markings they must not be taken for. */
#ifndef CH_MARKINGS_H
#define CH_MARKINGS_H

#include <stddef.h>

#include "workflows/classify/stamp.h"

/* The marking is also an everyday word ("SECRET", "СЕКРЕТНО", "秘密"): it
 * counts only in capitals (or, in a script without case, alone), or with a
 * label, a caveat, a copy number or a term; never anywhere in a header line
 * or inside a longer file name. A marking without this flag ("TOP SECRET",
 * "COSMIC TOP SECRET", "绝密") counts in capitals anywhere in a header line
 * written in capitals, and in any case inside a file name. */
#define CH_MARKING_WORD 0x01

typedef struct {
	const char *lang;      /* "en", "fr", "ru", "zh", "ja", "de", "es", "it", "nato", "eu" */
	const char *text;      /* the marking as written on a document (UTF-8) */
	ch_stamp_level level;  /* the Vietnamese level it counts as */
	unsigned flags;        /* CH_MARKING_* */
} ch_marking;

/* Words around a marking: field labels ("Classification:", "Гриф:",
 * "密级："), caveats that may follow it ("NOFORN", "REL TO", "UE"), and
 * copy-number words ("Copy", "Экз."). */
typedef struct {
	const char *lang;
	const char *text;
} ch_marking_word;

/* An item that must pass: `where` is a CH_STAMP_IN_* context. */
typedef struct {
	const char *lang;
	const char *text;
	int where;
	const char *why; /* what it is */
} ch_false_friend;

/* markings.c */
extern const ch_marking ch_markings[];
extern const size_t ch_markings_len;
extern const ch_marking_word ch_marking_labels[];
extern const size_t ch_marking_labels_len;
extern const ch_marking_word ch_marking_caveats[];
extern const size_t ch_marking_caveats_len;
extern const ch_marking_word ch_marking_copies[];
extern const size_t ch_marking_copies_len;
extern const ch_false_friend ch_false_friends[];
extern const size_t ch_false_friends_len;

#endif
