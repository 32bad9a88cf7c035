/* statemachine.c -- the workflow state machine (DESIGN.md "Workflow definitions"). */
#include <stdlib.h>
#include <string.h>

#include "workflows/statemachine.h"
#include "util/common.h"

void ch_docstate_dispose(ch_docstate *st)
{
	free(st->state);
	free(st->creator);
	free(st->round_action);
	ch_strv_free(&st->round_people);
	ch_strv_free(&st->round_signers);
	memset(st, 0, sizeof(*st));
}

void ch_docstate_copy(ch_docstate *dst, const ch_docstate *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->state = src->state ? ch_strdup(src->state) : NULL;
	dst->creator = src->creator ? ch_strdup(src->creator) : NULL;
	dst->round_action = src->round_action ? ch_strdup(src->round_action) : NULL;
	for (i = 0; i < src->round_people.n; i++)
		ch_strv_push(&dst->round_people, src->round_people.v[i]);
	for (i = 0; i < src->round_signers.n; i++)
		ch_strv_push(&dst->round_signers, src->round_signers.v[i]);
	dst->final = src->final;
}

static int deny(const char **rule, const char *r)
{
	if (rule)
		*rule = r;
	return CH_EDENIED;
}

int ch_engine_roles(ch_strv *out, const ch_policy *pol, const char *actor, const char *on_behalf,
                    const char **rule)
{
	const ch_person *a = ch_policy_person(pol, actor), *p;
	const ch_delegation *d;
	size_t i;

	if (!a || a->revoked) {
		ch_error_setc(CH_EDENIED, "%s is %s in the policy", actor,
		              a ? "revoked" : "not a person");
		return deny(rule, "D1");
	}
	if (!on_behalf || !on_behalf[0]) {
		for (i = 0; i < a->roles.n; i++)
			ch_strv_push(out, a->roles.v[i]);
		return 0;
	}
	p = ch_policy_person(pol, on_behalf);
	d = ch_policy_delegation(pol, on_behalf, actor);
	if (!p || p->revoked || !d) {
		ch_error_setc(CH_EDENIED, "no delegation from %s to %s stands in the policy",
		              on_behalf, actor);
		return deny(rule, "D9");
	}
	for (i = 0; i < d->roles.n; i++)
		if (ch_person_has_role(p, d->roles.v[i]))
			ch_strv_push(out, d->roles.v[i]);
	return 0;
}

static void end_round(ch_docstate *st)
{
	free(st->round_action);
	st->round_action = NULL;
	ch_strv_free(&st->round_people);
	ch_strv_free(&st->round_signers);
}

static void move_to(ch_docstate *st, const ch_workflow *wf, const char *to)
{
	const ch_wf_state *s = ch_workflow_state(wf, to);

	free(st->state);
	st->state = ch_strdup(to);
	st->final = s && s->final;
	end_round(st);
}

static const char *who(const ch_step *step)
{
	return step->on_behalf && step->on_behalf[0] ? step->on_behalf : step->actor;
}

/* `where` says where the step was refused: "in state 'review'", "with
 * workflow 'cong-van'"; `needed` the roles that would have allowed it. */
static int role_denied(const ch_step *step, const char *what, const char *where,
                       const ch_strv *needed, const char **rule)
{
	char *roles = ch_strv_join(needed, ", ");

	if (step->on_behalf && step->on_behalf[0])
		ch_error_setc(CH_EDENIED, "the delegation from %s to %s gives no role that may %s "
		              "%s (it takes one of: %s)", step->on_behalf, step->actor, what, where,
		              roles[0] ? roles : "none");
	else
		ch_error_setc(CH_EDENIED, "%s has no role that may %s %s (it takes one of: %s)",
		              step->actor, what, where, roles[0] ? roles : "none");
	free(roles);
	return deny(rule, step->on_behalf && step->on_behalf[0] ? "D9" : "D3");
}

static int state_denied(const ch_step *step, const char *what, const char *state,
                        const ch_strv *needed, const char **rule)
{
	ch_buf where = CH_BUF_INIT;
	int error;

	ch_buf_printf(&where, "in state '%s'", state);
	error = role_denied(step, what, where.ptr, needed, rule);
	ch_buf_dispose(&where);
	return error;
}

/* Nobody counts twice in a round, in person or through a delegation: name
 * the person who has already counted, and on whose behalf this step was. */
static int counted_twice(const ch_docstate *st, const ch_wf_action *a, const ch_step *step,
                         const char **rule)
{
	const char *principal = who(step);
	const char *counted = ch_strv_contains(&st->round_people, step->actor) ?
	                      step->actor : principal;

	if (strcmp(principal, step->actor))
		ch_error_setc(CH_EDENIED, "%s has already counted towards this %s round in state "
		              "'%s' (%zu of %d): %s acting for %s may not count again",
		              counted, a->name, st->state, st->round_signers.n, a->quorum,
		              step->actor, principal);
	else
		ch_error_setc(CH_EDENIED, "%s has already counted towards this %s round in state "
		              "'%s' (%zu of %d)", counted, a->name, st->state, st->round_signers.n,
		              a->quorum);
	return deny(rule, "D3");
}

static int apply_quorum(ch_docstate *st, const ch_workflow *wf, const ch_wf_action *a,
                        const ch_step *step, const char **rule)
{
	const char *principal = who(step);

	if (st->round_action && strcmp(st->round_action, a->name))
		end_round(st);
	if (ch_strv_contains(&st->round_people, step->actor) ||
	    ch_strv_contains(&st->round_people, principal))
		return counted_twice(st, a, step, rule);
	if (!st->round_action)
		st->round_action = ch_strdup(a->name);
	ch_strv_push(&st->round_people, step->actor);
	if (strcmp(principal, step->actor))
		ch_strv_push(&st->round_people, principal);
	ch_strv_push(&st->round_signers, principal);
	if ((int)st->round_signers.n >= a->quorum)
		move_to(st, wf, a->to);
	return 0;
}

int ch_engine_apply(ch_docstate *st, const ch_workflow *wf, const ch_policy *pol,
                    const ch_step *step, const char **rule)
{
	ch_strv roles = CH_STRV_INIT;
	const ch_wf_state *s = NULL;
	const ch_wf_action *a;
	int error;

	if (rule)
		*rule = NULL;
	if ((error = ch_engine_roles(&roles, pol, step->actor, step->on_behalf, rule)) < 0)
		goto done;
	if (!strcmp(step->action, "create")) {
		if (st->state) {
			error = ch_error_setc(CH_EDENIED, "the document already exists");
			deny(rule, "D5");
			goto done;
		}
		if (!ch_strv_intersects(&roles, &wf->create_roles)) {
			ch_buf where = CH_BUF_INIT;

			ch_buf_printf(&where, "with workflow '%s'", wf->name);
			error = role_denied(step, "create a document", where.ptr, &wf->create_roles, rule);
			ch_buf_dispose(&where);
			goto done;
		}
		st->state = ch_strdup(wf->start);
		st->creator = ch_strdup(who(step));
		goto done;
	}
	/* "withdrawn" is final without being a state of the workflow: D7 first. */
	if (!st->state || (!st->final && !(s = ch_workflow_state(wf, st->state)))) {
		error = ch_error_setc(CH_EDENIED, "the document has no valid state");
		deny(rule, "D3");
		goto done;
	}
	if (st->final || s->final) {
		error = ch_error_setc(CH_EDENIED, "the document is %s: nothing more may be done",
		                      st->state);
		deny(rule, "D7");
		goto done;
	}
	if (!strcmp(step->action, "revise")) {
		if (!s->editable) {
			error = ch_error_setc(CH_EDENIED, "the document cannot be revised in state '%s'",
			                      st->state);
			deny(rule, "D3");
		} else if (!ch_strv_intersects(&roles, &s->edit_roles)) {
			error = state_denied(step, "revise", st->state, &s->edit_roles, rule);
		} else {
			end_round(st); /* approvals of the earlier text no longer count */
		}
		goto done;
	}
	if (!strcmp(step->action, "comment")) {
		if (!ch_strv_intersects(&roles, &wf->all_roles))
			error = state_denied(step, "comment", st->state, &wf->all_roles, rule);
		goto done;
	}
	if (!strcmp(step->action, "withdraw")) {
		if (strcmp(who(step), st->creator ? st->creator : "")) {
			error = ch_error_setc(CH_EDENIED, "only %s, who created the document, may "
			                      "withdraw it", st->creator ? st->creator : "its creator");
			deny(rule, "D3");
		} else {
			free(st->state);
			st->state = ch_strdup("withdrawn");
			st->final = 1;
			end_round(st);
		}
		goto done;
	}
	if (!(a = ch_wf_state_action(s, step->action))) {
		ch_buf allowed = CH_BUF_INIT;
		size_t i;

		for (i = 0; i < s->nactions; i++)
			ch_buf_printf(&allowed, "%s%s", i ? ", " : "", s->actions[i].name);
		error = ch_error_setc(CH_EDENIED, "'%s' is not allowed in state '%s' (allowed: %s)",
		                      step->action, st->state, allowed.ptr);
		ch_buf_dispose(&allowed);
		deny(rule, "D3");
		goto done;
	}
	if (!ch_strv_intersects(&roles, &a->roles)) {
		error = state_denied(step, step->action, st->state, &a->roles, rule);
		goto done;
	}
	if (a->quorum > 1)
		error = apply_quorum(st, wf, a, step, rule);
	else
		move_to(st, wf, a->to);
done:
	ch_strv_free(&roles);
	return error;
}

void ch_engine_allowed(ch_strv *out, const ch_docstate *st, const ch_workflow *wf,
                       const ch_policy *pol, const char *person)
{
	static const char *const actions[] = { "revise", "submit", "approve", "return", "reject",
	                                       "sign", "publish" };
	size_t i;

	for (i = 0; i < CH_ARRAY_SIZE(actions); i++) {
		ch_docstate copy;
		ch_step step = { actions[i], person, NULL };

		ch_docstate_copy(&copy, st);
		if (ch_engine_apply(&copy, wf, pol, &step, NULL) == 0)
			ch_strv_push(out, actions[i]);
		ch_docstate_dispose(&copy);
	}
}
