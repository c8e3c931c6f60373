/* The seccomp allowlists: each syscall a sandboxed monitor thread may make, with its reason. */
#include "monitor/vm/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/kvm/kvm.h"
#include "monitor/base/log.h"
#include "monitor/vm/machine.h"
#include "monitor/x86/decoder.h"

/* asm-generic/ioctls.h; <termios.h> would drag in the whole termios API for one number. */
#ifndef TCGETS
#define TCGETS 0x5401
#endif

/* How one syscall argument is checked. Everything not listed here is refused. */
enum sandbox_check {
	CHK_NONE = 0,
	CHK_EQ,		/* argument == value */
	CHK_BITS_CLEAR, /* (argument & value) == 0 */
	CHK_SELF_PID,	/* argument == this process's pid (known only at install time) */
	/* The decoder process's socket and pid (decoder.h); without one the rule is left out. */
	CHK_DECODER_FD,
	CHK_DECODER_PID,
};

struct sandbox_cmp {
	uint8_t check; /* enum sandbox_check */
	uint8_t arg;   /* argument index, 0-based */
	uint64_t value;
};

struct sandbox_rule {
	int nr;
	const char *name;
	struct sandbox_cmp cmp[2]; /* ANDed; unused slots are CHK_NONE */
	const char *why;
	int refuse_errno; /* 0: allow; else the call fails with this errno (and does nothing) */
};

/* One-line table helpers (clang-format would reflow their braces over four lines each). */
/* clang-format off */
#define EQ(a, v)           {CHK_EQ, (a), (v)}
#define BITS_CLEAR(a, m)   {CHK_BITS_CLEAR, (a), (m)}
#define SELF_PID(a)        {CHK_SELF_PID, (a), 0}
#define DECODER_FD(a)      {CHK_DECODER_FD, (a), 0}
#define DECODER_PID(a)     {CHK_DECODER_PID, (a), 0}
#define SYS(sys, why, ...) {SCMP_SYS(sys), #sys, {__VA_ARGS__}, why, 0}
/* Refused without killing: for library code that copes with the failure. */
#define REFUSE(sys, err, why) {SCMP_SYS(sys), #sys, {{0, 0, 0}}, why, (err)}
/* ioctl: the request must be exactly this number (not the fd: reset makes new ones). */
#define IOCTL(req, why)    {SCMP_SYS(ioctl), "ioctl(" #req ")", {EQ(1, (req))}, why, 0}
/* clang-format on */

/*
 * The vCPU-pair thread: everything it does from its first KVM_RUN to its
 * exit, including kexec's load (libelf, libsodium: memory only) and reports
 * (the instruction text comes from the decoder process over its socket). It creates nothing: new
 * VMs and vCPUs (reset, kexec) are made by the main thread while the pair waits. Reviewed list: an
 * entry is added only with the code path that needs it. docs/security.md has
 * the same table; tests/kvm/test_sandbox.c checks the two agree.
 */
static const struct sandbox_rule pair_rules[] = {
    /* KVM: the whole job of the thread. First, because it is the hot path. */
    IOCTL(KVM_RUN, "runs the VTL0 and VTL1 vCPUs: every exit and every VTL switch"),
    IOCTL(KVM_SET_REGS, "a denied access rewinds RIP and GPRs to the exit's snapshot; boots "
			"the kexec'd kernel's new vCPU and a secondary VTL0 asked to start"),
    IOCTL(KVM_GET_SREGS, "PIN_CR with the current value reads CR0/CR4; boot reads the "
			 "segment state it rewrites"),
    IOCTL(KVM_SET_SREGS, "boots the kexec'd kernel's new vCPU and a secondary VTL0 asked to "
			 "start (CRs, EFER, segments)"),
    IOCTL(KVM_GET_VCPU_EVENTS, "injects the #GP/#PF VTL1 decided: read the pending events"),
    IOCTL(KVM_SET_VCPU_EVENTS, "injects the #GP/#PF VTL1 decided"),
    IOCTL(KVM_GET_MSRS, "PIN_MSR with the current value; a filtered MSR read is answered "
			"from the vCPU"),
    IOCTL(KVM_SET_MSRS, "a filtered MSR write that is allowed is applied by the monitor"),
    IOCTL(KVM_X86_SET_MSR_FILTER, "PIN_MSR/UNPIN_MSR set which MSRs exit"),
    IOCTL(KVM_SET_USER_MEMORY_REGION, "SET_PERMS reshapes VTL0's memslots"),
    IOCTL(KVM_IRQ_LINE, "a Linux VTL0's UART raises and lowers IRQ 4 (THRE interrupts)"),
    IOCTL(KVM_SET_GUEST_DEBUG, "CR_SITE breakpoints on every VTL0 vCPU, and the step over a "
			       "site (a breakpoint on the next instruction)"),
    IOCTL(TCGETS, "stdio's first write to a stream asks isatty() to pick line buffering"),

    /* Output: stdout (console), stderr (diagnostics), the events file; all opened before. */
    SYS(write, "console lines, diagnostics and events go to fds opened before the sandbox"),
    SYS(writev, "glibc's fatal-error message (assert, heap corruption) before abort"),
    SYS(pread64, "a Linux kexec streams the --initrd file (opened at launch) into VTL0 RAM "
		 "again, checked against the start event's digest"),
    SYS(newfstatat, "stdio sizes a stream's buffer with fstat(fd) on first use",
	EQ(3, AT_EMPTY_PATH)),

    /* Memory: malloc (glibc, libelf, Capstone), kvm_run mappings. Never executable. */
    SYS(mmap, "malloc arenas and large blocks", BITS_CLEAR(2, PROT_EXEC)),
    SYS(mprotect, "malloc grows a thread arena by making reserved pages writable",
	BITS_CLEAR(2, PROT_EXEC)),
    SYS(munmap, "free of large blocks"),
    SYS(mremap, "realloc of a large block: the permission map grows its range array"),
    SYS(madvise, "free and thread exit hand unused pages back"),
    SYS(brk, "malloc falls back to the main arena when it cannot make a thread arena"),
    SYS(sysinfo, "glibc's qsort reads the RAM size once"),

    /* The decoder process (monitor/x86/decoder.c): Capstone runs there, not here. */
    SYS(sendto,
	"a request to the decoder process: one instruction's bytes (MSG_NOSIGNAL: a "
	"dead decoder is EPIPE, not SIGPIPE)",
	DECODER_FD(0)),
    SYS(read, "the decoder process's reply: a violation's instruction, a write's origin",
	DECODER_FD(0)),
    SYS(kill, "a decoder process that answers garbage or too late is killed at once",
	DECODER_PID(0), EQ(1, SIGKILL)),

    /* Threads and time. */
    SYS(futex, "mutexes and condvars: events lock, machine lock, end-of-run broadcast"),
    SYS(clock_gettime, "timestamps when the vDSO falls back to the syscall"),
    SYS(restart_syscall, "the kernel resumes an interrupted wait; it starts nothing new"),

    /*
     * Kicks (VTLMON_KICK_SIGNAL): only at this process, only the kick or
     * abort. No rt_sigreturn: the kick is blocked outside KVM_RUN and KVM
     * restores that mask before returning, so its handler never runs here
     * (rt_sigtimedwait takes it); and sigreturn is the SROP primitive.
     */
    SYS(rt_sigtimedwait, "takes a pending kick after KVM_RUN returned -EINTR"),
    SYS(rt_sigprocmask, "glibc blocks all signals as a thread exits; abort() unblocks SIGABRT"),
    SYS(getpid, "pthread_kill() names this process in tgkill"),
    SYS(gettid, "pthread_kill() of the calling thread itself (machine_end kicks all)"),
    SYS(tgkill, "machine_end and a quiesce (SMP) kick the pairs out of KVM_RUN", SELF_PID(0),
	EQ(2, VTLMON_KICK_SIGNAL)),
    SYS(tgkill, "abort() on an assertion: die with SIGABRT, not a confusing SIGSYS", SELF_PID(0),
	EQ(2, SIGABRT)),

    /* The end. */
    SYS(exit, "the thread returns at the end of the run"),
    SYS(exit_group, "a sanitizer report or a library error path ends the process"),

#if !defined(__SANITIZE_ADDRESS__)
    /*
     * glibc's free() of a thread arena heap (perm_destroy at a reset) opens
     * /proc/sys/vm/overcommit_memory once; on failure it simply does not
     * shrink the heap. Refuse it: killing the monitor there would let a
     * hostile VTL0 end the run at will. No file is ever opened.
     */
    REFUSE(openat, EACCES,
	   "glibc's heap trim probes /proc/sys/vm/overcommit_memory: refused "
	   "with EACCES, glibc copes"),
#endif

#if defined(__SANITIZE_ADDRESS__)
    /*
     * SANITIZE=1 builds only (never a release binary): without these a
     * sanitizer report dies half-printed with SIGSYS, hiding the real bug.
     */
    SYS(sigaltstack, "ASan removes the thread's alternate signal stack at thread exit"),
    SYS(readlink, "sanitizer reports resolve /proc/self/exe for symbolisation"),
    SYS(openat, "sanitizer reports read /proc/self/maps to symbolise the stack"),
    SYS(read, "sanitizer reports read /proc/self/maps"),
    SYS(fstat, "sanitizer runtime checks the report's output stream"),
    SYS(fcntl, "sanitizer runtime checks the report's output stream"),
#endif
};

/*
 * The main thread once the pair threads run (only for `vtlmon run`: tests and
 * bench build further machines in the same process). It waits, kicks, and
 * makes what the pairs may not: the new VMs and vCPUs of a reset or kexec.
 * Then it writes the exit event and tears the machine down. Under SANITIZE=1
 * it is not entered: LeakSanitizer's exit-time check needs ptrace.
 */
static const struct sandbox_rule main_rules[] = {
    IOCTL(KVM_CREATE_VM, "reset and kexec build new VMs on the /dev/kvm fd opened at start"),
    IOCTL(KVM_CREATE_VCPU, "reset and kexec build new vCPUs"),
    IOCTL(KVM_SET_CPUID2, "a new vCPU needs its CPUID (NX for EFER.NXE)"),
    IOCTL(KVM_CREATE_IRQCHIP, "a reset rebuilds a Linux VTL0's VM with its in-kernel irqchip"),
    IOCTL(KVM_GET_LAPIC, "a Linux VTL0's new vCPU: read its LAPIC to set LINT0/LINT1"),
    IOCTL(KVM_SET_LAPIC, "a Linux VTL0's new vCPU: LINT0 = ExtINT, LINT1 = NMI"),
    IOCTL(KVM_SET_SIGNAL_MASK, "a new vCPU takes kicks only inside KVM_RUN"),
    IOCTL(KVM_CHECK_EXTENSION, "a new VM is probed (memslots, MSR filter, quirks)"),
    IOCTL(KVM_ENABLE_CAP, "a new VM gets exception payloads, user-space MSR exits, quirks off"),
    IOCTL(KVM_SET_USER_MEMORY_REGION, "a new VM maps guest RAM"),
    IOCTL(KVM_GET_SREGS, "a reset boots both VTLs: it reads the segment state it rewrites"),
    IOCTL(KVM_SET_SREGS, "a reset boots both VTLs (CRs, EFER, segments)"),
    IOCTL(KVM_SET_REGS, "a reset boots both VTLs (RIP, RSP, RDI)"),
    IOCTL(TCGETS, "stdio's first write to a stream asks isatty() to pick line buffering"),
    SYS(write, "the exit event, diagnostics and the run's last console lines"),
    SYS(writev, "glibc's fatal-error message (assert, heap corruption) before abort"),
    SYS(pread64, "a reset streams the --kernel and --initrd files (opened at launch) into VTL0 "
		 "RAM again, checked against the start event's digests"),
    SYS(newfstatat, "stdio sizes a stream's buffer with fstat(fd) on first use",
	EQ(3, AT_EMPTY_PATH)),
    SYS(mmap, "malloc; a new vCPU's kvm_run page", BITS_CLEAR(2, PROT_EXEC)),
    SYS(mprotect, "malloc grows an arena by making reserved pages writable",
	BITS_CLEAR(2, PROT_EXEC)),
    SYS(munmap, "free; the old kvm_run pages and guest RAM at teardown"),
    SYS(mremap, "realloc of a large block"),
    SYS(madvise, "free hands unused pages back"),
    SYS(brk, "malloc in the main arena"),
    SYS(futex, "the machine lock and condvar: waiting for the pairs, rebuild hand-off, join"),
    SYS(clock_gettime, "the --timeout and watchdog deadlines when the vDSO falls back"),
    SYS(restart_syscall, "the kernel resumes an interrupted wait; it starts nothing new"),
    SYS(rt_sigprocmask, "machine_run restores its signal mask after the pairs end"),
    SYS(getpid, "pthread_kill() names this process in tgkill"),
    SYS(gettid, "pthread_kill() of the calling thread itself"),
    SYS(tgkill, "the watchdog and machine_end kick the pairs out of KVM_RUN", SELF_PID(0),
	EQ(2, VTLMON_KICK_SIGNAL)),
    SYS(tgkill, "abort() on an assertion: die with SIGABRT, not a confusing SIGSYS", SELF_PID(0),
	EQ(2, SIGABRT)),
    SYS(close, "reset and kexec close the old VM and vCPU fds; teardown closes the rest"),
    SYS(wait4, "teardown reaps the decoder process once it has closed its socket", DECODER_PID(0)),
    SYS(fallocate, "a reset zeroes guest RAM by punching out the memfd's pages",
	EQ(1, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)),
    SYS(exit_group, "the end of the process; a second Ctrl-C ends it at once"),
    SYS(rt_sigreturn, "the SIGINT/SIGTERM/SIGHUP handler returns (it only notes the signal)"),
    REFUSE(openat, EACCES,
	   "glibc's heap trim probes /proc/sys/vm/overcommit_memory: refused "
	   "with EACCES, glibc copes"),
};

static const struct sandbox_rule *sandbox_rules_of(enum sandbox_role role, size_t *n)
{
	switch (role) {
	case SANDBOX_PAIR: *n = sizeof(pair_rules) / sizeof(pair_rules[0]); return pair_rules;
	case SANDBOX_MAIN: *n = sizeof(main_rules) / sizeof(main_rules[0]); return main_rules;
	}
	*n = 0;
	return NULL;
}

const char *sandbox_rule(enum sandbox_role role, size_t i, const char **why)
{
	size_t n;
	const struct sandbox_rule *rules = sandbox_rules_of(role, &n);

	if (i >= n)
		return NULL;
	if (why)
		*why = rules[i].why;
	return rules[i].name;
}

static int sandbox_add(scmp_filter_ctx ctx, const struct sandbox_rule *r, uint64_t pid)
{
	struct scmp_arg_cmp cmp[2];
	unsigned int n = 0;

	for (size_t i = 0; i < 2 && r->cmp[i].check != CHK_NONE; i++) {
		const struct sandbox_cmp *c = &r->cmp[i];

		/* No decoder process (tests in-process): nothing to talk to, the rule is left out.
		 */
		if ((c->check == CHK_DECODER_FD && decoder_fd() < 0) ||
		    (c->check == CHK_DECODER_PID && decoder_pid() <= 0))
			return 0;

		memset(&cmp[n], 0, sizeof(cmp[n]));
		cmp[n].arg = c->arg;
		switch ((enum sandbox_check)c->check) {
		case CHK_EQ:
			cmp[n].op = SCMP_CMP_EQ;
			cmp[n].datum_a = c->value;
			break;
		case CHK_BITS_CLEAR:
			cmp[n].op = SCMP_CMP_MASKED_EQ;
			cmp[n].datum_a = c->value;
			cmp[n].datum_b = 0;
			break;
		case CHK_SELF_PID:
			cmp[n].op = SCMP_CMP_EQ;
			cmp[n].datum_a = pid;
			break;
		case CHK_DECODER_FD:
			cmp[n].op = SCMP_CMP_EQ;
			cmp[n].datum_a = (uint64_t)decoder_fd();
			break;
		case CHK_DECODER_PID:
			cmp[n].op = SCMP_CMP_EQ;
			cmp[n].datum_a = (uint64_t)decoder_pid();
			break;
		case CHK_NONE: return -EINVAL;
		}
		n++;
	}
	return seccomp_rule_add_array(
	    ctx, r->refuse_errno ? SCMP_ACT_ERRNO(r->refuse_errno) : SCMP_ACT_ALLOW, r->nr, n, cmp);
}

static bool sandbox_selftest_requested(void)
{
	const char *v = getenv("VTLMON_SANDBOX_SELFTEST");

	return v && !strcmp(v, "1");
}

int sandbox_enter(enum sandbox_role role)
{
	/* Read now: getenv is no syscall, but the answer must not depend on the filter. */
	bool selftest = sandbox_selftest_requested();
	uint64_t pid = (uint64_t)getpid();
	const struct sandbox_rule *rules;
	scmp_filter_ctx ctx;
	size_t n;
	int r;

	rules = sandbox_rules_of(role, &n);
	if (!rules)
		return -1;
	/* In-process decoding (tests without a decoder process) cannot dlopen Capstone later. */
	decoder_prepare();
	/* KILL_PROCESS, not KILL_THREAD: a half-dead monitor must not keep running guests. */
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		log_err("seccomp_init failed");
		return -1;
	}
	/* A syscall through another ABI (int 0x80, x32) is just as fatal. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* This thread only: the main thread still opens files and spawns the pairs (no TSYNC). */
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 0);
	/* KVM_RUN is checked on every exit: put ioctl first in the filter. */
	if (!r)
		r = seccomp_syscall_priority(ctx, SCMP_SYS(ioctl), 255);
	for (size_t i = 0; !r && i < n; i++) {
		r = sandbox_add(ctx, &rules[i], pid);
		if (r)
			log_err("seccomp rule %s: %s", rules[i].name, strerror(-r));
	}
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r) {
		log_err("cannot load the seccomp allowlist: %s", strerror(-r));
		return -1;
	}
	if (selftest) {
		/* Test-only hook: socket() is on no allowlist, so the kernel kills us here. */
		syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
		log_err("sandbox self-test: a forbidden syscall returned");
		return -1;
	}
	return 0;
}
