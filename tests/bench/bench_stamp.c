/* bench_stamp.c -- the classification scanner's speed in MB/s over the
 * text corpus (/work/shared/corpus or the directory given): every corpus
 * file concatenated and repeated to SIZE MiB (default 8), scanned as a body
 * text and as an uploaded file, best of ROUNDS (default 5); then the same
 * at a quarter of the size, to show the cost stays linear.
 *
 *   bench_stamp [corpus-dir [size-MiB [rounds]]] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflows/classify/stamp.h"
#include "util/common.h"
#include "util/fs.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int load_corpus(ch_buf *out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	ch_buf path = CH_BUF_INIT, one = CH_BUF_INIT;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".txt"))
			continue;
		ch_buf_clear(&path);
		ch_buf_printf(&path, "%s/%s", dir, e->d_name);
		if (ch_fs_read(&one, path.ptr, 16u << 20) == 0) {
			ch_buf_put(out, one.ptr, one.size);
			ch_buf_putc(out, '\n');
		}
	}
	closedir(d);
	ch_buf_dispose(&path);
	ch_buf_dispose(&one);
	return out->size ? 0 : -1;
}

/* The best time of `rounds` scans, in ms. */
static double best_ms(const ch_buf *b, int file, int rounds)
{
	double best = 1e30;
	int i;

	for (i = 0; i < rounds; i++) {
		ch_stamp_result r;
		double t0 = now_ms(), t;

		if (file)
			ch_stamp_scan_file(&r, "corpus.txt", b->ptr, b->size);
		else
			ch_stamp_scan_text(&r, b->ptr, b->size, CH_STAMP_IN_BODY);
		t = now_ms() - t0;
		if (r.level != CH_STAMP_NONE)
			fprintf(stderr, "bench_stamp: the corpus is not unclassified (%s)\n", r.rule);
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/work/shared/corpus";
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
	int rounds = argc > 3 ? atoi(argv[3]) : 5, file;
	ch_buf one = CH_BUF_INIT, big = CH_BUF_INIT, quarter = CH_BUF_INIT;

	if (load_corpus(&one, dir) < 0) {
		fprintf(stderr, "bench_stamp: no corpus in %s\n", dir);
		return 1;
	}
	while (big.size < mib << 20)
		ch_buf_put(&big, one.ptr, one.size);
	ch_buf_put(&quarter, big.ptr, big.size / 4);
	best_ms(&quarter, 0, 1); /* the fold tables */
	for (file = 0; file <= 1; file++) {
		double tb = best_ms(&big, file, rounds), tq = best_ms(&quarter, file, rounds);

		printf("%-5s %5.1f MiB: %7.1f ms  %6.1f MB/s   (%4.1f MiB: %6.1f ms, ratio %.2f)\n",
		       file ? "file" : "text", big.size / 1048576.0, tb, big.size / 1e3 / tb,
		       quarter.size / 1048576.0, tq, tb / tq);
	}
	ch_buf_dispose(&one);
	ch_buf_dispose(&big);
	ch_buf_dispose(&quarter);
	return 0;
}
