/* `vtlmon inspect ELF [--json]`: the sensitive-instruction sites of an image. */
#ifndef MONITOR_CMD_INSPECT_CMD_H
#define MONITOR_CMD_INSPECT_CMD_H

/* argv[0] is "inspect". Returns a VTLMON_EXIT_* status (monitor/base/exitcodes.h). */
int inspect_main(int argc, char **argv);

#endif
