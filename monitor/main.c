/* vtlmon's entry point: the command line, and the init steps of a run in order. */
#include <signal.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "monitor/cmd/bench.h"
#include "monitor/cmd/caps.h"
#include "monitor/cmd/cli.h"
#include "monitor/cmd/policy_cmd.h"
#include "monitor/cmd/inspect_cmd.h"
#include "monitor/cmd/report.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/log.h"
#include "monitor/base/version.h"
#include "monitor/x86/decoder.h"

/* Each sub-command's synopsis: `vtlmon help CMD` and `vtlmon CMD --help` print it. */
struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *synopsis;
	bool own_help; /* it answers --help itself (with more detail) */
};

static const struct command commands[] = {
    {"run", cli_run,
     "  vtlmon run [--vtl0 ELF | --kernel FILE [--initrd FILE] [--append CMDLINE]]\n"
     "             [--vtl1 ELF] [--policy FILE] [--mem SIZE] [--vtl1-mem SIZE] [--cpus N]\n"
     "             [--events FILE|-] [--timeout SECONDS] [--module FILE]... [-q|--quiet]\n"
     "             [--state-out FILE] [--mem-prealloc] [--no-sandbox] [-v]\n",
     false},
    {"policy", policy_cmd_main, "  vtlmon policy check [--host [--mem SIZE]] FILE\n", true},
    {"inspect", inspect_main, "  vtlmon inspect ELF [--json]\n", true},
    {"report", report_main, "  vtlmon report EVENTS.jsonl [--svg FILE] [--json]\n", true},
    {"caps", cli_caps, "  vtlmon caps [--json]\n", false},
    {"bench", cli_bench,
     "  vtlmon bench [--runs N] [--smp-cpus N] [--protect-ranges N] [--protect-pairs N]\n"
     "               [--cr-period T] [--cr-samples N] [--cr-load N] [--cr-only] [--json]\n",
     false},
};

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

static void usage(FILE *f)
{
	fputs("usage:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fputs(commands[i].synopsis, f);
	fputs("  vtlmon help [CMD] | CMD --help | --version\n"
	      "\n"
	      "With no options, `vtlmon run` runs the built-in demo: the reference VTL1,\n"
	      "the demo VTL0 kernel and the default policy.\n"
	      "Exit status of run: the guest's code (0-63), 64 usage, 65 launch refused,\n"
	      "66 VTL0 killed by VTL1, 67 timeout, 68 reset limit, 69 VTL1 fault,\n"
	      "70 monitor error, 71 VTL0 crashed, 73 events log failed, 128+N signal N.\n"
	      "Every sub-command: 64 usage, 65 input refused, 70 monitor error, 72 input\n"
	      "cannot be read. See vtlmon(1) or docs/cli.md.\n",
	      f);
}

/* `vtlmon CMD --help`: the command's own help where it has one, else its synopsis. */
static int command_help(const struct command *c)
{
	char *argv[] = {(char *)c->name, "--help", NULL};

	if (c->own_help)
		return c->main(2, argv);
	printf("usage:\n%sSee vtlmon(1) or docs/cli.md.\n", c->synopsis);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c0;
	const char *cmd;

	/*
	 * Start-up, in order. 0: no descriptor the parent left open (a socket, a
	 * log, another VM's fd) reaches the guests' threads or outlives their
	 * sandbox: vtlmon holds only stdin/stdout/stderr and what it opens itself.
	 */
	if (close_range(3, ~0U, 0) && errno != ENOSYS) {
		fprintf(stderr, "vtlmon: error: cannot close inherited file descriptors: %s\n",
			strerror(errno));
		return VTLMON_EXIT_MONITOR;
	}
	/* 1: guest console lines and diagnostics interleave as they happen. */
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
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
		printf("vtlmon %s\n", VTLMON_VERSION);
		return 0;
	}
	if (is_help(cmd) || !strcmp(cmd, "help")) {
		const struct command *c = argc > 2 ? command_find(argv[2]) : NULL;

		if (argc > 2 && !c) {
			fprintf(stderr, "vtlmon: no command '%s'\n", argv[2]);
			usage(stderr);
			return VTLMON_EXIT_USAGE;
		}
		if (c)
			return command_help(c);
		usage(stdout);
		return 0;
	}
	if ((c0 = command_find(cmd))) {
		int ret;

		if (argc > 2 && is_help(argv[2]))
			return command_help(c0);
		/*
		 * 4, first: the decoder process, before any thread and any sandbox: Capstone and
		 * the guest bytes it parses stay out of this process (monitor/x86/decoder.h).
		 * It loads Capstone only when something is first decoded. Teardown: EOF on
		 * its socket ends it, and it is reaped here (it also dies with us).
		 */
		decoder_start();
		ret = c0->main(argc - 1, argv + 1);
		decoder_stop();
		return ret;
	}
	fprintf(stderr, "vtlmon: unknown command '%s'\n", cmd);
	usage(stderr);
	return VTLMON_EXIT_USAGE;
}
