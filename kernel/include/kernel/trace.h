/*
 * Kernel trace points (docs/trace.md): each TRACE_* below writes one
 * record (sel/trace_record.h says what each holds) into this hart's
 * buffer, which boot sets aside; tools/trace reads the buffers through
 * QEMU once the machine is stopped, and nothing on the machine reads them.
 *
 * They exist only in a kernel built with -DKERNEL_TRACE (make trace, make
 * run TRACE=1).  Without it each is nothing, arguments included, and the
 * kernel is the kernel without them: make bench checks that it is byte for
 * byte the one built from the tree with every TRACE_* line deleted
 * (tools/trace/bench_check.py), and that the two count the same
 * instructions.  So a trace point is one statement of its own, and its
 * arguments have no side effects.
 *
 * Cost in a tracing kernel (make bench): a record costs 12 instructions in
 * DebugTrace's loop (trace_event_instructions), where its constant words
 * are made once; the fastpath's one record per trip 25, which takes the
 * round trip from 394 to 444 (trace_on_ipc_roundtrip_instructions); the
 * slow path writes two records or more (entry, exit, and what happened in
 * between): the null syscall goes from 194 to 260.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <kernel/hart.h>
#include <sel/trace_record.h>

/* DebugTrace (SEL_SYS_DEBUG_TRACE); a kernel without tracing answers SEL_ILLEGAL_OPERATION. */
void trace_syscall(struct tcb *t);

#ifdef KERNEL_TRACE

#include <kernel/vspace.h>
#include "../../arch/riscv/csr.h"

extern sel_trace_control_t trace_control;

static inline __attribute__((always_inline)) uint32_t trace_thread(const struct tcb *t)
{
    return SEL_TRACE_THREAD_ID(t);   /* NULL gives 0 */
}

static inline __attribute__((always_inline)) uint32_t trace_object(const void *object)
{
    return SEL_TRACE_OBJECT_ID(object);
}

/*
 * Writes one record stamped time into h's buffer, or counts it lost when
 * the buffer is full (the first records are kept: a run's beginning is
 * what a reader looks for).  The word holding the kind is written last,
 * so a record the machine stopped in the middle of reads as none.
 */
static inline __attribute__((always_inline)) void trace_emit_at(struct hart *h, word_t time, unsigned kind,
                                                                unsigned flags, unsigned info, uint32_t thread,
                                                                uint32_t a, uint32_t b, uint64_t value)
{
    sel_trace_hart_t *buffer = h->trace;
    word_t cursor = buffer->cursor;
    if (unlikely(cursor >= buffer->end)) {
        buffer->lost++;
        return;
    }
    buffer->cursor = cursor + sizeof(sel_trace_record_t);
    volatile uint64_t *r = (volatile uint64_t *)cursor;
    r[0] = time;
    r[2] = b | (uint64_t)a << 32;
    r[3] = value;
    r[1] = kind | flags << 8 | info << 16 | (uint64_t)thread << 32;
}

static inline __attribute__((always_inline)) void trace_emit(struct hart *h, unsigned kind, unsigned flags,
                                                             unsigned info, uint32_t thread, uint32_t a, uint32_t b,
                                                             uint64_t value)
{
    trace_emit_at(h, csr_read(instret), kind, flags, info, thread, a, b, value);
}

/*
 * The fastpath's one record: from its trap (start) to the switch (now) to
 * next.  Its words are made here with 64-bit shifts (what trace_emit_at
 * would make of them, in fewer instructions: the fastpath is what a trace
 * costs most often); the time spent is taken modulo 2^16, which the
 * fastpath never comes near.
 */
static inline __attribute__((always_inline)) void trace_fastpath(struct hart *h, struct tcb *t, struct tcb *next,
                                                                 word_t start, word_t now, unsigned flags)
{
    sel_trace_hart_t *buffer = h->trace;
    word_t cursor = buffer->cursor;
    if (unlikely(cursor >= buffer->end)) {
        buffer->lost++;
        return;
    }
    buffer->cursor = cursor + sizeof(sel_trace_record_t);
    volatile uint64_t *r = (volatile uint64_t *)cursor;
    r[0] = start;
    r[2] = ((word_t)next >> 10) << 32 | ((next->ctx.regs[REG_A1] << 52) >> 52);
    r[3] = next->ctx.regs[REG_A0];
    r[1] = ((word_t)t >> 10) << 32 | (((now - start) << 48) >> 32) | flags << 8 | SEL_TRACE_FASTPATH;
}

struct endpoint;
struct notification;
struct user_interrupt;

void trace_init(paddr_t (*alloc)(unsigned bits));
void trace_thread_name(struct tcb *t);
void trace_kernel_enter(struct hart *h, struct tcb *t, word_t scause);
void trace_kernel_exit(struct hart *h, struct tcb *next);
void trace_interrupt(struct hart *h, word_t code);
void trace_idle(struct hart *h, unsigned kind);
void trace_invoke_begin(struct tcb *t, unsigned type, word_t label, word_t cptr);
void trace_invoke_end(struct tcb *t, word_t label, word_t err);
void trace_ipc_send(struct endpoint *ep, struct tcb *sender, word_t badge, bool blocking, bool is_call);
void trace_ipc_recv(struct endpoint *ep, struct tcb *receiver);
void trace_ipc_reply(struct tcb *replier, struct tcb *caller);
void trace_fault(struct tcb *t);
void trace_signal(struct notification *n, word_t badge);
void trace_signal_taken(struct notification *n, struct tcb *t, word_t word);
void trace_token_raise(struct user_interrupt *u, word_t bits);
void trace_token_deliver(struct tcb *t, word_t bits);
void trace_irq(unsigned irq, unsigned target_type);

#define TRACE_INIT(alloc)                       trace_init(alloc)
#define TRACE_THREAD_NAME(t)                    trace_thread_name(t)
#define TRACE_KERNEL_ENTER(h, t, scause)        trace_kernel_enter(h, t, scause)
#define TRACE_KERNEL_EXIT(h, next)              trace_kernel_exit(h, next)
#define TRACE_FASTPATH_START(start)             word_t start = csr_read(instret)
#define TRACE_FASTPATH(h, t, next, start, now, flags) trace_fastpath(h, t, next, start, now, flags)
#define TRACE_INTERRUPT(h, code)                trace_interrupt(h, code)
#define TRACE_IDLE_ENTER(h)                     trace_idle(h, SEL_TRACE_IDLE_ENTER)
#define TRACE_IDLE_EXIT(h)                      trace_idle(h, SEL_TRACE_IDLE_EXIT)
#define TRACE_INVOKE_BEGIN(t, type, label, cptr) trace_invoke_begin(t, type, label, cptr)
#define TRACE_INVOKE_END(t, label, err)         trace_invoke_end(t, label, err)
#define TRACE_IPC_SEND(ep, sender, badge, blocking, is_call) trace_ipc_send(ep, sender, badge, blocking, is_call)
#define TRACE_IPC_RECV(ep, receiver)            trace_ipc_recv(ep, receiver)
#define TRACE_IPC_REPLY(replier, caller)        trace_ipc_reply(replier, caller)
#define TRACE_FAULT(t)                          trace_fault(t)
#define TRACE_SIGNAL(n, badge)                  trace_signal(n, badge)
#define TRACE_SIGNAL_TAKEN(n, t, word)          trace_signal_taken(n, t, word)
#define TRACE_TOKEN_RAISE(u, bits)              trace_token_raise(u, bits)
#define TRACE_TOKEN_DELIVER(t, bits)            trace_token_deliver(t, bits)
#define TRACE_IRQ(irq, target_type)             trace_irq(irq, target_type)

#else

#define TRACE_INIT(alloc)                       ((void)0)
#define TRACE_THREAD_NAME(t)                    ((void)0)
#define TRACE_KERNEL_ENTER(h, t, scause)        ((void)0)
#define TRACE_KERNEL_EXIT(h, next)              ((void)0)
#define TRACE_FASTPATH_START(start)             ((void)0)
#define TRACE_FASTPATH(h, t, next, start, now, flags) ((void)0)
#define TRACE_INTERRUPT(h, code)                ((void)0)
#define TRACE_IDLE_ENTER(h)                     ((void)0)
#define TRACE_IDLE_EXIT(h)                      ((void)0)
#define TRACE_INVOKE_BEGIN(t, type, label, cptr) ((void)0)
#define TRACE_INVOKE_END(t, label, err)         ((void)0)
#define TRACE_IPC_SEND(ep, sender, badge, blocking, is_call) ((void)0)
#define TRACE_IPC_RECV(ep, receiver)            ((void)0)
#define TRACE_IPC_REPLY(replier, caller)        ((void)0)
#define TRACE_FAULT(t)                          ((void)0)
#define TRACE_SIGNAL(n, badge)                  ((void)0)
#define TRACE_SIGNAL_TAKEN(n, t, word)          ((void)0)
#define TRACE_TOKEN_RAISE(u, bits)              ((void)0)
#define TRACE_TOKEN_DELIVER(t, bits)            ((void)0)
#define TRACE_IRQ(irq, target_type)             ((void)0)

#endif

#endif
