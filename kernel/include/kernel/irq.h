/* IRQControl and IRQHandler: PLIC lines delivered to user space as notifications or user-interrupt tokens. */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include <kernel/cap.h>

extern unsigned num_irqs;   /* PLIC sources are 1..num_irqs-1 */

/* Handles a PLIC line that fired: signals its notification or raises its token (or masks it if it has none). */
void irq_handle(unsigned irq);
/* The last handler cap for irq is gone. */
void irq_handler_destroy(unsigned irq);

/*
 * Line 0, the kernel's console (irq.c): something was printed, fire the
 * line if its reader waits for that; a halt while the console is read
 * (false if it is not: halt now); the boot hart's tick.
 */
void console_kick(void);
bool console_halt(int status);
void console_tick(word_t now);

struct invocation;
word_t decode_irq_control_invocation(struct invocation *inv);
word_t decode_irq_handler_invocation(struct invocation *inv);

#endif
