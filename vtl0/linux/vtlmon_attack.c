// SPDX-License-Identifier: GPL-2.0
/* vtlmon test attacks beyond LKDTM: write NAME to /sys/kernel/debug/vtlmon/attack (issue 11 item
 * 5). */
/*
 * LKDTM's WRITE_KERN writes kernel text through the text mapping, which the
 * guest's own page tables already forbid unless rodata=off. This file adds
 * the attack a kernel exploit would really make: ask the kernel itself to
 * make a text page writable (set_memory_rw(), as a rootkit can), then write
 * it. The guest's page tables allow the write afterwards, with or without
 * rodata=off; only a protection outside the guest (VTL1's read-only memslot)
 * can stop it.
 *
 * Attacks (the name written to the file):
 *   TEXT_SET_MEMORY_RW  set_memory_rw() on the linear-map alias of a text
 *                       page, then overwrite one byte of a function there
 *   CR0_WP_CLEAR        clear CR0.WP with a bare `mov %cr0` (past
 *                       native_write_cr0()'s own pinning, as a ROP gadget
 *                       would), then make an exit while it is clear: the
 *                       monitor must see it there and put WP back
 *
 * Like LKDTM: "FAIL: ..." when the attack went through; a write that is
 * stopped faults in the kernel (an oops that kills the writing task).
 */

#define pr_fmt(fmt) "vtlmon-attack: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/io.h>
#include <asm/set_memory.h>
#include <asm/special_insns.h>

/* The victim: a function in kernel text that nothing else calls. */
static noinline int vtlmon_attack_victim(int x)
{
	return x * 3 + 1;
}

static void vtlmon_attack_text_set_memory_rw(void)
{
	/* The linear-map alias: the text mapping itself stays read-only on large pages. */
	u8 *text = (u8 *)vtlmon_attack_victim;
	u8 *alias = (u8 *)lm_alias(vtlmon_attack_victim);
	unsigned long page = (unsigned long)alias & PAGE_MASK;
	u8 old = READ_ONCE(*text), new = old ^ 0xff;
	int (*volatile victim)(int) = vtlmon_attack_victim;
	int ret;

	pr_info("victim %pS at %px (GPA %#llx), alias %px\n", text, text,
		(unsigned long long)__pa_symbol(vtlmon_attack_victim), alias);
	ret = set_memory_rw(page, 1);
	pr_info("set_memory_rw(%#lx, 1) = %d\n", page, ret);
	pr_info("writing %#x over %#x\n", new, old);
	WRITE_ONCE(*alias, new);
	if (READ_ONCE(*text) == new) {
		pr_err("FAIL: kernel text at %pS was rewritten\n", text);
		WRITE_ONCE(*alias, old);
	} else {
		pr_info("text unchanged: the write had no effect\n");
	}
	set_memory_ro(page, 1);
	/* Called through a volatile pointer so that the compiler cannot fold it. */
	pr_info("victim(1) = %d\n", victim(1));
}

static void vtlmon_attack_cr0_wp_clear(void)
{
	unsigned long flags, before, after;

	/*
	 * Interrupts off: nothing of Linux's own runs between the clear and the
	 * check (its CR pinning lives in native_write_cr0(), never called here),
	 * so what puts WP back can only be vtlmon. CR writes never exit; the OUT
	 * to port 0x80 (io_delay's port, no device) always does, and the monitor
	 * checks the pinned CR bits at every exit.
	 */
	local_irq_save(flags);
	before = native_read_cr0();
	asm volatile("mov %0, %%cr0" : : "r"(before & ~X86_CR0_WP) : "memory");
	outb(0, 0x80);
	after = native_read_cr0();
	if (!(after & X86_CR0_WP))
		asm volatile("mov %0, %%cr0" : : "r"(before) : "memory");
	local_irq_restore(flags);
	pr_info("CR0 %#lx, cleared WP, made an exit: CR0 %#lx\n", before, after);
	if (after & X86_CR0_WP)
		pr_info("ok: CR0.WP was put back at the exit\n");
	else
		pr_err("FAIL: CR0.WP stayed clear across an exit\n");
}

static const struct {
	const char *name;
	void (*run)(void);
} vtlmon_attacks[] = {
    {"TEXT_SET_MEMORY_RW", vtlmon_attack_text_set_memory_rw},
    {"CR0_WP_CLEAR", vtlmon_attack_cr0_wp_clear},
};

static ssize_t vtlmon_attack_write(struct file *f, const char __user *ubuf, size_t len, loff_t *off)
{
	char buf[32];
	unsigned int i;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	strim(buf);
	for (i = 0; i < ARRAY_SIZE(vtlmon_attacks); i++) {
		if (!strcmp(buf, vtlmon_attacks[i].name)) {
			pr_info("performing %s\n", vtlmon_attacks[i].name);
			vtlmon_attacks[i].run();
			return len;
		}
	}
	return -EINVAL;
}

static const struct file_operations vtlmon_attack_fops = {
    .write = vtlmon_attack_write,
};

static int __init vtlmon_attack_init(void)
{
	struct dentry *dir = debugfs_create_dir("vtlmon", NULL);

	debugfs_create_file("attack", 0200, dir, NULL, &vtlmon_attack_fops);
	return 0;
}
late_initcall(vtlmon_attack_init);
