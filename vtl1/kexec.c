/* kexec: KEXEC_LOAD holds an image read-only and checks it under the policy; EXEC enters it. */
#include "vtl1/kexec.h"

#include <stddef.h>
#include <stdint.h>

#include "fmt.h"
#include "gl_string.h"
#include "policy/policy.h"
#include "vtl1/addr.h"
#include "vtl1/oplist.h"
#include "vtl1/pages.h"
#include "vtl1/state.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/*
 * VTL1 never hashes or verifies anything itself (it runs emulated, about
 * 1 us per instruction): the monitor does, with the MEASURE and VERIFY_SIG
 * ops, on bytes VTL1 has made read-only for VTL0 first. VTL1 only compares
 * the 32-byte digest it gets back with the policy's.
 *
 * The page state (pages.c) keeps what each page had before the hold, so a
 * failure, or a later LOAD that replaces the image, restores exactly that.
 * A staged image's pages are never PROTECTed meanwhile (calls.c), so that
 * state cannot go stale under the hold.
 */
uint64_t vtl1_kexec_first, vtl1_kexec_pages;

/* The staged image, when vtl1_kexec_pages != 0. */
static struct {
	uint64_t gpa, size;
	bool by_signature;
	bool committing; /* KEXEC_COMMIT went through: the next entry is the new kernel's BOOT */
} vtl1_kx;

/* What KEXEC_COMMIT hands the monitor: the SHA-256 VTL1 accepted for the staged image. */
static uint8_t vtl1_kx_digest[VTL_SHA256_SIZE] __attribute__((aligned(64)));
/* MEASURE writes here, so a LOAD that fails leaves the staged image's digest alone. */
static uint8_t vtl1_kx_measured[VTL_SHA256_SIZE] __attribute__((aligned(64)));
/* The signature as copied out of VTL0 RAM once (VTL0 may rewrite its own copy), and one key. */
static struct vtl1_sig_check vtl1_kx_check __attribute__((aligned(64)));

/* 32 bytes equal: one `repe cmpsb` rather than a loop of emulated compares. */
static bool vtl1_digest_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t n = VTL_SHA256_SIZE;
	bool eq;

	__asm__("repe cmpsb"
		: "+S"(a), "+D"(b), "+c"(n), "=@ccz"(eq)
		: "m"(*(const uint8_t(*)[VTL_SHA256_SIZE])a),
		  "m"(*(const uint8_t(*)[VTL_SHA256_SIZE])b));
	return eq;
}

/* The first 8 bytes of a digest as one number: printed with %016lx, its first 16 hex digits. */
static uint64_t vtl1_digest_prefix(const uint8_t *d)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return v;
}

/*
 * Op lists of SET_PERMS runs, as many as the runs need, each closed by a few
 * ops the caller adds. Per op of the list in flight, `kind` says what a
 * SET_PERMS does: holding a page read-only, or restoring it.
 */
enum { KX_OTHER, KX_HOLD, KX_RESTORE };
#define KX_CLOSING_OPS 3U /* room kept at the end of every list */

static struct {
	struct vtl1_op_list *list;
	uint32_t status;      /* first failure of the sequence, VTL_OK so far */
	uint32_t failed_code; /* and the op that failed */
	uint64_t held_end;    /* page after the last hold the monitor applied */
	uint32_t unrestored;  /* restore runs the monitor did not apply */
	uint8_t kind[VTL1_OPS_MAX];
} vtl1_kb;

static void kx_begin(void)
{
	vtl1_kb.list = vtl1_list_begin();
	vtl1_kb.status = VTL_OK;
	vtl1_kb.failed_code = 0;
	vtl1_kb.unrestored = 0;
}

/* Sends the list in flight and records what the monitor applied of it. */
static uint32_t kx_send(void)
{
	struct vtl1_op_list *l = vtl1_kb.list;
	uint32_t st = vtl1_list_send(l);

	for (uint32_t i = 0; i < l->count; i++) {
		const struct vtl1_op *op = &l->ops[i];
		uint64_t first = op->arg[0] / VTL_PAGE_SIZE;

		if (vtl1_kb.kind[i] == KX_HOLD && op->result == VTL_OK) {
			vtl1_kb.held_end = first + op->arg[1];
		} else if (vtl1_kb.kind[i] == KX_RESTORE && op->result != VTL_OK) {
			/* Still held read-only: the page state must say what is in force. */
			vtl1_pages_drop_wx(first, op->arg[1]);
			vtl1_kb.unrestored++;
		}
	}
	if (st != VTL_OK && vtl1_kb.status == VTL_OK) {
		vtl1_kb.status = st;
		vtl1_kb.failed_code = l->ops[vtl1_list_failed_op(l)].code;
	}
	return st;
}

/* An op that closes the list in flight: there is always room for KX_CLOSING_OPS of them. */
static uint32_t kx_close(uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint32_t i = vtl1_kb.list->count;

	vtl1_kb.kind[i] = KX_OTHER;
	vtl1_list_add(vtl1_kb.list, code, a0, a1, a2);
	return i;
}

static void kx_set_perms(uint8_t kind, uint64_t first, uint64_t n, uint32_t perms)
{
	if (vtl1_kb.list->count >= VTL1_OPS_MAX - KX_CLOSING_OPS) {
		kx_send();
		vtl1_kb.list = vtl1_list_begin();
	}
	vtl1_kb.kind[vtl1_kb.list->count] = kind;
	vtl1_list_add(vtl1_kb.list, VTL1_OP_SET_PERMS, first * VTL_PAGE_SIZE, n, perms);
}

/* A hold only takes W (and X) away: a no-access page stays no-access. */
static void kx_emit_hold(uint64_t first, uint64_t n, uint32_t perms)
{
	/* After a failed hold nothing more is held: the load stops there. */
	if (vtl1_kb.status == VTL_OK)
		kx_set_perms(KX_HOLD, first, n, perms);
}

/* Restoring goes on past a failure: every page ends up restored or recorded as still held. */
static void kx_emit_restore(uint64_t first, uint64_t n, uint32_t perms)
{
	kx_set_perms(KX_RESTORE, first, n, perms);
}

/* Runs over pages [first, end) except [hole, hole_end) (empty: 0, 0), the part another image holds.
 */
static void kx_runs_outside(uint64_t first, uint64_t end, uint64_t hole, uint64_t hole_end,
			    uint32_t mask, void (*emit)(uint64_t, uint64_t, uint32_t))
{
	uint64_t below = end < hole ? end : hole;
	uint64_t above = first > hole_end ? first : hole_end;

	if (first < below)
		vtl1_pages_runs(first, below - first, mask, emit);
	if (above < end)
		vtl1_pages_runs(above, end - above, mask, emit);
}

static uint64_t kx_staged_end(void)
{
	return vtl1_kexec_first + vtl1_kexec_pages;
}

/* Forget the staged image; its pages must already be restored (or recorded as held). */
static void kx_drop_staged(void)
{
	vtl1_kexec_first = vtl1_kexec_pages = 0;
	vtl1_kx.gpa = vtl1_kx.size = 0;
}

/*
 * A LOAD failed after its hold began: the monitor stages the previous image
 * again (or nothing), then every page this LOAD held gets its previous perms
 * back, in that order, so that no staged image is ever left unheld.
 */
static uint64_t kx_fail(uint64_t gpa, uint64_t size, uint32_t st, bool unstage, const char *why)
{
	uint64_t first = gpa / VTL_PAGE_SIZE, held_end = vtl1_kb.held_end;
	uint64_t old_first = vtl1_kexec_first, old_end = kx_staged_end();
	bool old_released = false;
	struct vtl1_op_list *l;

	if (vtl1_kexec_pages || unstage) {
		l = vtl1_list_begin();
		vtl1_list_add(l, VTL1_OP_KEXEC_STAGE, vtl1_kx.gpa, vtl1_kx.size, 0);
		if (vtl1_list_send(l) != VTL_OK && vtl1_kexec_pages) {
			/* Cannot happen (same held bytes as before); if it does, let go of it too.
			 */
			l = vtl1_list_begin();
			vtl1_list_add(l, VTL1_OP_KEXEC_STAGE, 0, 0, 0);
			vtl1_list_send(l);
			old_released = true;
		}
	}
	kx_begin();
	if (old_released) {
		kx_runs_outside(first, held_end, 0, 0, VTL_PERM_MASK, kx_emit_restore);
		kx_runs_outside(old_first, old_end, first, held_end, VTL_PERM_MASK,
				kx_emit_restore);
		kx_drop_staged();
	} else {
		kx_runs_outside(first, held_end, old_first, old_end, VTL_PERM_MASK,
				kx_emit_restore);
	}
	vtl1_list_log(vtl1_kb.list, "kexec: image 0x%lx size %lu refused: %s%s", gpa, size, why,
		      old_released ? "; the previous image is no longer staged" : "");
	kx_close(VTL1_OP_RETURN, st, 0, 0);
	if (kx_send() == VTL_OK)
		return VTL1_ANSWERED;
	return vtl1_refuse(st, "kexec: image 0x%lx size %lu refused: %s; %u run(s) stay read-only",
			   gpa, size, why, vtl1_kb.unrestored);
}

/*
 * Accepted: the image becomes the staged one, and the pages of the one it
 * replaces that it does not cover get their previous perms back.
 */
static uint64_t kx_accept(uint64_t gpa, uint64_t size, uint64_t pages, bool by_signature)
{
	uint64_t first = gpa / VTL_PAGE_SIZE, prefix = vtl1_digest_prefix(vtl1_kx_measured);
	const char *how = by_signature ? "signature" : "digest";

	kx_begin();
	if (vtl1_kexec_pages)
		kx_runs_outside(vtl1_kexec_first, kx_staged_end(), first, first + pages,
				VTL_PERM_MASK, kx_emit_restore);
	vtl1_kexec_first = first;
	vtl1_kexec_pages = pages;
	vtl1_kx.gpa = gpa;
	vtl1_kx.size = size;
	vtl1_kx.by_signature = by_signature;
	memcpy(vtl1_kx_digest, vtl1_kx_measured, sizeof(vtl1_kx_digest));
	vtl1_list_log(vtl1_kb.list, "kexec: image 0x%lx size %lu sha256 %016lx accepted by %s", gpa,
		      size, prefix, how);
	kx_close(VTL1_OP_RETURN, VTL_OK, 0, 0);
	if (kx_send() == VTL_OK)
		return VTL1_ANSWERED;
	return vtl1_refuse(VTL_OK,
			   "kexec: image 0x%lx size %lu sha256 %016lx accepted by %s; %u run(s) "
			   "of the previous image stay read-only",
			   gpa, size, prefix, how, vtl1_kb.unrestored);
}

/* VERIFY_SIG with each policy key in turn (the monitor stops a list at the first miss). */
static uint32_t kx_verify(uint64_t gpa, uint64_t size)
{
	for (uint32_t i = 0; i < vtl1_policy.nr_kexec_keys; i++) {
		struct vtl1_op_list *l = vtl1_list_begin();
		uint32_t st;

		memcpy(vtl1_kx_check.key, vtl1_policy.kexec_key[i], sizeof(vtl1_kx_check.key));
		vtl1_list_add(l, VTL1_OP_VERIFY_SIG, gpa, size, vtl1_gpa(&vtl1_kx_check));
		st = vtl1_list_send(l);
		if (st != VTL_E_VERIFY)
			return st; /* VTL_OK, or the host cannot verify at all */
	}
	return VTL_E_VERIFY;
}

uint64_t vtl1_kexec_load(uint64_t gpa, uint64_t size, uint64_t sig_gpa)
{
	const uint64_t ram = vtl1_ram_pages * VTL_PAGE_SIZE;
	uint64_t first, pages, prefix;
	uint32_t stage_op, st;
	char why[96];

	if (!(vtl1_policy.flags & POLICY_F_KEXEC_ALLOWED))
		return vtl1_refuse(VTL_E_DENIED,
				   "kexec: image 0x%lx size %lu refused: the policy does not allow "
				   "kexec",
				   gpa, size);
	/* size <= ram first, so that rounding it up cannot wrap. */
	pages = (size + VTL_PAGE_SIZE - 1) / VTL_PAGE_SIZE;
	if (gpa % VTL_PAGE_SIZE || !size || size > ram || !vtl1_pages_valid(gpa, pages))
		return vtl1_refuse(VTL_E_BAD_ADDRESS,
				   "kexec: image 0x%lx size %lu refused: not page-aligned pages "
				   "of VTL0 RAM",
				   gpa, size);
	if (sig_gpa && (sig_gpa > ram - VTL_ED25519_SIG_SIZE ||
			(sig_gpa < gpa + size && gpa < sig_gpa + VTL_ED25519_SIG_SIZE)))
		return vtl1_refuse(VTL_E_BAD_ADDRESS,
				   "kexec: image 0x%lx size %lu refused: signature at 0x%lx is "
				   "outside VTL0 RAM or inside the image",
				   gpa, size, sig_gpa);
	/* VTL0 RAM is identity-mapped for VTL1: what is verified is this copy, not VTL0's. */
	if (sig_gpa)
		memcpy(vtl1_kx_check.sig, (const void *)(uintptr_t)sig_gpa,
		       sizeof(vtl1_kx_check.sig));

	/* Hold first, then stage and measure, in one list: the measured bytes are frozen. */
	first = gpa / VTL_PAGE_SIZE;
	kx_begin();
	vtl1_kb.held_end = first;
	kx_runs_outside(first, first + pages, vtl1_kexec_first, kx_staged_end(), VTL_PERM_R,
			kx_emit_hold);
	stage_op = VTL1_OPS_MAX;
	if (vtl1_kb.status == VTL_OK) {
		stage_op = kx_close(VTL1_OP_KEXEC_STAGE, gpa, size, 0);
		kx_close(VTL1_OP_MEASURE, gpa, size, vtl1_gpa(vtl1_kx_measured));
		kx_send();
	}
	st = vtl1_kb.status;
	if (st != VTL_OK) {
		/* The monitor may hold a half-staged image unless it never took the STAGE op. */
		uint32_t sr =
		    stage_op < VTL1_OPS_MAX ? vtl1_kb.list->ops[stage_op].result : VTL_E_SKIPPED;
		bool unstage = sr != VTL_E_SKIPPED && sr != VTL_E_UNKNOWN_CALL;

		if (vtl1_kb.failed_code == VTL1_OP_KEXEC_STAGE && st == VTL_E_INVALID)
			gl_snprintf(why, sizeof(why), "not a loadable VTL0 ELF image");
		else
			gl_snprintf(why, sizeof(why), "%s failed: %s",
				    vtl1_op_name(vtl1_kb.failed_code), vtl_strerror(st));
		return kx_fail(gpa, size, st, unstage, why);
	}

	for (uint32_t i = 0; i < vtl1_policy.nr_kexec_digests; i++)
		if (vtl1_digest_eq(vtl1_kx_measured, vtl1_policy.kexec_digest[i]))
			return kx_accept(gpa, size, pages, false);
	st = VTL_E_VERIFY;
	if (sig_gpa)
		st = kx_verify(gpa, size);
	if (st == VTL_OK)
		return kx_accept(gpa, size, pages, true);
	prefix = vtl1_digest_prefix(vtl1_kx_measured);
	if (st != VTL_E_VERIFY)
		gl_snprintf(why, sizeof(why), "sha256 %016lx: verify_sig failed: %s", prefix,
			    vtl_strerror(st));
	else
		gl_snprintf(why, sizeof(why), "sha256 %016lx matches no digest, %s", prefix,
			    !sig_gpa			? "and no signature was given"
			    : vtl1_policy.nr_kexec_keys ? "and the signature matches no key"
							: "and the policy has no key");
	return kx_fail(gpa, size, st, true, why);
}

uint64_t vtl1_kexec_exec(void)
{
	const struct vtl1_entry *next = vtl1_va(vtl1_boot->inbox_gpa);
	struct vtl1_op_list *l;
	uint32_t st;

	if (!vtl1_kexec_pages)
		return vtl1_refuse(VTL_E_BAD_STATE, "kexec: exec refused: no image is staged");
	/*
	 * VTL1's view of VTL0 is reset only once the commit went through, at the
	 * new kernel's BOOT entry: a refused commit then leaves nothing to undo.
	 */
	l = vtl1_list_begin();
	vtl1_list_log(l, "kexec: entering image 0x%lx size %lu sha256 %016lx (%s)", vtl1_kx.gpa,
		      vtl1_kx.size, vtl1_digest_prefix(vtl1_kx_digest),
		      vtl1_kx.by_signature ? "signature" : "digest");
	vtl1_list_add(l, VTL1_OP_KEXEC_COMMIT, vtl1_gpa(vtl1_kx_digest), 0, 0);
	vtl1_kx.committing = true;
	st = vtl1_list_send(l);
	if (st == VTL_OK) {
		/* Committed: the monitor has dropped every protection; only the new kernel's BOOT
		 * may follow. */
		if (next->reason == VTL1_ENTRY_BOOT && next->boot_kind == VTL1_BOOT_KEXEC)
			return VTL1_ANSWERED;
		vtl1_kx.committing = false;
		return vtl1_kill(VTL1_REASON_SELF);
	}
	vtl1_kx.committing = false;
	return vtl1_refuse(
	    st, "kexec: entering image 0x%lx refused by the monitor: %s; it stays staged",
	    vtl1_kx.gpa, vtl_strerror(st));
}

bool vtl1_kexec_booted(void)
{
	if (!vtl1_kx.committing)
		return false;
	vtl1_kx.committing = false;
	kx_drop_staged();
	return true;
}
