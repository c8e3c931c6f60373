/* The --events log: JSON Lines, one object per event, each with "t" (ns since start) and "type". */
#include "monitor/base/events.h"

#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <string.h>

#include "monitor/base/file.h"
#include "monitor/base/log.h"

static const char *const limited_names[EV_NR_LIMITED] = {
    [EV_L_VIOLATION] = "violation",
    [EV_L_UNMAPPED_ACCESS] = "unmapped_access",
    [EV_L_CONSOLE] = "console",
    [EV_L_UCALL] = "ucall",
    [EV_L_LOG] = "log",
    [EV_L_VTL_CALL] = "vtl_call",
    [EV_L_PROTECT] = "protect",
    [EV_L_PIN] = "pin",
    [EV_L_CPU_START] = "cpu_start",
};

const char *events_limited_name(unsigned int idx)
{
	return idx < EV_NR_LIMITED ? limited_names[idx] : NULL;
}

int events_limited_index(const char *type)
{
	for (int i = 0; i < EV_NR_LIMITED; i++)
		if (!strcmp(type, limited_names[i]))
			return i;
	return -1;
}

#define NS_PER_S 1000000000ULL

bool ev_bucket_take(struct ev_bucket *b, uint64_t burst, uint64_t per_s, uint64_t now)
{
	if (!b->started) {
		b->started = true;
		b->tokens = burst;
		b->last_ns = now;
	}
	if (per_s && now > b->last_ns) {
		uint64_t dt = now - b->last_ns, add;

		/* Past the time a refill from empty takes, the bucket is full (and no overflow). */
		if (dt / NS_PER_S > burst / per_s) {
			add = burst;
		} else {
			/* floor(dt * per_s / 1e9) in two parts: each fits 64 bits for limits <=
			 * 1e9. */
			add = dt / NS_PER_S * per_s + dt % NS_PER_S * per_s / NS_PER_S;
		}
		if (add >= burst - b->tokens) {
			/* Full: time spent full earns nothing, so restart the accounting now. */
			b->tokens = burst;
			b->last_ns = now;
		} else if (add) {
			b->tokens += add;
			/* Only the time these tokens took: the fraction of the next one is kept. */
			b->last_ns += add * NS_PER_S / per_s;
		}
	}
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}

void events_set_limits(struct events *evs, uint64_t burst, uint64_t per_s)
{
	pthread_mutex_lock(&evs->lock);
	evs->burst = burst < EV_LIMIT_MAX ? burst : EV_LIMIT_MAX;
	evs->per_s = per_s < EV_LIMIT_MAX ? per_s : EV_LIMIT_MAX;
	memset(evs->bucket, 0, sizeof(evs->bucket));
	pthread_mutex_unlock(&evs->lock);
}

int events_open(struct events *evs, const char *path, uint64_t t0)
{
	memset(evs, 0, sizeof(*evs));
	evs->t0 = t0;
	evs->burst = EV_DEFAULT_BURST;
	evs->per_s = EV_DEFAULT_RATE;
	evs->clock = clock_ns;
	pthread_mutex_init(&evs->lock, NULL);
	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		/* `--events -`: standard output, on a descriptor of its own (closed at the end). */
		int fd = dup(STDOUT_FILENO);

		evs->f = fd < 0 ? NULL : fdopen(fd, "w");
		if (!evs->f && fd >= 0)
			close(fd);
	} else {
		/* The rate limit bounds how much a guest makes the monitor write. */
		int fd = file_create_output(path);

		if (fd >= 0) {
			evs->f = fdopen(fd, "w");
			if (!evs->f)
				close(fd);
		}
	}
	if (!evs->f) {
		log_err("cannot open events file %s: %s", path, strerror(errno));
		return -1;
	}
	/* One write per event: a crash or a SIGSYS kill loses nothing already emitted. */
	setvbuf(evs->f, NULL, _IOLBF, 0);
	return 0;
}

/* Under evs->lock. The first failure is the one worth reporting; errno 0 still counts. */
static void events_record_failure(struct events *evs)
{
	if (!evs->write_errno)
		__atomic_store_n(&evs->write_errno, errno ? errno : EIO, __ATOMIC_RELAXED);
}

int events_flush(struct events *evs)
{
	int r = 0;

	if (!evs->f)
		return 0;
	pthread_mutex_lock(&evs->lock);
	errno = 0;
	if (evs->write_errno) {
		/* What failed may still be buffered: never write it later, after a gap. */
		__fpurge(evs->f);
		r = -1;
	} else if (fflush(evs->f) || ferror(evs->f)) {
		events_record_failure(evs);
		r = -1;
	}
	pthread_mutex_unlock(&evs->lock);
	return r;
}

bool events_failed(const struct events *evs)
{
	return __atomic_load_n(&evs->write_errno, __ATOMIC_RELAXED) != 0;
}

void events_close(struct events *evs)
{
	if (evs->f) {
		if (evs->write_errno)
			__fpurge(evs->f);
		errno = 0;
		if (fclose(evs->f))
			events_record_failure(evs);
	}
	evs->f = NULL;
	pthread_mutex_destroy(&evs->lock);
}

static void ev_put(struct ev *e, const char *s, size_t len)
{
	if (e->overflow || len > sizeof(e->buf) - 2 - e->n) {
		e->overflow = true;
		return;
	}
	memcpy(e->buf + e->n, s, len);
	e->n += len;
}

static void ev_fmt(struct ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ev_fmt(struct ev *e, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(tmp)) {
		e->overflow = true;
		return;
	}
	ev_put(e, tmp, (size_t)len);
}

size_t json_escape(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		char esc[6];
		size_t k;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			k = 2;
		} else if (c < 0x20 || c >= 0x7F) {
			/* Non-ASCII guest bytes are escaped too: the log stays valid UTF-8. */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		} else {
			esc[0] = (char)c;
			k = 1;
		}
		if (k > cap - n)
			break;
		memcpy(dst + n, esc, k);
		n += k;
	}
	return n;
}

static void ev_key(struct ev *e, const char *key)
{
	ev_fmt(e, ",\"%s\":", key);
}

/* False when this event writes nothing: events off, or suppressed by the rate limit. */
static bool ev_live(const struct ev *e)
{
	return e->evs && e->evs->f && !e->suppressed;
}

bool ev_wanted(const struct ev *e)
{
	return ev_live(e);
}

static void ev_start(struct ev *e, struct events *evs, const char *type, bool limit)
{
	e->evs = evs;
	e->n = 0;
	e->overflow = false;
	e->suppressed = false;
	e->limited = -1;
	if (!evs || !evs->f)
		return;
	e->limited = events_limited_index(type);
	if (e->limited >= 0) {
		pthread_mutex_lock(&evs->lock);
		if (evs->burst &&
		    !ev_bucket_take(&evs->bucket[e->limited], evs->burst, evs->per_s,
				    evs->clock()) &&
		    limit) {
			evs->suppressed[e->limited]++;
			e->suppressed = true;
		}
		pthread_mutex_unlock(&evs->lock);
		if (e->suppressed)
			return;
	}
	ev_fmt(e, "{\"t\":%" PRIu64 ",\"type\":\"%s\"", clock_ns() - evs->t0, type);
}

void ev_begin(struct ev *e, struct events *evs, const char *type)
{
	ev_start(e, evs, type, true);
}

void ev_begin_always(struct ev *e, struct events *evs, const char *type)
{
	ev_start(e, evs, type, false);
}

void ev_strn(struct ev *e, const char *key, const char *val, size_t len)
{
	char tmp[EV_LINE_MAX];
	size_t n;

	if (!ev_live(e))
		return;
	n = json_escape(tmp, sizeof(tmp), val, len);
	ev_key(e, key);
	ev_put(e, "\"", 1);
	ev_put(e, tmp, n);
	ev_put(e, "\"", 1);
}

void ev_str(struct ev *e, const char *key, const char *val)
{
	ev_strn(e, key, val, strlen(val));
}

void ev_u64(struct ev *e, const char *key, uint64_t v)
{
	if (!ev_live(e))
		return;
	ev_key(e, key);
	ev_fmt(e, "%" PRIu64, v);
}

void ev_i64(struct ev *e, const char *key, int64_t v)
{
	if (!ev_live(e))
		return;
	ev_key(e, key);
	ev_fmt(e, "%" PRId64, v);
}

void ev_hex(struct ev *e, const char *key, uint64_t v)
{
	if (!ev_live(e))
		return;
	ev_key(e, key);
	ev_fmt(e, "\"0x%" PRIx64 "\"", v);
}

void ev_bool(struct ev *e, const char *key, bool v)
{
	if (!ev_live(e))
		return;
	ev_key(e, key);
	ev_put(e, v ? "true" : "false", v ? 4 : 5);
}

void events_add_totals(struct ev *e, struct events *evs)
{
	bool first = true;

	if (!ev_live(e))
		return;
	ev_key(e, "suppressed");
	ev_put(e, "{", 1);
	pthread_mutex_lock(&evs->lock);
	for (int i = 0; i < EV_NR_LIMITED; i++) {
		if (!evs->suppressed[i])
			continue;
		ev_fmt(e, "%s\"%s\":%" PRIu64, first ? "" : ",", limited_names[i],
		       evs->suppressed[i]);
		first = false;
	}
	pthread_mutex_unlock(&evs->lock);
	ev_put(e, "}", 1);
}

bool events_summary(struct events *evs, char *buf, size_t cap)
{
	static const char head[] = "events suppressed by rate limit:";
	size_t n = 0;
	bool any = false;

	if (!cap)
		return false;
	buf[0] = '\0';
	pthread_mutex_lock(&evs->lock);
	for (int i = 0; i < EV_NR_LIMITED; i++) {
		int len;

		if (!evs->suppressed[i])
			continue;
		len = snprintf(buf + n, cap - n, "%s %s %" PRIu64, any ? "," : head,
			       limited_names[i], evs->suppressed[i]);
		any = true;
		if (len < 0 || (size_t)len >= cap - n)
			break; /* truncated by snprintf, still NUL-terminated */
		n += (size_t)len;
	}
	pthread_mutex_unlock(&evs->lock);
	return any;
}

void ev_emit(struct ev *e)
{
	struct events *evs = e->evs;

	if (!ev_live(e))
		return;
	if (e->overflow) {
		/* Never emit a truncated object: say so in a well-formed one instead. */
		e->n = 0;
		e->overflow = false;
		ev_fmt(e, "{\"t\":%" PRIu64 ",\"type\":\"event_overflow\"", clock_ns() - evs->t0);
	}
	e->buf[e->n++] = '}';
	e->buf[e->n++] = '\n';
	pthread_mutex_lock(&evs->lock);
	/*
	 * After a failure nothing more is written: the log stays a clean prefix
	 * of what happened (no half line joined to a later one), and
	 * events_failed() tells the machine the rest is missing.
	 */
	if (!evs->write_errno) {
		errno = 0;
		/* Line buffered: the newline makes this fwrite the write(2) itself. */
		if (fwrite(e->buf, 1, e->n, evs->f) != e->n || ferror(evs->f))
			events_record_failure(evs);
		else if (e->limited >= 0)
			evs->emitted[e->limited]++;
	}
	pthread_mutex_unlock(&evs->lock);
}

void json_put_str(FILE *f, const char *s)
{
	char buf[256];
	size_t len = strlen(s);

	fputc('"', f);
	/* Chunks of at most 42 bytes: escaped (6 each at most), they always fit buf. */
	for (size_t i = 0; i < len; i += 42) {
		size_t k = len - i < 42 ? len - i : 42;

		fwrite(buf, 1, json_escape(buf, sizeof(buf), s + i, k), f);
	}
	fputc('"', f);
}
