/* tmpl.c -- the HTML template engine (syntax and rules in tmpl.h).
 *
 * ch_tmpl_set_add parses a template once into a flat node list: literal
 * text, values with the escaping they need, sections that know where they
 * end, partials. While parsing, every piece of literal text is fed to a
 * small HTML tokenizer (a subset of the WHATWG tokenizer: tags, attributes,
 * comments, raw-text and RCDATA elements, CDATA in SVG/MathML); the state it
 * is in when a {{tag}} comes decides how the value is escaped, or refuses
 * the template. ch_tmpl_render walks the node list; it never looks at the
 * template text again except to copy it. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "templates/tmpl.h"
#include "util/common.h"

/* ---- parsed templates ---------------------------------------------------- */

enum node_kind {
	N_TEXT,     /* literal text: off, len */
	N_SPACE,    /* a space written where a section tag ends an attribute name */
	N_VAR,      /* {{name}}, escaped as `esc` says */
	N_RAW,      /* {{{name_html}}} */
	N_SECTION,  /* {{#name}}: the body runs to `jump`, the matching N_END */
	N_INVERTED, /* {{^name}} */
	N_END,      /* {{/name}} */
	N_PARTIAL   /* {{> name}} */
};

enum esc_mode {
	ESC_TEXT, /* & < > " ' */
	ESC_ATTR, /* & < > " ' ` */
	ESC_URL,  /* the URL allow-list, then as ESC_ATTR */
	ESC_RAW   /* only UTF-8 repair and NUL removal */
};

struct node {
	uint8_t kind;  /* enum node_kind */
	uint8_t esc;   /* enum esc_mode, for N_VAR and N_RAW */
	uint32_t off;  /* N_TEXT: the text; others: the name, in ch_tmpl.text */
	uint32_t len;
	uint32_t seg;  /* first of the name's `nseg` entries in ch_tmpl.segs */
	uint32_t nseg; /* 0 for "." */
	uint32_t jump; /* N_SECTION, N_INVERTED: index of the matching N_END */
};

/* One dot-separated part of a name, in ch_tmpl.text. */
struct seg {
	uint32_t off, len;
};

struct ch_tmpl {
	char *name;
	size_t name_len;
	char *text; /* a copy of the template source */
	size_t len;
	struct node *nodes;
	size_t nnodes, anodes;
	struct seg *segs;
	size_t nsegs, asegs;
};

struct ch_tmpl_set {
	ch_tmpl **t;
	size_t n, alloc;
};

static void tmpl_free(ch_tmpl *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->text);
	free(t->nodes);
	free(t->segs);
	free(t);
}

static const ch_tmpl *set_find(const ch_tmpl_set *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->t[i]->name_len == len && !memcmp(s->t[i]->name, name, len))
			return s->t[i];
	return NULL;
}

/* 1-based line and column (in characters) of byte `off`. */
static void line_col(const char *s, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			++*col;
		}
	}
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int eq_lit(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/* ---- the HTML tokenizer -------------------------------------------------- */

enum hstate {
	H_DATA,
	H_TAG_OPEN,          /* after "<" */
	H_END_TAG_OPEN,      /* after "</" */
	H_TAG_NAME,
	H_BEFORE_ATTR_NAME,  /* also after a quoted value: they behave alike */
	H_ATTR_NAME,
	H_AFTER_ATTR_NAME,
	H_TAG_BETWEEN,       /* after a section tag inside a tag: "=" refused */
	H_BEFORE_ATTR_VALUE,
	H_ATTR_VALUE_DQ,
	H_ATTR_VALUE_SQ,
	H_ATTR_VALUE_UNQ,
	H_SELF_CLOSING,
	H_MARKUP,            /* after "<!" */
	H_MD_DASH,           /* after "<!-" */
	H_MD_CDATA,          /* after "<!" and mlen bytes of "[CDATA[" */
	H_BOGUS_COMMENT,
	H_COMMENT_START,
	H_COMMENT_START_DASH,
	H_COMMENT,
	H_COMMENT_END_DASH,
	H_COMMENT_END,
	H_COMMENT_END_BANG,
	H_CDATA,             /* in <svg> or <math> only */
	H_CDATA_B1,
	H_CDATA_B2,
	H_RAWTEXT,           /* <script>, <style>, ...: only </name ends it */
	H_RCDATA,            /* <title>, <textarea>: text, but no tags */
	H_RAW_LT,            /* "<" in raw text or RCDATA */
	H_RAW_END,           /* "</" and mlen bytes of the element's name */
	H_SCRIPT_BANG,       /* "<!" in <script> */
	H_SCRIPT_BANG_DASH,  /* "<!-" in <script> */
	H_PLAINTEXT
};

/* Elements the tokenizer must know by name. */
enum elem {
	E_OTHER, E_SCRIPT, E_STYLE, E_XMP, E_IFRAME, E_NOEMBED, E_NOFRAMES, E_NOSCRIPT,
	E_TITLE, E_TEXTAREA, E_PLAINTEXT, E_SVG, E_MATH, E_BASE, E_COUNT
};

static const char *const elem_names[E_COUNT] = {
	"", "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
	"title", "textarea", "plaintext", "svg", "math", "base"
};

/* What a value in an attribute would be. */
enum attr_kind {
	A_PLAIN, A_URL,
	A_JS,   /* on* */
	A_CSS,  /* style */
	A_HTML, /* srcdoc */
	A_ANIM, /* SVG animation: can set href */
	A_LONG  /* a name too long to classify */
};

/* What literal text a URL attribute value has so far (hctx.url). */
enum {
	URL_ANY = 1,      /* something other than leading white space */
	URL_SETTLED = 2,  /* scheme and host fixed by literal text */
	URL_AMP = 4,      /* a character reference: stop judging */
	URL_HOLE = 8,     /* a value came first */
	URL_SLASH = 16,   /* a "/" or "\" seen */
	URL_OTHER = 32    /* another character seen */
};

/* The tokenizer's state. At a section tag the parser keeps a copy and
 * compares it with the state at the closing tag (hctx_same). */
struct hctx {
	uint8_t st;       /* enum hstate */
	uint8_t elem;     /* the tag being read, or the raw-text element we are in */
	uint8_t end_tag;  /* the tag being read is an end tag */
	uint8_t attr;     /* enum attr_kind of the attribute being read */
	uint8_t url;      /* URL_* of the URL attribute value being read */
	uint8_t rc_lt;    /* a "<" seen in this RCDATA element */
	uint8_t mlen;     /* bytes matched in H_MD_CDATA, H_RAW_END */
	uint8_t nlen;     /* bytes in name; sizeof(name) + 1 when too long */
	uint8_t alen;     /* bytes in aname; likewise */
	uint16_t foreign; /* <svg>/<math> elements open */
	char name[12];
	char aname[48];
};

static int hctx_same(const struct hctx *a, const struct hctx *b)
{
	return a->st == b->st && a->elem == b->elem && a->end_tag == b->end_tag &&
	       a->attr == b->attr && a->rc_lt == b->rc_lt && a->foreign == b->foreign;
}

static int in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (eq_lit(s, n, *list))
			return 1;
	return 0;
}

static int contains(const char *s, size_t n, const char *lit)
{
	size_t m = strlen(lit), i;

	for (i = 0; i + m <= n; i++)
		if (!memcmp(s + i, lit, m))
			return 1;
	return 0;
}

/* Classify an attribute name (lower case) the way Go's html/template does:
 * "data-" and a namespace prefix are dropped first. */
static int attr_kind(const char *name, size_t n)
{
	static const char *const url_attrs[] = {
		"action", "archive", "background", "cite", "classid", "codebase", "data",
		"dynsrc", "formaction", "href", "icon", "imagesrcset", "itemtype", "longdesc",
		"lowsrc", "manifest", "ping", "poster", "profile", "src", "srcset", "usemap", NULL
	};
	static const char *const anim_attrs[] = {
		"attributename", "by", "from", "to", "values", NULL
	};
	const char *colon;

	if (n >= 5 && !memcmp(name, "data-", 5)) {
		name += 5;
		n -= 5;
	}
	if ((colon = memchr(name, ':', n))) {
		if (eq_lit(name, (size_t)(colon - name), "xmlns"))
			return A_URL;
		n -= (size_t)(colon + 1 - name);
		name = colon + 1;
	}
	if (n >= 2 && name[0] == 'o' && name[1] == 'n')
		return A_JS;
	if (eq_lit(name, n, "style"))
		return A_CSS;
	if (eq_lit(name, n, "srcdoc"))
		return A_HTML;
	if (in_list(name, n, anim_attrs))
		return A_ANIM;
	if (in_list(name, n, url_attrs) || contains(name, n, "src") || contains(name, n, "url") ||
	    contains(name, n, "uri") || contains(name, n, "href"))
		return A_URL;
	return A_PLAIN;
}

static void start_tag(struct hctx *h, int end_tag)
{
	h->st = H_TAG_NAME;
	h->end_tag = (uint8_t)end_tag;
	h->elem = E_OTHER;
	h->nlen = 0;
}

static void end_tag_name(struct hctx *h)
{
	int e;

	h->elem = E_OTHER;
	if (h->nlen > sizeof(h->name))
		return;
	for (e = 1; e < E_COUNT; e++)
		if (eq_lit(h->name, h->nlen, elem_names[e]))
			h->elem = (uint8_t)e;
}

static void start_attr(struct hctx *h)
{
	h->st = H_ATTR_NAME;
	h->alen = 0;
	h->attr = A_PLAIN;
}

static void end_attr_name(struct hctx *h)
{
	h->attr = h->alen > sizeof(h->aname) ? A_LONG : (uint8_t)attr_kind(h->aname, h->alen);
}

static void append(char *buf, uint8_t *len, size_t size, int c)
{
	if (*len < size)
		buf[*len] = (char)lower(c);
	if (*len <= size)
		++*len;
}

/* The tag just read ends with ">": what comes after it. */
static void emit_tag(struct hctx *h, int self_closing)
{
	int e = h->elem;

	h->st = H_DATA;
	h->elem = E_OTHER;
	h->attr = A_PLAIN;
	h->rc_lt = 0;
	if (h->end_tag) {
		if ((e == E_SVG || e == E_MATH) && h->foreign)
			h->foreign--;
		h->end_tag = 0;
		return;
	}
	switch (e) {
	case E_SCRIPT: case E_STYLE: case E_XMP: case E_IFRAME:
	case E_NOEMBED: case E_NOFRAMES: case E_NOSCRIPT:
		h->st = H_RAWTEXT;
		h->elem = (uint8_t)e;
		break;
	case E_TITLE: case E_TEXTAREA:
		h->st = H_RCDATA;
		h->elem = (uint8_t)e;
		break;
	case E_PLAINTEXT:
		h->st = H_PLAINTEXT;
		break;
	case E_SVG: case E_MATH:
		if (!self_closing && h->foreign < UINT16_MAX)
			h->foreign++;
		break;
	}
}

/* Literal text inside a URL attribute value: does it fix the scheme and
 * host, so that a value after it cannot change them? */
static void url_char(struct hctx *h, int c)
{
	if ((h->url & URL_SETTLED) || (!(h->url & URL_ANY) && c <= 0x20) ||
	    c == '\t' || c == '\n' || c == '\r')
		return;
	h->url |= URL_ANY;
	if (c == '&')
		h->url |= URL_AMP;
	if (h->url & URL_AMP)
		return;
	if (c == '?' || c == '#')
		h->url |= URL_SETTLED;
	else if (h->url & URL_HOLE)
		return;
	else if (c == ':')
		h->url |= URL_SETTLED;
	else if (c == '/' || c == '\\')
		h->url |= (h->url & URL_OTHER) ? URL_SETTLED : URL_SLASH;
	else
		h->url |= (h->url & URL_SLASH) ? URL_SETTLED : URL_OTHER;
}

/* Each step_* handles one byte: 1 consumed, 0 to be read again in the new
 * state, -1 refused (*why says why). */
static int step_data(struct hctx *h, int c)
{
	switch (h->st) {
	case H_DATA:
		if (c == '<')
			h->st = H_TAG_OPEN;
		return 1;
	case H_TAG_OPEN:
		if (c == '!')
			h->st = H_MARKUP;
		else if (c == '/')
			h->st = H_END_TAG_OPEN;
		else if (is_alpha(c))
			start_tag(h, 0);
		else
			h->st = c == '?' ? H_BOGUS_COMMENT : H_DATA;
		return c == '!' || c == '/';
	case H_END_TAG_OPEN:
		if (is_alpha(c)) {
			start_tag(h, 1);
			return 0;
		}
		h->st = c == '>' ? H_DATA : H_BOGUS_COMMENT;
		return c == '>';
	case H_PLAINTEXT:
		return 1;
	}
	return 1;
}

static int step_tag_name(struct hctx *h, int c)
{
	if (is_ws(c) || c == '/' || c == '>') {
		end_tag_name(h);
		if (c == '>')
			emit_tag(h, 0);
		else
			h->st = c == '/' ? H_SELF_CLOSING : H_BEFORE_ATTR_NAME;
		return 1;
	}
	append(h->name, &h->nlen, sizeof(h->name), c);
	return 1;
}

static int step_attr(struct hctx *h, int c, const char **why)
{
	switch (h->st) {
	case H_BEFORE_ATTR_NAME:
		if (is_ws(c))
			return 1;
		if (c == '/' || c == '>') {
			h->st = H_AFTER_ATTR_NAME;
			return 0;
		}
		start_attr(h);
		return 0;
	case H_ATTR_NAME:
		if (is_ws(c) || c == '/' || c == '>') {
			end_attr_name(h);
			h->st = H_AFTER_ATTR_NAME;
			return 0;
		}
		if (c == '=' && h->alen) {
			end_attr_name(h);
			h->st = H_BEFORE_ATTR_VALUE;
			return 1;
		}
		append(h->aname, &h->alen, sizeof(h->aname), c);
		return 1;
	case H_TAG_BETWEEN:
		if (c == '=') {
			*why = "\"=\" may not follow a section tag inside a tag";
			return -1;
		}
		/* fall through */
	case H_AFTER_ATTR_NAME:
		if (is_ws(c))
			return 1;
		if (c == '/')
			h->st = H_SELF_CLOSING;
		else if (c == '=')
			h->st = H_BEFORE_ATTR_VALUE;
		else if (c == '>')
			emit_tag(h, 0);
		else
			start_attr(h);
		return h->st != H_ATTR_NAME;
	}
	return 1;
}

static int step_value(struct hctx *h, int c)
{
	switch (h->st) {
	case H_BEFORE_ATTR_VALUE:
		if (is_ws(c))
			return 1;
		h->url = 0;
		if (c == '"' || c == '\'')
			h->st = c == '"' ? H_ATTR_VALUE_DQ : H_ATTR_VALUE_SQ;
		else if (c == '>')
			emit_tag(h, 0);
		else
			h->st = H_ATTR_VALUE_UNQ;
		return h->st != H_ATTR_VALUE_UNQ;
	case H_ATTR_VALUE_DQ:
	case H_ATTR_VALUE_SQ:
		if (c == (h->st == H_ATTR_VALUE_DQ ? '"' : '\''))
			h->st = H_BEFORE_ATTR_NAME;
		else if (h->attr == A_URL)
			url_char(h, c);
		return 1;
	case H_ATTR_VALUE_UNQ:
		if (is_ws(c))
			h->st = H_BEFORE_ATTR_NAME;
		else if (c == '>')
			emit_tag(h, 0);
		return 1;
	case H_SELF_CLOSING:
		if (c == '>') {
			emit_tag(h, 1);
			return 1;
		}
		h->st = H_BEFORE_ATTR_NAME;
		return 0;
	}
	return 1;
}

static int step_markup(struct hctx *h, int c)
{
	static const char cdata[] = "[CDATA[";

	switch (h->st) {
	case H_MARKUP:
		if (c == '-' || c == '[') {
			h->st = c == '-' ? H_MD_DASH : H_MD_CDATA;
			h->mlen = 1;
			return 1;
		}
		h->st = H_BOGUS_COMMENT;
		return 0;
	case H_MD_DASH:
		h->st = c == '-' ? H_COMMENT_START : H_BOGUS_COMMENT;
		return c == '-';
	case H_MD_CDATA:
		if (c != cdata[h->mlen]) {
			h->st = H_BOGUS_COMMENT;
			return 0;
		}
		if (++h->mlen == sizeof(cdata) - 1)
			h->st = h->foreign ? H_CDATA : H_BOGUS_COMMENT;
		return 1;
	case H_BOGUS_COMMENT:
		if (c == '>')
			h->st = H_DATA;
		return 1;
	case H_CDATA:
		if (c == ']')
			h->st = H_CDATA_B1;
		return 1;
	case H_CDATA_B1:
		h->st = c == ']' ? H_CDATA_B2 : H_CDATA;
		return c == ']';
	case H_CDATA_B2:
		if (c == ']')
			return 1;
		h->st = c == '>' ? H_DATA : H_CDATA;
		return c == '>';
	}
	return 1;
}

/* Comments end at "-->", "--!>", or right away as "<!-->" and "<!--->". */
static int step_comment(struct hctx *h, int c)
{
	switch (h->st) {
	case H_COMMENT_START:
	case H_COMMENT_START_DASH:
		if (c == '>') {
			h->st = H_DATA;
			return 1;
		}
		if (c == '-') {
			h->st = h->st == H_COMMENT_START ? H_COMMENT_START_DASH : H_COMMENT_END;
			return 1;
		}
		h->st = H_COMMENT;
		return 0;
	case H_COMMENT:
		if (c == '-')
			h->st = H_COMMENT_END_DASH;
		return 1;
	case H_COMMENT_END_DASH:
		h->st = c == '-' ? H_COMMENT_END : H_COMMENT;
		return c == '-';
	case H_COMMENT_END:
		if (c == '-')
			return 1;
		h->st = c == '>' ? H_DATA : c == '!' ? H_COMMENT_END_BANG : H_COMMENT;
		return h->st != H_COMMENT;
	case H_COMMENT_END_BANG:
		h->st = c == '-' ? H_COMMENT_END_DASH : c == '>' ? H_DATA : H_COMMENT;
		return h->st != H_COMMENT;
	}
	return 1;
}

/* Raw text and RCDATA end only at "</name" followed by white space, "/"
 * or ">". "<!--" in a script would start the script-data escape states,
 * where "</script>" may not end it: refused rather than modelled. */
static int step_raw(struct hctx *h, int c, const char **why)
{
	const char *name = elem_names[h->elem];
	int raw = h->elem == E_TITLE || h->elem == E_TEXTAREA ? H_RCDATA : H_RAWTEXT;

	switch (h->st) {
	case H_RAWTEXT:
	case H_RCDATA:
		if (c == '<') {
			h->st = H_RAW_LT;
			h->rc_lt = raw == H_RCDATA;
		}
		return 1;
	case H_RAW_LT:
		if (c == '/' || (c == '!' && h->elem == E_SCRIPT)) {
			h->st = c == '/' ? H_RAW_END : H_SCRIPT_BANG;
			h->mlen = 0;
			return 1;
		}
		break;
	case H_SCRIPT_BANG:
	case H_SCRIPT_BANG_DASH:
		if (c == '-' && h->st == H_SCRIPT_BANG_DASH) {
			*why = "\"<!--\" inside <script> is not supported";
			return -1;
		}
		if (c == '-') {
			h->st = H_SCRIPT_BANG_DASH;
			return 1;
		}
		break;
	case H_RAW_END:
		if (name[h->mlen] && lower(c) == name[h->mlen]) {
			h->mlen++;
			return 1;
		}
		if (!name[h->mlen] && (is_ws(c) || c == '/' || c == '>')) {
			h->end_tag = 1;
			if (c == '>')
				emit_tag(h, 0);
			else
				h->st = c == '/' ? H_SELF_CLOSING : H_BEFORE_ATTR_NAME;
			return 1;
		}
		break;
	}
	h->st = (uint8_t)raw;
	return 0;
}

static int step(struct hctx *h, int c, const char **why)
{
	switch (h->st) {
	case H_DATA: case H_TAG_OPEN: case H_END_TAG_OPEN: case H_PLAINTEXT:
		return step_data(h, c);
	case H_TAG_NAME:
		return step_tag_name(h, c);
	case H_BEFORE_ATTR_NAME: case H_ATTR_NAME: case H_AFTER_ATTR_NAME: case H_TAG_BETWEEN:
		return step_attr(h, c, why);
	case H_BEFORE_ATTR_VALUE: case H_ATTR_VALUE_DQ: case H_ATTR_VALUE_SQ:
	case H_ATTR_VALUE_UNQ: case H_SELF_CLOSING:
		return step_value(h, c);
	case H_MARKUP: case H_MD_DASH: case H_MD_CDATA: case H_BOGUS_COMMENT:
	case H_CDATA: case H_CDATA_B1: case H_CDATA_B2:
		return step_markup(h, c);
	case H_COMMENT_START: case H_COMMENT_START_DASH: case H_COMMENT:
	case H_COMMENT_END_DASH: case H_COMMENT_END: case H_COMMENT_END_BANG:
		return step_comment(h, c);
	default:
		return step_raw(h, c, why);
	}
}

/* Where the tokenizer is, for messages: "{{x}} is not allowed <here>". */
static const char *describe(const struct hctx *h)
{
	static const char *const inside[E_COUNT] = {
		"", "inside <script>", "inside <style>", "inside <xmp>", "inside <iframe>",
		"inside <noembed>", "inside <noframes>", "inside <noscript>", "inside <title>",
		"inside <textarea>", "inside <plaintext>", "", "", ""
	};

	switch (h->st) {
	case H_DATA:
		return "in text";
	case H_TAG_OPEN: case H_END_TAG_OPEN: case H_TAG_NAME:
		return "in a tag name";
	case H_BEFORE_ATTR_NAME: case H_ATTR_NAME: case H_AFTER_ATTR_NAME:
	case H_TAG_BETWEEN: case H_SELF_CLOSING:
		return "in an attribute name";
	case H_BEFORE_ATTR_VALUE: case H_ATTR_VALUE_UNQ:
		return "in an unquoted attribute value";
	case H_ATTR_VALUE_DQ: case H_ATTR_VALUE_SQ:
		return "in this attribute value";
	case H_CDATA: case H_CDATA_B1: case H_CDATA_B2:
		return "in a CDATA section";
	case H_PLAINTEXT:
		return "inside <plaintext>";
	case H_RAWTEXT: case H_RCDATA: case H_RAW_LT: case H_RAW_END:
	case H_SCRIPT_BANG: case H_SCRIPT_BANG_DASH:
		return inside[h->elem];
	default:
		return "in an HTML comment or <!...> declaration";
	}
}

/* ---- the parser ---------------------------------------------------------- */

enum tag_kind { T_VAR, T_RAW, T_SECTION, T_INVERTED, T_CLOSE, T_PARTIAL, T_COMMENT };

struct tag {
	int kind;    /* enum tag_kind */
	size_t at;   /* offset of "{{" */
	size_t name; /* offset and length of the name */
	size_t nlen;
	size_t end;  /* offset after the closing braces */
};

struct open_section {
	uint32_t node;  /* its N_SECTION or N_INVERTED */
	struct hctx h;  /* the HTML context where it opened */
};

struct parser {
	ch_tmpl *t;
	const char *s; /* t->text */
	size_t len;
	struct hctx h;
	struct open_section open[CH_TMPL_MAX_NESTING];
	unsigned depth;
};

static int perr(const struct parser *p, size_t off, const char *fmt, ...) CH_PRINTF(3, 4);

static int perr(const struct parser *p, size_t off, const char *fmt, ...)
{
	ch_buf msg = CH_BUF_INIT;
	unsigned line, col;
	va_list ap;

	line_col(p->s, off, &line, &col);
	ch_buf_printf(&msg, "template \"%s\", line %u, column %u: ", p->t->name, line, col);
	va_start(ap, fmt);
	ch_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	ch_error_setc(CH_EINVALID, "%s", msg.ptr);
	ch_buf_dispose(&msg);
	return CH_EINVALID;
}

/* "{{#name}}" as written, for messages. */
static const char *tag_str(ch_buf *b, const struct parser *p, const struct tag *tag)
{
	static const char *const sigil[] = { "", "{", "#", "^", "/", "> ", "!" };

	ch_buf_clear(b);
	ch_buf_printf(b, "{{%s%.*s}}%s", sigil[tag->kind], (int)tag->nlen, p->s + tag->name,
	              tag->kind == T_RAW ? "}" : "");
	return b->ptr;
}

static int refuse(const struct parser *p, const struct tag *tag, const char *where)
{
	ch_buf b = CH_BUF_INIT;
	int error = perr(p, tag->at, "%s is not allowed %s", tag_str(&b, p, tag), where);

	ch_buf_dispose(&b);
	return error;
}

static int add_node(struct parser *p, int kind, size_t off, size_t len)
{
	ch_tmpl *t = p->t;
	struct node *n;

	if (t->nnodes == t->anodes) {
		t->anodes = t->anodes ? t->anodes * 2 : 32;
		t->nodes = ch_realloc(t->nodes, t->anodes * sizeof(*t->nodes));
	}
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->off = (uint32_t)off;
	n->len = (uint32_t)len;
	return (int)t->nnodes++;
}

static void add_seg(ch_tmpl *t, size_t off, size_t len)
{
	if (t->nsegs == t->asegs) {
		t->asegs = t->asegs ? t->asegs * 2 : 16;
		t->segs = ch_realloc(t->segs, t->asegs * sizeof(*t->segs));
	}
	t->segs[t->nsegs].off = (uint32_t)off;
	t->segs[t->nsegs].len = (uint32_t)len;
	t->nsegs++;
}

/* A node for a tag that names a value; its name split at the dots. */
static int add_named(struct parser *p, int kind, const struct tag *tag)
{
	ch_tmpl *t = p->t;
	int i = add_node(p, kind, tag->name, tag->nlen);
	size_t k, start = tag->name, end = tag->name + tag->nlen;

	t->nodes[i].seg = (uint32_t)t->nsegs;
	if (kind == N_PARTIAL || (tag->nlen == 1 && p->s[start] == '.'))
		return i;
	for (k = start; k <= end; k++) {
		if (k == end || p->s[k] == '.') {
			add_seg(t, start, k - start);
			start = k + 1;
		}
	}
	t->nodes[i].nseg = (uint32_t)(t->nsegs - t->nodes[i].seg);
	return i;
}

/* Feed literal text s[from..to) to the tokenizer. */
static int feed(struct parser *p, size_t from, size_t to)
{
	const char *why = NULL;
	size_t i = from;
	int r;

	while (i < to) {
		if ((r = step(&p->h, (unsigned char)p->s[i], &why)) < 0)
			return perr(p, i, "%s", why);
		i += (size_t)r;
	}
	return 0;
}

/* ---- tags ----------------------------------------------------------------- */

static size_t skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && is_ws((unsigned char)s[i]))
		i++;
	return i;
}

static int name_char(int c, int partial)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	       (partial && c == '/');
}

static int check_name(const struct parser *p, const struct tag *tag)
{
	const char *n = p->s + tag->name;
	size_t len = tag->nlen, i;

	if (!len)
		return perr(p, tag->at, "tag has no name");
	if (len > CH_TMPL_MAX_NAME)
		return perr(p, tag->name, "name longer than %d bytes", CH_TMPL_MAX_NAME);
	if (tag->kind == T_RAW && (len < 5 || memcmp(n + len - 5, "_html", 5)))
		return perr(p, tag->at, "{{{%.*s}}} is not allowed: raw values must have names "
		            "ending in \"_html\"", (int)len, n);
	if (tag->kind == T_PARTIAL || (len == 1 && n[0] == '.'))
		return 0;
	for (i = 0; i < len; i++)
		if (n[i] == '.' && (i == 0 || i + 1 == len || n[i + 1] == '.'))
			return perr(p, tag->name, "malformed name \"%.*s\"", (int)len, n);
	return 0;
}

static int parse_comment(const struct parser *p, size_t at, struct tag *tag)
{
	const char *end = memmem(p->s + at + 3, p->len - at - 3, "}}", 2);

	if (!end)
		return perr(p, at, "comment {{! is not closed by }}");
	tag->kind = T_COMMENT;
	tag->name = at + 3;
	tag->nlen = 0;
	tag->end = (size_t)(end - p->s) + 2;
	return 0;
}

static int tag_kind(int c)
{
	switch (c) {
	case '{': return T_RAW;
	case '#': return T_SECTION;
	case '^': return T_INVERTED;
	case '/': return T_CLOSE;
	case '>': return T_PARTIAL;
	case '!': return T_COMMENT;
	default: return T_VAR;
	}
}

/* Read the tag at s[at] == "{{". */
static int parse_tag(const struct parser *p, size_t at, struct tag *tag)
{
	const char *s = p->s;
	size_t i = at + 2, close;
	int c = i < p->len ? (unsigned char)s[i] : 0;

	tag->at = at;
	tag->kind = tag_kind(c);
	if (tag->kind == T_COMMENT)
		return parse_comment(p, at, tag);
	if (c == '&' || c == '=')
		return perr(p, at, "{{%c is not supported", c);
	if (tag->kind != T_VAR)
		i++;
	i = skip_ws(s, i, p->len);
	tag->name = i;
	while (i < p->len && name_char((unsigned char)s[i], tag->kind == T_PARTIAL))
		i++;
	tag->nlen = i - tag->name;
	i = skip_ws(s, i, p->len);
	close = tag->kind == T_RAW ? 3 : 2;
	if (i + close > p->len || memcmp(s + i, "}}}", close)) {
		if (i >= p->len || (s[i] == '}' && i + 1 >= p->len))
			return perr(p, at, "tag is not closed by %s", close == 3 ? "}}}" : "}}");
		if (close == 3 && s[i] == '}')
			return perr(p, i, "raw tag {{{ must end with }}}");
		if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
			return perr(p, i, "unexpected \"%c\" in tag", s[i]);
		return perr(p, i, "unexpected byte 0x%02x in tag", (unsigned char)s[i]);
	}
	tag->end = i + close;
	return check_name(p, tag);
}

/* 1 if s[from..to) ends in "<" and a proper prefix of "script": a tag here
 * could complete "<script", e.g. in an attribute value or <title>. */
static int ends_in_script_prefix(const char *s, size_t from, size_t to)
{
	static const char word[] = "script";
	size_t k, j;

	for (k = 0; k < sizeof(word) - 1 && k < to - from; k++) {
		const char *lt = s + to - 1 - k;

		if (*lt != '<')
			continue;
		for (j = 0; j < k && lower((unsigned char)lt[1 + j]) == word[j]; j++)
			;
		if (j == k)
			return 1;
	}
	return 0;
}

/* A value in a URL attribute: at the start (the allow-list decides at render
 * time), after literal text that fixed scheme and host (only escaped), or
 * refused. */
static int url_value(struct parser *p, const struct tag *tag, int *esc)
{
	struct hctx *h = &p->h;

	if (h->url & URL_SETTLED) {
		*esc = ESC_ATTR;
		return 0;
	}
	if (!(h->url & URL_ANY)) {
		h->url |= URL_ANY | URL_HOLE;
		*esc = ESC_URL;
		return 0;
	}
	return refuse(p, tag, "here: in a URL attribute a value must come first, or after a "
	              "literal path (\"/docs/\"), scheme (\"mailto:\"), \"?\" or \"#\"");
}

static int attr_value(struct parser *p, const struct tag *tag, int *esc)
{
	static const char *const why[] = {
		"", "", "in an event-handler attribute", "in a style attribute",
		"in a srcdoc attribute", "in an SVG animation attribute",
		"in an attribute with so long a name"
	};
	const struct hctx *h = &p->h;

	if (!h->end_tag && h->elem == E_SCRIPT)
		return refuse(p, tag, "in a <script> tag");
	if (!h->end_tag && h->elem == E_BASE)
		return refuse(p, tag, "in a <base> tag");
	if (h->attr == A_URL)
		return url_value(p, tag, esc);
	if (h->attr != A_PLAIN)
		return refuse(p, tag, why[h->attr]);
	*esc = ESC_ATTR;
	return 0;
}

/* How a value {{name}} here is escaped, or why it is refused. */
static int value_context(struct parser *p, const struct tag *tag, int *esc)
{
	const struct hctx *h = &p->h;

	if (h->foreign)
		return refuse(p, tag, "inside <svg> or <math>");
	switch (h->st) {
	case H_DATA:
		*esc = ESC_TEXT;
		return 0;
	case H_RCDATA:
		if (h->rc_lt)
			return refuse(p, tag, "after \"<\" inside <title> or <textarea>");
		*esc = ESC_TEXT;
		return 0;
	case H_ATTR_VALUE_DQ:
	case H_ATTR_VALUE_SQ:
		return attr_value(p, tag, esc);
	default:
		return refuse(p, tag, describe(h));
	}
}

/* Sections stand where running their body zero, one or more times leaves
 * the tokenizer in one state. Inside a tag a section tag ends the
 * attribute name before it (with a space) and "=" may not follow it. */
static int section_context(struct parser *p, const struct tag *tag)
{
	struct hctx *h = &p->h;

	switch (h->st) {
	case H_DATA: case H_RCDATA: case H_RAWTEXT:
		return 0;
	case H_ATTR_VALUE_DQ: case H_ATTR_VALUE_SQ:
		return h->attr == A_URL ? refuse(p, tag, "in a URL attribute value") : 0;
	case H_ATTR_NAME:
		add_node(p, N_SPACE, tag->at, 0);
		/* fall through */
	case H_BEFORE_ATTR_NAME: case H_AFTER_ATTR_NAME: case H_TAG_BETWEEN:
		h->st = H_TAG_BETWEEN;
		h->attr = A_PLAIN;
		return 0;
	default:
		return refuse(p, tag, describe(h));
	}
}

static int open_section(struct parser *p, const struct tag *tag)
{
	int error, i;

	if (p->depth >= CH_TMPL_MAX_NESTING)
		return perr(p, tag->at, "sections nested deeper than %d", CH_TMPL_MAX_NESTING);
	if ((error = section_context(p, tag)) < 0)
		return error;
	i = add_named(p, tag->kind == T_SECTION ? N_SECTION : N_INVERTED, tag);
	p->open[p->depth].node = (uint32_t)i;
	p->open[p->depth].h = p->h;
	p->depth++;
	return 0;
}

/* "{{#name}} (line L, column C)" for the section a node opens. */
static const char *section_str(ch_buf *b, const struct parser *p, const struct node *n)
{
	unsigned line, col;

	line_col(p->s, n->off, &line, &col);
	ch_buf_clear(b);
	ch_buf_printf(b, "{{%c%.*s}} (line %u, column %u)", n->kind == N_SECTION ? '#' : '^',
	              (int)n->len, p->s + n->off, line, col);
	return b->ptr;
}

static int close_section(struct parser *p, const struct tag *tag)
{
	ch_tmpl *t = p->t;
	struct open_section *o;
	ch_buf b = CH_BUF_INIT;
	int error = 0, end;

	if (!p->depth)
		return perr(p, tag->at, "{{/%.*s}} closes no section", (int)tag->nlen,
		            p->s + tag->name);
	o = &p->open[p->depth - 1];
	if (t->nodes[o->node].len != tag->nlen ||
	    memcmp(p->s + t->nodes[o->node].off, p->s + tag->name, tag->nlen))
		error = perr(p, tag->at, "{{/%.*s}} does not close %s", (int)tag->nlen,
		             p->s + tag->name, section_str(&b, p, &t->nodes[o->node]));
	else if ((error = section_context(p, tag)) < 0)
		; /* section_context may add a node, moving t->nodes */
	else if (!hctx_same(&o->h, &p->h))
		error = perr(p, tag->at, "section ends %s but %s began %s", describe(&p->h),
		             section_str(&b, p, &t->nodes[o->node]), describe(&o->h));
	ch_buf_dispose(&b);
	if (error < 0)
		return error;
	end = add_node(p, N_END, tag->name, tag->nlen);
	t->nodes[o->node].jump = (uint32_t)end;
	t->nodes[end].jump = o->node;
	p->depth--;
	return 0;
}

static int on_tag(struct parser *p, const struct tag *tag)
{
	int error, esc = ESC_TEXT, i;

	switch (tag->kind) {
	case T_COMMENT:
		return 0;
	case T_VAR:
		if ((error = value_context(p, tag, &esc)) < 0)
			return error;
		i = add_named(p, N_VAR, tag);
		p->t->nodes[i].esc = (uint8_t)esc;
		return 0;
	case T_RAW:
	case T_PARTIAL:
		if (p->h.st != H_DATA || p->h.foreign)
			return refuse(p, tag, p->h.foreign ? "inside <svg> or <math>" : describe(&p->h));
		i = add_named(p, tag->kind == T_RAW ? N_RAW : N_PARTIAL, tag);
		p->t->nodes[i].esc = ESC_RAW;
		return 0;
	case T_SECTION:
	case T_INVERTED:
		return open_section(p, tag);
	default:
		return close_section(p, tag);
	}
}

static int check_end(const struct parser *p)
{
	const struct node *n;

	if (p->depth) {
		n = &p->t->nodes[p->open[p->depth - 1].node];
		return perr(p, n->off, "section %.*s is never closed", (int)n->len, p->s + n->off);
	}
	if (p->h.st >= H_TAG_OPEN && p->h.st <= H_SELF_CLOSING && p->h.st != H_ATTR_VALUE_DQ &&
	    p->h.st != H_ATTR_VALUE_SQ)
		return perr(p, p->len, "template ends inside a tag (\">\" missing)");
	if (p->h.st != H_DATA)
		return perr(p, p->len, "template ends %s", describe(&p->h));
	if (p->h.foreign)
		return perr(p, p->len, "template ends inside <svg> or <math>");
	return 0;
}

static int check_text(const struct parser *p)
{
	const uint8_t *bad = u8_check((const uint8_t *)p->s, p->len);
	const char *nul = memchr(p->s, '\0', p->len);

	if (bad && (!nul || (const char *)bad < nul))
		return perr(p, (size_t)((const char *)bad - p->s), "not valid UTF-8");
	if (nul)
		return perr(p, (size_t)(nul - p->s), "NUL byte in template");
	return 0;
}

static int parse(struct parser *p)
{
	size_t pos = 0;
	int error;

	if ((error = check_text(p)) < 0)
		return error;
	while (pos < p->len) {
		const char *open = memmem(p->s + pos, p->len - pos, "{{", 2);
		size_t at = open ? (size_t)(open - p->s) : p->len;
		struct tag tag;

		if (at > pos) {
			add_node(p, N_TEXT, pos, at - pos);
			if ((error = feed(p, pos, at)) < 0)
				return error;
		}
		if (!open)
			break;
		if ((error = parse_tag(p, at, &tag)) < 0 || (error = on_tag(p, &tag)) < 0)
			return error;
		if (ends_in_script_prefix(p->s, pos, at))
			return perr(p, at, "a tag here could complete \"<script\"");
		pos = tag.end;
	}
	return check_end(p);
}

/* ---- rendering ------------------------------------------------------------ */

#define STACK_MAX (CH_TMPL_MAX_NESTING * (CH_TMPL_MAX_PARTIALS + 1) + 1)

struct render {
	ch_buf *out;
	size_t base;  /* out->size before rendering */
	const ch_tmpl_set *set;
	const char *name; /* the template asked for */
	const json_t *stack[STACK_MAX]; /* contexts, root first */
	size_t nstack;
	unsigned partials;
	size_t steps;
};

static int rerr(int code, const ch_tmpl *t, const struct node *n, const char *fmt, ...)
	CH_PRINTF(4, 5);

static int rerr(int code, const ch_tmpl *t, const struct node *n, const char *fmt, ...)
{
	ch_buf msg = CH_BUF_INIT;
	unsigned line, col;
	va_list ap;

	line_col(t->text, n->off, &line, &col);
	ch_buf_printf(&msg, "template \"%s\", line %u, column %u: ", t->name, line, col);
	va_start(ap, fmt);
	ch_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	ch_error_setc(code, "%s", msg.ptr);
	ch_buf_dispose(&msg);
	return code;
}

static int put(struct render *r, const void *p, size_t n)
{
	if (n > CH_TMPL_MAX_OUTPUT - (r->out->size - r->base))
		return ch_error_setc(CH_EINVALID, "template \"%s\": output larger than %u bytes",
		                     r->name, CH_TMPL_MAX_OUTPUT);
	ch_buf_put(r->out, p, n);
	return 0;
}

/* Length of the UTF-8 sequence at s (n > 0 bytes): *ok set when it is well
 * formed, else the length is that of the maximal ill-formed subpart, which
 * becomes one U+FFFD (Unicode 15, section 3.9). */
static size_t utf8_seq(const unsigned char *s, size_t n, int *ok)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, k;

	*ok = 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3;
	else
		return 1;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (k = 1; k <= need; k++) {
		if (k >= n || s[k] < lo || s[k] > hi)
			return k;
		lo = 0x80;
		hi = 0xbf;
	}
	*ok = 1;
	return need + 1;
}

/* What replaces ASCII byte c, or NULL to keep it. */
static const char *entity(unsigned char c, int esc)
{
	if (esc == ESC_RAW)
		return c ? NULL : "";
	switch (c) {
	case '\0': return "";
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '`': return esc == ESC_TEXT ? NULL : "&#96;";
	default: return NULL;
	}
}

/* Append s escaped for `esc`, with invalid UTF-8 replaced and NULs dropped;
 * unchanged runs are copied whole. */
static int put_escaped(struct render *r, const char *s, size_t n, int esc)
{
	static const unsigned char special[128] = {
		['\0'] = 1, ['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\''] = 1, ['`'] = 1
	};
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, adv;
	const char *rep;
	int ok, error;

	while (i < n) {
		if (u[i] < 0x80) {
			rep = special[u[i]] ? entity(u[i], esc) : NULL;
			if (!rep) {
				i++;
				continue;
			}
			adv = 1;
		} else {
			adv = utf8_seq(u + i, n - i, &ok);
			if (ok) {
				i += adv;
				continue;
			}
			rep = "\xef\xbf\xbd";
		}
		if ((i > run && (error = put(r, s + run, i - run)) < 0) ||
		    (*rep && (error = put(r, rep, strlen(rep))) < 0))
			return error;
		i += adv;
		run = i;
	}
	return put(r, s + run, n - run);
}

static int starts_ci(const char *s, size_t n, const char *lit)
{
	size_t i, m = strlen(lit);

	if (n < m)
		return 0;
	for (i = 0; i < m; i++)
		if (lower((unsigned char)s[i]) != lit[i])
			return 0;
	return 1;
}

/* The URL allow-list: "/" but not "//" or "/\", "?", "#", http:, https:,
 * mailto:, after the leading white space and control characters browsers
 * strip; tabs and newlines (and NULs, which we drop) between the first
 * two characters are ignored the way browsers ignore them. */
static int url_allowed(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)s[i] <= 0x20)
		i++;
	if (i == n)
		return 0;
	if (s[i] == '?' || s[i] == '#')
		return 1;
	if (s[i] == '/') {
		for (i++; i < n && (s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || !s[i]); i++)
			;
		return i == n || (s[i] != '/' && s[i] != '\\');
	}
	return starts_ci(s + i, n - i, "http:") || starts_ci(s + i, n - i, "https:") ||
	       starts_ci(s + i, n - i, "mailto:");
}

/* Shortest decimal that reads back as the same double; "." whatever the
 * locale says. */
static size_t format_number(char *buf, size_t size, const json_t *v)
{
	int n;
	char *c;

	if (json_is_integer(v)) {
		n = snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else {
		double d = json_real_value(v);

		n = snprintf(buf, size, "%.15g", d);
		if (strtod(buf, NULL) != d)
			n = snprintf(buf, size, "%.17g", d);
		for (c = buf; *c; c++)
			if (*c == ',')
				*c = '.';
	}
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

static int put_value(struct render *r, const json_t *v, int esc)
{
	char num[64];
	const char *s = "";
	size_t n = 0;

	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	} else if (json_is_number(v)) {
		n = format_number(num, sizeof(num), v);
		s = num;
	}
	if (esc == ESC_URL && !url_allowed(s, n)) {
		s = "#";
		n = 1;
	}
	return put_escaped(r, s, n, esc);
}

/* The first part of the name through the context stack, innermost first;
 * the other parts as members of what that found. */
static const json_t *lookup(const struct render *r, const ch_tmpl *t, const struct node *n)
{
	const struct seg *seg;
	const json_t *v = NULL;
	size_t i;

	if (!n->nseg)
		return r->stack[r->nstack - 1];
	seg = &t->segs[n->seg];
	for (i = r->nstack; i-- > 0 && !v;)
		if (json_is_object(r->stack[i]))
			v = json_object_getn(r->stack[i], t->text + seg->off, seg->len);
	for (i = 1; v && i < n->nseg; i++)
		v = json_is_object(v) ? json_object_getn(v, t->text + seg[i].off, seg[i].len) : NULL;
	return v;
}

static int truthy(const json_t *v)
{
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return 1;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0.0;
	case JSON_TRUE: return 1;
	default: return 0;
	}
}

static int render_range(struct render *r, const ch_tmpl *t, size_t from, size_t to);

static int count_step(struct render *r, const ch_tmpl *t, const struct node *n)
{
	if (++r->steps > CH_TMPL_MAX_STEPS)
		return rerr(CH_EINVALID, t, n, "rendering takes more than %u steps",
		            CH_TMPL_MAX_STEPS);
	return 0;
}

/* The body once with `v` as the innermost context. */
static int render_body(struct render *r, const ch_tmpl *t, size_t i, const json_t *v)
{
	int error;

	if (r->nstack >= STACK_MAX)
		return rerr(CH_EINVALID, t, &t->nodes[i], "context stack too deep");
	r->stack[r->nstack++] = v;
	error = render_range(r, t, i + 1, t->nodes[i].jump);
	r->nstack--;
	return error;
}

static int render_section(struct render *r, const ch_tmpl *t, size_t i)
{
	const struct node *n = &t->nodes[i];
	const json_t *v = lookup(r, t, n);
	size_t k;
	int error;

	if (n->kind == N_INVERTED)
		return truthy(v) ? 0 : render_range(r, t, i + 1, n->jump);
	if (!json_is_array(v))
		return truthy(v) ? render_body(r, t, i, v) : 0;
	for (k = 0; k < json_array_size(v); k++)
		if ((error = count_step(r, t, n)) < 0 ||
		    (error = render_body(r, t, i, json_array_get(v, k))) < 0)
			return error;
	return 0;
}

static int render_partial(struct render *r, const ch_tmpl *t, const struct node *n)
{
	const ch_tmpl *p = set_find(r->set, t->text + n->off, n->len);
	int error;

	if (!p)
		return rerr(CH_ENOTFOUND, t, n, "partial \"%.*s\" is not in the set", (int)n->len,
		            t->text + n->off);
	if (r->partials >= CH_TMPL_MAX_PARTIALS)
		return rerr(CH_EINVALID, t, n, "partials nested deeper than %d (recursion?)",
		            CH_TMPL_MAX_PARTIALS);
	r->partials++;
	error = render_range(r, p, 0, p->nnodes);
	r->partials--;
	return error;
}

static int render_range(struct render *r, const ch_tmpl *t, size_t from, size_t to)
{
	size_t i;
	int error;

	for (i = from; i < to; i++) {
		const struct node *n = &t->nodes[i];

		if ((error = count_step(r, t, n)) < 0)
			return error;
		switch (n->kind) {
		case N_TEXT:
			error = put(r, t->text + n->off, n->len);
			break;
		case N_SPACE:
			error = put(r, " ", 1);
			break;
		case N_VAR:
		case N_RAW:
			error = put_value(r, lookup(r, t, n), n->esc);
			break;
		case N_SECTION:
		case N_INVERTED:
			error = render_section(r, t, i);
			i = n->jump;
			break;
		case N_PARTIAL:
			error = render_partial(r, t, n);
			break;
		default:
			error = 0;
		}
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---- the API -------------------------------------------------------------- */

int ch_tmpl_set_new(ch_tmpl_set **out)
{
	*out = ch_calloc(1, sizeof(**out));
	return 0;
}

void ch_tmpl_set_free(ch_tmpl_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		tmpl_free(s->t[i]);
	free(s->t);
	free(s);
}

static int valid_tmpl_name(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > CH_TMPL_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!name_char((unsigned char)name[i], 1))
			return 0;
	return 1;
}

int ch_tmpl_set_add(ch_tmpl_set *s, const char *name, const char *text, size_t len)
{
	struct parser *p = NULL;
	ch_tmpl *t = NULL;
	int error = 0;

	if (!valid_tmpl_name(name))
		return ch_error_setc(CH_EINVALID, "invalid template name (want 1 to %d of "
		                     "A-Z a-z 0-9 _ . / -)", CH_TMPL_MAX_NAME);
	if (set_find(s, name, strlen(name)))
		return ch_error_setc(CH_ECONFLICT, "template \"%s\" is already in the set", name);
	if (len > CH_TMPL_MAX_SIZE)
		return ch_error_setc(CH_EINVALID, "template \"%s\" is larger than %u bytes", name,
		                     CH_TMPL_MAX_SIZE);
	if (s->n >= CH_TMPL_MAX_TEMPLATES)
		return ch_error_setc(CH_EINVALID, "more than %d templates", CH_TMPL_MAX_TEMPLATES);
	t = ch_calloc(1, sizeof(*t));
	t->name = ch_strdup(name);
	t->name_len = strlen(name);
	t->text = ch_malloc(len + 1);
	if (len)
		memcpy(t->text, text, len);
	t->text[len] = '\0';
	t->len = len;
	p = ch_calloc(1, sizeof(*p));
	p->t = t;
	p->s = t->text;
	p->len = len;
	if ((error = parse(p)) < 0)
		goto done;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 16;
		s->t = ch_realloc(s->t, s->alloc * sizeof(*s->t));
	}
	s->t[s->n++] = t;
	t = NULL;
done:
	free(p);
	tmpl_free(t);
	return error;
}

int ch_tmpl_render(ch_buf *out, const ch_tmpl_set *s, const char *name, const json_t *data)
{
	const ch_tmpl *t = set_find(s, name, strlen(name));
	struct render *r;
	int error;

	if (!t)
		return ch_error_setc(CH_ENOTFOUND, "template \"%s\" is not in the set", name);
	if (data && !json_is_object(data))
		return ch_error_setc(CH_EINVALID, "template \"%s\": data is not a JSON object", name);
	r = ch_malloc(sizeof(*r));
	r->out = out;
	r->base = out->size;
	r->set = s;
	r->name = t->name;
	r->stack[0] = data;
	r->nstack = 1;
	r->partials = 0;
	r->steps = 0;
	if ((error = render_range(r, t, 0, t->nnodes)) < 0)
		ch_buf_truncate(out, r->base);
	free(r);
	return error;
}
