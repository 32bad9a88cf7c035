/* sandbox.c -- the seccomp filters (libseccomp) of the network process
 * and of the signer (below).
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
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

int srv_sandbox_enforcing(void)
{
#if defined(CH_SANITIZED)
	return 0;
#else
	return 1;
#endif
}

/* A call outside a list: logged (sanitized build), the process killed
 * (test build), EPERM (release). */
static scmp_filter_ctx new_filter(void)
{
#if defined(CH_SANITIZED)
	return seccomp_init(SCMP_ACT_LOG);
#elif defined(CH_TEST_HOOKS)
	return seccomp_init(SCMP_ACT_KILL_PROCESS);
#else
	return seccomp_init(SCMP_ACT_ERRNO(EPERM));
#endif
}

int srv_sandbox(void)
{
	scmp_filter_ctx ctx = new_filter();
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

/* ---- the signer's filter ----
 *
 * The signer (server/main.c start_signer, after its drop to the keys user
 * and its own network namespace) and all it starts: gpgconf,
 * gpg-connect-agent and the site's gpg-agent (daemonized, with its npth
 * threads and its socket in SITE/gnupg), which inherit the filter with
 * no_new_privs. The calls the server tests showed under `strace -ff`
 * (the signer, ensure_log_key's child, and every process they started),
 * plus a program's start (the dynamic loader's calls) and the
 * allocator's, abort's and time's calls. exec and fork are allowed (gpg
 * must run); clone never with a namespace flag; socket and socketpair
 * only for AF_UNIX (any other family fails with EPERM in every build, an
 * answer, not a missing call); ioctl only TCGETS (isatty; any other
 * request fails with ENOTTY: no TIOCSTI); prlimit64 only on itself;
 * PR_SET_DUMPABLE only to 0 (the option's upper 32 bits zero: prctl_rules). Absent: ptrace, process_vm_*, set*id,
 * mount, unshare, setns, chroot, modules, BPF, keyrings, perf, seccomp. */
static const int signer_allowed[] = {
	/* memory, threads, time, signals, a program's start */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(mlock), SCMP_SYS(munlock), SCMP_SYS(futex),
	SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(set_tid_address), SCMP_SYS(arch_prctl), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(getppid),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall), SCMP_SYS(tgkill),
	SCMP_SYS(kill), SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(getrandom), SCMP_SYS(getrusage), SCMP_SYS(sysinfo), SCMP_SYS(getrlimit),
	SCMP_SYS(setrlimit), SCMP_SYS(geteuid), SCMP_SYS(getuid), SCMP_SYS(getegid),
	SCMP_SYS(getgid), SCMP_SYS(getresuid), SCMP_SYS(getresgid), SCMP_SYS(getgroups),
	SCMP_SYS(getpgrp), SCMP_SYS(getpgid), SCMP_SYS(getsid), SCMP_SYS(setsid),
	SCMP_SYS(setpgid), SCMP_SYS(uname),
	/* running gpgconf, gpg-connect-agent, gpg-agent */
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
	/* descriptors and files (SITE/gnupg, site.json) */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(close_range),
	SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(pipe),
	SCMP_SYS(pipe2), SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(fstatfs), SCMP_SYS(statfs),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(getdents64), SCMP_SYS(getcwd), SCMP_SYS(chdir),
	SCMP_SYS(fchdir), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(unlink),
	SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(chmod), SCMP_SYS(fchmod), SCMP_SYS(fchmodat),
	SCMP_SYS(utimensat), SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(flock), SCMP_SYS(umask), SCMP_SYS(inotify_init), SCMP_SYS(inotify_init1),
	SCMP_SYS(inotify_add_watch), SCMP_SYS(inotify_rm_watch),
	/* unix sockets (gpg-agent's, the IPC socket to the network process) */
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(shutdown), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
	SCMP_SYS(pselect6),
};

/* The namespace flags clone may not carry (CLONE_NEWTIME is 0x80, the
 * exit signal's byte in clone's flags: clone cannot take it). */
#define SIGNER_CLONE_NS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
                         CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* prctl with any option but PR_SET_DUMPABLE. The kernel reads the option
 * as an int, the filter compares 64 bits: "not PR_SET_DUMPABLE" would let
 * PR_SET_DUMPABLE | 1 << 32 through, so the options allowed are the values
 * below 2^32 but 4, as blocks of aligned bits: [0, 4), 5, [6, 8), then
 * [2^b, 2^(b+1)) for b = 3..31. */
static int prctl_rules(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp below = { 0, SCMP_CMP_LT, PR_SET_DUMPABLE, 0 };
	struct scmp_arg_cmp five = { 0, SCMP_CMP_EQ, PR_SET_DUMPABLE + 1, 0 };
	struct scmp_arg_cmp six = { 0, SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)1, PR_SET_DUMPABLE + 2 };
	unsigned b;
	int rc;

	_Static_assert(PR_SET_DUMPABLE == 4, "the blocks below assume PR_SET_DUMPABLE is 4");
	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &below);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &five);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &six);
	for (b = 3; b < 32 && rc == 0; b++) {
		struct scmp_arg_cmp block = { 0, SCMP_CMP_MASKED_EQ,
		                              ~(((scmp_datum_t)1 << b) - 1), (scmp_datum_t)1 << b };

		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &block);
	}
	return rc;
}

static int signer_rules(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp no_ns = { 0, SCMP_CMP_MASKED_EQ, SIGNER_CLONE_NS, 0 };
	struct scmp_arg_cmp unix_only = { 0, SCMP_CMP_EQ, AF_UNIX, 0 };
	struct scmp_arg_cmp not_unix = { 0, SCMP_CMP_NE, AF_UNIX, 0 };
	struct scmp_arg_cmp tcgets = { 1, SCMP_CMP_EQ, TCGETS, 0 };
	struct scmp_arg_cmp not_tcgets = { 1, SCMP_CMP_NE, TCGETS, 0 };
	struct scmp_arg_cmp self = { 0, SCMP_CMP_EQ, 0, 0 };
	struct scmp_arg_cmp dumpable[2] = { { 0, SCMP_CMP_EQ, PR_SET_DUMPABLE, 0 },
	                                    { 1, SCMP_CMP_EQ, 0, 0 } };
	size_t i;
	int rc = 0;

	for (i = 0; i < CH_ARRAY_SIZE(signer_allowed) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, signer_allowed[i], 0);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &no_ns);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &unix_only);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, &not_unix);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, &unix_only);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &tcgets);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
		                            &not_tcgets);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, &self);
	if (rc == 0)
		rc = prctl_rules(ctx);
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2, dumpable);
	return rc;
}

int srv_sandbox_signer(void)
{
	scmp_filter_ctx ctx = new_filter();
	int rc;

	if (!ctx)
		return ch_error_setc(CH_EIO, "seccomp is not available");
	if ((rc = signer_rules(ctx)) == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot load the signer's seccomp filter: %s",
		                     strerror(-rc));
	return 0;
}
