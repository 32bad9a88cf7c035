/* signer_unix_path.c -- red team, OUT OF THE SUITE (fails today): the
 * signer (and the gpg-agent it starts) may connect() to any pathname unix
 * socket on the host: a network namespace scopes abstract sockets only,
 * and seccomp cannot read connect()'s path. A socket that relays to the
 * network (systemd-resolved's io.systemd.Resolve: DNS out; nscd; a
 * forwarding proxy; another daemon's control socket) is then in reach.
 * Exit 0 when the connect is refused (fixed), 1 when it succeeds.
 *
 *   make BUILD=build-test TEST_HOOKS=1 all -j2
 *   cc -std=gnu11 -D_GNU_SOURCE -I. -o /tmp/signer_unix_path tests/redteam/signer_unix_path.c \
 *     build-test/server/sandbox.o build-test/libchancery.a -lseccomp -lgit2 -lgpgme -lassuan \
 *     -lgpg-error -lgcrypt -ljansson -lcmark -lz -lexpat -lunistring -lpthread
 *   /tmp/signer_unix_path; echo $?
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sched.h>
#include <unistd.h>

int srv_sandbox_signer(void);

int main(void)
{
	char dir[] = "/tmp/relayXXXXXX";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l, fd, rc;

	if (!mkdtemp(dir))
		return 2;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/relay.sock", dir);
	/* "the relay": a listener outside the site, as a host daemon's socket */
	if ((l = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
		return 2;
	unshare(0x40000000); /* CLONE_NEWNET, as own_netns does (ignored when refused) */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (srv_sandbox_signer() < 0)
		return 2;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	printf("signer under its filter, in its own netns: connect(%s) %s\n", a.sun_path,
	       rc == 0 ? "CONNECTED" : "refused");
	unlink(a.sun_path);
	rmdir(dir);
	return rc == 0 ? 1 : 0;
}
