/* Notification objects: a word of signal bits and a queue of waiters. */
#ifndef KERNEL_NOTIFICATION_H
#define KERNEL_NOTIFICATION_H

#include <kernel/tcb.h>

enum notification_state { NTFN_IDLE, NTFN_WAITING, NTFN_ACTIVE };

struct notification {
    word_t state;           /* enum notification_state */
    struct tcb *head;       /* waiters, while NTFN_WAITING */
    struct tcb *tail;
    struct tcb *bound_tcb;
    word_t word;            /* OR of the badges signalled, while NTFN_ACTIVE */
    /* An alarm: signal alarm_badge at time alarm_deadline (rdtime units); 0 while none is set. */
    word_t alarm_deadline;
    word_t alarm_badge;
    struct notification *alarm_next;    /* the list of set alarms, earliest first */
};

_Static_assert(sizeof(struct notification) <= BIT(SEL_NOTIFICATION_BITS), "a notification fits its object size");

static inline struct notification *notification_of(const struct cap *cap)
{
    return (struct notification *)cap->ptr;
}

void notification_signal(struct notification *n, word_t badge);
void notification_wait(struct notification *n, struct tcb *t, bool blocking);
void notification_cancel_wait(struct tcb *t);
void notification_cancel_all(struct notification *n);
/* If t's bound notification is active, delivers it to t and returns true. */
bool notification_deliver_bound(struct tcb *t);
/* SetAlarm: signal badge at deadline (now, if it has passed); deadline 0 cancels. */
void notification_set_alarm(struct notification *n, word_t deadline, word_t badge);
/* Signals the notifications whose alarm is due at time now (the boot hart's tick). */
void notification_fire_alarms(word_t now);

#endif
