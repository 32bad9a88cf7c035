/* tmpl.h -- the HTML template engine of the browser UI: mustache-like
 * syntax, escaping chosen by HTML context when a template is parsed.
 *
 * Syntax:
 *   {{name}} {{a.b.c}} {{.}}   a value, escaped for where it stands
 *   {{#name}}...{{/name}}      section: once per array element, once for an
 *                              object, true, a non-empty string or a
 *                              nonzero number; skipped for false, null,
 *                              missing, [], "" and 0
 *   {{^name}}...{{/name}}      inverted section: only when skipped above
 *   {{> partial}}              another template of the set, same context
 *   {{{name_html}}}            raw HTML the server produced itself; only
 *                              for names ending in "_html", only in text
 *   {{! comment }}
 *
 * Names are looked up in the context stack, innermost section value first,
 * then outer ones, then the root object; in {{a.b.c}} only "a" is searched
 * for, "b" and "c" are members of what was found. Strings print as they
 * are, numbers in decimal, everything else (true, false, null, objects,
 * arrays, missing names) as nothing.
 *
 * A small HTML tokenizer runs over each template as it is parsed and
 * decides, for every {{...}}, how its value is escaped:
 *   text, <title>, <textarea>   & < > " '
 *   quoted attribute value      & < > " ' and `
 *   URL attribute (href, src, action, formaction, srcset, poster, ... and
 *   any name containing "src", "url", "uri" or "href")
 *                               the value must be a relative URL ("/" but
 *                               not "//", "?", "#") or start with "http:",
 *                               "https:" or "mailto:", else it becomes "#";
 *                               a value after a literal prefix that fixes
 *                               the scheme and host ("/docs/", "?q=",
 *                               "mailto:") is only escaped; anywhere else
 *                               in a URL it is a parse error
 * and refuses, as a parse error naming line and column: values in event
 * handlers (on*), style, srcdoc, SVG animation attributes, unquoted
 * attribute values, tag and attribute names, HTML comments, <script>,
 * <style> and other raw-text elements, the <script> and <base> tags
 * themselves, and inside <svg> or <math>. Sections, partials and raw
 * values are allowed only where they cannot change how the browser reads
 * what follows: a section must end in the HTML context it began in, a
 * template must end in text, partials and raw values stand in text. Inside
 * a tag, a section tag ends the attribute name before it (a space is
 * written there) and may not be followed by "=".
 *
 * Output is always valid UTF-8: invalid bytes in data become U+FFFD, NUL
 * bytes are dropped. Templates must be valid UTF-8 without NUL bytes.
 *
 * A set is built once (not thread-safe while adding) and may then be
 * rendered from many threads at once: rendering only reads it. */
#ifndef CH_TMPL_H
#define CH_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "util/buf.h"

#define CH_TMPL_MAX_SIZE      (256u * 1024u)        /* template text, bytes */
#define CH_TMPL_MAX_NESTING   32                    /* sections open at once */
#define CH_TMPL_MAX_NAME      128                   /* bytes in a tag or template name */
#define CH_TMPL_MAX_PARTIALS  16                    /* partials rendering at once */
#define CH_TMPL_MAX_OUTPUT    (16u * 1024u * 1024u) /* bytes one render may add */
#define CH_TMPL_MAX_STEPS     (2u * 1024u * 1024u)  /* nodes visited (and so JSON
                                                       lookups) in one render */
#define CH_TMPL_MAX_TEMPLATES 1024                  /* templates in a set */

/* One parsed template; owned by its set. */
typedef struct ch_tmpl ch_tmpl;
/* Named templates that can include each other as partials. */
typedef struct ch_tmpl_set ch_tmpl_set;

/* tmpl.c */
/* A new empty set, owned by the caller (free with ch_tmpl_set_free). */
int ch_tmpl_set_new(ch_tmpl_set **out);
/* Frees the set and every template in it; accepts NULL. */
void ch_tmpl_set_free(ch_tmpl_set *s);
/* Parse `len` bytes of `text` as template `name` ([A-Za-z0-9_./-], at most
 * CH_TMPL_MAX_NAME bytes) and add it to the set; the text is copied.
 * CH_EINVALID with a message naming the template, line and column (in
 * characters, from 1) and what is wrong; CH_ECONFLICT if the set already
 * holds `name`. Partials are resolved when rendering, so templates may be
 * added in any order. */
int ch_tmpl_set_add(ch_tmpl_set *s, const char *name, const char *text, size_t len);
/* Render template `name` with `data` (a JSON object; NULL is taken as {})
 * and append the result to out. CH_ENOTFOUND if `name` or a partial it
 * includes is not in the set; CH_EINVALID if a limit was reached (output
 * size, partial depth, steps). On failure out is left as it was. */
int ch_tmpl_render(ch_buf *out, const ch_tmpl_set *s, const char *name, const json_t *data);

#endif
