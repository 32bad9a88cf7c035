/* spilled.c -- the ids of what was spilled, and the check every write
 * makes against them (spilled.h). */
#include <string.h>

#include "workflows/classify/gate.h"
#include "workflows/classify/spilled.h"
#include "util/common.h"

int ch_spill_objects_load(ch_oidset *out, git_repository *repo)
{
	git_commit *c = NULL;
	git_tree *tree = NULL, *dir = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_oid head, id;
	size_t i, k, len;
	const char *p;
	int rc, error = 0;

	rc = git_reference_name_to_id(&head, repo, CH_SPILLS_REF);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0 || git_commit_lookup(&c, repo, &head) < 0 || git_commit_tree(&tree, c) < 0) {
		error = ch_error_setc(CH_EIO, "cannot read %s", CH_SPILLS_REF);
		goto done;
	}
	if (git_tree_entry_bypath(&e, tree, CH_SPILLED_DIR) < 0)
		goto done; /* records made before ids were kept */
	if (git_tree_lookup(&dir, repo, git_tree_entry_id(e)) < 0) {
		error = ch_error_setc(CH_EIO, "%s: %s/ is not a directory", CH_SPILLS_REF,
		                      CH_SPILLED_DIR);
		goto done;
	}
	for (i = 0; i < git_tree_entrycount(dir) && !error; i++) {
		if (git_blob_lookup(&blob, repo, git_tree_entry_id(git_tree_entry_byindex(dir, i))) < 0) {
			error = ch_error_setc(CH_EIO, "%s: an unreadable record of ids", CH_SPILLS_REF);
			break;
		}
		p = git_blob_rawcontent(blob);
		len = (size_t)git_blob_rawsize(blob);
		for (k = 0; k + GIT_OID_HEXSZ <= len; k += GIT_OID_HEXSZ + 1)
			if (git_oid_fromstrn(&id, p + k, GIT_OID_HEXSZ) == 0)
				ch_oidset_add(out, &id);
		git_blob_free(blob);
		blob = NULL;
	}
done:
	git_tree_free(dir);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

int ch_spill_check_tree(ch_site *site, const ch_oidset *spilled, const git_oid *tree,
                        const ch_fileset *files, const char *door, const char *person)
{
	git_oid id;
	size_t i;
	int hit;

	if (!spilled->n)
		return 0;
	hit = tree && ch_oidset_has(spilled, tree);
	for (i = 0; files && i < files->n && !hit; i++)
		hit = git_odb_hash(&id, files->v[i].data.ptr, files->v[i].data.size,
		                   GIT_OBJECT_BLOB) == 0 && ch_oidset_has(spilled, &id);
	if (!hit)
		return 0;
	ch_gate_event(site, door, person, "SPILL", "spilled content brought back");
	return ch_error_setc(CH_EDENIED, "refused: this content belongs to a spilled document "
	                     "(%s); what was spilled never comes back, under any id",
	                     CH_SPILLS_REF);
}
