/* The decoder process: real decodes through it, and a decoder that dies, hangs or lies. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/file.h"
#include "monitor/x86/decoder.h"
#include "monitor/x86/disasm.h"
#include "monitor/x86/insn.h"

static bool maps_name(pid_t pid, const char *what)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* The "Seccomp:" mode in /proc/PID/status: 2 is a filter. */
static int seccomp_mode(pid_t pid)
{
	char path[64], line[256];
	int mode = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

static const uint8_t mov_cr4[] = {0x0f, 0x22, 0xe0};
static const uint8_t wrmsrns[] = {0x0f, 0x01, 0xc6};
static const uint8_t nop[] = {0x90};

Test(decoder, decodes_in_its_own_sandboxed_process)
{
	char text[DISASM_TEXT_MAX];
	struct insn_info in;
	struct kvm_regs regs = {.rax = 0x2000};
	struct insn_cpu cpu = {.regs = &regs};
	size_t len = 0;
	pid_t pid;

	cr_assert_eq(decoder_start(), 0);
	pid = decoder_pid();
	cr_assert_gt(pid, 0);
	cr_assert_geq(decoder_fd(), 0);
	/* Nothing decoded yet: Capstone is not loaded anywhere. */
	cr_assert(!maps_name(pid, "libcapstone"));
	cr_assert_eq(disasm_one(mov_cr4, sizeof(mov_cr4), 0x1000, text, sizeof(text), &len), 0);
	cr_assert_str_eq(text, "mov cr4, rax");
	cr_assert_eq(len, 3);
	cr_assert_eq(disasm_classify(mov_cr4, sizeof(mov_cr4), 0, NULL), DISASM_KIND_CR4_WRITE);
	/* The operand details cross too: mov [rax], rbx is a pure 8-byte store at rax. */
	cr_assert_eq(insn_decode((const uint8_t[]){0x48, 0x89, 0x18}, 3, 0x1000, &cpu, &in), 0);
	cr_assert_eq(in.len, 3);
	cr_assert(in.pure_store);
	cr_assert_eq(in.nmem, 1);
	cr_assert_eq(in.mem[0].ea, 0x2000);
	cr_assert_eq(in.mem[0].size, 8);
	cr_assert_eq(disasm_one((const uint8_t[]){0xff, 0xff}, 2, 0, text, sizeof(text), NULL), -1);
	cr_assert_str_eq(text, "(bad)");
	/* Capstone is in the decoder, which runs under its filter; never in this process. */
	cr_assert(maps_name(pid, "libcapstone"));
	cr_assert(!maps_name(getpid(), "libcapstone"));
	cr_assert_eq(seccomp_mode(pid), 2);
	decoder_stop();
	/* Reaped: no zombie left, and the pid is no child of ours any more. */
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	/* After teardown: the hand-matched fallback, never Capstone in this process. */
	cr_assert_eq(disasm_one(nop, 1, 0, text, sizeof(text), NULL), -1);
	cr_assert_str_eq(text, "(undecoded)");
	cr_assert(!maps_name(getpid(), "libcapstone"));
}

/* How a fake decoder misbehaves. */
enum fake {
	FAKE_DIES,	 /* exits at the first request */
	FAKE_SHORT,	 /* a reply of 8 bytes */
	FAKE_BAD_LEN,	 /* a well-formed reply whose length is longer than the request */
	FAKE_BAD_TEXT,	 /* text with no NUL and a control character */
	FAKE_BAD_SEQ,	 /* the reply to another request */
	FAKE_BAD_STATUS, /* a status that means nothing */
	FAKE_HANGS,	 /* never answers */
};

static void __attribute__((noreturn)) fake_serve(int fd, enum fake how)
{
	struct decoder_req q;
	struct decoder_reply a;

	if (read(fd, &q, sizeof(q)) != (ssize_t)sizeof(q) || how == FAKE_DIES)
		_exit(0);
	if (how == FAKE_HANGS)
		for (;;)
			pause();
	memset(&a, 0, sizeof(a));
	a.magic = DECODER_REPLY_MAGIC;
	a.seq = q.seq;
	a.insn.id = 8; /* a valid X86_INS_* */
	a.insn.len = 1;
	a.insn.addr_size = 8;
	snprintf(a.insn.text, sizeof(a.insn.text), "nop");
	switch (how) {
	case FAKE_SHORT: (void)!write(fd, &a, 8); break;
	case FAKE_BAD_LEN: a.insn.len = 15; break;
	case FAKE_BAD_TEXT: memset(a.insn.text, '\n', sizeof(a.insn.text)); break;
	case FAKE_BAD_SEQ: a.seq++; break;
	case FAKE_BAD_STATUS: a.status = 7; break;
	default: break;
	}
	if (how != FAKE_SHORT)
		(void)!write(fd, &a, sizeof(a));
	/* Then waits for EOF, as the real one does. */
	while (read(fd, &q, sizeof(q)) > 0)
		;
	_exit(0);
}

static pid_t fake_start(enum fake how)
{
	int sv[2];
	pid_t pid;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* The real decoder's timeout is 5 s; a hanging fake costs the test one second. */
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){.tv_sec = 1},
				sizeof(struct timeval)),
		     0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		fake_serve(sv[1], how);
	}
	close(sv[1]);
	decoder_adopt(sv[0], pid);
	return pid;
}

/* Whatever the decoder does, the monitor gets the fallback: sensitive encodings by hand. */
static void check_fallback(enum fake how)
{
	struct kvm_regs regs = {0};
	struct insn_cpu cpu = {.regs = &regs};
	char text[DISASM_TEXT_MAX];
	struct insn_info in;
	size_t len = 99;
	pid_t pid = fake_start(how);
	int st;

	/* The nop is the request the fake answers badly (or not at all). */
	cr_assert_eq(disasm_one(nop, 1, 0, text, sizeof(text), &len), -1, "fake %d", how);
	cr_assert_str_eq(text, "(undecoded)", "fake %d", how);
	cr_assert_eq(len, 0);
	/* Never asked again: the rest is the fallback, at once. */
	cr_assert_eq(disasm_one(wrmsrns, sizeof(wrmsrns), 0, text, sizeof(text), &len), 0);
	cr_assert_str_eq(text, "wrmsrns");
	cr_assert_eq(len, 3);
	cr_assert_eq(disasm_classify(mov_cr4, sizeof(mov_cr4), 0, NULL), DISASM_KIND_NONE);
	cr_assert_eq(insn_decode(mov_cr4, sizeof(mov_cr4), 0, &cpu, &in), -1);
	decoder_stop();
	/* Reaped (killed first if it had answered at all): not our child any more. */
	cr_assert_eq(waitpid(pid, &st, WNOHANG), -1);
	cr_assert(!maps_name(getpid(), "libcapstone"));
}

Test(decoder, a_decoder_that_dies_gives_the_fallback)
{
	check_fallback(FAKE_DIES);
}

Test(decoder, a_short_reply_gives_the_fallback)
{
	check_fallback(FAKE_SHORT);
}

Test(decoder, an_instruction_longer_than_its_bytes_gives_the_fallback)
{
	check_fallback(FAKE_BAD_LEN);
}

Test(decoder, unterminated_or_unprintable_text_gives_the_fallback)
{
	check_fallback(FAKE_BAD_TEXT);
}

Test(decoder, a_reply_to_another_request_gives_the_fallback)
{
	check_fallback(FAKE_BAD_SEQ);
}

Test(decoder, a_meaningless_status_gives_the_fallback)
{
	check_fallback(FAKE_BAD_STATUS);
}

Test(decoder, a_decoder_that_hangs_is_killed_and_gives_the_fallback)
{
	check_fallback(FAKE_HANGS);
}

Test(decoder, the_reply_checks_reject_out_of_range_fields)
{
	struct csdl_insn ok, in;

	cr_assert_eq(csdl_decode((const uint8_t[]){0x48, 0x89, 0x18}, 3, 0, &ok), 0);
	cr_assert(csdl_insn_valid(&ok, 3));
	cr_assert(!csdl_insn_valid(&ok, 2), "longer than the bytes asked about");
	in = ok;
	in.op_count = CSDL_OPS_MAX + 1;
	cr_assert(!csdl_insn_valid(&in, 3));
	in = ok;
	in.nwr = CSDL_REGS_MAX + 1;
	cr_assert(!csdl_insn_valid(&in, 3));
	in = ok;
	in.op[0].base = 0xffff;
	cr_assert(!csdl_insn_valid(&in, 3));
	in = ok;
	in.op[0].type = 9;
	cr_assert(!csdl_insn_valid(&in, 3));
	in = ok;
	in.id = 0;
	cr_assert(!csdl_insn_valid(&in, 3));
	in = ok;
	in.text[0] = '\0';
	cr_assert(!csdl_insn_valid(&in, 3));
}

/* The decoder's allowlist is docs/security.md's table, row for row, each with its reason. */
Test(decoder, every_rule_is_documented_with_its_reason)
{
	const char *name, *why, *section;
	void *doc;
	size_t len, i;

	cr_assert_eq(file_read_all(SRC_DIR "/docs/security.md", 1 << 20, &doc, &len), 0);
	section = strstr(doc, "### The decoder process");
	cr_assert_not_null(section, "docs/security.md has no decoder section");
	for (i = 0; (name = decoder_rule(i, &why)); i++) {
		char cell[96];

		cr_assert(why && strlen(why) > 10, "%s has no reason", name);
		snprintf(cell, sizeof(cell), "| `%s` |", name);
		cr_assert_not_null(strstr(section, cell), "no row for the decoder's %s", name);
	}
	cr_assert_geq(i, 6);
	free(doc);
}
