/* notls.c -- keep libgit2 from loading its TLS trust store in the command
 * line.
 *
 * Debian's libgit2 parses the system's ~140 CA certificates with mbedTLS
 * in git_libgit2_init(): about 7 ms at every start, a third of a whole
 * signed step. The command line never opens a libgit2 network transport
 * (it has no fetch or push; sync goes through the server), so these two
 * definitions, exported from the executable (cli/notls.list), take the
 * place of mbedTLS's for libgit2 and load nothing. Should a libgit2 HTTPS
 * connection ever be made from these binaries, it would fail closed: no
 * trust anchor, no verified peer. The server does not link this file. */
#include "cli.h"

int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_path(void *chain, const char *path);

int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int mbedtls_x509_crt_parse_path(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}
