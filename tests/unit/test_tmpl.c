/* test_tmpl.c -- the HTML template engine (templates/tmpl.c): escaping by
 * context, refused contexts, sections, partials, limits, UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "templates/tmpl.h"
#include "util/common.h"

/* ---- helpers -------------------------------------------------------------- */

static json_t *load(const char *json)
{
	json_error_t jerr;
	json_t *v = json_loads(json, 0, &jerr);

	if (!v)
		fail_msg("bad test JSON %s: %s", json, jerr.text);
	return v;
}

static ch_tmpl_set *set_of(const char *tmpl)
{
	ch_tmpl_set *s;

	assert_int_equal(ch_tmpl_set_new(&s), 0);
	if (ch_tmpl_set_add(s, "t", tmpl, strlen(tmpl)) < 0)
		fail_msg("parse failed: %s", ch_error_last());
	return s;
}

/* Render `tmpl` against `data`; the result is the caller's. */
static char *render_data(const char *tmpl, const json_t *data)
{
	ch_tmpl_set *s = set_of(tmpl);
	ch_buf out = CH_BUF_INIT;

	if (ch_tmpl_render(&out, s, "t", data) < 0)
		fail_msg("render failed: %s", ch_error_last());
	ch_tmpl_set_free(s);
	return ch_buf_detach(&out);
}

static void expect_json(const char *tmpl, const json_t *data, const char *want)
{
	char *got = render_data(tmpl, data);

	if (strcmp(got, want))
		fail_msg("template %s\n  want: %s\n  got:  %s", tmpl, want, got);
	free(got);
}

static void expect_render(const char *tmpl, const char *json, const char *want)
{
	json_t *data = load(json);

	expect_json(tmpl, data, want);
	json_decref(data);
}

/* `tmpl` with {"v": value} (value as given, any bytes). */
static void expect_str(const char *tmpl, const char *value, size_t len, const char *want)
{
	json_t *data = json_object();

	json_object_set_new(data, "v", json_stringn_nocheck(value, len));
	expect_json(tmpl, data, want);
	json_decref(data);
}

/* Parsing `tmpl` fails at line:col with a message containing `what`. */
static void expect_parse_error(const char *tmpl, int line, int col, const char *what)
{
	char where[64];
	ch_tmpl_set *s;
	int error;

	assert_int_equal(ch_tmpl_set_new(&s), 0);
	error = ch_tmpl_set_add(s, "t", tmpl, strlen(tmpl));
	if (error != CH_EINVALID)
		fail_msg("template %s: want CH_EINVALID, got %d", tmpl, error);
	snprintf(where, sizeof(where), "line %d, column %d:", line, col);
	if (!strstr(ch_error_last(), "template \"t\"") || !strstr(ch_error_last(), where) ||
	    !strstr(ch_error_last(), what))
		fail_msg("template %s\n  want: %s %s\n  got:  %s", tmpl, where, what,
		         ch_error_last());
	ch_tmpl_set_free(s);
}

/* ---- escaping ------------------------------------------------------------- */

static void test_text_escaping(void **state)
{
	(void)state;
	expect_render("<p>{{x}}</p>", "{\"x\": \"<script>alert(1)</script>\"}",
	       "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	expect_render("<p>{{x}}</p>", "{\"x\": \"\\\"a\\\" & 'b' `c`\"}",
	       "<p>&quot;a&quot; &amp; &#39;b&#39; `c`</p>");
	expect_render("{{x}}", "{\"x\": \"&amp; stays escaped\"}", "&amp;amp; stays escaped");
	expect_render("<p>{{ x }}</p>", "{\"x\": \"spaces in tags\"}", "<p>spaces in tags</p>");
}

static void test_attribute_escaping(void **state)
{
	(void)state;
	expect_render("<input value=\"{{x}}\">", "{\"x\": \"\\\"><img src=x onerror=alert(1)>\"}",
	       "<input value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">");
	expect_render("<a title='{{x}}'>", "{\"x\": \"' onmouseover='alert(1)' `\"}",
	       "<a title='&#39; onmouseover=&#39;alert(1)&#39; &#96;'>");
	expect_render("<a title=\"{{a}} and {{b}}\" class=\"c-{{b}}\">", "{\"a\": \"x&y\", \"b\": 2}",
	       "<a title=\"x&amp;y and 2\" class=\"c-2\">");
	/* data-* and long custom attributes are plain */
	expect_render("<div data-id=\"{{x}}\" aria-label=\"{{x}}\">", "{\"x\": \"a<b\"}",
	       "<div data-id=\"a&lt;b\" aria-label=\"a&lt;b\">");
}

static void test_url_attributes(void **state)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
		{ "javascript:alert(1)", "#" },
		{ "JaVaScRiPt:alert(1)", "#" },
		{ " javascript:alert(1)", "#" },
		{ "\x01\x02javascript:alert(1)", "#" },
		{ "\t\njavascript:alert(1)", "#" },
		{ "java\tscript:alert(1)", "#" },
		{ "vbscript:msgbox(1)", "#" },
		{ "data:text/html;base64,PHNjcmlwdD4=", "#" },
		{ "DATA:text/html,x", "#" },
		{ "//evil.example", "#" },
		{ "/\\evil.example", "#" },
		{ "/\t/evil.example", "#" },
		{ "\\\\evil.example", "#" },
		{ "relative/path", "#" },
		{ "", "#" },
		{ "/docs/x?a=1&b=2", "/docs/x?a=1&amp;b=2" },
		{ "/", "/" },
		{ "https://x", "https://x" },
		{ "HTTPS://x.example/p", "HTTPS://x.example/p" },
		{ "http://x", "http://x" },
		{ " https://x", " https://x" },
		{ "mailto:a@b.example", "mailto:a@b.example" },
		{ "?q=1&r=2", "?q=1&amp;r=2" },
		{ "#top", "#top" },
		{ "https://x/\"onmouseover=\"alert(1)", "https://x/&quot;onmouseover=&quot;alert(1)" },
	};
	char want[256];
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(cases); i++) {
		snprintf(want, sizeof(want), "<a href=\"%s\">", cases[i].want);
		expect_str("<a href=\"{{v}}\">", cases[i].value, strlen(cases[i].value), want);
	}
	/* a NUL we drop must not join "/" and "/" */
	expect_str("<a href=\"{{v}}\">", "/\0/evil.example", 15, "<a href=\"#\">");
	expect_render("<a href=\"{{v}}\">", "{}", "<a href=\"#\">");
	expect_render("<a href=\"{{v}}\">", "{\"v\": 5}", "<a href=\"#\">");
	/* every URL attribute, and names that look like one */
	expect_render("<img src=\"{{v}}\"><form action='{{v}}'><button formaction=\"{{v}}\">"
	       "<video poster=\"{{v}}\"><img srcset=\"{{v}}\"><div data-url=\"{{v}}\">"
	       "<a xlink:href=\"{{v}}\"><object data=\"{{v}}\"></object>",
	       "{\"v\": \"javascript:x\"}",
	       "<img src=\"#\"><form action='#'><button formaction=\"#\">"
	       "<video poster=\"#\"><img srcset=\"#\"><div data-url=\"#\">"
	       "<a xlink:href=\"#\"><object data=\"#\"></object>");
	/* after a literal prefix that fixes scheme and host: only escaped */
	expect_render("<a href=\"/docs/{{id}}\">", "{\"id\": \"javascript:alert(1)\"}",
	       "<a href=\"/docs/javascript:alert(1)\">");
	expect_render("<a href=\"mailto:{{e}}\">", "{\"e\": \"a@b.example?subject=x&y\"}",
	       "<a href=\"mailto:a@b.example?subject=x&amp;y\">");
	expect_render("<a href=\"?page={{n}}&amp;q={{q}}\">", "{\"n\": 2, \"q\": \"<x>\"}",
	       "<a href=\"?page=2&amp;q=&lt;x&gt;\">");
	expect_render("<a href=\"{{u}}?page={{n}}\">", "{\"u\": \"javascript:x\", \"n\": \"//e\"}",
	       "<a href=\"#?page=//e\">");
	expect_render("<a href=\"#{{id}}\">", "{\"id\": \"sec-2\"}", "<a href=\"#sec-2\">");
}

static void test_rcdata_and_text_elements(void **state)
{
	(void)state;
	expect_render("<title>{{t}}</title><textarea name=\"b\">{{b}}</textarea>",
	       "{\"t\": \"</title><script>x</script>\", \"b\": \"</textarea>&\"}",
	       "<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>"
	       "<textarea name=\"b\">&lt;/textarea&gt;&amp;</textarea>");
	/* a script with no values, then text again */
	expect_render("<script src=\"/app.js\"></script><p>{{x}}</p>", "{\"x\": \"<b>\"}",
	       "<script src=\"/app.js\"></script><p>&lt;b&gt;</p>");
	expect_render("<!-- note --><p>{{x}}</p><!DOCTYPE html>", "{\"x\": 1}",
	       "<!-- note --><p>1</p><!DOCTYPE html>");
}

/* ---- refused contexts ------------------------------------------------------ */

static void test_refused_contexts(void **state)
{
	static const struct {
		const char *tmpl;
		int line, col;
		const char *what;
	} cases[] = {
		{ "<a onclick=\"{{x}}\">", 1, 13, "event-handler attribute" },
		{ "<a ONMOUSEOVER='{{x}}'>", 1, 17, "event-handler attribute" },
		{ "<p style=\"{{x}}\">", 1, 11, "style attribute" },
		{ "<script>{{x}}</script>", 1, 9, "inside <script>" },
		{ "<script>\nvar a = 1;\n  {{x}}</script>", 3, 3, "inside <script>" },
		{ "<style>p { color: {{c}} }</style>", 1, 19, "inside <style>" },
		{ "<p><!-- {{x}} --></p>", 1, 9, "HTML comment" },
		{ "<a href={{x}}>", 1, 9, "unquoted attribute value" },
		{ "<a title=x{{x}}>", 1, 11, "unquoted attribute value" },
		{ "<{{x}}>", 1, 2, "tag name" },
		{ "<h{{x}}>", 1, 3, "tag name" },
		{ "</{{x}}>", 1, 3, "tag name" },
		{ "<a {{x}}=\"1\">", 1, 4, "attribute name" },
		{ "<a {{x}}>", 1, 4, "attribute name" },
		{ "<a t{{x}}>", 1, 5, "attribute name" },
		{ "<script src=\"{{x}}\"></script>", 1, 14, "<script> tag" },
		{ "<base href=\"{{x}}\">", 1, 13, "<base> tag" },
		{ "<iframe srcdoc=\"{{x}}\"></iframe>", 1, 17, "srcdoc" },
		{ "<iframe>{{x}}</iframe>", 1, 9, "inside <iframe>" },
		{ "<noscript>{{x}}</noscript>", 1, 11, "inside <noscript>" },
		{ "<svg><a href=\"{{x}}\"></a></svg>", 1, 15, "inside <svg> or <math>" },
		{ "<math><mi>{{x}}</mi></math>", 1, 11, "inside <svg> or <math>" },
		{ "<title>a < {{x}}</title>", 1, 12, "after \"<\"" },
		{ "<a href=\"/{{x}}\">", 1, 11, "URL attribute" },
		{ "<a href=\"java{{x}}\">", 1, 14, "URL attribute" },
		{ "<a href=\"{{a}}{{b}}\">", 1, 15, "URL attribute" },
		{ "<a href=\"{{a}}/{{b}}\">", 1, 16, "URL attribute" },
		{ "<a href=\"&#47;{{a}}\">", 1, 15, "URL attribute" },
		{ "<p title=\"{{{x_html}}}\">", 1, 11, "in this attribute value" },
		{ "<p>{{{body}}}</p>", 1, 4, "names ending in \"_html\"" },
		{ "<title>{{{t_html}}}</title>", 1, 8, "inside <title>" },
		{ "<a title=\"{{> p}}\">", 1, 11, "in this attribute value" },
		{ "<svg>{{> icon}}</svg>", 1, 6, "inside <svg> or <math>" },
		{ "<a href=\"{{#x}}/a{{/x}}\">", 1, 10, "URL attribute value" },
		{ "{{#a}}<a title=\"{{/a}}\">", 1, 17, "began in text" },
		{ "<p {{#c}}x{{/c}}=\"1\">", 1, 17, "\"=\" may not follow" },
		{ "<script><!--\n</script>", 1, 12, "<!--" },
		{ "<p title=\"a", 1, 12, "template ends in this attribute value" },
		{ "<p title=\"a\"", 1, 13, "template ends inside a tag" },
		{ "<p><!-- x", 1, 10, "template ends in an HTML comment" },
		{ "<svg><path/>", 1, 13, "template ends inside <svg>" },
		{ "<plaintext>x", 1, 13, "inside <plaintext>" },
		{ "<title><scr{{!x}}ipt</title>", 1, 12, "could complete \"<script\"" },
		{ "<p title=\"<{{x}}\">", 1, 12, "could complete \"<script\"" },
		{ "<scr{{! x }}ipt>", 1, 5, "could complete \"<script\"" },
		{ "<button{{^ok}} disabled{{/ok}}>", 1, 8, "tag name" },
		{ "{{&x}}", 1, 1, "not supported" },
		{ "{{=<% %>=}}", 1, 1, "not supported" },
		{ "<p>\n  Nghị quyết {{x}</p>", 2, 17, "unexpected \"}\" in tag" },
		{ "{{x", 1, 1, "not closed" },
		{ "{{! x }", 1, 1, "not closed" },
		{ "{{{x_html}}", 1, 10, "must end with }}}" },
		{ "{{}}", 1, 1, "no name" },
		{ "{{a..b}}", 1, 3, "malformed name" },
		{ "{{.a}}", 1, 3, "malformed name" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(cases); i++)
		expect_parse_error(cases[i].tmpl, cases[i].line, cases[i].col, cases[i].what);
}

/* ---- sections, lookup, partials ------------------------------------------- */

static void test_sections(void **state)
{
	const char *tmpl = "[{{#s}}yes{{/s}}]";

	(void)state;
	expect_render("<ul>{{#items}}<li>{{name}}</li>{{/items}}</ul>",
	       "{\"items\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}]}",
	       "<ul><li>a</li><li>&lt;b&gt;</li></ul>");
	expect_render("{{#items}}{{.}},{{/items}}", "{\"items\": [1, \"two\", 3.5, true, null]}",
	       "1,two,3.5,,,");
	expect_render("{{#o}}{{a}}-{{b}}{{/o}}", "{\"o\": {\"a\": 1, \"b\": 2}}", "1-2");
	expect_render("{{#o}}empty object renders{{/o}}", "{\"o\": {}}", "empty object renders");
	expect_render(tmpl, "{\"s\": true}", "[yes]");
	expect_render(tmpl, "{\"s\": \"x\"}", "[yes]");
	expect_render(tmpl, "{\"s\": 7}", "[yes]");
	expect_render(tmpl, "{\"s\": 0.5}", "[yes]");
	expect_render(tmpl, "{\"s\": false}", "[]");
	expect_render(tmpl, "{\"s\": null}", "[]");
	expect_render(tmpl, "{}", "[]");
	expect_render(tmpl, "{\"s\": []}", "[]");
	expect_render(tmpl, "{\"s\": \"\"}", "[]");
	expect_render(tmpl, "{\"s\": 0}", "[]");
	expect_render(tmpl, "{\"s\": 0.0}", "[]");
	/* booleans and null print nothing */
	expect_render("[{{t}}{{f}}{{n}}{{o}}{{a}}]", "{\"t\": true, \"f\": false, \"n\": null, "
	       "\"o\": {\"x\": 1}, \"a\": [1]}", "[]");
}

static void test_inverted_sections(void **state)
{
	const char *tmpl = "{{^s}}none{{/s}}";

	(void)state;
	expect_render(tmpl, "{}", "none");
	expect_render(tmpl, "{\"s\": []}", "none");
	expect_render(tmpl, "{\"s\": false}", "none");
	expect_render(tmpl, "{\"s\": \"\"}", "none");
	expect_render(tmpl, "{\"s\": 0}", "none");
	expect_render(tmpl, "{\"s\": [1]}", "");
	expect_render(tmpl, "{\"s\": {}}", "");
	expect_render(tmpl, "{\"s\": \"x\"}", "");
	expect_render("{{#docs}}<li>{{title}}</li>{{/docs}}{{^docs}}<p>No documents</p>{{/docs}}",
	       "{\"docs\": []}", "<p>No documents</p>");
}

static void test_nested_context(void **state)
{
	(void)state;
	/* inner shadows outer; names missing inside fall back outward */
	expect_render("{{name}}:{{#doc}}{{name}}/{{site}}{{#signers}}[{{name}}@{{site}}]{{/signers}}"
	       "{{/doc}}:{{name}}",
	       "{\"name\": \"root\", \"site\": \"hq\", \"doc\": {\"name\": \"d1\", "
	       "\"signers\": [{\"name\": \"an\"}, {\"name\": \"binh\", \"site\": \"tokyo\"}]}}",
	       "root:d1/hq[an@hq][binh@tokyo]:root");
	/* dotted names: the first part through the stack, the rest strictly */
	expect_render("{{a.b.c}}|{{#x}}{{a.b.c}}{{/x}}|{{a.z}}",
	       "{\"a\": {\"b\": {\"c\": \"deep\"}}, \"x\": {\"a\": {\"q\": 1}}}",
	       "deep||");
	expect_render("{{#list}}{{#.}}{{.}}{{/.}};{{/list}}", "{\"list\": [[1, 2], [], [3]]}",
	       "12;;3;");
	expect_render("{{#a}}{{#b}}{{#c}}{{x}}{{y}}{{z}}{{/c}}{{/b}}{{/a}}",
	       "{\"x\": 1, \"a\": {\"y\": 2, \"b\": {\"z\": 3, \"c\": true}}}", "123");
	expect_render("{{#s}}{{.}}{{/s}}", "{\"s\": \"str\"}", "str");
	expect_render("{{.}}", "{\"a\": 1}", "");
}

static void test_checked_attributes(void **state)
{
	const char *tmpl = "<input type=\"checkbox\"{{#on}} checked{{/on}}>"
	                   "<option {{#sel}}selected{{/sel}} value=\"{{v}}\">";

	(void)state;
	expect_render(tmpl, "{\"on\": true, \"sel\": true, \"v\": 1}",
	       "<input type=\"checkbox\" checked ><option selected  value=\"1\">");
	expect_render(tmpl, "{\"v\": 1}", "<input type=\"checkbox\"><option  value=\"1\">");
	expect_render("<a class=\"btn{{#active}} active{{/active}}\">", "{\"active\": 1}",
	       "<a class=\"btn active\">");
}

static ch_tmpl_set *set_add_all(const char *const *pairs)
{
	ch_tmpl_set *s;

	assert_int_equal(ch_tmpl_set_new(&s), 0);
	for (; *pairs; pairs += 2)
		if (ch_tmpl_set_add(s, pairs[0], pairs[1], strlen(pairs[1])) < 0)
			fail_msg("%s", ch_error_last());
	return s;
}

static void test_partials(void **state)
{
	static const char *const tmpls[] = {
		"page", "<main>{{> doc/row}}{{#docs}}{{> doc/row}}{{/docs}}</main>",
		"doc/row", "<p>{{title}} ({{site}})</p>",
		"loop", "{{#n}}{{> loop}}{{/n}}",
		"missing", "<p>{{> nowhere}}</p>",
		NULL
	};
	ch_tmpl_set *s = set_add_all(tmpls);
	json_t *data = load("{\"title\": \"top\", \"site\": \"hq\", "
	                    "\"docs\": [{\"title\": \"a\"}, {\"title\": \"<b>\", \"site\": \"t\"}]}");
	ch_buf out = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_tmpl_render(&out, s, "page", data), 0);
	assert_string_equal(out.ptr, "<main><p>top (hq)</p><p>a (hq)</p>"
	                             "<p>&lt;b&gt; (t)</p></main>");
	json_decref(data);
	/* recursion is cut off, and the output is left as it was */
	data = load("{\"n\": true}");
	ch_buf_clear(&out);
	ch_buf_puts(&out, "before");
	assert_int_equal(ch_tmpl_render(&out, s, "loop", data), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "partials nested deeper than 16"));
	assert_non_null(strstr(ch_error_last(), "template \"loop\", line 1, column"));
	assert_string_equal(out.ptr, "before");
	assert_int_equal(ch_tmpl_render(&out, s, "missing", data), CH_ENOTFOUND);
	assert_non_null(strstr(ch_error_last(), "partial \"nowhere\" is not in the set"));
	assert_int_equal(ch_tmpl_render(&out, s, "nope", data), CH_ENOTFOUND);
	assert_int_equal(ch_tmpl_set_add(s, "page", "x", 1), CH_ECONFLICT);
	assert_int_equal(ch_tmpl_set_add(s, "bad name", "x", 1), CH_EINVALID);
	assert_int_equal(ch_tmpl_set_add(s, "", "x", 1), CH_EINVALID);
	ch_buf_dispose(&out);
	json_decref(data);
	ch_tmpl_set_free(s);
}

static void test_raw_html(void **state)
{
	(void)state;
	expect_render("<div>{{{body_html}}}</div>{{body_html}}",
	       "{\"body_html\": \"<p>Nghị quyết <em>số 292</em></p>\"}",
	       "<div><p>Nghị quyết <em>số 292</em></p></div>"
	       "&lt;p&gt;Nghị quyết &lt;em&gt;số 292&lt;/em&gt;&lt;/p&gt;");
	expect_render("{{#doc}}{{{ doc.summary_html }}}|{{{summary_html}}}{{/doc}}",
	       "{\"doc\": {\"summary_html\": \"<b>s</b>\"}}", "<b>s</b>|<b>s</b>");
	/* raw values are still made valid UTF-8 without NULs */
	{
		json_t *data = json_object();

		json_object_set_new(data, "x_html", json_stringn_nocheck("<i>\xff\0</i>", 9));
		expect_json("{{{x_html}}}", data, "<i>\xef\xbf\xbd</i>");
		json_decref(data);
	}
}

static void test_comments(void **state)
{
	(void)state;
	expect_render("a{{! a comment }}b{{!\n multi {{ line\n}}c", "{}", "abc");
	expect_render("<p class=\"x\"{{! why }} id=\"{{id}}\">", "{\"id\": 3}", "<p class=\"x\" id=\"3\">");
}

static void test_section_errors(void **state)
{
	char deep[1024];
	size_t n = 0;
	int i;

	(void)state;
	expect_parse_error("<p>\n{{#a}}x", 2, 4, "section a is never closed");
	expect_parse_error("{{#a}}{{#b}}{{/a}}{{/b}}", 1, 13,
	                   "{{/a}} does not close {{#b}} (line 1, column 10)");
	expect_parse_error("x{{/a}}", 1, 2, "{{/a}} closes no section");
	expect_parse_error("{{^a}}{{/b}}", 1, 7, "does not close {{^a}}");
	for (i = 0; i < CH_TMPL_MAX_NESTING + 1; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{#s%d}}", i);
	expect_parse_error(deep, 1, 1 + (int)n - 8, "nested deeper than 32");
}

static void test_template_errors(void **state)
{
	ch_tmpl_set *s;
	char *big;
	char name[CH_TMPL_MAX_NAME + 2];

	(void)state;
	expect_parse_error("ok\n\xc3(", 2, 1, "not valid UTF-8");
	assert_int_equal(ch_tmpl_set_new(&s), 0);
	assert_int_equal(ch_tmpl_set_add(s, "nul", "a\0b", 3), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "line 1, column 2: NUL byte"));
	big = calloc(1, CH_TMPL_MAX_SIZE + 2);
	assert_non_null(big);
	memset(big, 'x', CH_TMPL_MAX_SIZE + 1);
	assert_int_equal(ch_tmpl_set_add(s, "big", big, CH_TMPL_MAX_SIZE + 1), CH_EINVALID);
	assert_int_equal(ch_tmpl_set_add(s, "big", big, CH_TMPL_MAX_SIZE), 0);
	free(big);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(ch_tmpl_set_add(s, name, "x", 1), CH_EINVALID);
	ch_tmpl_set_free(s);
	{
		char tag[CH_TMPL_MAX_NAME + 8];

		memset(tag, 'a', sizeof(tag));
		memcpy(tag, "{{", 2);
		memcpy(tag + sizeof(tag) - 3, "}}", 3);
		expect_parse_error(tag, 1, 3, "longer than 128 bytes");
	}
}

/* ---- data: UTF-8, numbers, limits ---------------------------------------- */

static void test_invalid_utf8_in_data(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "a\xff" "b", 3, "a\xef\xbf\xbd" "b" },
		{ "a\xc3", 2, "a\xef\xbf\xbd" },               /* truncated */
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },  /* overlong "/" */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", 4,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
		{ "\xe2\x82" "x", 3, "\xef\xbf\xbd" "x" },      /* maximal subpart: one U+FFFD */
		{ "n\0u\0l", 5, "nul" },
		{ "ok \xe2\x82\xac \xf0\x9f\x93\x9c", 11, "ok \xe2\x82\xac \xf0\x9f\x93\x9c" },
	};
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < CH_ARRAY_SIZE(cases); i++) {
		expect_str("{{v}}", cases[i].in, cases[i].len, cases[i].want);
		snprintf(want, sizeof(want), "<p title=\"%s\">", cases[i].want);
		expect_str("<p title=\"{{v}}\">", cases[i].in, cases[i].len, want);
	}
	expect_str("<a href=\"{{v}}\">", "/a\xff", 3, "<a href=\"/a\xef\xbf\xbd\">");
}

static void test_vietnamese(void **state)
{
	const char *text = "Nghị quyết 292/NQ-CP về việc phê duyệt Điều ước quốc tế";
	json_t *data = json_pack("{s:s}", "t", text);
	char want[256];

	(void)state;
	snprintf(want, sizeof(want), "<h1 title=\"%s\">Văn bản: %s</h1>", text, text);
	expect_json("<h1 title=\"{{t}}\">Văn bản: {{t}}</h1>", data, want);
	json_decref(data);
	expect_render("<p>Số: {{so}}/{{nam}}/NĐ-CP</p>", "{\"so\": 30, \"nam\": 2020}",
	       "<p>Số: 30/2020/NĐ-CP</p>");
}

static void test_numbers(void **state)
{
	(void)state;
	expect_render("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}}",
	       "{\"a\": -42, \"b\": 9007199254740993, \"c\": 3.5, \"d\": 0.1, \"e\": 1e300, "
	       "\"f\": -0.0}",
	       "-42 9007199254740993 3.5 0.1 1e+300 -0");
}

static void test_output_limit(void **state)
{
	size_t mib = 1024 * 1024, i;
	char *chunk = malloc(mib);
	json_t *data = json_object(), *arr = json_array();
	ch_tmpl_set *s = set_of("{{#a}}{{s}}{{/a}}");
	ch_buf out = CH_BUF_INIT;

	(void)state;
	assert_non_null(chunk);
	memset(chunk, 'x', mib);
	json_object_set_new(data, "s", json_stringn(chunk, mib));
	for (i = 0; i < 17; i++)
		json_array_append_new(arr, json_true());
	json_object_set_new(data, "a", arr);
	ch_buf_puts(&out, "kept");
	assert_int_equal(ch_tmpl_render(&out, s, "t", data), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "output larger than"));
	assert_string_equal(out.ptr, "kept");
	/* 16 MiB exactly is allowed */
	json_array_remove(arr, 16);
	assert_int_equal(ch_tmpl_render(&out, s, "t", data), 0);
	assert_int_equal(out.size, 4 + 16 * mib);
	ch_buf_dispose(&out);
	/* escaping counts: 4 MiB of "<" is 16 MiB of "&lt;", and one more byte is too much */
	memset(chunk, '<', mib);
	json_object_set_new(data, "s", json_stringn(chunk, mib));
	json_array_clear(arr);
	for (i = 0; i < 4; i++)
		json_array_append_new(arr, json_true());
	assert_int_equal(ch_tmpl_render(&out, s, "t", data), 0);
	ch_buf_clear(&out);
	json_array_append_new(arr, json_true());
	assert_int_equal(ch_tmpl_render(&out, s, "t", data), CH_EINVALID);
	assert_int_equal(out.size, 0);
	ch_buf_dispose(&out);
	json_decref(data);
	ch_tmpl_set_free(s);
	free(chunk);
}

static void test_step_limit(void **state)
{
	/* 10^8 empty iterations: refused long before, output or not */
	ch_tmpl_set *s = set_of("{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
	                        "{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}");
	json_t *data = load("{\"a\": [1,2,3,4,5,6,7,8,9,10]}");
	ch_buf out = CH_BUF_INIT;

	(void)state;
	assert_int_equal(ch_tmpl_render(&out, s, "t", data), CH_EINVALID);
	assert_non_null(strstr(ch_error_last(), "steps"));
	ch_buf_dispose(&out);
	json_decref(data);
	ch_tmpl_set_free(s);
}

/* CPU time, not wall time: a loaded machine must not fail a speed check */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A document page: header partial, metadata, 40 history entries, body. */
static void test_render_speed(void **state)
{
	static const char *const tmpls[] = {
		"head", "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
		        "<title>{{doc.title}} — Chancery</title>"
		        "<link rel=\"stylesheet\" href=\"/static/app.css\"></head>",
		"doc", "{{> head}}<body><nav><a href=\"/\">Chancery</a> {{#user}}<span>{{name}}"
		       "</span>{{/user}}</nav><main>{{#doc}}<h1>{{title}}</h1>"
		       "<dl><dt>Số</dt><dd>{{number}}</dd><dt>Trạng thái</dt><dd class=\"state-{{state}}\">"
		       "{{state}}</dd></dl><article>{{{body_html}}}</article><table>"
		       "{{#history}}<tr><td>{{when}}</td><td><a href=\"/people/{{who}}\">{{who}}</a></td>"
		       "<td>{{action}}</td><td title=\"{{commit}}\">{{#signed}}✓{{/signed}}"
		       "{{^signed}}–{{/signed}}</td></tr>{{/history}}</table>"
		       "<form method=\"post\" action=\"/docs/{{id}}/approve\">"
		       "<input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">"
		       "<button {{^can_approve}}disabled{{/can_approve}}>Phê duyệt</button></form>"
		       "{{/doc}}</main></body></html>",
		NULL
	};
	ch_tmpl_set *s = set_add_all(tmpls);
	json_t *data = load("{\"user\": {\"name\": \"Nguyễn Văn An\"}, \"csrf\": \"abc123\"}");
	json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "id", "qd-2024-017", "title",
	                        "Quyết định về việc cử cán bộ đi công tác", "number",
	                        "17/QĐ-BNG", "state", "review", "body_html",
	                        "<p>Căn cứ Nghị định số 30/2020/NĐ-CP &amp; ...</p>", "can_approve", 1);
	json_t *hist = json_array();
	ch_buf out = CH_BUF_INIT;
	double t0, per;
	int i, runs = 2000;

	(void)state;
	for (i = 0; i < 40; i++)
		json_array_append_new(hist, json_pack("{s:s,s:s,s:s,s:s,s:b}", "when",
		                      "2024-05-01 10:00", "who", "binh.tran", "action", "approve",
		                      "commit", "0123456789abcdef0123456789abcdef01234567", "signed", i % 3));
	json_object_set_new(doc, "history", hist);
	json_object_set_new(data, "doc", doc);
	t0 = now_ms();
	for (i = 0; i < runs; i++) {
		ch_buf_clear(&out);
		assert_int_equal(ch_tmpl_render(&out, s, "doc", data), 0);
	}
	per = (now_ms() - t0) / runs;
	printf("# document page: %zu bytes in %.1f us\n", out.size, per * 1e3);
	assert_true(per < 1.0);
	assert_non_null(strstr(out.ptr, "<a href=\"/people/binh.tran\">"));
	assert_non_null(strstr(out.ptr, "action=\"/docs/qd-2024-017/approve\""));
	ch_buf_dispose(&out);
	json_decref(data);
	ch_tmpl_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_attribute_escaping),
		cmocka_unit_test(test_url_attributes),
		cmocka_unit_test(test_rcdata_and_text_elements),
		cmocka_unit_test(test_refused_contexts),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_inverted_sections),
		cmocka_unit_test(test_nested_context),
		cmocka_unit_test(test_checked_attributes),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_raw_html),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_section_errors),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_invalid_utf8_in_data),
		cmocka_unit_test(test_vietnamese),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_step_limit),
		cmocka_unit_test(test_render_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
