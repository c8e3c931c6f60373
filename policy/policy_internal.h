/* Policy language internals shared by the parser, the name tables and the host formatter. */
#ifndef POLICY_POLICY_INTERNAL_H
#define POLICY_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/*
 * A name table entry. Lookups compare the length first, so a miss costs a
 * few instructions per entry: VTL1 parses its policy emulated, where every
 * instruction counts.
 */
struct policy_name {
	const char *name;
	uint8_t len;
	uint32_t value;
};

#define POLICY_NAME(s, v)                                                                          \
	{                                                                                          \
		s, sizeof(s) - 1, v                                                                \
	}

struct policy_cr_bit {
	uint8_t cr; /* 0 or 4 */
	uint8_t bit;
	uint8_t len;
	const char *name; /* without the "CR0." prefix */
};

extern const struct policy_cr_bit policy_cr_bits[];
extern const size_t policy_nr_cr_bits;
extern const size_t policy_nr_cr0_bits;
extern const struct policy_name policy_msr_names[]; /* canonical name first per index */
extern const size_t policy_nr_msr_names;
extern const struct policy_name policy_region_names[];
extern const size_t policy_nr_region_names;
extern const struct policy_name policy_perm_names[];
extern const size_t policy_nr_perm_names;
extern const struct policy_name policy_action_names[];
extern const size_t policy_nr_action_names;
extern const struct policy_name policy_class_names[];
extern const size_t policy_nr_class_names;
extern const struct policy_name policy_request_names[]; /* in bit order */
extern const size_t policy_nr_request_names;

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
