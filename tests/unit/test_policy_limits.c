/* Unit tests of the policy parser: round trips of every example, limits and hostile input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "vtl_layout.h"

#define V "vtlmon-policy 1\n"

static const char *const examples[] = {
    "default.policy", "strict.policy", "dev.policy", "nx-required.policy", "linux.policy",
};
#define NR_EXAMPLES (sizeof(examples) / sizeof(examples[0]))

static char *read_example(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;

	snprintf(path, sizeof(path), "%s/policy/examples/%s", SRC_DIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	buf = malloc(VTL_BOOT_POLICY_MAX + 1);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, VTL_BOOT_POLICY_MAX + 1, f);
	fclose(f);
	cr_assert_leq(*len, VTL_BOOT_POLICY_MAX, "%s is too large for VTL1", name);
	return buf;
}

/* Format *p, check the text re-parses to an equal policy, and return the text. */
static char *round_trip(const struct policy *p)
{
	struct policy again;
	struct policy_diag d[4];
	size_t n, need = policy_format(p, NULL, 0);
	char *text = malloc(need + 1);

	cr_assert_not_null(text);
	cr_assert_eq(policy_format(p, text, need + 1), need);
	cr_assert_eq(strlen(text), need);
	cr_assert_eq(policy_parse(text, need, &again, d, 4, &n), POLICY_OK,
		     "summary does not parse: %u:%u: %s\n%s", d[0].line, d[0].col, d[0].msg, text);
	cr_assert(policy_equal(p, &again), "summary parses to a different policy:\n%s", text);
	return text;
}

/*
 * Whatever the input, the result is a policy or well-formed diagnostics;
 * and any policy that comes out survives a round trip.
 */
static void check_invariants(const char *text, size_t len, uint32_t max_line)
{
	struct policy p;
	struct policy_diag d[8];
	size_t n = 99;
	/* an exact-size copy lets ASan catch any read past the end */
	char *copy = malloc(len ? len : 1);

	cr_assert_not_null(copy);
	memcpy(copy, text, len);
	enum policy_err e = policy_parse(copy, len, &p, d, 8, &n);

	if (e == POLICY_OK) {
		cr_assert_eq(n, 0);
		cr_assert_eq(p.version, POLICY_VERSION);
		free(round_trip(&p));
	} else {
		cr_assert(e > POLICY_OK && e < POLICY_E_COUNT);
		cr_assert(n >= 1 && n <= 8);
		cr_assert_eq(d[0].code, (uint32_t)e);
		cr_assert_eq(p.version, 0);
		for (size_t i = 0; i < n; i++) {
			cr_assert(d[i].line >= 1 && d[i].line <= max_line, "line %u", d[i].line);
			cr_assert(d[i].col >= 1 && d[i].col <= POLICY_MAX_LINE + 1);
			cr_assert_lt(strnlen(d[i].msg, sizeof(d[i].msg)), sizeof(d[i].msg));
		}
	}
	free(copy);
}

static enum policy_err parse_str(const char *text)
{
	struct policy p;

	return policy_parse(text, strlen(text), &p, NULL, 0, NULL);
}

static uint32_t count_lines(const char *text, size_t len)
{
	uint32_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	return lines;
}

/* ---- round trips -------------------------------------------------------------- */

Test(policy_roundtrip, examples)
{
	for (size_t i = 0; i < NR_EXAMPLES; i++) {
		struct policy p;
		struct policy_diag d[4];
		size_t len, n;
		char *text = read_example(examples[i], &len);

		cr_assert_eq(policy_parse(text, len, &p, d, 4, &n), POLICY_OK, "%s:%u:%u: %s",
			     examples[i], d[0].line, d[0].col, d[0].msg);
		char *once = round_trip(&p);
		struct policy q;

		/* normalising is idempotent: the summary of the summary is itself */
		cr_assert_eq(policy_parse(once, strlen(once), &q, d, 4, &n), POLICY_OK);
		char *twice = round_trip(&q);

		cr_assert_str_eq(once, twice);
		free(twice);
		free(once);
		free(text);
	}
}

Test(policy_roundtrip, examples_mean_what_they_say)
{
	struct policy p;
	size_t len;
	char *text = read_example("default.policy", &len);

	cr_assert_eq(policy_parse(text, len, &p, NULL, 0, NULL), POLICY_OK);
	/* the demo boots with CR0 = PG|AM|WP|NE|ET|MP|PE, CR4 = PAE|OSFXSR|OSXMMEXCPT */
	cr_assert_eq(p.cr0_pin_boot & ~0x80050033ULL, 0, "default pins a CR0 bit the demo clears");
	cr_assert_eq(p.cr4_pin_boot & ~0x620ULL, 0, "default pins a CR4 bit the demo clears");
	cr_assert_eq(p.flags & POLICY_F_NEEDS_EXEC_PROTECT, 0,
		     "the demo must launch on upstream KVM");
	free(text);

	text = read_example("nx-required.policy", &len);
	cr_assert_eq(policy_parse(text, len, &p, NULL, 0, NULL), POLICY_OK);
	cr_assert_neq(p.flags & POLICY_F_NEEDS_EXEC_PROTECT, 0);
	free(text);

	text = read_example("strict.policy", &len);
	cr_assert_eq(policy_parse(text, len, &p, NULL, 0, NULL), POLICY_OK);
	for (int c = 0; c < POLICY_CLASS_COUNT; c++)
		cr_assert_eq(p.action[c], POLICY_ACT_KILL);
	cr_assert_eq(p.requests_before & POLICY_REQ_RELAX, 0);
	cr_assert_eq(p.requests_after & (POLICY_REQ_RELAX | POLICY_REQ_UNPIN), 0);
	cr_assert_eq(p.nr_kexec_digests, 1);
	cr_assert_eq(p.nr_kexec_keys, 0);
	free(text);
}

/* Every table full (the MSR table with every pinnable MSR), every CR bit named: the largest
 * summary. */
static void build_full(char *text, size_t cap)
{
	size_t n = 0;

#define ADD(...) (n += (size_t)snprintf(text + n, cap - n, __VA_ARGS__))
	ADD(V "exec-protection required\n");
	ADD("cr pin CR0.PE CR0.MP CR0.EM CR0.TS CR0.ET CR0.NE CR0.WP CR0.AM CR0.NW CR0.CD "
	    "CR0.PG\n");
	ADD("cr pinnable CR4.VME CR4.PVI CR4.TSD CR4.DE CR4.PSE CR4.PAE CR4.MCE CR4.PGE CR4.PCE\n");
	ADD("cr pin CR4.OSFXSR CR4.OSXMMEXCPT CR4.UMIP CR4.LA57 CR4.VMXE CR4.SMXE CR4.FSGSBASE\n");
	ADD("cr pinnable CR4.PCIDE CR4.OSXSAVE CR4.KL CR4.SMEP CR4.SMAP CR4.PKE CR4.CET CR4.PKS\n");
	ADD("cr pin CR4.UINTR CR4.LAM_SUP\ncr watchdog 123us\n");
	ADD("cr breakpoint 0xffffffffffffffff 0 0x7fffffffffff 0xffff800000000000\n");
	/* the MSR table can hold more than there are pinnable MSRs: all of those */
	for (size_t i = 0; i < policy_nr_pinnable_msrs; i++)
		ADD("msr %s 0x%x\n", i % 3 ? "pin" : "pinnable", policy_pinnable_msrs[i]);
	for (int i = 0; i < 28; i++)
		ADD("memory range 0x%x 0x%x %s%s\n", i << 20, (i + 1) << 12,
		    (const char *[]){"none", "r", "rw", "rx", "rwx"}[i % 5],
		    i % 2 ? " locked" : "");
	ADD("memory text rx\nmemory rodata r locked\nmemory data rw\nmemory image rwx locked\n");
	ADD("before-end-of-boot none\nafter-end-of-boot unpin relax\n");
	ADD("action mem-write log\naction mem-read reset\naction mem-exec kill\naction msr deny\n");
	ADD("action cr log\nkexec allow yes\n");
	for (int i = 0; i < 8; i++)
		ADD("kexec digest %064x\nkexec key %063xf\n", i * 77 + 1, i);
	ADD("reset zero-memory no\nreset max 1000\n");
#undef ADD
	cr_assert_lt(n, cap);
}

Test(policy_roundtrip, every_table_full)
{
	static char text[16384];
	struct policy p;
	struct policy_diag d[4];
	size_t n;

	build_full(text, sizeof(text));
	cr_assert_eq(policy_parse(text, strlen(text), &p, d, 4, &n), POLICY_OK, "%u:%u: %s",
		     d[0].line, d[0].col, d[0].msg);
	cr_assert_eq(p.nr_msrs, policy_nr_pinnable_msrs);
	cr_assert_eq(p.nr_mem, POLICY_MAX_MEM_RULES);
	cr_assert_eq(p.nr_cr_sites, POLICY_MAX_CR_SITES);
	cr_assert_eq(p.nr_kexec_digests, POLICY_MAX_KEXEC_DIGESTS);
	cr_assert_eq(p.nr_kexec_keys, POLICY_MAX_KEXEC_KEYS);
	cr_assert_eq(p.requests_before, 0);
	char *summary = round_trip(&p);

	/* the largest policy's summary still fits what VTL1 can be handed */
	cr_assert_lt(strlen(summary), VTL_BOOT_POLICY_MAX);
	free(summary);
}

Test(policy_roundtrip, format_truncates_safely)
{
	static char text[16384];
	struct policy p;
	char small[64];
	size_t need;

	build_full(text, sizeof(text));
	cr_assert_eq(policy_parse(text, strlen(text), &p, NULL, 0, NULL), POLICY_OK);
	need = policy_format(&p, NULL, 0);
	char *full = malloc(need + 1);

	cr_assert_eq(policy_format(&p, full, need + 1), need);
	for (size_t cap = 1; cap <= sizeof(small); cap++) {
		memset(small, 'Z', sizeof(small));
		cr_assert_eq(policy_format(&p, small, cap), need);
		cr_assert_eq(strlen(small), cap - 1);
		cr_assert_eq(memcmp(small, full, cap - 1), 0);
		if (cap < sizeof(small))
			cr_assert_eq(small[cap], 'Z', "wrote past the buffer at cap %zu", cap);
	}
	free(full);
}

Test(policy_roundtrip, equal_sees_every_field)
{
	struct policy a, b;

	static const char text[] =
	    V "memory range 0 4K r\nmsr pin EFER\ncr breakpoint 1\n"
	      "kexec key 0000000000000000000000000000000000000000000000000000000000000000\n"
	      "kexec digest 0000000000000000000000000000000000000000000000000000000000000000\n";

	cr_assert_eq(policy_parse(text, strlen(text), &a, NULL, 0, NULL), POLICY_OK);
#define DIFFERS(stmt)                                                                              \
	do {                                                                                       \
		b = a;                                                                             \
		stmt;                                                                              \
		cr_assert_not(policy_equal(&a, &b), "equal after: %s", #stmt);                     \
	} while (0)
	b = a;
	cr_assert(policy_equal(&a, &b));
	/* slots past a count are ignored */
	b.msrs[5].index = 99;
	b.mem[7].perms = 3;
	cr_assert(policy_equal(&a, &b));
	DIFFERS(b.version++);
	DIFFERS(b.flags ^= 1);
	DIFFERS(b.cr0_pin_boot ^= 1);
	DIFFERS(b.cr0_pinnable ^= 1);
	DIFFERS(b.cr4_pin_boot ^= 1);
	DIFFERS(b.cr4_pinnable ^= 1);
	DIFFERS(b.requests_before ^= 1);
	DIFFERS(b.requests_after ^= 1);
	DIFFERS(b.action[4]++);
	DIFFERS(b.watchdog_us++);
	DIFFERS(b.max_resets++);
	DIFFERS(b.nr_cr_sites++);
	DIFFERS(b.cr_sites[0]++);
	DIFFERS(b.msrs[0].index++);
	DIFFERS(b.msrs[0].flags ^= 3);
	DIFFERS(b.mem[0].base += 4096);
	DIFFERS(b.mem[0].size += 4096);
	DIFFERS(b.mem[0].region++);
	DIFFERS(b.mem[0].perms ^= 2);
	DIFFERS(b.mem[0].flags ^= 1);
	DIFFERS(b.kexec_digest[0][31] ^= 1);
	DIFFERS(b.kexec_key[0][0] ^= 1);
	DIFFERS(b.nr_kexec_keys = 0);
#undef DIFFERS
}

/* ---- limits -------------------------------------------------------------------- */

Test(policy_limits, huge_numbers)
{
	size_t len = 200000;
	char *text = malloc(len + 64);
	struct policy p;
	struct policy_diag d[4];
	size_t n;

	cr_assert_not_null(text);
	strcpy(text, V "reset max ");
	size_t off = strlen(text);

	memset(text + off, '9', len);
	strcpy(text + off + len, "\n");
	cr_assert_eq(policy_parse(text, strlen(text), &p, d, 4, &n), POLICY_E_LINE_TOO_LONG);

	/* as long as a line allows, in every number position */
	static const char *const pre[] = {"reset max ",	    "memory range ", "memory range 0 ",
					  "cr breakpoint ", "msr pin ",	     "cr watchdog "};
	static const char *const post[] = {"\n", " 4K r\n", " r\n", "\n", "\n", "s\n"};
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t k = strlen(V) + strlen(pre[i]);
		size_t digits = POLICY_MAX_LINE - strlen(pre[i]) - 8;

		strcpy(text, V);
		strcat(text, pre[i]);
		memset(text + k, '9', digits);
		strcpy(text + k + digits, post[i]);
		enum policy_err e = policy_parse(text, strlen(text), &p, d, 4, &n);

		cr_assert_eq(e, POLICY_E_RANGE, "%s: %s: %s", pre[i], policy_strerror(e), d[0].msg);
		cr_assert_eq(n, 1, "%s: %s", pre[i], d[1].msg);
		cr_assert_eq(d[0].line, 2);
		cr_assert_eq(d[0].col, strlen(pre[i]) + 1);
		cr_assert_lt(strlen(d[0].msg), 100, "the number is not echoed in full");
	}
	/* the exact boundary: 2^64 - 1 is fine where it is allowed, 2^64 is not */
	cr_assert_eq(parse_str(V "cr breakpoint 18446744073709551615\n"), POLICY_OK);
	cr_assert_eq(parse_str(V "cr breakpoint 18446744073709551616\n"), POLICY_E_RANGE);
	cr_assert_eq(parse_str(V "cr breakpoint 0xffffffffffffffff\n"), POLICY_OK);
	cr_assert_eq(parse_str(V "cr breakpoint 0x10000000000000000\n"), POLICY_E_RANGE);
	cr_assert_eq(parse_str(V "cr breakpoint 0x0000ffffffffffffffff\n"), POLICY_OK,
		     "leading zeros do not overflow");
	cr_assert_eq(parse_str(V "memory range 0 17179869183G r\n"), POLICY_E_RANGE, "beyond RAM");
	cr_assert_eq(parse_str(V "memory range 0 17179869184G r\n"), POLICY_E_RANGE,
		     "suffix overflow");
	cr_assert_eq(parse_str(V "cr watchdog 18446744073709551615s\n"), POLICY_E_RANGE,
		     "unit overflow");
	free(text);
}

Test(policy_limits, ten_megabyte_lines)
{
	size_t big = 10U << 20;
	char *text = malloc(big + 64);
	struct policy p;
	struct policy_diag d[4];
	size_t n, len;

	cr_assert_not_null(text);
	for (int fill = 0; fill < 3; fill++) {
		const char fills[] = {'a', '\0', ' '};

		strcpy(text, V);
		memset(text + strlen(V), fills[fill], big);
		strcpy(text + strlen(V) + big, "\nreset max x\n");
		len = strlen(V) + big + strlen("\nreset max x\n");
		/* one error per line: the first bad byte, or column 513 if it comes first */
		enum policy_err want = fill == 1 ? POLICY_E_BAD_CHAR : POLICY_E_LINE_TOO_LONG;

		cr_assert_eq(policy_parse(text, len, &p, d, 4, &n), want);
		cr_assert_eq(n, 2);
		cr_assert_eq(d[0].line, 2);
		cr_assert_eq(d[0].col, fill == 1 ? 1 : POLICY_MAX_LINE + 1);
		cr_assert_eq(d[1].line, 3, "parsing resumes after the long line");
		cr_assert_eq(d[1].code, POLICY_E_BAD_NUMBER);
	}
	/* a line of exactly the limit is fine, with or without CRLF */
	strcpy(text, V "reset max 3 #");
	memset(text + strlen(text), '-', POLICY_MAX_LINE - 13);
	strcpy(text + strlen(V) + POLICY_MAX_LINE, "\r\n");
	cr_assert_eq(policy_parse(text, strlen(text), &p, d, 4, &n), POLICY_OK, "%s", d[0].msg);
	strcpy(text + strlen(V) + POLICY_MAX_LINE, "-\r\n");
	cr_assert_eq(policy_parse(text, strlen(text), &p, d, 4, &n), POLICY_E_LINE_TOO_LONG);
	free(text);
}

static char *repeat(const char *head, const char *line, size_t times, size_t *len)
{
	size_t hl = strlen(head), ll = strlen(line);
	char *text = malloc(hl + ll * times + 1);

	cr_assert_not_null(text);
	memcpy(text, head, hl);
	for (size_t i = 0; i < times; i++)
		memcpy(text + hl + i * ll, line, ll);
	*len = hl + ll * times;
	text[*len] = '\0';
	return text;
}

#define REPEATS 100000U

Test(policy_limits, deep_repetition)
{
	struct policy p;
	struct policy_diag d[8];
	size_t n, len;
	char *text;

	/* comments, blank lines and CRLF cost nothing but time */
	text = repeat(V, "  # a comment line\r\n\r\n", REPEATS, &len);
	cr_assert_eq(policy_parse(text, len, &p, d, 8, &n), POLICY_OK);
	free(text);

	/* list statements may repeat; their items may not */
	text = repeat(V, "msr pin EFER\n", REPEATS, &len);
	cr_assert_eq(policy_parse(text, len, &p, d, 8, &n), POLICY_E_DUPLICATE);
	cr_assert_eq(n, 8);
	cr_assert_eq(d[0].line, 3);
	cr_assert_eq(d[7].line, 10);
	free(text);

	text = repeat(V, "cr pin CR0.WP CR0.WP CR0.WP\n", REPEATS, &len);
	cr_assert_eq(policy_parse(text, len, &p, d, 8, &n), POLICY_E_DUPLICATE);
	free(text);

	/* tables fill up */
	text = repeat(V, "memory text r\nmemory range 0 4K r\n", REPEATS, &len);
	cr_assert_eq(policy_parse(text, len, &p, d, 8, &n), POLICY_E_DUPLICATE);
	free(text);

	/* once-only statements */
	text = repeat(V, "reset max 3\n", REPEATS, &len);
	cr_assert_eq(policy_parse(text, len, &p, d, 8, &n), POLICY_E_DUPLICATE);
	cr_assert_str_eq(d[0].msg, "duplicate 'reset max' statement (first at line 2)");
	free(text);

	/* with room for every error, every one is reported with its own line */
	struct policy_diag *all = calloc(REPEATS, sizeof(*all));

	cr_assert_not_null(all);
	text = repeat(V, "nope\n", REPEATS, &len);
	cr_assert_eq(policy_parse(text, len, &p, all, REPEATS, &n), POLICY_E_UNKNOWN_KEY);
	cr_assert_eq(n, REPEATS);
	cr_assert_eq(all[REPEATS - 1].line, REPEATS + 1);
	free(text);
	free(all);
}

Test(policy_limits, words_per_line)
{
	char text[1024];
	struct policy p;

	/* exactly the maximum: 2 keywords and 46 bits */
	strcpy(text, V "cr pin");
	for (int i = 0; i < 46; i++)
		strcat(text, " CR4.SMEP");
	strcat(text, "\n");
	cr_assert_eq(policy_parse(text, strlen(text), &p, NULL, 0, NULL), POLICY_E_DUPLICATE,
		     "48 words are lexed; the repeated bit is the error");
	strcpy(text + strlen(text) - 1, " CR4.SMEP\n");
	cr_assert_eq(policy_parse(text, strlen(text), &p, NULL, 0, NULL), POLICY_E_TOO_MANY_WORDS);
}

Test(policy_limits, truncated_examples)
{
	for (size_t i = 0; i < NR_EXAMPLES; i++) {
		size_t len;
		char *text = read_example(examples[i], &len);
		uint32_t lines = count_lines(text, len);

		for (size_t cut = 0; cut <= len; cut++)
			check_invariants(text, cut, lines);
		free(text);
	}
}

Test(policy_limits, mutated_examples)
{
	static const char subst[] = {'\0', '\n', '\r', ' ', '#', (char)0xff, 'x', '9', '\t', '.'};

	for (size_t i = 0; i < NR_EXAMPLES; i++) {
		size_t len;
		char *text = read_example(examples[i], &len);
		uint32_t lines = count_lines(text, len) + 1;

		for (size_t pos = 0; pos < len; pos++) {
			char keep = text[pos];

			for (size_t s = 0; s < sizeof(subst); s++) {
				text[pos] = subst[s];
				check_invariants(text, len, lines);
			}
			text[pos] = keep;
		}
		free(text);
	}
}

/* Random statements from the language's own words: reaches deep into every statement. */
Test(policy_limits, random_statements)
{
	static const char *const words[] = {
	    "vtlmon-policy",
	    "1",
	    "2",
	    "cr",
	    "pin",
	    "pinnable",
	    "watchdog",
	    "breakpoint",
	    "msr",
	    "memory",
	    "text",
	    "rodata",
	    "data",
	    "image",
	    "range",
	    "r",
	    "rw",
	    "rx",
	    "rwx",
	    "none",
	    "locked",
	    "action",
	    "default",
	    "mem-write",
	    "cr",
	    "deny",
	    "kill",
	    "log",
	    "reset",
	    "kexec",
	    "allow",
	    "yes",
	    "no",
	    "digest",
	    "key",
	    "max",
	    "zero-memory",
	    "before-end-of-boot",
	    "after-end-of-boot",
	    "restrict",
	    "relax",
	    "unpin",
	    "pin-cr",
	    "pin-msr",
	    "exec-protection",
	    "required",
	    "best-effort",
	    "CR0.WP",
	    "cr4.smep",
	    "EFER",
	    "0xC0000082",
	    "4K",
	    "0x1000",
	    "3G",
	    "10ms",
	    "off",
	    "0",
	    "#",
	    "\n",
	    "\n",
	    "\n",
	    "\r\n",
	    "\t",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	};
	static const char *const heads[] = {
	    "\ncr pin ",	  "\ncr pinnable ",	  "\ncr watchdog ",
	    "\ncr breakpoint ",	  "\nmsr pin ",		  "\nmsr pinnable ",
	    "\nmemory range ",	  "\nmemory text ",	  "\naction default ",
	    "\naction cr ",	  "\nkexec allow ",	  "\nkexec digest ",
	    "\nreset max ",	  "\nreset zero-memory ", "\nafter-end-of-boot ",
	    "\nexec-protection ",
	};
	const size_t nw = sizeof(words) / sizeof(words[0]);
	const size_t nh = sizeof(heads) / sizeof(heads[0]);
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	char text[2048];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;
		int count;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		count = (int)(seed >> 58);
		/* half the inputs start well, so the statements after the header get exercised */
		if (seed & (1ULL << 20))
			len = (size_t)sprintf(text, V);
		for (int w = 0; w < count; w++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			/* mostly statement heads and words, so most lines get past the keyword */
			const char *s =
			    (seed >> 7) % 3 ? words[(seed >> 33) % nw] : heads[(seed >> 33) % nh];
			size_t l = strlen(s);

			if (len + l + 2 >= sizeof(text))
				break;
			memcpy(text + len, s, l);
			len += l;
			text[len++] = (seed >> 13) & 3 ? ' ' : '\n';
		}
		check_invariants(text, len, count_lines(text, len));
	}
}

/* The single-pass lexer's edges: the line limit against every way a line can end. */
Test(policy_limits, line_boundaries)
{
	static char text[2048];
	struct policy_diag d[4];
	struct policy p;
	size_t n, base = strlen(V "reset max 3");

	/* a 512-byte line: V, then "reset max 3" padded with spaces to the limit */
	strcpy(text, V "reset max 3");
	memset(text + base, ' ', POLICY_MAX_LINE - (base - strlen(V)));
	size_t end = strlen(V) + POLICY_MAX_LINE;
	static const struct {
		const char *tail;
		enum policy_err want;
	} cases[] = {
	    {"", POLICY_OK},
	    {"\n", POLICY_OK},
	    {"\r", POLICY_OK},
	    {"\r\n", POLICY_OK},
	    {"\r\nreset max 4\n", POLICY_E_DUPLICATE},
	    {" ", POLICY_E_LINE_TOO_LONG},
	    {"x\n", POLICY_E_LINE_TOO_LONG},
	    {"\rx\n", POLICY_E_LINE_TOO_LONG},
	    {"\t\n", POLICY_E_LINE_TOO_LONG},
	    {"#\n", POLICY_E_LINE_TOO_LONG},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(text + end, cases[i].tail);
		cr_assert_eq(policy_parse(text, strlen(text), &p, d, 4, &n), cases[i].want,
			     "tail %zu: %s", i, n ? d[0].msg : "");
		if (cases[i].want == POLICY_E_LINE_TOO_LONG)
			cr_assert_eq(d[0].col, POLICY_MAX_LINE + 1);
	}
	/* a word that ends exactly at the limit */
	memset(text + strlen(V), 'x', POLICY_MAX_LINE);
	strcpy(text + end, "\n");
	cr_assert_eq(policy_parse(text, strlen(text), &p, d, 4, &n), POLICY_E_UNKNOWN_KEY);
	cr_assert_eq(d[0].col, 1);

	/* carriage returns and tabs inside comments */
	cr_assert_eq(parse_str(V "# a\tb\r\nreset max 1 #\r\n"), POLICY_OK);
	cr_assert_eq(parse_str(V "# a\rb\n"), POLICY_E_BAD_CHAR);
	cr_assert_eq(parse_str(V "reset max 1\r\r\n"), POLICY_E_BAD_CHAR);
	cr_assert_eq(parse_str(V "reset max 1\n\r"), POLICY_OK, "a final lone CR ends a line");
	cr_assert_eq(parse_str(V "\n\n\n"), POLICY_OK);
	cr_assert_eq(parse_str("vtlmon-policy 1"), POLICY_OK);
	cr_assert_eq(parse_str("\xef\xbb\xbfvtlmon-policy 1\n"), POLICY_E_BAD_CHAR, "no BOM");
}
