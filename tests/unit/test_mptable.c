/* The MP table: MP spec 1.4 structure, checksums, and the entries Linux needs. */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/base/le.h"
#include "monitor/x86/mptable.h"

#define GPA 0x9FC00U

Test(mptable, floating_pointer_and_header_checksums)
{
	uint8_t buf[1024];
	size_t n = mptable_write(buf, sizeof(buf), GPA, 1);
	const uint8_t *hdr = buf + 16;

	cr_assert_eq(n, mptable_size(1));
	cr_assert_leq(GPA + n, 0xA0000, "fits below the EBDA's end");
	cr_assert_eq(memcmp(buf, "_MP_", 4), 0);
	cr_assert_eq(le32_get(buf + 4), GPA + 16);
	cr_assert_eq(buf[8], 1, "length in 16-byte units");
	cr_assert_eq(buf[9], 4, "spec 1.4");
	cr_assert_eq(buf[11], 0, "feature byte 1: a table exists, no default configuration");
	cr_assert_eq(mptable_checksum(buf, 16), 0);
	cr_assert_eq(memcmp(hdr, "PCMP", 4), 0);
	cr_assert_eq(hdr[4] | hdr[5] << 8, n - 16, "base table length");
	cr_assert_eq(mptable_checksum(hdr, n - 16), 0);
	cr_assert_eq(le32_get(hdr + 36), MPTABLE_LAPIC_ADDR);
}

Test(mptable, entries)
{
	uint8_t buf[1024];
	size_t n = mptable_write(buf, sizeof(buf), GPA, 1);
	const uint8_t *hdr = buf + 16, *p = hdr + 44, *end = buf + n;
	unsigned count = hdr[34] | hdr[35] << 8, seen = 0, cpus = 0, buses = 0, ioapics = 0;
	int irq4 = 0, extint = 0, nmi = 0;

	while (p < end) {
		seen++;
		switch (p[0]) {
		case 0:
			cpus++;
			cr_assert_eq(p[3], 3, "enabled, bootstrap processor");
			p += 20;
			continue;
		case 1:
			buses++;
			cr_assert_eq(memcmp(p + 2, "ISA   ", 6), 0);
			break;
		case 2:
			ioapics++;
			cr_assert_eq(p[1], 1, "IOAPIC id after the one CPU");
			cr_assert_eq(p[3] & 1, 1);
			cr_assert_eq(le32_get(p + 4), MPTABLE_IOAPIC_ADDR);
			break;
		case 3:
			/* INT, bus 0, IRQ n -> IOAPIC 1 pin n */
			cr_assert_eq(p[1], 0);
			cr_assert_eq(p[6], 1);
			cr_assert_eq(p[5], p[7]);
			irq4 |= p[5] == 4;
			break;
		case 4:
			extint |= p[1] == 3 && p[7] == 0;
			nmi |= p[1] == 1 && p[7] == 1;
			break;
		default: cr_assert_fail("unknown entry type %u", p[0]);
		}
		p += 8;
	}
	cr_assert_eq(p, end);
	cr_assert_eq(seen, count);
	cr_assert_eq(cpus, 1);
	cr_assert_eq(buses, 1);
	cr_assert_eq(ioapics, 1);
	cr_assert(irq4, "the UART's IRQ 4 is routed");
	cr_assert(extint && nmi, "LINT0 = ExtINT, LINT1 = NMI");
}

Test(mptable, refusals)
{
	uint8_t buf[1024];

	cr_assert_eq(mptable_write(buf, sizeof(buf), GPA, 0), 0);
	cr_assert_eq(mptable_write(buf, sizeof(buf), GPA, MPTABLE_MAX_CPUS + 1), 0);
	cr_assert_eq(mptable_write(buf, mptable_size(1) - 1, GPA, 1), 0);
	cr_assert_eq(mptable_write(buf, sizeof(buf), 0xFFFFFFF8U, 1), 0);
	cr_assert_eq(mptable_write(buf, sizeof(buf), GPA, 4), mptable_size(4));
	cr_assert_eq(mptable_checksum(buf + 16, mptable_size(4) - 16), 0);
}
