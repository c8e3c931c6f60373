/* Console output on VTL_CONSOLE_PORT; the monitor buffers lines and prefixes them per VTL. */
#ifndef GL_CONSOLE_H
#define GL_CONSOLE_H

#include <stddef.h>

/* Each call is one port exit, so build whole lines before writing. */
void console_write(const char *buf, size_t len);
/* Writes s as is: no newline is added. */
void console_puts(const char *s);
/* Formats with gl_snprintf into a line buffer; output past 255 bytes is cut. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
