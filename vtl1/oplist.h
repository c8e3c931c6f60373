/* Op lists: how VTL1 builds its answers, sends them to the monitor and explains a refusal. */
#ifndef VTL1_OPLIST_H
#define VTL1_OPLIST_H

#include <stdint.h>

#include "vtl1_abi.h"
#include "vtl_device.h"

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

/* Writing an op list's GPA here exits to the monitor, which applies the list. */
#define VTL1_OPS_GPA_REG (VTL1_DEVICE_GPA + VTL1_REG_OPS)

/* arg0 of KILL and RESET for a violation of policy class c (enum vtl1_reason in the ABI). */
#define VTL1_REASON_CLASS(c) ((c) + 1U)

/*
 * An entry handler returns the GPA of its terminal answer, or
 * VTL1_ANSWERED when it already sent one that went through: VTL0 has
 * resumed and the inbox holds the next entry.
 */
#define VTL1_ANSWERED 0ULL

/* Builds the fixed answers vtl1_ret() hands out for VTL_OK and VTL_E_UNKNOWN_CALL; once, at boot.
 */
void vtl1_list_init(void);

/* There is one list page, so a list is built, sent and consumed in turn. */
struct vtl1_op_list *vtl1_list_begin(void);
void vtl1_list_add(struct vtl1_op_list *l, uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2);
/* One LOG per list: the text lives in a single buffer. */
void vtl1_list_log(struct vtl1_op_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Writes the list to OPS. VTL_OK means every op was applied; after a
 * terminal list that also means the inbox already holds the next entry.
 * Otherwise VTL1 resumes at once with the status of the op that failed.
 */
uint32_t vtl1_list_send(struct vtl1_op_list *l);
/* Index of the op that stopped a failed list. */
uint32_t vtl1_list_failed_op(const struct vtl1_op_list *l);

/* Terminal answers, as the GPA of their list: RETURN(status), and KILL(reason). */
uint64_t vtl1_ret(uint32_t status);
uint64_t vtl1_kill(uint64_t reason);
/* LOG the reason (formatted) and RETURN status: how VTL1 explains a refusal. */
uint64_t vtl1_refuse(uint32_t status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* KILL reason used if the monitor refuses the answer to the current entry. */
extern uint64_t vtl1_fail_reason;

#endif
