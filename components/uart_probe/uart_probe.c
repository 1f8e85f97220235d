/*
 * Drives an ns16550a just enough to take one interrupt: enable "transmit
 * holding register empty" (IER bit 1), wait for it, turn it off, ack.
 */
#include <component.h>
#include <stdio.h>

#define UART_IER 1
#define UART_LSR 5
#define UART_IER_THRE 0x02

int run(void)
{
    volatile uint8_t *regs = (volatile uint8_t *)serial_regs;
    printf("line status register reads %#x\n", regs[UART_LSR]);
    regs[UART_IER] = UART_IER_THRE;
    serial_irq_wait();
    regs[UART_IER] = 0;
    serial_irq_ack();
    printf("the transmitter-empty interrupt arrived through the kernel\n");
    done_emit();
    return 0;
}
