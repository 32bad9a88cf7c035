/* failpoint.c -- the test build's hooks (failpoint.h). */
#include "failpoint.h"

#ifdef CH_TEST_HOOKS
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ch_failpoint_wait(const char *env)
{
	const char *file = getenv(env);
	int i;

	for (i = 0; file && i < 3000 && access(file, F_OK) != 0; i++)
		usleep(10000);
}

void ch_failpoint_crash(const char *where)
{
	const char *at = getenv("CHANCERY_FAILPOINT_CRASH");

	if (at && !strcmp(at, where))
		raise(SIGKILL);
}

void ch_failpoint_signal_and_wait(const char *env)
{
	const char *file = getenv(env);
	int fd, i;

	if (!file)
		return;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	for (i = 0; i < 3000; i++)
		usleep(10000);
}

int ch_testhook_meta_v1(void)
{
	const char *v = getenv("CHANCERY_TEST_META_V1");

	return v && !strcmp(v, "1");
}
#else
typedef int ch_failpoint_release_build; /* ISO C: no empty translation unit */
#endif
