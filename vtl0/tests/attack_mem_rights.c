/* Attack catalogue guest: the monitor must touch VTL0 memory with VTL0's rights only. */
#include "attack_probe.h"
#include "vtl1_abi.h"

/*
 * Three pages: MR_RW stays writable, MR_NA is made no-access and holds
 * secrets (strings, a ucall, a call block), MR_RO is made read-only and
 * holds a call block and a ucall. Nothing of MR_NA may reach the event log
 * through the monitor, and no call block outside writable memory may be
 * answered.
 */
static uint8_t mr_pages[3][VTL_PAGE_SIZE] __attribute__((aligned(VTL_PAGE_SIZE)));
#define MR_RW (mr_pages[0])
#define MR_NA (mr_pages[1])
#define MR_RO (mr_pages[2])

/* Offsets in MR_NA. The page starts with the tail of a string that begins in MR_RW. */
#define MR_NA_TAIL    0x000
#define MR_NA_FILE    0x100
#define MR_NA_MSG     0x140
#define MR_NA_CONSOLE 0x180
#define MR_NA_UCALL   0x200
#define MR_NA_BLOCK   0x400
/* Offsets in MR_RO and MR_RW. */
#define MR_UCALL    0x200
#define MR_STRING   0x300
#define MR_BLOCK    0x400
#define MR_HEAD_LEN 14 /* "ATTACK-PUBLIC-" right before MR_NA, without a NUL */

/* The host test looks for "SECRET" in every event: none of these may appear. */
static const char mr_secret_tail[] = "SECRET-TAIL";
static const char mr_secret_file[] = "ATTACK-SECRET-FILE";
static const char mr_secret_msg[] = "ATTACK-SECRET-MSG";
static const char mr_secret_console[] = "ATTACK-SECRET-CONSOLE\n";
static const char mr_public_head[MR_HEAD_LEN + 1] = "ATTACK-PUBLIC-";
static const char mr_public_ro[] = "ATTACK-PUBLIC-RO";
static const char mr_public[] = "attack-public";

/* The ucall args the host looks for (or must not find). */
#define MR_ARG_STRINGS_NA (AP_TAG | 0xF001)
#define MR_ARG_STRADDLE	  (AP_TAG | 0xF002)
#define MR_ARG_STRUCT_NA  (AP_TAG | 0xF003)
#define MR_ARG_RO	  (AP_TAG | 0xF007)

#define MR_SENTINEL 0x5eedU
#define MR_ECHO0    0x1111222233334444ULL
#define MR_ECHO1    0x5555666677778888ULL
#define MR_RESULT   0x9999aaaabbbbccccULL

/* `rep outsb` from the no-access page to the console port. */
AP_FORM(console_outsb_na, "rep outsb");

static void mr_copy(volatile uint8_t *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (uint8_t)src[i];
}

static void mr_ucall(volatile struct vtl_ucall *u, uint32_t cmd, uint64_t file, uint64_t msg,
		     uint64_t a0)
{
	u->cmd = cmd;
	u->line = 1;
	u->file_gpa = file;
	u->msg_gpa = msg;
	u->args[0] = a0;
	u->args[1] = 0;
	u->args[2] = u->args[3] = 0;
	u->reserved = 0;
}

static void mr_block(volatile struct vtl_call_block *b)
{
	b->nr = VTL_CALL_ECHO;
	b->flags = 0;
	b->status = MR_SENTINEL;
	b->reserved = 0;
	b->args[0] = MR_ECHO0;
	b->args[1] = MR_ECHO1;
	b->args[2] = b->args[3] = 0;
	b->results[0] = b->results[1] = MR_RESULT;
}

static bool mr_block_untouched(const volatile struct vtl_call_block *b)
{
	return b->status == MR_SENTINEL && b->results[0] == MR_RESULT && b->results[1] == MR_RESULT;
}

/* The result checkpoint of a form that is not a probe: `value` in arg0 bits 32..47. */
static void mr_report(const char *name, uint64_t obs, uint64_t value)
{
	vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, name,
		  AP_RESULT | 0xff00 | (value & 0xffff) << 32, obs);
}

/* A ucall whose block sits in `u`; the monitor must not read what VTL0 cannot. */
static void mr_send_ucall(const void *u)
{
	vtl_device_write64(VTL0_REG_UCALL, (uintptr_t)u);
}

static void mr_ucall_strings_na(const char *name)
{
	volatile struct vtl_ucall *u = (volatile struct vtl_ucall *)(MR_RW + MR_UCALL);

	ap_begin(name, NULL, NULL);
	mr_ucall(u, VTL_UCALL_PRINT, (uintptr_t)(MR_NA + MR_NA_FILE),
		 (uintptr_t)(MR_NA + MR_NA_MSG), MR_ARG_STRINGS_NA);
	mr_send_ucall((const void *)u);
	mr_report(name, 0, 0);
}

static void mr_ucall_msg_straddle(const char *name)
{
	volatile struct vtl_ucall *u = (volatile struct vtl_ucall *)(MR_RW + MR_UCALL);

	ap_begin(name, NULL, NULL);
	mr_ucall(u, VTL_UCALL_PRINT, (uintptr_t)(MR_RW + MR_STRING),
		 (uintptr_t)(MR_NA - MR_HEAD_LEN), MR_ARG_STRADDLE);
	mr_send_ucall((const void *)u);
	mr_report(name, 0, 0);
}

static void mr_ucall_struct_na(const char *name)
{
	ap_begin(name, NULL, NULL);
	mr_send_ucall(MR_NA + MR_NA_UCALL);
	mr_report(name, 0, 0);
}

/* Control: a ucall and its strings in a read-only page are reported as usual. */
static void mr_ucall_ro(const char *name)
{
	ap_begin(name, NULL, NULL);
	mr_send_ucall(MR_RO + MR_UCALL);
	mr_report(name, 0, 0);
}

/* A call block the monitor may not answer into: BAD_ADDRESS, and the block untouched. */
static void mr_call_block(const char *name, volatile uint8_t *page, bool na)
{
	volatile struct vtl_call_block *b = (volatile struct vtl_call_block *)(page + MR_BLOCK);
	uint32_t status;
	uint64_t obs = 0;

	if (na)
		b = (volatile struct vtl_call_block *)(page + MR_NA_BLOCK);
	ap_begin(name, NULL, NULL);
	vtl_device_write64(VTL0_REG_CALL, (uintptr_t)b);
	status = vtl_device_read32(VTL0_REG_CALL_STATUS);
	if (na)
		GUEST_ASSERT_EQ(vtl_protect((uintptr_t)MR_NA, 1, VTL_PERM_R | VTL_PERM_W), VTL_OK);
	if (mr_block_untouched(b))
		obs |= AP_OBS_KEPT;
	if (na)
		GUEST_ASSERT_EQ(vtl_protect((uintptr_t)MR_NA, 1, 0), VTL_OK);
	mr_report(name, obs, status);
}

/* Control: the same block in writable memory is answered. */
static void mr_call_block_rw(const char *name)
{
	volatile struct vtl_call_block *b = (volatile struct vtl_call_block *)(MR_RW + MR_BLOCK);
	uint64_t obs = 0;

	mr_block(b);
	ap_begin(name, NULL, NULL);
	vtl_device_write64(VTL0_REG_CALL, (uintptr_t)b);
	if (b->status == VTL_OK && b->results[0] == MR_ECHO0 && b->results[1] == MR_ECHO1)
		obs |= AP_OBS_KEPT;
	mr_report(name, obs, vtl_device_read32(VTL0_REG_CALL_STATUS));
}

/* The console port, fed from the no-access page: the bytes must not reach the log. */
static void mr_console_outsb_na(const char *name)
{
	struct ap_regs *in = &attack_probe.in;
	uint64_t target = (uintptr_t)(MR_NA + MR_NA_CONSOLE);
	uint64_t obs;

	ap_reset_in(0);
	in->gpr[AP_RSI] = target;
	in->gpr[AP_RCX] = sizeof(mr_secret_console) - 1;
	in->gpr[AP_RDX] = VTL_CONSOLE_PORT;
	ap_begin(name, ap_site_console_outsb_na, ap_end_console_outsb_na);
	ap_run(ap_fn_console_outsb_na, ap_end_console_outsb_na);
	obs = ap_observe(ap_end_console_outsb_na, (uintptr_t)ap_site_console_outsb_na, target);
	ap_report(name, ap_site_console_outsb_na, obs, target);
}

struct mr_form {
	const char *name;
	void (*run)(const char *name);
};

static void mr_call_block_na(const char *name)
{
	mr_call_block(name, MR_NA, true);
}

static void mr_call_block_ro(const char *name)
{
	mr_call_block(name, MR_RO, false);
}

static const struct mr_form mr_forms[] = {
    {"ucall_strings_na", mr_ucall_strings_na}, {"ucall_msg_straddle", mr_ucall_msg_straddle},
    {"ucall_struct_na", mr_ucall_struct_na},   {"ucall_ro", mr_ucall_ro},
    {"call_block_na", mr_call_block_na},       {"call_block_ro", mr_call_block_ro},
    {"call_block_rw", mr_call_block_rw},       {"console_outsb_na", mr_console_outsb_na},
};

#define MR_NR_FORMS (sizeof(mr_forms) / sizeof(mr_forms[0]))

/* Everything the forms use is written before the pages lose their rights. */
static void mr_setup(void)
{
	volatile struct vtl_ucall *u;

	mr_copy(MR_NA + MR_NA_TAIL, mr_secret_tail, sizeof(mr_secret_tail));
	mr_copy(MR_NA + MR_NA_FILE, mr_secret_file, sizeof(mr_secret_file));
	mr_copy(MR_NA + MR_NA_MSG, mr_secret_msg, sizeof(mr_secret_msg));
	mr_copy(MR_NA + MR_NA_CONSOLE, mr_secret_console, sizeof(mr_secret_console));
	/* Readable strings: should the monitor read this ucall, the event would show it. */
	mr_copy(MR_RW + MR_STRING, mr_public, sizeof(mr_public));
	mr_copy(MR_NA - MR_HEAD_LEN, mr_public_head, MR_HEAD_LEN); /* no NUL: runs into MR_NA */
	u = (volatile struct vtl_ucall *)(MR_NA + MR_NA_UCALL);
	mr_ucall(u, VTL_UCALL_CHECKPOINT, (uintptr_t)(MR_RW + MR_STRING),
		 (uintptr_t)(MR_RW + MR_STRING), MR_ARG_STRUCT_NA);
	mr_block((volatile struct vtl_call_block *)(MR_NA + MR_NA_BLOCK));

	mr_copy(MR_RO + MR_STRING, mr_public_ro, sizeof(mr_public_ro));
	u = (volatile struct vtl_ucall *)(MR_RO + MR_UCALL);
	mr_ucall(u, VTL_UCALL_PRINT, (uintptr_t)(MR_RO + MR_STRING), (uintptr_t)(MR_RO + MR_STRING),
		 MR_ARG_RO);
	mr_block((volatile struct vtl_call_block *)(MR_RO + MR_BLOCK));

	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)MR_NA, 1, 0), VTL_OK);
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)MR_RO, 1, VTL_PERM_R), VTL_OK);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	const char *sel = ap_selected(bi);
	unsigned int ran = 0;

	ap_install();
	mr_setup();
	for (unsigned int i = 0; i < MR_NR_FORMS; i++) {
		if (!ap_wanted(sel, mr_forms[i].name))
			continue;
		mr_forms[i].run(mr_forms[i].name);
		ran++;
	}
	if (!ran)
		GUEST_FAIL("no such form");
	GUEST_DONE();
}
