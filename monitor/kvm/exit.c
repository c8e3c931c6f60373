/* Exit decoding: a pure function from a kvm_run (live or copied) to a checked, flat description. */
#include "monitor/kvm/exit.h"

#include <errno.h>
#include <string.h>

static void exit_decode_io(const struct kvm_run *run, size_t run_size, struct vexit *out)
{
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;

	out->kind = run->io.direction == KVM_EXIT_IO_OUT ? VEXIT_PIO_OUT : VEXIT_PIO_IN;
	out->addr = run->io.port;
	out->len = run->io.size;
	out->count = run->io.count;
	/* The data lives inside the run mapping; a size, count or offset that does not fit is
	 * malformed. */
	if ((run->io.direction != KVM_EXIT_IO_OUT && run->io.direction != KVM_EXIT_IO_IN) ||
	    (run->io.size != 1 && run->io.size != 2 && run->io.size != 4) || !run->io.count ||
	    run->io.data_offset < sizeof(struct kvm_run) || run->io.data_offset > run_size ||
	    bytes > run_size - run->io.data_offset) {
		out->kind = VEXIT_MALFORMED;
		return;
	}
	out->data_off = (uint32_t)run->io.data_offset;
	out->data_len = (uint32_t)bytes;
}

static void exit_decode_mmio(const struct kvm_run *run, struct vexit *out)
{
	out->addr = run->mmio.phys_addr;
	out->len = run->mmio.len;
	if (!run->mmio.len || run->mmio.len > sizeof(run->mmio.data) || run->mmio.is_write > 1) {
		out->kind = VEXIT_MALFORMED;
		return;
	}
	if (run->mmio.is_write) {
		out->kind = VEXIT_MMIO_WRITE;
		memcpy(&out->value, run->mmio.data, run->mmio.len);
	} else {
		out->kind = VEXIT_MMIO_READ;
	}
}

void exit_decode(const struct kvm_run *run, size_t run_size, int run_errno, struct vexit *out)
{
	memset(out, 0, sizeof(*out));
	out->reason = run->exit_reason;
	if (run_errno == EINTR || run_errno == EAGAIN) {
		out->kind = VEXIT_INTR;
		return;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO: exit_decode_io(run, run_size, out); break;
	case KVM_EXIT_MMIO: exit_decode_mmio(run, out); break;
	case KVM_EXIT_HLT: out->kind = VEXIT_HLT; break;
	case KVM_EXIT_SHUTDOWN: out->kind = VEXIT_SHUTDOWN; break;
	case KVM_EXIT_INTERNAL_ERROR:
		out->kind = VEXIT_INTERNAL_ERROR;
		out->suberror = run->internal.suberror;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		out->kind = VEXIT_FAIL_ENTRY;
		out->value = run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTR: out->kind = VEXIT_INTR; break;
	case KVM_EXIT_DEBUG:
		out->kind = VEXIT_DEBUG;
		out->addr = run->debug.arch.pc;
		out->value = run->debug.arch.dr6;
		break;
	case KVM_EXIT_X86_RDMSR:
		out->kind = VEXIT_MSR_READ;
		out->addr = run->msr.index;
		out->suberror = run->msr.reason;
		break;
	case KVM_EXIT_X86_WRMSR:
		out->kind = VEXIT_MSR_WRITE;
		out->addr = run->msr.index;
		out->value = run->msr.data;
		out->suberror = run->msr.reason;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		out->kind = VEXIT_SYSTEM_EVENT;
		out->value = run->system_event.type;
		break;
	default: out->kind = VEXIT_UNKNOWN; break;
	}
}

const char *exit_kind_name(enum vexit_kind kind)
{
	static const char *const names[] = {
	    [VEXIT_PIO_OUT] = "pio_out",
	    [VEXIT_PIO_IN] = "pio_in",
	    [VEXIT_MMIO_WRITE] = "mmio_write",
	    [VEXIT_MMIO_READ] = "mmio_read",
	    [VEXIT_HLT] = "hlt",
	    [VEXIT_SHUTDOWN] = "shutdown",
	    [VEXIT_INTERNAL_ERROR] = "internal_error",
	    [VEXIT_FAIL_ENTRY] = "fail_entry",
	    [VEXIT_INTR] = "intr",
	    [VEXIT_DEBUG] = "debug",
	    [VEXIT_MSR_READ] = "msr_read",
	    [VEXIT_MSR_WRITE] = "msr_write",
	    [VEXIT_SYSTEM_EVENT] = "system_event",
	    [VEXIT_MALFORMED] = "malformed",
	    [VEXIT_UNKNOWN] = "unknown",
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
		return "?";
	return names[kind];
}
