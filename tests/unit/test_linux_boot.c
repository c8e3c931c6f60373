/* Linux boot protocol pieces: setup header parsing, e820, cmdline/initrd placement, zero page. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/le.h"
#include "monitor/x86/linux_boot.h"

#define MIB (1ULL << 20)

/* A minimal valid bzImage: 2.15 header, 64-bit, relocatable, 16 setup sectors. */
#define BZ_LEN (64 * 1024)
static uint8_t *bzimage(void)
{
	uint8_t *b = calloc(1, BZ_LEN);

	cr_assert_not_null(b);
	b[LINUX_HDR_SETUP_SECTS] = 15;
	le16_put(b + LINUX_HDR_BOOT_FLAG, LINUX_BOOT_FLAG);
	b[LINUX_HDR_JUMP] = 0xEB;
	b[LINUX_HDR_JUMP + 1] = 0x6A; /* header ends at 0x26C */
	le32_put(b + LINUX_HDR_HEADER, LINUX_HDR_MAGIC);
	le16_put(b + LINUX_HDR_VERSION, 0x020F);
	le32_put(b + LINUX_HDR_INITRD_ADDR_MAX, 0x7FFFFFFF);
	le32_put(b + LINUX_HDR_KERNEL_ALIGNMENT, 0x200000);
	b[LINUX_HDR_RELOCATABLE] = 1;
	le16_put(b + LINUX_HDR_XLOADFLAGS, LINUX_XLF_KERNEL_64 | 0x2);
	le32_put(b + LINUX_HDR_CMDLINE_SIZE, 2047);
	le64_put(b + LINUX_HDR_PREF_ADDRESS, 0x1000000);
	le32_put(b + LINUX_HDR_INIT_SIZE, 8 * MIB);
	return b;
}

Test(linux_boot, vmlinux_is_an_elf_with_default_limits)
{
	static const uint8_t elf[64] = {0x7F, 'E', 'L', 'F', 2, 1, 1};
	struct linux_kernel_info info;
	char msg[200];

	cr_assert_eq(linux_probe(elf, sizeof(elf), 128 * MIB, &info, msg, sizeof(msg)), 0);
	cr_assert_eq(info.kind, LINUX_KIND_VMLINUX);
	cr_assert_eq(info.cmdline_size, LINUX_DEFAULT_CMDLINE_SIZE);
	cr_assert_eq(info.initrd_addr_max, LINUX_DEFAULT_INITRD_MAX);
}

Test(linux_boot, bzimage_header_parsed)
{
	uint8_t *b = bzimage();
	struct linux_kernel_info info;
	char msg[200];

	cr_assert_eq(linux_probe(b, BZ_LEN, 128 * MIB, &info, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(info.kind, LINUX_KIND_BZIMAGE);
	cr_assert_eq(info.version, 0x020F);
	cr_assert_eq(info.pm_offset, 16 * 512);
	cr_assert_eq(info.pm_size, BZ_LEN - 16 * 512);
	cr_assert_eq(info.load_gpa, 0x1000000);
	cr_assert_eq(info.init_size, 8 * MIB);
	cr_assert_eq(info.hdr_end, 0x26C);
	cr_assert_eq(info.cmdline_size, 2047);
	free(b);
}

Test(linux_boot, bzimage_refusals_say_why)
{
	static const struct {
		uint32_t off, width;
		uint64_t val;
		const char *why;
	} cases[] = {
	    {LINUX_HDR_VERSION, 2, 0x020B, "too old"},
	    {LINUX_HDR_XLOADFLAGS, 2, 0x2, "XLF_KERNEL_64"},
	    {LINUX_HDR_BOOT_FLAG, 2, 0x1234, "boot_flag"},
	    {LINUX_HDR_KERNEL_ALIGNMENT, 4, 0x3000, "kernel_alignment"},
	    {LINUX_HDR_KERNEL_ALIGNMENT, 4, 0, "kernel_alignment"},
	    {LINUX_HDR_PREF_ADDRESS, 8, 0x1000, "pref_address"},
	    {LINUX_HDR_PREF_ADDRESS, 8, 0xFFFFFFFFFFFFF000ULL, "raise --mem"},
	    {LINUX_HDR_INIT_SIZE, 4, 0xFFFFFFFF, "raise --mem"},
	    {LINUX_HDR_SETUP_SECTS, 1, 200, "setup_sects"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *b = bzimage();
		struct linux_kernel_info info;
		char msg[200];

		if (cases[i].width == 1)
			b[cases[i].off] = (uint8_t)cases[i].val;
		else if (cases[i].width == 2)
			le16_put(b + cases[i].off, (uint16_t)cases[i].val);
		else if (cases[i].width == 4)
			le32_put(b + cases[i].off, (uint32_t)cases[i].val);
		else
			le64_put(b + cases[i].off, cases[i].val);
		cr_assert_eq(linux_probe(b, BZ_LEN, 128 * MIB, &info, msg, sizeof(msg)), -1,
			     "case %zu", i);
		cr_assert_not_null(strstr(msg, cases[i].why), "case %zu: %s", i, msg);
		cr_assert_eq(info.kind, LINUX_KIND_NONE);
		free(b);
	}
}

Test(linux_boot, not_a_kernel_and_truncated)
{
	uint8_t *b = bzimage();
	struct linux_kernel_info info;
	char msg[200];

	cr_assert_eq(linux_probe((const uint8_t *)"hello", 5, 128 * MIB, &info, msg, sizeof(msg)),
		     -1);
	cr_assert_not_null(strstr(msg, "not a Linux kernel"));
	/* Every prefix of a valid bzImage is refused or parsed without reading past it. */
	for (size_t len = 0; len < 0x400; len++) {
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, b, len);
		if (linux_probe(copy, len, 128 * MIB, &info, msg, sizeof(msg)) == 0)
			cr_assert_leq(info.pm_offset + info.pm_size, len);
		free(copy);
	}
	free(b);
}

/* Hostile headers: random bytes in every field never crash and never give a bad layout. */
Test(linux_boot, random_headers_are_range_checked)
{
	uint8_t *b = bzimage();
	struct linux_kernel_info info;
	unsigned seed = 1;

	for (int i = 0; i < 20000; i++) {
		for (uint32_t off = LINUX_HDR_OFFSET; off < 0x270; off++)
			if ((seed = seed * 1103515245 + 12345) >> 28 == 0)
				b[off] = (uint8_t)(seed >> 16);
		le32_put(b + LINUX_HDR_HEADER, LINUX_HDR_MAGIC);
		if (linux_probe(b, BZ_LEN, 128 * MIB, &info, NULL, 0))
			continue;
		cr_assert_geq(info.load_gpa, MIB);
		cr_assert_leq(info.load_gpa + info.pm_size, 128 * MIB);
		cr_assert_leq(info.load_gpa + info.init_size, 128 * MIB);
		cr_assert_leq(info.pm_offset + info.pm_size, BZ_LEN);
		cr_assert_leq(info.hdr_end, LINUX_BP_E820_TABLE);
	}
	free(b);
}

Test(linux_boot, e820_map)
{
	struct linux_e820 map[8];

	cr_assert_eq(linux_e820_map(128 * MIB, map, 8), 3);
	cr_assert_eq(map[0].addr, 0);
	cr_assert_eq(map[0].size, 0x9FC00);
	cr_assert_eq(map[0].type, LINUX_E820_RAM);
	cr_assert_eq(map[1].addr, 0x9FC00);
	cr_assert_eq(map[1].addr + map[1].size, MIB);
	cr_assert_eq(map[1].type, LINUX_E820_RESERVED);
	cr_assert_eq(map[2].addr, MIB);
	cr_assert_eq(map[2].addr + map[2].size, 128 * MIB);
	cr_assert_eq(map[2].type, LINUX_E820_RAM);
	cr_assert_eq(linux_e820_map(128 * MIB, map, 2), 2);
	cr_assert_eq(linux_e820_map(MIB, map, 8), 0);
}

Test(linux_boot, cmdline_bounded_by_the_kernel)
{
	struct linux_kernel_info info = {.cmdline_size = 100};
	struct linux_layout lay = {0};
	char msg[200];

	cr_assert_eq(linux_place_cmdline(&info, 100, &lay, msg, sizeof(msg)), 0);
	cr_assert_eq(lay.cmdline_gpa, LINUX_CMDLINE_GPA);
	cr_assert_eq(lay.cmdline_len, 100);
	cr_assert_eq(linux_place_cmdline(&info, 101, &lay, msg, sizeof(msg)), -1);
	cr_assert_not_null(strstr(msg, "at most 100"), "%s", msg);
	/* A header that claims more than the monitor's area is held to the area. */
	info.cmdline_size = 0xFFFFFFFF;
	cr_assert_eq(linux_place_cmdline(&info, LINUX_CMDLINE_AREA, &lay, msg, sizeof(msg)), -1);
	cr_assert_eq(linux_place_cmdline(&info, LINUX_CMDLINE_AREA - 1, &lay, msg, sizeof(msg)), 0);
}

Test(linux_boot, initrd_high_aligned_and_bounded)
{
	struct linux_kernel_info info = {.initrd_addr_max = LINUX_DEFAULT_INITRD_MAX};
	struct linux_layout lay = {.ram_size = 128 * MIB, .kernel_end = 0x1A18000};
	char msg[200];

	cr_assert_eq(linux_place_initrd(&info, 11264, &lay, msg, sizeof(msg)), 0);
	cr_assert_eq(lay.initrd_gpa, 128 * MIB - 3 * 4096);
	cr_assert_eq(lay.initrd_size, 11264);
	/* initrd_addr_max below the end of RAM: the initrd's last byte stays at or below it. */
	info.initrd_addr_max = 64 * MIB - 1;
	cr_assert_eq(linux_place_initrd(&info, 4096, &lay, msg, sizeof(msg)), 0);
	cr_assert_eq(lay.initrd_gpa, 64 * MIB - 4096);
	/* Too large: overlaps the kernel, or larger than RAM, or wraps. */
	cr_assert_eq(linux_place_initrd(&info, 40 * MIB, &lay, msg, sizeof(msg)), -1);
	cr_assert_not_null(strstr(msg, "does not fit"), "%s", msg);
	cr_assert_eq(linux_place_initrd(&info, UINT64_MAX, &lay, msg, sizeof(msg)), -1);
	info.initrd_addr_max = 0;
	cr_assert_eq(linux_place_initrd(&info, 4096, &lay, msg, sizeof(msg)), -1);
	cr_assert_eq(linux_place_initrd(&info, 0, &lay, msg, sizeof(msg)), 0);
	cr_assert_eq(lay.initrd_gpa, 0);
}

Test(linux_boot, zero_page_fields)
{
	struct linux_kernel_info info = {.kind = LINUX_KIND_VMLINUX, .cmdline_size = 2047};
	struct linux_layout lay = {.ram_size = 128 * MIB,
				   .cmdline_gpa = LINUX_CMDLINE_GPA,
				   .initrd_gpa = 0x7FFD000,
				   .initrd_size = 11264};
	uint8_t bp[LINUX_BP_SIZE];

	memset(bp, 0xAA, sizeof(bp));
	linux_zero_page(bp, &info, NULL, &lay);
	cr_assert_eq(le16_get(bp + LINUX_HDR_BOOT_FLAG), 0xAA55);
	cr_assert_eq(le32_get(bp + LINUX_HDR_HEADER), LINUX_HDR_MAGIC);
	cr_assert_eq(bp[LINUX_HDR_TYPE_OF_LOADER], 0xFF);
	cr_assert_eq(le32_get(bp + LINUX_HDR_CMD_LINE_PTR), LINUX_CMDLINE_GPA);
	cr_assert_eq(le32_get(bp + LINUX_BP_EXT_CMD_LINE_PTR), 0);
	cr_assert_eq(le32_get(bp + LINUX_HDR_RAMDISK_IMAGE), 0x7FFD000);
	cr_assert_eq(le32_get(bp + LINUX_HDR_RAMDISK_SIZE), 11264);
	cr_assert_eq(bp[LINUX_BP_E820_ENTRIES], 3);
	cr_assert_eq(le64_get(bp + LINUX_BP_E820_TABLE + 2 * 20), MIB);
	cr_assert_eq(le64_get(bp + LINUX_BP_E820_TABLE + 2 * 20 + 8), 127 * MIB);
	cr_assert_eq(le32_get(bp + LINUX_BP_E820_TABLE + 2 * 20 + 16), LINUX_E820_RAM);
	cr_assert_eq(le32_get(bp + LINUX_BP_E820_TABLE + 1 * 20 + 16), LINUX_E820_RESERVED);
	/* Everything else is zero. */
	for (uint32_t i = 0; i < LINUX_HDR_OFFSET; i++)
		if (i != LINUX_BP_E820_ENTRIES)
			cr_assert_eq(bp[i], 0, "byte %#x", i);
}

Test(linux_boot, zero_page_copies_the_bzimage_header)
{
	uint8_t *b = bzimage();
	struct linux_kernel_info info;
	struct linux_layout lay = {.ram_size = 128 * MIB, .cmdline_gpa = LINUX_CMDLINE_GPA};
	uint8_t bp[LINUX_BP_SIZE];

	cr_assert_eq(linux_probe(b, BZ_LEN, 128 * MIB, &info, NULL, 0), 0);
	linux_zero_page(bp, &info, b, &lay);
	cr_assert_eq(le16_get(bp + LINUX_HDR_VERSION), 0x020F);
	cr_assert_eq(le64_get(bp + LINUX_HDR_PREF_ADDRESS), 0x1000000);
	cr_assert_eq(le32_get(bp + LINUX_HDR_CODE32_START), 0x1000000);
	cr_assert_eq(bp[LINUX_HDR_TYPE_OF_LOADER], 0xFF);
	/* Past the header: not copied (e820 lives there). */
	cr_assert_eq(bp[0x26C], 0);
	free(b);
}
