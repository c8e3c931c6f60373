/* The --events log: JSON Lines, one object per event, each with "t" (ns since start) and "type". */
#ifndef MONITOR_EVENTS_H
#define MONITOR_EVENTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct events {
	FILE *f; /* NULL: events are off and every ev_* call is a cheap no-op */
	pthread_mutex_t lock;
	uint64_t t0;
};

int events_open(struct events *evs, const char *path, uint64_t t0);
void events_close(struct events *evs);

/* One event under construction, on the caller's stack. Values are escaped. */
#define EV_LINE_MAX 2048
struct ev {
	struct events *evs;
	size_t n;
	bool overflow;
	char buf[EV_LINE_MAX];
};

void ev_begin(struct ev *e, struct events *evs, const char *type);
void ev_str(struct ev *e, const char *key, const char *val);
void ev_strn(struct ev *e, const char *key, const char *val, size_t len);
void ev_u64(struct ev *e, const char *key, uint64_t v);
void ev_i64(struct ev *e, const char *key, int64_t v);
void ev_hex(struct ev *e, const char *key, uint64_t v);
void ev_bool(struct ev *e, const char *key, bool v);
/* Closes the object and appends it as one line (atomic with respect to other threads). */
void ev_emit(struct ev *e);

/* JSON string escaping of arbitrary (guest) bytes; pure, used by ev_strn and the tests. */
size_t json_escape(char *dst, size_t cap, const char *src, size_t len);

#endif
