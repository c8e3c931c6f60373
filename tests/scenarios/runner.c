/* Scenario runner: runs tests/scenarios/<name>/ guests under `vtlmon run --events`, checks expect.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario_keys.h"
#include "tests/lib/evlog.h"

#define DEFAULT_TIMEOUT_S 30.0
/* Our watchdog fires this long after vtlmon's own --timeout should have: that one must win. */
#define DEFAULT_MARGIN_S  15.0
#define EVENTS_MAX_BYTES  (256UL << 20)
#define TEXT_MAX_BYTES	  (1UL << 20)
#define REPORT_EVENTS_MAX 8
#define REPORT_LINE_MAX	  400
#define OUTPUT_TAIL_LINES 20

/* Runner exit statuses: 1 = some scenario failed, 2 = the runner itself could not work. */
#define RUNNER_FAILED 1
#define RUNNER_USAGE  2

/*
 * Event types from docs/cli.md, plus those DESIGN.md plans (protect ... reset).
 * A type outside this list is treated as a typo, because `forbid violaton`
 * would otherwise pass forever. A new monitor event type is added here once,
 * when the monitor documents it.
 */
static const char *const known_types[] = {
    "start",	       "boot",	 "vtl_call",	   "console", "log",	   "ucall",
    "unmapped_access", "exit",	 "event_overflow", "protect", "pin",	   "intercept",
    "violation",       "action", "kexec",	   "reset",   "cpu_start",
};

struct str {
	char *p; /* NUL-terminated for convenience, but may hold NUL bytes: use n */
	size_t n;
};

/* ---- small helpers ------------------------------------------------------ */

static void oom(void)
{
	fputs("scenario-runner: out of memory\n", stderr);
	exit(RUNNER_USAGE);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

/* Appends one zeroed element to a growable array and returns it. */
static void *push(void *arrp, size_t *n, size_t *cap, size_t elsize)
{
	void **arr = arrp;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *p = realloc(*arr, ncap * elsize);

		if (!p)
			oom();
		*arr = p;
		*cap = ncap;
	}
	memset((char *)*arr + *n * elsize, 0, elsize);
	return (char *)*arr + (*n)++ * elsize;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && is_digit(c));
}

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* Reads a whole file, refusing anything larger than max. Sets errno on failure. */
static bool read_file(const char *path, size_t max, struct str *out)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		return false;
	buf = xmalloc(cap + 1);
	for (;;) {
		size_t got;

		if (n == cap) {
			if (cap >= max) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return false;
			}
			cap = cap * 2 > max ? max : cap * 2;
			buf = realloc(buf, cap + 1);
			if (!buf)
				oom();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return false;
	}
	fclose(f);
	buf[n] = 0;
	out->p = buf;
	out->n = n;
	return true;
}

/* Prints at most REPORT_LINE_MAX bytes of a line, with control bytes shown as '?'. */
static void put_clipped(FILE *o, const char *s, size_t n)
{
	size_t lim = n > REPORT_LINE_MAX ? REPORT_LINE_MAX : n;

	for (size_t i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, o);
	}
	if (lim < n)
		fprintf(o, "... (%zu more bytes)", n - lim);
}

/* ---- events (monitor/base/evlog.c reads and parses the log) --------------------- */

static void put_event(FILE *o, const struct evlog_event *e)
{
	fprintf(o, "      events:%zu: ", e->lineno);
	put_clipped(o, e->raw, e->rawlen);
	fputc('\n', o);
}

/* ---- expect files --------------------------------------------------------- */

struct word {
	struct str s;
	bool quoted;
};

struct words {
	struct word *w;
	size_t n, cap;
};

static void words_free(struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i].s.p);
	free(ws->w);
	memset(ws, 0, sizeof(*ws));
}

/*
 * Splits a line into words. Blanks separate words; "..." quotes a part of a
 * word, with JSON string escapes; # outside quotes starts a comment. Returns
 * NULL, or a static error message with *col its 1-based column.
 */
static const char *split_words(const char *line, size_t len, struct words *out, size_t *col)
{
	size_t i = 0;

	for (;;) {
		struct word *w;
		char *buf;
		size_t k = 0;
		bool quoted = false;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len || line[i] == '#')
			return NULL;
		buf = xmalloc(len - i + 1);
		while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '#') {
			unsigned char c = (unsigned char)line[i];

			if (c == '"') {
				const char *err = NULL;
				size_t tn = 0;
				char *t = evlog_json_string(line, len, &i, &tn, &err);

				if (!t) {
					free(buf);
					*col = i + 1;
					return err;
				}
				memcpy(buf + k, t, tn);
				k += tn;
				free(t);
				quoted = true;
				continue;
			}
			if (c < 0x20 || c == 0x7f) {
				free(buf);
				*col = i + 1;
				return "control character (write it as an escape inside quotes)";
			}
			buf[k++] = (char)c;
			i++;
		}
		buf[k] = 0;
		w = push(&out->w, &out->n, &out->cap, sizeof(*w));
		w->s.p = buf;
		w->s.n = k;
		w->quoted = quoted;
	}
}

enum dkind { D_STATUS, D_EXPECT, D_FORBID, D_COUNT };
enum cop { C_EQ, C_GE, C_LE };

struct directive {
	enum dkind kind;
	unsigned int line;
	char *text;	       /* the source line, trimmed, for reports */
	char *type;	       /* NULL: any type ("*") */
	struct evlog_match *m; /* key and val are the directive's own (malloc) */
	size_t nm, capm;
	enum cop cop;
	unsigned long count;
	int status;
};

struct expect {
	struct directive *d;
	size_t nd, cap;
	size_t status; /* 1 + index of the one `status` line (an index: d is reallocated), or 0 */
};

static void expect_free(struct expect *x)
{
	for (size_t i = 0; i < x->nd; i++) {
		struct directive *d = &x->d[i];

		for (size_t k = 0; k < d->nm; k++) {
			free((void *)d->m[k].key);
			free((void *)d->m[k].val);
		}
		free(d->m);
		free(d->text);
		free(d->type);
	}
	free(x->d);
	memset(x, 0, sizeof(*x));
}

static bool known_type(const char *t)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(known_types[i], t) == 0)
			return true;
	return false;
}

/* Decimal only: counts and statuses never need hex, and "010" must not mean 8. */
static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (!is_digit(*s) || v > (max - (unsigned long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return true;
}

/* key=value, key!=value or key~text. An empty value must be written "": a slip cannot make one. */
static const char *parse_matcher(const struct word *w, struct evlog_match *m)
{
	const char *s = w->s.p;
	size_t i = 0, vstart;
	char *key, *val;

	while (i < w->s.n && is_ident(s[i], i == 0))
		i++;
	if (i == 0)
		return "expected key=value, key!=value or key~text";
	if (i < w->s.n && s[i] == '=') {
		m->op = EVLOG_EQ;
		vstart = i + 1;
	} else if (i + 1 < w->s.n && s[i] == '!' && s[i + 1] == '=') {
		m->op = EVLOG_NE;
		vstart = i + 2;
	} else if (i < w->s.n && s[i] == '~') {
		m->op = EVLOG_SUB;
		vstart = i + 1;
	} else {
		return "expected key=value, key!=value or key~text";
	}
	if (vstart == w->s.n && !w->quoted)
		return "empty value (write key=\"\" if you mean it)";
	key = strndup(s, i);
	if (!key)
		oom();
	m->key = key;
	m->keylen = i;
	m->len = w->s.n - vstart;
	val = xmalloc(m->len + 1);
	memcpy(val, s + vstart, m->len);
	val[m->len] = 0;
	m->val = val;
	return NULL;
}

static bool parse_count(const char *s, struct directive *d)
{
	d->cop = C_EQ;
	if (s[0] == '>' && s[1] == '=') {
		d->cop = C_GE;
		s += 2;
	} else if (s[0] == '<' && s[1] == '=') {
		d->cop = C_LE;
		s += 2;
	}
	return parse_ulong(s, 1000000000UL, &d->count);
}

static void diag(FILE *o, const char *path, unsigned int line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void diag(FILE *o, const char *path, unsigned int line, size_t col, const char *fmt, ...)
{
	va_list ap;

	if (col)
		fprintf(o, "  %s:%u:%zu: ", path, line, col);
	else
		fprintf(o, "  %s:%u: ", path, line);
	va_start(ap, fmt);
	vfprintf(o, fmt, ap);
	va_end(ap);
	fputc('\n', o);
}

/* One directive from its words; reports its own errors and returns how many. */
static int parse_directive(struct expect *x, struct words *ws, const char *path, unsigned int line,
			   const char *text, FILE *o)
{
	const char *kw = ws->w[0].s.p;
	struct directive *d;
	size_t last;

	if (ws->w[0].quoted) {
		diag(o, path, line, 0, "a directive is never quoted");
		return 1;
	}
	if (strcmp(kw, "status") == 0) {
		unsigned long v;

		if (ws->n != 2 || !parse_ulong(ws->w[1].s.p, 255, &v)) {
			diag(o, path, line, 0, "expected 'status N' with N in 0..255 (decimal)");
			return 1;
		}
		if (x->status) {
			diag(o, path, line, 0, "a second 'status' (the first is at line %u)",
			     x->d[x->status - 1].line);
			return 1;
		}
		d = push(&x->d, &x->nd, &x->cap, sizeof(*d));
		d->kind = D_STATUS;
		d->status = (int)v;
	} else if (strcmp(kw, "expect") == 0 || strcmp(kw, "forbid") == 0 ||
		   strcmp(kw, "expect-count") == 0) {
		bool count = kw[6] == '-';
		const char *type = ws->n > 1 ? ws->w[1].s.p : "";
		int errs = 0;

		if (ws->n < (count ? 3U : 2U)) {
			diag(o, path, line, 0, "expected '%s TYPE [key=value...]%s'", kw,
			     count ? " COUNT" : "");
			return 1;
		}
		if (ws->w[1].quoted || (strcmp(type, "*") != 0 && !known_type(type))) {
			diag(o, path, line, 0,
			     "unknown event type '%s' (a typo? types are those of docs/cli.md; "
			     "tests/scenarios/runner.c lists them)",
			     type);
			return 1;
		}
		d = push(&x->d, &x->nd, &x->cap, sizeof(*d));
		d->kind = count ? D_COUNT : kw[0] == 'f' ? D_FORBID : D_EXPECT;
		d->type = strcmp(type, "*") == 0 ? NULL : xstrdup(type);
		last = ws->n;
		if (count) {
			last--;
			if (ws->w[last].quoted || !parse_count(ws->w[last].s.p, d)) {
				diag(
				    o, path, line, 0,
				    "'%s' is not a count (expected N, >=N or <=N as the last word)",
				    ws->w[last].s.p);
				errs++;
			}
		}
		for (size_t i = 2; i < last; i++) {
			struct evlog_match *m = push(&d->m, &d->nm, &d->capm, sizeof(*m));
			const char *err = parse_matcher(&ws->w[i], m);

			if (err) {
				diag(o, path, line, 0, "'%s': %s", ws->w[i].s.p, err);
				errs++;
			}
		}
		if (errs)
			return errs;
	} else {
		diag(o, path, line, 0,
		     "unknown directive '%s' (expected status, expect, expect-count or forbid)",
		     kw);
		return 1;
	}
	d->line = line;
	d->text = xstrdup(text);
	if (d->kind == D_STATUS)
		x->status = (size_t)(d - x->d) + 1;
	return 0;
}

/* Parses a whole expect file, reporting every error (not just the first) to o. */
static int expect_load(struct expect *x, const char *path, FILE *o)
{
	struct str text;
	size_t pos = 0;
	unsigned int line = 0;
	int errs = 0;

	memset(x, 0, sizeof(*x));
	if (!read_file(path, TEXT_MAX_BYTES, &text)) {
		fprintf(o, "  %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (pos < text.n) {
		char *l = text.p + pos;
		char *nl = memchr(l, '\n', text.n - pos);
		size_t len = nl ? (size_t)(nl - l) : text.n - pos;
		struct words ws = {0};
		const char *err;
		size_t col = 0;

		line++;
		pos += len + (nl ? 1 : 0);
		if (len && l[len - 1] == '\r')
			len--;
		err = split_words(l, len, &ws, &col);
		if (err) {
			diag(o, path, line, col, "%s", err);
			errs++;
		} else if (ws.n) {
			/* The report shows the line as written, without its blanks around it. */
			size_t a = 0, b = len;

			while (a < b && (l[a] == ' ' || l[a] == '\t'))
				a++;
			while (b > a && (l[b - 1] == ' ' || l[b - 1] == '\t'))
				b--;
			l[b] = 0;
			errs += parse_directive(x, &ws, path, line, l + a, o);
		}
		words_free(&ws);
	}
	free(text.p);
	if (!errs && !x->status) {
		fprintf(o, "  %s: no 'status N' line (every scenario states its exit status)\n",
			path);
		errs++;
	}
	return errs;
}

/* ---- matching ------------------------------------------------------------- */

/*
 * Equality by meaning, the operators, and "a field the event lacks never
 * matches" are the reader's (evlog_value_eq, evlog_matches).
 */
static bool type_matches(const struct evlog_event *e, const struct directive *d)
{
	return evlog_matches(e, d->type, NULL, 0);
}

static bool event_matches(const struct evlog_event *e, const struct directive *d)
{
	return evlog_matches(e, d->type, d->m, d->nm);
}

/*
 * A key that no event of the directive's type carries, in a run that has such
 * events, is almost surely a typo: `forbid unmapped_access gap=...` would
 * otherwise always pass. Returns the first such key, or NULL.
 */
static const char *unknown_key(const struct evlog *l, const struct directive *d)
{
	for (size_t k = 0; k < d->nm; k++) {
		bool typed = false, seen = false;

		for (size_t i = 0; i < l->n && !seen; i++) {
			if (!type_matches(&l->ev[i], d))
				continue;
			typed = true;
			seen = evlog_get(&l->ev[i], d->m[k].key) != NULL;
		}
		if (typed && !seen)
			return d->m[k].key;
	}
	return NULL;
}

static void put_keys_seen(FILE *o, const struct evlog *l, const struct directive *d)
{
	struct evlog_str *seen = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (!type_matches(&l->ev[i], d))
			continue;
		for (size_t k = 0; k < l->ev[i].f.n; k++) {
			const struct evlog_str *key = &l->ev[i].f.f[k].key;
			size_t j;

			for (j = 0; j < n; j++)
				if (seen[j].n == key->n && memcmp(seen[j].p, key->p, key->n) == 0)
					break;
			if (j == n)
				*(struct evlog_str *)push(&seen, &n, &cap, sizeof(*seen)) = *key;
		}
	}
	fputs("    fields seen:", o);
	for (size_t j = 0; j < n; j++)
		fprintf(o, " %s", seen[j].p);
	fputc('\n', o);
	free(seen);
}

/* Prints up to REPORT_EVENTS_MAX events from index `from`: those matching d, or only its type. */
static void put_events(FILE *o, const struct evlog *l, size_t from, const struct directive *d,
		       bool full_match)
{
	size_t shown = 0, total = 0;

	for (size_t i = from; i < l->n; i++) {
		if (full_match ? !event_matches(&l->ev[i], d) : !type_matches(&l->ev[i], d))
			continue;
		if (shown++ < REPORT_EVENTS_MAX)
			put_event(o, &l->ev[i]);
		total++;
	}
	if (total > REPORT_EVENTS_MAX)
		fprintf(o, "      ... and %zu more\n", total - REPORT_EVENTS_MAX);
	if (!total)
		fputs("      (none)\n", o);
}

/* ---- scenarios ------------------------------------------------------------ */

struct opts {
	const char *vtlmon;
	const char *build; /* guest ELFs: <build>/<name>/<file>.elf */
	const char *root;  /* scenario sources: <root>/<name>/ */
	const char
	    *linux_dir; /* the Linux test kernel (`make linux`): <linux>/vmlinux, initramfs.cpio */
	double timeout;
	double margin; /* the watchdog fires this long after vtlmon's --timeout */
	bool verbose, keep;
	const char *replay_events; /* check this saved log instead of running vtlmon */
	int replay_status;
};

struct scenario {
	char *name, *dir, *expect_path, *guest;
	struct expect x;
	char **argv; /* NULL-terminated, for execv */
	size_t argc, capv;
	size_t events_arg; /* argv index of the log path, filled in by run() */
	double timeout;
	char *policy_tmp; /* policy.policy.in expanded for this run; removed after it */
};

struct result {
	bool exited;
	int status; /* exit status, or the signal when !exited */
	bool watchdog;
	double secs;
	struct str output; /* vtlmon's stdout and stderr */
	struct evlog log;
	char *log_error; /* the log could not be read, or a line is malformed: trust none of it */
	char *events_path;
};

static void arg_push(struct scenario *sc, char *a)
{
	*(char **)push(&sc->argv, &sc->argc, &sc->capv, sizeof(char *)) = a;
}

static void scenario_free(struct scenario *sc)
{
	for (size_t i = 0; i < sc->argc; i++)
		free(sc->argv[i]);
	free(sc->argv);
	expect_free(&sc->x);
	free(sc->name);
	free(sc->dir);
	free(sc->expect_path);
	free(sc->guest);
	free(sc->policy_tmp);
}

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			oom();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sbuf_hex(struct sbuf *b, const unsigned char *v, size_t n)
{
	char h[3];

	for (size_t i = 0; i < n; i++) {
		snprintf(h, sizeof(h), "%02x", v[i]);
		sbuf_add(b, h, 2);
	}
}

/* The SHA-256 of a whole file, streamed: a kernel image may be larger than any fixed bound. */
static bool file_sha256(const char *path, unsigned char out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t got;
	bool ok;

	if (!f)
		return false;
	crypto_hash_sha256_init(&st);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		crypto_hash_sha256_update(&st, buf, got);
	ok = !ferror(f);
	fclose(f);
	if (ok)
		crypto_hash_sha256_final(&st, out);
	return ok;
}

/* ${linux}: the Linux test kernel's directory (-l), set once in main(). */
static const char *runner_linux_dir = "build/linux";

struct expand_ctx {
	const char *src, *build;
	bool fns; /* ${sha256:...} and ${ed25519-pub:...} are allowed (policy.policy.in only) */
	char *err;
};

static bool expand_into(struct sbuf *b, const char *s, size_t n, struct expand_ctx *c);

/* One ${...} reference whose inside is `in`; its argument may itself hold ${src} or ${build}. */
static bool expand_ref(struct sbuf *b, const char *in, size_t n, struct expand_ctx *c)
{
	static const char sha[] = "sha256:", pub[] = "ed25519-pub:";
	struct sbuf arg = {0};
	bool ok = false;

	if (n == 3 && memcmp(in, "src", 3) == 0) {
		sbuf_add(b, c->src, strlen(c->src));
		return true;
	}
	if (n == 5 && memcmp(in, "build", 5) == 0) {
		sbuf_add(b, c->build, strlen(c->build));
		return true;
	}
	if (n == 5 && memcmp(in, "linux", 5) == 0) {
		sbuf_add(b, runner_linux_dir, strlen(runner_linux_dir));
		return true;
	}
	if (c->fns && n > strlen(sha) && memcmp(in, sha, strlen(sha)) == 0) {
		unsigned char d[crypto_hash_sha256_BYTES];

		if (!expand_into(&arg, in + strlen(sha), n - strlen(sha), c))
			goto out;
		if (!file_sha256(arg.p, d)) {
			c->err =
			    xasprintf("${sha256:%s}: %s (is it built?)", arg.p, strerror(errno));
			goto out;
		}
		sbuf_hex(b, d, sizeof(d));
		ok = true;
	} else if (c->fns && n > strlen(pub) && memcmp(in, pub, strlen(pub)) == 0) {
		unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

		if (!expand_into(&arg, in + strlen(pub), n - strlen(pub), c))
			goto out;
		if (scenario_keypair(arg.p, pk, sk) != 0) {
			c->err = xasprintf("${ed25519-pub:%s}: key derivation failed", arg.p);
			goto out;
		}
		sodium_memzero(sk, sizeof(sk));
		sbuf_hex(b, pk, sizeof(pk));
		ok = true;
	} else {
		c->err = xasprintf(
		    c->fns ? "'${%.*s}': expected ${src}, ${build}, ${linux}, ${sha256:FILE} or "
			     "${ed25519-pub:SEED}"
			   : "'${%.*s}': only ${src}, ${build} and ${linux} are expanded",
		    (int)n, in);
	}
out:
	free(arg.p);
	return ok;
}

/* Copies s, replacing every ${...} (braces nest, so ${sha256:${build}/x.elf} works). */
static bool expand_into(struct sbuf *b, const char *s, size_t n, struct expand_ctx *c)
{
	sbuf_add(b, "", 0);
	for (size_t i = 0; i < n;) {
		size_t j, depth = 1;

		if (!(s[i] == '$' && i + 1 < n && s[i + 1] == '{')) {
			sbuf_add(b, s + i++, 1);
			continue;
		}
		for (j = i + 2; j < n; j++) {
			if (s[j] == '{')
				depth++;
			else if (s[j] == '}' && --depth == 0)
				break;
		}
		if (j >= n) {
			c->err = xasprintf("'%.*s': no closing '}'", (int)(n - i), s + i);
			return false;
		}
		if (!expand_ref(b, s + i + 2, j - i - 2, c))
			return false;
		i = j + 1;
	}
	return true;
}

/* Expands one args word; NULL with *err set (malloc'd) on an unknown or unterminated ${...}. */
static char *expand(const char *w, const char *src, const char *build, char **err)
{
	struct expand_ctx c = {.src = src, .build = build};
	struct sbuf b = {0};

	if (expand_into(&b, w, strlen(w), &c))
		return b.p;
	free(b.p);
	*err = c.err;
	return NULL;
}

static bool opt_is(const char *a, const char *name)
{
	size_t l = strlen(name);

	return strncmp(a, name, l) == 0 && (a[l] == 0 || a[l] == '=');
}

/* Appends the optional args file to the command line; the runner's own options stay its own. */
static int load_args(struct scenario *sc, const struct opts *o, bool has_policy, FILE *out)
{
	char *path = xasprintf("%s/args", sc->dir);
	char *build = xasprintf("%s/%s", o->build, sc->name);
	struct str text;
	size_t pos = 0;
	unsigned int line = 0;
	int errs = 0;
	bool want_timeout = false;

	if (!read_file(path, TEXT_MAX_BYTES, &text)) {
		if (errno != ENOENT) {
			fprintf(out, "  %s: %s\n", path, strerror(errno));
			errs++;
		}
		goto done;
	}
	while (pos < text.n) {
		char *l = text.p + pos;
		char *nl = memchr(l, '\n', text.n - pos);
		size_t len = nl ? (size_t)(nl - l) : text.n - pos, col = 0;
		struct words ws = {0};
		const char *err;

		line++;
		pos += len + (nl ? 1 : 0);
		if (len && l[len - 1] == '\r')
			len--;
		err = split_words(l, len, &ws, &col);
		if (err) {
			diag(out, path, line, col, "%s", err);
			errs++;
		}
		for (size_t i = 0; !err && i < ws.n; i++) {
			char *why = NULL;
			char *a = expand(ws.w[i].s.p, sc->dir, build, &why);

			if (!a) {
				diag(out, path, line, 0, "%s", why);
				free(why);
				errs++;
				continue;
			} else if (opt_is(a, "--vtl0") || opt_is(a, "--events")) {
				diag(out, path, line, 0,
				     "'%s' is set by the runner (guest.elf, a temporary log)", a);
				errs++;
			} else if (has_policy && opt_is(a, "--policy")) {
				diag(out, path, line, 0,
				     "'--policy' given, but the folder has its own policy: keep "
				     "one");
				errs++;
			} else if (want_timeout || strncmp(a, "--timeout=", 10) == 0) {
				const char *v = want_timeout ? a : a + 10;
				char *end;
				double t = strtod(v, &end);

				want_timeout = false;
				if (end == v || *end || !(t > 0) || !isfinite(t)) {
					diag(out, path, line, 0, "bad --timeout '%s'", v);
					errs++;
				} else {
					sc->timeout = t; /* the watchdog follows it */
				}
			} else if (strcmp(a, "--timeout") == 0) {
				want_timeout = true;
			}
			arg_push(sc, a);
		}
		words_free(&ws);
	}
	if (want_timeout) {
		fprintf(out, "  %s: '--timeout' needs a value\n", path);
		errs++;
	}
	free(text.p);
done:
	free(path);
	free(build);
	return errs;
}

/*
 * policy.policy.in -> a temporary policy file: a kexec image's digest and a
 * signing key are known only once the scenario is built, so they are written
 * as ${sha256:FILE} and ${ed25519-pub:SEED} and filled in here, on every run
 * (never stale). ${src} and ${build} work too, also inside those. Returns
 * the number of errors, reported as FILE:LINE.
 */
static int policy_expand(struct scenario *sc, const char *in, const char *build, FILE *out)
{
	const char *tmpdir = getenv("TMPDIR");
	struct expand_ctx c = {.src = sc->dir, .build = build, .fns = true};
	struct sbuf b = {0};
	struct str text;
	size_t pos = 0;
	unsigned int line = 0;
	int errs = 0, fd;
	FILE *f;

	if (!read_file(in, TEXT_MAX_BYTES, &text)) {
		fprintf(out, "  %s: %s\n", in, strerror(errno));
		return 1;
	}
	while (pos < text.n) {
		const char *l = text.p + pos;
		const char *nl = memchr(l, '\n', text.n - pos);
		size_t len = nl ? (size_t)(nl - l) + 1 : text.n - pos;

		line++;
		pos += len;
		if (!expand_into(&b, l, len, &c)) {
			diag(out, in, line, 0, "%s", c.err);
			free(c.err);
			c.err = NULL;
			errs++;
		}
	}
	free(text.p);
	if (errs) {
		free(b.p);
		return errs;
	}
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	sc->policy_tmp = xasprintf("%s/vtlmon-scenario-policy-XXXXXX", tmpdir);
	fd = mkstemp(sc->policy_tmp);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f || fwrite(b.p ? b.p : "", 1, b.n, f) != b.n || fclose(f) != 0) {
		fprintf(out, "  cannot write the expanded policy %s: %s\n", sc->policy_tmp,
			strerror(errno));
		if (fd >= 0)
			unlink(sc->policy_tmp);
		free(sc->policy_tmp);
		sc->policy_tmp = NULL;
		errs++;
	}
	free(b.p);
	return errs;
}

/* Builds the scenario: its expect file, its guest and its command line. Errors go to out. */
static int scenario_load(struct scenario *sc, const char *arg, const struct opts *o, FILE *out)
{
	char *policy, *policy_in, *guest_src, *linux_marker;
	const char *base;
	size_t l;
	int errs = 0;
	bool has_policy, is_linux;

	memset(sc, 0, sizeof(*sc));
	/* A name is looked up under the root; anything with a '/' is a directory path. */
	if (strchr(arg, '/'))
		sc->dir = xstrdup(arg);
	else
		sc->dir = xasprintf("%s/%s", o->root, arg);
	for (l = strlen(sc->dir); l > 1 && sc->dir[l - 1] == '/'; l--)
		sc->dir[l - 1] = 0;
	base = strrchr(sc->dir, '/');
	sc->name = xstrdup(base ? base + 1 : sc->dir);
	for (const char *p = sc->name; *p; p++)
		if (!is_ident(*p, false) && *p != '-' && *p != '.') {
			fprintf(out,
				"  '%s': scenario names use only A-Z a-z 0-9 _ - . (make "
				"wildcards must see them)\n",
				sc->name);
			return 1;
		}
	if (!path_exists(sc->dir)) {
		fprintf(out, "  %s: no such scenario directory\n", sc->dir);
		return 1;
	}
	sc->expect_path = xasprintf("%s/expect", sc->dir);
	sc->guest = xasprintf("%s/%s/guest.elf", o->build, sc->name);
	errs += expect_load(&sc->x, sc->expect_path, out);

	/* A `linux` file instead of guest.c: VTL0 is the Linux test kernel and its initramfs. */
	linux_marker = xasprintf("%s/linux", sc->dir);
	is_linux = path_exists(linux_marker);
	free(linux_marker);
	if (is_linux) {
		free(sc->guest);
		sc->guest = xasprintf("%s/vmlinux", o->linux_dir);
	}
	guest_src = xasprintf("%s/guest.c", sc->dir);
	if (is_linux) {
		if (!o->replay_events && !path_exists(sc->guest)) {
			/* Never a silent skip: CI builds the kernel, so a missing one is a failure.
			 */
			fprintf(out, "  %s: not built (make linux builds the Linux test kernel)\n",
				sc->guest);
			errs++;
		}
	} else if (!o->replay_events && !path_exists(guest_src)) {
		fprintf(out, "  %s: missing (every scenario has a guest.c, the VTL0 kernel)\n",
			guest_src);
		errs++;
	} else if (!o->replay_events && !path_exists(sc->guest)) {
		fprintf(out, "  %s: not built (make scenario-test builds every scenario guest)\n",
			sc->guest);
		errs++;
	}
	free(guest_src);

	arg_push(sc, xstrdup(o->vtlmon));
	arg_push(sc, xstrdup("run"));
	arg_push(sc, xstrdup(is_linux ? "--kernel" : "--vtl0"));
	arg_push(sc, xstrdup(sc->guest));
	if (is_linux) {
		arg_push(sc, xstrdup("--initrd"));
		arg_push(sc, xasprintf("%s/initramfs.cpio", o->linux_dir));
	}
	policy = xasprintf("%s/policy.policy", sc->dir);
	policy_in = xasprintf("%s/policy.policy.in", sc->dir);
	has_policy = path_exists(policy);
	if (has_policy && path_exists(policy_in)) {
		fprintf(out, "  %s: and policy.policy.in too: keep one\n", policy);
		errs++;
	} else if (!has_policy && path_exists(policy_in)) {
		char *build = xasprintf("%s/%s", o->build, sc->name);

		has_policy = true;
		/* A replay runs nothing, and the files it names may be gone. */
		if (!o->replay_events && !errs)
			errs += policy_expand(sc, policy_in, build, out);
		free(build);
		free(policy);
		policy = xstrdup(sc->policy_tmp ? sc->policy_tmp : policy_in);
	}
	if (has_policy) {
		arg_push(sc, xstrdup("--policy"));
		arg_push(sc, policy);
	} else {
		free(policy);
	}
	free(policy_in);
	arg_push(sc, xstrdup("--events"));
	sc->events_arg = sc->argc;
	arg_push(sc, xstrdup("(log)"));
	arg_push(sc, xstrdup("--quiet"));
	errs += load_args(sc, o, has_policy, out);
	if (!sc->timeout) {
		sc->timeout = o->timeout;
		arg_push(sc, xstrdup("--timeout"));
		arg_push(sc, xasprintf("%g", o->timeout));
	}
	arg_push(sc, NULL);
	sc->argc--; /* the NULL terminator is not an argument */
	return errs;
}

static void put_command(FILE *o, const struct scenario *sc)
{
	fputs("  command:", o);
	for (size_t i = 0; i < sc->argc; i++) {
		const char *a = sc->argv[i];

		if (a[strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				"_-./=:,+@%")]) {
			fputs(" '", o);
			for (; *a; a++)
				if (*a == '\'')
					fputs("'\\''", o);
				else
					fputc(*a, o);
			fputc('\'', o);
		} else {
			fprintf(o, " %s", a);
		}
	}
	fputc('\n', o);
}

static void sigchld_noop(int sig)
{
	(void)sig;
}

/*
 * Runs vtlmon with our own watchdog: should vtlmon's --timeout ever fail to
 * end the run, the child is killed rather than hanging `make test`. SIGCHLD
 * is blocked by main(), so sigtimedwait() sleeps until the child ends.
 */
static bool run(struct scenario *sc, const struct opts *o, struct result *r, FILE *out)
{
	const char *tmpdir = getenv("TMPDIR");
	char *evp, *outp;
	int evfd, outfd, st = 0;
	double start = now_s(), deadline = start + sc->timeout + o->margin;
	sigset_t chld;
	pid_t pid;

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	evp = xasprintf("%s/vtlmon-scenario-XXXXXX", tmpdir);
	outp = xasprintf("%s/vtlmon-scenario-out-XXXXXX", tmpdir);
	evfd = mkstemp(evp);
	outfd = evfd < 0 ? -1 : mkstemp(outp);
	if (evfd < 0 || outfd < 0) {
		fprintf(out, "  cannot create a temporary file in %s: %s\n", tmpdir,
			strerror(errno));
		if (evfd >= 0) {
			close(evfd);
			unlink(evp);
		}
		free(evp);
		free(outp);
		return false;
	}
	close(evfd);
	/* vtlmon creates the log itself: a missing log then means it never got that far. */
	unlink(evp);
	free(sc->argv[sc->events_arg]);
	sc->argv[sc->events_arg] = xstrdup(evp);
	r->events_path = evp;
	if (o->verbose)
		put_command(out, sc);

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(out, "  fork: %s\n", strerror(errno));
		close(outfd);
		unlink(outp);
		free(outp);
		return false;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(outfd, STDOUT_FILENO);
		dup2(outfd, STDERR_FILENO);
		close(outfd);
		close(STDIN_FILENO);
		execv(sc->argv[0], sc->argv);
		dprintf(STDERR_FILENO, "scenario-runner: exec %s: %s\n", sc->argv[0],
			strerror(errno));
		_exit(127);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		double left = deadline - now_s();
		struct timespec ts;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			fprintf(out, "  waitpid: %s\n", strerror(errno));
			break;
		}
		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			r->watchdog = true;
			break;
		}
		/* Wake at least once a second: a lost SIGCHLD costs a second, never a hang. */
		if (left > 1)
			left = 1;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		sigtimedwait(&chld, NULL, &ts);
	}
	r->secs = now_s() - start;
	r->exited = WIFEXITED(st) && !r->watchdog;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : -1;
	close(outfd);
	if (!read_file(outp, TEXT_MAX_BYTES, &r->output)) {
		r->output.p = xasprintf("(vtlmon output unreadable: %s)\n", strerror(errno));
		r->output.n = strlen(r->output.p);
	}
	if (o->keep)
		fprintf(out, "  kept: %s (vtlmon output), %s (events)%s%s%s\n", outp, evp,
			sc->policy_tmp ? ", " : "", sc->policy_tmp ? sc->policy_tmp : "",
			sc->policy_tmp ? " (policy)" : "");
	else
		unlink(outp);
	free(outp);
	return true;
}

static void put_output_tail(FILE *o, const struct result *r)
{
	size_t n = r->output.n, lines = 0, start;

	if (r->output.n && r->output.p[n - 1] == '\n')
		n--;
	for (start = n; start > 0; start--)
		if (r->output.p[start - 1] == '\n' && ++lines == OUTPUT_TAIL_LINES)
			break;
	if (!n) {
		fputs("  vtlmon output: (none)\n", o);
		return;
	}
	fprintf(o, "  vtlmon output%s:\n", start ? " (last lines)" : "");
	while (start < n) {
		const char *nl = memchr(r->output.p + start, '\n', n - start);
		size_t len = nl ? (size_t)(nl - r->output.p - start) : n - start;

		fputs("    | ", o);
		put_clipped(o, r->output.p + start, len);
		fputc('\n', o);
		start += len + 1;
	}
}

static const struct evlog_event *last_of_type(const struct evlog *l, const char *type)
{
	for (size_t i = l->n; i-- > 0;)
		if (strcmp(l->ev[i].type.p, type) == 0)
			return &l->ev[i];
	return NULL;
}

static void put_directive(FILE *o, const struct scenario *sc, const struct directive *d)
{
	fprintf(o, "  %s:%u: %s\n", sc->expect_path, d->line, d->text);
}

/*
 * Checks one run against its expect file. Every failed directive is reported,
 * except that the ordered `expect` chain stops at its first miss (later lines
 * would only repeat it). Returns the number of failures.
 */
static int check(const struct scenario *sc, const struct result *r, double margin, FILE *o)
{
	const struct evlog *l = &r->log;
	const struct directive *st = &sc->x.d[sc->x.status - 1];
	const struct evlog_event *ex = NULL;
	size_t pos = 0, nexit = 0;
	int fails = 0, skipped = 0;
	bool chain = true;

	if (!r->exited) {
		put_directive(o, sc, st);
		if (r->watchdog)
			fprintf(o,
				"    vtlmon was still running %g s past its --timeout %g: "
				"killed by the runner's watchdog\n",
				margin, sc->timeout);
		else
			fprintf(o, "    vtlmon died from signal %d (%s)\n", r->status,
				strsignal(r->status));
		fails++;
	} else if (r->status != st->status) {
		put_directive(o, sc, st);
		fprintf(o, "    vtlmon exited with status %d\n", r->status);
		if (!r->log_error && (ex = last_of_type(l, "exit")))
			put_event(o, ex);
		fails++;
	}
	/* After the status (a crash explains a cut log), but before anything that reads the log. */
	if (r->log_error) {
		fprintf(o, "  %s", r->log_error);
		if (l->err_raw)
			put_clipped(o, l->err_raw, l->err_rawlen);
		fputc('\n', o);
		return fails + 1;
	}

	/* The log's contract (docs/cli.md): one `exit` event, the last, with the real status. */
	ex = last_of_type(l, "exit");
	for (size_t i = 0; i < l->n; i++)
		nexit += strcmp(l->ev[i].type.p, "exit") == 0;
	if (ex) {
		const struct evlog_field *fs = evlog_get(ex, "status");
		char buf[16];
		size_t n = (size_t)snprintf(buf, sizeof(buf), "%d", r->status);

		if (nexit > 1 || ex != &l->ev[l->n - 1] || !fs ||
		    (r->exited && !evlog_value_eq(fs, buf, n))) {
			fprintf(o,
				"  (event log contract) the log must end with exactly one "
				"'exit' event whose status is vtlmon's (%d):\n",
				r->status);
			put_event(o, ex);
			fails++;
		}
	}

	for (size_t i = 0; i < sc->x.nd; i++) {
		const struct directive *d = &sc->x.d[i];
		const char *bad;
		size_t n = 0;

		if (d->kind == D_EXPECT && !chain)
			skipped++;
		if (d->kind == D_STATUS || (d->kind == D_EXPECT && !chain))
			continue;
		bad = unknown_key(l, d);
		if (bad) {
			put_directive(o, sc, d);
			fprintf(o, "    no '%s' event in this run has a field '%s' (a typo?)\n",
				d->type ? d->type : "*", bad);
			put_keys_seen(o, l, d);
			fails++;
			chain = chain && d->kind != D_EXPECT;
			continue;
		}
		switch (d->kind) {
		case D_EXPECT: {
			size_t from = pos;

			while (pos < l->n && !event_matches(&l->ev[pos], d))
				pos++;
			if (pos < l->n) {
				pos++;
				break;
			}
			put_directive(o, sc, d);
			if (l->missing) {
				fputs("    no matching event: vtlmon wrote no event log\n", o);
			} else if (!l->n) {
				fputs("    no matching event: the event log is empty\n", o);
			} else if (from == 0) {
				fputs("    no matching event in the whole log\n", o);
			} else {
				fprintf(o,
					"    no matching event after events:%zu (the previous "
					"expect's match)\n",
					l->ev[from - 1].lineno);
				for (size_t k = 0; k < from; k++)
					if (event_matches(&l->ev[k], d)) {
						fputs("    one comes earlier (out of order):\n", o);
						put_event(o, &l->ev[k]);
						break;
					}
			}
			if (l->n) {
				fprintf(o, "    %s events from there on:\n",
					d->type ? d->type : "all");
				put_events(o, l, from, d, false);
			}
			fails++;
			chain = false;
			break;
		}
		case D_FORBID:
			for (size_t k = 0; k < l->n; k++)
				n += event_matches(&l->ev[k], d);
			if (!n)
				break;
			put_directive(o, sc, d);
			fprintf(o, "    %zu forbidden event%s:\n", n, n == 1 ? "" : "s");
			put_events(o, l, 0, d, true);
			fails++;
			break;
		case D_COUNT:
			for (size_t k = 0; k < l->n; k++)
				n += event_matches(&l->ev[k], d);
			if ((d->cop == C_EQ && n == d->count) ||
			    (d->cop == C_GE && n >= d->count) || (d->cop == C_LE && n <= d->count))
				break;
			put_directive(o, sc, d);
			fprintf(o, "    %zu matching event%s, not %s%lu\n", n, n == 1 ? "" : "s",
				d->cop == C_GE	 ? ">="
				: d->cop == C_LE ? "<="
						 : "",
				d->count);
			put_events(o, l, 0, d, true);
			fails++;
			break;
		case D_STATUS: break;
		}
	}
	if (skipped)
		fprintf(o, "  (%d later expect line%s not checked: the order broke above)\n",
			skipped, skipped == 1 ? "" : "s");
	return fails;
}

static void put_all_events(FILE *o, const struct evlog *l)
{
	fprintf(o, "  events (%zu):\n", l->n);
	for (size_t i = 0; i < l->n; i++)
		fprintf(o, "      events:%zu: %.*s\n", l->ev[i].lineno, (int)l->ev[i].rawlen,
			l->ev[i].raw);
}

/* Loads the run's log; one that cannot be read or has a malformed line fails in check(). */
static bool log_load(struct result *r)
{
	struct evlog *l = &r->log;

	if (evlog_load(l, r->events_path, EVENTS_MAX_BYTES) == 0)
		return true;
	if (l->sys_errno)
		r->log_error = xasprintf("cannot read events file %s: %s", r->events_path,
					 strerror(l->sys_errno));
	else
		r->log_error = xasprintf("events:%zu:%zu: malformed event (%s): ", l->err_line,
					 l->err_col, l->err);
	return false;
}

/* Runs (or replays) one scenario and prints PASS or FAIL with the details. */
static bool scenario(const char *arg, const struct opts *o)
{
	struct scenario sc;
	struct result r = {0};
	char *buf = NULL;
	size_t blen = 0;
	FILE *d = open_memstream(&buf, &blen);
	bool ok = false, ran = false;
	int errs;

	if (!d)
		oom();
	errs = scenario_load(&sc, arg, o, d);
	if (errs) {
		fprintf(d, "  (%d error%s in the scenario itself: vtlmon was not run)\n", errs,
			errs == 1 ? "" : "s");
		goto report;
	}
	if (o->replay_events) {
		r.exited = true;
		r.status = o->replay_status;
		r.events_path = xstrdup(o->replay_events);
	} else if (!run(&sc, o, &r, d)) {
		goto report;
	}
	ran = true;
	if (log_load(&r) && o->verbose)
		put_all_events(d, &r.log);
	ok = check(&sc, &r, o->margin, d) == 0;
report:
	if (!ok && ran && !o->replay_events) {
		if (!o->verbose)
			put_command(d, &sc);
		put_output_tail(d, &r);
	}
	fclose(d);
	printf("%s %s", ok ? "PASS" : "FAIL", sc.name ? sc.name : arg);
	if (ran && !o->replay_events)
		printf(" (%.2f s)", r.secs);
	printf("\n%s", ok && !o->verbose && !o->keep ? "" : buf);
	fflush(stdout);
	free(buf);
	if (r.events_path && !o->replay_events && !o->keep)
		unlink(r.events_path);
	if (sc.policy_tmp && (!o->keep || !ran))
		unlink(sc.policy_tmp);
	free(r.events_path);
	free(r.output.p);
	evlog_free(&r.log);
	free(r.log_error);
	scenario_free(&sc);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every directory under the root is a scenario, so a folder with a misnamed file fails loudly. */
static char **list_scenarios(const char *root, size_t *n)
{
	DIR *dir = opendir(root);
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;

	*n = 0;
	if (!dir) {
		fprintf(stderr, "scenario-runner: %s: %s\n", root, strerror(errno));
		exit(RUNNER_USAGE);
	}
	while ((de = readdir(dir))) {
		char *p;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", root, de->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			*(char **)push(&names, n, &cap, sizeof(char *)) = xstrdup(de->d_name);
		free(p);
	}
	closedir(dir);
	if (*n)
		qsort(names, *n, sizeof(char *), cmp_names);
	return names;
}

static void usage(FILE *f)
{
	fputs("usage: scenario-runner [-v] [-k] [-m VTLMON] [-b BUILD] [-d ROOT] [-t SECONDS]\n"
	      "                       [-w SECONDS] [NAME|DIR...]\n"
	      "       scenario-runner -e EVENTS -s STATUS NAME|DIR   (check a saved log)\n"
	      "  -m VTLMON   the vtlmon binary (default build/vtlmon)\n"
	      "  -b BUILD    where scenario guests are built: BUILD/NAME/guest.elf\n"
	      "              (default build/scenarios)\n"
	      "  -d ROOT     where NAME is looked up, and what is listed when no NAME is given\n"
	      "              (default tests/scenarios)\n"
	      "  -l LINUX    the Linux test kernel for scenarios with a `linux` file:\n"
	      "              LINUX/vmlinux and LINUX/initramfs.cpio (default build/linux)\n"
	      "  -t SECONDS  --timeout for scenarios whose args file has none (default 30)\n"
	      "  -w SECONDS  kill vtlmon this long after its --timeout (default 15)\n"
	      "  -v          print the command line and every event of every scenario\n"
	      "  -k          keep the temporary event logs and vtlmon output\n"
	      "Exit status: 0 all passed, 1 a scenario failed, 2 usage or setup error.\n",
	      f);
}

int main(int argc, char **argv)
{
	struct opts o = {
	    .vtlmon = "build/vtlmon",
	    .build = "build/scenarios",
	    .root = "tests/scenarios",
	    .linux_dir = "build/linux",
	    .timeout = DEFAULT_TIMEOUT_S,
	    .margin = DEFAULT_MARGIN_S,
	    .replay_status = -1,
	};
	struct sigaction sa = {.sa_handler = sigchld_noop};
	sigset_t chld;
	char **names;
	size_t n, passed = 0, failed = 0;
	int c;

	while ((c = getopt(argc, argv, "vkm:b:d:l:t:w:e:s:h")) != -1) {
		char *end;

		switch (c) {
		case 'v': o.verbose = true; break;
		case 'k': o.keep = true; break;
		case 'm': o.vtlmon = optarg; break;
		case 'b': o.build = optarg; break;
		case 'd': o.root = optarg; break;
		case 'l':
			o.linux_dir = optarg;
			runner_linux_dir = optarg;
			break;
		case 'e': o.replay_events = optarg; break;
		case 't':
		case 'w': {
			double v = strtod(optarg, &end);

			if (end == optarg || *end || !(v > 0) || !isfinite(v)) {
				fprintf(stderr, "scenario-runner: bad -%c '%s'\n", c, optarg);
				return RUNNER_USAGE;
			}
			*(c == 't' ? &o.timeout : &o.margin) = v;
			break;
		}
		case 's': {
			unsigned long v;

			if (!parse_ulong(optarg, 255, &v)) {
				fprintf(stderr, "scenario-runner: bad -s '%s'\n", optarg);
				return RUNNER_USAGE;
			}
			o.replay_status = (int)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return RUNNER_USAGE;
		}
	}
	if (!!o.replay_events != (o.replay_status >= 0) ||
	    (o.replay_events && argc - optind != 1)) {
		fputs("scenario-runner: -e and -s go together, with one scenario\n", stderr);
		return RUNNER_USAGE;
	}
	if (!o.replay_events && access(o.vtlmon, X_OK) != 0) {
		fprintf(stderr, "scenario-runner: %s: %s\n", o.vtlmon, strerror(errno));
		return RUNNER_USAGE;
	}

	/* For policy.policy.in: SHA-256 and Ed25519 keys. */
	if (sodium_init() < 0) {
		fputs("scenario-runner: libsodium failed to initialise\n", stderr);
		return RUNNER_USAGE;
	}

	/* Blocked for good: run() collects it with sigtimedwait(); children get it unblocked. */
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	if (optind < argc) {
		n = (size_t)(argc - optind);
		names = xmalloc(n * sizeof(char *));
		for (size_t i = 0; i < n; i++)
			names[i] = xstrdup(argv[optind + (int)i]);
	} else {
		names = list_scenarios(o.root, &n);
	}
	for (size_t i = 0; i < n; i++) {
		if (scenario(names[i], &o))
			passed++;
		else
			failed++;
		free(names[i]);
	}
	free(names);
	/* CI parses this line. */
	printf("scenarios: %zu passed, %zu failed\n", passed, failed);
	if (passed + failed == 0) {
		fprintf(stderr, "scenario-runner: no scenario under %s: that is never a pass\n",
			o.root);
		return RUNNER_FAILED;
	}
	return failed ? RUNNER_FAILED : 0;
}
