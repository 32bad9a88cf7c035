/* spawn.c -- run a program as a child process: argv given whole (no
 * shell), stdin from /dev/null, extra environment added to ours, stdout
 * and stderr captured with bounds (or stderr passed through). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/spawn.h"
#include "util/common.h"

extern char **environ;

#define RUN_MAX_OUT (64u * 1024 * 1024) /* a ref listing of 100 000 documents fits */
#define RUN_MAX_ERR (1u * 1024 * 1024)

/* environ plus `extra` ("NAME=value"), an extra replacing a same-named
 * variable. The strings are borrowed. */
static char **make_env(const char *const *extra)
{
	size_t n = 0, k = 0, i, j;
	char **env;

	while (environ[n])
		n++;
	for (i = 0; extra && extra[i]; i++)
		k++;
	env = ch_calloc(n + k + 1, sizeof(*env));
	k = 0;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		int replaced = 0;

		for (j = 0; extra && extra[j]; j++)
			if (!strncmp(extra[j], environ[i], len))
				replaced = 1;
		if (!replaced)
			env[k++] = environ[i];
	}
	for (j = 0; extra && extra[j]; j++)
		env[k++] = (char *)(uintptr_t)extra[j];
	env[k] = NULL;
	return env;
}

static int drain(int fd, ch_buf *b, size_t max, int *open_)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		*open_ = 0;
		return 0;
	}
	if (b->size + (size_t)n > max)
		return -1;
	ch_buf_put(b, chunk, (size_t)n);
	return 0;
}

int ch_spawn_run(int *status, const char *const *argv, const char *const *env, ch_buf *out,
                 ch_buf *err)
{
	posix_spawn_file_actions_t fa;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc, wst = 0, oopen, eopen, error = 0;
	char **envp = make_env(env);
	pid_t pid = -1;

	*status = -1;
	if ((out && pipe2(po, O_CLOEXEC) < 0) || (err && pipe2(pe, O_CLOEXEC) < 0)) {
		error = ch_error_setc(CH_EIO, "cannot make a pipe: %s", strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (err)
		posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)(uintptr_t)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		error = ch_error_setc(CH_EIO, "cannot run %s: %s", argv[0], strerror(rc));
		pid = -1;
		goto done;
	}
	if (out) {
		close(po[1]);
		po[1] = -1;
	}
	if (err) {
		close(pe[1]);
		pe[1] = -1;
	}
	oopen = out != NULL;
	eopen = err != NULL;
	while (oopen || eopen) {
		struct pollfd p[2];
		nfds_t np = 0;
		int io = -1, ie = -1;

		if (oopen) {
			p[np].fd = po[0];
			p[np].events = POLLIN;
			io = (int)np++;
		}
		if (eopen) {
			p[np].fd = pe[0];
			p[np].events = POLLIN;
			ie = (int)np++;
		}
		if (poll(p, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			error = ch_error_setc(CH_EIO, "poll: %s", strerror(errno));
			break;
		}
		if ((io >= 0 && p[io].revents && drain(po[0], out, RUN_MAX_OUT, &oopen) < 0) ||
		    (ie >= 0 && p[ie].revents && drain(pe[0], err, RUN_MAX_ERR, &eopen) < 0)) {
			error = ch_error_setc(CH_EIO, "%s wrote more than we read", argv[0]);
			kill(pid, SIGKILL);
			break;
		}
	}
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + (WIFSIGNALED(wst) ? WTERMSIG(wst) : 0);
done:
	if (po[0] >= 0)
		close(po[0]);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[0] >= 0)
		close(pe[0]);
	if (pe[1] >= 0)
		close(pe[1]);
	free(envp);
	return error;
}
