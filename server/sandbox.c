/* sandbox.c -- the network process's seccomp filter (libseccomp).
 *
 * Default allow (libmicrohttpd, GnuTLS, libgit2 and glibc use a wide and
 * changing set of calls), with the calls an intruder in this process
 * would want refused with EPERM: running programs, tracing or reading
 * other processes, changing identity, namespaces, mounts, kernel modules,
 * BPF, keyrings, raw packet sockets. PR_SET_NO_NEW_PRIVS comes with it. */
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>

#include "server.h"
#include "util/common.h"

static const int denied[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
	SCMP_SYS(chroot), SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
	SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
	SCMP_SYS(setfsuid), SCMP_SYS(setfsgid), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(bpf),
	SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(personality), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(swapon),
	SCMP_SYS(swapoff), SCMP_SYS(reboot), SCMP_SYS(acct), SCMP_SYS(iopl), SCMP_SYS(ioperm),
	SCMP_SYS(open_by_handle_at), SCMP_SYS(userfaultfd), SCMP_SYS(fork), SCMP_SYS(vfork),
};

int srv_sandbox(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int rc = 0;

	if (!ctx)
		return ch_error_setc(CH_EIO, "seccomp is not available");
	for (i = 0; i < CH_ARRAY_SIZE(denied) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	if (rc == 0) {
		struct scmp_arg_cmp packet = { 0, SCMP_CMP_EQ, AF_PACKET, 0 };

		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, &packet);
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return ch_error_setc(CH_EIO, "cannot load the seccomp filter: %s", strerror(-rc));
	return 0;
}
