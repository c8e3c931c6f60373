/* Monitor diagnostics: stderr output with a per-site rate limit for guest-caused messages. */
#include "monitor/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int log_verbose;

uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void log_v(const char *level, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "vtlmon: %s%s\n", level, buf);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("error: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

#define LOG_GUEST_BURST 10

void log_guest(struct log_ratelimit *rl, const char *fmt, ...)
{
	uint64_t now;
	va_list ap;

	if (log_verbose < 2)
		return;
	now = clock_ns();
	if (now - rl->window_start_ns > 1000000000ULL) {
		if (rl->suppressed)
			fprintf(stderr, "vtlmon: debug: %u guest messages suppressed\n",
				rl->suppressed);
		rl->window_start_ns = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= LOG_GUEST_BURST) {
		rl->suppressed++;
		return;
	}
	rl->count++;
	va_start(ap, fmt);
	log_v("debug: guest: ", fmt, ap);
	va_end(ap);
}
