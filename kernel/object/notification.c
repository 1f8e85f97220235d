/*
 * Notifications: a word of signal bits.  Idle (no signal, no waiter),
 * Waiting (threads queued, word 0) or Active (signalled, nobody waiting).
 * Signal ORs the badge in and wakes the first waiter; Wait takes the word
 * and clears it.  A notification bound to a TCB also wakes that thread
 * while it waits in Recv on an endpoint.
 *
 * An alarm makes a notification signal itself at a time: the timeouts of
 * an event loop, with the resolution of the kernel's tick (2 ms), without
 * a timer driver.  Set alarms sit in one list, earliest first.
 */
#include <kernel/endpoint.h>
#include <kernel/notification.h>
#include <kernel/sched.h>
#include <kernel/trace.h>

static void alarm_remove(struct notification *n);

static void deliver(struct tcb *t, word_t word)
{
    t->ctx.regs[REG_A0] = word;
    t->ctx.regs[REG_A1] = 0;
    t->blocked_on = NULL;
    thread_make_runnable(t);
}

void notification_signal(struct notification *n, word_t badge)
{
    TRACE_SIGNAL(n, badge);
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
        TRACE_SIGNAL_TAKEN(n, t, n->word);
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
    alarm_remove(n);
    while (n->head) {
        struct tcb *t = n->head;
        tcb_queue_remove(&n->head, &n->tail, t);
        t->blocked_on = NULL;
        thread_restart(t);
    }
    if (n->state == NTFN_WAITING)
        n->state = NTFN_IDLE;
}

static struct notification *alarms;

static void alarm_remove(struct notification *n)
{
    if (!n->alarm_deadline)
        return;
    for (struct notification **link = &alarms; *link; link = &(*link)->alarm_next) {
        if (*link == n) {
            *link = n->alarm_next;
            break;
        }
    }
    n->alarm_next = NULL;
    n->alarm_deadline = 0;
}

void notification_set_alarm(struct notification *n, word_t deadline, word_t badge)
{
    alarm_remove(n);
    if (!deadline)
        return;
    n->alarm_deadline = deadline;
    n->alarm_badge = badge;
    struct notification **link = &alarms;
    while (*link && (*link)->alarm_deadline <= deadline)
        link = &(*link)->alarm_next;
    n->alarm_next = *link;
    *link = n;
}

void notification_fire_alarms(word_t now)
{
    while (alarms && alarms->alarm_deadline <= now) {
        struct notification *n = alarms;
        alarms = n->alarm_next;
        n->alarm_next = NULL;
        n->alarm_deadline = 0;
        notification_signal(n, n->alarm_badge);
    }
}
