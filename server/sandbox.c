/* sandbox.c -- the network process's seccomp filter (libseccomp).
 *
 * An allow-list: the calls the network process makes once it serves
 * (libmicrohttpd's threads, GnuTLS, libgit2 reading and writing the
 * repository and state/, jansson, glibc's allocator, threads and time),
 * found by running the integration suite with the server under
 * `strace -ff` and kept to what it showed plus the allocator's and
 * abort's calls. Every other call fails: EPERM in a release build, and in
 * a test build (CH_TEST_HOOKS) the process is killed, so that the suite
 * finds a call missing from the list. Notably absent: execve, fork (clone
 * only with CLONE_THREAD; clone3, whose flags a filter cannot read,
 * answers ENOSYS so glibc falls back to clone), ptrace, process_vm_*,
 * set*id, mount, namespaces, modules, BPF, keyrings, ioctl; socket only
 * for IPv4 and IPv6. PR_SET_NO_NEW_PRIVS comes with it. */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>

#include "server.h"
#include "util/common.h"

static const int allowed[] = {
	/* memory, threads, time, signals */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(gettid), SCMP_SYS(getpid),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall), SCMP_SYS(tgkill),
	SCMP_SYS(wait4), /* main() reaps the signer at the end */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(getrandom), SCMP_SYS(getrusage), SCMP_SYS(geteuid), SCMP_SYS(getuid),
	SCMP_SYS(getegid), SCMP_SYS(getgid), SCMP_SYS(prctl), SCMP_SYS(seccomp), SCMP_SYS(uname),
	/* descriptors and files (the repository, state/) */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(dup),
	SCMP_SYS(dup3), SCMP_SYS(pipe2), SCMP_SYS(eventfd2), SCMP_SYS(openat), SCMP_SYS(open),
	SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx),
	SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getdents64),
	SCMP_SYS(getcwd), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(unlink),
	SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat),
	SCMP_SYS(chmod), SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(utimensat),
	SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(flock),
	SCMP_SYS(umask),
	/* the network */
	SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(shutdown), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
	SCMP_SYS(pselect6),
};

/* A sanitizer's runtime (make asan) makes calls of its own (shadow memory,
 * stacks, reports) that the served process does not: there the filter is
 * loaded with the same list but a call outside it is allowed and logged,
 * so that the suite under the sanitizers tests memory, not the list (which
 * the test build tests, killed on a miss). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define CH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define CH_SANITIZED 1
#endif
#endif

int srv_sandbox(void)
{
#if defined(CH_SANITIZED)
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_LOG);
#elif defined(CH_TEST_HOOKS)
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
#else
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
#endif
	struct scmp_arg_cmp thread = { 0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD };
	struct scmp_arg_cmp inet = { 0, SCMP_CMP_EQ, AF_INET, 0 };
	struct scmp_arg_cmp inet6 = { 0, SCMP_CMP_EQ, AF_INET6, 0 };
	size_t i;
	int rc = 0;

	if (!ctx)
		return ch_error_setc(CH_EIO, "seccomp is not available");
	for (i = 0; i < CH_ARRAY_SIZE(allowed) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &thread);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &inet);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &inet6);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot load the seccomp filter: %s", strerror(-rc));
	return 0;
}
