/* Unit tests of `vtlmon caps` output: the JSON form is valid and says what the table says. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/version.h"
#include "monitor/cmd/caps.h"
#include "monitor/protect/features.h"
#include "tests/lib/evlog.h"

static char *caps_capture(bool json, const struct caps_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	if (json)
		caps_print_json(f, r);
	else
		caps_print_text(f, r);
	fclose(f);
	return buf;
}

Test(caps, every_protection_row_fits_the_report)
{
	size_t n;

	features_rows(&n);
	cr_assert_gt(n, 0);
	cr_assert_leq(n, CAPS_MAX_ROWS);
}

Test(caps, json_is_one_valid_object_with_every_row)
{
	struct caps_report r;
	const struct protection_row *rows;
	struct evlog l;
	char *json;
	size_t n, len;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < CAPS_NR_KVM; i++)
		r.kvm_cap[i] = (long)i - 1; /* -1 for an error reads as a number too */
	r.host_can[0] = true;
	r.features = 0x1234;
	json = caps_capture(true, &r);
	len = strlen(json);
	cr_assert_gt(len, 2);
	cr_assert_eq(json[len - 1], '\n', "one line");
	cr_assert_null(memchr(json, '\n', len - 1), "one line");
	/* The event reader validates JSON: wrap the object as one event's field. */
	cr_assert_eq(evlog_parse_json(&l, "caps", json, strlen(json)), 0, "%s", l.err ? l.err : "");
	cr_assert_eq(l.n, 1);
	cr_assert(evlog_is(&l.ev[0], "caps.features", "0x1234"));
	cr_assert(evlog_is(&l.ev[0], "caps.version", VTLMON_VERSION));
	cr_assert_not_null(evlog_get(&l.ev[0], "caps.kvm_caps.KVM_CAP_SYNC_REGS"));
	rows = features_rows(&n);
	for (size_t i = 0; i < n; i++)
		cr_assert_not_null(strstr(json, rows[i].name), "row %s missing", rows[i].name);
	cr_assert_not_null(strstr(json, "\"host\":true"));
	evlog_free(&l);
	free(json);
}

Test(caps, text_and_json_agree_on_status)
{
	struct caps_report r;
	char *text, *json;

	memset(&r, 0, sizeof(r));
	text = caps_capture(false, &r);
	json = caps_capture(true, &r);
	/* Nothing is enforced on a host that can do nothing. */
	cr_assert_null(strstr(text, "enforced"));
	cr_assert_null(strstr(json, "\"enforced\""));
	cr_assert_not_null(strstr(json, "\"unavailable\""));
	free(text);
	free(json);
}
