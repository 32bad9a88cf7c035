/* gate.c -- the classification gate of the networked tier. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workflows/classify/attach.h"
#include "workflows/classify/gate.h"
#include "workflows/classify/stamp.h"
#include "util/fs.h"
#include "util/common.h"

int ch_gate_event(ch_site *site, const char *door, const char *person, const char *rule,
                  const char *level)
{
	ch_buf path = CH_BUF_INIT, line = CH_BUF_INIT;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd, error = 0;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ch_buf_printf(&path, "%s/state", site->path);
	if ((error = ch_fs_mkdir_p(path.ptr, 0700)) < 0)
		goto done;
	ch_buf_puts(&path, "/security.log");
	ch_buf_printf(&line, "{\"time\":\"%s\",\"door\":", when);
	ch_buf_putjson(&line, door);
	ch_buf_puts(&line, ",\"person\":");
	ch_buf_putjson(&line, person ? person : "");
	ch_buf_puts(&line, ",\"rule\":");
	ch_buf_putjson(&line, rule);
	ch_buf_puts(&line, ",\"level\":");
	ch_buf_putjson(&line, level);
	ch_buf_puts(&line, "}\n");
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line.ptr, line.size) != (ssize_t)line.size || fsync(fd) < 0)
		error = ch_error_setc(CH_EIO, "cannot record the security event: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
done:
	ch_buf_dispose(&path);
	ch_buf_dispose(&line);
	return error;
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
