/* Per-thread seccomp allowlists (libseccomp): what each monitor thread may still do. */
#ifndef MONITOR_SANDBOX_H
#define MONITOR_SANDBOX_H

#include <stddef.h>

enum sandbox_role {
	SANDBOX_PAIR, /* a vCPU-pair thread: KVM_RUN and the ioctls of enforcement */
	SANDBOX_MAIN, /* `vtlmon run`'s main thread once the pairs run: waits, kicks, rebuilds */
};

/*
 * Installs the allowlist for this thread; the default action kills the whole
 * process with SIGSYS. The filter covers the calling thread and the threads it
 * creates later, never the threads that already exist. 0 or -1.
 *
 * Test-only hook: when VTLMON_SANDBOX_SELFTEST=1 is in the environment, the
 * thread makes a forbidden syscall right after the filter is loaded, so the
 * process must die with SIGSYS (tests/kvm/test_sandbox.c).
 */
int sandbox_enter(enum sandbox_role role);

/*
 * The reviewed allowlist, entry by entry ("ioctl(KVM_RUN)", "mmap", ...), with
 * the reason for each: NULL past the last one. For tests and docs checks.
 */
const char *sandbox_rule(enum sandbox_role role, size_t i, const char **why);

#endif
