/* The process exit statuses of every vtlmon sub-command: one table (docs/cli.md, vtlmon(1)). */
#ifndef MONITOR_EXITCODES_H
#define MONITOR_EXITCODES_H

/*
 * `run`: 0..63 is the VTL0 guest's own code (its SHUTDOWN register). The
 * other sub-commands exit 0 on success. A number means the same thing for
 * every sub-command that can return it.
 */
#define VTLMON_EXIT_OK		0
#define VTLMON_EXIT_USAGE	64 /* bad command line (any sub-command) */
#define VTLMON_EXIT_LAUNCH	65 /* an input was refused: bad image, policy or size (any) */
#define VTLMON_EXIT_INVALID	VTLMON_EXIT_LAUNCH /* `policy check`, `inspect`: input has errors */
#define VTLMON_EXIT_KILLED	66		   /* run: VTL1 killed VTL0 (policy decision) */
#define VTLMON_EXIT_TIMEOUT	67		   /* run: --timeout expired */
#define VTLMON_EXIT_RESET_LIMIT 68		   /* run: too many resets */
#define VTLMON_EXIT_VTL1_FAULT	69 /* run: VTL1 crashed or broke the protocol: fail closed */
#define VTLMON_EXIT_MONITOR	70 /* host or KVM error inside the monitor (any) */
#define VTLMON_EXIT_VTL0_FAULT	71 /* run: VTL0 crashed (halt, bad fetch); a triple fault resets */
#define VTLMON_EXIT_NOINPUT	72 /* an input file cannot be read: missing, not regular (any) */
#define VTLMON_EXIT_AUDIT	73 /* run: the events log could not be written: the guest was stopped */
/* run: ended by SIGINT, SIGTERM or SIGHUP: 128 + the signal number, as shells report it. */
#define VTLMON_EXIT_SIGNAL_BASE 128

#endif
