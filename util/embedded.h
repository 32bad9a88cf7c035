/* embedded.h -- data files compiled into the binary (scripts/embed.sh):
 * the workflow definitions and the Decree 30 document skeletons. */
#ifndef CH_EMBEDDED_H
#define CH_EMBEDDED_H

#include <stddef.h>

typedef struct {
	const char *path; /* as in the source tree: "workflows/defs/cong-van.json" */
	const unsigned char *data;
	size_t len;
} ch_embedded;

/* Terminated by an entry whose path is NULL. */
extern const ch_embedded ch_embedded_files[];

#endif
