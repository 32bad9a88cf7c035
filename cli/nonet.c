/* nonet.c -- the air-gapped build (chancery-offline) opens no network
 * socket: every network entry point of the libraries it links statically
 * is redirected here at link time and fails.
 *
 * chancery-offline links libgit2, GPGME, libgcrypt, OpenSSL's libcrypto
 * (under libssh2) and the rest statically (Makefile: CLI_STATIC). Their
 * archives hold network code the command line never runs: libgit2's socket
 * stream, libssh2's agent client, OpenSSL's BIO sockets and AF_ALG engine,
 * GPGME's socket I/O. Linked as they are, that code would import socket(),
 * connect(), getaddrinfo() ... from libc into the binary. The offline link
 * passes -Wl,--wrap=<name> for each of those names (OFFLINE_WRAP in the
 * Makefile), so the references land on the functions below, which fail
 * with EACCES (EAI_FAIL, NO_RECOVERY) and never reach the kernel; the
 * binary then imports none of these libc symbols, which
 * tests/integration/test_offline.sh reads from the binary itself.
 *
 * The one local socket the offline build needs, the Unix socket of the
 * site's gpg-agent, is opened by libassuan, which the offline binary alone
 * links dynamically (with libgpg-error, which it needs) for that reason:
 * nothing else in the binary can create a socket. */
#ifdef CH_OFFLINE

#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

#include "cli.h"

static int refuse(void)
{
	errno = EACCES;
	return -1;
}

int __wrap_socket(int domain, int type, int protocol);
int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_listen(int fd, int backlog);
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
ssize_t __wrap_sendto(int fd, const void *buf, size_t n, int flags,
                      const struct sockaddr *addr, socklen_t len);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __wrap_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                        socklen_t *len);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);
struct hostent *__wrap_gethostbyname(const char *name);

int __wrap_socket(int domain, int type, int protocol)
{
	(void)domain;
	(void)type;
	(void)protocol;
	return refuse();
}

int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	(void)fd;
	(void)addr;
	(void)len;
	return refuse();
}

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	(void)fd;
	(void)addr;
	(void)len;
	return refuse();
}

int __wrap_listen(int fd, int backlog)
{
	(void)fd;
	(void)backlog;
	return refuse();
}

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	(void)fd;
	(void)addr;
	(void)len;
	return refuse();
}

int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	(void)fd;
	(void)addr;
	(void)len;
	(void)flags;
	return refuse();
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t n, int flags,
                      const struct sockaddr *addr, socklen_t len)
{
	(void)fd;
	(void)buf;
	(void)n;
	(void)flags;
	(void)addr;
	(void)len;
	return refuse();
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	(void)fd;
	(void)msg;
	(void)flags;
	return refuse();
}

ssize_t __wrap_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                        socklen_t *len)
{
	(void)fd;
	(void)buf;
	(void)n;
	(void)flags;
	(void)addr;
	(void)len;
	return refuse();
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	(void)fd;
	(void)msg;
	(void)flags;
	return refuse();
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	if (res)
		*res = NULL;
	return EAI_FAIL;
}

struct hostent *__wrap_gethostbyname(const char *name)
{
	(void)name;
	h_errno = NO_RECOVERY;
	return NULL;
}

#else
/* The networked build links no replacement: ISO C wants a declaration. */
typedef int ch_nonet_unused;
#endif
