/* Unit tests of `vtlmon policy check FILE` and policy_load_file(). */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/cmd/policy_cmd.h"
#include "vtl_layout.h"

static char dir[] = "/tmp/vtlmon-policy-cmd-XXXXXX";
static char *out_text, *err_text;
static size_t out_len, err_len;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	free(out_text);
	free(err_text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(policy_cmd, .init = setup, .fini = teardown);

static const char *write_file(const char *name, const void *bytes, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
	return path;
}

static int run(int argc, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {"policy", (char *)a1, (char *)a2, (char *)a3, NULL};
	FILE *out, *err;
	int ret;

	free(out_text);
	free(err_text);
	out = open_memstream(&out_text, &out_len);
	err = open_memstream(&err_text, &err_len);
	cr_assert(out && err);
	ret = policy_cmd_run(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return ret;
}

Test(policy_cmd, usage)
{
	cr_assert_eq(run(1, NULL, NULL, NULL), VTLMON_EXIT_USAGE);
	cr_assert(strstr(err_text, "usage: vtlmon policy check FILE"));
	cr_assert_eq(run(2, "check", NULL, NULL), VTLMON_EXIT_USAGE);
	cr_assert_eq(run(3, "lint", "x", NULL), VTLMON_EXIT_USAGE);
	cr_assert_eq(run(4, "check", "a", "b"), VTLMON_EXIT_USAGE);
	cr_assert_eq(run(2, "--help", NULL, NULL), 0);
	cr_assert(strstr(out_text, "usage:"));
	cr_assert_eq(err_len, 0);
}

Test(policy_cmd, unreadable)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/missing.policy", dir);
	cr_assert_eq(run(3, "check", path, NULL), VTLMON_EXIT_NOINPUT);
	cr_assert(strstr(err_text, "missing.policy: cannot open"), "%s", err_text);
	cr_assert_eq(run(3, "check", dir, NULL), VTLMON_EXIT_NOINPUT);
	cr_assert_eq(out_len, 0);
}

Test(policy_cmd, errors_are_file_line_col)
{
	static const char text[] = "vtlmon-policy 1\ncr pin\nreset max 3x\n";
	const char *path = write_file("bad.policy", text, sizeof(text) - 1);
	char want[600];

	cr_assert_eq(run(3, "check", path, NULL), VTLMON_EXIT_INVALID);
	snprintf(want, sizeof(want),
		 "%s:2:7: expected a CR bit such as CR0.WP after 'cr pin'\n"
		 "%s:3:11: '3x' is not a number for the reset limit\n",
		 path, path);
	cr_assert_str_eq(err_text, want);
	cr_assert_eq(out_len, 0, "nothing on stdout for a bad policy");
}

/* An MSR that changes without WRMSR cannot be pinned: the check says where and why. */
Test(policy_cmd, unpinnable_msrs_are_refused_with_file_line_col)
{
	static const char text[] = "vtlmon-policy 1\n"
				   "msr pin EFER\n"
				   "msr pinnable LSTAR KERNEL_GS_BASE\n"
				   "  msr pin\tFS_BASE 0x830\n";
	const char *path = write_file("swapgs.policy", text, sizeof(text) - 1);
	char want[800];

	cr_assert_eq(run(3, "check", path, NULL), VTLMON_EXIT_INVALID);
	snprintf(want, sizeof(want),
		 "%s:3:20: KERNEL_GS_BASE cannot be pinned: swapgs changes it without WRMSR\n"
		 "%s:4:11: FS_BASE cannot be pinned: wrfsbase and FS loads change it without "
		 "WRMSR\n"
		 "%s:4:19: MSR '0x830' cannot be pinned: x2APIC MSRs bypass the KVM MSR filter\n",
		 path, path, path);
	cr_assert_str_eq(err_text, want);
	cr_assert_eq(out_len, 0, "nothing on stdout for a bad policy");
}

Test(policy_cmd, too_many_errors)
{
	size_t len = 16 + 5 * 300;
	char *text = malloc(len + 1);
	const char *path;

	strcpy(text, "vtlmon-policy 1\n");
	for (int i = 0; i < 300; i++)
		strcat(text, "nope\n");
	path = write_file("many.policy", text, strlen(text));

	cr_assert_eq(run(3, "check", path, NULL), VTLMON_EXIT_INVALID);
	cr_assert(strstr(err_text, "many.policy:101:1: unknown statement 'nope'\n"));
	cr_assert_null(strstr(err_text, ":102:1:"), "at most 100 errors are printed");
	cr_assert(strstr(err_text, "stopped after 100 errors"), "%s", err_text);

	/* exactly 100 errors: all printed, and nothing was cut */
	text[16 + 5 * 100] = '\0';
	path = write_file("hundred.policy", text, strlen(text));
	cr_assert_eq(run(3, "check", path, NULL), VTLMON_EXIT_INVALID);
	cr_assert(strstr(err_text, "hundred.policy:101:1:"));
	cr_assert_null(strstr(err_text, "stopped"), "%s", err_text);
	free(text);
}

Test(policy_cmd, size_limit)
{
	size_t max = VTL_BOOT_POLICY_MAX;
	char *text = malloc(max + 1);

	/* exactly the limit is accepted ... */
	memset(text, '\n', max + 1);
	memcpy(text, "vtlmon-policy 1\n", 16);
	cr_assert_eq(run(3, "check", write_file("max.policy", text, max), NULL), 0, "%s", err_text);
	/* ... one byte more is not */
	cr_assert_eq(run(3, "check", write_file("big.policy", text, max + 1), NULL),
		     VTLMON_EXIT_INVALID);
	cr_assert(strstr(err_text, "larger than 65536 bytes"), "%s", err_text);
	free(text);
}

Test(policy_cmd, success_prints_summary_and_sha256)
{
	static const char text[] = "# demo\r\nvtlmon-policy 1\r\nreset max 2\r\nmsr pin lstar\r\n";
	unsigned char digest[32];
	char hex[65], line[80];
	struct policy a, b;

	const char *path = write_file("ok.policy", text, sizeof(text) - 1);

	cr_assert_eq(run(3, "check", path, NULL), 0, "%s", err_text);
	cr_assert_eq(err_len, 0);
	cr_assert_eq(sodium_init() < 0, 0);
	crypto_hash_sha256(digest, (const unsigned char *)text, sizeof(text) - 1);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(line, sizeof(line), "\nsha256 %s\n", hex);
	cr_assert_geq(out_len, strlen(line));
	cr_assert_str_eq(out_text + out_len - strlen(line), line, "%s", out_text);
	cr_assert(strstr(out_text, "msr pin LSTAR\n"));
	cr_assert(strstr(out_text, "reset max 2\n"));

	/* the summary (without the sha256 line) is the same policy */
	cr_assert_eq(policy_parse(text, sizeof(text) - 1, &a, NULL, 0, NULL), POLICY_OK);
	cr_assert_eq(policy_parse(out_text, out_len - strlen(line) + 1, &b, NULL, 0, NULL),
		     POLICY_OK);
	cr_assert(policy_equal(&a, &b));
}

Test(policy_cmd, load_file)
{
	static const char text[] = "vtlmon-policy 1\nreset max 9\n";
	const char *path = write_file("load.policy", text, sizeof(text) - 1);
	struct policy p;
	char *bytes = (char *)1;
	size_t len = 0;
	char hex[65];

	cr_assert_eq(policy_load_file(path, &bytes, &len, &p, stderr), 0);
	cr_assert_eq(len, sizeof(text) - 1);
	cr_assert_str_eq(bytes, text);
	cr_assert_eq(p.max_resets, 9);
	free(bytes);
	cr_assert_eq(policy_load_file(path, NULL, NULL, &p, stderr), 0);
	cr_assert_eq(sha256_hex("", 0, hex), 0);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	path = write_file("bad.policy", "nope\n", 5);
	bytes = (char *)1;
	FILE *null = fopen("/dev/null", "w");

	cr_assert_eq(policy_load_file(path, &bytes, &len, &p, null), VTLMON_EXIT_INVALID);
	cr_assert_null(bytes);
	fclose(null);
}

Test(policy_cmd, examples_pass)
{
	static const char *const names[] = {"default", "strict", "dev", "nx-required"};
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/policy/examples/%s.policy", SRC_DIR, names[i]);
		cr_assert_eq(run(3, "check", path, NULL), 0, "%s: %s", path, err_text);
		cr_assert(strstr(out_text, "\nsha256 "));
	}
}
