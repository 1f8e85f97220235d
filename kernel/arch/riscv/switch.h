/* Leaving the kernel for a thread: the last steps of every path out (slow path and fastpath). */
#ifndef ARCH_SWITCH_H
#define ARCH_SWITCH_H

#include <kernel/kernel.h>
#include <kernel/lock.h>
#include <kernel/trace.h>
#include <kernel/vspace.h>
#include "csr.h"

/* The thread's satp, from its cache unless some VSpace changed since it was computed. */
static inline __attribute__((always_inline)) word_t tcb_satp(struct tcb *t)
{
    if (unlikely(t->satp_generation != vspace_generation)) {
        word_t satp = vm_satp_for(&t->slots[TCB_VSPACE].cap);
        word_t asid = (satp >> 44) & 0xffff;
        t->satp = satp;
        t->satp_asid_word = (uint16_t)(asid / 64);
        t->satp_asid_bit = BIT(asid % 64);
        t->satp_asid_marked_on = NULL;
        t->satp_generation = vspace_generation;
    }
    return t->satp;
}

/* Makes next's address space this hart's (next runs here: next->ctx.hart == h). */
static inline __attribute__((always_inline)) void switch_address_space(struct hart *h, struct tcb *next)
{
    word_t satp = tcb_satp(next);
    if (satp != h->satp) {
        /*
         * Remember this hart ran the ASID, for TLB shootdowns.  Once is
         * enough until vm_flush_asid clears the bit, which bumps the
         * generation and so resets satp_asid_marked_on.
         */
        if (next->satp_asid_marked_on != h) {
            h->asid_used[next->satp_asid_word] |= next->satp_asid_bit;
            next->satp_asid_marked_on = h;
        }
        csr_write(satp, satp);
        h->satp = satp;
    }
}

/*
 * CPU accounting: the instructions since the last switch go to the thread
 * (or idle, or the kernel) that had the hart, and from now on to next.
 * On the slow path's exit only when the thread changes (a compare and a
 * branch otherwise: the null syscall's round trip went from 192 to 194).
 */
static inline __attribute__((always_inline)) void account_switch(struct hart *h, struct tcb *next)
{
    word_t now = csr_read(instret);
    word_t ran = now - h->charged_since;
    if (h->charged)
        h->charged->cpu_instructions += ran;
    else
        h->kernel_instructions += ran;
    h->charged_since = now;
    h->charged = next;
}

/* Runs next on this hart; does not return. */
static inline __attribute__((always_inline)) NORETURN void switch_to_user(struct hart *h, struct tcb *next)
{
    TRACE_KERNEL_EXIT(h, next);
    if (h->charged != next)
        account_switch(h, next);
    switch_address_space(h, next);
    kernel_unlock();
    restore_user(&next->ctx);
}

#endif
