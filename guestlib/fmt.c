/* A small printf-style formatter: enough for banners, diagnostics and test reports. */
#include "fmt.h"

#include <stdint.h>

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
			gl_out_char(&o, *fmt);
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
			size_t len = 0;

			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			gl_out_pad(&o, ' ', width, len);
			while (*s)
				gl_out_char(&o, *s++);
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
