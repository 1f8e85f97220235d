/* The scheduler: 256 priorities, round robin within each, one queue set per hart. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <kernel/hart.h>

/* Puts a RUNNING thread on its hart's ready queue (at the back, or the front if head). */
void sched_enqueue(struct tcb *t, bool head);
void sched_dequeue(struct tcb *t);
/* Makes t RUNNING and queues it; asks its hart to reschedule if t should preempt. */
void thread_make_runnable(struct tcb *t);
/* Rewinds t to its syscall instruction and makes it runnable (its IPC object went away). */
void thread_restart(struct tcb *t);
/* Takes t off whichever hart runs or queues it (stalling a remote hart if needed). */
void thread_evict(struct tcb *t);
/* Undoes thread_evict for a thread still RUNNING. */
void thread_readmit(struct tcb *t);
/* Picks the thread this hart runs next (h->current, NULL to idle). */
void schedule(struct hart *h);
/* Called on each timer tick. */
void sched_tick(struct hart *h);
/* Sends this hart's IPI to hart index. */
void hart_kick(unsigned index);

#endif
