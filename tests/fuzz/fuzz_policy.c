/* libFuzzer target: policy_parse on hostile text, diagnostics, invariants, format round trip. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "policy/policy.h"
#include "policy/policy_internal.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"

#define FUZZ_DIAGS 16
/* The normalised form of the largest policy the tables allow is well under this. */
#define FUZZ_FMT_CAP (64 * 1024)

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The number of lines a diagnostic may point at: LF ends a line (CRLF too). */
static uint32_t count_lines(const uint8_t *data, size_t size)
{
	uint32_t n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_diag(const struct policy_diag *d, uint32_t nlines)
{
	FUZZ_CHECK(d->code > POLICY_OK && d->code < POLICY_E_COUNT, "diag code %u", d->code);
	FUZZ_CHECK(d->line >= 1 && d->line <= nlines, "diag line %u of %u lines (code %u)", d->line,
		   nlines, d->code);
	/* A line is at most POLICY_MAX_LINE bytes; one past it is where "too long" points. */
	FUZZ_CHECK(d->col >= 1 && d->col <= POLICY_MAX_LINE + 1, "diag col %u (code %u)", d->col,
		   d->code);
	FUZZ_CHECK(fuzz_printable_str(d->msg, sizeof(d->msg)),
		   "diag message not NUL-terminated printable ASCII (code %u)", d->code);
	FUZZ_CHECK(policy_strerror(d->code) != NULL, "no strerror for %u", d->code);
}

/*
 * Diagnostics come in line order; policy.h allows the checks that can only
 * run at end of input (the kexec anchor CONFLICT, and the NO_VERSION of a
 * policy with no statement at all) to come after the per-line ones.
 */
static void check_diag_order(const struct policy_diag *d, size_t nd)
{
	if (nd && d[nd - 1].code == POLICY_E_CONFLICT)
		nd--;
	if (nd && d[nd - 1].code == POLICY_E_NO_VERSION)
		nd--;
	for (size_t i = 1; i < nd; i++)
		FUZZ_CHECK(d[i - 1].line <= d[i].line, "diag %zu at line %u after line %u", i,
			   d[i].line, d[i - 1].line);
}

/* What policy.h and docs/policy.md promise about every compiled policy. */
static void check_compiled(const struct policy *p)
{
	FUZZ_CHECK(p->version == POLICY_VERSION, "version %u", p->version);
	FUZZ_CHECK(!(p->flags & ~POLICY_F_ALL), "flags 0x%x", p->flags);
	FUZZ_CHECK(!(p->requests_before & ~POLICY_REQ_ALL) &&
		       !(p->requests_after & ~POLICY_REQ_ALL),
		   "requests 0x%x 0x%x", p->requests_before, p->requests_after);
	FUZZ_CHECK(!(p->cr0_pin_boot & p->cr0_pinnable) && !(p->cr4_pin_boot & p->cr4_pinnable),
		   "a CR bit is both pinned at boot and pinnable");
	for (uint32_t c = 0; c < POLICY_CLASS_COUNT; c++)
		FUZZ_CHECK(p->action[c] >= POLICY_ACT_DENY && p->action[c] <= POLICY_ACT_RESTORE &&
			       (p->action[c] != POLICY_ACT_RESTORE || c == POLICY_CLASS_CR),
			   "action[%u] = %u", c, p->action[c]);
	FUZZ_CHECK(p->watchdog_us == 0 || (p->watchdog_us >= POLICY_WATCHDOG_MIN_US &&
					   p->watchdog_us <= POLICY_WATCHDOG_MAX_US),
		   "watchdog %u us", p->watchdog_us);
	FUZZ_CHECK(p->max_resets <= POLICY_MAX_RESETS, "max_resets %u", p->max_resets);
	FUZZ_CHECK(p->nr_cr_sites <= POLICY_MAX_CR_SITES && p->nr_msrs <= POLICY_MAX_MSRS &&
		       p->nr_mem <= POLICY_MAX_MEM_RULES &&
		       p->nr_kexec_digests <= POLICY_MAX_KEXEC_DIGESTS &&
		       p->nr_kexec_keys <= POLICY_MAX_KEXEC_KEYS,
		   "a count exceeds its table");
	FUZZ_CHECK(!(p->flags & POLICY_F_KEXEC_ALLOWED) || p->nr_kexec_digests || p->nr_kexec_keys,
		   "kexec allowed with nothing to check an image against");

	for (uint32_t i = 0; i < p->nr_cr_sites; i++) {
		/* Canonical for 4-level paging: bits 63..47 all equal. */
		int64_t s = (int64_t)p->cr_sites[i] >> 47;

		FUZZ_CHECK(s == 0 || s == -1, "cr_sites[%u] = 0x%llx non-canonical", i,
			   (unsigned long long)p->cr_sites[i]);
	}
	for (uint32_t i = 0; i < p->nr_msrs; i++) {
		FUZZ_CHECK(p->msrs[i].flags == POLICY_PIN_BOOT ||
			       p->msrs[i].flags == POLICY_PINNABLE,
			   "msrs[%u].flags 0x%x", i, p->msrs[i].flags);
		for (uint32_t j = 0; j < i; j++)
			FUZZ_CHECK(p->msrs[j].index != p->msrs[i].index, "MSR 0x%x listed twice",
				   p->msrs[i].index);
	}
	for (uint32_t i = 0; i < p->nr_mem; i++) {
		const struct policy_mem_rule *r = &p->mem[i];

		FUZZ_CHECK(r->region < POLICY_REGION_COUNT, "mem[%u].region %u", i, r->region);
		FUZZ_CHECK(!(r->perms & ~VTL_PERM_MASK), "mem[%u].perms 0x%x", i, r->perms);
		/* EPT has no write-only pages: every allowed perm set includes R, or is empty. */
		FUZZ_CHECK(!r->perms || (r->perms & VTL_PERM_R), "mem[%u].perms 0x%x", i, r->perms);
		FUZZ_CHECK(!(r->flags & ~POLICY_MEM_LOCKED), "mem[%u].flags 0x%x", i, r->flags);
		FUZZ_CHECK(all_zero(r->reserved, sizeof(r->reserved)), "mem[%u] reserved", i);
		if (r->region == POLICY_REGION_RANGE)
			FUZZ_CHECK(r->size && !(r->base % VTL_PAGE_SIZE) &&
				       !(r->size % VTL_PAGE_SIZE) && r->base + r->size >= r->base,
				   "mem[%u] range 0x%llx +0x%llx", i, (unsigned long long)r->base,
				   (unsigned long long)r->size);
		else
			FUZZ_CHECK(!r->base && !r->size, "mem[%u] region %u with a range", i,
				   r->region);
	}

	/* "The parser zeroes the rest (and all reserved bytes)". */
	FUZZ_CHECK(all_zero(p->reserved0, sizeof(p->reserved0)) && !p->reserved1,
		   "reserved fields");
	FUZZ_CHECK(all_zero(&p->cr_sites[p->nr_cr_sites],
			    (POLICY_MAX_CR_SITES - p->nr_cr_sites) * sizeof(p->cr_sites[0])),
		   "cr_sites beyond count");
	FUZZ_CHECK(
	    all_zero(&p->msrs[p->nr_msrs], (POLICY_MAX_MSRS - p->nr_msrs) * sizeof(p->msrs[0])),
	    "msrs beyond count");
	FUZZ_CHECK(
	    all_zero(&p->mem[p->nr_mem], (POLICY_MAX_MEM_RULES - p->nr_mem) * sizeof(p->mem[0])),
	    "mem beyond count");
	FUZZ_CHECK(all_zero(p->kexec_digest[p->nr_kexec_digests],
			    (POLICY_MAX_KEXEC_DIGESTS - p->nr_kexec_digests) * 32),
		   "digests beyond count");
	FUZZ_CHECK(all_zero(p->kexec_key[p->nr_kexec_keys],
			    (POLICY_MAX_KEXEC_KEYS - p->nr_kexec_keys) * 32),
		   "keys beyond count");
}

/* VTL1's decision helpers agree with the compiled tables they read. */
static void check_helpers(const struct policy *p, uint32_t probe)
{
	for (uint32_t i = 0; i < p->nr_msrs; i++)
		FUZZ_CHECK(policy_msr_flags(p, p->msrs[i].index) == p->msrs[i].flags,
			   "policy_msr_flags(0x%x)", p->msrs[i].index);
	/* An index not in the table has no flags. */
	if (!policy_msr_flags(p, probe))
		for (uint32_t i = 0; i < p->nr_msrs; i++)
			FUZZ_CHECK(p->msrs[i].index != probe, "MSR 0x%x listed but no flags",
				   probe);
	for (int after = 0; after <= 1; after++) {
		uint32_t mask = after ? p->requests_after : p->requests_before;

		FUZZ_CHECK(!policy_request_allowed(p, 0, after), "empty request allowed");
		FUZZ_CHECK(!policy_request_allowed(p, POLICY_REQ_ALL + 1, after),
			   "unknown request bit allowed");
		for (uint32_t bit = 1; bit & POLICY_REQ_ALL; bit <<= 1)
			FUZZ_CHECK(policy_request_allowed(p, bit, after) == !!(mask & bit),
				   "request 0x%x (after %d) vs mask 0x%x", bit, after, mask);
		FUZZ_CHECK(policy_request_allowed(p, probe & POLICY_REQ_ALL, after) ==
			       ((probe & POLICY_REQ_ALL) &&
				(mask & probe & POLICY_REQ_ALL) == (probe & POLICY_REQ_ALL)),
			   "request set 0x%x (after %d) vs mask 0x%x", probe & POLICY_REQ_ALL,
			   after, mask);
	}
}

/* format -> parse -> equal, and the normalised form is a fixed point. */
static void check_round_trip(const struct policy *p)
{
	static char text[FUZZ_FMT_CAP], text2[FUZZ_FMT_CAP], cut[FUZZ_FMT_CAP];
	struct policy_diag d[FUZZ_DIAGS];
	struct policy q;
	size_t n, n2, nd = 0, lens[] = {1, 2, 17, 0};
	enum policy_err err;

	n = policy_format(p, text, sizeof(text));
	FUZZ_CHECK(n < sizeof(text), "normalised form needs %zu bytes", n);
	FUZZ_CHECK(text[n] == '\0' && strlen(text) == n, "format length %zu", n);

	err = policy_parse(text, n, &q, d, FUZZ_DIAGS, &nd);
	FUZZ_CHECK(err == POLICY_OK,
		   "normalised form does not parse: error %u at %u:%u: %s\n----\n%s----", err,
		   nd ? d[0].line : 0, nd ? d[0].col : 0, nd ? d[0].msg : "", text);
	FUZZ_CHECK(policy_equal(p, &q), "normalised form parses to a different policy\n%s", text);
	FUZZ_CHECK(policy_equal(&q, p), "policy_equal not symmetric");

	n2 = policy_format(&q, text2, sizeof(text2));
	FUZZ_CHECK(n2 == n && !memcmp(text, text2, n), "normalised form is not a fixed point");

	/* Short buffers: same length reported, always NUL-terminated, a prefix of the full text. */
	lens[3] = n;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];

		memset(cut, 0x55, len + 1);
		FUZZ_CHECK(policy_format(p, cut, len) == n, "format(len %zu) length differs", len);
		FUZZ_CHECK(cut[len - 1] == '\0' && !memcmp(cut, text, len - 1),
			   "format(len %zu) is not a terminated prefix", len);
		FUZZ_CHECK((unsigned char)cut[len] == 0x55, "format(len %zu) wrote past len", len);
	}
	FUZZ_CHECK(policy_format(p, NULL, 0) == n, "format(NULL, 0) length differs");
}

static bool is_word_byte(uint8_t c)
{
	return c >= 0x21 && c <= 0x7E && c != '#';
}

/* The name lookups by packed words against a byte-by-byte reference, in place in the input. */
static const struct policy_name *naive_find(const struct policy_name *tab, size_t n,
					    const uint8_t *s, uint32_t len, bool icase)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t j = 0;

		if (tab[i].len != len)
			continue;
		while (j < len && !((s[j] ^ (uint8_t)tab[i].name[j]) & (icase ? ~0x20 : ~0)))
			j++;
		if (j == len)
			return &tab[i];
	}
	return NULL;
}

static void check_lookups(const uint8_t *data, size_t size)
{
	static const struct {
		const struct policy_name *tab;
		const uint64_t *keys;
		const size_t *n;
		bool icase;
	} tabs[] = {
	    {policy_msr_names, policy_msr_keys, &policy_nr_msr_names, true},
	    {policy_region_names, policy_region_keys, &policy_nr_region_names, false},
	    {policy_perm_names, policy_perm_keys, &policy_nr_perm_names, false},
	    {policy_action_names, policy_action_keys, &policy_nr_action_names, false},
	    {policy_class_names, policy_class_keys, &policy_nr_class_names, false},
	    {policy_request_names, policy_request_keys, &policy_nr_request_names, false},
	};
	const char *text = (const char *)data;
	unsigned words = 0;

	for (size_t i = 0; i < size && words < 64;) {
		size_t w = i;

		/* the SWAR word end agrees with the byte classes wherever 8 bytes remain */
		if (size - i >= 8) {
			uint64_t x, stop;
			size_t k = 0;

			memcpy(&x, data + i, sizeof(x));
			stop = policy_word_stop(x);
			while (k < 8 && is_word_byte(data[i + k]))
				k++;
			FUZZ_CHECK(stop ? (size_t)__builtin_ctzll(stop) / 8 == k : k == 8,
				   "policy_word_stop at %zu", i);
		}
		while (i < size && is_word_byte(data[i]))
			i++;
		if (i == w) {
			i++;
			continue;
		}
		words++;
		uint32_t len = (uint32_t)(i - w);
		uint64_t packed = policy_pack(text, w, len);

		for (size_t t = 0; t < sizeof(tabs) / sizeof(tabs[0]); t++) {
			const struct policy_name *got =
			    policy_find(tabs[t].tab, tabs[t].keys, *tabs[t].n, text + w, len,
					packed, tabs[t].icase ? POLICY_FOLD : POLICY_EXACT);

			FUZZ_CHECK(got == naive_find(tabs[t].tab, *tabs[t].n, data + w, len,
						     tabs[t].icase),
				   "policy_find (table %zu) differs on a %u-byte word", t, len);
		}
		for (uint32_t cr = 0; cr <= 4; cr += 4) {
			const struct policy_cr_bit *got =
			    policy_find_cr_bit(cr, text + w, len, packed);
			const struct policy_cr_bit *want = NULL;

			for (size_t b = 0; b < policy_nr_cr_bits && !want; b++) {
				const struct policy_cr_bit *c = &policy_cr_bits[b];
				uint32_t j = 0;

				if (c->cr != cr || c->len != len)
					continue;
				while (j < len && !((data[w + j] ^ (uint8_t)c->name[j]) & ~0x20))
					j++;
				if (j == len)
					want = c;
			}
			FUZZ_CHECK(got == want, "policy_find_cr_bit(CR%u) differs", cr);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_diag d[FUZZ_DIAGS], d1;
	struct policy p, p0, p1;
	size_t nd = 99, nd1 = 99;
	uint32_t nlines = count_lines(data, size);
	enum policy_err err, err0, err1;

	check_lookups(data, size);

	memset(&p, 0xA5, sizeof(p));
	memset(&p0, 0x5A, sizeof(p0));
	memset(&p1, 0xFF, sizeof(p1));
	err = policy_parse((const char *)data, size, &p, d, FUZZ_DIAGS, &nd);
	FUZZ_CHECK(err < POLICY_E_COUNT, "result %u", err);
	FUZZ_CHECK(nd <= FUZZ_DIAGS, "ndiags %zu", nd);
	FUZZ_CHECK((err == POLICY_OK) == (nd == 0), "result %u with %zu diags", err, nd);
	for (size_t i = 0; i < nd; i++)
		check_diag(&d[i], nlines);
	check_diag_order(d, nd);
	if (nd)
		FUZZ_CHECK(d[0].code == err, "result %u but first diag %u", err, d[0].code);

	/* The first error does not depend on how many diagnostics are asked for. */
	err0 = policy_parse((const char *)data, size, &p0, NULL, 0, NULL);
	err1 = policy_parse((const char *)data, size, &p1, &d1, 1, &nd1);
	FUZZ_CHECK(err0 == err && err1 == err, "results %u / %u / %u for 16 / 0 / 1 diags", err,
		   err0, err1);
	if (nd)
		FUZZ_CHECK(nd1 == 1 && !memcmp(&d1, &d[0], sizeof(d1)),
			   "first diag differs with maxdiags 1");

	/*
	 * VTL1's parse of a text the monitor accepted (policy_parse_checked): the
	 * same policy byte for byte. On a refused text it may only differ by
	 * missing errors of comment-only lines; it still stays inside the text
	 * (ASan) and, when it fails, leaves a zero policy.
	 */
	memset(&p1, 0xFF, sizeof(p1));
	err1 = policy_parse_checked((const char *)data, size, &p1, &d1, 1, &nd1);
	if (err1 != POLICY_OK)
		FUZZ_CHECK(all_zero(&p1, sizeof(p1)),
			   "failed checked parse left a non-zero policy");
	if (err != POLICY_OK) {
		FUZZ_CHECK(all_zero(&p, sizeof(p)), "failed parse left a non-zero policy");
		return 0;
	}
	FUZZ_CHECK(err1 == POLICY_OK && !memcmp(&p, &p1, sizeof(p)),
		   "policy_parse_checked differs on an accepted text (result %u)", err1);
	memset(&p1, 0xFF, sizeof(p1));
	err1 = policy_parse((const char *)data, size, &p1, &d1, 1, &nd1);
	FUZZ_CHECK(!memcmp(&p, &p0, sizeof(p)) && !memcmp(&p, &p1, sizeof(p)),
		   "same text, different policies");
	FUZZ_CHECK(policy_equal(&p, &p), "policy_equal not reflexive");
	check_compiled(&p);
	check_helpers(&p, size >= 4 ? (uint32_t)data[0] | (uint32_t)data[size - 1] << 8 : 0x10);
	check_round_trip(&p);
	return 0;
}
