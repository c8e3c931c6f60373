/* Freestanding memcpy/memmove/memset/memcmp/strlen for both guest kernels. */
#include "gl_string.h"

#include <stdint.h>

/* rep movsb/stosb: one emulated instruction instead of a loop of them. */
void *memcpy(void *dst, const void *src, size_t len)
{
	void *ret = dst;

	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(len) : : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((uintptr_t)d - (uintptr_t)s >= len)
		return memcpy(dst, src, len);
	/* dst overlaps the tail of src: copy backwards. */
	while (len--)
		d[len] = s[len];
	return dst;
}

void *memset(void *dst, int c, size_t len)
{
	void *ret = dst;

	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(len) : "a"(c) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t len)
{
	const unsigned char *p = a, *q = b;

	for (; len; len--, p++, q++) {
		if (*p != *q)
			return *p - *q;
	}
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}
