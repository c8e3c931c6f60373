/* The 16550A model: the registers Linux's 8250 driver probes and its THRE interrupt. */
#include <criterion/criterion.h>

#include "monitor/dev/uart.h"

static struct uart u;

static void setup(void)
{
	uart_reset(&u);
}

static struct uart_effect wr(uint8_t off, uint8_t val)
{
	struct uart_effect fx;

	uart_write(&u, off, val, &fx);
	return fx;
}

TestSuite(uart, .init = setup);

Test(uart, idle_state)
{
	cr_assert_eq(uart_read(&u, UART_LSR), 0x60);
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), UART_IIR_NONE);
	cr_assert_eq(uart_read(&u, UART_IER), 0);
	cr_assert_not(uart_irq_level(&u));
}

Test(uart, thr_outputs_bytes)
{
	struct uart_effect fx = wr(UART_RBR_THR, 'A');

	cr_assert(fx.tx);
	cr_assert_eq(fx.byte, 'A');
	cr_assert_eq(uart_read(&u, UART_LSR), 0x60, "sent at once");
	cr_assert_not(uart_irq_level(&u), "ETBEI is off");
}

Test(uart, loopback_probe)
{
	/* The 8250 probe: MCR = LOOP | OUT2 | RTS must read back MSR 0x90. */
	wr(UART_MCR, 0x1A);
	cr_assert_eq(uart_read(&u, UART_MSR) & 0xF0, 0x90);
	wr(UART_MCR, 0x1F);
	cr_assert_eq(uart_read(&u, UART_MSR) & 0xF0, 0xF0);
	/* Looped-back data is received, not sent. */
	cr_assert_not(wr(UART_RBR_THR, 'x').tx);
	cr_assert_eq(uart_read(&u, UART_LSR), 0x61);
	cr_assert_eq(uart_read(&u, UART_RBR_THR), 'x');
	cr_assert_eq(uart_read(&u, UART_LSR), 0x60);
	wr(UART_MCR, 0);
	cr_assert_eq(uart_read(&u, UART_MSR), 0xB0, "DCD DSR CTS: a terminal is there");
}

Test(uart, scratch_lcr_and_divisor)
{
	wr(UART_SCR, 0x5A);
	cr_assert_eq(uart_read(&u, UART_SCR), 0x5A);
	wr(UART_LCR, 0x83);
	wr(UART_RBR_THR, 1);
	wr(UART_IER, 0);
	cr_assert_eq(uart_read(&u, UART_RBR_THR), 1);
	cr_assert_eq(uart_read(&u, UART_LCR), 0x83);
	wr(UART_LCR, 0x03);
	cr_assert_eq(uart_read(&u, UART_IER), 0, "DLAB off: IER again");
	/* Only the four defined IER bits stick (the XScale probe writes 0x40). */
	wr(UART_IER, 0xF0);
	cr_assert_eq(uart_read(&u, UART_IER), 0);
}

Test(uart, fifo_reported_in_iir)
{
	wr(UART_IIR_FCR, 0x07);
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), 0xC1);
	wr(UART_IIR_FCR, 0);
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), 0x01);
}

Test(uart, thre_interrupt)
{
	struct uart_effect fx;

	/* Enabling ETBEI with THR empty interrupts at once (the 8250 startup test). */
	wr(UART_IER, UART_IER_ETBEI);
	cr_assert(uart_irq_level(&u));
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), UART_IIR_THRI);
	/* The IIR read acknowledged it. */
	cr_assert_not(uart_irq_level(&u));
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), UART_IIR_NONE);
	/* Every byte sent owes a new edge. */
	fx = wr(UART_RBR_THR, 'a');
	cr_assert(fx.tx && fx.irq_pulse);
	cr_assert(uart_irq_level(&u));
	fx = wr(UART_RBR_THR, 'b');
	cr_assert(fx.irq_pulse);
	cr_assert(uart_irq_level(&u));
	/* Disabling ETBEI drops the line; enabling it again re-raises it. */
	wr(UART_IER, 0);
	cr_assert_not(uart_irq_level(&u));
	wr(UART_IER, UART_IER_ETBEI);
	cr_assert(uart_irq_level(&u));
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), UART_IIR_THRI);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), UART_IIR_THRI, "the 8250's THRE re-assert test");
}

Test(uart, rx_interrupt_has_priority)
{
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_IER, UART_IER_ETBEI | UART_IER_ERBFI);
	wr(UART_RBR_THR, 'z');
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), UART_IIR_RDI);
	cr_assert_eq(uart_read(&u, UART_RBR_THR), 'z');
	cr_assert_eq(uart_read(&u, UART_IIR_FCR), UART_IIR_THRI);
}

Test(uart, offsets_wrap_and_readonly_registers)
{
	wr(UART_LSR, 0);
	wr(UART_MSR, 0);
	cr_assert_eq(uart_read(&u, UART_LSR), 0x60);
	wr(8 + UART_SCR, 7);
	cr_assert_eq(uart_read(&u, UART_SCR), 7);
}
