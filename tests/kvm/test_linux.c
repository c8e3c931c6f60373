/* Linux as VTL0 through `vtlmon run --kernel`: the test kernel from `make linux` boots to /init. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/exitcodes.h"
#include "tests/kvm/harness.h"

/*
 * The kernel is built by `make linux` into build/linux/ (CI builds it once
 * per run). Without it the boots are skipped, loudly: never passed.
 * Each boot reaches /init in 20-35 s on this host (emulated CPL0 code,
 * docs/linux.md): --timeout 55 and Criterion's watchdog above it.
 */
#define LINUX_DIR     SRC_DIR "/build/linux"
#define LINUX_KERNEL  LINUX_DIR "/vmlinux"
#define LINUX_INITRD  LINUX_DIR "/initramfs.cpio"
#define LINUX_POLICY  SRC_DIR "/policy/examples/linux.policy"
#define LINUX_TIMEOUT "55"
#define MARKER	      "vtlmon-linux: /init reached"

TestSuite(linux_vtl0, .init = kvm_require, .timeout = 100);

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void require_kernel(void)
{
	if (access(LINUX_KERNEL, R_OK) || access(LINUX_INITRD, R_OK))
		cr_skip_test("no test kernel: %s or %s is missing (run `make linux`)", LINUX_KERNEL,
			     LINUX_INITRD);
}

static void load(struct evlog *ev, const char *path)
{
	char why[256];

	if (evlog_load(ev, path, 16 << 20)) {
		evlog_strerror(ev, why, sizeof(why));
		cr_assert_fail("%s: %s", path, why);
	}
	cr_assert(!ev->missing, "no events file %s", path);
}

/* /init's marker as a console event, after both VTLs booted; the boot event names the kernel. */
static void assert_reached_init(const struct evlog *ev)
{
	long b1 = evlog_find(ev, 0, "boot", "vtl=1");
	long b0 = evlog_find(ev, 0, "boot", "vtl=0", "image~vmlinux");
	long init = evlog_find(ev, 0, "console", "vtl=0", "line=" MARKER);

	if (init < 0)
		evlog_dump(stderr, ev, 0, ev->n);
	cr_assert_geq(b1, 0, "no VTL1 boot event");
	cr_assert_geq(b0, 0, "no VTL0 boot event naming the kernel");
	cr_assert_geq(init, 0, "no console event \"%s\"", MARKER);
	cr_assert_lt(b0, init);
	/* The kernel's own log went through the UART and the console path too. */
	cr_assert_geq(evlog_find(ev, 0, "console", "vtl=0", "line~Linux version"), 0);
	cr_assert_geq(evlog_find(ev, 0, "console", "vtl=0", "line~ttyS0 at I/O 0x3f8 (irq = 4"), 0);
}

/* The driver locks the kernel down and /init powers off through the VTL0 device: exit 0. */
Test(linux_vtl0, vmlinux_boots_to_init_and_powers_off)
{
	char path[64];
	struct evlog ev;

	require_kernel();
	snprintf(path, sizeof(path), "/tmp/vtlmon-linux-%d.jsonl", getpid());
	cr_assert_eq(sh("%s run --quiet --kernel %s --initrd %s --policy %s --append "
			"'rodata=off vtltest.end=poweroff' --events %s --timeout " LINUX_TIMEOUT,
			VTLMON_BIN, LINUX_KERNEL, LINUX_INITRD, LINUX_POLICY, path),
		     VTLMON_EXIT_OK);
	load(&ev, path);
	assert_reached_init(&ev);
	cr_assert_geq(evlog_find(&ev, 0, "vtl_call", "call=end_of_boot", "status=0"), 0);
	cr_assert_geq(evlog_find(&ev, 0, "exit", "reason=shutdown"), 0);
	cr_assert_eq(evlog_count(&ev, "violation"), 0);
	evlog_free(&ev);
	unlink(path);
}

/*
 * reboot=k: /init's reboot goes out through the i8042 (0x64 <- 0xFE) and is a
 * reset like 0xCF9; the policy allows none, so the run ends there.
 */
Test(linux_vtl0, reboot_through_i8042_is_a_reset)
{
	char path[64], pol[64];
	struct evlog ev;
	FILE *f;

	require_kernel();
	snprintf(path, sizeof(path), "/tmp/vtlmon-linux-r-%d.jsonl", getpid());
	snprintf(pol, sizeof(pol), "/tmp/vtlmon-linux-r-%d.policy", getpid());
	cr_assert_eq(sh("sed 's/^reset max .*/reset max 0/' %s > %s", LINUX_POLICY, pol), 0);
	f = fopen(pol, "r");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(sh("%s run --quiet --kernel %s --initrd %s --policy %s --append "
			"'rodata=off vtltest.end=reboot' --events %s --timeout " LINUX_TIMEOUT,
			VTLMON_BIN, LINUX_KERNEL, LINUX_INITRD, pol, path),
		     VTLMON_EXIT_RESET_LIMIT);
	load(&ev, path);
	assert_reached_init(&ev);
	cr_assert_geq(evlog_find(&ev, 0, "reset", "trigger=port_i8042", "step=trigger"), 0);
	cr_assert_geq(evlog_find(&ev, 0, "exit", "reason=reset_limit"), 0);
	evlog_free(&ev);
	unlink(path);
	unlink(pol);
}

/*
 * The kernel and initrd are not held for a reset: it reads them again and
 * loads them only if their SHA-256 is still the start event's. The kernel
 * file is changed (one byte past its loaded segments, in the symbols) once
 * VTL0 runs; /init then reboots, and the reset refuses the changed file.
 */
Test(linux_vtl0, a_kernel_changed_under_the_guest_is_not_loaded_at_reset)
{
	char path[64], kern[64];
	struct evlog ev;

	require_kernel();
	snprintf(path, sizeof(path), "/tmp/vtlmon-linux-c-%d.jsonl", getpid());
	snprintf(kern, sizeof(kern), "/tmp/vtlmon-linux-c-%d.vmlinux", getpid());
	cr_assert_eq(sh("cp %s %s", LINUX_KERNEL, kern), 0);
	/* The change waits for VTL0's boot event: the launch's load is over by then. */
	cr_assert_eq(sh("%s run --quiet --kernel %s --initrd %s --policy %s --append "
			"'rodata=off vtltest.end=reboot' --events %s --timeout " LINUX_TIMEOUT
			" & pid=$!; "
			"for i in $(seq 600); do grep -q '\"type\":\"boot\",\"vtl\":0' %s "
			"2>/dev/null && break; sleep 0.05; done; "
			"printf x | dd of=%s bs=1 seek=$(($(stat -c %%s %s) - 1)) conv=notrunc "
			"status=none; wait $pid",
			VTLMON_BIN, kern, LINUX_INITRD, LINUX_POLICY, path, path, kern, kern),
		     VTLMON_EXIT_MONITOR);
	load(&ev, path);
	assert_reached_init(&ev);
	cr_assert_geq(evlog_find(&ev, 0, "reset", "trigger=port_i8042", "step=trigger"), 0);
	cr_assert_geq(
	    evlog_find(&ev, 0, "exit", "reason=monitor_error", "detail~changed since the launch"),
	    0);
	cr_assert_lt(evlog_find(&ev, 0, "reset", "step=reload"), 0, "the changed kernel ran");
	evlog_free(&ev);
	unlink(path);
	unlink(kern);
}

/* Refusals happen before anything runs, and say why. */
static void assert_refused(const char *args, int status, const char *why)
{
	char cmd[4096], out[4096];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s run --kernel %s 2>&1", VTLMON_BIN, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	st = pclose(p);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == status, "%s: status %d, not %d: %s", args,
		  WEXITSTATUS(st), status, out);
	cr_assert_not_null(strstr(out, why), "%s: no \"%s\" in: %s", args, why, out);
}

Test(linux_vtl0, refusals_say_why)
{
	char old[64], big[64], longline[2100];

	snprintf(old, sizeof(old), "/tmp/vtlmon-linux-old-%d", getpid());
	snprintf(big, sizeof(big), "/tmp/vtlmon-linux-big-%d", getpid());
	/* A setup header of protocol 2.11: no 64-bit entry. */
	cr_assert_eq(sh("printf '\\125\\252\\353\\146HdrS\\013\\002' | dd of=%s bs=1 seek=510 "
			"status=none && truncate -s 64K %s",
			old, old),
		     0);
	assert_refused(old, VTLMON_EXIT_LAUNCH, "too old");
	assert_refused("/etc/hostname", VTLMON_EXIT_LAUNCH, "not a Linux kernel");
	if (access(LINUX_KERNEL, R_OK) == 0) {
		char args[2400];

		memset(longline, 'x', sizeof(longline) - 1);
		longline[sizeof(longline) - 1] = 0;
		snprintf(args, sizeof(args), "%s --append %s", LINUX_KERNEL, longline);
		assert_refused(args, VTLMON_EXIT_LAUNCH, "command line is");
		cr_assert_eq(sh("truncate -s 120M %s", big), 0);
		snprintf(args, sizeof(args), "%s --initrd %s", LINUX_KERNEL, big);
		assert_refused(args, VTLMON_EXIT_LAUNCH, "does not fit");
	}
	assert_refused("/etc/hostname --module /etc/hostname", VTLMON_EXIT_USAGE, "--initrd");
	unlink(old);
	unlink(big);
}
