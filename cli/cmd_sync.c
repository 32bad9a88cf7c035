/* cmd_sync.c -- `chancery sync`: see below. */
#include <stdio.h>

#include "cli.h"
#include "util/common.h"

#ifndef CH_OFFLINE
int cmd_sync(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage("chancery sync: not yet\n");
}
#endif
