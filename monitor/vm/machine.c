/* The machine's shared state: how the run ends, its exit status, and the kick that ends it. */
#include "monitor/vm/machine.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "monitor/base/exitcodes.h"

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
	case RUN_END_AUDIT: return "audit_failed";
	case RUN_END_SIGNAL: return "signal";
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
	case RUN_END_AUDIT: return VTLMON_EXIT_AUDIT;
	case RUN_END_SIGNAL: return VTLMON_EXIT_SIGNAL_BASE + m->end_signal;
	case RUN_END_NONE:
	case RUN_END_MONITOR_ERROR: return VTLMON_EXIT_MONITOR;
	}
	return VTLMON_EXIT_MONITOR;
}

void machine_kick_others(struct machine *m, const struct vcpu_pair *skip)
{
	for (uint32_t i = 0; i < m->nr_pairs; i++)
		if (&m->pairs[i] != skip &&
		    __atomic_load_n(&m->pairs[i].thread_started, __ATOMIC_ACQUIRE))
			pthread_kill(m->pairs[i].thread, VTLMON_KICK_SIGNAL);
}

void machine_kick_all(struct machine *m)
{
	machine_kick_others(m, NULL);
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
	/* Threads parked for the exit lock or a start see the end (smp.h). */
	pthread_cond_broadcast(&m->smp_cond);
	pthread_mutex_unlock(&m->lock);
	machine_kick_all(m);
}

uint8_t machine_page_perms(struct machine *m, uint64_t gpa)
{
	return perm_effective(&m->perm, gpa);
}

void machine_check_audit(struct machine *m)
{
	if (events_failed(&m->events) && !machine_ended(m))
		machine_end(m, RUN_END_AUDIT, 0, "the events log could not be written: %s",
			    strerror(__atomic_load_n(&m->events.write_errno, __ATOMIC_RELAXED)));
}
