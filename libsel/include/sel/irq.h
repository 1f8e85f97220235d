/* Interrupts: IRQControl hands out one IRQHandler per PLIC line. */
#ifndef SEL_IRQ_H
#define SEL_IRQ_H

#include <sel/abi.h>

/* Creates the handler cap for PLIC line irq at (index, depth) in root. */
sel_error_t sel_irq_control_get(sel_cptr_t irq_control, sel_word_t irq, sel_cptr_t root,
                                sel_word_t index, sel_word_t depth);

/* Lets the line interrupt again after the handler has dealt with it. */
sel_error_t sel_irq_handler_ack(sel_cptr_t handler);

/* Signals ntfn (with its badge) when the line interrupts. */
sel_error_t sel_irq_handler_set_notification(sel_cptr_t handler, sel_cptr_t ntfn);

/*
 * Raises token's bits (a badged UserInterrupt cap with Write, sel/uintr.h)
 * when the line interrupts: the thread bound to it is diverted into its
 * user-interrupt handler at once, with the bits in a0.  Replaces a
 * notification (and SetNotification replaces a token).
 */
sel_error_t sel_irq_handler_set_user_interrupt(sel_cptr_t handler, sel_cptr_t token);

/* Stops signalling a notification or raising a token for the line. */
sel_error_t sel_irq_handler_clear(sel_cptr_t handler);

#endif
