/*
 * Notifications: a word of signal bits.  Idle (no signal, no waiter),
 * Waiting (threads queued, word 0) or Active (signalled, nobody waiting).
 * Signal ORs the badge in and wakes the first waiter; Wait takes the word
 * and clears it.  A notification bound to a TCB also wakes that thread
 * while it waits in Recv on an endpoint.
 */
#include <kernel/endpoint.h>
#include <kernel/notification.h>
#include <kernel/sched.h>

static void deliver(struct tcb *t, word_t word)
{
    t->ctx.regs[REG_A0] = word;
    t->ctx.regs[REG_A1] = 0;
    t->blocked_on = NULL;
    thread_make_runnable(t);
}

void notification_signal(struct notification *n, word_t badge)
{
    switch (n->state) {
    case NTFN_IDLE: {
        struct tcb *bound = n->bound_tcb;
        if (bound && bound->state == THREAD_BLOCKED_ON_RECV) {
            endpoint_cancel_ipc(bound);
            deliver(bound, badge);
        } else {
            n->state = NTFN_ACTIVE;
            n->word = badge;
        }
        break;
    }
    case NTFN_WAITING: {
        struct tcb *t = n->head;
        tcb_queue_remove(&n->head, &n->tail, t);
        if (!n->head)
            n->state = NTFN_IDLE;
        deliver(t, badge);
        break;
    }
    case NTFN_ACTIVE:
        n->word |= badge;
        break;
    }
}

void notification_wait(struct notification *n, struct tcb *t, bool blocking)
{
    if (n->state == NTFN_ACTIVE) {
        t->ctx.regs[REG_A0] = n->word;
        t->ctx.regs[REG_A1] = 0;
        n->word = 0;
        n->state = NTFN_IDLE;
        return;
    }
    if (!blocking) {
        t->ctx.regs[REG_A0] = 0;
        t->ctx.regs[REG_A1] = 0;
        return;
    }
    t->state = THREAD_BLOCKED_ON_NOTIFICATION;
    t->blocked_on = n;
    tcb_queue_append(&n->head, &n->tail, t);
    n->state = NTFN_WAITING;
}

bool notification_deliver_bound(struct tcb *t)
{
    struct notification *n = t->bound_ntfn;
    if (!n || n->state != NTFN_ACTIVE)
        return false;
    notification_wait(n, t, false);
    return true;
}

void notification_cancel_wait(struct tcb *t)
{
    struct notification *n = t->blocked_on;
    tcb_queue_remove(&n->head, &n->tail, t);
    if (!n->head)
        n->state = NTFN_IDLE;
    t->blocked_on = NULL;
}

void notification_cancel_all(struct notification *n)
{
    while (n->head) {
        struct tcb *t = n->head;
        tcb_queue_remove(&n->head, &n->tail, t);
        t->blocked_on = NULL;
        thread_restart(t);
    }
    if (n->state == NTFN_WAITING)
        n->state = NTFN_IDLE;
}
