/*
 * System calls.  Send, NBSend and Call invoke the cap a0 names: an endpoint
 * or notification (IPC), or a kernel object (decoded in kernel/object/).
 * Recv and NBRecv wait on an endpoint or notification; Reply answers the
 * last Call received; Yield, and the debug calls.
 */
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/invocation.h>
#include <kernel/irq.h>
#include <kernel/kernel.h>
#include <kernel/notification.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/trace.h>
#include <kernel/untyped.h>
#include <kernel/user_interrupt.h>
#include <kernel/vspace.h>
#include "../arch/riscv/csr.h"

static void set_reply_tag(struct tcb *t, word_t label, word_t length)
{
    t->ctx.regs[REG_A0] = 0;
    t->ctx.regs[REG_A1] = sel_msginfo_new(label, 0, 0, length).words[0];
}

/* A Send or Recv on a cap that is not there (or lacks the right) is a fault, as in seL4. */
static void cap_fault(struct tcb *t, word_t cptr, bool in_recv, word_t failure)
{
    t->ctx.regs[REG_PC] -= 4;   /* a reply from the fault handler retries the syscall */
    t->fault = SEL_FAULT_CAP;
    t->fault_msg[SEL_CAP_FAULT_PC] = t->ctx.regs[REG_PC];
    t->fault_msg[SEL_CAP_FAULT_ADDR] = cptr;
    t->fault_msg[SEL_CAP_FAULT_IN_RECV] = in_recv;
    t->fault_msg[SEL_CAP_FAULT_LOOKUP] = failure;
    fault_deliver(t);
}

static word_t decode_object_invocation(struct invocation *inv)
{
    switch (inv->slot->cap.type) {
    case SEL_CAP_TYPE_UNTYPED:
        return decode_untyped_invocation(inv);
    case SEL_CAP_TYPE_CNODE:
        return decode_cnode_invocation(inv);
    case SEL_CAP_TYPE_TCB:
        return decode_tcb_invocation(inv);
    case SEL_CAP_TYPE_FRAME:
        return decode_frame_invocation(inv);
    case SEL_CAP_TYPE_PAGE_TABLE:
        return decode_page_table_invocation(inv);
    case SEL_CAP_TYPE_ASID_CONTROL:
        return decode_asid_control_invocation(inv);
    case SEL_CAP_TYPE_ASID_POOL:
        return decode_asid_pool_invocation(inv);
    case SEL_CAP_TYPE_IRQ_CONTROL:
        return decode_irq_control_invocation(inv);
    case SEL_CAP_TYPE_IRQ_HANDLER:
        return decode_irq_handler_invocation(inv);
    case SEL_CAP_TYPE_ZOMBIE:
        /*
         * The CNode invoked held its own last cap, whose Delete (or the
         * Revoke that destroyed it) was preempted: made again, the call
         * finishes the work.
         */
        if (inv->label != SEL_CNODE_DELETE && inv->label != SEL_CNODE_REVOKE)
            return inv_error_cap(inv, 0);
        return cap_delete_preemptible(inv->slot);
    default:
        return inv_error_cap(inv, 0);
    }
}

static void handle_invocation(struct tcb *t, bool is_call, bool blocking)
{
    word_t cptr = t->ctx.regs[REG_A0];
    sel_msginfo_t info = { { t->ctx.regs[REG_A1] } };
    struct lookup l = lookup_cap(t, cptr);

    if (!l.slot || cap_is_null(&l.slot->cap)) {
        if (is_call) {
            /* Friendlier than seL4's cap fault: the caller learns what went wrong. */
            t->ctx.regs[REG_A2] = 0;
            t->ctx.regs[REG_A3] = l.slot ? SEL_LOOKUP_MISSING_CAPABILITY : l.failure;
            set_reply_tag(t, SEL_FAILED_LOOKUP, 2);
        } else if (blocking) {
            cap_fault(t, cptr, false, l.slot ? SEL_LOOKUP_MISSING_CAPABILITY : l.failure);
        }
        return;
    }

    struct cap *cap = &l.slot->cap;
    switch (cap->type) {
    case SEL_CAP_TYPE_ENDPOINT:
        if (!(cap->rights & SEL_CAN_WRITE))
            break;
        endpoint_send(endpoint_of(cap), t, cap->data, cap->rights & SEL_CAN_GRANT,
                      cap->rights & SEL_CAN_GRANT_REPLY, blocking, is_call);
        return;
    case SEL_CAP_TYPE_NOTIFICATION:
        if (!(cap->rights & SEL_CAN_WRITE))
            break;
        if (is_call && sel_msginfo_label(info) == SEL_NOTIFICATION_SET_ALARM) {
            if (sel_msginfo_length(info) < 2) {
                set_reply_tag(t, SEL_TRUNCATED_MESSAGE, 0);
                return;
            }
            /* Deadline and badge, in MR0 and MR1 (registers). */
            word_t deadline = t->ctx.regs[REG_A2], badge = t->ctx.regs[REG_A3];
            notification_set_alarm(notification_of(cap), deadline, badge);
            notification_fire_alarms(timer_now());   /* a deadline already past fires now */
            set_reply_tag(t, SEL_NO_ERROR, 0);
            return;
        }
        notification_signal(notification_of(cap), cap->data);
        if (is_call)
            set_reply_tag(t, SEL_NO_ERROR, 0);
        return;
    case SEL_CAP_TYPE_USER_INTERRUPT:
        /* A token: a badged cap with Write.  The unbadged cap only binds the receiver. */
        if (!(cap->rights & SEL_CAN_WRITE) || !cap->data)
            break;
        user_interrupt_raise(user_interrupt_of(cap), cap->data);
        if (is_call)
            set_reply_tag(t, SEL_NO_ERROR, 0);
        return;
    default: {
        struct invocation inv = { 0 };
        inv.thread = t;
        inv.buffer = tcb_ipc_buffer(t, SEL_CAN_READ);
        inv.reply_buffer = tcb_ipc_buffer(t, SEL_READ_WRITE);
        inv.slot = l.slot;
        inv.label = sel_msginfo_label(info);
        inv.length = sel_msginfo_length(info);
        if (inv.length > SEL_MSG_MAX_LENGTH)
            inv.length = SEL_MSG_MAX_LENGTH;
        if (!inv.buffer && inv.length > SEL_FAST_MESSAGE_REGISTERS)
            inv.length = SEL_FAST_MESSAGE_REGISTERS;
        word_t err = SEL_NO_ERROR;
        TRACE_INVOKE_BEGIN(t, cap->type, inv.label, cptr);
        unsigned extra = (unsigned)sel_msginfo_extra_caps(info);
        for (unsigned i = 0; i < extra && inv.buffer; i++) {
            struct lookup e = lookup_cap(t, inv.buffer[IPCBUF_CAPS(i)]);
            if (!e.slot) {
                err = inv_error_lookup(&inv, true, e.failure);
                break;
            }
            inv.extra[inv.extra_count++] = e.slot;
        }
        if (err == SEL_NO_ERROR) {
            preemption_start();
            err = decode_object_invocation(&inv);
        }
        TRACE_INVOKE_END(t, inv.label, err);
        if (err == KERNEL_PREEMPTED) {
            /* Stopped at a preemption point, all consistent: back to the ecall, to be made again. */
            t->ctx.regs[REG_PC] -= 4;
            preemption_yield(this_hart());
            return;
        }
        /* The invoker may have suspended or destroyed itself: then nobody waits for the answer. */
        if (is_call && t->state == THREAD_RUNNING)
            set_reply_tag(t, err, inv.reply_length);
        return;
    }
    }

    /* An endpoint or notification cap without the Write right, or a user-interrupt cap that is no token. */
    if (is_call) {
        t->ctx.regs[REG_A2] = 0;
        set_reply_tag(t, SEL_INVALID_CAPABILITY, 1);
    } else if (blocking) {
        cap_fault(t, cptr, false, SEL_LOOKUP_MISSING_CAPABILITY);
    }
}

/*
 * A thread about to block with user interrupts to take (raised while it
 * was on its way here) takes them instead: back to its ecall, so that
 * after uret it blocks, as a woken one does (user_interrupt.c).  One that
 * will not block (a message or a signal is there) receives it first and
 * takes them on its way out, as from any syscall: so a flood of tokens
 * cannot keep a thread from ever receiving its messages.
 */
static bool takes_user_interrupts_instead(struct tcb *t, bool blocking, bool would_block)
{
    if (!blocking || !would_block || !user_interrupt_pending(t) || !user_interrupt_deliverable(t))
        return false;
    t->ctx.regs[REG_PC] -= 4;
    return true;
}

static void handle_recv(struct tcb *t, bool blocking)
{
    word_t cptr = t->ctx.regs[REG_A0];
    struct lookup l = lookup_cap(t, cptr);
    if (!l.slot) {
        cap_fault(t, cptr, true, l.failure);
        return;
    }
    struct cap *cap = &l.slot->cap;
    switch (cap->type) {
    case SEL_CAP_TYPE_ENDPOINT: {
        if (!(cap->rights & SEL_CAN_READ))
            break;
        struct endpoint *ep = endpoint_of(cap);
        bool would_block = ep->state != EP_SEND && !(t->bound_ntfn && t->bound_ntfn->state == NTFN_ACTIVE);
        if (takes_user_interrupts_instead(t, blocking, would_block))
            return;
        /* As in seL4, receiving drops a reply this thread still owes (its caller stays blocked). */
        reply_unlink(t);
        if (notification_deliver_bound(t))
            return;
        endpoint_receive(ep, t, blocking);
        return;
    }
    case SEL_CAP_TYPE_NOTIFICATION: {
        struct notification *n = notification_of(cap);
        if (!(cap->rights & SEL_CAN_READ) || (n->bound_tcb && n->bound_tcb != t))
            break;
        if (takes_user_interrupts_instead(t, blocking, n->state != NTFN_ACTIVE))
            return;
        notification_wait(n, t, blocking);
        return;
    }
    default:
        break;
    }
    cap_fault(t, cptr, true, SEL_LOOKUP_MISSING_CAPABILITY);
}

/* ---- debug calls ------------------------------------------------------------ */

/* The answer of a debug call: a0 = error; a2 = which argument was wrong, for an error. */
static void debug_answer(struct tcb *t, word_t err, word_t which)
{
    t->ctx.regs[REG_A0] = err;
    if (err)
        t->ctx.regs[REG_A2] = which;
}

/*
 * Whether a0 names a debug capability, which the calls that act on the
 * whole machine need (sel/abi.h).  If not, they answer
 * SEL_INVALID_CAPABILITY for argument 0 and do nothing.
 */
static bool debug_authorized(struct tcb *t)
{
    struct lookup l = lookup_cap(t, t->ctx.regs[REG_A0]);
    if (l.slot && l.slot->cap.type == SEL_CAP_TYPE_DEBUG)
        return true;
    debug_answer(t, SEL_INVALID_CAPABILITY, 0);
    return false;
}

/* Names the thread a2 names (for kernel messages and console prefixes); the name is in the IPC buffer. */
static void debug_name_thread(struct tcb *t)
{
    struct lookup l = lookup_cap(t, t->ctx.regs[REG_A2]);
    if (!l.slot || l.slot->cap.type != SEL_CAP_TYPE_TCB) {
        debug_answer(t, SEL_INVALID_CAPABILITY, 1);
        return;
    }
    word_t *buffer = tcb_ipc_buffer(t, SEL_CAN_READ);
    if (!buffer) {
        debug_answer(t, SEL_ILLEGAL_OPERATION, 0);
        return;
    }
    struct tcb *target = tcb_of(&l.slot->cap);
    const char *name = (const char *)&buffer[IPCBUF_MSG(0)];
    size_t i = 0;
    /* Printable characters only: a name starts console lines, and must not be able to end one. */
    for (; i + 1 < sizeof(target->name) && name[i]; i++)
        target->name[i] = name[i] > ' ' && name[i] < 0x7f ? name[i] : '?';
    target->name[i] = 0;
    TRACE_THREAD_NAME(target);
    debug_answer(t, SEL_NO_ERROR, 0);
}

/*
 * What a thread prints goes out behind the name of its component (the
 * name the loader gave it, up to the first '.': "client.server" prints as
 * "client"), unless it is of the root task: its CSpace is the root task's,
 * so it has the root task's authority anyway.
 */
static void thread_print(struct tcb *t, const char *text, size_t n)
{
    const struct cap *cspace = &t->slots[TCB_CSPACE].cap;
    if (cspace->type == SEL_CAP_TYPE_CNODE && cnode_slots(cspace) == root_cnode) {
        console_write(t, NULL, 0, text, n);
        console_kick();
        return;
    }
    const char *name = t->name[0] ? t->name : "(unnamed)";
    size_t length = 0;
    while (name[length] && name[length] != '.')
        length++;
    console_write(t, name, length, text, n);
    console_kick();   /* the console's reader, if it has one, may take it now */
}

static void unknown_syscall(struct tcb *t)
{
    t->fault = SEL_FAULT_UNKNOWN_SYSCALL;
    fault_deliver(t);
}

/* Turns the fastpath on or off on every hart; answers how often the slow path handled Call and ReplyRecv. */
static void debug_fastpath(struct tcb *t)
{
    word_t mode = t->ctx.regs[REG_A2];
    if (mode > SEL_FASTPATH_UNCHANGED) {
        debug_answer(t, SEL_INVALID_ARGUMENT, 1);
        return;
    }
    if (mode == SEL_FASTPATH_ON || mode == SEL_FASTPATH_OFF) {
        fastpath_enabled = mode == SEL_FASTPATH_ON;
        /* Other harts follow when the kick arrives, before their user code runs again. */
        for (unsigned i = 0; i < num_harts; i++) {
            if (&harts[i] == this_hart())
                arch_follow_fastpath_setting(&harts[i]);
            else if (harts[i].online)
                hart_kick(i);
        }
    }
    word_t count = 0;
    for (unsigned i = 0; i < num_harts; i++)
        count += harts[i].slow_ipc_syscalls;
    t->ctx.regs[REG_A2] = count;
    debug_answer(t, SEL_NO_ERROR, 0);
}

/*
 * Answers how often user mode has entered the kernel since boot, on all
 * harts (this call included), how many of those were interrupts, and how
 * many IPIs the harts sent each other.
 */
static void debug_kernel_entries(struct tcb *t)
{
    word_t entries = 0, interrupts = 0, ipis = 0;
    for (unsigned i = 0; i < num_harts; i++) {
        entries += harts[i].kernel_entries;
        interrupts += harts[i].interrupt_entries;
        ipis += harts[i].ipis_sent;
    }
    t->ctx.regs[REG_A2] = entries;
    t->ctx.regs[REG_A3] = interrupts;
    t->ctx.regs[REG_A4] = ipis;
    debug_answer(t, SEL_NO_ERROR, 0);
}

/*
 * CPU accounting: the instructions thread a2 has run (user mode and the
 * kernel for it) and those hart a3 spent idle and in the kernel for no
 * thread, each including what has not been charged yet, all as of one
 * instret reading (a5).
 */
static void debug_cpu_time(struct tcb *t)
{
    word_t cptr = t->ctx.regs[REG_A2], index = t->ctx.regs[REG_A3];
    struct tcb *target = NULL;
    if (cptr) {
        struct lookup l = lookup_cap(t, cptr);
        if (!l.slot || l.slot->cap.type != SEL_CAP_TYPE_TCB) {
            debug_answer(t, SEL_INVALID_CAPABILITY, 1);
            return;
        }
        target = tcb_of(&l.slot->cap);
    }
    if (index >= num_harts) {
        debug_answer(t, SEL_RANGE_ERROR, 2);
        return;
    }
    word_t now = csr_read(instret);
    word_t ran = target ? target->cpu_instructions : 0;
    for (unsigned i = 0; i < num_harts; i++)
        if (target && harts[i].charged == target && !harts[i].idling)
            ran += now - harts[i].charged_since;
    const struct hart *h = &harts[index];
    word_t idle = h->idle_instructions, kernel = h->kernel_instructions;
    if (h->idling)
        idle += now - h->charged_since;
    else if (!h->charged)
        kernel += now - h->charged_since;
    t->ctx.regs[REG_A2] = ran;
    t->ctx.regs[REG_A3] = idle;
    t->ctx.regs[REG_A4] = kernel;
    t->ctx.regs[REG_A5] = now;
    debug_answer(t, SEL_NO_ERROR, 0);
}

static void debug_halt(struct tcb *t)
{
    long status = (long)t->ctx.regs[REG_A2];
    printk("kernel: thread '%s' halted the machine with status %ld\n", t->name, status);
    /* With the console read from user space, the halt waits until its reader has sent everything. */
    if (console_halt((int)status)) {
        tcb_suspend(t);
        return;
    }
    machine_poweroff((int)status);
}

void handle_syscall(struct tcb *t)
{
    long sysno = (long)t->ctx.regs[REG_A7];

    if (sysno >= 0 || sysno < SEL_SYS_MIN) {
        unknown_syscall(t);
        return;
    }
    t->ctx.regs[REG_PC] += 4;   /* resume after the ecall */

    switch (sysno) {
    case SEL_SYS_CALL:
        this_hart()->slow_ipc_syscalls++;
        handle_invocation(t, true, true);
        break;
    case SEL_SYS_SEND:
        handle_invocation(t, false, true);
        break;
    case SEL_SYS_NB_SEND:
        handle_invocation(t, false, false);
        break;
    case SEL_SYS_RECV:
        handle_recv(t, true);
        break;
    case SEL_SYS_NB_RECV:
        handle_recv(t, false);
        break;
    case SEL_SYS_REPLY:
        endpoint_reply(t);
        break;
    case SEL_SYS_REPLY_RECV:
        this_hart()->slow_ipc_syscalls++;
        endpoint_reply(t);
        handle_recv(t, true);
        break;
    case SEL_SYS_YIELD:
        this_hart()->rotate_current = true;
        break;
    case SEL_SYS_DEBUG_PUT_CHAR: {
        char c = (char)t->ctx.regs[REG_A0];
        thread_print(t, &c, 1);
        break;
    }
    case SEL_SYS_DEBUG_HALT:
        if (debug_authorized(t))
            debug_halt(t);
        break;
    case SEL_SYS_DEBUG_CAP_IDENTIFY: {
        struct lookup l = lookup_cap(t, t->ctx.regs[REG_A0]);
        t->ctx.regs[REG_A0] = l.slot ? l.slot->cap.type : SEL_CAP_TYPE_NULL;
        break;
    }
    case SEL_SYS_DEBUG_TRACE:
        trace_syscall(t);
        break;
    case SEL_SYS_DEBUG_NAME_THREAD:
        if (debug_authorized(t))
            debug_name_thread(t);
        break;
    case SEL_SYS_NULL:
        break;
    case SEL_SYS_DEBUG_PUT_STRING: {
        /* A whole string under the kernel lock, so lines from different harts do not mix. */
        word_t *buffer = tcb_ipc_buffer(t, SEL_CAN_READ);
        word_t length = t->ctx.regs[REG_A0];
        if (!buffer)
            break;
        if (length > SEL_MSG_MAX_LENGTH * sizeof(word_t))
            length = SEL_MSG_MAX_LENGTH * sizeof(word_t);
        thread_print(t, (const char *)&buffer[IPCBUF_MSG(0)], length);
        break;
    }
    case SEL_SYS_DEBUG_FASTPATH:
        if (debug_authorized(t))
            debug_fastpath(t);
        break;
    case SEL_SYS_URET:
        user_interrupt_return(t);
        break;
    case SEL_SYS_DEBUG_KERNEL_ENTRIES:
        if (debug_authorized(t))
            debug_kernel_entries(t);
        break;
    case SEL_SYS_DEBUG_CPU_TIME:
        if (debug_authorized(t))
            debug_cpu_time(t);
        break;
    default:
        t->ctx.regs[REG_PC] -= 4;
        unknown_syscall(t);
        break;
    }
}
