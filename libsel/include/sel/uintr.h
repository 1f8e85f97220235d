/*
 * User-interrupt tokens: the RISC-V N extension, emulated by the kernel.
 *
 * A token is a capability that interrupts another thread in user mode.
 * The receiving thread's UserInterrupt object (Retype, then
 * sel_tcb_bind_user_interrupt) collects bits; a token is a badged copy of
 * its cap (Mint with the bits as badge, keeping Write); sel_token_send()
 * raises the token's bits in the receiver.  The receiver sets a handler
 * (sel_uintr_set_handler) and enables the bits it wants (uie) and user
 * interrupts as a whole (ustatus.UIE).  Then, for enabled bits:
 *
 *   receiver running on another hart   an IPI diverts it into its handler at once
 *   blocked in Recv or Wait            woken into its handler; after uret it repeats the Recv or Wait
 *                                      (one that finds a message waiting takes it first, then the handler)
 *   ready, or blocked in Send or Call  enters its handler when it next runs (after the Call's reply)
 *   masked (UIE or the uie bit clear)  the bits stay pending in uip until it unmasks
 *
 * The handler receives the bits taken (the uip bits delivered, also in
 * utval) and the interrupted pc (uepc), runs with UIE clear (bits raised
 * meanwhile stay pending: handlers never nest), and returns with uret,
 * which restores every register of the interrupted code, resumes it at
 * uepc (the handler may change it), sets UIE back to what it was, and
 * enters the handler again at once if more enabled bits are pending.
 *
 * Tokens and notifications do different jobs: a token makes a running
 * thread react now, without the kernel if the hardware had the N extension;
 * a notification wakes a thread that sleeps in its event loop.  Waking a
 * blocked thread costs 952 instructions with a token, 611 with a
 * notification (make bench): delivery saves and restores every register.
 *
 * A token whose bits are already pending costs the receiver nothing: no
 * IPI, no second handler entry.  A handler that only notes the bits for
 * later can mask them (uie) until it has looked, as the event loop does,
 * so that tokens meanwhile stay pending for free.
 *
 * The CSRs are memory here (sel/uintr_csrs.h): enabling and disabling is a
 * store, and sel_uintr_enable() enters the kernel only if something is
 * pending, to have it delivered as the hardware would at once.
 */
#ifndef SEL_UINTR_H
#define SEL_UINTR_H

#include <sel/syscall.h>

/* This thread's user-interrupt CSRs (in its IPC buffer). */
static inline volatile sel_uintr_csrs_t *sel_uintr_csrs(void) { return &__sel_ipc_buffer->uintr; }

/* Raises the bits of token (a badged UserInterrupt cap with Write) in the thread it interrupts. */
static inline void sel_token_send(sel_cptr_t token)
{
    sel_word_t a0 = token, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_SEND, &a0, 0, &m0, &m1, &m2, &m3);
}

/*
 * The handler: bits are the token bits delivered, uepc where the thread was
 * interrupted.  It runs on the interrupted stack, below its sp, with user
 * interrupts disabled; when it returns, the thread resumes where it was
 * (at sel_uintr_csrs()->uepc, which it may change).
 */
typedef void (*sel_uintr_handler_t)(sel_word_t bits, sel_word_t uepc);

/* Makes handler this thread's user-interrupt handler (utvec points at libsel's entry, which calls it). */
void sel_uintr_set_handler(sel_uintr_handler_t handler);

/* Enables the token bits in mask (uie); the bits outside it stay pending if raised. */
void sel_uintr_enable_bits(sel_word_t mask);

/*
 * Enables user interrupts (ustatus.UIE).  Anything pending and enabled is
 * delivered before this returns.  Returns whether they were enabled before.
 */
bool sel_uintr_enable(void);

/* Disables user interrupts; returns whether they were enabled. */
static inline bool sel_uintr_disable(void)
{
    volatile sel_uintr_csrs_t *csrs = sel_uintr_csrs();
    sel_word_t status = csrs->ustatus;
    csrs->ustatus = status & ~SEL_USTATUS_UIE;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);   /* nothing below moves above the store */
    return status & SEL_USTATUS_UIE;
}

/* Returns from a handler (libsel's entry does this when the handler returns). */
static inline __attribute__((noreturn)) void sel_uret(void)
{
    sel_word_t a0 = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_URET, &a0, 0, &m0, &m1, &m2, &m3);
    __builtin_trap();   /* uret outside a handler returns an error instead */
}

#endif
