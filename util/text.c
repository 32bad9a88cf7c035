/* text.c -- validation of names and text that come from outside. */
#include <string.h>
#include <stdlib.h>
#include <unistr.h>
#include <uninorm.h>

#include "text.h"
#include "common.h"

static int is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int valid_pattern(const char *s, const char *extra, size_t max)
{
	size_t i;

	if (!s || !is_lower_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i]; i++) {
		if (i >= max)
			return 0;
		if (!is_lower_alnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return 0;
	}
	return 1;
}

int ch_valid_doc_id(const char *s)
{
	return valid_pattern(s, "-", 64);
}

int ch_valid_person_id(const char *s)
{
	return valid_pattern(s, "._-", 64) && !strstr(s, "..");
}

int ch_valid_name(const char *s)
{
	return valid_pattern(s, "_-", 64);
}

int ch_valid_unit(const char *s)
{
	char part[129];
	const char *p = s, *slash;
	size_t n;

	if (!s || strlen(s) > 128)
		return 0;
	do {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0)
			return 0;
		memcpy(part, p, n);
		part[n] = '\0';
		if (!ch_valid_name(part))
			return 0;
		p = slash ? slash + 1 : NULL;
	} while (p);
	return 1;
}

static int valid_hex(const char *s, size_t len, int upper)
{
	size_t i;

	if (!s || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (upper ? (c >= 'A' && c <= 'F') : (c >= 'a' && c <= 'f'))))
			return 0;
	}
	return 1;
}

int ch_valid_fpr(const char *s)
{
	return valid_hex(s, 40, 1);
}

int ch_valid_oid_hex(const char *s)
{
	return valid_hex(s, 40, 0);
}

int ch_utf8_valid(const void *data, size_t len)
{
	return u8_check(data, len) == NULL && memchr(data, '\0', len) == NULL;
}

int ch_utf8_nfc(ch_buf *out, const void *data, size_t len)
{
	uint8_t *res;
	size_t rlen = 0;

	if (!ch_utf8_valid(data, len))
		return ch_error_setc(CH_EINVALID, "not valid UTF-8 text");
	ch_buf_clear(out);
	if (len == 0)
		return 0;
	res = u8_normalize(UNINORM_NFC, data, len, NULL, &rlen);
	if (!res)
		return ch_error_setc(CH_EIO, "Unicode normalization failed");
	ch_buf_put(out, res, rlen);
	free(res);
	return 0;
}

int ch_valid_line(const char *s, size_t max)
{
	size_t i, len;

	if (!s || !(len = strlen(s)) || len > max || !ch_utf8_valid(s, len))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}
