/* `vtlmon policy check FILE`: the host runs the same parser VTL1 runs, before launch. */
#include "monitor/cmd/policy_cmd.h"

#include "monitor/cmd/cli.h"

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

/* The shared bounded reader, with this command's messages and exit codes. */
static int policy_cmd_read(const char *path, size_t max, char **bytes, size_t *len, FILE *err)
{
	void *buf;
	int r = cli_read_file(path, max, &buf, len);

	if (r == -EFBIG) {
		fprintf(err, "%s: policy is larger than %zu bytes\n", path, max);
		return POLICY_CMD_EX_DATAERR;
	}
	if (r) {
		fprintf(err, "%s: cannot open: %s\n", path, cli_read_error(r));
		return POLICY_CMD_EX_NOINPUT;
	}
	*bytes = buf;
	return 0;
}

int policy_compile(const char *name, const char *buf, size_t n, struct policy *out, FILE *err)
{
	struct policy_diag *diags;
	size_t ndiags = 0;
	int ret = POLICY_CMD_EX_DATAERR;

	/* one slot more than is printed tells "exactly 100" from "stopped at 100" */
	diags = calloc(POLICY_CMD_MAX_DIAGS + 1, sizeof(*diags));
	if (!diags) {
		memset(out, 0, sizeof(*out));
		fprintf(err, "%s: out of memory\n", name);
		return ret;
	}
	if (policy_parse(buf, n, out, diags, POLICY_CMD_MAX_DIAGS + 1, &ndiags) != POLICY_OK) {
		for (size_t i = 0; i < ndiags && i < POLICY_CMD_MAX_DIAGS; i++)
			fprintf(err, "%s:%u:%u: %s\n", name, diags[i].line, diags[i].col,
				diags[i].msg);
		if (ndiags > POLICY_CMD_MAX_DIAGS)
			fprintf(err, "%s: stopped after %u errors\n", name, POLICY_CMD_MAX_DIAGS);
		goto out;
	}
	ret = 0;
out:
	free(diags);
	return ret;
}

int policy_load_file(const char *path, char **bytes, size_t *len, struct policy *out, FILE *err)
{
	char *buf = NULL;
	size_t n = 0;
	int ret;

	/* fail closed: a caller that ignores the return value still gets no policy */
	memset(out, 0, sizeof(*out));
	if (bytes)
		*bytes = NULL;
	ret = policy_cmd_read(path, VTL_BOOT_POLICY_MAX, &buf, &n, err);
	if (ret)
		goto out;
	ret = policy_compile(path, buf, n, out, err);
	if (ret)
		goto out;
	if (bytes) {
		*bytes = buf;
		buf = NULL;
	}
	if (len)
		*len = n;
out:
	free(buf);
	return ret;
}

int policy_sha256_hex(const void *bytes, size_t len, char hex[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	if (sodium_init() < 0)
		return -1;
	crypto_hash_sha256(digest, bytes, len);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	return 0;
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
	ret = POLICY_CMD_EX_DATAERR;
	need = policy_format(&pol, NULL, 0);
	text = malloc(need + 1);
	if (!text) {
		fprintf(err, "%s: out of memory\n", path);
		goto out;
	}
	policy_format(&pol, text, need + 1);
	if (policy_sha256_hex(bytes, len, hex) < 0) {
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
		return POLICY_CMD_EX_USAGE;
	}
	return policy_cmd_check(argv[2], out, err);
}

int policy_cmd_main(int argc, char **argv)
{
	return policy_cmd_run(argc, argv, stdout, stderr);
}
