/* Exit decoding: a pure function from a kvm_run (live or copied) to a checked, flat description. */
#ifndef MONITOR_EXIT_H
#define MONITOR_EXIT_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/kvm/kvm_compat.h"

enum vexit_kind {
	VEXIT_PIO_OUT,
	VEXIT_PIO_IN,
	VEXIT_MMIO_WRITE,
	VEXIT_MMIO_READ,
	VEXIT_HLT,
	VEXIT_SHUTDOWN,	      /* triple fault */
	VEXIT_INTERNAL_ERROR, /* includes fetch from an unmapped GPA (suberror 1) */
	VEXIT_FAIL_ENTRY,
	VEXIT_INTR, /* KVM_RUN returned -EINTR: a kick */
	VEXIT_DEBUG,
	VEXIT_MSR_READ,
	VEXIT_MSR_WRITE,
	VEXIT_SYSTEM_EVENT,
	VEXIT_MALFORMED, /* fields out of range: never trusted further */
	VEXIT_UNKNOWN,
};

struct vexit {
	enum vexit_kind kind;
	uint32_t reason;   /* raw exit_reason */
	uint64_t addr;	   /* MMIO GPA, PIO port or MSR index */
	uint32_t len;	   /* MMIO access size or PIO element size */
	uint32_t count;	   /* PIO element count */
	uint64_t value;	   /* MMIO/MSR write data, little-endian, zero-extended */
	uint32_t data_off; /* PIO data: offset into the run area, bounds-checked */
	uint32_t data_len;
	uint32_t suberror;
};

/* `run` may be KVM's mapping or a copy of it of `run_size` bytes. */
void exit_decode(const struct kvm_run *run, size_t run_size, int run_errno, struct vexit *out);
const char *exit_kind_name(enum vexit_kind kind);

#endif
