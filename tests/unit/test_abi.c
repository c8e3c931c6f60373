/* Runtime checks of the layout invariants that tie the guest ABI headers (include/) together. */
#include <criterion/criterion.h>
#include <string.h>

#include "vtl1_abi.h"
#include "vtl_boot.h"
#include "vtl_call.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_status.h"
#include "vtl_ucall.h"

#define GIB (1ULL << 30)

struct area {
	const char *name;
	uint64_t off;
	uint64_t size;
};

/* Every page range of the boot area, with its size. */
static const struct area boot_areas[] = {
    {"PML4", VTL_BOOT_PML4, VTL_PAGE_SIZE},
    {"PDPT_LOW", VTL_BOOT_PDPT_LOW, VTL_PAGE_SIZE},
    {"PD_LOW", VTL_BOOT_PD_LOW, 4 * VTL_PAGE_SIZE},
    {"GDT", VTL_BOOT_GDT, VTL_PAGE_SIZE},
    {"TSS", VTL_BOOT_TSS, VTL_PAGE_SIZE},
    {"IDT", VTL_BOOT_IDT, VTL_PAGE_SIZE},
    {"INFO", VTL_BOOT_INFO, VTL_PAGE_SIZE},
    {"PDPT_HIGH", VTL_BOOT_PDPT_HIGH, VTL_PAGE_SIZE},
    {"PD_HIGH", VTL_BOOT_PD_HIGH, VTL_PAGE_SIZE},
    {"INBOX", VTL_BOOT_INBOX, VTL_PAGE_SIZE},
    {"POLICY", VTL_BOOT_POLICY, VTL_BOOT_POLICY_MAX},
    {"STACK", VTL_BOOT_STACK_BOTTOM, VTL_BOOT_STACK_TOP - VTL_BOOT_STACK_BOTTOM},
};
#define NR_AREAS (sizeof(boot_areas) / sizeof(boot_areas[0]))

static bool overlap(const struct area *a, const struct area *b)
{
	return a->off < b->off + b->size && b->off < a->off + a->size;
}

Test(abi_boot_area, offsets_are_page_aligned)
{
	for (size_t i = 0; i < NR_AREAS; i++) {
		cr_assert_eq(boot_areas[i].off % VTL_PAGE_SIZE, 0, "%s", boot_areas[i].name);
		cr_assert_eq(boot_areas[i].size % VTL_PAGE_SIZE, 0, "%s", boot_areas[i].name);
	}
	cr_assert_eq(VTL_IMAGE_MIN_OFFSET % VTL_PAGE_SIZE, 0);
}

Test(abi_boot_area, offsets_are_distinct_and_never_overlap)
{
	for (size_t i = 0; i < NR_AREAS; i++)
		for (size_t j = 0; j < i; j++) {
			cr_assert_neq(boot_areas[i].off, boot_areas[j].off, "%s/%s",
				      boot_areas[i].name, boot_areas[j].name);
			cr_assert_not(overlap(&boot_areas[i], &boot_areas[j]), "%s overlaps %s",
				      boot_areas[i].name, boot_areas[j].name);
		}
}

Test(abi_boot_area, page_zero_is_left_unused)
{
	/* GPA 0 stays free so that a NULL dereference never hits a table. */
	for (size_t i = 0; i < NR_AREAS; i++)
		cr_assert_geq(boot_areas[i].off, VTL_PAGE_SIZE, "%s", boot_areas[i].name);
}

Test(abi_boot_area, everything_is_below_image_min_offset)
{
	for (size_t i = 0; i < NR_AREAS; i++)
		cr_assert_leq(boot_areas[i].off + boot_areas[i].size, VTL_IMAGE_MIN_OFFSET, "%s",
			      boot_areas[i].name);
}

Test(abi_boot_area, stack_is_inside_boot_area)
{
	cr_assert_lt(VTL_BOOT_STACK_BOTTOM, VTL_BOOT_STACK_TOP);
	cr_assert_leq(VTL_BOOT_STACK_TOP, VTL_IMAGE_MIN_OFFSET);
	cr_assert_eq(VTL_BOOT_STACK_TOP % 16, 0, "ABI stack alignment");
}

Test(abi_boot_area, policy_ends_before_stack)
{
	cr_assert_leq(VTL_BOOT_POLICY + VTL_BOOT_POLICY_MAX, VTL_BOOT_STACK_BOTTOM);
}

Test(abi_boot_area, pd_low_is_four_pages_for_4_gib)
{
	cr_assert_eq(4 * 512 * VTL_LARGE_PAGE_SIZE, 4 * GIB);
	cr_assert_eq(VTL_BOOT_PD_LOW + 4 * VTL_PAGE_SIZE, VTL_BOOT_GDT);
}

Test(abi_boot_area, boot_info_fits_one_page)
{
	cr_assert_leq(sizeof(struct vtl_boot_info), VTL_PAGE_SIZE);
}

Test(abi_boot_area, vtl1_entry_fits_inbox_page)
{
	cr_assert_leq(sizeof(struct vtl1_entry), VTL_PAGE_SIZE);
	cr_assert_eq(VTL_BOOT_INBOX % 8, 0);
}

Test(abi_boot_area, gdt_has_room_for_selectors)
{
	cr_assert_eq(VTL_SEL_CODE, 0x08);
	cr_assert_eq(VTL_SEL_DATA, 0x10);
	cr_assert_eq(VTL_SEL_TSS, 0x18);
	/* 16-byte TSS descriptor after the code/data ones. */
	cr_assert_leq(VTL_SEL_TSS + 16, VTL_PAGE_SIZE);
}

/* ---- physical layout ---- */

Test(abi_layout, devices_in_mmio_hole_below_4_gib)
{
	const uint64_t devs[] = {VTL0_DEVICE_GPA, VTL1_DEVICE_GPA};

	for (size_t i = 0; i < 2; i++) {
		cr_assert_geq(devs[i], VTL_MMIO_HOLE_START);
		cr_assert_leq(devs[i] + VTL_DEVICE_SIZE, 4 * GIB);
		cr_assert_geq(devs[i], VTL0_RAM_MAX, "device aliases VTL0 RAM");
		cr_assert_eq(devs[i] % VTL_PAGE_SIZE, 0);
	}
	cr_assert_neq(VTL0_DEVICE_GPA, VTL1_DEVICE_GPA);
	cr_assert(VTL0_DEVICE_GPA + VTL_DEVICE_SIZE <= VTL1_DEVICE_GPA ||
		  VTL1_DEVICE_GPA + VTL_DEVICE_SIZE <= VTL0_DEVICE_GPA);
}

Test(abi_layout, vtl0_ram_limits)
{
	cr_assert_leq(VTL0_RAM_MAX, VTL_MMIO_HOLE_START);
	cr_assert_geq(VTL0_RAM_MIN, VTL_IMAGE_MIN_OFFSET + VTL_LARGE_PAGE_SIZE);
	cr_assert_eq(VTL0_RAM_MIN % VTL_LARGE_PAGE_SIZE, 0);
	cr_assert_eq(VTL0_RAM_MAX % VTL_LARGE_PAGE_SIZE, 0);
}

Test(abi_layout, vtl1_private_ram_is_above_4_gib)
{
	cr_assert_geq(VTL1_PRIV_GPA, 4 * GIB);
	cr_assert_eq(VTL1_PRIV_GPA % VTL_LARGE_PAGE_SIZE, 0);
	cr_assert_geq(VTL1_PRIV_GPA, VTL0_RAM_MAX);
}

Test(abi_layout, vtl1_priv_max_fits_one_pd_high)
{
	cr_assert_leq(VTL1_PRIV_MAX, 512 * VTL_LARGE_PAGE_SIZE);
	cr_assert_leq(VTL1_PRIV_MIN, VTL1_PRIV_MAX);
	cr_assert_eq(VTL1_PRIV_MIN % VTL_LARGE_PAGE_SIZE, 0);
	cr_assert_geq(VTL1_PRIV_MIN, VTL_IMAGE_MIN_OFFSET);
}

Test(abi_layout, vtl1_kernel_va_is_the_top_2_gib_window)
{
	/* PML4 slot 511, PDPT slot 510, 1 GiB aligned, and PRIV_MAX fits below 2^64. */
	cr_assert_eq((VTL1_KERNEL_VA >> 39) & 0x1FF, 511);
	cr_assert_eq((VTL1_KERNEL_VA >> 30) & 0x1FF, 510);
	cr_assert_eq(VTL1_KERNEL_VA % GIB, 0);
	cr_assert_leq(VTL1_PRIV_MAX - 1, UINT64_MAX - VTL1_KERNEL_VA);
}

Test(abi_layout, console_port)
{
	cr_assert_eq(VTL_CONSOLE_PORT, 0x3F8);
}

/* ---- call block, ops ---- */

Test(abi_call, call_block_alignment_keeps_it_in_one_page)
{
	cr_assert_eq(VTL_CALL_BLOCK_SIZE, sizeof(struct vtl_call_block));
	cr_assert_geq(VTL_CALL_BLOCK_ALIGN, VTL_CALL_BLOCK_SIZE);
	cr_assert_eq(VTL_PAGE_SIZE % VTL_CALL_BLOCK_ALIGN, 0);
	cr_assert_eq(VTL_CALL_BLOCK_ALIGN & (VTL_CALL_BLOCK_ALIGN - 1), 0);
}

Test(abi_call, op_list_fits_a_page)
{
	cr_assert_leq(sizeof(struct vtl1_op_list) + VTL1_OPS_MAX * sizeof(struct vtl1_op),
		      VTL_PAGE_SIZE);
	cr_assert_eq(VTL1_OP_RETURN, 1, "0 is never a valid op");
	cr_assert_eq(VTL_PERM_MASK, VTL_PERM_R | VTL_PERM_W | VTL_PERM_X);
}

Test(abi_call, entry_embeds_call_block_and_intercept)
{
	cr_assert_eq(sizeof(((struct vtl1_entry *)0)->call), sizeof(struct vtl_call_block));
	cr_assert_eq(offsetof(struct vtl1_entry, call) % 8, 0);
	cr_assert_eq(offsetof(struct vtl1_entry, intercept) % 8, 0);
}

Test(abi_call, ucall_strings_and_code)
{
	cr_assert_gt(VTL_UCALL_STR_MAX, 1);
	cr_assert_leq(VTL_UCALL_FAIL_CODE, VTL_SHUTDOWN_CODE_MAX);
}

/* ---- device registers ---- */

struct reg {
	const char *name;
	unsigned off;
	unsigned width;
};

static const struct reg vtl0_regs[] = {
    {"ID", VTL0_REG_ID, 4},
    {"VERSION", VTL0_REG_VERSION, 4},
    {"FEATURES", VTL0_REG_FEATURES, 8},
    {"CALL", VTL0_REG_CALL, 8},
    {"CALL_STATUS", VTL0_REG_CALL_STATUS, 4},
    {"SHUTDOWN", VTL0_REG_SHUTDOWN, 4},
    {"UCALL", VTL0_REG_UCALL, 8},
    {"NULL", VTL0_REG_NULL, 8},
};

static const struct reg vtl1_regs[] = {
    {"ID", VTL1_REG_ID, 4},
    {"VERSION", VTL1_REG_VERSION, 4},
    {"FEATURES", VTL1_REG_FEATURES, 8},
    {"OPS", VTL1_REG_OPS, 8},
};

static void check_regs(const struct reg *regs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(regs[i].off % regs[i].width, 0, "%s misaligned", regs[i].name);
		cr_assert_leq(regs[i].off + regs[i].width, VTL_DEVICE_SIZE, "%s", regs[i].name);
		for (size_t j = 0; j < i; j++) {
			cr_assert_neq(regs[i].off, regs[j].off, "%s/%s", regs[i].name,
				      regs[j].name);
			cr_assert(regs[i].off + regs[i].width <= regs[j].off ||
				      regs[j].off + regs[j].width <= regs[i].off,
				  "%s overlaps %s", regs[i].name, regs[j].name);
		}
	}
}

Test(abi_device, vtl0_registers_distinct_and_naturally_aligned)
{
	check_regs(vtl0_regs, sizeof(vtl0_regs) / sizeof(vtl0_regs[0]));
}

Test(abi_device, vtl1_registers_distinct_and_naturally_aligned)
{
	check_regs(vtl1_regs, sizeof(vtl1_regs) / sizeof(vtl1_regs[0]));
}

Test(abi_device, ids_are_distinct)
{
	cr_assert_neq(VTL0_DEVICE_ID, VTL1_DEVICE_ID);
	cr_assert_eq(memcmp(&(uint32_t){VTL0_DEVICE_ID}, "VTLM", 4), 0);
	cr_assert_eq(memcmp(&(uint32_t){VTL1_DEVICE_ID}, "VTL1", 4), 0);
}

Test(abi_device, boot_magic_spells_vtlboot)
{
	uint64_t m = VTL_BOOT_MAGIC;

	cr_assert_eq(memcmp(&m, "VTLBOOT", 8), 0);
}

Test(abi_device, feature_bits_are_distinct)
{
	const uint64_t bits[] = {
	    VTL_FEAT_VTL1_ISOLATION, VTL_FEAT_PERM_READONLY, VTL_FEAT_PERM_NOACCESS,
	    VTL_FEAT_PERM_NOEXEC,    VTL_FEAT_MSR_PIN,	     VTL_FEAT_CR_PIN_DETECT,
	    VTL_FEAT_CR_PIN_SYNC,    VTL_FEAT_CR_SITE_BP,
	};
	uint64_t seen = 0;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		cr_assert_eq(bits[i] & (bits[i] - 1), 0, "one bit each");
		cr_assert_eq(seen & bits[i], 0);
		seen |= bits[i];
	}
}

/* ---- status strings ---- */

Test(abi_status, every_status_has_a_distinct_string)
{
	for (uint32_t i = 0; i < VTL_STATUS_COUNT; i++) {
		const char *s = vtl_strerror(i);

		cr_assert_not_null(s);
		cr_assert_neq(s[0], '\0');
		cr_assert_str_neq(s, "unknown status", "status %u", i);
		for (uint32_t j = 0; j < i; j++)
			cr_assert_str_neq(s, vtl_strerror(j), "status %u and %u", i, j);
	}
	cr_assert_str_eq(vtl_strerror(VTL_OK), "ok");
}

Test(abi_status, out_of_range_is_unknown_status)
{
	cr_assert_str_eq(vtl_strerror(VTL_STATUS_COUNT), "unknown status");
	cr_assert_str_eq(vtl_strerror(0xFFFFFFFFU), "unknown status");
	cr_assert_str_eq(vtl_strerror(0x80000000U), "unknown status");
}
