/*
 * The kernel's trace (kernel/trace.h, docs/trace.md): a buffer per hart set
 * aside at boot, the trace points that are more than a line, and the
 * DebugTrace call, with which a thread registers its own ring of user
 * records (sel/trace.h) and the benchmark has the kernel write records.
 *
 * Nothing here reads user memory, or the buffers: tools/trace copies
 * trace_control, the buffers and the registered rings out through QEMU
 * once the machine is stopped.  So a thread can register a ring and then
 * unmap it, or lie in it, without any effect on the kernel.
 */
#include <kernel/endpoint.h>
#include <kernel/notification.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/trace.h>
#include <kernel/user_interrupt.h>

static void answer(struct tcb *t, word_t err, word_t which)
{
    t->ctx.regs[REG_A0] = err;
    if (err)
        t->ctx.regs[REG_A2] = which;
}

#ifndef KERNEL_TRACE

void trace_syscall(struct tcb *t) { answer(t, SEL_ILLEGAL_OPERATION, 0); }

#else

sel_trace_control_t trace_control = {
    .magic = SEL_TRACE_CONTROL_MAGIC,
    .version = SEL_TRACE_VERSION,
    .record_size = sizeof(sel_trace_record_t),
};

/*
 * Each hart's buffer is 2^trace_buffer_bits bytes (2 MiB: 65536 records).
 * Initialised, so it lies in the image's data: tools/trace may patch the
 * image it boots to try a smaller one (a full buffer, in its tests).
 */
volatile uint32_t trace_buffer_bits = 21;

void trace_init(paddr_t (*alloc)(unsigned bits))
{
    unsigned bits = trace_buffer_bits;
    if (bits < 12 || bits > 26)
        bits = 21;
    trace_control.num_harts = num_harts < SEL_TRACE_MAX_HARTS ? num_harts : SEL_TRACE_MAX_HARTS;
    for (unsigned i = 0; i < trace_control.num_harts; i++) {
        sel_trace_hart_t *buffer = &trace_control.harts[i];
        buffer->records = buffer->cursor = (word_t)paddr_to_kernel(alloc(bits));
        buffer->end = buffer->records + BIT(bits);
        harts[i].trace = buffer;
    }
    printk("kernel: tracing: %u records per hart (%lu KiB each)\n", (unsigned)(BIT(bits) / 32), (unsigned long)(BIT(bits) >> 10));
}

void trace_thread_name(struct tcb *t)
{
    uint64_t words[2] = { 0 };
    for (unsigned i = 0; i < sizeof(words) && i < sizeof(t->name) && t->name[i]; i++)
        words[i / 8] |= (uint64_t)(uint8_t)t->name[i] << (8 * (i % 8));
    trace_emit(this_hart(), SEL_TRACE_THREAD_NAME, 0, 0, trace_thread(t), (uint32_t)(words[0] >> 32),
               (uint32_t)words[0], words[1]);
}

void trace_kernel_enter(struct hart *h, struct tcb *t, word_t scause)
{
    unsigned cause;
    if (scause & SCAUSE_INTERRUPT)
        cause = SEL_TRACE_CAUSE_INTERRUPT | (scause & 0xfff);
    else if (scause == EXC_ECALL_U)
        cause = SEL_TRACE_CAUSE_SYSCALL | ((word_t)-(long)t->ctx.regs[REG_A7] & 0xfff);
    else
        cause = SEL_TRACE_CAUSE_EXCEPTION | (scause & 0xfff);
    /* What the kernel now does, it does for t, unless it handles an interrupt. */
    h->trace->context = (scause & SCAUSE_INTERRUPT) ? 0 : trace_thread(t);
    trace_emit(h, SEL_TRACE_KERNEL_ENTER, 0, cause, trace_thread(t), 0, 0, t->ctx.regs[REG_PC]);
}

void trace_kernel_exit(struct hart *h, struct tcb *next)
{
    /* The thread the hart ran for until now (CPU accounting's), NULL after idling. */
    struct tcb *previous = h->charged;
    unsigned why = previous && previous != next ? previous->state : 0;
    trace_emit(h, SEL_TRACE_KERNEL_EXIT, why, 0, trace_thread(next), trace_thread(previous), 0,
               next->ctx.regs[REG_PC]);
}

void trace_interrupt(struct hart *h, word_t code)
{
    trace_emit(h, SEL_TRACE_INTERRUPT, 0, (unsigned)code & 0xfff, trace_thread(h->current), 0, 0, 0);
}

/* A hart that waits: idle, or a thread's user-mode wfi (it stays the current thread). */
void trace_idle(struct hart *h, unsigned kind)
{
    if (kind == SEL_TRACE_IDLE_EXIT)
        h->trace->context = 0;   /* what follows is the interrupts' */
    trace_emit(h, kind, h->current ? SEL_TRACE_IDLE_USER_WFI : 0, 0, trace_thread(h->current), 0, 0, 0);
}

void trace_invoke_begin(struct tcb *t, unsigned type, word_t label, word_t cptr)
{
    trace_emit(this_hart(), SEL_TRACE_INVOKE_BEGIN, type, (unsigned)label & 0xffff, trace_thread(t), 0, 0, cptr);
}

/* The invoked cap may be gone by now (a Delete of itself): its type is in the begin record. */
void trace_invoke_end(struct tcb *t, word_t label, word_t err)
{
    unsigned error = err == KERNEL_PREEMPTED ? SEL_TRACE_PREEMPTED : (unsigned)err & 0xffff;
    trace_emit(this_hart(), SEL_TRACE_INVOKE_END, 0, error, trace_thread(t), (uint32_t)label, 0, 0);
}

/* The tag's length and caps of what sender sends (a fault message has its own). */
static unsigned message_bits(struct tcb *sender)
{
    return sender->fault ? 0 : (unsigned)sender->ctx.regs[REG_A1] & 0xfff;
}

/* Before endpoint_send acts: to the first waiting receiver, or queued, or dropped. */
void trace_ipc_send(struct endpoint *ep, struct tcb *sender, word_t badge, bool blocking, bool is_call)
{
    struct tcb *receiver = ep->state == EP_RECV ? ep->head : NULL;
    unsigned flags = (is_call ? SEL_TRACE_IPC_CALL : 0) | (sender->fault ? SEL_TRACE_IPC_FAULT : 0);
    if (!receiver)
        flags |= blocking ? SEL_TRACE_IPC_QUEUED : SEL_TRACE_IPC_DROPPED;
    trace_emit(this_hart(), SEL_TRACE_IPC_SEND, flags, message_bits(sender), trace_thread(sender),
               trace_thread(receiver), trace_object(ep), badge);
}

/* Before endpoint_receive acts: the message of the first queued sender, if there is one. */
void trace_ipc_recv(struct endpoint *ep, struct tcb *receiver)
{
    if (ep->state != EP_SEND)
        return;
    struct tcb *sender = ep->head;
    unsigned flags = (sender->blocked_is_call ? SEL_TRACE_IPC_CALL : 0) | (sender->fault ? SEL_TRACE_IPC_FAULT : 0);
    trace_emit(this_hart(), SEL_TRACE_IPC_RECV, flags, message_bits(sender), trace_thread(receiver),
               trace_thread(sender), trace_object(ep), sender->blocked_badge);
}

/* A reply that reaches its caller (who waits for it). */
void trace_ipc_reply(struct tcb *replier, struct tcb *caller)
{
    unsigned flags = SEL_TRACE_IPC_REPLY | (caller->fault ? SEL_TRACE_IPC_FAULT : 0);
    trace_emit(this_hart(), SEL_TRACE_IPC_SEND, flags, (unsigned)replier->ctx.regs[REG_A1] & 0xfff,
               trace_thread(replier), trace_thread(caller), 0, 0);
}

void trace_fault(struct tcb *t)
{
    const struct cap *handler = &t->slots[TCB_FAULT_EP].cap;
    bool handled = handler->type == SEL_CAP_TYPE_ENDPOINT && (handler->rights & SEL_CAN_WRITE);
    trace_emit(this_hart(), SEL_TRACE_FAULT, handled ? 0 : SEL_TRACE_FAULT_UNHANDLED, t->fault, trace_thread(t), 0,
               0, t->ctx.regs[REG_PC]);
}

/* Before notification_signal acts: whom it wakes (as its switch decides), or that the bits stay. */
void trace_signal(struct notification *n, word_t badge)
{
    struct hart *h = this_hart();
    struct tcb *woken = NULL;
    unsigned flags = SEL_TRACE_SIGNAL_STORED;
    if (n->state == NTFN_WAITING) {
        woken = n->head;
        flags = SEL_TRACE_SIGNAL_WOKE_WAITER;
    } else if (n->state == NTFN_IDLE && n->bound_tcb && n->bound_tcb->state == THREAD_BLOCKED_ON_RECV) {
        woken = n->bound_tcb;
        flags = SEL_TRACE_SIGNAL_WOKE_BOUND;
    }
    trace_emit(h, SEL_TRACE_SIGNAL, flags, 0, h->trace->context, trace_thread(woken), trace_object(n), badge);
}

void trace_signal_taken(struct notification *n, struct tcb *t, word_t word)
{
    trace_emit(this_hart(), SEL_TRACE_SIGNAL_TAKEN, 0, 0, trace_thread(t), 0, trace_object(n), word);
}

void trace_token_raise(struct user_interrupt *u, word_t bits)
{
    struct hart *h = this_hart();
    /* As user_interrupt_raise decides: bits all pending change nothing, unless the thread sleeps. */
    struct tcb *t = u->tcb;
    bool sleeping = t && (t->state == THREAD_BLOCKED_ON_RECV || t->state == THREAD_BLOCKED_ON_NOTIFICATION);
    unsigned flags = (u->pending & bits) == bits && !sleeping ? SEL_TRACE_TOKEN_ALREADY_PENDING : 0;
    trace_emit(h, SEL_TRACE_TOKEN_RAISE, flags, 0, h->trace->context, trace_thread(t), trace_object(u), bits);
}

void trace_token_deliver(struct tcb *t, word_t bits)
{
    trace_emit(this_hart(), SEL_TRACE_TOKEN_DELIVER, 0, 0, trace_thread(t), 0, trace_object(t->bound_uintr), bits);
}

void trace_irq(unsigned irq, unsigned target_type)
{
    unsigned flags = target_type == SEL_CAP_TYPE_NOTIFICATION     ? SEL_TRACE_IRQ_NOTIFICATION
                     : target_type == SEL_CAP_TYPE_USER_INTERRUPT ? SEL_TRACE_IRQ_USER_INTERRUPT
                                                                  : 0;
    trace_emit(this_hart(), SEL_TRACE_IRQ, flags, 0, 0, 0, 0, irq);
}

/* ---- DebugTrace ------------------------------------------------------------- */

/* The kernel's address of the byte at user address va in t's VSpace, if mapped readable for user mode. */
static bool user_readable(struct tcb *t, vaddr_t va, word_t *kernel_address)
{
    pte_t *table = vspace_root_of(&t->slots[TCB_VSPACE].cap);
    if (!table || va >= SEL_USER_TOP)
        return false;
    for (int level = PT_LEVELS - 1; level >= 0; level--) {
        pte_t pte = table[pt_index(va, level)];
        if (!(pte & PTE_V))
            return false;
        if (pte_is_leaf(pte)) {
            if (!(pte & PTE_U) || !(pte & PTE_R))
                return false;
            *kernel_address = (word_t)paddr_to_kernel(pte_paddr(pte) + (va & MASK(12 + 9 * level)));
            return true;
        }
        table = paddr_to_kernel(pte_paddr(pte));
    }
    return false;
}

/* SEL_TRACE_OP_REGISTER: t's ring at vaddr, bytes long; its pages' addresses go in the table. */
static void trace_register(struct tcb *t, word_t vaddr, word_t bytes)
{
    if (!IS_ALIGNED(vaddr, 12)) {
        answer(t, SEL_ALIGNMENT_ERROR, 1);
        return;
    }
    if (bytes == 0 || !IS_ALIGNED(bytes, 12) || bytes > SEL_TRACE_RING_MAX_PAGES * BIT(12)) {
        answer(t, SEL_INVALID_ARGUMENT, 2);
        return;
    }
    sel_trace_ring_entry_t entry = { .thread = trace_thread(t), .pages = (uint32_t)(bytes >> 12), .vaddr = vaddr };
    for (unsigned i = 0; i < entry.pages; i++) {
        if (!user_readable(t, vaddr + i * BIT(12), &entry.page[i])) {
            answer(t, SEL_INVALID_ARGUMENT, 1);
            return;
        }
    }
    unsigned slot = 0;
    while (slot < trace_control.num_rings && trace_control.rings[slot].thread != entry.thread)
        slot++;
    if (slot == SEL_TRACE_MAX_RINGS) {
        trace_control.rings_refused++;
        answer(t, SEL_NOT_ENOUGH_MEMORY, 0);
        return;
    }
    trace_control.rings[slot] = entry;
    if (slot == trace_control.num_rings)
        trace_control.num_rings++;
    trace_emit(this_hart(), SEL_TRACE_RING_REGISTERED, 0, 0, entry.thread, (uint32_t)bytes, 0, vaddr);
    answer(t, SEL_NO_ERROR, 0);
}

/* SEL_TRACE_OP_MARK: count records, to measure what one costs (make bench). */
static void trace_mark(struct tcb *t, word_t count, word_t value)
{
    if (count > SEL_TRACE_MARK_MAX) {
        answer(t, SEL_RANGE_ERROR, 1);
        return;
    }
    struct hart *h = this_hart();
    for (word_t i = 0; i < count; i++)
        trace_emit(h, SEL_TRACE_MARK, 0, 0, trace_thread(t), (uint32_t)i, 0, value);
    answer(t, SEL_NO_ERROR, 0);
}

void trace_syscall(struct tcb *t)
{
    word_t op = t->ctx.regs[REG_A0], arg0 = t->ctx.regs[REG_A2], arg1 = t->ctx.regs[REG_A3];
    switch (op) {
    case SEL_TRACE_OP_REGISTER:
        trace_register(t, arg0, arg1);
        break;
    case SEL_TRACE_OP_MARK:
        trace_mark(t, arg0, arg1);
        break;
    default:
        answer(t, SEL_INVALID_ARGUMENT, 0);
        break;
    }
}

#endif
