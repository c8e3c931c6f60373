/* `vtlmon report`: a run's event log summarised (text or JSON), and VTL0's page map as SVG. */
#include "monitor/cmd/report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/events.h"
#include "monitor/base/evlog.h"
#include "monitor/base/exitcodes.h"

/*
 * The log is hostile input (a guest chooses many of its strings) and may be
 * huge, cut or corrupt: every line, string and table is bounded, and a cap
 * that is reached is said in the output, never silently applied.
 */
#define REPORT_LINE_MAX	   (1u << 20) /* the monitor writes at most EV_LINE_MAX */
#define REPORT_STR_MAX	   128	      /* a kept string; longer ones end in "..." */
#define REPORT_BOOTS_MAX   16
#define REPORT_FIRST	   5	  /* violations listed in the summary */
#define REPORT_VIOL_MAX	   10000  /* violations kept (and drawn) */
#define REPORT_CHANGES_MAX 4096	  /* permission changes kept (and drawn) */
#define REPORT_RECTS_MAX   50000  /* rectangles drawn */
#define REPORT_T_MAX	   1.8e19 /* t is clamped to about UINT64_MAX ns: every sum stays finite */
#define REPORT_PAGE	   4096ULL
#define REPORT_NONE	   LLONG_MIN /* an integer field that is absent or no integer */

static const char *const report_kinds[] = {"mem_write", "mem_read", "mem_exec",
					   "msr",	"cr",	    "other"};
static const char *const report_actions[] = {"deny",  "log",  "skip", "restore", "kill",
					     "reset", "stop", "none", "other"};
#define REPORT_NKINDS	(sizeof(report_kinds) / sizeof(report_kinds[0]))
#define REPORT_NACTIONS (sizeof(report_actions) / sizeof(report_actions[0]))
/* Fill colours by VTL_PERM_* value (R 1, W 2, X 4) and marker colours by action. */
static const char *const report_perm_names[8] = {"none", "r", "w", "rw", "x", "rx", "wx", "rwx"};
static const char *const report_perm_colors[8] = {"#4d4d4d", "#6baed6", "#c7e9c0", "#74c476",
						  "#fdae6b", "#fdd835", "#fb6a4a", "#eeeeee"};
static const char *const report_action_colors[REPORT_NACTIONS] = {"#d62728", "#ff7f0e", "#9467bd",
								  "#17becf", "#000000", "#8c564b",
								  "#7f7f7f", "#1f77b4", "#e377c2"};

struct report_boot {
	double t;
	long long vtl; /* REPORT_NONE: absent */
	char image[REPORT_STR_MAX], policy[REPORT_STR_MAX], sha[REPORT_STR_MAX];
};

/* The inputs a `start` event names, in its order (docs/cli.md). */
static const char *const report_inputs[] = {"vtl1",   "policy",	 "vtl0",    "kernel",
					    "initrd", "module0", "module1", "module2"};
#define REPORT_NINPUTS (sizeof(report_inputs) / sizeof(report_inputs[0]))

/* The run's `start` event: what ran, and when. */
struct report_start {
	bool seen;
	char version[REPORT_STR_MAX], time[REPORT_STR_MAX];
	char name[REPORT_NINPUTS][REPORT_STR_MAX], sha[REPORT_NINPUTS][REPORT_STR_MAX];
};

struct report_viol {
	double t;
	unsigned kind, action;
	bool has_gpa, has_rip;
	uint64_t gpa, rip;
	char insn[REPORT_STR_MAX];
};

/* A successful protect ([gpa, end) to perms), or with `all` every restriction dropped. */
struct report_change {
	double t;
	uint64_t gpa, end;
	uint8_t perms;
	bool all;
};

struct report {
	size_t lines, events, unknown, overflow;
	size_t bad_line, bad_col; /* the first malformed line; 0: none */
	char bad_why[96];
	double t_max;
	struct report_start start;
	struct report_boot boot[REPORT_BOOTS_MAX];
	size_t nboot, boots;
	struct report_viol *viol;
	size_t nviol, cap_viol, viols, kind[REPORT_NKINDS], action[REPORT_NACTIONS];
	struct report_change *chg;
	size_t nchg, cap_chg, protects, protect_ok, undrawn;
	double t_cut; /* the map stops at the first change not kept (REPORT_T_MAX: none) */
	size_t pins, resets, kexec_load, kexec_exec, kexec_bad;
	bool has_exit;
	long long code, status; /* REPORT_NONE: absent */
	char reason[REPORT_STR_MAX], detail[REPORT_STR_MAX];
	uint64_t suppressed[EV_NR_LIMITED];
	size_t rects, rects_dropped, marks;
};

/* A kept copy: printable ASCII only (anything else is '?'), cut with "..." past the cap. */
static void report_copy(char *dst, const struct evlog_field *f)
{
	size_t n = 0, len = f && f->kind == EVLOG_STR ? f->val.n : 0;

	for (; n < len && n < REPORT_STR_MAX - 1; n++) {
		unsigned char c = (unsigned char)f->val.p[n];

		dst[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len)
		memcpy(dst + n - 3, "...", 3);
	dst[n] = 0;
}

/*
 * Room for item n of an array that grows up to max items (a short log costs
 * little). False when it is full, or out of memory: both are a cap reached.
 */
static bool report_room(void **a, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t want = *cap ? 2 * *cap : 64;
	void *p;

	if (n < *cap)
		return true;
	if (n >= max || !(p = realloc(*a, (want < max ? want : max) * size)))
		return false;
	*a = p;
	*cap = want < max ? want : max;
	return true;
}

static void report_str(char *dst, const struct evlog_event *e, const char *key)
{
	report_copy(dst, evlog_get(e, key));
}

/* A JSON integer that fits a long long; REPORT_NONE when absent or anything else. */
static long long report_int(const struct evlog_event *e, const char *key)
{
	const struct evlog_field *f = evlog_get(e, key);
	long long v;
	char *end;

	if (!f || f->kind != EVLOG_NUM)
		return REPORT_NONE;
	errno = 0;
	v = strtoll(f->val.p, &end, 10);
	return *end || errno ? REPORT_NONE : v;
}

static unsigned report_index(const struct evlog_event *e, const char *key, const char *const *names,
			     unsigned n)
{
	for (unsigned i = 0; i + 1 < n; i++)
		if (evlog_is(e, key, names[i]))
			return i;
	return n - 1; /* "other" */
}

static void report_change(struct report *r, double t, uint64_t gpa, uint64_t end, uint8_t perms,
			  bool all)
{
	if (!report_room((void **)&r->chg, &r->cap_chg, r->nchg, sizeof(*r->chg),
			 REPORT_CHANGES_MAX)) {
		if (r->t_cut == REPORT_T_MAX)
			r->t_cut = t;
		r->undrawn++;
		return;
	}
	r->chg[r->nchg++] = (struct report_change){t, gpa, end, perms, all};
}

static void report_protect(struct report *r, const struct evlog_event *e, double t)
{
	const struct evlog_field *res = evlog_get(e, "result");
	uint64_t gpa, pages, perms, end;

	r->protects++;
	if (!evlog_is(e, "result", "ok") && !(res && evlog_value_eq(res, "0", 1)))
		return;
	r->protect_ok++;
	if (!evlog_u64(e, "gpa", &gpa) || !evlog_u64(e, "pages", &pages) ||
	    !evlog_u64(e, "perms", &perms) || perms > 7 || pages == 0 || gpa == UINT64_MAX) {
		r->undrawn++;
		return;
	}
	/* A range past 2^64 is cut there: the picture cannot show more. */
	end = pages > (UINT64_MAX - gpa) / REPORT_PAGE ? UINT64_MAX : gpa + pages * REPORT_PAGE;
	report_change(r, t, gpa, end, (uint8_t)perms, false);
}

static void report_event(struct report *r, const struct evlog_event *e)
{
	double t = strtod(evlog_get(e, "t")->val.p, NULL);

	t = t < REPORT_T_MAX ? t : REPORT_T_MAX;
	r->t_max = t > r->t_max ? t : r->t_max;
	if (evlog_is(e, "type", "start") && !r->start.seen) {
		char key[32];

		r->start.seen = true;
		report_str(r->start.version, e, "version");
		report_str(r->start.time, e, "time");
		for (size_t i = 0; i < REPORT_NINPUTS; i++) {
			snprintf(key, sizeof(key), "%s_sha256", report_inputs[i]);
			report_str(r->start.name[i], e, report_inputs[i]);
			report_str(r->start.sha[i], e, key);
		}
	} else if (evlog_is(e, "type", "boot")) {
		struct report_boot *b = &r->boot[r->nboot];

		if (r->boots++ >= REPORT_BOOTS_MAX)
			return;
		r->nboot++;
		b->t = t;
		b->vtl = report_int(e, "vtl");
		report_str(b->image, e, "image");
		report_str(b->policy, e, "policy");
		report_str(b->sha, e, "policy_sha256");
	} else if (evlog_is(e, "type", "violation")) {
		struct report_viol *v;

		r->viols++;
		r->kind[report_index(e, "kind", report_kinds, REPORT_NKINDS)]++;
		r->action[report_index(e, "action", report_actions, REPORT_NACTIONS)]++;
		if (!report_room((void **)&r->viol, &r->cap_viol, r->nviol, sizeof(*r->viol),
				 REPORT_VIOL_MAX))
			return;
		v = &r->viol[r->nviol++];
		v->t = t;
		v->kind = report_index(e, "kind", report_kinds, REPORT_NKINDS);
		v->action = report_index(e, "action", report_actions, REPORT_NACTIONS);
		v->has_gpa = evlog_u64(e, "gpa", &v->gpa);
		v->has_rip = evlog_u64(e, "rip", &v->rip);
		report_str(v->insn, e, "insn");
	} else if (evlog_is(e, "type", "protect")) {
		report_protect(r, e, t);
	} else if (evlog_is(e, "type", "pin")) {
		r->pins++;
	} else if (evlog_is(e, "type", "reset")) {
		r->resets += evlog_is(e, "step", "trigger");
		/* A new VTL0 VM: no restriction is left until VTL1 protects again. */
		if (evlog_is(e, "step", "drop_restrictions"))
			report_change(r, t, 0, UINT64_MAX, 7, true);
	} else if (evlog_is(e, "type", "kexec")) {
		r->kexec_load += evlog_is(e, "step", "load");
		r->kexec_bad += evlog_is(e, "step", "malformed");
		if (evlog_is(e, "step", "exec")) {
			r->kexec_exec++;
			report_change(r, t, 0, UINT64_MAX, 7, true);
		}
	} else if (evlog_is(e, "type", "exit")) {
		r->has_exit = true;
		report_str(r->reason, e, "reason");
		report_str(r->detail, e, "detail");
		r->code = report_int(e, "code");
		r->status = report_int(e, "status");
		for (unsigned i = 0; i < EV_NR_LIMITED; i++) {
			char key[64];

			snprintf(key, sizeof(key), "suppressed.%s", events_limited_name(i));
			if (!evlog_u64(e, key, &r->suppressed[i]))
				r->suppressed[i] = 0;
		}
	} else if (evlog_is(e, "type", "event_overflow")) {
		r->overflow++;
	} else if (!evlog_is(e, "type", "console") && !evlog_is(e, "type", "log") &&
		   !evlog_is(e, "type", "ucall") && !evlog_is(e, "type", "vtl_call") &&
		   !evlog_is(e, "type", "unmapped_access")) {
		r->unknown++;
	}
}

/* One line without its newline into *buf: 1, 0 at the end, -1 past REPORT_LINE_MAX bytes. */
static int report_getline(FILE *in, char **buf, size_t *cap, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(in)) != EOF && c != '\n') {
		if (!report_room((void **)buf, cap, n, 1, REPORT_LINE_MAX))
			return -1;
		(*buf)[n++] = (char)c;
	}
	*len = n;
	return n || c == '\n';
}

/* Reads up to the first malformed line: the report covers the well-formed prefix. */
static int report_read(struct report *r, FILE *in)
{
	struct evlog l = {0};
	size_t len, cap = 0;
	char *buf = NULL;
	int got;

	while ((got = report_getline(in, &buf, &cap, &len)) != 0) {
		r->lines++;
		if (got < 0) {
			r->bad_col = cap + 1;
			snprintf(r->bad_why, sizeof(r->bad_why), "line longer than %zu bytes", cap);
		} else if (len == 0 || evlog_parse(&l, buf, len) != 0 || l.n != 1) {
			r->bad_col = l.err ? l.err_col : 1;
			snprintf(r->bad_why, sizeof(r->bad_why), "%s",
				 l.err ? l.err : "empty line");
		} else {
			r->events++;
			report_event(r, &l.ev[0]);
		}
		evlog_free(&l);
		if (r->bad_col) {
			r->bad_line = r->lines;
			break;
		}
	}
	free(buf);
	return ferror(in) ? -1 : 0;
}

/* ---- output ------------------------------------------------------------------- */

static void report_json_str(FILE *o, const char *s)
{
	char buf[6 * REPORT_STR_MAX + 1];

	fprintf(o, "\"%.*s\"", (int)json_escape(buf, sizeof(buf), s, strlen(s)), buf);
}

static void report_json_int(FILE *o, const char *key, long long v)
{
	if (v == REPORT_NONE)
		fprintf(o, "\"%s\":null", key);
	else
		fprintf(o, "\"%s\":%lld", key, v);
}

static void report_json_hex(FILE *o, bool has, uint64_t v)
{
	if (has)
		fprintf(o, "\"0x%llx\"", (unsigned long long)v);
	else
		fputs("null", o);
}

static void report_json(const struct report *r, FILE *o)
{
	fprintf(o, "{\"lines\":%zu,\"events\":%zu,\"malformed\":", r->lines, r->events);
	if (r->bad_line) {
		fprintf(o, "{\"line\":%zu,\"column\":%zu,\"error\":", r->bad_line, r->bad_col);
		report_json_str(o, r->bad_why);
		fputc('}', o);
	} else {
		fputs("null", o);
	}
	fputs(",\"start\":", o);
	if (r->start.seen) {
		fputs("{\"version\":", o);
		report_json_str(o, r->start.version);
		fputs(",\"time\":", o);
		report_json_str(o, r->start.time);
		fputs(",\"inputs\":[", o);
		for (size_t i = 0, n = 0; i < REPORT_NINPUTS; i++) {
			if (!r->start.sha[i][0])
				continue;
			fprintf(o, "%s{\"role\":\"%s\",\"name\":", n++ ? "," : "",
				report_inputs[i]);
			report_json_str(o, r->start.name[i]);
			fputs(",\"sha256\":", o);
			report_json_str(o, r->start.sha[i]);
			fputc('}', o);
		}
		fputs("]}", o);
	} else {
		fputs("null", o);
	}
	fprintf(o, ",\"duration_ns\":%.0f,\"boots\":[", r->t_max);
	for (size_t i = 0; i < r->nboot; i++) {
		fprintf(o, "%s{\"t\":%.0f,", i ? "," : "", r->boot[i].t);
		report_json_int(o, "vtl", r->boot[i].vtl);
		fputs(",\"image\":", o);
		report_json_str(o, r->boot[i].image);
		fputs(",\"policy\":", o);
		report_json_str(o, r->boot[i].policy);
		fputs(",\"policy_sha256\":", o);
		report_json_str(o, r->boot[i].sha);
		fputc('}', o);
	}
	fprintf(o, "],\"violations\":{\"total\":%zu,\"kind\":{", r->viols);
	for (size_t i = 0; i < REPORT_NKINDS; i++)
		fprintf(o, "%s\"%s\":%zu", i ? "," : "", report_kinds[i], r->kind[i]);
	fputs("},\"action\":{", o);
	for (size_t i = 0; i < REPORT_NACTIONS; i++)
		fprintf(o, "%s\"%s\":%zu", i ? "," : "", report_actions[i], r->action[i]);
	fputs("},\"first\":[", o);
	for (size_t i = 0; i < r->nviol && i < REPORT_FIRST; i++) {
		const struct report_viol *v = &r->viol[i];

		fprintf(o, "%s{\"t\":%.0f,\"kind\":\"%s\",\"action\":\"%s\",\"rip\":", i ? "," : "",
			v->t, report_kinds[v->kind], report_actions[v->action]);
		report_json_hex(o, v->has_rip, v->rip);
		fputs(",\"gpa\":", o);
		report_json_hex(o, v->has_gpa, v->gpa);
		fputs(",\"insn\":", o);
		report_json_str(o, v->insn);
		fputc('}', o);
	}
	fprintf(o,
		"]},\"protect\":{\"total\":%zu,\"ok\":%zu},\"pin\":%zu,\"resets\":%zu,"
		"\"kexec\":{\"load\":%zu,\"exec\":%zu,\"malformed\":%zu},\"unknown_types\":%zu,"
		"\"event_overflow\":%zu,\"suppressed\":{",
		r->protects, r->protect_ok, r->pins, r->resets, r->kexec_load, r->kexec_exec,
		r->kexec_bad, r->unknown, r->overflow);
	for (unsigned i = 0, k = 0; i < EV_NR_LIMITED; i++)
		if (r->suppressed[i])
			fprintf(o, "%s\"%s\":%llu", k++ ? "," : "", events_limited_name(i),
				(unsigned long long)r->suppressed[i]);
	fputs("},\"exit\":", o);
	if (r->has_exit) {
		fputs("{\"reason\":", o);
		report_json_str(o, r->reason);
		fputc(',', o);
		report_json_int(o, "code", r->code);
		fputc(',', o);
		report_json_int(o, "status", r->status);
		fputs(",\"detail\":", o);
		report_json_str(o, r->detail);
		fputc('}', o);
	} else {
		fputs("null", o);
	}
	fprintf(o,
		",\"limits\":{\"boots_not_kept\":%zu,\"violations_not_kept\":%zu,"
		"\"protect_not_drawn\":%zu,\"rects_not_drawn\":%zu}}\n",
		r->boots - r->nboot, r->viols - r->nviol, r->undrawn, r->rects_dropped);
}

static const char *report_hex(char *buf, bool has, uint64_t v)
{
	snprintf(buf, 24, has ? "0x%llx" : "?", (unsigned long long)v);
	return buf;
}

static void report_text(const struct report *r, const char *name, FILE *o)
{
	unsigned k = 0;

	fprintf(o, "%s: %zu events on %zu lines, duration %.6f s\n", name, r->events, r->lines,
		r->t_max / 1e9);
	if (r->bad_line)
		fprintf(
		    o, "  line %zu, column %zu: malformed event (%s): the report stops before it\n",
		    r->bad_line, r->bad_col, r->bad_why);
	if (r->start.seen) {
		fprintf(o, "start  vtlmon %s at %s\n", r->start.version, r->start.time);
		for (size_t i = 0; i < REPORT_NINPUTS; i++)
			if (r->start.sha[i][0])
				fprintf(o, "input  %-7s \"%s\" sha256 %s\n", report_inputs[i],
					r->start.name[i], r->start.sha[i]);
	}
	for (size_t i = 0; i < r->nboot; i++) {
		if (r->boot[i].vtl == REPORT_NONE)
			fprintf(o, "boot   vtl? \"%s\"", r->boot[i].image);
		else
			fprintf(o, "boot   vtl%lld \"%s\"", r->boot[i].vtl, r->boot[i].image);
		if (r->boot[i].policy[0] || r->boot[i].sha[0])
			fprintf(o, " policy \"%s\" sha256 %s", r->boot[i].policy, r->boot[i].sha);
		fputc('\n', o);
	}
	if (r->boots > r->nboot)
		fprintf(o, "  (%zu more boots not listed)\n", r->boots - r->nboot);
	fprintf(o, "violations %zu:", r->viols);
	for (size_t i = 0; i < REPORT_NKINDS; i++)
		fprintf(o, " %s %zu", report_kinds[i], r->kind[i]);
	fputs("\n  actions:", o);
	for (size_t i = 0; i < REPORT_NACTIONS; i++)
		fprintf(o, " %s %zu", report_actions[i], r->action[i]);
	fputc('\n', o);
	for (size_t i = 0; i < r->nviol && i < REPORT_FIRST; i++) {
		const struct report_viol *v = &r->viol[i];
		char rip[24], gpa[24];

		fprintf(o, "  %.6f s %-9s rip %s gpa %s \"%s\" -> %s\n", v->t / 1e9,
			report_kinds[v->kind], report_hex(rip, v->has_rip, v->rip),
			report_hex(gpa, v->has_gpa, v->gpa), v->insn, report_actions[v->action]);
	}
	fprintf(o,
		"protect %zu (%zu ok), pin %zu, resets %zu, kexec %zu loaded %zu executed %zu "
		"malformed\n",
		r->protects, r->protect_ok, r->pins, r->resets, r->kexec_load, r->kexec_exec,
		r->kexec_bad);
	fputs("suppressed:", o);
	for (unsigned i = 0; i < EV_NR_LIMITED; i++)
		if (r->suppressed[i])
			fprintf(o, "%s %s %llu", k++ ? "," : "", events_limited_name(i),
				(unsigned long long)r->suppressed[i]);
	fputs(k ? "\n" : " none\n", o);
	if (r->has_exit) {
		fprintf(o, "exit   %s", r->reason);
		if (r->status != REPORT_NONE)
			fprintf(o, ", status %lld", r->status);
		if (r->code != REPORT_NONE)
			fprintf(o, ", guest code %lld", r->code);
		fprintf(o, ": %s\n", r->detail);
	} else
		fputs("exit   none: the log ends before the run did\n", o);
	if (r->unknown || r->overflow)
		fprintf(o, "other: %zu events of unknown types, %zu event_overflow\n", r->unknown,
			r->overflow);
	if (r->viols > r->nviol)
		fprintf(o, "note: only the first %d violations are kept and drawn (%zu more)\n",
			REPORT_VIOL_MAX, r->viols - r->nviol);
	if (r->undrawn)
		fprintf(
		    o,
		    "note: %zu permission changes not drawn (malformed, or past the cap of %d)\n",
		    r->undrawn, REPORT_CHANGES_MAX);
	if (r->rects_dropped)
		fprintf(o, "note: %zu rectangles not drawn (cap %d)\n", r->rects_dropped,
			REPORT_RECTS_MAX);
}

/* ---- SVG ---------------------------------------------------------------------- */

#define SVG_W  1000.0
#define SVG_PL 150.0 /* left margin: the address labels */
#define SVG_PW 820.0
#define SVG_PT 56.0
#define SVG_PH 600.0
#define SVG_OY (SVG_PT + SVG_PH + 8) /* the row of violations off the map */

/* The protected ranges cut at every change's ends: segment k is [b[k], b[k + 1]). */
struct report_map {
	uint64_t *b;
	size_t nb;
	double *y, *h; /* h 0: a gap between ranges, drawn as a fixed space */
	uint8_t *perms;
	double *since;
	double tend;
};

/* Escapes for XML text and attributes; anything but printable ASCII is '?'. */
static void report_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c == '\'')
			fputs("&apos;", f);
		else
			fputc(c >= 0x20 && c < 0x7f ? c : '?', f);
	}
}

static int report_u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The last k with b[k] <= a, or nb when a is below b[0]. */
static size_t report_find(const struct report_map *m, uint64_t a)
{
	size_t lo = 0, hi = m->nb;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->b[mid] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : m->nb;
}

static double report_x(const struct report_map *m, double t)
{
	return SVG_PL + SVG_PW * (t < m->tend ? t : m->tend) / m->tend;
}

static void report_rect(struct report *r, const struct report_map *m, FILE *f, size_t k, double t)
{
	double x0 = report_x(m, m->since[k]), x1 = report_x(m, t);

	if (x1 <= x0 || m->h[k] == 0)
		return;
	if (r->rects == REPORT_RECTS_MAX) {
		r->rects_dropped++;
		return;
	}
	r->rects++;
	fprintf(f, "<rect x=\"%.2f\" y=\"%.3f\" width=\"%.2f\" height=\"%.3f\" fill=\"%s\"/>\n", x0,
		m->y[k], x1 - x0, m->h[k], report_perm_colors[m->perms[k]]);
}

/* Cuts and lays out the ranges (heights grow with log2 of the size), then labels them. */
static void report_layout(const struct report *r, struct report_map *m, FILE *f)
{
	size_t nseg = m->nb - 1, gaps = 0;
	double units = 0, gap, ppu, y = SVG_PT, last = -1e9;
	long *depth = calloc(m->nb, sizeof(*depth));

	if (!depth)
		return;
	for (size_t i = 0; i < r->nchg; i++)
		if (!r->chg[i].all) {
			depth[report_find(m, r->chg[i].gpa)]++;
			depth[report_find(m, r->chg[i].end)]--;
		}
	for (size_t k = 0; k < nseg; k++) {
		uint64_t pages = (m->b[k + 1] - m->b[k]) / REPORT_PAGE;

		depth[k] += k ? depth[k - 1] : 0;
		m->h[k] = depth[k] ? 1 + (pages ? 63 - __builtin_clzll(pages) : 0) : 0;
		units += m->h[k];
		gaps += !depth[k];
	}
	free(depth);
	gap = gaps ? (SVG_PH / 3 / gaps < 8 ? SVG_PH / 3 / gaps : 8) : 0;
	ppu = units ? (SVG_PH - gaps * gap) / units : 0;
	for (size_t k = 0; k < nseg; k++) {
		m->y[k] = y;
		m->h[k] *= ppu;
		y += m->h[k] ? m->h[k] : gap;
		/* A label where there is room for it: range starts, and the end of each run. */
		if (m->h[k] && m->y[k] + 9 - last >= 11) {
			last = m->y[k] + 9;
			fprintf(f,
				"<text x=\"%.0f\" y=\"%.2f\" text-anchor=\"end\">0x%llx</text>\n",
				SVG_PL - 6, last, (unsigned long long)m->b[k]);
		}
		if (m->h[k] && (k + 1 == nseg || !m->h[k + 1]) && y - last >= 11) {
			last = y;
			fprintf(f,
				"<text x=\"%.0f\" y=\"%.2f\" text-anchor=\"end\">0x%llx</text>\n",
				SVG_PL - 6, last, (unsigned long long)m->b[k + 1]);
		}
	}
}

/* Every kept change in order; each segment's state since its last change is one rectangle. */
static void report_map_draw(struct report *r, struct report_map *m, FILE *f)
{
	double tprev = 0;

	for (size_t k = 0; k + 1 < m->nb; k++) {
		m->perms[k] = 7; /* nothing is restricted before VTL1 says so */
		m->since[k] = 0;
	}
	for (size_t i = 0; i < r->nchg; i++) {
		const struct report_change *c = &r->chg[i];
		size_t lo = c->all ? 0 : report_find(m, c->gpa);
		size_t hi = c->all ? m->nb - 1 : report_find(m, c->end);
		/* Lines written out of time order by racing threads never draw backwards. */
		double t = c->t > tprev ? c->t : tprev;

		tprev = t;
		for (size_t k = lo; k < hi; k++) {
			if (m->perms[k] == c->perms)
				continue;
			report_rect(r, m, f, k, t);
			m->perms[k] = c->perms;
			m->since[k] = t;
		}
	}
	/* Past the first change not kept, the map is unknown: it stops there. */
	for (size_t k = 0; k + 1 < m->nb; k++)
		report_rect(r, m, f, k, r->t_cut < m->tend ? r->t_cut : m->tend);
}

static void report_marks(struct report *r, const struct report_map *m, FILE *f)
{
	for (size_t i = 0; i < r->nviol; i++) {
		const struct report_viol *v = &r->viol[i];
		size_t k = v->has_gpa && v->kind < 3 && m->nb ? report_find(m, v->gpa) : m->nb;
		double y = SVG_OY + 10;
		char title[512];

		if (k + 1 < m->nb && m->h[k])
			y = m->y[k] +
			    m->h[k] * (double)(v->gpa - m->b[k]) / (double)(m->b[k + 1] - m->b[k]);
		snprintf(title, sizeof(title), "%.6f s %s %s rip 0x%llx gpa 0x%llx: %s", v->t / 1e9,
			 report_kinds[v->kind], report_actions[v->action],
			 (unsigned long long)v->rip, (unsigned long long)v->gpa, v->insn);
		fprintf(f,
			"<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\" stroke=\"#000000\" "
			"stroke-width=\"0.5\"><title>",
			report_x(m, v->t), y, report_action_colors[v->action]);
		report_xml(f, title);
		fputs("</title></circle>\n", f);
		r->marks++;
	}
}

static void report_legend(const struct report *r, FILE *f, double y)
{
	unsigned seen = 1u << 0 | 1u << 1 | 1u << 3 | 1u << 5 | 1u << 7;
	double x = SVG_PL;

	for (size_t i = 0; i < r->nchg; i++)
		seen |= 1u << r->chg[i].perms;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">pages</text>\n", x - 6, y + 10);
	for (unsigned p = 0; p < 8; p++)
		if (seen & 1u << p) {
			fprintf(
			    f,
			    "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"12\" fill=\"%s\" "
			    "stroke=\"#000000\" stroke-width=\"0.5\"/><text x=\"%.0f\" "
			    "y=\"%.0f\">%s</text>\n",
			    x, y, report_perm_colors[p], x + 18, y + 10,
			    p == 7 ? "rwx (unrestricted)" : report_perm_names[p]);
			x += 60;
		}
	x = SVG_PL;
	y += 20;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">violations</text>\n", x - 6,
		y + 10);
	for (size_t a = 0; a < REPORT_NACTIONS; a++)
		if (r->action[a]) {
			fprintf(f,
				"<circle cx=\"%.0f\" cy=\"%.0f\" r=\"4\" fill=\"%s\" "
				"stroke=\"#000000\" "
				"stroke-width=\"0.5\"/><text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
				x + 6, y + 6, report_action_colors[a], x + 14, y + 10,
				report_actions[a]);
			x += 80;
		}
}

static int report_svg(struct report *r, FILE *f)
{
	struct report_map m = {.tend = r->t_max > 1 ? r->t_max : 1};
	const char *image = "", *policy = "";
	char line[256];
	double y = SVG_OY + 20 + 36;
	size_t n = 0;
	int ret = -1;

	for (size_t i = 0; i < r->nboot; i++) {
		if (r->boot[i].vtl == 0)
			image = r->boot[i].image;
		if (r->boot[i].policy[0])
			policy = r->boot[i].policy;
	}
	m.b = malloc((2 * r->nchg + 1) * sizeof(*m.b));
	m.y = malloc((2 * r->nchg + 1) * sizeof(*m.y));
	m.h = malloc((2 * r->nchg + 1) * sizeof(*m.h));
	m.since = malloc((2 * r->nchg + 1) * sizeof(*m.since));
	m.perms = malloc(2 * r->nchg + 1);
	if (!m.b || !m.y || !m.h || !m.since || !m.perms)
		goto out;
	for (size_t i = 0; i < r->nchg; i++)
		if (!r->chg[i].all) {
			m.b[m.nb++] = r->chg[i].gpa;
			m.b[m.nb++] = r->chg[i].end;
		}
	qsort(m.b, m.nb, sizeof(*m.b), report_u64cmp);
	for (size_t i = 0; i < m.nb; i++)
		if (n == 0 || m.b[i] != m.b[n - 1])
			m.b[n++] = m.b[i];
	m.nb = n;
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"monospace\" "
		"font-size=\"10\">\n<title>",
		SVG_W, y + 100, SVG_W, y + 100);
	snprintf(line, sizeof(line), "vtlmon report: VTL0 %s, policy %s", image[0] ? image : "?",
		 policy[0] ? policy : "?");
	report_xml(f, line);
	fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
		   "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">");
	report_xml(f, line);
	fprintf(f,
		"</text>\n<text x=\"10\" y=\"38\">VTL0 page permissions: x time since start, "
		"y guest-physical address (protected ranges only, height by log2 of size); %zu "
		"events, %zu violations</text>\n"
		"<g shape-rendering=\"crispEdges\">\n",
		r->events, r->viols);
	if (m.nb >= 2) {
		report_layout(r, &m, f);
		report_map_draw(r, &m, f);
	} else {
		m.nb = 0;
		fprintf(f,
			"<text x=\"%.0f\" y=\"%.0f\">no successful protect event to draw</text>\n",
			SVG_PL + 10, SVG_PT + 20);
	}
	fprintf(f,
		"<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
		"stroke=\"#000000\"/>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"20\" "
		"fill=\"#f8f8f8\" stroke=\"#000000\"/>\n<text x=\"%.0f\" y=\"%.0f\" "
		"text-anchor=\"end\">elsewhere</text>\n</g>\n",
		SVG_PL, SVG_PT, SVG_PW, SVG_PH, SVG_PL, SVG_OY, SVG_PW, SVG_PL - 6, SVG_OY + 14);
	for (int i = 0; i <= 4; i++) {
		double x = SVG_PL + SVG_PW * i / 4;

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#000000\"/>"
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.4g s</text>\n",
			x, SVG_OY + 20, x, SVG_OY + 24, x, SVG_OY + 34, m.tend * i / 4 / 1e9);
	}
	report_marks(r, &m, f);
	report_legend(r, f, y);
	y += 50;
	if (r->bad_line) {
		fprintf(f, "<text x=\"10\" y=\"%.0f\">line %zu is malformed (", y, r->bad_line);
		report_xml(f, r->bad_why);
		fputs("): only the lines before it are shown</text>\n", f);
	}
	if (r->viols > r->nviol || r->undrawn || r->rects_dropped)
		fprintf(f,
			"<text x=\"10\" y=\"%.0f\">not drawn: %zu violations (cap %d), %zu "
			"permission changes (malformed, or past the cap of %d), %zu rectangles "
			"(cap %d)</text>\n",
			y + 16, r->viols - r->nviol, REPORT_VIOL_MAX, r->undrawn,
			REPORT_CHANGES_MAX, r->rects_dropped, REPORT_RECTS_MAX);
	if (r->t_cut < REPORT_T_MAX)
		fprintf(f,
			"<text x=\"10\" y=\"%.0f\">the map stops at %.4g s: changes after it "
			"were not kept</text>\n",
			y + 32, r->t_cut / 1e9);
	fputs("</svg>\n", f);
	ret = 0;
out:
	free(m.b);
	free(m.y);
	free(m.h);
	free(m.since);
	free(m.perms);
	return ret;
}

/* ---- the command -------------------------------------------------------------- */

int report_stream(FILE *in, const char *name, FILE *out, FILE *svg, bool json, FILE *err)
{
	struct report *r = calloc(1, sizeof(*r));
	int ret = VTLMON_EXIT_MONITOR;

	if (!r) {
		fprintf(err, "vtlmon report: out of memory\n");
		goto out;
	}
	r->t_cut = REPORT_T_MAX;
	if (report_read(r, in)) {
		fprintf(err, "vtlmon report: %s: read error\n", name);
		ret = VTLMON_EXIT_NOINPUT;
		goto out;
	}
	if (r->bad_line)
		fprintf(err, "vtlmon report: %s:%zu:%zu: malformed event (%s)%s\n", name,
			r->bad_line, r->bad_col, r->bad_why,
			r->events ? ": the report covers the lines before it" : "");
	ret = VTLMON_EXIT_INVALID;
	if (!r->events) {
		if (!r->bad_line)
			fprintf(err, "vtlmon report: %s: no events\n", name);
		goto out;
	}
	ret = VTLMON_EXIT_MONITOR;
	/* The picture first: the summary says what it could not draw. */
	if (svg && (report_svg(r, svg) || fflush(svg) || ferror(svg))) {
		fprintf(err, "vtlmon report: cannot write the SVG\n");
		goto out;
	}
	if (json)
		report_json(r, out);
	else
		report_text(r, name, out);
	if (fflush(out) || ferror(out)) {
		fprintf(err, "vtlmon report: write error\n");
		goto out;
	}
	ret = VTLMON_EXIT_OK;
out:
	if (r) {
		free(r->viol);
		free(r->chg);
	}
	free(r);
	return ret;
}

static void report_usage(FILE *f)
{
	fprintf(
	    f, "usage: vtlmon report EVENTS.jsonl [--svg FILE] [--json]\n"
	       "  Summarises a run's event log: the images booted, duration, violations\n"
	       "  by kind and action (the first few listed), protect, pin, reset and kexec\n"
	       "  counts, what the rate limit suppressed, and how the run ended.\n"
	       "  --svg FILE  also draw VTL0's page permissions over time, with violations\n"
	       "  --json      the summary as one JSON object\n"
	       "  A malformed line ends the report, which covers the lines before it.\n"
	       "  Exit status: 0, 64 usage, 65 no valid event, 70 cannot write, 72 cannot read.\n");
}

int report_run(int argc, char **argv, FILE *out, FILE *err)
{
	const char *path = NULL, *svg_path = NULL, *why = NULL;
	FILE *in = NULL, *svg = NULL;
	bool json = false, opts_done = false;
	struct stat st;
	int fd, ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && !strcmp(a, "--json")) {
			json = true;
		} else if (!opts_done && !strcmp(a, "--svg")) {
			if (i + 1 == argc) {
				fprintf(err, "vtlmon report: --svg needs a FILE\n");
				return VTLMON_EXIT_USAGE;
			}
			svg_path = argv[++i];
		} else if (!opts_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			report_usage(out);
			return VTLMON_EXIT_OK;
		} else if (!opts_done && !strcmp(a, "--")) {
			opts_done = true;
		} else if ((!opts_done && a[0] == '-' && a[1]) || path) {
			fprintf(err, "vtlmon report: unexpected argument '%s'\n", a);
			report_usage(err);
			return VTLMON_EXIT_USAGE;
		} else {
			path = a;
		}
	}
	if (!path) {
		report_usage(err);
		return VTLMON_EXIT_USAGE;
	}
	/* O_NONBLOCK: a FIFO is refused at once, never waited on (as every input of vtlmon). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		why = strerror(errno);
	else if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (!(in = fdopen(fd, "r")))
		why = strerror(errno);
	if (why) {
		fprintf(err, "vtlmon report: %s: %s\n", path, why);
		if (fd >= 0)
			close(fd);
		return VTLMON_EXIT_NOINPUT;
	}
	if (svg_path && !(svg = fopen(svg_path, "w"))) {
		fprintf(err, "vtlmon report: %s: %s\n", svg_path, strerror(errno));
		fclose(in);
		return VTLMON_EXIT_MONITOR;
	}
	ret = report_stream(in, path, out, svg, json, err);
	fclose(in);
	if (svg && fclose(svg) && !ret) {
		fprintf(err, "vtlmon report: %s: %s\n", svg_path, strerror(errno));
		ret = VTLMON_EXIT_MONITOR;
	}
	/* No picture is better than a half-written one. */
	if (svg && ret)
		unlink(svg_path);
	return ret;
}

int report_main(int argc, char **argv)
{
	return report_run(argc, argv, stdout, stderr);
}
