/* workflow.h -- workflow definitions (policy/workflows/<name>.json).
 *
 * A definition names who may create a document, the start state, and for
 * each state who may edit (revise) it and which actions lead where, with
 * an optional quorum of distinct people. Parsing is strict: unknown
 * fields, unknown actions, undefined or unreachable states and final
 * states with actions are refused, with the file and field named. */
#ifndef CH_WORKFLOW_H
#define CH_WORKFLOW_H

#include <stddef.h>

#include "util/strv.h"

#define CH_WF_MAX_BYTES (64 * 1024)
#define CH_WF_MAX_STATES 64
#define CH_WF_MAX_ROLES 32
#define CH_WF_MAX_QUORUM 64

typedef struct {
	char *name;   /* submit, approve, reject, return, sign, publish */
	ch_strv roles;
	char *to;
	int quorum;   /* 1 unless the definition says more */
} ch_wf_action;

typedef struct {
	char *name;
	int final;
	int editable;       /* has an "edit" entry */
	ch_strv edit_roles;
	ch_wf_action *actions;
	size_t nactions;
} ch_wf_state;

typedef struct {
	char *name, *title;
	ch_strv create_roles;
	char *start;
	ch_wf_state *states;
	size_t nstates;
	ch_strv all_roles;  /* every role named anywhere: who may comment */
} ch_workflow;

/* workflow.c */
/* Parse a definition; `file` names it in errors ("policy/workflows/x.json")
 * and, when it ends in "<name>.json", the name must match. */
int ch_workflow_parse(ch_workflow **out, const void *json, size_t len, const char *file);
void ch_workflow_free(ch_workflow *wf);
/* Borrowed; NULL when absent. */
const ch_wf_state *ch_workflow_state(const ch_workflow *wf, const char *name);
const ch_wf_action *ch_wf_state_action(const ch_wf_state *st, const char *action);
/* Is `action` one of the names DESIGN.md lists (create, revise, ...)? */
int ch_action_known(const char *action);

#endif
