/* The BOOT entry (launch, or a kexec'd kernel): compile the policy, apply its boot protections. */
#include "vtl1/policy_apply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"
#include "gl_string.h"
#include "io.h"
#include "policy/policy.h"
#include "vtl1/addr.h"
#include "vtl1/calls.h"
#include "vtl1/kexec.h"
#include "vtl1/oplist.h"
#include "vtl1/pages.h"
#include "vtl1/state.h"
#include "vtl1_abi.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/* A policy diagnostic fits the LOG that refuses the launch (vtl1_boot_parse()), never cut. */
_Static_assert(sizeof("policy rejected: line 4294967295 col 4294967295: ") - 1 +
		       POLICY_DIAG_MSG_MAX <=
		   VTL1_LOG_MAX,
	       "a policy diagnostic fits one LOG op");

static bool vtl1_booted;

/*
 * The boot protections go out in as few lists as fit, the last one ending in
 * LOG + RETURN so that a launch normally costs one exit. `lock` remembers,
 * per op of the list in flight, whether its SET_PERMS comes from a locked
 * rule: the page state is updated only for ops the monitor applied.
 */
static struct {
	struct vtl1_op_list *list;
	uint32_t status;      /* first failure, VTL_OK so far */
	uint32_t failed_code; /* the op that failed, and its first argument */
	uint64_t failed_arg;
	uint32_t set_perms; /* SET_PERMS ops, for the summary */
	uint8_t lock[VTL1_OPS_MAX];
} vtl1_bl;

static void vtl1_boot_commit(const struct vtl1_op_list *l)
{
	for (uint32_t i = 0; i < l->count; i++) {
		const struct vtl1_op *op = &l->ops[i];

		if (op->code == VTL1_OP_SET_PERMS && op->result == VTL_OK)
			vtl1_pages_set(op->arg[0] / VTL_PAGE_SIZE, op->arg[1], (uint32_t)op->arg[2],
				       vtl1_bl.lock[i]);
	}
}

/* Sends the list in flight; on failure remembers which op failed. */
static uint32_t vtl1_boot_flush(void)
{
	struct vtl1_op_list *l = vtl1_bl.list;
	uint32_t st = vtl1_list_send(l);

	vtl1_boot_commit(l);
	if (st != VTL_OK) {
		const struct vtl1_op *op = &l->ops[vtl1_list_failed_op(l)];

		vtl1_bl.status = st;
		vtl1_bl.failed_code = op->code;
		vtl1_bl.failed_arg = op->arg[0];
	}
	return st;
}

static void vtl1_boot_op(uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2, bool lock)
{
	if (vtl1_bl.status != VTL_OK)
		return;
	/* Two slots stay free for the closing LOG + RETURN. */
	if (vtl1_bl.list->count == VTL1_OPS_MAX - 2) {
		if (vtl1_boot_flush() != VTL_OK)
			return;
		vtl1_bl.list = vtl1_list_begin();
	}
	vtl1_bl.lock[vtl1_bl.list->count] = lock;
	vtl1_list_add(vtl1_bl.list, code, a0, a1, a2);
}

static bool vtl1_priv_valid(uint64_t gpa, uint64_t size)
{
	const struct vtl_boot_info *bi = vtl1_boot;

	return gpa >= bi->vtl1_priv_gpa && size <= bi->vtl1_priv_size &&
	       gpa - bi->vtl1_priv_gpa <= bi->vtl1_priv_size - size;
}

/* Boot info the monitor wrote: checked anyway, since the page state is indexed by it. */
static uint64_t vtl1_boot_check_info(void)
{
	const struct vtl_boot_info *bi = vtl1_boot;

	if (!bi->vtl0_ram_size || bi->vtl0_ram_size > VTL0_RAM_MAX ||
	    bi->vtl0_ram_size % VTL_PAGE_SIZE)
		return vtl1_refuse(VTL_E_INVALID, "boot info: bad VTL0 RAM size 0x%lx",
				   bi->vtl0_ram_size);
	vtl1_ram_pages = bi->vtl0_ram_size / VTL_PAGE_SIZE;
	if (bi->nr_vtl0_segments > VTL_BOOT_MAX_SEGMENTS)
		return vtl1_refuse(VTL_E_INVALID, "boot info: %u VTL0 segments",
				   bi->nr_vtl0_segments);
	for (uint32_t i = 0; i < bi->nr_vtl0_segments; i++) {
		const struct vtl_segment *s = &bi->vtl0_segments[i];

		if (s->size % VTL_PAGE_SIZE || !vtl1_pages_valid(s->gpa, s->size / VTL_PAGE_SIZE))
			return vtl1_refuse(VTL_E_INVALID, "boot info: VTL0 segment %u outside RAM",
					   i);
	}
	return VTL1_ANSWERED;
}

static uint64_t vtl1_boot_parse(void)
{
	const struct vtl_boot_info *bi = vtl1_boot;
	struct policy_diag diag;
	size_t ndiags = 0;
	enum policy_err err;

	if (!bi->policy_size)
		return vtl1_refuse(VTL_E_INVALID, "no policy: launch refused");
	if (bi->policy_size > VTL_BOOT_POLICY_MAX ||
	    !vtl1_priv_valid(bi->policy_gpa, bi->policy_size))
		return vtl1_refuse(VTL_E_INVALID, "policy outside its boot area");
	/* The monitor compiled these bytes and launched only because they had no error. */
	err = policy_parse_checked(vtl1_va(bi->policy_gpa), bi->policy_size, &vtl1_policy, &diag, 1,
				   &ndiags);
	if (err != POLICY_OK && ndiags)
		return vtl1_refuse(VTL_E_INVALID, "policy rejected: line %u col %u: %s", diag.line,
				   diag.col, diag.msg);
	if (err != POLICY_OK)
		return vtl1_refuse(VTL_E_INVALID, "policy rejected: %s", policy_strerror(err));
	return VTL1_ANSWERED;
}

/* Later rules override earlier ones on shared pages: the monitor applies the ops in order. */
static uint64_t vtl1_boot_memory(void)
{
	const struct vtl_boot_info *bi = vtl1_boot;

	for (uint32_t i = 0; i < vtl1_policy.nr_mem; i++) {
		const struct policy_mem_rule *r = &vtl1_policy.mem[i];
		bool lock = r->flags & POLICY_MEM_LOCKED;

		if (r->region == POLICY_REGION_RANGE) {
			/* A rule that cannot be applied refuses the launch; it is never skipped. */
			if (!vtl1_pages_valid(r->base, r->size / VTL_PAGE_SIZE))
				return vtl1_refuse(VTL_E_BAD_ADDRESS,
						   "memory rule %u: 0x%lx+0x%lx is beyond VTL0 RAM",
						   i + 1, r->base, r->size);
			vtl1_boot_op(VTL1_OP_SET_PERMS, r->base, r->size / VTL_PAGE_SIZE, r->perms,
				     lock);
			vtl1_bl.set_perms++;
			continue;
		}
		for (uint32_t s = 0; s < bi->nr_vtl0_segments; s++) {
			const struct vtl_segment *seg = &bi->vtl0_segments[s];

			if (!seg->size || !policy_region_matches(r->region, seg->flags))
				continue;
			vtl1_boot_op(VTL1_OP_SET_PERMS, seg->gpa, seg->size / VTL_PAGE_SIZE,
				     r->perms, lock);
			vtl1_bl.set_perms++;
		}
	}
	return VTL1_ANSWERED;
}

static uint32_t vtl1_popcount(uint64_t v)
{
	uint32_t n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/*
 * The boot summary, built by pieces rather than through gl_snprintf: its 12
 * conversions cost ~1,600 of the ~20,000 emulated instructions of VTL1's
 * BOOT entry (perf kvm:kvm_emulate_insn over the default policy's launch);
 * here each piece is one `rep movsb` (memcpy) and a number a few divisions.
 */
struct vtl1_line {
	char buf[VTL1_LOG_MAX];
	size_t n;
};

static void vtl1_put(struct vtl1_line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->n; /* the last byte stays for the NUL */

	n = n < room ? n : room;
	memcpy(l->buf + l->n, s, n);
	l->n += n;
}

#define VTL1_PUT(l, lit) vtl1_put(l, lit, sizeof(lit) - 1)

static void vtl1_put_dec(struct vtl1_line *l, uint32_t v)
{
	char d[10]; /* UINT32_MAX has 10 digits */
	size_t k = sizeof(d);

	do {
		d[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	vtl1_put(l, d + k, sizeof(d) - k);
}

/* "N thing" or "N things": `what` is " thing", with its space. */
static void vtl1_put_count(struct vtl1_line *l, uint32_t n, const char *what, size_t len)
{
	vtl1_put_dec(l, n);
	vtl1_put(l, what, len);
	if (n != 1)
		VTL1_PUT(l, "s");
}

#define VTL1_PUT_COUNT(l, n, lit) vtl1_put_count(l, n, lit, sizeof(lit) - 1)

/*
 * LAUNCH: the first entry of a freshly loaded VTL1 (also after a reset):
 * compile the policy, then apply it. KEXEC: the monitor has committed the
 * image VTL1 accepted, dropped every protection of the old kernel and
 * describes the new one in boot info: apply the same compiled policy to it.
 */
uint64_t vtl1_on_boot(uint32_t boot_kind)
{
	const struct policy *p = &vtl1_policy;
	const bool kexec = boot_kind == VTL1_BOOT_KEXEC;
	uint32_t msrs = 0, watchdog = 0;
	uint64_t answer;

	if (boot_kind != VTL1_BOOT_LAUNCH && !kexec)
		return vtl1_refuse(VTL_E_INVALID, "BOOT entry of unknown kind %u refused",
				   boot_kind);
	if (kexec && !(vtl1_booted && vtl1_kexec_booted()))
		return vtl1_refuse(VTL_E_BAD_STATE,
				   "kexec BOOT entry without a committed image refused");
	if (kexec) {
		/* The monitor dropped everything: VTL1's view of VTL0 starts over as at launch. */
		vtl1_pages_reset();
		vtl1_calls_reset();
	}
	if (!kexec && vtl1_booted)
		return vtl1_refuse(VTL_E_BAD_STATE, "second BOOT entry refused");
	answer = vtl1_boot_check_info();
	/* The compiled policy lives in VTL1 RAM, out of VTL0's reach: it is kept across kexec. */
	if (answer == VTL1_ANSWERED && !kexec)
		answer = vtl1_boot_parse();
	if (answer != VTL1_ANSWERED)
		return answer;
	vtl1_features = mmio_read64(VTL1_DEVICE_GPA + VTL1_REG_FEATURES);
	if ((p->flags & POLICY_F_NEEDS_EXEC_PROTECT) && !(vtl1_features & VTL_FEAT_PERM_NOEXEC))
		return vtl1_refuse(VTL_E_NOT_SUPPORTED,
				   "policy requires exec protection: this host has none");

	/*
	 * Defence in depth, before any op goes out: the parser refuses a policy
	 * that names an MSR outside the pinnable set, and a pin that cannot
	 * hold (FS_BASE, x2APIC, ...) must not pass for one.
	 */
	for (uint32_t i = 0; i < p->nr_msrs; i++)
		if (!policy_msr_pinnable(p->msrs[i].index))
			return vtl1_refuse(VTL_E_NOT_SUPPORTED,
					   "policy names MSR 0x%x, which cannot be pinned: %s",
					   p->msrs[i].index,
					   policy_msr_unpinnable_reason(p->msrs[i].index));

	vtl1_bl.list = vtl1_list_begin();
	vtl1_bl.status = VTL_OK;
	vtl1_bl.set_perms = 0;
	answer = vtl1_boot_memory();
	if (answer != VTL1_ANSWERED)
		return answer;
	if (p->cr0_pin_boot)
		vtl1_boot_op(VTL1_OP_PIN_CR, 0, p->cr0_pin_boot, VTL1_PIN_CURRENT, false);
	if (p->cr4_pin_boot)
		vtl1_boot_op(VTL1_OP_PIN_CR, 4, p->cr4_pin_boot, VTL1_PIN_CURRENT, false);
	for (uint32_t i = 0; i < p->nr_msrs; i++) {
		if (!(p->msrs[i].flags & POLICY_PIN_BOOT))
			continue;
		vtl1_boot_op(VTL1_OP_PIN_MSR, p->msrs[i].index, VTL1_PIN_CURRENT, 0, false);
		msrs++;
	}
	for (uint32_t i = 0; i < p->nr_cr_sites; i++)
		vtl1_boot_op(VTL1_OP_CR_SITE, i, p->cr_sites[i], 0, false);
	/* The watchdog only serves CR pin checks: with no CR bit pinnable it is pure cost. */
	if (p->watchdog_us &&
	    (p->cr0_pin_boot | p->cr0_pinnable | p->cr4_pin_boot | p->cr4_pinnable))
		watchdog = p->watchdog_us;
	if (watchdog)
		vtl1_boot_op(VTL1_OP_WATCHDOG, watchdog, 0, 0, false);

	if (vtl1_bl.status == VTL_OK) {
		struct vtl1_op_list *l = vtl1_bl.list;
		uint32_t crbits = vtl1_popcount(p->cr0_pin_boot) + vtl1_popcount(p->cr4_pin_boot);
		struct vtl1_line line;
		char what[64];

		line.n = 0;
		if (kexec) {
			size_t n =
			    (size_t)gl_snprintf(what, sizeof(what), "kexec: new kernel at 0x%lx; ",
						vtl1_boot->vtl0_entry);

			vtl1_put(&line, what, n < sizeof(what) ? n : sizeof(what) - 1);
		}
		/* "policy: %u memory rule%s (%u range%s), %u CR bit%s, %u MSR%s pinned, %u CR
		 * site%s, watchdog %u us|off", the text the scenario tests match */
		VTL1_PUT(&line, "policy: ");
		VTL1_PUT_COUNT(&line, p->nr_mem, " memory rule");
		VTL1_PUT(&line, " (");
		VTL1_PUT_COUNT(&line, vtl1_bl.set_perms, " range");
		VTL1_PUT(&line, "), ");
		VTL1_PUT_COUNT(&line, crbits, " CR bit");
		VTL1_PUT(&line, ", ");
		VTL1_PUT_COUNT(&line, msrs, " MSR");
		VTL1_PUT(&line, " pinned, ");
		VTL1_PUT_COUNT(&line, p->nr_cr_sites, " CR site");
		VTL1_PUT(&line, ", watchdog ");
		if (watchdog) {
			vtl1_put_dec(&line, watchdog);
			VTL1_PUT(&line, " us");
		} else {
			VTL1_PUT(&line, "off");
		}
		line.buf[line.n] = '\0';
		vtl1_list_log(l, "%s", line.buf);
		vtl1_list_add(l, VTL1_OP_RETURN, VTL_OK, 0, 0);
		if (vtl1_boot_flush() == VTL_OK) {
			vtl1_booted = true;
			return VTL1_ANSWERED;
		}
	}
	return vtl1_refuse(vtl1_bl.status, "%s refused: %s 0x%lx failed: %s",
			   kexec ? "kexec boot" : "launch", vtl1_op_name(vtl1_bl.failed_code),
			   vtl1_bl.failed_arg, vtl_strerror(vtl1_bl.status));
}
