/* Policy language name tables (CR bits, MSRs, keywords), error strings and small shared helpers. */
#include "policy/policy_internal.h"

#include "vtl1_abi.h"

/*
 * Each table is one list, expanded twice: the entries and their key array
 * (policy_internal.h), which must stay in the same order.
 */

/* Names as in the SDM, without the register prefix. Order is format order. */
#define POLICY_CR_BITS(X)                                                                          \
	X(0, 0, "PE")                                                                              \
	X(0, 1, "MP")                                                                              \
	X(0, 2, "EM")                                                                              \
	X(0, 3, "TS")                                                                              \
	X(0, 4, "ET")                                                                              \
	X(0, 5, "NE")                                                                              \
	X(0, 16, "WP")                                                                             \
	X(0, 18, "AM")                                                                             \
	X(0, 29, "NW")                                                                             \
	X(0, 30, "CD")                                                                             \
	X(0, 31, "PG")                                                                             \
	X(4, 0, "VME")                                                                             \
	X(4, 1, "PVI")                                                                             \
	X(4, 2, "TSD")                                                                             \
	X(4, 3, "DE")                                                                              \
	X(4, 4, "PSE")                                                                             \
	X(4, 5, "PAE")                                                                             \
	X(4, 6, "MCE")                                                                             \
	X(4, 7, "PGE")                                                                             \
	X(4, 8, "PCE")                                                                             \
	X(4, 9, "OSFXSR")                                                                          \
	X(4, 10, "OSXMMEXCPT")                                                                     \
	X(4, 11, "UMIP")                                                                           \
	X(4, 12, "LA57")                                                                           \
	X(4, 13, "VMXE")                                                                           \
	X(4, 14, "SMXE")                                                                           \
	X(4, 16, "FSGSBASE")                                                                       \
	X(4, 17, "PCIDE")                                                                          \
	X(4, 18, "OSXSAVE")                                                                        \
	X(4, 19, "KL")                                                                             \
	X(4, 20, "SMEP")                                                                           \
	X(4, 21, "SMAP")                                                                           \
	X(4, 22, "PKE")                                                                            \
	X(4, 23, "CET")                                                                            \
	X(4, 24, "PKS")                                                                            \
	X(4, 25, "UINTR")                                                                          \
	X(4, 28, "LAM_SUP")

#define POLICY_CR_ENTRY(cr, bit, s) {cr, bit, sizeof(s) - 1, s, POLICY_PACK8(s, POLICY_TAIL_AT(s))},
#define POLICY_CR_KEY(cr, bit, s)   POLICY_KEY(s, POLICY_FOLD),

const struct policy_cr_bit policy_cr_bits[] = {POLICY_CR_BITS(POLICY_CR_ENTRY)};
const uint64_t policy_cr_bit_keys[] = {POLICY_CR_BITS(POLICY_CR_KEY)};
const size_t policy_nr_cr_bits = sizeof(policy_cr_bits) / sizeof(policy_cr_bits[0]);
const size_t policy_nr_cr0_bits = 11; /* the CR0 entries come first */

#define POLICY_NAME_ENTRY(s, v) POLICY_NAME(s, v),
#define POLICY_KEY_FOLD(s, v)	POLICY_KEY(s, POLICY_FOLD),
#define POLICY_KEY_EXACT(s, v)	POLICY_KEY(s, POLICY_EXACT),

/*
 * MSR names without the IA32_ prefix (the parser accepts it too). The first
 * entry for an index is its canonical name; later ones are aliases. Some
 * name MSRs that cannot be pinned, so that a policy naming one is told why
 * rather than "unknown MSR".
 */
#define POLICY_MSRS(X)                                                                             \
	X("TSC", 0x10)                                                                             \
	X("APIC_BASE", 0x1B)                                                                       \
	X("FEATURE_CONTROL", 0x3A)                                                                 \
	X("TSC_ADJUST", 0x3B)                                                                      \
	X("SPEC_CTRL", 0x48)                                                                       \
	X("MPERF", 0xE7)                                                                           \
	X("APERF", 0xE8)                                                                           \
	X("SYSENTER_CS", 0x174)                                                                    \
	X("SYSENTER_ESP", 0x175)                                                                   \
	X("SYSENTER_EIP", 0x176)                                                                   \
	X("MISC_ENABLE", 0x1A0)                                                                    \
	X("XFD_ERR", 0x1C5)                                                                        \
	X("DEBUGCTL", 0x1D9)                                                                       \
	X("PAT", 0x277)                                                                            \
	X("U_CET", 0x6A0)                                                                          \
	X("S_CET", 0x6A2)                                                                          \
	X("PL0_SSP", 0x6A4)                                                                        \
	X("PL1_SSP", 0x6A5)                                                                        \
	X("PL2_SSP", 0x6A6)                                                                        \
	X("PL3_SSP", 0x6A7)                                                                        \
	X("INTERRUPT_SSP_TABLE_ADDR", 0x6A8)                                                       \
	X("TSC_DEADLINE", 0x6E0)                                                                   \
	X("PKRS", 0x6E1)                                                                           \
	X("PASID", 0xD93)                                                                          \
	X("XSS", 0xDA0)                                                                            \
	X("EFER", 0xC0000080)                                                                      \
	X("STAR", 0xC0000081)                                                                      \
	X("LSTAR", 0xC0000082)                                                                     \
	X("CSTAR", 0xC0000083)                                                                     \
	X("SFMASK", 0xC0000084)                                                                    \
	X("FMASK", 0xC0000084)                                                                     \
	X("FS_BASE", 0xC0000100)                                                                   \
	X("GS_BASE", 0xC0000101)                                                                   \
	X("KERNEL_GS_BASE", 0xC0000102)                                                            \
	X("TSC_AUX", 0xC0000103)

const struct policy_name policy_msr_names[] = {POLICY_MSRS(POLICY_NAME_ENTRY)};
const uint64_t policy_msr_keys[] = {POLICY_MSRS(POLICY_KEY_FOLD)};
const size_t policy_nr_msr_names = sizeof(policy_msr_names) / sizeof(policy_msr_names[0]);

/*
 * The pinnable set (policy.h): caught by the filter and changed only by
 * WRMSR. Measured on this host with kvm-probes p08: the filter catches
 * every one of these, known to KVM or not. Notes on the less obvious ones:
 * - EFER: LMA is a status bit the CPU sets and clears from CR0.PG, not
 *   WRMSR; pin CR0.PG along with EFER and LMA cannot move either.
 * - APIC_BASE: INIT leaves it unchanged; x2APIC mode is entered by a
 *   WRMSR to it.
 * - SYSENTER_*, STAR, SFMASK, TSC_AUX, XSS, PKRS, FEATURE_CONTROL,
 *   INTERRUPT_SSP_TABLE_ADDR: configuration only; no instruction but WRMSR
 *   writes them (XSS and PKRS are not themselves XSAVE-managed).
 * An MSR KVM does not emulate on the host (FEATURE_CONTROL on AMD, PKRS,
 * ...) stays pinnable: the pin fails when the monitor reads it, which is
 * closed, not open.
 */
const uint32_t policy_pinnable_msrs[] = {
    0x1B,	/* APIC_BASE */
    0x3A,	/* FEATURE_CONTROL */
    0x48,	/* SPEC_CTRL */
    0x174,	/* SYSENTER_CS */
    0x175,	/* SYSENTER_ESP */
    0x176,	/* SYSENTER_EIP */
    0x1A0,	/* MISC_ENABLE */
    0x277,	/* PAT */
    0x6A8,	/* INTERRUPT_SSP_TABLE_ADDR */
    0x6E1,	/* PKRS */
    0xDA0,	/* XSS */
    0xC0000080, /* EFER */
    0xC0000081, /* STAR */
    0xC0000082, /* LSTAR */
    0xC0000083, /* CSTAR */
    0xC0000084, /* SFMASK */
    0xC0000103, /* TSC_AUX */
};
const size_t policy_nr_pinnable_msrs =
    sizeof(policy_pinnable_msrs) / sizeof(policy_pinnable_msrs[0]);

_Static_assert(sizeof(policy_pinnable_msrs) / sizeof(policy_pinnable_msrs[0]) ==
		   POLICY_NR_PINNABLE_MSRS,
	       "POLICY_NR_PINNABLE_MSRS counts the list");

/*
 * One `repne scasd` over the 17 entries: VTL1 asks for every MSR of its
 * policy at launch, emulated, where a rep string instruction is one
 * instruction (its iterations ~0.5 us each, KVM-HOST-NOTES' `rep stosb`),
 * against ~55 instructions for the binary search it replaces. DF is clear
 * (SysV ABI).
 */
int policy_msr_pinnable_slot(uint32_t index)
{
	const uint32_t *p = policy_pinnable_msrs;
	size_t n = POLICY_NR_PINNABLE_MSRS;
	bool found;

	/* "memory": the scan reads the table through p. */
	__asm__("repne scasl" : "+D"(p), "+c"(n), "=@ccz"(found) : "a"(index) : "memory");
	/* Found: p is one past the entry. */
	return found ? (int)(p - policy_pinnable_msrs) - 1 : -1;
}

bool policy_msr_pinnable(uint32_t index)
{
	return policy_msr_pinnable_slot(index) >= 0;
}

struct policy_msr_range {
	uint32_t first, last;
	const char *why; /* completes "X cannot be pinned: " */
};

/*
 * Why the MSRs people are likely to try cannot be pinned. Only for the
 * message: whatever is not in policy_pinnable_msrs is refused, listed here
 * or not.
 */
static const struct policy_msr_range policy_msr_unpinnable[] = {
    {0x10, 0x10, "it counts by itself"},				  /* TSC */
    {0x3B, 0x3B, "a WRMSR to TSC changes it too"},			  /* TSC_ADJUST */
    {0xC1, 0xC8, "performance counters count by themselves"},		  /* PMCs */
    {0xE7, 0xE8, "it counts by itself"},				  /* MPERF, APERF */
    {0x17A, 0x17A, "the CPU writes machine-check state into it"},	  /* MCG_STATUS */
    {0x1C5, 0x1C5, "the CPU writes it on #NM"},				  /* XFD_ERR */
    {0x1C9, 0x1C9, "the CPU updates it as it records branches (LBR)"},	  /* LBR_TOS */
    {0x1D9, 0x1D9, "the CPU clears its LBR and BTF bits on #DB"},	  /* DEBUGCTL */
    {0x1DD, 0x1DE, "the CPU records branches into it (LER)"},		  /* LER_FROM/TO */
    {0x309, 0x30B, "performance counters count by themselves"},		  /* fixed counters */
    {0x38E, 0x38E, "the CPU sets its overflow bits"},			  /* PERF_GLOBAL_STATUS */
    {0x400, 0x47F, "the CPU logs machine checks into the MCi banks"},	  /* MCi_* */
    {0x4C1, 0x4C8, "performance counters count by themselves"},		  /* full-width PMCs */
    {0x560, 0x561, "XRSTORS and trace hardware change it (RTIT)"},	  /* RTIT output */
    {0x570, 0x587, "XRSTORS and trace hardware change it (RTIT)"},	  /* RTIT_CTL... */
    {0x680, 0x69F, "the CPU records branches into it (LBR)"},		  /* LBR FROM */
    {0x6A0, 0x6A0, "XRSTORS (CET user state) and ENDBR change it"},	  /* U_CET */
    {0x6A2, 0x6A2, "ENDBR and indirect branches change its IBT tracker"}, /* S_CET */
    {0x6A4, 0x6A7, "XRSTORS (CET state) changes it without WRMSR"},	  /* PL0-3_SSP */
    {0x6C0, 0x6DF, "the CPU records branches into it (LBR)"},		  /* LBR TO */
    {0x6E0, 0x6E0, "the CPU clears it when the timer fires"},		  /* TSC_DEADLINE */
    {0x800, 0x8FF, "x2APIC MSRs bypass the KVM MSR filter"},		  /* x2APIC */
    {0xD93, 0xD93, "XRSTORS changes it without WRMSR"},			  /* PASID */
    {0x1200, 0x121F, "the CPU records branches into it (LBR)"},		  /* arch LBR INFO */
    {0x14CE, 0x14CF, "XRSTORS changes it (architectural LBR state)"},	  /* LBR_CTL/DEPTH */
    {0x1500, 0x151F, "the CPU records branches into it (LBR)"},		  /* arch LBR FROM */
    {0x1600, 0x161F, "the CPU records branches into it (LBR)"},		  /* arch LBR TO */
    {0xC0000100, 0xC0000100, "wrfsbase and FS loads change it without WRMSR"},
    {0xC0000101, 0xC0000101, "swapgs, wrgsbase and GS loads change it without WRMSR"},
    {0xC0000102, 0xC0000102, "swapgs changes it without WRMSR"},	  /* KERNEL_GS_BASE */
    {0xC0010004, 0xC0010007, "performance counters count by themselves"}, /* AMD PERF_CTR */
};

const char *policy_msr_unpinnable_reason(uint32_t index)
{
	const size_t n = sizeof(policy_msr_unpinnable) / sizeof(policy_msr_unpinnable[0]);

	if (policy_msr_pinnable(index))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (index >= policy_msr_unpinnable[i].first &&
		    index <= policy_msr_unpinnable[i].last)
			return policy_msr_unpinnable[i].why;
	return "it is not one of the MSRs only WRMSR changes";
}

#define POLICY_REGIONS(X)                                                                          \
	X("range", POLICY_REGION_RANGE)                                                            \
	X("text", POLICY_REGION_TEXT)                                                              \
	X("rodata", POLICY_REGION_RODATA)                                                          \
	X("data", POLICY_REGION_DATA)                                                              \
	X("image", POLICY_REGION_IMAGE)

const struct policy_name policy_region_names[] = {POLICY_REGIONS(POLICY_NAME_ENTRY)};
const uint64_t policy_region_keys[] = {POLICY_REGIONS(POLICY_KEY_EXACT)};
const size_t policy_nr_region_names = sizeof(policy_region_names) / sizeof(policy_region_names[0]);

/* Write-only and write-execute pages do not exist in EPT/NPT, so no "w" or "wx". */
#define POLICY_PERMS(X)                                                                            \
	X("none", 0)                                                                               \
	X("r", VTL_PERM_R)                                                                         \
	X("rw", VTL_PERM_R | VTL_PERM_W)                                                           \
	X("rx", VTL_PERM_R | VTL_PERM_X)                                                           \
	X("rwx", VTL_PERM_R | VTL_PERM_W | VTL_PERM_X)

const struct policy_name policy_perm_names[] = {POLICY_PERMS(POLICY_NAME_ENTRY)};
const uint64_t policy_perm_keys[] = {POLICY_PERMS(POLICY_KEY_EXACT)};
const size_t policy_nr_perm_names = sizeof(policy_perm_names) / sizeof(policy_perm_names[0]);

#define POLICY_ACTIONS(X)                                                                          \
	X("deny", POLICY_ACT_DENY)                                                                 \
	X("kill", POLICY_ACT_KILL)                                                                 \
	X("reset", POLICY_ACT_RESET)                                                               \
	X("log", POLICY_ACT_LOG)                                                                   \
	X("restore", POLICY_ACT_RESTORE)

const struct policy_name policy_action_names[] = {POLICY_ACTIONS(POLICY_NAME_ENTRY)};
const uint64_t policy_action_keys[] = {POLICY_ACTIONS(POLICY_KEY_EXACT)};
const size_t policy_nr_action_names = sizeof(policy_action_names) / sizeof(policy_action_names[0]);

#define POLICY_CLASSES(X)                                                                          \
	X("mem-write", POLICY_CLASS_MEM_WRITE)                                                     \
	X("mem-read", POLICY_CLASS_MEM_READ)                                                       \
	X("mem-exec", POLICY_CLASS_MEM_EXEC)                                                       \
	X("msr", POLICY_CLASS_MSR)                                                                 \
	X("cr", POLICY_CLASS_CR)

const struct policy_name policy_class_names[] = {POLICY_CLASSES(POLICY_NAME_ENTRY)};
const uint64_t policy_class_keys[] = {POLICY_CLASSES(POLICY_KEY_EXACT)};
const size_t policy_nr_class_names = sizeof(policy_class_names) / sizeof(policy_class_names[0]);

#define POLICY_REQUESTS(X)                                                                         \
	X("restrict", POLICY_REQ_RESTRICT)                                                         \
	X("relax", POLICY_REQ_RELAX)                                                               \
	X("pin-cr", POLICY_REQ_PIN_CR)                                                             \
	X("pin-msr", POLICY_REQ_PIN_MSR)                                                           \
	X("unpin", POLICY_REQ_UNPIN)

const struct policy_name policy_request_names[] = {POLICY_REQUESTS(POLICY_NAME_ENTRY)};
const uint64_t policy_request_keys[] = {POLICY_REQUESTS(POLICY_KEY_EXACT)};
const size_t policy_nr_request_names =
    sizeof(policy_request_names) / sizeof(policy_request_names[0]);

/*
 * Where key is in keys[0, *n), one past it, with *n the entries left after
 * it; NULL if it is not there. One `repne scasq` (DF is clear, SysV ABI).
 */
static const uint64_t *policy_scan64(const uint64_t *keys, size_t *n, uint64_t key)
{
	size_t left = *n;
	bool found;

	if (!left)
		return NULL;
	/* "memory": the scan reads the table through keys. */
	__asm__("repne scasq" : "+D"(keys), "+c"(left), "=@ccz"(found) : "a"(key) : "memory");
	*n = left;
	return found ? keys : NULL;
}

/* Bytes 8.. of a name whose first 8 matched: its last 8 bytes and, past 16, bytes 8..15. */
static bool policy_rest_eq(const char *s, uint32_t len, uint64_t mid, uint64_t tail, uint64_t fold)
{
	if (len <= 8)
		return true;
	if ((policy_load64(s + len - 8) ^ tail) & fold)
		return false;
	return len <= 16 || !((policy_load64(s + 8) ^ mid) & fold);
}

const struct policy_name *policy_find(const struct policy_name *tab, const uint64_t *keys, size_t n,
				      const char *s, uint32_t len, uint64_t w, uint64_t fold)
{
	const uint64_t *k = keys;

	/* A key matches names that share the first 8 bytes (SYSENTER_ESP, SYSENTER_EIP): scan on.
	 */
	while ((k = policy_scan64(k, &n, w & fold)) != NULL) {
		const struct policy_name *e = &tab[k - 1 - keys];

		if (e->len == len && policy_rest_eq(s, len, e->mid, e->tail, fold))
			return e;
	}
	return NULL;
}

const struct policy_cr_bit *policy_find_cr_bit(uint32_t cr, const char *s, uint32_t len, uint64_t w)
{
	/* the table holds the CR0 bits first, so search only the named register */
	size_t first = cr == 4 ? policy_nr_cr0_bits : 0;
	size_t n = cr == 4 ? policy_nr_cr_bits - policy_nr_cr0_bits : policy_nr_cr0_bits;
	const uint64_t *k = policy_cr_bit_keys + first;

	while ((k = policy_scan64(k, &n, w & POLICY_FOLD)) != NULL) {
		const struct policy_cr_bit *c = &policy_cr_bits[k - 1 - policy_cr_bit_keys];

		if (c->len == len && policy_rest_eq(s, len, 0, c->tail, POLICY_FOLD))
			return c;
	}
	return NULL;
}

const char *policy_name_of(const struct policy_name *tab, size_t n, uint32_t value)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].value == value)
			return tab[i].name;
	return NULL;
}

const char *policy_msr_canonical(uint32_t index)
{
	return policy_name_of(policy_msr_names, policy_nr_msr_names, index);
}

/* Intel's low and high MSR-bitmap ranges, plus AMD's 0xC001xxxx block. */
bool policy_msr_index_valid(uint32_t index)
{
	return index <= 0x1FFFU || (index >= 0xC0000000U && index <= 0xC0001FFFU) ||
	       (index >= 0xC0010000U && index <= 0xC0011FFFU);
}

void policy_zero(void *dst, size_t n)
{
	/*
	 * No memset: the VTL1 build has no libc. One `rep stosb`: VTL1 runs this
	 * emulated, where a rep string instruction costs one instruction however
	 * long (guestlib/fmt.c), and struct policy alone is 1.6 KiB (a loop of
	 * word stores was ~800 emulated instructions). DF is clear (SysV ABI).
	 */
	unsigned char *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
}

void policy_set_defaults(struct policy *p)
{
	policy_zero(p, sizeof(*p));
	p->flags = POLICY_F_RESET_ZERO_MEM;
	p->requests_before = POLICY_DEFAULT_REQ_BEFORE;
	p->requests_after = POLICY_DEFAULT_REQ_AFTER;
	for (size_t i = 0; i < POLICY_CLASS_COUNT; i++)
		p->action[i] = POLICY_ACT_DENY;
	p->watchdog_us = POLICY_DEFAULT_WATCHDOG_US;
	p->max_resets = POLICY_DEFAULT_MAX_RESETS;
}

const char *policy_strerror(enum policy_err err)
{
	switch (err) {
	case POLICY_OK: return "ok";
	case POLICY_E_TOO_LARGE: return "policy too large";
	case POLICY_E_BAD_CHAR: return "invalid byte";
	case POLICY_E_LINE_TOO_LONG: return "line too long";
	case POLICY_E_TOO_MANY_WORDS: return "too many words in a statement";
	case POLICY_E_NO_VERSION: return "missing version line";
	case POLICY_E_BAD_VERSION: return "unsupported policy version";
	case POLICY_E_UNKNOWN_KEY: return "unknown statement";
	case POLICY_E_MISSING_ARG: return "missing argument";
	case POLICY_E_EXTRA_ARG: return "unexpected argument";
	case POLICY_E_BAD_NUMBER: return "not a number";
	case POLICY_E_RANGE: return "value out of range";
	case POLICY_E_UNKNOWN_CR_BIT: return "unknown CR bit";
	case POLICY_E_UNKNOWN_MSR: return "unknown MSR";
	case POLICY_E_UNKNOWN_REGION: return "unknown memory region";
	case POLICY_E_BAD_PERMS: return "invalid permissions";
	case POLICY_E_UNALIGNED: return "not page-aligned";
	case POLICY_E_UNKNOWN_CLASS: return "unknown violation class";
	case POLICY_E_UNKNOWN_ACTION: return "unknown action";
	case POLICY_E_UNKNOWN_REQUEST: return "unknown request";
	case POLICY_E_BAD_VALUE: return "invalid value";
	case POLICY_E_BAD_BOOL: return "expected yes or no";
	case POLICY_E_BAD_DURATION: return "invalid duration";
	case POLICY_E_BAD_HEX: return "invalid hex string";
	case POLICY_E_BAD_ADDRESS: return "non-canonical address";
	case POLICY_E_DUPLICATE: return "duplicate";
	case POLICY_E_TOO_MANY: return "too many entries";
	case POLICY_E_CONFLICT: return "conflicting settings";
	case POLICY_E_NOT_PINNABLE: return "MSR cannot be pinned";
	case POLICY_E_PLATFORM: return "not possible on this platform";
	case POLICY_E_COUNT: break;
	}
	return "unknown policy error";
}

const char *policy_class_name(enum policy_class cls)
{
	const char *s = policy_name_of(policy_class_names, policy_nr_class_names, cls);

	return s ? s : "?";
}

/* ---- bounded text builder ------------------------------------------------ */

void policy_buf_init(struct policy_buf *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->cap = buf ? cap : 0;
	b->n = 0;
}

void policy_buf_putc(struct policy_buf *b, char c)
{
	/* keep the last byte for the NUL */
	if (b->n + 1 < b->cap)
		b->buf[b->n] = c;
	if (b->n != (size_t)-1)
		b->n++;
}

void policy_buf_putn(struct policy_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		policy_buf_putc(b, s[i]);
}

void policy_buf_puts(struct policy_buf *b, const char *s)
{
	while (*s)
		policy_buf_putc(b, *s++);
}

void policy_buf_dec(struct policy_buf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	while (n)
		policy_buf_putc(b, tmp[--n]);
}

void policy_buf_hex(struct policy_buf *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0;

	do {
		tmp[n++] = digits[v & 0xF];
		v >>= 4;
	} while (v && n < sizeof(tmp));
	policy_buf_puts(b, "0x");
	while (n)
		policy_buf_putc(b, tmp[--n]);
}
