/* Guest ABI: the 64-byte VTL0->VTL1 call block, the call numbers and vtl_call_name(). */
#ifndef VTL_CALL_H
#define VTL_CALL_H

#include <stddef.h>
#include <stdint.h>

/*
 * VTL0 fills a call block in its own RAM and writes its GPA to
 * VTL0_REG_CALL. The block must be VTL_CALL_BLOCK_ALIGN-aligned (so it never
 * crosses a page) and lie inside VTL0 RAM. The monitor copies it once, so a
 * racing VTL0 writer cannot change what VTL1 sees. On return the monitor
 * writes `status` and `results` back; other fields are left as they are.
 */
struct vtl_call_block {
	uint32_t nr;	     /* VTL_CALL_* */
	uint32_t flags;	     /* must be 0 */
	uint32_t status;     /* out: enum vtl_status */
	uint32_t reserved;   /* must be 0 */
	uint64_t args[4];    /* in */
	uint64_t results[2]; /* out */
};

_Static_assert(sizeof(struct vtl_call_block) == 64, "call block is 64 bytes");
_Static_assert(offsetof(struct vtl_call_block, nr) == 0, "nr offset");
_Static_assert(offsetof(struct vtl_call_block, flags) == 4, "flags offset");
_Static_assert(offsetof(struct vtl_call_block, status) == 8, "status offset");
_Static_assert(offsetof(struct vtl_call_block, reserved) == 12, "reserved offset");
_Static_assert(offsetof(struct vtl_call_block, args) == 16, "args offset");
_Static_assert(offsetof(struct vtl_call_block, results) == 48, "results offset");

#define VTL_CALL_BLOCK_SIZE  64ULL
#define VTL_CALL_BLOCK_ALIGN 64ULL

/*
 * Call numbers. VTL1 answers VTL_E_UNKNOWN_CALL to anything else. VTL1
 * decides every call under its policy; the statuses below are the usual ones.
 */
enum vtl_call_nr {
	VTL_CALL_NOP = 0,  /* no effect; status VTL_OK */
	VTL_CALL_ECHO = 1, /* results[0..1] = args[0..1] */
	/*
	 * args[0] GPA (page-aligned), args[1] pages, args[2] VTL_PERM_* (0 = no
	 * access). VTL_E_BAD_ADDRESS outside VTL0 RAM or overflowing,
	 * VTL_E_DENIED when the policy forbids it (a relaxation after
	 * END_OF_BOOT, a locked range), VTL_E_NO_RESOURCES when memslots run out.
	 * X is best effort on upstream KVM and a request is never refused for it:
	 * a page without X stays executable, an X-only page stays readable
	 * (`vtlmon caps`; a policy with `exec-protection required` never launches).
	 */
	VTL_CALL_PROTECT = 0x10,
	/* args[0] CR number (0 or 4), args[1] bit mask: pin those bits at their current value. */
	VTL_CALL_PIN_CR = 0x11,
	/* args[0] MSR index: pin it at its current value. */
	VTL_CALL_PIN_MSR = 0x12,
	/* Boot is over: from now on the policy's after-end-of-boot rules apply. */
	VTL_CALL_END_OF_BOOT = 0x13,
	/* args[0] CR number, args[1] mask: drop pins VTL0 asked for (if the policy allows). */
	VTL_CALL_UNPIN_CR = 0x14,
	/* args[0] MSR index. */
	VTL_CALL_UNPIN_MSR = 0x15,
	/*
	 * args[0] GPA (page-aligned) and args[1] size of an ELF64 image in VTL0
	 * RAM (a Linux kernel, bzImage or vmlinux, when VTL0 was booted with
	 * --kernel); args[2] GPA of a 64-byte Ed25519 signature of the image bytes, or
	 * 0. VTL1 write-protects the image first, then measures it: its SHA-256
	 * must be one of the policy's digests, or the signature must verify with
	 * one of the policy's keys. VTL_E_VERIFY, VTL_E_INVALID (not a loadable
	 * image), VTL_E_BAD_ADDRESS, VTL_E_DENIED (kexec not allowed). On any
	 * failure every earlier protection stays as it was.
	 */
	VTL_CALL_KEXEC_LOAD = 0x20,
	/*
	 * Enter the image staged by a successful KEXEC_LOAD: VTL1 drops VTL0's
	 * protections and pins, the monitor loads the image and starts it with
	 * fresh vCPU state, and VTL1 applies the boot policy to the new kernel.
	 * Does not return on success; VTL_E_BAD_STATE without a staged image.
	 */
	VTL_CALL_KEXEC_EXEC = 0x21,
};

/*
 * The name of a call in logs and events ("protect"), or "unknown": one table
 * for every side, as vtl_strerror() is for statuses. A switch on the enum
 * with no default, so -Wswitch (-Wall) refuses a call added without a name.
 */
static inline const char *vtl_call_name(uint32_t nr)
{
	switch ((enum vtl_call_nr)nr) {
	case VTL_CALL_NOP: return "nop";
	case VTL_CALL_ECHO: return "echo";
	case VTL_CALL_PROTECT: return "protect";
	case VTL_CALL_PIN_CR: return "pin_cr";
	case VTL_CALL_PIN_MSR: return "pin_msr";
	case VTL_CALL_END_OF_BOOT: return "end_of_boot";
	case VTL_CALL_UNPIN_CR: return "unpin_cr";
	case VTL_CALL_UNPIN_MSR: return "unpin_msr";
	case VTL_CALL_KEXEC_LOAD: return "kexec_load";
	case VTL_CALL_KEXEC_EXEC: return "kexec_exec";
	}
	return "unknown";
}

#endif
