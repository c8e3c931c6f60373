/* `vtlmon policy check [--host] FILE`: the host runs the same parser VTL1 runs, before launch. */
#include "monitor/cmd/policy_cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "monitor/base/limits.h"
#include "monitor/cmd/cli.h"
#include "monitor/kvm/kvm.h"
#include "monitor/protect/features.h"
#include "vtl_layout.h"

static void policy_cmd_usage(FILE *f)
{
	fprintf(f, "usage: vtlmon policy check [--host [--mem SIZE]] FILE\n"
		   "  Parse FILE with the VTL1 policy parser. Errors are printed as\n"
		   "  FILE:LINE:COL: message; on success the normalised policy and\n"
		   "  its SHA-256 (the measurement VTL1 records) are printed.\n"
		   "  --host      also refuse what `vtlmon run` would refuse on this host\n"
		   "              (needs /dev/kvm): exec protection it cannot enforce, a\n"
		   "              memory range beyond VTL0 RAM\n"
		   "  --mem SIZE  with --host: the run's --mem (default 32M)\n");
}

static int policy_cmd_check(const char *path, const struct policy_platform *plat, FILE *out,
			    FILE *err)
{
	struct policy pol;
	char *bytes = NULL, *text = NULL;
	char hex[65];
	size_t len = 0, need;
	int ret;

	ret = policy_load_file(path, plat, &bytes, &len, &pol, err);
	if (ret)
		goto out;
	ret = VTLMON_EXIT_INVALID;
	need = policy_format(&pol, NULL, 0);
	text = malloc(need + 1);
	if (!text) {
		fprintf(err, "%s: out of memory\n", path);
		goto out;
	}
	policy_format(&pol, text, need + 1);
	if (sha256_hex(bytes, len, hex) < 0) {
		fprintf(err, "%s: libsodium failed to initialise\n", path);
		goto out;
	}
	fputs(text, out);
	fprintf(out, "sha256 %s\n", hex);
	ret = 0;
out:
	free(text);
	free(bytes);
	return ret;
}

/* This host's platform for --host: what `run` would check the policy against. */
static int policy_cmd_platform(uint64_t vtl0_mem, struct policy_platform *plat, FILE *err)
{
	struct kvm kvm;

	if (kvm_open(&kvm)) {
		fprintf(err, "vtlmon: --host needs /dev/kvm to know what this host can enforce\n");
		return VTLMON_EXIT_MONITOR;
	}
	plat->vtl0_ram = vtl0_mem;
	plat->features = features_of_host(&kvm);
	kvm_close(&kvm);
	return 0;
}

int policy_cmd_run(int argc, char **argv, FILE *out, FILE *err)
{
	struct policy_platform plat;
	uint64_t mem = VTLMON_DEFAULT_VTL0_MEM;
	bool host = false, mem_given = false;
	const char *path = NULL;
	int i, ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		policy_cmd_usage(out);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "check") != 0)
		goto usage;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--host")) {
			host = true;
		} else if (!strcmp(argv[i], "--mem") && i + 1 < argc) {
			if (cli_parse_size(argv[++i], &mem) || mem < VTL0_RAM_MIN ||
			    mem > VTL0_RAM_MAX || mem % VTL_LARGE_PAGE_SIZE) {
				fprintf(err, "vtlmon: --mem '%s': a multiple of 2M, 4M to 3G\n",
					argv[i]);
				return VTLMON_EXIT_USAGE;
			}
			mem_given = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			goto usage;
		} else if (!path) {
			path = argv[i];
		} else {
			goto usage;
		}
	}
	if (!path || (mem_given && !host))
		goto usage;
	if (host && (ret = policy_cmd_platform(mem, &plat, err)))
		return ret;
	return policy_cmd_check(path, host ? &plat : NULL, out, err);
usage:
	policy_cmd_usage(err);
	return VTLMON_EXIT_USAGE;
}

int policy_cmd_main(int argc, char **argv)
{
	return policy_cmd_run(argc, argv, stdout, stderr);
}
