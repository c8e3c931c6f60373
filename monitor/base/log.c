/* Monitor diagnostics: stderr output with a per-site rate limit for guest-caused messages. */
#include "monitor/base/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int log_verbose;

uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t wall_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static pthread_mutex_t log_last_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_last[512];

static void log_v(const char *level, const char *fmt, va_list ap, bool keep)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "vtlmon: %s%s\n", level, buf);
	if (!keep)
		return;
	pthread_mutex_lock(&log_last_lock);
	memcpy(log_last, buf, sizeof(log_last));
	pthread_mutex_unlock(&log_last_lock);
}

void log_last_error(char *buf, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&log_last_lock);
	snprintf(buf, len, "%s", log_last);
	pthread_mutex_unlock(&log_last_lock);
}

void log_last_error_clear(void)
{
	pthread_mutex_lock(&log_last_lock);
	log_last[0] = '\0';
	pthread_mutex_unlock(&log_last_lock);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("error: ", fmt, ap, true);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("warning: ", fmt, ap, false);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_v("", fmt, ap, false);
	va_end(ap);
}

#define LOG_GUEST_BURST 10

/*
 * At most LOG_GUEST_BURST lines per second per call site, then one count of
 * the rest: true when this line may print (it is counted either way).
 */
static bool log_limit_pass(struct log_ratelimit *rl, const char *level)
{
	uint64_t now = clock_ns();

	if (now - rl->window_start_ns > 1000000000ULL) {
		if (rl->suppressed)
			fprintf(stderr, "vtlmon: %s%u more suppressed (rate limit)\n", level,
				rl->suppressed);
		rl->window_start_ns = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= LOG_GUEST_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->count++;
	return true;
}

static void log_limited(struct log_ratelimit *rl, const char *level, const char *fmt, va_list ap)
{
	if (log_limit_pass(rl, level))
		log_v(level, fmt, ap, false);
}

bool log_guest_notice_due(struct log_ratelimit *rl)
{
	return log_limit_pass(rl, "");
}

void log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("", fmt, ap, false);
	va_end(ap);
}

void log_guest(struct log_ratelimit *rl, const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	log_limited(rl, "debug: guest: ", fmt, ap);
	va_end(ap);
}

void log_guest_notice(struct log_ratelimit *rl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_limited(rl, "", fmt, ap);
	va_end(ap);
}
