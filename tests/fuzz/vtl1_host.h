/* VTL1's entry handlers built for the host (vtl1_host.c): what the fuzz harness drives. */
#ifndef TESTS_FUZZ_VTL1_HOST_H
#define TESTS_FUZZ_VTL1_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "vtl1_abi.h"
#include "vtl_boot.h"

/*
 * Puts every piece of VTL1 state back to what a freshly loaded VTL1 has,
 * then does what vtl1_main() does before its entry loop (the two fixed
 * answer lists, vtl1_boot = bi). bi must stay valid for the whole run.
 */
void vtl1_host_reset(const struct vtl_boot_info *bi);
/* One pass of vtl1_entry_loop(): vtl1_handle() on the inbox, then vtl1_answer() if needed. */
uint64_t vtl1_host_handle(const struct vtl1_entry *inbox);
void vtl1_host_answer(uint64_t list_gpa);

/* VTL1 objects an op may name, as VTL1 GPAs (vtl1_gpa() of the host address). */
uint64_t vtl1_host_log_text(void);
uint64_t vtl1_host_kexec_digest(void);	 /* KEXEC_COMMIT's buffer */
uint64_t vtl1_host_kexec_measured(void); /* MEASURE's buffer */
uint64_t vtl1_host_kexec_check(void);	 /* VERIFY_SIG's struct vtl1_sig_check */

#endif
