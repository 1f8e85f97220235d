/*
 * Preemption points in long operations: Retype zeroing its memory, and
 * Revoke and Delete destroying objects (seL4 has them in the same places).
 * After each piece of work the operation asks preemption_point() whether
 * to stop: every so often it looks whether an interrupt waits on this hart
 * or another hart waits for the kernel lock.  If so, the operation leaves
 * every object consistent and returns KERNEL_PREEMPTED; the syscall is
 * rewound to its ecall (syscall.c) and goes back to user mode, where the
 * interrupt is taken (or the other hart gets the lock), and when the
 * thread runs again it makes the same call, which resumes where it stopped.
 */
#ifndef KERNEL_PREEMPT_H
#define KERNEL_PREEMPT_H

#include <kernel/types.h>

/* Returned by an operation stopped at a preemption point; user space never sees it. */
#define KERNEL_PREEMPTED ((word_t)-1)

/* Work units (about ten instructions each) between looks at the interrupts and the lock. */
#define PREEMPT_BATCH 2048

/* Counts units of work done; true if the operation should stop here. */
bool preemption_point(unsigned units);

/* An invocation starts (or starts again): a whole batch of work before the first look. */
void preemption_start(void);

struct hart;
/*
 * After an operation stopped: if another hart waits for the lock, lets it
 * have the lock first (the lock is not fair, and this hart would take it
 * back at once when its thread makes the call again).  Touches nothing
 * the other hart may have changed meanwhile.
 */
void preemption_yield(struct hart *h);

#endif
