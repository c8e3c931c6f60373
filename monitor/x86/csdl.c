/* Capstone loaded with dlopen() on first use: one decoded x86-64 instruction as plain data. */
#include "monitor/x86/csdl.h"

#include <capstone.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The library's soname, from the Makefile (pkg-config's libcapstone.so is a dev-only link). */
#ifndef CSDL_SONAME
#define CSDL_SONAME "libcapstone.so.4"
#endif

/* The Capstone calls used, resolved with dlsym(): nothing links against the library. */
struct csdl_api {
	cs_err (*open)(cs_arch arch, cs_mode mode, csh *handle);
	cs_err (*option)(csh handle, cs_opt_type type, size_t value);
	cs_insn *(*malloc)(csh handle);
	bool (*iter)(csh handle, const uint8_t **code, size_t *size, uint64_t *address,
		     cs_insn *insn);
	cs_err (*regs_access)(csh handle, const cs_insn *insn, cs_regs regs_read,
			      uint8_t *regs_read_count, cs_regs regs_write,
			      uint8_t *regs_write_count);
};

enum csdl_state { CSDL_UNLOADED, CSDL_READY, CSDL_FAILED };

static pthread_mutex_t csdl_lock = PTHREAD_MUTEX_INITIALIZER;
static enum csdl_state csdl_state;
static struct csdl_api csdl_api;
/* Never closed: the process (or the decoder) keeps it until it exits. */
static csh csdl_handle;
static cs_insn *csdl_cs_insn;

static int csdl_sym(void *lib, const char *name, void *fn, size_t size)
{
	void *p = dlsym(lib, name);

	if (!p)
		return -1;
	/* POSIX guarantees a data pointer from dlsym converts to the function pointer. */
	memcpy(fn, &p, size);
	return 0;
}

/* Called with csdl_lock held. */
static int csdl_load_locked(void)
{
	struct csdl_api a;
	void *lib;

	if (csdl_state != CSDL_UNLOADED)
		return csdl_state == CSDL_READY ? 0 : -1;
	csdl_state = CSDL_FAILED; /* one attempt: a missing library stays missing */
	lib = dlopen(CSDL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return -1;
	if (csdl_sym(lib, "cs_open", &a.open, sizeof(a.open)) ||
	    csdl_sym(lib, "cs_option", &a.option, sizeof(a.option)) ||
	    csdl_sym(lib, "cs_malloc", &a.malloc, sizeof(a.malloc)) ||
	    csdl_sym(lib, "cs_disasm_iter", &a.iter, sizeof(a.iter)) ||
	    csdl_sym(lib, "cs_regs_access", &a.regs_access, sizeof(a.regs_access)))
		return -1;
	if (a.open(CS_ARCH_X86, CS_MODE_64, &csdl_handle) != CS_ERR_OK)
		return -1;
	/* Operand details tell "mov cr4, rax" from every other mov, and give addresses. */
	if (a.option(csdl_handle, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK)
		return -1;
	csdl_cs_insn = a.malloc(csdl_handle);
	if (!csdl_cs_insn)
		return -1;
	csdl_api = a;
	csdl_state = CSDL_READY;
	return 0;
}

int csdl_load(void)
{
	int r;

	pthread_mutex_lock(&csdl_lock);
	r = csdl_load_locked();
	pthread_mutex_unlock(&csdl_lock);
	return r;
}

/* Copy out of Capstone's structures what the monitor reads. Called with csdl_lock held. */
static void csdl_copy(const cs_insn *in, struct csdl_insn *out)
{
	const cs_x86 *x = &in->detail->x86;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	out->id = in->id;
	out->len = (uint8_t)in->size;
	out->prefix0 = x->prefix[0];
	out->addr_size = x->addr_size;
	out->eflags = x->eflags;
	out->op_count = x->op_count < CSDL_OPS_MAX ? x->op_count : CSDL_OPS_MAX;
	for (uint8_t i = 0; i < out->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		struct csdl_op *o = &out->op[i];

		o->type = (uint8_t)op->type;
		o->size = op->size;
		o->access = op->access;
		if (op->type == X86_OP_REG) {
			o->reg = (uint16_t)op->reg;
		} else if (op->type == X86_OP_MEM) {
			o->segment = (uint16_t)op->mem.segment;
			o->base = (uint16_t)op->mem.base;
			o->index = (uint16_t)op->mem.index;
			o->scale = op->mem.scale;
			o->disp = op->mem.disp;
		}
	}
	if (csdl_api.regs_access(csdl_handle, in, rd, &nrd, wr, &nwr) != CS_ERR_OK ||
	    nwr > CSDL_REGS_MAX) {
		out->nwr = CSDL_NWR_UNKNOWN; /* insn_decode() then assumes it writes everything */
	} else {
		out->nwr = nwr;
		memcpy(out->wr, wr, nwr * sizeof(wr[0]));
	}
	snprintf(out->text, sizeof(out->text), "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "",
		 in->op_str);
}

int csdl_decode(const uint8_t *bytes, size_t n, uint64_t rip, struct csdl_insn *out)
{
	uint8_t buf[CSDL_MAX_BYTES];
	const uint8_t *code = buf;
	size_t size;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (n > sizeof(buf))
		n = sizeof(buf);
	/* A private copy: Capstone never sees memory past what the caller vouched for. */
	if (n)
		memcpy(buf, bytes, n);
	size = n;
	pthread_mutex_lock(&csdl_lock);
	if (csdl_load_locked())
		r = -2;
	else if (n && csdl_api.iter(csdl_handle, &code, &size, &rip, csdl_cs_insn))
		r = 0;
	if (!r)
		csdl_copy(csdl_cs_insn, out);
	pthread_mutex_unlock(&csdl_lock);
	return r;
}

static bool csdl_reg_ok(uint16_t reg)
{
	return reg < X86_REG_ENDING;
}

bool csdl_insn_valid(const struct csdl_insn *in, size_t n)
{
	size_t tlen = strnlen(in->text, sizeof(in->text));

	if (n > CSDL_MAX_BYTES)
		n = CSDL_MAX_BYTES;
	if (!in->len || in->len > n || in->id == X86_INS_INVALID || in->id >= X86_INS_ENDING)
		return false;
	/* 0: Capstone 4 leaves the detail empty for a few (endbr64, ud0). */
	if (in->addr_size != 0 && in->addr_size != 2 && in->addr_size != 4 && in->addr_size != 8)
		return false;
	if (in->op_count > CSDL_OPS_MAX || (in->nwr != CSDL_NWR_UNKNOWN && in->nwr > CSDL_REGS_MAX))
		return false;
	for (uint8_t i = 0; in->nwr != CSDL_NWR_UNKNOWN && i < in->nwr; i++)
		if (!csdl_reg_ok(in->wr[i]))
			return false;
	for (uint8_t i = 0; i < in->op_count; i++) {
		const struct csdl_op *o = &in->op[i];

		if (o->type != X86_OP_REG && o->type != X86_OP_IMM && o->type != X86_OP_MEM)
			return false;
		if ((o->access & ~(CS_AC_READ | CS_AC_WRITE)) || !csdl_reg_ok(o->reg) ||
		    !csdl_reg_ok(o->segment) || !csdl_reg_ok(o->base) || !csdl_reg_ok(o->index))
			return false;
		if (o->type == X86_OP_MEM && o->scale != 1 && o->scale != 2 && o->scale != 4 &&
		    o->scale != 8 && o->scale != 0)
			return false;
	}
	/* Text for a log line and a JSON event: printable ASCII, not empty, terminated. */
	if (!tlen || tlen == sizeof(in->text))
		return false;
	for (size_t i = 0; i < tlen; i++)
		if (in->text[i] < 0x20 || in->text[i] > 0x7e)
			return false;
	return true;
}
