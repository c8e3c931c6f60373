/* Policy language: the compiled policy VTL1 consults on every decision, and the parser API. */
#ifndef POLICY_POLICY_H
#define POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtl1_abi.h"
#include "vtl_layout.h"

/*
 * One parser, built twice: the files of policy/ go into the host library
 * (for `vtlmon policy check` and the launcher) and into the freestanding
 * VTL1 kernel; those of policy/host/ (the normalised text, equality) into
 * the host library only. It uses no libc, allocates nothing and keeps its
 * state on the stack (about 1 KiB at -O2, all calls included). The
 * language is specified in docs/policy.md.
 */
#define POLICY_VERSION 1U

/* Input limits: anything beyond them is a clean error, never a truncation. */
#define POLICY_MAX_INPUT (16U << 20) /* bytes; VTL1 gets at most VTL_BOOT_POLICY_MAX */
#define POLICY_MAX_LINE	 512U	     /* bytes per line, without the line ending */
#define POLICY_MAX_WORDS 48U	     /* words per statement */

/* Table sizes of the compiled policy. */
#define POLICY_MAX_MSRS		 32U
#define POLICY_MAX_MEM_RULES	 32U
#define POLICY_MAX_CR_SITES	 4U
#define POLICY_MAX_KEXEC_DIGESTS 8U
#define POLICY_MAX_KEXEC_KEYS	 8U
#define POLICY_MAX_RESETS	 1000U
#define POLICY_WATCHDOG_MIN_US	 100U
#define POLICY_WATCHDOG_MAX_US	 10000000U

/* Defaults for statements a policy leaves out. */
#define POLICY_DEFAULT_WATCHDOG_US 10000U
#define POLICY_DEFAULT_MAX_RESETS  3U

/* What VTL1 does when VTL0 violates the policy. Zero is never valid. */
enum policy_action {
	POLICY_ACT_DENY = 1,  /* refuse the access: #GP for MSR/CR, #PF for memory */
	POLICY_ACT_KILL = 2,  /* end the run; VTL0 never resumes */
	POLICY_ACT_RESET = 3, /* reset the guest (bounded by max_resets, then kill) */
	POLICY_ACT_LOG = 4,   /* allow the access and record it */
	/*
	 * cr only: the pinned bits are put back and VTL0 goes on with no fault.
	 * A clear seen at a later exit has no faulting instruction to blame: a
	 * #GP there lands in whatever VTL0 runs now (an interrupt handler, say).
	 */
	POLICY_ACT_RESTORE = 5,
};

enum policy_class {
	POLICY_CLASS_MEM_WRITE = 0,
	POLICY_CLASS_MEM_READ = 1,
	POLICY_CLASS_MEM_EXEC = 2,
	POLICY_CLASS_MSR = 3,
	POLICY_CLASS_CR = 4,
	POLICY_CLASS_COUNT
};

/* Requests VTL0 may make, as bits of requests_before / requests_after. */
#define POLICY_REQ_RESTRICT (1U << 0) /* PROTECT that removes permissions */
#define POLICY_REQ_RELAX    (1U << 1) /* PROTECT that adds permissions */
#define POLICY_REQ_PIN_CR   (1U << 2) /* PIN_CR of a pinnable bit */
#define POLICY_REQ_PIN_MSR  (1U << 3) /* PIN_MSR of a pinnable MSR */
#define POLICY_REQ_UNPIN    (1U << 4) /* UNPIN_CR / UNPIN_MSR of a bit VTL0 pinned */
#define POLICY_REQ_ALL	    0x1FU

#define POLICY_DEFAULT_REQ_BEFORE                                                                  \
	(POLICY_REQ_RESTRICT | POLICY_REQ_RELAX | POLICY_REQ_PIN_CR | POLICY_REQ_PIN_MSR)
#define POLICY_DEFAULT_REQ_AFTER (POLICY_REQ_RESTRICT | POLICY_REQ_PIN_CR | POLICY_REQ_PIN_MSR)

/* struct policy.flags */
#define POLICY_F_NEEDS_EXEC_PROTECT (1U << 0) /* refuse to launch on hosts without NX pages */
#define POLICY_F_KEXEC_ALLOWED	    (1U << 1) /* KEXEC_LOAD/EXEC may be granted at all */
#define POLICY_F_RESET_ZERO_MEM	    (1U << 2) /* zero VTL0 RAM on every reset */
#define POLICY_F_ALL		    0x7U

/* struct policy_msr.flags */
#define POLICY_PIN_BOOT (1U << 0) /* VTL1 pins it to its boot value at secure launch */
#define POLICY_PINNABLE (1U << 1) /* VTL0 may ask for it to be pinned */

/* Memory regions: the first four are derived from the VTL0 image's PT_LOAD segments. */
enum policy_region {
	POLICY_REGION_RANGE = 0,  /* explicit [base, base + size) */
	POLICY_REGION_TEXT = 1,	  /* segments with X */
	POLICY_REGION_RODATA = 2, /* segments without W and without X */
	POLICY_REGION_DATA = 3,	  /* segments with W and without X */
	POLICY_REGION_IMAGE = 4,  /* every segment */
	POLICY_REGION_COUNT
};

/* struct policy_mem_rule.flags */
#define POLICY_MEM_LOCKED (1U << 0) /* VTL0 may never relax these pages */

struct policy_mem_rule {
	uint64_t base;	/* POLICY_REGION_RANGE only, page-aligned */
	uint64_t size;	/* POLICY_REGION_RANGE only, page-aligned, non-zero */
	uint8_t region; /* enum policy_region */
	uint8_t perms;	/* VTL_PERM_* from vtl1_abi.h */
	uint8_t flags;	/* POLICY_MEM_* */
	uint8_t reserved[5];
};
_Static_assert(sizeof(struct policy_mem_rule) == 24, "mem rule is 24 bytes");

struct policy_msr {
	uint32_t index;
	uint32_t flags; /* POLICY_PIN_BOOT or POLICY_PINNABLE, never both */
};

/*
 * The compiled policy. Fixed size, no pointers: it can be copied, hashed and
 * compared. Every array is meaningful only up to its count; the parser
 * zeroes the rest (and all reserved bytes). Memory rules keep file order
 * because a later rule overrides an earlier one on the pages they share.
 */
struct policy {
	uint32_t version; /* POLICY_VERSION; 0 means "not a valid policy" */
	uint32_t flags;	  /* POLICY_F_* */
	uint64_t cr0_pin_boot;
	uint64_t cr0_pinnable;
	uint64_t cr4_pin_boot;
	uint64_t cr4_pinnable;
	uint32_t requests_before;	    /* POLICY_REQ_* allowed before END_OF_BOOT */
	uint32_t requests_after;	    /* POLICY_REQ_* allowed after END_OF_BOOT */
	uint8_t action[POLICY_CLASS_COUNT]; /* enum policy_action, by enum policy_class */
	uint8_t reserved0[3];
	uint32_t watchdog_us; /* CR watchdog period; 0 = off */
	uint32_t max_resets;
	uint32_t nr_cr_sites;
	uint32_t nr_msrs;
	uint32_t nr_mem;
	uint32_t nr_kexec_digests;
	uint32_t nr_kexec_keys;
	uint32_t reserved1;
	uint64_t cr_sites[POLICY_MAX_CR_SITES]; /* guest-virtual CR-write breakpoint sites */
	struct policy_msr msrs[POLICY_MAX_MSRS];
	struct policy_mem_rule mem[POLICY_MAX_MEM_RULES];
	uint8_t kexec_digest[POLICY_MAX_KEXEC_DIGESTS][32]; /* SHA-256 of allowed images */
	uint8_t kexec_key[POLICY_MAX_KEXEC_KEYS][32];	    /* Ed25519 public keys */
};
_Static_assert(sizeof(struct policy) == 1656, "compiled policy stays compact");

/*
 * The policy's limits against the guest ABI's: whatever the parser accepts,
 * VTL1 can send and the monitor's op checks (hypercalls/ops.c) accept, so a
 * valid policy never fails at launch on an ABI limit. The monitor's own
 * limits (MSR filter ranges) are for it to check, against
 * POLICY_NR_PINNABLE_MSRS below.
 */
_Static_assert(VTL_BOOT_POLICY_MAX <= POLICY_MAX_INPUT,
	       "any policy that fits VTL1's boot area is within the parser's input limit");
_Static_assert(POLICY_MAX_CR_SITES <= VTL1_CR_SITES,
	       "each breakpoint site has a debug-register slot (CR_SITE arg0)");
_Static_assert(POLICY_WATCHDOG_MIN_US >= VTL1_WATCHDOG_MIN_US &&
		   POLICY_WATCHDOG_MAX_US <= VTL1_WATCHDOG_MAX_US,
	       "every watchdog period the parser accepts passes the WATCHDOG op's check");
_Static_assert(POLICY_DEFAULT_WATCHDOG_US >= POLICY_WATCHDOG_MIN_US &&
		   POLICY_DEFAULT_WATCHDOG_US <= POLICY_WATCHDOG_MAX_US,
	       "the default watchdog period is one a policy could write");
_Static_assert(sizeof(((struct policy *)0)->kexec_digest[0]) == VTL_SHA256_SIZE,
	       "a kexec digest is what MEASURE writes and KEXEC_COMMIT reads");
_Static_assert(sizeof(((struct policy *)0)->kexec_key[0]) ==
		   sizeof(((struct vtl1_sig_check *)0)->key),
	       "a kexec key is what VERIFY_SIG takes");
_Static_assert(VTL_PERM_MASK <= UINT8_MAX, "policy_mem_rule.perms holds any VTL_PERM_* set");

/* Every error the parser reports. docs/policy.md lists them with examples. */
enum policy_err {
	POLICY_OK = 0,
	POLICY_E_TOO_LARGE,	  /* input longer than POLICY_MAX_INPUT */
	POLICY_E_BAD_CHAR,	  /* control byte, or non-ASCII outside a comment */
	POLICY_E_LINE_TOO_LONG,	  /* more than POLICY_MAX_LINE bytes */
	POLICY_E_TOO_MANY_WORDS,  /* more than POLICY_MAX_WORDS words */
	POLICY_E_NO_VERSION,	  /* first statement is not the version line */
	POLICY_E_BAD_VERSION,	  /* version other than POLICY_VERSION */
	POLICY_E_UNKNOWN_KEY,	  /* unknown statement or sub-statement */
	POLICY_E_MISSING_ARG,	  /* a statement ends too early */
	POLICY_E_EXTRA_ARG,	  /* a statement has words left over */
	POLICY_E_BAD_NUMBER,	  /* not a number */
	POLICY_E_RANGE,		  /* number out of range or overflowing */
	POLICY_E_UNKNOWN_CR_BIT,  /* not a CR0/CR4 bit name */
	POLICY_E_UNKNOWN_MSR,	  /* not an MSR name or number */
	POLICY_E_UNKNOWN_REGION,  /* memory region is not text/rodata/data/image/range */
	POLICY_E_BAD_PERMS,	  /* not none/r/rw/rx/rwx */
	POLICY_E_UNALIGNED,	  /* memory range base or size not page-aligned */
	POLICY_E_UNKNOWN_CLASS,	  /* violation class */
	POLICY_E_UNKNOWN_ACTION,  /* not deny/kill/reset/log/restore, or restore for a class but cr
				   */
	POLICY_E_UNKNOWN_REQUEST, /* not restrict/relax/pin-cr/pin-msr/unpin/none */
	POLICY_E_BAD_VALUE,	  /* a keyword value outside its set (exec-protection) */
	POLICY_E_BAD_BOOL,	  /* not yes/no */
	POLICY_E_BAD_DURATION,	  /* watchdog period without a valid unit */
	POLICY_E_BAD_HEX,	  /* digest or key is not 64 hex digits */
	POLICY_E_BAD_ADDRESS,	  /* non-canonical breakpoint address */
	POLICY_E_DUPLICATE,	  /* statement or list item given twice */
	POLICY_E_TOO_MANY,	  /* a table of the compiled policy is full */
	POLICY_E_CONFLICT,	  /* items that contradict each other */
	POLICY_E_NOT_PINNABLE,	  /* an MSR outside the pinnable set (policy_msr_pinnable()) */
	POLICY_E_PLATFORM,	  /* valid, but the run's platform cannot honour it (--host) */
	POLICY_E_COUNT
};

#define POLICY_DIAG_MSG_MAX 120U

struct policy_diag {
	uint32_t line;		       /* 1-based */
	uint32_t col;		       /* 1-based, in bytes (a tab counts as one) */
	uint32_t code;		       /* enum policy_err */
	char msg[POLICY_DIAG_MSG_MAX]; /* NUL-terminated, printable ASCII */
};

/*
 * Compile `len` bytes of `text` (need not be NUL-terminated; may contain any
 * bytes) into *out. Returns POLICY_OK, or the code of the first error. Every
 * error is reported as a diagnostic, in line order (the check that `kexec
 * allow yes` has a digest or key comes last), up to `maxdiags` of them
 * (parsing stops when the array is full, or at the first error when
 * maxdiags is 0); *ndiags gets the number written (ndiags may be NULL).
 * On error *out is zeroed, so its version is 0 and it is never a usable
 * policy. Runs in time linear in `len`.
 */
enum policy_err policy_parse(const char *text, size_t len, struct policy *out,
			     struct policy_diag *diags, size_t maxdiags, size_t *ndiags);

/*
 * policy_parse() of a text that policy_parse() (or policy_parse_for())
 * has already accepted unchanged, for VTL1, which runs emulated: lines that
 * are only a comment or empty are skipped without looking at their bytes
 * (a `repne scasb` to the newline). On such a text it gives exactly what
 * policy_parse() gives. On any text it differs only in the lines it does not
 * read: errors that lie only in comment-only lines (a control byte, a line
 * over 512 bytes) go unreported. VTL1 uses it because the monitor compiles
 * the same bytes first and refuses the launch on any error
 * (machine_check_policy).
 */
enum policy_err policy_parse_checked(const char *text, size_t len, struct policy *out,
				     struct policy_diag *diags, size_t maxdiags, size_t *ndiags);

/*
 * The run a policy is checked for: what `vtlmon run` would refuse on this
 * host, found at its statement (`vtlmon policy check --host`).
 */
struct policy_platform {
	uint64_t vtl0_ram; /* bytes of VTL0 RAM (--mem): a `memory range` must end inside */
	uint64_t
	    features; /* VTL_FEAT_* this host offers: `exec-protection required` needs NOEXEC */
};

/* policy_parse(), plus POLICY_E_PLATFORM where `plat` cannot honour a statement. */
enum policy_err policy_parse_for(const char *text, size_t len, const struct policy_platform *plat,
				 struct policy *out, struct policy_diag *diags, size_t maxdiags,
				 size_t *ndiags);

#ifndef VTL_GUEST
/*
 * Host only (policy/host/): `vtlmon policy check` and the tests. VTL1's
 * image does not link these, and guest builds do not see them, so a call
 * from VTL1 fails to compile rather than to link.
 */

/*
 * Write the normalised form of *p (a policy from policy_parse()): a valid
 * policy in which every setting is explicit, that parses back to a
 * policy_equal() struct. Always
 * NUL-terminates when len > 0. Returns the length the full text needs (not
 * counting the NUL); a return >= len means the output was cut short.
 */
size_t policy_format(const struct policy *p, char *buf, size_t len);

/* Field-by-field equality, ignoring array slots beyond each count. */
bool policy_equal(const struct policy *a, const struct policy *b);

const char *policy_action_name(enum policy_action act); /* "deny", ... or "?" */
#endif

const char *policy_strerror(enum policy_err err);
const char *policy_class_name(enum policy_class cls); /* "mem-write", ... or "?" */

/*
 * The pinnable MSRs, the one list the parser, VTL1 and the monitor share. A
 * pin is a write-deny MSR filter, so an MSR is pinnable only when (a) the
 * KVM MSR filter catches its WRMSR on the hosts vtlmon runs on (measured:
 * KVM-HOST-NOTES, kvm-probes p08) and (b) nothing but WRMSR changes it: no
 * swapgs, segment load, XRSTORS, counting or other update by the CPU itself.
 * Fail closed: every other MSR, named or not, is refused, and
 * policy_msr_unpinnable_reason() says why. docs/policy.md lists both.
 */
extern const uint32_t policy_pinnable_msrs[];
extern const size_t policy_nr_pinnable_msrs;
/*
 * Their number, as a constant for static checks: the most MSRs any policy
 * can pin (boot and VTL0 pins together), since each may be listed once.
 */
#define POLICY_NR_PINNABLE_MSRS 17U
_Static_assert(POLICY_NR_PINNABLE_MSRS <= POLICY_MAX_MSRS, "a policy can list every pinnable MSR");
bool policy_msr_pinnable(uint32_t index);
/* Why `index` cannot be pinned (printable ASCII, under 64 bytes), or NULL if it can. */
const char *policy_msr_unpinnable_reason(uint32_t index);

/* Decision helpers for VTL1, so the language's meaning lives in one place. */
/* POLICY_PIN_* or 0; always 0 for an MSR that is not pinnable, whatever the struct says. */
uint32_t policy_msr_flags(const struct policy *p, uint32_t index);
/* Inline: VTL1 asks it on every PROTECT, and VTL1's instructions are emulated (a call costs). */
static inline bool policy_request_allowed(const struct policy *p, uint32_t req,
					  bool after_end_of_boot)
{
	uint32_t mask = after_end_of_boot ? p->requests_after : p->requests_before;

	return req && !(req & ~POLICY_REQ_ALL) && (mask & req) == req;
}
bool policy_region_matches(enum policy_region region, uint32_t seg_flags); /* VTL_SEG_* */

#endif
