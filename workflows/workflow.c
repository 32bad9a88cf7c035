/* workflow.c -- parse and check workflow definitions. */
#include <stdlib.h>
#include <string.h>

#include "workflows/json.h"
#include "workflows/workflow.h"
#include "util/text.h"
#include "util/common.h"

static const char *const transition_actions[] = {
	"submit", "approve", "reject", "return", "sign", "publish", NULL
};
static const char *const all_actions[] = {
	"create", "revise", "submit", "approve", "reject", "return", "sign", "publish",
	"withdraw", "comment", NULL
};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static int ch_title_ok(const char *s)
{
	return ch_valid_line(s, 200);
}

int ch_action_known(const char *action)
{
	return in_list(all_actions, action);
}

const ch_wf_state *ch_workflow_state(const ch_workflow *wf, const char *name)
{
	size_t i;

	for (i = 0; i < wf->nstates; i++)
		if (!strcmp(wf->states[i].name, name))
			return &wf->states[i];
	return NULL;
}

const ch_wf_action *ch_wf_state_action(const ch_wf_state *st, const char *action)
{
	size_t i;

	for (i = 0; i < st->nactions; i++)
		if (!strcmp(st->actions[i].name, action))
			return &st->actions[i];
	return NULL;
}

void ch_workflow_free(ch_workflow *wf)
{
	size_t i, j;

	if (!wf)
		return;
	for (i = 0; i < wf->nstates; i++) {
		ch_wf_state *st = &wf->states[i];

		for (j = 0; j < st->nactions; j++) {
			free(st->actions[j].name);
			free(st->actions[j].to);
			ch_strv_free(&st->actions[j].roles);
		}
		free(st->actions);
		ch_strv_free(&st->edit_roles);
		free(st->name);
	}
	free(wf->states);
	ch_strv_free(&wf->create_roles);
	ch_strv_free(&wf->all_roles);
	free(wf->name);
	free(wf->title);
	free(wf->start);
	free(wf);
}

static void note_roles(ch_workflow *wf, const ch_strv *roles)
{
	size_t i;

	for (i = 0; i < roles->n; i++)
		if (!ch_strv_contains(&wf->all_roles, roles->v[i]))
			ch_strv_push(&wf->all_roles, roles->v[i]);
}

static int roles_object(ch_strv *out, const json_t *obj, const char *file, const char *path)
{
	static const char *const keys[] = { "roles", NULL };
	int error;

	if (!json_is_object(obj))
		return ch_error_setc(CH_EINVALID, "%s: %s: expected an object", file, path);
	if ((error = ch_json_only_keys(obj, keys, file, path)) < 0)
		return error;
	if ((error = ch_json_strv(out, obj, "roles", 1, CH_WF_MAX_ROLES, ch_valid_name, file,
	                          path)) < 0)
		return error;
	if (!out->n)
		return ch_error_setc(CH_EINVALID, "%s: %s.roles: names no role", file, path);
	return 0;
}

static int parse_action(ch_wf_action *a, const char *name, const json_t *obj, const char *file,
                        const char *path)
{
	static const char *const keys[] = { "roles", "to", "quorum", NULL };
	const char *to;
	long quorum;
	int error;

	a->name = ch_strdup(name);
	if (!in_list(transition_actions, name))
		return ch_error_setc(CH_EINVALID, "%s: %s: '%s' is not an action a state can list "
		                     "(submit, approve, reject, return, sign, publish)", file, path, name);
	if (!json_is_object(obj))
		return ch_error_setc(CH_EINVALID, "%s: %s: expected an object", file, path);
	if ((error = ch_json_only_keys(obj, keys, file, path)) < 0 ||
	    (error = ch_json_strv(&a->roles, obj, "roles", 1, CH_WF_MAX_ROLES, ch_valid_name, file,
	                          path)) < 0 ||
	    (error = ch_json_str(&to, obj, "to", 1, ch_valid_name, file, path)) < 0 ||
	    (error = ch_json_int(&quorum, obj, "quorum", 0, 1, 1, CH_WF_MAX_QUORUM, file, path)) < 0)
		return error;
	if (!a->roles.n)
		return ch_error_setc(CH_EINVALID, "%s: %s.roles: names no role", file, path);
	a->to = ch_strdup(to);
	a->quorum = (int)quorum;
	return 0;
}

static int parse_state(ch_wf_state *st, const char *name, const json_t *obj, const char *file)
{
	static const char *const keys[] = { "edit", "actions", "final", NULL };
	ch_buf path = CH_BUF_INIT, apath = CH_BUF_INIT;
	const char *aname;
	json_t *actions, *v;
	int error;

	st->name = ch_strdup(name);
	ch_buf_printf(&path, "states.%s", name);
	if (!ch_valid_name(name)) {
		error = ch_error_setc(CH_EINVALID, "%s: %s: not a well-formed state name", file, path.ptr);
		goto done;
	}
	if (!json_is_object(obj)) {
		error = ch_error_setc(CH_EINVALID, "%s: %s: expected an object", file, path.ptr);
		goto done;
	}
	if ((error = ch_json_only_keys(obj, keys, file, path.ptr)) < 0 ||
	    (error = ch_json_bool(&st->final, obj, "final", 0, file, path.ptr)) < 0)
		goto done;
	/* "withdrawn" is where withdraw leads: it can only be a final state. */
	if (!strcmp(name, "withdrawn") && !st->final) {
		error = ch_error_setc(CH_EINVALID, "%s: %s: 'withdrawn' is reserved for the final "
		                      "state that withdraw leads to", file, path.ptr);
		goto done;
	}
	if ((v = json_object_get(obj, "edit"))) {
		ch_buf_printf(&apath, "%s.edit", path.ptr);
		st->editable = 1;
		if ((error = roles_object(&st->edit_roles, v, file, apath.ptr)) < 0)
			goto done;
	}
	actions = json_object_get(obj, "actions");
	if (st->final && (actions || st->editable)) {
		error = ch_error_setc(CH_EINVALID, "%s: %s: a final state can have no actions or edit",
		                      file, path.ptr);
		goto done;
	}
	if (!st->final && (!actions || !json_is_object(actions) || !json_object_size(actions))) {
		error = ch_error_setc(CH_EINVALID, "%s: %s.actions: a state that is not final needs "
		                      "at least one action", file, path.ptr);
		goto done;
	}
	if (actions) {
		st->actions = ch_calloc(json_object_size(actions), sizeof(*st->actions));
		json_object_foreach(actions, aname, v) {
			ch_buf_clear(&apath);
			ch_buf_printf(&apath, "%s.actions.%s", path.ptr, aname);
			if ((error = parse_action(&st->actions[st->nactions++], aname, v, file,
			                          apath.ptr)) < 0)
				goto done;
		}
	}
done:
	ch_buf_dispose(&path);
	ch_buf_dispose(&apath);
	return error;
}

/* Every `to` names a state; every state is reachable from start; from every
 * state some final state is reachable (no trap a document can never leave). */
static int check_graph(const ch_workflow *wf, const char *file)
{
	size_t n = wf->nstates, i, j, k;
	unsigned char *reach = ch_calloc(n, 1), *done = ch_calloc(n, 1);
	int changed = 1, error = 0;

	for (i = 0; i < n; i++)
		for (j = 0; j < wf->states[i].nactions; j++)
			if (!ch_workflow_state(wf, wf->states[i].actions[j].to)) {
				error = ch_error_setc(CH_EINVALID, "%s: states.%s.actions.%s.to: no state "
				                      "named '%s'", file, wf->states[i].name,
				                      wf->states[i].actions[j].name,
				                      wf->states[i].actions[j].to);
				goto out;
			}
	reach[ch_workflow_state(wf, wf->start) - wf->states] = 1;
	for (i = 0; i < n; i++)
		done[i] = (unsigned char)wf->states[i].final;
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++)
			for (j = 0; j < wf->states[i].nactions; j++) {
				k = (size_t)(ch_workflow_state(wf, wf->states[i].actions[j].to) - wf->states);
				if (reach[i] && !reach[k])
					reach[k] = changed = 1;
				if (done[k] && !done[i])
					done[i] = changed = 1;
			}
	}
	for (i = 0; i < n && !error; i++) {
		if (!reach[i])
			error = ch_error_setc(CH_EINVALID, "%s: states.%s: cannot be reached from "
			                      "start '%s'", file, wf->states[i].name, wf->start);
		else if (!done[i])
			error = ch_error_setc(CH_EINVALID, "%s: states.%s: no final state can be "
			                      "reached from it", file, wf->states[i].name);
	}
out:
	free(reach);
	free(done);
	return error;
}

static int check_name_matches_file(const char *name, const char *file)
{
	const char *base = strrchr(file, '/');
	size_t n;

	base = base ? base + 1 : file;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".json") &&
	    (strlen(name) != n - 5 || strncmp(base, name, n - 5)))
		return ch_error_setc(CH_EINVALID, "%s: name: '%s' does not match the file name",
		                     file, name);
	return 0;
}

int ch_workflow_parse(ch_workflow **out, const void *data, size_t len, const char *file)
{
	static const char *const keys[] = { "version", "name", "title", "create", "start",
	                                    "states", NULL };
	ch_workflow *wf = ch_calloc(1, sizeof(*wf));
	const char *s, *sname;
	json_t *root = NULL, *states, *v;
	const ch_wf_state *start;
	long version;
	size_t i;
	int error;

	*out = NULL;
	if ((error = ch_json_parse(&root, data, len, CH_WF_MAX_BYTES, file)) < 0 ||
	    (error = ch_json_only_keys(root, keys, file, "")) < 0 ||
	    (error = ch_json_int(&version, root, "version", 1, 0, 1, 1, file, "")) < 0 ||
	    (error = ch_json_str(&s, root, "name", 1, ch_valid_name, file, "")) < 0)
		goto done;
	wf->name = ch_strdup(s);
	if ((error = check_name_matches_file(wf->name, file)) < 0)
		goto done;
	error = ch_json_str(&s, root, "title", 0, ch_title_ok, file, "");
	if (error < 0 && error != CH_ENOTFOUND)
		goto done;
	wf->title = ch_strdup(s ? s : wf->name);
	if (!(v = json_object_get(root, "create"))) {
		error = ch_error_setc(CH_EINVALID, "%s: create: missing", file);
		goto done;
	}
	if ((error = roles_object(&wf->create_roles, v, file, "create")) < 0 ||
	    (error = ch_json_str(&s, root, "start", 1, ch_valid_name, file, "")) < 0)
		goto done;
	wf->start = ch_strdup(s);
	states = json_object_get(root, "states");
	if (!json_is_object(states) || !json_object_size(states) ||
	    json_object_size(states) > CH_WF_MAX_STATES) {
		error = ch_error_setc(CH_EINVALID, "%s: states: expected an object of 1 to %d states",
		                      file, CH_WF_MAX_STATES);
		goto done;
	}
	wf->states = ch_calloc(json_object_size(states), sizeof(*wf->states));
	json_object_foreach(states, sname, v) {
		if ((error = parse_state(&wf->states[wf->nstates++], sname, v, file)) < 0)
			goto done;
	}
	if (!(start = ch_workflow_state(wf, wf->start)) || start->final) {
		error = ch_error_setc(CH_EINVALID, "%s: start: '%s' is not a state that is not final",
		                      file, wf->start);
		goto done;
	}
	if ((error = check_graph(wf, file)) < 0)
		goto done;
	note_roles(wf, &wf->create_roles);
	for (i = 0; i < wf->nstates; i++) {
		size_t j;

		note_roles(wf, &wf->states[i].edit_roles);
		for (j = 0; j < wf->states[i].nactions; j++)
			note_roles(wf, &wf->states[i].actions[j].roles);
	}
	*out = wf;
	wf = NULL;
done:
	json_decref(root);
	ch_workflow_free(wf);
	return error;
}
