/* The seccomp allowlist: the demo runs under it; anything off the list kills with SIGSYS. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/file.h"
#include "monitor/cmd/cli.h"
#include "monitor/vm/machine.h"
#include "monitor/vm/sandbox.h"
#include "tests/kvm/harness.h"

TestSuite(sandbox, .init = kvm_require, .timeout = KVM_TEST_TIMEOUT_S);

/*
 * Runs `vtlmon ARGS...` with VTLMON_SANDBOX_SELFTEST set or not, stdout and
 * stderr to /dev/null; returns the raw wait status so a death by signal shows.
 */
static int run_vtlmon(bool selftest, const char *const *args)
{
	pid_t pid = vtlmon_spawn(args, NULL, selftest);
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

Test(sandbox, demo_runs_sandboxed)
{
	int st = run_vtlmon(false, (const char *const[]){"run", "--timeout", "30", NULL});

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
}

Test(sandbox, forbidden_syscall_after_sandboxing_dies_with_sigsys)
{
	int st = run_vtlmon(true, (const char *const[]){"run", "--timeout", "30", NULL});

	cr_assert(WIFSIGNALED(st), "not killed by a signal: wait status %#x", st);
	cr_assert_eq(WTERMSIG(st), SIGSYS, "killed by signal %d", WTERMSIG(st));
}

Test(sandbox, no_sandbox_never_fires_the_hook)
{
	int st =
	    run_vtlmon(true, (const char *const[]){"run", "--timeout", "30", "--no-sandbox", NULL});

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
}

/* ---- the filter itself, on a thread of a forked child ------------------------------------ */

enum probe {
	PROBE_NOTHING,	 /* allowed work only: write, non-exec mmap, a kick at ourselves */
	PROBE_OPENAT,	 /* no file is ever opened once sandboxed */
	PROBE_SOCKET,	 /* no network */
	PROBE_EXEC_MMAP, /* no new executable memory */
	PROBE_MPROTECT_X,
	PROBE_IOCTL_TIOCSTI, /* ioctl is limited to the listed requests */
	PROBE_KVM_GET_REGS,  /* a KVM request the monitor does not use */
	PROBE_KILL_OTHER,    /* tgkill at another process */
	PROBE_FORK,
	PROBE_ABORT, /* an assertion on a pair thread still reports as SIGABRT */
};

static void *probe_thread(void *arg)
{
	enum probe what = (enum probe)(uintptr_t)arg;
	void *p;

	if (sandbox_enter(SANDBOX_PAIR))
		return (void *)1;
	switch (what) {
	case PROBE_NOTHING:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || write(2, "", 0) < 0)
			return (void *)2;
		munmap(p, 4096);
		free(malloc(1 << 20));
		/* The kick: blocked here, so it stays pending and harmless. */
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), VTLMON_KICK_SIGNAL);
		return NULL;
	case PROBE_OPENAT:
		/* Refused, not fatal: it must fail with EACCES and open nothing. */
		if (syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY) >= 0 ||
		    errno != EACCES)
			return (void *)4;
		return NULL;
	case PROBE_SOCKET: syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); break;
	case PROBE_EXEC_MMAP:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case PROBE_MPROTECT_X:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		mprotect(p, 4096, PROT_READ | PROT_EXEC);
		break;
	case PROBE_IOCTL_TIOCSTI: syscall(SYS_ioctl, 0, TIOCSTI, "x"); break;
	case PROBE_KVM_GET_REGS: syscall(SYS_ioctl, -1, KVM_GET_REGS, NULL); break;
	case PROBE_KILL_OTHER: syscall(SYS_tgkill, 1, 1, VTLMON_KICK_SIGNAL); break;
	case PROBE_FORK: syscall(SYS_fork); break;
	case PROBE_ABORT: abort();
	}
	return (void *)3; /* the forbidden call came back: the filter is missing */
}

/* Forks, runs the probe on a new sandboxed thread, then opens a file on the main thread. */
static int probe(enum probe what)
{
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (!pid) {
		sigset_t kick;
		pthread_t t;
		void *ret;
		int fd;

		sigemptyset(&kick);
		sigaddset(&kick, VTLMON_KICK_SIGNAL);
		pthread_sigmask(SIG_BLOCK, &kick, NULL);
		if (pthread_create(&t, NULL, probe_thread, (void *)(uintptr_t)what) ||
		    pthread_join(t, &ret))
			_exit(10);
		if (ret)
			_exit(10 + (int)(uintptr_t)ret);
		/* No TSYNC: the thread that never called sandbox_enter is not filtered. */
		fd = open("/dev/null", O_RDONLY);
		_exit(fd < 0 ? 20 : 0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void assert_sigsys(enum probe what, const char *name)
{
	int st = probe(what);

	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "%s: wait status %#x, not SIGSYS",
		  name, st);
}

Test(sandbox, allowed_work_runs_and_other_threads_stay_unfiltered)
{
	int st = probe(PROBE_NOTHING);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
}

Test(sandbox, off_the_list_kills_the_process)
{
	assert_sigsys(PROBE_SOCKET, "socket");
	assert_sigsys(PROBE_FORK, "fork");
}

Test(sandbox, openat_fails_with_eacces_and_opens_nothing)
{
#if !defined(__SANITIZE_ADDRESS__)
	int st = probe(PROBE_OPENAT);

	/* glibc's heap trim tries it at a reset: the monitor must survive (stress seed 0xc1d). */
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
#endif
}

Test(sandbox, arguments_are_checked)
{
	assert_sigsys(PROBE_EXEC_MMAP, "mmap PROT_EXEC");
	assert_sigsys(PROBE_MPROTECT_X, "mprotect PROT_EXEC");
	assert_sigsys(PROBE_IOCTL_TIOCSTI, "ioctl TIOCSTI");
	assert_sigsys(PROBE_KVM_GET_REGS, "ioctl KVM_GET_REGS (unused, so not listed)");
	assert_sigsys(PROBE_KILL_OTHER, "tgkill at pid 1");
}

Test(sandbox, abort_still_dies_with_sigabrt)
{
	int st = probe(PROBE_ABORT);

	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "wait status %#x, not SIGABRT", st);
}

/* The reviewed table and its documentation cannot drift apart. */
Test(sandbox, every_rule_is_documented_with_its_reason)
{
	const char *name, *why;
	void *doc;
	size_t len, i;

	cr_assert_eq(file_read_all(SRC_DIR "/docs/security.md", 1 << 20, &doc, &len), 0);
	for (int role = SANDBOX_PAIR; role <= SANDBOX_MAIN; role++) {
		for (i = 0; (name = sandbox_rule(role, i, &why)); i++) {
			char cell[96];

			cr_assert(why && strlen(why) > 10, "%s has no reason", name);
			snprintf(cell, sizeof(cell), "| `%s` |", name);
			cr_assert_not_null(strstr(doc, cell), "docs/security.md lacks a row for %s",
					   name);
		}
		cr_assert_gt(i, 10);
	}
	/* The main thread makes the VMs; the pairs cannot. */
	for (i = 0; (name = sandbox_rule(SANDBOX_PAIR, i, &why)); i++)
		cr_assert(strcmp(name, "ioctl(KVM_CREATE_VM)") &&
			      strcmp(name, "ioctl(KVM_CREATE_VCPU)") && strcmp(name, "close") &&
			      strcmp(name, "fallocate"),
			  "the pair allowlist still has %s", name);
	free(doc);
}
