/* The one reader of vtlmon's --events log (`vtlmon report`, the tests): a strict JSON Lines parser.
 */
#include "monitor/base/evlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Nesting is bounded so that no input overflows the stack. */
#define EVLOG_DEPTH_MAX 64

static void evlog_oom(void)
{
	fputs("evlog: out of memory\n", stderr);
	abort();
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		evlog_oom();
	return p;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- JSON ------------------------------------------------------------------- */

/*
 * Decoded keys, strings and scalars go to one arena per log, sized once:
 * each takes at most the bytes of its own text plus the one delimiter after
 * it, and parsing stops at the first malformed line, so the text's length
 * (+1) always suffices (checked anyway: a bug aborts, never overflows).
 * Without a log (evlog_json_string) each string is its own malloc.
 */
struct jp {
	const char *s;
	size_t n, i;
	const char *err;
	struct evlog *l;
};

static bool jp_fail(struct jp *j, const char *msg)
{
	if (!j->err)
		j->err = msg;
	return false;
}

static void jp_ws(struct jp *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
			       j->s[j->i] == '\r'))
		j->i++;
}

/* Room for `size` bytes; only jp_keep() makes it permanent. */
static char *jp_buf(struct jp *j, size_t size)
{
	struct evlog *l = j->l;

	if (!l)
		return xrealloc(NULL, size);
	if (size > l->arena_cap_ - l->arena_used_) {
		fputs("evlog: arena overflow (a bug in monitor/base/evlog.c)\n", stderr);
		abort();
	}
	return l->arena_ + l->arena_used_;
}

static void jp_keep(struct jp *j, size_t size)
{
	if (j->l)
		j->l->arena_used_ += size;
}

static void jp_drop(struct jp *j, char *p)
{
	if (!j->l)
		free(p);
}

static bool jp_hex4(struct jp *j, size_t end, uint32_t *out)
{
	uint32_t v = 0;

	if (end - j->i < 4)
		return jp_fail(j, "short \\u escape");
	for (int k = 0; k < 4; k++) {
		int h = hexval(j->s[j->i++]);

		if (h < 0)
			return jp_fail(j, "bad hex digit in a \\u escape");
		v = v << 4 | (uint32_t)h;
	}
	*out = v;
	return true;
}

static void put_utf8(char *dst, size_t *k, uint32_t cp)
{
	if (cp < 0x800) {
		dst[(*k)++] = (char)(0xc0 | cp >> 6);
	} else if (cp < 0x10000) {
		dst[(*k)++] = (char)(0xe0 | cp >> 12);
		dst[(*k)++] = (char)(0x80 | (cp >> 6 & 0x3f));
	} else {
		dst[(*k)++] = (char)(0xf0 | cp >> 18);
		dst[(*k)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		dst[(*k)++] = (char)(0x80 | (cp >> 6 & 0x3f));
	}
	dst[(*k)++] = (char)(0x80 | (cp & 0x3f));
}

/* The string whose opening quote is at j->i (see evlog_json_string). */
static bool jp_string(struct jp *j, struct evlog_str *out)
{
	size_t end, k = 0;
	char *d;

	if (j->i >= j->n || j->s[j->i] != '"')
		return jp_fail(j, "expected a string");
	/* Find the closing quote first, so the decoded copy (never longer) is sized once. */
	for (end = j->i + 1; end < j->n && j->s[end] != '"'; end++)
		if (j->s[end] == '\\')
			end++;
	if (end >= j->n)
		return jp_fail(j, "unterminated string");
	d = jp_buf(j, end - j->i);
	j->i++;
	while (j->i < end) {
		unsigned char c = (unsigned char)j->s[j->i++];
		uint32_t cp, lo;

		if (c < 0x20) {
			jp_drop(j, d);
			return jp_fail(j, "control character inside a string (escape it)");
		}
		if (c != '\\') {
			d[k++] = (char)c;
			continue;
		}
		switch (j->s[j->i++]) {
		case '"': d[k++] = '"'; break;
		case '\\': d[k++] = '\\'; break;
		case '/': d[k++] = '/'; break;
		case 'b': d[k++] = '\b'; break;
		case 'f': d[k++] = '\f'; break;
		case 'n': d[k++] = '\n'; break;
		case 'r': d[k++] = '\r'; break;
		case 't': d[k++] = '\t'; break;
		case 'u':
			if (!jp_hex4(j, end, &cp))
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (end - j->i < 6 || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u')
					goto lone;
				j->i += 2;
				if (!jp_hex4(j, end, &lo))
					goto bad;
				if (lo < 0xdc00 || lo >= 0xe000)
					goto lone;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				goto lone;
			}
			if (cp < 0x100)
				d[k++] = (char)cp;
			else
				put_utf8(d, &k, cp);
			break;
		default: jp_drop(j, d); return jp_fail(j, "unknown escape in a string");
		}
	}
	j->i = end + 1;
	d[k] = 0;
	jp_keep(j, k + 1);
	out->p = d;
	out->n = k;
	return true;
lone:
	jp_fail(j, "unpaired surrogate in a \\u escape");
bad:
	jp_drop(j, d);
	return false;
}

static bool jp_number(struct jp *j)
{
	size_t i = j->i;

	if (i < j->n && j->s[i] == '-')
		i++;
	if (i >= j->n || !is_digit(j->s[i]))
		return jp_fail(j, "bad number");
	if (j->s[i] == '0')
		i++;
	else
		while (i < j->n && is_digit(j->s[i]))
			i++;
	if (i < j->n && j->s[i] == '.') {
		if (++i >= j->n || !is_digit(j->s[i]))
			return jp_fail(j, "bad number");
		while (i < j->n && is_digit(j->s[i]))
			i++;
	}
	if (i < j->n && (j->s[i] == 'e' || j->s[i] == 'E')) {
		i++;
		if (i < j->n && (j->s[i] == '+' || j->s[i] == '-'))
			i++;
		if (i >= j->n || !is_digit(j->s[i]))
			return jp_fail(j, "bad number");
		while (i < j->n && is_digit(j->s[i]))
			i++;
	}
	j->i = i;
	return true;
}

static bool jp_literal(struct jp *j, const char *lit)
{
	size_t l = strlen(lit);

	if (j->n - j->i < l || memcmp(j->s + j->i, lit, l) != 0)
		return jp_fail(j, "unexpected character");
	j->i += l;
	return true;
}

static void obj_free(struct evlog_obj *o)
{
	for (size_t i = 0; i < o->n; i++)
		obj_free(&o->f[i].obj);
	free(o->f);
	memset(o, 0, sizeof(*o));
}

static const struct evlog_field *obj_get(const struct evlog_obj *o, const char *key, size_t len)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->f[i].key.n == len && memcmp(o->f[i].key.p, key, len) == 0)
			return &o->f[i];
	return NULL;
}

static bool jp_value(struct jp *j, struct evlog_field *f, int depth);

/* The members of the object whose '{' is at j->i; its values are at `depth`. */
static bool jp_object(struct jp *j, struct evlog_obj *o, int depth)
{
	j->i++;
	jp_ws(j);
	if (j->i < j->n && j->s[j->i] == '}') {
		j->i++;
		return true;
	}
	for (;;) {
		struct evlog_field *f;
		struct evlog_str key;

		if (!jp_string(j, &key))
			return false;
		if (obj_get(o, key.p, key.n))
			return jp_fail(j, "duplicate key");
		if (o->n == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 16;
			o->f = xrealloc(o->f, o->cap * sizeof(*o->f));
		}
		f = &o->f[o->n++];
		memset(f, 0, sizeof(*f));
		f->key = key;
		jp_ws(j);
		if (j->i >= j->n || j->s[j->i] != ':')
			return jp_fail(j, "expected ':'");
		j->i++;
		jp_ws(j);
		if (!jp_value(j, f, depth))
			return false;
		jp_ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			jp_ws(j);
			continue;
		}
		if (j->i < j->n && j->s[j->i] == '}') {
			j->i++;
			return true;
		}
		return jp_fail(j, "expected ',' or '}'");
	}
}

/* An array is checked, element by element, and kept as text only. */
static bool jp_array(struct jp *j, int depth)
{
	j->i++;
	jp_ws(j);
	if (j->i < j->n && j->s[j->i] == ']') {
		j->i++;
		return true;
	}
	for (;;) {
		struct evlog_field el = {.kind = EVLOG_NULL};
		bool ok = jp_value(j, &el, depth);

		obj_free(&el.obj);
		if (!ok)
			return false;
		jp_ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			jp_ws(j);
			continue;
		}
		if (j->i < j->n && j->s[j->i] == ']') {
			j->i++;
			return true;
		}
		return jp_fail(j, "expected ',' or ']'");
	}
}

static bool jp_value(struct jp *j, struct evlog_field *f, int depth)
{
	size_t start = j->i;
	char *d;
	bool ok;

	if (j->i >= j->n)
		return jp_fail(j, "missing value");
	switch (j->s[j->i]) {
	case '"': f->kind = EVLOG_STR; return jp_string(j, &f->val);
	case '{':
	case '[':
		if (depth >= EVLOG_DEPTH_MAX)
			return jp_fail(j, "nested too deeply");
		f->kind = j->s[j->i] == '{' ? EVLOG_OBJ : EVLOG_ARR;
		ok = f->kind == EVLOG_OBJ ? jp_object(j, &f->obj, depth + 1)
					  : jp_array(j, depth + 1);
		f->val.p = j->s + start;
		f->val.n = j->i - start;
		return ok;
	case 't':
		f->kind = EVLOG_TRUE;
		ok = jp_literal(j, "true");
		break;
	case 'f':
		f->kind = EVLOG_FALSE;
		ok = jp_literal(j, "false");
		break;
	case 'n':
		f->kind = EVLOG_NULL;
		ok = jp_literal(j, "null");
		break;
	default:
		f->kind = EVLOG_NUM;
		ok = jp_number(j);
		break;
	}
	if (!ok)
		return false;
	/* Scalars keep their text, NUL-terminated for strtod() and printing. */
	d = jp_buf(j, j->i - start + 1);
	memcpy(d, j->s + start, j->i - start);
	d[j->i - start] = 0;
	jp_keep(j, j->i - start + 1);
	f->val.p = d;
	f->val.n = j->i - start;
	return true;
}

char *evlog_json_string(const char *s, size_t n, size_t *pos, size_t *len, const char **err)
{
	struct jp j = {.s = s, .n = n, .i = *pos};
	struct evlog_str out;

	if (!jp_string(&j, &out)) {
		*pos = j.i;
		*err = j.err;
		return NULL;
	}
	*pos = j.i;
	*len = out.n;
	return (char *)out.p;
}

/*
 * One JSON Lines record: a single object with unique keys, a numeric "t"
 * and a string "type" (the documented contract). Returns NULL or a message,
 * with *col the 1-based column.
 */
static const char *ev_parse(struct evlog *l, struct evlog_event *e, const char *line, size_t len,
			    size_t *col)
{
	struct jp j = {.s = line, .n = len, .l = l};
	const struct evlog_field *t;

	jp_ws(&j);
	if (j.i >= j.n || j.s[j.i] != '{') {
		jp_fail(&j, j.i >= j.n ? "empty line" : "expected '{'");
		goto out;
	}
	if (!jp_object(&j, &e->f, 1))
		goto out;
	jp_ws(&j);
	if (j.i < j.n) {
		jp_fail(&j, "text after the object");
		goto out;
	}
	t = obj_get(&e->f, "t", 1);
	if (!t || t->kind != EVLOG_NUM || t->val.p[0] == '-') {
		j.i = 0;
		jp_fail(&j, "no \"t\" (a non-negative number)");
		goto out;
	}
	t = obj_get(&e->f, "type", 4);
	if (!t || t->kind != EVLOG_STR || t->val.n == 0) {
		j.i = 0;
		jp_fail(&j, "no \"type\" (a non-empty string)");
		goto out;
	}
	e->type = t->val;
out:
	*col = j.i + 1;
	return j.err;
}

/* ---- loading ---------------------------------------------------------------- */

/* Parses text (owned from now on, with a NUL after its last byte) line by line. */
static int parse_owned(struct evlog *l, char *text, size_t len)
{
	size_t pos = 0, lineno = 0;

	l->text_ = text;
	l->arena_cap_ = len + 1;
	l->arena_ = xrealloc(NULL, l->arena_cap_);
	while (pos < len) {
		char *line = text + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		struct evlog_event *e;
		const char *err;
		size_t col;

		lineno++;
		pos += llen + (nl ? 1 : 0);
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 64;
			l->ev = xrealloc(l->ev, l->cap * sizeof(*l->ev));
		}
		e = &l->ev[l->n];
		memset(e, 0, sizeof(*e));
		err = ev_parse(l, e, line, llen, &col);
		/* Outside every value: the line becomes a C string. */
		if (nl)
			*nl = 0;
		if (err) {
			obj_free(&e->f);
			l->err = err;
			l->err_line = lineno;
			l->err_col = col;
			l->err_raw = line;
			l->err_rawlen = llen;
			return -1;
		}
		e->lineno = lineno;
		e->raw = line;
		e->rawlen = llen;
		l->n++;
	}
	return 0;
}

int evlog_parse(struct evlog *l, const char *text, size_t len)
{
	char *copy = xrealloc(NULL, len + 1);

	memset(l, 0, sizeof(*l));
	memcpy(copy, text, len);
	copy[len] = 0;
	return parse_owned(l, copy, len);
}

int evlog_load(struct evlog *l, const char *path, size_t max_bytes)
{
	FILE *f;
	size_t cap = 4096, n = 0;
	char *buf;

	memset(l, 0, sizeof(*l));
	f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT) {
			l->missing = true;
			return 0;
		}
		l->sys_errno = errno;
		goto fail;
	}
	if (cap > max_bytes)
		cap = max_bytes;
	buf = xrealloc(NULL, cap + 1);
	for (;;) {
		size_t got;

		if (n == cap) {
			/* Exactly max_bytes is fine; one byte more is not. */
			if (cap >= max_bytes) {
				if (fread(buf + n, 1, 1, f) == 1)
					l->sys_errno = EFBIG;
				break;
			}
			cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (!l->sys_errno && ferror(f))
		l->sys_errno = EIO;
	fclose(f);
	if (l->sys_errno) {
		free(buf);
		goto fail;
	}
	buf[n] = 0;
	return parse_owned(l, buf, n);
fail:
	l->err = strerror(l->sys_errno);
	return -1;
}

void evlog_free(struct evlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		obj_free(&l->ev[i].f);
	free(l->ev);
	free(l->text_);
	free(l->arena_);
	memset(l, 0, sizeof(*l));
}

void evlog_strerror(const struct evlog *l, char *buf, size_t len)
{
	if (!l->err)
		snprintf(buf, len, "no error");
	else if (l->sys_errno)
		snprintf(buf, len, "cannot read events file: %s", l->err);
	else
		snprintf(buf, len, "events:%zu:%zu: malformed event (%s)", l->err_line, l->err_col,
			 l->err);
}

/* ---- fields ------------------------------------------------------------------ */

const struct evlog_field *evlog_getn(const struct evlog_event *e, const char *key, size_t keylen)
{
	const struct evlog_obj *o = &e->f;

	for (;;) {
		const char *dot = memchr(key, '.', keylen);
		size_t head = dot ? (size_t)(dot - key) : keylen;
		const struct evlog_field *f = obj_get(o, key, head);

		if (!f || !dot)
			return f;
		if (f->kind != EVLOG_OBJ)
			return NULL;
		o = &f->obj;
		keylen -= head + 1;
		key = dot + 1;
	}
}

const struct evlog_field *evlog_get(const struct evlog_event *e, const char *key)
{
	return evlog_getn(e, key, strlen(key));
}

const char *evlog_str(const struct evlog_event *e, const char *key)
{
	const struct evlog_field *f = evlog_get(e, key);

	return f && f->kind == EVLOG_STR ? f->val.p : NULL;
}

bool evlog_is(const struct evlog_event *e, const char *key, const char *val)
{
	const struct evlog_field *f = evlog_get(e, key);
	size_t n = strlen(val);

	return f && f->kind == EVLOG_STR && f->val.n == n && memcmp(f->val.p, val, n) == 0;
}

/* Decimal or 0x-hex (at most 16 digits), optionally negative; false for anything else. */
static bool parse_int(const char *p, size_t n, bool *neg, uint64_t *mag)
{
	const char *end = p + n;
	uint64_t v = 0;

	*neg = p < end && *p == '-';
	if (*neg)
		p++;
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (end - p > 16)
			return false;
		for (; p < end; p++) {
			int h = hexval(*p);

			if (h < 0)
				return false;
			v = v << 4 | (uint64_t)h;
		}
	} else {
		if (p == end)
			return false;
		for (; p < end; p++) {
			if (!is_digit(*p) || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return false;
			v = v * 10 + (uint64_t)(*p - '0');
		}
	}
	*mag = v;
	if (v == 0)
		*neg = false;
	return true;
}

static bool is_hex_string(const struct evlog_str *s)
{
	if (s->n < 3 || s->p[0] != '0' || (s->p[1] != 'x' && s->p[1] != 'X'))
		return false;
	for (size_t i = 2; i < s->n; i++)
		if (hexval(s->p[i]) < 0)
			return false;
	return true;
}

bool evlog_u64(const struct evlog_event *e, const char *key, uint64_t *v)
{
	const struct evlog_field *f = evlog_get(e, key);
	bool neg;

	if (!f)
		return false;
	/* A number in decimal only: JSON has no hex, and a string only in hex (never "12"). */
	if (f->kind == EVLOG_NUM) {
		for (size_t i = 0; i < f->val.n; i++)
			if (!is_digit(f->val.p[i]))
				return false;
	} else if (f->kind != EVLOG_STR || !is_hex_string(&f->val)) {
		return false;
	}
	return parse_int(f->val.p, f->val.n, &neg, v) && !neg;
}

bool evlog_bool(const struct evlog_event *e, const char *key, bool *v)
{
	const struct evlog_field *f = evlog_get(e, key);

	if (!f || (f->kind != EVLOG_TRUE && f->kind != EVLOG_FALSE))
		return false;
	*v = f->kind == EVLOG_TRUE;
	return true;
}

bool evlog_value_eq(const struct evlog_field *f, const char *want, size_t len)
{
	bool fneg, wneg;
	uint64_t fv, wv;

	if ((f->kind == EVLOG_NUM || (f->kind == EVLOG_STR && is_hex_string(&f->val))) &&
	    parse_int(f->val.p, f->val.n, &fneg, &fv) && parse_int(want, len, &wneg, &wv))
		return fneg == wneg && fv == wv;
	/* Other numbers as doubles (1.5 = 1.50 = 15e-1), when want is one too. */
	if (f->kind == EVLOG_NUM && len && memchr(want, 0, len) == NULL) {
		char small[64], *w = len < sizeof(small) ? small : xrealloc(NULL, len + 1);
		char *e1, *e2;
		double a, b;
		bool both;

		memcpy(w, want, len);
		w[len] = 0;
		a = strtod(f->val.p, &e1);
		b = strtod(w, &e2);
		both = !*e1 && !*e2;
		if (w != small)
			free(w);
		if (both)
			return a == b;
	}
	return f->val.n == len && memcmp(f->val.p, want, len) == 0;
}
