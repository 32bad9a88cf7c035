/* quarantine.c -- received objects are verified before they enter the site
 * (quarantine.h). API stub: the implementation follows. */
#include <stdlib.h>
#include <string.h>

#include "quarantine.h"
#include "util/common.h"

struct ch_quarantine {
	ch_site *site;
	char *path;
};

int ch_quarantine_open(ch_quarantine **out, ch_site *site, const char *peer_site,
                       const char *door)
{
	(void)site;
	(void)peer_site;
	(void)door;
	*out = NULL;
	return ch_error_setc(CH_EIO, "the quarantine is not built yet");
}

const char *ch_quarantine_path(const ch_quarantine *q)
{
	return q->path;
}

int ch_quarantine_add_pack(ch_quarantine *q, const void *pack, size_t len)
{
	(void)q;
	(void)pack;
	(void)len;
	return ch_error_setc(CH_EIO, "the quarantine is not built yet");
}

int ch_quarantine_apply(ch_quarantine *q, const ch_qupdate *u, size_t n, unsigned flags,
                        ch_qresult **results)
{
	(void)q;
	(void)u;
	(void)n;
	(void)flags;
	*results = NULL;
	return ch_error_setc(CH_EIO, "the quarantine is not built yet");
}

void ch_qresults_free(ch_qresult *r, size_t n)
{
	size_t i;

	for (i = 0; r && i < n; i++)
		free(r[i].message);
	free(r);
}

void ch_quarantine_free(ch_quarantine *q)
{
	if (!q)
		return;
	free(q->path);
	free(q);
}

const char *ch_qstatus_name(ch_qstatus s)
{
	switch (s) {
	case CH_Q_ACCEPTED: return "accepted";
	case CH_Q_UNCHANGED: return "unchanged";
	case CH_Q_AHEAD: return "ahead";
	case CH_Q_CONFLICT: return "conflict";
	case CH_Q_REFUSED: return "refused";
	}
	return "?";
}
