/* Reset and kexec: rebuilding VTL0 (and for a reset VTL1) so that nothing of the old state
 * survives. */
#include "monitor/vm/lifecycle.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/log.h"
#include "monitor/base/limits.h"
#include "monitor/vm/build.h"
#include "monitor/vm/smp.h"
#include "monitor/x86/linux_boot.h"
#include "vtl_layout.h"

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
 * piece that could be forgotten. VTL0's vCPUs are stopped: the pair that
 * asked for the rebuild holds the exit lock and has quiesced the others
 * (smp.h), so no thread is inside KVM_RUN.
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
	char detail[sizeof(m->end_detail)];

	log_last_error_clear();
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
	/* The exit event says why when the rebuild logged it (a --kernel that changed, ...). */
	log_last_error(detail, sizeof(detail));
	machine_end(m, RUN_END_MONITOR_ERROR, 0, "reset failed: %s",
		    detail[0] ? detail : "cannot rebuild the machine");
	return -1;
}

static struct elf_limits machine_kexec_limits(const struct machine *m)
{
	return (struct elf_limits){
	    .min_gpa = VTL_IMAGE_MIN_OFFSET,
	    .max_gpa = m->vtl0_ram.size,
	    .max_file_size = VTLMON_IMAGE_MAX,
	};
}

int machine_kexec_check(struct machine *m, const void *img, size_t len, char *why, size_t whylen)
{
	const struct elf_limits lim = machine_kexec_limits(m);
	struct elf_image info;
	enum elf_err err;

	why[0] = 0;
	if (m->cfg.kernel) {
		const struct linux_source src = {
		    .kernel = img, .len = len, .name = "kexec image", .kexec = true};

		return machine_check_linux(m, &src, why, whylen);
	}
	err = elf_check(img, len, &lim, &info, why, whylen);
	if (err == ELF_OK)
		return 0;
	if (!why[0])
		snprintf(why, whylen, "%s", elf_strerror(err));
	return -1;
}

/* The new kernel into VTL0's new VM: an own-ABI ELF image, or Linux by its boot protocol. */
static int machine_kexec_load(struct machine *m, const uint8_t *copy, size_t len)
{
	const struct elf_limits lim = machine_kexec_limits(m);
	const struct elf_dest dst = {0, m->vtl0_ram.size, (uint8_t *)m->vtl0_ram.hva.v, false};
	char name[64], msg[160];
	struct elf_image img;

	snprintf(name, sizeof(name), "kexec@0x%llx", (unsigned long long)m->kexec_gpa);
	if (m->cfg.kernel) {
		const struct linux_source src = {
		    .kernel = copy, .len = len, .name = name, .kexec = true};

		return machine_load_linux(m, &src) ||
			       linux_boot_vcpu(&m->vtl0_ram, &m->pairs[0].vtl0, m->linux_entry)
			   ? -1
			   : 0;
	}
	if (elf_load(copy, len, &lim, &dst, &img, msg, sizeof(msg)) != ELF_OK)
		return -1;
	m->vtl0_img = img;
	snprintf(m->vtl0_image_name, sizeof(m->vtl0_image_name), "%s", name);
	return machine_boot_vtl(m, 0);
}

uint32_t machine_kexec_commit(struct machine *m, struct vcpu_pair *p, const uint8_t digest[32])
{
	unsigned char got[crypto_hash_sha256_BYTES];
	uint32_t st = VTL_E_BAD_STATE;
	uint8_t *copy = NULL;
	const void *src;
	char msg[256];
	struct ev e;

	if (!m->kexec_staged)
		goto out;
	/* Every VTL0 vCPU stops before the old kernel's memory is read for the last time. */
	smp_quiesce(p);
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
	if (machine_kexec_check(m, copy, m->kexec_size, msg, sizeof(msg)))
		goto out;
	/*
	 * Point of no return. The old kernel's vCPU (parked in the MMIO exit of
	 * its KEXEC_EXEC call) and VM go: the new kernel gets a new VM and vCPU
	 * (on the Linux platform a new irqchip too, so no timer or pending
	 * interrupt of the old kernel's survives), so its first instruction runs
	 * with exactly the documented entry state and nothing of the old
	 * kernel's (control registers, pending events, MSRs, debug and FPU
	 * state) and none of its restrictions survive. Everything that could
	 * refuse the image was checked above on this same copy.
	 */
	if (machine_request_rebuild(m, MACHINE_REBUILD_VTL0, "kexec") ||
	    machine_kexec_load(m, copy, m->kexec_size)) {
		machine_end(m, RUN_END_MONITOR_ERROR, 0,
			    "kexec failed after the point of no return");
		st = VTL_E_NO_RESOURCES;
		goto out;
	}
	m->kexec_staged = false;
	/* VTL1's boot info now describes the new kernel it is about to protect. */
	machine_fill_boot_info(m, 1);
	ev_begin(&e, &m->events, "kexec");
	ev_str(&e, "step", "exec");
	ev_hex(&e, "gpa", m->kexec_gpa);
	ev_u64(&e, "size", m->kexec_size);
	ev_hex(&e, "entry", m->vtl0_img.entry);
	ev_emit(&e);
	st = VTL_OK;
out:
	free(copy);
	return st;
}

int machine_request_rebuild(struct machine *m, enum machine_rebuild what, const char *trigger)
{
	int r;

	pthread_mutex_lock(&m->lock);
	m->rebuild = what;
	m->rebuild_trigger = trigger;
	pthread_cond_broadcast(&m->cond);
	while (m->rebuild != MACHINE_REBUILD_NONE)
		pthread_cond_wait(&m->cond, &m->lock);
	r = m->rebuild_result;
	pthread_mutex_unlock(&m->lock);
	return r;
}

void machine_do_rebuild(struct machine *m)
{
	int r = m->rebuild == MACHINE_REBUILD_RESET ? machine_reset(m, m->rebuild_trigger)
						    : machine_rebuild_vtl0(m);

	/* As at power-on: vCPU 0 runs, own-ABI secondaries wait for CPU_START. */
	if (!r)
		smp_after_rebuild(m);

	pthread_mutex_lock(&m->lock);
	m->rebuild_result = r;
	m->rebuild = MACHINE_REBUILD_NONE;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}
