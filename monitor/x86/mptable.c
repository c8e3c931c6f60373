/* The Intel MultiProcessor Specification 1.4 table that tells Linux where its CPU and IOAPIC are.
 */
#include "monitor/x86/mptable.h"

#include <string.h>

#include "monitor/base/le.h"

/*
 * MP spec 1.4, chapter 4. Without it (and without ACPI) Linux 6.1 scans the
 * BIOS area for one, which costs 2.5 s of emulated reads on this host
 * (KVM-HOST-NOTES), and then finds no IOAPIC.
 */
#define MP_FP_SIZE	16U
#define MP_HDR_SIZE	44U
#define MP_CPU_SIZE	20U
#define MP_ENTRY_SIZE	8U
#define MP_SPEC_REV	4U /* 1.4 */
#define MP_ENT_CPU	0U
#define MP_ENT_BUS	1U
#define MP_ENT_IOAPIC	2U
#define MP_ENT_INTSRC	3U
#define MP_ENT_LINTSRC	4U
#define MP_INT_INT	0U /* vectored interrupt from the IOAPIC */
#define MP_INT_NMI	1U
#define MP_INT_EXTINT	3U
#define MP_CPU_EN	0x01U
#define MP_CPU_BP	0x02U
#define MP_IOAPIC_EN	0x01U
#define MP_LAPIC_VER	0x14U  /* KVM's in-kernel LAPIC */
#define MP_IOAPIC_VER	0x11U  /* KVM's in-kernel IOAPIC */
#define MP_CPU_SIG	0x600U /* family 6: only informative */
#define MP_CPU_FEATURES 0x201U /* FPU, APIC */

uint8_t mptable_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

size_t mptable_size(uint32_t cpus)
{
	return MP_FP_SIZE + MP_HDR_SIZE + (size_t)cpus * MP_CPU_SIZE +
	       (2 + MPTABLE_ISA_IRQS + 2) * MP_ENTRY_SIZE;
}

/* An I/O or local interrupt entry: type, kind, flags (0: bus default), source bus and IRQ, target.
 */
static uint8_t *mptable_int(uint8_t *p, uint8_t type, uint8_t kind, uint8_t src_irq, uint8_t dst_id,
			    uint8_t dst_pin)
{
	const uint8_t e8[MP_ENTRY_SIZE] = {type, kind, 0, 0, 0, src_irq, dst_id, dst_pin};

	memcpy(p, e8, sizeof(e8));
	return p + MP_ENTRY_SIZE;
}

size_t mptable_write(uint8_t *buf, size_t len, uint32_t gpa, uint32_t cpus)
{
	size_t size = mptable_size(cpus);
	uint8_t *fp = buf, *hdr = buf + MP_FP_SIZE, *p;
	uint8_t ioapic_id = (uint8_t)cpus; /* after the LAPIC IDs 0..cpus-1 */
	uint16_t count = 0;

	if (!cpus || cpus > MPTABLE_MAX_CPUS || len < size || gpa > UINT32_MAX - MP_FP_SIZE)
		return 0;
	memset(buf, 0, size);

	/* Floating pointer: "_MP_", the table's address, length in 16-byte units, no default
	 * config. */
	memcpy(fp, "_MP_", 4);
	le32_put(fp + 4, gpa + MP_FP_SIZE);
	fp[8] = 1;
	fp[9] = MP_SPEC_REV;

	memcpy(hdr, "PCMP", 4);
	hdr[6] = MP_SPEC_REV;
	memcpy(hdr + 8, "VTLMON  ", 8);
	memcpy(hdr + 16, "VTL0        ", 12);
	le32_put(hdr + 36, MPTABLE_LAPIC_ADDR);

	p = hdr + MP_HDR_SIZE;
	for (uint32_t i = 0; i < cpus; i++, count++) {
		p[0] = MP_ENT_CPU;
		p[1] = (uint8_t)i;
		p[2] = MP_LAPIC_VER;
		p[3] = MP_CPU_EN | (i == 0 ? MP_CPU_BP : 0);
		le32_put(p + 4, MP_CPU_SIG);
		le32_put(p + 8, MP_CPU_FEATURES);
		p += MP_CPU_SIZE;
	}
	p[0] = MP_ENT_BUS;
	memcpy(p + 2, "ISA   ", 6);
	p += MP_ENTRY_SIZE;
	count++;
	p[0] = MP_ENT_IOAPIC;
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VER;
	p[3] = MP_IOAPIC_EN;
	le32_put(p + 4, MPTABLE_IOAPIC_ADDR);
	p += MP_ENTRY_SIZE;
	count++;
	/* ISA IRQ n on IOAPIC pin n, bus-default polarity and trigger (edge, active high). */
	for (uint8_t irq = 0; irq < MPTABLE_ISA_IRQS; irq++, count++)
		p = mptable_int(p, MP_ENT_INTSRC, MP_INT_INT, irq, ioapic_id, irq);
	/* Every LAPIC: LINT0 = ExtINT (the PIC), LINT1 = NMI, as the monitor programs them. */
	p = mptable_int(p, MP_ENT_LINTSRC, MP_INT_EXTINT, 0, 0xFF, 0);
	p = mptable_int(p, MP_ENT_LINTSRC, MP_INT_NMI, 0, 0xFF, 1);
	count += 2;

	le16_put(hdr + 4, (uint16_t)(size - MP_FP_SIZE));
	le16_put(hdr + 34, count);
	hdr[7] = (uint8_t)-mptable_checksum(hdr, size - MP_FP_SIZE);
	fp[10] = (uint8_t)-mptable_checksum(fp, MP_FP_SIZE);
	return size;
}
