/* gate.c -- the classification gate of the networked tier. */
#include <errno.h>
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
		ch_gate_event(site, item->door, item->person, "label", item->classification);
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
