/* fuzz_stamp.c -- libFuzzer target for the classification stamp scanner
 * (workflows/classify/stamp.c).
 *
 * Every input is scanned as a body, a title and a file name, and as an
 * uploaded file (its first line is the name, the rest the content). Beyond
 * "no crash, no leak": every result holds static names only; and for valid
 * UTF-8 input the verdict does not change when the text is put in NFC or
 * NFD, nor (for inputs without markup) when a zero-width space is put
 * between every two letters. The invariance checks run on inputs of at most
 * PROP_MAX bytes, to keep the fuzzer fast. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "workflows/classify/stamp.h"
#include "util/common.h"

#define PROP_MAX 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static const char *const rules[] = {
	"", "stamp-line", "level-field", "stamp-lead", "header-upper", "title", "filename",
	"declassified-no-ref", "archive", "pdf", "office-binary", "image", "encrypted", "rtf",
	"binary", "too-large",
};
static const char *const encodings[] = {
	"", "utf-8", "tcvn3", "vni", "cp1258", "bidi", "utf-16", "html", "json", "csv", "joined",
};

static int named(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static ch_stamp_level scan(const void *p, size_t n, int where)
{
	ch_stamp_result r;

	check(ch_stamp_scan_text(&r, p, n, where) == 0);
	check(r.level >= CH_STAMP_NONE && r.level <= CH_STAMP_TOP_SECRET);
	check(r.rule && named(r.rule, rules, CH_ARRAY_SIZE(rules)));
	check(r.encoding && named(r.encoding, encodings, CH_ARRAY_SIZE(encodings)));
	check((r.level == CH_STAMP_NONE) == (r.rule[0] == '\0'));
	return r.level;
}

static void scan_as_file(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
	size_t nlen = nl ? (size_t)(nl - data) : 0;
	char *name = ch_strndup((const char *)data, nlen);
	ch_stamp_result r;

	check(ch_stamp_scan_file(&r, nl ? name : NULL, nl ? nl + 1 : data,
	                         nl ? size - nlen - 1 : size) == 0);
	check(r.rule && named(r.rule, rules, CH_ARRAY_SIZE(rules)));
	check(r.encoding && named(r.encoding, encodings, CH_ARRAY_SIZE(encodings)));
	free(name);
}

/* The same text with U+200B between every two letters. */
static void zero_width(ch_buf *out, const uint8_t *s, size_t n)
{
	size_t i = 0;
	ucs4_t prev = 0;

	while (i < n) {
		ucs4_t cp;
		int k = u8_mbtouc(&cp, s + i, n - i);

		if (uc_is_general_category(cp, UC_CATEGORY_L) && uc_is_general_category(prev, UC_CATEGORY_L))
			ch_buf_puts(out, "\xe2\x80\x8b");
		ch_buf_put(out, s + i, (size_t)k);
		prev = cp;
		i += (size_t)k;
	}
}

static void invariances(const uint8_t *data, size_t size)
{
	int where;

	for (where = CH_STAMP_IN_BODY; where <= CH_STAMP_IN_FILENAME; where++) {
		ch_stamp_level want = scan(data, size, where);
		size_t n;
		uint8_t *nf;
		ch_buf zw = CH_BUF_INIT;

		nf = u8_normalize(UNINORM_NFC, data, size, NULL, &n);
		check(nf != NULL);
		check(scan(nf, n, where) == want);
		free(nf);
		nf = u8_normalize(UNINORM_NFD, data, size, NULL, &n);
		check(nf != NULL);
		check(scan(nf, n, where) == want);
		free(nf);
		if (memchr(data, '&', size) || memchr(data, '<', size))
			continue; /* a zero-width space would break a reference or a tag */
		zero_width(&zw, data, size);
		check(scan(zw.ptr, zw.size, where) == want);
		ch_buf_dispose(&zw);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size <= PROP_MAX && size > 0 && !u8_check(data, size) && !memchr(data, 0, size)) {
		invariances(data, size);
	} else {
		scan(data, size, CH_STAMP_IN_BODY);
		scan(data, size, CH_STAMP_IN_TITLE);
		scan(data, size, CH_STAMP_IN_FILENAME);
	}
	scan_as_file(data, size);
	return 0;
}
