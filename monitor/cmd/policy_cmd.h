/* `vtlmon policy check FILE`, and the policy file loader the launcher shares with it. */
#ifndef MONITOR_POLICY_CMD_H
#define MONITOR_POLICY_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "monitor/image/policy_load.h"

/* argv[0] is "policy". Prints to stdout and stderr; returns the exit code. */
int policy_cmd_main(int argc, char **argv);

/* policy_cmd_main() with explicit streams, for tests. */
int policy_cmd_run(int argc, char **argv, FILE *out, FILE *err);

#endif
