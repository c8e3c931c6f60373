/* Guest ABI of the bench guests (vtl0/tests/bench.c, vtl0/tests/cr_latency.c): their module 0,
 * bench ids and checkpoints. */
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

/*
 * The PROTECT figure of `vtlmon bench` (vtl0/tests/bench.c). With this as
 * module 0 the bench guest, after its exit and call loops, builds `ranges`
 * single-page ranges from range_base (alternately read-only and no-access,
 * so that each is its own entry in VTL1's and the monitor's maps) and a
 * no-access page 2 MiB above their end (which bounds a 2 MiB read-write
 * region), then times `pairs` PROTECT (r--) + un-PROTECT (rwx) pairs of one
 * page for each BPR_ID_* placement. Without the module it runs only the
 * exit and call loops.
 */
#define BPR_MAGIC 0x31525042ULL /* "BPR1" */

struct bpr_module {
	uint64_t magic;
	uint32_t ranges; /* the existing ranges, 1..BPR_MAX_RANGES */
	uint32_t pairs;	 /* PROTECT + un-PROTECT pairs per placement */
	uint64_t range_base;
};
_Static_assert(sizeof(struct bpr_module) == 24, "bpr_module is 24 bytes");

#define BPR_MAX_RANGES 65536U
/* Below every range and the image: unused RAM between the boot stack and the image. */
#define BPR_PAGE_BELOW 0x90000ULL

/* Bench ids (GUEST_BENCH_BEGIN/END): where the timed page lies. */
#define BENCH_ID_EXIT	    1 /* the baseline: one MMIO write exit, no VTL switch */
#define BENCH_ID_NOPCALL    2
#define BPR_ID_ABOVE	    3 /* the last page of RAM: above every range, in the largest RW region */
#define BPR_ID_BELOW	    4 /* BPR_PAGE_BELOW: below every range */
#define BPR_ID_SMALL_REGION 5 /* the middle of the 2 MiB RW region above the ranges */
#define BPR_IDS		    6
/*
 * With --cpus N > 1 the bench guest also times BENCH_N NOP calls on every
 * vCPU at once (iterations: N x BENCH_N calls in all), after its other loops.
 */
#define BENCH_ID_SMPCALL 6

#endif
