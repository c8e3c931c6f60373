/* Unit tests of the policy name lookups: packed-word keys, key scans, the word-end mask. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"

struct table {
	const char *what;
	const struct policy_name *tab;
	const uint64_t *keys;
	uint64_t fold;
};

static const struct table tables[] = {
    {"msr", policy_msr_names, policy_msr_keys, POLICY_FOLD},
    {"region", policy_region_names, policy_region_keys, POLICY_EXACT},
    {"perm", policy_perm_names, policy_perm_keys, POLICY_EXACT},
    {"action", policy_action_names, policy_action_keys, POLICY_EXACT},
    {"class", policy_class_names, policy_class_keys, POLICY_EXACT},
    {"request", policy_request_names, policy_request_keys, POLICY_EXACT},
};

static size_t table_len(size_t t)
{
	const size_t n[] = {policy_nr_msr_names,   policy_nr_region_names,
			    policy_nr_perm_names,  policy_nr_action_names,
			    policy_nr_class_names, policy_nr_request_names};

	return n[t];
}

/*
 * Look a word up as the parser does: the word sits in a buffer of exactly its
 * length (ASan catches a read past it), packed by policy_pack().
 */
static const struct policy_name *find(size_t t, const char *word)
{
	size_t len = strlen(word);
	char *buf = malloc(len ? len : 1);
	const struct policy_name *e;

	cr_assert_not_null(buf);
	memcpy(buf, word, len);
	e = policy_find(tables[t].tab, tables[t].keys, table_len(t), buf, (uint32_t)len,
			len ? policy_pack(buf, 0, len) : 0, tables[t].fold);
	free(buf);
	return e;
}

/* policy_pack() gives the word's first min(n, 8) bytes, wherever the word sits in the text. */
Test(policy_names, pack_is_the_first_bytes_zero_padded)
{
	const char text[] = "abcdefghijklmnop";

	for (size_t off = 0; off < 16; off++)
		for (size_t n = 1; off + n <= 16; n++) {
			uint64_t want = 0;

			memcpy(&want, text + off, n < 8 ? n : 8);
			cr_assert_eq(policy_pack(text, off, n), want, "off %zu n %zu", off, n);
		}
}

/* The macro the tables and the parser's keyword tests are built with agrees with policy_pack(). */
Test(policy_names, pack8_macro_matches_policy_pack)
{
	cr_assert_eq(POLICY_PACK8("pin", 0), policy_pack("pin", 0, 3));
	cr_assert_eq(POLICY_PACK8("before-end-of-boot", 0),
		     policy_pack("before-end-of-boot", 0, 18));
	cr_assert_eq(POLICY_PACK8("before-end-of-boot", 8),
		     policy_pack("before-end-of-boot", 8, 8));
	cr_assert_eq(POLICY_PACK8("before-end-of-boot", POLICY_TAIL_AT("before-end-of-boot")),
		     policy_pack("before-end-of-boot", 10, 8));
	cr_assert_eq(POLICY_PACK8("ab", 8), 0);
}

Test(policy_names, every_name_is_found_as_itself)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; i < table_len(t); i++) {
			const struct policy_name *want = &tables[t].tab[i],
						 *e = find(t, want->name);

			cr_assert_leq(want->len, POLICY_NAME_MAX);
			cr_assert_eq(want->len, strlen(want->name));
			cr_assert_eq(tables[t].keys[i],
				     policy_pack(want->name, 0, want->len) & tables[t].fold,
				     "%s key of %s", tables[t].what, want->name);
			cr_assert_not_null(e, "%s %s not found", tables[t].what, want->name);
			/* the first entry of that name: an alias never shadows a canonical name */
			cr_assert_str_eq(e->name, want->name);
			cr_assert_eq(e->value, want->value);
		}
}

/* MSR names are case-insensitive (bit 0x20 of each byte ignored); keywords are not. */
Test(policy_names, case_folding_only_where_the_language_has_it)
{
	char low[POLICY_NAME_MAX + 1];

	for (size_t i = 0; i < policy_nr_msr_names; i++) {
		const struct policy_name *e;

		snprintf(low, sizeof(low), "%s", policy_msr_names[i].name);
		for (char *c = low; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		e = find(0, low);
		cr_assert_not_null(e, "%s", low);
		cr_assert_eq(e->value, policy_msr_names[i].value);
	}
	cr_assert_null(find(1, "TEXT"));
	cr_assert_null(find(4, "Mem-Write"));
}

/* Near misses: prefixes, extensions, one byte changed anywhere (first 8, middle, last 8). */
Test(policy_names, non_names_are_not_found)
{
	static const char *const words[][2] = {
	    {"msr", "SYSENTER_C"},
	    {"msr", "SYSENTER_CSX"},
	    {"msr", "SYSENTER_EIQ"},
	    {"msr", "SYSENTER_XIP"},
	    {"msr", "INTERRUPT_SSP_TABLE_ADDX"},
	    {"msr", "INTERRUPT_SSP_TABLE_ADD"},
	    {"msr", "INTERRUPT_SSX_TABLE_ADDR"},
	    {"msr", "INTERRUPT_SSP_TABLE_ADDR_"},
	    {"msr", "KERNEL_GS_BASF"},
	    {"msr", "EFE"},
	    {"msr", "EFERS"},
	    {"msr", "IA32_EFER"}, /* the parser strips IA32_, the table has no such name */
	    {"msr", "E"},
	    {"region", "rang"},
	    {"region", "ranges"},
	    {"perm", "w"},
	    {"perm", "rwxx"},
	    {"action", "restor"},
	    {"action", "restored"},
	    {"class", "mem-writ"},
	    {"class", "mem-wrote"},
	    {"class", "mem-writes"},
	    {"class", "nem-write"},
	    {"request", "pin-crr"},
	    {"request", "pin_cr"},
	};

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t t = 0;

		while (strcmp(tables[t].what, words[w][0]))
			t++;
		cr_assert_null(find(t, words[w][1]), "%s %s found", words[w][0], words[w][1]);
	}
	/* every name with any one byte changed (to a word byte that is not a case variant) */
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; i < table_len(t); i++) {
			char word[POLICY_NAME_MAX + 1];
			size_t len = tables[t].tab[i].len;

			for (size_t k = 0; k < len; k++) {
				memcpy(word, tables[t].tab[i].name, len + 1);
				word[k] = word[k] == '!' ? '"' : '!';
				cr_assert_null(find(t, word), "%s %s found", tables[t].what, word);
			}
		}
}

Test(policy_names, every_cr_bit_is_found_in_its_register_only)
{
	for (size_t i = 0; i < policy_nr_cr_bits; i++) {
		const struct policy_cr_bit *c = &policy_cr_bits[i];
		uint32_t other = c->cr == 0 ? 4 : 0;
		const struct policy_cr_bit *e =
		    policy_find_cr_bit(c->cr, c->name, c->len, policy_pack(c->name, 0, c->len));

		cr_assert_eq(e, c, "CR%u.%s", c->cr, c->name);
		cr_assert_eq(policy_cr_bit_keys[i], policy_pack(c->name, 0, c->len) & POLICY_FOLD);
		e = policy_find_cr_bit(other, c->name, c->len, policy_pack(c->name, 0, c->len));
		/* no name is in both registers */
		cr_assert_null(e, "CR%u.%s found in CR%u", c->cr, c->name, other);
	}
	cr_assert_null(policy_find_cr_bit(4, "OSXMMEXCPX", 10, policy_pack("OSXMMEXCPX", 0, 10)));
	cr_assert_null(policy_find_cr_bit(4, "OSXMMEXCP", 9, policy_pack("OSXMMEXCP", 0, 9)));
	cr_assert_null(policy_find_cr_bit(0, "W", 1, policy_pack("W", 0, 1)));
	cr_assert_not_null(
	    policy_find_cr_bit(4, "osxmmexcpt", 10, policy_pack("osxmmexcpt", 0, 10)));
}

/* The slot bits the parser's duplicate check uses: one per pinnable MSR, none for the rest. */
Test(policy_names, pinnable_slots_are_positions)
{
	cr_assert_leq(policy_nr_pinnable_msrs, 32);
	for (size_t i = 0; i < policy_nr_pinnable_msrs; i++)
		cr_assert_eq(policy_msr_pinnable_slot(policy_pinnable_msrs[i]), (int)i);
	for (size_t i = 0; i < policy_nr_msr_names; i++) {
		uint32_t index = policy_msr_names[i].value;
		int slot = policy_msr_pinnable_slot(index);

		cr_assert_eq(slot >= 0, policy_msr_pinnable(index));
		if (slot >= 0)
			cr_assert_eq(policy_pinnable_msrs[slot], index);
	}
	cr_assert_eq(policy_msr_pinnable_slot(0), -1);
	cr_assert_eq(policy_msr_pinnable_slot(0xC0000085), -1);
}

/* The lowest flag of policy_word_stop() is the first byte outside a word, exactly, for any byte. */
Test(policy_names, word_stop_finds_the_first_non_word_byte)
{
	for (unsigned b = 0; b < 256; b++) {
		bool word = b >= 0x21 && b <= 0x7E && b != '#';

		for (unsigned at = 0; at < 8; at++)
			for (unsigned after = 0; after < 256; after += 17) {
				unsigned char bytes[8];
				uint64_t x, stop;

				memset(bytes, 'a', sizeof(bytes));
				bytes[at] = (unsigned char)b;
				for (unsigned k = at + 1; k < 8; k++)
					bytes[k] = (unsigned char)(after + k);
				memcpy(&x, bytes, sizeof(x));
				stop = policy_word_stop(x);
				if (word) {
					/* the first non-word byte, if any, is after `at` */
					cr_assert(!stop || (unsigned)__builtin_ctzll(stop) / 8 > at,
						  "byte 0x%02x at %u", b, at);
				} else {
					cr_assert_neq(stop, 0, "byte 0x%02x at %u", b, at);
					cr_assert_eq((unsigned)__builtin_ctzll(stop) / 8, at,
						     "byte 0x%02x at %u", b, at);
				}
			}
	}
}
