/* fold.c -- look up the generated table of letter-like code points
 * (fold_table.c): a binary search, done once per code point by the stamp
 * scanner, which keeps what it found. */
#include "workflows/classify/fold.h"

char ch_fold_letter(uint32_t cp, uint8_t *flags)
{
	size_t lo = 0, hi = ch_fold_table_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ch_fold_table[mid].cp == cp) {
			*flags = ch_fold_table[mid].flags;
			return ch_fold_table[mid].letter;
		}
		if (ch_fold_table[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	*flags = 0;
	return 0;
}
