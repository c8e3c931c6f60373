/* The pair's I/O ports: the console (one line per VTL, sanitised) and the PC reset register 0xCF9.
 */
#include "monitor/vm/ports.h"

#include <stdio.h>
#include <string.h>

#include "monitor/base/log.h"
#include "monitor/dev/device.h"
#include "monitor/dev/uart.h"
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

/* The i8042 controller's command port: 0xFE pulses the CPU reset line (Linux's reboot=k). */
#define PORTS_I8042_CMD	  0x64
#define PORTS_I8042_RESET 0xFE

/*
 * IRQ 4 follows the UART. The in-kernel IOAPIC takes ISA IRQs as edges, so a
 * THRE interrupt that is owed again while the line is still high needs the
 * line lowered first, or the new edge is lost.
 */
static void ports_uart_irq(struct vcpu_pair *p, bool pulse)
{
	struct machine *m = p->m;
	bool level = uart_irq_level(&m->uart);

	if (pulse && level && m->uart_irq) {
		if (vm_irq_line(&m->vm[0], UART_COM1_IRQ, 0))
			goto fail;
		m->uart_irq = false;
	}
	if (level == m->uart_irq)
		return;
	if (vm_irq_line(&m->vm[0], UART_COM1_IRQ, level))
		goto fail;
	m->uart_irq = level;
	return;
fail:
	machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot set the UART's IRQ line");
}

/* VTL0's Linux platform ports (cfg.kernel only): COM1 and the i8042 reset. True if handled. */
static bool ports_linux_pio(struct vcpu_pair *p, const struct vexit *x, uint8_t *data)
{
	struct machine *m = p->m;
	uint64_t off;
	bool pulse = false;

	if (device_offset(UART_COM1_BASE, UART_NR_REGS, x->addr, 1, &off)) {
		/* Byte registers: a wider access or a rep string op is one byte per element. */
		for (uint32_t i = 0; i < x->data_len; i += x->len) {
			struct uart_effect fx;

			if (x->kind == VEXIT_PIO_IN) {
				memset(data + i, 0, x->len);
				data[i] = uart_read(&m->uart, (uint8_t)off);
				continue;
			}
			uart_write(&m->uart, (uint8_t)off, data[i], &fx);
			if (fx.tx)
				ports_console_bytes(p, 0, &fx.byte, 1);
			pulse |= fx.irq_pulse;
		}
		ports_uart_irq(p, pulse);
		return true;
	}
	if (x->addr == PORTS_I8042_CMD) {
		if (x->kind == VEXIT_PIO_IN) {
			/* Status: both buffers empty, so reboot=k's kb_wait() ends at once. */
			memset(data, 0, x->data_len);
			return true;
		}
		for (uint32_t i = 0; i < x->data_len; i += x->len)
			if (data[i] == PORTS_I8042_RESET)
				p->reset_trigger = "port_i8042";
		return true;
	}
	return false;
}

void ports_pio(struct vcpu_pair *p, struct vcpu *v, const struct vexit *x)
{
	uint8_t *data = (uint8_t *)v->run + x->data_off;

	if (v->vtl == 0 && p->m->cfg.kernel && ports_linux_pio(p, x, data))
		return;

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
