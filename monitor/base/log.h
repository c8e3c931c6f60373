/* Monitor diagnostics: errors for the operator, rate-limited debug for guest misbehaviour. */
#ifndef MONITOR_LOG_H
#define MONITOR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern int log_verbose; /* set once by main() before any thread starts */

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The text of the last log_err() (empty if none): a refused launch's `exit` event names it. */
void log_last_error(char *buf, size_t len);
/* Forgets the last error: a step that reports its own failure by log_last_error starts clean. */
void log_last_error_clear(void);

/*
 * Guest misbehaviour is never logged at error level: a hostile guest could
 * flood the operator's terminal. It is debug output, at most `burst`
 * messages per second per call site.
 */
struct log_ratelimit {
	uint64_t window_start_ns;
	uint32_t count;
	uint32_t suppressed;
};
void log_guest(struct log_ratelimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The same limit, shown by default (also without -v): what the operator must
 * see, a violation say, but whose number a guest decides.
 */
void log_guest_notice(struct log_ratelimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * For a guest-caused line that is costly to compose (a violation's, with its
 * instruction decoded): whether a log_guest_notice() line from this call
 * site would print now, counted as printed or suppressed the same way. When
 * it says yes, the caller composes the line and prints it with log_notice();
 * when no, it composes nothing.
 */
bool log_guest_notice_due(struct log_ratelimit *rl);
/* A line at notice level, unconditionally: only after log_guest_notice_due() said yes. */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define LOG_GUEST(...)                                                                             \
	do {                                                                                       \
		static __thread struct log_ratelimit rl_;                                          \
		log_guest(&rl_, __VA_ARGS__);                                                      \
	} while (0)

/* CLOCK_MONOTONIC in ns: every deadline and event `t` (a wall-clock step moves none). */
uint64_t clock_ns(void);
/* CLOCK_REALTIME in ns: only to anchor a run's `t` = 0 to the calendar (the `start` event). */
uint64_t wall_clock_ns(void);

#endif
