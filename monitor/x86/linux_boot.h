/* Linux 64-bit boot protocol: setup header parsing, zero page, e820, cmdline/initrd placement. */
#ifndef MONITOR_X86_LINUX_BOOT_H
#define MONITOR_X86_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/base/mem.h"
#include "monitor/kvm/kvm.h"

/*
 * Where the monitor puts the boot protocol's pieces in VTL0 RAM. The kernel
 * never uses the first MiB (6.1 reserves it all), and copies the zero page and
 * the command line before it touches memory: nothing here needs protecting.
 * The boot area of monitor/x86/boot.c (page tables, GDT, TSS at 0x1000-0xDFFF)
 * is below; the MP table sits at the top of base memory, as on a PC.
 */
#define LINUX_ZERO_PAGE_GPA 0x20000ULL
#define LINUX_CMDLINE_GPA   0x21000ULL
#define LINUX_CMDLINE_AREA  0x1000ULL /* room for the command line and its NUL */
#define LINUX_MPTABLE_GPA   0x9FC00ULL
#define LINUX_BASE_MEM_END  0x9FC00ULL	/* e820: RAM [0, here), reserved [here, 1 MiB) */
#define LINUX_HIGH_MEM	    0x100000ULL /* e820: RAM again from 1 MiB */

/* Documentation/x86/boot.rst: the zero page and setup header offsets the monitor uses. */
#define LINUX_BP_SIZE		   0x1000U
#define LINUX_BP_EXT_RAMDISK_IMAGE 0x0C0U
#define LINUX_BP_EXT_RAMDISK_SIZE  0x0C4U
#define LINUX_BP_EXT_CMD_LINE_PTR  0x0C8U
#define LINUX_BP_E820_ENTRIES	   0x1E8U
#define LINUX_HDR_OFFSET	   0x1F1U /* setup_sects: the setup header starts here */
#define LINUX_HDR_SETUP_SECTS	   0x1F1U
#define LINUX_HDR_BOOT_FLAG	   0x1FEU
#define LINUX_HDR_JUMP		   0x200U /* 2-byte jump; byte 0x201 + 0x202 = header end */
#define LINUX_HDR_HEADER	   0x202U
#define LINUX_HDR_VERSION	   0x206U
#define LINUX_HDR_TYPE_OF_LOADER   0x210U
#define LINUX_HDR_LOADFLAGS	   0x211U
#define LINUX_HDR_CODE32_START	   0x214U
#define LINUX_HDR_RAMDISK_IMAGE	   0x218U
#define LINUX_HDR_RAMDISK_SIZE	   0x21CU
#define LINUX_HDR_CMD_LINE_PTR	   0x228U
#define LINUX_HDR_INITRD_ADDR_MAX  0x22CU
#define LINUX_HDR_KERNEL_ALIGNMENT 0x230U
#define LINUX_HDR_RELOCATABLE	   0x234U
#define LINUX_HDR_XLOADFLAGS	   0x236U
#define LINUX_HDR_CMDLINE_SIZE	   0x238U
#define LINUX_HDR_PREF_ADDRESS	   0x258U
#define LINUX_HDR_INIT_SIZE	   0x260U
#define LINUX_HDR_END_MIN	   0x264U /* protocol 2.12 ends with init_size (u32) */
#define LINUX_BP_E820_TABLE	   0x2D0U
#define LINUX_E820_MAX		   128U
#define LINUX_E820_RAM		   1U
#define LINUX_E820_RESERVED	   2U

#define LINUX_HDR_MAGIC	      0x53726448U /* "HdrS" */
#define LINUX_BOOT_FLAG	      0xAA55U
#define LINUX_PROTO_MIN	      0x020CU /* 2.12: xloadflags, the 64-bit entry */
#define LINUX_XLF_KERNEL_64   0x1U
#define LINUX_LOADER_UNDEF    0xFFU /* type_of_loader: "no assigned id" */
#define LINUX_LOADED_HIGH     0x01U /* loadflags */
#define LINUX_CAN_USE_HEAP    0x80U
#define LINUX_ENTRY64_OFFSET  0x200U /* bzImage: 64-bit entry = load address + 0x200 */
#define LINUX_START_KERNEL_VA 0xFFFFFFFF80000000ULL /* vmlinux: p_vaddr = p_paddr + this */
/* A vmlinux has no setup header: what 6.1's header.S would say (COMMAND_LINE_SIZE 2048). */
#define LINUX_DEFAULT_CMDLINE_SIZE 2047U
#define LINUX_DEFAULT_INITRD_MAX   0x7FFFFFFFU

/*
 * The words every Linux VTL0 gets first (--append comes after, so it can
 * override): the console on COM1, and what this host's KVM cannot run
 * (KVM-HOST-NOTES "Booting Linux here"): its instruction emulator fails on
 * xsave/xrstor, and KVM_SET_CPUID2 cannot hide these hardware features, so
 * the kernel is told not to use them (erms fsrm smap fsgsbase invpcid pcid
 * popcnt rdrand rdseed rdpid). reboot=k resets through the i8042 port, and
 * panic=-1 makes a panic do so at once (the policy's reset limit ends the run).
 */
#define LINUX_HOST_CMDLINE                                                                         \
	"console=ttyS0 noxsave clearcpuid=297,580,308,288,298,145,151,158,306,534 reboot=k "       \
	"panic=-1"

/*
 * The last word of a kexec'd kernel's command line (after the launch's own):
 * how it was started, for its driver and /init. The command line itself is the
 * launch's, never one VTL0 supplies: a word such as "module_blacklist=" would
 * turn off the new kernel's lockdown, and VTL1 measures only the image.
 */
#define LINUX_KEXEC_CMDLINE "vtlmon.boot=kexec"

/* Selectors boot.rst requires at the 64-bit entry. */
#define LINUX_BOOT_CS  0x10U
#define LINUX_BOOT_DS  0x18U
#define LINUX_BOOT_TSS 0x20U

enum linux_kind {
	LINUX_KIND_NONE = 0, /* not a kernel we know */
	LINUX_KIND_VMLINUX,
	LINUX_KIND_BZIMAGE,
};

/* What a kernel file says about itself, validated. */
struct linux_kernel_info {
	enum linux_kind kind;
	uint16_t version;	  /* setup header protocol (bzImage only) */
	uint32_t cmdline_size;	  /* longest command line, without its NUL */
	uint64_t initrd_addr_max; /* highest address the initrd's last byte may have */
	/* bzImage: the protected-mode kernel within the file, and where it goes. */
	uint64_t pm_offset, pm_size;
	uint64_t load_gpa;
	uint64_t init_size;    /* memory it needs from load_gpa while it decompresses */
	uint32_t hdr_end;      /* the setup header is file bytes [0x1F1, hdr_end) */
	uint32_t kernel_align; /* kernel_alignment */
	bool relocatable;
};

/* Where the boot pieces went: input to linux_zero_page(). */
struct linux_layout {
	uint64_t ram_size;
	uint64_t kernel_end; /* first byte past everything the kernel occupies or needs */
	uint64_t cmdline_gpa;
	uint32_t cmdline_len; /* without the NUL */
	uint64_t initrd_gpa;  /* 0: no initrd */
	uint64_t initrd_size;
};

/* One e820 entry as the zero page holds it (packed there; this is the logical form). */
struct linux_e820 {
	uint64_t addr, size;
	uint32_t type;
};

/*
 * Classifies and checks a kernel file (hostile input: every field is
 * range-checked without overflow). An ELF is a vmlinux (its PT_LOADs are
 * checked by the ELF loader); a file with the "HdrS" setup header is a
 * bzImage, which must be protocol 2.12 or later with XLF_KERNEL_64 and fit in
 * ram_size. 0, or -1 with a one-line reason in msg.
 */
int linux_probe(const uint8_t *buf, size_t len, uint64_t ram_size, struct linux_kernel_info *out,
		char *msg, size_t msglen);

/*
 * The e820 map: RAM [0, 0x9FC00), reserved [0x9FC00, 1 MiB), RAM [1 MiB,
 * ram_size). Returns the number of entries written (at most max), 0 when
 * ram_size is below 2 MiB.
 */
uint32_t linux_e820_map(uint64_t ram_size, struct linux_e820 *out, uint32_t max);

/*
 * The command line's place: at LINUX_CMDLINE_GPA, at most info->cmdline_size
 * bytes (and the monitor's own area). 0, or -1 with the reason.
 */
int linux_place_cmdline(const struct linux_kernel_info *info, size_t len, struct linux_layout *lay,
			char *msg, size_t msglen);

/*
 * The initrd's place: page-aligned, as high as RAM and initrd_addr_max allow,
 * above lay->kernel_end. size 0: no initrd. 0, or -1 with the reason.
 */
int linux_place_initrd(const struct linux_kernel_info *info, uint64_t size,
		       struct linux_layout *lay, char *msg, size_t msglen);

/*
 * Fills a zero page (LINUX_BP_SIZE bytes at bp): zeroed, then for a bzImage
 * its own setup header copied in (hdr may be NULL for a vmlinux), then the
 * loader's fields: boot flag, magic, loader type, command line, initrd, e820.
 */
void linux_zero_page(uint8_t *bp, const struct linux_kernel_info *info, const uint8_t *hdr,
		     const struct linux_layout *lay);

/*
 * Programs VTL0's vCPU for the 64-bit entry: the boot area's identity map and
 * TSS, a GDT with __BOOT_CS 0x10 and __BOOT_DS 0x18, RSI = the zero page,
 * IF = 0.
 */
int linux_boot_vcpu(struct guest_ram *ram, struct vcpu *vcpu, uint64_t entry);

#endif
