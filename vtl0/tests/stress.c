/* Stress guest: seeded hostile VTL0: random device, call, MSR, CR, port and memory accesses. */
#include <stdbool.h>

#include "cpu.h"
#include "idt.h"
#include "io.h"
#include "vtl0.h"
#include "vtl1_abi.h"

/*
 * The seed arrives as a module (`vtlmon run --module FILE`): struct
 * stress_module, little-endian. Only `seed` is required; tests/kvm/test_stress.c
 * writes the whole struct. Without a module the guest runs seed 1.
 */
struct stress_module {
	uint64_t seed;
	uint32_t iters; /* 0: STRESS_ITERS_DEFAULT */
	uint32_t flags; /* STRESS_F_* */
};

/*
 * The policy never lets a violation through (every action is deny or
 * kill, none is log): then a pinned value or a write-protected byte that
 * changes is a breach even when no fault was seen. Without this flag only
 * changes that came with a fault count.
 */
#define STRESS_F_DENY 1U

/* About 0.5 s of guest time per seed under a deny policy (KVM-HOST-NOTES: ~1 µs per instruction).
 */
#define STRESS_ITERS_DEFAULT 400U
#define STRESS_ITERS_MAX     100000U
#define STRESS_CHECKPOINT    100U

/* Exit codes this guest chooses; the host test knows them. */
#define STRESS_EXIT_STUCK 3 /* its own state was made unusable (an exception loop): gave up */
#define STRESS_EXIT_BREACH                                                                         \
	13 /* the monitor broke a guarantee this guest can see (a PRINT says which) */
#define STRESS_EXIT_KEXEC  62 /* the kernel kexec'd into ran (plant_elf) */
#define STRESS_EXIT_RANDOM 63 /* a random SHUTDOWN write (codes above 63 become 63) */

/*
 * The only RAM random writes, random PROTECTs and random call blocks may
 * touch, besides the image's text and rodata (write-protected by the
 * policy) and the upper half of RAM: 64 pages that straddle a 2 MiB
 * boundary, so that protections split a large page.
 */
#define STRESS_SCRATCH_PAGES 64U
#define STRESS_SCRATCH_GPA   ((6ULL << 20) - (STRESS_SCRATCH_PAGES / 2) * VTL_PAGE_SIZE)
#define STRESS_SCRATCH_END   (STRESS_SCRATCH_GPA + STRESS_SCRATCH_PAGES * VTL_PAGE_SIZE)
#define STRESS_PERM_UNKNOWN  0xFFU
/* The last scratch page starts as a loadable ELF image, for KEXEC_LOAD to get past its checks. */
#define STRESS_ELF_GPA	(STRESS_SCRATCH_END - VTL_PAGE_SIZE)
#define STRESS_ELF_LOAD (2ULL << 20) /* where that image would run: a free 2 MiB of RAM */

/* More exceptions than this in one step is a loop, not a policy outcome. */
#define STRESS_STRAY_MAX 32U

#define EXC_DF 8 /* EXC_GP and EXC_PF come from idt.h */

#define MSR_EFER     0xC0000080U
#define NONCANONICAL 0x8000000000000000ULL

/* ---- the run's state (in .data/.bss: never a target of anything random) ---- */

static uint64_t st_rng;
static uint32_t st_flags;
/*
 * One seed in eight is wild: it also PROTECTs its own page tables, GDT,
 * TSS and stack, clears CR0.PE/PG and CR4.PAE, resets through port 0xCF9
 * and writes SHUTDOWN more often. Such a run may well crash, reset or end.
 */
static bool st_wild;
static uint64_t st_ram;
static uint64_t st_text_lo, st_text_hi, st_ro_lo, st_ro_hi;
static bool st_text_ro, st_ro_ro;		  /* measured at start: does a write there fault? */
static uint8_t st_scr_perm[STRESS_SCRATCH_PAGES]; /* what PROTECT said; UNKNOWN when unsure */
static uint8_t st_victim_perm = VTL_PERM_MASK;	  /* the same for the victim page (below) */
/* The staged kexec image's scratch pages are held (UNKNOWN); what they had before the hold. */
static uint8_t st_held_perm[STRESS_SCRATCH_PAGES];
static bool st_held[STRESS_SCRATCH_PAGES];
static uint64_t st_iter;

/* Pins this guest got (PIN_* answered OK) and the values they must keep. */
static uint64_t st_cr_pin_mask[2], st_cr_pin_val[2];
#define STRESS_MSR_PINS 8U
static uint32_t st_msr_pin_idx[STRESS_MSR_PINS];
static uint64_t st_msr_pin_val[STRESS_MSR_PINS];
static uint32_t st_msr_pins;

static struct vtl_call_block st_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));
static struct vtl_ucall st_uc __attribute__((aligned(64)));
static uint8_t st_buf[256] __attribute__((aligned(64)));

/*
 * The recovery point: the one instruction that may fault now (stress_site)
 * and where to go if it does. Global, so that the asm below can name them.
 */
uint64_t stress_site, stress_resume;
static volatile uint32_t st_faults; /* exceptions taken during the current operation */
static volatile uint64_t st_fault_vec;
static uint32_t st_stray;
static uint64_t st_exc_count[IDT_NR_EXCEPTIONS];

/* ---- PRNG: xorshift64*, seeded through splitmix64 so that nearby seeds diverge ---- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
	uint64_t x = st_rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st_rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* True once in `n` times. */
static bool one_in(uint64_t n)
{
	return rnd_below(n) == 0;
}

static uint64_t rnd_pick(const uint64_t *v, uint64_t n)
{
	return v[rnd_below(n)];
}

#define PICK(arr) rnd_pick((arr), sizeof(arr) / sizeof((arr)[0]))

/* ---- giving up, and breaches ---- */

__attribute__((noreturn)) static void stress_end(uint32_t code, const char *what, uint64_t a0,
						 uint64_t a1)
{
	stress_site = 0;
	vtl_ucall4(VTL_UCALL_PRINT, __FILE__, __LINE__, what, a0, a1, st_iter, 0);
	vtl_shutdown(code);
}

#define BREACH(what, a0, a1) stress_end(STRESS_EXIT_BREACH, "breach: " what, (a0), (a1))

/*
 * A page of text of its own, the one an exec violation may take away: the
 * guest calls it and PROTECTs it no-access. Its own page, so that the loop
 * and the exception path keep running when it goes.
 */
__asm__(".pushsection .text.victim, \"ax\", @progbits\n"
	".balign 4096\n"
	".globl stress_victim\n"
	"stress_victim:\n\t"
	"ret\n"
	".balign 4096\n"
	".popsection");
void stress_victim(void);

/* ---- exceptions ---- */

/*
 * Every vector comes here. A fault on the armed instruction resumes after
 * it. Anything else was delivered where VTL0 happens to be (a CR pin
 * restored at a later exit, a write reported past the store): resume there.
 */
static void stress_secondary_exc(struct exc_frame *f);

static void stress_on_exc(struct exc_frame *f)
{
	if (vtl0_cpu()) {
		stress_secondary_exc(f);
		return;
	}
	st_exc_count[f->vector % IDT_NR_EXCEPTIONS]++;
	st_faults++;
	st_fault_vec = f->vector;
	/*
	 * A #DF that reaches this handler was delivered, so the stack and IDT
	 * work: this code never faults inside a fault, so two exceptions were
	 * raised for one instruction. Only a wild seed (page tables, GDT) can
	 * do that to itself.
	 */
	if (f->vector == EXC_DF && !st_wild)
		stress_end(STRESS_EXIT_BREACH, "double fault: two exceptions were injected at once",
			   f->rip, read_cr2());
	if (f->vector == EXC_DF)
		stress_end(STRESS_EXIT_STUCK, "gave up: double fault", f->rip, read_cr2());
	if (f->rip == (uintptr_t)stress_victim) {
		/* A denied fetch of the victim page: return to its caller, as its `ret` would. */
		f->rip = *(const uint64_t *)f->rsp;
		f->rsp += 8;
		return;
	}
	if (stress_site && f->rip == stress_site) {
		f->rip = stress_resume;
		stress_site = 0;
		return;
	}
	if (++st_stray > STRESS_STRAY_MAX)
		stress_end(STRESS_EXIT_STUCK, "gave up: exception loop", f->vector, f->rip);
}

/* Arms the recovery point around exactly one instruction (label 0), resuming at label 1. */
#define SITE(insn)                                                                                 \
	"leaq 1f(%%rip), %%r11\n\t"                                                                \
	"movq %%r11, stress_resume(%%rip)\n\t"                                                     \
	"leaq 0f(%%rip), %%r11\n\t"                                                                \
	"movq %%r11, stress_site(%%rip)\n"                                                         \
	"0:\t" insn "\n"                                                                           \
	"1:\tmovq $0, stress_site(%%rip)"

static void op_begin(void)
{
	st_faults = 0;
	st_fault_vec = ~0ULL;
}

static bool op_faulted_with(uint64_t vec)
{
	return st_faults && st_fault_vec == vec;
}

/* ---- memory ---- */

enum {
	W_MOVB,
	W_MOVW,
	W_MOVL,
	W_MOVQ,
	W_IMM,
	W_XCHG,
	W_ADD,
	W_XADD,
	W_CMPXCHG,
	W_INC,
	W_BTS,
	W_STOSB,
	W_MOVSQ,
	W_COUNT
};

/* How many bytes from p a store form touches (rep stosb: len). */
static uint64_t mem_store_len(unsigned int form, uint64_t len)
{
	switch (form) {
	case W_MOVB: return 1;
	case W_MOVW:
	case W_INC: return 2;
	case W_MOVL:
	case W_ADD: return 4;
	case W_STOSB: return len;
	default: return 8;
	}
}

/* One store of some form to p; a fault resumes after it. */
static void mem_store(uint64_t p, uint64_t v, unsigned int form, uint64_t len)
{
	uint64_t a = v, src = (uintptr_t)st_buf;

	switch (form) {
	case W_MOVB:
		__asm__ volatile(SITE("movb %b0, (%1)") : : "r"(v), "r"(p) : "r11", "memory");
		break;
	case W_MOVW:
		__asm__ volatile(SITE("movw %w0, (%1)") : : "r"(v), "r"(p) : "r11", "memory");
		break;
	case W_MOVL:
		__asm__ volatile(SITE("movl %k0, (%1)") : : "r"(v), "r"(p) : "r11", "memory");
		break;
	case W_MOVQ:
		__asm__ volatile(SITE("movq %0, (%1)") : : "r"(v), "r"(p) : "r11", "memory");
		break;
	case W_IMM:
		__asm__ volatile(SITE("movq $-0x5a5a5a6, (%0)") : : "r"(p) : "r11", "memory");
		break;
	case W_XCHG:
		__asm__ volatile(SITE("xchgq %0, (%1)") : "+r"(a) : "r"(p) : "r11", "memory");
		break;
	case W_ADD:
		__asm__ volatile(SITE("addl %k0, (%1)") : : "r"(v), "r"(p) : "r11", "memory");
		break;
	case W_XADD:
		__asm__ volatile(SITE("lock xaddq %0, (%1)") : "+r"(a) : "r"(p) : "r11", "memory");
		break;
	case W_CMPXCHG:
		__asm__ volatile(SITE("lock cmpxchgq %2, (%1)")
				 : "+a"(a)
				 : "r"(p), "r"(~v)
				 : "r11", "memory");
		break;
	case W_INC: __asm__ volatile(SITE("incw (%0)") : : "r"(p) : "r11", "memory"); break;
	case W_BTS: __asm__ volatile(SITE("btsq $37, (%0)") : : "r"(p) : "r11", "memory"); break;
	case W_STOSB:
		__asm__ volatile(SITE("rep stosb") : "+D"(p), "+c"(len) : "a"(v) : "r11", "memory");
		break;
	default: __asm__ volatile(SITE("movsq") : "+D"(p), "+S"(src) : : "r11", "memory"); break;
	}
}

enum { R_MOVB, R_MOVW, R_MOVL, R_MOVQ, R_CMP, R_LODSB, R_COUNT };

static uint64_t mem_load(uint64_t p, unsigned int form, uint64_t len)
{
	uint64_t v = 0;

	switch (form) {
	case R_MOVB:
		__asm__ volatile(SITE("movzbl (%1), %k0") : "+r"(v) : "r"(p) : "r11", "memory");
		break;
	case R_MOVW:
		__asm__ volatile(SITE("movzwl (%1), %k0") : "+r"(v) : "r"(p) : "r11", "memory");
		break;
	case R_MOVL:
		__asm__ volatile(SITE("movl (%1), %k0") : "+r"(v) : "r"(p) : "r11", "memory");
		break;
	case R_MOVQ:
		__asm__ volatile(SITE("movq (%1), %0") : "+r"(v) : "r"(p) : "r11", "memory");
		break;
	case R_CMP:
		__asm__ volatile(SITE("cmpq $7, (%0)") : : "r"(p) : "r11", "memory", "cc");
		break;
	default:
		__asm__ volatile(SITE("rep lodsb")
				 : "+S"(p), "+c"(len), "+a"(v)
				 :
				 : "r11", "memory");
		break;
	}
	return v;
}

static bool in_range(uint64_t a, uint64_t lo, uint64_t hi)
{
	return a >= lo && a < hi;
}

/* Does this guest know the page holding `a` to be readable and not writable? */
static bool page_known_ro(uint64_t a)
{
	uint8_t p;

	if (in_range(a, (uintptr_t)stress_victim, (uintptr_t)stress_victim + VTL_PAGE_SIZE))
		return st_text_ro && (st_victim_perm & VTL_PERM_R);
	if (in_range(a, st_text_lo, st_text_hi))
		return st_text_ro;
	if (in_range(a, st_ro_lo, st_ro_hi))
		return st_ro_ro;
	if (!in_range(a, STRESS_SCRATCH_GPA, STRESS_SCRATCH_END))
		return false;
	p = st_scr_perm[(a - STRESS_SCRATCH_GPA) / VTL_PAGE_SIZE];
	return p == VTL_PERM_R || p == (VTL_PERM_R | VTL_PERM_X);
}

/* A page of the scratch region this guest believes read-only, when there is one. */
static uint64_t scratch_ro_page(void)
{
	uint64_t start = rnd_below(STRESS_SCRATCH_PAGES);

	for (uint64_t i = 0; i < STRESS_SCRATCH_PAGES; i++) {
		uint64_t pg = (start + i) % STRESS_SCRATCH_PAGES;
		uint8_t p = st_scr_perm[pg];

		if (p != STRESS_PERM_UNKNOWN && !(p & VTL_PERM_W))
			return STRESS_SCRATCH_GPA + pg * VTL_PAGE_SIZE;
	}
	return STRESS_SCRATCH_GPA + start * VTL_PAGE_SIZE;
}

/* Where a random access goes: never this guest's own data, stack, page tables or boot info. */
static uint64_t pick_mem_target(void)
{
	uint64_t r = rnd_below(100);

	if (r < 30)
		return STRESS_SCRATCH_GPA + rnd_below(STRESS_SCRATCH_PAGES * VTL_PAGE_SIZE);
	if (r < 45) /* the pages it protected itself */
		return scratch_ro_page() + rnd_below(VTL_PAGE_SIZE);
	if (r < 50) /* the last bytes of a page: the access may cross into the next */
		return STRESS_SCRATCH_GPA + (1 + rnd_below(STRESS_SCRATCH_PAGES)) * VTL_PAGE_SIZE -
		       1 - rnd_below(8);
	if (r < 62 && st_text_ro)
		return st_text_lo + rnd_below(st_text_hi - st_text_lo);
	if (r < 70 && st_ro_ro)
		return st_ro_lo + rnd_below(st_ro_hi - st_ro_lo);
	if (r < 70) /* its own image is not write-protected under this policy: spare it */
		return STRESS_SCRATCH_GPA + rnd_below(STRESS_SCRATCH_PAGES * VTL_PAGE_SIZE);
	if (r < 78) /* upper RAM: the policy's own ranges and random PROTECTs */
		return st_ram / 2 + rnd_below(st_ram / 2);
	if (r < 86) { /* the MMIO hole, minus the VTL0 device (its SHUTDOWN would end the run) */
		uint64_t a = st_ram + rnd_below((4ULL << 30) - st_ram);

		return in_range(a, VTL0_DEVICE_GPA, VTL0_DEVICE_GPA + VTL_DEVICE_SIZE)
			   ? VTL1_DEVICE_GPA
			   : a;
	}
	if (r < 90) /* not in VTL0's page tables: a #PF of its own */
		return VTL1_PRIV_GPA + rnd_below(8ULL << 20);
	if (r < 93)
		return st_ram - 1 - rnd_below(8);
	if (r < 96)
		return NONCANONICAL + rnd_below(1 << 20);
	return ~0ULL - rnd_below(4096);
}

static void check_ro_unchanged(uint64_t p, const uint8_t *before, uint64_t n, bool faulted)
{
	const volatile uint8_t *q = (const volatile uint8_t *)p;

	/* Under a policy that may allow writes, only a denied write proves anything. */
	if (!faulted && !(st_flags & STRESS_F_DENY))
		return;
	for (uint64_t i = 0; i < n; i++)
		if (page_known_ro(p + i) && q[i] != before[i])
			BREACH("a write to a read-only page landed", p + i, q[i]);
}

/* Copies the bytes of [p, p + n) that lie on pages known read-only; true if there are any. */
static bool snapshot_ro(uint64_t p, uint64_t n, uint8_t *before)
{
	bool any = false;

	for (uint64_t i = 0; i < n; i++) {
		before[i] = 0;
		if (page_known_ro(p + i)) {
			before[i] = *(volatile uint8_t *)(p + i);
			any = true;
		}
	}
	return any;
}

static void act_mem(void)
{
	uint64_t p = pick_mem_target();
	uint64_t v = rnd(), len = 1 + rnd_below(48);
	unsigned int form = (unsigned int)rnd_below(W_COUNT);
	uint64_t n = mem_store_len(form, len);
	uint8_t before[64];
	bool check;

	if (one_in(16)) {
		/* An instruction fetch: from the victim page, which may be no-access by now. */
		op_begin();
		__asm__ volatile(SITE("call stress_victim") : : : "r11", "memory");
		return;
	}
	if (one_in(4)) {
		op_begin();
		mem_load(p, (unsigned int)rnd_below(R_COUNT), len);
		return;
	}
	/* What must not change: the bytes on pages known read-only (readable by definition). */
	check = snapshot_ro(p, n, before);
	for (uint64_t i = 0; i < 8; i++)
		st_buf[i] = (uint8_t)(v >> (8 * i));
	op_begin();
	mem_store(p, v, form, len);
	if (check)
		check_ro_unchanged(p, before, n, op_faulted_with(EXC_PF));
}

/* ---- the VTL0 device ---- */

static void dev_write(uint64_t a, uint64_t v, unsigned int w)
{
	switch (w) {
	case 1:
		__asm__ volatile(SITE("movb %b0, (%1)") : : "r"(v), "r"(a) : "r11", "memory");
		break;
	case 2:
		__asm__ volatile(SITE("movw %w0, (%1)") : : "r"(v), "r"(a) : "r11", "memory");
		break;
	case 4:
		__asm__ volatile(SITE("movl %k0, (%1)") : : "r"(v), "r"(a) : "r11", "memory");
		break;
	default:
		__asm__ volatile(SITE("movq %0, (%1)") : : "r"(v), "r"(a) : "r11", "memory");
		break;
	}
}

static uint64_t dev_read(uint64_t a, unsigned int w)
{
	uint64_t v = 0;

	switch (w) {
	case 1:
		__asm__ volatile(SITE("movzbl (%1), %k0") : "+r"(v) : "r"(a) : "r11", "memory");
		break;
	case 2:
		__asm__ volatile(SITE("movzwl (%1), %k0") : "+r"(v) : "r"(a) : "r11", "memory");
		break;
	case 4:
		__asm__ volatile(SITE("movl (%1), %k0") : "+r"(v) : "r"(a) : "r11", "memory");
		break;
	default:
		__asm__ volatile(SITE("movq (%1), %0") : "+r"(v) : "r"(a) : "r11", "memory");
		break;
	}
	return v;
}

/* A call-block GPA: valid ones, read-only ones, and everything the monitor must refuse. */
static uint64_t pick_call_gpa(void)
{
	uint64_t r = rnd_below(100);

	if (r < 30)
		return (uintptr_t)&st_blk;
	if (r < 45)
		return STRESS_SCRATCH_GPA +
		       rnd_below(STRESS_SCRATCH_PAGES * VTL_PAGE_SIZE / 64) * 64;
	if (r < 55 && st_text_ro && st_ro_ro)
		return (st_text_lo + rnd_below(st_ro_hi - st_text_lo)) & ~63ULL;
	if (r < 55)
		return scratch_ro_page() + rnd_below(VTL_PAGE_SIZE / 64) * 64;
	if (r < 60)
		return STRESS_SCRATCH_GPA + rnd_below(STRESS_SCRATCH_PAGES * VTL_PAGE_SIZE);
	if (r < 65)
		return st_ram - 64 * rnd_below(3) + (one_in(2) ? 32 : 0);
	if (r < 70)
		return VTL1_PRIV_GPA + (rnd() & 0xFFFFFC0ULL);
	if (r < 75)
		return ~0ULL - 63 - (rnd() & 0xFC0ULL);
	if (r < 80)
		return VTL0_DEVICE_GPA + (rnd() & 0xFC0ULL);
	if (r < 85)
		return one_in(2) ? 0 : 64 * (1 + rnd_below(63)); /* page 0: unused by anyone */
	if (r < 90)
		return (st_ram / 2 + rnd_below(st_ram / 2)) & ~63ULL;
	return rnd();
}

/* Reads the 64 bytes at gpa when they are known read-only, to check no call result lands there. */
static bool call_snapshot(uint64_t gpa, uint8_t *snap)
{
	if ((gpa & 63) || gpa >= st_ram || !page_known_ro(gpa))
		return false;
	for (unsigned int i = 0; i < 64; i++)
		snap[i] = *(volatile uint8_t *)(gpa + i);
	return true;
}

static void call_check(uint64_t gpa, const uint8_t *snap)
{
	for (unsigned int i = 0; i < 64; i++)
		if (*(volatile uint8_t *)(gpa + i) != snap[i])
			BREACH("a call result was written into a read-only page", gpa + i, snap[i]);
}

static uint64_t pick_ucall_gpa(void)
{
	if (one_in(2)) {
		/* A ucall of random contents: any command, strings anywhere. */
		uint64_t s[] = {0,	    (uintptr_t)st_buf, STRESS_SCRATCH_GPA,
				st_ram - 1, scratch_ro_page(), VTL1_PRIV_GPA,
				~0ULL,	    st_text_lo};

		st_uc.cmd = one_in(2) ? (uint32_t)rnd_below(8) : (uint32_t)rnd();
		st_uc.line = (uint32_t)rnd();
		st_uc.file_gpa = PICK(s);
		st_uc.msg_gpa = PICK(s);
		for (unsigned int i = 0; i < 4; i++)
			st_uc.args[i] = rnd();
		st_uc.reserved = rnd();
		for (unsigned int i = 0; i < sizeof(st_buf); i++)
			st_buf[i] = (uint8_t)rnd();
		if (st_uc.cmd ==
		    VTL_UCALL_ASSERT_FAIL) /* the host would count it as this guest's */
			st_uc.cmd = VTL_UCALL_PRINT;
		return (uintptr_t)&st_uc;
	}
	return pick_call_gpa() | (one_in(4) ? rnd_below(8) : 0);
}

static void act_device(void)
{
	static const uint64_t regs[] = {
	    VTL0_REG_ID,	VTL0_REG_VERSION,     VTL0_REG_FEATURES,   VTL0_REG_CALL,
	    VTL0_REG_CALL,	VTL0_REG_CALL_STATUS, VTL0_REG_SHUTDOWN,   VTL0_REG_UCALL,
	    VTL0_REG_NULL,	VTL_DEVICE_SIZE - 8,  VTL_DEVICE_SIZE - 1, VTL_DEVICE_SIZE - 4,
	    VTL0_REG_CPU_START, VTL0_REG_VCPU};
	unsigned int w = 1U << rnd_below(4);
	uint64_t off = one_in(2) ? PICK(regs) : rnd_below(VTL_DEVICE_SIZE);
	uint64_t a = VTL0_DEVICE_GPA + off, v;
	uint8_t snap[64];
	bool snapped;

	if (one_in(4)) {
		op_begin();
		dev_read(a, w);
		return;
	}
	if (off == VTL0_REG_SHUTDOWN && w == 4 && !one_in(st_wild ? 64 : 2048))
		w = 8; /* SHUTDOWN ends the run: keep most runs long (a wrong width is ignored) */
	if (off == VTL0_REG_SHUTDOWN && w == 4)
		v = one_in(2) ? STRESS_EXIT_RANDOM : rnd() | 64;
	else if (off == VTL0_REG_CALL || off == VTL0_REG_CPU_START)
		v = pick_call_gpa();
	else if (off == VTL0_REG_UCALL)
		v = pick_ucall_gpa();
	else
		v = rnd();
	snapped = off == VTL0_REG_CALL && call_snapshot(v, snap);
	op_begin();
	dev_write(a, v, w);
	if (snapped)
		call_check(v, snap);
}

static bool write_faults(uint64_t a);

/* ---- VTL calls ---- */

static const uint64_t cr0_bits[] = {0, 1, 2, 3, 4, 5, 16, 18, 29, 30, 31};
static const uint64_t cr4_bits[] = {0,	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13,
				    14, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 28, 31, 40};

static uint64_t read_cr(int cr)
{
	uint64_t v;

	if (cr)
		__asm__ volatile("movq %%cr4, %0" : "=r"(v));
	else
		__asm__ volatile("movq %%cr0, %0" : "=r"(v));
	return v;
}

static const uint64_t msrs[] = {
    MSR_EFER,	0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084, 0xC0000100, 0xC0000101,
    0xC0000102, 0xC0000103, 0x174,	0x175,	    0x176,	0x48,	    0x49,
    0x1B,	0x277,	    0x1A0,	0x1D9,	    0x6A0,	0x6A2,	    0x6A4,
    0x6E1,	0xDA0,	    0x3A,	0x10,	    0x3B,	0x2FF,	    0x200,
    0x802,	0x80B,	    0x830,	0x40000000, 0x4B564D00, 0x4B564D01, 0x4B564D02,
    0x4B564D03, 0x4B564D04, 0x11,	0x12,	    0xC0010000, 0xC0010117, 0xFFFFFFFF,
};

static uint64_t pick_msr(void)
{
	return one_in(8) ? (uint32_t)rnd() : PICK(msrs);
}

/* Page-granular PROTECT arguments: mostly the scratch region, then everything else. */
static void pick_protect(uint64_t *gpa, uint64_t *pages, uint64_t *perms)
{
	uint64_t r = rnd_below(100);

	*perms = one_in(32) ? rnd() : rnd_below(8);
	if (r < 60) {
		uint64_t first = rnd_below(STRESS_SCRATCH_PAGES);

		*gpa = STRESS_SCRATCH_GPA + first * VTL_PAGE_SIZE;
		*pages = one_in(8) ? STRESS_SCRATCH_PAGES - first : 1 + rnd_below(8);
		if (one_in(32))
			*pages = 0;
		if (one_in(32))
			*gpa += 1 + rnd_below(VTL_PAGE_SIZE - 1);
	} else if (r < 70) {
		/* Its own text and rodata: never writable (text is locked, rodata is not asked). */
		uint64_t n = (st_ro_hi - st_text_lo) / VTL_PAGE_SIZE;
		uint64_t first = rnd_below(n);
		static const uint64_t ro[] = {VTL_PERM_R, VTL_PERM_R | VTL_PERM_X};

		*gpa = st_text_lo + first * VTL_PAGE_SIZE;
		*pages = 1 + rnd_below(n - first);
		*perms = PICK(ro);
		if (*gpa + *pages * VTL_PAGE_SIZE <= st_text_hi && one_in(2))
			*perms = VTL_PERM_MASK; /* locked: must be denied */
		if (one_in(8)) {
			/* No-access text: only the victim page, or the whole guest would go. */
			*gpa = (uintptr_t)stress_victim;
			*pages = 1;
			*perms = 0;
		}
	} else if (r < 82) {
		*gpa = st_ram / 2 + rnd_below(st_ram / 2 / VTL_PAGE_SIZE) * VTL_PAGE_SIZE;
		*pages =
		    one_in(8) ? (st_ram - *gpa) / VTL_PAGE_SIZE + rnd_below(2) : 1 + rnd_below(64);
	} else if (r < 95) {
		static const uint64_t g[] = {
		    0, VTL1_PRIV_GPA, ~0ULL & ~0xFFFULL, NONCANONICAL, VTL0_DEVICE_GPA, 1ULL << 52};
		static const uint64_t n[] = {1, 2, 1ULL << 52, ~0ULL, 1ULL << 40, 0x100000};

		*gpa = one_in(3) ? st_ram - VTL_PAGE_SIZE * rnd_below(2) : PICK(g);
		*pages = one_in(4) ? rnd() : PICK(n);
		if (*gpa == 0 && *pages < (1ULL << 40))
			*gpa =
			    st_ram; /* page 0 on: the boot area, the stack and this guest's data */
	} else if (st_wild) {
		/* Its own page tables, GDT, TSS or stack: the guest may well crash. */
		static const uint64_t g[] = {VTL_BOOT_PML4, VTL_BOOT_PD_LOW, VTL_BOOT_GDT,
					     VTL_BOOT_TSS, VTL_BOOT_STACK_TOP - VTL_PAGE_SIZE};

		*gpa = PICK(g);
		*pages = 1 + rnd_below(4);
		*perms = rnd_below(2) ? VTL_PERM_R : 0;
	} else {
		*gpa = st_ram / 2;
		*pages = st_ram / 2 / VTL_PAGE_SIZE;
	}
}

/* What PROTECT's answer says about the scratch pages and the victim page in [gpa, gpa + pages). */
static void protect_note(uint64_t gpa, uint64_t pages, uint64_t perms, uint32_t st)
{
	uint64_t v = (uintptr_t)stress_victim;

	if (v >= gpa && (v - gpa) / VTL_PAGE_SIZE < pages) {
		if (st == VTL_OK)
			st_victim_perm = (uint8_t)perms;
		else if (st == VTL_E_NO_RESOURCES)
			st_victim_perm = 0; /* may be no-access now: never read it again */
	}
	for (uint64_t pg = 0; pg < STRESS_SCRATCH_PAGES; pg++) {
		uint64_t a = STRESS_SCRATCH_GPA + pg * VTL_PAGE_SIZE;

		if (a < gpa || (a - gpa) / VTL_PAGE_SIZE >= pages)
			continue;
		if (st_held[pg]) /* a staged kexec image: VTL1 should refuse; if not, stop guessing
				  */
			st_held_perm[pg] = STRESS_PERM_UNKNOWN;
		else if (st == VTL_OK)
			st_scr_perm[pg] = (uint8_t)perms;
		else if (st == VTL_E_NO_RESOURCES)
			st_scr_perm[pg] = STRESS_PERM_UNKNOWN; /* may have stopped half-way */
	}
}

/*
 * KEXEC_LOAD holds the image's pages read-only before it measures them:
 * mostly scratch, its own text, upper RAM; sizes up to a few pages, then
 * anything. Nothing random matches the policy's digest or key, so each
 * load takes a failure path.
 */
static void pick_kexec(uint64_t *gpa, uint64_t *size, uint64_t *sig)
{
	uint64_t g[] = {STRESS_SCRATCH_GPA + rnd_below(STRESS_SCRATCH_PAGES) * VTL_PAGE_SIZE,
			st_text_lo,
			st_ram / 2 + rnd_below(64) * VTL_PAGE_SIZE,
			st_ram - VTL_PAGE_SIZE,
			STRESS_SCRATCH_GPA + 1 + rnd_below(VTL_PAGE_SIZE),
			st_ram,
			rnd(),
			STRESS_ELF_GPA,
			STRESS_ELF_GPA};
	uint64_t s[] = {0,
			(uintptr_t)st_buf,
			STRESS_SCRATCH_GPA + rnd_below(64) * 64,
			st_text_lo,
			scratch_ro_page(),
			st_ram - 32,
			VTL1_PRIV_GPA,
			rnd()};

	*gpa = PICK(g);
	*size = one_in(8)   ? rnd()
		: one_in(4) ? rnd_below(1 << 20)
			    : 1 + rnd_below(8 * VTL_PAGE_SIZE);
	/* The planted image as it is: it verifies, and a later KEXEC_EXEC ends the run in it. */
	if (*gpa == STRESS_ELF_GPA && one_in(4))
		*size = VTL_PAGE_SIZE;
	*sig = PICK(s);
}

static bool in_image(uint64_t a, uint64_t gpa, uint64_t size)
{
	return gpa + size >= gpa && a + VTL_PAGE_SIZE > gpa && a < gpa + size;
}

/*
 * A load went through: its pages stay held read-only while it is staged
 * (what they are exactly is VTL1's business: UNKNOWN here), and the image
 * it replaces gets its pages back as they were.
 */
static void kexec_note_staged(uint64_t gpa, uint64_t size)
{
	for (uint64_t pg = 0; pg < STRESS_SCRATCH_PAGES; pg++) {
		uint64_t a = STRESS_SCRATCH_GPA + pg * VTL_PAGE_SIZE;
		bool now = in_image(a, gpa, size);

		if (st_held[pg] && !now)
			st_scr_perm[pg] = st_held_perm[pg];
		else if (!st_held[pg] && now)
			st_held_perm[pg] = st_scr_perm[pg];
		if (now)
			st_scr_perm[pg] = STRESS_PERM_UNKNOWN;
		st_held[pg] = now;
	}
}

/* A load that failed must leave every page as it was: scratch pages known writable still are. */
static void kexec_check_released(uint64_t gpa, uint64_t size)
{
	for (uint64_t pg = 0; pg < STRESS_SCRATCH_PAGES; pg++) {
		uint64_t a = STRESS_SCRATCH_GPA + pg * VTL_PAGE_SIZE;

		if (!in_image(a, gpa, size))
			continue;
		if (st_scr_perm[pg] != STRESS_PERM_UNKNOWN && (st_scr_perm[pg] & VTL_PERM_R) &&
		    (st_scr_perm[pg] & VTL_PERM_W) && write_faults(a))
			BREACH("a failed KEXEC_LOAD left a writable page held", a, size);
	}
}

static uint64_t rdmsr_safe(uint32_t idx, bool *ok)
{
	uint32_t lo = 0, hi = 0;

	op_begin();
	__asm__ volatile(SITE("rdmsr") : "+a"(lo), "+d"(hi) : "c"(idx) : "r11", "memory");
	*ok = !st_faults;
	return (uint64_t)hi << 32 | lo;
}

static void msr_pin_note(uint32_t idx, bool pin)
{
	uint64_t v;
	bool ok;

	for (uint32_t i = 0; i < st_msr_pins; i++) {
		if (st_msr_pin_idx[i] != idx)
			continue;
		if (!pin) {
			st_msr_pins--;
			st_msr_pin_idx[i] = st_msr_pin_idx[st_msr_pins];
			st_msr_pin_val[i] = st_msr_pin_val[st_msr_pins];
		}
		return;
	}
	if (!pin || st_msr_pins == STRESS_MSR_PINS)
		return;
	v = rdmsr_safe(idx, &ok);
	if (!ok)
		return;
	st_msr_pin_idx[st_msr_pins] = idx;
	st_msr_pin_val[st_msr_pins++] = v;
}

static void act_call(void)
{
	static const uint64_t nrs[] = {
	    VTL_CALL_NOP,
	    VTL_CALL_ECHO,
	    VTL_CALL_PROTECT,
	    VTL_CALL_PROTECT,
	    VTL_CALL_PROTECT,
	    VTL_CALL_PROTECT,
	    VTL_CALL_PIN_CR,
	    VTL_CALL_PIN_CR,
	    VTL_CALL_PIN_MSR,
	    VTL_CALL_PIN_MSR,
	    VTL_CALL_UNPIN_CR,
	    VTL_CALL_UNPIN_MSR,
	    VTL_CALL_KEXEC_LOAD,
	    VTL_CALL_KEXEC_LOAD,
	    VTL_CALL_KEXEC_LOAD,
	    VTL_CALL_KEXEC_EXEC,
	    VTL_CALL_END_OF_BOOT,
	    0x16,
	    0x22,
	    0xFFFFFFFF,
	};
	struct vtl_call_block *b = &st_blk;
	uint32_t nr = one_in(16) ? (uint32_t)rnd() : (uint32_t)PICK(nrs);
	uint64_t a0 = rnd(), a1 = rnd(), a2 = rnd(), a3 = rnd();
	uint32_t st;
	int cr = one_in(2) ? 4 : 0;

	if (nr == VTL_CALL_END_OF_BOOT && !one_in(8))
		nr = VTL_CALL_NOP; /* once it is over, relaxations are refused: keep boot going a
				      while */
	switch (nr) {
	case VTL_CALL_PROTECT: pick_protect(&a0, &a1, &a2); break;
	case VTL_CALL_PIN_CR:
	case VTL_CALL_UNPIN_CR:
		a0 = one_in(8) ? rnd_below(16) : (uint64_t)cr;
		a1 = one_in(8) ? rnd() : 1ULL << (cr ? PICK(cr4_bits) : PICK(cr0_bits));
		break;
	case VTL_CALL_PIN_MSR:
	case VTL_CALL_UNPIN_MSR: a0 = pick_msr(); break;
	case VTL_CALL_KEXEC_LOAD: pick_kexec(&a0, &a1, &a2); break;
	default: break;
	}
	b->nr = nr;
	b->flags = one_in(16) ? (uint32_t)rnd() : 0;
	b->reserved = one_in(16) ? (uint32_t)rnd() : 0;
	b->status = (uint32_t)rnd();
	b->args[0] = a0;
	b->args[1] = a1;
	b->args[2] = a2;
	b->args[3] = a3;
	op_begin();
	st = vtl_call(b);
	if (b->flags || b->reserved)
		return;
	switch (nr) {
	case VTL_CALL_ECHO:
		if (st == VTL_OK && (b->results[0] != a0 || b->results[1] != a1))
			BREACH("ECHO returned other values", b->results[0], a0);
		break;
	case VTL_CALL_PROTECT: protect_note(a0, a1, a2, st); break;
	case VTL_CALL_KEXEC_LOAD:
		if (st == VTL_OK)
			kexec_note_staged(a0, a1);
		else
			kexec_check_released(a0, a1);
		break;
	case VTL_CALL_PIN_CR:
	case VTL_CALL_UNPIN_CR:
		if (st != VTL_OK || (a0 != 0 && a0 != 4))
			break;
		cr = a0 ? 1 : 0;
		if (nr == VTL_CALL_PIN_CR) {
			st_cr_pin_mask[cr] |= a1;
			st_cr_pin_val[cr] = (st_cr_pin_val[cr] & ~a1) | (read_cr(cr) & a1);
		} else {
			st_cr_pin_mask[cr] &= ~a1;
		}
		break;
	case VTL_CALL_PIN_MSR:
	case VTL_CALL_UNPIN_MSR:
		if (st == VTL_OK)
			msr_pin_note((uint32_t)a0, nr == VTL_CALL_PIN_MSR);
		break;
	default: break;
	}
}

/* ---- MSRs, CRs and ports ---- */

/* A GPA for a KVM paravirtual MSR (kvmclock and friends write guest memory there). */
static uint64_t pick_pv_gpa(void)
{
	uint64_t g[] = {STRESS_SCRATCH_GPA + rnd_below(STRESS_SCRATCH_PAGES) * VTL_PAGE_SIZE,
			scratch_ro_page(),
			st_text_lo,
			st_ro_lo,
			st_ram / 2,
			st_ram,
			VTL1_PRIV_GPA,
			rnd() & ~63ULL};

	return PICK(g) | (one_in(4) ? 0 : 1);
}

static void check_msr_pins(void)
{
	bool ok;

	if (!(st_flags & STRESS_F_DENY))
		return;
	for (uint32_t i = 0; i < st_msr_pins; i++) {
		uint64_t v = rdmsr_safe(st_msr_pin_idx[i], &ok);

		if (ok && v != st_msr_pin_val[i])
			BREACH("a pinned MSR changed", st_msr_pin_idx[i], v);
	}
}

static void act_msr(void)
{
	uint32_t idx = (uint32_t)pick_msr();
	uint64_t v = rnd();
	bool ok;

	if (one_in(4)) {
		rdmsr_safe(idx, &ok);
		return;
	}
	if ((idx >= 0x4B564D00 && idx <= 0x4B564D04) || idx == 0x11 || idx == 0x12) {
		v = pick_pv_gpa();
	} else if (one_in(2)) {
		uint64_t cur = rdmsr_safe(idx, &ok);
		uint64_t alt[] = {cur ^ (1ULL << rnd_below(64)), cur, st_text_lo, 0, cur + 0x1000};

		v = PICK(alt);
	}
	op_begin();
	__asm__ volatile(SITE("wrmsr")
			 :
			 : "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "r11", "memory");
	check_msr_pins();
}

static void check_cr_pins(void)
{
	if (!(st_flags & STRESS_F_DENY) || !(st_cr_pin_mask[0] | st_cr_pin_mask[1]))
		return;
	/* A CR write never exits: the monitor sees (and undoes) it at the next exit. */
	vtl_device_write64(VTL0_REG_NULL, 0);
	for (int cr = 0; cr < 2; cr++)
		if ((read_cr(cr) ^ st_cr_pin_val[cr]) & st_cr_pin_mask[cr])
			BREACH("a pinned CR bit stayed changed after an exit", cr ? 4 : 0,
			       read_cr(cr));
}

static void act_cr(void)
{
	int cr = one_in(2);
	uint64_t bit = cr ? PICK(cr4_bits) : PICK(cr0_bits);
	uint64_t v;

	/* Clearing PE, PG or PAE in long mode raises #GP; even so, only wild seeds try it. */
	if (!st_wild && ((!cr && (bit == 0 || bit == 31)) || (cr && bit == 5)))
		bit = cr ? 7 : 1;
	v = read_cr(cr) ^ (1ULL << bit);
	op_begin();
	if (cr)
		__asm__ volatile(SITE("movq %0, %%cr4") : : "r"(v) : "r11", "memory");
	else
		__asm__ volatile(SITE("movq %0, %%cr0") : : "r"(v) : "r11", "memory");
	check_cr_pins();
}

static void act_port(void)
{
	static const uint64_t ports[] = {VTL_CONSOLE_PORT,
					 VTL_CONSOLE_PORT,
					 0x3F9,
					 0x3FD,
					 VTL_RESET_PORT,
					 0xCF8,
					 0xCFC,
					 0x80,
					 0x60,
					 0x64,
					 0x70,
					 0x71,
					 0x20,
					 0x21,
					 0x40,
					 0x43,
					 0x61,
					 0x92,
					 0x402,
					 0x501,
					 0x604,
					 0xB004};
	uint16_t port = one_in(8) ? (uint16_t)rnd() : (uint16_t)PICK(ports);
	uint64_t v = rnd();
	uint64_t len = 1 + rnd_below(200), src = (uintptr_t)st_buf, dst, p, n;
	uint8_t before[64];
	bool check;

	unsigned int how = (unsigned int)rnd_below(6);

	/*
	 * RST_CPU at the reset port resets the guest, which then replays this
	 * seed up to the policy's reset limit: wild seeds only. The monitor
	 * looks at the last byte of a wider OUT, so clear the bit in every byte.
	 */
	if (port == VTL_RESET_PORT && !(st_wild && one_in(4))) {
		v &= ~(0x0101010101010101ULL * VTL_RESET_PORT_RST_CPU);
		how = how == 4 ? 0 : how;
	}
	op_begin();
	switch (how) {
	case 0:
		__asm__ volatile(SITE("outb %b0, %w1") : : "a"(v), "d"(port) : "r11", "memory");
		break;
	case 1:
		__asm__ volatile(SITE("outw %w0, %w1") : : "a"(v), "d"(port) : "r11", "memory");
		break;
	case 2:
		__asm__ volatile(SITE("outl %k0, %w1") : : "a"(v), "d"(port) : "r11", "memory");
		break;
	case 3:
		__asm__ volatile(SITE("inb %w1, %b0") : "+a"(v) : "d"(port) : "r11", "memory");
		break;
	case 4:
		/* A string out of any memory, a no-access scratch page included. */
		if (one_in(2))
			src = pick_mem_target() & ~0xFFULL;
		__asm__ volatile(SITE("rep outsb")
				 : "+S"(src), "+c"(len)
				 : "d"(port)
				 : "r11", "memory");
		break;
	default:
		/* A string in, into scratch (its read-only pages included) or its own buffer. */
		len = 1 + rnd_below(sizeof(before));
		dst = one_in(2) ? (uintptr_t)st_buf : scratch_ro_page() + rnd_below(VTL_PAGE_SIZE);
		n = len;
		check = snapshot_ro(dst, n, before);
		p = dst;
		__asm__ volatile(SITE("rep insb")
				 : "+D"(dst), "+c"(len)
				 : "d"(port)
				 : "r11", "memory");
		if (check)
			check_ro_unchanged(p, before, n, op_faulted_with(EXC_PF));
		break;
	}
}

/*
 * A minimal loadable VTL0 ELF: ELF64 header, one R+X PT_LOAD of this very
 * page at STRESS_ELF_LOAD, and a kernel that shuts down with
 * STRESS_EXIT_KEXEC. The page is the same for every seed: its SHA-256 (of
 * 4096 bytes) is in tests/policies/stress-deny.policy, so a KEXEC_LOAD of
 * it, untouched, succeeds, and a later KEXEC_EXEC runs it.
 */
/* mov $(VTL0_DEVICE_GPA + VTL0_REG_SHUTDOWN), %eax; movl $62, (%rax); 1: hlt; jmp 1b */
static const uint8_t stress_kernel[] = {0xB8, 0x20, 0x00, 0xB0, 0xFE, 0xC7, 0x00, STRESS_EXIT_KEXEC,
					0,    0,    0,	  0xF4, 0xEB, 0xFD};

static void plant_elf(uint64_t at)
{
	uint8_t *e = (uint8_t *)(uintptr_t)at;
	uint64_t *ph = (uint64_t *)(uintptr_t)(at + 64);

	for (uint64_t *q = (uint64_t *)(uintptr_t)at;
	     q < (uint64_t *)(uintptr_t)(at + VTL_PAGE_SIZE); q++)
		*q = 0;
	e[0] = 0x7F;
	e[1] = 'E';
	e[2] = 'L';
	e[3] = 'F';
	e[4] = 2;				       /* ELFCLASS64 */
	e[5] = 1;				       /* ELFDATA2LSB */
	e[6] = 1;				       /* EV_CURRENT */
	*(uint16_t *)(e + 16) = 2;		       /* ET_EXEC */
	*(uint16_t *)(e + 18) = 62;		       /* EM_X86_64 */
	*(uint32_t *)(e + 20) = 1;		       /* e_version */
	*(uint64_t *)(e + 24) = STRESS_ELF_LOAD + 120; /* e_entry: after the headers */
	*(uint64_t *)(e + 32) = 64;		       /* e_phoff */
	*(uint16_t *)(e + 52) = 64;		       /* e_ehsize */
	*(uint16_t *)(e + 54) = 56;		       /* e_phentsize */
	*(uint16_t *)(e + 56) = 1;		       /* e_phnum */
	ph[0] = 1 | (5ULL << 32);		       /* PT_LOAD, PF_R | PF_X */
	ph[1] = 0;				       /* p_offset */
	ph[2] = STRESS_ELF_LOAD;		       /* p_vaddr */
	ph[3] = STRESS_ELF_LOAD;		       /* p_paddr */
	ph[4] = VTL_PAGE_SIZE;			       /* p_filesz */
	ph[5] = VTL_PAGE_SIZE;			       /* p_memsz */
	ph[6] = VTL_PAGE_SIZE;			       /* p_align */
	for (unsigned int i = 0; i < sizeof(stress_kernel); i++)
		e[120 + i] = stress_kernel[i];
}

/* ---- secondaries (--cpus N > 1) ---- */

/*
 * Each secondary stores into scratch pages (where the boot vCPU's model
 * checks that read-only pages never change) and into read-only text,
 * calls ECHO on its own block, clears a pinned CR bit and pokes the device,
 * while the boot vCPU protects, pins, kexecs and resets. It has its own
 * store site and fault counts: the boot vCPU's (stress_site) stay its own.
 */
#define STRESS_SEC_STRAY_MAX 64U

static volatile uint64_t st_sec_faults[VTL_MAX_CPUS];
static volatile uint32_t st_sec_stray[VTL_MAX_CPUS];
extern const char stress_sec_site[], stress_sec_resume[];

static __attribute__((noinline)) void sec_store(uint64_t p, uint64_t v)
{
	__asm__ volatile(".globl stress_sec_site, stress_sec_resume\n"
			 "stress_sec_site: movq %%rbx, (%%rax)\n"
			 "stress_sec_resume:"
			 :
			 : "a"(p), "b"(v)
			 : "memory");
}

static __attribute__((noreturn)) void stress_sec_park(void)
{
	for (;;)
		__asm__ volatile("pause" ::: "memory");
}

static void stress_secondary_exc(struct exc_frame *f)
{
	uint32_t cpu = vtl0_cpu();

	/*
	 * On the store, or just past it when the monitor could not tell which
	 * instruction wrote (`precise` false: the bytes before it decode two
	 * ways) and delivered the #PF where the vCPU was.
	 */
	if (f->vector == EXC_PF &&
	    (f->rip == (uintptr_t)stress_sec_site || f->rip == (uintptr_t)stress_sec_resume)) {
		st_sec_faults[cpu]++;
		f->rip = (uintptr_t)stress_sec_resume;
		return;
	}
	/* A #GP for a pinned CR bit lands where the vCPU happens to be: go on. */
	if (++st_sec_stray[cpu] > STRESS_SEC_STRAY_MAX)
		f->rip = (uintptr_t)stress_sec_park;
}

static void stress_secondary(void *arg)
{
	uint32_t cpu = vtl0_cpu();
	uint64_t s = (uint64_t)(uintptr_t)arg, r0 = 0, r1 = 0;

	idt_load();
	for (;;) {
		uint64_t x = splitmix64(s++);
		uint64_t before = st_sec_faults[cpu];

		switch (x % 8) {
		case 4: {
			uint64_t a = st_text_lo + (x >> 8) % (st_text_hi - st_text_lo) / 8 * 8;
			uint64_t old = *(volatile uint64_t *)a;

			sec_store(a, old ^ x);
			if (st_text_ro &&
			    (st_sec_faults[cpu] == before || *(volatile uint64_t *)a != old))
				BREACH("a secondary's write to read-only text landed", cpu, x);
			break;
		}
		case 5:
			if (vtl_call2(VTL_CALL_ECHO, x, cpu, &r0, &r1) != VTL_OK || r0 != x ||
			    r1 != cpu)
				BREACH("a secondary's ECHO came back wrong", cpu, r0);
			break;
		case 6: {
			uint64_t cr0;

			__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
			__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~(1ULL << 16)) : "memory");
			vtl_device_write64(VTL0_REG_NULL, 0);
			break;
		}
		case 7:
			if (vtl_device_read32(VTL0_REG_VCPU) != cpu)
				BREACH("the VCPU register named another vCPU", cpu, 0);
			break;
		default:
			sec_store(STRESS_SCRATCH_GPA +
				      (x >> 8) % ((STRESS_SCRATCH_PAGES - 1) * VTL_PAGE_SIZE) / 8 *
					  8,
				  x);
			break;
		}
	}
}

/* ---- setup and the loop ---- */

/* Does a write of the byte already there fault? (No byte changes either way.) */
static bool write_faults(uint64_t a)
{
	uint8_t b = *(volatile uint8_t *)a;

	op_begin();
	mem_store(a, b, W_MOVB, 1);
	return op_faulted_with(EXC_PF);
}

static void stress_setup(const struct vtl_boot_info *bi)
{
	const struct vtl_mem_range *mod = 0;
	uint64_t seed = 1, iters = STRESS_ITERS_DEFAULT, top = 0, x;

	st_ram = bi->vtl0_ram_size;
	for (uint32_t i = 0; i < bi->nr_mem && i < VTL_BOOT_MAX_MEM; i++) {
		const struct vtl_mem_range *r = &bi->mem[i];

		if (r->type == VTL_MEM_MODULE && !mod)
			mod = r;
		if ((r->type == VTL_MEM_MODULE || r->type == VTL_MEM_IMAGE) &&
		    r->base + r->size > top)
			top = r->base + r->size;
	}
	if (mod && mod->size >= sizeof(uint64_t))
		seed = ((const struct stress_module *)(uintptr_t)mod->base)->seed;
	if (mod && mod->size >= sizeof(struct stress_module)) {
		const struct stress_module *sm = (const struct stress_module *)(uintptr_t)mod->base;

		iters = sm->iters ? sm->iters : iters;
		st_flags = sm->flags;
	}
	for (uint32_t i = 0; i < bi->nr_vtl0_segments && i < VTL_BOOT_MAX_SEGMENTS; i++) {
		const struct vtl_segment *s = &bi->vtl0_segments[i];

		if (s->flags & VTL_SEG_X) {
			st_text_lo = s->gpa;
			st_text_hi = s->gpa + s->size;
		} else if (!(s->flags & VTL_SEG_W)) {
			st_ro_lo = s->gpa;
			st_ro_hi = s->gpa + s->size;
		}
	}
	GUEST_ASSERT(st_text_lo && st_ro_lo && st_text_hi == st_ro_lo);
	GUEST_ASSERT(top <= STRESS_SCRATCH_GPA && STRESS_SCRATCH_END <= st_ram / 2);
	st_iter = iters < STRESS_ITERS_MAX ? iters : STRESS_ITERS_MAX;
	st_rng = splitmix64(seed) | 1; /* xorshift must not start at 0 */
	st_wild = (splitmix64(seed ^ 0x77696C64ULL) & 7) == 0;
	for (unsigned int i = 0; i < STRESS_SCRATCH_PAGES; i++)
		st_scr_perm[i] = VTL_PERM_MASK;
	GUEST_PRINTF("stress seed 0x%lx: %lu iterations, flags 0x%x%s", seed, st_iter, st_flags,
		     st_wild ? ", wild" : "");

	idt_install();
	for (unsigned int v = 0; v < IDT_NR_EXCEPTIONS; v++)
		idt_set_handler(v, stress_on_exc);
	st_text_ro = write_faults(st_text_lo);
	st_ro_ro = write_faults(st_ro_lo);
	/*
	 * Scratch starts out as call blocks with random headers, a few of them
	 * well-formed. Only the headers: every store here costs about a
	 * microsecond (KVM-HOST-NOTES), and the rest is zero, which is fine.
	 */
	x = rnd();
	for (uint64_t *q = (uint64_t *)STRESS_SCRATCH_GPA; q < (uint64_t *)STRESS_SCRATCH_END;
	     q += 8) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		q[0] = x & 1 ? (x >> 40) % (VTL_CALL_KEXEC_EXEC + 1) : x;
		q[1] = x & 2 ? 0 : x >> 7;
		q[2] = x >> 3;
	}
	plant_elf(STRESS_ELF_GPA);
	for (uint32_t cpu = 1; cpu < bi->nr_vcpus && cpu < VTL_MAX_CPUS; cpu++)
		if (vtl0_cpu_start(cpu, stress_secondary, (void *)(uintptr_t)(seed ^ cpu)) !=
		    VTL_OK)
			BREACH("a secondary did not start", cpu, 0);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t iters;
	uint32_t st;

	stress_setup(bi);
	iters = st_iter;
	for (st_iter = 0; st_iter < iters; st_iter++) {
		uint64_t r = rnd_below(100);

		st_stray = 0;
		if (r < 20)
			act_device();
		else if (r < 45)
			act_call();
		else if (r < 55)
			act_msr();
		else if (r < 60)
			act_cr();
		else if (r < 64)
			act_port();
		else
			act_mem();
		if (st_iter % STRESS_CHECKPOINT == STRESS_CHECKPOINT - 1)
			vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, st_iter + 1, 0);
	}
	/* The monitor still answers, and still as itself. */
	st_stray = 0;
	st_blk.nr = VTL_CALL_ECHO;
	st_blk.flags = st_blk.reserved = 0;
	st_blk.args[0] = iters;
	st_blk.args[1] = ~iters;
	st = vtl_call(&st_blk);
	if (st != VTL_OK || st_blk.results[0] != iters || st_blk.results[1] != ~iters)
		BREACH("the monitor no longer answers ECHO", st, st_blk.results[0]);
	if (vtl_device_read32(VTL0_REG_ID) != VTL0_DEVICE_ID)
		BREACH("the device ID changed", vtl_device_read32(VTL0_REG_ID), 0);
	vtl_ucall4(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, iters, st_exc_count[EXC_PF],
		   st_exc_count[EXC_GP], 0);
	GUEST_DONE();
}
