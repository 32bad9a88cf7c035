/* trailers.h -- the Chancery trailers of a commit message (DESIGN.md, D8).
 *
 *   <subject>
 *
 *   <optional comment>
 *
 *   Chancery-Action: approve
 *   Chancery-Step: review
 *   Chancery-Actor: nguyen.van.a
 *   Chancery-On-Behalf-Of: tran.thi.b        (delegation only)
 *   Chancery-Policy: <40 hex>
 *   Chancery-Classification: unclassified
 *   Chancery-Declared-Unclassified: attachments/<name>   (create/revise only,
 *                                 once per attachment; rule D10)
 */
#ifndef CH_TRAILERS_H
#define CH_TRAILERS_H

#include "util/buf.h"
#include "util/strv.h"

#define CH_MSG_MAX (64 * 1024)
#define CH_COMMENT_MAX (16 * 1024)

typedef struct {
	char action[16];
	char step[65];
	char actor[65];
	char on_behalf[65]; /* "" when absent */
	char policy[41];
	char classification[16];
	int is_policy;      /* a policy commit: Action "policy" and Actor only */
	int ndeclared;      /* Chancery-Declared-Unclassified trailers (well formed) */
} ch_trailers;

/* trailers.c */
/* Parse the last paragraph of a commit message. For a document commit the
 * five trailers must be present once each and well formed; for a policy
 * commit (Chancery-Action: policy) exactly Action and Actor. Any other
 * "Chancery-" trailer is refused. CH_EINVALID names what is wrong. */
int ch_trailers_parse(ch_trailers *out, const char *message, size_t len);
/* Compose a document commit message. `comment` may be NULL. */
void ch_trailers_format(ch_buf *out, const char *subject, const char *comment,
                        const ch_trailers *t);
/* The attachment names (without "attachments/") of the message's
 * Chancery-Declared-Unclassified trailers; CH_EINVALID if one is repeated
 * or malformed. */
int ch_trailers_declared(ch_strv *out, const char *message, size_t len);
/* Append one Chancery-Declared-Unclassified trailer per name (after
 * ch_trailers_format). */
void ch_trailers_format_declared(ch_buf *out, const ch_strv *names);
/* The comment (body between subject and trailers), if any, into out. */
void ch_message_comment(ch_buf *out, const char *message);

#endif
