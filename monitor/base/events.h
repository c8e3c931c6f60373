/* The --events log: JSON Lines, one object per event, each with "t" (ns since start) and "type". */
#ifndef MONITOR_EVENTS_H
#define MONITOR_EVENTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The event types a guest can produce at will, each with its own token
 * bucket: a hostile guest must not be able to fill the host's disk, nor
 * drown its own later violations and the final `exit` event. Types not
 * listed here (boot, reset, kexec, exit, ...) are bounded by the run itself
 * and are never limited.
 */
enum ev_limited {
	EV_L_VIOLATION,
	EV_L_UNMAPPED_ACCESS,
	EV_L_CONSOLE,
	EV_L_UCALL,
	EV_L_LOG,
	EV_L_VTL_CALL,
	EV_L_PROTECT,
	EV_L_PIN,
	EV_L_CPU_START,
	EV_NR_LIMITED,
};

/* Defaults: a boot's worth of events passes whole, a sustained flood is cut to 100/s/type. */
#define EV_DEFAULT_BURST 1000
#define EV_DEFAULT_RATE	 100 /* tokens per second */
/* Larger values are clamped: keeps the bucket arithmetic inside 64 bits. */
#define EV_LIMIT_MAX 1000000000ULL

/* One token bucket. Pure state: ev_bucket_take() is the whole algorithm. */
struct ev_bucket {
	bool started;
	uint64_t tokens;
	uint64_t last_ns; /* the refill time the current tokens are accounted up to */
};

/*
 * Takes one token at time `now` (CLOCK_MONOTONIC ns), refilling `per_s`
 * tokens a second up to `burst` first. The first call starts the bucket
 * full. False: the bucket is empty and the event must be suppressed.
 */
bool ev_bucket_take(struct ev_bucket *b, uint64_t burst, uint64_t per_s, uint64_t now);

struct events {
	FILE *f;	      /* NULL: events are off and every ev_* call is a cheap no-op */
	pthread_mutex_t lock; /* the file, the buckets and the counters */
	uint64_t t0;
	/* Rate limit of every type in enum ev_limited; burst 0: no limit. */
	uint64_t burst;
	uint64_t per_s;
	uint64_t (*clock)(void); /* the buckets' clock: clock_ns (tests inject their own) */
	struct ev_bucket bucket[EV_NR_LIMITED];
	uint64_t emitted[EV_NR_LIMITED];
	uint64_t suppressed[EV_NR_LIMITED];
	int write_errno; /* the first failed write; from then on nothing more is written */
};

/* Opens the log with the default limits (EV_DEFAULT_BURST, EV_DEFAULT_RATE). */
int events_open(struct events *evs, const char *path, uint64_t t0);
void events_close(struct events *evs);
/* Sets the limits (clamped to EV_LIMIT_MAX) and refills every bucket. burst 0: no limit. */
void events_set_limits(struct events *evs, uint64_t burst, uint64_t per_s);
/* Flushes the file; a failure is recorded like a failed write. 0 or -1. */
int events_flush(struct events *evs);
/*
 * True once a write, flush or close of the log failed (write_errno says
 * why): the audit trail is incomplete and the guest must not go on unaudited.
 */
bool events_failed(const struct events *evs);

/* The event type name of a limited type ("violation", ...), or NULL. */
const char *events_limited_name(unsigned int idx);
/* Its index in enum ev_limited, or -1 when the type is never limited. */
int events_limited_index(const char *type);

/* One event under construction, on the caller's stack. Values are escaped. */
#define EV_LINE_MAX 2048
struct ev {
	struct events *evs;
	size_t n;
	bool overflow;
	bool suppressed; /* the type's bucket was empty: every call is a no-op */
	int limited;	 /* index in enum ev_limited, or -1 */
	char buf[EV_LINE_MAX];
};

/* Starts an event; a limited type whose bucket is empty is counted and suppressed. */
void ev_begin(struct ev *e, struct events *evs, const char *type);
/*
 * Whether the event begun in *e will be written: false when events are off
 * or its type's rate limit suppressed it. A field that is costly to compute
 * (a violation's instruction text) is computed only when this says true.
 */
bool ev_wanted(const struct ev *e);
/*
 * Starts an event that is never suppressed, for one of a limited type that
 * a guest can cause only a bounded number of times: a violation that ends
 * or resets the run must be in the log even after a flood of denied ones.
 * It takes a token when there is one, so it is counted like any other.
 */
void ev_begin_always(struct ev *e, struct events *evs, const char *type);
void ev_str(struct ev *e, const char *key, const char *val);
void ev_strn(struct ev *e, const char *key, const char *val, size_t len);
void ev_u64(struct ev *e, const char *key, uint64_t v);
void ev_i64(struct ev *e, const char *key, int64_t v);
void ev_hex(struct ev *e, const char *key, uint64_t v);
void ev_bool(struct ev *e, const char *key, bool v);
/* Closes the object and appends it as one line (atomic with respect to other threads). */
void ev_emit(struct ev *e);

/*
 * Adds "suppressed": {type: count, ...} to an event, with only the types
 * that lost events ({} when none): what the log does not show.
 */
void events_add_totals(struct ev *e, struct events *evs);
/*
 * A one-line summary for the operator, without newline: "events suppressed
 * by rate limit: violation 98990, unmapped_access 12". Returns false (and
 * an empty buf) when nothing was suppressed.
 */
bool events_summary(struct events *evs, char *buf, size_t cap);

/* JSON string escaping of arbitrary (guest) bytes; pure, used by ev_strn and the tests. */
size_t json_escape(char *dst, size_t cap, const char *src, size_t len);
/* A C string as a quoted, escaped JSON string on f (the --json outputs of the commands). */
void json_put_str(FILE *f, const char *s);

#endif
