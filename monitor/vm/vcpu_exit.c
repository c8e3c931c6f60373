/* Runs one vCPU of a pair to its next exit, decoded; kicks come back as VEXIT_INTR. */
#include "monitor/vm/vcpu_exit.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static void pair_consume_kick(void)
{
	static const struct timespec zero;
	sigset_t set;

	/* The kick stays pending (blocked outside KVM_RUN) until taken here. */
	sigemptyset(&set);
	sigaddset(&set, VTLMON_KICK_SIGNAL);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

/* Returns the decoded exit, or VEXIT_INTR after a kick. A KVM_RUN failure ends the run. */
int vcpu_exit_next(struct vcpu_pair *p, struct vcpu *v, struct vexit *x)
{
	int r = __vcpu_run(v);

	if (r && r != -EINTR && r != -EAGAIN) {
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "KVM_RUN vtl%d/%u: %s", v->vtl,
			    v->index, strerror(-r));
		return -1;
	}
	exit_decode(v->run, v->run_size, -r, x);
	if (x->kind == VEXIT_INTR)
		pair_consume_kick();
	return 0;
}
