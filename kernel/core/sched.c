/*
 * The scheduler.  Each hart has 256 ready queues and a bitmap of the
 * non-empty ones; a RUNNING thread is either its hart's current thread or
 * in one of that hart's queues, never both.  Threads do not migrate: a
 * thread runs on the hart SetAffinity gave it.
 */
#include <kernel/lock.h>
#include <kernel/sched.h>
#include "../arch/riscv/sbi.h"

struct hart harts[MAX_HARTS];
unsigned num_harts;

void sched_enqueue(struct tcb *t, bool head)
{
    struct hart *h = &harts[t->hart];
    unsigned p = t->priority;
    if (t->in_ready_queue)
        return;
    if (head) {
        t->sched_prev = NULL;
        t->sched_next = h->ready_head[p];
        if (h->ready_head[p])
            h->ready_head[p]->sched_prev = t;
        else
            h->ready_tail[p] = t;
        h->ready_head[p] = t;
    } else {
        t->sched_next = NULL;
        t->sched_prev = h->ready_tail[p];
        if (h->ready_tail[p])
            h->ready_tail[p]->sched_next = t;
        else
            h->ready_head[p] = t;
        h->ready_tail[p] = t;
    }
    prio_bitmap_set(&h->ready_bitmap, p);
    t->in_ready_queue = true;
}

void sched_dequeue(struct tcb *t)
{
    struct hart *h = &harts[t->hart];
    unsigned p = t->priority;
    if (!t->in_ready_queue)
        return;
    if (t->sched_prev)
        t->sched_prev->sched_next = t->sched_next;
    else
        h->ready_head[p] = t->sched_next;
    if (t->sched_next)
        t->sched_next->sched_prev = t->sched_prev;
    else
        h->ready_tail[p] = t->sched_prev;
    if (!h->ready_head[p])
        prio_bitmap_clear(&h->ready_bitmap, p);
    t->sched_next = t->sched_prev = NULL;
    t->in_ready_queue = false;
}

void hart_kick(unsigned index)
{
    this_hart()->ipis_sent++;
    sbi_send_ipi(1, harts[index].hartid);
}

void thread_make_runnable(struct tcb *t)
{
    struct hart *h = &harts[t->hart];
    t->state = THREAD_RUNNING;
    if (h->current == t)
        return;
    sched_enqueue(t, false);
    if (!h->current || t->priority > h->current->priority) {
        if (h == this_hart())
            h->reschedule = true;
        else if (h->online)
            hart_kick(h->index);
    }
}

void thread_restart(struct tcb *t)
{
    if (t->fault)
        t->fault = SEL_FAULT_NULL;   /* it re-executes the faulting instruction */
    else
        t->ctx.regs[REG_PC] -= 4;    /* back to its ecall */
    thread_make_runnable(t);
}

/* Asks hart h to stop running t, and waits until it has. */
static void stall(struct hart *h, struct tcb *t)
{
    __atomic_store_n(&h->stall_request, t, __ATOMIC_RELEASE);
    hart_kick(h->index);
    unsigned turns = 0;
    while (__atomic_load_n(&h->stall_request, __ATOMIC_ACQUIRE))
        spin_wait_turn(&turns);
}

void thread_evict(struct tcb *t)
{
    struct hart *h = &harts[t->hart];
    if (h->current == t) {
        if (h == this_hart())
            h->current = NULL;
        else
            stall(h, t);
    }
    sched_dequeue(t);
}

void thread_readmit(struct tcb *t)
{
    if (t->state == THREAD_RUNNING)
        thread_make_runnable(t);
}

void schedule(struct hart *h)
{
    struct tcb *cur = h->current;

    if (cur && cur->state == THREAD_RUNNING) {
        if (!h->reschedule && !h->rotate_current)
            return;
        if (h->rotate_current) {
            sched_enqueue(cur, false);
        } else if (prio_bitmap_empty(&h->ready_bitmap) ||
                   prio_bitmap_highest(&h->ready_bitmap) <= cur->priority) {
            h->reschedule = false;
            return;
        } else {
            sched_enqueue(cur, true);   /* preempted: it keeps its place */
        }
    }
    h->reschedule = false;
    h->rotate_current = false;

    if (prio_bitmap_empty(&h->ready_bitmap)) {
        h->current = NULL;
        return;
    }
    struct tcb *next = h->ready_head[prio_bitmap_highest(&h->ready_bitmap)];
    sched_dequeue(next);
    h->current = next;
}

void sched_tick(struct hart *h)
{
    struct tcb *cur = h->current;
    if (!cur)
        return;
    if (cur->timeslice > 1) {
        cur->timeslice--;
        return;
    }
    cur->timeslice = TIMESLICE_TICKS;
    h->rotate_current = true;
}
