/* The big kernel lock: one hart in the kernel at a time, as in seL4's SMP kernel. */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <kernel/hart.h>

/* A whole word, so the atomic swap needs no sign extension. */
extern word_t big_lock;
/* How many harts spin for the lock now: a long operation stops for them (preempt.h) ... */
extern word_t lock_waiters;
/* ... and how often one of them got it (so the one that stopped can tell when to go on). */
extern word_t lock_generation;

/*
 * One turn of a loop that waits for another hart.  After many turns (far
 * longer than any wait on real hardware) it halts until the next interrupt:
 * QEMU's single-threaded mode (-icount, as make bench runs it) runs one hart
 * at a time and does not switch away from a hart that spins, so the hart
 * being waited for would never run.  *turns counts the turns.
 */
static inline void spin_wait_turn(unsigned *turns)
{
    if (++*turns == (1u << 16)) {
        __asm__ volatile("wfi");
        *turns = 0;
    }
}

/* Spins for the lock, answering stall requests meanwhile (lock.c). */
void kernel_lock_contended(struct hart *h);

static inline void kernel_lock(struct hart *h)
{
    if (__atomic_exchange_n(&big_lock, 1, __ATOMIC_ACQUIRE))
        kernel_lock_contended(h);
}

/* Takes the lock if it is free, without waiting. */
static inline bool kernel_trylock(void) { return !__atomic_exchange_n(&big_lock, 1, __ATOMIC_ACQUIRE); }

/* A release AMO: one instruction, where a release store compiles to a fence and a store. */
static inline void kernel_unlock(void)
{
    __asm__ volatile("amoswap.d.rl zero, zero, (%0)" ::"r"(&big_lock) : "memory");
}

#endif
