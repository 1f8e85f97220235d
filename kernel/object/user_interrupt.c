/*
 * User interrupts: the kernel's emulation of the RISC-V N extension.
 *
 * A UserInterrupt object is the receiving end of tokens: bound to one
 * thread, it collects the bits that Send on a (badged) token cap raises.
 * The thread's emulated CSRs (ustatus, uie, uip, utvec, uepc, ...) live in
 * its IPC buffer, where it reads and writes them as it would the real ones.
 *
 * Bits the thread has enabled (ustatus.UIE and uie) are delivered when it
 * is about to return to user mode, which the raise arranges as soon as it
 * can: a thread running on another hart gets an IPI (that hart's kernel
 * exit delivers them), a thread blocked in Recv or Wait is woken with its
 * syscall rewound so it repeats it after uret, and a thread that is ready,
 * or blocked in Send or Call, gets them when it next runs.  Delivery saves
 * all its registers in its TCB and enters utvec with UIE cleared; bits
 * raised meanwhile stay pending until uret (handlers never nest, so one
 * saved context suffices), and uret delivers them at once if enabled.
 */
#include <kernel/endpoint.h>
#include <kernel/notification.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/trace.h>
#include <kernel/user_interrupt.h>
#include <sel/uintr_csrs.h>

#define IPCBUF_UINTR_CSRS 128   /* word offset of sel_ipc_buffer_t.uintr */

/* The thread's CSRs, in its IPC buffer; NULL if it has none. */
static volatile sel_uintr_csrs_t *csrs_of(struct tcb *t)
{
    word_t *buffer = tcb_ipc_buffer(t, SEL_READ_WRITE);   /* the kernel writes uip, uepc, ... */
    return buffer ? (volatile sel_uintr_csrs_t *)&buffer[IPCBUF_UINTR_CSRS] : NULL;
}

/* The pending bits t would take now, or 0 (masked, in its handler, no handler, no buffer). */
static word_t deliverable(struct tcb *t, volatile sel_uintr_csrs_t *csrs)
{
    struct user_interrupt *u = t->bound_uintr;
    if (!u || !u->pending || t->uintr_in_handler || !csrs)
        return 0;
    if (!(csrs->ustatus & SEL_USTATUS_UIE) || !csrs->utvec)
        return 0;
    return u->pending & csrs->uie;
}

bool user_interrupt_deliverable(struct tcb *t) { return deliverable(t, csrs_of(t)) != 0; }

void user_interrupt_raise(struct user_interrupt *u, word_t bits)
{
    TRACE_TOKEN_RAISE(u, bits);
    /*
     * Bits already pending change nothing: the thread takes them once, as
     * it would have, so a flood of tokens costs it nothing more than the
     * first (no IPI, no second handler entry).  Unless it sleeps with them
     * (bound while it slept): then it is woken below, as ever.
     */
    struct tcb *t = u->tcb;
    bool sleeping = t && (t->state == THREAD_BLOCKED_ON_RECV || t->state == THREAD_BLOCKED_ON_NOTIFICATION);
    if ((u->pending & bits) == bits && !sleeping)
        return;
    u->pending |= bits;
    if (!t)
        return;
    volatile sel_uintr_csrs_t *csrs = csrs_of(t);
    if (csrs)
        csrs->uip = u->pending;
    /*
     * The thread may be unmasking on another hart right now: it stores UIE
     * or uie and then loads uip (sel_uintr_enable).  With a full fence on
     * both sides, it sees our uip or we see its enable.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!deliverable(t, csrs))
        return;
    switch (t->state) {
    case THREAD_RUNNING: {
        struct hart *h = &harts[t->hart];
        /* On another hart: make it enter the kernel, whose exit delivers.  Here or ready: on the way out. */
        if (h->current == t && h != this_hart() && h->online)
            hart_kick(h->index);
        break;
    }
    case THREAD_BLOCKED_ON_RECV:
    case THREAD_BLOCKED_ON_NOTIFICATION:
        /* Woken into its handler; after uret it repeats the Recv or Wait. */
        tcb_cancel_ipc(t);
        thread_restart(t);
        break;
    default:
        /* In Send or Call, or not running at all: when it next returns to user mode. */
        break;
    }
}

void user_interrupt_deliver(struct tcb *t)
{
    volatile sel_uintr_csrs_t *csrs = csrs_of(t);
    word_t bits = deliverable(t, csrs);
    if (!bits)
        return;
    TRACE_TOKEN_DELIVER(t, bits);
    struct user_interrupt *u = t->bound_uintr;
    u->pending &= ~bits;
    memcpy(t->uintr_saved, t->ctx.regs, sizeof(t->uintr_saved));
    t->uintr_in_handler = true;
    word_t status = csrs->ustatus;
    csrs->ustatus = (status & ~(SEL_USTATUS_UIE | SEL_USTATUS_UPIE)) | SEL_USTATUS_UPIE;   /* UIE was set */
    csrs->uip = u->pending;
    csrs->uepc = t->ctx.regs[REG_PC];
    csrs->ucause = SEL_UCAUSE_USER_SOFTWARE;
    csrs->utval = bits;
    t->ctx.regs[REG_A0] = bits;
    t->ctx.regs[REG_A1] = t->ctx.regs[REG_PC];
    t->ctx.regs[REG_PC] = csrs->utvec;
}

void user_interrupt_return(struct tcb *t)
{
    if (!t->uintr_in_handler) {
        t->ctx.regs[REG_A0] = SEL_ILLEGAL_OPERATION;
        return;
    }
    memcpy(t->ctx.regs, t->uintr_saved, sizeof(t->uintr_saved));
    t->uintr_in_handler = false;
    volatile sel_uintr_csrs_t *csrs = csrs_of(t);
    if (csrs) {
        word_t status = csrs->ustatus;
        t->ctx.regs[REG_PC] = csrs->uepc;
        /* As the draft's uret: UIE = UPIE, UPIE = 1. */
        csrs->ustatus = (status & ~SEL_USTATUS_UIE) | ((status & SEL_USTATUS_UPIE) ? SEL_USTATUS_UIE : 0) |
                        SEL_USTATUS_UPIE;
    }
    /* Bits raised while it was in the handler are delivered on the way out (kernel_exit). */
}

word_t user_interrupt_bind(struct user_interrupt *u, struct tcb *t)
{
    if (u->tcb || t->bound_uintr)
        return SEL_ILLEGAL_OPERATION;
    u->tcb = t;
    t->bound_uintr = u;
    /* Bits raised before the binding are pending for it now (delivered when it next leaves the kernel). */
    volatile sel_uintr_csrs_t *csrs = csrs_of(t);
    if (csrs)
        csrs->uip = u->pending;
    return SEL_NO_ERROR;
}

void user_interrupt_unbind(struct tcb *t)
{
    if (!t->bound_uintr)
        return;
    t->bound_uintr->tcb = NULL;
    t->bound_uintr = NULL;
}

void user_interrupt_destroy(struct user_interrupt *u)
{
    if (u->tcb)
        user_interrupt_unbind(u->tcb);
}
