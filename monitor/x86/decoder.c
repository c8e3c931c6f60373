/* The decoder process: Capstone, and the guest bytes it parses, in a forked and sandboxed child. */
#include "monitor/x86/decoder.h"

#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/log.h"

_Static_assert(sizeof(struct decoder_req) == 40, "the request is fixed-size");
_Static_assert(sizeof(struct decoder_reply) % 8 == 0, "the reply is fixed-size");

/* The monitor's side. One request at a time: the pair threads take turns. */
static struct {
	pthread_mutex_t lock;
	int fd;		 /* -1: no decoder process, decode in-process */
	pid_t pid;	 /* 0 once reaped */
	bool remote;	 /* a decoder process was started: never fall back to in-process */
	bool broken;	 /* died, hung or lied (or stopped): never asked again */
	bool no_sandbox; /* sent with every request; the decoder reads it once */
	uint32_t seq;
} decoder = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

/* ---- the decoder process ---------------------------------------------------------------- */

/* Its allowlist. arg0 is the socket for read and write: it can talk to nothing else. */
enum decoder_check { DCHK_NONE, DCHK_SOCKET, DCHK_NO_EXEC };

struct decoder_rule {
	int nr;
	const char *name;
	enum decoder_check check;
	const char *why;
};

/* clang-format off */
#define DRULE(sys, chk, why) {SCMP_SYS(sys), #sys, (chk), (why)}
/* clang-format on */

static const struct decoder_rule decoder_rules[] = {
    DRULE(read, DCHK_SOCKET, "the next request from the monitor; EOF when the monitor is done"),
    DRULE(write, DCHK_SOCKET, "the reply to the monitor"),
    DRULE(exit_group, DCHK_NONE, "exits at EOF, on a malformed request or a failed write"),
    DRULE(brk, DCHK_NONE, "malloc in the main arena, should Capstone allocate"),
    DRULE(mmap, DCHK_NO_EXEC, "malloc of a large block; never executable"),
    DRULE(munmap, DCHK_NONE, "free of a large block"),
#if defined(__SANITIZE_ADDRESS__)
    /* SANITIZE=1 builds only: a sanitizer report must print, not die half-way with SIGSYS. */
    DRULE(write, DCHK_NONE, "SANITIZE=1 builds only: a sanitizer report goes to stderr"),
    DRULE(openat, DCHK_NONE, "SANITIZE=1 builds only: a report reads /proc/self/maps"),
    DRULE(read, DCHK_NONE, "SANITIZE=1 builds only: a report reads /proc/self/maps"),
    DRULE(readlink, DCHK_NONE, "SANITIZE=1 builds only: a report resolves /proc/self/exe"),
    DRULE(fstat, DCHK_NONE, "SANITIZE=1 builds only: the runtime checks its output stream"),
    DRULE(madvise, DCHK_NONE, "SANITIZE=1 builds only: the ASan allocator returns pages"),
    DRULE(mprotect, DCHK_NO_EXEC, "SANITIZE=1 builds only: the ASan allocator maps shadow"),
#endif
};

const char *decoder_rule(size_t i, const char **why)
{
	if (i >= sizeof(decoder_rules) / sizeof(decoder_rules[0]))
		return NULL;
	if (why)
		*why = decoder_rules[i].why;
	return decoder_rules[i].name;
}

/* The decoder's filter, for the rest of its life. 0 or -1. */
static int decoder_sandbox(int fd)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r;

	if (!ctx)
		return -1;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; !r && i < sizeof(decoder_rules) / sizeof(decoder_rules[0]); i++) {
		const struct decoder_rule *d = &decoder_rules[i];
		/* Every field spelled out: clang refuses libseccomp's SCMP_A0() under -Wextra. */
		struct scmp_arg_cmp cmp = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0};

		switch (d->check) {
		case DCHK_NONE: r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, d->nr, 0); break;
		case DCHK_SOCKET:
			cmp.datum_a = (uint64_t)fd;
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, d->nr, 1, &cmp);
			break;
		case DCHK_NO_EXEC:
			cmp.arg = 2;
			cmp.op = SCMP_CMP_MASKED_EQ;
			cmp.datum_a = PROT_EXEC;
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, d->nr, 1, &cmp);
			break;
		}
	}
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r ? -1 : 0;
}

/*
 * Capstone decides lazily (tables sorted on first use); run it over fixed,
 * trusted bytes of each kind the monitor asks about, so that whatever it
 * needs from the kernel it asks before the filter goes on.
 */
static void decoder_warm_up(void)
{
	static const uint8_t warm[][4] = {
	    {3, 0x48, 0x89, 0x18}, /* mov [rax], rbx: a memory operand */
	    {3, 0x0f, 0x22, 0xe0}, /* mov cr4, rax */
	    {2, 0xf3, 0xaa},	   /* rep stosb: implicit operands */
	    {1, 0x50},		   /* push rax: the stack */
	};
	struct csdl_insn out;

	for (size_t i = 0; i < sizeof(warm) / sizeof(warm[0]); i++)
		csdl_decode(&warm[i][1], warm[i][0], 0x1000, &out);
}

static bool decoder_req_valid(const struct decoder_req *q)
{
	return q->magic == DECODER_REQ_MAGIC && q->len >= 1 && q->len <= CSDL_MAX_BYTES &&
	       !(q->flags & ~DECODER_REQ_NO_SANDBOX);
}

/* The child's whole life: one request in, one reply out, until EOF. Never returns. */
static void __attribute__((noreturn)) decoder_serve(int fd, pid_t parent)
{
	bool ready = false;

	/* Dies with the monitor, even one killed with SIGKILL; and not first if it is already gone.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, "vtlmon-decoder");
	/* A Ctrl-C or hangup is the monitor's to handle; the decoder ends when its socket does. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* Only stdio and the socket: nothing else the monitor may open later was open yet. */
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	for (;;) {
		/* One byte more than a request: a longer message reads as too long, not cut short.
		 */
		union {
			struct decoder_req q;
			char raw[sizeof(struct decoder_req) + 1];
		} in;
		struct decoder_req q;
		struct decoder_reply a;
		ssize_t n = read(fd, &in, sizeof(in));

		if (n == 0)
			_exit(0); /* the monitor closed its end */
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(q))
			_exit(2);
		q = in.q;
		if (!decoder_req_valid(&q))
			_exit(2);
		if (!ready) {
			/* Capstone first (dlopen opens files), then the filter, then guest bytes.
			 */
			if (!csdl_load())
				decoder_warm_up();
			if (!(q.flags & DECODER_REQ_NO_SANDBOX) && decoder_sandbox(fd))
				_exit(3); /* fail closed: never parse guest bytes unsandboxed */
			ready = true;
		}
		memset(&a, 0, sizeof(a));
		a.magic = DECODER_REPLY_MAGIC;
		a.seq = q.seq;
		a.status = csdl_decode(q.bytes, q.len, q.rip, &a.insn);
		if (write(fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
			_exit(4);
	}
}

/* ---- the monitor's side ----------------------------------------------------------------- */

int decoder_start(void)
{
	struct timeval tv = {.tv_sec = DECODER_REPLY_TIMEOUT_S};
	pid_t parent = getpid();
	int sv[2];
	pid_t pid;

	/* SEQPACKET: one read is one whole message, and a short or long one shows. */
	/* Whatever happens below, Capstone is never loaded into this process. */
	decoder.remote = true;
	decoder.broken = true;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		log_warn("decoder: socketpair: %s", strerror(errno));
		return -1;
	}
	/* A decoder that hangs costs one wait, then it is killed (decoder_decode). */
	if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		log_warn("decoder: socket timeout: %s", strerror(errno));
		goto err;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("decoder: fork: %s", strerror(errno));
		goto err;
	}
	if (pid == 0) {
		close(sv[0]);
		decoder_serve(sv[1], parent);
	}
	close(sv[1]);
	decoder_adopt(sv[0], pid);
	return 0;

err:
	close(sv[0]);
	close(sv[1]);
	return -1;
}

void decoder_adopt(int fd, pid_t pid)
{
	decoder.fd = fd;
	decoder.pid = pid;
	decoder.remote = true;
	decoder.broken = false;
}

void decoder_set_sandbox(bool on)
{
	pthread_mutex_lock(&decoder.lock);
	decoder.no_sandbox = !on;
	pthread_mutex_unlock(&decoder.lock);
}

void decoder_prepare(void)
{
	if (!decoder.remote)
		csdl_load();
}

int decoder_fd(void)
{
	return decoder.fd;
}

pid_t decoder_pid(void)
{
	return decoder.pid;
}

/* Called with the lock held: a decoder that failed once is never trusted again. */
static void decoder_break(const char *why)
{
	if (!decoder.broken && decoder.pid > 0)
		kill(decoder.pid, SIGKILL);
	if (!decoder.broken)
		log_warn("decoder process %s: instructions are no longer decoded", why);
	decoder.broken = true;
}

/* One round trip, lock held. 0, -1 or -2 as decoder_decode. */
static int decoder_ask(const uint8_t *bytes, size_t n, uint64_t rip, struct csdl_insn *out)
{
	struct decoder_req q;
	/* One byte more than a reply: a longer message is read as too long, not cut to size. */
	union {
		struct decoder_reply a;
		char raw[sizeof(struct decoder_reply) + 1];
	} buf;
	ssize_t got;

	memset(&q, 0, sizeof(q));
	q.magic = DECODER_REQ_MAGIC;
	q.seq = ++decoder.seq;
	q.rip = rip;
	q.len = (uint8_t)(n > CSDL_MAX_BYTES ? CSDL_MAX_BYTES : n);
	memcpy(q.bytes, bytes, q.len);
	q.flags = decoder.no_sandbox ? DECODER_REQ_NO_SANDBOX : 0;
	/* MSG_NOSIGNAL: a dead decoder is EPIPE here, never a SIGPIPE for the monitor. */
	if (send(decoder.fd, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q)) {
		decoder_break("is gone");
		return -2;
	}
	do
		got = read(decoder.fd, &buf, sizeof(buf));
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		decoder_break(got < 0 && errno == EAGAIN ? "did not answer in time" : "is gone");
		return -2;
	}
	if (got != (ssize_t)sizeof(buf.a) || buf.a.magic != DECODER_REPLY_MAGIC ||
	    buf.a.seq != q.seq || (buf.a.status != 0 && buf.a.status != -1 && buf.a.status != -2) ||
	    (buf.a.status == 0 && !csdl_insn_valid(&buf.a.insn, q.len))) {
		decoder_break("answered garbage");
		return -2;
	}
	if (buf.a.status == 0)
		*out = buf.a.insn;
	return buf.a.status;
}

int decoder_decode(const uint8_t *bytes, size_t n, uint64_t rip, struct csdl_insn *out)
{
	int r;

	if (!decoder.remote)
		return csdl_decode(bytes, n, rip, out);
	memset(out, 0, sizeof(*out));
	if (!n)
		return -1;
	pthread_mutex_lock(&decoder.lock);
	r = decoder.broken ? -2 : decoder_ask(bytes, n, rip, out);
	pthread_mutex_unlock(&decoder.lock);
	return r;
}

void decoder_stop(void)
{
	pid_t pid = decoder.pid;

	if (decoder.fd < 0)
		return;
	/* EOF on its socket is the decoder's signal to exit; a broken one was killed already. */
	pthread_mutex_lock(&decoder.lock);
	close(decoder.fd);
	decoder.fd = -1;
	decoder.broken = true; /* a decode after teardown gets the fallback, not Capstone here */
	pthread_mutex_unlock(&decoder.lock);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	decoder.pid = 0;
}
