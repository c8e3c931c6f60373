/* Linux 64-bit boot protocol: setup header parsing, zero page, e820, cmdline/initrd placement. */
#include "monitor/x86/linux_boot.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "monitor/base/le.h"
#include "monitor/x86/boot.h"
#include "vtl_layout.h"

#define LINUX_PAGE_MASK (VTL_PAGE_SIZE - 1)

static int linux_fail(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int linux_fail(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* boot.rst, "64-bit boot protocol": the protected-mode kernel at an aligned address. */
static int linux_probe_bzimage(const uint8_t *buf, size_t len, uint64_t ram_size,
			       struct linux_kernel_info *out, char *msg, size_t msglen)
{
	uint32_t setup_sects, align;
	uint64_t setup_size, need, pref;

	if (len < LINUX_HDR_END_MIN + 4)
		return linux_fail(msg, msglen, "bzImage: %zu bytes is too short for a setup header",
				  len);
	if (le16_get(buf + LINUX_HDR_BOOT_FLAG) != LINUX_BOOT_FLAG)
		return linux_fail(msg, msglen, "bzImage: boot_flag is not 0xAA55");
	out->version = le16_get(buf + LINUX_HDR_VERSION);
	if (out->version < LINUX_PROTO_MIN)
		return linux_fail(msg, msglen,
				  "bzImage: boot protocol %u.%02u is too old; the 64-bit entry "
				  "needs 2.12 or later",
				  out->version >> 8, out->version & 0xFF);
	if (!(le16_get(buf + LINUX_HDR_XLOADFLAGS) & LINUX_XLF_KERNEL_64))
		return linux_fail(msg, msglen,
				  "bzImage: no 64-bit entry (XLF_KERNEL_64 is clear): a 32-bit "
				  "kernel cannot be VTL0");
	/* The header ends at 0x202 + the jump's displacement byte; clamp to what we know. */
	out->hdr_end = LINUX_HDR_HEADER + buf[LINUX_HDR_JUMP + 1];
	if (out->hdr_end < LINUX_HDR_END_MIN + 4)
		out->hdr_end = LINUX_HDR_END_MIN + 4;
	if (out->hdr_end > LINUX_BP_E820_TABLE)
		out->hdr_end = LINUX_BP_E820_TABLE;
	setup_sects = buf[LINUX_HDR_SETUP_SECTS] ? buf[LINUX_HDR_SETUP_SECTS] : 4;
	setup_size = ((uint64_t)setup_sects + 1) * 512;
	if (setup_size >= len)
		return linux_fail(msg, msglen,
				  "bzImage: setup_sects %u leaves no protected-mode kernel in %zu "
				  "bytes",
				  setup_sects, len);
	out->pm_offset = setup_size;
	out->pm_size = len - setup_size;
	out->relocatable = buf[LINUX_HDR_RELOCATABLE] != 0;
	align = le32_get(buf + LINUX_HDR_KERNEL_ALIGNMENT);
	/* A power of two no larger than 1 GiB, or the field is nonsense. */
	if (out->relocatable &&
	    (align < VTL_PAGE_SIZE || align > (1U << 30) || (align & (align - 1))))
		return linux_fail(msg, msglen, "bzImage: kernel_alignment %#x is not usable",
				  align);
	out->kernel_align = align;
	pref = le64_get(buf + LINUX_HDR_PREF_ADDRESS);
	if (pref < LINUX_HIGH_MEM || (pref & LINUX_PAGE_MASK))
		return linux_fail(msg, msglen,
				  "bzImage: pref_address %#llx is below 1 MiB or not page-aligned",
				  (unsigned long long)pref);
	/* Rounded up only once known to be inside RAM: no wrap. */
	if (out->relocatable && pref < ram_size && (pref & (align - 1)))
		pref = (pref + align - 1) & ~(uint64_t)(align - 1);
	out->load_gpa = pref;
	out->init_size = le32_get(buf + LINUX_HDR_INIT_SIZE);
	need = out->init_size > out->pm_size ? out->init_size : out->pm_size;
	if (pref >= ram_size || need > ram_size - pref)
		return linux_fail(msg, msglen,
				  "bzImage: needs [%#llx, +%#llx) while decompressing; VTL0 RAM "
				  "ends at %#llx (raise --mem)",
				  (unsigned long long)pref, (unsigned long long)need,
				  (unsigned long long)ram_size);
	out->cmdline_size = le32_get(buf + LINUX_HDR_CMDLINE_SIZE);
	out->initrd_addr_max = le32_get(buf + LINUX_HDR_INITRD_ADDR_MAX);
	return 0;
}

int linux_probe(const uint8_t *buf, size_t len, uint64_t ram_size, struct linux_kernel_info *out,
		char *msg, size_t msglen)
{
	memset(out, 0, sizeof(*out));
	if (msg && msglen)
		msg[0] = 0;
	out->cmdline_size = LINUX_DEFAULT_CMDLINE_SIZE;
	out->initrd_addr_max = LINUX_DEFAULT_INITRD_MAX;
	if (len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG)) {
		out->kind = LINUX_KIND_VMLINUX;
		return 0;
	}
	if (len >= LINUX_HDR_HEADER + 4 && le32_get(buf + LINUX_HDR_HEADER) == LINUX_HDR_MAGIC) {
		if (linux_probe_bzimage(buf, len, ram_size, out, msg, msglen)) {
			out->kind = LINUX_KIND_NONE;
			return -1;
		}
		out->kind = LINUX_KIND_BZIMAGE;
		return 0;
	}
	return linux_fail(msg, msglen,
			  "not a Linux kernel: neither an ELF vmlinux nor a bzImage (no \"HdrS\" "
			  "setup header at 0x202)");
}

uint32_t linux_e820_map(uint64_t ram_size, struct linux_e820 *out, uint32_t max)
{
	const struct linux_e820 map[] = {
	    {0, LINUX_BASE_MEM_END, LINUX_E820_RAM},
	    {LINUX_BASE_MEM_END, LINUX_HIGH_MEM - LINUX_BASE_MEM_END, LINUX_E820_RESERVED},
	    {LINUX_HIGH_MEM, ram_size - LINUX_HIGH_MEM, LINUX_E820_RAM},
	};
	uint32_t n = 0;

	if (ram_size < 2 * LINUX_HIGH_MEM)
		return 0;
	for (; n < max && n < sizeof(map) / sizeof(map[0]); n++)
		out[n] = map[n];
	return n;
}

int linux_place_cmdline(const struct linux_kernel_info *info, size_t len, struct linux_layout *lay,
			char *msg, size_t msglen)
{
	uint64_t max = info->cmdline_size;

	if (max > LINUX_CMDLINE_AREA - 1)
		max = LINUX_CMDLINE_AREA - 1;
	if (len > max)
		return linux_fail(
		    msg, msglen, "kernel command line is %zu bytes; this kernel takes at most %llu",
		    len, (unsigned long long)max);
	lay->cmdline_gpa = LINUX_CMDLINE_GPA;
	lay->cmdline_len = (uint32_t)len;
	return 0;
}

int linux_place_initrd(const struct linux_kernel_info *info, uint64_t size,
		       struct linux_layout *lay, char *msg, size_t msglen)
{
	uint64_t top = lay->ram_size, at;

	lay->initrd_gpa = lay->initrd_size = 0;
	if (!size)
		return 0;
	/* initrd_addr_max is the highest address of the initrd's last byte. */
	if (info->initrd_addr_max < top - 1)
		top = info->initrd_addr_max + 1;
	if (size > top || size > UINT32_MAX)
		goto nofit;
	at = (top - size) & ~LINUX_PAGE_MASK;
	if (at < lay->kernel_end || at < LINUX_HIGH_MEM)
		goto nofit;
	lay->initrd_gpa = at;
	lay->initrd_size = size;
	return 0;
nofit:
	return linux_fail(msg, msglen,
			  "initrd of %llu bytes does not fit between the kernel's end %#llx and "
			  "%#llx (raise --mem)",
			  (unsigned long long)size, (unsigned long long)lay->kernel_end,
			  (unsigned long long)top);
}

void linux_zero_page(uint8_t *bp, const struct linux_kernel_info *info, const uint8_t *hdr,
		     const struct linux_layout *lay)
{
	struct linux_e820 map[LINUX_E820_MAX];
	uint32_t n;

	memset(bp, 0, LINUX_BP_SIZE);
	/* boot.rst: a 64-bit loader copies the kernel's setup header into the zero page. */
	if (hdr && info->kind == LINUX_KIND_BZIMAGE && info->hdr_end > LINUX_HDR_OFFSET &&
	    info->hdr_end <= LINUX_BP_E820_TABLE)
		memcpy(bp + LINUX_HDR_OFFSET, hdr + LINUX_HDR_OFFSET,
		       info->hdr_end - LINUX_HDR_OFFSET);
	le16_put(bp + LINUX_HDR_BOOT_FLAG, LINUX_BOOT_FLAG);
	le32_put(bp + LINUX_HDR_HEADER, LINUX_HDR_MAGIC);
	if (info->kind == LINUX_KIND_BZIMAGE)
		le32_put(bp + LINUX_HDR_CODE32_START, (uint32_t)info->load_gpa);
	else
		le32_put(bp + LINUX_HDR_KERNEL_ALIGNMENT, (uint32_t)VTL_LARGE_PAGE_SIZE);
	bp[LINUX_HDR_TYPE_OF_LOADER] = LINUX_LOADER_UNDEF;
	bp[LINUX_HDR_LOADFLAGS] |= LINUX_LOADED_HIGH;
	le32_put(bp + LINUX_HDR_CMD_LINE_PTR, (uint32_t)lay->cmdline_gpa);
	le32_put(bp + LINUX_BP_EXT_CMD_LINE_PTR, (uint32_t)(lay->cmdline_gpa >> 32));
	le32_put(bp + LINUX_HDR_CMDLINE_SIZE, info->cmdline_size);
	le32_put(bp + LINUX_HDR_RAMDISK_IMAGE, (uint32_t)lay->initrd_gpa);
	le32_put(bp + LINUX_BP_EXT_RAMDISK_IMAGE, (uint32_t)(lay->initrd_gpa >> 32));
	le32_put(bp + LINUX_HDR_RAMDISK_SIZE, (uint32_t)lay->initrd_size);
	le32_put(bp + LINUX_BP_EXT_RAMDISK_SIZE, (uint32_t)(lay->initrd_size >> 32));
	n = linux_e820_map(lay->ram_size, map, LINUX_E820_MAX);
	bp[LINUX_BP_E820_ENTRIES] = (uint8_t)n;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = bp + LINUX_BP_E820_TABLE + i * 20;

		le64_put(e, map[i].addr);
		le64_put(e + 8, map[i].size);
		le32_put(e + 16, map[i].type);
	}
}

int linux_boot_vcpu(struct guest_ram *ram, struct vcpu *vcpu, uint64_t entry)
{
	const struct boot_area area = {.vtl = 0, .ram = ram, .va_base = 0};
	uint64_t *gdt = guest_ram_ptr(ram, gpa(VTL_BOOT_GDT), VTL_PAGE_SIZE);
	uint64_t code, data, tss_lo, tss_hi;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (!gdt || boot_build_tables(&area) || vcpu_get_sregs(vcpu, &sregs))
		return -1;
	/* Same descriptors as the own-ABI boot, at the selectors boot.rst names. */
	code = gdt[1];
	data = gdt[2];
	tss_lo = gdt[3];
	tss_hi = gdt[4];
	memset(gdt, 0, 8 * 8);
	gdt[LINUX_BOOT_CS / 8] = code;
	gdt[LINUX_BOOT_DS / 8] = data;
	gdt[LINUX_BOOT_TSS / 8] = tss_lo;
	gdt[LINUX_BOOT_TSS / 8 + 1] = tss_hi;
	boot_entry_state(&area, entry, &sregs, &regs);
	sregs.cs.selector = LINUX_BOOT_CS;
	sregs.ds.selector = sregs.es.selector = sregs.ss.selector = LINUX_BOOT_DS;
	sregs.fs.selector = sregs.gs.selector = LINUX_BOOT_DS;
	sregs.tr.selector = LINUX_BOOT_TSS;
	sregs.gdt.limit = (LINUX_BOOT_TSS + 16) - 1;
	regs.rdi = 0;
	regs.rsi = LINUX_ZERO_PAGE_GPA;
	regs.rflags = 0x2; /* IF = 0 */
	if (vcpu_set_sregs(vcpu, &sregs) || vcpu_set_regs(vcpu, &regs))
		return -1;
	return 0;
}
