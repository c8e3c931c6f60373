/* The tests' queries on vtlmon's --events log: matchers, find, count, dump. */
#include "tests/lib/evlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Matchers one evlog_find() call takes: far more than any test names. */
#define EVLOG_ARGS_MAX 16

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool field_matches(const struct evlog_field *f, const struct evlog_match *m)
{
	switch (m->op) {
	case EVLOG_EQ: return evlog_value_eq(f, m->val, m->len);
	case EVLOG_NE: return !evlog_value_eq(f, m->val, m->len);
	case EVLOG_SUB: return m->len == 0 || memmem(f->val.p, f->val.n, m->val, m->len) != NULL;
	case EVLOG_PREFIX: return f->val.n >= m->len && memcmp(f->val.p, m->val, m->len) == 0;
	}
	return false;
}

bool evlog_matches(const struct evlog_event *e, const char *type, const struct evlog_match *m,
		   size_t nm)
{
	if (type && (e->type.n != strlen(type) || memcmp(e->type.p, type, e->type.n) != 0))
		return false;
	for (size_t i = 0; i < nm; i++) {
		const struct evlog_field *f = evlog_getn(e, m[i].key, m[i].keylen);

		if (!f || !field_matches(f, &m[i]))
			return false;
	}
	return true;
}

long evlog_find_m(const struct evlog *l, size_t from, const char *type, const struct evlog_match *m,
		  size_t nm)
{
	for (size_t i = from; i < l->n; i++)
		if (evlog_matches(&l->ev[i], type, m, nm))
			return (long)i;
	return -1;
}

size_t evlog_count_m(const struct evlog *l, const char *type, const struct evlog_match *m,
		     size_t nm)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += evlog_matches(&l->ev[i], type, m, nm);
	return n;
}

bool evlog_match_parse(const char *s, struct evlog_match *m)
{
	size_t k = strcspn(s, "=!~^");

	if (k == 0 || !s[k])
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = s[i];

		if (!(c == '_' || c == '.' || is_digit(c) || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return false;
	}
	m->key = s;
	m->keylen = k;
	switch (s[k]) {
	case '=': m->op = EVLOG_EQ; break;
	case '~': m->op = EVLOG_SUB; break;
	case '^': m->op = EVLOG_PREFIX; break;
	default:
		if (s[k + 1] != '=')
			return false;
		m->op = EVLOG_NE;
		k++;
	}
	m->val = s + k + 1;
	m->len = strlen(m->val);
	return true;
}

/* The NULL-terminated matcher strings after `type`, parsed; aborts on one that is none. */
static size_t collect(struct evlog_match *m, va_list ap)
{
	const char *s;
	size_t n = 0;

	while ((s = va_arg(ap, const char *))) {
		if (n == EVLOG_ARGS_MAX || !evlog_match_parse(s, &m[n])) {
			fprintf(stderr,
				"evlog: '%s' is not key=value, key!=value, key~text or key^text "
				"(or more than %d of them)\n",
				s, EVLOG_ARGS_MAX);
			abort();
		}
		n++;
	}
	return n;
}

long evlog_find_(const struct evlog *l, size_t from, const char *type, ...)
{
	struct evlog_match m[EVLOG_ARGS_MAX];
	va_list ap;
	size_t n;

	va_start(ap, type);
	n = collect(m, ap);
	va_end(ap);
	return evlog_find_m(l, from, type, m, n);
}

size_t evlog_count_(const struct evlog *l, const char *type, ...)
{
	struct evlog_match m[EVLOG_ARGS_MAX];
	va_list ap;
	size_t n;

	va_start(ap, type);
	n = collect(m, ap);
	va_end(ap);
	return evlog_count_m(l, type, m, n);
}

/* ---- diagnostics ------------------------------------------------------------ */

void evlog_dump(FILE *o, const struct evlog *l, size_t from, size_t to)
{
	char why[256];

	if (to > l->n)
		to = l->n;
	for (size_t i = from; i < to; i++)
		fprintf(o, "  event %zu: %s\n", i, l->ev[i].raw);
	if (to == l->n && l->err) {
		evlog_strerror(l, why, sizeof(why));
		fprintf(o, "  %s%s%s\n", why, l->err_raw ? ": " : "", l->err_raw ? l->err_raw : "");
	}
}

int evlog_parse_json(struct evlog *l, const char *key, const char *json, size_t len)
{
	char *line;
	int n, r;

	if (len && json[len - 1] == '\n')
		len--;
	n = asprintf(&line, "{\"t\":0,\"type\":\"json\",\"%s\":%.*s}\n", key, (int)len, json);
	if (n < 0) {
		memset(l, 0, sizeof(*l));
		l->err = "out of memory";
		return -1;
	}
	r = evlog_parse(l, line, (size_t)n);
	free(line);
	return r;
}
