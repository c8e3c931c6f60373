/*
 * VTL1's freestanding sources built into a host program for fuzzing.
 *
 * vtl1/oplist.c, main.c, kexec.c and policy_apply.c are included here, whole
 * and unchanged, so that this file can reach their static state: a fuzz run
 * must start from a freshly loaded VTL1 every time, and vtl1_main() (which
 * would do that) never returns. The other vtl1/ files, guestlib/fmt.c and
 * policy are compiled as they are, in their own translation units. What
 * they do to hardware goes through the shims in vtl1_host/ (MMIO, ports,
 * hlt, reads of identity-mapped VTL0 RAM), which call into the harness.
 */
#include "vtl1_host.h"

#include <string.h>

#include "vtl1/oplist.c"

#include "vtl1/main.c"

#include "vtl1/kexec.c"

#include "vtl1/policy_apply.c"

/*
 * Last, and here rather than on its own: its "io.h" and "gl_string.h" are
 * found next to it in guestlib/ first, but the shims above already defined
 * their include guards, so the real ones add nothing.
 */
#include "guestlib/console.c"

void vtl1_host_reset(const struct vtl_boot_info *bi)
{
	/* pages.c: back to "RWX, unlocked" for the pages the last run used. */
	vtl1_pages_reset();
	vtl1_ram_pages = 0;
	vtl1_calls_reset();
	vtl1_fail_reason = 0;
	memset(&vtl1_ops, 0, sizeof(vtl1_ops));
	memset(vtl1_log_text, 0, sizeof(vtl1_log_text));
	/* kexec.c */
	vtl1_kexec_first = vtl1_kexec_pages = 0;
	memset(&vtl1_kx, 0, sizeof(vtl1_kx));
	memset(&vtl1_kb, 0, sizeof(vtl1_kb));
	memset(vtl1_kx_digest, 0, sizeof(vtl1_kx_digest));
	memset(vtl1_kx_measured, 0, sizeof(vtl1_kx_measured));
	memset(&vtl1_kx_check, 0, sizeof(vtl1_kx_check));
	/* policy_apply.c */
	memset(&vtl1_policy, 0, sizeof(vtl1_policy));
	vtl1_features = 0;
	vtl1_booted = false;
	memset(&vtl1_bl, 0, sizeof(vtl1_bl));
	/* As vtl1_main() does before it enters the loop. */
	vtl1_boot = bi;
	vtl1_list_init();
}

uint64_t vtl1_host_handle(const struct vtl1_entry *inbox)
{
	return vtl1_handle(inbox);
}

void vtl1_host_answer(uint64_t list_gpa)
{
	vtl1_answer(list_gpa);
}

uint64_t vtl1_host_log_text(void)
{
	return vtl1_gpa(vtl1_log_text);
}

uint64_t vtl1_host_kexec_digest(void)
{
	return vtl1_gpa(vtl1_kx_digest);
}

uint64_t vtl1_host_kexec_measured(void)
{
	return vtl1_gpa(vtl1_kx_measured);
}

uint64_t vtl1_host_kexec_check(void)
{
	return vtl1_gpa(&vtl1_kx_check);
}
