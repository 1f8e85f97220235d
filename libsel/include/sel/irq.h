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

/* Stops signalling a notification for the line. */
sel_error_t sel_irq_handler_clear(sel_cptr_t handler);

#endif
