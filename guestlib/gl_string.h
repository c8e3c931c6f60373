/* The C memory and string primitives the guests (and GCC's emitted calls) rely on. */
#ifndef GL_STRING_H
#define GL_STRING_H

#include <stddef.h>

/*
 * Named gl_string.h, not string.h, so it never shadows the system header for
 * code compiled with -Iguestlib; the symbols keep their standard names because
 * GCC emits calls to them for struct copies and large initialisers.
 */
void *memcpy(void *dst, const void *src, size_t len);
void *memmove(void *dst, const void *src, size_t len);
void *memset(void *dst, int c, size_t len);
int memcmp(const void *a, const void *b, size_t len);
size_t strlen(const char *s);

#endif
