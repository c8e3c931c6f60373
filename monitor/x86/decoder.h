/* The decoder process: Capstone, and the guest bytes it parses, in a forked and sandboxed child. */
#ifndef MONITOR_DECODER_H
#define MONITOR_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor/x86/csdl.h"

/*
 * main() forks the decoder before any thread and before any sandbox. It
 * idles until the first request, then loads Capstone (csdl_load), installs
 * its own seccomp filter (read and write on its socket, malloc, exit) and
 * only then decodes. A request is the bytes of one instruction and its RIP;
 * a reply is a struct csdl_insn, which the monitor checks before use. A
 * decoder that dies, hangs or answers garbage is killed and never asked
 * again: callers fall back to what they decode by hand.
 *
 * Without a decoder process (unit tests, fuzzers, the in-process KVM tests),
 * decoder_decode() calls csdl_decode() in the calling process.
 */

/* How long a reply may take (its first one includes loading Capstone). */
#define DECODER_REPLY_TIMEOUT_S 5

/*
 * Fork the decoder process. Call once, single-threaded. 0, or -1: then
 * nothing is decoded by Capstone (the callers' fallbacks), never in-process.
 */
int decoder_start(void);

/*
 * Debugging only (--no-sandbox, valgrind): the decoder skips its seccomp
 * filter. Takes effect only before the first request.
 */
void decoder_set_sandbox(bool on);

/*
 * Close the socket (the decoder exits at EOF) and reap the process: no
 * zombie outlives the monitor. Harmless without a decoder.
 */
void decoder_stop(void);

/*
 * Decode one instruction of bytes[0..n) at rip (at most 15 bytes read):
 * through the decoder process when one was started, else in-process.
 * 0 with *out checked (csdl_insn_valid); -1 when the bytes do not decode;
 * -2 when nothing could decode them (no Capstone, decoder gone or killed).
 */
int decoder_decode(const uint8_t *bytes, size_t n, uint64_t rip, struct csdl_insn *out);

/*
 * Before a seccomp filter goes on: with no decoder process (in-process
 * tests), load Capstone now, since dlopen opens files. Nothing otherwise.
 */
void decoder_prepare(void);

/* The monitor's end of the socket and the decoder's pid, for the seccomp allowlists; -1 / 0. */
int decoder_fd(void);
pid_t decoder_pid(void);

/*
 * The decoder's own allowlist, entry by entry, with the reason for each:
 * NULL past the last one. For tests and the docs check.
 */
const char *decoder_rule(size_t i, const char **why);

/*
 * Test hook: talk to a process the test made (its socket end and pid) as if
 * decoder_start() had forked it, e.g. one that answers garbage.
 */
void decoder_adopt(int fd, pid_t pid);

/* The wire format, fixed size; each side reads exactly one of these per message. */
#define DECODER_REQ_MAGIC      0x76646571u /* "vdeq" */
#define DECODER_REPLY_MAGIC    0x76646572u /* "vder" */
#define DECODER_REQ_NO_SANDBOX 1u	   /* flags: see decoder_set_sandbox() */

struct decoder_req {
	uint32_t magic;
	uint32_t seq; /* echoed: a late reply to an earlier request is never taken for this one */
	uint64_t rip;
	uint8_t len; /* 1..15 */
	uint8_t bytes[CSDL_MAX_BYTES];
	uint32_t flags;
	uint32_t pad;
};

struct decoder_reply {
	uint32_t magic;
	uint32_t seq;
	int32_t status; /* 0 decoded, -1 the bytes do not decode, -2 no Capstone */
	uint32_t pad;
	struct csdl_insn insn; /* status 0 only; zero otherwise */
};

#endif
