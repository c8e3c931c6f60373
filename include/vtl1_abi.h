/* Guest ABI: the VTL1 entry message (inbox), the VTL1->monitor op list and vtl1_op_name(). */
#ifndef VTL1_ABI_H
#define VTL1_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "vtl_call.h"

/*
 * The monitor writes one struct vtl1_entry into VTL1's inbox page before it
 * runs VTL1's paired vCPU. VTL1 answers by writing the GPA of an op list to
 * VTL1_REG_OPS. A list that ends in a terminal op (RETURN, KILL) gives
 * control back; any other list is applied and VTL1 resumes after its write
 * with each op's result filled in.
 */
/*
 * A BOOT entry comes at launch (and after every reset, with a freshly
 * loaded VTL1), and again after a kexec: then VTL1 keeps its own state and
 * boot info describes the new VTL0 image, whose boot policy it applies.
 */
enum vtl1_boot_kind {
	VTL1_BOOT_LAUNCH = 0,
	VTL1_BOOT_KEXEC = 1,
};

enum vtl1_entry_reason {
	VTL1_ENTRY_BOOT = 1,	  /* secure launch: apply boot policy, then RETURN */
	VTL1_ENTRY_CALL = 2,	  /* `call` holds the validated copy of VTL0's block */
	VTL1_ENTRY_INTERCEPT = 3, /* `intercept` describes a VTL0 violation */
};

/*
 * What VTL0 did, for an INTERCEPT entry. VTL1 answers with exactly one
 * outcome op (INJECT, ALLOW or SKIP) then RETURN, or with KILL or RESET. An
 * INTERCEPT entry that RETURNs without an outcome is treated as KILL: the
 * monitor fails closed.
 */
enum vtl1_intercept_kind {
	VTL1_INT_MEM_READ = 1,	/* read of a no-access page; len = access size */
	VTL1_INT_MEM_WRITE = 2, /* write to a read-only or no-access page; value = data */
	VTL1_INT_MEM_EXEC = 3,	/* instruction fetch from a no-access page; gpa = fetch GPA */
	VTL1_INT_MSR_WRITE = 4, /* WRMSR to a pinned MSR; gpa = index, value = new, aux = pinned */
	VTL1_INT_CR_WRITE =
	    5, /* pinned CR bits changed; gpa = CR number, value = new, aux = mask */
};

/* vtl1_intercept.flags */
#define VTL1_INT_F_PRECISE  (1U << 0) /* RIP is on the instruction; it has not taken effect */
#define VTL1_INT_F_RESTORED (1U << 1) /* CR: detected after the fact; pinned bits restored */
#define VTL1_INT_F_SITE	    (1U << 2) /* CR: caught at a declared CR-write site (breakpoint) */

struct vtl1_intercept {
	uint32_t kind;	/* enum vtl1_intercept_kind */
	uint16_t flags; /* VTL1_INT_F_* */
	uint8_t len;	/* memory access size in bytes */
	uint8_t perms;	/* memory: the page's current VTL_PERM_* */
	uint64_t gpa;
	uint64_t rip;
	uint64_t value;
	uint64_t aux; /* memory: the linear address when known, else the GPA */
	uint8_t insn_len;
	uint8_t reserved[7];
	uint8_t insn[16];
};
_Static_assert(sizeof(struct vtl1_intercept) == 64, "intercept is 64 bytes");
_Static_assert(offsetof(struct vtl1_intercept, flags) == 4, "intercept flags offset");
_Static_assert(offsetof(struct vtl1_intercept, gpa) == 8, "intercept gpa offset");
_Static_assert(offsetof(struct vtl1_intercept, aux) == 32, "intercept aux offset");
_Static_assert(offsetof(struct vtl1_intercept, insn) == 48, "intercept insn offset");

struct vtl1_entry {
	uint32_t reason; /* enum vtl1_entry_reason */
	uint32_t vcpu;	 /* index of the VTL0 vCPU this entry is for */
	uint64_t seq;	 /* increments on every entry */
	uint64_t call_gpa;
	uint32_t boot_kind; /* BOOT entries: enum vtl1_boot_kind */
	uint32_t reserved;
	struct vtl_call_block call;
	struct vtl1_intercept intercept;
};
_Static_assert(offsetof(struct vtl1_entry, seq) == 8, "seq offset");
_Static_assert(offsetof(struct vtl1_entry, call_gpa) == 16, "call_gpa offset");
_Static_assert(offsetof(struct vtl1_entry, boot_kind) == 24, "boot_kind offset");
_Static_assert(offsetof(struct vtl1_entry, call) == 32, "call offset");
_Static_assert(offsetof(struct vtl1_entry, intercept) == 96, "intercept offset");
_Static_assert(sizeof(struct vtl1_entry) == 160, "entry is 160 bytes");

enum vtl1_op_code {
	VTL1_OP_RETURN = 1,    /* terminal. arg0 status, arg1/arg2 results[0]/[1] */
	VTL1_OP_LOG = 2,       /* arg0 GPA of text in VTL1 RAM, arg1 length (<= VTL1_LOG_MAX) */
	VTL1_OP_SET_PERMS = 3, /* arg0 VTL0 GPA (page-aligned), arg1 pages, arg2 VTL_PERM_* */
	VTL1_OP_KILL = 4,      /* terminal. arg0 reason; ends the run, VTL0 never resumes */
	/* arg0 CR (0 or 4), arg1 mask, arg2 value of the masked bits or VTL1_PIN_CURRENT */
	VTL1_OP_PIN_CR = 5,
	VTL1_OP_UNPIN_CR = 6, /* arg0 CR, arg1 mask */
	/* arg0 MSR index, arg1 value or VTL1_PIN_CURRENT */
	VTL1_OP_PIN_MSR = 7,
	VTL1_OP_UNPIN_MSR = 8, /* arg0 MSR index */
	/* INTERCEPT outcome: arg0 vector (13 #GP, 14 #PF), arg1 error code, arg2 CR2 (#PF) */
	VTL1_OP_INJECT = 9,
	VTL1_OP_ALLOW = 10, /* INTERCEPT outcome: perform the access (replay write, apply MSR/CR) */
	VTL1_OP_SKIP = 11,  /* INTERCEPT outcome: complete it without effect (reads return 0) */
	VTL1_OP_RESET = 12, /* terminal. arg0 reason: reset the guest */
	VTL1_OP_CR_SITE = 13,  /* arg0 slot (0..3), arg1 VTL0 virtual address (0 clears) */
	VTL1_OP_WATCHDOG = 14, /* arg0 CR watchdog period in microseconds (0 = off) */
	/* arg0 VTL0 GPA, arg1 length, arg2 VTL1 GPA of a 32-byte buffer: SHA-256 of the range */
	VTL1_OP_MEASURE = 15,
	/*
	 * arg0 VTL0 GPA, arg1 length, arg2 VTL1 GPA of a struct vtl1_sig_check:
	 * VTL_OK if the Ed25519 signature of the range verifies with the key,
	 * else VTL_E_VERIFY.
	 */
	VTL1_OP_VERIFY_SIG = 16,
	/*
	 * arg0 VTL0 GPA, arg1 length of a kexec image (0, 0 unstages): the
	 * monitor checks it is a loadable VTL0 ELF (VTL_E_INVALID if not) and
	 * remembers it. VTL1 write-protects the range before staging it.
	 */
	VTL1_OP_KEXEC_STAGE = 17,
	/*
	 * Terminal. arg0 VTL1 GPA of the SHA-256 VTL1 accepted. The monitor
	 * re-measures the staged bytes (VTL_E_VERIFY if they differ), drops all
	 * of VTL0's protections, pins and breakpoints, loads the image, resets
	 * VTL0's vCPU, and enters VTL1 with a BOOT entry (VTL1_BOOT_KEXEC).
	 */
	VTL1_OP_KEXEC_COMMIT = 18,
	VTL1_OP_COUNT
};

/*
 * The name of an op in logs and events ("set_perms"), or "unknown": the one
 * table VTL1 and the monitor share, as vtl_strerror() is for statuses. A
 * switch on the enum with no default, so -Wswitch (-Wall) refuses to build
 * an op code added without a name.
 */
static inline const char *vtl1_op_name(uint32_t code)
{
	switch ((enum vtl1_op_code)code) {
	case VTL1_OP_RETURN: return "return";
	case VTL1_OP_LOG: return "log";
	case VTL1_OP_SET_PERMS: return "set_perms";
	case VTL1_OP_KILL: return "kill";
	case VTL1_OP_PIN_CR: return "pin_cr";
	case VTL1_OP_UNPIN_CR: return "unpin_cr";
	case VTL1_OP_PIN_MSR: return "pin_msr";
	case VTL1_OP_UNPIN_MSR: return "unpin_msr";
	case VTL1_OP_INJECT: return "inject";
	case VTL1_OP_ALLOW: return "allow";
	case VTL1_OP_SKIP: return "skip";
	case VTL1_OP_RESET: return "reset";
	case VTL1_OP_CR_SITE: return "cr_site";
	case VTL1_OP_WATCHDOG: return "watchdog";
	case VTL1_OP_MEASURE: return "measure";
	case VTL1_OP_VERIFY_SIG: return "verify_sig";
	case VTL1_OP_KEXEC_STAGE: return "kexec_stage";
	case VTL1_OP_KEXEC_COMMIT: return "kexec_commit";
	case VTL1_OP_COUNT: break;
	}
	return "unknown";
}

/*
 * arg0 of KILL and RESET: why VTL1 ended or reset VTL0, for the operator. A
 * violation carries its policy class plus one (policy/policy.h's order,
 * asserted in vtl1/intercept.c), so that 0 is never mistaken for one.
 */
enum vtl1_reason {
	VTL1_REASON_SELF = 0, /* VTL1 itself cannot go on */
	VTL1_REASON_MEM_WRITE = 1,
	VTL1_REASON_MEM_READ = 2,
	VTL1_REASON_MEM_EXEC = 3,
	VTL1_REASON_MSR = 4,
	VTL1_REASON_CR = 5,
	VTL1_REASON_BAD_ENTRY = 0x100, /* the inbox holds an unknown entry reason */
	VTL1_REASON_BAD_KIND = 0x101,  /* an INTERCEPT of an unknown kind */
};

static inline const char *vtl1_reason_name(uint64_t reason)
{
	switch (reason) {
	case VTL1_REASON_SELF: return "VTL1 cannot go on";
	case VTL1_REASON_MEM_WRITE: return "a mem_write violation";
	case VTL1_REASON_MEM_READ: return "a mem_read violation";
	case VTL1_REASON_MEM_EXEC: return "a mem_exec violation";
	case VTL1_REASON_MSR: return "an msr violation";
	case VTL1_REASON_CR: return "a cr violation";
	case VTL1_REASON_BAD_ENTRY: return "an entry VTL1 does not know";
	case VTL1_REASON_BAD_KIND: return "an intercept of a kind VTL1 does not know";
	}
	return "an unknown reason";
}

/* PIN_CR / PIN_MSR: pin at whatever value VTL0 has now. */
#define VTL1_PIN_CURRENT     (~0ULL)
#define VTL1_CR_SITES	     4U
#define VTL1_WATCHDOG_MIN_US 100U
#define VTL1_WATCHDOG_MAX_US 10000000U

#define VTL_SHA256_SIZE	     32U
#define VTL_ED25519_SIG_SIZE 64U
#define VTL_ED25519_KEY_SIZE 32U

struct vtl1_sig_check {
	uint8_t sig[VTL_ED25519_SIG_SIZE];
	uint8_t key[VTL_ED25519_KEY_SIZE];
};
_Static_assert(sizeof(struct vtl1_sig_check) == 96, "sig check is 96 bytes");

/* INJECT vectors the monitor accepts. */
#define VTL_VECTOR_GP 13U
#define VTL_VECTOR_PF 14U

#define VTL_PERM_R    1U
#define VTL_PERM_W    2U
#define VTL_PERM_X    4U
#define VTL_PERM_MASK 7U

#define VTL1_LOG_MAX 256U

struct vtl1_op {
	uint32_t code;	 /* enum vtl1_op_code */
	uint32_t result; /* out: enum vtl_status */
	uint64_t arg[3];
};
_Static_assert(sizeof(struct vtl1_op) == 32, "op is 32 bytes");
_Static_assert(offsetof(struct vtl1_op, result) == 4, "op result offset");
_Static_assert(offsetof(struct vtl1_op, arg) == 8, "op arg offset");

/*
 * The list lives in VTL1 private RAM, 8-byte aligned, header plus `count`
 * ops. The monitor copies and validates the whole list before it applies
 * anything: unknown codes or a terminal op before the end reject the list
 * with no op applied. `done` is written back: the number of ops applied.
 */
#define VTL1_OPS_MAX 127U

struct vtl1_op_list {
	uint32_t count;
	uint32_t done;	 /* out */
	uint32_t status; /* out: VTL_OK, or why the list stopped */
	uint32_t reserved;
	struct vtl1_op ops[];
};
_Static_assert(sizeof(struct vtl1_op_list) == 16, "op list header is 16 bytes");
_Static_assert(16 + VTL1_OPS_MAX * sizeof(struct vtl1_op) <= 4096, "op list fits a page");

#endif
