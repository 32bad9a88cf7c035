/* cmd_sync.c -- `chancery sync SITE --remote URL --cert F --key F --ca F`:
 * one exchange with a peer site (workflows/sync/exchange.h, docs/sync.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "workflows/sync/exchange.h"
#include "util/common.h"

#ifndef CH_OFFLINE

int cmd_sync(int argc, char **argv)
{
	static const char *const opts[] = { "remote", "cert", "key", "ca", "peer", NULL };
	static const char usage[] =
		"usage: chancery sync SITE --remote https://HOST:PORT/git/ID.git --cert F --key F "
		"--ca F [--peer ID]\n";
	char *peer = NULL;
	ch_sync_run r;
	cli_args a;
	int error;

	memset(&r, 0, sizeof(r));
	if (cli_parse(&a, argc, argv, opts, NULL) < 0) {
		fprintf(stderr, "chancery: %s\n", ch_error_last());
		cli_args_dispose(&a);
		return cli_usage(usage);
	}
	if (a.pos.n != 1 || !cli_get(&a, "remote") || !cli_get(&a, "cert") || !cli_get(&a, "key") ||
	    !cli_get(&a, "ca")) {
		cli_args_dispose(&a);
		return cli_usage(usage);
	}
	r.remote = cli_get(&a, "remote");
	r.cert = cli_get(&a, "cert");
	r.key = cli_get(&a, "key");
	r.ca = cli_get(&a, "ca");
	r.progress = isatty(2);
	r.out = stdout;
	peer = cli_get(&a, "peer") ? ch_strdup(cli_get(&a, "peer")) : ch_sync_peer_from_url(r.remote);
	r.peer = peer;
	error = ch_sync(&r, a.pos.v[0]);
	free(peer);
	cli_args_dispose(&a);
	if (error < 0) {
		fprintf(stderr, "chancery: sync: %s\n", ch_error_last());
		return error == CH_EINVALID || error == CH_EIO || error == CH_ENOTFOUND ?
		       CLI_USAGE : CLI_REFUSED;
	}
	return r.refused || r.conflicts ? CLI_REFUSED : CLI_OK;
}

#endif /* !CH_OFFLINE */
