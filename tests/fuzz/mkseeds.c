/* Writes the fuzz corpus's binary seeds: call blocks, op lists, kvm_runs, page tables, ELFs. */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "monitor/kvm_compat.h"
#include "monitor/ptwalk.h"
#include "vtl1_abi.h"
#include "vtl_call.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/*
 * Usage: mkseeds DIR. Writes DIR/<target>/<name> for every seed below. Each
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

static void mini_elf(const char *target, const char *name, uint64_t va_off, uint64_t entry,
		     const struct mini_seg *segs, unsigned nsegs, int sections)
{
	struct seed s = {.n = 0};
	Elf64_Ehdr eh = {0};
	uint64_t off = 0x1000;
	size_t text_off = 0;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	mkdir_p(out_dir);
	callblock_seeds();
	exit_seeds();
	ptwalk_seeds();
	json_seeds();
	elf_seeds();
	return 0;
}
