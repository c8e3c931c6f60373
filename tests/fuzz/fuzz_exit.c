/* libFuzzer target: exit_decode over a hostile kvm_run area, as a guest can shape one. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/kvm/exit.h"

/*
 * Input layout: u16 run_size selector, u8 errno selector, then the bytes of
 * the run area from offset 0 (the rest is zero). The area is allocated with
 * exactly run_size bytes (but never less than struct kvm_run, which KVM's
 * mapping always holds), so ASan sees any read past it.
 *
 * KVM maps the run area as sizeof(struct kvm_run) rounded up plus the PIO
 * data page and the coalesced-MMIO ring page: three pages on x86. The
 * selector covers everything from a bare struct to a few pages more.
 */
#define FUZZ_RUN_MAX (4 * 4096)

static size_t pick_run_size(uint16_t sel)
{
	if (sel & 0x8000)
		return 3 * 4096; /* what KVM_GET_VCPU_MMAP_SIZE returns on x86 */
	return sel % (FUZZ_RUN_MAX + 1);
}

static int pick_errno(uint8_t sel)
{
	static const int errs[] = {0, EINTR, EAGAIN, EFAULT};

	return errs[sel % (sizeof(errs) / sizeof(errs[0]))];
}

static void check_vexit(const struct vexit *v, const struct kvm_run *run, size_t run_size, int err)
{
	FUZZ_CHECK((unsigned)v->kind <= VEXIT_UNKNOWN, "kind %u", v->kind);
	FUZZ_CHECK(strcmp(exit_kind_name(v->kind), "?") != 0, "kind %u has no name", v->kind);
	FUZZ_CHECK(v->reason == run->exit_reason, "reason %u vs %u", v->reason, run->exit_reason);
	if (err == EINTR || err == EAGAIN)
		FUZZ_CHECK(v->kind == VEXIT_INTR, "errno %d decoded as %u", err, v->kind);

	switch (v->kind) {
	case VEXIT_PIO_IN:
	case VEXIT_PIO_OUT:
		FUZZ_CHECK(run->exit_reason == KVM_EXIT_IO, "PIO kind for reason %u",
			   run->exit_reason);
		FUZZ_CHECK(v->len == 1 || v->len == 2 || v->len == 4, "PIO size %u", v->len);
		FUZZ_CHECK(v->count >= 1, "PIO count 0");
		FUZZ_CHECK((uint64_t)v->len * v->count == v->data_len, "PIO %u x %u but %u bytes",
			   v->len, v->count, v->data_len);
		/* The data lives after the struct, inside the mapping: never in or past it. */
		FUZZ_CHECK(v->data_off >= sizeof(struct kvm_run), "PIO data at %u, inside kvm_run",
			   v->data_off);
		FUZZ_CHECK((uint64_t)v->data_off + v->data_len <= run_size,
			   "PIO data [%u, +%u) past run_size %zu", v->data_off, v->data_len,
			   run_size);
		FUZZ_CHECK(v->data_off == run->io.data_offset, "PIO data offset changed");
		FUZZ_CHECK(v->addr == run->io.port, "PIO port");
		FUZZ_CHECK((v->kind == VEXIT_PIO_OUT) == (run->io.direction == KVM_EXIT_IO_OUT) &&
			       (run->io.direction == KVM_EXIT_IO_OUT ||
				run->io.direction == KVM_EXIT_IO_IN),
			   "PIO direction %u", run->io.direction);
		break;
	case VEXIT_MMIO_READ:
	case VEXIT_MMIO_WRITE:
		FUZZ_CHECK(run->exit_reason == KVM_EXIT_MMIO, "MMIO kind for reason %u",
			   run->exit_reason);
		FUZZ_CHECK(v->len >= 1 && v->len <= sizeof(run->mmio.data), "MMIO len %u", v->len);
		FUZZ_CHECK(v->addr == run->mmio.phys_addr, "MMIO address");
		FUZZ_CHECK((v->kind == VEXIT_MMIO_WRITE) == (run->mmio.is_write == 1),
			   "MMIO is_write %u", run->mmio.is_write);
		if (v->kind == VEXIT_MMIO_WRITE) {
			uint64_t want = 0;

			memcpy(&want, run->mmio.data, v->len);
			FUZZ_CHECK(v->value == want, "MMIO write value not the zero-extended data");
		} else {
			FUZZ_CHECK(v->value == 0, "MMIO read carries a value");
		}
		break;
	default:
		/* Only PIO reports data in the run area. */
		FUZZ_CHECK(v->data_off == 0 && v->data_len == 0, "kind %u with PIO data", v->kind);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	size_t run_size = pick_run_size(fuzz_u16(&in));
	int err = pick_errno(fuzz_u8(&in));
	size_t alloc = run_size < sizeof(struct kvm_run) ? sizeof(struct kvm_run) : run_size;
	struct kvm_run *run;
	struct vexit v, v2;

	/* calloc: kvm_run is 8-byte aligned in KVM's mapping and must be here too. */
	run = calloc(1, alloc);
	FUZZ_CHECK(run != NULL, "calloc %zu", alloc);
	fuzz_take(&in, run, in.n < alloc ? in.n : alloc);

	memset(&v, 0x55, sizeof(v));
	exit_decode(run, run_size, err, &v);
	check_vexit(&v, run, run_size, err);

	/* Pure: the same bytes decode the same way. */
	exit_decode(run, run_size, err, &v2);
	FUZZ_CHECK(!memcmp(&v, &v2, sizeof(v)), "decode is not deterministic");
	free(run);
	return 0;
}
