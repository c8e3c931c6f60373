/* The tests' queries on vtlmon's --events log: find, count, dump (the reader is
 * monitor/base/evlog). */
#ifndef TESTS_LIB_EVLOG_H
#define TESTS_LIB_EVLOG_H

#include "monitor/base/evlog.h"

/* ---- matching --------------------------------------------------------------- */

enum evlog_op {
	EVLOG_EQ,     /* key=value: equal by meaning (evlog_value_eq) */
	EVLOG_NE,     /* key!=value: present and not equal */
	EVLOG_SUB,    /* key~text: the value (decoded, or its JSON text) contains text */
	EVLOG_PREFIX, /* key^text: the value starts with text */
};

struct evlog_match {
	const char *key; /* keylen bytes, not necessarily NUL-terminated; "a.b" descends */
	size_t keylen;
	enum evlog_op op;
	const char *val;
	size_t len;
};

/* A field the event lacks never matches, whatever the operator. type NULL: any type. */
bool evlog_matches(const struct evlog_event *e, const char *type, const struct evlog_match *m,
		   size_t nm);
long evlog_find_m(const struct evlog *l, size_t from, const char *type, const struct evlog_match *m,
		  size_t nm);
size_t evlog_count_m(const struct evlog *l, const char *type, const struct evlog_match *m,
		     size_t nm);

/*
 * "key=value", "key!=value", "key~text" or "key^text" (value as written,
 * no quoting) into m, pointing into s. False when s has no operator.
 */
bool evlog_match_parse(const char *s, struct evlog_match *m);

/*
 * Index of the first event at or after `from` of this type (NULL: any) that
 * matches every "key=value" string given (evlog_match_parse); -1 if none.
 * A string that is no matcher aborts: a typo must not read as "no such event".
 *   evlog_find(l, 0, "ucall", "cmd=4", "arg0=0x1")
 */
#define evlog_find(l, from, ...) evlog_find_((l), (from), __VA_ARGS__, (const char *)NULL)
#define evlog_count(l, ...)	 evlog_count_((l), __VA_ARGS__, (const char *)NULL)
long evlog_find_(const struct evlog *l, size_t from, const char *type, ...);
size_t evlog_count_(const struct evlog *l, const char *type, ...);

/*
 * Parses one JSON value (the --json output of a command, a --state-out file;
 * a final newline is ignored) as the field `key` of a single event, so the
 * reader validates it and evlog_get(&l->ev[0], "KEY.a.b") reaches into it.
 * Returns evlog_parse()'s result; free with evlog_free().
 */
int evlog_parse_json(struct evlog *l, const char *key, const char *json, size_t len);

/* ---- diagnostics ------------------------------------------------------------ */

/*
 * Prints events [from, to) as "  event I: LINE"; when `to` reaches the end
 * of a malformed log, the malformed line and why too.
 */
void evlog_dump(FILE *o, const struct evlog *l, size_t from, size_t to);

#endif
