/* `vtlmon policy check FILE`: the host runs the same parser VTL1 runs, before launch. */
#include "monitor/cmd/policy_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vtl_layout.h"

static void policy_cmd_usage(FILE *f)
{
	fprintf(f, "usage: vtlmon policy check FILE\n"
		   "  Parse FILE with the VTL1 policy parser. Errors are printed as\n"
		   "  FILE:LINE:COL: message; on success the normalised policy and\n"
		   "  its SHA-256 (the measurement VTL1 records) are printed.\n");
}

static int policy_cmd_check(const char *path, FILE *out, FILE *err)
{
	struct policy pol;
	char *bytes = NULL, *text = NULL;
	char hex[65];
	size_t len = 0, need;
	int ret;

	ret = policy_load_file(path, &bytes, &len, &pol, err);
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

int policy_cmd_run(int argc, char **argv, FILE *out, FILE *err)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		policy_cmd_usage(out);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		policy_cmd_usage(err);
		return VTLMON_EXIT_USAGE;
	}
	return policy_cmd_check(argv[2], out, err);
}

int policy_cmd_main(int argc, char **argv)
{
	return policy_cmd_run(argc, argv, stdout, stderr);
}
