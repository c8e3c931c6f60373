/* libFuzzer target: the Linux boot protocol (linux_boot.c) on kernels a guest can kexec. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_common.h"
#include "monitor/base/le.h"
#include "monitor/x86/boot.h"
#include "monitor/x86/linux_boot.h"
#include "vtl_layout.h"

/*
 * Input layout (zero past the end):
 *   u32 flags: bit 0 takes the RAM size raw (any size in [VTL0_RAM_MIN, 4 GiB]),
 *              else a 2 MiB multiple in [VTL0_RAM_MIN, VTL0_RAM_MAX] as the monitor
 *              accepts; bits 1-2 the command-line length: below 2 * LINUX_CMDLINE_AREA,
 *              raw, or within 2 bytes of the kernel's limit; bits 3-4 the message
 *              buffer (none, 1 byte, 24 bytes, MSG_MAX bytes); bits 5-6 the initrd
 *              size: at most the RAM size and a page, raw, or within a page of the
 *              room between the kernel's end and the highest address it may use;
 *              bit 7 takes the kernel's end raw from kend (linux_place_initrd's own
 *              contract, beyond the layouts the monitor makes).
 *   u32 ram, u64 cmdline length, u64 initrd size, u64 kend (where a vmlinux's
 *   PT_LOADs end, which the ELF loader decides: page-aligned in (1 MiB, RAM];
 *   also a raw RAM size for linux_e820_map alone), then the kernel file
 *   (offset 32: the rest of the input).
 * The kernel is a heap copy of exactly its size, so ASan sees a read one byte
 * past it. The monitor's sequence is linux_plan()'s (monitor/vm/build.c):
 * probe, command line, the kernel's end, initrd; then linux_write()'s zero
 * page. Every result is checked against a reference written from
 * linux_boot.h and boot.rst, in exact 128-bit arithmetic.
 */
#define MIB	  (1ULL << 20)
#define RAM_TOP	  (4ULL << 30)
#define MSG_MAX	  160u
#define MSG_BUF	  (MSG_MAX + 16)
#define POISON	  0xA5
#define PAGE_MASK (VTL_PAGE_SIZE - 1)

/*
 * linux_boot_vcpu needs KVM and the boot area builder; it is not fuzzed, so
 * what it calls is stubbed here only to link linux_boot.c on its own.
 */
int boot_build_tables(const struct boot_area *a)
{
	FUZZ_CHECK(0, "boot_build_tables called");
	return -1;
}

void boot_entry_state(const struct boot_area *a, uint64_t entry, struct kvm_sregs *sregs,
		      struct kvm_regs *regs)
{
	FUZZ_CHECK(0, "boot_entry_state called");
}

void *guest_ram_ptr(const struct guest_ram *ram, gpa_t g, uint64_t len)
{
	FUZZ_CHECK(0, "guest_ram_ptr called");
	return NULL;
}

int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	FUZZ_CHECK(0, "vcpu_get_sregs called");
	return -1;
}

int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	FUZZ_CHECK(0, "vcpu_set_sregs called");
	return -1;
}

int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	FUZZ_CHECK(0, "vcpu_set_regs called");
	return -1;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static bool disjoint(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return (unsigned __int128)a + alen <= b || (unsigned __int128)b + blen <= a;
}

/*
 * linux_probe from the header's and boot.rst's words: an ELF is a vmlinux
 * with the defaults; "HdrS" at 0x202 is a bzImage, accepted when its header
 * is whole (protocol 2.12 ends at 0x268), boot_flag is 0xAA55, the protocol
 * is 2.12 or later with XLF_KERNEL_64, setup_sects (0 means 4) leaves a
 * protected-mode kernel, a relocatable kernel's kernel_alignment is a power
 * of two in [4 KiB, 1 GiB], pref_address is page-aligned at or above 1 MiB,
 * and [load address, + max(init_size, kernel size)) fits in RAM, the load
 * address being pref_address rounded up to kernel_alignment when relocatable.
 */
static bool ref_probe(const uint8_t *b, size_t len, uint64_t ram, struct linux_kernel_info *r)
{
	uint64_t setup, pref, need;
	unsigned __int128 load;
	uint32_t hdr_end;

	memset(r, 0, sizeof(*r));
	r->cmdline_size = LINUX_DEFAULT_CMDLINE_SIZE;
	r->initrd_addr_max = LINUX_DEFAULT_INITRD_MAX;
	if (len >= 4 && b[0] == 0x7F && b[1] == 'E' && b[2] == 'L' && b[3] == 'F') {
		r->kind = LINUX_KIND_VMLINUX;
		return true;
	}
	if (len < 0x206 || le32_get(b + 0x202) != 0x53726448 || len < 0x268 ||
	    le16_get(b + 0x1FE) != 0xAA55 || le16_get(b + 0x206) < 0x020C ||
	    !(le16_get(b + 0x236) & 1))
		return false;
	setup = ((uint64_t)(b[0x1F1] ? b[0x1F1] : 4) + 1) * 512;
	if (setup >= len)
		return false;
	r->relocatable = b[0x234] != 0;
	r->kernel_align = le32_get(b + 0x230);
	if (r->relocatable && (r->kernel_align < 0x1000 || r->kernel_align > (1U << 30) ||
			       (r->kernel_align & (r->kernel_align - 1))))
		return false;
	pref = le64_get(b + 0x258);
	if (pref < MIB || (pref & PAGE_MASK))
		return false;
	load = pref;
	if (r->relocatable)
		load = (load + r->kernel_align - 1) / r->kernel_align * r->kernel_align;
	r->pm_offset = setup;
	r->pm_size = len - setup;
	r->init_size = le32_get(b + 0x260);
	need = max64(r->init_size, r->pm_size);
	if (load + need > ram)
		return false;
	r->kind = LINUX_KIND_BZIMAGE;
	r->version = le16_get(b + 0x206);
	r->load_gpa = (uint64_t)load;
	r->cmdline_size = le32_get(b + 0x238);
	r->initrd_addr_max = le32_get(b + 0x22C);
	hdr_end = 0x202 + b[0x201];
	r->hdr_end = hdr_end < 0x268 ? 0x268 : hdr_end > 0x2D0 ? 0x2D0 : hdr_end;
	return true;
}

static void check_same_info(const char *what, const struct linux_kernel_info *a,
			    const struct linux_kernel_info *b)
{
	FUZZ_CHECK(
	    a->kind == b->kind && a->version == b->version && a->cmdline_size == b->cmdline_size &&
		a->initrd_addr_max == b->initrd_addr_max && a->pm_offset == b->pm_offset &&
		a->pm_size == b->pm_size && a->load_gpa == b->load_gpa &&
		a->init_size == b->init_size && a->hdr_end == b->hdr_end &&
		a->kernel_align == b->kernel_align && a->relocatable == b->relocatable,
	    "%s: kind %d/%d v%#x/%#x pm %#llx+%#llx/%#llx+%#llx load %#llx/%#llx init %#llx/%#llx "
	    "hdr_end %#x/%#x cmdline %u/%u initrd_max %#llx/%#llx align %#x/%#x reloc %d/%d",
	    what, a->kind, b->kind, a->version, b->version, (unsigned long long)a->pm_offset,
	    (unsigned long long)a->pm_size, (unsigned long long)b->pm_offset,
	    (unsigned long long)b->pm_size, (unsigned long long)a->load_gpa,
	    (unsigned long long)b->load_gpa, (unsigned long long)a->init_size,
	    (unsigned long long)b->init_size, a->hdr_end, b->hdr_end, a->cmdline_size,
	    b->cmdline_size, (unsigned long long)a->initrd_addr_max,
	    (unsigned long long)b->initrd_addr_max, a->kernel_align, b->kernel_align,
	    a->relocatable, b->relocatable);
}

/*
 * A message buffer of MSG_BUF bytes, MSG_MAX of which (or fewer) are offered:
 * a call writes a NUL-terminated printable message within msglen, non-empty
 * on failure when there is room, empty on success, and nothing past msglen.
 */
struct msgbuf {
	char b[MSG_BUF];
	char *msg;
	size_t len;
};

static void msg_init(struct msgbuf *m, uint32_t sel)
{
	static const size_t lens[] = {0, 1, 24, MSG_MAX};

	memset(m->b, POISON, sizeof(m->b));
	m->len = lens[sel & 3];
	m->msg = m->len ? m->b : NULL;
}

static void msg_check(const char *what, const struct msgbuf *m, int r, bool sets_empty)
{
	for (size_t i = m->len; i < sizeof(m->b); i++)
		FUZZ_CHECK((uint8_t)m->b[i] == POISON, "%s: byte %zu past msglen %zu written", what,
			   i, m->len);
	if (!m->len)
		return;
	if (r) {
		FUZZ_CHECK(fuzz_printable_str(m->b, m->len), "%s: message not terminated printable",
			   what);
		FUZZ_CHECK(m->len < 2 || m->b[0], "%s: failed without a reason", what);
	} else if (sets_empty) {
		FUZZ_CHECK(m->b[0] == '\0', "%s: succeeded with a message: %s", what, m->b);
	}
}

/* Accepted bzImage: what the monitor then writes and where, all inside RAM above 1 MiB. */
static void check_bzimage(const struct linux_kernel_info *info, size_t len, uint64_t ram)
{
	uint64_t need = max64(info->init_size, info->pm_size);

	FUZZ_CHECK(info->pm_offset >= 1024 && info->pm_size >= 1 &&
		       (unsigned __int128)info->pm_offset + info->pm_size == len,
		   "kernel [%#llx, +%#llx) is not the file's tail of %zu bytes",
		   (unsigned long long)info->pm_offset, (unsigned long long)info->pm_size, len);
	FUZZ_CHECK(info->hdr_end >= LINUX_HDR_END_MIN && info->hdr_end <= LINUX_BP_E820_TABLE &&
		       info->hdr_end <= info->pm_offset,
		   "setup header ends at %#x", info->hdr_end);
	FUZZ_CHECK(!(info->load_gpa & PAGE_MASK) && info->load_gpa >= LINUX_HIGH_MEM,
		   "load address %#llx", (unsigned long long)info->load_gpa);
	FUZZ_CHECK(!info->relocatable || !(info->load_gpa & (info->kernel_align - 1)),
		   "load address %#llx not aligned to %#x", (unsigned long long)info->load_gpa,
		   info->kernel_align);
	FUZZ_CHECK(fuzz_range_inside(info->load_gpa, need, LINUX_HIGH_MEM, ram - LINUX_HIGH_MEM),
		   "kernel [%#llx, +%#llx) outside RAM [1 MiB, %#llx)",
		   (unsigned long long)info->load_gpa, (unsigned long long)need,
		   (unsigned long long)ram);
	FUZZ_CHECK(info->version >= LINUX_PROTO_MIN, "protocol %#x", info->version);
}

/*
 * After linux_place_cmdline: inside its area, clear of the zero page, above
 * the boot area (0x1000-0xDFFF) and below the boot stack and the MP table.
 */
static void check_cmdline(const struct linux_kernel_info *info, size_t len,
			  const struct linux_layout *lay)
{
	FUZZ_CHECK(lay->cmdline_gpa == LINUX_CMDLINE_GPA && lay->cmdline_len == len,
		   "command line at %#llx, %u bytes", (unsigned long long)lay->cmdline_gpa,
		   lay->cmdline_len);
	FUZZ_CHECK(len <= info->cmdline_size, "%zu bytes for a kernel taking %u", len,
		   info->cmdline_size);
	FUZZ_CHECK(fuzz_range_inside(lay->cmdline_gpa, (uint64_t)len + 1, LINUX_CMDLINE_GPA,
				     LINUX_CMDLINE_AREA),
		   "command line and NUL [%#llx, +%zu) outside its area",
		   (unsigned long long)lay->cmdline_gpa, len + 1);
	FUZZ_CHECK(
	    disjoint(lay->cmdline_gpa, (uint64_t)len + 1, LINUX_ZERO_PAGE_GPA, LINUX_BP_SIZE) &&
		lay->cmdline_gpa >= VTL_BOOT_INBOX + VTL_PAGE_SIZE &&
		lay->cmdline_gpa + len + 1 <= VTL_BOOT_STACK_BOTTOM &&
		VTL_BOOT_STACK_TOP <= LINUX_MPTABLE_GPA,
	    "command line overlaps the zero page, the boot area, its stack or the MP table");
}

/*
 * linux_place_initrd's promise: page-aligned, as high as RAM and
 * initrd_addr_max allow, above lay->kernel_end (and 1 MiB). So it fits iff
 * that highest page-aligned address is at or above both; size 0 is none.
 */
static bool ref_initrd(const struct linux_kernel_info *info, uint64_t size,
		       const struct linux_layout *lay, uint64_t *at)
{
	unsigned __int128 top = lay->ram_size;

	*at = 0;
	if (!size)
		return true;
	if ((unsigned __int128)info->initrd_addr_max + 1 < top)
		top = (unsigned __int128)info->initrd_addr_max + 1;
	if (size > top || size > UINT32_MAX)
		return false;
	*at = (uint64_t)(top - size) & ~PAGE_MASK;
	return *at >= lay->kernel_end && *at >= LINUX_HIGH_MEM;
}

static void check_initrd(const struct linux_kernel_info *info, uint64_t size,
			 const struct linux_layout *lay, uint64_t kernel_lo)
{
	uint64_t g = lay->initrd_gpa;

	FUZZ_CHECK(lay->initrd_size == size, "initrd size %#llx for %#llx",
		   (unsigned long long)lay->initrd_size, (unsigned long long)size);
	if (!size) {
		FUZZ_CHECK(!g, "no initrd at %#llx", (unsigned long long)g);
		return;
	}
	FUZZ_CHECK(!(g & PAGE_MASK) && g >= LINUX_HIGH_MEM && g >= lay->kernel_end,
		   "initrd at %#llx, kernel ends at %#llx", (unsigned long long)g,
		   (unsigned long long)lay->kernel_end);
	FUZZ_CHECK(fuzz_range_inside(g, size, 0, lay->ram_size),
		   "initrd [%#llx, +%#llx) outside RAM", (unsigned long long)g,
		   (unsigned long long)size);
	FUZZ_CHECK(g + size - 1 <= info->initrd_addr_max, "initrd ends at %#llx past max %#llx",
		   (unsigned long long)(g + size - 1), (unsigned long long)info->initrd_addr_max);
	FUZZ_CHECK(disjoint(g, size, kernel_lo, lay->kernel_end - kernel_lo),
		   "initrd [%#llx, +%#llx) overlaps the kernel [%#llx, %#llx)",
		   (unsigned long long)g, (unsigned long long)size, (unsigned long long)kernel_lo,
		   (unsigned long long)lay->kernel_end);
}

/* The three e820 entries linux_boot.h documents, for a RAM of at least 2 MiB. */
static uint32_t ref_e820(uint64_t ram, struct linux_e820 *m)
{
	if (ram < 2 * MIB)
		return 0;
	m[0] = (struct linux_e820){0, LINUX_BASE_MEM_END, LINUX_E820_RAM};
	m[1] =
	    (struct linux_e820){LINUX_BASE_MEM_END, MIB - LINUX_BASE_MEM_END, LINUX_E820_RESERVED};
	m[2] = (struct linux_e820){MIB, ram - MIB, LINUX_E820_RAM};
	return 3;
}

/* linux_e820_map into arrays of exactly max entries, and the map's own rules. */
static void check_e820(uint64_t ram)
{
	struct linux_e820 ref[3];
	uint32_t nref = ref_e820(ram, ref);

	for (uint32_t max = 0; max <= 4; max++) {
		struct linux_e820 *m = malloc(max ? max * sizeof(*m) : 1);
		uint32_t n;

		FUZZ_CHECK(m != NULL, "malloc");
		n = linux_e820_map(ram, m, max);
		FUZZ_CHECK(n == (nref < max ? nref : max), "%u entries for max %u", n, max);
		for (uint32_t i = 0; i < n; i++) {
			FUZZ_CHECK(m[i].addr == ref[i].addr && m[i].size == ref[i].size &&
				       m[i].type == ref[i].type,
				   "entry %u [%#llx, +%#llx) type %u", i,
				   (unsigned long long)m[i].addr, (unsigned long long)m[i].size,
				   m[i].type);
			FUZZ_CHECK(m[i].size && fuzz_range_inside(m[i].addr, m[i].size, 0, ram),
				   "entry %u outside RAM", i);
			FUZZ_CHECK(!i || m[i].addr == m[i - 1].addr + m[i - 1].size,
				   "entry %u not right after the one before", i);
		}
		free(m);
	}
}

/* The zero page: three pages mapped, the outer two PROT_NONE, so a stray write faults. */
static uint8_t *zp_map;

static uint8_t *zero_page(void)
{
	if (!zp_map) {
		zp_map =
		    mmap(NULL, 3 * VTL_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		FUZZ_CHECK(zp_map != MAP_FAILED, "mmap: %s", strerror(errno));
		FUZZ_CHECK(!mprotect(zp_map + VTL_PAGE_SIZE, VTL_PAGE_SIZE, PROT_READ | PROT_WRITE),
			   "mprotect: %s", strerror(errno));
	}
	_Static_assert(LINUX_BP_SIZE == VTL_PAGE_SIZE, "the zero page is one guarded page");
	return zp_map + VTL_PAGE_SIZE;
}

/*
 * linux_zero_page: zeroed, a bzImage's setup header [0x1F1, hdr_end) copied,
 * then the loader's fields and the e820 map, byte for byte as boot.rst lays
 * them out; the kernel's bytes are left as they were.
 */
static void check_zero_page(const struct linux_kernel_info *info, const uint8_t *kernel, size_t len,
			    const struct linux_layout *lay)
{
	static uint8_t ref[LINUX_BP_SIZE];
	uint8_t *bp = zero_page(), *before = malloc(len ? len : 1);
	struct linux_e820 map[3];
	uint32_t n;

	FUZZ_CHECK(before != NULL, "malloc");
	memcpy(before, kernel, len);
	memset(bp, POISON, LINUX_BP_SIZE);
	linux_zero_page(bp, info, info->kind == LINUX_KIND_BZIMAGE ? kernel : NULL, lay);
	FUZZ_CHECK(!memcmp(before, kernel, len), "the kernel file was changed");
	free(before);

	memset(ref, 0, sizeof(ref));
	if (info->kind == LINUX_KIND_BZIMAGE)
		memcpy(ref + LINUX_HDR_OFFSET, kernel + LINUX_HDR_OFFSET,
		       info->hdr_end - LINUX_HDR_OFFSET);
	le16_put(ref + LINUX_HDR_BOOT_FLAG, LINUX_BOOT_FLAG);
	le32_put(ref + LINUX_HDR_HEADER, LINUX_HDR_MAGIC);
	if (info->kind == LINUX_KIND_BZIMAGE)
		le32_put(ref + LINUX_HDR_CODE32_START, (uint32_t)info->load_gpa);
	else
		le32_put(ref + LINUX_HDR_KERNEL_ALIGNMENT, (uint32_t)VTL_LARGE_PAGE_SIZE);
	ref[LINUX_HDR_TYPE_OF_LOADER] = LINUX_LOADER_UNDEF;
	ref[LINUX_HDR_LOADFLAGS] |= LINUX_LOADED_HIGH;
	le32_put(ref + LINUX_HDR_CMD_LINE_PTR, (uint32_t)lay->cmdline_gpa);
	le32_put(ref + LINUX_BP_EXT_CMD_LINE_PTR, (uint32_t)(lay->cmdline_gpa >> 32));
	le32_put(ref + LINUX_HDR_CMDLINE_SIZE, info->cmdline_size);
	le32_put(ref + LINUX_HDR_RAMDISK_IMAGE, (uint32_t)lay->initrd_gpa);
	le32_put(ref + LINUX_BP_EXT_RAMDISK_IMAGE, (uint32_t)(lay->initrd_gpa >> 32));
	le32_put(ref + LINUX_HDR_RAMDISK_SIZE, (uint32_t)lay->initrd_size);
	le32_put(ref + LINUX_BP_EXT_RAMDISK_SIZE, (uint32_t)(lay->initrd_size >> 32));
	n = ref_e820(lay->ram_size, map);
	ref[LINUX_BP_E820_ENTRIES] = (uint8_t)n;
	for (uint32_t i = 0; i < n; i++) {
		le64_put(ref + LINUX_BP_E820_TABLE + i * 20, map[i].addr);
		le64_put(ref + LINUX_BP_E820_TABLE + i * 20 + 8, map[i].size);
		le32_put(ref + LINUX_BP_E820_TABLE + i * 20 + 16, map[i].type);
	}
	for (uint32_t i = 0; i < LINUX_BP_SIZE; i++)
		FUZZ_CHECK(bp[i] == ref[i], "zero page byte %#x is %#x, not %#x", i, bp[i], ref[i]);

	/* What the kernel reads back: the e820 map inside RAM, covering its kernel and initrd. */
	FUZZ_CHECK(bp[LINUX_BP_E820_ENTRIES] <= LINUX_E820_MAX, "%u e820 entries",
		   bp[LINUX_BP_E820_ENTRIES]);
	for (uint32_t i = 0; i < bp[LINUX_BP_E820_ENTRIES]; i++) {
		const uint8_t *e = bp + LINUX_BP_E820_TABLE + i * 20;

		FUZZ_CHECK(fuzz_range_inside(le64_get(e), le64_get(e + 8), 0, lay->ram_size),
			   "e820 entry %u [%#llx, +%#llx) outside RAM %#llx", i,
			   (unsigned long long)le64_get(e), (unsigned long long)le64_get(e + 8),
			   (unsigned long long)lay->ram_size);
	}
	FUZZ_CHECK(le32_get(bp + LINUX_HDR_CMD_LINE_PTR) == LINUX_CMDLINE_GPA &&
		       le32_get(bp + LINUX_HDR_RAMDISK_IMAGE) == lay->initrd_gpa,
		   "pointers in the zero page");
}

static uint64_t ram_from(uint32_t flags, uint32_t sel)
{
	if (flags & 1)
		return VTL0_RAM_MIN + sel % (RAM_TOP - VTL0_RAM_MIN + 1);
	return VTL0_RAM_MIN + sel % ((VTL0_RAM_MAX - VTL0_RAM_MIN) / VTL_LARGE_PAGE_SIZE + 1) *
				  VTL_LARGE_PAGE_SIZE;
}

/* Bits 1-2: below 2 * LINUX_CMDLINE_AREA, raw, or within 2 bytes of the kernel's limit. */
static uint64_t cmdline_len(uint32_t mode, uint64_t raw, const struct linux_kernel_info *info)
{
	uint64_t limit = info->cmdline_size;

	if (limit > LINUX_CMDLINE_AREA - 1)
		limit = LINUX_CMDLINE_AREA - 1;
	if ((mode & 3) == 0)
		return raw % (2 * LINUX_CMDLINE_AREA);
	if ((mode & 3) == 2)
		return limit + raw % 5 - 2;
	return raw;
}

/*
 * Bits 5-6: at most the RAM size and a page, raw, or within a page of the
 * room between the kernel's end (or 1 MiB) and the highest address allowed.
 */
static uint64_t initrd_len(uint32_t mode, uint64_t raw, const struct linux_kernel_info *info,
			   const struct linux_layout *lay)
{
	uint64_t top = lay->ram_size, low = max64(lay->kernel_end, LINUX_HIGH_MEM);

	if (info->initrd_addr_max < top - 1)
		top = info->initrd_addr_max + 1;
	if ((mode & 3) == 0)
		return raw % (lay->ram_size + VTL_PAGE_SIZE + 1);
	if ((mode & 3) == 2)
		return top - low + raw % (2 * VTL_PAGE_SIZE + 1) - VTL_PAGE_SIZE;
	return raw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint32_t flags = fuzz_u32(&in);
	uint64_t ram = ram_from(flags, fuzz_u32(&in));
	uint64_t cmdline = fuzz_u64(&in), initrd = fuzz_u64(&in), kend = fuzz_u64(&in);
	size_t len = in.n;
	uint8_t *kernel = malloc(len ? len : 1);
	struct linux_kernel_info info, ref, big;
	struct linux_layout lay = {.ram_size = ram};
	struct msgbuf m;
	uint64_t kernel_lo, at;
	bool ok;
	int r;

	FUZZ_CHECK(kernel != NULL, "malloc");
	memcpy(kernel, in.p, len);

	/* linux_probe: exactly the reference, and a refusal says why. */
	msg_init(&m, flags >> 3);
	memset(&info, POISON, sizeof(info));
	r = linux_probe(kernel, len, ram, &info, m.msg, m.len);
	ok = ref_probe(kernel, len, ram, &ref);
	FUZZ_CHECK(r == 0 || r == -1, "linux_probe returned %d", r);
	FUZZ_CHECK(!r == ok, "linux_probe %s a kernel the reference %s (%s)",
		   r ? "refused" : "accepted", ok ? "accepts" : "refuses", m.len > 1 ? m.b : "");
	msg_check("linux_probe", &m, r, true);
	if (r) {
		FUZZ_CHECK(info.kind == LINUX_KIND_NONE, "refused as kind %d", info.kind);
	} else {
		check_same_info("probe/reference", &info, &ref);
		FUZZ_CHECK(info.kind == LINUX_KIND_VMLINUX || info.kind == LINUX_KIND_BZIMAGE,
			   "kind %d", info.kind);
	}
	/* More RAM never refuses what less accepted, nor changes it; a refusal RAM lifts says so.
	 */
	if (linux_probe(kernel, len, RAM_TOP, &big, NULL, 0) == 0) {
		if (!r)
			check_same_info("probe/4 GiB", &info, &big);
		else if (m.len == MSG_MAX)
			FUZZ_CHECK(strstr(m.b, "raise --mem") != NULL,
				   "refused for %#llx bytes of RAM only, but says: %s",
				   (unsigned long long)ram, m.b);
	} else {
		FUZZ_CHECK(r, "accepted with %#llx bytes of RAM, refused with 4 GiB",
			   (unsigned long long)ram);
	}
	check_e820(ram);
	check_e820(kend);
	if (r)
		goto out;
	if (info.kind == LINUX_KIND_BZIMAGE)
		check_bzimage(&info, len, ram);

	/* The command line: at most the kernel's cmdline_size and the monitor's area. */
	cmdline = cmdline_len(flags >> 1, cmdline, &info);
	msg_init(&m, flags >> 3);
	r = linux_place_cmdline(&info, cmdline, &lay, m.msg, m.len);
	FUZZ_CHECK(r == 0 || r == -1, "linux_place_cmdline returned %d", r);
	ok = cmdline <= info.cmdline_size && cmdline <= LINUX_CMDLINE_AREA - 1;
	FUZZ_CHECK(!r == ok, "linux_place_cmdline %s %llu bytes (cmdline_size %u)",
		   r ? "refused" : "accepted", (unsigned long long)cmdline, info.cmdline_size);
	msg_check("linux_place_cmdline", &m, r, false);
	if (r)
		goto out;
	check_cmdline(&info, cmdline, &lay);

	/* The kernel's end as linux_plan_bzimage (build.c) or the ELF loader puts it. */
	if (info.kind == LINUX_KIND_BZIMAGE) {
		uint64_t need = max64(info.init_size, info.pm_size);

		kernel_lo = info.load_gpa;
		lay.kernel_end = (info.load_gpa + need + PAGE_MASK) & ~PAGE_MASK;
		FUZZ_CHECK(info.load_gpa + LINUX_ENTRY64_OFFSET < lay.kernel_end,
			   "64-bit entry %#llx past the kernel's end %#llx",
			   (unsigned long long)(info.load_gpa + LINUX_ENTRY64_OFFSET),
			   (unsigned long long)lay.kernel_end);
		if (!(ram & PAGE_MASK))
			FUZZ_CHECK(lay.kernel_end <= ram, "kernel ends at %#llx past RAM %#llx",
				   (unsigned long long)lay.kernel_end, (unsigned long long)ram);
	}
	if (flags & 0x80) {
		kernel_lo = lay.kernel_end = kend;
	} else if (info.kind == LINUX_KIND_VMLINUX) {
		kernel_lo = VTL_IMAGE_MIN_OFFSET;
		lay.kernel_end = VTL_IMAGE_MIN_OFFSET + VTL_PAGE_SIZE +
				 ((kend % (ram - VTL_IMAGE_MIN_OFFSET)) & ~PAGE_MASK);
		if (lay.kernel_end > ram)
			lay.kernel_end = ram;
	}

	/* The initrd: the reference's place exactly, and all that linux_boot.h promises of it. */
	initrd = initrd_len(flags >> 5, initrd, &info, &lay);
	msg_init(&m, flags >> 3);
	memset(&lay.initrd_gpa, POISON, sizeof(lay.initrd_gpa));
	r = linux_place_initrd(&info, initrd, &lay, m.msg, m.len);
	FUZZ_CHECK(r == 0 || r == -1, "linux_place_initrd returned %d", r);
	ok = ref_initrd(&info, initrd, &lay, &at);
	FUZZ_CHECK(!r == ok,
		   "linux_place_initrd %s %#llx bytes (RAM %#llx, kernel end %#llx, max %#llx)",
		   r ? "refused" : "accepted", (unsigned long long)initrd, (unsigned long long)ram,
		   (unsigned long long)lay.kernel_end, (unsigned long long)info.initrd_addr_max);
	msg_check("linux_place_initrd", &m, r, false);
	if (r)
		goto out;
	FUZZ_CHECK(lay.initrd_gpa == at, "initrd at %#llx, not the highest fit %#llx",
		   (unsigned long long)lay.initrd_gpa, (unsigned long long)at);
	check_initrd(&info, initrd, &lay, kernel_lo);

	check_zero_page(&info, kernel, len, &lay);
out:
	free(kernel);
	return 0;
}
