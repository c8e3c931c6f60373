/* Guest ABI of the CR-latency bench guest (vtl0/tests/cr_latency.c): its module 0 and checkpoints.
 */
#ifndef VTL_BENCH_H
#define VTL_BENCH_H

#include <stdint.h>

/*
 * `vtlmon bench` and its test hand the guest its parameters as module 0,
 * little-endian, in this layout; without a module the guest runs a short
 * default.
 */
#define CRL_MAGIC   0x314d4c5243ULL /* "CRLM1" */
#define CRL_WINDOWS 4U

struct crl_module {
	uint64_t magic;
	uint32_t samples;    /* latency samples: clear, spin until the monitor restores WP */
	uint32_t nr_windows; /* transient phases that follow */
	struct {
		uint32_t spin;	 /* dec/jnz iterations between the clear and the set */
		uint32_t cycles; /* clear, spin, set, spin; this many times */
	} window[CRL_WINDOWS];
};
_Static_assert(sizeof(struct crl_module) == 48, "crl_module is 48 bytes");

/* Checkpoint steps; the host pairs them with the `violation` events that follow. */
#define CRL_CP_SAMPLE	    1 /* val: sample index; t0 of one sample */
#define CRL_CP_SAMPLES_DONE 2 /* val: #GPs seen (one per detected sample) */
#define CRL_CP_WINDOW_BEGIN 3 /* val: window index */
#define CRL_CP_WINDOW_END   4 /* val: #GPs seen during the window */

#endif
