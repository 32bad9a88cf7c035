/* gcry_rate.c -- how many Ed25519 signature verifications libgcrypt does a
 * second on all cores: the ceiling for `chancery verify`, which does one
 * per commit. The S-expressions are those crypto/pgp.c hands to
 * gcry_pk_verify (legacy OpenPGP EdDSA: a SHA-256 digest signed as the
 * message, with SHA-512 inside EdDSA), so the work is the same.
 *
 *   gcry_rate [THREADS [SECONDS]]
 *
 * prints "THREADS VERIFIES_PER_SECOND CPU_MICROSECONDS_PER_VERIFY": the
 * rate on the wall clock (what the cores gave), and the processor time
 * one verification took (what it costs, whatever else the machine runs). */
#include <gcrypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static gcry_sexp_t pub, sig, data;
static atomic_int stop;

typedef struct {
	pthread_t thread;
	unsigned long count;
	int bad;
} worker;

static void *run(void *arg)
{
	worker *w = arg;

	while (!atomic_load(&stop)) {
		if (gcry_pk_verify(sig, data, pub))
			w->bad = 1;
		w->count++;
	}
	return NULL;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void)
{
	gcry_sexp_t parms = NULL, key = NULL, sec = NULL;
	unsigned char digest[32];
	int rc;

	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, "chancery", 8);
	rc = gcry_sexp_build(&parms, NULL, "(genkey(ecc(curve Ed25519)(flags eddsa)))") ||
	     gcry_pk_genkey(&key, parms) ||
	     !(pub = gcry_sexp_find_token(key, "public-key", 0)) ||
	     !(sec = gcry_sexp_find_token(key, "private-key", 0)) ||
	     gcry_sexp_build(&data, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))",
	                     (int)sizeof(digest), digest) ||
	     gcry_pk_sign(&sig, data, sec) || gcry_pk_verify(sig, data, pub);
	gcry_sexp_release(parms);
	gcry_sexp_release(key);
	gcry_sexp_release(sec);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	worker w[MAX_THREADS];
	long n = argc > 1 ? atol(argv[1]) : sysconf(_SC_NPROCESSORS_ONLN);
	double secs = argc > 2 ? atof(argv[2]) : 2.0, t0, t1, c0, c1;
	unsigned long total = 0;
	long i;

	if (n < 1 || n > MAX_THREADS || secs <= 0)
		return fprintf(stderr, "usage: gcry_rate [THREADS [SECONDS]]\n"), 2;
	if (!gcry_check_version(GCRYPT_VERSION))
		return fprintf(stderr, "gcry_rate: libgcrypt version mismatch\n"), 1;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (setup() < 0)
		return fprintf(stderr, "gcry_rate: cannot make and check an Ed25519 signature\n"), 1;
	memset(w, 0, sizeof(w));
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < n; i++)
		if (pthread_create(&w[i].thread, NULL, run, &w[i]))
			return fprintf(stderr, "gcry_rate: cannot start a thread\n"), 1;
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		total += w[i].count;
		if (w[i].bad)
			return fprintf(stderr, "gcry_rate: a verification failed\n"), 1;
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	printf("%ld %.0f %.1f\n", n, (double)total / (t1 - t0), (c1 - c0) * 1e6 / (double)total);
	return 0;
}
