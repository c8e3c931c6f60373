// SPDX-License-Identifier: GPL-2.0
/* vtlmon guest driver: locks text/rodata and pins CRs/MSRs through VTL1 at late init, then ends
 * boot; kexec of a measured kernel through VTL1. */
/*
 * The VTL0 device of vtlmon (docs/abi.md) is one page of MMIO at
 * VTL0_DEVICE_GPA. A VTL call is a 64-bit write of the physical address of a
 * 64-byte call block to its CALL register: the write exits to the monitor,
 * VTL1 decides under its policy, and the answer is in the block and in
 * CALL_STATUS when the write instruction completes.
 *
 * Linux rewrites its own text during boot (alternatives, static calls), so
 * the host cannot lock it at launch; this driver locks it once that is over.
 * It runs as a late_initcall_sync: after every other initcall (so nothing
 * else in init still writes __ro_after_init data, which lies inside rodata)
 * and before /init, the first code an attacker controls. Everything it asks
 * is reported on the console and under /proc/vtlmon.
 *
 * kexec goes through VTL1 too (docs/linux.md, "kexec"): Linux's own kexec
 * would copy the new kernel over the locked text, which VTL1 refuses. Write
 * a kernel image (bzImage or vmlinux) to /proc/vtlmon-kexec, then
 * "kexec-load" to /proc/vtlmon (KEXEC_LOAD: VTL1 write-protects and measures
 * it against the policy) and "kexec-exec" (KEXEC_EXEC: the monitor boots it
 * with the launch's command line and initrd, and " vtlmon.boot=kexec").
 *
 * Registers, call numbers, permissions and statuses come from the project's
 * ABI headers (include/vtl_*.h), the same ones the monitor and VTL1 use.
 */

#define pr_fmt(fmt) "vtlmon: " fmt

#include <linux/fcntl.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/reboot.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/sections.h>
#include <asm/special_insns.h>

#include "vtl_call.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_status.h"
#include "vtl1_abi.h" /* VTL_PERM_* (the PROTECT permissions) */

#define VTLMON_MAX_REQS 16
/*
 * KEXEC_LOAD takes one physically contiguous range: one allocation of order
 * MAX_ORDER - 1 (4 MiB on x86 in 6.1), the largest the page allocator gives.
 * The test kernel's bzImage is about 1.2 MiB.
 */
#define VTLMON_KEXEC_MAX (PAGE_SIZE << (MAX_ORDER - 1))

/* One VTL call as asked and answered, for the log and /proc/vtlmon. */
struct vtlmon_req {
	char what[32];
	u32 nr;
	u64 args[3];
	u32 status;
};

/* A range this driver had VTL1 lock (PROTECT granted). */
struct vtlmon_range {
	const char *name;
	u64 gpa;
	u64 pages;
	u32 perms;
};

static void __iomem *vtlmon_regs;
static u32 vtlmon_id, vtlmon_version;
static u64 vtlmon_features;
static bool vtlmon_present, vtlmon_ended;
static struct vtlmon_req vtlmon_reqs[VTLMON_MAX_REQS];
static unsigned int vtlmon_nreqs;
/*
 * What VTL1 granted, for the one summary line at the end of the lockdown.
 * One line, not one per request: the host emulates the kernel's console path
 * at about 1 us per instruction, so each printk line costs some 12 ms of boot
 * here (21 lines were 3% of the boot to /init). Refusals still get a line
 * each, and /proc/vtlmon lists every request with its arguments.
 */
static char vtlmon_summary[160];
static unsigned int vtlmon_ngranted, vtlmon_nrefused;
static struct vtlmon_range vtlmon_ranges[2];
static unsigned int vtlmon_nranges;
static DEFINE_MUTEX(vtlmon_lock);

/* "kexec" when the monitor started this kernel by KEXEC_EXEC (vtlmon.boot=kexec), else "launch". */
static char vtlmon_boot[16] = "launch";
module_param_string(boot, vtlmon_boot, sizeof(vtlmon_boot), 0444);

/* The kernel image written to /proc/vtlmon-kexec; read-only to this kernel once loaded. */
static void *vtlmon_kexec_buf;
static size_t vtlmon_kexec_len;
static bool vtlmon_kexec_loaded;

/*
 * The call block: in .bss, which stays writable after the lockdown (the
 * monitor refuses a block in a page VTL0 cannot write), and 64-byte aligned
 * so that it never crosses a page.
 */
static struct vtl_call_block vtlmon_block __aligned(VTL_CALL_BLOCK_ALIGN);

static const char *vtlmon_perms_str(u32 perms)
{
	static const char *const s[] = {"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx"};

	return s[perms & VTL_PERM_MASK];
}

/* Runs one call; the status comes from CALL_STATUS, which also covers calls the monitor refused. */
static u32 vtlmon_call(u32 nr, u64 a0, u64 a1, u64 a2)
{
	struct vtl_call_block *b = &vtlmon_block;

	memset(b, 0, sizeof(*b));
	b->nr = nr;
	b->args[0] = a0;
	b->args[1] = a1;
	b->args[2] = a2;
	/*
	 * No fence: x86 keeps stores in order, a UC store included, and
	 * writeq() is a compiler barrier. (KVM's emulator has no fences.)
	 */
	writeq(__pa_symbol(b), vtlmon_regs + VTL0_REG_CALL);
	return readl(vtlmon_regs + VTL0_REG_CALL_STATUS);
}

/* item (a short name of what was granted) into the summary line; "..." once it is full. */
static void vtlmon_summary_add(const char *item)
{
	size_t len = strlen(vtlmon_summary);

	if (len + strlen(item) + 6 < sizeof(vtlmon_summary))
		snprintf(vtlmon_summary + len, sizeof(vtlmon_summary) - len, "%s%s",
			 len ? ", " : "", item);
	else if (len + 5 < sizeof(vtlmon_summary) && !strstr(vtlmon_summary, "..."))
		strcat(vtlmon_summary, ", ...");
}

static u32 vtlmon_request(const char *what, const char *item, u32 nr, u64 a0, u64 a1, u64 a2)
{
	struct vtlmon_req *r = NULL;
	u32 st = vtlmon_call(nr, a0, a1, a2);

	if (vtlmon_nreqs < VTLMON_MAX_REQS) {
		r = &vtlmon_reqs[vtlmon_nreqs++];
		strscpy(r->what, what, sizeof(r->what));
		r->nr = nr;
		r->args[0] = a0;
		r->args[1] = a1;
		r->args[2] = a2;
		r->status = st;
	}
	if (st == VTL_OK) {
		vtlmon_ngranted++;
		if (item)
			vtlmon_summary_add(item);
		pr_debug("%s: granted\n", what);
	} else {
		vtlmon_nrefused++;
		pr_warn("%s: refused (%s)\n", what, vtl_strerror(st));
	}
	return st;
}

/* PROTECT the page-rounded physical range of [start, end) in the kernel image with perms. */
static void vtlmon_protect(const char *name, const void *start, const void *end, u32 perms)
{
	u64 lo = round_down(__pa_symbol(start), PAGE_SIZE);
	u64 hi = round_up(__pa_symbol(end), PAGE_SIZE);
	u64 pages = (hi - lo) >> PAGE_SHIFT;
	char what[32];

	snprintf(what, sizeof(what), "PROTECT %s %s", name, vtlmon_perms_str(perms));
	pr_debug("%s: GPA %#llx-%#llx (%llu pages)\n", name, lo, hi, pages);
	if (vtlmon_request(what, what + strlen("PROTECT "), VTL_CALL_PROTECT, lo, pages, perms) ==
		VTL_OK &&
	    vtlmon_nranges < ARRAY_SIZE(vtlmon_ranges))
		vtlmon_ranges[vtlmon_nranges++] =
		    (struct vtlmon_range){.name = name, .gpa = lo, .pages = pages, .perms = perms};
}

static void vtlmon_pin_cr(const char *name, u64 cr, u64 mask)
{
	char what[32];

	snprintf(what, sizeof(what), "PIN_CR %s", name);
	vtlmon_request(what, name, VTL_CALL_PIN_CR, cr, mask, 0);
}

static void vtlmon_pin_msr(const char *name, u32 msr)
{
	char what[32];
	u64 val;

	snprintf(what, sizeof(what), "PIN_MSR %s", name);
	/* Only for the log: the monitor pins whatever value the MSR holds when VTL1 asks. */
	if (rdmsrl_safe(msr, &val))
		pr_debug("%s is not readable\n", name);
	else
		pr_debug("%s = %#llx\n", name, val);
	vtlmon_request(what, name, VTL_CALL_PIN_MSR, msr, 0, 0);
}

static void vtlmon_lockdown(void)
{
	/* The CR4 bits that guard the kernel against userspace, where the kernel turned them on. */
	static const struct {
		const char *name;
		unsigned long bit;
	} cr4_bits[] = {
	    {"CR4.SMEP", X86_CR4_SMEP},
	    {"CR4.SMAP", X86_CR4_SMAP},
	    {"CR4.UMIP", X86_CR4_UMIP},
	};
	unsigned long cr0 = read_cr0(), cr4 = __read_cr4();
	unsigned int i;

	pr_debug("CR0 %#lx CR4 %#lx\n", cr0, cr4);
	vtlmon_protect("text", _stext, _etext, VTL_PERM_R | VTL_PERM_X);
	vtlmon_protect("rodata", __start_rodata, __end_rodata, VTL_PERM_R);
	if (cr0 & X86_CR0_WP)
		vtlmon_pin_cr("CR0.WP", 0, X86_CR0_WP);
	else
		pr_warn("CR0.WP is clear: not pinned\n");
	for (i = 0; i < ARRAY_SIZE(cr4_bits); i++) {
		if (cr4 & cr4_bits[i].bit)
			vtlmon_pin_cr(cr4_bits[i].name, 4, cr4_bits[i].bit);
		else
			pr_debug("%s is clear: not pinned\n", cr4_bits[i].name);
	}
	/* The system call entry: whoever rewrites these owns every syscall. */
	vtlmon_pin_msr("LSTAR", MSR_LSTAR);
	vtlmon_pin_msr("STAR", MSR_STAR);
	vtlmon_pin_msr("CSTAR", MSR_CSTAR);
	vtlmon_pin_msr("SFMASK", MSR_SYSCALL_MASK);
	vtlmon_ended = vtlmon_request("END_OF_BOOT", NULL, VTL_CALL_END_OF_BOOT, 0, 0, 0) == VTL_OK;
	pr_info("lockdown %s: %s (%u of %u requests granted)\n",
		vtlmon_ended ? "complete" : "INCOMPLETE, END_OF_BOOT refused",
		vtlmon_summary[0] ? vtlmon_summary : "nothing locked", vtlmon_ngranted,
		vtlmon_ngranted + vtlmon_nrefused);
}

/* Power-off through the device's SHUTDOWN register: the run ends with exit code 0. */
static int vtlmon_power_off(struct sys_off_data *data)
{
	writel(0, vtlmon_regs + VTL0_REG_SHUTDOWN);
	return NOTIFY_DONE;
}

static int vtlmon_show(struct seq_file *m, void *v)
{
	unsigned int i;

	mutex_lock(&vtlmon_lock);
	if (!vtlmon_present) {
		seq_puts(m, "device: absent\n");
		goto out;
	}
	seq_printf(m, "device: present at %#llx (id %#x, version %u, features %#llx)\n",
		   VTL0_DEVICE_GPA, vtlmon_id, vtlmon_version, vtlmon_features);
	seq_printf(m, "end-of-boot: %s\n", vtlmon_ended ? "yes" : "no");
	seq_printf(m, "boot: %s\n", vtlmon_boot);
	seq_printf(m, "kexec: %zu bytes written, %s\n", vtlmon_kexec_len,
		   vtlmon_kexec_loaded ? "loaded" : "not loaded");
	for (i = 0; i < vtlmon_nreqs; i++) {
		const struct vtlmon_req *r = &vtlmon_reqs[i];

		seq_printf(m, "request: %-20s nr %#x args %#llx %#llx %#llx: %s (%u %s)\n", r->what,
			   r->nr, r->args[0], r->args[1], r->args[2],
			   r->status == VTL_OK ? "granted" : "refused", r->status,
			   vtl_strerror(r->status));
	}
	for (i = 0; i < vtlmon_nranges; i++) {
		const struct vtlmon_range *l = &vtlmon_ranges[i];

		seq_printf(m, "locked: %-6s GPA %#llx-%#llx %s\n", l->name, l->gpa,
			   l->gpa + (l->pages << PAGE_SHIFT), vtlmon_perms_str(l->perms));
	}
out:
	mutex_unlock(&vtlmon_lock);
	return 0;
}

/* A refused call as an errno for the writer of /proc/vtlmon. */
static int vtlmon_errno(u32 st)
{
	switch (st) {
	case VTL_OK: return 0;
	case VTL_E_DENIED: return -EPERM;
	case VTL_E_VERIFY: return -EKEYREJECTED;
	case VTL_E_INVALID: return -ENOEXEC;
	case VTL_E_BAD_ADDRESS: return -EFAULT;
	case VTL_E_BAD_STATE: return -EBUSY;
	case VTL_E_NO_RESOURCES: return -ENOMEM;
	default: return -EIO;
	}
}

/*
 * KEXEC_LOAD of the image written so far. Once VTL1 staged it the pages are
 * read-only to this kernel (VTL1 write-protected them before measuring), so
 * no further write may touch them. On a refusal they are writable again.
 */
static int vtlmon_kexec_load(void)
{
	u32 st;

	if (!vtlmon_kexec_len)
		return -ENOEXEC;
	st = vtlmon_request("KEXEC_LOAD", NULL, VTL_CALL_KEXEC_LOAD, virt_to_phys(vtlmon_kexec_buf),
			    vtlmon_kexec_len, 0);
	vtlmon_kexec_loaded = st == VTL_OK;
	return vtlmon_errno(st);
}

/* KEXEC_EXEC: does not return when VTL1 and the monitor start the staged kernel. */
static int vtlmon_kexec_exec(void)
{
	u32 st;

	pr_info("kexec: starting the staged kernel (%zu bytes)\n", vtlmon_kexec_len);
	st = vtlmon_request("KEXEC_EXEC", NULL, VTL_CALL_KEXEC_EXEC, 0, 0, 0);
	return vtlmon_errno(st);
}

/* Commands written to /proc/vtlmon: "kexec-load", "kexec-exec". */
static ssize_t vtlmon_ctl_write(struct file *file, const char __user *ubuf, size_t len,
				loff_t *ppos)
{
	char cmd[16];
	int r;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = 0;
	strim(cmd);
	mutex_lock(&vtlmon_lock);
	if (!vtlmon_present)
		r = -ENODEV;
	else if (!strcmp(cmd, "kexec-load"))
		r = vtlmon_kexec_load();
	else if (!strcmp(cmd, "kexec-exec"))
		r = vtlmon_kexec_exec();
	else
		r = -EINVAL;
	mutex_unlock(&vtlmon_lock);
	return r ? r : (ssize_t)len;
}

static int vtlmon_ctl_open(struct inode *inode, struct file *file)
{
	return single_open(file, vtlmon_show, NULL);
}

static const struct proc_ops vtlmon_ctl_ops = {
    .proc_open = vtlmon_ctl_open,
    .proc_read = seq_read,
    .proc_lseek = seq_lseek,
    .proc_release = single_release,
    .proc_write = vtlmon_ctl_write,
};

/* O_TRUNC starts a new image (the old one is dropped unless VTL1 holds it staged). */
static int vtlmon_kexec_open(struct inode *inode, struct file *file)
{
	int r = 0;

	mutex_lock(&vtlmon_lock);
	if (vtlmon_kexec_loaded)
		r = -EBUSY;
	else if (file->f_flags & O_TRUNC)
		vtlmon_kexec_len = 0;
	mutex_unlock(&vtlmon_lock);
	return r;
}

static ssize_t vtlmon_kexec_write(struct file *file, const char __user *ubuf, size_t len,
				  loff_t *ppos)
{
	loff_t pos = *ppos;
	ssize_t r = len;

	mutex_lock(&vtlmon_lock);
	if (!vtlmon_present) {
		r = -ENODEV;
	} else if (vtlmon_kexec_loaded) {
		r = -EBUSY;
	} else if (pos < 0 || pos > VTLMON_KEXEC_MAX || len > VTLMON_KEXEC_MAX - pos) {
		r = -EFBIG;
	} else {
		if (!vtlmon_kexec_buf)
			vtlmon_kexec_buf =
			    alloc_pages_exact(VTLMON_KEXEC_MAX, GFP_KERNEL | __GFP_NOWARN);
		if (!vtlmon_kexec_buf)
			r = -ENOMEM;
		else if (copy_from_user((u8 *)vtlmon_kexec_buf + pos, ubuf, len))
			r = -EFAULT;
		else if (pos + len > vtlmon_kexec_len)
			vtlmon_kexec_len = pos + len;
	}
	if (r > 0)
		*ppos = pos + len;
	mutex_unlock(&vtlmon_lock);
	return r;
}

static const struct proc_ops vtlmon_kexec_ops = {
    .proc_open = vtlmon_kexec_open,
    .proc_write = vtlmon_kexec_write,
    .proc_lseek = default_llseek,
};

static int __init vtlmon_init(void)
{
	proc_create("vtlmon", 0644, NULL, &vtlmon_ctl_ops);
	proc_create("vtlmon-kexec", 0200, NULL, &vtlmon_kexec_ops);

	vtlmon_regs = ioremap(VTL0_DEVICE_GPA, VTL_DEVICE_SIZE);
	if (!vtlmon_regs) {
		pr_info("boot: %s; cannot map %#llx: no vtlmon device\n", vtlmon_boot,
			VTL0_DEVICE_GPA);
		return 0;
	}
	vtlmon_id = readl(vtlmon_regs + VTL0_REG_ID);
	vtlmon_version = readl(vtlmon_regs + VTL0_REG_VERSION);
	if (vtlmon_id != VTL0_DEVICE_ID || vtlmon_version != VTL_ABI_VERSION) {
		pr_info("boot: %s; no vtlmon device at %#llx (id %#x, version %#x): nothing to "
			"do\n",
			vtlmon_boot, VTL0_DEVICE_GPA, vtlmon_id, vtlmon_version);
		iounmap(vtlmon_regs);
		vtlmon_regs = NULL;
		return 0;
	}
	vtlmon_features = readq(vtlmon_regs + VTL0_REG_FEATURES);
	pr_info("boot: %s; device at %#llx, ABI version %u, features %#llx\n", vtlmon_boot,
		VTL0_DEVICE_GPA, vtlmon_version, vtlmon_features);

	mutex_lock(&vtlmon_lock);
	vtlmon_present = true;
	vtlmon_lockdown();
	mutex_unlock(&vtlmon_lock);

	if (IS_ERR(register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_DEFAULT,
					    vtlmon_power_off, NULL)))
		pr_warn("cannot register the power-off handler\n");
	return 0;
}
late_initcall_sync(vtlmon_init);
