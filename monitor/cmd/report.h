/* `vtlmon report EVENTS.jsonl [--svg FILE] [--json]`: a run's event log, summarised and drawn. */
#ifndef MONITOR_CMD_REPORT_H
#define MONITOR_CMD_REPORT_H

#include <stdbool.h>
#include <stdio.h>

/* argv[0] is "report". Prints to stdout and stderr; returns a VTLMON_EXIT_* status. */
int report_main(int argc, char **argv);

/* report_main() with explicit streams, for tests. */
int report_run(int argc, char **argv, FILE *out, FILE *err);

/*
 * The whole report of the log read from `in` (`name` in messages): the
 * summary on out (one JSON object on one line with `json`), the SVG on svg
 * unless it is NULL. Returns 0, VTLMON_EXIT_INVALID (no well-formed event)
 * or VTLMON_EXIT_NOINPUT (a read error). For tests and the fuzz target.
 */
int report_stream(FILE *in, const char *name, FILE *out, FILE *svg, bool json, FILE *err);

#endif
