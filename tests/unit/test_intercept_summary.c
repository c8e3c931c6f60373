/* Unit tests of the violation summary printed at exit: counts by kind and decision, cut safely. */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/vm/intercept.h"

static struct machine m; /* large: static, zeroed */

Test(intercept_summary, none_is_empty)
{
	char buf[64] = "x";

	memset(&m, 0, sizeof(m));
	cr_assert_not(intercept_summary(&m, buf, sizeof(buf)));
	cr_assert_str_eq(buf, "");
}

Test(intercept_summary, by_kind_then_decision)
{
	char buf[256];

	memset(&m, 0, sizeof(m));
	m.violations[VTL1_INT_MEM_WRITE][DECISION_DENY] = 3;
	m.violations[VTL1_INT_MEM_WRITE][DECISION_KILL] = 1;
	m.violations[VTL1_INT_CR_WRITE][DECISION_RESTORE] = 2;
	cr_assert(intercept_summary(&m, buf, sizeof(buf)));
	cr_assert_str_eq(buf, "mem_write: deny 3, kill 1; cr: restore 2");
}

Test(intercept_summary, a_summary_that_does_not_fit_is_cut_not_overrun)
{
	char buf[300];

	memset(&m, 0, sizeof(m));
	for (int k = 0; k < VIOLATION_KINDS; k++)
		for (int d = 0; d < DECISION_COUNT; d++)
			m.violations[k][d] = UINT64_MAX;
	for (size_t cap = 1; cap < sizeof(buf); cap++) {
		memset(buf, 'Z', sizeof(buf));
		intercept_summary(&m, buf, cap);
		cr_assert_lt(strlen(buf), cap, "cap %zu", cap);
		cr_assert_eq(buf[cap], 'Z', "cap %zu: written past the end", cap);
	}
	cr_assert_not(intercept_summary(&m, buf, 0));
}
