/* A minimal VTL0 kernel built only on the ABI headers: console, one VTL call, a read-only page. */
#include <stddef.h>
#include <stdint.h>

#include "vtl1_abi.h" /* VTL_PERM_* */
#include "vtl_boot.h"
#include "vtl_call.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/* The exit codes this guest asks for: `vtlmon run` exits with the same number. */
enum {
	EXIT_OK = 0,
	EXIT_BAD_BOOT = 1, /* not started by a vtlmon speaking ABI version 1 */
	EXIT_CALL = 2,	   /* the ECHO call failed */
	EXIT_PF = 3,	   /* a #PF outside the probe */
	EXIT_PROTECT = 4,  /* PROTECT failed or the write to the read-only page went through */
};

/* In start.S. */
uint64_t minimal_probe_write(uint64_t *p, uint64_t v);
void minimal_pf_entry(void);

/* Called from start.S only. */
int minimal_main(const struct vtl_boot_info *bi);
__attribute__((noreturn)) void minimal_shutdown(uint32_t code);
__attribute__((noreturn)) void minimal_unexpected_pf(uint64_t rip);

/*
 * Device registers are read and written with exactly one instruction of
 * their width: the monitor decodes each access from a single exit. The
 * "memory" clobber orders the access after the guest's plain stores (the
 * call block) and makes the compiler reload what the monitor wrote back.
 */
static inline uint32_t dev_read32(uint32_t reg)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(VTL0_DEVICE_GPA + reg) : "memory");
	return v;
}

static inline uint64_t dev_read64(uint32_t reg)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(VTL0_DEVICE_GPA + reg) : "memory");
	return v;
}

static inline void dev_write32(uint32_t reg, uint32_t v)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(VTL0_DEVICE_GPA + reg) : "memory");
}

static inline void dev_write64(uint32_t reg, uint64_t v)
{
	__asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(VTL0_DEVICE_GPA + reg) : "memory");
}

/* The monitor prints (and logs as a `console` event) one line per newline. */
static void console_write(const char *s, size_t n)
{
	/* One `rep outsb` is one exit for the whole string. */
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(VTL_CONSOLE_PORT) : "memory");
}

static void console_puts(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	console_write(s, n);
}

static void console_hex(uint64_t v)
{
	char buf[18];
	int i = sizeof(buf);

	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	console_write(buf + i, sizeof(buf) - (size_t)i);
}

void minimal_shutdown(uint32_t code)
{
	dev_write32(VTL0_REG_SHUTDOWN, code);
	/* The run is over: should the monitor resume this vCPU anyway, stay put. */
	for (;;)
		__asm__ volatile("hlt");
}

void minimal_unexpected_pf(uint64_t rip)
{
	console_puts("minimal: unexpected #PF at rip ");
	console_hex(rip);
	console_puts("\n");
	minimal_shutdown(EXIT_PF);
}

/*
 * One call block is enough for one vCPU. It must be 64-byte aligned (so it
 * never crosses a page) and in a page VTL0 can write: the monitor writes
 * status and results back into it.
 */
static struct vtl_call_block call_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static uint32_t vtl_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	call_blk.nr = nr;
	call_blk.flags = 0;
	call_blk.reserved = 0;
	call_blk.args[0] = a0;
	call_blk.args[1] = a1;
	call_blk.args[2] = a2;
	call_blk.args[3] = 0;
	/* No call returns this status: a block the monitor did not answer cannot read as OK. */
	call_blk.status = 0xffffffffU;
	/* The whole call is this one write: VTL1 has answered when the next instruction runs. */
	dev_write64(VTL0_REG_CALL, (uint64_t)(uintptr_t)&call_blk);
	return call_blk.status;
}

/* A 64-bit interrupt gate (SDM vol. 3, 6.14.1). */
struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; /* 0x8E: present, DPL 0, interrupt gate */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "a long-mode gate is 16 bytes");

#define VEC_PF	 14
#define PF_ERR_W (1ULL << 1)

/* Vectors 0-15; any other exception finds no gate and ends as a triple fault (a reset). */
static struct idt_gate idt[16] __attribute__((aligned(16)));

/* The monitor's IDT has no present gate: a guest that wants to see a fault loads its own. */
static void idt_load_pf(void)
{
	uint64_t h = (uint64_t)(uintptr_t)minimal_pf_entry;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

	idt[VEC_PF].off_lo = (uint16_t)h;
	idt[VEC_PF].sel = VTL_SEL_CODE;
	idt[VEC_PF].type = 0x8E;
	idt[VEC_PF].off_mid = (uint16_t)(h >> 16);
	idt[VEC_PF].off_hi = (uint32_t)(h >> 32);
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

/* A page of its own, alone in its page, so protecting it touches nothing else (the call block). */
static uint64_t scratch[VTL_PAGE_SIZE / sizeof(uint64_t)] __attribute__((aligned(VTL_PAGE_SIZE)));

/*
 * Makes `scratch` read-only through VTL1 and tries to write it. Under the
 * default policy (`action mem-write deny`) VTL1 answers the write with a
 * #PF (error code P|W) and the store never happens.
 */
static int protect_demo(void)
{
	uint64_t gpa = (uint64_t)(uintptr_t)scratch, err;
	uint32_t st;

	if (!(dev_read64(VTL0_REG_FEATURES) & VTL_FEAT_PERM_READONLY)) {
		console_puts("minimal: this host cannot make a page read-only; skipped\n");
		return EXIT_OK;
	}
	idt_load_pf();
	st = vtl_call(VTL_CALL_PROTECT, gpa, 1, VTL_PERM_R);
	if (st != VTL_OK) {
		console_puts("minimal: PROTECT failed: ");
		console_puts(vtl_strerror(st));
		console_puts("\n");
		return EXIT_PROTECT;
	}
	err = minimal_probe_write(&scratch[0], 0x5a5a5a5a5a5a5a5aULL);
	if (err == ~0ULL || !(err & PF_ERR_W) || scratch[0] != 0) {
		console_puts("minimal: the write to the read-only page was not denied\n");
		return EXIT_PROTECT;
	}
	console_puts("minimal: write to read-only page ");
	console_hex(gpa);
	console_puts(" denied, #PF error ");
	console_hex(err);
	console_puts("\n");
	return EXIT_OK;
}

int minimal_main(const struct vtl_boot_info *bi)
{
	uint32_t st;

	console_puts("minimal: hello from an out-of-tree VTL0 kernel\n");
	/* Everything below depends on these: refuse to guess on a mismatch. */
	if (bi->magic != VTL_BOOT_MAGIC || bi->abi_version != VTL_ABI_VERSION ||
	    dev_read32(VTL0_REG_ID) != VTL0_DEVICE_ID) {
		console_puts("minimal: not a vtlmon ABI 1 boot\n");
		return EXIT_BAD_BOOT;
	}
	console_puts("minimal: VTL0 RAM ");
	console_hex(bi->vtl0_ram_size);
	console_puts(", ");
	console_hex(bi->nr_vtl0_segments);
	console_puts(" segments, features ");
	console_hex(dev_read64(VTL0_REG_FEATURES));
	console_puts("\n");

	st = vtl_call(VTL_CALL_ECHO, 0x1234, 0x5678, 0);
	if (st != VTL_OK || call_blk.results[0] != 0x1234 || call_blk.results[1] != 0x5678) {
		console_puts("minimal: ECHO failed: ");
		console_puts(vtl_strerror(st));
		console_puts("\n");
		return EXIT_CALL;
	}
	console_puts("minimal: ECHO answered by VTL1\n");

	st = (uint32_t)protect_demo();
	if (st != EXIT_OK)
		return (int)st;
	console_puts("minimal: done\n");
	return EXIT_OK;
}
