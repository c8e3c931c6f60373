/* `vtlmon caps`: the KVM capabilities that matter, and which protections this host enforces. */
#ifndef MONITOR_CAPS_H
#define MONITOR_CAPS_H

/* argv[0] is "caps". Returns a VTLMON_EXIT_* status. */
int cli_caps(int argc, char **argv);

#endif
