/* A 16550A UART register model (Firecracker style): offsets in, bytes and an IRQ level out. */
#include "monitor/dev/uart.h"

#include <string.h>

/*
 * Transmission is instantaneous: THR is empty again as soon as it is written,
 * so LSR always has THRE and TEMT (0x60) and every write owes a new THRE
 * interrupt. That is all Linux's 8250 driver needs (its probe and its
 * interrupt-driven transmit; KVM-HOST-NOTES "Booting Linux here"). Register
 * semantics follow the PC16550D data sheet; FIFO depth is not modelled
 * (IIR reports FIFOs enabled, so the driver identifies a 16550A).
 */

void uart_reset(struct uart *u)
{
	memset(u, 0, sizeof(*u));
}

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_FIFO) ? UART_IIR_FIFO : 0;

	/* Priority: received data before THRE (line and modem status never interrupt). */
	if ((u->ier & UART_IER_ERBFI) && u->rx_full)
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_ETBEI) && u->thr_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NONE;
}

bool uart_irq_level(const struct uart *u)
{
	return !(uart_iir(u) & UART_IIR_NONE);
}

static uint8_t uart_msr(const struct uart *u)
{
	/* Loopback wires MCR's outputs to MSR's inputs (the 8250 probe: MCR 0x1A -> MSR 0x90). */
	if (u->mcr & UART_MCR_LOOP)
		return (uint8_t)(((u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
				 ((u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
				 ((u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
				 ((u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
	/* A terminal is always there and ready. */
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

uint8_t uart_read(struct uart *u, uint8_t off)
{
	uint8_t v;

	switch (off & 7) {
	case UART_RBR_THR:
		if (u->lcr & UART_LCR_DLAB)
			return u->dll;
		v = u->rbr;
		u->rx_full = false;
		return v;
	case UART_IER: return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_iir(u);
		/* Reading IIR while it shows THRE is the acknowledgement (PC16550D table 4). */
		if ((v & 0x0F) == UART_IIR_THRI)
			u->thr_pending = false;
		return v;
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR:
		return (uint8_t)(UART_LSR_THRE | UART_LSR_TEMT | (u->rx_full ? UART_LSR_DR : 0));
	case UART_MSR: return uart_msr(u);
	default: return u->scr;
	}
}

void uart_write(struct uart *u, uint8_t off, uint8_t val, struct uart_effect *fx)
{
	memset(fx, 0, sizeof(*fx));
	switch (off & 7) {
	case UART_RBR_THR:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = val;
			return;
		}
		if (u->mcr & UART_MCR_LOOP) {
			u->rbr = val;
			u->rx_full = true;
		} else {
			fx->tx = true;
			fx->byte = val;
		}
		/* Written and sent at once: THR is empty again, which is a new interrupt edge. */
		u->thr_pending = true;
		fx->irq_pulse = true;
		return;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = val;
			return;
		}
		/* Enabling ETBEI while THR is empty raises THRE at once (the 8250 startup test). */
		if ((val & UART_IER_ETBEI) && !(u->ier & UART_IER_ETBEI))
			u->thr_pending = true;
		u->ier = val & UART_IER_MASK;
		return;
	case UART_IIR_FCR: u->fcr = val & UART_FCR_FIFO; return;
	case UART_LCR: u->lcr = val; return;
	case UART_MCR: u->mcr = val & UART_MCR_MASK; return;
	case UART_LSR:
	case UART_MSR: return; /* read-only here (factory test registers on a real part) */
	default: u->scr = val; return;
	}
}
