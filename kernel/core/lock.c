/*
 * The big kernel lock.  A hart waiting for it also answers stall requests:
 * the lock holder may need this hart to stop running a thread (to suspend
 * or destroy it, or read its registers), and this hart cannot take the lock
 * to find out, so it checks while it spins.
 */
#include <kernel/lock.h>
#include <kernel/vspace.h>
#include "../arch/riscv/csr.h"

word_t big_lock;
word_t lock_waiters;
word_t lock_generation;

static void answer_stall(struct hart *h)
{
    struct tcb *t = __atomic_load_n(&h->stall_request, __ATOMIC_ACQUIRE);
    if (!t)
        return;
    if (h->current == t) {
        /* Its registers are saved (we trapped in); leave its address space too. */
        h->current = NULL;
        if (h->satp != kernel_satp) {
            csr_write(satp, kernel_satp);
            h->satp = kernel_satp;
        }
    }
    __atomic_store_n(&h->stall_request, NULL, __ATOMIC_RELEASE);
}

void kernel_lock_contended(struct hart *h)
{
    unsigned turns = 0;
    __atomic_fetch_add(&lock_waiters, 1, __ATOMIC_RELAXED);
    do {
        do {
            answer_stall(h);
            spin_wait_turn(&turns);
        } while (__atomic_load_n(&big_lock, __ATOMIC_RELAXED));
    } while (__atomic_exchange_n(&big_lock, 1, __ATOMIC_ACQUIRE));
    __atomic_fetch_sub(&lock_waiters, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&lock_generation, 1, __ATOMIC_RELEASE);
}
