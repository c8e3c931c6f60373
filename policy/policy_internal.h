/* Policy language internals shared by the parser, the name tables and the host formatter. */
#ifndef POLICY_POLICY_INTERNAL_H
#define POLICY_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/*
 * Names are matched 8 bytes at a time: a word's first 8 bytes, packed
 * little-endian and zero-padded, are its key, found in a table's key array
 * with one `repne scasq` (policy_scan64()); the bytes past 8 are compared as
 * the word's last 8 (`tail`) and, past 16, bytes 8..15 (`mid`). VTL1 parses
 * its policy emulated at about 1 us per instruction (KVM-HOST-NOTES), and a
 * rep string instruction is emulated as one: a byte loop per table entry cost
 * ~5,000 instructions of the default policy's launch.
 */
#define POLICY_PB(s, at, k)                                                                        \
	((uint64_t)((at) + (k) < sizeof(s) - 1 ? (unsigned char)(s)[((at) + (k)) % sizeof(s)] : 0) \
	 << 8 * (k))
/* Bytes at..at+7 of the string literal s, packed little-endian, zero past its end. */
#define POLICY_PACK8(s, at)                                                                        \
	(POLICY_PB(s, at, 0) | POLICY_PB(s, at, 1) | POLICY_PB(s, at, 2) | POLICY_PB(s, at, 3) |   \
	 POLICY_PB(s, at, 4) | POLICY_PB(s, at, 5) | POLICY_PB(s, at, 6) | POLICY_PB(s, at, 7))
/* Where the last 8 bytes of a name longer than 8 start. */
#define POLICY_TAIL_AT(s) (sizeof(s) - 1 > 8 ? sizeof(s) - 9 : 0)

/*
 * Case folding of packed words: bit 0x20 of every byte ignored, as
 * policy_eq_icase() does; words hold only 0x21..0x7E, none of which folds to 0.
 */
#define POLICY_FOLD  0xDFDFDFDFDFDFDFDFULL
#define POLICY_EXACT (~0ULL)

/* Names in tables are at most 24 bytes (INTERRUPT_SSP_TABLE_ADDR): key, mid and tail cover them. */
#define POLICY_NAME_MAX 24U

/* A name table entry; its key is in the table's key array, at the same position. */
struct policy_name {
	const char *name;
	uint8_t len;
	uint32_t value;
	uint64_t mid;  /* bytes 8..15, if len > 16 */
	uint64_t tail; /* the last 8 bytes, if len > 8 */
};

#define POLICY_NAME(s, v)                                                                          \
	{                                                                                          \
		s, sizeof(s) - 1, v, POLICY_PACK8(s, 8), POLICY_PACK8(s, POLICY_TAIL_AT(s))        \
	}
/* A key array entry: the packed first 8 bytes, folded for case-insensitive tables. */
#define POLICY_KEY(s, fold) (POLICY_PACK8(s, 0) & (fold))

struct policy_cr_bit {
	uint8_t cr; /* 0 or 4 */
	uint8_t bit;
	uint8_t len;
	const char *name; /* without the "CR0." prefix */
	uint64_t tail;	  /* the last 8 bytes of the name, if longer than 8 (OSXMMEXCPT) */
};

extern const struct policy_cr_bit policy_cr_bits[];
extern const uint64_t policy_cr_bit_keys[]; /* folded */
extern const size_t policy_nr_cr_bits;
extern const size_t policy_nr_cr0_bits;
extern const struct policy_name policy_msr_names[]; /* canonical name first per index */
extern const uint64_t policy_msr_keys[];	    /* folded */
extern const size_t policy_nr_msr_names;
extern const struct policy_name policy_region_names[];
extern const uint64_t policy_region_keys[];
extern const size_t policy_nr_region_names;
extern const struct policy_name policy_perm_names[];
extern const uint64_t policy_perm_keys[];
extern const size_t policy_nr_perm_names;
extern const struct policy_name policy_action_names[];
extern const uint64_t policy_action_keys[];
extern const size_t policy_nr_action_names;
extern const struct policy_name policy_class_names[];
extern const uint64_t policy_class_keys[];
extern const size_t policy_nr_class_names;
extern const struct policy_name policy_request_names[]; /* in bit order */
extern const uint64_t policy_request_keys[];
extern const size_t policy_nr_request_names;

/*
 * The entry of tab (keys: its key array, n entries) named by the len bytes
 * at s, compared under `fold` (POLICY_FOLD or POLICY_EXACT); `w` is the
 * packed first min(len, 8) bytes of s. Reads only s[0, len).
 */
const struct policy_name *policy_find(const struct policy_name *tab, const uint64_t *keys, size_t n,
				      const char *s, uint32_t len, uint64_t w, uint64_t fold);
/* The CR bit of register cr (0 or 4) named by the len bytes at s (case-insensitive), or NULL. */
const struct policy_cr_bit *policy_find_cr_bit(uint32_t cr, const char *s, uint32_t len,
					       uint64_t w);
/* The packed first 8 bytes at s: one load, wherever s is (x86 allows unaligned loads). */
static inline uint64_t policy_load64(const char *s)
{
	uint64_t v;

	/* __builtin_: -ffreestanding would turn memcpy into a call */
	__builtin_memcpy(&v, s, sizeof(v));
	return v;
}

/*
 * The packed first min(n, 8) bytes of s[off, off + n), n >= 1; reads only
 * s[0, off + n). Inline: the lexer packs every word.
 */
static inline uint64_t policy_pack(const char *s, size_t off, size_t n)
{
	uint64_t v = 0;

	if (n >= 8)
		return policy_load64(s + off);
	/* The 8 bytes ending with the word (inside the text), shifted down to it. */
	if (off + n >= 8)
		return policy_load64(s + off + n - 8) >> 8 * (8 - n);
	while (n--)
		v = v << 8 | (unsigned char)s[off + n];
	return v;
}

/*
 * The bytes of the 8 in x (packed little-endian) that cannot be in a word
 * (policy_parse.c's CLS_WORD: 0x21..0x7E but '#'), each as its high bit; only
 * the lowest flag is exact, which is all a word's end needs. Bit Twiddling
 * Hacks, "Determine if a word has a byte less than n" (n = 0x21), "greater
 * than n" (n = 0x7E) and "has a zero byte" (of x ^ '#'...): a borrow or carry
 * can flag a byte above a flagged one, never below.
 */
static inline uint64_t policy_word_stop(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t hash = x ^ (ones * '#');

	return (((x - ones * 0x21) & ~x) | ((x + ones) | x) | ((hash - ones) & ~hash)) & highs;
}
/* Position of index in policy_pinnable_msrs, or -1. */
int policy_msr_pinnable_slot(uint32_t index);

/* A word that may alias any object: for word-wise zeroing and comparing. */
typedef uint64_t __attribute__((may_alias)) policy_word_t;

/* Canonical name of an MSR index, or NULL if it has none. */
const char *policy_msr_canonical(uint32_t index);
/* Name of a table value, or NULL. */
const char *policy_name_of(const struct policy_name *tab, size_t n, uint32_t value);
/* Whether an MSR number lies in a range x86 defines (a typo guard). */
bool policy_msr_index_valid(uint32_t index);
/* Apply the defaults every policy starts from (version stays 0). */
void policy_set_defaults(struct policy *p);
void policy_zero(void *dst, size_t n);

/*
 * Bounded text builder, used for diagnostics and the normalised summary.
 * `n` keeps counting past `cap` so the caller learns the length it needs.
 */
struct policy_buf {
	char *buf;
	size_t cap;
	size_t n;
};

void policy_buf_init(struct policy_buf *b, char *buf, size_t cap);
void policy_buf_putc(struct policy_buf *b, char c);
void policy_buf_puts(struct policy_buf *b, const char *s);
void policy_buf_putn(struct policy_buf *b, const char *s, size_t n);
void policy_buf_dec(struct policy_buf *b, uint64_t v);
void policy_buf_hex(struct policy_buf *b, uint64_t v); /* 0x-prefixed, lowercase */

#endif
