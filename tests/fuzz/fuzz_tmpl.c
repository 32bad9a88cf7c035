/* fuzz_tmpl.c -- libFuzzer target for the template engine (templates/tmpl.c).
 *
 * Input layout: the template text, a 0x00 byte, then JSON data. The data is
 * used if it parses as an object, else {}; the data part's raw bytes are
 * added to it as "bytes" (not necessarily UTF-8, possibly with NULs), so
 * the fuzzer also reaches the UTF-8 repair. The set also holds a fixed
 * partial "p"; {{> t}} recurses into the template itself.
 *
 * Beyond crashes, leaks and UB, it aborts when:
 *   - a failed parse or render leaves no message naming the template;
 *   - output is not valid UTF-8, or holds a NUL byte;
 *   - output holds "<script" (any case) though the template text does not:
 *     escaping must never let data spell it (values of keys ending in
 *     "_html", which {{{...}}} prints raw, are replaced by fixed HTML first);
 *   - rendering the same data with every < > " ' in its strings replaced by
 *     "z" gives output with a different count of those characters: every one
 *     of them must come from the template, none from data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include <jansson.h>

#include "templates/tmpl.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SAFE_HTML "<b>fixed</b>"

static const char partial[] = "<p class=\"{{class}}\">{{.}}{{#items}}<i>{{.}}</i>{{/items}}</p>";

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

/* Values under "*_html" keys become SAFE_HTML, recursively. */
static void neutralize(json_t *v)
{
	const char *key;
	json_t *member;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, member)
			neutralize(member);
		return;
	}
	json_object_foreach(v, key, member) {
		if (has_suffix(key, "_html"))
			json_object_set_new_nocheck(v, key, json_string(SAFE_HTML));
		else
			neutralize(member);
	}
}

static int markup_char(char c)
{
	return c == '<' || c == '>' || c == '"' || c == '\'';
}

/* A copy of v with < > " ' replaced by 'z' in every string, except under
 * "*_html" keys. */
static json_t *defanged(const json_t *v)
{
	json_t *copy, *member;
	const char *key;
	size_t i;

	if (json_is_string(v)) {
		char *s = malloc(json_string_length(v) + 1);

		if (!s)
			abort();
		memcpy(s, json_string_value(v), json_string_length(v) + 1);
		for (i = 0; i < json_string_length(v); i++)
			if (markup_char(s[i]))
				s[i] = 'z';
		copy = json_stringn_nocheck(s, json_string_length(v));
		free(s);
		return copy;
	}
	if (json_is_array(v)) {
		copy = json_array();
		json_array_foreach(v, i, member)
			json_array_append_new(copy, defanged(member));
		return copy;
	}
	if (json_is_object(v)) {
		copy = json_object();
		json_object_foreach((json_t *)v, key, member)
			json_object_set_new_nocheck(copy, key, has_suffix(key, "_html") ?
			                            json_deep_copy(member) : defanged(member));
		return copy;
	}
	return json_deep_copy(v);
}

static size_t count_markup(const ch_buf *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->size; i++)
		n += markup_char(b->ptr[i]);
	return n;
}

static int contains_ci(const char *s, size_t n, const char *lit)
{
	size_t m = strlen(lit), i, j;

	for (i = 0; i + m <= n; i++) {
		for (j = 0; j < m; j++) {
			char c = s[i + j];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != lit[j])
				break;
		}
		if (j == m)
			return 1;
	}
	return 0;
}

static void check_error(void)
{
	if (!strstr(ch_error_last(), "template \""))
		abort();
}

static void check_output(const ch_buf *out, const char *tmpl, size_t tlen)
{
	if (u8_check((const uint8_t *)out->ptr, out->size) || memchr(out->ptr, '\0', out->size))
		abort();
	if (contains_ci(out->ptr, out->size, "<script") && !contains_ci(tmpl, tlen, "<script"))
		abort();
}

static json_t *load_data(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, JSON_ALLOW_NUL, NULL);

	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	json_object_set_new(root, "bytes", json_stringn_nocheck((const char *)data, size));
	neutralize(root);
	return root;
}

static void render_both(const ch_tmpl_set *s, json_t *root, const char *tmpl, size_t tlen)
{
	ch_buf out = CH_BUF_INIT, out2 = CH_BUF_INIT;
	json_t *root2 = defanged(root);
	int e1, e2;

	e1 = ch_tmpl_render(&out, s, "t", root);
	if (e1 < 0)
		check_error();
	else
		check_output(&out, tmpl, tlen);
	e2 = ch_tmpl_render(&out2, s, "t", root2);
	if (e2 < 0)
		check_error();
	else
		check_output(&out2, tmpl, tlen);
	if (e1 == 0 && e2 == 0 && count_markup(&out) != count_markup(&out2))
		abort();
	ch_buf_dispose(&out);
	ch_buf_dispose(&out2);
	json_decref(root2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	const char *tmpl = (const char *)data;
	ch_tmpl_set *s = NULL;
	json_t *root;

	if (ch_tmpl_set_new(&s) < 0 || ch_tmpl_set_add(s, "p", partial, strlen(partial)) < 0)
		abort();
	if (ch_tmpl_set_add(s, "t", tmpl, tlen) < 0) {
		check_error();
		ch_tmpl_set_free(s);
		return 0;
	}
	if (nul)
		root = load_data(nul + 1, size - tlen - 1);
	else
		root = load_data((const uint8_t *)"", 0);
	render_both(s, root, tmpl, tlen);
	json_decref(root);
	ch_tmpl_set_free(s);
	return 0;
}
