/* Unit tests of the --state-out JSON: valid, and it says what the pins are. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/vm/state.h"
#include "tests/lib/evlog.h"

static struct machine m; /* large: static */

Test(state, pins_and_end_as_valid_json)
{
	char *buf = NULL;
	size_t len = 0;
	struct evlog l;
	FILE *f = open_memstream(&buf, &len);

	memset(&m, 0, sizeof(m));
	m.pins.cr[0] = (struct cr_pin){.mask = 1ULL << 16, .value = 0x80050033};
	m.pins.msr[0] = (struct msr_pin){.index = 0xC0000080, .value = 0xd01};
	m.pins.nr_msrs = 1;
	m.pins.cr_site[2] = 0xffffffff81000000ULL;
	m.pins.watchdog_us = 10000;
	cr_assert_not_null(f);
	machine_state_print(f, &m, "killed \"by\" VTL1", 66);
	fclose(f);
	cr_assert_eq(buf[len - 1], '\n');
	cr_assert_eq(evlog_parse_json(&l, "s", buf, strlen(buf)), 0, "%s: %s", l.err ? l.err : "",
		     buf);
	cr_assert(evlog_is(&l.ev[0], "s.end", "killed \"by\" VTL1"));
	cr_assert_not_null(
	    strstr(buf, "{\"reg\":\"cr0\",\"mask\":\"0x10000\",\"value\":\"0x10000\"}"), "%s", buf);
	cr_assert_not_null(strstr(buf, "{\"index\":\"0xc0000080\",\"value\":\"0xd01\"}"), "%s",
			   buf);
	cr_assert_not_null(strstr(buf, "\"cr_sites\":[\"0xffffffff81000000\"]"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"perms\":null"), "no engine, no map: %s", buf);
	evlog_free(&l);
	free(buf);
}
