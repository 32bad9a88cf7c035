/* gate.c -- the classification gate of the networked tier. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "stamp.h"
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
	return ch_error_setc(CH_ECLASSIFIED, "refused at the %s: %s; nothing was stored",
	                     item->door, msg);
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
	if (item->filename && ch_stamp_scan_text(&r, item->filename, strlen(item->filename),
	                                         CH_STAMP_IN_FILENAME) == 0 &&
	    r.level != CH_STAMP_NONE)
		return refuse(site, item, &r, "the file name");
	if (item->text && ch_stamp_scan_file(&r, NULL, item->text, item->text_len) == 0 &&
	    r.level != CH_STAMP_NONE)
		return refuse(site, item, &r, item->what ? item->what : "the text");
	return 0;
}
