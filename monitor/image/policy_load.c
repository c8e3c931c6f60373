/* Loading a policy on the host: read it bounded, compile it with VTL1's parser, measure it. */
#include "monitor/image/policy_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "monitor/base/file.h"
#include "vtl_layout.h"

/* The shared bounded reader, with this command's messages and exit codes. */
static int policy_read(const char *path, size_t max, char **bytes, size_t *len, FILE *err)
{
	void *buf;
	int r = file_read_all(path, max, &buf, len);

	if (r == -EFBIG) {
		fprintf(err, "%s: policy is larger than %zu bytes\n", path, max);
		return VTLMON_EXIT_INVALID;
	}
	if (r) {
		fprintf(err, "%s: cannot open: %s\n", path, file_read_strerror(r));
		return VTLMON_EXIT_NOINPUT;
	}
	*bytes = buf;
	return 0;
}

int policy_compile(const char *name, const char *buf, size_t n, struct policy *out, FILE *err)
{
	struct policy_diag *diags;
	size_t ndiags = 0;
	int ret = VTLMON_EXIT_INVALID;

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
	ret = policy_read(path, VTL_BOOT_POLICY_MAX, &buf, &n, err);
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

int sha256_hex(const void *bytes, size_t len, char hex[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	/* SHA-256 needs no sodium_init() (main() runs it first anyway, for the signatures). */
	crypto_hash_sha256(digest, bytes, len);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	return 0;
}
