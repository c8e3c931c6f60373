/* Unit tests for monitor/inspect: hand-built ELF images with known sensitive-instruction sites. */
#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/exitcodes.h"
#include "monitor/cmd/inspect_cmd.h"
#include "monitor/image/inspect.h"

/* Image layout: headers, code, symbol table, section headers. */
#define PH_OFF	 0x40
#define CODE_OFF 0x100
#define SYM_OFF	 0x200
#define SH_OFF	 0x300
#define IMG_SIZE 0x400
#define CODE_VA	 0x401000ULL

struct img {
	_Alignas(8) uint8_t b[IMG_SIZE];
	size_t len;
	size_t nsh;
	size_t nsym;
};

static Elf64_Ehdr *img_eh(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}

static Elf64_Phdr *img_ph(struct img *m)
{
	return (Elf64_Phdr *)(m->b + PH_OFF);
}

static Elf64_Shdr *img_sh(struct img *m)
{
	return (Elf64_Shdr *)(m->b + SH_OFF);
}

/* One R|X PT_LOAD at CODE_VA holding code, entry at its first byte, no sections. */
static void img_init(struct img *m, const uint8_t *code, size_t n)
{
	Elf64_Ehdr *eh = img_eh(m);
	Elf64_Phdr *ph = img_ph(m);

	cr_assert_leq(n, SYM_OFF - CODE_OFF);
	memset(m, 0, sizeof(*m));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = CODE_VA;
	eh->e_phoff = PH_OFF;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_X;
	ph->p_offset = CODE_OFF;
	ph->p_vaddr = CODE_VA;
	ph->p_paddr = CODE_VA;
	ph->p_filesz = n;
	ph->p_memsz = n + 0x100;
	ph->p_align = 0x10;
	memcpy(m->b + CODE_OFF, code, n);
	m->len = IMG_SIZE;
}

static Elf64_Shdr *img_add_section(struct img *m, const Elf64_Shdr *sh)
{
	Elf64_Ehdr *eh = img_eh(m);

	if (m->nsh == 0)
		m->nsh = 1; /* section 0 is the null section */
	cr_assert_lt(m->nsh, (IMG_SIZE - SH_OFF) / sizeof(Elf64_Shdr));
	img_sh(m)[m->nsh] = *sh;
	eh->e_shoff = SH_OFF;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = (uint16_t)++m->nsh;
	return &img_sh(m)[m->nsh - 1];
}

static void img_add_text(struct img *m, uint64_t va, uint64_t size)
{
	const Elf64_Shdr sh = {
	    .sh_type = SHT_PROGBITS,
	    .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
	    .sh_addr = va,
	    .sh_offset = CODE_OFF + (va - CODE_VA),
	    .sh_size = size,
	    .sh_addralign = 1,
	};

	img_add_section(m, &sh);
}

/* A .symtab whose only real entry is one function symbol at va. */
static void img_add_func(struct img *m, uint64_t va)
{
	Elf64_Sym *syms = (Elf64_Sym *)(m->b + SYM_OFF);
	const Elf64_Shdr sh = {
	    .sh_type = SHT_SYMTAB,
	    .sh_offset = SYM_OFF,
	    .sh_size = 2 * sizeof(Elf64_Sym),
	    .sh_entsize = sizeof(Elf64_Sym),
	    .sh_info = 1,
	    .sh_addralign = 8,
	};

	memset(syms, 0, 2 * sizeof(*syms));
	syms[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	syms[1].st_shndx = 1;
	syms[1].st_value = va;
	img_add_section(m, &sh);
}

/*
 * Every kind once on the linear sweep, then a wrmsr hidden inside the
 * immediate of `mov eax, imm32`.
 */
static const uint8_t sample_code[] = {
    0x0f, 0x22, 0xe0,		  /* 0:  mov cr4, rax */
    0x0f, 0x30,			  /* 3:  wrmsr */
    0x0f, 0x01, 0x10,		  /* 5:  lgdt [rax] */
    0x0f, 0x01, 0x18,		  /* 8:  lidt [rax] */
    0x0f, 0x00, 0xd8,		  /* 11: ltr ax */
    0x0f, 0x01, 0xd1,		  /* 14: xsetbv */
    0x0f, 0x22, 0xc0,		  /* 17: mov cr0, rax */
    0x0f, 0x22, 0xd8,		  /* 20: mov cr3, rax */
    0xb8, 0x0f, 0x30, 0x90, 0x90, /* 23: mov eax, 0x9090300f; 24: wrmsr */
    0xc3,			  /* 28: ret */
};

struct want {
	uint64_t off;
	enum disasm_kind kind;
	int aligned;
	size_t len;
	const char *insn;
};

static const struct want sample_want[] = {
    {0, DISASM_KIND_CR4_WRITE, 1, 3, "mov cr4, rax"},
    {3, DISASM_KIND_WRMSR, 1, 2, "wrmsr"},
    {5, DISASM_KIND_LGDT, 1, 3, "lgdt [rax]"},
    {8, DISASM_KIND_LIDT, 1, 3, "lidt [rax]"},
    {11, DISASM_KIND_LTR, 1, 3, "ltr ax"},
    {14, DISASM_KIND_XSETBV, 1, 3, "xsetbv"},
    {17, DISASM_KIND_CR0_WRITE, 1, 3, "mov cr0, rax"},
    {20, DISASM_KIND_CR3_WRITE, 1, 3, "mov cr3, rax"},
    {24, DISASM_KIND_WRMSR, 0, 2, "wrmsr"},
};
#define NWANT (sizeof(sample_want) / sizeof(sample_want[0]))

static void check_hits(const struct inspect_hit *hits, size_t n, uint64_t base, size_t prefix,
		       const int *aligned_override)
{
	cr_assert_eq(n, NWANT, "got %zu hits", n);
	for (size_t i = 0; i < NWANT; i++) {
		const struct want *w = &sample_want[i];
		const int aligned = aligned_override ? aligned_override[i] : w->aligned;

		cr_assert_eq(hits[i].va, base + prefix + w->off, "hit %zu va %#lx", i,
			     (unsigned long)hits[i].va);
		cr_assert_eq(hits[i].kind, w->kind, "hit %zu kind %s", i,
			     disasm_kind_name(hits[i].kind));
		cr_assert_eq(hits[i].aligned, aligned, "hit %zu aligned", i);
		cr_assert_eq(hits[i].len, w->len, "hit %zu len", i);
		cr_assert_str_eq(hits[i].insn, w->insn, "hit %zu", i);
		cr_assert_eq(memcmp(hits[i].bytes, sample_code + w->off, w->len), 0, "hit %zu", i);
	}
}

static size_t scan(const struct img *m, struct inspect_hit *hits, size_t max)
{
	char err[256];
	size_t n = 12345;

	cr_assert_eq(inspect_image(m->b, m->len, hits, max, &n, err, sizeof(err)), 0, "%s", err);
	return n;
}

Test(inspect, all_kinds_found)
{
	struct inspect_hit hits[32];
	struct img m;

	img_init(&m, sample_code, sizeof(sample_code));
	check_hits(hits, scan(&m, hits, 32), CODE_VA, 0, NULL);
}

Test(inspect, dyn_image_and_text_section)
{
	struct inspect_hit hits[32];
	struct img m;

	img_init(&m, sample_code, sizeof(sample_code));
	img_eh(&m)->e_type = ET_DYN;
	img_add_text(&m, CODE_VA, sizeof(sample_code));
	check_hits(hits, scan(&m, hits, 32), CODE_VA, 0, NULL);
}

Test(inspect, truncated_array_counts_all)
{
	struct inspect_hit hits[3];
	struct img m;

	img_init(&m, sample_code, sizeof(sample_code));
	cr_assert_eq(scan(&m, hits, 3), NWANT);
	cr_assert_eq(hits[2].va, CODE_VA + 5);
	cr_assert_eq(scan(&m, NULL, 0), NWANT);
}

/*
 * `movabs rax, imm64` (48 b8) in front of the code swallows its first 8
 * bytes on a sweep from the segment start; any anchor at the real code
 * start puts the sweep back in step.
 */
static void img_prefixed(struct img *m)
{
	uint8_t code[2 + sizeof(sample_code)] = {0x48, 0xb8};

	memcpy(code + 2, sample_code, sizeof(sample_code));
	img_init(m, code, sizeof(code));
}

Test(inspect, sweep_desynchronised_without_anchor)
{
	static const int aligned[NWANT] = {0, 0, 0, 1, 1, 1, 1, 1, 0};
	struct inspect_hit hits[32];
	struct img m;

	img_prefixed(&m);
	check_hits(hits, scan(&m, hits, 32), CODE_VA, 2, aligned);
}

Test(inspect, entry_is_an_anchor)
{
	struct inspect_hit hits[32];
	struct img m;

	img_prefixed(&m);
	img_eh(&m)->e_entry = CODE_VA + 2;
	check_hits(hits, scan(&m, hits, 32), CODE_VA, 2, NULL);
}

Test(inspect, exec_section_is_an_anchor)
{
	struct inspect_hit hits[32];
	struct img m;

	img_prefixed(&m);
	img_add_text(&m, CODE_VA + 2, sizeof(sample_code));
	check_hits(hits, scan(&m, hits, 32), CODE_VA, 2, NULL);
}

Test(inspect, function_symbol_is_an_anchor)
{
	struct inspect_hit hits[32];
	struct img m;

	img_prefixed(&m);
	img_add_text(&m, CODE_VA, sizeof(sample_code) + 2);
	img_add_func(&m, CODE_VA + 2);
	check_hits(hits, scan(&m, hits, 32), CODE_VA, 2, NULL);
}

Test(inspect, non_executable_segment_ignored)
{
	struct inspect_hit hits[4];
	struct img m;

	img_init(&m, sample_code, sizeof(sample_code));
	img_ph(&m)->p_flags = PF_R | PF_W;
	cr_assert_eq(scan(&m, hits, 4), 0);
	img_ph(&m)->p_flags = PF_R | PF_X;
	img_ph(&m)->p_type = PT_NOTE;
	cr_assert_eq(scan(&m, hits, 4), 0);
}

Test(inspect, site_at_segment_end_and_prefixed_forms)
{
	/* a REX-prefixed CR write in the first bytes, a wrmsr in the very last two */
	static const uint8_t code[] = {0x41, 0x0f, 0x22, 0xe0, 0x90, 0x0f, 0x30};
	struct inspect_hit hits[8];
	struct img m;

	img_init(&m, code, sizeof(code));
	cr_assert_eq(scan(&m, hits, 8), 3);
	cr_assert_eq(hits[0].va, CODE_VA);
	cr_assert_eq(hits[0].kind, DISASM_KIND_CR4_WRITE);
	cr_assert_str_eq(hits[0].insn, "mov cr4, r8");
	cr_assert(hits[0].aligned);
	/* jumping past the REX prefix gives another, unaligned, CR4 write */
	cr_assert_eq(hits[1].va, CODE_VA + 1);
	cr_assert_str_eq(hits[1].insn, "mov cr4, rax");
	cr_assert(!hits[1].aligned);
	cr_assert_eq(hits[2].va, CODE_VA + 5);
	cr_assert_eq(hits[2].kind, DISASM_KIND_WRMSR);
	cr_assert(hits[2].aligned);

	/* the last byte alone (0f) is not an instruction */
	img_ph(&m)->p_filesz = sizeof(code) - 1;
	cr_assert_eq(scan(&m, hits, 8), 2);
}

static void expect_reject(struct img *m, const char *what)
{
	struct inspect_hit hits[4];
	char err[256] = "";
	size_t n = 99;

	cr_assert_eq(inspect_image(m->b, m->len, hits, 4, &n, err, sizeof(err)), -1, "%s", what);
	cr_assert_neq(err[0], '\0', "%s: no message", what);
	cr_assert_eq(n, 0, "%s", what);
}

Test(inspect, malformed_rejected)
{
	struct img m;

#define REJECT(mutation)                                                                           \
	do {                                                                                       \
		img_init(&m, sample_code, sizeof(sample_code));                                    \
		mutation;                                                                          \
		expect_reject(&m, #mutation);                                                      \
	} while (0)

	REJECT(m.len = 0);
	REJECT(m.len = sizeof(Elf64_Ehdr) - 1);
	REJECT(m.b[0] = 0x7e);
	REJECT(img_eh(&m)->e_ident[EI_CLASS] = ELFCLASS32);
	REJECT(img_eh(&m)->e_ident[EI_DATA] = ELFDATA2MSB);
	REJECT(img_eh(&m)->e_ident[EI_VERSION] = 0);
	REJECT(img_eh(&m)->e_machine = EM_AARCH64);
	REJECT(img_eh(&m)->e_type = ET_REL);
	REJECT(img_eh(&m)->e_type = ET_CORE);
	REJECT(img_eh(&m)->e_phnum = 0);
	REJECT(img_eh(&m)->e_phnum = PN_XNUM);
	REJECT(img_eh(&m)->e_phnum = 0x7fff);
	REJECT(img_eh(&m)->e_phentsize = 32);
	REJECT(img_eh(&m)->e_phoff = IMG_SIZE - 8);
	REJECT(img_eh(&m)->e_phoff = ~0ULL - 8);
	REJECT(img_ph(&m)->p_offset = IMG_SIZE);
	REJECT(img_ph(&m)->p_offset = ~0ULL - 4);
	REJECT(img_ph(&m)->p_filesz = IMG_SIZE);
	REJECT(img_ph(&m)->p_filesz = ~0ULL);
	REJECT((img_ph(&m)->p_vaddr = ~0ULL - 8, img_ph(&m)->p_memsz = 0x1000));
	REJECT(img_ph(&m)->p_memsz = 1);
	REJECT((img_eh(&m)->e_shoff = IMG_SIZE - 16, img_eh(&m)->e_shnum = 2,
		img_eh(&m)->e_shentsize = sizeof(Elf64_Shdr)));
	REJECT(
	    (img_eh(&m)->e_shoff = SH_OFF, img_eh(&m)->e_shnum = 2, img_eh(&m)->e_shentsize = 16));
	REJECT((img_add_func(&m, CODE_VA), img_sh(&m)[1].sh_entsize = 16));
	REJECT((img_add_func(&m, CODE_VA), img_sh(&m)[1].sh_size = 0x10000));
	REJECT((img_add_func(&m, CODE_VA), img_sh(&m)[1].sh_offset = ~0ULL - 4));
#undef REJECT
}

Test(inspect, bad_arguments)
{
	char err[64];
	size_t n;

	cr_assert_eq(inspect_image(NULL, 10, NULL, 0, &n, err, sizeof(err)), -1);
	cr_assert_neq(err[0], '\0');
	/* NULL err buffer must be tolerated */
	cr_assert_eq(inspect_image("x", 1, NULL, 0, &n, NULL, 0), -1);
}

/* xorshift64*, so that failures reproduce from the seed */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

Test(inspect, fuzz_mutated_headers, .timeout = 120)
{
	uint64_t seed = 0xe1f5eed0ULL;
	struct inspect_hit hits[16];
	unsigned accepted = 0;
	struct img base, m;

	img_init(&base, sample_code, sizeof(sample_code));
	img_add_text(&base, CODE_VA, sizeof(sample_code));
	img_add_func(&base, CODE_VA + 3);
	for (unsigned iter = 0; iter < 4000; iter++) {
		unsigned nmut = 1 + rng_next(&seed) % 6;
		char err[128];
		size_t n;
		int ret;

		m = base;
		for (unsigned k = 0; k < nmut; k++) {
			uint64_t r = rng_next(&seed);
			/* mostly headers, symbol and section tables, sometimes anywhere */
			static const size_t hot[] = {0, PH_OFF, SYM_OFF, SH_OFF + 64, SH_OFF + 128};
			size_t off =
			    (r & 3) ? hot[(r >> 2) % 5] + (r >> 8) % 64 : (r >> 8) % IMG_SIZE;

			if (r & (1ULL << 40))
				m.b[off % IMG_SIZE] = (uint8_t)(r >> 48);
			else
				m.b[off % IMG_SIZE] ^= (uint8_t)(1u << ((r >> 48) & 7));
		}
		if ((iter & 7) == 0)
			m.len = rng_next(&seed) % (IMG_SIZE + 1);
		ret = inspect_image(m.b, m.len, hits, 16, &n, err, sizeof(err));
		cr_assert(ret == 0 || ret == -1);
		if (ret == 0) {
			accepted++;
			for (size_t i = 0; i < n && i < 16; i++) {
				cr_assert_neq(hits[i].kind, DISASM_KIND_NONE);
				cr_assert(hits[i].len >= 1 && hits[i].len <= 15);
			}
		} else {
			cr_assert_neq(err[0], '\0');
		}
	}
	cr_assert_gt(accepted, 100, "only %u mutants accepted", accepted);
}

/* ---- inspect_main ----------------------------------------------------- */

static char tmp_path[64];

static void write_tmp(const struct img *m)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/vtlmon-inspect-XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, m->b, m->len), (ssize_t)m->len);
	close(fd);
}

static char err_out[4096];

static void capture_begin(int target, int *fd, int *saved, char *tmpl)
{
	*fd = mkstemp(tmpl);
	cr_assert_geq(*fd, 0);
	*saved = dup(target);
	dup2(*fd, target);
}

static void capture_end(int target, int fd, int saved, char *tmpl, char *out, size_t outlen)
{
	ssize_t n;

	dup2(saved, target);
	close(saved);
	n = pread(fd, out, outlen - 1, 0);
	cr_assert_geq(n, 0);
	out[n] = '\0';
	close(fd);
	unlink(tmpl);
}

/* Runs inspect_main with stdout captured into out and stderr into err_out. */
static int run_main(int argc, char **argv, char *out, size_t outlen)
{
	char cap_out[] = "/tmp/vtlmon-inspect-out-XXXXXX";
	char cap_err[] = "/tmp/vtlmon-inspect-err-XXXXXX";
	int ofd, efd, osaved, esaved, ret;

	fflush(stdout);
	fflush(stderr);
	capture_begin(1, &ofd, &osaved, cap_out);
	capture_begin(2, &efd, &esaved, cap_err);
	ret = inspect_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	capture_end(2, efd, esaved, cap_err, err_out, sizeof(err_out));
	capture_end(1, ofd, osaved, cap_out, out, outlen);
	return ret;
}

static size_t count_lines(const char *s, const char *prefix)
{
	size_t n = 0;

	for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	}
	return n;
}

Test(inspect_main, json_lines)
{
	static char out[8192];
	struct img m;
	char *argv[] = {"inspect", NULL, "--json", NULL};

	img_init(&m, sample_code, sizeof(sample_code));
	write_tmp(&m);
	argv[1] = tmp_path;
	cr_assert_eq(run_main(3, argv, out, sizeof(out)), VTLMON_EXIT_OK);
	unlink(tmp_path);
	cr_assert_eq(count_lines(out, "{\"va\":"), NWANT, "%s", out);
	cr_assert_eq(count_lines(out, ""), NWANT);
	cr_assert(strstr(out, "{\"va\":\"0x401000\",\"kind\":\"cr4_write\",\"bytes\":\"0f22e0\","
			      "\"insn\":\"mov cr4, rax\",\"aligned\":true}\n") == out,
		  "%s", out);
	cr_assert_not_null(strstr(out, "{\"va\":\"0x401018\",\"kind\":\"wrmsr\",\"bytes\":\"0f30\","
				       "\"insn\":\"wrmsr\",\"aligned\":false}\n"),
			   "%s", out);
}

Test(inspect_main, text_lines)
{
	static char out[8192];
	struct img m;
	char *argv[] = {"inspect", NULL, NULL};

	img_init(&m, sample_code, sizeof(sample_code));
	write_tmp(&m);
	argv[1] = tmp_path;
	cr_assert_eq(run_main(2, argv, out, sizeof(out)), VTLMON_EXIT_OK);
	unlink(tmp_path);
	cr_assert_eq(count_lines(out, "0x"), NWANT, "%s", out);
	cr_assert_not_null(strstr(out, "\n0x401000 cr4_write 0f22e0     mov cr4, rax aligned\n"),
			   "%s", out);
	cr_assert_not_null(strstr(out, "\n0x401018 wrmsr     0f30       wrmsr unaligned\n"), "%s",
			   out);
	cr_assert_not_null(strstr(out, "# 9 sites (1 unaligned) in 1 executable segments\n"), "%s",
			   out);
}

Test(inspect_main, usage_and_bad_files)
{
	static char out[4096];
	struct img m;
	char *none[] = {"inspect", NULL};
	char *bogus[] = {"inspect", "--bogus", "x", NULL};
	char *two[] = {"inspect", "a", "b", NULL};
	char *help[] = {"inspect", "--help", NULL};
	char *missing[] = {"inspect", "/nonexistent/vtlmon.elf", NULL};
	char *dir[] = {"inspect", "/tmp", NULL};
	char *bad[] = {"inspect", "--json", NULL, NULL};

	cr_assert_eq(run_main(1, none, out, sizeof(out)), VTLMON_EXIT_USAGE);
	cr_assert_not_null(strstr(err_out, "usage:"));
	cr_assert_eq(run_main(3, bogus, out, sizeof(out)), VTLMON_EXIT_USAGE);
	cr_assert_not_null(strstr(err_out, "unknown option '--bogus'"), "%s", err_out);
	cr_assert_eq(run_main(3, two, out, sizeof(out)), VTLMON_EXIT_USAGE);
	cr_assert_eq(run_main(2, help, out, sizeof(out)), VTLMON_EXIT_OK);
	cr_assert_not_null(strstr(out, "usage:"));
	cr_assert_str_eq(err_out, "");
	cr_assert_eq(run_main(2, missing, out, sizeof(out)), VTLMON_EXIT_INVALID);
	cr_assert_not_null(strstr(err_out, "No such file"), "%s", err_out);
	cr_assert_eq(run_main(2, dir, out, sizeof(out)), VTLMON_EXIT_INVALID);
	cr_assert_not_null(strstr(err_out, "not a regular file"), "%s", err_out);

	img_init(&m, sample_code, sizeof(sample_code));
	img_eh(&m)->e_machine = EM_386;
	write_tmp(&m);
	bad[2] = tmp_path;
	/* nothing on stdout for a rejected file in JSON mode */
	cr_assert_eq(run_main(3, bad, out, sizeof(out)), VTLMON_EXIT_INVALID);
	cr_assert_str_eq(out, "");
	cr_assert_not_null(strstr(err_out, "not x86-64"), "%s", err_out);
	/* nor in text mode: the report header waits for validation */
	cr_assert_eq(run_main(2, (char *[]){"inspect", tmp_path, NULL}, out, sizeof(out)),
		     VTLMON_EXIT_INVALID);
	unlink(tmp_path);
	cr_assert_str_eq(out, "");
	cr_assert_not_null(strstr(err_out, "not x86-64"), "%s", err_out);
}
