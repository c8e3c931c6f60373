/* A 16550A UART register model (Firecracker style): offsets in, bytes and an IRQ level out. */
#ifndef MONITOR_DEV_UART_H
#define MONITOR_DEV_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_COM1_BASE 0x3F8U
#define UART_COM1_IRQ  4U
#define UART_NR_REGS   8U

/* Register offsets (DLAB = LCR bit 7 turns 0 and 1 into the divisor latch). */
#define UART_RBR_THR 0U
#define UART_IER     1U
#define UART_IIR_FCR 2U
#define UART_LCR     3U
#define UART_MCR     4U
#define UART_LSR     5U
#define UART_MSR     6U
#define UART_SCR     7U

#define UART_IER_ERBFI 0x01U /* received data available */
#define UART_IER_ETBEI 0x02U /* transmitter holding register empty */
#define UART_IER_MASK  0x0FU
#define UART_IIR_NONE  0x01U
#define UART_IIR_THRI  0x02U
#define UART_IIR_RDI   0x04U
#define UART_IIR_FIFO  0xC0U
#define UART_FCR_FIFO  0x01U
#define UART_LCR_DLAB  0x80U
#define UART_MCR_DTR   0x01U
#define UART_MCR_RTS   0x02U
#define UART_MCR_OUT1  0x04U
#define UART_MCR_OUT2  0x08U
#define UART_MCR_LOOP  0x10U
#define UART_MCR_MASK  0x1FU
#define UART_LSR_DR    0x01U
#define UART_LSR_THRE  0x20U
#define UART_LSR_TEMT  0x40U
#define UART_MSR_CTS   0x10U
#define UART_MSR_DSR   0x20U
#define UART_MSR_RI    0x40U
#define UART_MSR_DCD   0x80U

struct uart {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	uint8_t rbr;	  /* one received byte (loopback only: the monitor has no input) */
	bool rx_full;	  /* LSR.DR */
	bool thr_pending; /* a THRE interrupt is owed and not yet acknowledged by an IIR read */
};

/* What an access asks of the caller. */
struct uart_effect {
	bool tx; /* byte goes out (to the console) */
	uint8_t byte;
	bool irq_pulse; /* lower the line before setting it to uart_irq_level(): a new edge */
};

/* Power-on state: no interrupts enabled, transmitter empty (LSR 0x60). */
void uart_reset(struct uart *u);
/* A register read; reading IIR acknowledges the THRE interrupt it reports. */
uint8_t uart_read(struct uart *u, uint8_t off);
/* A register write; fx says what to do (output a byte, re-raise the interrupt). */
void uart_write(struct uart *u, uint8_t off, uint8_t val, struct uart_effect *fx);
/* The IRQ line the UART drives: an interrupt is pending and enabled (OUT2 is not modelled). */
bool uart_irq_level(const struct uart *u);

#endif
