/* The --events log: JSON Lines, one object per event, each with "t" (ns since start) and "type". */
#include "monitor/events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "monitor/log.h"

int events_open(struct events *evs, const char *path, uint64_t t0)
{
	memset(evs, 0, sizeof(*evs));
	evs->t0 = t0;
	pthread_mutex_init(&evs->lock, NULL);
	if (!path)
		return 0;
	evs->f = fopen(path, "we");
	if (!evs->f) {
		log_err("cannot open events file %s: %s", path, strerror(errno));
		return -1;
	}
	/* One write per event: a crash or a SIGSYS kill loses nothing already emitted. */
	setvbuf(evs->f, NULL, _IOLBF, 0);
	return 0;
}

void events_close(struct events *evs)
{
	if (evs->f)
		fclose(evs->f);
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

void ev_begin(struct ev *e, struct events *evs, const char *type)
{
	e->evs = evs;
	e->n = 0;
	e->overflow = false;
	if (!evs || !evs->f)
		return;
	ev_fmt(e, "{\"t\":%" PRIu64 ",\"type\":\"%s\"", clock_ns() - evs->t0, type);
}

void ev_strn(struct ev *e, const char *key, const char *val, size_t len)
{
	char tmp[EV_LINE_MAX];
	size_t n;

	if (!e->evs || !e->evs->f)
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
	if (!e->evs || !e->evs->f)
		return;
	ev_key(e, key);
	ev_fmt(e, "%" PRIu64, v);
}

void ev_i64(struct ev *e, const char *key, int64_t v)
{
	if (!e->evs || !e->evs->f)
		return;
	ev_key(e, key);
	ev_fmt(e, "%" PRId64, v);
}

void ev_hex(struct ev *e, const char *key, uint64_t v)
{
	if (!e->evs || !e->evs->f)
		return;
	ev_key(e, key);
	ev_fmt(e, "\"0x%" PRIx64 "\"", v);
}

void ev_bool(struct ev *e, const char *key, bool v)
{
	if (!e->evs || !e->evs->f)
		return;
	ev_key(e, key);
	ev_put(e, v ? "true" : "false", v ? 4 : 5);
}

void ev_emit(struct ev *e)
{
	struct events *evs = e->evs;

	if (!evs || !evs->f)
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
	fwrite(e->buf, 1, e->n, evs->f);
	pthread_mutex_unlock(&evs->lock);
}
