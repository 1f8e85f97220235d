/* Preemption points: see include/kernel/preempt.h. */
#include <kernel/lock.h>
#include <kernel/preempt.h>
#include "../arch/riscv/csr.h"

void preemption_start(void) { this_hart()->preempt_work = 0; }

void preemption_yield(struct hart *h)
{
    if (!__atomic_load_n(&lock_waiters, __ATOMIC_RELAXED))
        return;
    word_t generation = __atomic_load_n(&lock_generation, __ATOMIC_RELAXED);
    kernel_unlock();
    unsigned turns = 0;
    while (__atomic_load_n(&lock_generation, __ATOMIC_ACQUIRE) == generation &&
           __atomic_load_n(&lock_waiters, __ATOMIC_RELAXED))
        spin_wait_turn(&turns);
    kernel_lock(h);
}

bool preemption_point(unsigned units)
{
    struct hart *h = this_hart();
    h->preempt_work += units;
    if (h->preempt_work < PREEMPT_BATCH)
        return false;
    h->preempt_work = 0;
    return (csr_read(sip) & csr_read(sie)) != 0 || __atomic_load_n(&lock_waiters, __ATOMIC_RELAXED) != 0;
}
