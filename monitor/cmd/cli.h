/* The vtlmon sub-commands and the small parsing helpers they share. */
#ifndef MONITOR_CLI_H
#define MONITOR_CLI_H

#include <stddef.h>
#include <stdint.h>

int cli_run(int argc, char **argv);
int cli_caps(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_policy(int argc, char **argv);

/* "64M", "1G", "4096K", "2097152": bytes, or -1 on a malformed or overflowing size. */
int cli_parse_size(const char *s, uint64_t *out);
/* Whole-file read of a regular file with an upper bound; 0 or -errno (-EFBIG past max). */
int cli_read_file(const char *path, size_t max, void **buf, size_t *len);
/* The text for a cli_read_file() error: "not a regular file", "file too large", or strerror. */
const char *cli_read_error(int err);

#endif
