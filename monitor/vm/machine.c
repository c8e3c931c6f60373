/* The machine: builds both VMs over shared VTL0 RAM, loads the images, runs the pairs, ends the
 * run. */
#include "monitor/vm/machine.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "monitor/x86/boot.h"
#include "monitor/cmd/caps.h"
#include "monitor/image/embedded.h"
#include "monitor/cmd/policy_cmd.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/log.h"
#include "vtl_device.h"
#include "vtl_layout.h"

/* Memslot numbers of VTL1's VM; VTL0's VM's slots belong to the permission engine. */
#define SLOT_VTL1_VTL0_RAM 0
#define SLOT_VTL1_PRIVATE  1

#define MACHINE_IMAGE_MAX (64ULL << 20)

const char *run_end_name(enum run_end why)
{
	switch (why) {
	case RUN_END_NONE: return "none";
	case RUN_END_SHUTDOWN: return "shutdown";
	case RUN_END_KILLED: return "killed";
	case RUN_END_TIMEOUT: return "timeout";
	case RUN_END_VTL0_FAULT: return "vtl0_fault";
	case RUN_END_VTL1_FAULT: return "vtl1_fault";
	case RUN_END_LAUNCH_REFUSED: return "launch_refused";
	case RUN_END_MONITOR_ERROR: return "monitor_error";
	case RUN_END_RESET_LIMIT: return "reset_limit";
	}
	return "unknown";
}

int machine_exit_status(const struct machine *m)
{
	switch ((enum run_end)atomic_load(&m->end)) {
	case RUN_END_SHUTDOWN: return m->guest_code;
	case RUN_END_KILLED: return VTLMON_EXIT_KILLED;
	case RUN_END_TIMEOUT: return VTLMON_EXIT_TIMEOUT;
	case RUN_END_VTL0_FAULT: return VTLMON_EXIT_VTL0_FAULT;
	case RUN_END_VTL1_FAULT: return VTLMON_EXIT_VTL1_FAULT;
	case RUN_END_LAUNCH_REFUSED: return VTLMON_EXIT_LAUNCH;
	case RUN_END_RESET_LIMIT: return VTLMON_EXIT_RESET_LIMIT;
	case RUN_END_NONE:
	case RUN_END_MONITOR_ERROR: return VTLMON_EXIT_MONITOR;
	}
	return VTLMON_EXIT_MONITOR;
}

static void machine_kick_all(struct machine *m)
{
	for (uint32_t i = 0; i < m->nr_pairs; i++)
		if (m->pairs[i].thread_started)
			pthread_kill(m->pairs[i].thread, VTLMON_KICK_SIGNAL);
}

void machine_end(struct machine *m, enum run_end why, int guest_code, const char *fmt, ...)
{
	int none = RUN_END_NONE;
	va_list ap;

	pthread_mutex_lock(&m->lock);
	if (atomic_compare_exchange_strong(&m->end, &none, (int)why)) {
		m->guest_code = guest_code;
		va_start(ap, fmt);
		vsnprintf(m->end_detail, sizeof(m->end_detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&m->lock);
	machine_kick_all(m);
}

static void kick_handler(int sig)
{
	/* Nothing to do: the signal exists to make KVM_RUN return -EINTR. */
	(void)sig;
}

static int machine_check_caps(struct machine *m)
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
static int machine_create_vm(struct machine *m, int vtl)
{
	long slots;
	int r;

	if (vm_create(&m->kvm, vtl, &m->vm[vtl]))
		return -1;
	/* Slot deletes must not zap the whole shadow MMU (KVM-HOST-NOTES: 15 ms re-fault). */
	r = vm_disable_quirks(&m->vm[vtl], KVM_X86_QUIRK_SLOT_ZAP_ALL);
	if (r)
		log_info("vtl%d: cannot disable SLOT_ZAP_ALL: %s", vtl, strerror(-r));
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
	if (ioctl(m->vm[0].fd, KVM_ENABLE_CAP,
		  &(struct kvm_enable_cap){.cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = {1}}) < 0) {
		log_err("KVM_CAP_EXCEPTION_PAYLOAD: %s", strerror(errno));
		return -1;
	}
	/* The cap reads 1 here, not a reason mask: enabling it is the real test. */
	m->msr_exits = kvm_check_cap(m->vm[0].fd, KVM_CAP_X86_MSR_FILTER) &&
		       kvm_check_cap(m->vm[0].fd, KVM_CAP_X86_USER_SPACE_MSR) &&
		       !pins_enable_msr_exits(&m->vm[0]);
	return 0;
}

static int machine_create_vms(struct machine *m)
{
	return machine_create_vm(m, 0) || machine_create_vm(m, 1) ? -1 : 0;
}

/*
 * A new vCPU has exactly KVM's power-on state: no pending event, no debug
 * state, no MSR or FPU state left by an earlier kernel. Per-pair flags that
 * describe the old vCPU go with it.
 */
static int machine_create_vcpu(struct machine *m, struct vcpu_pair *p, int vtl)
{
	struct vcpu *v = vtl ? &p->vtl1 : &p->vtl0;

	if (vcpu_create(&m->kvm, &m->vm[vtl], p->index, v) || vcpu_set_run_sigmask(v))
		return -1;
	/* Sync regs cost 0.27 us per exit (measured) and give CR state at every exit. */
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	if (!vtl) {
		p->call_status = 0;
		p->in_intercept = p->stepping = p->exception_queued = false;
		/* Its sync regs hold nothing until it runs: no check may read them before. */
		p->vtl0_fresh = true;
	}
	return 0;
}

static int machine_create_vcpus(struct machine *m, struct vcpu_pair *p)
{
	return machine_create_vcpu(m, p, 0) || machine_create_vcpu(m, p, 1) ? -1 : 0;
}

static int machine_create_pairs(struct machine *m)
{
	for (uint32_t i = 0; i < m->cfg.cpus; i++) {
		struct vcpu_pair *p = &m->pairs[i];

		memset(p, 0, sizeof(*p));
		p->m = m;
		p->index = i;
		p->vtl0.fd = p->vtl1.fd = -1;
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
	    .max_file_size = MACHINE_IMAGE_MAX,
	};
	const struct elf_dest dst = {
	    .base_gpa = ram->gpa_base,
	    .size = ram->size,
	    .hva = (uint8_t *)ram->hva.v,
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

static void machine_fill_boot_info(struct machine *m, int vtl, uint32_t vcpu_index)
{
	struct guest_ram *ram = vtl ? &m->vtl1_ram : &m->vtl0_ram;
	struct vtl_boot_info *bi =
	    guest_ram_ptr(ram, gpa(ram->gpa_base + VTL_BOOT_INFO), sizeof(*bi));

	memset(bi, 0, sizeof(*bi));
	bi->magic = VTL_BOOT_MAGIC;
	bi->abi_version = VTL_ABI_VERSION;
	bi->vtl = (uint32_t)vtl;
	bi->vcpu_index = vcpu_index;
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

static int machine_boot_vtl(struct machine *m, int vtl)
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
	machine_fill_boot_info(m, vtl, 0);
	return 0;
}

/*
 * The monitor compiles the policy too, with the same parser, only to report
 * errors as FILE:LINE:COL and to refuse a launch this host cannot honour
 * before anything runs. VTL1 parses its own copy and makes every decision.
 */
static int machine_check_policy(struct machine *m)
{
	struct policy pol;

	if (!m->cfg.policy) {
		m->cfg.policy = embedded_default_policy;
		m->cfg.policy_len = EMBEDDED_SIZE(embedded_default_policy);
		m->cfg.policy_name = "built-in:default.policy";
	}
	if (policy_sha256_hex(m->cfg.policy, m->cfg.policy_len, m->policy_sha256))
		return -1;
	if (policy_compile(m->cfg.policy_name, m->cfg.policy, m->cfg.policy_len, &pol, stderr)) {
		log_err("policy %s rejected (errors above)", m->cfg.policy_name);
		return -1;
	}
	m->reset_zero_vtl0 = pol.flags & POLICY_F_RESET_ZERO_MEM;
	m->max_resets = pol.max_resets;
	if ((pol.flags & POLICY_F_NEEDS_EXEC_PROTECT) && !(m->features & VTL_FEAT_PERM_NOEXEC)) {
		log_err("policy %s requires exec protection, which this host cannot enforce "
			"(upstream KVM has no non-executable pages; see `vtlmon caps`)",
			m->cfg.policy_name);
		return -1;
	}
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

static int machine_check_config(const struct machine_config *cfg)
{
	if (cfg->nr_modules > MACHINE_MAX_MODULES) {
		log_err("at most %d --module files", MACHINE_MAX_MODULES);
		return -1;
	}
	if (cfg->cpus < 1 || cfg->cpus > MACHINE_MAX_CPUS) {
		log_err("--cpus %u: only %d vCPU pair%s supported for now (SMP bring-up is not "
			"implemented yet)",
			cfg->cpus, MACHINE_MAX_CPUS, MACHINE_MAX_CPUS == 1 ? " is" : "s are");
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

/* Images, modules, policy and boot state: at launch and again after every reset. */
static int machine_load_guests(struct machine *m)
{
	snprintf(m->vtl0_image_name, sizeof(m->vtl0_image_name), "%s", m->cfg.vtl0_name);
	/* VTL0's image is loaded first so VTL1's boot info can describe it for protection. */
	if (machine_load_image(m, 0) || machine_load_modules(m) || machine_load_image(m, 1) ||
	    machine_place_policy(m))
		return VTLMON_EXIT_LAUNCH;
	if (machine_boot_vtl(m, 1) || machine_boot_vtl(m, 0))
		return VTLMON_EXIT_MONITOR;
	return 0;
}

static void machine_event_reset(struct machine *m, const char *trigger, const char *step)
{
	struct ev e;

	ev_begin(&e, &m->events, "reset");
	ev_str(&e, "trigger", trigger);
	ev_str(&e, "step", step);
	ev_u64(&e, "count", m->resets);
	ev_emit(&e);
}

/*
 * Every VTL0 restriction (slots, MSR filter, breakpoints) and every bit of
 * VTL0 vCPU state lives in VTL0's VM: destroying it drops it all, with no
 * piece that could be forgotten. VTL0's vCPUs are stopped: this thread runs
 * them, and there is one pair.
 */
static void machine_drop_vtl0(struct machine *m)
{
	for (uint32_t i = m->nr_pairs; i-- > 0;)
		vcpu_destroy(&m->pairs[i].vtl0);
	perm_destroy(&m->perm);
	vm_destroy(&m->vm[0]);
	memset(&m->pins, 0, sizeof(m->pins));
}

/* A new VTL0 VM and vCPUs over the same RAM, with no restriction and power-on state. */
static int machine_rebuild_vtl0(struct machine *m)
{
	machine_drop_vtl0(m);
	if (machine_create_vm(m, 0))
		return -1;
	for (uint32_t i = 0; i < m->nr_pairs; i++)
		if (machine_create_vcpu(m, &m->pairs[i], 0))
			return -1;
	return 0;
}

int machine_reset(struct machine *m, const char *trigger)
{
	m->resets++;
	machine_event_reset(m, trigger, "trigger");
	if (m->resets > m->max_resets) {
		machine_end(m, RUN_END_RESET_LIMIT, 0,
			    "reset %u (%s) exceeds the policy's maximum of %u", m->resets, trigger,
			    m->max_resets);
		return -1;
	}
	/* Like kexec, and VTL1's VM and RAM go too. */
	machine_drop_vtl0(m);
	m->kexec_staged = false;
	machine_event_reset(m, trigger, "drop_restrictions");
	for (uint32_t i = m->nr_pairs; i-- > 0;)
		vcpu_destroy(&m->pairs[i].vtl1);
	vm_destroy(&m->vm[1]);
	guest_ram_zero(&m->vtl1_ram);
	machine_event_reset(m, trigger, "scrub_vtl1");
	if (m->reset_zero_vtl0)
		guest_ram_zero(&m->vtl0_ram);
	machine_event_reset(m, trigger, m->reset_zero_vtl0 ? "zero_vtl0" : "keep_vtl0");
	if (machine_create_vms(m))
		goto fail;
	for (uint32_t i = 0; i < m->nr_pairs; i++) {
		struct vcpu_pair *p = &m->pairs[i];

		p->reset_trigger = NULL;
		if (machine_create_vcpus(m, p))
			goto fail;
	}
	if (machine_load_guests(m))
		goto fail;
	machine_event_reset(m, trigger, "reload");
	return 0;
fail:
	machine_end(m, RUN_END_MONITOR_ERROR, 0, "reset failed: cannot rebuild the machine");
	return -1;
}

uint32_t machine_kexec_commit(struct machine *m, struct vcpu_pair *p, const uint8_t digest[32])
{
	const struct elf_limits lim = {
	    .min_gpa = VTL_IMAGE_MIN_OFFSET,
	    .max_gpa = m->vtl0_ram.size,
	    .max_file_size = MACHINE_IMAGE_MAX,
	};
	const struct elf_dest dst = {0, m->vtl0_ram.size, (uint8_t *)m->vtl0_ram.hva.v};
	unsigned char got[crypto_hash_sha256_BYTES];
	struct elf_image img;
	uint32_t st = VTL_E_BAD_STATE;
	uint8_t *copy = NULL;
	const void *src;
	char msg[160];
	struct ev e;

	if (!m->kexec_staged)
		goto out;
	/* With VTL0's own rights, like every read the monitor makes for it. */
	src = perm_vtl0_ptr(&m->perm, m->kexec_gpa, m->kexec_size, VTL_PERM_R);
	copy = malloc(m->kexec_size);
	st = VTL_E_NO_RESOURCES;
	if (!src || !copy)
		goto out;
	/* One copy: what is measured is exactly what is loaded. */
	memcpy(copy, src, m->kexec_size);
	crypto_hash_sha256(got, copy, m->kexec_size);
	st = VTL_E_VERIFY;
	if (memcmp(got, digest, sizeof(got)))
		goto out;
	st = VTL_E_INVALID;
	if (elf_check(copy, m->kexec_size, &lim, &img, msg, sizeof(msg)) != ELF_OK)
		goto out;
	/*
	 * Point of no return. The old kernel's vCPU (parked in the MMIO exit of
	 * its KEXEC_EXEC call) and VM go: the new kernel gets a new VM and vCPU,
	 * so its first instruction runs with exactly the documented entry state
	 * and nothing of the old kernel's (control registers, pending events,
	 * MSRs, debug and FPU state) and none of its restrictions survive.
	 */
	if (machine_rebuild_vtl0(m) ||
	    elf_load(copy, m->kexec_size, &lim, &dst, &img, msg, sizeof(msg)) != ELF_OK) {
		machine_end(m, RUN_END_MONITOR_ERROR, 0,
			    "kexec failed after the point of no return");
		st = VTL_E_NO_RESOURCES;
		goto out;
	}
	m->vtl0_img = img;
	m->kexec_staged = false;
	snprintf(m->vtl0_image_name, sizeof(m->vtl0_image_name), "kexec@0x%llx",
		 (unsigned long long)m->kexec_gpa);
	if (machine_boot_vtl(m, 0)) {
		machine_end(m, RUN_END_MONITOR_ERROR, 0, "kexec: cannot reset VTL0's vCPU");
		st = VTL_E_NO_RESOURCES;
		goto out;
	}
	/* VTL1's boot info now describes the new kernel it is about to protect. */
	machine_fill_boot_info(m, 1, p->index);
	ev_begin(&e, &m->events, "kexec");
	ev_str(&e, "step", "exec");
	ev_hex(&e, "gpa", m->kexec_gpa);
	ev_u64(&e, "size", m->kexec_size);
	ev_hex(&e, "entry", img.entry);
	ev_emit(&e);
	st = VTL_OK;
out:
	free(copy);
	return st;
}

/*
 * The run's last event, whoever ended it: the guest, VTL1, the monitor, or
 * a launch refused before anything ran. Never rate-limited.
 */
static void machine_event_exit(struct machine *m, const char *reason, int status,
			       const char *detail)
{
	char summary[512];
	struct ev e;

	ev_begin(&e, &m->events, "exit");
	ev_str(&e, "reason", reason);
	if (atomic_load(&m->end) == RUN_END_SHUTDOWN)
		ev_i64(&e, "code", m->guest_code);
	ev_i64(&e, "status", status);
	ev_str(&e, "detail", detail);
	events_add_totals(&e, &m->events); /* what the rate limit kept out of the log */
	ev_emit(&e);
	events_flush(&m->events);
	if (events_summary(&m->events, summary, sizeof(summary)))
		fprintf(stderr, "vtlmon: %s\n", summary);
}

static int machine_setup(struct machine *m, const struct machine_config *cfg);

int machine_init(struct machine *m, const struct machine_config *cfg)
{
	char detail[sizeof(m->end_detail)];
	int status = machine_setup(m, cfg);

	if (!status)
		return 0;
	/* Refused by the monitor itself: the log still ends with an `exit` event. */
	log_last_error(detail, sizeof(detail));
	machine_event_exit(m,
			   status == VTLMON_EXIT_USAGE	  ? "usage"
			   : status == VTLMON_EXIT_LAUNCH ? "launch_refused"
							  : "monitor_error",
			   status, detail[0] ? detail : "the monitor refused the launch");
	return status;
}

static int machine_setup(struct machine *m, const struct machine_config *cfg)
{
	struct sigaction sa;

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->kvm.fd = m->vm[0].fd = m->vm[1].fd = -1;
	m->vtl0_ram.memfd = m->vtl1_ram.memfd = -1;
	m->t0 = clock_ns();
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	if (events_open(&m->events, cfg->events_path, m->t0))
		return VTLMON_EXIT_USAGE;
	if (machine_check_config(cfg))
		return VTLMON_EXIT_USAGE;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return -EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(VTLMON_KICK_SIGNAL, &sa, NULL))
		return VTLMON_EXIT_MONITOR;

	if (kvm_open(&m->kvm) || machine_check_caps(m))
		return VTLMON_EXIT_MONITOR;
	if (guest_ram_create(&m->vtl0_ram, "vtl0-ram", 0, cfg->vtl0_mem) ||
	    guest_ram_create(&m->vtl1_ram, "vtl1-private", VTL1_PRIV_GPA, cfg->vtl1_mem))
		return VTLMON_EXIT_MONITOR;
	if (machine_create_vms(m) || machine_create_pairs(m))
		return VTLMON_EXIT_MONITOR;
	m->features = caps_features(&m->kvm);
	if (machine_check_policy(m))
		return VTLMON_EXIT_LAUNCH;
	return machine_load_guests(m);
}

void machine_destroy(struct machine *m)
{
	for (uint32_t i = m->nr_pairs; i-- > 0;) {
		vcpu_destroy(&m->pairs[i].vtl1);
		vcpu_destroy(&m->pairs[i].vtl0);
	}
	m->nr_pairs = 0;
	vm_destroy(&m->vm[1]);
	perm_destroy(&m->perm);
	vm_destroy(&m->vm[0]);
	guest_ram_destroy(&m->vtl1_ram);
	guest_ram_destroy(&m->vtl0_ram);
	kvm_close(&m->kvm);
	events_close(&m->events);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
}

static void timespec_add_us(struct timespec *t, uint64_t us)
{
	t->tv_sec += (time_t)(us / 1000000);
	t->tv_nsec += (long)(us % 1000000) * 1000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* CR pins are only checked at exits: force one every watchdog period (detection bound). */
static uint32_t machine_watchdog_us(struct machine *m)
{
	if (!m->pins.cr[0].mask && !m->pins.cr[1].mask)
		return 0;
	return __atomic_load_n(&m->pins.watchdog_us, __ATOMIC_RELAXED);
}

static void machine_wait(struct machine *m)
{
	struct timespec deadline, now, wake;
	bool timed_out = false;

	clock_gettime(CLOCK_REALTIME, &deadline);
	timespec_add_us(&deadline, m->cfg.timeout_ms * 1000);
	pthread_mutex_lock(&m->lock);
	while (m->pairs_running) {
		uint32_t tick = timed_out || machine_ended(m) ? 0 : machine_watchdog_us(m);
		bool bounded = (m->cfg.timeout_ms && !timed_out) || tick;
		int r;

		clock_gettime(CLOCK_REALTIME, &now);
		wake = now;
		timespec_add_us(&wake, tick);
		if (!tick || (m->cfg.timeout_ms && !timed_out && timespec_before(&deadline, &wake)))
			wake = deadline;
		r = bounded ? pthread_cond_timedwait(&m->cond, &m->lock, &wake)
			    : pthread_cond_wait(&m->cond, &m->lock);
		if (r != ETIMEDOUT || !m->pairs_running)
			continue;
		clock_gettime(CLOCK_REALTIME, &now);
		pthread_mutex_unlock(&m->lock);
		if (m->cfg.timeout_ms && !timed_out && !timespec_before(&now, &deadline)) {
			timed_out = true;
			machine_end(m, RUN_END_TIMEOUT, 0, "no exit within %llu ms",
				    (unsigned long long)m->cfg.timeout_ms);
		} else {
			machine_kick_all(m);
		}
		pthread_mutex_lock(&m->lock);
	}
	pthread_mutex_unlock(&m->lock);
}

uint8_t machine_page_perms(struct machine *m, uint64_t gpa)
{
	return perm_effective(&m->perm, gpa);
}

int machine_run(struct machine *m)
{
	sigset_t kick, old;
	int status;

	/* Pair threads inherit the block: the kick is deliverable only inside KVM_RUN. */
	sigemptyset(&kick);
	sigaddset(&kick, VTLMON_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	for (uint32_t i = 0; i < m->nr_pairs; i++) {
		pthread_mutex_lock(&m->lock);
		m->pairs_running++;
		pthread_mutex_unlock(&m->lock);
		if (pthread_create(&m->pairs[i].thread, NULL, pair_thread, &m->pairs[i])) {
			pthread_mutex_lock(&m->lock);
			m->pairs_running--;
			pthread_mutex_unlock(&m->lock);
			machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot start vCPU thread");
			break;
		}
		m->pairs[i].thread_started = true;
	}
	machine_wait(m);
	for (uint32_t i = 0; i < m->nr_pairs; i++)
		if (m->pairs[i].thread_started)
			pthread_join(m->pairs[i].thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	status = machine_exit_status(m);
	machine_event_exit(m, run_end_name((enum run_end)atomic_load(&m->end)), status,
			   m->end_detail);
	if (atomic_load(&m->end) != RUN_END_SHUTDOWN)
		log_err("run ended: %s: %s", run_end_name((enum run_end)atomic_load(&m->end)),
			m->end_detail);
	return status;
}
