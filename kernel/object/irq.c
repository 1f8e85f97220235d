/*
 * Interrupts.  IRQControl issues one IRQHandler cap per PLIC line; the
 * handler names what the line raises: a notification to signal (with its
 * badge), or a token (a badged UserInterrupt cap) whose bits divert the
 * driver's thread straight into its user-interrupt handler (sel/uintr.h).
 * The kernel claims the line at the PLIC, signals or raises, and leaves the
 * line in service (so it cannot fire again) until user space Acks it.  All
 * lines are routed to the boot hart.
 *
 * Line 0 (the PLIC has no source 0) is the kernel's console, for the driver
 * of the UART the kernel prints through.  While its handler has a
 * notification or a token, the kernel leaves the UART alone and keeps what
 * it prints in a buffer (core/printk.c); the line "fires" when something
 * waits there, and the driver takes it with ReadConsole and Acks.  Clear,
 * or the last cap to the handler going, gives the UART back to the kernel,
 * which first prints what was not read.  A halt while the console is read
 * waits until the driver says it has sent everything (or a second passes).
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/hart.h>
#include <kernel/invocation.h>
#include <kernel/irq.h>
#include <kernel/kernel.h>
#include <kernel/platform.h>
#include <kernel/notification.h>
#include <kernel/printk.h>
#include <kernel/trace.h>
#include <kernel/user_interrupt.h>
#include "../arch/riscv/plic.h"

unsigned num_irqs;
extern unsigned boot_hart_index;

static bool irq_issued[MAX_IRQS];
static bool irq_enabled[MAX_IRQS];
/* Claimed at the PLIC and not yet completed: the line cannot fire again. */
static bool irq_in_service[MAX_IRQS];
/*
 * What each line raises: a notification cap or a token (a child of the cap
 * given to SetNotification or SetUserInterrupt), or nothing.
 */
static struct cte irq_target[MAX_IRQS];

static int irq_context(void) { return harts[boot_hart_index].plic_context; }

/*
 * The PLIC ignores a completion for a source that is not enabled, so a line
 * is completed only while enabled; one still in service when it is
 * disabled is completed when it is enabled again.
 */
static void console_kick_now(void);

static void irq_complete(unsigned irq)
{
    if (irq == SEL_IRQ_KERNEL_CONSOLE) {
        irq_in_service[irq] = false;
        console_kick_now();
        return;
    }
    if (irq_in_service[irq] && irq_enabled[irq]) {
        irq_in_service[irq] = false;
        plic_complete(irq_context(), irq);
    }
}

static void irq_set_enabled(unsigned irq, bool on)
{
    /*
     * The priority last: QEMU's PLIC re-evaluates its output on a priority
     * write but not on an enable write, so a line already pending would
     * otherwise wait for its device's next change.
     */
    irq_enabled[irq] = on;
    if (irq == SEL_IRQ_KERNEL_CONSOLE) {
        console_redirect(on);
        console_kick_now();
        return;
    }
    plic_enable(irq_context(), irq, on);
    plic_set_priority(irq, on ? 1 : 0);
    irq_complete(irq);
}

/* The line fired: signal its notification or raise its token, or mask it if it has neither. */
static void irq_raise(unsigned irq)
{
    irq_in_service[irq] = true;
    struct cap *target = &irq_target[irq].cap;
    TRACE_IRQ(irq, target->type);
    switch (target->type) {
    case SEL_CAP_TYPE_NOTIFICATION:
        notification_signal(notification_of(target), target->data);
        break;
    case SEL_CAP_TYPE_USER_INTERRUPT:
        user_interrupt_raise(user_interrupt_of(target), target->data);
        break;
    default:
        /* Nobody listens: mask it, still in service, until something is set. */
        irq_set_enabled(irq, false);
        break;
    }
}

void irq_handle(unsigned irq)
{
    if (irq == SEL_IRQ_KERNEL_CONSOLE || irq >= num_irqs) {
        plic_complete(irq_context(), irq);
        return;
    }
    irq_raise(irq);
}

/* ---- line 0: the kernel's console ---------------------------------------------------- */

static struct {
    bool halt_pending;     /* a thread halted the machine; the reader has not said it is done */
    int halt_status;
    word_t halt_deadline;  /* then the kernel halts anyway (timer_now() units) */
} console_state;

/* Fires line 0 if it is set, not in service, and something waits for the reader. */
static void console_kick_now(void)
{
    unsigned irq = SEL_IRQ_KERNEL_CONSOLE;
    if (irq_enabled[irq] && !irq_in_service[irq] && (console_waiting() || console_state.halt_pending))
        irq_raise(irq);
}

void console_kick(void) { console_kick_now(); }

bool console_halt(int status)
{
    if (!console_redirected())
        return false;
    if (!console_state.halt_pending) {
        console_state.halt_pending = true;
        console_state.halt_status = status;
        console_state.halt_deadline = timer_now() + platform.timebase_frequency;
    }
    console_kick_now();
    return true;
}

void console_tick(word_t now)
{
    console_kick_now();
    if (console_state.halt_pending && (int64_t)(now - console_state.halt_deadline) >= 0) {
        console_redirect(false);
        printk("kernel: the console's reader did not finish within a second; halting anyway\n");
        machine_poweroff(console_state.halt_status);
    }
}

/*
 * ReadConsole(flags): up to 116 words of what the kernel printed.  Reply:
 * the bytes, the bytes lost (the buffer was full) since the last read, flags
 * (a halt waits for the reader), the bytes still waiting, then the text
 * from word 4.  A reader that passes SEL_CONSOLE_READ_IDLE says it has
 * sent everything it read: if a halt waits and nothing more does, the
 * machine halts now.
 */
static word_t console_read(struct invocation *inv)
{
    word_t flags = inv->length ? inv_arg(inv, 0) : 0;
    if (flags & ~(word_t)SEL_CONSOLE_READ_IDLE)
        return inv_error_argument(inv, 0);
    if ((flags & SEL_CONSOLE_READ_IDLE) && console_state.halt_pending && !console_waiting())
        machine_poweroff(console_state.halt_status);
    char text[(SEL_MSG_MAX_LENGTH - 4) * sizeof(word_t)];
    size_t room = inv->reply_buffer ? sizeof(text) : 0;
    word_t lost;
    size_t n = console_take(text, room, &lost);
    for (size_t w = 0; w * sizeof(word_t) < n; w++) {
        word_t word = 0;
        for (size_t b = 0; b < sizeof(word_t) && w * sizeof(word_t) + b < n; b++)
            word |= (word_t)(uint8_t)text[w * sizeof(word_t) + b] << (8 * b);
        inv_reply(inv, 4 + (unsigned)w, word);
    }
    inv_reply(inv, 0, n);
    inv_reply(inv, 1, lost);
    inv_reply(inv, 2, console_state.halt_pending ? SEL_CONSOLE_HALT_PENDING : 0);
    inv_reply(inv, 3, console_waiting());
    return SEL_NO_ERROR;
}

void irq_handler_destroy(unsigned irq)
{
    irq_complete(irq);
    irq_set_enabled(irq, false);
    cap_delete(&irq_target[irq]);
    irq_issued[irq] = false;
}

/* Get(irq, index, depth), extra cap 0: the destination root CNode. */
word_t decode_irq_control_invocation(struct invocation *inv)
{
    if (inv->label != SEL_IRQ_CONTROL_GET)
        return SEL_ILLEGAL_OPERATION;
    if (inv->length < 3 || inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    word_t irq = inv_arg(inv, 0), depth = inv_arg(inv, 2);
    if (irq >= num_irqs)
        return inv_error_range(inv, 0, num_irqs - 1);
    if (irq_issued[irq])
        return SEL_REVOKE_FIRST;
    if (depth < 1 || depth > SEL_WORD_BITS)
        return inv_error_range(inv, 1, SEL_WORD_BITS);
    struct lookup l = lookup_slot(inv_extra_cap(inv, 0), inv_arg(inv, 1), (unsigned)depth);
    if (!l.slot)
        return inv_error_lookup(inv, false, l.failure);
    if (!cap_is_null(&l.slot->cap))
        return SEL_DELETE_FIRST;

    struct cap cap = cap_make(SEL_CAP_TYPE_IRQ_HANDLER, 0, irq, SEL_ALL_RIGHTS);
    cap_insert(l.slot, &cap, inv->slot);
    irq_issued[irq] = true;
    return SEL_NO_ERROR;
}

word_t decode_irq_handler_invocation(struct invocation *inv)
{
    unsigned irq = (unsigned)inv->slot->cap.data;
    switch (inv->label) {
    case SEL_IRQ_HANDLER_ACK:
        irq_complete(irq);
        return SEL_NO_ERROR;
    case SEL_IRQ_HANDLER_SET_NOTIFICATION:
    case SEL_IRQ_HANDLER_SET_USER_INTERRUPT: {
        if (inv->extra_count < 1)
            return SEL_TRUNCATED_MESSAGE;
        /* A notification cap with Write, or a token: a badged UserInterrupt cap with Write. */
        struct cte *target = inv->extra[0];
        bool notification = inv->label == SEL_IRQ_HANDLER_SET_NOTIFICATION;
        if (target->cap.type != (notification ? SEL_CAP_TYPE_NOTIFICATION : SEL_CAP_TYPE_USER_INTERRUPT) ||
            !(target->cap.rights & SEL_CAN_WRITE) || (!notification && !target->cap.data))
            return inv_error_cap(inv, 1);
        struct cap copy;
        word_t err = cap_derive(target, &copy);
        if (err)
            return err;
        cap_delete(&irq_target[irq]);
        cap_insert(&irq_target[irq], &copy, target);
        irq_set_enabled(irq, true);
        return SEL_NO_ERROR;
    }
    case SEL_IRQ_HANDLER_CLEAR:
        irq_set_enabled(irq, false);
        cap_delete(&irq_target[irq]);
        return SEL_NO_ERROR;
    case SEL_IRQ_HANDLER_READ_CONSOLE:
        if (irq != SEL_IRQ_KERNEL_CONSOLE)
            return SEL_ILLEGAL_OPERATION;
        return console_read(inv);
    default:
        return SEL_ILLEGAL_OPERATION;
    }
}
