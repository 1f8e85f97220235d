/*
 * Endpoints: synchronous rendezvous.  An endpoint is idle, or holds a queue
 * of threads all waiting to send, or all waiting to receive.  A message is
 * copied directly from sender to receiver: registers a2..a5 for the first
 * four words, the IPC buffers for the rest, and at most one capability
 * (plus any number of unwrapped badges) when the sender's cap has Grant.
 */
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/trace.h>

static void queue_remove(struct endpoint *ep, struct tcb *t)
{
    tcb_queue_remove(&ep->head, &ep->tail, t);
    if (!ep->head)
        ep->state = EP_IDLE;
}

/* Transfers the sender's extra caps; returns how many arrived, their unwrapped set in *unwrapped. */
static unsigned transfer_caps(struct tcb *sender, word_t *sbuf, struct tcb *receiver, word_t *rbuf,
                              unsigned extra, struct endpoint *ep, word_t *unwrapped)
{
    unsigned count = 0;
    bool slot_used = false;
    *unwrapped = 0;
    for (unsigned i = 0; i < extra; i++) {
        struct lookup l = lookup_cap(sender, sbuf[IPCBUF_CAPS(i)]);
        if (!l.slot || cap_is_null(&l.slot->cap))
            break;
        struct cap *c = &l.slot->cap;
        /* A cap to the endpoint itself arrives as its badge. */
        if (ep && c->type == SEL_CAP_TYPE_ENDPOINT && endpoint_of(c) == ep) {
            rbuf[IPCBUF_CAPS(i)] = c->data;
            *unwrapped |= BIT(i);
            count++;
            continue;
        }
        if (slot_used)
            break;
        struct lookup root = lookup_cap(receiver, rbuf[IPCBUF_RECV_CNODE]);
        word_t depth = rbuf[IPCBUF_RECV_DEPTH];
        if (!root.slot || depth < 1 || depth > SEL_WORD_BITS)
            break;
        struct lookup dest = lookup_slot(&root.slot->cap, rbuf[IPCBUF_RECV_INDEX], (unsigned)depth);
        struct cap derived;
        if (!dest.slot || !cap_is_null(&dest.slot->cap) || cap_derive(l.slot, &derived) != SEL_NO_ERROR)
            break;
        cap_insert(dest.slot, &derived, l.slot);
        slot_used = true;
        count++;
    }
    return count;
}

/* The message a faulting thread "sends": its fault type as label, the details as words. */
static void transfer_fault(struct tcb *faulter, struct tcb *receiver, word_t badge)
{
    word_t words[SEL_UNKNOWN_SYSCALL_LENGTH];
    unsigned n = 4;
    if (faulter->fault == SEL_FAULT_UNKNOWN_SYSCALL) {
        word_t *r = faulter->ctx.regs;
        words[SEL_UNKNOWN_SYSCALL_PC] = r[REG_PC];
        words[SEL_UNKNOWN_SYSCALL_SP] = r[REG_SP];
        words[SEL_UNKNOWN_SYSCALL_RA] = r[REG_RA];
        for (unsigned i = 0; i < 8; i++)
            words[SEL_UNKNOWN_SYSCALL_A0 + i] = r[REG_A0 + i];
        words[SEL_UNKNOWN_SYSCALL_NUMBER] = r[REG_A7];
        n = SEL_UNKNOWN_SYSCALL_LENGTH;
    } else {
        for (unsigned i = 0; i < 4; i++)
            words[i] = faulter->fault_msg[i];
    }
    word_t *rbuf = tcb_ipc_buffer(receiver, SEL_READ_WRITE);
    unsigned length = 0;
    while (length < n && tcb_set_mr(receiver, rbuf, length, words[length]))
        length++;
    receiver->ctx.regs[REG_A0] = badge;
    receiver->ctx.regs[REG_A1] = sel_msginfo_new(faulter->fault, 0, 0, length).words[0];
}

static void transfer(struct tcb *sender, struct tcb *receiver, word_t badge, bool can_grant,
                     struct endpoint *ep)
{
    if (sender->fault) {
        transfer_fault(sender, receiver, badge);
        return;
    }
    sel_msginfo_t info = { { sender->ctx.regs[REG_A1] } };
    word_t length = sel_msginfo_length(info);
    unsigned extra = (unsigned)sel_msginfo_extra_caps(info);
    if (length > SEL_MSG_MAX_LENGTH)
        length = SEL_MSG_MAX_LENGTH;

    for (unsigned i = 0; i < SEL_FAST_MESSAGE_REGISTERS && i < length; i++)
        receiver->ctx.regs[REG_A2 + i] = sender->ctx.regs[REG_A2 + i];

    word_t *sbuf = NULL, *rbuf = NULL;
    if (length > SEL_FAST_MESSAGE_REGISTERS || (extra && can_grant)) {
        sbuf = tcb_ipc_buffer(sender, SEL_CAN_READ);
        rbuf = tcb_ipc_buffer(receiver, SEL_READ_WRITE);
    }
    if (length > SEL_FAST_MESSAGE_REGISTERS) {
        if (sbuf && rbuf)
            memcpy(&rbuf[IPCBUF_MSG(SEL_FAST_MESSAGE_REGISTERS)], &sbuf[IPCBUF_MSG(SEL_FAST_MESSAGE_REGISTERS)],
                   (length - SEL_FAST_MESSAGE_REGISTERS) * sizeof(word_t));
        else
            length = SEL_FAST_MESSAGE_REGISTERS;
    }
    unsigned count = 0;
    word_t unwrapped = 0;
    if (extra && can_grant && sbuf && rbuf)
        count = transfer_caps(sender, sbuf, receiver, rbuf, extra, ep, &unwrapped);

    receiver->ctx.regs[REG_A0] = badge;
    receiver->ctx.regs[REG_A1] = sel_msginfo_new(sel_msginfo_label(info), unwrapped, count, length).words[0];
}

void endpoint_send(struct endpoint *ep, struct tcb *sender, word_t badge, bool can_grant,
                   bool can_grant_reply, bool blocking, bool is_call)
{
    TRACE_IPC_SEND(ep, sender, badge, blocking, is_call);
    if (ep->state != EP_RECV) {
        if (!blocking)
            return;
        sender->state = THREAD_BLOCKED_ON_SEND;
        sender->blocked_on = ep;
        sender->blocked_badge = badge;
        sender->blocked_can_grant = can_grant;
        sender->blocked_can_grant_reply = can_grant_reply;
        sender->blocked_is_call = is_call;
        tcb_queue_append(&ep->head, &ep->tail, sender);
        ep->state = EP_SEND;
        return;
    }

    struct tcb *receiver = ep->head;
    queue_remove(ep, receiver);
    transfer(sender, receiver, badge, can_grant, ep);
    if (is_call) {
        sender->state = THREAD_BLOCKED_ON_REPLY;
        reply_link(receiver, sender, !sender->fault && (can_grant || can_grant_reply));
    }
    thread_make_runnable(receiver);
}

void endpoint_receive(struct endpoint *ep, struct tcb *receiver, bool blocking)
{
    TRACE_IPC_RECV(ep, receiver);
    if (ep->state != EP_SEND) {
        if (!blocking) {
            receiver->ctx.regs[REG_A0] = 0;
            receiver->ctx.regs[REG_A1] = 0;
            return;
        }
        receiver->state = THREAD_BLOCKED_ON_RECV;
        receiver->blocked_on = ep;
        tcb_queue_append(&ep->head, &ep->tail, receiver);
        ep->state = EP_RECV;
        return;
    }

    struct tcb *sender = ep->head;
    queue_remove(ep, sender);
    transfer(sender, receiver, sender->blocked_badge, sender->blocked_can_grant, ep);
    if (sender->blocked_is_call) {
        sender->state = THREAD_BLOCKED_ON_REPLY;
        reply_link(receiver, sender,
                   !sender->fault && (sender->blocked_can_grant || sender->blocked_can_grant_reply));
    } else {
        thread_make_runnable(sender);
    }
}

/* The fault handler answered: maybe set registers, then restart the thread or leave it stopped. */
static void fault_reply(struct tcb *t, struct tcb *replier)
{
    static const uint8_t unknown_syscall_regs[] = { REG_PC, REG_SP, REG_RA, REG_A0, REG_A0 + 1, REG_A0 + 2,
                                                    REG_A0 + 3, REG_A0 + 4, REG_A0 + 5, REG_A0 + 6, REG_A7 };
    static const uint8_t user_exception_regs[] = { REG_PC, REG_SP };
    sel_msginfo_t info = { { replier->ctx.regs[REG_A1] } };
    word_t length = sel_msginfo_length(info);
    word_t *rbuf = tcb_ipc_buffer(replier, SEL_CAN_READ);
    const uint8_t *regs = NULL;
    word_t nregs = 0;

    if (t->fault == SEL_FAULT_UNKNOWN_SYSCALL) {
        regs = unknown_syscall_regs;
        nregs = sizeof(unknown_syscall_regs);
    } else if (t->fault == SEL_FAULT_USER_EXCEPTION) {
        regs = user_exception_regs;
        nregs = sizeof(user_exception_regs);
    }
    for (word_t i = 0; i < nregs && i < length; i++)
        t->ctx.regs[regs[i]] = tcb_get_mr(replier, rbuf, (unsigned)i);

    t->fault = SEL_FAULT_NULL;
    if (sel_msginfo_label(info) == 0)
        thread_make_runnable(t);
    else
        t->state = THREAD_INACTIVE;
}

void endpoint_reply(struct tcb *replier)
{
    struct tcb *caller = replier->reply_to;
    if (!caller)
        return;
    bool can_grant = replier->reply_can_grant;
    reply_unlink(replier);
    if (caller->state != THREAD_BLOCKED_ON_REPLY)
        return;
    TRACE_IPC_REPLY(replier, caller);
    if (caller->fault) {
        fault_reply(caller, replier);
        return;
    }
    transfer(replier, caller, 0, can_grant, NULL);
    thread_make_runnable(caller);
}

void endpoint_cancel_ipc(struct tcb *t)
{
    queue_remove((struct endpoint *)t->blocked_on, t);
    t->blocked_on = NULL;
}

void endpoint_cancel_all(struct endpoint *ep)
{
    while (ep->head) {
        struct tcb *t = ep->head;
        queue_remove(ep, t);
        t->blocked_on = NULL;
        thread_restart(t);
    }
    ep->state = EP_IDLE;
}

void endpoint_cancel_badged_sends(struct endpoint *ep, word_t badge)
{
    if (ep->state != EP_SEND)
        return;
    for (struct tcb *t = ep->head, *next; t; t = next) {
        next = t->ipc_next;
        if (t->blocked_badge == badge) {
            queue_remove(ep, t);
            t->blocked_on = NULL;
            thread_restart(t);
        }
    }
}

static const char *fault_name(struct tcb *t)
{
    switch (t->fault) {
    case SEL_FAULT_CAP:
        return "capability fault";
    case SEL_FAULT_UNKNOWN_SYSCALL:
        return "unknown syscall";
    case SEL_FAULT_USER_EXCEPTION:
        return "user exception";
    case SEL_FAULT_VM:
        return "page fault";
    default:
        return "fault";
    }
}

void fault_deliver(struct tcb *t)
{
    TRACE_FAULT(t);
    struct cap *handler = &t->slots[TCB_FAULT_EP].cap;
    if (handler->type == SEL_CAP_TYPE_ENDPOINT && (handler->rights & SEL_CAN_WRITE)) {
        endpoint_send(endpoint_of(handler), t, handler->data, false, false, true, true);
        return;
    }
    printk("kernel: thread '%s' (%p): %s at pc 0x%lx", t->name[0] ? t->name : "?", (void *)t,
           fault_name(t), t->ctx.regs[REG_PC]);
    if (t->fault == SEL_FAULT_VM)
        printk(", address 0x%lx%s", t->fault_msg[SEL_VM_FAULT_ADDR],
               t->fault_msg[SEL_VM_FAULT_PREFETCH] ? " (instruction fetch)" : "");
    else if (t->fault == SEL_FAULT_USER_EXCEPTION)
        printk(", scause %lu stval 0x%lx", t->fault_msg[SEL_USER_EXCEPTION_CAUSE],
               t->fault_msg[SEL_USER_EXCEPTION_VALUE]);
    else if (t->fault == SEL_FAULT_CAP)
        printk(", cptr 0x%lx", t->fault_msg[SEL_CAP_FAULT_ADDR]);
    else if (t->fault == SEL_FAULT_UNKNOWN_SYSCALL)
        printk(", syscall %ld", (long)t->ctx.regs[REG_A7]);
    printk("; it has no fault handler and is suspended\n");
    t->fault = SEL_FAULT_NULL;
    tcb_suspend(t);
}
