/* gate.h -- the classification gate: one piece of code called at every
 * door of the networked tier (command line, browser forms, JSON API, and
 * every response the server sends). It refuses any classification label
 * but "unclassified", and any item carrying a state-secret stamp
 * (workflows/stamp.h). A refusal never echoes, stores or logs the
 * content: it records a security event (who, when, which door, which rule)
 * in SITE/state/security.log, shown to the security-officer role. */
#ifndef CH_GATE_H
#define CH_GATE_H

#include <stddef.h>

#include "policy.h"
#include "site.h"

typedef struct {
	const char *door;           /* static: "command line", "browser form", "JSON API" */
	const char *person;         /* who brought it, or NULL */
	const char *classification; /* a claimed label, or NULL */
	const char *title;          /* or NULL */
	const void *text;           /* a document's text or a comment, or NULL */
	size_t text_len;
	const char *what;           /* static: "the text", "the comment" */
	const char *filename;       /* an upload's name, or NULL */
} ch_gate_item;

/* gate.c */
/* 0 to let it in; CH_ECLASSIFIED (message says which door, what, level
 * and rule, nothing of the content) after recording a security event.
 * Offline-tier sites take every level: the gate lets everything in. */
int ch_gate_check(ch_site *site, const ch_policy *pol, const ch_gate_item *item);
/* Record a security event (JSON line, appended and synced). */
int ch_gate_event(ch_site *site, const char *door, const char *person, const char *rule,
                  const char *level);

#endif
