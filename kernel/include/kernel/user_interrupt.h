/*
 * User interrupts: the kernel's emulation of the RISC-V N extension, for
 * tokens (libsel/include/sel/uintr.h describes what user space sees).
 */
#ifndef KERNEL_USER_INTERRUPT_H
#define KERNEL_USER_INTERRUPT_H

#include <kernel/tcb.h>

/* The receiving end: bound to one thread, holding the bits raised and not yet delivered. */
struct user_interrupt {
    struct tcb *tcb;        /* the thread it interrupts, or NULL while unbound */
    word_t pending;         /* the uip bits */
};

_Static_assert(sizeof(struct user_interrupt) <= BIT(SEL_USER_INTERRUPT_BITS), "fits its object size");

static inline struct user_interrupt *user_interrupt_of(const struct cap *cap)
{
    return (struct user_interrupt *)cap->ptr;
}

/* Raises bits (a token's badge): interrupts the bound thread now, wakes it, or leaves them pending. */
void user_interrupt_raise(struct user_interrupt *u, word_t bits);
/*
 * If t (about to return to user mode) has pending bits it has enabled and
 * is not in its handler, enters the handler: saves t's registers, updates
 * its CSRs, and points it at utvec.
 */
void user_interrupt_deliver(struct tcb *t);
/* Whether t may have something to deliver: the cheap test before user_interrupt_deliver. */
static inline bool user_interrupt_pending(const struct tcb *t)
{
    return t->bound_uintr && t->bound_uintr->pending;
}
/* Whether t would enter its handler now (it has enabled bits pending and is not in its handler). */
bool user_interrupt_deliverable(struct tcb *t);
/* The uret syscall: back to the interrupted code (restoring its registers), or an error in a0. */
void user_interrupt_return(struct tcb *t);
/* TCB_BindUserInterrupt / TCB_UnbindUserInterrupt. */
word_t user_interrupt_bind(struct user_interrupt *u, struct tcb *t);
void user_interrupt_unbind(struct tcb *t);
/* The last cap to u is gone. */
void user_interrupt_destroy(struct user_interrupt *u);

#endif
