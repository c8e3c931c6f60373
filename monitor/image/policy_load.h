/* Loading a policy on the host: read it bounded, compile it with VTL1's parser, measure it. */
#ifndef MONITOR_IMAGE_POLICY_LOAD_H
#define MONITOR_IMAGE_POLICY_LOAD_H

#include <stddef.h>
#include <stdio.h>

#include "monitor/base/exitcodes.h"
#include "policy/policy.h"

/* At most this many errors are printed for one file. */
#define POLICY_CMD_MAX_DIAGS 100U

/*
 * Read `path` (at most VTL_BOOT_POLICY_MAX bytes: what VTL1 can be handed)
 * and compile it. Each error goes to `err` as PATH:LINE:COL: message.
 * Returns 0, VTLMON_EXIT_INVALID or VTLMON_EXIT_NOINPUT. On success,
 * *bytes is a malloc'd copy of the file (NUL-terminated at [len], for the
 * caller to free) and *len its size; on failure *bytes is NULL. bytes and
 * len may be NULL when only the compiled policy is wanted.
 */
int policy_load_file(const char *path, char **bytes, size_t *len, struct policy *out, FILE *err);

/*
 * Compile `n` bytes already in memory; errors go to `err` as NAME:LINE:COL:
 * message. Returns 0 or VTLMON_EXIT_INVALID (then *out is zeroed).
 */
int policy_compile(const char *name, const char *buf, size_t n, struct policy *out, FILE *err);

/*
 * SHA-256 of bytes as 64 lowercase hex digits plus NUL: a policy's measurement,
 * and the images' in the `start` event. Never fails (returns 0).
 */
int sha256_hex(const void *bytes, size_t len, char hex[65]);

#endif
