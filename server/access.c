/* access.c -- who read what, for auditors (workflows/store/access.h): a
 * document's access history on the audit page (/audit?doc=ID) and as JSON
 * (GET /api/v1/access?doc=ID, auditors only). */
#include <string.h>

#include "server.h"
#include "workflows/store/access.h"
#include "util/text.h"
#include "util/common.h"

#define SRV_ACCESS_ROWS 1000 /* records shown or exported, newest first */

json_t *srv_access_json(srv_ctx *x, const char *doc)
{
	json_t *records = NULL;

	if (!doc || !ch_valid_doc_id(doc) ||
	    ch_access_history(&records, x->site, doc, SRV_ACCESS_ROWS) < 0)
		return NULL;
	return records;
}

static int is_auditor(srv_ctx *x)
{
	const ch_policy *pol;
	const ch_person *p;

	return srv_current_policy(&pol, x) == 0 && (p = ch_policy_person(pol, x->sess.person)) &&
	       !p->revoked && ch_person_has_role(p, "auditor");
}

enum MHD_Result srv_access_api(srv_ctx *x)
{
	const char *doc = srv_arg(x, "doc");
	json_t *records;

	if (!is_auditor(x))
		return srv_send_json(x, 403, json_pack("{s:s}", "error", "auditors only"));
	if (!doc || !ch_valid_doc_id(doc))
		return srv_send_json(x, 400, json_pack("{s:s}", "error", "?doc=<document id> is "
		                                       "required"));
	if (!(records = srv_access_json(x, doc)))
		return srv_send_json(x, 500, json_pack("{s:s}", "error", ch_error_last()));
	srv_log(x, "access history of %s exported", doc);
	return srv_send_json(x, 200, json_pack("{s:s, s:o}", "doc", doc, "records", records));
}
