/* attach.c -- attachments in the browser and the JSON API: uploads
 * (multipart slots attach1..N with a declaration checkbox each, detach
 * checkboxes; base64 in JSON), the list on the document page, downloads
 * (Content-Disposition: attachment, a Content-Type by content, nosniff,
 * the classification gate on the way out), and the gate on what sync
 * sends. */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "crypto/crypto.h"
#include "workflows/classify/gate.h"
#include "util/common.h"

/* ---- uploads ---- */

void srv_attach_dispose(srv_attach *a)
{
	size_t i;

	for (i = 0; i < a->nadd; i++)
		ch_buf_dispose_secret(&a->data[i]);
	ch_strv_free(&a->names);
	ch_strv_free(&a->remove);
	ch_strv_free(&a->declare);
	memset(a, 0, sizeof(*a));
}

static void finish_req(srv_attach *a)
{
	size_t i;

	for (i = 0; i < a->nadd; i++) {
		a->add[i].name = a->names.v[i];
		a->add[i].data = a->data[i].ptr;
		a->add[i].len = a->data[i].size;
	}
	a->req.add = a->add;
	a->req.nadd = a->nadd;
	a->req.remove = (const char *const *)a->remove.v;
	a->req.nremove = a->remove.n;
	a->req.declare = (const char *const *)a->declare.v;
	a->req.ndeclare = a->declare.n;
}

/* The last component of a browser's file name (old browsers send a path). */
static const char *base_name(const char *f)
{
	const char *p = f, *s;

	for (s = f; *s; s++)
		if (*s == '/' || *s == '\\')
			p = s + 1;
	return p;
}

void srv_attach_from_form(srv_attach *a, srv_ctx *x)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i <= SRV_ATTACH_SLOTS; i++) {
		char key[16];
		const srv_field *f;

		snprintf(key, sizeof(key), "attach%zu", i);
		if (!(f = srv_field_find(x->r, key)) || !f->filename || !f->filename[0])
			continue;
		ch_strv_push(&a->names, base_name(f->filename));
		ch_buf_init(&a->data[a->nadd]);
		ch_buf_put(&a->data[a->nadd], f->value, f->len);
		snprintf(key, sizeof(key), "declare%zu", i);
		if (srv_field_get(x->r, key))
			ch_strv_push(&a->declare, base_name(f->filename));
		a->nadd++;
	}
	for (i = 0; i < x->r->nfields; i++)
		if (!strcmp(x->r->fields[i].name, "detach") && x->r->fields[i].value[0] &&
		    a->remove.n < 4 * CH_ATTACH_MAX_COUNT)
			ch_strv_push(&a->remove, x->r->fields[i].value);
	finish_req(a);
}

static int json_names(ch_strv *out, const json_t *b, const char *key)
{
	const json_t *arr = json_object_get(b, key), *e;
	size_t i;

	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > 4 * CH_ATTACH_MAX_COUNT)
		return ch_error_setc(CH_EINVALID, "%s: expected an array of at most %d names", key,
		                     4 * CH_ATTACH_MAX_COUNT);
	json_array_foreach(arr, i, e) {
		if (!json_is_string(e))
			return ch_error_setc(CH_EINVALID, "%s[%zu]: expected a name", key, i);
		ch_strv_push(out, json_string_value(e));
	}
	return 0;
}

int srv_attach_from_json(srv_attach *a, const json_t *b)
{
	const json_t *arr = json_object_get(b, "attachments"), *e;
	size_t i;
	int error;

	memset(a, 0, sizeof(*a));
	if (arr && (!json_is_array(arr) || json_array_size(arr) > SRV_ATTACH_MAX_JSON))
		return ch_error_setc(CH_EINVALID, "attachments: expected an array of at most %d",
		                     SRV_ATTACH_MAX_JSON);
	json_array_foreach(arr, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const json_t *c = json_object_get(e, "content_base64");

		if (!name || !json_is_string(c))
			return ch_error_setc(CH_EINVALID, "attachments[%zu]: name and content_base64 are "
			                     "required", i);
		ch_strv_push(&a->names, name);
		ch_buf_init(&a->data[a->nadd]);
		a->nadd++;
		if ((error = ch_base64_decode(&a->data[a->nadd - 1], json_string_value(c),
		                              json_string_length(c))) < 0) {
			ch_error_prefix("attachments[%zu]: ", i);
			return error;
		}
	}
	if ((error = json_names(&a->remove, b, "detach")) < 0 ||
	    (error = json_names(&a->declare, b, "declare_unclassified")) < 0)
		return error;
	finish_req(a);
	return 0;
}

/* ---- the document's list ---- */

static void pct_encode(ch_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			ch_buf_putc(out, (char)c);
		else
			ch_buf_printf(out, "%%%02X", c);
	}
}

/* Upload slots attach1..N, each with a declaration checkbox for those who
 * may declare some type (the template shows it only to them). */
static void slots_json(json_t *j, int can_declare, json_t *types)
{
	json_t *slots = json_array();
	char *list;
	size_t i;
	ch_strv tv = CH_STRV_INIT;

	for (i = 1; i <= SRV_ATTACH_SLOTS; i++)
		json_array_append_new(slots, json_pack("{s:I}", "n", (json_int_t)i));
	for (i = 0; i < json_array_size(types); i++)
		ch_strv_push(&tv, json_string_value(json_array_get(types, i)));
	list = ch_strv_join(&tv, ", ");
	json_object_set_new(j, "attach_slots", slots);
	json_object_set_new(j, "can_declare", json_boolean(can_declare));
	json_object_set_new(j, "declare_types", types);
	json_object_set_new(j, "declare_types_text", json_string(list));
	free(list);
	ch_strv_free(&tv);
}

void srv_attachments_json(json_t *j, srv_ctx *x, const ch_doc *doc, const ch_policy *pol)
{
	const ch_person *me = x->logged_in ? ch_policy_person(pol, x->sess.person) : NULL;
	json_t *arr = json_array(), *types = json_array();
	size_t i;

	for (i = 0; i < doc->files.n; i++) {
		const ch_file *f = &doc->files.v[i];
		ch_buf href = CH_BUF_INIT;
		const char *name;

		if (strncmp(f->path, CH_ATTACH_DIR, sizeof(CH_ATTACH_DIR) - 1))
			continue;
		name = f->path + sizeof(CH_ATTACH_DIR) - 1;
		ch_buf_printf(&href, "/docs/%s/attachments/", doc->id);
		pct_encode(&href, name);
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s}", "name", name, "size",
		                                     (json_int_t)f->data.size, "type",
		                                     ch_attach_sniff(f->data.ptr, f->data.size),
		                                     "href", href.ptr));
		ch_buf_dispose(&href);
	}
	for (i = 0; i < pol->nattach_types; i++)
		if (ch_policy_may_declare(pol, me, pol->attach_types[i].type))
			json_array_append_new(types, json_string(pol->attach_types[i].type));
	json_object_set_new(j, "attachments", arr);
	json_object_set_new(j, "has_attachments", json_boolean(json_array_size(arr) > 0));
	slots_json(j, json_array_size(types) > 0, types);
}

void srv_attach_slots_json(json_t *j, srv_ctx *x)
{
	const ch_policy *pol;
	const ch_person *me;
	json_t *types = json_array();
	size_t i;

	if (x->logged_in && srv_current_policy(&pol, x) == 0 &&
	    (me = ch_policy_person(pol, x->sess.person)))
		for (i = 0; i < pol->nattach_types; i++)
			if (ch_policy_may_declare(pol, me, pol->attach_types[i].type))
				json_array_append_new(types, json_string(pol->attach_types[i].type));
	slots_json(j, json_array_size(types) > 0, types);
}

/* ---- downloads ---- */

static void disposition(ch_buf *out, const char *name)
{
	const char *s;

	ch_buf_puts(out, "attachment; filename=\"");
	for (s = name; *s; s++)
		ch_buf_putc(out, (unsigned char)*s < 0x80 && *s != '"' && *s != '\\' && *s >= 0x20 ?
		                 *s : '_');
	ch_buf_puts(out, "\"; filename*=UTF-8''");
	pct_encode(out, name);
}

enum MHD_Result srv_attachment_get(srv_ctx *x, const char *id, const char *name, int json)
{
	const ch_policy *pol;
	const ch_buf *data = NULL;
	ch_buf path = CH_BUF_INIT, disp = CH_BUF_INIT;
	ch_doc *doc = NULL;
	enum MHD_Result rc;
	int error;

	if (!ch_attach_valid_name(name)) {
		error = ch_error_setc(CH_ENOTFOUND, "no such attachment");
	} else if ((error = srv_current_policy(&pol, x)) == 0 &&
	           (error = ch_doc_load_as(&doc, x->site, x->logged_in ? x->sess.person : NULL,
	                                   id)) == 0) {
		ch_buf_printf(&path, "%s%s", CH_ATTACH_DIR, name);
		if (!(data = ch_fileset_get(&doc->files, path.ptr)))
			error = ch_error_setc(CH_ENOTFOUND, "no such attachment");
		else
			error = ch_gate_attachment_out(x->site, pol, "download",
			                               x->logged_in ? x->sess.person : NULL, name,
			                               data->ptr, data->size);
	}
	srv_log(x, "attachment %s: %s", id, error ? "refused" : "sent");
	if (error < 0) {
		unsigned st = error == CH_ECLASSIFIED ? 451 : error == CH_ENOTFOUND ? 404 : 500;

		rc = json ? srv_send_json(x, st, json_pack("{s:s}", "error", ch_error_last())) :
		            srv_error_page(x, st, ch_error_last());
	} else {
		disposition(&disp, name);
		rc = srv_send_file(x, ch_attach_serve_type(data->ptr, data->size), disp.ptr,
		                   data->ptr, data->size);
	}
	ch_buf_dispose(&path);
	ch_buf_dispose(&disp);
	ch_doc_free(doc);
	return rc;
}

