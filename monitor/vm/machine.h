/* The machine: two KVM VMs (one per VTL) sharing VTL0 RAM, vCPU pairs, and the run's end state. */
#ifndef MONITOR_MACHINE_H
#define MONITOR_MACHINE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "monitor/dev/uart.h"
#include "monitor/image/elf_load.h"
#include "monitor/base/console_line.h"
#include "monitor/base/events.h"
#include "monitor/base/input.h"
#include "monitor/kvm/kvm.h"
#include "monitor/base/mem.h"
#include "monitor/protect/perm.h"
#include "monitor/protect/pins.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"

#define MACHINE_MAX_CPUS    VTL_MAX_CPUS /* `--cpus` 1..8: one pair and host thread each */
#define MACHINE_BENCH_SLOTS 8 /* > the highest BENCH_ID_* / BPR_ID_* (include/vtl_bench.h) */
#define MACHINE_MAX_MODULES 3 /* boot info has 8 memory ranges; VTL1's own take 5 */

/* What happened to a violation, as the `action` field of its event says it. */
enum violation_decision {
	DECISION_DENY,	  /* VTL1 denied it: an exception for VTL0 */
	DECISION_LOG,	  /* VTL1 allowed it and it is recorded */
	DECISION_SKIP,	  /* completed without effect (reads return 0) */
	DECISION_RESTORE, /* a CR write skipped, or a clear put back: no fault */
	DECISION_RESET,	  /* the guest is reset */
	DECISION_KILL,	  /* VTL1 ended the run */
	DECISION_STOP,	  /* the run ended for another reason meanwhile */
	DECISION_NONE,	  /* nobody decided: only recorded */
	DECISION_COUNT
};
/* Counted by intercept kind (enum vtl1_intercept_kind, 1..5; 0 for any other). */
#define VIOLATION_KINDS	   6
#define VTLMON_KICK_SIGNAL SIGUSR1

struct machine_module {
	const void *data;
	size_t len;
	const char *name;
};

struct machine_config {
	const void *vtl0_image;
	size_t vtl0_image_len;
	const char *vtl0_name;
	const void *vtl1_image;
	size_t vtl1_image_len;
	const char *vtl1_name;
	const void *policy; /* may be NULL */
	size_t policy_len;
	const char *policy_name;
	uint64_t vtl0_mem;
	uint64_t vtl1_mem;
	uint32_t cpus;
	const char *events_path;
	const char *state_path; /* --state-out: the enforcement state at the end, or NULL */
	uint64_t timeout_ms;	/* 0: none */
	bool quiet;		/* no guest console on stdout */
	/* No violation lines or summary on stderr (`vtlmon bench` provokes them; the events keep
	 * them). */
	bool no_violation_lines;
	bool no_sandbox;   /* debugging only: run without the seccomp allowlists */
	bool mem_prealloc; /* --mem-prealloc: every guest RAM page allocated at launch */
	/*
	 * This machine owns the process (`vtlmon run`): its main thread handles
	 * SIGINT/SIGTERM/SIGHUP and enters its own allowlist once the pairs run.
	 * Tests and bench build several machines in one process and leave it off.
	 */
	bool owns_process;
	uint32_t max_memslots; /* 0: what the host offers; tests lower it to reach the limit */
	struct machine_module modules[MACHINE_MAX_MODULES];
	uint32_t nr_modules;
	/*
	 * --kernel: VTL0 is a Linux kernel (vmlinux or bzImage) booted through the
	 * 64-bit boot protocol on the Linux platform (irqchip, UART, MP table)
	 * instead of vtl0_image (issue 11). NULL: the own-ABI platform, unchanged.
	 * Both files are read again at every load, never held (file_input): each
	 * load must give the digests of the `start` event.
	 */
	const struct file_input *kernel;
	const char *kernel_name;
	const struct file_input *initrd; /* may be NULL */
	const char *initrd_name;
	const char *cmdline; /* --append, after the words this host needs; may be NULL */
};

/* A rebuild that needs new VMs or vCPUs: only the main thread may create them (docs/security.md).
 */
enum machine_rebuild {
	MACHINE_REBUILD_NONE = 0,
	MACHINE_REBUILD_RESET, /* both VMs, VTL1 scrubbed, images reloaded */
	MACHINE_REBUILD_VTL0,  /* VTL0's VM and vCPUs only (kexec) */
};

enum run_end {
	RUN_END_NONE = 0,
	RUN_END_SHUTDOWN,
	RUN_END_KILLED,
	RUN_END_TIMEOUT,
	RUN_END_VTL0_FAULT,
	RUN_END_VTL1_FAULT,
	RUN_END_LAUNCH_REFUSED,
	RUN_END_MONITOR_ERROR,
	RUN_END_RESET_LIMIT,
	RUN_END_AUDIT,	/* an event could not be written: no guest runs unaudited */
	RUN_END_SIGNAL, /* SIGINT, SIGTERM or SIGHUP: m->end_signal */
};

struct machine;

/* VTL1's answer to an INTERCEPT entry (one of INJECT, ALLOW, SKIP). */
struct intercept_outcome {
	uint32_t op; /* 0: none yet */
	uint32_t vector;
	uint32_t error_code;
	uint64_t cr2;
};

/* One VTL0 vCPU, its VTL1 partner, and the host thread that runs both. */
struct vcpu_pair {
	struct machine *m;
	uint32_t index;
	struct vcpu vtl0;
	struct vcpu vtl1;
	pthread_t thread;
	bool thread_started;
	uint32_t call_status; /* VTL0_REG_CALL_STATUS */
	uint64_t entry_seq;
	uint64_t calls;
	struct console_line con[2];
	uint32_t entry_reason; /* the VTL1 entry being handled (enum vtl1_entry_reason) */
	bool in_intercept;     /* outcome ops are valid only while VTL1 handles an intercept */
	struct intercept_outcome outcome;
	/*
	 * Stepping over a CR-write site: its breakpoint is off and one sits on
	 * the next instruction instead; every VTL0 exit re-arms the sites.
	 */
	bool stepping;
	/*
	 * VTL0's vCPU was just built (launch, reset, kexec) and has not run: its
	 * sync-regs snapshot is empty, so no post-exit check may read it.
	 */
	bool vtl0_fresh;
	/* This exit already gives VTL0 an exception: never stack a second (#DF). */
	bool exception_queued;
	const char *reset_trigger; /* set when a reset is due: "triple_fault", "port_cf9", "vtl1" */
	/*
	 * SMP (monitor/vm/smp.h). `started`: VTL0's vCPU may run (vCPU 0 and
	 * a Linux VTL0's secondaries, which wait for INIT/SIPI inside KVM,
	 * always; an own-ABI secondary once CPU_START named it). `vcpu_gen`
	 * counts the VTL0 vCPUs this pair had: an exit taken on a vCPU that a
	 * reset or kexec replaced meanwhile is dropped. Both under the exit lock.
	 */
	bool started;
	uint64_t vcpu_gen;
	bool quiesced; /* this pair stopped the others for the exit it handles now */
	/* The CR0 / CR4 pins hold on this VTL0 vCPU (enforce.c, enforce_cr_pin_holds()). */
	bool cr_armed[2];
};

struct bench_slot {
	uint64_t begin_ns;
	uint64_t end_ns;
	uint64_t iterations;
	uint64_t slot_calls, slot_ns; /* VTL0's memslot ioctls between BEGIN and END */
};

struct machine {
	struct machine_config cfg;
	struct kvm kvm;
	struct vm vm[2];
	struct guest_ram vtl0_ram;
	struct guest_ram vtl1_ram;
	struct events events;
	struct elf_image vtl0_img;
	struct elf_image vtl1_img;
	struct vtl_mem_range modules[MACHINE_MAX_MODULES]; /* where each module was loaded */
	struct vcpu_pair pairs[MACHINE_MAX_CPUS];
	uint32_t nr_pairs;
	uint64_t features; /* VTL_FEAT_* reported to both VTLs */
	uint64_t t0;
	char policy_sha256[65];
	int state_fd; /* --state-out, opened at start-up; -1: none */
	/* Violations by kind and decision, for the summary at exit (any pair thread adds). */
	_Atomic uint64_t violations[VIOLATION_KINDS][DECISION_COUNT];

	/* What VTL1 decided, as the monitor enforces it. Written by pair threads only. */
	struct perm_engine perm;
	struct pins pins;
	bool msr_exits; /* KVM_CAP_X86_USER_SPACE_MSR is on for VTL0's VM */

	/*
	 * Reset settings, from the monitor's own compile of the same policy
	 * bytes VTL1 parses: a reset must work even when VTL1 is what failed.
	 */
	bool reset_zero_vtl0;
	uint32_t max_resets;
	uint32_t resets;

	/* The image a successful KEXEC_STAGE accepted (VTL1 has write-protected it). */
	char vtl0_image_name[256]; /* what VTL0 runs now: the --vtl0 image, or a kexec image */
	bool kexec_staged;
	uint64_t kexec_gpa;
	uint64_t kexec_size;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC: a wall-clock step moves no deadline */
	/*
	 * A rebuild a pair thread asked for and is waiting on (under lock): the
	 * main thread does it, so the pair threads' allowlist creates nothing.
	 */
	enum machine_rebuild rebuild;
	const char *rebuild_trigger;
	int rebuild_result;
	uint32_t pairs_running;
	/*
	 * SMP (cfg.cpus > 1, monitor/vm/smp.h), under `lock`: the pair that
	 * handles an exit now (one at a time, VTL1 entries included), and how
	 * many pair threads are parked where they touch nothing shared
	 * (waiting for the exit lock, or to be started).
	 */
	bool smp;
	struct vcpu_pair *exit_owner;
	uint64_t exit_next_ticket, exit_serving; /* the exit lock is a ticket lock */
	bool smp_spin; /* a host CPU per vCPU: a waiter spins a while before it parks */
	uint32_t parked;
	pthread_cond_t smp_cond;
	_Atomic int end; /* enum run_end; the first writer wins */
	int guest_code;
	int end_signal; /* RUN_END_SIGNAL: which one */
	char end_detail[160];

	struct bench_slot bench[MACHINE_BENCH_SLOTS];
	/* clock_ns() at the last `boot` event of VTL0 and VTL1: the launch split of `vtlmon bench`.
	 */
	uint64_t boot_ns[2];

	/* The Linux platform (cfg.kernel): rebuilt with VTL0 at every reset. */
	uint64_t linux_entry; /* physical 64-bit entry */
	/* SHA-256 of --kernel and --initrd as the launch loaded them; later loads must match. */
	bool linux_measured;
	uint8_t kernel_sha256[FILE_SHA256_BYTES], initrd_sha256[FILE_SHA256_BYTES];
	struct uart uart; /* COM1; only the pair thread touches it once the run starts */
	bool uart_irq;	  /* the level the monitor last set on IRQ 4 */
};

/* Ends the run (first caller wins) and kicks every vCPU out of the guest. */
void machine_end(struct machine *m, enum run_end why, int guest_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline bool machine_ended(struct machine *m)
{
	return atomic_load_explicit(&m->end, memory_order_acquire) != RUN_END_NONE;
}
/*
 * The audit trail fails closed: once an event could not be written, the run
 * ends (status 73) with the write's error, whichever thread notices first.
 */
void machine_check_audit(struct machine *m);
int machine_exit_status(const struct machine *m);
/* Kicks every running pair thread out of KVM_RUN (VTLMON_KICK_SIGNAL). */
void machine_kick_all(struct machine *m);
/*
 * The same for every pair but `skip`. Outside KVM_RUN the kick stays
 * pending (blocked there), so a thread about to enter KVM_RUN comes
 * straight back out.
 */
void machine_kick_others(struct machine *m, const struct vcpu_pair *skip);
const char *run_end_name(enum run_end why);

/* The permission the memslots really enforce on a VTL0 page (see perm_effective()). */
uint8_t machine_page_perms(struct machine *m, uint64_t gpa);

#endif
