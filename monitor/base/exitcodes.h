/* Process exit statuses of `vtlmon run` (and friends); guest codes are 0..VTL_SHUTDOWN_CODE_MAX. */
#ifndef MONITOR_EXITCODES_H
#define MONITOR_EXITCODES_H

/* 0..63: the VTL0 guest's own code, written to its SHUTDOWN register. */
#define VTLMON_EXIT_USAGE	64 /* bad command line */
#define VTLMON_EXIT_LAUNCH	65 /* image or policy rejected: VTL0 never ran */
#define VTLMON_EXIT_KILLED	66 /* VTL1 killed VTL0 (policy decision) */
#define VTLMON_EXIT_TIMEOUT	67 /* --timeout expired */
#define VTLMON_EXIT_RESET_LIMIT 68 /* too many resets */
#define VTLMON_EXIT_VTL1_FAULT	69 /* VTL1 crashed or broke the protocol: fail closed */
#define VTLMON_EXIT_MONITOR	70 /* host or KVM error inside the monitor */
#define VTLMON_EXIT_VTL0_FAULT	71 /* VTL0 crashed (halt, bad fetch); a triple fault resets */

#endif
