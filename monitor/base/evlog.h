/* The one reader of vtlmon's --events log (JSON Lines): load or parse, then get fields. */
#ifndef MONITOR_BASE_EVLOG_H
#define MONITOR_BASE_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Every line must be one JSON object with unique keys, a non-negative
 * number "t" and a non-empty string "type" (docs/cli.md); the first line
 * that is not makes the whole log malformed, with its line and column.
 * Nested objects ("suppressed") are parsed; arrays are checked and kept
 * as text only (the monitor writes none).
 */

/* Bytes: NUL-terminated for convenience, but a decoded \u0000 can put a NUL inside: use n. */
struct evlog_str {
	const char *p;
	size_t n;
};

enum evlog_kind { EVLOG_STR, EVLOG_NUM, EVLOG_TRUE, EVLOG_FALSE, EVLOG_NULL, EVLOG_OBJ, EVLOG_ARR };

struct evlog_field;

struct evlog_obj {
	struct evlog_field *f;
	size_t n, cap;
};

struct evlog_field {
	struct evlog_str key;
	/*
	 * A string decoded; anything else as its JSON text (numbers keep their
	 * exact digits). Objects and arrays are the text of the line itself,
	 * and are not NUL-terminated there.
	 */
	struct evlog_str val;
	enum evlog_kind kind;
	struct evlog_obj obj; /* EVLOG_OBJ: its fields */
};

struct evlog_event {
	size_t lineno;	       /* 1-based line in the file */
	const char *raw;       /* the line as written, NUL-terminated, without its newline */
	size_t rawlen;	       /* (a NUL byte inside a line is malformed JSON anyway) */
	struct evlog_str type; /* the "type" string */
	struct evlog_obj f;    /* every field, in order, "t" and "type" included */
};

struct evlog {
	struct evlog_event *ev; /* the well-formed lines, up to the first malformed one */
	size_t n, cap;
	bool missing; /* there was no file: no events, and not an error */
	/* Why loading failed: the file is unreadable (sys_errno != 0) or a line is malformed. */
	const char *err; /* NULL when the whole log is well-formed */
	int sys_errno;
	size_t err_line, err_col; /* 1-based */
	const char *err_raw;	  /* the malformed line (NUL-terminated), or NULL */
	size_t err_rawlen;
	/* Private: the file's text (lines end in NUL) and the decoded strings. */
	char *text_;
	char *arena_;
	size_t arena_used_, arena_cap_;
};

/* ---- loading ---------------------------------------------------------------- */

/*
 * Reads and parses a whole events file of at most max_bytes. A missing file
 * is an empty log with `missing` set. Returns 0, or -1 with err set (and
 * sys_errno for a file that cannot be read: EFBIG past max_bytes).
 */
int evlog_load(struct evlog *l, const char *path, size_t max_bytes);
/* The same from memory (the text is copied). */
int evlog_parse(struct evlog *l, const char *text, size_t len);
void evlog_free(struct evlog *l);
/* "events:LINE:COL: malformed event (WHY)" or "cannot read events file: WHY" into buf. */
void evlog_strerror(const struct evlog *l, char *buf, size_t len);

/*
 * Decodes the JSON string whose opening quote is at s[*pos] into a new
 * NUL-terminated copy (free() it), its length in *len, and moves *pos past
 * its closing quote. \u00XX decodes to the single byte XX, not to U+00XX in
 * UTF-8: the monitor escapes each raw guest byte that way, so this gives back
 * the guest's exact bytes; larger code points become UTF-8. NULL with *err
 * and *pos at the fault otherwise. (The scenario runner's expect files quote
 * words this way.)
 */
char *evlog_json_string(const char *s, size_t n, size_t *pos, size_t *len, const char **err);

/* ---- fields ------------------------------------------------------------------ */

/* A field by key; "a.b" is field b of the object a ("suppressed.violation"). NULL if absent. */
const struct evlog_field *evlog_get(const struct evlog_event *e, const char *key);
/* The same with a key of keylen bytes, not necessarily NUL-terminated. */
const struct evlog_field *evlog_getn(const struct evlog_event *e, const char *key, size_t keylen);
/* A string field's decoded value; NULL when absent or not a string. */
const char *evlog_str(const struct evlog_event *e, const char *key);
/* A string field equal to val, byte for byte. */
bool evlog_is(const struct evlog_event *e, const char *key, const char *val);
/*
 * An unsigned integer: a JSON number in decimal (no sign, fraction or
 * exponent) or a "0x..." string of 1 to 16 hex digits, as the monitor writes
 * addresses. False when absent, anything else, or past UINT64_MAX.
 */
bool evlog_u64(const struct evlog_event *e, const char *key, uint64_t *v);
/* true or false; false when absent or anything else. */
bool evlog_bool(const struct evlog_event *e, const char *key, bool *v);
/*
 * Equality by meaning: a number or a "0x..." string compares by value when
 * `want` is an integer too (7, 0x7 and "0X7" agree); other numbers as
 * doubles; other strings byte for byte; true/false/null and nested values
 * as their JSON text.
 */
bool evlog_value_eq(const struct evlog_field *f, const char *want, size_t len);

#endif
