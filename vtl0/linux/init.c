/* The test kernel's /init: prints a marker and the driver state, runs an LKDTM attack, ends the
 * run. */
/*
 * Freestanding (no libc): a static ELF of a few KiB with its own system call
 * stubs. Every instruction the kernel runs for userspace is emulated on this
 * host, so /init forks once at most and does nothing it does not need.
 *
 * Command line words it reads (from /proc/cmdline):
 *   vtltest.lkdtm=NAME   write NAME to LKDTM's /sys/kernel/debug/provoke-crash/DIRECT,
 *                        from a child process, so that an oops kills the child and
 *                        /init lives on to report it
 *   vtltest.attack=NAME  the same with /sys/kernel/debug/vtlmon/attack, the test
 *                        kernel's own attacks (vtl0/linux/vtlmon_attack.c)
 *   vtltest.kexec=PATH   kexec the kernel image PATH through the driver, unless this
 *                        kernel was itself started by kexec (vtlmon.boot=kexec): first
 *                        /init (not a kernel) and a copy of PATH with one byte changed,
 *                        which must both be refused, then PATH itself (docs/linux.md,
 *                        "kexec")
 *   vtltest.end=WHAT     poweroff, reboot, halt, or auto (the default): power off
 *                        through the vtlmon device when it is present (the run ends
 *                        with exit code 0), else reboot (QEMU with -no-reboot exits)
 *
 * Every line it prints starts with "vtlmon-linux: " so that tests can find it.
 */
#include <stddef.h>
#include <stdint.h>

#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/reboot.h>

#define INIT_PREFIX  "vtlmon-linux: "
#define CMDLINE_MAX  4096
#define NAME_MAX_LEN 64
#define EBADF	     9
#define KEXEC_MAX    (4UL << 20) /* the driver's buffer (VTLMON_KEXEC_MAX) */
#define SIGCHLD	     17

/* The compiler may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define sys3(nr, a, b, c) sys6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int sprefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static int sequal(const char *a, const char *b)
{
	return sprefix(a, b) && slen(a) == slen(b);
}

static void out(const char *s)
{
	sys3(__NR_write, 1, s, slen(s));
}

static void out_num(long v)
{
	char buf[24], *p = buf + sizeof(buf) - 1;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	*p = 0;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	out(p);
}

/* Reads a whole (small) file into buf, NUL-terminated; the length, or a negative errno. */
static long read_file(const char *path, char *buf, size_t size)
{
	long fd = sys6(__NR_openat, AT_FDCWD, (long)path, O_RDONLY, 0, 0, 0);
	long n, total = 0;

	if (fd < 0)
		return fd;
	while ((size_t)total < size - 1 &&
	       (n = sys3(__NR_read, fd, buf + total, size - 1 - (size_t)total)) > 0)
		total += n;
	sys3(__NR_close, fd, 0, 0);
	buf[total] = 0;
	return total;
}

static long mount(const char *src, const char *target, const char *type)
{
	long r = sys6(__NR_mount, (long)src, (long)target, (long)type, 0, 0, 0);

	if (r < 0) {
		out(INIT_PREFIX "mount ");
		out(target);
		out(" failed: errno ");
		out_num(-r);
		out("\n");
	}
	return r;
}

/* The value of word KEY=VALUE in the command line, copied to val; 0 if absent. */
static int cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
	size_t klen = slen(key);
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (sprefix(p, key) && p[klen] == '=') {
			size_t n = 0;

			p += klen + 1;
			while (p[n] && p[n] != ' ' && p[n] != '\n' && n < size - 1) {
				val[n] = p[n];
				n++;
			}
			val[n] = 0;
			return 1;
		}
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return 0;
}

/* Prints a multi-line text with the prefix on every line. */
static void out_lines(const char *what, const char *text)
{
	while (*text) {
		const char *e = text;

		while (*e && *e != '\n')
			e++;
		out(INIT_PREFIX);
		out(what);
		sys3(__NR_write, 1, text, e - text);
		out("\n");
		text = *e ? e + 1 : e;
	}
}

/* Mounts debugfs on /sys/kernel/debug once; 0 when it is there. */
static long mount_debugfs(void)
{
	static int mounted;

	if (mounted)
		return 0;
	/*
	 * The test kernel has no sysfs: /sys/kernel/debug is a directory of the
	 * initramfs. A kernel with sysfs gets it from sysfs instead.
	 */
	const char *dir = "/sys/kernel/debug";

	if (sys6(__NR_mount, (long)"debugfs", (long)dir, (long)"debugfs", 0, 0, 0) < 0 &&
	    (mount("sysfs", "/sys", "sysfs") < 0 || mount("debugfs", dir, "debugfs") < 0))
		return -1;
	mounted = 1;
	return 0;
}

/*
 * Runs one attack in a child: writes NAME to a debugfs trigger file. An
 * attack the kernel (or vtlmon) stops usually ends in an oops, which kills
 * the task that triggered it: that must not be init, or the kernel panics
 * before anything is reported. Lines read "<what> NAME: ...".
 */
static void run_attack(const char *what, const char *file, const char *name)
{
	long pid, r;
	int status = 0;

	out(INIT_PREFIX);
	out(what);
	out(name);
	out(": attacking\n");
	pid = sys6(__NR_fork, 0, 0, 0, 0, 0, 0);
	if (pid == 0) {
		long fd = sys6(__NR_openat, AT_FDCWD, (long)file, O_WRONLY, 0, 0, 0);

		if (fd < 0) {
			out(INIT_PREFIX "cannot open ");
			out(file);
			out(": errno ");
			out_num(-fd);
			out("\n");
			sys3(__NR_exit_group, 2, 0, 0);
		}
		r = sys3(__NR_write, fd, name, slen(name));
		out(INIT_PREFIX);
		out(what);
		out(name);
		out(": write returned ");
		out_num(r);
		out("\n");
		sys3(__NR_exit_group, r == (long)slen(name) ? 0 : 1, 0, 0);
	}
	if (pid < 0) {
		out(INIT_PREFIX "fork failed: errno ");
		out_num(-pid);
		out("\n");
		return;
	}
	r = sys6(__NR_wait4, pid, (long)&status, 0, 0, 0, 0);
	out(INIT_PREFIX);
	out(what);
	out(name);
	if (r != pid) {
		out(": wait4 failed\n");
	} else if ((status & 0x7f) == 0) {
		/* Exited: the attack ran to its end (LKDTM says FAIL when it should not have). */
		out(": result: survived (exit ");
		out_num((status >> 8) & 0xff);
		out(")\n");
	} else {
		out(": result: killed (signal ");
		out_num(status & 0x7f);
		out(")\n");
	}
}

/* Writes all of buf to path (opened with O_TRUNC); 0, or a negative errno. */
static long write_file(const char *path, const void *buf, size_t len)
{
	long fd = sys6(__NR_openat, AT_FDCWD, (long)path, O_WRONLY | O_TRUNC, 0, 0, 0);
	size_t done = 0;
	long n = 0;

	if (fd < 0)
		return fd;
	while (done < len && (n = sys3(__NR_write, fd, (const char *)buf + done, len - done)) > 0)
		done += (size_t)n;
	sys3(__NR_close, fd, 0, 0);
	return done == len ? 0 : n < 0 ? n : -EBADF;
}

static void out_result(const char *what, long r)
{
	out(INIT_PREFIX);
	out(what);
	if (r < 0) {
		out(": errno ");
		out_num(-r);
	} else {
		out(": ok");
	}
	out("\n");
}

/*
 * kexec through the driver: /init itself first (an ELF, but not a kernel: the
 * monitor refuses it), an image with one byte changed (its digest is in no
 * policy: VTL1 refuses it), each time this kernel goes on; then the image
 * itself, which must not return.
 */
static void run_kexec(const char *path)
{
	static char image[KEXEC_MAX];
	long len = read_file("/init", image, sizeof(image));
	long r;

	if (len > 0) {
		r = write_file("/proc/vtlmon-kexec", image, (size_t)len);
		out_result("kexec: /init written", r);
		out_result("kexec: /init load", write_file("/proc/vtlmon", "kexec-load", 10));
	}
	len = read_file(path, image, sizeof(image));
	if (len <= 0 || len >= (long)sizeof(image) - 1) {
		out_result(
		    "kexec: cannot read the image (or it is larger than the driver's buffer)",
		    len < 0 ? len : -EBADF);
		return;
	}
	out(INIT_PREFIX "kexec: image of ");
	out_num(len);
	out(" bytes\n");
	image[len / 2] ^= 1;
	r = write_file("/proc/vtlmon-kexec", image, (size_t)len);
	out_result("kexec: changed image written", r);
	out_result("kexec: changed image load", write_file("/proc/vtlmon", "kexec-load", 10));
	image[len / 2] ^= 1;
	r = write_file("/proc/vtlmon-kexec", image, (size_t)len);
	out_result("kexec: image written", r);
	r = write_file("/proc/vtlmon", "kexec-load", 10);
	out_result("kexec: image load", r);
	if (r < 0)
		return;
	out_result("kexec: exec returned", write_file("/proc/vtlmon", "kexec-exec", 10));
}

static void finish(const char *end, int vtlmon_present)
{
	unsigned int cmd = LINUX_REBOOT_CMD_RESTART;

	if (sequal(end, "poweroff") || (sequal(end, "auto") && vtlmon_present))
		cmd = LINUX_REBOOT_CMD_POWER_OFF;
	else if (sequal(end, "halt"))
		cmd = LINUX_REBOOT_CMD_HALT;
	out(INIT_PREFIX "end: ");
	out(cmd == LINUX_REBOOT_CMD_POWER_OFF ? "power off\n"
	    : cmd == LINUX_REBOOT_CMD_HALT    ? "halt\n"
					      : "reboot\n");
	sys6(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, 0, 0, 0);
	/* Only if that failed: init must never exit (the kernel would panic). */
	sys6(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART, 0, 0,
	     0);
	for (;;)
		sys3(__NR_pause, 0, 0, 0);
}

void init_main(void);
void init_main(void)
{
	static char cmdline[CMDLINE_MAX], text[CMDLINE_MAX];
	char name[NAME_MAX_LEN], path[NAME_MAX_LEN], end[16] = "auto";
	int present = 0;

	/* The kernel hands init /dev/console as 0, 1, 2 when the archive has the node. */
	if (sys3(__NR_write, 1, "", 0) == -EBADF) {
		long fd = sys6(__NR_openat, AT_FDCWD, (long)"/dev/console", O_RDWR, 0, 0, 0);

		sys3(__NR_dup2, fd, 1, 0);
		sys3(__NR_dup2, fd, 2, 0);
	}
	out(INIT_PREFIX "/init reached\n");

	if (mount("proc", "/proc", "proc") == 0) {
		if (read_file("/proc/uptime", text, sizeof(text)) > 0)
			out_lines("uptime ", text);
		if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0)
			out_lines("cmdline: ", cmdline);
		if (read_file("/proc/vtlmon", text, sizeof(text)) > 0) {
			out_lines("driver ", text);
			present = sprefix(text, "device: present");
		} else {
			out(INIT_PREFIX "driver: no /proc/vtlmon\n");
		}
	}
	if (cmdline_get(cmdline, "vtltest.lkdtm", name, sizeof(name)) && mount_debugfs() == 0)
		run_attack("lkdtm ", "/sys/kernel/debug/provoke-crash/DIRECT", name);
	if (cmdline_get(cmdline, "vtltest.attack", name, sizeof(name)) && mount_debugfs() == 0)
		run_attack("attack ", "/sys/kernel/debug/vtlmon/attack", name);
	if (cmdline_get(cmdline, "vtltest.kexec", path, sizeof(path))) {
		if (cmdline_get(cmdline, "vtlmon.boot", name, sizeof(name)) &&
		    sequal(name, "kexec"))
			out(INIT_PREFIX "kexec: this kernel was started by kexec\n");
		else
			run_kexec(path);
	}
	cmdline_get(cmdline, "vtltest.end", end, sizeof(end));
	finish(end, present);
}

/* Entry from the kernel: no arguments needed, just an aligned stack. */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call init_main\n"
	"	hlt\n");
