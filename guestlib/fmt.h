/* gl_snprintf: a small printf-style formatter for freestanding guests. */
#ifndef GL_FMT_H
#define GL_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Conversions: %s %c %d %i %u %x %p %%, with the length modifiers l, ll and z
 * (all 64-bit here), an optional '0' flag and a field width. %p prints
 * 0x and 16 hex digits. Returns the length the full output would have (like
 * C99); the buffer always ends in a NUL when size > 0.
 */
int gl_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int gl_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
