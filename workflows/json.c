/* json.c -- strict, bounded JSON reading with errors naming file and field. */
#include <stdlib.h>
#include <string.h>

#include "workflows/json.h"
#include "util/text.h"
#include "util/common.h"

int ch_json_parse(json_t **out, const void *data, size_t len, size_t max, const char *file)
{
	json_error_t jerr;

	*out = NULL;
	if (len > max)
		return ch_error_setc(CH_EINVALID, "%s: larger than the limit of %zu bytes", file, max);
	if (!ch_utf8_valid(data, len))
		return ch_error_setc(CH_EINVALID, "%s: not valid UTF-8", file);
	*out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out)
		return ch_error_setc(CH_EINVALID, "%s: line %d column %d: %s", file, jerr.line,
		                     jerr.column, jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ch_error_setc(CH_EINVALID, "%s: expected a JSON object", file);
	}
	return 0;
}

static const char *sep(const char *path)
{
	return path[0] ? "." : "";
}

int ch_json_only_keys(const json_t *obj, const char *const *allowed, const char *file,
                      const char *path)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		(void)v;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], key))
				break;
		if (!allowed[i])
			return ch_error_setc(CH_EINVALID, "%s: %s%s%s: unknown field", file, path,
			                     sep(path), key);
	}
	return 0;
}

int ch_json_str(const char **out, const json_t *obj, const char *key, int required,
                ch_validator valid, const char *file, const char *path)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v) {
		if (required)
			return ch_error_setc(CH_EINVALID, "%s: %s%s%s: missing", file, path, sep(path), key);
		return CH_ENOTFOUND;
	}
	if (!json_is_string(v) || !json_string_length(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return ch_error_setc(CH_EINVALID, "%s: %s%s%s: expected a non-empty string", file,
		                     path, sep(path), key);
	if (valid && !valid(json_string_value(v)))
		return ch_error_setc(CH_EINVALID, "%s: %s%s%s: '%.64s' is not well formed", file, path,
		                     sep(path), key, json_string_value(v));
	*out = json_string_value(v);
	return 0;
}

int ch_json_strv(ch_strv *out, const json_t *obj, const char *key, int required, size_t max,
                 ch_validator valid, const char *file, const char *path)
{
	json_t *v = json_object_get(obj, key), *e;
	size_t i;

	if (!v) {
		if (required)
			return ch_error_setc(CH_EINVALID, "%s: %s%s%s: missing", file, path, sep(path), key);
		return CH_ENOTFOUND;
	}
	if (!json_is_array(v) || json_array_size(v) > max)
		return ch_error_setc(CH_EINVALID, "%s: %s%s%s: expected an array of at most %zu names",
		                     file, path, sep(path), key, max);
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);

		if (!s || (valid && !valid(s)) || strlen(s) != json_string_length(e))
			return ch_error_setc(CH_EINVALID, "%s: %s%s%s[%zu]: not a well-formed name",
			                     file, path, sep(path), key, i);
		if (ch_strv_contains(out, s))
			return ch_error_setc(CH_EINVALID, "%s: %s%s%s[%zu]: '%s' is listed twice",
			                     file, path, sep(path), key, i, s);
		ch_strv_push(out, s);
	}
	return 0;
}

int ch_json_int(long *out, const json_t *obj, const char *key, int required, long def,
                long min, long max, const char *file, const char *path)
{
	json_t *v = json_object_get(obj, key);

	*out = def;
	if (!v) {
		if (required)
			return ch_error_setc(CH_EINVALID, "%s: %s%s%s: missing", file, path, sep(path), key);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return ch_error_setc(CH_EINVALID, "%s: %s%s%s: expected an integer from %ld to %ld",
		                     file, path, sep(path), key, min, max);
	*out = (long)json_integer_value(v);
	return 0;
}

int ch_json_bool(int *out, const json_t *obj, const char *key, int def, const char *file,
                 const char *path)
{
	json_t *v = json_object_get(obj, key);

	*out = def;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return ch_error_setc(CH_EINVALID, "%s: %s%s%s: expected true or false", file, path,
		                     sep(path), key);
	*out = json_is_true(v);
	return 0;
}

char *ch_json_dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	ch_buf b = CH_BUF_INIT;

	if (!s)
		abort();
	ch_buf_puts(&b, s);
	ch_buf_putc(&b, '\n');
	free(s);
	return ch_buf_detach(&b);
}
