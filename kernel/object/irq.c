/*
 * Interrupts.  IRQControl issues one IRQHandler cap per PLIC line; the
 * handler names what the line raises: a notification to signal (with its
 * badge), or a token (a badged UserInterrupt cap) whose bits divert the
 * driver's thread straight into its user-interrupt handler (sel/uintr.h).
 * The kernel claims the line at the PLIC, signals or raises, and leaves the
 * line in service (so it cannot fire again) until user space Acks it.  All
 * lines are routed to the boot hart.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/hart.h>
#include <kernel/invocation.h>
#include <kernel/irq.h>
#include <kernel/notification.h>
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
static void irq_complete(unsigned irq)
{
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
    plic_enable(irq_context(), irq, on);
    plic_set_priority(irq, on ? 1 : 0);
    irq_complete(irq);
}

void irq_handle(unsigned irq)
{
    if (irq >= num_irqs) {
        plic_complete(irq_context(), irq);
        return;
    }
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
    if (irq < 1 || irq >= num_irqs)
        return inv_error_range(inv, 1, num_irqs - 1);
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
    default:
        return SEL_ILLEGAL_OPERATION;
    }
}
