/* --state-out: the enforcement state at the end of a run (permission map, pins), as JSON. */
#include "monitor/vm/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/events.h"
#include "monitor/base/file.h"
#include "monitor/base/log.h"
#include "monitor/base/version.h"
#include "vtl_layout.h"

int machine_state_open(struct machine *m)
{
	m->state_fd = -1;
	if (!m->cfg.state_path)
		return 0;
	m->state_fd = file_create_output(m->cfg.state_path);
	if (m->state_fd < 0) {
		log_err("cannot open state file %s: %s", m->cfg.state_path, strerror(errno));
		return -1;
	}
	return 0;
}

void machine_state_close(struct machine *m)
{
	if (m->state_fd >= 0)
		close(m->state_fd);
	m->state_fd = -1;
}

/* "rwx" with '-' for a missing right: one spelling for VTL1's intent and KVM's enforcement. */
static const char *state_perm(uint8_t p)
{
	static const char *const names[8] = {"---", "r--", "-w-", "rw-",
					     "--x", "r-x", "-wx", "rwx"};

	return names[p & 7];
}

/*
 * Ranges of pages whose intended and enforced permissions are both equal,
 * found page by page through the engine's own lookups (O(pages log n), once
 * at the end of a run): the file shows what perm_vtl0_allows() would see.
 */
static void state_print_perms(FILE *f, const struct perm_engine *pe)
{
	uint64_t base = pe->ram->gpa_base, pages = pe->ram->size / VTL_PAGE_SIZE, start = 0;
	uint8_t want = perm_intended(pe, base), have = perm_effective(pe, base);

	fputs("\"perms\":[", f);
	for (uint64_t p = 1; p <= pages; p++) {
		uint8_t next_want = 0, next_have = 0;

		if (p < pages) {
			next_want = perm_intended(pe, base + p * VTL_PAGE_SIZE);
			next_have = perm_effective(pe, base + p * VTL_PAGE_SIZE);
			if (next_want == want && next_have == have)
				continue;
		}
		fprintf(
		    f,
		    "%s{\"gpa\":\"%#llx\",\"pages\":%llu,\"intended\":\"%s\",\"enforced\":\"%s\"}",
		    start ? "," : "", (unsigned long long)(base + start * VTL_PAGE_SIZE),
		    (unsigned long long)(p - start), state_perm(want), state_perm(have));
		start = p;
		want = next_want;
		have = next_have;
	}
	fputs("]", f);
}

void machine_state_print(FILE *f, const struct machine *m, const char *end, int status)
{
	const struct pins *pins = &m->pins;
	bool first = true;

	fputs("{\"version\":", f);
	json_put_str(f, VTLMON_VERSION);
	fputs(",\"end\":", f);
	json_put_str(f, end);
	fprintf(f, ",\"status\":%d,\"vtl0_ram\":%llu,", status,
		(unsigned long long)m->vtl0_ram.size);
	if (m->perm.slots)
		state_print_perms(f, &m->perm);
	else
		fputs("\"perms\":null", f);
	fprintf(f, ",\"slots\":%zu,\"cr\":[", m->perm.nslots);
	for (int i = 0; i < 2; i++)
		fprintf(f, "%s{\"reg\":\"cr%d\",\"mask\":\"%#llx\",\"value\":\"%#llx\"}",
			i ? "," : "", i ? 4 : 0, (unsigned long long)pins->cr[i].mask,
			(unsigned long long)(pins->cr[i].value & pins->cr[i].mask));
	fputs("],\"msrs\":[", f);
	for (uint32_t i = 0; i < pins->nr_msrs && i < PINS_MAX_MSRS; i++)
		fprintf(f, "%s{\"index\":\"%#x\",\"value\":\"%#llx\"}", i ? "," : "",
			pins->msr[i].index, (unsigned long long)pins->msr[i].value);
	fputs("],\"cr_sites\":[", f);
	for (unsigned i = 0; i < VTL1_CR_SITES; i++) {
		if (!pins->cr_site[i])
			continue;
		fprintf(f, "%s\"%#llx\"", first ? "" : ",", (unsigned long long)pins->cr_site[i]);
		first = false;
	}
	fprintf(f, "],\"watchdog_us\":%u}\n", pins->watchdog_us);
}

void machine_state_write(struct machine *m, const char *end, int status)
{
	char *buf = NULL;
	size_t len = 0, off = 0;
	FILE *f;

	if (m->state_fd < 0)
		return;
	/* Built in memory first: the main thread's sandbox allows write(), not a new stream. */
	f = open_memstream(&buf, &len);
	if (!f) {
		log_warn("state file %s not written: out of memory", m->cfg.state_path);
		return;
	}
	machine_state_print(f, m, end, status);
	if (fclose(f)) {
		free(buf);
		log_warn("state file %s not written: out of memory", m->cfg.state_path);
		return;
	}
	while (off < len) {
		ssize_t n = write(m->state_fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("state file %s: write failed: %s", m->cfg.state_path,
				 n < 0 ? strerror(errno) : "no progress");
			break;
		}
		off += (size_t)n;
	}
	free(buf);
}
