/* Per-hart kernel state: the scheduler's queues and the current thread. */
#ifndef KERNEL_HART_H
#define KERNEL_HART_H

#include <kernel/config.h>
#include <kernel/prio_bitmap.h>
#include <kernel/tcb.h>
#include <sel/abi.h>

struct hart {
    struct tcb *current;            /* NULL while the hart idles */
    /* Another hart asks this one to stop running a thread (see sched.c). */
    struct tcb *stall_request;
    bool reschedule;                /* a thread of higher priority may be ready */
    bool rotate_current;            /* current yields or used up its slice: to the back */
    bool online;
    unsigned index;
    word_t hartid;
    word_t kernel_stack_top;
    word_t satp;                    /* what satp holds now */
    word_t next_tick;
    int plic_context;               /* S-mode PLIC context, -1 if none */
    word_t slow_ipc_syscalls;       /* Call and ReplyRecv the slow path handled (DebugFastpath) */
    word_t kernel_entries;          /* traps from user mode, the fastpath's included (DebugKernelEntries) */
    word_t interrupt_entries;       /* of those, interrupts */
    word_t ipis_sent;               /* IPIs this hart sent to others */
    unsigned preempt_work;          /* work since the last look at interrupts (preempt.h) */
    bool fastpath_on;               /* stvec is trap_entry, not trap_entry_without_fastpath */
#ifdef KERNEL_TRACE
    struct sel_trace_hart *trace;   /* this hart's trace buffer (kernel/trace.h) */
#endif
    /*
     * CPU accounting (DebugCpuTime): the instructions since charged_since
     * (an instret reading) go to the thread charged, or while idling (in
     * wfi) to idle_instructions, or with neither to kernel_instructions.
     * While a thread runs in user mode here, it is the one charged.
     */
    bool idling;
    struct tcb *charged;
    word_t charged_since;
    word_t idle_instructions;
    word_t kernel_instructions;     /* in the kernel for no thread: on the way into and out of idle */
    struct prio_bitmap ready_bitmap;    /* near the start: the fastpath reads it with a short offset */
    /* ASIDs this hart has run since its TLB last forgot them: who needs a remote fence. */
    word_t asid_used[BIT(16) / 64];
    struct tcb *ready_head[SEL_NUM_PRIORITIES];
    struct tcb *ready_tail[SEL_NUM_PRIORITIES];
};

extern struct hart harts[MAX_HARTS];
extern unsigned num_harts;

/* The kernel keeps this hart's struct in tp. */
static inline struct hart *this_hart(void)
{
    struct hart *h;
    __asm__("mv %0, tp" : "=r"(h));
    return h;
}

#endif
