/* A guest console line: bytes in, sanitised, cut at newline or length; pure, fuzzed. */
#include "monitor/base/console_line.h"

bool console_line_feed(struct console_line *c, uint8_t ch)
{
	if (ch == '\n')
		return true;
	if (ch == '\r' || c->n >= CONSOLE_LINE_MAX)
		return c->n >= CONSOLE_LINE_MAX;
	c->buf[c->n++] = (ch >= 0x20 && ch < 0x7F) || ch == '\t' ? (char)ch : '?';
	return c->n == CONSOLE_LINE_MAX;
}
