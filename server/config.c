/* config.c -- chanceryd's configuration file: a strict, bounded reader of
 * `key = value` lines (config.h). Nothing here is lenient: an unknown or
 * repeated key, a value of the wrong shape, a control byte or an over-long
 * line stops the start with the line's number and what was wrong. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/config.h"
#include "util/common.h"

typedef enum { V_PATH, V_HOST, V_PORT, V_COUNT, V_USER, V_ORIGIN, V_LOG } vkind;

typedef struct {
	const char *name;
	vkind kind;
	size_t str_off; /* offset of the char * in ch_config (V_PATH, V_HOST, V_USER, V_ORIGIN) */
	size_t int_off; /* offset of the int (V_PORT, V_COUNT, V_LOG) */
} ckey;

#define S(f) offsetof(ch_config, f), 0
#define I(f) 0, offsetof(ch_config, f)
static const ckey keys[] = {
	{ "site", V_PATH, S(site) },
	{ "cert", V_PATH, S(cert) },
	{ "key", V_PATH, S(key) },
	{ "client_ca", V_PATH, S(client_ca) },
	{ "static", V_PATH, S(static_dir) },
	{ "listen", V_HOST, S(listen) },
	{ "user", V_USER, S(user) },
	{ "origin", V_ORIGIN, S(origin) },
	{ "port", V_PORT, I(port) },
	{ "max_per_ip", V_COUNT, I(max_per_ip) },
	{ "log", V_LOG, I(log) },
};
#undef S
#undef I
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int only(const char *v, const char *set)
{
	return v[strspn(v, set)] == '\0';
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* A decimal number in [lo, hi], digits only. */
static int number(int *out, const char *v, long lo, long hi)
{
	long n = 0;

	if (!*v || strlen(v) > 6 || !only(v, "0123456789"))
		return -1;
	while (*v)
		n = n * 10 + (*v++ - '0');
	if (n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

/* The value's shape; a message for `line` when it is wrong. */
static int check_value(const ckey *k, const char *v, unsigned line, int *num)
{
	static const char *const logs[] = { "text", "logfmt", "journal" };
	size_t i;

	switch (k->kind) {
	case V_PATH:
		if (v[0] == '/' && only(v + 1, ALNUM "/._-+@:,=") && !strstr(v, "/../") &&
		    strcmp(v + strlen(v) - (strlen(v) >= 3 ? 3 : 0), "/.."))
			return 0;
		return ch_error_setc(CH_EINVALID, "line %u: %s must be an absolute path of "
		                     "letters, digits and ._-+@:,= (no '..')", line, k->name);
	case V_HOST:
		if (strlen(v) <= 253 && only(v, ALNUM ".:-[]"))
			return 0;
		return ch_error_setc(CH_EINVALID, "line %u: listen must be an address "
		                     "(127.0.0.1, ::1, 0.0.0.0)", line);
	case V_PORT:
		if (number(num, v, 1, 65535) == 0)
			return 0;
		return ch_error_setc(CH_EINVALID, "line %u: port must be a number from 1 to 65535",
		                     line);
	case V_COUNT:
		if (number(num, v, 0, CH_CONF_MAX_PER_IP) == 0)
			return 0;
		return ch_error_setc(CH_EINVALID, "line %u: %s must be a number from 0 to %d", line,
		                     k->name, CH_CONF_MAX_PER_IP);
	case V_USER:
		if (strlen(v) <= 32 && strchr("abcdefghijklmnopqrstuvwxyz_", v[0]) &&
		    only(v, "abcdefghijklmnopqrstuvwxyz0123456789_-"))
			return 0;
		return ch_error_setc(CH_EINVALID, "line %u: user must be a system user name "
		                     "(lower-case letters, digits, _ and -)", line);
	case V_ORIGIN:
		if (!strncmp(v, "https://", 8) && v[8] && only(v + 8, ALNUM ".:-[]"))
			return 0;
		return ch_error_setc(CH_EINVALID, "line %u: origin must be https://HOST[:PORT]", line);
	case V_LOG:
		for (i = 0; i < 3; i++)
			if (!strcmp(v, logs[i])) {
				*num = CH_LOG_TEXT + (int)i;
				return 0;
			}
		return ch_error_setc(CH_EINVALID, "line %u: log must be text, logfmt or journal", line);
	}
	return ch_error_setc(CH_EINVALID, "line %u: unknown value kind", line);
}

static const ckey *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static int already_set(const ch_config *c, const ckey *k)
{
	if (k->kind == V_PORT || k->kind == V_COUNT || k->kind == V_LOG)
		return *(const int *)(const void *)((const char *)c + k->int_off) != -1;
	return *(char *const *)(const void *)((const char *)c + k->str_off) != NULL;
}

static void store(ch_config *c, const ckey *k, const char *v, int num)
{
	if (k->kind == V_PORT || k->kind == V_COUNT || k->kind == V_LOG)
		*(int *)(void *)((char *)c + k->int_off) = num;
	else
		*(char **)(void *)((char *)c + k->str_off) = ch_strdup(v);
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* One line, NUL-terminated, without its newline. */
static int parse_line(ch_config *c, char *s, unsigned line)
{
	char *eq, *end, *v;
	const ckey *k;
	int num = 0;

	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	if (!*s || *s == '#')
		return 0;
	if (!(eq = strchr(s, '=')))
		return ch_error_setc(CH_EINVALID, "line %u: expected 'key = value'", line);
	v = eq + 1;
	while (eq > s && is_blank(eq[-1]))
		eq--;
	*eq = '\0';
	while (is_blank(*v))
		v++;
	if (!(k = find_key(s)))
		return ch_error_setc(CH_EINVALID, "line %u: unknown key '%.40s'%s", line, s,
		                     only(s, "abcdefghijklmnopqrstuvwxyz_") ? "" : " (keys are "
		                     "lower-case letters and _)");
	if (!*v)
		return ch_error_setc(CH_EINVALID, "line %u: %s has no value", line, k->name);
	if (strlen(v) > CH_CONF_MAX_VALUE)
		return ch_error_setc(CH_EINVALID, "line %u: the value of %s is longer than %d bytes",
		                     line, k->name, CH_CONF_MAX_VALUE);
	if (strchr(v, '#'))
		return ch_error_setc(CH_EINVALID, "line %u: a comment goes on a line of its own",
		                     line);
	if (already_set(c, k))
		return ch_error_setc(CH_EINVALID, "line %u: %s is set twice", line, k->name);
	if (check_value(k, v, line, &num) < 0)
		return -1;
	store(c, k, v, num);
	return 0;
}

static void config_init(ch_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = c->max_per_ip = c->log = -1;
}

static int parse_text(ch_config *out, const char *text, size_t len)
{
	char line[CH_CONF_MAX_LINE + 1];
	size_t pos = 0, n;
	unsigned lineno = 0;

	if (len > CH_CONF_MAX_FILE)
		return ch_error_setc(CH_EINVALID, "longer than %d bytes", CH_CONF_MAX_FILE);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		if (++lineno > CH_CONF_MAX_LINES)
			return ch_error_setc(CH_EINVALID, "more than %d lines", CH_CONF_MAX_LINES);
		if (n > CH_CONF_MAX_LINE)
			return ch_error_setc(CH_EINVALID, "line %u: longer than %d bytes", lineno,
			                     CH_CONF_MAX_LINE);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
			    (unsigned char)line[i] >= 0x7f)
				return ch_error_setc(CH_EINVALID, "line %u: a control or non-ASCII byte "
				                     "(0x%02x) at column %zu", lineno,
				                     (unsigned char)line[i], i + 1);
		if (parse_line(out, line, lineno) < 0)
			return -1;
		pos += n + (nl ? 1 : 0);
	}
	return 0;
}

int ch_config_parse(ch_config *out, const char *text, size_t len)
{
	config_init(out);
	if (parse_text(out, text, len) < 0) {
		ch_config_dispose(out);
		return CH_EINVALID;
	}
	return 0;
}

static int read_config(ch_buf *text, const char *path, int check_owner)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return ch_error_setc(CH_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ch_error_setc(CH_EINVALID, "%s: not a regular file", path);
	}
	if (check_owner && (st.st_uid != 0 || (st.st_mode & 022))) {
		close(fd);
		return ch_error_setc(CH_EDENIED, "%s: started as root, chanceryd reads only a "
		                     "configuration that root owns and no one else can write "
		                     "(chown root; chmod 0640)", path);
	}
	ch_buf_grow(text, CH_CONF_MAX_FILE + 1);
	while (text->size <= CH_CONF_MAX_FILE &&
	       (n = read(fd, text->ptr + text->size, CH_CONF_MAX_FILE + 1 - text->size)) > 0)
		text->size += (size_t)n;
	text->ptr[text->size] = '\0';
	close(fd);
	return 0;
}

int ch_config_load(ch_config *out, const char *path, int check_owner)
{
	ch_buf text = CH_BUF_INIT;
	int error;

	config_init(out);
	if ((error = read_config(&text, path, check_owner)) == 0 &&
	    (error = ch_config_parse(out, text.ptr, text.size)) < 0)
		ch_error_prefix("%s: ", path);
	ch_buf_dispose(&text);
	return error;
}

void ch_config_dispose(ch_config *c)
{
	if (!c)
		return;
	free(c->site);
	free(c->cert);
	free(c->key);
	free(c->client_ca);
	free(c->listen);
	free(c->user);
	free(c->origin);
	free(c->static_dir);
	memset(c, 0, sizeof(*c));
	c->port = c->max_per_ip = c->log = -1;
}
