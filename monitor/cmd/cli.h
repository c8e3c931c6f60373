/* `vtlmon run`, and the size parser other sub-commands share. */
#ifndef MONITOR_CLI_H
#define MONITOR_CLI_H

#include <stddef.h>
#include <stdint.h>

int cli_run(int argc, char **argv);

/* "64M", "1G", "4096K", "2097152": bytes, or -1 on a malformed or overflowing size. */
int cli_parse_size(const char *s, uint64_t *out);

#endif
