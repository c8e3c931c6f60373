/* Writes the fuzz corpus's binary seeds: call blocks, op lists, kvm_runs, page tables, ELFs. */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "monitor/kvm/kvm_compat.h"
#include "monitor/x86/linux_boot.h"
#include "monitor/x86/ptwalk.h"
#include "vtl1_abi.h"
#include "vtl_call.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/*
 * Usage: mkseeds DIR [BZIMAGE]. Writes DIR/<target>/<name> for every seed
 * below (and, given the test kernel's bzImage, seeds from its head). Each
 * seed is a small, valid (or deliberately borderline) instance of what its
 * harness decodes, so the fuzzer starts from inputs that get past the first
 * checks; the layouts are documented at the top of each fuzz_*.c.
 */

static const char *out_dir;

/* A growable byte buffer for one seed. */
struct seed {
	uint8_t b[64 * 1024];
	size_t n;
};

static void put(struct seed *s, const void *p, size_t len)
{
	if (s->n + len > sizeof(s->b)) {
		fprintf(stderr, "mkseeds: seed too large\n");
		exit(1);
	}
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

static void put8(struct seed *s, uint8_t v)
{
	put(s, &v, 1);
}

static void put16(struct seed *s, uint16_t v)
{
	put(s, &v, 2);
}

static void put32(struct seed *s, uint32_t v)
{
	put(s, &v, 4);
}

static void put64(struct seed *s, uint64_t v)
{
	put(s, &v, 8);
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void save(const char *target, const char *name, const struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- fuzz_callblock ------------------------------------------------------ */

static void call_seed(const char *name, uint8_t mode, uint64_t gpa, uint32_t wlen, uint64_t ram,
		      uint32_t nr, uint32_t flags, uint32_t reserved)
{
	struct seed s = {.n = 0};
	struct vtl_call_block blk = {.nr = nr, .flags = flags, .reserved = reserved};

	blk.args[0] = 0x1122334455667788ULL;
	blk.args[1] = 42;
	put8(&s, mode);
	put64(&s, gpa);
	put32(&s, wlen);
	put64(&s, ram);
	put(&s, &blk, sizeof(blk));
	save("callblock", name, &s);
}

static void op(struct seed *s, uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct vtl1_op o = {.code = code, .arg = {a0, a1, a2}};

	put(s, &o, sizeof(o));
}

static void ops_head(struct seed *s, uint8_t mode, uint64_t ram, uint64_t base, uint64_t size,
		     uint64_t gpa, uint32_t count)
{
	s->n = 0;
	put8(s, mode);
	put64(s, ram);
	put64(s, base);
	put64(s, size);
	put64(s, gpa);
	put32(s, count);
}

static void callblock_seeds(void)
{
	const uint64_t ram = 64ULL << 20, priv = VTL1_PRIV_GPA, psize = 16ULL << 20;
	struct seed s;

	call_seed("call-ok", 0, 0x1000, 8, ram, VTL_CALL_ECHO, 0, 0);
	call_seed("call-last-block", 0, ram - 64, 8, ram, VTL_CALL_NOP, 0, 0);
	call_seed("call-past-end", 0, ram, 8, ram, VTL_CALL_NOP, 0, 0);
	call_seed("call-unaligned", 0, 0x1020, 8, ram, VTL_CALL_NOP, 0, 0);
	call_seed("call-wrap", 0, 0xFFFFFFFFFFFFFFC0ULL, 8, UINT64_MAX, VTL_CALL_NOP, 0, 0);
	call_seed("call-narrow-store", 0, 0x1000, 4, ram, VTL_CALL_PROTECT, 0, 0);
	call_seed("call-flags", 0, 0x1000, 8, ram, VTL_CALL_PIN_CR, 1, 0);
	call_seed("call-reserved", 0, 0x1000, 8, ram, VTL_CALL_PIN_MSR, 0, 0x80000000);
	call_seed("call-realistic-near-end", 6, 64, 8, 0, VTL_CALL_END_OF_BOOT, 0, 0);

	/* Realistic limits (mode 2): priv_base is forced to VTL1_PRIV_GPA. */
	ops_head(&s, 1 | 2, ram, 0, psize, priv + 0x2000, 2);
	op(&s, VTL1_OP_LOG, priv + 0x3000, 16, 0);
	op(&s, VTL1_OP_RETURN, VTL_OK, 1, 2);
	save("callblock", "ops-log-return", &s);

	ops_head(&s, 1 | 2, ram, 0, psize, priv + 0x2000, 3);
	op(&s, VTL1_OP_SET_PERMS, 0x200000, 16, VTL_PERM_R);
	op(&s, VTL1_OP_SET_PERMS, ram - 0x1000, 1, VTL_PERM_R | VTL_PERM_W);
	op(&s, VTL1_OP_RETURN, VTL_OK, 0, 0);
	save("callblock", "ops-set-perms", &s);

	ops_head(&s, 1 | 2, ram, 0, psize, priv + 0x2000, 2);
	op(&s, VTL1_OP_KILL, 1, 0, 0);
	op(&s, VTL1_OP_LOG, priv + 0x3000, 16, 0);
	save("callblock", "ops-terminal-early", &s);

	ops_head(&s, 1 | 2, ram, 0, psize, priv + 0x2000, 2);
	op(&s, 99, 0, 0, 0);
	op(&s, VTL1_OP_RETURN, VTL_OK, 0, 0);
	save("callblock", "ops-unknown", &s);

	/* One of every code the ABI defines, then RETURN. */
	ops_head(&s, 1 | 2, ram, 0, psize, priv + 0x2000, 15);
	op(&s, VTL1_OP_LOG, priv + 0x3000, 1, 0);
	op(&s, VTL1_OP_SET_PERMS, 0x100000, 4, VTL_PERM_R | VTL_PERM_X);
	op(&s, VTL1_OP_PIN_CR, 4, 1ULL << 20, VTL1_PIN_CURRENT);
	op(&s, VTL1_OP_UNPIN_CR, 0, 1ULL << 16, 0);
	op(&s, VTL1_OP_PIN_MSR, 0xC0000082, VTL1_PIN_CURRENT, 0);
	op(&s, VTL1_OP_UNPIN_MSR, 0xC0000082, 0, 0);
	op(&s, VTL1_OP_INJECT, VTL_VECTOR_PF, 2, 0x1000);
	op(&s, VTL1_OP_ALLOW, 0, 0, 0);
	op(&s, VTL1_OP_SKIP, 0, 0, 0);
	op(&s, VTL1_OP_CR_SITE, 3, 0xFFFFFFFF81000000ULL, 0);
	op(&s, VTL1_OP_WATCHDOG, VTL1_WATCHDOG_MIN_US, 0, 0);
	op(&s, VTL1_OP_MEASURE, 0x100000, 0x3000, priv + 0x4000);
	op(&s, VTL1_OP_VERIFY_SIG, 0x100000, 0x3000, priv + 0x4100);
	op(&s, VTL1_OP_KEXEC_STAGE, 0x400000, 0x10000, 0);
	op(&s, VTL1_OP_RETURN, VTL_OK, 0, 0);
	save("callblock", "ops-every-code", &s);

	/* The other terminal ops, each in last position. */
	ops_head(&s, 1 | 2, ram, 0, psize, priv + 0x2000, 2);
	op(&s, VTL1_OP_KEXEC_STAGE, 0x400000, 0x10000, 0);
	op(&s, VTL1_OP_KEXEC_COMMIT, priv + 0x4000, 0, 0);
	save("callblock", "ops-kexec-commit", &s);
	ops_head(&s, 1 | 2, ram, 0, psize, priv + 0x2000, 1);
	op(&s, VTL1_OP_RESET, 0, 0, 0);
	save("callblock", "ops-reset", &s);

	ops_head(&s, 1 | 2, ram, 0, psize, priv + psize - 16 - VTL1_OPS_MAX * 32, VTL1_OPS_MAX);
	for (unsigned i = 0; i + 1 < VTL1_OPS_MAX; i++)
		op(&s, VTL1_OP_LOG, priv + psize - VTL1_LOG_MAX, VTL1_LOG_MAX, 0);
	op(&s, VTL1_OP_RETURN, VTL_E_SKIPPED, 0, 0);
	save("callblock", "ops-full-at-end", &s);

	/* Raw limits that end exactly at 2^64: wrap-around territory. */
	ops_head(&s, 1, UINT64_MAX & ~0xFFFULL, 0xFFFFFFFFFFFFE000ULL, 0x2000,
		 0xFFFFFFFFFFFFFFF0ULL, 1);
	op(&s, VTL1_OP_SET_PERMS, 0xFFFFFFFFFFFFE000ULL, 2, VTL_PERM_R);
	save("callblock", "ops-raw-top-of-space", &s);
}

/* ---- fuzz_exit ------------------------------------------------------------ */

static void exit_seed(const char *name, uint16_t run_sel, uint8_t err_sel,
		      const struct kvm_run *run)
{
	struct seed s = {.n = 0};

	put16(&s, run_sel);
	put8(&s, err_sel);
	/* The union's head is all the decoder reads; the rest of the struct stays zero. */
	put(&s, run, 256);
	save("exit", name, &s);
}

static void exit_seeds(void)
{
	struct kvm_run r;

	memset(&r, 0, sizeof(r));
	r.exit_reason = KVM_EXIT_IO;
	r.io.direction = KVM_EXIT_IO_OUT;
	r.io.size = 1;
	r.io.port = VTL_CONSOLE_PORT;
	r.io.count = 12;
	r.io.data_offset = 4096;
	exit_seed("io-console-out", 0x8000, 0, &r);
	r.io.direction = KVM_EXIT_IO_IN;
	r.io.size = 4;
	r.io.count = 1;
	r.io.port = 0xCF9;
	exit_seed("io-in", 0x8000, 0, &r);
	r.io.direction = KVM_EXIT_IO_OUT;
	r.io.count = (3 * 4096 - 4096) / 4;
	exit_seed("io-fills-area", 0x8000, 0, &r);
	r.io.count = 1;
	r.io.data_offset = sizeof(struct kvm_run);
	exit_seed("io-right-after-struct", (uint16_t)sizeof(struct kvm_run) + 4, 0, &r);

	memset(&r, 0, sizeof(r));
	r.exit_reason = KVM_EXIT_MMIO;
	r.mmio.phys_addr = VTL0_DEVICE_GPA + 8;
	memcpy(r.mmio.data, "\x00\x10\x00\x00\x00\x00\x00\x00", 8);
	r.mmio.len = 8;
	r.mmio.is_write = 1;
	exit_seed("mmio-write-call", 0x8000, 0, &r);
	r.mmio.len = 4;
	r.mmio.is_write = 0;
	exit_seed("mmio-read", 0x8000, 0, &r);

	memset(&r, 0, sizeof(r));
	r.exit_reason = KVM_EXIT_X86_WRMSR;
	r.msr.index = 0xC0000082;
	r.msr.data = 0xFFFFFFFF81000000ULL;
	r.msr.reason = KVM_MSR_EXIT_REASON_FILTER;
	exit_seed("wrmsr", 0x8000, 0, &r);
	r.exit_reason = KVM_EXIT_X86_RDMSR;
	exit_seed("rdmsr", 0x8000, 0, &r);

	memset(&r, 0, sizeof(r));
	r.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	r.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	exit_seed("internal-error", 0x8000, 0, &r);
	memset(&r, 0, sizeof(r));
	r.exit_reason = KVM_EXIT_DEBUG;
	r.debug.arch.pc = 0x100123;
	r.debug.arch.dr6 = 0xFFFF0FF1;
	exit_seed("debug", 0x8000, 0, &r);
	memset(&r, 0, sizeof(r));
	r.exit_reason = KVM_EXIT_SYSTEM_EVENT;
	r.system_event.type = KVM_SYSTEM_EVENT_RESET;
	exit_seed("system-event", 0x8000, 0, &r);
	memset(&r, 0, sizeof(r));
	r.exit_reason = KVM_EXIT_HLT;
	exit_seed("hlt-eintr", 0x8000, 1, &r);
	r.exit_reason = KVM_EXIT_SHUTDOWN;
	exit_seed("shutdown", 0x8000, 0, &r);
	r.exit_reason = KVM_EXIT_FAIL_ENTRY;
	r.fail_entry.hardware_entry_failure_reason = 0x80000021;
	exit_seed("fail-entry", 0x8000, 0, &r);
}

/* ---- fuzz_ptwalk ------------------------------------------------------------ */

#define PT_P  PTWALK_PTE_P
#define PT_RW PTWALK_PTE_RW
#define PT_US PTWALK_PTE_US
#define PT_PS PTWALK_PTE_PS
#define PT_NX PTWALK_PTE_NX

/* Guest RAM for a walk: page 0 holds every table (distinct indexes), page 1 is data. */
struct ptram {
	uint8_t b[3 * 4096];
	size_t size;
};

static void set_pte(struct ptram *r, uint64_t table, unsigned idx, uint64_t v)
{
	memcpy(r->b + table + idx * 8, &v, 8);
}

static uint64_t va_of(unsigned l5, unsigned l4, unsigned l3, unsigned l2, unsigned l1, uint64_t off)
{
	uint64_t va = (uint64_t)l5 << 48 | (uint64_t)l4 << 39 | (uint64_t)l3 << 30 |
		      (uint64_t)l2 << 21 | (uint64_t)l1 << 12 | off;

	/* Sign-extend from bit 56 (or 47 when l5 is 0), as a canonical address is. */
	if (va >> 56 & 1)
		va |= 0xFE00000000000000ULL;
	else if (!l5 && (va >> 47 & 1))
		va |= 0xFFFF000000000000ULL;
	return va;
}

static void pt_seed(const char *name, uint8_t mode, uint64_t cr3, uint64_t va, uint8_t len,
		    const struct ptram *r)
{
	struct seed s = {.n = 0};

	put8(&s, mode);
	if (mode & 1) {
		put64(&s, PTWALK_CR0_PE | PTWALK_CR0_PG);
		put64(&s, PTWALK_CR4_PAE);
		put64(&s, PTWALK_EFER_LMA | PTWALK_EFER_NXE);
	}
	put64(&s, cr3);
	put64(&s, va);
	put64(&s, 0x0123456789ABCDEFULL); /* second VA offset */
	put8(&s, len);
	put(&s, r->b, r->size);
	save("ptwalk", name, &s);
}

static void ptwalk_seeds(void)
{
	static const uint8_t code[] = {0x0f, 0x22, 0xc0, 0x0f, 0x30, 0x0f, 0x01, 0x10,
				       0x0f, 0x00, 0xd8, 0xf4, 0xeb, 0xfe, 0x90, 0x90};
	struct ptram r;
	uint64_t va;

	/* 4-level, 4 KiB page: PML4[1] -> PDPT[2] -> PD[3] -> PT[4] -> page 1, all in page 0. */
	memset(&r, 0, sizeof(r));
	r.size = 2 * 4096;
	memcpy(r.b + 4096 + 0x10, code, sizeof(code));
	set_pte(&r, 0, 1, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 2, 0 | PT_P | PT_RW | PT_US);
	set_pte(&r, 0, 3, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 4, 0x1000 | PT_P);
	pt_seed("4k", 0, 0, va_of(0, 1, 2, 3, 4, 0x10), 16, &r);
	pt_seed("4k-nxe-raw-regs", 1 | 4, 0, va_of(0, 1, 2, 3, 4, 0x10), 16, &r);

	/* Fetch across a page boundary: PT[4] -> page 1, PT[5] -> page 2. */
	r.size = 3 * 4096;
	memcpy(r.b + 2 * 4096, code + 8, 8);
	memcpy(r.b + 4096 + 4088, code, 8);
	set_pte(&r, 0, 5, 0x2000 | PT_P | PT_NX);
	pt_seed("4k-cross-page", 4, 0, va_of(0, 1, 2, 3, 4, 4088), 16, &r);
	set_pte(&r, 0, 5, 0);
	pt_seed("4k-cross-not-present", 4, 0, va_of(0, 1, 2, 3, 4, 4088), 16, &r);

	/* 2 MiB page at GPA 0 from PD[3] (PS), and a 1 GiB page from PDPT[2]. */
	memset(&r, 0, sizeof(r));
	r.size = 2 * 4096;
	memcpy(r.b + 4096, code, sizeof(code));
	set_pte(&r, 0, 1, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 2, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 3, 0 | PT_P | PT_RW | PT_PS);
	pt_seed("2m", 0, 0, va_of(0, 1, 2, 3, 0, 0x1000), 16, &r);
	set_pte(&r, 0, 2, 0 | PT_P | PT_PS);
	pt_seed("1g", 0, 0, va_of(0, 1, 2, 0, 0, 0x1000), 16, &r);

	/* 5-level: PML5[6] first. */
	memset(&r, 0, sizeof(r));
	r.size = 2 * 4096;
	memcpy(r.b + 4096, code, sizeof(code));
	set_pte(&r, 0, 6, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 1, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 2, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 3, 0 | PT_P | PT_RW);
	set_pte(&r, 0, 4, 0x1000 | PT_P | PT_RW);
	pt_seed("5-level", 2, 0, va_of(6, 1, 2, 3, 4, 0), 16, &r);

	/* A self-referencing PML4 entry (the recursive mapping trick) and a kernel-half VA. */
	memset(&r, 0, sizeof(r));
	r.size = 4096;
	set_pte(&r, 0, 511, 0 | PT_P | PT_RW);
	va = va_of(0, 511, 511, 511, 511, 0xFF8);
	pt_seed("self-map", 4, 0, va, 8, &r);
	pt_seed("noncanonical", 0, 0, 0x0000800000000000ULL, 8, &r);
}

/* ---- fuzz_json ------------------------------------------------------------ */

static void json_seeds(void)
{
	struct seed s = {.n = 0};

	put16(&s, 64);
	put(&s, "console: \"hi\" \\ tab\tnl\n", 23);
	put(&s, "\x01\x7f\x80\xff", 4);
	save("json", "mixed", &s);
	s.n = 0;
	put16(&s, 5);
	put(&s, "ab\"c", 4);
	save("json", "cut-mid-escape", &s);
	s.n = 0;
	put16(&s, 600);
	for (unsigned i = 0; i < 256; i++)
		put8(&s, (uint8_t)i);
	save("json", "every-byte", &s);
}

/* ---- fuzz_elf / fuzz_inspect ------------------------------------------------ */

/*
 * A minimal ET_EXEC x86-64 image: header, program headers, code at file
 * offset 0x1000 (page-aligned, like the real guests). With `sections`, a
 * .text / .symtab / .strtab / .shstrtab set follows, for inspect's anchors.
 */
struct mini_seg {
	uint64_t paddr, filesz, memsz;
	uint32_t flags;
	const uint8_t *bytes;
};

/* An x86-64 ET_EXEC header with the given entry and nothing else filled in. */
static Elf64_Ehdr exec_ehdr(uint64_t entry)
{
	Elf64_Ehdr eh = {0};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_ehsize = sizeof(eh);
	return eh;
}

static void mini_elf(const char *target, const char *name, uint64_t va_off, uint64_t entry,
		     const struct mini_seg *segs, unsigned nsegs, int sections)
{
	struct seed s = {.n = 0};
	Elf64_Ehdr eh = exec_ehdr(entry);
	uint64_t off = 0x1000;
	size_t text_off = 0;

	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)(nsegs + 1);
	put(&s, &eh, sizeof(eh));
	for (unsigned i = 0; i < nsegs; i++) {
		Elf64_Phdr ph = {.p_type = PT_LOAD,
				 .p_flags = segs[i].flags,
				 .p_offset = segs[i].filesz ? off : 0,
				 .p_vaddr = segs[i].paddr + va_off,
				 .p_paddr = segs[i].paddr,
				 .p_filesz = segs[i].filesz,
				 .p_memsz = segs[i].memsz,
				 .p_align = 0x1000};

		if (i == 0)
			text_off = off;
		off += (segs[i].filesz + 0xFFF) & ~0xFFFULL;
		put(&s, &ph, sizeof(ph));
	}
	{
		/* A non-load header the loader must skip. */
		Elf64_Phdr note = {.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};

		put(&s, &note, sizeof(note));
	}
	for (unsigned i = 0; i < nsegs; i++) {
		if (!segs[i].filesz)
			continue;
		while (s.n % 0x1000)
			put8(&s, 0);
		put(&s, segs[i].bytes, segs[i].filesz);
	}
	if (sections) {
		static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
		static const char str[] = "\0_start\0set_cr";
		Elf64_Sym syms[3] = {{0}};
		Elf64_Shdr sh[5] = {{0}};
		uint64_t sym_off, str_off, shstr_off;

		syms[1] = (Elf64_Sym){.st_name = 8,
				      .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC),
				      .st_shndx = 1,
				      .st_value = entry + 5};
		syms[2] = (Elf64_Sym){.st_name = 1,
				      .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				      .st_shndx = 1,
				      .st_value = entry};
		while (s.n % 8)
			put8(&s, 0);
		sym_off = s.n;
		put(&s, syms, sizeof(syms));
		str_off = s.n;
		put(&s, str, sizeof(str));
		shstr_off = s.n;
		put(&s, shstr, sizeof(shstr));
		while (s.n % 8)
			put8(&s, 0);
		sh[1] = (Elf64_Shdr){.sh_name = 1,
				     .sh_type = SHT_PROGBITS,
				     .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				     .sh_addr = segs[0].paddr + va_off,
				     .sh_offset = text_off,
				     .sh_size = segs[0].filesz,
				     .sh_addralign = 16};
		sh[2] = (Elf64_Shdr){.sh_name = 7,
				     .sh_type = SHT_SYMTAB,
				     .sh_offset = sym_off,
				     .sh_size = sizeof(syms),
				     .sh_link = 3,
				     .sh_info = 2,
				     .sh_addralign = 8,
				     .sh_entsize = sizeof(Elf64_Sym)};
		sh[3] = (Elf64_Shdr){.sh_name = 15,
				     .sh_type = SHT_STRTAB,
				     .sh_offset = str_off,
				     .sh_size = sizeof(str),
				     .sh_addralign = 1};
		sh[4] = (Elf64_Shdr){.sh_name = 23,
				     .sh_type = SHT_STRTAB,
				     .sh_offset = shstr_off,
				     .sh_size = sizeof(shstr),
				     .sh_addralign = 1};
		eh.e_shoff = s.n;
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 5;
		eh.e_shstrndx = 4;
		put(&s, sh, sizeof(sh));
		memcpy(s.b, &eh, sizeof(eh));
	}
	save(target, name, &s);
}

static void elf_seeds(void)
{
	/* mov cr0,rax; wrmsr; lgdt [rax]; lidt [rax]; ltr ax; mov cr4,rax; xsetbv; hlt; jmp $ */
	static const uint8_t code[] = {0x0f, 0x22, 0xc0, 0x90, 0x90, 0x0f, 0x30, 0x0f, 0x01,
				       0x10, 0x0f, 0x01, 0x18, 0x0f, 0x00, 0xd8, 0x0f, 0x22,
				       0xe0, 0x0f, 0x01, 0xd1, 0xf4, 0xeb, 0xfe};
	static const uint8_t rodata[] = "vtlmon fuzz seed\n";
	const uint64_t base0 = VTL_IMAGE_MIN_OFFSET, base1 = VTL1_PRIV_GPA + VTL_IMAGE_MIN_OFFSET;
	const uint64_t off1 = VTL1_KERNEL_VA - VTL1_PRIV_GPA;
	struct mini_seg one[] = {{base0, sizeof(code), sizeof(code), PF_R | PF_X, code}};
	struct mini_seg three[] = {
	    {base0, sizeof(code), sizeof(code), PF_R | PF_X, code},
	    {base0 + 0x1000, sizeof(rodata), sizeof(rodata), PF_R, rodata},
	    {base0 + 0x2000, 0, 0x3000, PF_R | PF_W, NULL},
	};
	struct mini_seg vtl1[] = {
	    {base1, sizeof(code), sizeof(code), PF_R | PF_X, code},
	    {base1 + 0x1000 + 0x10, sizeof(rodata), 0x20000, PF_R | PF_W, rodata},
	};
	struct mini_seg many[17];
	const uint64_t top = base1 + (VTL0_RAM_MIN - VTL_IMAGE_MIN_OFFSET) / 2;
	struct mini_seg at_top[] = {{top - 0x1000, sizeof(code), 0x1000, PF_R | PF_X, code}};

	/* VTL_BOOT_MAX_SEGMENTS PT_LOADs, and one too many (all but the first are bss). */
	many[0] = one[0];
	for (unsigned i = 1; i < 17; i++)
		many[i] = (struct mini_seg){base0 + i * 0x1000, 0, 0x1000, PF_R | PF_W, NULL};
	mini_elf("elf", "mini-vtl0-16-segments", 0, base0, many, 16, 0);
	mini_elf("elf", "mini-vtl0-17-segments", 0, base0, many, 17, 0);
	/* For the harness's "vtl1-top" limits: a segment ending exactly at VA 2^64. */
	mini_elf("elf", "mini-ends-at-2-64", 0 - top, 0 - 0x1000, at_top, 1, 0);
	mini_elf("elf", "mini-vtl0", 0, base0, one, 1, 0);
	mini_elf("elf", "mini-vtl0-text-rodata-bss", 0, base0 + 5, three, 3, 0);
	mini_elf("elf", "mini-vtl1-unaligned-data", off1, base1 + off1, vtl1, 2, 0);
	mini_elf("inspect", "mini-sensitive", 0, base0, one, 1, 0);
	mini_elf("inspect", "mini-sensitive-symtab", 0, base0, three, 3, 1);
	mini_elf("inspect", "mini-vtl1-symtab", off1, base1 + off1, vtl1, 2, 1);
}

/* ---- fuzz_insn -------------------------------------------------------------- */

static void insn_cr_seed(const char *name, const uint8_t *b, uint8_t n)
{
	struct seed s = {.n = 0};

	put8(&s, 0);
	put8(&s, n);
	put(&s, b, n);
	save("insn", name, &s);
}

/* mask bit i carries GPR i (kvm_regs order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15). */
static void insn_ws_seed(const char *name, uint64_t rip, uint32_t len, uint8_t ea, uint64_t target,
			 uint16_t mask, const uint64_t *gprs, const uint8_t *b, uint8_t n)
{
	struct seed s = {.n = 0};
	unsigned k = 0;

	put8(&s, 1);
	put64(&s, rip);
	put32(&s, len - 1); /* the harness adds one */
	put8(&s, ea);
	put64(&s, target);
	put16(&s, mask);
	for (unsigned i = 0; i < 16; i++)
		if (mask & (1u << i))
			put64(&s, gprs[k++]);
	put8(&s, n);
	put(&s, b, n);
	save("insn", name, &s);
}

static void put_regs(struct seed *s, uint16_t mask, const uint64_t *gprs)
{
	unsigned k = 0;

	put16(s, mask);
	for (unsigned i = 0; i < 16; i++)
		if (mask & (1u << i))
			put64(s, gprs[k++]);
}

static void insn_decode_seed(const char *name, uint64_t rip, uint8_t flags, uint16_t mask,
			     const uint64_t *gprs, const uint8_t *b, uint8_t n)
{
	struct seed s = {.n = 0};

	put8(&s, 2);
	put64(&s, rip);
	put8(&s, flags); /* bit 0 regs_after, bit 1 DF */
	put64(&s, 0x7f0000000000ULL);
	put64(&s, 0xffff888000000000ULL);
	put_regs(&s, mask, gprs);
	put8(&s, n);
	put(&s, b, n);
	save("insn", name, &s);
}

static void insn_origin_seed(const char *name, uint64_t rip, uint64_t gpa, uint32_t len,
			     uint8_t flags, uint16_t mask, const uint64_t *gprs,
			     const uint8_t *before, uint8_t n, const uint8_t *at, uint8_t at_n)
{
	struct seed s = {.n = 0};

	put8(&s, 3);
	put64(&s, rip);
	put64(&s, gpa);
	put32(&s, len - 1);
	put8(&s, flags); /* % 4: 0 always, 1 never, 2 identity, 3 same page */
	put64(&s, 0);
	put64(&s, 0);
	put_regs(&s, mask, gprs);
	put8(&s, n);
	put(&s, before, n);
	put8(&s, at_n);
	put(&s, at, at_n);
	save("insn", name, &s);
}

/* Mode 4: insn_len against Capstone. */
static void insn_len_seed(const char *name, const uint8_t *b, uint8_t n)
{
	struct seed s = {.n = 0};

	put8(&s, 4);
	put8(&s, n);
	put(&s, b, n);
	save("insn", name, &s);
}

/* Mode 5: insn_decode_store against insn_decode; rax..r15 from gprs (all 16 present). */
static void insn_store_seed(const char *name, const uint64_t *gprs, const uint8_t *b, uint8_t n)
{
	struct seed s = {.n = 0};

	put8(&s, 5);
	put64(&s, 0x1000);
	put8(&s, 0);
	put64(&s, 0x7f0000000000ULL);
	put64(&s, 0xffff888000000000ULL);
	put_regs(&s, 0xffff, gprs);
	put8(&s, n);
	put(&s, b, n);
	save("insn", name, &s);
}

static void insn_seeds(void)
{
	static const uint8_t cr4_rax[] = {0x0f, 0x22, 0xe0}, cr0_rdi[] = {0x0f, 0x22, 0xc7};
	static const uint8_t cr4_r13[] = {0x41, 0x0f, 0x22, 0xe5}, cr8[] = {0x44, 0x0f, 0x22, 0xc0};
	static const uint8_t pfx_rex[] = {0x66, 0x41, 0x0f, 0x22, 0xe0};
	static const uint8_t read_cr[] = {0x0f, 0x20, 0xe0};
	static const uint8_t mov_q[] = {0x90, 0x90, 0x48, 0x89, 0x18};
	static const uint8_t rip_rel[] = {0x90, 0xc7, 0x05, 0x00, 0x10, 0x00,
					  0x00, 0x05, 0x00, 0x00, 0x00};
	static const uint8_t stos[] = {0xaa, 0xf3, 0xaa}, push[] = {0x55, 0x50};
	static const uint8_t call[] = {0xe8, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t movdqu[] = {0x90, 0xf3, 0x0f, 0x7f, 0x00};
	static const uint8_t fs_store[] = {0x64, 0x89, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00};
	static const uint8_t sib[] = {0x89, 0x44, 0x8b, 0x08};
	uint8_t many[20];
	uint64_t g[16];

	insn_cr_seed("cr-mov-cr4-rax", cr4_rax, sizeof(cr4_rax));
	insn_cr_seed("cr-mov-cr0-rdi", cr0_rdi, sizeof(cr0_rdi));
	insn_cr_seed("cr-mov-cr4-r13", cr4_r13, sizeof(cr4_r13));
	insn_cr_seed("cr-mov-cr8", cr8, sizeof(cr8));
	insn_cr_seed("cr-prefix-then-rex", pfx_rex, sizeof(pfx_rex));
	insn_cr_seed("cr-read-not-write", read_cr, sizeof(read_cr));
	memset(many, 0x66, sizeof(many));
	many[15] = 0x0f;
	many[16] = 0x22;
	many[17] = 0xe0;
	insn_cr_seed("cr-too-many-prefixes", many, 18);

	g[0] = 0x5000;
	insn_ws_seed("ws-rex-store", 0x101005, 8, 3, 0x5000, 1, g, mov_q, sizeof(mov_q));
	insn_ws_seed("ws-rex-suffix-4-bytes", 0x101005, 4, 3, 0x5000, 1, g, mov_q, sizeof(mov_q));
	insn_ws_seed("ws-rip-relative", 0x200000, 4, 3, 0x201000, 0, g, rip_rel, sizeof(rip_rel));
	insn_ws_seed("ws-rip-relative-miss", 0x200000, 4, 3, 0x999000, 0, g, rip_rel,
		     sizeof(rip_rel));
	g[0] = 0x7000;
	insn_ws_seed("ws-rep-stosb", 0x1003, 1, 1, 0x7000, 1u << 7, g, stos, sizeof(stos));
	g[0] = 0x8ff8;
	insn_ws_seed("ws-push", 0x1002, 8, 1, 0x8ff8, 1u << 4, g, push, sizeof(push));
	insn_ws_seed("ws-call", 0x1005, 8, 4, 0x8ff8, 1u << 4, g, call, sizeof(call));
	insn_ws_seed("ws-movdqu-16", 0x1005, 16, 2, 0, 0, g, movdqu, sizeof(movdqu));
	insn_ws_seed("ws-fs-store", 0x1008, 4, 2, 0, 0, g, fs_store, sizeof(fs_store));
	g[0] = 0x1000;
	g[1] = 0x10;
	insn_ws_seed("ws-sib", 0x1004, 4, 3, 0x1000 + 0x40 + 8, 0x9, g, sib, sizeof(sib));
	insn_ws_seed("ws-no-callback", 0x1004, 4, 0, 0, 0, g, sib, sizeof(sib));

	{
		static const uint8_t mov_d[] = {0x89, 0x18}, fxsave[] = {0x0f, 0xae, 0x00};
		static const uint8_t cmpxchg16b[] = {0x48, 0x0f, 0xc7, 0x0e};
		static const uint8_t test_m[] = {0xf7, 0x00, 0x00, 0x00, 0x00, 0x00};
		static const uint8_t rep_stosb[] = {0xf3, 0xaa}, movsq[] = {0x48, 0xa5};
		static const uint8_t pushq[] = {0x55}, fs_mov[] = {0x64, 0x48, 0x89, 0x03};
		static const uint8_t straddle[] = {0x90, 0x48, 0x89, 0x18};
		uint64_t r[16] = {0x5000, 0x6000, 0x7000};

		insn_decode_seed("dec-mov-store", 0x1000, 0, 1, r, mov_d, sizeof(mov_d));
		insn_decode_seed("dec-fxsave", 0x1000, 0, 1, r, fxsave, sizeof(fxsave));
		insn_decode_seed("dec-cmpxchg16b", 0x1000, 0, 1u << 6, r, cmpxchg16b,
				 sizeof(cmpxchg16b));
		insn_decode_seed("dec-test-mem", 0x1000, 0, 1, r, test_m, sizeof(test_m));
		insn_decode_seed("dec-rep-stosb-after-df", 0x1002, 3, 1u << 7, r, rep_stosb,
				 sizeof(rep_stosb));
		insn_decode_seed("dec-movsq-after", 0x1002, 1, 1u << 6 | 1u << 7, r, movsq,
				 sizeof(movsq));
		insn_decode_seed("dec-push-before", 0x1000, 0, 1u << 4, r, pushq, sizeof(pushq));
		insn_decode_seed("dec-fs-store", 0x1000, 0, 1u << 3, r, fs_mov, sizeof(fs_mov));

		/* A plain store to [rax]: precise. The same bytes when the GPA does not match. */
		insn_origin_seed("wo-mov-precise", 0x1002, 0x5000, 4, 2, 1, r, mov_d, sizeof(mov_d),
				 NULL, 0);
		insn_origin_seed("wo-mov-wrong-gpa", 0x1002, 0x9000, 4, 2, 1, r, mov_d,
				 sizeof(mov_d), NULL, 0);
		/* rep stosb mid-way: RIP still on it, RDI already moved. */
		insn_origin_seed("wo-rep-stosb-at-rip", 0x1000, 0x6fff, 1, 2, 1u << 7, r, pushq, 1,
				 rep_stosb, sizeof(rep_stosb));
		/* push: known, not precise (RSP moved). */
		insn_origin_seed("wo-push", 0x1001, 0x7ff8, 8, 0, 1u << 4, r, pushq, sizeof(pushq),
				 NULL, 0);
		/* The second fragment of an 8-byte store crossing a page. */
		r[0] = 0x5ffc;
		insn_origin_seed("wo-straddle-second-fragment", 0x1004, 0x6000, 4, 2, 1, r,
				 straddle, sizeof(straddle), NULL, 0);
	}
	{
		/* The flood guest's denied store and the 12 bytes before it
		 * (tests/unit/test_insn.c). */
		static const uint8_t flood[] = {0x0d, 0x6a, 0x2f, 0x00, 0x00, 0x48, 0x8d, 0x0d,
						0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0x18};
		static const uint8_t flood_at[] = {0x48, 0xc7, 0x05, 0x55, 0x2f, 0x00,
						   0x00, 0x00, 0x00, 0x00, 0x00};
		static const uint8_t vex_store[] = {0x90, 0xc5, 0xfa, 0x7f, 0x00};
		/* gs: mov word [r12 - 2], 0x1234; REX.X index; rip-relative byte store. */
		static const uint8_t gs_imm16[] = {0x65, 0x66, 0x41, 0xc7, 0x44,
						   0x24, 0xfe, 0x34, 0x12};
		static const uint8_t rex_x[] = {0x42, 0x89, 0x04, 0xa0};
		static const uint8_t rip_byte[] = {0xc6, 0x05, 0x10, 0x00, 0x00, 0x00, 0x05};
		/* Lengths Capstone 4 takes from 66 or 67 where the CPU does not; mov from CR. */
		static const uint8_t ret66[] = {0x66, 0xc2, 0x01, 0x02, 0x03, 0x04};
		static const uint8_t call67[] = {0x67, 0xe8, 0x01, 0x02, 0x03, 0x04};
		static const uint8_t extrq67[] = {0x67, 0x0f, 0x78, 0xc0, 0x01, 0x02};
		static const uint8_t mov_from_cr[] = {0x0f, 0x20, 0x62, 0x52};
		static const uint8_t das[] = {0x2f, 0x90};
		uint64_t r[16] = {0x104000, 0xbadc0ffe, 0x1000bd};

		insn_origin_seed("wo-flood-store", 0x1000c0, 0x104000, 8, 2, 1, r, flood,
				 sizeof(flood), flood_at, sizeof(flood_at));
		insn_origin_seed("wo-flood-store-4", 0x1000c0, 0x104000, 4, 2, 1, r, flood,
				 sizeof(flood), flood_at, sizeof(flood_at));
		r[0] = 0x5000;
		insn_origin_seed("wo-vex-store", 0x2005, 0x5000, 8, 2, 1, r, vex_store,
				 sizeof(vex_store), NULL, 0);
		insn_store_seed("st-gs-imm16", r, gs_imm16, sizeof(gs_imm16));
		insn_store_seed("st-rex-x", r, rex_x, sizeof(rex_x));
		insn_store_seed("st-rip-byte", r, rip_byte, sizeof(rip_byte));
		insn_len_seed("len-ret-66", ret66, sizeof(ret66));
		insn_len_seed("len-call-67", call67, sizeof(call67));
		insn_len_seed("len-extrq-67", extrq67, sizeof(extrq67));
		insn_len_seed("len-mov-from-cr", mov_from_cr, sizeof(mov_from_cr));
		insn_len_seed("len-invalid-das", das, sizeof(das));
		insn_len_seed("len-flood-window", flood, sizeof(flood));
	}
}

/* ---- fuzz_permmap ------------------------------------------------------------ */

struct pm_op {
	uint8_t op, flags;
	uint64_t first, count;
	uint8_t perm;
};

static void pm_seed(const char *name, uint8_t mode, uint16_t pages, uint8_t budget, uint8_t init,
		    const struct pm_op *ops, unsigned n)
{
	struct seed s = {.n = 0};

	put8(&s, mode);
	put16(&s, pages - 1); /* the harness adds one */
	put8(&s, budget - 1);
	put8(&s, init);
	for (unsigned i = 0; i < n; i++) {
		put8(&s, ops[i].op);
		put8(&s, ops[i].flags);
		put64(&s, ops[i].first);
		put64(&s, ops[i].count);
		put8(&s, ops[i].perm);
	}
	save("permmap", name, &s);
}

static void permmap_seeds(void)
{
	/* op 0 set, 1 dry run, 2 plan_around; flags bit 0 raw range, bit 1 raw perm. */
	static const struct pm_op text_rodata[] = {
	    {0, 0, 16, 8, VTL_PERM_R | VTL_PERM_X},
	    {0, 0, 24, 4, VTL_PERM_R},
	    {0, 0, 28, 4, VTL_PERM_R | VTL_PERM_W},
	    {1, 0, 20, 8, 0},
	    {2, 0, 23, 2, 0},
	    {0, 0, 0, 1, 0},
	    {0, 0, 0, 64, VTL_PERM_MASK},
	};
	static const struct pm_op checker[] = {
	    {0, 0, 1, 1, 0},	      {0, 0, 3, 1, 0}, {0, 0, 5, 1, VTL_PERM_R},
	    {0, 0, 7, 1, VTL_PERM_X}, {0, 0, 9, 1, 0}, {0, 0, 11, 1, VTL_PERM_W},
	    {0, 0, 2, 1, VTL_PERM_R},
	};
	static const struct pm_op edges[] = {
	    {0, 0, 63, 1, 0},
	    {0, 0, 0, 65, 0},
	    {0, 0, 64, 1, 0},
	    {0, 1, UINT64_MAX, 2, 0},
	    {0, 1, 1, UINT64_MAX, 0},
	    {0, 2, 0, 1, 0x81},
	    {1, 1, 1ULL << 63, 1ULL << 63, 0},
	    {2, 1, UINT64_MAX, 1, 0},
	    {2, 1, 0, UINT64_MAX, 0},
	};
	static const struct pm_op engine[] = {
	    {0, 0, 16, 8, VTL_PERM_R | VTL_PERM_X},
	    {0, 0, 24, 4, VTL_PERM_R},
	    {0, 0, 32, 4, 0},
	    {0, 0, 40, 1, VTL_PERM_X},
	    {0, 0x20, 16, 20, VTL_PERM_MASK}, /* KVM fails the first slot call */
	};
	static const struct pm_op engine_full[] = {
	    {0, 0, 1, 1, 0}, {0, 0, 3, 1, 0}, {0, 0, 5, 1, 0},
	    {0, 0, 7, 1, 0}, {0, 0, 2, 1, 0}, {0, 0, 0, 8, VTL_PERM_R},
	};

	pm_seed("map-text-rodata", 0, 64, 64, 0, text_rodata, 7);
	pm_seed("map-checker-small-budget", 0, 16, 8, 0, checker, 7);
	pm_seed("map-edges-and-overflow", 0, 64, 64, 0, edges, 9);
	pm_seed("map-start-no-access", 2, 32, 64, 0, text_rodata, 3);
	pm_seed("engine-text-rodata-kvm-fails", 1, 64, 40, 0, engine, 5);
	pm_seed("engine-budget-3", 1, 16, 3, 0, engine_full, 6);
	pm_seed("engine-base-above-4g", 3, 64, 40, 0x10, engine, 4);
	{
		/* op 3: the monitor reads and writes for VTL0 (flags bit 2: write). */
		static const struct pm_op access[] = {
		    {0, 0, 4, 2, VTL_PERM_R}, {0, 0, 6, 1, 0},	  {3, 0, 3, 3 * 4096 - 1, 0x30},
		    {3, 4, 4, 100, 0},	      {3, 0, 5, 650, 66}, {3, 0, 6, 4, 0},
		    {3, 1, 0xfff, 2, 0},      {3, 4, 2, 8, 0},
		};

		pm_seed("engine-vtl0-access", 1, 16, 40, 0, access, 8);
	}
	{
		struct seed s = {.n = 0};

		/* map mode, then one raw slot_plan_diff: old {0,4,RW} {8,2,RO}, new {0,4,RW}
		 * {6,4,RO}. */
		put8(&s, 0);
		put16(&s, 15);
		put8(&s, 63);
		put8(&s, 7);
		put8(&s, 0x80);
		put8(&s, 2);
		put8(&s, 2);
		put64(&s, 0), put64(&s, 4), put8(&s, 2);
		put64(&s, 8), put64(&s, 2), put8(&s, 1);
		put64(&s, 0), put64(&s, 4), put8(&s, 2);
		put64(&s, 6), put64(&s, 4), put8(&s, 1);
		save("permmap", "raw-diff", &s);
	}
}

/* ---- fuzz_guestram ------------------------------------------------------------ */

static void gr_seed(const char *name, uint8_t mode, uint64_t base, uint16_t size, uint64_t g,
		    uint64_t len, uint16_t max, const char *ram)
{
	struct seed s = {.n = 0};

	put8(&s, mode);
	put64(&s, base);
	put16(&s, size - 1);
	put64(&s, g);
	put64(&s, len);
	put16(&s, max);
	put(&s, ram, strlen(ram));
	save("guestram", name, &s);
}

static void guestram_seeds(void)
{
	/* mode bit 1 takes the GPA raw, bit 0 the base raw, bit 2 the length, bit 3 unmaps. */
	gr_seed("string", 2, 0, 64, 0, 8, 32, "hello\0world");
	gr_seed("string-to-end-of-ram", 2, 0, 16, 4, 12, 64, "0123456789abcdef");
	gr_seed("string-fills-buffer", 2, 0, 64, 0, 8, 5, "a long string with no end");
	gr_seed("base-above-4g", 3, 0x100000000ULL, 32, 0x100000010ULL, 16, 40, "abcdefghijklmnop");
	gr_seed("start-below-base", 3, 0x1000, 32, 0xfff, 2, 8, "xyz");
	gr_seed("wrapping-length", 6, 0, 32, 16, UINT64_MAX - 8, 8, "xyz");
	gr_seed("unmapped", 10, 0, 32, 0, 4, 8, "xyz");
	gr_seed("max-zero", 2, 0, 32, 0, 4, 0, "xyz");
}

/* ---- fuzz_events ---------------------------------------------------------------- */

static void events_seeds(void)
{
	struct seed s = {.n = 0};
	static char big[2100];

	/* op % 8: 0/1 strn, 2 u64, 3 i64, 4 hex, 5 bool, 6 str, 7 emit; key/type = op >> 3. */
	put8(&s, 0);
	put16(&s, 24);
	put(&s, "console: \"hi\" \\ tab\tnl\n", 24);
	put8(&s, 2 | 4 << 3);
	put64(&s, 7);
	put8(&s, 3 | 5 << 3);
	put64(&s, (uint64_t)-42);
	put8(&s, 4 | 5 << 3);
	put64(&s, 0xfeedULL);
	put8(&s, 5);
	put8(&s, 1);
	put8(&s, 7 | 1 << 3);
	put8(&s, 6 | 1 << 3);
	put16(&s, 12);
	put(&s, "file.c\0junk!", 12);
	save("events", "every-field", &s);

	s.n = 0;
	memset(big, 'x', sizeof(big));
	big[10] = '"';
	put8(&s, 0);
	put16(&s, 2000);
	put(&s, big, 2000);
	put8(&s, 7);
	put8(&s, 0);
	put16(&s, 1990);
	put(&s, big, 1990);
	save("events", "overflow-and-edge", &s);

	s.n = 0;
	put8(&s, 1);
	put16(&s, 256);
	for (unsigned i = 0; i < 256; i++)
		put8(&s, (uint8_t)i);
	save("events", "every-byte", &s);
}

/* ---- fuzz_cli ------------------------------------------------------------------ */

static void cli_size_seed(const char *name, const char *text)
{
	struct seed s = {.n = 0};

	put8(&s, 1);
	put(&s, text, strlen(text));
	save("cli", name, &s);
}

/* One argument: kind (option | 0x10 separate value | 0x20 readable file | 0x40 big file). */
static void cli_arg(struct seed *s, uint8_t kind, const char *val)
{
	put8(s, kind);
	if (val) {
		put8(s, (uint8_t)strlen(val));
		put(s, val, strlen(val));
	}
}

static void cli_seeds(void)
{
	struct seed s = {.n = 0};

	cli_size_seed("size-64M", "64M");
	cli_size_seed("size-1GiB", "1GiB");
	cli_size_seed("size-4096KB", "4096KB");
	cli_size_seed("size-hex", "0x200000");
	cli_size_seed("size-leading-zero", "010M");
	cli_size_seed("size-max", "18446744073709551615");
	cli_size_seed("size-overflow-shift", "17179869184G");
	cli_size_seed("size-overflow-digits", "99999999999999999999");
	cli_size_seed("size-bad-suffix", "12T");
	cli_size_seed("size-b-without-unit", "100B");

	/* O_VTL0 0, VTL1 1, POLICY 2, MODULE 3, MEM 4, VTL1_MEM 5, CPUS 6, TIMEOUT 7, EVENTS 8,
	 * QUIET 9, NO_SANDBOX 10, VERBOSE 11, V 12, raw 15. */
	put8(&s, 0);
	put8(&s, 9);
	cli_arg(&s, 4, "64M");
	cli_arg(&s, 5 | 0x10, "16MiB");
	cli_arg(&s, 6, "2");
	cli_arg(&s, 7 | 0x10, "1.5");
	cli_arg(&s, 8, "/tmp/ev.jsonl");
	cli_arg(&s, 9, NULL);
	cli_arg(&s, 10, NULL);
	cli_arg(&s, 12, NULL);
	cli_arg(&s, 11, NULL);
	save("cli", "run-every-option", &s);

	s.n = 0;
	put8(&s, 0);
	put8(&s, 5);
	cli_arg(&s, 0 | 0x20, "");
	cli_arg(&s, 1 | 0x40, "");
	cli_arg(&s, 3 | 0x20, "");
	cli_arg(&s, 3 | 0x40 | 0x10, "");
	cli_arg(&s, 2 | 0x20, "");
	save("cli", "run-files", &s);

	s.n = 0;
	put8(&s, 0);
	put8(&s, 4);
	cli_arg(&s, 3 | 0x20, "");
	cli_arg(&s, 3 | 0x20, "");
	cli_arg(&s, 3 | 0x20, "");
	cli_arg(&s, 3 | 0x20, "");
	save("cli", "run-too-many-modules", &s);

	s.n = 0;
	put8(&s, 0);
	put8(&s, 2);
	cli_arg(&s, 2 | 0x40, "");
	cli_arg(&s, 6, "4097");
	save("cli", "run-policy-too-big", &s);

	s.n = 0;
	put8(&s, 0);
	put8(&s, 3);
	cli_arg(&s, 6 | 0x10, " +7");
	cli_arg(&s, 7, "1e-9");
	cli_arg(&s, 15, "stray");
	save("cli", "run-odd-numbers-and-stray-arg", &s);

	s.n = 0;
	put8(&s, 0);
	put8(&s, 2);
	cli_arg(&s, 7, "nan");
	cli_arg(&s, 4, "");
	save("cli", "run-bad-timeout", &s);
}

/* ---- fuzz_vtl1 ------------------------------------------------------------------ */

/* Boot info as the monitor builds it: an image of text (RX), rodata (R) and data (RW). */
static void vtl1_boot(struct seed *s, uint8_t policy, uint8_t features, uint8_t entries)
{
	s->n = 0;
	put8(s, 0);				/* realistic */
	put8(s, policy);			/* 0 default, 1 dev, 2 nx-required, 3 strict */
	put8(s, features);			/* VTL_FEAT_* */
	put16(s, 2048 - 1024);			/* 2048 pages: 8 MiB */
	put8(s, 3);				/* segments */
	put16(s, 256), put8(s, 15), put8(s, 5); /* text: 0x100000, 16 pages, R|X */
	put16(s, 272), put8(s, 3), put8(s, 4);	/* rodata */
	put16(s, 276), put8(s, 7), put8(s, 6);	/* data */
	put8(s, entries);
}

/* gen_call: entry kind 0, nr index (nrs[] in the harness), steer (1: raw args), 3 args. */
static void vtl1_call(struct seed *s, uint8_t nr_index, uint8_t steer, uint64_t a0, uint64_t a1,
		      uint64_t a2)
{
	put8(s, 0);
	put8(s, nr_index);
	put8(s, steer);
	put64(s, a0);
	put64(s, a1);
	put64(s, a2);
}

/* gen_intercept: entry kind 9, kind - 1, flags, gpa/index source, value, aux. */
static void vtl1_intercept(struct seed *s, uint8_t kind, uint8_t flags, uint64_t a, uint64_t v,
			   uint64_t x)
{
	put8(s, 9);
	put8(s, kind - 1);
	put8(s, flags);
	put64(s, a);
	put64(s, v);
	put64(s, x);
}

enum {
	C_NOP,
	C_ECHO,
	C_PROTECT,
	C_PIN_CR,
	C_PIN_MSR,
	C_EOB,
	C_UNPIN_CR,
	C_UNPIN_MSR,
	C_KEXEC_LOAD,
	C_KEXEC_EXEC
};

static void vtl1_seeds(void)
{
	static const char *const names[] = {"default", "dev", "nx-required", "strict"};
	const uint8_t feat = 0x77; /* everything but NOEXEC (absent upstream) */
	struct seed s;
	char name[64];

	for (uint8_t p = 0; p < 4; p++) {
		/* The calls VTL0 makes at boot, then one intercept of each kind. */
		vtl1_boot(&s, p, p == 2 ? 0xff : feat, 14);
		vtl1_call(&s, C_NOP, 1, 0, 0, 0);
		vtl1_call(&s, C_ECHO, 1, 0x1234, 0x5678, 0);
		vtl1_call(&s, C_PROTECT, 0, 300, 4 + 0, 1); /* pages 300..303 -> R */
		vtl1_call(&s, C_PROTECT, 0, 256, 2 + 0, 7); /* relax text: locked? */
		vtl1_call(&s, C_PIN_CR, 2, 1, 0x100000, 0); /* CR4.SMEP */
		vtl1_call(&s, C_PIN_MSR, 0, 1, 0, 0);
		vtl1_call(&s, C_UNPIN_CR, 2, 1, 0x100000, 0);
		vtl1_call(&s, C_EOB, 1, 0, 0, 0);
		vtl1_call(&s, C_PROTECT, 0, 300, 4 + 0, 7);	       /* relax after end of boot */
		vtl1_intercept(&s, 2, 0x21, 0x100000, 0xcc, 0x100010); /* write to text */
		vtl1_intercept(&s, 1, 0x20, 0, 0, 0);
		vtl1_intercept(&s, 3, 0x20, 0x200000, 0, 0x200000);
		vtl1_intercept(&s, 4, 0x20, 0, 0xdead, 0);
		vtl1_intercept(&s, 5, 0x20, 0, 0, 0);
		snprintf(name, sizeof(name), "%s-calls-and-intercepts", names[p]);
		save("vtl1", name, &s);
	}

	/* dev: kexec by signature (VERIFY_SIG answers OK: a zero decision). */
	vtl1_boot(&s, 1, feat, 3);
	vtl1_call(&s, C_KEXEC_LOAD, 2, 600, 3 * 4096 + 5, 900 + 0x40ULL * (1ULL << 32));
	vtl1_call(&s, C_PROTECT, 0, 600, 1, 7); /* the staged image: refused */
	vtl1_call(&s, C_KEXEC_EXEC, 1, 0, 0, 0);
	save("vtl1", "dev-kexec-by-signature", &s);

	/* strict: kexec by digest. Decisions from the end: boot list, load list, STAGE, MEASURE. */
	vtl1_boot(&s, 3, feat, 2);
	vtl1_call(&s, C_KEXEC_LOAD, 0, 600, 8191, 0);
	vtl1_call(&s, C_KEXEC_EXEC, 1, 0, 0, 0);
	put8(&s, 1); /* MEASURE: the policy's digest */
	put8(&s, 0); /* STAGE ok */
	put8(&s, 0); /* load list: no failure */
	put8(&s, 0); /* boot list: no failure */
	save("vtl1", "strict-kexec-by-digest", &s);

	/* default: a PROTECT whose SET_PERMS the host refuses (memslots ran out). */
	vtl1_boot(&s, 0, feat, 1);
	vtl1_call(&s, C_PROTECT, 0, 400, 2, 0);
	put8(&s, 0);	/* status: VTL_E_NO_RESOURCES (the first of the harness's) */
	put8(&s, 0);	/* op 0, the SET_PERMS */
	put8(&s, 0xE0); /* fail one op */
	put8(&s, 0);	/* boot list ok */
	save("vtl1", "default-protect-refused-by-host", &s);

	/* nx-required on a host without exec protection: the launch is refused. */
	vtl1_boot(&s, 2, feat, 0);
	save("vtl1", "nx-required-refused", &s);

	/* A policy given inline, with log actions everywhere. */
	{
		static const char text[] = "vtlmon-policy 1\n"
					   "cr pinnable CR0.WP CR4.SMEP\n"
					   "msr pinnable LSTAR\n"
					   "memory text rx locked\n"
					   "memory range 0x200000 8K none\n"
					   "action default log\n"
					   "action mem-exec reset\n";

		s.n = 0;
		put8(&s, 0);
		put8(&s, 0xC0);
		put16(&s, sizeof(text) - 1);
		put(&s, text, sizeof(text) - 1);
		put8(&s, feat);
		put16(&s, 1024);
		put8(&s, 1);
		put16(&s, 256), put8(&s, 3), put8(&s, 5);
		put8(&s, 5);
		vtl1_intercept(&s, 5, 0x20, 0, 0x10000, 0);
		vtl1_intercept(&s, 4, 0x28, 0, 0, 0); /* value VTL1_PIN_CURRENT */
		vtl1_intercept(&s, 2, 0x20, 0x100000, 1, 0x100000);
		vtl1_call(&s, C_PIN_CR, 2, 0, 0x10000, 0);
		vtl1_intercept(&s, 3, 0x20, 0x200000, 0, 0x200000);
		save("vtl1", "inline-policy-log-and-reset", &s);
	}

	/* Raw mode: boot info out of range, then anything. */
	s.n = 0;
	put8(&s, 1);
	put8(&s, 0);
	put8(&s, feat);
	put64(&s, 0x1001);
	put32(&s, 17);
	save("vtl1", "raw-bad-ram-size", &s);
}

/* ---- fuzz_linux ------------------------------------------------------------------ */

/* The harness's 32-byte head: flags, RAM selector, command-line length, initrd size, kend. */
static void linux_head(struct seed *s, uint32_t flags, uint32_t ram, uint64_t cmdline,
		       uint64_t initrd, uint64_t kend)
{
	put32(s, flags);
	put32(s, ram);
	put64(s, cmdline);
	put64(s, initrd);
	put64(s, kend);
}

/* A RAM size the monitor accepts (flag bit 0 clear): a 2 MiB multiple from VTL0_RAM_MIN. */
#define LINUX_RAM_MIB(n) ((uint32_t)(((n) - (VTL0_RAM_MIN >> 20)) / 2))

struct bz {
	uint8_t setup_sects, jump, relocatable;
	uint16_t version, xloadflags;
	uint32_t align, init_size, cmdline_size, initrd_addr_max;
	uint64_t pref;
	size_t pm_size;
};

/* A synthesized bzImage: the setup header of bz, setup sectors of zeros, a jmp $ kernel. */
static void linux_bz_seed(const char *name, uint32_t flags, uint32_t ram, uint64_t cmdline,
			  uint64_t initrd, const struct bz *bz)
{
	struct seed s = {.n = 0};
	uint8_t *b;
	size_t setup = ((size_t)(bz->setup_sects ? bz->setup_sects : 4) + 1) * 512;

	linux_head(&s, flags, ram, cmdline, initrd, 0);
	b = s.b + s.n;
	memset(b, 0, setup + bz->pm_size);
	s.n += setup + bz->pm_size;
	b[LINUX_HDR_SETUP_SECTS] = bz->setup_sects;
	b[LINUX_HDR_BOOT_FLAG] = 0x55;
	b[LINUX_HDR_BOOT_FLAG + 1] = 0xAA;
	b[LINUX_HDR_JUMP] = 0xEB;
	b[LINUX_HDR_JUMP + 1] = bz->jump;
	memcpy(b + LINUX_HDR_HEADER, "HdrS", 4);
	memcpy(b + LINUX_HDR_VERSION, &bz->version, 2);
	b[LINUX_HDR_TYPE_OF_LOADER] = 0;
	b[LINUX_HDR_LOADFLAGS] = LINUX_LOADED_HIGH;
	memcpy(b + LINUX_HDR_INITRD_ADDR_MAX, &bz->initrd_addr_max, 4);
	memcpy(b + LINUX_HDR_KERNEL_ALIGNMENT, &bz->align, 4);
	b[LINUX_HDR_RELOCATABLE] = bz->relocatable;
	memcpy(b + LINUX_HDR_XLOADFLAGS, &bz->xloadflags, 2);
	memcpy(b + LINUX_HDR_CMDLINE_SIZE, &bz->cmdline_size, 4);
	memcpy(b + LINUX_HDR_PREF_ADDRESS, &bz->pref, 8);
	memcpy(b + LINUX_HDR_INIT_SIZE, &bz->init_size, 4);
	/* The 64-bit entry at +0x200: jmp $ */
	if (bz->pm_size >= LINUX_ENTRY64_OFFSET + 2) {
		b[setup + LINUX_ENTRY64_OFFSET] = 0xEB;
		b[setup + LINUX_ENTRY64_OFFSET + 1] = 0xFE;
	}
	save("linux", name, &s);
}

/* An ELF header (a vmlinux to linux_probe; its PT_LOADs are fuzz_elf's business). */
static void linux_elf_seed(const char *name, uint32_t flags, uint32_t ram, uint64_t cmdline,
			   uint64_t initrd, uint64_t kend)
{
	struct seed s = {.n = 0};
	Elf64_Ehdr eh = exec_ehdr(0x1000000);

	linux_head(&s, flags, ram, cmdline, initrd, kend);
	put(&s, &eh, sizeof(eh));
	save("linux", name, &s);
}

/*
 * The test kernel's head: its setup sectors and the first KiB of the
 * protected-mode kernel (a real 2.15 header; the file's size is what the
 * probe sees, so RAM need only hold init_size).
 */
static void linux_real_seeds(const char *path)
{
	struct seed s = {.n = 0};
	size_t want, got;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		exit(1);
	}
	linux_head(&s, 0, LINUX_RAM_MIB(64), 120, 11264, 0);
	got = fread(s.b + s.n, 1, 0x400, f);
	want = got > LINUX_HDR_SETUP_SECTS
		   ? ((size_t)s.b[s.n + LINUX_HDR_SETUP_SECTS] + 1) * 512 + 1024
		   : 0;
	if (!want || want > sizeof(s.b) - s.n ||
	    fread(s.b + s.n + got, 1, want - got, f) != want - got) {
		fprintf(stderr, "mkseeds: %s: not a bzImage of at least %zu bytes\n", path, want);
		exit(1);
	}
	fclose(f);
	s.n += want;
	save("linux", "real-bzimage-head", &s);
	/* The same at 28 MiB, where its init_size (16 MiB + ~11.7 MiB) only just fits. */
	s.b[4] = (uint8_t)LINUX_RAM_MIB(28);
	save("linux", "real-bzimage-head-28m", &s);
}

static void linux_seeds(const char *bzimage)
{
	const struct bz std = {.setup_sects = 3,
			       .jump = 0x6A, /* header ends at 0x26C (2.15) */
			       .relocatable = 1,
			       .version = 0x020F,
			       .xloadflags = LINUX_XLF_KERNEL_64 | 0x2,
			       .align = 0x200000,
			       .init_size = 8 << 20,
			       .cmdline_size = 2047,
			       .initrd_addr_max = 0x7FFFFFFF,
			       .pref = 0x1000000,
			       .pm_size = 2048};
	struct bz bz;

	linux_bz_seed("bzimage-2.15", 0, LINUX_RAM_MIB(64), 200, 11264, &std);
	/* pref_address off the alignment: rounded up to 18 MiB. */
	bz = std;
	bz.pref = 0x1001000;
	linux_bz_seed("bzimage-pref-unaligned", 0, LINUX_RAM_MIB(64), 0, 0, &bz);
	/* Not relocatable, at 1 MiB, setup_sects 0 (meaning 4), oldest accepted protocol. */
	bz = std;
	bz.relocatable = 0;
	bz.align = 0;
	bz.pref = 0x100000;
	bz.setup_sects = 0;
	bz.version = 0x020C;
	bz.jump = 0x66;
	bz.init_size = 2 << 20;
	/* In the smallest RAM: kernel [1 MiB, 3 MiB), the initrd exactly fills [3 MiB, 4 MiB). */
	linux_bz_seed("bzimage-2.12-fixed-1m", 0, 0, 100, 1 << 20, &bz);
	/* Refused until RAM holds init_size: the message says to raise --mem. */
	bz.init_size = 0x10000000;
	linux_bz_seed("bzimage-needs-more-ram", 0x18, LINUX_RAM_MIB(64), 0, 0, &bz);
	/* [load, + init_size) ends exactly at the end of a raw RAM size (bit 0). */
	bz = std;
	linux_bz_seed("bzimage-ram-exact", 1, 0x1000000 + (8 << 20) - (uint32_t)VTL0_RAM_MIN, 0, 0,
		      &bz);
	/* initrd_addr_max below the end of RAM, the initrd pressed against the kernel. */
	bz = std;
	bz.initrd_addr_max = (32 << 20) - 1;
	linux_bz_seed("bzimage-initrd-max-low", 0, LINUX_RAM_MIB(64), 0, (8 << 20) - 4096, &bz);
	/* The command line at the kernel's own limit; a header past the e820 table. */
	bz = std;
	bz.cmdline_size = 255;
	bz.jump = 0xFF;
	linux_bz_seed("bzimage-cmdline-255", 0x18, LINUX_RAM_MIB(32), 255, 4096, &bz);
	/* The longest header the zero page takes: it ends where the e820 table starts. */
	bz = std;
	bz.jump = LINUX_BP_E820_TABLE - LINUX_HDR_HEADER;
	linux_bz_seed("bzimage-header-ends-at-e820", 0, LINUX_RAM_MIB(64), 0, 0, &bz);
	/* A header whose cmdline_size is the monitor's whole area (no room for the NUL): at the
	 * limit. */
	bz = std;
	bz.cmdline_size = LINUX_CMDLINE_AREA;
	linux_bz_seed("bzimage-cmdline-area-limit", 0x4, LINUX_RAM_MIB(64), 2, 0, &bz);
	/* An initrd that exactly fills the room below initrd_addr_max (steered, bits 5-6). */
	bz = std;
	bz.initrd_addr_max = (48 << 20) - 1;
	linux_bz_seed("bzimage-initrd-fills-room", 0x40, LINUX_RAM_MIB(64), 0, 0x1000, &bz);
	/* The largest kernel_alignment: pref_address rounds up to 1 GiB, in 3 GiB of RAM. */
	bz = std;
	bz.align = 1U << 30;
	linux_bz_seed("bzimage-align-1g", 0, LINUX_RAM_MIB(3072), 0, 0, &bz);
	/* linux_place_initrd below 1 MiB: a raw kernel end (bit 7) of 0, an initrd over 3 MiB. */
	bz = std;
	bz.initrd_addr_max = (4 << 20) - 1;
	linux_bz_seed("bzimage-raw-kernel-end", 0xA0, LINUX_RAM_MIB(64), 0, 0x301000, &bz);
	/* Refused: a 32-bit kernel, with a 24-byte message buffer. */
	bz = std;
	bz.xloadflags = 0x2;
	linux_bz_seed("bzimage-32-bit", 0x10, LINUX_RAM_MIB(64), 0, 0, &bz);
	linux_elf_seed("vmlinux", 0, LINUX_RAM_MIB(64), 300, 11264, 0x1A17000);
	/* 4 MiB of RAM, PT_LOADs up to 3 MiB: the initrd exactly fills the last MiB. */
	linux_elf_seed("vmlinux-initrd-fills-ram", 0x20, LINUX_RAM_MIB(4), 0, 0x100000, 0x1FF000);
	if (bzimage)
		linux_real_seeds(bzimage);
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s CORPUS-DIR [BZIMAGE]\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	mkdir_p(out_dir);
	callblock_seeds();
	exit_seeds();
	ptwalk_seeds();
	json_seeds();
	elf_seeds();
	insn_seeds();
	permmap_seeds();
	guestram_seeds();
	events_seeds();
	cli_seeds();
	vtl1_seeds();
	linux_seeds(argc == 3 ? argv[2] : NULL);
	return 0;
}
