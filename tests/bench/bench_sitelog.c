/* bench_sitelog.c -- the site log's cost per accepted update, in process:
 * `bench_sitelog SITE N` appends N entries of one document update each
 * (what a step adds: the lock of refs/chancery/log, the entry's text, the
 * site key's signature through gpg-agent, the commit written and flushed,
 * the ref moved), and prints the time of each in ns, one a line, then
 * "bytes <n>": the entries' commit objects in all, as git stores them
 * uncompressed (git cat-file -s). tests/bench/bench_sitelog.sh runs it
 * beside stock git doing the same job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/sitelog.h"
#include "util/common.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	ch_site *site = NULL;
	ch_log_item it;
	git_oid root, head, id;
	git_odb *odb = NULL;
	unsigned long long bytes = 0;
	long i, n;

	if (argc != 3 || (n = atol(argv[2])) <= 0 || n > 100000) {
		fprintf(stderr, "usage: bench_sitelog SITE N\n");
		return 2;
	}
	if (ch_site_open(&site, argv[1]) < 0 || git_repository_odb(&odb, site->repo) < 0) {
		fprintf(stderr, "bench_sitelog: %s\n", ch_error_last());
		return 1;
	}
	memset(&it, 0, sizeof(it));
	it.kind = CH_LOG_DOC;
	memset(&root, 0x11, sizeof(root));
	for (i = 0; i < n; i++) {
		long long t0, t1;
		size_t sz;
		git_object_t type;

		memset(&head, 0, sizeof(head));
		memcpy(head.id, &i, sizeof(i));
		ch_log_commitment(it.commitment, "refs/docs/2026-bench", &root, &head);
		t0 = now_ns();
		if (ch_log_append(site, &it, 1) < 0) {
			fprintf(stderr, "bench_sitelog: %s\n", ch_error_last());
			return 1;
		}
		t1 = now_ns();
		printf("%lld\n", t1 - t0);
		if (git_reference_name_to_id(&id, site->repo, CH_LOG_REF) == 0 &&
		    git_odb_read_header(&sz, &type, odb, &id) == 0)
			bytes += sz;
	}
	printf("bytes %llu\n", bytes);
	git_odb_free(odb);
	ch_site_free(site);
	return 0;
}
