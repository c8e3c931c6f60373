/* `vtlmon run` and the helpers shared by the sub-commands: option parsing and bounded file reads.
 */
#include "monitor/cmd/cli.h"
#include "monitor/base/limits.h"

#include "monitor/base/file.h"
#include "monitor/base/input.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/image/embedded.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/log.h"
#include "monitor/vm/machine.h"
#include "monitor/vm/run.h"
#include "vtl_layout.h"

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	/* Base 10 unless "0x": "010M" must not silently mean 8 MiB. */
	v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default: return -1;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* An input file's error r (-errno) as the exit status: too large is refused, unreadable no input.
 */
static int cli_input_status(const char *what, const char *path, int r)
{
	if (!r)
		return 0;
	log_err("cannot read %s %s: %s", what, path, file_read_strerror(r));
	return r == -EFBIG ? VTLMON_EXIT_LAUNCH : VTLMON_EXIT_NOINPUT;
}

/* Reads one input file: 0, or the exit status. */
static int cli_load(const char *what, const char *path, size_t max, void **buf, size_t *len)
{
	return cli_input_status(what, path, file_read_all(path, max, buf, len));
}

/* Opens an input that is streamed at every load (--kernel, --initrd): 0, or the exit status. */
static int cli_open(const char *what, const char *path, uint64_t max, struct file_input *in)
{
	return cli_input_status(what, path, file_input_open(in, path, max));
}

enum {
	OPT_VTL0 = 256,
	OPT_VTL1,
	OPT_POLICY,
	OPT_MEM,
	OPT_VTL1_MEM,
	OPT_CPUS,
	OPT_EVENTS,
	OPT_TIMEOUT,
	OPT_QUIET,
	OPT_MODULE,
	OPT_NO_SANDBOX,
	OPT_MEM_PREALLOC,
	OPT_STATE_OUT,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_APPEND,
};

/* A Linux VTL0 without --mem: the test kernel needs more than an own-ABI guest. */
#define CLI_LINUX_DEFAULT_MEM (128ULL << 20) /* one sparsemem section: docs/linux.md */
#define CLI_INITRD_MAX	      (1ULL << 30)

int cli_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"vtl0", required_argument, NULL, OPT_VTL0},
	    {"vtl1", required_argument, NULL, OPT_VTL1},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"mem", required_argument, NULL, OPT_MEM},
	    {"vtl1-mem", required_argument, NULL, OPT_VTL1_MEM},
	    {"cpus", required_argument, NULL, OPT_CPUS},
	    {"events", required_argument, NULL, OPT_EVENTS},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"module", required_argument, NULL, OPT_MODULE},
	    {"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
	    {"mem-prealloc", no_argument, NULL, OPT_MEM_PREALLOC},
	    {"state-out", required_argument, NULL, OPT_STATE_OUT},
	    {"kernel", required_argument, NULL, OPT_KERNEL},
	    {"initrd", required_argument, NULL, OPT_INITRD},
	    {"append", required_argument, NULL, OPT_APPEND},
	    {"verbose", no_argument, NULL, 'v'},
	    {0, 0, 0, 0},
	};
	struct machine_config cfg = {
	    .vtl0_image = embedded_demo_elf,
	    .vtl0_image_len = EMBEDDED_SIZE(embedded_demo_elf),
	    .vtl0_name = "built-in:demo",
	    .vtl1_image = embedded_vtl1_elf,
	    .vtl1_image_len = EMBEDDED_SIZE(embedded_vtl1_elf),
	    .vtl1_name = "built-in:vtl1",
	    .policy = embedded_default_policy,
	    .policy_len = EMBEDDED_SIZE(embedded_default_policy),
	    .policy_name = "built-in:default.policy",
	    .vtl0_mem = VTLMON_DEFAULT_VTL0_MEM,
	    .vtl1_mem = VTLMON_DEFAULT_VTL1_MEM,
	    .cpus = 1,
	    /* This process builds one machine: it takes the signals and gives up the rest. */
	    .owns_process = true,
	};
	void *vtl0_buf = NULL, *vtl1_buf = NULL, *policy_buf = NULL;
	struct file_input kernel_in = {.fd = -1}, initrd_in = {.fd = -1};
	bool mem_given = false, vtl0_given = false;
	void *module_buf[MACHINE_MAX_MODULES] = {NULL};
	struct machine *m = NULL;
	int status = VTLMON_EXIT_USAGE, r;
	char *end;
	double secs;
	long cpus;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_VTL0:
			free(vtl0_buf); /* the option given again: the last one counts */
			vtl0_buf = NULL;
			if ((r = cli_load("VTL0 image", optarg, VTLMON_IMAGE_MAX, &vtl0_buf,
					  &cfg.vtl0_image_len))) {
				status = r;
				goto out;
			}
			cfg.vtl0_image = vtl0_buf;
			cfg.vtl0_name = optarg;
			vtl0_given = true;
			break;
		case OPT_KERNEL:
			file_input_close(&kernel_in);
			if ((r = cli_open("kernel", optarg, VTLMON_IMAGE_MAX, &kernel_in))) {
				status = r;
				goto out;
			}
			cfg.kernel = &kernel_in;
			cfg.kernel_name = optarg;
			break;
		case OPT_INITRD:
			file_input_close(&initrd_in);
			if ((r = cli_open("initrd", optarg, CLI_INITRD_MAX, &initrd_in))) {
				status = r;
				goto out;
			}
			cfg.initrd = &initrd_in;
			cfg.initrd_name = optarg;
			break;
		case OPT_APPEND: cfg.cmdline = optarg; break;
		case OPT_VTL1:
			free(vtl1_buf); /* the option given again: the last one counts */
			vtl1_buf = NULL;
			if ((r = cli_load("VTL1 image", optarg, VTLMON_IMAGE_MAX, &vtl1_buf,
					  &cfg.vtl1_image_len))) {
				status = r;
				goto out;
			}
			cfg.vtl1_image = vtl1_buf;
			cfg.vtl1_name = optarg;
			break;
		case OPT_POLICY:
			free(policy_buf); /* the option given again: the last one counts */
			policy_buf = NULL;
			if ((r = cli_load("policy", optarg, VTL_BOOT_POLICY_MAX, &policy_buf,
					  &cfg.policy_len))) {
				status = r;
				goto out;
			}
			cfg.policy = policy_buf;
			cfg.policy_name = optarg;
			break;
		case OPT_MEM:
		case OPT_VTL1_MEM:
			if (cli_parse_size(optarg, c == OPT_MEM ? &cfg.vtl0_mem : &cfg.vtl1_mem)) {
				log_err("bad size '%s'", optarg);
				goto out;
			}
			mem_given |= c == OPT_MEM;
			break;
		case OPT_CPUS:
			errno = 0;
			cpus = strtol(optarg, &end, 10);
			if (errno || *end || cpus < 1 || cpus > 4096) {
				log_err("bad --cpus '%s'", optarg);
				goto out;
			}
			cfg.cpus = (uint32_t)cpus;
			break;
		case OPT_EVENTS: cfg.events_path = optarg; break;
		case OPT_TIMEOUT:
			secs = strtod(optarg, &end);
			if (*end || !(secs > 0) || secs > 86400 * 365) {
				log_err("bad --timeout '%s' (seconds, > 0)", optarg);
				goto out;
			}
			cfg.timeout_ms = (uint64_t)ceil(secs * 1000);
			break;
		case OPT_QUIET:
		case 'q': cfg.quiet = true; break;
		case OPT_MODULE:
			if (cfg.nr_modules == MACHINE_MAX_MODULES) {
				log_err("at most %d --module files", MACHINE_MAX_MODULES);
				goto out;
			}
			if ((r = cli_load("module", optarg, VTLMON_IMAGE_MAX,
					  &module_buf[cfg.nr_modules],
					  &cfg.modules[cfg.nr_modules].len))) {
				status = r;
				goto out;
			}
			cfg.modules[cfg.nr_modules].data = module_buf[cfg.nr_modules];
			cfg.modules[cfg.nr_modules].name = optarg;
			cfg.nr_modules++;
			break;
		case OPT_NO_SANDBOX: cfg.no_sandbox = true; break;
		case OPT_MEM_PREALLOC: cfg.mem_prealloc = true; break;
		case OPT_STATE_OUT: cfg.state_path = optarg; break;
		case 'v': log_verbose++; break;
		default: goto out;
		}
	}
	if (optind != argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (cfg.kernel && vtl0_given) {
		log_err("--kernel and --vtl0 both name VTL0's kernel: give one");
		goto out;
	}
	if (cfg.kernel && !mem_given)
		cfg.vtl0_mem = CLI_LINUX_DEFAULT_MEM;
	m = calloc(1, sizeof(*m));
	if (!m) {
		status = VTLMON_EXIT_MONITOR;
		goto out;
	}
	status = machine_init(m, &cfg);
	if (!status)
		status = machine_run(m);
	machine_destroy(m);
out:
	free(m);
	for (uint32_t i = 0; i < MACHINE_MAX_MODULES; i++)
		free(module_buf[i]);
	free(policy_buf);
	file_input_close(&initrd_in);
	file_input_close(&kernel_in);
	free(vtl1_buf);
	free(vtl0_buf);
	return status;
}
