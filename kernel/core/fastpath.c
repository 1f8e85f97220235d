/*
 * The IPC fastpath: Call and ReplyRecv in the case that dominates
 * client-server traffic, as in seL4.  It applies when the message fits the
 * four message registers and carries no caps, the CSpace is one CNode
 * level, the partner is already waiting on this hart, and the partner may
 * run at once (no ready thread outranks it).  It then does exactly what the
 * slow path (endpoint.c, syscall.c) would, in straight-line code, and
 * switches directly to the partner.  Anything else returns, and the slow
 * path, which defines the semantics, handles it; tests/kernel/test_fastpath.c
 * checks that the two agree.
 *
 * Cost, measured by make bench (user rdinstret to rdinstret, another
 * address space, one hart): a Call answered by ReplyRecv, 394 instructions
 * round trip (seL4: 708); a Call one way, 193 (seL4: 335); the null
 * syscall's round trip is 194.  CPU accounting (8 instructions at each
 * switch, so 16 of the round trip) is included.  With tracing built in
 * (make trace: one trace record per trip, kernel/trace.h) the round trip
 * is 444; without it the code is the same as with no trace points at all
 * (make bench checks).
 */
#include <kernel/endpoint.h>
#include <kernel/kernel.h>
#include <kernel/notification.h>
#include <kernel/sched.h>
#include <kernel/user_interrupt.h>
#include <kernel/vspace.h>
#include "../arch/riscv/switch.h"

/*
 * Bits 0-11 of the message tag: length (7 bits), extra caps (2), caps
 * unwrapped (3).  The fastpath takes a message whose low 12 bits are at most
 * 4: a length that fits the registers, no caps, nothing unwrapped (so the
 * tag passes on unchanged).
 */
#define INFO_LOW_BITS 12

/* The message length if the fastpath can carry the message, else a number above 4. */
static inline __attribute__((always_inline)) word_t short_message_length(word_t info)
{
    return (info << (SEL_WORD_BITS - INFO_LOW_BITS)) >> (SEL_WORD_BITS - INFO_LOW_BITS);
}

/*
 * handle_trap, handle_trap_locked and restore_user declared without
 * NORETURN, under their own symbols: a call to them in tail position then
 * compiles to a plain jump, and the fastpath needs no stack frame at all
 * (a noreturn call would be a jal, and ra would have to be saved).
 */
void slow_path(struct user_context *ctx, word_t scause) __asm__("handle_trap");
void slow_path_locked(struct hart *h, struct tcb *t, word_t scause) __asm__("handle_trap_locked");
void jump_to_user(struct user_context *ctx) __asm__("restore_user");

/*
 * Whether t's CSpace is a single CNode that resolves all 64 bits of cptr;
 * then *slot is the slot cptr names.
 */
static inline __attribute__((always_inline)) bool lookup_single_level(struct tcb *t, word_t cptr, struct cte **slot)
{
    const struct cap *root = &t->slots[TCB_CSPACE].cap;
    unsigned radix = root->size_bits;
    word_t guard = root->data;
    /* A CNode's radix is below 64 (cnode.c), so the shifts are defined. */
    if (root->type != SEL_CAP_TYPE_CNODE || radix + root->guard_bits != SEL_WORD_BITS || (cptr >> radix) != guard)
        return false;
    /* The guard matched, so the index is what is left of cptr below it. */
    *slot = &((struct cte *)root->ptr)[cptr - (guard << radix)];
    return true;
}

/*
 * next runs on this hart and every thread ready here has a lower priority,
 * so schedule() would pick next once it is made runnable and the current
 * thread blocks.  (With a ready thread of next's priority, schedule() would
 * pick that one, which was queued first: the slow path's business.)
 */
static inline __attribute__((always_inline)) bool may_run_now(struct hart *h, const struct tcb *next)
{
    if (h->reschedule || h->rotate_current || next->ctx.hart != h)
        return false;
    return prio_bitmap_empty(&h->ready_bitmap) || !prio_bitmap_any_at_or_above(&h->ready_bitmap, next->priority);
}

/* Copies length (at most 4) message registers and the tag, and passes the badge. */
static inline __attribute__((always_inline)) void copy_short_message(struct tcb *from, struct tcb *to, word_t info,
                                                                     word_t length, word_t badge)
{
    /* Short messages first: they are the common ones. */
    if (length > 0) {
        to->ctx.regs[REG_A2] = from->ctx.regs[REG_A2];
        if (length > 1) {
            to->ctx.regs[REG_A3] = from->ctx.regs[REG_A3];
            if (length > 2) {
                to->ctx.regs[REG_A4] = from->ctx.regs[REG_A4];
                if (length > 3)
                    to->ctx.regs[REG_A5] = from->ctx.regs[REG_A5];
            }
        }
    }
    to->ctx.regs[REG_A0] = badge;
    to->ctx.regs[REG_A1] = info;
}

/* Call: the server it goes to, now current, or NULL for the slow path. */
static inline __attribute__((always_inline)) struct tcb *call_fast(struct hart *h, struct tcb *t)
{
    word_t info = t->ctx.regs[REG_A1];
    word_t length = short_message_length(info);
    if (length > SEL_FAST_MESSAGE_REGISTERS)
        return NULL;
    struct cte *slot;
    if (!lookup_single_level(t, t->ctx.regs[REG_A0], &slot) || slot->cap.type != SEL_CAP_TYPE_ENDPOINT ||
        !(slot->cap.rights & SEL_CAN_WRITE))
        return NULL;
    struct endpoint *ep = endpoint_of(&slot->cap);
    if (ep->state != EP_RECV)
        return NULL;
    struct tcb *server = ep->head;
    /* Raised while it waited (and enabled): the slow path's exit delivers them first, as for the reply. */
    if (!may_run_now(h, server) || user_interrupt_pending(server))
        return NULL;

    /* From here on this is endpoint_send() for a Call that finds its receiver waiting. */
    t->ctx.regs[REG_PC] += 4;
    ep->head = server->ipc_next;
    if (ep->head)
        ep->head->ipc_prev = NULL;
    else {
        ep->tail = NULL;
        ep->state = EP_IDLE;
    }
    server->ipc_next = NULL;
    server->blocked_on = NULL;
    copy_short_message(t, server, info, length, slot->cap.data);
    t->state = THREAD_BLOCKED_ON_REPLY;
    reply_link(server, t, slot->cap.rights & (SEL_CAN_GRANT | SEL_CAN_GRANT_REPLY));
    server->state = THREAD_RUNNING;
    h->current = server;
    return server;
}

/* ReplyRecv: the caller it replies to, now current, or NULL for the slow path. */
static inline __attribute__((always_inline)) struct tcb *reply_recv_fast(struct hart *h, struct tcb *t)
{
    word_t info = t->ctx.regs[REG_A1];
    word_t length = short_message_length(info);
    if (length > SEL_FAST_MESSAGE_REGISTERS)
        return NULL;
    struct tcb *caller = t->reply_to;
    if (!caller || caller->state != THREAD_BLOCKED_ON_REPLY || caller->fault || !may_run_now(h, caller))
        return NULL;
    /* Raised while it waited: the slow path's exit delivers them. */
    if (user_interrupt_pending(caller))
        return NULL;
    struct cte *slot;
    if (!lookup_single_level(t, t->ctx.regs[REG_A0], &slot) || slot->cap.type != SEL_CAP_TYPE_ENDPOINT ||
        !(slot->cap.rights & SEL_CAN_READ))
        return NULL;
    struct endpoint *ep = endpoint_of(&slot->cap);
    /*
     * A sender already queued, or a bound notification already signalled,
     * is delivered at once; user interrupts raised for t are taken instead of
     * blocking: the slow path's business.
     */
    if (ep->state == EP_SEND || (t->bound_ntfn && t->bound_ntfn->state == NTFN_ACTIVE) ||
        user_interrupt_pending(t))
        return NULL;

    /* endpoint_reply(), then endpoint_receive() that finds nobody and blocks. */
    t->ctx.regs[REG_PC] += 4;
    copy_short_message(t, caller, info, length, 0);
    t->reply_to = NULL;
    caller->reply_from = NULL;
    caller->state = THREAD_RUNNING;
    t->state = THREAD_BLOCKED_ON_RECV;
    t->blocked_on = ep;
    tcb_queue_append(&ep->head, &ep->tail, t);
    ep->state = EP_RECV;
    h->current = caller;
    return caller;
}

/*
 * The entry points, from entry.S for an ecall with a7 = Call or ReplyRecv.
 * Every way out is a tail jump: to the partner, or to the slow path.
 *
 * No check that t is still this hart's current thread (handle_trap_locked
 * makes one): only another hart's stall request can change that while t
 * traps in, and this hart answers those only while waiting for the lock,
 * which it has not done if the lock was free.
 */
typedef struct tcb *fast_fn(struct hart *h, struct tcb *t);

/* Inlined into each entry point with its fast_fn, so each stays one frameless function. */
static inline __attribute__((always_inline)) void fastpath(struct user_context *ctx, fast_fn *fast)
{
    struct tcb *t = (struct tcb *)ctx;
    TRACE_FASTPATH_START(start);
    if (unlikely(!kernel_trylock())) {
        slow_path(ctx, EXC_ECALL_U);
        return;
    }
    struct hart *h = this_hart();
    struct tcb *next = fast(h, t);
    if (likely(next)) {
        h->kernel_entries++;
        /*
         * account_switch(), knowing that t (running in user mode until now)
         * is the thread charged: 8 instructions.
         */
        word_t now = csr_read(instret);
        TRACE_FASTPATH(h, t, next, start, now, fast == call_fast ? SEL_TRACE_IPC_CALL : SEL_TRACE_IPC_REPLY);
        t->cpu_instructions += now - h->charged_since;
        h->charged_since = now;
        h->charged = next;
        switch_address_space(h, next);
        kernel_unlock();
        jump_to_user(&next->ctx);
        return;
    }
    slow_path_locked(h, t, EXC_ECALL_U);
}

void fastpath_call(struct user_context *ctx) { fastpath(ctx, call_fast); }

void fastpath_reply_recv(struct user_context *ctx) { fastpath(ctx, reply_recv_fast); }
