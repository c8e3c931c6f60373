/* Building the machine: both VMs over shared VTL0 RAM, the vCPU pairs, the images, boot state. */
#include "monitor/vm/build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/exitcodes.h"
#include "monitor/base/limits.h"
#include "monitor/base/log.h"
#include "monitor/image/embedded.h"
#include "monitor/image/policy_load.h"
#include "monitor/x86/boot.h"
#include "monitor/x86/linux_boot.h"
#include "monitor/x86/mptable.h"
#include "monitor/vm/smp.h"
#include "vtl_device.h"
#include "vtl_layout.h"

/* Memslot numbers of VTL1's VM; VTL0's VM's slots belong to the permission engine. */
#define SLOT_VTL1_VTL0_RAM 0
#define SLOT_VTL1_PRIVATE  1

int machine_check_caps(struct machine *m)
{
	static const struct {
		long cap;
		long min;
		const char *name;
	} required[] = {
	    {KVM_CAP_SYNC_REGS, KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS, "KVM_CAP_SYNC_REGS"},
	    {KVM_CAP_IMMEDIATE_EXIT, 1, "KVM_CAP_IMMEDIATE_EXIT"},
	    {KVM_CAP_USER_MEMORY, 1, "KVM_CAP_USER_MEMORY"},
	};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		long v = kvm_check_cap(m->kvm.fd, required[i].cap);

		if ((v & required[i].min) != required[i].min) {
			log_err("this host lacks %s", required[i].name);
			return -1;
		}
	}
	return 0;
}

/*
 * One VM. VTL0's view of its RAM belongs to the permission engine from the
 * start; VTL1's VM maps VTL0 RAM and, as the only mapping anywhere, its own
 * private RAM.
 */
int machine_create_vm(struct machine *m, int vtl)
{
	long slots;
	int r;

	if (vm_create(&m->kvm, vtl, &m->vm[vtl]))
		return -1;
	/* Slot deletes must not zap the whole shadow MMU (KVM-HOST-NOTES: 15 ms re-fault). */
	r = __vm_disable_quirks(&m->vm[vtl], KVM_X86_QUIRK_SLOT_ZAP_ALL);
	if (r)
		log_info("vtl%d: cannot disable SLOT_ZAP_ALL: %s", vtl, strerror(-r));
	/* Linux's platform: PIC, IOAPIC and LAPIC in KVM, before any vCPU exists (VTL0 only). */
	if (!vtl && m->cfg.kernel && vm_create_irqchip(&m->vm[0]))
		return -1;
	if (vtl) {
		if (vm_set_slot(&m->vm[1], SLOT_VTL1_VTL0_RAM, 0, 0, m->vtl0_ram.size,
				(void *)m->vtl0_ram.hva.v))
			return -1;
		/* VTL0's VM never gets a slot for it. */
		return vm_set_slot(&m->vm[1], SLOT_VTL1_PRIVATE, 0, VTL1_PRIV_GPA, m->vtl1_ram.size,
				   (void *)m->vtl1_ram.hva.v);
	}
	slots = kvm_check_cap(m->vm[0].fd, KVM_CAP_NR_MEMSLOTS);
	if (m->cfg.max_memslots && m->cfg.max_memslots < slots)
		slots = m->cfg.max_memslots;
	if (perm_init(&m->perm, &m->vm[0], &m->vtl0_ram, slots > 0 ? (uint32_t)slots : 1))
		return -1;
	/* CR2 of an injected #PF comes from the payload (KVM-HOST-NOTES). */
	if (vm_enable_cap(&m->vm[0], KVM_CAP_EXCEPTION_PAYLOAD, 1))
		return -1;
	/* The cap reads 1 here, not a reason mask: enabling it is the real test. */
	m->msr_exits = kvm_check_cap(m->vm[0].fd, KVM_CAP_X86_MSR_FILTER) &&
		       kvm_check_cap(m->vm[0].fd, KVM_CAP_X86_USER_SPACE_MSR) &&
		       !pins_enable_msr_exits(&m->vm[0]);
	return 0;
}

int machine_create_vms(struct machine *m)
{
	return machine_create_vm(m, 0) || machine_create_vm(m, 1) ? -1 : 0;
}

/*
 * A new vCPU has exactly KVM's power-on state: no pending event, no debug
 * state, no MSR or FPU state left by an earlier kernel. Per-pair flags that
 * describe the old vCPU go with it.
 */
/* LVT delivery modes (SDM vol. 3, 11.5.1): LVT LINT0 at 0x350, LINT1 at 0x360. */
#define LAPIC_LVT_LINT0	 0x350
#define LAPIC_LVT_LINT1	 0x360
#define LAPIC_DM_MASK	 0x700U
#define LAPIC_DM_NMI	 0x400U
#define LAPIC_DM_EXTINT	 0x700U
#define CPUID_1_ECX_CX16 (1U << 13)
/* CPUID leaves and bits of KVM's paravirtual interface (Linux's kvm_para.h). */
#define CPUID_KVM_FEATURES 0x40000001U
#define KVM_PV_UNHALT	   (1U << 7)
#define KVM_PV_SEND_IPI	   (1U << 11)
#define KVM_PV_SCHED_YIELD (1U << 13)
/* AMD's extended APIC ID / core id leaf, read when TOPOEXT is set (APM vol. 3, E.4.24). */
#define CPUID_AMD_TOPOLOGY 0x8000001EU

static void machine_lapic_lvt(struct kvm_lapic_state *la, uint32_t reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, la->regs + reg, sizeof(v));
	v = (v & ~LAPIC_DM_MASK) | mode;
	memcpy(la->regs + reg, &v, sizeof(v));
}

/*
 * A Linux VTL0 vCPU: LINT0 = ExtINT (the PIC), LINT1 = NMI, as a PC BIOS
 * leaves them, and KVM's supported CPUID without CX16: this host's emulator
 * fails on cmpxchg16b, and CX16 is the one such bit KVM lets us clear
 * (KVM-HOST-NOTES; the rest is the command line's noxsave clearcpuid=).
 */
static int machine_linux_vcpu(struct machine *m, struct vcpu *v)
{
	size_t size = sizeof(*m->kvm.cpuid) + m->kvm.cpuid->nent * sizeof(m->kvm.cpuid->entries[0]);
	struct kvm_cpuid2 *cpuid = malloc(size);
	struct kvm_lapic_state la;
	int r = -1;

	if (!cpuid)
		return -1;
	memcpy(cpuid, m->kvm.cpuid, size);
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		/*
		 * The APIC ID KVM's LAPIC gives this vCPU is its vCPU id: CPUID
		 * says the same (leaf 1 EBX[31:24], the x2APIC ID of leaves 0xB
		 * and 0x1F), as the MP table does, or Linux's SMP topology
		 * disagrees with itself (SDM vol. 2A, CPUID).
		 */
		if (e->function == 1) {
			e->ecx &= ~CPUID_1_ECX_CX16;
			e->ebx = (e->ebx & 0x00FFFFFFU) | (v->index << 24);
		} else if (e->function == 0xB || e->function == 0x1F) {
			e->edx = v->index;
		} else if (e->function == CPUID_AMD_TOPOLOGY) {
			/* One core per vCPU (EBX: core id, one thread), as QEMU says it. */
			e->eax = v->index;
			e->ebx = v->index;
			e->ecx = 0;
		} else if (e->function == CPUID_KVM_FEATURES) {
			/*
			 * KVM's PV IPI, sched-yield and unhalt (kick) are VMCALLs,
			 * which never complete on this host (KVM-HOST-NOTES): an SMP
			 * Linux's first IPI would hang. Linux falls back to the LAPIC.
			 */
			e->eax &= ~(KVM_PV_UNHALT | KVM_PV_SEND_IPI | KVM_PV_SCHED_YIELD);
		}
	}
	if (vcpu_set_cpuid(v, cpuid) || vcpu_get_lapic(v, &la))
		goto out;
	machine_lapic_lvt(&la, LAPIC_LVT_LINT0, LAPIC_DM_EXTINT);
	machine_lapic_lvt(&la, LAPIC_LVT_LINT1, LAPIC_DM_NMI);
	r = vcpu_set_lapic(v, &la);
out:
	free(cpuid);
	return r;
}

int machine_create_vcpu(struct machine *m, struct vcpu_pair *p, int vtl)
{
	struct vcpu *v = vtl ? &p->vtl1 : &p->vtl0;

	if (vcpu_create(&m->kvm, &m->vm[vtl], p->index, v) ||
	    vcpu_set_run_sigmask(v, VTLMON_KICK_SIGNAL))
		return -1;
	if (!vtl && m->cfg.kernel && machine_linux_vcpu(m, v))
		return -1;
	/* Sync regs cost 0.27 us per exit (measured) and give CR state at every exit. */
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	if (!vtl) {
		p->vcpu_gen++; /* an exit of the vCPU this one replaces is stale (smp.h) */
		p->cr_armed[0] = p->cr_armed[1] = false;
		p->call_status = 0;
		p->in_intercept = p->stepping = p->exception_queued = false;
		/* Its sync regs hold nothing until it runs: no check may read them before. */
		p->vtl0_fresh = true;
	}
	return 0;
}

int machine_create_vcpus(struct machine *m, struct vcpu_pair *p)
{
	return machine_create_vcpu(m, p, 0) || machine_create_vcpu(m, p, 1) ? -1 : 0;
}

int machine_create_pairs(struct machine *m)
{
	for (uint32_t i = 0; i < m->cfg.cpus; i++) {
		struct vcpu_pair *p = &m->pairs[i];

		memset(p, 0, sizeof(*p));
		p->m = m;
		p->index = i;
		p->vtl0.fd = p->vtl1.fd = -1;
		p->started = smp_starts_at_power_on(m, i);
		m->nr_pairs++;
		if (machine_create_vcpus(m, p))
			return -1;
	}
	return 0;
}

static int machine_load_image(struct machine *m, int vtl)
{
	struct guest_ram *ram = vtl ? &m->vtl1_ram : &m->vtl0_ram;
	const struct elf_limits lim = {
	    .min_gpa = ram->gpa_base + VTL_IMAGE_MIN_OFFSET,
	    .max_gpa = ram->gpa_base + ram->size,
	    .va_offset = vtl ? VTL1_KERNEL_VA - VTL1_PRIV_GPA : 0,
	    .max_file_size = VTLMON_IMAGE_MAX,
	};
	/*
	 * VTL1's RAM is new here (launch) or was punched out a moment ago
	 * (machine_reset's scrub_vtl1), and nothing ran or was written since:
	 * its bss needs no zeros. VTL0's RAM may be kept over a reset.
	 */
	const struct elf_dest dst = {
	    .base_gpa = ram->gpa_base,
	    .size = ram->size,
	    .hva = (uint8_t *)ram->hva.v,
	    .zeroed = vtl == 1,
	};
	const void *buf = vtl ? m->cfg.vtl1_image : m->cfg.vtl0_image;
	size_t len = vtl ? m->cfg.vtl1_image_len : m->cfg.vtl0_image_len;
	const char *name = vtl ? m->cfg.vtl1_name : m->cfg.vtl0_name;
	struct elf_image *img = vtl ? &m->vtl1_img : &m->vtl0_img;
	char msg[256];
	enum elf_err err;

	err = elf_load(buf, len, &lim, &dst, img, msg, sizeof(msg));
	if (err != ELF_OK) {
		log_err("vtl%d image %s rejected: %s%s%s", vtl, name, elf_strerror(err),
			msg[0] ? ": " : "", msg);
		return -1;
	}
	return 0;
}

static void boot_info_add_mem(struct vtl_boot_info *bi, uint64_t base, uint64_t size, uint32_t type)
{
	if (bi->nr_mem >= VTL_BOOT_MAX_MEM)
		return;
	bi->mem[bi->nr_mem].base = base;
	bi->mem[bi->nr_mem].size = size;
	bi->mem[bi->nr_mem].type = type;
	bi->nr_mem++;
}

void machine_fill_boot_info(struct machine *m, int vtl)
{
	struct guest_ram *ram = vtl ? &m->vtl1_ram : &m->vtl0_ram;
	struct vtl_boot_info *bi =
	    guest_ram_ptr(ram, gpa(ram->gpa_base + VTL_BOOT_INFO), sizeof(*bi));

	memset(bi, 0, sizeof(*bi));
	bi->magic = VTL_BOOT_MAGIC;
	bi->abi_version = VTL_ABI_VERSION;
	bi->vtl = (uint32_t)vtl;
	bi->vcpu_index = 0; /* it describes the machine; a secondary learns its index otherwise */
	bi->nr_vcpus = m->cfg.cpus;
	bi->device_gpa = vtl ? VTL1_DEVICE_GPA : VTL0_DEVICE_GPA;
	bi->console_port = VTL_CONSOLE_PORT;
	boot_info_add_mem(bi, 0, VTL_IMAGE_MIN_OFFSET, vtl ? VTL_MEM_RAM : VTL_MEM_BOOT);
	boot_info_add_mem(bi, VTL_IMAGE_MIN_OFFSET, m->vtl0_ram.size - VTL_IMAGE_MIN_OFFSET,
			  VTL_MEM_RAM);
	boot_info_add_mem(bi, m->vtl0_img.low_gpa, m->vtl0_img.high_gpa - m->vtl0_img.low_gpa,
			  VTL_MEM_IMAGE);
	boot_info_add_mem(bi, bi->device_gpa, VTL_DEVICE_SIZE, VTL_MEM_DEVICE);
	if (vtl)
		boot_info_add_mem(bi, VTL1_PRIV_GPA, m->vtl1_ram.size, VTL_MEM_VTL1_PRIVATE);
	for (uint32_t i = 0; i < m->cfg.nr_modules; i++)
		boot_info_add_mem(bi, m->modules[i].base, m->modules[i].size, VTL_MEM_MODULE);
	bi->vtl0_ram_size = m->vtl0_ram.size;
	bi->vtl0_entry = m->vtl0_img.entry;
	bi->nr_vtl0_segments = m->vtl0_img.nr_segments;
	memcpy(bi->vtl0_segments, m->vtl0_img.segments,
	       m->vtl0_img.nr_segments * sizeof(bi->vtl0_segments[0]));
	if (!vtl)
		return;
	bi->vtl1_priv_gpa = VTL1_PRIV_GPA;
	bi->vtl1_priv_size = m->vtl1_ram.size;
	bi->vtl1_free_gpa = m->vtl1_img.high_gpa;
	bi->inbox_gpa = VTL1_PRIV_GPA + VTL_BOOT_INBOX;
	bi->policy_gpa = m->cfg.policy ? VTL1_PRIV_GPA + VTL_BOOT_POLICY : 0;
	bi->policy_size = m->cfg.policy ? m->cfg.policy_len : 0;
}

int machine_boot_vtl(struct machine *m, int vtl)
{
	struct guest_ram *ram = vtl ? &m->vtl1_ram : &m->vtl0_ram;
	const struct boot_area area = {
	    .vtl = vtl,
	    .ram = ram,
	    .va_base = vtl ? VTL1_KERNEL_VA : 0,
	};
	struct elf_image *img = vtl ? &m->vtl1_img : &m->vtl0_img;
	struct vcpu_pair *p = &m->pairs[0];

	if (boot_vcpu(&area, vtl ? &p->vtl1 : &p->vtl0, img->entry))
		return -1;
	machine_fill_boot_info(m, vtl);
	if (!vtl)
		return 0;
	/* VTL1's secondaries: the same entry, their own stacks, RSI = index (vtl_boot.h). */
	for (uint32_t i = 1; i < m->nr_pairs; i++) {
		const struct boot_start start = {
		    .rip = img->entry,
		    .rsp = VTL1_KERNEL_VA + VTL_BOOT_AP_STACK_TOP(i),
		    .rdi = VTL1_KERNEL_VA + VTL_BOOT_INFO,
		    .rsi = i,
		};

		if (boot_vcpu_at(&area, &m->pairs[i].vtl1, &start))
			return -1;
	}
	return 0;
}

/*
 * The monitor compiles the policy too, with the same parser, only to report
 * errors as FILE:LINE:COL and to refuse a launch this host cannot honour
 * before anything runs. VTL1 parses its own copy and makes every decision.
 */
void machine_default_policy(struct machine *m)
{
	if (!m->cfg.policy) {
		m->cfg.policy = embedded_default_policy;
		m->cfg.policy_len = EMBEDDED_SIZE(embedded_default_policy);
		m->cfg.policy_name = "built-in:default.policy";
	}
}

int machine_check_policy(struct machine *m)
{
	/* The same check as `vtlmon policy check --host --mem SIZE`: one place decides. */
	const struct policy_platform plat = {.vtl0_ram = m->cfg.vtl0_mem, .features = m->features};
	struct policy_diag first;
	struct policy pol;

	/* machine_setup() has put the built-in policy in place of a missing --policy. */
	if (sha256_hex(m->cfg.policy, m->cfg.policy_len, m->policy_sha256))
		return -1;
	if (policy_compile(m->cfg.policy_name, m->cfg.policy, m->cfg.policy_len, &plat, &pol,
			   &first, stderr)) {
		log_err("policy %s rejected: %u:%u: %s", m->cfg.policy_name, first.line, first.col,
			first.msg);
		return -1;
	}
	m->reset_zero_vtl0 = pol.flags & POLICY_F_RESET_ZERO_MEM;
	m->max_resets = pol.max_resets;
	return 0;
}

/* Modules go after the VTL0 image, page-aligned, in order (like an initrd). */
static int machine_load_modules(struct machine *m)
{
	uint64_t at = m->vtl0_img.high_gpa;

	for (uint32_t i = 0; i < m->cfg.nr_modules; i++) {
		const struct machine_module *mod = &m->cfg.modules[i];
		uint64_t size = (mod->len + VTL_PAGE_SIZE - 1) & ~(VTL_PAGE_SIZE - 1);

		if (!mod->len || guest_ram_write(&m->vtl0_ram, gpa(at), mod->data, mod->len)) {
			log_err("module %s (%zu bytes) does not fit in VTL0 RAM after the image",
				mod->name, mod->len);
			return -1;
		}
		m->modules[i] =
		    (struct vtl_mem_range){.base = at, .size = mod->len, .type = VTL_MEM_MODULE};
		at += size;
	}
	return 0;
}

static int machine_place_policy(struct machine *m)
{
	if (m->cfg.policy_len > VTL_BOOT_POLICY_MAX) {
		log_err("policy %s is %zu bytes; the limit is %llu", m->cfg.policy_name,
			m->cfg.policy_len, (unsigned long long)VTL_BOOT_POLICY_MAX);
		return -1;
	}
	return guest_ram_write(&m->vtl1_ram, gpa(VTL1_PRIV_GPA + VTL_BOOT_POLICY), m->cfg.policy,
			       m->cfg.policy_len);
}

int machine_check_config(const struct machine_config *cfg)
{
	if (cfg->nr_modules > MACHINE_MAX_MODULES) {
		log_err("at most %d --module files", MACHINE_MAX_MODULES);
		return -1;
	}
	/* Modules are an own-ABI notion: Linux would not know where they are. */
	if (cfg->kernel && cfg->nr_modules) {
		log_err("--module is for own-ABI VTL0 images; a Linux kernel takes --initrd");
		return -1;
	}
	if (!cfg->kernel && (cfg->initrd || cfg->cmdline)) {
		log_err("--initrd and --append need --kernel");
		return -1;
	}
	if (cfg->cpus < 1 || cfg->cpus > MACHINE_MAX_CPUS) {
		log_err("--cpus %u: a machine has 1 to %d vCPUs", cfg->cpus, MACHINE_MAX_CPUS);
		return -1;
	}
	if (cfg->vtl0_mem < VTL0_RAM_MIN || cfg->vtl0_mem > VTL0_RAM_MAX ||
	    cfg->vtl0_mem % VTL_LARGE_PAGE_SIZE) {
		log_err("--mem must be a multiple of 2 MiB between %llu MiB and %llu MiB",
			VTL0_RAM_MIN >> 20, VTL0_RAM_MAX >> 20);
		return -1;
	}
	if (cfg->vtl1_mem < VTL1_PRIV_MIN || cfg->vtl1_mem > VTL1_PRIV_MAX ||
	    cfg->vtl1_mem % VTL_LARGE_PAGE_SIZE) {
		log_err("--vtl1-mem must be a multiple of 2 MiB between %llu MiB and %llu MiB",
			VTL1_PRIV_MIN >> 20, VTL1_PRIV_MAX >> 20);
		return -1;
	}
	return 0;
}

/*
 * Everything a Linux boot will write, decided and checked before anything is
 * written: a kexec plans on the staged copy before its point of no return, so
 * nothing that can be refused fails after the old kernel is gone.
 */
struct linux_plan {
	struct linux_kernel_info info;
	struct linux_layout lay;
	struct elf_image img; /* the image as VTL1's boot info describes it */
	struct elf_file_run runs[VTL_BOOT_MAX_SEGMENTS]; /* a vmlinux's PT_LOAD bytes */
	/* What is planned on: the kernel's first head_len of len bytes (all of a staged copy). */
	const uint8_t *bytes;
	size_t head_len, len;
	uint8_t *head; /* owned: the head read from a streamed --kernel */
	char *cmdline;
	uint64_t entry; /* physical 64-bit entry */
};

/*
 * How much of a streamed kernel is read for planning: a vmlinux's ELF and
 * program headers (at offset 64 in a real one) and a bzImage's setup header
 * (which ends before the zero page's e820 table) lie well inside.
 */
#define LINUX_HEAD_MAX (64 * 1024)
_Static_assert(LINUX_HEAD_MAX >= LINUX_BP_E820_TABLE, "linux_probe reads the setup header");

static void linux_plan_free(struct linux_plan *pl)
{
	free(pl->head);
	free(pl->cmdline);
	memset(pl, 0, sizeof(*pl));
}

/* Why a streamed input could not be read (file_input_read/stream's -errno). */
static const char *linux_input_error(int r)
{
	return r == -EIO ? "it is shorter than at launch" : strerror(-r);
}

/* The bytes to plan on: a staged copy as it is, or the head of the streamed --kernel. */
static int linux_plan_bytes(const struct linux_source *src, struct linux_plan *pl, char *why,
			    size_t whylen)
{
	int r;

	if (src->kernel) {
		pl->bytes = src->kernel;
		pl->head_len = pl->len = src->len;
		return 0;
	}
	pl->len = src->file->size;
	pl->head_len = pl->len < LINUX_HEAD_MAX ? pl->len : LINUX_HEAD_MAX;
	pl->head = malloc(pl->head_len ? pl->head_len : 1);
	if (!pl->head) {
		snprintf(why, whylen, "kernel %s: out of memory", src->name);
		return -1;
	}
	r = file_input_read(src->file, pl->head, pl->head_len, 0);
	if (r) {
		snprintf(why, whylen, "kernel %s: cannot read it: %s", src->name,
			 linux_input_error(r));
		return -1;
	}
	pl->bytes = pl->head;
	return 0;
}

static struct elf_limits machine_vmlinux_limits(const struct machine *m)
{
	return (struct elf_limits){
	    .min_gpa = VTL_IMAGE_MIN_OFFSET,
	    .max_gpa = m->vtl0_ram.size,
	    .va_offset = LINUX_START_KERNEL_VA,
	    .max_file_size = VTLMON_IMAGE_MAX,
	    .entry_physical = true,
	    .zero_vaddr_ok = true, /* an SMP kernel's per-CPU section */
	};
}

/*
 * A vmlinux: PT_LOADs at their physical addresses, checked by the same ELF
 * loader as every image (p_vaddr = p_paddr + __START_KERNEL_map). Its e_entry
 * is physical (startup_64): entry_physical.
 */
static int linux_plan_vmlinux(struct machine *m, const struct linux_source *src,
			      struct linux_plan *pl, char *why, size_t whylen)
{
	const struct elf_limits lim = machine_vmlinux_limits(m);
	char msg[160] = "";
	enum elf_err err = elf_check_head(pl->bytes, pl->head_len, pl->len, &lim, &pl->img,
					  pl->runs, msg, sizeof(msg));

	if (err != ELF_OK) {
		snprintf(why, whylen, "kernel %s rejected: %s%s%s", src->name, elf_strerror(err),
			 msg[0] ? ": " : "", msg);
		return -1;
	}
	/* What the vCPU starts at (boot event, VTL1's boot info): the physical entry. */
	pl->entry = pl->img.entry;
	pl->lay.kernel_end = pl->img.high_gpa;
	return 0;
}

/* A bzImage: its protected-mode part at the aligned load address, entered at +0x200. */
static void linux_plan_bzimage(struct linux_plan *pl)
{
	const struct linux_kernel_info *info = &pl->info;
	uint64_t need = info->init_size > info->pm_size ? info->init_size : info->pm_size;
	struct elf_image *img = &pl->img;

	/* linux_probe checked [load_gpa, load_gpa + need) lies in RAM. */
	pl->entry = info->load_gpa + LINUX_ENTRY64_OFFSET;
	img->entry = pl->entry;
	img->nr_segments = 1;
	img->low_gpa = info->load_gpa;
	img->high_gpa = (info->load_gpa + need + VTL_PAGE_SIZE - 1) & ~(VTL_PAGE_SIZE - 1);
	img->segments[0] = (struct vtl_segment){.gpa = img->low_gpa,
						.size = img->high_gpa - img->low_gpa,
						.flags = VTL_SEG_R | VTL_SEG_W | VTL_SEG_X};
	pl->lay.kernel_end = img->high_gpa;
}

/*
 * Linux as VTL0 (Documentation/x86/boot.rst, 64-bit boot protocol): the
 * kernel, the command line (the words this host needs first, then --append,
 * then for a kexec LINUX_KEXEC_CMDLINE), the initrd high in RAM, the zero page
 * and the MP table. Every size is checked here; a refusal says why.
 */
static int linux_plan(struct machine *m, const struct linux_source *src, struct linux_plan *pl,
		      char *why, size_t whylen)
{
	const char *user = m->cfg.cmdline ? m->cfg.cmdline : "";
	const char *tail = src->kexec ? " " LINUX_KEXEC_CMDLINE : "";
	char msg[160];
	size_t len;

	memset(pl, 0, sizeof(*pl));
	pl->lay.ram_size = m->vtl0_ram.size;
	if (linux_plan_bytes(src, pl, why, whylen))
		goto fail;
	/* Reads only the setup header, which the head holds (LINUX_HEAD_MAX). */
	if (linux_probe(pl->bytes, pl->len, m->vtl0_ram.size, &pl->info, msg, sizeof(msg))) {
		snprintf(why, whylen, "kernel %s refused: %s", src->name, msg);
		goto fail;
	}
	len = strlen(LINUX_HOST_CMDLINE) + 1 + strlen(user) + strlen(tail);
	pl->cmdline = malloc(len + 1);
	if (!pl->cmdline) {
		snprintf(why, whylen, "kernel %s: out of memory", src->name);
		goto fail;
	}
	snprintf(pl->cmdline, len + 1, "%s%s%s%s", LINUX_HOST_CMDLINE, user[0] ? " " : "", user,
		 tail);
	if (linux_place_cmdline(&pl->info, strlen(pl->cmdline), &pl->lay, msg, sizeof(msg))) {
		snprintf(why, whylen, "kernel %s: %s", src->name, msg);
		goto fail;
	}
	if (pl->info.kind == LINUX_KIND_VMLINUX) {
		if (linux_plan_vmlinux(m, src, pl, why, whylen))
			goto fail;
	} else {
		linux_plan_bzimage(pl);
	}
	if (linux_place_initrd(&pl->info, m->cfg.initrd ? m->cfg.initrd->size : 0, &pl->lay, msg,
			       sizeof(msg))) {
		snprintf(why, whylen, "initrd %s: %s", m->cfg.initrd_name, msg);
		goto fail;
	}
	return 0;
fail:
	linux_plan_free(pl);
	return -1;
}

/*
 * The launch records the digests of what it loaded (the `start` event gives
 * them); every later load of the same file (a reset, a kexec's initrd) must
 * load the same bytes, or the file changed under a running guest.
 */
static int linux_measured(struct machine *m, const char *what, const char *name,
			  const uint8_t sha[FILE_SHA256_BYTES], uint8_t launch[FILE_SHA256_BYTES],
			  char *why, size_t whylen)
{
	if (!m->linux_measured) {
		memcpy(launch, sha, FILE_SHA256_BYTES);
		return 0;
	}
	if (!memcmp(launch, sha, FILE_SHA256_BYTES))
		return 0;
	snprintf(why, whylen,
		 "%s %s changed since the launch (its SHA-256 is not the start event's): not "
		 "loaded",
		 what, name);
	return -1;
}

/*
 * The kernel into VTL0 RAM as linux_plan() laid it out: a vmlinux's segment
 * spans zeroed, then each PT_LOAD's bytes (a bzImage: its protected-mode
 * part). From the staged copy (kexec), or streamed from --kernel in one pass
 * that also hashes it. The plan checked every run against the kernel's length.
 */
static int linux_write_kernel(struct machine *m, const struct linux_source *src,
			      const struct linux_plan *pl, char *why, size_t whylen)
{
	const struct linux_kernel_info *info = &pl->info;
	struct file_copy copies[VTL_BOOT_MAX_SEGMENTS];
	uint8_t sha[FILE_SHA256_BYTES];
	unsigned int n = 0;
	int r;

	if (info->kind == LINUX_KIND_VMLINUX) {
		for (; n < pl->img.nr_segments; n++) {
			const struct vtl_segment *s = &pl->img.segments[n];
			const struct elf_file_run *run = &pl->runs[n];
			uint8_t *span = guest_ram_ptr(&m->vtl0_ram, gpa(s->gpa), s->size);

			if (!span)
				return -1;
			memset(span, 0, s->size);
			copies[n] = (struct file_copy){run->offset, run->filesz,
						       span + (run->paddr - s->gpa)};
		}
	} else {
		copies[n].dst = guest_ram_ptr(&m->vtl0_ram, gpa(info->load_gpa), info->pm_size);
		if (!copies[n].dst)
			return -1;
		copies[n].offset = info->pm_offset;
		copies[n++].len = info->pm_size;
	}
	if (src->kernel) {
		for (unsigned int i = 0; i < n; i++)
			memcpy(copies[i].dst, src->kernel + copies[i].offset, copies[i].len);
		return 0;
	}
	r = file_input_stream(src->file, pl->bytes, pl->head_len, copies, n, sha);
	if (r) {
		snprintf(why, whylen, "kernel %s: cannot read it: %s", src->name,
			 linux_input_error(r));
		return -1;
	}
	return linux_measured(m, "kernel", src->name, sha, m->kernel_sha256, why, whylen);
}

/* The --initrd file streamed to where the plan put it (at every load, kexec's too). */
static int linux_write_initrd(struct machine *m, const struct linux_layout *lay, char *why,
			      size_t whylen)
{
	uint8_t sha[FILE_SHA256_BYTES];
	struct file_copy c = {0, lay->initrd_size, NULL};
	int r;

	if (!m->cfg.initrd)
		return 0;
	c.dst = guest_ram_ptr(&m->vtl0_ram, gpa(lay->initrd_gpa), lay->initrd_size);
	if (!c.dst || c.len != m->cfg.initrd->size) {
		snprintf(why, whylen, "initrd %s: VTL0 RAM is not what was planned",
			 m->cfg.initrd_name);
		return -1;
	}
	r = file_input_stream(m->cfg.initrd, NULL, 0, &c, 1, sha);
	if (r) {
		snprintf(why, whylen, "initrd %s: cannot read it: %s", m->cfg.initrd_name,
			 linux_input_error(r));
		return -1;
	}
	return linux_measured(m, "initrd", m->cfg.initrd_name, sha, m->initrd_sha256, why, whylen);
}

/* Writes what linux_plan() decided into VTL0 RAM; -1 (with why) if RAM or an input is not. */
static int linux_write(struct machine *m, const struct linux_source *src, struct linux_plan *pl,
		       char *why, size_t whylen)
{
	const struct linux_kernel_info *info = &pl->info;
	struct linux_layout *lay = &pl->lay;
	uint8_t *bp, *mp;

	snprintf(why, whylen, "kernel %s: VTL0 RAM is not what was planned", src->name);
	if (linux_write_kernel(m, src, pl, why, whylen))
		return -1;
	bp = guest_ram_ptr(&m->vtl0_ram, gpa(LINUX_ZERO_PAGE_GPA), LINUX_BP_SIZE);
	mp = guest_ram_ptr(&m->vtl0_ram, gpa(LINUX_MPTABLE_GPA), mptable_size(m->cfg.cpus));
	if (!bp || !mp ||
	    guest_ram_write(&m->vtl0_ram, gpa(lay->cmdline_gpa), pl->cmdline,
			    strlen(pl->cmdline) + 1) ||
	    linux_write_initrd(m, lay, why, whylen) ||
	    !mptable_write(mp, mptable_size(m->cfg.cpus), (uint32_t)LINUX_MPTABLE_GPA, m->cfg.cpus))
		return -1;
	linux_zero_page(bp, info, info->kind == LINUX_KIND_BZIMAGE ? pl->bytes : NULL, lay);
	m->linux_measured = true;
	return 0;
}

int machine_check_linux(struct machine *m, const struct linux_source *src, char *why, size_t whylen)
{
	struct linux_plan pl;

	if (linux_plan(m, src, &pl, why, whylen))
		return -1;
	linux_plan_free(&pl);
	return 0;
}

int machine_load_linux(struct machine *m, const struct linux_source *src)
{
	struct linux_plan pl;
	char why[256];
	int r = -1;

	if (linux_plan(m, src, &pl, why, sizeof(why))) {
		log_err("%s", why);
		return -1;
	}
	if (linux_write(m, src, &pl, why, sizeof(why))) {
		log_err("%s", why);
		goto out;
	}
	m->vtl0_img = pl.img;
	m->linux_entry = pl.entry;
	snprintf(m->vtl0_image_name, sizeof(m->vtl0_image_name), "%s", src->name);
	uart_reset(&m->uart);
	m->uart_irq = false;
	log_info("linux: %s %s entry %#llx, initrd %#llx+%#llx, cmdline \"%s\"",
		 pl.info.kind == LINUX_KIND_VMLINUX ? "vmlinux" : "bzImage", src->name,
		 (unsigned long long)pl.entry, (unsigned long long)pl.lay.initrd_gpa,
		 (unsigned long long)pl.lay.initrd_size, pl.cmdline);
	r = 0;
out:
	linux_plan_free(&pl);
	return r;
}

/* Images, modules, policy and boot state: at launch and again after every reset. */
int machine_load_guests(struct machine *m)
{
	snprintf(m->vtl0_image_name, sizeof(m->vtl0_image_name), "%s",
		 m->cfg.kernel ? m->cfg.kernel_name : m->cfg.vtl0_name);
	if (m->cfg.kernel) {
		const struct linux_source src = {.file = m->cfg.kernel, .name = m->cfg.kernel_name};

		if (machine_load_linux(m, &src) || machine_load_image(m, 1) ||
		    machine_place_policy(m))
			return VTLMON_EXIT_LAUNCH;
		if (machine_boot_vtl(m, 1) ||
		    linux_boot_vcpu(&m->vtl0_ram, &m->pairs[0].vtl0, m->linux_entry))
			return VTLMON_EXIT_MONITOR;
		return 0;
	}
	/* VTL0's image is loaded first so VTL1's boot info can describe it for protection. */
	if (machine_load_image(m, 0) || machine_load_modules(m) || machine_load_image(m, 1) ||
	    machine_place_policy(m))
		return VTLMON_EXIT_LAUNCH;
	if (machine_boot_vtl(m, 1) || machine_boot_vtl(m, 0))
		return VTLMON_EXIT_MONITOR;
	return 0;
}
