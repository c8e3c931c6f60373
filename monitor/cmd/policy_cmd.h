/* `vtlmon policy check FILE`, and the policy file loader the launcher shares with it. */
#ifndef MONITOR_POLICY_CMD_H
#define MONITOR_POLICY_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "policy/policy.h"

/* Exit codes, as in sysexits.h. */
#define POLICY_CMD_EX_USAGE   64 /* bad command line */
#define POLICY_CMD_EX_DATAERR 65 /* the policy has errors, or is too large */
#define POLICY_CMD_EX_NOINPUT 66 /* the file cannot be read */

/* At most this many errors are printed for one file. */
#define POLICY_CMD_MAX_DIAGS 100U

/* argv[0] is "policy". Prints to stdout and stderr; returns the exit code. */
int policy_cmd_main(int argc, char **argv);

/* policy_cmd_main() with explicit streams, for tests. */
int policy_cmd_run(int argc, char **argv, FILE *out, FILE *err);

/*
 * Read `path` (at most VTL_BOOT_POLICY_MAX bytes: what VTL1 can be handed)
 * and compile it. Each error goes to `err` as PATH:LINE:COL: message.
 * Returns 0, POLICY_CMD_EX_DATAERR or POLICY_CMD_EX_NOINPUT. On success,
 * *bytes is a malloc'd copy of the file (NUL-terminated at [len], for the
 * caller to free) and *len its size; on failure *bytes is NULL. bytes and
 * len may be NULL when only the compiled policy is wanted.
 */
int policy_load_file(const char *path, char **bytes, size_t *len, struct policy *out, FILE *err);

/*
 * Compile `n` bytes already in memory; errors go to `err` as NAME:LINE:COL:
 * message. Returns 0 or POLICY_CMD_EX_DATAERR (then *out is zeroed).
 */
int policy_compile(const char *name, const char *buf, size_t n, struct policy *out, FILE *err);

/* SHA-256 of the policy bytes as 64 lowercase hex digits plus NUL: the policy's measurement. */
int policy_sha256_hex(const void *bytes, size_t len, char hex[65]);

#endif
