/* SMP: the exit lock every pair holds while it handles an exit, quiesce, and secondary start. */
#include "monitor/vm/smp.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "monitor/base/log.h"
#include "monitor/x86/boot.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/* How long a thread waiting for the exit lock spins before it parks (about two VTL calls). */
#define SMP_SPIN_NS 50000ULL

/* A quiesce that still waits after this long kicks again. */
#define SMP_REKICK_NS 2000000L

/* Under m->lock: wait on the SMP condition, counted as parked (touching nothing shared). */
static void smp_park(struct machine *m)
{
	m->parked++;
	pthread_cond_broadcast(&m->smp_cond); /* a quiesce may be counting */
	pthread_cond_wait(&m->smp_cond, &m->lock);
	m->parked--;
}

/*
 * Under m->lock (dropped while it spins): take the exit lock, in arrival
 * order (a ticket lock): a vCPU that exits often cannot starve one that
 * waits, however the host schedules the threads. With a host core per
 * vCPU it first spins for up to SMP_SPIN_NS, since the holder usually lets
 * go within one VTL call; parking costs a futex wake-up and a reschedule
 * per hand-off. A spinning thread is not parked: a quiesce waits for it
 * at most that long.
 */
static void smp_acquire(struct vcpu_pair *p)
{
	struct machine *m = p->m;
	uint64_t ticket = m->exit_next_ticket++;

	if (m->exit_serving != ticket && m->smp_spin) {
		uint64_t t0 = clock_ns();

		pthread_mutex_unlock(&m->lock);
		while (__atomic_load_n(&m->exit_serving, __ATOMIC_ACQUIRE) != ticket &&
		       clock_ns() - t0 < SMP_SPIN_NS)
			__asm__ volatile("pause" ::: "memory");
		pthread_mutex_lock(&m->lock);
	}
	while (m->exit_serving != ticket)
		smp_park(m);
	m->exit_owner = p;
}

/* Under m->lock: give the exit lock back (if held) and wake whoever waits for it. */
static void smp_release(struct vcpu_pair *p)
{
	struct machine *m = p->m;

	p->quiesced = false;
	if (m->exit_owner != p)
		return;
	m->exit_owner = NULL;
	__atomic_store_n(&m->exit_serving, m->exit_serving + 1, __ATOMIC_RELEASE);
	if (m->parked)
		pthread_cond_broadcast(&m->smp_cond);
}

bool smp_exit_begin(struct vcpu_pair *p, uint64_t gen)
{
	struct machine *m = p->m;

	if (!m->smp)
		return true;
	pthread_mutex_lock(&m->lock);
	smp_acquire(p);
	pthread_mutex_unlock(&m->lock);
	return p->vcpu_gen == gen;
}

void smp_exit_end(struct vcpu_pair *p)
{
	struct machine *m = p->m;

	if (!m->smp)
		return;
	pthread_mutex_lock(&m->lock);
	smp_release(p);
	pthread_mutex_unlock(&m->lock);
}

void smp_quiesce(struct vcpu_pair *p)
{
	struct machine *m = p->m;

	if (!m->smp || p->quiesced)
		return;
	p->quiesced = true;
	machine_kick_others(m, p);
	pthread_mutex_lock(&m->lock);
	/*
	 * Every other running pair thread ends up waiting for the exit lock or
	 * to be started. A thread whose pthread_t was not published yet when
	 * the kick went out is kicked again.
	 */
	while (m->parked + 1 < m->pairs_running) {
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += SMP_REKICK_NS;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&m->smp_cond, &m->lock, &t) == ETIMEDOUT)
			machine_kick_others(m, p);
	}
	pthread_mutex_unlock(&m->lock);
}

bool smp_wait_started(struct vcpu_pair *p)
{
	struct machine *m = p->m;
	bool ok;

	pthread_mutex_lock(&m->lock);
	smp_release(p);
	while (!p->started && !machine_ended(m))
		smp_park(m);
	smp_acquire(p);
	ok = !machine_ended(m);
	pthread_mutex_unlock(&m->lock);
	return ok;
}

static bool smp_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static void smp_event_cpu_start(struct vcpu_pair *p, const struct vtl_cpu_start *s, uint32_t st)
{
	struct ev e;

	ev_begin(&e, &p->m->events, "cpu_start");
	ev_u64(&e, "vcpu", p->index);
	ev_u64(&e, "cpu", s->cpu);
	ev_hex(&e, "rip", s->rip);
	ev_hex(&e, "rsp", s->rsp);
	ev_str(&e, "result", vtl_strerror(st));
	ev_emit(&e);
}

uint32_t smp_cpu_start(struct vcpu_pair *p, uint64_t block_gpa, uint32_t len)
{
	struct machine *m = p->m;
	const struct boot_area area = {.vtl = 0, .ram = &m->vtl0_ram, .va_base = 0};
	struct vtl_cpu_start s;
	struct boot_start start;
	struct vcpu_pair *t;
	uint32_t st;

	memset(&s, 0, sizeof(s));
	if (len != 8 || block_gpa % 8) {
		st = VTL_E_INVALID;
		goto out;
	}
	/* Read once, with VTL0's own rights: every decision below is on this copy. */
	if (perm_vtl0_read(&m->perm, block_gpa, &s, sizeof(s))) {
		st = VTL_E_BAD_ADDRESS;
		goto out;
	}
	st = VTL_E_INVALID;
	if (!s.cpu || s.cpu >= m->nr_pairs || s.reserved || !smp_canonical(s.rip) ||
	    !smp_canonical(s.rsp))
		goto out;
	t = &m->pairs[s.cpu];
	/* Linux starts its CPUs by INIT/SIPI, which KVM's LAPIC handles. */
	st = VTL_E_BAD_STATE;
	if (m->cfg.kernel || t->started)
		goto out;
	start = (struct boot_start){.rip = s.rip, .rsp = s.rsp, .rdi = s.arg};
	/* Its thread is parked until `started`: this thread may program the vCPU. */
	st = VTL_E_NO_RESOURCES;
	if (boot_vcpu_at(&area, &t->vtl0, &start))
		goto out;
	/* Its first instruction runs in the monitor's entry state: every CR pin holds at once. */
	t->cr_armed[0] = t->cr_armed[1] = true;
	pthread_mutex_lock(&m->lock);
	t->started = true;
	pthread_cond_broadcast(&m->smp_cond);
	pthread_mutex_unlock(&m->lock);
	st = VTL_OK;
out:
	smp_event_cpu_start(p, &s, st);
	return st;
}

void smp_after_rebuild(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	for (uint32_t i = 0; i < m->nr_pairs; i++)
		m->pairs[i].started = smp_starts_at_power_on(m, i);
	pthread_mutex_unlock(&m->lock);
}

void smp_thread_exit(struct vcpu_pair *p)
{
	struct machine *m = p->m;

	pthread_mutex_lock(&m->lock);
	smp_release(p);
	m->pairs_running--;
	pthread_cond_broadcast(&m->cond);
	pthread_cond_broadcast(&m->smp_cond);
	pthread_mutex_unlock(&m->lock);
}
