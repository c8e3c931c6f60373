/* A guest console line: bytes in, sanitised, cut at newline or length; pure, fuzzed. */
#ifndef MONITOR_BASE_CONSOLE_LINE_H
#define MONITOR_BASE_CONSOLE_LINE_H

#include <stdbool.h>
#include <stdint.h>

#define CONSOLE_LINE_MAX 160

struct console_line {
	uint32_t n;
	char buf[CONSOLE_LINE_MAX];
};

/*
 * One guest byte into the line. Returns true when the line is complete and
 * must be flushed (a newline, or CONSOLE_LINE_MAX bytes). Guest bytes never
 * reach the operator's terminal raw: anything but printable ASCII and tab
 * becomes '?', and CR is dropped, so no escape sequence survives.
 */
bool console_line_feed(struct console_line *c, uint8_t ch);

#endif
