/* Attack catalogue guest: every pin against every way this guest can change the register. */
#include "attack_probe.h"
#include "regs.h"
#include "vtl1_abi.h"

/*
 * Under tests/policies/attack-pins.policy: EFER and CR0.WP pinned at
 * launch, LSTAR, STAR and CR4.OSXMMEXCPT pinned by this guest, CSTAR
 * pinnable but left alone; every violation denied (#GP); RAM kept over a
 * reset, so that the reset forms can tell their second life.
 */
#define MSR_EFER	   0xC0000080U
#define MSR_FS_BASE	   0xC0000100U
#define MSR_GS_BASE	   0xC0000101U
#define MSR_KERNEL_GS_BASE 0xC0000102U
#define MSR_TSC		   0x10U
#define MSR_X2APIC_TPR	   0x808U
#define EFER_SCE	   1ULL
#define CR0_WP		   (1ULL << 16)

#define PN_STAR	   0x0023000800000000ULL /* SYSRET CS 0x23, SYSCALL CS 0x08 */
#define PN_CSTAR   0x0000000000101000ULL
#define PN_FS_BASE 0x1000ULL
#define PN_KGS	   0x2000ULL

/* A fixed GPA no image or module uses (tests run with 32 MiB): counts lives across a reset. */
#define PN_MARKER_GPA	0x1800000ULL
#define PN_MARKER_MAGIC 0x534e495041545441ULL /* "ATTAPINS" */

/* ---- MSRs: WRMSR is the only way to change EFER, LSTAR and STAR ---------------- */

AP_FORM(wrmsr, "wrmsr");

enum {
	MF_CONTROL = 1, /* not pinned: the write must land, without a violation */
	MF_RCX_HI = 2,	/* RCX bits 63:32 set: WRMSR uses ECX only */
	MF_UNPIN = 4,	/* UNPIN_MSR first (the policy has no `unpin`: DENIED) */
};

struct msr_form {
	const char *name;
	uint32_t msr;
	uint64_t flip; /* the attempted value: current ^ flip */
	uint8_t flags; /* MF_* */
};

static const struct msr_form pn_msr_forms[] = {
    {"efer_sce", MSR_EFER, EFER_SCE, 0},
    {"efer_same", MSR_EFER, 0, MF_CONTROL},
    {"lstar_low", MSR_LSTAR, 0x1000, 0},
    {"lstar_high", MSR_LSTAR, 1ULL << 40, 0},
    {"lstar_rcx_hi", MSR_LSTAR, 0x1000, MF_RCX_HI},
    {"lstar_after_unpin", MSR_LSTAR, 0x2000, MF_UNPIN},
    {"star_cs", MSR_STAR, 1ULL << 35, 0},
    {"star_low", MSR_STAR, 1, 0},
    {"cstar_unpinned", MSR_CSTAR, 0x1000, MF_CONTROL},
};

/* One WRMSR through the probe: returns the faults it took (0 or 1). */
static uint64_t pn_wrmsr(uint64_t rcx, uint64_t v)
{
	struct ap_regs *in = &attack_probe.in;

	ap_reset_in(0);
	in->gpr[AP_RCX] = rcx;
	in->gpr[AP_RAX] = (uint32_t)v;
	in->gpr[AP_RDX] = v >> 32;
	ap_run(ap_fn_wrmsr, ap_end_wrmsr);
	return attack_probe.faults;
}

/* The result checkpoint with `value` in arg0 bits 32..47 (a status, a count). */
static void pn_report(const char *name, uint64_t obs, uint64_t value)
{
	vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, name,
		  ap_result_arg0() | (value & 0xffff) << 32, obs);
}

static void pn_msr(const struct msr_form *f)
{
	uint64_t before = rdmsr(f->msr), want = before ^ f->flip, obs, value = 0;
	uint64_t rcx = f->msr | (f->flags & MF_RCX_HI ? 0xdead00000000ULL : 0);

	ap_begin(f->name, ap_site_wrmsr, ap_end_wrmsr);
	if (f->flags & MF_UNPIN)
		value = vtl_call2(VTL_CALL_UNPIN_MSR, f->msr, 0, 0, 0);
	pn_wrmsr(rcx, want);
	obs = ap_observe(ap_end_wrmsr, (uintptr_t)ap_site_wrmsr, 0);
	/* KEPT: pinned, it still holds its value; a control write reads back as written. */
	if (rdmsr(f->msr) == (f->flags & MF_CONTROL ? want : before))
		obs |= AP_OBS_KEPT;
	pn_report(f->name, obs, value);
}

/* ---- MSRs that change without WRMSR: no pin may be granted ----------------------- */

struct refuse_form {
	const char *name;
	uint32_t msr;
};

static const struct refuse_form pn_refuse_forms[] = {
    {"pin_fs_base", MSR_FS_BASE},		/* a segment load (and wrfsbase) sets it */
    {"pin_gs_base", MSR_GS_BASE},		/* a segment load, swapgs, wrgsbase */
    {"pin_kernel_gs_base", MSR_KERNEL_GS_BASE}, /* swapgs */
    {"pin_tsc", MSR_TSC},			/* counts by itself */
    {"pin_x2apic_tpr", MSR_X2APIC_TPR},		/* x2APIC MSRs bypass the MSR filter */
};

/*
 * Should VTL1 grant the pin anyway, show why it must not: change the
 * register the way that never exits, and see whether the pin held.
 */
static bool pn_bypass_kept(uint32_t msr)
{
	uint64_t before = rdmsr(msr);
	uint16_t sel;

	switch (msr) {
	case MSR_FS_BASE:
		/* A selector load replaces the base with the descriptor's (0). */
		__asm__ volatile("mov %%ds, %0\n\tmov %0, %%fs" : "=&r"(sel) : : "memory");
		break;
	case MSR_GS_BASE:
		__asm__ volatile("mov %%ds, %0\n\tmov %0, %%gs" : "=&r"(sel) : : "memory");
		break;
	case MSR_KERNEL_GS_BASE: __asm__ volatile("swapgs" : : : "memory"); break;
	default: return true;
	}
	return rdmsr(msr) == before;
}

static void pn_refuse(const struct refuse_form *f)
{
	uint64_t obs = AP_OBS_KEPT;
	uint32_t st;

	ap_begin(f->name, NULL, NULL);
	attack_probe.faults = attack_probe.strays = 0;
	if (f->msr == MSR_FS_BASE)
		pn_wrmsr(MSR_FS_BASE, PN_FS_BASE);
	if (f->msr == MSR_GS_BASE)
		pn_wrmsr(MSR_GS_BASE, PN_FS_BASE);
	if (f->msr == MSR_KERNEL_GS_BASE)
		pn_wrmsr(MSR_KERNEL_GS_BASE, PN_KGS);
	st = vtl_call2(VTL_CALL_PIN_MSR, f->msr, 0, 0, 0);
	if (st == VTL_OK && !pn_bypass_kept(f->msr))
		obs &= ~AP_OBS_KEPT;
	pn_report(f->name, obs, st);
}

/* ---- CR0.WP and CR4.OSXMMEXCPT: cleared at an undeclared site, then an exit ------ */

#define PN_CLEAR_WP "movq %cr0, %r8\n\tandq $-65537, %r8\n\tmovq %r8, %cr0"
#define PN_CLEAR_X  "movq %cr4, %r8\n\tandq $-1025, %r8\n\tmovq %r8, %cr4"

/* Each clears the bit, then makes the exit named after it (RAX, RBX, RCX... see pn_cr). */
AP_FORM_PRE(cr0_wp_ucall, PN_CLEAR_WP, "movq %rbx, (%rax)");
AP_FORM_PRE(cr0_wp_pio, PN_CLEAR_WP, "outb %al, $0x80");
AP_FORM_PRE(cr0_wp_mmio_read, PN_CLEAR_WP, "movl (%rax), %ebx");
AP_FORM_PRE(cr0_wp_wrmsr, PN_CLEAR_WP, "wrmsr");
AP_FORM_PRE(cr0_wp_spin, PN_CLEAR_WP, "2: decq %rcx\n\tjnz 2b");
AP_FORM_PRE(cr4_ucall, PN_CLEAR_X, "movq %rbx, (%rax)");
AP_FORM_PRE(cr0_wp_cf9, PN_CLEAR_WP, "outb %al, %dx");
AP_FORM_PRE(cr4_cf9, PN_CLEAR_X, "outb %al, %dx");
AP_FORM_PRE(cr0_wp_triple, PN_CLEAR_WP "\n\tlidt (%rsi)", "ud2");

enum {
	CE_UCALL,     /* RAX = the UCALL register, RBX = a PRINT ucall */
	CE_PIO,	      /* an ignored port */
	CE_MMIO_READ, /* RAX = the device's ID register */
	CE_WRMSR,     /* EFER rewritten with its own (pinned) value */
	CE_SPIN,      /* no exit at all: only the watchdog can see it */
	CE_CF9,	      /* reset through port 0xCF9 */
	CE_TRIPLE,    /* an IDT with no gates, then #UD: a triple fault */
};

/* Far longer than a cr watchdog period (10 ms): the #GP the watchdog brings ends the loop. */
#define PN_SPIN_ITERS 500000U

struct cr_form {
	const char *name;
	void (*fn)(void);
	const char *site, *end;
	uint8_t cr;   /* 0 or 4 */
	uint8_t exit; /* CE_* */
};

static const struct cr_form pn_cr_forms[] = {
    {AP_CODE(cr0_wp_ucall), .cr = 0, .exit = CE_UCALL},
    {AP_CODE(cr0_wp_pio), .cr = 0, .exit = CE_PIO},
    {AP_CODE(cr0_wp_mmio_read), .cr = 0, .exit = CE_MMIO_READ},
    {AP_CODE(cr0_wp_wrmsr), .cr = 0, .exit = CE_WRMSR},
    {AP_CODE(cr0_wp_spin), .cr = 0, .exit = CE_SPIN},
    {AP_CODE(cr4_ucall), .cr = 4, .exit = CE_UCALL},
    {AP_CODE(cr0_wp_cf9), .cr = 0, .exit = CE_CF9},
    {AP_CODE(cr4_cf9), .cr = 4, .exit = CE_CF9},
    {AP_CODE(cr0_wp_triple), .cr = 0, .exit = CE_TRIPLE},
};

static struct vtl_ucall pn_trigger __attribute__((aligned(64)));
static const struct gl_dtr pn_null_idt = {.limit = 0, .base = 0};

static uint64_t pn_read_cr(uint8_t cr)
{
	uint64_t v;

	if (cr == 4)
		return read_cr4();
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static void pn_write_cr(uint8_t cr, uint64_t v)
{
	if (cr == 4)
		__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
	else
		__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static void pn_cr(const struct cr_form *f)
{
	struct ap_regs *in = &attack_probe.in;
	uint64_t bit = f->cr == 4 ? CR4_OSXMMEXCPT : CR0_WP, obs, now;

	ap_reset_in(0);
	switch (f->exit) {
	case CE_UCALL:
		pn_trigger.cmd = VTL_UCALL_PRINT;
		pn_trigger.line = __LINE__;
		pn_trigger.file_gpa = (uintptr_t)__FILE__;
		pn_trigger.msg_gpa = (uintptr_t) "cr trigger";
		in->gpr[AP_RAX] = VTL0_DEVICE_GPA + VTL0_REG_UCALL;
		in->gpr[AP_RBX] = (uintptr_t)&pn_trigger;
		break;
	case CE_MMIO_READ: in->gpr[AP_RAX] = VTL0_DEVICE_GPA + VTL0_REG_ID; break;
	case CE_WRMSR:
		in->gpr[AP_RCX] = MSR_EFER;
		in->gpr[AP_RAX] = (uint32_t)rdmsr(MSR_EFER);
		in->gpr[AP_RDX] = rdmsr(MSR_EFER) >> 32;
		break;
	case CE_SPIN: in->gpr[AP_RCX] = PN_SPIN_ITERS; break;
	case CE_CF9:
		in->gpr[AP_RDX] = VTL_RESET_PORT;
		in->gpr[AP_RAX] = VTL_RESET_PORT_RST_CPU | 0x02;
		break;
	case CE_TRIPLE: in->gpr[AP_RSI] = (uintptr_t)&pn_null_idt; break;
	}
	/* The value VTL0 writes: the host checks the event's. */
	GUEST_CHECKPOINT_VAL(AP_TAG | 4, pn_read_cr(f->cr) & ~bit);
	ap_begin(f->name, f->site, f->end);
	ap_run(f->fn, f->end);
	/* A reset form does not come back here: its second life reports (vtl0_main). */
	now = pn_read_cr(f->cr);
	obs = ap_observe(f->end, (uintptr_t)f->site, 0);
	if (now & bit)
		obs |= AP_OBS_KEPT;
	else
		pn_write_cr(f->cr, now | bit); /* not restored: put it back for the rest */
	ap_report(f->name, f->site, obs, 0);
}

/* ---- the catalogue -------------------------------------------------------------- */

static bool pn_is_reset(const struct cr_form *f)
{
	return f->exit == CE_CF9 || f->exit == CE_TRIPLE;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *marker = (volatile uint64_t *)(uintptr_t)PN_MARKER_GPA;
	const char *sel = ap_selected(bi);
	unsigned int ran = 0;

	GUEST_ASSERT(bi->vtl0_ram_size >= PN_MARKER_GPA + VTL_PAGE_SIZE);
	if (marker[0] == PN_MARKER_MAGIC) {
		/* The second life of a reset form: a fresh launch, with WP set again. */
		marker[1]++;
		GUEST_CHECKPOINT_VAL(AP_TAG | 5, marker[1]);
		GUEST_ASSERT(pn_read_cr(0) & CR0_WP);
		GUEST_DONE();
	}
	marker[0] = PN_MARKER_MAGIC;
	marker[1] = 1;

	ap_install();
	/* Boot: the kernel sets its syscall MSRs, then pins them and a CR4 bit. */
	GUEST_ASSERT_EQ(pn_wrmsr(MSR_LSTAR, (uintptr_t)&vtl0_main), 0);
	GUEST_ASSERT_EQ(pn_wrmsr(MSR_STAR, PN_STAR), 0);
	GUEST_ASSERT_EQ(pn_wrmsr(MSR_CSTAR, PN_CSTAR), 0);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_LSTAR, 0, 0, 0), VTL_OK);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_STAR, 0, 0, 0), VTL_OK);
	GUEST_ASSERT(read_cr4() & CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_CR, 4, CR4_OSXMMEXCPT, 0, 0), VTL_OK);
	GUEST_ASSERT(pn_read_cr(0) & CR0_WP);

	for (unsigned int i = 0; i < sizeof(pn_msr_forms) / sizeof(pn_msr_forms[0]); i++) {
		if (ap_wanted(sel, pn_msr_forms[i].name)) {
			pn_msr(&pn_msr_forms[i]);
			ran++;
		}
	}
	for (unsigned int i = 0; i < sizeof(pn_refuse_forms) / sizeof(pn_refuse_forms[0]); i++) {
		if (ap_wanted(sel, pn_refuse_forms[i].name)) {
			pn_refuse(&pn_refuse_forms[i]);
			ran++;
		}
	}
	for (unsigned int i = 0; i < sizeof(pn_cr_forms) / sizeof(pn_cr_forms[0]); i++) {
		/* A reset ends the table: those run only when named. */
		if (ap_wanted(sel, pn_cr_forms[i].name) && (sel || !pn_is_reset(&pn_cr_forms[i]))) {
			pn_cr(&pn_cr_forms[i]);
			ran++;
		}
	}
	if (!ran)
		GUEST_FAIL("no such pin form");
	GUEST_DONE();
}
