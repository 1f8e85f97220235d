/* Notification invocations beyond Signal, Wait and Poll (those are in sel/syscall.h). */
#ifndef SEL_NOTIFICATION_H
#define SEL_NOTIFICATION_H

#include <sel/types.h>

/* The time, in timebase ticks (sel_get_bootinfo()->timebase_frequency per second). */
static inline sel_word_t sel_time_now(void)
{
    sel_word_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/*
 * Sets ntfn's alarm (the cap needs Write): at time deadline the kernel
 * signals ntfn with badge (at once if deadline has passed).  One alarm per
 * notification: setting it again moves it; deadline 0 cancels it.  The
 * kernel checks alarms on its tick, so one fires up to 2 ms late.
 * (A Call on a notification with any other label signals it.)
 */
sel_error_t sel_notification_set_alarm(sel_cptr_t ntfn, sel_word_t deadline, sel_word_t badge);

#endif
