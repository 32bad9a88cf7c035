/* gate.c -- the classification gate of the networked tier. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workflows/classify/attach.h"
#include "workflows/classify/gate.h"
#include "workflows/classify/stamp.h"
#include "util/fs.h"
#include "util/common.h"

/* ---- the security log ----
 *
 * SITE/state/security.log holds one JSON line per event:
 *   {"time":FIRST,"door":..,"person":..,"rule":..,"level":..,"count":N,"last":LAST}
 * with N right-aligned in 10 columns, so that a line keeps its length when
 * it counts again. The same event (door, person, rule, level) within an
 * hour of its first time, among the last CH_SECLOG_TAIL bytes, is folded
 * into that line (count and last time rewritten in place) instead of
 * adding one: a flood of refused searches takes a line, not the log. A
 * file reaching CH_SECLOG_MAX is renamed security.log.1 (the older ones
 * shifting up to .CH_SECLOG_FILES, the oldest dropped). Writers take an
 * exclusive flock on the file and check it is still the current one. The
 * state directory is opened once and every name is taken relative to it
 * without following links. */
#define CH_SECLOG_FOLD_SECONDS 3600
#define CH_SECLOG_TAIL 8192

static int seclog_open(int dfd)
{
	for (;;) {
		struct stat a, b;
		int fd = openat(dfd, "security.log",
		                O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX) < 0 || fstat(fd, &a) < 0) {
			close(fd);
			return -1;
		}
		/* rotated by another writer while we waited: take the new one */
		if (fstatat(dfd, "security.log", &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev && S_ISREG(a.st_mode))
			return fd;
		close(fd);
	}
}

static void seclog_rotate(int dfd)
{
	char from[32], to[32];
	int i;

	for (i = CH_SECLOG_FILES; i > 1; i--) {
		snprintf(from, sizeof(from), "security.log.%d", i - 1);
		snprintf(to, sizeof(to), "security.log.%d", i);
		renameat(dfd, from, dfd, to);
	}
	renameat(dfd, "security.log", dfd, "security.log.1");
}

static time_t seclog_time(const char *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	return strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) ? timegm(&tm) : 0;
}

/* Fold the event whose key (from ,"door" to "count":) is `key` into the
 * newest line of the file's tail that holds it: 1 if done. */
static int seclog_fold(int fd, off_t size, const char *key, const char *when, time_t now)
{
	char tail[CH_SECLOG_TAIL + 1], num[16];
	off_t at = size > CH_SECLOG_TAIL ? size - CH_SECLOG_TAIL : 0;
	ssize_t n = pread(fd, tail, (size_t)(size - at), at);
	size_t klen = strlen(key);
	char *line, *end;

	if (n <= 0)
		return 0;
	tail[n] = '\0';
	for (end = tail + n; end > tail; end = line) {
		char *nl;
		unsigned long count;

		/* the line that ends just before `end` */
		for (line = end - 1; line > tail && line[-1] != '\n'; line--)
			;
		if (line == tail && at > 0)
			return 0; /* a line cut by the tail's start */
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl || (size_t)(nl - line) < 30 + klen + 10 + 9 + 20 + 2)
			continue;
		/* {"time":"YYYY-MM-DDTHH:MM:SSZ" is 30 bytes, then the key */
		if (strncmp(line, "{\"time\":\"", 9) || memcmp(line + 30, key, klen))
			continue;
		line[29] = '\0';
		if (now - seclog_time(line + 9) > CH_SECLOG_FOLD_SECONDS)
			return 0; /* older events are not folded into */
		memcpy(num, line + 30 + klen, 10);
		num[10] = '\0';
		count = strtoul(num, NULL, 10);
		if (count >= 4000000000ul || memcmp(line + 30 + klen + 10, ",\"last\":\"", 9))
			return 0;
		snprintf(num, sizeof(num), "%10lu", count + 1);
		if (pwrite(fd, num, 10, at + (line + 30 + klen - tail)) != 10 ||
		    pwrite(fd, when, 20, at + (line + 30 + klen + 19 - tail)) != 20)
			return 0;
		return 1;
	}
	return 0;
}

int ch_gate_event(ch_site *site, const char *door, const char *person, const char *rule,
                  const char *level)
{
	ch_buf path = CH_BUF_INIT, key = CH_BUF_INIT, line = CH_BUF_INIT;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;
	int dfd = -1, fd = -1, error = 0;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ch_buf_printf(&path, "%s/state", site->path);
	if ((error = ch_fs_mkdir_p(path.ptr, 0700)) < 0)
		goto done;
	ch_buf_puts(&key, ",\"door\":");
	ch_buf_putjson(&key, door);
	ch_buf_puts(&key, ",\"person\":");
	ch_buf_putjson(&key, person ? person : "");
	ch_buf_puts(&key, ",\"rule\":");
	ch_buf_putjson(&key, rule);
	ch_buf_puts(&key, ",\"level\":");
	ch_buf_putjson(&key, level);
	ch_buf_puts(&key, ",\"count\":");
	ch_buf_printf(&line, "{\"time\":\"%s\"%s%10u,\"last\":\"%s\"}\n", when, key.ptr, 1u, when);
	if ((dfd = open(path.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (fd = seclog_open(dfd)) < 0 || fstat(fd, &st) < 0) {
		error = ch_error_setc(CH_EIO, "cannot open the security log: %s", strerror(errno));
		goto done;
	}
	if (st.st_size >= CH_SECLOG_MAX) {
		seclog_rotate(dfd);
		close(fd);
		if ((fd = seclog_open(dfd)) < 0 || fstat(fd, &st) < 0) {
			error = ch_error_setc(CH_EIO, "cannot open the security log: %s", strerror(errno));
			goto done;
		}
	}
	if (!seclog_fold(fd, st.st_size, key.ptr, when, now) &&
	    pwrite(fd, line.ptr, line.size, st.st_size) != (ssize_t)line.size)
		error = ch_error_setc(CH_EIO, "cannot record the security event: %s", strerror(errno));
	if (!error && fsync(fd) < 0)
		error = ch_error_setc(CH_EIO, "cannot record the security event: %s", strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	ch_buf_dispose(&path);
	ch_buf_dispose(&key);
	ch_buf_dispose(&line);
	return error;
}

/* One file's events, newest first, appended to `all`. */
static void seclog_read_one(json_t *all, int dfd, const char *name)
{
	ch_buf text = CH_BUF_INIT;
	json_t *events = json_array();
	const char *p, *nl;
	char chunk[65536];
	ssize_t n;
	size_t i;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	while (fd >= 0 && text.size < 2 * CH_SECLOG_MAX &&
	       (n = read(fd, chunk, sizeof(chunk))) > 0)
		ch_buf_put(&text, chunk, (size_t)n);
	for (p = text.ptr; (nl = strchr(p, '\n')); p = nl + 1) {
		json_t *e = json_loadb(p, (size_t)(nl - p), 0, NULL);

		if (json_is_object(e))
			json_array_append_new(events, e);
		else
			json_decref(e);
	}
	for (i = json_array_size(events); i > 0; i--)
		json_array_append(all, json_array_get(events, i - 1));
	json_decref(events);
	ch_buf_dispose(&text);
	if (fd >= 0)
		close(fd);
}

int ch_gate_events(json_t **out, size_t *total, ch_site *site, size_t from, size_t max)
{
	ch_buf path = CH_BUF_INIT;
	json_t *all = json_array();
	char name[32];
	int dfd, i;

	*out = json_array();
	*total = 0;
	ch_buf_printf(&path, "%s/state", site->path);
	dfd = open(path.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ch_buf_dispose(&path);
	if (dfd < 0)
		goto done;
	for (i = 0; i <= CH_SECLOG_FILES; i++) {
		if (i)
			snprintf(name, sizeof(name), "security.log.%d", i);
		else
			snprintf(name, sizeof(name), "security.log");
		seclog_read_one(all, dfd, name);
	}
	close(dfd);
	*total = json_array_size(all);
	for (; from < *total && json_array_size(*out) < max; from++)
		json_array_append(*out, json_array_get(all, from));
done:
	json_decref(all);
	return 0;
}

static int refuse(ch_site *site, const ch_gate_item *item, const ch_stamp_result *r,
                  const char *what)
{
	char msg[512];

	ch_stamp_refuse(r, what);
	snprintf(msg, sizeof(msg), "%s", ch_error_last());
	ch_gate_event(site, item->door, item->person, r->rule[0] ? r->rule : "label",
	              ch_stamp_level_name(r->level));
	return ch_error_setc(CH_ECLASSIFIED, "refused at the %s: %s; %s", item->door, msg,
	                     item->query ? "the search was not run" : "nothing was stored");
}

int ch_gate_check(ch_site *site, const ch_policy *pol, const ch_gate_item *item)
{
	ch_stamp_result r;

	if (!strcmp(pol->tier, "offline"))
		return 0;
	if (item->classification && strcmp(item->classification, "unclassified")) {
		/* the claimed label is the requester's text: only a known one is logged */
		ch_gate_event(site, item->door, item->person, "label",
		              ch_valid_classification(item->classification) ? item->classification :
		              "unknown label");
		return ch_error_setc(CH_ECLASSIFIED, "refused at the %s: site %s is on the networked "
		                     "tier: it holds unclassified documents only; nothing was stored",
		                     item->door, site->site_id);
	}
	if (item->title && ch_stamp_scan_text(&r, item->title, strlen(item->title),
	                                      CH_STAMP_IN_TITLE) == 0 && r.level != CH_STAMP_NONE)
		return refuse(site, item, &r, "the title");
	if (item->query && ch_stamp_scan_text(&r, item->query, strlen(item->query),
	                                      CH_STAMP_IN_TITLE) == 0 && r.level != CH_STAMP_NONE)
		return refuse(site, item, &r, "the search query");
	if (item->filename && ch_stamp_scan_text(&r, item->filename, strlen(item->filename),
	                                         CH_STAMP_IN_FILENAME) == 0 &&
	    r.level != CH_STAMP_NONE)
		return refuse(site, item, &r, "the file name");
	if (item->text && ch_stamp_scan_file(&r, NULL, item->text, item->text_len) == 0 &&
	    r.level != CH_STAMP_NONE)
		return refuse(site, item, &r, item->what ? item->what : "the text");
	return 0;
}

/* ---- attachments ---- */

static int refuse_file(ch_site *site, const ch_gate_file *f, const char *rule, const char *level,
                       const char *why)
{
	ch_gate_event(site, f->door, f->person, rule, level);
	return ch_error_setc(CH_ECLASSIFIED, "refused at the %s: attachment %zu %s; nothing was "
	                     "stored", f->door, f->index, why);
}

static int refuse_unreadable(ch_site *site, const ch_policy *pol, const ch_gate_file *f,
                             const char *rule, const char *type)
{
	const ch_attach_type *at = ch_policy_attach_type(pol, type);
	char why[400];
	char *roles;

	if (!at) {
		snprintf(why, sizeof(why), "cannot be checked for classification markings (%s, type "
		         "%s), and the policy (policy/attachments.json) does not allow that type", rule,
		         type);
		return refuse_file(site, f, rule, "unreadable", why);
	}
	roles = ch_strv_join(&at->declare_roles, ", ");
	snprintf(why, sizeof(why), "cannot be checked for classification markings (%s, type %s): "
	         "the policy allows it only when declared unclassified by a person with the role %s",
	         rule, type, roles);
	free(roles);
	return refuse_file(site, f, f->declared ? "declaration-without-right" : rule, "unreadable",
	                   why);
}

int ch_gate_attachment(ch_site *site, const ch_policy *pol, const ch_gate_file *f,
                       int *unreadable)
{
	int offline = !strcmp(pol->tier, "offline"), error;
	const ch_person *p = ch_policy_person(pol, f->person ? f->person : "");
	const char *type;
	ch_stamp_result r;

	if (unreadable)
		*unreadable = 0;
	if (!offline && (error = ch_stamp_scan_text(&r, f->name, strlen(f->name),
	                                            CH_STAMP_IN_FILENAME)) == 0 &&
	    r.level != CH_STAMP_NONE) {
		return refuse_file(site, f, r.rule, ch_stamp_level_name(r.level),
		                   "has a name that carries a classification marking");
	}
	if ((error = ch_attach_scan(&r, f->data, f->len)) < 0)
		return error;
	if (r.level != CH_STAMP_UNREADABLE) {
		if (!offline && r.level != CH_STAMP_NONE) /* a stamp first, declared or not */
			return refuse_file(site, f, r.rule, ch_stamp_level_name(r.level),
			                   r.level == CH_STAMP_DECLASSIFIED_NO_REF ?
			                   "is marked declassified (GIẢI MẬT) without a decision "
			                   "reference" :
			                   "carries a classification marking: classified material is "
			                   "never accepted on the networked server");
		if (f->declared)
			return ch_error_setc(CH_EINVALID, "attachment %zu is text the scanner reads: it "
			                     "needs no declaration (and gets none)", f->index);
		return 0;
	}
	if (unreadable)
		*unreadable = 1;
	type = ch_attach_sniff(f->data, f->len);
	if (f->declared && ch_policy_may_declare(pol, p, type))
		return 0;
	if (offline && !f->declared)
		return 0;
	if (offline)
		return ch_error_setc(CH_EDENIED, "attachment %zu: %s may not declare a file of type "
		                     "%s unclassified (policy/attachments.json)", f->index,
		                     f->person ? f->person : "this person", type);
	return refuse_unreadable(site, pol, f, r.rule, type);
}

int ch_gate_attachment_out(ch_site *site, const ch_policy *pol, const char *door,
                           const char *person, const char *name, const void *data,
                           size_t len)
{
	ch_stamp_result r, rn;

	if (!strcmp(pol->tier, "offline"))
		return 0;
	if (ch_stamp_scan_text(&rn, name, strlen(name), CH_STAMP_IN_FILENAME) < 0 ||
	    ch_attach_scan(&r, data, len) < 0)
		return ch_error_setc(CH_EIO, "the attachment cannot be scanned");
	if (rn.level > r.level)
		r = rn;
	if (r.level == CH_STAMP_NONE ||
	    (r.level == CH_STAMP_UNREADABLE && ch_policy_attach_type(pol, ch_attach_sniff(data, len))))
		return 0;
	ch_gate_event(site, door, person, r.rule, ch_stamp_level_name(r.level));
	return ch_error_setc(CH_ECLASSIFIED, "withheld at the %s: the attachment did not pass the "
	                     "classification gate; the event was recorded", door);
}

/* ---- short fields ---- */

int ch_gate_fields(ch_site *site, const ch_policy *pol, const char *door, const char *person,
                   const ch_gate_field *fields, size_t n)
{
	ch_gate_item item;
	ch_stamp_result r;
	size_t i;

	if (!strcmp(pol->tier, "offline"))
		return 0;
	memset(&item, 0, sizeof(item));
	item.door = door;
	item.person = person;
	for (i = 0; i < n; i++)
		if (fields[i].value && ch_stamp_scan_text(&r, fields[i].value, strlen(fields[i].value),
		                                          CH_STAMP_IN_TITLE) == 0 &&
		    r.level != CH_STAMP_NONE)
			return refuse(site, &item, &r, fields[i].what);
	return 0;
}

/* ---- whole commits ---- */

typedef struct {
	ch_gate_verdict *v;
	const ch_policy *pol;
	unsigned flags;
	size_t files;       /* files and directories seen: a position for messages */
} judge;

#define J_MAX_DEPTH 8

static void verdict_init(ch_gate_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->r.rule = "";
	v->r.encoding = "";
}

/* Keep the first refusal: its place and position, never the content. */
static int found(judge *j, const ch_stamp_result *r, const char *place, size_t index)
{
	if (r->level == CH_STAMP_NONE)
		return 0;
	j->v->r = *r;
	j->v->place = place;
	j->v->index = index;
	if (index)
		snprintf(j->v->where, sizeof(j->v->where), "%s %zu", place, index);
	else
		snprintf(j->v->where, sizeof(j->v->where), "%s", place);
	return 1;
}

static int scan(judge *j, const char *s, size_t len, int where, const char *place, size_t index)
{
	ch_stamp_result r;

	if (ch_stamp_scan_text(&r, s, len, where) < 0) {
		r.level = CH_STAMP_UNREADABLE;
		r.rule = "binary";
		r.encoding = "";
		r.line = 0;
	}
	return found(j, &r, place, index);
}

static ch_stamp_level label_level(const char *label)
{
	if (!strcmp(label, "secret"))
		return CH_STAMP_SECRET;
	if (!strcmp(label, "top-secret"))
		return CH_STAMP_TOP_SECRET;
	return CH_STAMP_CONFIDENTIAL; /* confidential, or any other word */
}

/* A label other than "unclassified" (meta.json, the trailer). */
static int label(judge *j, const char *value, size_t len, const char *place)
{
	ch_stamp_result r = { CH_STAMP_CONFIDENTIAL, "label", "", 0 };
	char buf[16];

	while (len && (value[len - 1] == ' ' || value[len - 1] == '\t' || value[len - 1] == '\r'))
		len--;
	while (len && (*value == ' ' || *value == '\t')) {
		value++;
		len--;
	}
	if (len == 12 && !memcmp(value, "unclassified", 12))
		return 0;
	if (len < sizeof(buf)) {
		memcpy(buf, value, len);
		buf[len] = '\0';
		r.level = label_level(buf);
	}
	return found(j, &r, place, 0);
}

/* The message: the subject as a title, the whole as text, and each line of
 * the last paragraph (git's trailers, and their continuation lines) as a
 * title: the value after the first colon, or the whole line. */
static int judge_message(judge *j, const char *msg)
{
	size_t len = strlen(msg), end = len, start = 0, k = 0, i, sub = strcspn(msg, "\n");
	const char *act = memchr(msg, ':', sub);

	/* the subject whole, and what follows "<action>: " as the title it is */
	if (scan(j, msg, sub, CH_STAMP_IN_TITLE, "the subject", 0) ||
	    (act && scan(j, act + 1, sub - (size_t)(act + 1 - msg), CH_STAMP_IN_TITLE,
	                   "the subject", 0)) ||
	    scan(j, msg, len, CH_STAMP_IN_BODY, "the message", 0))
		return 1;
	while (end && (msg[end - 1] == '\n' || msg[end - 1] == ' ' || msg[end - 1] == '\r'))
		end--;
	for (i = 0; i + 1 < end; i++)
		if (msg[i] == '\n' && msg[i + 1] == '\n')
			start = i + 2;
	while (start < end) {
		const char *line = msg + start, *colon;
		size_t n = strcspn(line, "\n");

		if (start + n > end)
			n = end - start;
		k++;
		colon = memchr(line, ':', n);
		if (colon && (size_t)(colon - line) == 23 &&
		    !strncmp(line, "Chancery-Classification", 23) &&
		    label(j, colon + 1, n - (size_t)(colon + 1 - line), "the classification trailer"))
			return 1;
		if (colon ? scan(j, colon + 1, n - (size_t)(colon + 1 - line), CH_STAMP_IN_TITLE,
		                 "trailer", k) :
		            scan(j, line, n, CH_STAMP_IN_TITLE, "trailer", k))
			return 1;
		start += n + 1;
	}
	return 0;
}

/* Every header line of a commit but its signature, as a title. */
static int judge_header(judge *j, const char *hdr)
{
	int in_sig = 0;

	while (*hdr) {
		size_t n = strcspn(hdr, "\n");

		if (*hdr == ' ') {
			if (!in_sig && scan(j, hdr, n, CH_STAMP_IN_TITLE, "a commit header", 0))
				return 1;
		} else {
			in_sig = !strncmp(hdr, "gpgsig ", 7) || !strncmp(hdr, "gpgsig-sha256 ", 14);
			if (!in_sig && scan(j, hdr, n, CH_STAMP_IN_TITLE,
			                    !strncmp(hdr, "author ", 7) ? "the author" :
			                    !strncmp(hdr, "committer ", 10) ? "the committer" :
			                    "a commit header", 0))
				return 1;
		}
		hdr += n;
		if (*hdr)
			hdr++;
	}
	return 0;
}

static const char *meta_place(const char *key)
{
	static const char *const places[][2] = {
		{ "title", "meta.json: title" }, { "number", "meta.json: number" },
		{ "type", "meta.json: type" }, { "urgency", "meta.json: urgency" },
		{ "workflow", "meta.json: workflow" }, { "classification", "meta.json: classification" },
		{ "recipients", "meta.json: recipients" }, { "version", "meta.json: version" },
		{ "id", "meta.json: id" }, { "site", "meta.json: site" }, { "unit", "meta.json: unit" },
	};
	size_t i;

	for (i = 0; key && i < CH_ARRAY_SIZE(places); i++)
		if (!strcmp(key, places[i][0]))
			return places[i][1];
	return "meta.json: another field";
}

/* Every string of a JSON value (keys too), each as a title. */
static int judge_json(judge *j, const json_t *v, const char *key, int depth)
{
	const char *k;
	json_t *m;
	size_t i;

	if (depth > 16)
		return 0; /* the raw scan read it; the schema (D8) refuses such a file */
	if (json_is_string(v))
		return scan(j, json_string_value(v), json_string_length(v), CH_STAMP_IN_TITLE,
		            meta_place(key), 0);
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (judge_json(j, m, key, depth + 1))
				return 1;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)(uintptr_t)v, k, m)
			if (scan(j, k, strlen(k), CH_STAMP_IN_TITLE, "meta.json: a key", 0) ||
			    judge_json(j, m, depth ? key : k, depth + 1))
				return 1;
	}
	return 0;
}

/* meta.json: its label and every string (keys too) as a title, then the
 * whole as a JSON file (every string as text). One that does not parse is
 * D8's to name; its strings are still read by the second scan. */
static int judge_meta(judge *j, const void *data, size_t len)
{
	ch_stamp_result r;
	json_t *root = NULL;
	json_error_t err;
	int rc = 0;

	/* field by field first, so that a refusal names the field */
	if (len <= 64 * 1024 &&
	    (root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err))) {
		const json_t *c = json_object_get(root, "classification");

		if (json_is_string(c))
			rc = label(j, json_string_value(c), json_string_length(c),
			           "meta.json: classification");
		if (!rc)
			rc = judge_json(j, root, NULL, 0);
		json_decref(root);
	}
	if (!rc && ch_stamp_scan_file(&r, "meta.json", data, len) == 0)
		rc = found(j, &r, "meta.json", 0);
	return rc;
}

/* One blob the commit adds or changes, by its place in the tree. */
static int judge_blob(judge *j, const char *path, const void *data, size_t len, size_t pos)
{
	ch_stamp_result r;

	if (!strcmp(path, "meta.json"))
		return judge_meta(j, data, len);
	if (!strncmp(path, CH_ATTACH_DIR, sizeof(CH_ATTACH_DIR) - 1) &&
	    !strchr(path + sizeof(CH_ATTACH_DIR) - 1, '/')) {
		if (ch_attach_scan(&r, data, len) < 0) {
			r.level = CH_STAMP_UNREADABLE;
			r.rule = "binary";
		}
		if (r.level == CH_STAMP_UNREADABLE &&
		    ((j->flags & CH_GATE_AUDIT) ||
		     (j->pol && ch_policy_attach_type(j->pol, ch_attach_sniff(data, len)))))
			return 0; /* a type the policy allows: its declaration is D10's */
		return found(j, &r, "attachment", pos);
	}
	if (ch_stamp_scan_file(&r, NULL, data, len) < 0) {
		r.level = CH_STAMP_UNREADABLE;
		r.rule = "binary";
	}
	return !strcmp(path, "document.md") ? found(j, &r, "the text", 0) : found(j, &r, "file", pos);
}

/* A tree of the commit; `ptree` is the parent's whole tree or NULL. */
static int judge_tree(judge *j, git_repository *repo, const git_tree *tree,
                      const git_tree *ptree, ch_buf *path, int depth, int *error)
{
	size_t i, n = git_tree_entrycount(tree), base = path->size;
	int rc = 0;

	if (depth > J_MAX_DEPTH) {
		ch_stamp_result r = { CH_STAMP_UNREADABLE, "tree-depth", "", 0 };

		return found(j, &r, "the tree", 0);
	}
	for (i = 0; i < n && !rc && !*error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_tree_entry *pe = NULL;
		git_object_t type = git_tree_entry_type(e);
		size_t pos = ++j->files;

		ch_buf_truncate(path, base);
		ch_buf_puts(path, git_tree_entry_name(e));
		if (scan(j, path->ptr, path->size, CH_STAMP_IN_FILENAME, "file name", pos))
			return 1;
		if (type == GIT_OBJECT_TREE) {
			git_tree *sub = NULL;

			if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0) {
				*error = ch_error_setc(CH_EIO, "a tree of the commit is missing");
				break;
			}
			ch_buf_putc(path, '/');
			rc = judge_tree(j, repo, sub, ptree, path, depth + 1, error);
			git_tree_free(sub);
		} else if (type == GIT_OBJECT_BLOB) {
			git_blob *blob = NULL;

			if (ptree && git_tree_entry_bypath(&pe, ptree, path->ptr) == 0 &&
			    git_oid_equal(git_tree_entry_id(pe), git_tree_entry_id(e))) {
				git_tree_entry_free(pe);
				continue; /* judged when its parent was */
			}
			git_tree_entry_free(pe);
			if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
				*error = ch_error_setc(CH_EIO, "a file of the commit is missing");
				break;
			}
			rc = judge_blob(j, path->ptr, git_blob_rawcontent(blob),
			                (size_t)git_blob_rawsize(blob), pos);
			git_blob_free(blob);
		} else {
			ch_stamp_result r = { CH_STAMP_UNREADABLE, "not-a-file", "", 0 };

			rc = found(j, &r, "file", pos);
		}
	}
	ch_buf_truncate(path, base);
	return rc;
}

int ch_gate_judge_commit(ch_gate_verdict *out, git_repository *repo, const ch_policy *pol,
                         const git_commit *c, const git_tree *parent_tree, unsigned flags)
{
	judge j = { out, pol, flags, 0 };
	git_tree *tree = NULL;
	ch_buf path = CH_BUF_INIT;
	int error = 0;

	verdict_init(out);
	if (judge_message(&j, git_commit_message_raw(c)) ||
	    judge_header(&j, git_commit_raw_header(c)))
		return 0;
	/* a tree the same as the parent's brings no name or byte of its own */
	if (parent_tree && git_oid_equal(git_tree_id(parent_tree), git_commit_tree_id(c)))
		return 0;
	if (git_commit_tree(&tree, c) < 0)
		return ch_error_setc(CH_EIO, "the tree of commit %.12s cannot be read",
		                     git_oid_tostr_s(git_commit_id(c)));
	judge_tree(&j, repo, tree, parent_tree, &path, 0, &error);
	git_tree_free(tree);
	ch_buf_dispose(&path);
	return error;
}

static int refuse_verdict(ch_site *site, const char *door, const char *person,
                          const ch_gate_verdict *v, const git_oid *id)
{
	char msg[512], hex[32] = "";

	if (id)
		snprintf(hex, sizeof(hex), "commit %.12s: ", git_oid_tostr_s(id));
	if (!strcmp(v->r.rule, "label"))
		snprintf(msg, sizeof(msg), "%s is %s: site %s is on the networked tier and holds "
		         "unclassified documents only", v->where, ch_stamp_level_name(v->r.level),
		         site->site_id);
	else {
		ch_stamp_refuse(&v->r, v->where);
		snprintf(msg, sizeof(msg), "%s", ch_error_last());
	}
	ch_gate_event(site, door, person, v->r.rule, ch_stamp_level_name(v->r.level));
	return ch_error_setc(CH_ECLASSIFIED, "refused at the %s: %s%s; nothing was stored", door,
	                     hex, msg);
}

int ch_gate_commit(ch_site *site, git_repository *repo, const ch_policy *pol,
                   const git_oid *id, const char *door, const char *person)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *ptree = NULL;
	ch_gate_verdict v;
	int error;

	if (!strcmp(pol->tier, "offline"))
		return 0;
	if (git_commit_lookup(&c, repo, id) < 0)
		return ch_error_setc(CH_EIO, "commit %.12s cannot be read", git_oid_tostr_s(id));
	/* a parent the repository lacks: every blob counts as new */
	if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0)
		git_commit_tree(&ptree, parent);
	if ((error = ch_gate_judge_commit(&v, repo, pol, c, ptree, 0)) == 0 &&
	    v.r.level != CH_STAMP_NONE)
		error = refuse_verdict(site, door, person, &v, id);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_commit_free(c);
	return error;
}

int ch_gate_step(ch_site *site, const ch_policy *pol, const ch_fileset *files,
                 const ch_fileset *parent, const char *message, const char *ident,
                 const char *door, const char *person)
{
	ch_gate_verdict v;
	judge j = { &v, pol, 0, 0 };
	size_t i;

	if (!strcmp(pol->tier, "offline"))
		return 0;
	verdict_init(&v);
	if (judge_message(&j, message) ||
	    (ident && scan(&j, ident, strlen(ident), CH_STAMP_IN_TITLE, "the author", 0)))
		return refuse_verdict(site, door, person, &v, NULL);
	for (i = 0; files && i < files->n; i++) {
		const ch_file *f = &files->v[i];
		const ch_buf *old = parent ? ch_fileset_get(parent, f->path) : NULL;
		size_t pos = ++j.files;

		if (scan(&j, f->path, strlen(f->path), CH_STAMP_IN_FILENAME, "file name", pos) ||
		    (!(old && old->size == f->data.size &&
		       !memcmp(old->ptr, f->data.ptr, f->data.size)) &&
		     judge_blob(&j, f->path, f->data.ptr, f->data.size, pos)))
			return refuse_verdict(site, door, person, &v, NULL);
	}
	return 0;
}
