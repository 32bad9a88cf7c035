/* spillpage.c -- the "Spills" section of the security officer's page:
 * per spill of this site's list, per recipient site, whether that site's
 * log (kept here) acknowledges it (workflows/sync/spillsync.h). */
#include <time.h>

#include "server.h"
#include "workflows/sync/spillsync.h"
#include "util/common.h"

static json_t *ack_json(const ch_spill_ack *a)
{
	char when[32] = "";
	time_t t = (time_t)a->time;
	struct tm tm;

	if (a->state == CH_ACK_APPLIED && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:I, s:s}", "site", a->site, "state",
	                 a->state == CH_ACK_APPLIED ? "applied" :
	                 a->state == CH_ACK_NOT_YET ? "not-yet" : "no-log",
	                 "applied", a->state == CH_ACK_APPLIED, "not_yet", a->state == CH_ACK_NOT_YET,
	                 "no_log", a->state == CH_ACK_NO_LOG, "seq", (json_int_t)a->seq,
	                 "time", when);
}

json_t *srv_spills_json(srv_ctx *x)
{
	ch_spill_acks acks;
	json_t *out = json_array();
	size_t i, k;

	if (ch_spillsync_acks(&acks, x->site->repo, x->site->site_id) < 0) {
		srv_log(x, "spill acknowledgements: %s", ch_error_last());
		return out;
	}
	for (i = 0; i < acks.n; i++) {
		const ch_spill_status *st = &acks.v[i];
		json_t *r = json_array();

		for (k = 0; k < st->nacks; k++)
			json_array_append_new(r, ack_json(&st->acks[k]));
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "doc", st->doc,
		                                     "at", st->at, "by", st->by, "commit",
		                                     git_oid_tostr_s(&st->commit), "recipients", r,
		                                     "none", st->nacks == 0));
	}
	ch_spill_acks_dispose(&acks);
	return out;
}
