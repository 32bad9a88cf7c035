/* format.h -- the names of the repository format (docs/format.md,
 * ../shared/DESIGN.md): its refs and the files of its trees, in one place.
 * The rules over them live with the model (policy.c, doc.c, verify/). */
#ifndef CH_FORMAT_H
#define CH_FORMAT_H

/* refs */
#define CH_POLICY_REF "refs/heads/policy"        /* the policy chain */
#define CH_DOCS_PREFIX "refs/docs/"              /* refs/docs/<doc-id>: a document chain */
#define CH_DOCS_GLOB "refs/docs/*"
#define CH_CONFLICTS_PREFIX "refs/conflicts/"    /* refs/conflicts/<peer>/docs/<doc-id> */
#define CH_SPILLS_REF "refs/chancery/spills"     /* the spill list (classify/spill.h) */
#define CH_ACCESS_REF "refs/chancery/access"     /* the access log's seals (store/access.h) */

/* a document's tree */
#define CH_FILE_TEXT "document.md"
#define CH_FILE_META "meta.json"
#define CH_DIR_ATTACHMENTS "attachments"         /* the tree entry; CH_ATTACH_DIR with '/' */
#define CH_ATTACH_DIR CH_DIR_ATTACHMENTS "/"

/* the policy's tree */
#define CH_DIR_KEYS "policy/keys"                /* policy/keys/<person>.asc */
#define CH_FILE_REPOSITORY "policy/repository.json"

/* the spill list's tree */
#define CH_SPILLS_FILE "spills.json"
#define CH_SPILLED_DIR "spilled"                 /* spilled/<doc>: the ids of what was spilled */

#endif
