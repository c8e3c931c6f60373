/* libFuzzer target: `vtlmon run` option parsing and cli_parse_size (cli.c), against a reference. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "monitor/cmd/cli.h"
#include "monitor/image/embedded.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/log.h"
#include "monitor/vm/machine.h"
#include "vtl_layout.h"

/*
 * Input layout (zero past the end):
 *   u8 mode: bit 0 set: the rest, up to a NUL, is one size for cli_parse_size.
 *   Otherwise up to FUZZ_ARGS_MAX arguments for cli_run, each a u8 kind then,
 *   for an option with a value, u8 length and the value's bytes (cut at a
 *   NUL, as a C string is). kind % 16 picks the option (opts[] below), bit 4
 *   passes the value as a separate argument instead of --name=value, bit 5
 *   makes a file option name a readable file (a memfd) instead of a missing
 *   one, bit 6 the policy-sized-plus-one file. Kinds 13..15 are a raw argument.
 *
 * cli.c is built with stubs for what `run` calls after parsing: machine_init
 * checks the machine_config it gets against what a reference parser, written
 * from cli.h and docs, says the arguments mean, and returns a marker status
 * instead of starting VMs. Leaks are LeakSanitizer's business.
 */
/*
 * A file that cannot be read: its own exit status where exitcodes.h has one
 * (VTLMON_EXIT_NOINPUT), before that a usage error (images) or a refused
 * launch (the policy). Too large is a refused input either way.
 */
#ifdef VTLMON_EXIT_NOINPUT
#define EXPECT_MISSING_IMAGE  VTLMON_EXIT_NOINPUT
#define EXPECT_MISSING_POLICY VTLMON_EXIT_NOINPUT
#else
#define EXPECT_MISSING_IMAGE  VTLMON_EXIT_USAGE
#define EXPECT_MISSING_POLICY VTLMON_EXIT_LAUNCH
#endif

#define FUZZ_ARGS_MAX 12
#define FUZZ_VAL_MAX  48
#define STATUS_RAN    99

/* ---- stubs for the rest of vtlmon ------------------------------------------ */

__asm__(".section .rodata\n"
	".globl embedded_demo_elf, embedded_demo_elf_end\n"
	".globl embedded_vtl1_elf, embedded_vtl1_elf_end\n"
	".globl embedded_default_policy, embedded_default_policy_end\n"
	"embedded_demo_elf: .ascii \"demo\"\n"
	"embedded_demo_elf_end:\n"
	"embedded_vtl1_elf: .ascii \"vtl1-image\"\n"
	"embedded_vtl1_elf_end:\n"
	"embedded_default_policy: .ascii \"vtlmon-policy 1\\n\"\n"
	"embedded_default_policy_end:\n"
	".previous\n");

int log_verbose;
static unsigned log_errors;

static void log_check(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	FUZZ_CHECK(n > 0, "empty log message");
	log_errors++;
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_check(fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_check(fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_check(fmt, ap);
	va_end(ap);
}

/* What the reference expects machine_init to get; checked there. */
static struct machine_config want;
static const char *want_module_name[MACHINE_MAX_MODULES];
static size_t want_module_len[MACHINE_MAX_MODULES];
static int want_verbose;
static bool ran, compare;

/* Bytes equal, or only the length known (NULL: the big file, all zeros). */
static bool same_bytes(const void *got, size_t got_len, const void *ref, size_t ref_len)
{
	return got_len == ref_len && (!ref || !memcmp(got, ref, ref_len));
}

/* The two files a file option can name, as /proc/self/fd paths. */
static char small_path[64], big_path[64];
static const char small_data[] = "fuzz file";
#define MISSING_PATH "/nonexistent/vtlmon-fuzz"

int machine_init(struct machine *m, const struct machine_config *cfg)
{
	ran = true;
	if (!compare)
		return STATUS_RAN;
	FUZZ_CHECK(cfg->vtl0_mem == want.vtl0_mem && cfg->vtl1_mem == want.vtl1_mem,
		   "mem 0x%llx/0x%llx, reference 0x%llx/0x%llx", (unsigned long long)cfg->vtl0_mem,
		   (unsigned long long)cfg->vtl1_mem, (unsigned long long)want.vtl0_mem,
		   (unsigned long long)want.vtl1_mem);
	FUZZ_CHECK(cfg->cpus == want.cpus && cfg->cpus >= 1 && cfg->cpus <= 4096,
		   "cpus %u, reference %u", cfg->cpus, want.cpus);
	FUZZ_CHECK(cfg->timeout_ms == want.timeout_ms, "timeout %llu ms, reference %llu",
		   (unsigned long long)cfg->timeout_ms, (unsigned long long)want.timeout_ms);
	FUZZ_CHECK(cfg->quiet == want.quiet && cfg->no_sandbox == want.no_sandbox &&
		       cfg->mem_prealloc == want.mem_prealloc && log_verbose == want_verbose,
		   "flags");
	FUZZ_CHECK((!cfg->events_path && !want.events_path) ||
		       (cfg->events_path && want.events_path &&
			!strcmp(cfg->events_path, want.events_path)),
		   "events path");
	FUZZ_CHECK(cfg->nr_modules == want.nr_modules && cfg->nr_modules <= MACHINE_MAX_MODULES,
		   "%u modules, reference %u", cfg->nr_modules, want.nr_modules);
	for (uint32_t i = 0; i < cfg->nr_modules; i++)
		FUZZ_CHECK(
		    same_bytes(cfg->modules[i].data, cfg->modules[i].len,
			       want_module_len[i] == sizeof(small_data) - 1 ? small_data : NULL,
			       want_module_len[i]) &&
			!strcmp(cfg->modules[i].name, want_module_name[i]),
		    "module %u", i);
	/* Images: the built-in ones, or exactly the file's bytes. */
	FUZZ_CHECK(
	    same_bytes(cfg->vtl0_image, cfg->vtl0_image_len, want.vtl0_image, want.vtl0_image_len),
	    "VTL0 image");
	FUZZ_CHECK(
	    same_bytes(cfg->vtl1_image, cfg->vtl1_image_len, want.vtl1_image, want.vtl1_image_len),
	    "VTL1 image");
	FUZZ_CHECK(same_bytes(cfg->policy, cfg->policy_len, want.policy, want.policy_len),
		   "policy");
	FUZZ_CHECK(cfg->vtl0_name && cfg->vtl1_name && cfg->policy_name, "a NULL name");
	return STATUS_RAN;
}

int machine_run(struct machine *m)
{
	FUZZ_CHECK(0, "machine_run after a failed machine_init");
	return 0;
}

void machine_destroy(struct machine *m)
{
}

/* ---- the reference parsers ---------------------------------------------------- */

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * cli.h: "64M", "1G", "4096K", "2097152" bytes. Decimal unless "0x"; a K, M
 * or G suffix (either case), which may be followed by "B" or "iB"; nothing
 * else; no overflow anywhere.
 */
static bool ref_size(const char *s, uint64_t *out)
{
	unsigned __int128 v = 0;
	unsigned base = 10, shift = 0, ndig = 0;
	bool big = false;
	int d;

	if (*s < '0' || *s > '9')
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hexdigit(s[2]) >= 0) {
		base = 16;
		s += 2;
	}
	for (; (d = hexdigit(*s)) >= 0 && (unsigned)d < base; s++, ndig++) {
		v = v * base + (unsigned)d;
		big |= v > UINT64_MAX;
		if (big)
			v = (unsigned __int128)UINT64_MAX + 1; /* stays too big */
	}
	if (!ndig || big)
		return false;
	switch (*s) {
	case 'k':
	case 'K': shift = 10; break;
	case 'm':
	case 'M': shift = 20; break;
	case 'g':
	case 'G': shift = 30; break;
	case '\0': break;
	default: return false;
	}
	if (shift) {
		s++;
		if (s[0] == 'i' && s[1] == 'B')
			s += 2;
		else if (s[0] == 'B')
			s++;
	}
	if (*s || (v << shift) > UINT64_MAX)
		return false;
	*out = (uint64_t)(v << shift);
	return true;
}

/* --cpus: a whole decimal number, 1..4096 (strtol's leading blanks and sign allowed). */
static bool ref_cpus(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	bool neg = false, any = false;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++) {
		any = true;
		if (v <= 100000)
			v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!any || *s || neg || v < 1 || v > 4096)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* --timeout: seconds as strtod reads them, > 0 and at most a year; milliseconds rounded up. */
static bool ref_timeout(const char *s, uint64_t *ms)
{
	char *end;
	double secs = strtod(s, &end);

	if (*end || !(secs > 0) || secs > 86400.0 * 365)
		return false;
	*ms = (uint64_t)ceil(secs * 1000);
	return *ms >= 1;
}

static void fuzz_size(const char *s)
{
	uint64_t v = 0x5a5a, w = 0, back = 0;
	bool ref = ref_size(s, &w);
	int r = cli_parse_size(s, &v);
	char txt[48];

	FUZZ_CHECK(r == 0 || r == -1, "cli_parse_size = %d", r);
	FUZZ_CHECK((r == 0) == ref, "cli_parse_size(\"%s\") = %d, reference %s", s, r,
		   ref ? "accepts" : "rejects");
	if (r) {
		FUZZ_CHECK(v == 0x5a5a, "a rejected size wrote its output");
		return;
	}
	FUZZ_CHECK(v == w, "cli_parse_size(\"%s\") = %llu, reference %llu", s,
		   (unsigned long long)v, (unsigned long long)w);
	/* Round trip through the largest exact unit, in every spelling. */
	{
		static const char *const sfx[] = {"", "K", "M", "G"};
		unsigned u = 0;

		while (u < 3 && v && !(v % (1ULL << (10 * (u + 1)))))
			u++;
		snprintf(txt, sizeof(txt), "%llu%s", (unsigned long long)(v >> (10 * u)), sfx[u]);
		FUZZ_CHECK(!cli_parse_size(txt, &back) && back == v, "\"%s\" does not read back",
			   txt);
		if (u) {
			snprintf(txt, sizeof(txt), "%llu%siB", (unsigned long long)(v >> (10 * u)),
				 sfx[u]);
			FUZZ_CHECK(!cli_parse_size(txt, &back) && back == v,
				   "\"%s\" does not read back", txt);
		}
		snprintf(txt, sizeof(txt), "0x%llx", (unsigned long long)v);
		FUZZ_CHECK(!cli_parse_size(txt, &back) && back == v, "\"%s\" does not read back",
			   txt);
	}
}

/* ---- cli_run -------------------------------------------------------------------- */

enum {
	O_VTL0,
	O_VTL1,
	O_POLICY,
	O_MODULE,
	O_MEM,
	O_VTL1_MEM,
	O_CPUS,
	O_TIMEOUT,
	O_EVENTS,
	O_QUIET,
	O_NO_SANDBOX,
	O_VERBOSE,
	O_V,
	O_MEM_PREALLOC,
	O_RAW = 15
};

static const struct {
	const char *name;
	bool value, file;
} opts[] = {
    [O_VTL0] = {"vtl0", true, true},
    [O_VTL1] = {"vtl1", true, true},
    [O_POLICY] = {"policy", true, true},
    [O_MODULE] = {"module", true, true},
    [O_MEM] = {"mem", true, false},
    [O_VTL1_MEM] = {"vtl1-mem", true, false},
    [O_CPUS] = {"cpus", true, false},
    [O_TIMEOUT] = {"timeout", true, false},
    [O_EVENTS] = {"events", true, false},
    [O_QUIET] = {"quiet", false, false},
    [O_NO_SANDBOX] = {"no-sandbox", false, false},
    [O_VERBOSE] = {"verbose", false, false},
    [O_V] = {"v", false, false},
    [O_MEM_PREALLOC] = {"mem-prealloc", false, false},
};

static void open_files(void)
{
	static bool done;
	int fd;

	if (done)
		return;
	done = true;
	fd = memfd_create("fuzz-small", 0);
	FUZZ_CHECK(fd >= 0 && write(fd, small_data, sizeof(small_data) - 1) ==
				  (ssize_t)sizeof(small_data) - 1,
		   "memfd");
	snprintf(small_path, sizeof(small_path), "/proc/self/fd/%d", fd);
	fd = memfd_create("fuzz-big", 0);
	FUZZ_CHECK(fd >= 0 && ftruncate(fd, VTL_BOOT_POLICY_MAX + 1) == 0, "memfd");
	snprintf(big_path, sizeof(big_path), "/proc/self/fd/%d", fd);
}

/* glibc keeps a pointer into the last argv it scanned; optind = 0 makes it start over. */
static void getopt_reset(void)
{
	static char prog[] = "reset";
	static char *argv[] = {prog, NULL};
	static const struct option none[] = {{0, 0, 0, 0}};

	optind = 0;
	opterr = 0;
	getopt_long(1, argv, "", none, NULL);
}

static void fuzz_run(struct fuzz_in *in)
{
	static char store[2 * FUZZ_ARGS_MAX + 1][FUZZ_VAL_MAX + 32];
	char *argv[2 * FUZZ_ARGS_MAX + 2];
	int argc = 0, expect = -1, status;
	unsigned nargs = fuzz_u8(in) % (FUZZ_ARGS_MAX + 1);
	bool raw = false;
	unsigned seen = 0;

	open_files();
	memset(&want, 0, sizeof(want));
	want.vtl0_image = embedded_demo_elf;
	want.vtl0_image_len = EMBEDDED_SIZE(embedded_demo_elf);
	want.vtl1_image = embedded_vtl1_elf;
	want.vtl1_image_len = EMBEDDED_SIZE(embedded_vtl1_elf);
	want.policy = embedded_default_policy;
	want.policy_len = EMBEDDED_SIZE(embedded_default_policy);
	want.vtl0_mem = 32ULL << 20;
	want.vtl1_mem = 8ULL << 20;
	want.cpus = 1;
	want_verbose = 0;

	snprintf(store[0], sizeof(store[0]), "run");
	argv[argc] = store[argc];
	argc++;
	for (unsigned i = 0; i < nargs; i++) {
		uint8_t kind = fuzz_u8(in);
		unsigned o = kind % 16;
		char val[FUZZ_VAL_MAX + 1];
		size_t n;
		bool ok = true;

		memset(val, 0, sizeof(val));
		if (o > O_MEM_PREALLOC)
			o = O_RAW; /* 14..15: raw arguments */
		if (o == O_RAW || opts[o].value) {
			n = fuzz_u8(in) % (FUZZ_VAL_MAX + 1);
			fuzz_take(in, val, n);
		}
		if (o == O_RAW) {
			raw = true;
			snprintf(store[argc], sizeof(store[0]), "%s", val);
			argv[argc] = store[argc];
			argc++;
			continue;
		}
		/*
		 * cli_run overwrites its buffer when --vtl0, --vtl1 or --policy comes
		 * twice, leaking the first file's copy (LeakSanitizer reports it). Only
		 * the command line can do that, once per option: reported, pending.
		 */
		if ((o == O_VTL0 || o == O_VTL1 || o == O_POLICY) && (seen & (1u << o)) &&
		    !fuzz_pending_enabled())
			continue;
		seen |= 1u << o;
		if (opts[o].file)
			snprintf(val, sizeof(val), "%s",
				 kind & 0x40   ? big_path
				 : kind & 0x20 ? small_path
					       : MISSING_PATH);
		if (!opts[o].value)
			snprintf(store[argc], sizeof(store[0]), o == O_V ? "-v" : "--%s",
				 opts[o].name);
		else if (kind & 0x10)
			snprintf(store[argc], sizeof(store[0]), "--%s", opts[o].name);
		else
			snprintf(store[argc], sizeof(store[0]), "--%s=%s", opts[o].name, val);
		argv[argc] = store[argc];
		argc++;
		if (opts[o].value && (kind & 0x10)) {
			snprintf(store[argc], sizeof(store[0]), "%s", val);
			argv[argc] = store[argc];
			argc++;
		}
		if (expect >= 0)
			continue; /* the reference already stopped */

		/* What the option means, from cli.h and docs/usage. */
		switch (o) {
		case O_VTL0:
		case O_VTL1:
		case O_MODULE:
			if (o == O_MODULE && want.nr_modules == MACHINE_MAX_MODULES) {
				ok = false;
				break;
			}
			/* The big file is fine under the 64 MiB image limit. */
			if (!(kind & 0x20) && !(kind & 0x40)) {
				expect = EXPECT_MISSING_IMAGE;
				continue;
			}
			{
				const void *d = kind & 0x40 ? NULL : small_data;
				size_t len =
				    kind & 0x40 ? VTL_BOOT_POLICY_MAX + 1 : sizeof(small_data) - 1;

				if (o == O_MODULE) {
					want_module_name[want.nr_modules] =
					    kind & 0x40 ? big_path : small_path;
					want_module_len[want.nr_modules] = len;
					want.nr_modules++;
				} else if (o == O_VTL0) {
					want.vtl0_image = d;
					want.vtl0_image_len = len;
				} else {
					want.vtl1_image = d;
					want.vtl1_image_len = len;
				}
			}
			break;
		case O_POLICY:
			if (!(kind & 0x20) || kind & 0x40) {
				expect = kind & 0x40 ? VTLMON_EXIT_LAUNCH : EXPECT_MISSING_POLICY;
				continue;
			}
			want.policy = small_data;
			want.policy_len = sizeof(small_data) - 1;
			break;
		case O_MEM: ok = ref_size(val, &want.vtl0_mem); break;
		case O_VTL1_MEM: ok = ref_size(val, &want.vtl1_mem); break;
		case O_CPUS: ok = ref_cpus(val, &want.cpus); break;
		case O_TIMEOUT: ok = ref_timeout(val, &want.timeout_ms); break;
		case O_EVENTS:
			/* Points at the argument itself; compared by value. */
			free((void *)want.events_path);
			want.events_path = strdup(val);
			break;
		case O_QUIET: want.quiet = true; break;
		case O_NO_SANDBOX: want.no_sandbox = true; break;
		case O_MEM_PREALLOC: want.mem_prealloc = true; break;
		default: want_verbose++; break;
		}
		if (!ok)
			expect = VTLMON_EXIT_USAGE;
	}
	argv[argc] = NULL;

	getopt_reset();
	log_verbose = 0;
	log_errors = 0;
	ran = false;
	compare = !raw;
	status = cli_run(argc, argv);
	if (raw) {
		/* Only the basics: no crash, no leak, a vtlmon exit status. */
		FUZZ_CHECK(status == VTLMON_EXIT_USAGE || status == VTLMON_EXIT_LAUNCH ||
			       status == EXPECT_MISSING_IMAGE || status == STATUS_RAN,
			   "status %d", status);
	} else {
		if (expect < 0)
			expect = STATUS_RAN;
		FUZZ_CHECK(status == expect, "status %d, reference %d", status, expect);
		FUZZ_CHECK(ran == (expect == STATUS_RAN), "machine_init %s",
			   ran ? "ran" : "not run");
		if (expect != STATUS_RAN)
			FUZZ_CHECK(log_errors > 0, "status %d with no error message", status);
	}
	free((void *)want.events_path);
	want.events_path = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);

	if (mode & 1) {
		char s[65];
		size_t n = in.n < sizeof(s) - 1 ? in.n : sizeof(s) - 1;

		memcpy(s, in.p, n);
		s[n] = '\0';
		fuzz_size(s);
	} else {
		fuzz_run(&in);
	}
	return 0;
}
