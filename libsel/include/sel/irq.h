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

/*
 * Line 0 (SEL_IRQ_KERNEL_CONSOLE) is the kernel's console, for the driver
 * of the UART the kernel prints through.  While its handler has a
 * notification or token, the kernel prints into a buffer instead of the
 * UART, and the line fires when something waits there (Ack lets it fire
 * again); Clear, or deleting the handler, gives the UART back.  Each read
 * takes up to SEL_CONSOLE_READ_MAX bytes into text.
 */
#define SEL_CONSOLE_READ_MAX 928
typedef struct sel_console_read {
    sel_word_t bytes;       /* taken into text */
    sel_word_t lost;        /* dropped since the last read: the kernel's buffer was full */
    sel_word_t flags;       /* SEL_CONSOLE_HALT_PENDING: a halt waits until the reader is idle */
    sel_word_t waiting;     /* bytes left in the kernel after this read */
} sel_console_read_t;

/*
 * Takes what the kernel printed.  idle: everything read before has been
 * sent; if a halt waits and nothing more was printed, the machine halts in
 * this call.  Needs a writable IPC buffer for the text.
 */
sel_error_t sel_irq_handler_read_console(sel_cptr_t handler, bool idle, char text[SEL_CONSOLE_READ_MAX],
                                         sel_console_read_t *out);

#endif
