/* srcaddr.c -- LD_PRELOAD shim for the load test: gives each IPv4 TCP
 * connection to 127.0.0.1 a loopback source address of its own, round
 * robin over 127.0.0.FIRST .. 127.0.0.(FIRST+COUNT-1), so that a client
 * that cannot choose its source (wrk) opens more connections than
 * chanceryd allows one address (SRV_MAX_PER_IP) while each "office" stays
 * under the limit.
 *
 *   CH_SRCADDR_FIRST=2 CH_SRCADDR_COUNT=8 LD_PRELOAD=./srcaddr.so wrk ...
 *
 * Every address of 127.0.0.0/8 is local on Linux: nothing to configure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static atomic_uint next;

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static connect_fn real;
	const char *f = getenv("CH_SRCADDR_FIRST"), *c = getenv("CH_SRCADDR_COUNT");

	if (!real)
		real = (connect_fn)dlsym(RTLD_NEXT, "connect");
	if (f && c && addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in) &&
	    ((const struct sockaddr_in *)(const void *)addr)->sin_addr.s_addr ==
	    htonl(INADDR_LOOPBACK)) {
		unsigned first = (unsigned)atoi(f), count = (unsigned)atoi(c);
		struct sockaddr_in src;

		if (count > 0 && first > 0 && first + count <= 255) {
			memset(&src, 0, sizeof(src));
			src.sin_family = AF_INET;
			src.sin_addr.s_addr = htonl(0x7f000000u | (first + atomic_fetch_add(&next, 1) % count));
			/* port 0: the kernel picks one; a failure leaves the default source */
			(void)bind(fd, (const struct sockaddr *)&src, sizeof(src));
		}
	}
	return real(fd, addr, len);
}
