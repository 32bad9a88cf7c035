/* statemachine.h -- the workflow state machine, shared by every door that
 * records a step (command line, server) and by the verifier's replay (D3,
 * D7, D9). One function decides: is this action, by this person (acting
 * for that person), allowed now? If so it applies the step. */
#ifndef CH_STATEMACHINE_H
#define CH_STATEMACHINE_H

#include "workflows/policy.h"
#include "util/strv.h"
#include "workflows/workflow.h"

typedef struct {
	char *state;       /* NULL before create */
	char *creator;     /* the person who created the document */
	char *round_action;/* the quorum action being counted, or NULL */
	ch_strv round_people; /* signers and principals who counted this round */
	ch_strv round_signers;/* who took it, for "awaited" displays */
	int final;
	char *unit;        /* the document's unit (meta.json version 2), set by the
	                    * caller before create; NULL: roles are not scoped */
} ch_docstate;

#define CH_DOCSTATE_INIT { NULL, NULL, NULL, CH_STRV_INIT, CH_STRV_INIT, 0, NULL }

typedef struct {
	const char *action;
	const char *actor;
	const char *on_behalf; /* NULL or "" when acting in one's own right */
} ch_step;

/* engine.c */
/* Check and apply. On refusal returns CH_EDENIED, sets a message a person
 * can act on, and writes the rule broken ("D3", "D7", "D9", "D1") to rule
 * (which may be NULL); `st` is then unchanged. When st->unit is set, the
 * acting person's scope (or, on behalf of someone, that person's) must
 * reach it (D3, DESIGN.md "Scoped roles"). */
int ch_engine_apply(ch_docstate *st, const ch_workflow *wf, const ch_policy *pol,
                    const ch_step *step, const char **rule);
/* The roles the actor acts with: their own, or, for a delegation, those the
 * delegation lists that the principal holds. CH_EDENIED when the actor is
 * unknown or revoked, or the delegation does not stand. */
int ch_engine_roles(ch_strv *out, const ch_policy *pol, const char *actor, const char *on_behalf,
                    const char **rule);
/* The actions `person` may take now (own right only), into out. */
void ch_engine_allowed(ch_strv *out, const ch_docstate *st, const ch_workflow *wf,
                       const ch_policy *pol, const char *person);
void ch_docstate_dispose(ch_docstate *st);
void ch_docstate_copy(ch_docstate *dst, const ch_docstate *src);
/* Set the document's unit (NULL: unscoped) before its create is applied. */
void ch_docstate_set_unit(ch_docstate *st, const char *unit);

#endif
