/* Policy language parser: any bytes in, a compiled struct policy or positioned errors out. */
#include "policy/policy_internal.h"

#include "vtl1_abi.h"
#include "vtl_device.h"
#include "vtl_layout.h"

/*
 * Work is linear in the input: each byte is classified once by a table
 * lookup, and every name is looked up in a small fixed table by its packed
 * first 8 bytes (policy_internal.h, policy_find()). VTL1 runs this
 * emulated at about 1 us per instruction, which is why the hot loops are
 * tight. Nothing here may read past `len`: the text is hostile and need not
 * be NUL-terminated.
 */

struct policy_tok {
	uint32_t off; /* byte offset in the text */
	uint32_t len;
	uint32_t col; /* 1-based */
	uint64_t w;   /* the first min(len, 8) bytes, packed (policy_pack()) */
};

_Static_assert(POLICY_NR_PINNABLE_MSRS <= 32,
	       "policy_parser.msrs_listed has a bit per pinnable MSR");

/* Statements that may appear at most once. */
enum policy_once {
	ONCE_VERSION,
	ONCE_EXEC,
	ONCE_WATCHDOG,
	ONCE_BEFORE,
	ONCE_AFTER,
	ONCE_ACTION, /* one per class, then default */
	ONCE_ACTION_DEFAULT = ONCE_ACTION + POLICY_CLASS_COUNT,
	ONCE_KEXEC_ALLOW,
	ONCE_RESET_ZERO,
	ONCE_RESET_MAX,
	ONCE_COUNT
};

struct policy_parser {
	const char *text;
	struct policy *out;
	struct policy_diag *diags;
	size_t maxdiags;
	size_t ndiags;
	enum policy_err first;
	bool stop;
	bool seen_statement;
	uint32_t line;
	uint32_t ntok;
	struct policy_tok tok[POLICY_MAX_WORDS];
	uint32_t once_line[ONCE_COUNT]; /* line of the first occurrence, 0 if none */
	uint8_t default_action;
	uint8_t kexec_yes; /* `kexec allow yes` seen: checked against the anchors at the end */
	uint32_t kexec_yes_line;
	uint32_t kexec_yes_col;
	uint32_t msrs_listed;		    /* bit n: policy_pinnable_msrs[n] is in out->msrs */
	struct policy_buf mb;		    /* message of the diagnostic being written */
	const struct policy_platform *plat; /* NULL: no platform to check against */
};

/* ---- diagnostics ------------------------------------------------------------ */

static struct policy_buf *policy_diag_at(struct policy_parser *p, uint32_t line, uint32_t col,
					 enum policy_err code)
{
	if (p->first == POLICY_OK)
		p->first = code;
	if (p->ndiags < p->maxdiags) {
		struct policy_diag *d = &p->diags[p->ndiags++];

		d->line = line;
		d->col = col;
		d->code = code;
		/* pre-zeroed, and the builder never writes the last byte: always terminated */
		policy_zero(d->msg, sizeof(d->msg));
		policy_buf_init(&p->mb, d->msg, sizeof(d->msg));
	} else {
		policy_buf_init(&p->mb, NULL, 0);
	}
	if (p->ndiags >= p->maxdiags)
		p->stop = true;
	return &p->mb;
}

static struct policy_buf *policy_diag(struct policy_parser *p, uint32_t col, enum policy_err code)
{
	return policy_diag_at(p, p->line, col, code);
}

#define POLICY_TOK_ECHO_MAX 32U

/* Quote a word in a message; words are printable ASCII, long ones are cut. */
static void policy_put_tok(struct policy_buf *b, const struct policy_parser *p,
			   const struct policy_tok *t)
{
	uint32_t n = t->len > POLICY_TOK_ECHO_MAX ? POLICY_TOK_ECHO_MAX : t->len;

	policy_buf_putc(b, '\'');
	policy_buf_putn(b, p->text + t->off, n);
	if (n < t->len)
		policy_buf_puts(b, "...");
	policy_buf_putc(b, '\'');
}

/* The statement's leading keywords, quoted: 'kexec allow'. */
static void policy_put_key(struct policy_buf *b, const struct policy_parser *p, uint32_t nkey)
{
	policy_buf_putc(b, '\'');
	for (uint32_t i = 0; i < nkey && i < p->ntok; i++) {
		uint32_t n = p->tok[i].len;

		if (i)
			policy_buf_putc(b, ' ');
		policy_buf_putn(b, p->text + p->tok[i].off,
				n > POLICY_TOK_ECHO_MAX ? POLICY_TOK_ECHO_MAX : n);
	}
	policy_buf_putc(b, '\'');
}

/* ---- words -------------------------------------------------------------------- */

/*
 * Word t is the keyword kw (a string literal of at most 24 bytes, checked at
 * compile time: past 24 the mid and tail words would not cover it): the length,
 * then the packed first 8 bytes against a constant, then the rest 8 bytes
 * at a time. Most tests fail at the length, at the cost of one compare.
 */
#define POLICY_TOK_IS(p, t, kw)                                                                    \
	((void)sizeof(char[sizeof(kw) - 1 <= POLICY_NAME_MAX ? 1 : -1]),                           \
	 (t)->len == sizeof(kw) - 1 && (t)->w == POLICY_PACK8(kw, 0) &&                            \
	     (sizeof(kw) - 1 <= 8 || policy_tok_rest_is(p, t, POLICY_PACK8(kw, 8),                 \
							POLICY_PACK8(kw, POLICY_TAIL_AT(kw)))))

static uint64_t policy_tok_load(const struct policy_parser *p, uint32_t at)
{
	uint64_t v;

	__builtin_memcpy(&v, p->text + at, sizeof(v));
	return v;
}

/* Bytes 8.. of a word longer than 8 bytes: its last 8 and, past 16, bytes 8..15. */
static bool policy_tok_rest_is(const struct policy_parser *p, const struct policy_tok *t,
			       uint64_t mid, uint64_t tail)
{
	return policy_tok_load(p, t->off + t->len - 8) == tail &&
	       (t->len <= 16 || policy_tok_load(p, t->off + 8) == mid);
}

static char policy_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/*
 * Case-insensitive compare against an uppercase name of [A-Z0-9_]. Ignoring
 * bit 0x20 folds case; it can confuse a digit or '_' only with a control
 * byte or DEL, and the lexer never puts those in a word.
 */
static bool policy_eq_icase(const char *s, const char *name, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if ((s[i] ^ name[i]) & ~0x20)
			return false;
	return true;
}

static bool policy_lookup_tok(const struct policy_parser *p, const struct policy_tok *t,
			      const struct policy_name *tab, const uint64_t *keys, size_t n,
			      uint32_t *value)
{
	const struct policy_name *e =
	    policy_find(tab, keys, n, p->text + t->off, t->len, t->w, POLICY_EXACT);

	if (e)
		*value = e->value;
	return e != NULL;
}

/* Digit value plus one, 0 for a non-digit: one load per digit, for hex and decimal alike. */
static const uint8_t policy_digit[256] = {
    ['0'] = 1,	['1'] = 2,  ['2'] = 3,	['3'] = 4,  ['4'] = 5,	['5'] = 6,  ['6'] = 7,	['7'] = 8,
    ['8'] = 9,	['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * NUMBER = decimal digits, or 0x followed by hex digits. With `suffix`, one
 * of K, M, G may follow (binary multiples). A bad digit wins over overflow,
 * so "99999999999999999999x" is "not a number", not "too big".
 */
static enum policy_err policy_parse_u64(const char *s, uint32_t len, bool suffix, uint64_t *out)
{
	const uint8_t *u = (const uint8_t *)s;
	uint32_t shift = 0, i = 0;
	uint64_t v = 0;
	bool hex = len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	bool over = false;

	if (suffix && len > 0) {
		char c = s[len - 1];

		if (c == 'K' || c == 'M' || c == 'G') {
			shift = c == 'K' ? 10 : c == 'M' ? 20 : 30;
			len--;
		}
	}
	if (hex)
		i = 2;
	if (i >= len)
		return POLICY_E_BAD_NUMBER;
	for (; i < len; i++) {
		uint32_t d = policy_digit[u[i]];

		if (!d || (!hex && d > 10))
			return POLICY_E_BAD_NUMBER;
		d--;
		if (hex) {
			over |= (v >> 60) != 0;
			v = v << 4 | d;
		} else {
			/* UINT64_MAX is 1844674407370955161 * 10 + 5 */
			over |=
			    v > 1844674407370955161ULL || (v == 1844674407370955161ULL && d > 5);
			v = v * 10 + d;
		}
	}
	if (over || (shift && v > (UINT64_MAX >> shift)))
		return POLICY_E_RANGE;
	*out = v << shift;
	return POLICY_OK;
}

/* Report a failed number; returns false so callers can `return policy_bad_number(...)`. */
static bool policy_bad_number(struct policy_parser *p, const struct policy_tok *t,
			      enum policy_err e, const char *what)
{
	struct policy_buf *b = policy_diag(p, t->col, e);

	policy_put_tok(b, p, t);
	policy_buf_puts(b, e == POLICY_E_RANGE ? " is too large for " : " is not a number for ");
	policy_buf_puts(b, what);
	return false;
}

static bool policy_number(struct policy_parser *p, const struct policy_tok *t, bool suffix,
			  const char *what, uint64_t *v)
{
	enum policy_err e = policy_parse_u64(p->text + t->off, t->len, suffix, v);

	if (e != POLICY_OK)
		return policy_bad_number(p, t, e, what);
	return true;
}

/* ---- statement shape ------------------------------------------------------ */

/*
 * Check the number of arguments after the `nkey` keywords. A missing
 * argument is reported just after the last word; a surplus one at itself.
 */
static __attribute__((noinline)) bool policy_nargs_bad(struct policy_parser *p, uint32_t nkey,
						       uint32_t min, uint32_t max, const char *what)
{
	if (p->ntok < nkey + min) {
		const struct policy_tok *last = &p->tok[p->ntok - 1];
		struct policy_buf *b = policy_diag(p, last->col + last->len, POLICY_E_MISSING_ARG);

		policy_buf_puts(b, "expected ");
		policy_buf_puts(b, what);
		policy_buf_puts(b, " after ");
		policy_put_key(b, p, p->ntok);
		return false;
	}
	struct policy_buf *b = policy_diag(p, p->tok[nkey + max].col, POLICY_E_EXTRA_ARG);

	policy_buf_puts(b, "unexpected ");
	policy_put_tok(b, p, &p->tok[nkey + max]);
	policy_buf_puts(b, " at the end of ");
	policy_put_key(b, p, nkey);
	return false;
}

/*
 * The count check inline, the diagnostics out of line: VTL1 checks every
 * statement, and the call cost ~25 emulated instructions each (perf).
 */
static inline bool policy_nargs(struct policy_parser *p, uint32_t nkey, uint32_t min, uint32_t max,
				const char *what)
{
	if (p->ntok >= nkey + min && p->ntok <= nkey + max)
		return true;
	return policy_nargs_bad(p, nkey, min, max, what);
}

static __attribute__((noinline)) bool policy_once_bad(struct policy_parser *p,
						      enum policy_once which, uint32_t nkey)
{
	struct policy_buf *b = policy_diag(p, p->tok[0].col, POLICY_E_DUPLICATE);

	policy_buf_puts(b, "duplicate ");
	policy_put_key(b, p, nkey);
	policy_buf_puts(b, " statement (first at line ");
	policy_buf_dec(b, p->once_line[which]);
	policy_buf_putc(b, ')');
	return false;
}

/* First occurrence of a once-only statement? Reports the repeat otherwise. */
static inline bool policy_once(struct policy_parser *p, enum policy_once which, uint32_t nkey)
{
	if (p->once_line[which])
		return policy_once_bad(p, which, nkey);
	p->once_line[which] = p->line;
	return true;
}

static bool policy_bool(struct policy_parser *p, const struct policy_tok *t, bool *v)
{
	if (POLICY_TOK_IS(p, t, "yes") || POLICY_TOK_IS(p, t, "no")) {
		*v = POLICY_TOK_IS(p, t, "yes");
		return true;
	}
	struct policy_buf *b = policy_diag(p, t->col, POLICY_E_BAD_BOOL);

	policy_buf_puts(b, "expected yes or no, not ");
	policy_put_tok(b, p, t);
	return false;
}

static void policy_unknown_sub(struct policy_parser *p, const char *expected)
{
	struct policy_buf *b = policy_diag(p, p->tok[1].col, POLICY_E_UNKNOWN_KEY);

	policy_buf_puts(b, "unknown ");
	policy_put_key(b, p, 1);
	policy_buf_puts(b, " statement ");
	policy_put_tok(b, p, &p->tok[1]);
	policy_buf_puts(b, " (expected ");
	policy_buf_puts(b, expected);
	policy_buf_putc(b, ')');
}

/* ---- vtlmon-policy, exec-protection ----------------------------------------- */

static void policy_st_version(struct policy_parser *p)
{
	uint64_t v;

	if (!policy_once(p, ONCE_VERSION, 1) || !policy_nargs(p, 1, 1, 1, "a version number"))
		return;
	if (!policy_number(p, &p->tok[1], false, "the version", &v))
		return;
	if (v != POLICY_VERSION) {
		struct policy_buf *b = policy_diag(p, p->tok[1].col, POLICY_E_BAD_VERSION);

		policy_buf_puts(b, "unsupported policy version ");
		policy_put_tok(b, p, &p->tok[1]);
		policy_buf_puts(b, " (this parser reads version 1)");
	}
}

static void policy_st_exec(struct policy_parser *p)
{
	const struct policy_tok *t = &p->tok[1];

	if (!policy_once(p, ONCE_EXEC, 1) || !policy_nargs(p, 1, 1, 1, "required or best-effort"))
		return;
	if (POLICY_TOK_IS(p, t, "required")) {
		p->out->flags |= POLICY_F_NEEDS_EXEC_PROTECT;
		if (p->plat && !(p->plat->features & VTL_FEAT_PERM_NOEXEC)) {
			struct policy_buf *b = policy_diag(p, t->col, POLICY_E_PLATFORM);

			policy_buf_puts(b, "this host cannot enforce exec protection (upstream KVM "
					   "has no non-executable pages; see vtlmon caps): run "
					   "refuses this policy here");
		}
	} else if (POLICY_TOK_IS(p, t, "best-effort")) {
		p->out->flags &= ~POLICY_F_NEEDS_EXEC_PROTECT;
	} else {
		struct policy_buf *b = policy_diag(p, t->col, POLICY_E_BAD_VALUE);

		policy_buf_puts(b, "expected required or best-effort, not ");
		policy_put_tok(b, p, t);
	}
}

/* ---- cr --------------------------------------------------------------------- */

/* CR0.NAME or CR4.NAME, case-insensitive. Sets *cr to 0 or 4 and *bit. */
static bool policy_cr_bit(struct policy_parser *p, const struct policy_tok *t, uint32_t *cr,
			  uint32_t *bit)
{
	const char *s = p->text + t->off;
	struct policy_buf *b;

	if (t->len > 4 && policy_upper(s[0]) == 'C' && policy_upper(s[1]) == 'R' &&
	    (s[2] == '0' || s[2] == '4') && s[3] == '.') {
		const struct policy_cr_bit *c =
		    policy_find_cr_bit(s[2] == '4' ? 4 : 0, s + 4, t->len - 4,
				       policy_pack(p->text, t->off + 4, t->len - 4));

		if (c) {
			*cr = c->cr;
			*bit = c->bit;
			return true;
		}
		b = policy_diag(p, t->col, POLICY_E_UNKNOWN_CR_BIT);
		policy_buf_puts(b, "unknown CR");
		policy_buf_putc(b, s[2]);
		policy_buf_puts(b, " bit ");
		policy_put_tok(b, p, t);
		return false;
	}
	b = policy_diag(p, t->col, POLICY_E_UNKNOWN_CR_BIT);
	policy_buf_puts(b, "unknown CR bit ");
	policy_put_tok(b, p, t);
	policy_buf_puts(b, " (expected CR0.NAME or CR4.NAME, e.g. CR0.WP)");
	return false;
}

static void policy_st_cr_pin(struct policy_parser *p, bool boot)
{
	struct policy *o = p->out;

	if (!policy_nargs(p, 2, 1, POLICY_MAX_WORDS, "a CR bit such as CR0.WP"))
		return;
	for (uint32_t i = 2; i < p->ntok; i++) {
		uint32_t cr, bit;

		if (!policy_cr_bit(p, &p->tok[i], &cr, &bit))
			continue;
		uint64_t m = 1ULL << bit;
		uint64_t *pin = cr == 0 ? &o->cr0_pin_boot : &o->cr4_pin_boot;
		uint64_t *able = cr == 0 ? &o->cr0_pinnable : &o->cr4_pinnable;

		/* a bit is either pinned at boot or pinnable on request, never both */
		if ((*pin | *able) & m) {
			struct policy_buf *b = policy_diag(p, p->tok[i].col, POLICY_E_DUPLICATE);

			policy_buf_puts(b, "CR bit ");
			policy_put_tok(b, p, &p->tok[i]);
			policy_buf_puts(b, " is already listed by 'cr pin' or 'cr pinnable'");
			continue;
		}
		*(boot ? pin : able) |= m;
	}
}

/* DURATION = digits followed by us, ms or s. */
static void policy_st_cr_watchdog(struct policy_parser *p)
{
	const struct policy_tok *t = &p->tok[2];
	const char *s;
	uint32_t nd = 0;
	uint64_t v = 0, unit;
	struct policy_buf *b;

	if (!policy_once(p, ONCE_WATCHDOG, 2) ||
	    !policy_nargs(p, 2, 1, 1, "a period such as 10ms, or off"))
		return;
	if (POLICY_TOK_IS(p, t, "off")) {
		p->out->watchdog_us = 0;
		return;
	}
	s = p->text + t->off;
	while (nd < t->len && s[nd] >= '0' && s[nd] <= '9')
		nd++;
	if (t->len - nd == 2 && s[nd] == 'u' && s[nd + 1] == 's')
		unit = 1;
	else if (t->len - nd == 2 && s[nd] == 'm' && s[nd + 1] == 's')
		unit = 1000;
	else if (t->len - nd == 1 && s[nd] == 's')
		unit = 1000000;
	else
		nd = 0;
	if (nd == 0) {
		b = policy_diag(p, t->col, POLICY_E_BAD_DURATION);
		policy_put_tok(b, p, t);
		policy_buf_puts(b, " is not a period (expected e.g. 500us, 10ms or 1s, or off)");
		return;
	}
	if (policy_parse_u64(s, nd, false, &v) != POLICY_OK || v > UINT64_MAX / unit ||
	    v * unit < POLICY_WATCHDOG_MIN_US || v * unit > POLICY_WATCHDOG_MAX_US) {
		b = policy_diag(p, t->col, POLICY_E_RANGE);
		policy_buf_puts(b, "watchdog period ");
		policy_put_tok(b, p, t);
		policy_buf_puts(b, " is outside 100us..10s");
		return;
	}
	p->out->watchdog_us = (uint32_t)(v * unit);
}

static void policy_st_cr_breakpoint(struct policy_parser *p)
{
	struct policy *o = p->out;

	if (!policy_nargs(p, 2, 1, POLICY_MAX_WORDS, "a guest-virtual address"))
		return;
	for (uint32_t i = 2; i < p->ntok; i++) {
		const struct policy_tok *t = &p->tok[i];
		struct policy_buf *b;
		uint64_t v, top;
		bool dup = false;

		if (!policy_number(p, t, false, "a breakpoint address", &v))
			continue;
		top = v >> 47;
		if (top != 0 && top != 0x1FFFF) {
			b = policy_diag(p, t->col, POLICY_E_BAD_ADDRESS);
			policy_buf_puts(b, "breakpoint address ");
			policy_put_tok(b, p, t);
			policy_buf_puts(b, " is not canonical");
			continue;
		}
		for (uint32_t j = 0; j < o->nr_cr_sites; j++)
			dup |= o->cr_sites[j] == v;
		if (dup) {
			b = policy_diag(p, t->col, POLICY_E_DUPLICATE);
			policy_buf_puts(b, "duplicate breakpoint address ");
			policy_put_tok(b, p, t);
			continue;
		}
		if (o->nr_cr_sites >= POLICY_MAX_CR_SITES) {
			b = policy_diag(p, t->col, POLICY_E_TOO_MANY);
			policy_buf_puts(
			    b, "too many CR-write breakpoints (at most 4: one per debug register)");
			return;
		}
		o->cr_sites[o->nr_cr_sites++] = v;
	}
}

static void policy_st_cr(struct policy_parser *p)
{
	if (!policy_nargs(p, 1, 1, POLICY_MAX_WORDS, "pin, pinnable, watchdog or breakpoint"))
		return;
	if (POLICY_TOK_IS(p, &p->tok[1], "pin"))
		policy_st_cr_pin(p, true);
	else if (POLICY_TOK_IS(p, &p->tok[1], "pinnable"))
		policy_st_cr_pin(p, false);
	else if (POLICY_TOK_IS(p, &p->tok[1], "watchdog"))
		policy_st_cr_watchdog(p);
	else if (POLICY_TOK_IS(p, &p->tok[1], "breakpoint"))
		policy_st_cr_breakpoint(p);
	else
		policy_unknown_sub(p, "pin, pinnable, watchdog or breakpoint");
}

/* ---- msr -------------------------------------------------------------------- */

/* A name (IA32_ prefix optional, case-insensitive) or a number. */
static bool policy_msr(struct policy_parser *p, const struct policy_tok *t, uint32_t *index)
{
	const char *s = p->text + t->off;
	const struct policy_name *n;
	uint32_t len = t->len;
	struct policy_buf *b;
	uint64_t v;

	if (s[0] >= '0' && s[0] <= '9') {
		if (!policy_number(p, t, false, "an MSR", &v))
			return false;
		if (v > UINT32_MAX || !policy_msr_index_valid((uint32_t)v)) {
			b = policy_diag(p, t->col, POLICY_E_RANGE);
			policy_buf_puts(b, "MSR ");
			policy_put_tok(b, p, t);
			policy_buf_puts(b, " is outside the architectural MSR ranges");
			return false;
		}
		*index = (uint32_t)v;
		return true;
	}
	if (len > 5 && policy_eq_icase(s, "IA32_", 5)) {
		s += 5;
		len -= 5;
	}
	n = policy_find(policy_msr_names, policy_msr_keys, policy_nr_msr_names, s, len,
			policy_pack(p->text, (size_t)(s - p->text), len), POLICY_FOLD);
	if (n) {
		*index = n->value;
		return true;
	}
	b = policy_diag(p, t->col, POLICY_E_UNKNOWN_MSR);
	policy_buf_puts(b, "unknown MSR ");
	policy_put_tok(b, p, t);
	policy_buf_puts(b, " (use a name such as LSTAR, or a number)");
	return false;
}

static void policy_st_msr(struct policy_parser *p)
{
	struct policy *o = p->out;
	uint32_t flags;

	if (!policy_nargs(p, 1, 1, POLICY_MAX_WORDS, "pin or pinnable"))
		return;
	if (POLICY_TOK_IS(p, &p->tok[1], "pin")) {
		flags = POLICY_PIN_BOOT;
	} else if (POLICY_TOK_IS(p, &p->tok[1], "pinnable")) {
		flags = POLICY_PINNABLE;
	} else {
		policy_unknown_sub(p, "pin or pinnable");
		return;
	}
	if (!policy_nargs(p, 2, 1, POLICY_MAX_WORDS, "an MSR name or number"))
		return;
	for (uint32_t i = 2; i < p->ntok; i++) {
		const struct policy_tok *t = &p->tok[i];
		struct policy_buf *b;
		uint32_t index;
		int slot;

		if (!policy_msr(p, t, &index))
			continue;
		/* A pin is a write filter: it guards only MSRs that nothing but WRMSR changes. */
		slot = policy_msr_pinnable_slot(index);
		if (slot < 0) {
			const char *name = policy_msr_canonical(index);

			b = policy_diag(p, t->col, POLICY_E_NOT_PINNABLE);
			if (name) {
				policy_buf_puts(b, name);
			} else {
				policy_buf_puts(b, "MSR ");
				policy_put_tok(b, p, t);
			}
			policy_buf_puts(b, " cannot be pinned: ");
			policy_buf_puts(b, policy_msr_unpinnable_reason(index));
			continue;
		}
		/* only pinnable MSRs get into the table: its slot bit says whether this one did */
		if (p->msrs_listed >> slot & 1) {
			b = policy_diag(p, t->col, POLICY_E_DUPLICATE);
			policy_buf_puts(b, "MSR ");
			policy_put_tok(b, p, t);
			policy_buf_puts(b, " (");
			policy_buf_hex(b, index);
			policy_buf_puts(b, ") is already listed by 'msr pin' or 'msr pinnable'");
			continue;
		}
		if (o->nr_msrs >= POLICY_MAX_MSRS) {
			b = policy_diag(p, t->col, POLICY_E_TOO_MANY);
			policy_buf_puts(b, "too many MSRs (at most 32)");
			return;
		}
		p->msrs_listed |= 1U << slot;
		o->msrs[o->nr_msrs].index = index;
		o->msrs[o->nr_msrs].flags = flags;
		o->nr_msrs++;
	}
}

/* ---- memory ----------------------------------------------------------------- */

static bool policy_perms(struct policy_parser *p, const struct policy_tok *t, uint8_t *perms)
{
	uint32_t v;

	if (policy_lookup_tok(p, t, policy_perm_names, policy_perm_keys, policy_nr_perm_names,
			      &v)) {
		*perms = (uint8_t)v;
		return true;
	}
	struct policy_buf *b = policy_diag(p, t->col, POLICY_E_BAD_PERMS);

	policy_buf_puts(b, "invalid permissions ");
	policy_put_tok(b, p, t);
	policy_buf_puts(b, " (expected none, r, rw, rx or rwx)");
	return false;
}

static bool policy_aligned(struct policy_parser *p, const struct policy_tok *t, uint64_t v,
			   const char *what)
{
	if (!(v & (VTL_PAGE_SIZE - 1)))
		return true;
	struct policy_buf *b = policy_diag(p, t->col, POLICY_E_UNALIGNED);

	policy_buf_puts(b, what);
	policy_buf_putc(b, ' ');
	policy_put_tok(b, p, t);
	policy_buf_puts(b, " is not a multiple of 4K");
	return false;
}

static void policy_st_memory(struct policy_parser *p)
{
	struct policy *o = p->out;
	struct policy_mem_rule r;
	const struct policy_tok *t;
	struct policy_buf *b;
	uint32_t region, a;
	bool ok = true;

	if (!policy_nargs(p, 1, 1, POLICY_MAX_WORDS,
			  "a region (text, rodata, data, image or range)"))
		return;
	if (!policy_lookup_tok(p, &p->tok[1], policy_region_names, policy_region_keys,
			       policy_nr_region_names, &region)) {
		b = policy_diag(p, p->tok[1].col, POLICY_E_UNKNOWN_REGION);
		policy_buf_puts(b, "unknown memory region ");
		policy_put_tok(b, p, &p->tok[1]);
		policy_buf_puts(b, " (expected text, rodata, data, image or range)");
		return;
	}
	policy_zero(&r, sizeof(r));
	r.region = (uint8_t)region;
	a = 2; /* first word after the region */
	if (region == POLICY_REGION_RANGE) {
		if (!policy_nargs(p, 2, 3, 4, "BASE SIZE PERMS"))
			return;
		ok &= policy_number(p, &p->tok[2], true, "a range base", &r.base) &&
		      policy_aligned(p, &p->tok[2], r.base, "range base");
		ok &= policy_number(p, &p->tok[3], true, "a range size", &r.size) &&
		      policy_aligned(p, &p->tok[3], r.size, "range size");
		if (ok &&
		    (r.size == 0 || r.base > VTL0_RAM_MAX || r.size > VTL0_RAM_MAX - r.base)) {
			b = policy_diag(p, p->tok[3].col, POLICY_E_RANGE);
			policy_buf_puts(b, "range size ");
			policy_put_tok(b, p, &p->tok[3]);
			policy_buf_puts(b, r.size ? " ends beyond VTL0 RAM (at most 3G)"
						  : " is empty");
			ok = false;
		}
		if (ok && p->plat && r.base + r.size > p->plat->vtl0_ram) {
			b = policy_diag(p, p->tok[2].col, POLICY_E_PLATFORM);
			policy_buf_puts(b, "range ");
			policy_put_tok(b, p, &p->tok[2]);
			policy_buf_puts(b, " + ");
			policy_put_tok(b, p, &p->tok[3]);
			policy_buf_puts(b, " ends beyond this run's VTL0 RAM of ");
			policy_buf_dec(b, p->plat->vtl0_ram >> 20);
			policy_buf_puts(b, "M (--mem): VTL1 refuses the launch");
			ok = false;
		}
		a = 4;
	} else if (!policy_nargs(p, 2, 1, 2, "permissions (none, r, rw, rx or rwx)")) {
		return;
	}
	ok &= policy_perms(p, &p->tok[a], &r.perms);
	if (p->ntok > a + 1) {
		t = &p->tok[a + 1];
		if (POLICY_TOK_IS(p, t, "locked")) {
			r.flags |= POLICY_MEM_LOCKED;
		} else {
			b = policy_diag(p, t->col, POLICY_E_EXTRA_ARG);
			policy_buf_puts(b, "unexpected ");
			policy_put_tok(b, p, t);
			policy_buf_puts(b, " (only 'locked' may follow the permissions)");
			ok = false;
		}
	}
	if (!ok)
		return;
	for (uint32_t i = 0; i < o->nr_mem; i++) {
		const struct policy_mem_rule *q = &o->mem[i];

		if (q->region == r.region && q->base == r.base && q->size == r.size) {
			b = policy_diag(p, p->tok[1].col, POLICY_E_DUPLICATE);
			policy_buf_puts(b, "duplicate memory rule for this ");
			policy_buf_puts(b, region == POLICY_REGION_RANGE ? "range" : "region");
			return;
		}
	}
	if (o->nr_mem >= POLICY_MAX_MEM_RULES) {
		b = policy_diag(p, p->tok[0].col, POLICY_E_TOO_MANY);
		policy_buf_puts(b, "too many memory rules (at most 32)");
		return;
	}
	o->mem[o->nr_mem++] = r;
}

/* ---- before-end-of-boot, after-end-of-boot, action -------------------------- */

static void policy_st_requests(struct policy_parser *p, bool after)
{
	uint32_t mask = 0;
	bool ok = true;

	if (!policy_once(p, after ? ONCE_AFTER : ONCE_BEFORE, 1) ||
	    !policy_nargs(p, 1, 1, POLICY_MAX_WORDS, "requests, or none"))
		return;
	for (uint32_t i = 1; i < p->ntok; i++) {
		const struct policy_tok *t = &p->tok[i];
		struct policy_buf *b;
		uint32_t v;

		if (POLICY_TOK_IS(p, t, "none")) {
			if (p->ntok > 2) {
				b = policy_diag(p, t->col, POLICY_E_CONFLICT);
				policy_buf_puts(b, "'none' must be the only request listed");
				ok = false;
			}
			continue;
		}
		if (!policy_lookup_tok(p, t, policy_request_names, policy_request_keys,
				       policy_nr_request_names, &v)) {
			b = policy_diag(p, t->col, POLICY_E_UNKNOWN_REQUEST);
			policy_buf_puts(b, "unknown request ");
			policy_put_tok(b, p, t);
			policy_buf_puts(
			    b, " (expected restrict, relax, pin-cr, pin-msr, unpin or none)");
			ok = false;
			continue;
		}
		if (mask & v) {
			b = policy_diag(p, t->col, POLICY_E_DUPLICATE);
			policy_buf_puts(b, "request ");
			policy_put_tok(b, p, t);
			policy_buf_puts(b, " is listed twice");
			ok = false;
			continue;
		}
		mask |= v;
	}
	if (ok)
		*(after ? &p->out->requests_after : &p->out->requests_before) = mask;
}

static void policy_st_action(struct policy_parser *p)
{
	const struct policy_tok *ct = &p->tok[1], *at = &p->tok[2];
	uint32_t cls = 0, act; /* cls is read only when not is_default */
	enum policy_once which;
	bool is_default;
	struct policy_buf *b;

	if (!policy_nargs(p, 1, 2, 2, "a violation class and an action"))
		return;
	is_default = POLICY_TOK_IS(p, ct, "default");
	if (!is_default && !policy_lookup_tok(p, ct, policy_class_names, policy_class_keys,
					      policy_nr_class_names, &cls)) {
		b = policy_diag(p, ct->col, POLICY_E_UNKNOWN_CLASS);
		policy_buf_puts(b, "unknown violation class ");
		policy_put_tok(b, p, ct);
		policy_buf_puts(b, " (expected mem-write, mem-read, mem-exec, msr, cr or default)");
		return;
	}
	which = is_default ? ONCE_ACTION_DEFAULT : (enum policy_once)(ONCE_ACTION + cls);
	if (!policy_once(p, which, 2))
		return;
	if (!policy_lookup_tok(p, at, policy_action_names, policy_action_keys,
			       policy_nr_action_names, &act)) {
		b = policy_diag(p, at->col, POLICY_E_UNKNOWN_ACTION);
		policy_buf_puts(b, "unknown action ");
		policy_put_tok(b, p, at);
		policy_buf_puts(b, " (expected deny, kill, reset, log or restore)");
		return;
	}
	/* Only a CR bit can be put back after the fact; `default` reaches the other classes. */
	if (act == POLICY_ACT_RESTORE && (is_default || cls != POLICY_CLASS_CR)) {
		b = policy_diag(p, at->col, POLICY_E_UNKNOWN_ACTION);
		policy_buf_puts(b, "restore applies to cr only (a memory access or an MSR write "
				   "cannot be put back: use deny)");
		return;
	}
	if (is_default)
		p->default_action = (uint8_t)act;
	else
		p->out->action[cls] = (uint8_t)act;
}

/* ---- kexec, reset --------------------------------------------------------------- */

/* Exactly 64 hex digits (no 0x): a SHA-256 digest or an Ed25519 public key. */
static bool policy_hex32(struct policy_parser *p, const struct policy_tok *t, uint8_t out[32])
{
	const uint8_t *u = (const uint8_t *)p->text + t->off;
	struct policy_buf *b;

	if (t->len != 64) {
		b = policy_diag(p, t->col, POLICY_E_BAD_HEX);
		policy_buf_puts(b, "expected 64 hex digits, got ");
		policy_buf_dec(b, t->len);
		policy_buf_puts(b, " characters");
		return false;
	}
	for (uint32_t i = 0; i < 64; i += 2) {
		uint32_t hi = policy_digit[u[i]], lo = policy_digit[u[i + 1]];

		if (!hi || !lo) {
			uint32_t at = hi ? i + 1 : i;

			b = policy_diag(p, t->col + at, POLICY_E_BAD_HEX);
			policy_buf_putc(b, '\'');
			policy_buf_putc(b, (char)u[at]);
			policy_buf_puts(b, "' is not a hex digit (expected 64 hex digits, no 0x)");
			return false;
		}
		out[i / 2] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return true;
}

_Static_assert(offsetof(struct policy, kexec_digest) % 8 == 0, "digests are word-aligned");
_Static_assert(offsetof(struct policy, kexec_key) % 8 == 0, "keys are word-aligned");

/* Both arrays are 8-aligned (struct policy and a uint64_t[4]): compare them as words. */
static bool policy_eq32(const uint8_t *a, const uint8_t *b)
{
	const policy_word_t *x = (const policy_word_t *)a, *y = (const policy_word_t *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

static void policy_st_kexec_list(struct policy_parser *p, bool keys)
{
	struct policy *o = p->out;
	uint8_t(*tab)[32] = keys ? o->kexec_key : o->kexec_digest;
	uint32_t *nr = keys ? &o->nr_kexec_keys : &o->nr_kexec_digests;
	uint32_t max = keys ? POLICY_MAX_KEXEC_KEYS : POLICY_MAX_KEXEC_DIGESTS;

	if (!policy_nargs(p, 2, 1, POLICY_MAX_WORDS, "64 hex digits"))
		return;
	for (uint32_t i = 2; i < p->ntok; i++) {
		const struct policy_tok *t = &p->tok[i];
		struct policy_buf *b;
		uint64_t words[4];
		uint8_t *v = (uint8_t *)words;
		bool dup = false;

		if (!policy_hex32(p, t, v))
			continue;
		for (uint32_t j = 0; j < *nr; j++)
			dup |= policy_eq32(tab[j], v);
		if (dup) {
			b = policy_diag(p, t->col, POLICY_E_DUPLICATE);
			policy_buf_puts(b, keys ? "duplicate kexec key" : "duplicate kexec digest");
			continue;
		}
		if (*nr >= max) {
			b = policy_diag(p, t->col, POLICY_E_TOO_MANY);
			policy_buf_puts(b, keys ? "too many kexec keys (at most 8)"
						: "too many kexec digests (at most 8)");
			return;
		}
		policy_word_t *dst = (policy_word_t *)tab[*nr];

		for (uint32_t j = 0; j < 4; j++)
			dst[j] = words[j];
		(*nr)++;
	}
}

static void policy_st_kexec(struct policy_parser *p)
{
	bool yes;

	if (!policy_nargs(p, 1, 1, POLICY_MAX_WORDS, "allow, digest or key"))
		return;
	if (POLICY_TOK_IS(p, &p->tok[1], "allow")) {
		if (!policy_once(p, ONCE_KEXEC_ALLOW, 2) ||
		    !policy_nargs(p, 2, 1, 1, "yes or no") || !policy_bool(p, &p->tok[2], &yes))
			return;
		if (yes) {
			p->out->flags |= POLICY_F_KEXEC_ALLOWED;
			p->kexec_yes = 1;
			p->kexec_yes_line = p->line;
			p->kexec_yes_col = p->tok[2].col;
		}
	} else if (POLICY_TOK_IS(p, &p->tok[1], "digest")) {
		policy_st_kexec_list(p, false);
	} else if (POLICY_TOK_IS(p, &p->tok[1], "key")) {
		policy_st_kexec_list(p, true);
	} else {
		policy_unknown_sub(p, "allow, digest or key");
	}
}

static void policy_st_reset(struct policy_parser *p)
{
	const struct policy_tok *t = &p->tok[2];
	uint64_t v;
	bool yes;

	if (!policy_nargs(p, 1, 1, POLICY_MAX_WORDS, "zero-memory or max"))
		return;
	if (POLICY_TOK_IS(p, &p->tok[1], "zero-memory")) {
		if (!policy_once(p, ONCE_RESET_ZERO, 2) || !policy_nargs(p, 2, 1, 1, "yes or no") ||
		    !policy_bool(p, t, &yes))
			return;
		if (yes)
			p->out->flags |= POLICY_F_RESET_ZERO_MEM;
		else
			p->out->flags &= ~POLICY_F_RESET_ZERO_MEM;
	} else if (POLICY_TOK_IS(p, &p->tok[1], "max")) {
		if (!policy_once(p, ONCE_RESET_MAX, 2) ||
		    !policy_nargs(p, 2, 1, 1, "a number of resets") ||
		    !policy_number(p, t, false, "the reset limit", &v))
			return;
		if (v > POLICY_MAX_RESETS) {
			struct policy_buf *b = policy_diag(p, t->col, POLICY_E_RANGE);

			policy_buf_puts(b, "reset limit ");
			policy_put_tok(b, p, t);
			policy_buf_puts(b, " is above 1000");
			return;
		}
		p->out->max_resets = (uint32_t)v;
	} else {
		policy_unknown_sub(p, "zero-memory or max");
	}
}

/* ---- lines -------------------------------------------------------------------- */

static void policy_statement(struct policy_parser *p)
{
	const struct policy_tok *t = &p->tok[0];
	struct policy_buf *b;

	if (!p->seen_statement) {
		p->seen_statement = true;
		if (!POLICY_TOK_IS(p, t, "vtlmon-policy")) {
			b = policy_diag(p, t->col, POLICY_E_NO_VERSION);
			policy_buf_puts(b, "expected 'vtlmon-policy 1' as the first statement");
		}
	}
	if (POLICY_TOK_IS(p, t, "vtlmon-policy"))
		policy_st_version(p);
	else if (POLICY_TOK_IS(p, t, "exec-protection"))
		policy_st_exec(p);
	else if (POLICY_TOK_IS(p, t, "cr"))
		policy_st_cr(p);
	else if (POLICY_TOK_IS(p, t, "msr"))
		policy_st_msr(p);
	else if (POLICY_TOK_IS(p, t, "memory"))
		policy_st_memory(p);
	else if (POLICY_TOK_IS(p, t, "before-end-of-boot"))
		policy_st_requests(p, false);
	else if (POLICY_TOK_IS(p, t, "after-end-of-boot"))
		policy_st_requests(p, true);
	else if (POLICY_TOK_IS(p, t, "action"))
		policy_st_action(p);
	else if (POLICY_TOK_IS(p, t, "kexec"))
		policy_st_kexec(p);
	else if (POLICY_TOK_IS(p, t, "reset"))
		policy_st_reset(p);
	else {
		b = policy_diag(p, t->col, POLICY_E_UNKNOWN_KEY);
		policy_buf_puts(b, "unknown statement ");
		policy_put_tok(b, p, t);
	}
}

static void policy_bad_byte(struct policy_parser *p, uint32_t col, unsigned char c)
{
	struct policy_buf *b = policy_diag(p, col, POLICY_E_BAD_CHAR);

	if (c == '\r')
		policy_buf_puts(b, "carriage return not followed by a newline");
	else if (c >= 0x80)
		policy_buf_puts(b, "non-ASCII byte ");
	else
		policy_buf_puts(b, "invalid byte ");
	if (c != '\r') {
		policy_buf_puts(b, "0x");
		policy_buf_putc(b, "0123456789abcdef"[c >> 4]);
		policy_buf_putc(b, "0123456789abcdef"[c & 0xF]);
	}
	if (c >= 0x80)
		policy_buf_puts(b, " outside a comment");
}

/*
 * Byte classes, ordered so that "may appear in a comment" is one compare:
 * everything from CLS_WORD up.
 */
enum policy_cls { CLS_BAD, CLS_NL, CLS_CR, CLS_WORD, CLS_SPACE, CLS_HASH, CLS_HIGH };

static const uint8_t policy_cls[256] = {
    ['\n'] = CLS_NL,	      ['\r'] = CLS_CR,
    ['\t'] = CLS_SPACE,	      [' '] = CLS_SPACE,
    ['!' ... '"'] = CLS_WORD, ['#'] = CLS_HASH,
    ['$' ... '~'] = CLS_WORD, [0x80 ... 0xFF] = CLS_HIGH,
};

/*
 * The control bytes (below 0x20: NL, CR, tab and the rest) and DEL (0x7F) in
 * the 8 bytes of w, as the high bit of each such byte: the bytes that end or
 * break a comment, or need a closer look. Bit Twiddling Hacks, "Determine if
 * a word has a byte less than n" (n = 0x20) and "has a zero byte" (of
 * w ^ 0x7F...): a borrow can flag a byte above a flagged one, never below, so
 * the lowest flag is exact.
 */
static uint64_t policy_word_ctl(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t del = w ^ (ones * 0x7F);

	return (((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs;
}

/* Where the first '\n' in s[i, lim) is, or lim: one emulated instruction (DF is clear, SysV). */
static size_t policy_skip_to_newline(const unsigned char *s, size_t i, size_t lim)
{
	const unsigned char *p = s + i;
	size_t n = lim - i;
	bool found;

	if (i >= lim)
		return lim;
	/* "memory": the scan reads bytes the compiler cannot name. */
	__asm__("repne scasb" : "+D"(p), "+c"(n), "=@ccz"(found) : "a"('\n') : "memory");
	/* Found: p is one past the newline. */
	return found ? (size_t)(p - s) - 1 : lim;
}

/*
 * From pos, the lines that are only a comment or empty: where the first other
 * line starts (or len), with *line counted on. One tight loop, its state in
 * registers: ~8 emulated instructions a line.
 */
static size_t policy_skip_comment_lines(const unsigned char *s, size_t pos, size_t len,
					uint32_t *line)
{
	uint32_t n = *line;

	while (pos < len && (s[pos] == '#' || s[pos] == '\n')) {
		pos = policy_skip_to_newline(s, pos, len) + 1;
		n++;
	}
	*line = n;
	return pos < len ? pos : len;
}

/* A CR ends a line only as part of CRLF, or as the very last byte. */
static bool policy_crlf(const unsigned char *s, size_t i, size_t len)
{
	return i + 1 == len || s[i + 1] == '\n';
}

/*
 * Lex one line starting at `start` in a single pass, run its statement and
 * return where the next line starts. A line reports at most one lexical
 * error: the first bad byte, or column POLICY_MAX_LINE + 1 if it is reached
 * first; the rest of such a line is skipped unread.
 */
static size_t policy_line(struct policy_parser *p, size_t start, size_t len)
{
	const unsigned char *s = (const unsigned char *)p->text;
	size_t lim = len - start > POLICY_MAX_LINE ? start + POLICY_MAX_LINE : len;
	size_t i = start;
	struct policy_buf *b;
	uint8_t c;

	p->ntok = 0;
	for (;;) {
		while (i < lim && policy_cls[s[i]] == CLS_SPACE)
			i++;
		if (i >= lim)
			goto at_limit;
		c = policy_cls[s[i]];
		if (c == CLS_WORD) {
			for (;;) {
				size_t w = i;
				uint64_t first, x, stop = 0;

				/*
				 * The word's end 8 bytes per step, which also packs its first 8
				 * bytes for the keyword compares: a byte loop cost VTL1 ~6
				 * emulated instructions per byte of the policy's words.
				 */
				if (lim - i >= 8) {
					__builtin_memcpy(&x, s + i, sizeof(x));
					first = x;
					while (!(stop = policy_word_stop(x)) && lim - (i += 8) >= 8)
						__builtin_memcpy(&x, s + i, sizeof(x));
					if (stop) {
						/* little-endian: the lowest flag is the first byte
						 */
						i += (size_t)__builtin_ctzll(stop) / 8;
						if (i - w < 8)
							first &= ~0ULL >> (64 - 8 * (i - w));
					}
				}
				if (!stop) {
					while (i < lim && policy_cls[s[i]] == CLS_WORD)
						i++;
					first = policy_pack(p->text, w, i - w);
				}
				if (p->ntok >= POLICY_MAX_WORDS) {
					b = policy_diag(p, (uint32_t)(w - start + 1),
							POLICY_E_TOO_MANY_WORDS);
					policy_buf_puts(b, "more than 48 words in one statement");
					goto skip;
				}
				p->tok[p->ntok].off = (uint32_t)w;
				p->tok[p->ntok].len = (uint32_t)(i - w);
				p->tok[p->ntok].col = (uint32_t)(w - start + 1);
				p->tok[p->ntok].w = first;
				p->ntok++;
				/*
				 * One space, then the next word: most of a statement, and
				 * straight there it costs VTL1 ~12 emulated instructions
				 * less a word than through the space loop.
				 */
				if (lim - i < 2 || s[i] != ' ' || policy_cls[s[i + 1]] != CLS_WORD)
					break;
				i++;
			}
			continue;
		}
		if (c == CLS_HASH) {
			/*
			 * Comments may hold UTF-8, but no control bytes. They are most of
			 * a large policy, and VTL1 parses it emulated at about 1 us per
			 * instruction (KVM-HOST-NOTES), so skip them 8 bytes per step
			 * where no byte needs a look: ~1.3 instructions per byte, not 5.
			 */
			i++;
			for (;;) {
				uint64_t w, ctl = 0;

				while (i + 8 <= lim) {
					/* __builtin_: -ffreestanding would turn memcpy into a call
					 */
					__builtin_memcpy(&w, s + i, sizeof(w));
					if ((ctl = policy_word_ctl(w)))
						break;
					i += 8;
				}
				if (ctl)
					i += (size_t)__builtin_ctzll(ctl) /
					     8; /* x86 is little-endian */
				if (i >= lim || policy_cls[s[i]] < CLS_WORD)
					break;
				i++; /* a tab, or one of the last bytes before lim */
			}
			if (i >= lim)
				goto at_limit;
			c = policy_cls[s[i]];
		}
		if (c == CLS_NL) {
			i++;
			goto done;
		}
		if (c == CLS_CR && policy_crlf(s, i, len)) {
			i += i + 1 < len ? 2 : 1;
			goto done;
		}
		policy_bad_byte(p, (uint32_t)(i - start + 1), s[i]);
		goto skip;
	}
at_limit:
	if (i >= len)
		goto done; /* last line, no newline */
	/* POLICY_MAX_LINE bytes read: fine only if the line ends right here */
	if (s[i] == '\n') {
		i++;
		goto done;
	}
	if (s[i] == '\r' && policy_crlf(s, i, len)) {
		i += i + 1 < len ? 2 : 1;
		goto done;
	}
	b = policy_diag(p, POLICY_MAX_LINE + 1, POLICY_E_LINE_TOO_LONG);
	policy_buf_puts(b, "line is longer than 512 bytes");
skip:
	while (i < len && s[i] != '\n')
		i++;
	return i < len ? i + 1 : i;
done:
	if (p->ntok)
		policy_statement(p);
	return i;
}

enum policy_err policy_parse(const char *text, size_t len, struct policy *out,
			     struct policy_diag *diags, size_t maxdiags, size_t *ndiags)
{
	return policy_parse_for(text, len, NULL, out, diags, maxdiags, ndiags);
}

static enum policy_err policy_parse_run(const char *text, size_t len,
					const struct policy_platform *plat, bool checked,
					struct policy *out, struct policy_diag *diags,
					size_t maxdiags, size_t *ndiags)
{
	struct policy_parser p;
	size_t pos = 0;

	/* the word array is written before it is read; zeroing it would cost 600 stores */
	policy_zero(&p, offsetof(struct policy_parser, tok));
	policy_zero(&p.once_line, sizeof(p) - offsetof(struct policy_parser, once_line));
	p.text = text;
	p.plat = plat;
	p.out = out;
	p.diags = diags;
	p.maxdiags = diags ? maxdiags : 0;
	p.line = 1;
	policy_set_defaults(out);
	if (!text)
		len = 0;

	if (len > POLICY_MAX_INPUT) {
		struct policy_buf *b = policy_diag(&p, 1, POLICY_E_TOO_LARGE);

		policy_buf_puts(b, "policy is larger than 16M");
		goto done;
	}
	while (pos < len && !p.stop) {
		/*
		 * policy_parse_checked(): lines that are only a comment (most of a
		 * large policy) or empty cost a few emulated instructions each in
		 * VTL1, against ~50 through policy_line(). Their bytes are not
		 * looked at: the caller vouches that policy_parse() accepted this
		 * text, so none is too long or holds a bad byte.
		 */
		if (checked && (text[pos] == '#' || text[pos] == '\n')) {
			pos = policy_skip_comment_lines((const unsigned char *)text, pos, len,
							&p.line);
			continue;
		}
		pos = policy_line(&p, pos, len);
		p.line++;
	}
	if (p.stop)
		goto done;
	if (!p.seen_statement) {
		struct policy_buf *b = policy_diag_at(&p, 1, 1, POLICY_E_NO_VERSION);

		policy_buf_puts(b, "empty policy: expected 'vtlmon-policy 1'");
	}
	if (p.kexec_yes && !out->nr_kexec_digests && !out->nr_kexec_keys) {
		struct policy_buf *b =
		    policy_diag_at(&p, p.kexec_yes_line, p.kexec_yes_col, POLICY_E_CONFLICT);

		policy_buf_puts(b,
				"kexec is allowed but no 'kexec digest' or 'kexec key' is given");
	}
	for (uint32_t c = 0; c < POLICY_CLASS_COUNT; c++)
		if (!p.once_line[ONCE_ACTION + c] && p.default_action)
			out->action[c] = p.default_action;
done:
	if (ndiags)
		*ndiags = p.ndiags;
	if (p.first != POLICY_OK) {
		policy_zero(out, sizeof(*out));
		return p.first;
	}
	out->version = POLICY_VERSION;
	return POLICY_OK;
}

enum policy_err policy_parse_for(const char *text, size_t len, const struct policy_platform *plat,
				 struct policy *out, struct policy_diag *diags, size_t maxdiags,
				 size_t *ndiags)
{
	return policy_parse_run(text, len, plat, false, out, diags, maxdiags, ndiags);
}

enum policy_err policy_parse_checked(const char *text, size_t len, struct policy *out,
				     struct policy_diag *diags, size_t maxdiags, size_t *ndiags)
{
	return policy_parse_run(text, len, NULL, true, out, diags, maxdiags, ndiags);
}
