/* Unit tests of the policy parser: one test per error (line and column checked), and semantics. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "vtl_device.h"
#include "vtl1_abi.h"
#include "vtl_boot.h"

#define V      "vtlmon-policy 1\n"
#define NDIAGS 16

static struct policy pol;
static struct policy_diag diags[NDIAGS];
static size_t ndiags;

static enum policy_err parse(const char *text)
{
	memset(diags, 0xA5, sizeof(diags));
	return policy_parse(text, strlen(text), &pol, diags, NDIAGS, &ndiags);
}

static void parse_ok(const char *text)
{
	enum policy_err e = parse(text);

	cr_assert_eq(e, POLICY_OK, "unexpected %s at %u:%u: %s", policy_strerror(e), diags[0].line,
		     diags[0].col, diags[0].msg);
	cr_assert_eq(ndiags, 0);
	cr_assert_eq(pol.version, POLICY_VERSION);
}

/* Inputs that hold NUL bytes or end without a newline: the length is explicit. */
static enum policy_err parse_n(const char *text, size_t len)
{
	return policy_parse(text, len, &pol, diags, NDIAGS, &ndiags);
}

static void parse_ok_n(const char *text, size_t len)
{
	enum policy_err e = parse_n(text, len);

	cr_assert_eq(e, POLICY_OK, "%s: %s", policy_strerror(e), ndiags ? diags[0].msg : "");
}

/* The first (and, unless said otherwise, only) diagnostic must be `code` at line:col. */
static void expect_err_n(const char *text, enum policy_err code, uint32_t line, uint32_t col,
			 size_t n, const char *needle)
{
	enum policy_err e = parse(text);

	cr_assert_eq(e, code, "got %s (%d), want %s: %s", policy_strerror(e), e,
		     policy_strerror(code), ndiags ? diags[0].msg : "");
	cr_assert_eq(ndiags, n, "got %zu diagnostics, first: %s", ndiags, diags[0].msg);
	cr_assert_eq(diags[0].code, (uint32_t)code);
	cr_assert_eq(diags[0].line, line, "line %u, want %u (%s)", diags[0].line, line,
		     diags[0].msg);
	cr_assert_eq(diags[0].col, col, "col %u, want %u (%s)", diags[0].col, col, diags[0].msg);
	cr_assert_lt(strlen(diags[0].msg), sizeof(diags[0].msg));
	cr_assert_gt(strlen(diags[0].msg), 0);
	if (needle)
		cr_assert(strstr(diags[0].msg, needle), "'%s' not in '%s'", needle, diags[0].msg);
	/* a failed parse never leaves a usable policy behind */
	cr_assert_eq(pol.version, 0);
}

static void expect_err(const char *text, enum policy_err code, uint32_t line, uint32_t col,
		       const char *needle)
{
	expect_err_n(text, code, line, col, 1, needle);
}

/* ---- one test per error ------------------------------------------------------- */

Test(policy_err, too_large)
{
	size_t len = POLICY_MAX_INPUT + 1;
	char *big = calloc(1, len);

	cr_assert_not_null(big);
	cr_assert_eq(policy_parse(big, len, &pol, diags, NDIAGS, &ndiags), POLICY_E_TOO_LARGE);
	cr_assert_eq(ndiags, 1);
	cr_assert_eq(diags[0].line, 1);
	cr_assert_eq(diags[0].col, 1);
	free(big);
}

Test(policy_err, bad_char_nul)
{
	static const char text[] = V "cr pin\0CR0.WP\n";

	cr_assert_eq(policy_parse(text, sizeof(text) - 1, &pol, diags, NDIAGS, &ndiags),
		     POLICY_E_BAD_CHAR);
	cr_assert_eq(ndiags, 1);
	cr_assert_eq(diags[0].line, 2);
	cr_assert_eq(diags[0].col, 7);
	cr_assert_str_eq(diags[0].msg, "invalid byte 0x00");
}

Test(policy_err, bad_char_control)
{
	expect_err(V "reset max\x01 3\n", POLICY_E_BAD_CHAR, 2, 10, "0x01");
}

Test(policy_err, bad_char_del)
{
	expect_err(V "\x7f\n", POLICY_E_BAD_CHAR, 2, 1, "0x7f");
}

Test(policy_err, bad_char_non_ascii)
{
	expect_err(V "reset max 3 \xc3\xa9\n", POLICY_E_BAD_CHAR, 2, 13, "non-ASCII byte 0xc3");
}

Test(policy_err, bad_char_lone_cr)
{
	expect_err(V "reset max\r3\n", POLICY_E_BAD_CHAR, 2, 10, "carriage return");
}

Test(policy_err, bad_char_in_comment)
{
	expect_err(V "reset max 3 # a\x02\n", POLICY_E_BAD_CHAR, 2, 16, "0x02");
}

/*
 * Comments are skipped 8 bytes at a time: a bad byte at every offset from the
 * '#' and from the buffer's 8-byte grid is found at its exact column, and the
 * bytes a comment may hold (tab, UTF-8, '~') pass wherever they fall.
 */
Test(policy_err, bad_char_in_comment_at_every_offset)
{
	static const char bad[] = {'\x01', '\x1f', '\x7f', '\0'};
	char text[128], want[8];

	for (size_t b = 0; b < sizeof(bad); b++) {
		for (size_t pad = 0; pad < 8; pad++) {
			for (size_t off = 0; off < 24; off++) {
				size_t n = 0;

				n +=
				    (size_t)snprintf(text, sizeof(text), "%s%*s#", V, (int)pad, "");
				memset(text + n, 'c', off);
				n += off;
				text[n++] = bad[b];
				memcpy(text + n, "tail\nreset max x\n", 17);
				n += 17;
				parse_n(text, n);
				cr_assert_eq(ndiags, 2,
					     "byte 0x%02x pad %zu off %zu: %zu diagnostics",
					     (unsigned char)bad[b], pad, off, ndiags);
				cr_assert_eq(diags[0].code, POLICY_E_BAD_CHAR);
				cr_assert_eq(diags[0].line, 2);
				cr_assert_eq(diags[0].col, pad + off + 2,
					     "byte 0x%02x pad %zu off %zu", (unsigned char)bad[b],
					     pad, off);
				snprintf(want, sizeof(want), "0x%02x", (unsigned char)bad[b]);
				cr_assert(strstr(diags[0].msg, want), "%s", diags[0].msg);
				/* the next line is still parsed */
				cr_assert_eq(diags[1].code, POLICY_E_BAD_NUMBER);
				cr_assert_eq(diags[1].line, 3);
			}
		}
	}
}

Test(policy_sem, comment_bytes_at_every_offset)
{
	static const char *ok[] = {"\t", "\xc3\xa9", "~", "\xff"};
	char text[128];

	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
		for (size_t off = 0; off < 24; off++) {
			size_t n = (size_t)snprintf(text, sizeof(text), "%s#%*s%sx", V, (int)off,
						    "", ok[k]);

			/* with and without the final newline: a comment may end the input */
			parse_ok_n(text, n);
			text[n++] = '\n';
			parse_ok_n(text, n);
		}
	}
}

Test(policy_err, line_too_long)
{
	char text[2048];
	size_t n = strlen(V);

	memcpy(text, V, n);
	memset(text + n, '#', 600);
	strcpy(text + n + 600, "\nreset max x\n");
	expect_err_n(text, POLICY_E_LINE_TOO_LONG, 2, POLICY_MAX_LINE + 1, 2, "512");
	/* parsing goes on after the long line */
	cr_assert_eq(diags[1].code, POLICY_E_BAD_NUMBER);
	cr_assert_eq(diags[1].line, 3);
}

Test(policy_err, too_many_words)
{
	char text[1024] = V "before-end-of-boot";

	for (int i = 0; i < 60; i++)
		strcat(text, " relax");
	strcat(text, "\n");
	/* word 49 starts after "before-end-of-boot" (18) and 47 " relax" (6 each) plus a space */
	expect_err(text, POLICY_E_TOO_MANY_WORDS, 2, 18 + 47 * 6 + 2, "48");
}

Test(policy_err, no_version_first)
{
	expect_err("# comment\n\nreset max 3\nvtlmon-policy 1\n", POLICY_E_NO_VERSION, 3, 1,
		   "vtlmon-policy 1");
}

Test(policy_err, no_version_empty)
{
	expect_err("", POLICY_E_NO_VERSION, 1, 1, "empty");
}

Test(policy_err, no_version_only_comments)
{
	expect_err("# nothing\n   \n\t# here\n", POLICY_E_NO_VERSION, 1, 1, "empty");
}

Test(policy_err, bad_version)
{
	expect_err("vtlmon-policy 2\n", POLICY_E_BAD_VERSION, 1, 15, "version '2'");
}

Test(policy_err, bad_version_not_number)
{
	expect_err("vtlmon-policy one\n", POLICY_E_BAD_NUMBER, 1, 15, "'one'");
}

Test(policy_err, unknown_key)
{
	expect_err(V "\nreset max 3\npolicy strict\n", POLICY_E_UNKNOWN_KEY, 4, 1, "'policy'");
}

Test(policy_err, unknown_key_case)
{
	/* keywords are case-sensitive; only register names are not */
	expect_err(V "Reset max 3\n", POLICY_E_UNKNOWN_KEY, 2, 1, "'Reset'");
}

Test(policy_err, unknown_sub_key)
{
	expect_err(V "cr pinned CR0.WP\n", POLICY_E_UNKNOWN_KEY, 2, 4, "'pinned'");
	expect_err(V "msr lock EFER\n", POLICY_E_UNKNOWN_KEY, 2, 5, "'lock'");
	expect_err(V "kexec allowed yes\n", POLICY_E_UNKNOWN_KEY, 2, 7, "'allowed'");
	expect_err(V "reset zero yes\n", POLICY_E_UNKNOWN_KEY, 2, 7, "'zero'");
}

Test(policy_err, missing_arg)
{
	expect_err(V "cr pin\n", POLICY_E_MISSING_ARG, 2, 7, "CR bit");
	expect_err(V "  reset   max  # three\n", POLICY_E_MISSING_ARG, 2, 14, "'reset max'");
	expect_err(V "memory range 0x1000 4K\n", POLICY_E_MISSING_ARG, 2, 23, "PERMS");
	expect_err(V "memory\n", POLICY_E_MISSING_ARG, 2, 7, "region");
	expect_err(V "action cr\n", POLICY_E_MISSING_ARG, 2, 10, NULL);
}

Test(policy_err, extra_arg)
{
	expect_err(V "reset max 3 4\n", POLICY_E_EXTRA_ARG, 2, 13, "'4'");
	expect_err(V "memory text rx locked again\n", POLICY_E_EXTRA_ARG, 2, 23, "'again'");
	expect_err(V "memory text rx lock\n", POLICY_E_EXTRA_ARG, 2, 16, "'lock'");
}

Test(policy_err, bad_number)
{
	expect_err(V "reset max 3x\n", POLICY_E_BAD_NUMBER, 2, 11, "'3x'");
	expect_err(V "reset max 0x\n", POLICY_E_BAD_NUMBER, 2, 11, NULL);
	expect_err(V "reset max -1\n", POLICY_E_BAD_NUMBER, 2, 11, NULL);
	expect_err(V "memory range 4Q 4K r\n", POLICY_E_BAD_NUMBER, 2, 14, NULL);
	/* suffixes are for memory sizes only */
	expect_err(V "reset max 1K\n", POLICY_E_BAD_NUMBER, 2, 11, NULL);
}

Test(policy_err, range)
{
	expect_err(V "reset max 1001\n", POLICY_E_RANGE, 2, 11, "1000");
	expect_err(V "reset max 18446744073709551616\n", POLICY_E_RANGE, 2, 11, "too large");
	expect_err(V "cr breakpoint 0x10000000000000000\n", POLICY_E_RANGE, 2, 15, NULL);
	expect_err(V "memory range 0 16777216G r\n", POLICY_E_RANGE, 2, 16, NULL);
	expect_err(V "memory range 0 0 r\n", POLICY_E_RANGE, 2, 16, "empty");
	expect_err(V "memory range 3G 4K r\n", POLICY_E_RANGE, 2, 17, "beyond");
	expect_err(V "memory range 0xfffffffffffff000 0x2000 r\n", POLICY_E_RANGE, 2, 33, NULL);
	expect_err(V "msr pin 0x2000\n", POLICY_E_RANGE, 2, 9, "architectural");
	expect_err(V "msr pin 0x1c0000080\n", POLICY_E_RANGE, 2, 9, NULL);
	expect_err(V "cr watchdog 99us\n", POLICY_E_RANGE, 2, 13, "100us..10s");
	expect_err(V "cr watchdog 11s\n", POLICY_E_RANGE, 2, 13, NULL);
	expect_err(V "cr watchdog 99999999999999999999999s\n", POLICY_E_RANGE, 2, 13, NULL);
}

Test(policy_err, unknown_cr_bit)
{
	expect_err(V "cr pin CR0.WP CR0.FOO\n", POLICY_E_UNKNOWN_CR_BIT, 2, 15, "CR0 bit");
	expect_err(V "cr pin CR3.PCID\n", POLICY_E_UNKNOWN_CR_BIT, 2, 8, "CR0.NAME");
	expect_err(V "cr pinnable WP\n", POLICY_E_UNKNOWN_CR_BIT, 2, 13, NULL);
	expect_err(V "cr pin CR0.\n", POLICY_E_UNKNOWN_CR_BIT, 2, 8, NULL);
	/* the bit exists, but in the other register */
	expect_err(V "cr pin CR0.SMEP\n", POLICY_E_UNKNOWN_CR_BIT, 2, 8, NULL);
}

Test(policy_err, unknown_msr)
{
	expect_err(V "msr pin EFER SYSCALL_TARGET\n", POLICY_E_UNKNOWN_MSR, 2, 14, "LSTAR");
	expect_err(V "msr pinnable IA32_\n", POLICY_E_UNKNOWN_MSR, 2, 14, NULL);
}

/*
 * A pin is a write filter, so it can only guard an MSR that nothing but
 * WRMSR changes. Each refusal says why, at the MSR's own column.
 */
Test(policy_err, not_pinnable)
{
	expect_err(V "msr pin FS_BASE\n", POLICY_E_NOT_PINNABLE, 2, 9,
		   "FS_BASE cannot be pinned: wrfsbase and FS loads change it without WRMSR");
	expect_err(V "msr pinnable LSTAR GS_BASE\n", POLICY_E_NOT_PINNABLE, 2, 20,
		   "GS_BASE cannot be pinned: swapgs, wrgsbase");
	expect_err(V "msr pin ia32_kernel_gs_base\n", POLICY_E_NOT_PINNABLE, 2, 9,
		   "KERNEL_GS_BASE cannot be pinned: swapgs changes it without WRMSR");
	expect_err(V "msr pinnable 0xC0000102\n", POLICY_E_NOT_PINNABLE, 2, 14,
		   "KERNEL_GS_BASE cannot be pinned");
	/* x2APIC: the filter does not see them; no name, so the word is quoted */
	expect_err(V "msr pinnable 0x830\n", POLICY_E_NOT_PINNABLE, 2, 14,
		   "MSR '0x830' cannot be pinned: x2APIC MSRs bypass the KVM MSR filter");
	expect_err(V "msr pin 2048\n", POLICY_E_NOT_PINNABLE, 2, 9, "x2APIC");
	expect_err(V "msr pin 0x8ff\n", POLICY_E_NOT_PINNABLE, 2, 9, "x2APIC");
	/* they change by themselves, or as side effects */
	expect_err(V "msr pin TSC\n", POLICY_E_NOT_PINNABLE, 2, 9,
		   "TSC cannot be pinned: it counts");
	expect_err(V "msr pin TSC_ADJUST\n", POLICY_E_NOT_PINNABLE, 2, 9, "WRMSR to TSC");
	expect_err(V "msr pin TSC_DEADLINE\n", POLICY_E_NOT_PINNABLE, 2, 9, "timer fires");
	expect_err(V "msr pin MPERF\n", POLICY_E_NOT_PINNABLE, 2, 9, "counts by itself");
	expect_err(V "msr pin IA32_APERF\n", POLICY_E_NOT_PINNABLE, 2, 9, "counts by itself");
	expect_err(V "msr pin DEBUGCTL\n", POLICY_E_NOT_PINNABLE, 2, 9, "LBR and BTF bits on #DB");
	expect_err(V "msr pin 0xC1\n", POLICY_E_NOT_PINNABLE, 2, 9, "performance counters");
	expect_err(V "msr pin 0x38e\n", POLICY_E_NOT_PINNABLE, 2, 9, "overflow");
	expect_err(V "msr pin 0xC0010004\n", POLICY_E_NOT_PINNABLE, 2, 9, "performance counters");
	expect_err(V "msr pin 0x401\n", POLICY_E_NOT_PINNABLE, 2, 9, "machine checks");
	expect_err(V "msr pin XFD_ERR\n", POLICY_E_NOT_PINNABLE, 2, 9, "#NM");
	/* XRSTORS, ENDBR, branch and trace hardware */
	expect_err(V "msr pin U_CET\n", POLICY_E_NOT_PINNABLE, 2, 9, "XRSTORS");
	expect_err(V "msr pin S_CET\n", POLICY_E_NOT_PINNABLE, 2, 9, "ENDBR");
	expect_err(V "msr pin PL0_SSP\n", POLICY_E_NOT_PINNABLE, 2, 9, "XRSTORS");
	expect_err(V "msr pin PL3_SSP\n", POLICY_E_NOT_PINNABLE, 2, 9, "XRSTORS");
	expect_err(V "msr pin PASID\n", POLICY_E_NOT_PINNABLE, 2, 9, "XRSTORS");
	expect_err(V "msr pin 0x1c9\n", POLICY_E_NOT_PINNABLE, 2, 9, "LBR");
	expect_err(V "msr pin 0x680\n", POLICY_E_NOT_PINNABLE, 2, 9, "LBR");
	expect_err(V "msr pin 0x14ce\n", POLICY_E_NOT_PINNABLE, 2, 9, "LBR");
	expect_err(V "msr pin 0x570\n", POLICY_E_NOT_PINNABLE, 2, 9, "RTIT");
	/* anything else, however harmless it looks: fail closed */
	expect_err(V "msr pin 0x2ff\n", POLICY_E_NOT_PINNABLE, 2, 9, "only WRMSR changes");
	expect_err(V "msr pin 0\n", POLICY_E_NOT_PINNABLE, 2, 9, "only WRMSR changes");
	expect_err(V "msr pin 0xC0010117\n", POLICY_E_NOT_PINNABLE, 2, 9, "only WRMSR changes");
	/* every refusal on a line is reported, and the good MSRs around them do not hide them */
	expect_err_n(V "msr pin EFER FS_BASE LSTAR 0x830 KERNEL_GS_BASE\n", POLICY_E_NOT_PINNABLE,
		     2, 14, 3, "FS_BASE");
	cr_assert_eq(diags[1].col, 28);
	cr_assert(strstr(diags[1].msg, "x2APIC"));
	cr_assert_eq(diags[2].col, 34);
	cr_assert(strstr(diags[2].msg, "swapgs"));
	/* a long word is cut in the message, which stays within its size */
	expect_err(V "msr pin 0x000000000000000000000000000000000000000000830\n",
		   POLICY_E_NOT_PINNABLE, 2, 9, "x2APIC");
}

/* Every MSR the pinnable set holds can be listed, and the MSR table holds them all. */
Test(policy_sem, every_pinnable_msr)
{
	char text[2048] = V "msr pin";

	cr_assert_leq(policy_nr_pinnable_msrs, POLICY_MAX_MSRS);
	for (size_t i = 0; i < policy_nr_pinnable_msrs; i++)
		sprintf(text + strlen(text), " 0x%x", policy_pinnable_msrs[i]);
	strcat(text, "\n");
	parse_ok(text);
	cr_assert_eq(pol.nr_msrs, policy_nr_pinnable_msrs);
	for (size_t i = 0; i < policy_nr_pinnable_msrs; i++)
		cr_assert_eq(policy_msr_flags(&pol, policy_pinnable_msrs[i]), POLICY_PIN_BOOT);
	parse_ok(V "msr pin EFER APIC_BASE PAT MISC_ENABLE SPEC_CTRL\n"
		   "msr pinnable STAR LSTAR CSTAR SFMASK SYSENTER_CS SYSENTER_ESP SYSENTER_EIP\n"
		   "msr pinnable FEATURE_CONTROL INTERRUPT_SSP_TABLE_ADDR PKRS XSS TSC_AUX\n");
	cr_assert_eq(pol.nr_msrs, policy_nr_pinnable_msrs);
}

/* A struct built by hand (not by the parser) cannot make an unpinnable MSR pinnable. */
Test(policy_sem, msr_flags_fail_closed)
{
	parse_ok(V "msr pinnable LSTAR\n");
	pol.msrs[1].index = 0xC0000100; /* FS_BASE */
	pol.msrs[1].flags = POLICY_PINNABLE;
	pol.msrs[2].index = 0x830;
	pol.msrs[2].flags = POLICY_PIN_BOOT;
	pol.nr_msrs = 3;
	cr_assert_eq(policy_msr_flags(&pol, 0xC0000082), POLICY_PINNABLE);
	cr_assert_eq(policy_msr_flags(&pol, 0xC0000100), 0);
	cr_assert_eq(policy_msr_flags(&pol, 0x830), 0);
}

Test(policy_err, unknown_region)
{
	expect_err(V "memory heap rw\n", POLICY_E_UNKNOWN_REGION, 2, 8, "'heap'");
}

Test(policy_err, bad_perms)
{
	expect_err(V "memory text wx\n", POLICY_E_BAD_PERMS, 2, 13, "'wx'");
	expect_err(V "memory range 0 4K R\n", POLICY_E_BAD_PERMS, 2, 19, NULL);
	expect_err(V "memory data w\n", POLICY_E_BAD_PERMS, 2, 13, NULL);
}

Test(policy_err, unaligned)
{
	expect_err(V "memory range 0x1001 4K r\n", POLICY_E_UNALIGNED, 2, 14, "base");
	expect_err(V "memory range 0x1000 100 r\n", POLICY_E_UNALIGNED, 2, 21, "size");
}

Test(policy_err, unknown_class)
{
	expect_err(V "action mem_write deny\n", POLICY_E_UNKNOWN_CLASS, 2, 8, "'mem_write'");
}

Test(policy_err, unknown_action)
{
	expect_err(V "action cr panic\n", POLICY_E_UNKNOWN_ACTION, 2, 11, "'panic'");
	expect_err(V "action default allow\n", POLICY_E_UNKNOWN_ACTION, 2, 16, NULL);
}

/* restore puts pinned CR bits back; nothing else can be put back after the fact. */
Test(policy_err, restore_is_for_cr_only)
{
	expect_err(V "action msr restore\n", POLICY_E_UNKNOWN_ACTION, 2, 12, "cr only");
	expect_err(V "action mem-write restore\n", POLICY_E_UNKNOWN_ACTION, 2, 18, "cr only");
	expect_err(V "action default restore\n", POLICY_E_UNKNOWN_ACTION, 2, 16, "cr only");
}

Test(policy_sem, restore_for_cr)
{
	parse_ok(V "action cr restore\naction default kill\n");
	cr_assert_eq(pol.action[POLICY_CLASS_CR], POLICY_ACT_RESTORE);
	cr_assert_eq(pol.action[POLICY_CLASS_MSR], POLICY_ACT_KILL);
	cr_assert_str_eq(policy_action_name(POLICY_ACT_RESTORE), "restore");
}

Test(policy_err, unknown_request)
{
	expect_err(V "after-end-of-boot restrict kexec\n", POLICY_E_UNKNOWN_REQUEST, 2, 28,
		   "'kexec'");
}

Test(policy_err, bad_value)
{
	expect_err(V "exec-protection maybe\n", POLICY_E_BAD_VALUE, 2, 17, "best-effort");
}

Test(policy_err, bad_bool)
{
	expect_err(V "reset zero-memory true\n", POLICY_E_BAD_BOOL, 2, 19, "'true'");
	expect_err(V "kexec allow YES\n", POLICY_E_BAD_BOOL, 2, 13, NULL);
}

Test(policy_err, bad_duration)
{
	expect_err(V "cr watchdog 10\n", POLICY_E_BAD_DURATION, 2, 13, "'10'");
	expect_err(V "cr watchdog ms\n", POLICY_E_BAD_DURATION, 2, 13, NULL);
	expect_err(V "cr watchdog 10sec\n", POLICY_E_BAD_DURATION, 2, 13, NULL);
	expect_err(V "cr watchdog 0x10ms\n", POLICY_E_BAD_DURATION, 2, 13, NULL);
}

Test(policy_err, bad_hex)
{
	expect_err(V "kexec digest 0123\n", POLICY_E_BAD_HEX, 2, 14, "got 4");
	/* a bad digit is reported at its own column */
	expect_err(V "kexec key 00000000000000000000000000000000000000000000000000z0000000000000\n",
		   POLICY_E_BAD_HEX, 2, 11 + 50, "'z'");
	expect_err(
	    V "kexec digest 0x00000000000000000000000000000000000000000000000000000000000000\n",
	    POLICY_E_BAD_HEX, 2, 15, "'x'");
	expect_err(V "kexec digest "
		     "00000000000000000000000000000000000000000000000000000000000000000\n",
		   POLICY_E_BAD_HEX, 2, 14, "got 65");
}

Test(policy_err, bad_address)
{
	expect_err(V "cr breakpoint 0xffffffff81000000 0x0000800000000000\n", POLICY_E_BAD_ADDRESS,
		   2, 34, "canonical");
}

Test(policy_err, duplicate_statement)
{
	expect_err(V "reset max 3\n\nreset max 4\n", POLICY_E_DUPLICATE, 4, 1, "first at line 2");
	expect_err("vtlmon-policy 1\nvtlmon-policy 1\n", POLICY_E_DUPLICATE, 2, 1, NULL);
	expect_err(V "action cr kill\naction cr kill\n", POLICY_E_DUPLICATE, 3, 1, "'action cr'");
	expect_err(V "action default kill\naction default log\n", POLICY_E_DUPLICATE, 3, 1, NULL);
	expect_err(V "after-end-of-boot none\nafter-end-of-boot none\n", POLICY_E_DUPLICATE, 3, 1,
		   NULL);
	expect_err(V "cr watchdog off\ncr watchdog 1ms\n", POLICY_E_DUPLICATE, 3, 1, NULL);
	expect_err(V "kexec allow no\nkexec allow no\n", POLICY_E_DUPLICATE, 3, 1, NULL);
	expect_err(V "exec-protection required\nexec-protection required\n", POLICY_E_DUPLICATE, 3,
		   1, NULL);
}

Test(policy_err, duplicate_item)
{
	expect_err(V "cr pin CR0.WP\ncr pinnable cr0.wp\n", POLICY_E_DUPLICATE, 3, 13, "CR bit");
	expect_err(V "msr pin LSTAR\nmsr pinnable 0xC0000082\n", POLICY_E_DUPLICATE, 3, 14,
		   "0xc0000082");
	expect_err(V "msr pin FMASK SFMASK\n", POLICY_E_DUPLICATE, 2, 15, NULL);
	expect_err(V "memory text r\nmemory text rx\n", POLICY_E_DUPLICATE, 3, 8, "region");
	expect_err(V "memory range 0 4K r\nmemory range 0x0 0x1000 rw\n", POLICY_E_DUPLICATE, 3, 8,
		   "range");
	expect_err(V "before-end-of-boot relax relax\n", POLICY_E_DUPLICATE, 2, 26, "twice");
	expect_err(V "cr breakpoint 0x1000 4096\n", POLICY_E_DUPLICATE, 2, 22, NULL);
	expect_err(V "kexec key 0000000000000000000000000000000000000000000000000000000000000000\n"
		     "kexec key 0000000000000000000000000000000000000000000000000000000000000000\n",
		   POLICY_E_DUPLICATE, 3, 11, "key");
}

Test(policy_err, too_many)
{
	char text[8192] = V;

	expect_err(V "cr breakpoint 0x1000 0x2000 0x3000 0x4000 0x5000\n", POLICY_E_TOO_MANY, 2, 43,
		   "at most 4");
	for (int i = 0; i < 33; i++)
		sprintf(text + strlen(text), "memory range %d 4K r\n", i * 4096);
	expect_err(text, POLICY_E_TOO_MANY, 34, 1, "32");
	strcpy(text, V);
	for (int i = 0; i < 9; i++)
		sprintf(text + strlen(text), "kexec digest %064x\n", i);
	expect_err(text, POLICY_E_TOO_MANY, 10, 14, "8");
}

Test(policy_err, conflict)
{
	expect_err(V "before-end-of-boot none relax\n", POLICY_E_CONFLICT, 2, 20, "only");
	expect_err(V "reset max 3\nkexec allow yes # but nothing to check against\n",
		   POLICY_E_CONFLICT, 3, 13, "kexec digest");
}

/* ---- several errors at once ----------------------------------------------------- */

Test(policy_diag, all_errors_collected_in_order)
{
	static const char text[] = "reset max x\n"
				   "vtlmon-policy 1\n"
				   "cr pin CR0.XX CR4.YY\n"
				   "bogus\n";

	cr_assert_eq(parse(text), POLICY_E_NO_VERSION);
	cr_assert_eq(ndiags, 5);
	const uint32_t want[5][3] = {
	    {POLICY_E_NO_VERSION, 1, 1},     {POLICY_E_BAD_NUMBER, 1, 11},
	    {POLICY_E_UNKNOWN_CR_BIT, 3, 8}, {POLICY_E_UNKNOWN_CR_BIT, 3, 15},
	    {POLICY_E_UNKNOWN_KEY, 4, 1},
	};
	for (size_t i = 0; i < 5; i++) {
		cr_expect_eq(diags[i].code, want[i][0], "diag %zu: %s", i, diags[i].msg);
		cr_expect_eq(diags[i].line, want[i][1], "diag %zu", i);
		cr_expect_eq(diags[i].col, want[i][2], "diag %zu", i);
	}
}

Test(policy_diag, stops_when_full)
{
	struct policy_diag d[3];
	size_t n = 99;
	char text[4096] = V;

	for (int i = 0; i < 50; i++)
		strcat(text, "nope\n");
	cr_assert_eq(policy_parse(text, strlen(text), &pol, d, 3, &n), POLICY_E_UNKNOWN_KEY);
	cr_assert_eq(n, 3);
	cr_assert_eq(d[2].line, 4);
}

Test(policy_diag, no_diag_array)
{
	size_t n = 99;

	cr_assert_eq(policy_parse(V "nope\n", strlen(V "nope\n"), &pol, NULL, 0, &n),
		     POLICY_E_UNKNOWN_KEY);
	cr_assert_eq(n, 0);
	cr_assert_eq(policy_parse(V "nope\n", strlen(V "nope\n"), &pol, diags, 0, NULL),
		     POLICY_E_UNKNOWN_KEY);
	cr_assert_eq(policy_parse(NULL, 100, &pol, diags, NDIAGS, &n), POLICY_E_NO_VERSION);
}

Test(policy_diag, strerror_covers_every_code)
{
	for (int e = 0; e < POLICY_E_COUNT; e++) {
		const char *s = policy_strerror((enum policy_err)e);

		cr_assert_neq(strcmp(s, "unknown policy error"), 0, "code %d has no string", e);
	}
	cr_assert_str_eq(policy_strerror(POLICY_E_COUNT), "unknown policy error");
}

/* ---- semantics -------------------------------------------------------------------- */

Test(policy_sem, defaults)
{
	parse_ok("vtlmon-policy 1");
	cr_assert_eq(pol.flags, POLICY_F_RESET_ZERO_MEM);
	cr_assert_eq(pol.cr0_pin_boot | pol.cr0_pinnable | pol.cr4_pin_boot | pol.cr4_pinnable, 0);
	cr_assert_eq(pol.requests_before, POLICY_DEFAULT_REQ_BEFORE);
	cr_assert_eq(pol.requests_after, POLICY_DEFAULT_REQ_AFTER);
	for (int c = 0; c < POLICY_CLASS_COUNT; c++)
		cr_assert_eq(pol.action[c], POLICY_ACT_DENY);
	cr_assert_eq(pol.watchdog_us, POLICY_DEFAULT_WATCHDOG_US);
	cr_assert_eq(pol.max_resets, POLICY_DEFAULT_MAX_RESETS);
	cr_assert_eq(pol.nr_msrs + pol.nr_mem + pol.nr_cr_sites + pol.nr_kexec_digests +
			 pol.nr_kexec_keys,
		     0);
}

Test(policy_sem, line_endings_and_whitespace)
{
	parse_ok("vtlmon-policy 1\r\n\treset   max\t7  \r\n");
	cr_assert_eq(pol.max_resets, 7);
	parse_ok("  # leading comment\n\n vtlmon-policy 1 # trailing\nreset max 2#x\n");
	cr_assert_eq(pol.max_resets, 2);
	parse_ok("vtlmon-policy 1\nreset max 5\r"); /* CR at EOF is a line ending */
	cr_assert_eq(pol.max_resets, 5);
	parse_ok(
	    "vtlmon-policy 1\n# caf\xc3\xa9 \xff\n"); /* comments may hold any non-control byte */
}

Test(policy_sem, cr_bits)
{
	parse_ok(V "cr pin CR0.WP cr0.pg CR4.pae\ncr pinnable CR4.SMEP CR4.SMAP CR4.CET\n"
		   "cr pin CR0.PE\n");
	cr_assert_eq(pol.cr0_pin_boot, (1ULL << 16) | (1ULL << 31) | 1);
	cr_assert_eq(pol.cr4_pin_boot, 1ULL << 5);
	cr_assert_eq(pol.cr4_pinnable, (1ULL << 20) | (1ULL << 21) | (1ULL << 23));
	cr_assert_eq(pol.cr0_pinnable, 0);
}

Test(policy_sem, cr_watchdog_and_breakpoints)
{
	parse_ok(V "cr watchdog 250us\ncr breakpoint 0xffffffff81000010 0x401000\n"
		   "cr breakpoint 4096\n");
	cr_assert_eq(pol.watchdog_us, 250);
	cr_assert_eq(pol.nr_cr_sites, 3);
	cr_assert_eq(pol.cr_sites[0], 0xffffffff81000010ULL);
	cr_assert_eq(pol.cr_sites[2], 4096);
	parse_ok(V "cr watchdog 10s\n");
	cr_assert_eq(pol.watchdog_us, 10000000);
	parse_ok(V "cr watchdog 100us\n");
	cr_assert_eq(pol.watchdog_us, 100);
	parse_ok(V "cr watchdog 5ms\n");
	cr_assert_eq(pol.watchdog_us, 5000);
	parse_ok(V "cr watchdog off\n");
	cr_assert_eq(pol.watchdog_us, 0);
}

Test(policy_sem, msrs)
{
	parse_ok(V "msr pin EFER ia32_lstar 0xC0000081 0x174\nmsr pinnable IA32_FMASK 416 "
		   "0xc0000103\n");
	cr_assert_eq(pol.nr_msrs, 7);
	cr_assert_eq(pol.msrs[0].index, 0xC0000080);
	cr_assert_eq(pol.msrs[1].index, 0xC0000082);
	cr_assert_eq(pol.msrs[2].index, 0xC0000081);
	cr_assert_eq(pol.msrs[3].index, 0x174);
	cr_assert_eq(pol.msrs[4].index, 0xC0000084);
	cr_assert_eq(pol.msrs[5].index, 0x1A0);
	cr_assert_eq(pol.msrs[6].index, 0xC0000103);
	cr_assert_eq(policy_msr_flags(&pol, 0xC0000082), POLICY_PIN_BOOT);
	cr_assert_eq(policy_msr_flags(&pol, 0x1A0), POLICY_PINNABLE);
	cr_assert_eq(policy_msr_flags(&pol, 0x10), 0);
}

Test(policy_sem, memory_rules)
{
	parse_ok(V "memory image r\nmemory data rw\nmemory text rx locked\n"
		   "memory range 2M 64K none locked\nmemory range 0x1000 0x1000 rwx\n"
		   "memory range 0xBFFFF000 4K r\n");
	cr_assert_eq(pol.nr_mem, 6);
	cr_assert_eq(pol.mem[0].region, POLICY_REGION_IMAGE);
	cr_assert_eq(pol.mem[0].perms, VTL_PERM_R);
	cr_assert_eq(pol.mem[1].perms, VTL_PERM_R | VTL_PERM_W);
	cr_assert_eq(pol.mem[2].flags, POLICY_MEM_LOCKED);
	cr_assert_eq(pol.mem[2].perms, VTL_PERM_R | VTL_PERM_X);
	cr_assert_eq(pol.mem[3].region, POLICY_REGION_RANGE);
	cr_assert_eq(pol.mem[3].base, 2 << 20);
	cr_assert_eq(pol.mem[3].size, 64 << 10);
	cr_assert_eq(pol.mem[3].perms, 0);
	cr_assert_eq(pol.mem[4].perms, VTL_PERM_MASK);
	cr_assert_eq(pol.mem[5].base + pol.mem[5].size, 3ULL << 30);
}

Test(policy_sem, regions_follow_segment_flags)
{
	cr_assert(policy_region_matches(POLICY_REGION_TEXT, VTL_SEG_R | VTL_SEG_X));
	cr_assert(policy_region_matches(POLICY_REGION_TEXT, VTL_SEG_R | VTL_SEG_W | VTL_SEG_X));
	cr_assert_not(policy_region_matches(POLICY_REGION_TEXT, VTL_SEG_R));
	cr_assert(policy_region_matches(POLICY_REGION_RODATA, VTL_SEG_R));
	cr_assert_not(policy_region_matches(POLICY_REGION_RODATA, VTL_SEG_R | VTL_SEG_W));
	cr_assert(policy_region_matches(POLICY_REGION_DATA, VTL_SEG_R | VTL_SEG_W));
	cr_assert_not(policy_region_matches(POLICY_REGION_DATA, VTL_SEG_R | VTL_SEG_W | VTL_SEG_X));
	cr_assert(policy_region_matches(POLICY_REGION_IMAGE, 0));
	cr_assert_not(policy_region_matches(POLICY_REGION_RANGE, VTL_SEG_R));
}

Test(policy_sem, exec_protection)
{
	parse_ok(V "memory data rw\n");
	cr_assert_eq(pol.flags & POLICY_F_NEEDS_EXEC_PROTECT, 0);
	parse_ok(V "exec-protection required\nmemory data rw\n");
	cr_assert_neq(pol.flags & POLICY_F_NEEDS_EXEC_PROTECT, 0);
	parse_ok(V "exec-protection best-effort\n");
	cr_assert_eq(pol.flags & POLICY_F_NEEDS_EXEC_PROTECT, 0);
}

Test(policy_sem, requests)
{
	parse_ok(V "before-end-of-boot relax unpin\nafter-end-of-boot none\n");
	cr_assert_eq(pol.requests_before, POLICY_REQ_RELAX | POLICY_REQ_UNPIN);
	cr_assert_eq(pol.requests_after, 0);
	cr_assert(policy_request_allowed(&pol, POLICY_REQ_RELAX, false));
	cr_assert_not(policy_request_allowed(&pol, POLICY_REQ_RELAX, true));
	cr_assert_not(policy_request_allowed(&pol, POLICY_REQ_RESTRICT, false));
	cr_assert_not(policy_request_allowed(&pol, 0, false));
	cr_assert_not(policy_request_allowed(&pol, 1U << 31, false));
	parse_ok(V "after-end-of-boot restrict relax pin-cr pin-msr unpin\n");
	cr_assert_eq(pol.requests_after, POLICY_REQ_ALL);
}

Test(policy_sem, actions)
{
	parse_ok(V "action cr reset\naction default log\naction mem-exec kill\n");
	cr_assert_eq(pol.action[POLICY_CLASS_CR], POLICY_ACT_RESET);
	cr_assert_eq(pol.action[POLICY_CLASS_MEM_EXEC], POLICY_ACT_KILL);
	cr_assert_eq(pol.action[POLICY_CLASS_MEM_WRITE], POLICY_ACT_LOG);
	cr_assert_eq(pol.action[POLICY_CLASS_MEM_READ], POLICY_ACT_LOG);
	cr_assert_eq(pol.action[POLICY_CLASS_MSR], POLICY_ACT_LOG);
	cr_assert_str_eq(policy_action_name(POLICY_ACT_RESET), "reset");
	cr_assert_str_eq(policy_action_name((enum policy_action)0), "?");
	cr_assert_str_eq(policy_class_name(POLICY_CLASS_MEM_WRITE), "mem-write");
	cr_assert_str_eq(policy_class_name(POLICY_CLASS_COUNT), "?");
}

Test(policy_sem, kexec)
{
	parse_ok(V "kexec allow yes\nkexec digest "
		   "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n"
		   "kexec key 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n");
	cr_assert_neq(pol.flags & POLICY_F_KEXEC_ALLOWED, 0);
	cr_assert_eq(pol.nr_kexec_digests, 1);
	cr_assert_eq(pol.kexec_digest[0][0], 0xE3);
	cr_assert_eq(pol.kexec_digest[0][31], 0x55);
	cr_assert_eq(pol.nr_kexec_keys, 1);
	cr_assert_eq(pol.kexec_key[0][0], 1);
	cr_assert_eq(pol.kexec_key[0][31], 0x20);
	/* anchors without permission are fine: kexec simply stays off */
	parse_ok(V "kexec digest "
		   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n");
	cr_assert_eq(pol.flags & POLICY_F_KEXEC_ALLOWED, 0);
}

Test(policy_sem, reset)
{
	parse_ok(V "reset zero-memory no\nreset max 0\n");
	cr_assert_eq(pol.flags & POLICY_F_RESET_ZERO_MEM, 0);
	cr_assert_eq(pol.max_resets, 0);
	parse_ok(V "reset max 1000\n");
	cr_assert_eq(pol.max_resets, 1000);
}

Test(policy_sem, numbers)
{
	parse_ok(V "memory range 0x00001000 0X1000 r\nreset max 007\n");
	cr_assert_eq(pol.mem[0].base, 0x1000);
	cr_assert_eq(pol.max_resets, 7); /* leading zeros are decimal, never octal */
	parse_ok(V "memory range 1G 1G r\n");
	cr_assert_eq(pol.mem[0].size, 1ULL << 30);
}

/* ---- the run's platform (`policy check --host`, and `run` itself) ------------- */

static enum policy_err parse_for(const char *text, uint64_t ram, uint64_t features)
{
	const struct policy_platform plat = {.vtl0_ram = ram, .features = features};

	return policy_parse_for(text, strlen(text), &plat, &pol, diags, NDIAGS, &ndiags);
}

Test(policy_platform, exec_protection_needs_a_host_that_has_it)
{
	cr_assert_eq(parse_for(V "exec-protection required\n", 32 << 20, 0), POLICY_E_PLATFORM);
	cr_assert_eq(ndiags, 1);
	cr_assert_eq(diags[0].line, 2);
	cr_assert_eq(diags[0].col, 17);
	cr_assert(strstr(diags[0].msg, "exec protection"), "%s", diags[0].msg);
	cr_assert_eq(parse_for(V "exec-protection required\n", 32 << 20, VTL_FEAT_PERM_NOEXEC),
		     POLICY_OK);
	cr_assert_eq(parse_for(V "exec-protection best-effort\n", 32 << 20, 0), POLICY_OK);
}

Test(policy_platform, a_range_must_end_inside_the_runs_ram)
{
	cr_assert_eq(parse_for(V "memory range 0x1ff0000 64K r\n", 32 << 20, 0), POLICY_OK);
	cr_assert_eq(parse_for(V "memory range 0x1ff0000 68K r\n", 32 << 20, 0), POLICY_E_PLATFORM);
	cr_assert_eq(diags[0].col, 14);
	cr_assert(strstr(diags[0].msg, "32M"), "%s", diags[0].msg);
	cr_assert_eq(parse_for(V "memory range 0x1ff0000 68K r\n", 64 << 20, 0), POLICY_OK);
	/* without a platform, only the language's own bound applies */
	cr_assert_eq(parse(V "memory range 0x1ff0000 68K r\n"), POLICY_OK);
}

/* ---- policy_parse_checked: VTL1's parse of a text the monitor accepted ------------ */

static char *read_example(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), SRC_DIR "/policy/examples/%s", name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

/* Every example policy, and the same with comment, blank and CRLF lines around: the same policy. */
Test(policy_checked, gives_what_policy_parse_gives_on_accepted_texts)
{
	static const char *const names[] = {"default.policy", "dev.policy", "linux.policy",
					    "nx-required.policy", "strict.policy"};
	static const char pad[] = "\n# comment\r\n\n#\n   # indented comment\n\t\n";
	struct policy a, b;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len;
		char *text = read_example(names[i], &len);
		char *padded = malloc(len + 2 * sizeof(pad));

		cr_assert_not_null(padded);
		memcpy(padded, pad, sizeof(pad) - 1);
		memcpy(padded + sizeof(pad) - 1, text, len);
		memcpy(padded + sizeof(pad) - 1 + len, pad, sizeof(pad) - 1);
		for (int v = 0; v < 3; v++) {
			const char *t = v == 0 ? text : padded;
			/* v == 2: the padded text cut inside its last comment (no final newline) */
			size_t n = v == 0 ? len : len + 2 * (sizeof(pad) - 1) - (v == 2 ? 5 : 0);

			memset(&a, 0x11, sizeof(a));
			memset(&b, 0x22, sizeof(b));
			cr_assert_eq(policy_parse(t, n, &a, NULL, 0, NULL), POLICY_OK, "%s",
				     names[i]);
			cr_assert_eq(policy_parse_checked(t, n, &b, NULL, 0, NULL), POLICY_OK, "%s",
				     names[i]);
			cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "%s (variant %d)", names[i], v);
		}
		free(padded);
		free(text);
	}
}

/* The documented difference: errors that lie only in comment-only lines go unreported. */
Test(policy_checked, skips_comment_lines_unread)
{
	static const char bad[] = V "# a control byte \x01 in a comment\nreset max 3\n";

	cr_assert_eq(policy_parse(bad, sizeof(bad) - 1, &pol, NULL, 0, NULL), POLICY_E_BAD_CHAR);
	cr_assert_eq(policy_parse_checked(bad, sizeof(bad) - 1, &pol, NULL, 0, NULL), POLICY_OK);
	/* Statements are read as ever: an error there is an error. */
	cr_assert_eq(policy_parse_checked(V "default nonsense\n",
					  sizeof(V "default nonsense\n") - 1, &pol, diags, NDIAGS,
					  &ndiags),
		     policy_parse(V "default nonsense\n", sizeof(V "default nonsense\n") - 1, &pol,
				  NULL, 0, NULL));
	cr_assert_eq(ndiags, 1);
	cr_assert_eq(diags[0].line, 2);
}

/* Sorted for the reader, and without repeats: each pinnable MSR has its own slot bit. */
Test(policy_names, pinnable_msrs_are_sorted_and_each_is_found)
{
	for (size_t i = 0; i < policy_nr_pinnable_msrs; i++) {
		if (i)
			cr_assert_lt(policy_pinnable_msrs[i - 1], policy_pinnable_msrs[i],
				     "entry %zu", i);
		cr_assert(policy_msr_pinnable(policy_pinnable_msrs[i]));
		cr_assert(!policy_msr_pinnable(policy_pinnable_msrs[i] + 1) ||
			  (i + 1 < policy_nr_pinnable_msrs &&
			   policy_pinnable_msrs[i + 1] == policy_pinnable_msrs[i] + 1));
	}
	cr_assert(!policy_msr_pinnable(0));
	cr_assert(!policy_msr_pinnable(UINT32_MAX));
}
