/* A small printf-style formatter: enough for banners, diagnostics and test reports. */
#include "fmt.h"

#include <stdbool.h>
#include <stdint.h>

#include "gl_string.h"

struct gl_out {
	char *buf;
	size_t size;
	size_t len;
};

static void gl_out_char(struct gl_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* n bytes at once: what fits is one memcpy (one `rep movsb` in a guest), the rest only counted. */
static void gl_out_str(struct gl_out *o, const char *s, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/*
 * The guests run emulated at about 1 us per instruction (KVM-HOST-NOTES),
 * and a string instruction with a rep prefix is emulated as one: scanning
 * with `repne scasb` instead of a loop makes a line cost a few instructions,
 * not a dozen per byte. DF is clear at every call (the SysV ABI).
 */
static size_t gl_strlen(const char *s)
{
	const char *p = s;
	size_t n = ~(size_t)0;

	/* "memory": the scan reads bytes the compiler cannot name (clang refuses an unsized
	 * operand). */
	__asm__("repne scasb" : "+D"(p), "+c"(n) : "a"(0) : "memory", "cc");
	return (size_t)(p - s) - 1;
}

/* The length of the literal text at s: up to its first '%' or its end. */
static size_t gl_literal_len(const char *s)
{
	size_t len = gl_strlen(s), n = len;
	const char *p = s;
	bool found;

	if (!len)
		return 0;
	__asm__("repne scasb" : "+D"(p), "+c"(n), "=@ccz"(found) : "a"('%') : "memory");
	/* Found: p is one past the '%'. */
	return found ? (size_t)(p - s) - 1 : len;
}

static void gl_out_pad(struct gl_out *o, char pad, unsigned int width, size_t len)
{
	for (; width > len; width--)
		gl_out_char(o, pad);
}

static void gl_out_num(struct gl_out *o, uint64_t val, unsigned int base, int neg,
		       unsigned int width, char pad)
{
	char digits[20];
	size_t n = 0;

	do {
		digits[n++] = "0123456789abcdef"[val % base];
		val /= base;
	} while (val);
	/* The sign goes before zero padding but after space padding. */
	if (neg && pad == '0')
		gl_out_char(o, '-');
	gl_out_pad(o, pad, width, n + (size_t)neg);
	if (neg && pad != '0')
		gl_out_char(o, '-');
	while (n)
		gl_out_char(o, digits[--n]);
}

int gl_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct gl_out o = {.buf = buf, .size = size, .len = 0};

	for (; *fmt; fmt++) {
		unsigned int width = 0, base = 10;
		int is_long = 0, neg = 0;
		char pad = ' ';
		uint64_t val;

		if (*fmt != '%') {
			size_t n = gl_literal_len(fmt);

			gl_out_str(&o, fmt, n);
			fmt += n - 1; /* the loop steps past the last one */
			continue;
		}
		if (*++fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			is_long = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'c':
			gl_out_pad(&o, ' ', width, 1);
			gl_out_char(&o, (char)va_arg(ap, int));
			continue;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t len;

			if (!s)
				s = "(null)";
			len = gl_strlen(s);
			gl_out_pad(&o, ' ', width, len);
			gl_out_str(&o, s, len);
			continue;
		}
		case 'd':
		case 'i': {
			int64_t sval = is_long ? va_arg(ap, long) : va_arg(ap, int);

			neg = sval < 0;
			val = neg ? -(uint64_t)sval : (uint64_t)sval;
			break;
		}
		case 'u':
			val = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			break;
		case 'x':
			base = 16;
			val = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			break;
		case 'p':
			gl_out_char(&o, '0');
			gl_out_char(&o, 'x');
			val = (uintptr_t)va_arg(ap, void *);
			base = 16;
			width = 16;
			pad = '0';
			break;
		case '\0':
			/* A lone '%' at the end: stop rather than read past the NUL. */
			fmt--;
			continue;
		default: gl_out_char(&o, *fmt); continue;
		}
		gl_out_num(&o, val, base, neg, width, pad);
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int gl_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = gl_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return len;
}
