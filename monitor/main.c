/* vtlmon's entry point: the command line, and the init steps of a run in order. */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "monitor/cmd/bench.h"
#include "monitor/cmd/caps.h"
#include "monitor/cmd/cli.h"
#include "monitor/cmd/policy_cmd.h"
#include "monitor/cmd/inspect_cmd.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/log.h"

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  vtlmon run [--vtl0 ELF] [--vtl1 ELF] [--policy FILE] [--mem SIZE] [--vtl1-mem "
	      "SIZE]\n"
	      "             [--cpus N] [--events FILE] [--timeout SECONDS] [--module FILE]...\n"
	      "             [--quiet] [--no-sandbox] [-v]\n"
	      "  vtlmon policy check FILE\n"
	      "  vtlmon inspect ELF [--json]\n"
	      "  vtlmon caps\n"
	      "  vtlmon bench [--runs N] [--cr-period T] [--cr-samples N] [--cr-load N] "
	      "[--cr-only]\n"
	      "\n"
	      "With no options, `vtlmon run` runs the built-in demo: the reference VTL1,\n"
	      "the demo VTL0 kernel and the default policy.\n"
	      "Exit status of run: the guest's code (0-63), 64 usage, 65 launch refused,\n"
	      "66 VTL0 killed by VTL1, 67 timeout, 68 reset limit, 69 VTL1 fault,\n"
	      "70 monitor error, 71 VTL0 crashed. Every sub-command: 64 usage, 65 input\n"
	      "refused, 70 monitor error, 72 input cannot be read. See docs/cli.md.\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *cmd;

	/* Start-up, in order. 1: guest console lines and diagnostics interleave as they happen. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* 2: libsodium picks its implementations once, before any thread measures or verifies. */
	if (sodium_init() < 0) {
		fprintf(stderr, "vtlmon: error: libsodium cannot start\n");
		return VTLMON_EXIT_MONITOR;
	}
	/*
	 * 3: a closed pipe (console piped into `head`, an events reader gone) is a
	 * write error the log handles (EPIPE, fail closed), never a silent death.
	 */
	signal(SIGPIPE, SIG_IGN);
	/* 4: the sub-command, which runs its own ordered steps (machine_init for `run`). */
	if (argc < 2) {
		usage(stderr);
		return VTLMON_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cli_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "caps"))
		return cli_caps(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return cli_bench(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return inspect_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "policy"))
		return policy_cmd_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "vtlmon: unknown command '%s'\n", cmd);
	usage(stderr);
	return VTLMON_EXIT_USAGE;
}
