/* The pair's I/O ports: the console (one line per VTL, sanitised) and the PC reset register 0xCF9.
 */
#include "monitor/vm/ports.h"

#include <stdio.h>
#include <string.h>

#include "monitor/base/log.h"
#include "vtl_layout.h"

void ports_console_flush(struct vcpu_pair *p, int vtl)
{
	struct console_line *c = &p->con[vtl];
	struct ev e;

	if (!c->n)
		return;
	if (!p->m->cfg.quiet)
		fprintf(stdout, "[vtl%d] %.*s\n", vtl, (int)c->n, c->buf);
	ev_begin(&e, &p->m->events, "console");
	ev_i64(&e, "vtl", vtl);
	ev_u64(&e, "vcpu", p->index);
	ev_strn(&e, "line", c->buf, c->n);
	ev_emit(&e);
	c->n = 0;
}

void ports_console_bytes(struct vcpu_pair *p, int vtl, const uint8_t *b, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (console_line_feed(&p->con[vtl], b[i]))
			ports_console_flush(p, vtl);
}

void ports_pio(struct vcpu_pair *p, struct vcpu *v, const struct vexit *x)
{
	uint8_t *data = (uint8_t *)v->run + x->data_off;

	if (x->kind == VEXIT_PIO_OUT && x->addr == VTL_CONSOLE_PORT && x->len == 1) {
		ports_console_bytes(p, v->vtl, data, x->data_len);
		return;
	}
	if (x->kind == VEXIT_PIO_OUT && x->addr == VTL_RESET_PORT && v->vtl == 0) {
		/* Little-endian: the low byte of each element is the one that lands on 0xCF9. */
		for (uint32_t i = 0; i < x->data_len; i += x->len)
			if (data[i] & VTL_RESET_PORT_RST_CPU)
				p->reset_trigger = "port_cf9";
		return;
	}
	/* No other ports exist: reads float high, writes are dropped. */
	if (x->kind == VEXIT_PIO_IN)
		memset(data, 0xFF, x->data_len);
	LOG_GUEST("vtl%d: %s port %#llx ignored", v->vtl, exit_kind_name(x->kind),
		  (unsigned long long)x->addr);
}
