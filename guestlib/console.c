/* Console output: one `rep outsb` (one exit) per string or formatted line. */
#include "console.h"

#include <stdarg.h>

#include "fmt.h"
#include "gl_string.h"
#include "io.h"
#include "vtl_layout.h"

#define CONSOLE_LINE_MAX 256

void console_write(const char *buf, size_t len)
{
	if (len)
		outsb(VTL_CONSOLE_PORT, buf, len);
}

void console_puts(const char *s)
{
	console_write(s, strlen(s));
}

void console_printf(const char *fmt, ...)
{
	char line[CONSOLE_LINE_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = gl_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len > (int)sizeof(line) - 1)
		len = (int)sizeof(line) - 1;
	console_write(line, (size_t)len);
}
