/* fuzz_workflow.c -- libFuzzer target for workflow definitions
 * (workflows/workflow.c) and, on every definition that parses, the state
 * machine that runs them (workflows/statemachine.c).
 *
 * Input: the JSON definition, then optionally a NUL byte and a script of
 * steps, two bytes each (a valid definition never holds a NUL byte, since
 * the parser refuses it):
 *   byte 0: the action, actions[b % 11] (the last is not an action at all)
 *   byte 1: bits 0-2 the actor, p0..p5, 6 = a person not in the policy;
 *           bits 3-5 acting for: 0 = own right, 1..6 = p0..p5, 7 = "".
 * The policy is built in memory from the roles the definition names:
 * p0 holds every role, p1..p4 one role each, p5 every role but is revoked;
 * p1 may act for p2 in every role, p3 for p4 in the first role only.
 *
 * Besides "no crash, no leak", it checks what the parser and the engine
 * promise: a parsed definition has the shape workflow.h describes; a refused
 * step names one of the rules and leaves the state exactly as it was; the
 * state after a step is a state of the workflow (or withdrawn); and every
 * action ch_engine_allowed offers is one the engine then allows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "workflows/statemachine.h"
#include "workflows/policy.h"
#include "workflows/workflow.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPEOPLE 6
#define MAX_STEPS 200

static const char *const actions[] = { "create", "revise", "submit", "approve", "reject",
                                       "return", "sign", "publish", "withdraw", "comment",
                                       "frobnicate" };
static const char *const ids[] = { "p0", "p1", "p2", "p3", "p4", "p5", "nobody" };

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	json_object_seed(1); /* the same hashing on every run: reproducible */
}

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_shape(const ch_workflow *wf)
{
	const ch_wf_state *start = ch_workflow_state(wf, wf->start);
	size_t i, j;

	check(wf->name && wf->title && start && !start->final);
	check(wf->nstates >= 1 && wf->nstates <= CH_WF_MAX_STATES);
	check(wf->create_roles.n >= 1);
	for (i = 0; i < wf->nstates; i++) {
		const ch_wf_state *st = &wf->states[i];

		check(ch_workflow_state(wf, st->name) == st);
		check(st->final ? st->nactions == 0 && !st->editable : st->nactions > 0);
		check(!st->editable || st->edit_roles.n > 0);
		for (j = 0; j < st->nactions; j++) {
			const ch_wf_action *a = &st->actions[j];

			check(ch_wf_state_action(st, a->name) == a);
			check(ch_action_known(a->name));
			check(ch_workflow_state(wf, a->to) != NULL);
			check(a->quorum >= 1 && a->quorum <= CH_WF_MAX_QUORUM);
			check(a->roles.n >= 1);
		}
	}
}

static void add_person(ch_policy *pol, const char *id, int revoked)
{
	ch_person *p = &pol->people[pol->npeople++];

	p->id = ch_strdup(id);
	p->revoked = revoked;
}

static ch_policy *make_policy(const ch_workflow *wf)
{
	ch_policy *pol = ch_calloc(1, sizeof(*pol));
	const ch_strv *r = &wf->all_roles;
	size_t i;

	pol->people = ch_calloc(NPEOPLE, sizeof(*pol->people));
	for (i = 0; i < NPEOPLE; i++)
		add_person(pol, ids[i], i == 5);
	for (i = 0; i < r->n; i++) {
		ch_strv_push(&pol->people[0].roles, r->v[i]);
		ch_strv_push(&pol->people[5].roles, r->v[i]);
	}
	for (i = 1; i <= 4 && r->n; i++)
		ch_strv_push(&pol->people[i].roles, r->v[(i - 1) % r->n]);
	pol->delegations = ch_calloc(2, sizeof(*pol->delegations));
	pol->delegations[0].from = ch_strdup("p2");
	pol->delegations[0].to = ch_strdup("p1");
	for (i = 0; i < r->n; i++)
		ch_strv_push(&pol->delegations[0].roles, r->v[i]);
	pol->delegations[1].from = ch_strdup("p4");
	pol->delegations[1].to = ch_strdup("p3");
	if (r->n)
		ch_strv_push(&pol->delegations[1].roles, r->v[0]);
	pol->ndelegations = 2;
	return pol;
}

static int strv_equal(const ch_strv *a, const ch_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}

static int str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_state(const ch_docstate *a, const ch_docstate *b)
{
	return str_equal(a->state, b->state) && str_equal(a->creator, b->creator) &&
	       str_equal(a->round_action, b->round_action) &&
	       strv_equal(&a->round_people, &b->round_people) &&
	       strv_equal(&a->round_signers, &b->round_signers) && a->final == b->final;
}

static void check_state(const ch_docstate *st, const ch_workflow *wf)
{
	const ch_wf_state *s;
	const ch_wf_action *a;

	check(st->state != NULL && st->creator != NULL);
	/* withdraw ends in "withdrawn", final, whatever the definition says of
	 * a state of that name */
	if (!strcmp(st->state, "withdrawn") && st->final) {
		check(!st->round_action);
		return;
	}
	check((s = ch_workflow_state(wf, st->state)) != NULL);
	check(st->final == s->final);
	if (st->round_action) {
		check((a = ch_wf_state_action(s, st->round_action)) != NULL);
		check(a->quorum > 1 && st->round_signers.n >= 1 &&
		      (int)st->round_signers.n < a->quorum);
	} else {
		check(st->round_signers.n == 0 && st->round_people.n == 0);
	}
}

static int known_rule(const char *rule)
{
	static const char *const rules[] = { "D1", "D3", "D5", "D7", "D9" };
	size_t i;

	for (i = 0; rule && i < CH_ARRAY_SIZE(rules); i++)
		if (!strcmp(rule, rules[i]))
			return 1;
	return 0;
}

/* Every action offered is one the engine allows, on a copy. */
static void check_allowed(const ch_docstate *st, const ch_workflow *wf, const ch_policy *pol,
                          const char *person)
{
	ch_strv can = CH_STRV_INIT;
	size_t i;

	ch_engine_allowed(&can, st, wf, pol, person);
	for (i = 0; i < can.n; i++) {
		ch_step step = { can.v[i], person, NULL };
		ch_docstate copy;

		ch_docstate_copy(&copy, st);
		check(ch_engine_apply(&copy, wf, pol, &step, NULL) == 0);
		ch_docstate_dispose(&copy);
	}
	ch_strv_free(&can);
}

static void run_script(const ch_workflow *wf, const uint8_t *p, size_t n)
{
	ch_policy *pol = make_policy(wf);
	ch_docstate st = CH_DOCSTATE_INIT;
	size_t i;

	for (i = 0; i + 1 < n && i / 2 < MAX_STEPS; i += 2) {
		unsigned who = p[i + 1] & 7u, behalf = (p[i + 1] >> 3) & 7u;
		ch_step step;
		ch_docstate before;
		const char *rule = "unset";
		int error;

		step.action = actions[p[i] % CH_ARRAY_SIZE(actions)];
		step.actor = ids[who == 7 ? 0 : who];
		step.on_behalf = behalf == 0 ? NULL : behalf == 7 ? "" : ids[behalf - 1];
		ch_docstate_copy(&before, &st);
		error = ch_engine_apply(&st, wf, pol, &step, &rule);
		if (error) {
			check(error == CH_EDENIED && known_rule(rule));
			check(same_state(&st, &before));
		} else {
			check(rule == NULL);
			check_state(&st, wf);
		}
		ch_docstate_dispose(&before);
		check_allowed(&st, wf, pol, ids[p[i] % NPEOPLE]);
	}
	ch_docstate_dispose(&st);
	ch_policy_free(pol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul ? (size_t)(nul - data) : size;
	ch_workflow *wf = NULL, *again = NULL;
	ch_buf file = CH_BUF_INIT;

	init_once();
	if (ch_workflow_parse(&wf, data, jlen, "fuzz-input") < 0) {
		check(wf == NULL && ch_error_last()[0]);
		return 0;
	}
	check_shape(wf);
	/* under the file name it claims, it parses the same way */
	ch_buf_printf(&file, "policy/workflows/%s.json", wf->name);
	check(ch_workflow_parse(&again, data, jlen, file.ptr) == 0);
	check(again->nstates == wf->nstates && !strcmp(again->start, wf->start));
	ch_workflow_free(again);
	ch_buf_clear(&file);
	ch_buf_printf(&file, "policy/workflows/x%s.json", wf->name);
	check(ch_workflow_parse(&again, data, jlen, file.ptr) == CH_EINVALID && !again);
	ch_buf_dispose(&file);
	if (nul)
		run_script(wf, nul + 1, size - jlen - 1);
	ch_workflow_free(wf);
	return 0;
}
