/* Attack catalogue guest: every store form against a read-only page, one probe per form. */
#include "attack_probe.h"
#include "regs.h"
#include "vtl1_abi.h"

/*
 * Three pages: the one below the target is writable (straddling and
 * crossing forms start there; exception frames of the stack forms land
 * there), the target is made read-only, the one above holds the source
 * bytes of the string and push forms. Global: mov_riprel names it.
 */
uint8_t attack_store_pages[3][VTL_PAGE_SIZE] __attribute__((aligned(VTL_PAGE_SIZE)));
#define ST_BELOW (attack_store_pages[0])
#define ST_RO	 (attack_store_pages[1])
#define ST_SRC	 (attack_store_pages[2])

#define ST_FILL_RO    0xA5 /* the protected page; no form stores this byte */
#define ST_FILL_BELOW 0x77
#define ST_VALUE      0x3C /* RBX, xmm0 and the source bytes */
#define ST_SRC_OFF    0x100
#define ST_RW_OFF     0x800 /* control forms store here, in the writable source page */
#define ST_BELOW_TAIL 256   /* refilled before each form: exception frames land there */

enum {
	SF_STACK = 1, /* RSP = RO page + 8: a push writes the page's first qword */
	SF_CMP = 2,   /* RAX (and RDX) = the page's fill, so that a compare-exchange stores */
	SF_RW = 4,    /* control: the target is in a writable page (off from ST_SRC + ST_RW_OFF) */
	SF_PRECHECK = 8, /* first run it on a writable page: where that faults, skip the form */
};

struct store_form {
	const char *name;
	void (*fn)(void);
	const char *site, *end;
	int32_t off;	   /* the target: RO page + off (negative: in the page below) */
	uint16_t side;	   /* bytes below the RO page the form may also write */
	uint8_t flags;	   /* SF_* */
	uint64_t rcx;	   /* 0: the default */
	uint64_t protaddr; /* filled in: the first protected byte it writes (expected CR2) */
};

/*
 * Register convention: RAX = RDI = target, RSI = source (in ST_SRC),
 * RBX = ST_VALUE bytes, xmm0 = ST_VALUE bytes, RCX = count where it counts.
 */

/* Simple forms: the store is their only effect. */
AP_FORM(mov_r8, "movb %bl, (%rax)");
AP_FORM(mov_r16, "movw %bx, (%rax)");
AP_FORM(mov_r32, "movl %ebx, (%rax)");
AP_FORM(mov_r32_odd, "movl %ebx, (%rax)");
AP_FORM(mov_r64, "movq %rbx, (%rax)");
AP_FORM(mov_r64_r15, "movq %r15, (%rax)");
AP_FORM(mov_r64_last, "movq %rbx, (%rax)");
AP_FORM(mov_imm8, "movb $0x5a, (%rax)");
AP_FORM(mov_imm16, "movw $0x5a5a, (%rax)");
AP_FORM(mov_imm32, "movl $0x5a5a5a5a, (%rax)");
AP_FORM(mov_imm64, "movq $0x5a5a5a5a, (%rax)");
AP_FORM(mov_sib, "movq %rbx, -0x20(%rax,%rcx,8)");
AP_FORM(mov_riprel, "movq %rbx, attack_store_pages+4096+0x20(%rip)");
AP_FORM(mov_fs, "movq %rbx, %fs:(%rax)");
AP_FORM(movnti, "movnti %rbx, (%rax)");
AP_FORM(setcc, "sete (%rax)");
AP_FORM(not_m64, "notq (%rax)");
AP_FORM(movbe, "movbe %rbx, (%rax)");

/* Forms that also change registers or flags, or write the page below first. */
AP_FORM(add_m32, "addl %ebx, (%rax)");
AP_FORM(inc_m16, "incw (%rax)");
AP_FORM(xchg_m64, "xchgq %rbx, (%rax)");
AP_FORM(xadd_m64, "lock xaddq %rbx, (%rax)");
AP_FORM(cmpxchg_m64, "lock cmpxchgq %rcx, (%rdi)");
AP_FORM(bts_m64, "btsq $37, (%rax)");
AP_FORM(push_r64, "pushq %rbx");
AP_FORM(push_imm, "pushq $0x5a");
AP_FORM(push_m64, "pushq (%rsi)");
AP_FORM(call_rel, "call 1f\n1:");
AP_FORM(stosb, "stosb");
AP_FORM(stosq, "stosq");
AP_FORM(movsb, "movsb");
AP_FORM(movsq, "movsq");
AP_FORM(rep_stosb_cross, "rep stosb");
AP_FORM(rep_stosq_cross, "rep stosq");
AP_FORM(rep_movsb_cross, "rep movsb");
/* The case: the rep stosb that crosses follows a plain stosb (RIP one byte early). */
AP_FORM_PRE(stosb_rep_stosb, "stosb", "rep stosb");
AP_FORM(straddle_m64, "movq %rbx, (%rax)");
AP_FORM(straddle_m32, "movl %ebx, (%rax)");

/* Wide stores and RMW: 16 bytes and more. */
AP_FORM(movdqu_st, "movdqu %xmm0, (%rax)");
AP_FORM(movups_st, "movups %xmm0, (%rax)");
AP_FORM(movaps_st, "movaps %xmm0, (%rax)");
AP_FORM(movq_xmm_st, "movq %xmm0, (%rax)");
AP_FORM(movdqu_straddle, "movdqu %xmm0, (%rax)");
AP_FORM(cmpxchg16b, "lock cmpxchg16b (%rdi)");
AP_FORM(fxsave, "fxsave (%rax)");

/* Controls: the same wide instructions on a writable page (what this host can emulate). */
AP_FORM(movdqu_rw, "movdqu %xmm0, (%rax)");
AP_FORM(movaps_rw, "movaps %xmm0, (%rax)");
AP_FORM(fxsave_rw, "fxsave (%rax)");

static struct store_form st_forms[] = {
    {AP_CODE(mov_r8), .off = 0x20},
    {AP_CODE(mov_r16), .off = 0x20},
    {AP_CODE(mov_r32), .off = 0x20},
    {AP_CODE(mov_r32_odd), .off = 0x23},
    {AP_CODE(mov_r64), .off = 0x20},
    {AP_CODE(mov_r64_r15), .off = 0x20},
    {AP_CODE(mov_r64_last), .off = VTL_PAGE_SIZE - 8},
    {AP_CODE(mov_imm8), .off = 0x20},
    {AP_CODE(mov_imm16), .off = 0x20},
    {AP_CODE(mov_imm32), .off = 0x20},
    {AP_CODE(mov_imm64), .off = 0x20},
    {AP_CODE(mov_sib), .off = 0x20, .rcx = 4},
    {AP_CODE(mov_riprel), .off = 0x20},
    {AP_CODE(mov_fs), .off = 0x20},
    {AP_CODE(movnti), .off = 0x20},
    {AP_CODE(setcc), .off = 0x20},
    {AP_CODE(not_m64), .off = 0x20},
    {AP_CODE(movbe), .off = 0x20, .flags = SF_PRECHECK},

    {AP_CODE(add_m32), .off = 0x20},
    {AP_CODE(inc_m16), .off = 0x20},
    {AP_CODE(xchg_m64), .off = 0x20},
    {AP_CODE(xadd_m64), .off = 0x20},
    {AP_CODE(cmpxchg_m64), .off = 0x20, .flags = SF_CMP},
    {AP_CODE(bts_m64), .off = 0x20},
    {AP_CODE(push_r64), .off = 0, .flags = SF_STACK},
    {AP_CODE(push_imm), .off = 0, .flags = SF_STACK},
    {AP_CODE(push_m64), .off = 0, .flags = SF_STACK},
    {AP_CODE(call_rel), .off = 0, .flags = SF_STACK},
    {AP_CODE(stosb), .off = 0x20},
    {AP_CODE(stosq), .off = 0x20},
    {AP_CODE(movsb), .off = 0x20},
    {AP_CODE(movsq), .off = 0x20},
    {AP_CODE(rep_stosb_cross), .off = -16, .side = 16, .rcx = 32},
    {AP_CODE(rep_stosq_cross), .off = -16, .side = 16, .rcx = 4},
    {AP_CODE(rep_movsb_cross), .off = -16, .side = 16, .rcx = 32},
    {AP_CODE(stosb_rep_stosb), .off = -17, .side = 17, .rcx = 32},
    {AP_CODE(straddle_m64), .off = -4, .side = 4},
    {AP_CODE(straddle_m32), .off = -2, .side = 2},

    {AP_CODE(movdqu_st), .off = 0x20},
    {AP_CODE(movups_st), .off = 0x28},
    {AP_CODE(movaps_st), .off = 0x40},
    {AP_CODE(movq_xmm_st), .off = 0x20},
    {AP_CODE(movdqu_straddle), .off = -8, .side = 8},
    {AP_CODE(cmpxchg16b), .off = 0x40, .flags = SF_CMP},
    {AP_CODE(fxsave), .off = 0x400},

    {AP_CODE(movdqu_rw), .off = 0x20, .flags = SF_RW},
    {AP_CODE(movaps_rw), .off = 0x40, .flags = SF_RW},
    {AP_CODE(fxsave_rw), .off = 0x400, .flags = SF_RW},
};

#define ST_NR_FORMS (sizeof(st_forms) / sizeof(st_forms[0]))

static uint64_t st_fill64(uint8_t b)
{
	return 0x0101010101010101ULL * b;
}

/* The RO page still holds its fill, every byte (qword reads: this runs emulated). */
static bool st_ro_intact(void)
{
	const volatile uint64_t *q = (const volatile uint64_t *)ST_RO;

	for (size_t i = 0; i < VTL_PAGE_SIZE / 8; i++)
		if (q[i] != st_fill64(ST_FILL_RO))
			return false;
	return true;
}

/*
 * Can this guest run the form at all? MOVBE, for one, raises #UD where
 * CPUID lacks it or the host's instruction emulator does not know it:
 * then there is nothing to deny.
 */
static bool st_runs_on_rw(const struct store_form *f)
{
	struct ap_regs *in = &attack_probe.in;
	uint64_t target = (uintptr_t)(ST_SRC + ST_RW_OFF);

	ap_reset_in(ST_VALUE);
	in->gpr[AP_RAX] = in->gpr[AP_RDI] = target;
	ap_run(f->fn, f->end);
	return !attack_probe.faults && !attack_probe.strays;
}

static void st_run(struct store_form *f)
{
	struct ap_regs *in = &attack_probe.in;
	uint64_t target, obs;

	target = f->flags & SF_RW ? (uintptr_t)(ST_SRC + ST_RW_OFF) + (uint64_t)(int64_t)f->off
				  : (uintptr_t)ST_RO + (uint64_t)(int64_t)f->off;
	f->protaddr = f->off < 0 ? (uintptr_t)ST_RO : target;
	ap_fill(ST_BELOW + VTL_PAGE_SIZE - ST_BELOW_TAIL, ST_BELOW_TAIL, ST_FILL_BELOW);
	ap_fill(ST_SRC + ST_RW_OFF, 0x400 + 512, 0);

	ap_reset_in(ST_VALUE);
	in->gpr[AP_RAX] = target;
	in->gpr[AP_RDI] = target;
	in->gpr[AP_RSI] = (uintptr_t)(ST_SRC + ST_SRC_OFF);
	in->gpr[AP_RBX] = st_fill64(ST_VALUE);
	if (f->rcx)
		in->gpr[AP_RCX] = f->rcx;
	if (f->flags & SF_STACK)
		in->rsp = (uintptr_t)ST_RO + 8;
	if (f->flags & SF_CMP)
		in->gpr[AP_RAX] = in->gpr[AP_RDX] = st_fill64(ST_FILL_RO);

	if (f->flags & SF_PRECHECK && !st_runs_on_rw(f)) {
		ap_begin(f->name, f->site, f->end);
		ap_report(f->name, f->site, AP_OBS_NO_CPU, f->protaddr);
		return;
	}
	ap_begin(f->name, f->site, f->end);
	ap_run(f->fn, f->end);

	obs = ap_observe(f->end, (uintptr_t)f->site, f->protaddr);
	if (st_ro_intact())
		obs |= AP_OBS_PROT;
	if (ap_bytes_are(ST_RO - f->side, f->side, ST_FILL_BELOW))
		obs |= AP_OBS_SIDE;
	ap_report(f->name, f->site, obs, f->protaddr);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	const char *sel = ap_selected(bi);
	unsigned int ran = 0;

	ap_install();
	ap_fill(ST_BELOW, VTL_PAGE_SIZE, ST_FILL_BELOW);
	ap_fill(ST_RO, VTL_PAGE_SIZE, ST_FILL_RO);
	ap_fill(ST_SRC, VTL_PAGE_SIZE, ST_VALUE);
	/* mov_fs relies on a zero FS base, as the monitor's entry state leaves it. */
	GUEST_ASSERT_EQ(rdmsr(0xC0000100U), 0);

	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)ST_RO, 1, VTL_PERM_R), VTL_OK);
	GUEST_ASSERT(st_ro_intact()); /* still readable */

	for (unsigned int i = 0; i < ST_NR_FORMS; i++) {
		if (!ap_wanted(sel, st_forms[i].name))
			continue;
		st_run(&st_forms[i]);
		ran++;
	}
	if (!ran)
		GUEST_FAIL("no such store form");
	GUEST_DONE();
}
