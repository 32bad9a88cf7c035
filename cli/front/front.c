/* front.c -- `chancery`: the command an official types.
 *
 * A signed step is the command run most, often by scripts; the full
 * command line (chancery-full: libgit2, GPGME, libgcrypt and the rest,
 * ~10 MB) costs ~0.5 ms just to start here, a fifth of what a whole step
 * may cost (issue 3's budget: a quarter of stock `git commit -S`). So
 * `chancery` is this small program, which links only the C library:
 *
 *   chancery doc act SITE DOC --as ID --action A [--comment C]
 *            [--on-behalf-of ID] --passphrase-file FILE
 *       is handed to the site's step engine (cli/engine_wire.c, the same
 *       client as the full command line's), the answer printed as the
 *       full command line would print it;
 *   everything else, and any step the engine does not take (no engine
 *   can start, another build's engine, an option this parser does not
 *   know, a passphrase asked on the terminal), is run by chancery-full
 *   (execv, same arguments): the behaviour and the messages are its own.
 *
 * When the engine was lost after the step was sent, chancery-full redoes
 * the step in process against the head read here
 * (CHANCERY_ENGINE_SEEN), so the compare-and-swap records it at most once;
 * when the front has tried the engine already, chancery-full is told not to
 * try again (CHANCERY_ENGINE=off).
 *
 * chancery-full is looked for beside this program (its directory, by
 * /proc/self/exe): `make install` puts both in PREFIX/bin. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine_wire.h"
#include "util/error.h" /* the CH_E* codes only: no function of it is linked */

static int full_path(char out[PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", out, PATH_MAX - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= PATH_MAX - sizeof("chancery-full"))
		return -1;
	out[n] = '\0';
	if (!(slash = strrchr(out, '/')))
		return -1;
	memcpy(slash + 1, "chancery-full", sizeof("chancery-full"));
	return 0;
}

/* As the full command line reads --passphrase-file: at most 1,024 bytes,
 * the first line, a final CR dropped, not empty, no NUL. NULL otherwise
 * (the full command line then says what is wrong). */
static char *read_passphrase(const char *file)
{
	char *buf = malloc(EW_PASSPHRASE_MAX + 2), *nl;
	size_t n = 0;
	ssize_t r;
	int fd;

	if (!buf)
		return NULL;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		free(buf);
		return NULL;
	}
	while (n <= EW_PASSPHRASE_MAX &&
	       (r = read(fd, buf + n, EW_PASSPHRASE_MAX + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (n > EW_PASSPHRASE_MAX || memchr(buf, '\0', n))
		goto fail;
	if ((nl = memchr(buf, '\n', n)))
		*nl = '\0';
	n = strlen(buf);
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (!n)
		goto fail;
	return buf;
fail:
	explicit_bzero(buf, EW_PASSPHRASE_MAX + 2);
	free(buf);
	return NULL;
}

static void forget(char *pass)
{
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
}

/* `doc act` through the engine: an exit code, or -1 to run chancery-full
 * (with *tried set when the engine was asked, and *lost when it was lost
 * after the step was sent). */
static int act(int argc, char **argv, const char *full, int *tried, int *lost,
               char seen[EW_HEX + 1])
{
	static const char *const names[] = { "as", "action", "comment", "on-behalf-of",
	                                     "passphrase-file", NULL };
	const char *val[5] = { NULL, NULL, NULL, NULL, NULL }, *pos[2] = { NULL, NULL };
	char *site = NULL, *pass = NULL;
	ew_result res;
	ew_step step;
	int i, k, npos = 0, rc = -1;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
			if (npos == 2)
				return -1;
			pos[npos++] = argv[i];
			continue;
		}
		for (k = 0; names[k] && strcmp(argv[i] + 2, names[k]); k++)
			;
		if (!names[k] || i + 1 >= argc)
			return -1; /* not ours to explain */
		val[k] = argv[++i];
	}
	if (npos != 2 || !val[0] || !val[1] || !val[4] || !ew_doc_id_chars(pos[1]) ||
	    !ew_fits(F_ACTION, val[1]) || !ew_fits(F_ACTOR, val[0]) ||
	    !ew_fits(F_COMMENT, val[2]) || !ew_fits(F_ON_BEHALF, val[3]) ||
	    !(site = realpath(pos[0], NULL)) || ew_read_head(seen, site, pos[1]) < 0 ||
	    !(pass = read_passphrase(val[4])))
		goto done;
	ew_failpoint_wait();
	memset(&step, 0, sizeof(step));
	step.site = site;
	step.doc = pos[1];
	step.action = val[1];
	step.actor = val[0];
	step.comment = val[2];
	step.on_behalf = val[3];
	step.seen = seen;
	step.exe = full;
	*tried = 1;
	switch (ew_act(&res, &step, pass)) {
	case EW_DONE:
		printf("%s\n", res.hex);
		rc = fflush(stdout) == 0 ? 0 : 2;
		break;
	case EW_FAILED:
		fprintf(stderr, "chancery: %s\n", res.msg);
		free(res.msg);
		/* the exit codes of cli/main.c's cli_fail */
		rc = res.code == CH_ECONFLICT ? 3 : res.code == CH_EIO ? 2 : 1;
		break;
	case EW_LOST:
		*lost = 1;
		break;
	default:
		break;
	}
done:
	forget(pass);
	free(site);
	return rc;
}

int main(int argc, char **argv)
{
	char full[PATH_MAX], seen[EW_HEX + 1] = "";
	int tried = 0, lost = 0, rc;

	signal(SIGPIPE, SIG_IGN);
	if (full_path(full) < 0) {
		fprintf(stderr, "chancery: cannot find chancery-full beside this program\n");
		return 2;
	}
	if (argc >= 3 && !strcmp(argv[1], "doc") && !strcmp(argv[2], "act") && ew_enabled() &&
	    (rc = act(argc - 3, argv + 3, full, &tried, &lost, seen)) >= 0)
		return rc;
	if (tried && (setenv("CHANCERY_ENGINE", "off", 1) < 0 ||
	              (lost && setenv("CHANCERY_ENGINE_SEEN", seen, 1) < 0))) {
		fprintf(stderr, "chancery: %s\n", strerror(errno));
		return 2;
	}
	execv(full, argv);
	fprintf(stderr, "chancery: cannot run %s: %s\n", full, strerror(errno));
	return 2;
}
