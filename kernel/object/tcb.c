/*
 * Thread control blocks: a thread's registers, scheduling parameters, IPC
 * state, and the caps it runs with (CSpace root, VSpace root, IPC buffer
 * frame, fault endpoint) in slots of its own.
 */
#include <kernel/cdt.h>
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/invocation.h>
#include <kernel/notification.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/user_interrupt.h>
#include <kernel/vspace.h>

void tcb_init(struct tcb *t, unsigned hart)
{
    t->state = THREAD_INACTIVE;
    tcb_set_hart(t, hart);
    t->timeslice = TIMESLICE_TICKS;
}

void tcb_set_hart(struct tcb *t, unsigned hart)
{
    t->hart = (uint8_t)hart;
    t->ctx.hart = &harts[hart];
    t->ctx.kernel_sp = harts[hart].kernel_stack_top;
}

word_t *tcb_ipc_buffer(struct tcb *t, word_t rights)
{
    struct cap *frame = &t->slots[TCB_IPC_BUFFER].cap;
    if (frame->type != SEL_CAP_TYPE_FRAME || (frame->rights & rights) != rights)
        return NULL;
    return paddr_to_kernel(frame->ptr + (t->ipc_buffer_vaddr & MASK(frame->size_bits)));
}

void tcb_cancel_ipc(struct tcb *t)
{
    switch (t->state) {
    case THREAD_BLOCKED_ON_SEND:
    case THREAD_BLOCKED_ON_RECV:
        endpoint_cancel_ipc(t);
        break;
    case THREAD_BLOCKED_ON_NOTIFICATION:
        notification_cancel_wait(t);
        break;
    case THREAD_BLOCKED_ON_REPLY:
        if (t->reply_from) {
            t->reply_from->reply_to = NULL;
            t->reply_from = NULL;
        }
        break;
    default:
        break;
    }
}

void tcb_suspend(struct tcb *t)
{
    if (t->state != THREAD_RUNNING && t->state != THREAD_INACTIVE) {
        tcb_cancel_ipc(t);
        /* When resumed it retries what it was doing: its syscall, or the faulting instruction. */
        if (t->fault)
            t->fault = SEL_FAULT_NULL;
        else
            t->ctx.regs[REG_PC] -= 4;
    }
    thread_evict(t);
    t->state = THREAD_INACTIVE;
}

void tcb_resume(struct tcb *t)
{
    if (t->state == THREAD_INACTIVE)
        thread_make_runnable(t);
}

void tcb_unbind_notification(struct tcb *t)
{
    if (t->bound_ntfn) {
        t->bound_ntfn->bound_tcb = NULL;
        t->bound_ntfn = NULL;
    }
}

void tcb_destroy(struct tcb *t)
{
    tcb_suspend(t);
    tcb_unbind_notification(t);
    user_interrupt_unbind(t);
    /* A caller waiting for our reply stays blocked, as in seL4. */
    reply_unlink(t);
    console_forget(t);   /* a thread made in its memory later does not continue its line */
    /* Nor is it charged for what a hart runs next (CPU accounting: switch.h). */
    for (unsigned i = 0; i < num_harts; i++)
        if (harts[i].charged == t)
            harts[i].charged = NULL;
    /* Its slots are deleted after this, from the reap list (cap.c). */
}

/* ---- invocations ------------------------------------------------------------ */

/*
 * Replacing a TCB's caps: the new caps go in first and the old ones are
 * deleted afterwards, since deleting may destroy objects (even this TCB, or
 * the slots the new caps come from) and must find the tree consistent.
 */
struct cap_change {
    unsigned slot;
    struct cap cap;
    struct cte *parent;
    struct cte old;
};

static void install_caps(struct tcb *t, struct cap_change *changes, unsigned n)
{
    t->satp_generation = 0;   /* its VSpace may change: recompute its satp */
    for (unsigned i = 0; i < n; i++) {
        struct cte *slot = &t->slots[changes[i].slot];
        changes[i].old = (struct cte){ 0 };
        if (!cap_is_null(&slot->cap)) {
            changes[i].old.cap = slot->cap;
            cdt_move(slot, &changes[i].old);
            slot->cap = cap_null();
        }
        if (!cap_is_null(&changes[i].cap))
            cap_insert(slot, &changes[i].cap, changes[i].parent);
    }
    for (unsigned i = 0; i < n; i++)
        cap_delete(&changes[i].old);
}

/* Checks a fault endpoint given by cptr in the invoker's CSpace (0: none). */
static word_t check_fault_ep(struct invocation *inv, word_t cptr, unsigned arg, struct cap_change *change)
{
    change->slot = TCB_FAULT_EP;
    change->cap = cap_null();
    change->parent = NULL;
    if (cptr == 0)
        return SEL_NO_ERROR;
    struct lookup l = lookup_cap(inv->thread, cptr);
    if (!l.slot || l.slot->cap.type != SEL_CAP_TYPE_ENDPOINT || !(l.slot->cap.rights & SEL_CAN_WRITE))
        return inv_error_argument(inv, arg);
    change->parent = l.slot;
    return cap_derive(l.slot, &change->cap);
}

static word_t check_cspace(struct invocation *inv, struct cte *root, word_t data, unsigned cap_index,
                           struct cap_change *change)
{
    change->slot = TCB_CSPACE;
    change->parent = root;
    if (root->cap.type != SEL_CAP_TYPE_CNODE)
        return inv_error_cap(inv, cap_index);
    word_t err = cap_derive(root, &change->cap);
    if (err)
        return err;
    if (data) {
        unsigned guard_bits = data & 63;
        if (guard_bits + change->cap.size_bits > SEL_WORD_BITS)
            return inv_error_argument(inv, 1);
        change->cap.guard_bits = (uint8_t)guard_bits;
        change->cap.data = shift_right(data, 6) & MASK(guard_bits);
    }
    return SEL_NO_ERROR;
}

static word_t check_vspace(struct invocation *inv, struct cte *root, unsigned cap_index, struct cap_change *change)
{
    change->slot = TCB_VSPACE;
    change->parent = root;
    if (root->cap.type != SEL_CAP_TYPE_PAGE_TABLE || !(root->cap.flags & CAP_VSPACE_ROOT))
        return inv_error_cap(inv, cap_index);
    return cap_derive(root, &change->cap);
}

static word_t check_ipc_buffer(struct invocation *inv, word_t vaddr, struct cte *frame, unsigned cap_index,
                               struct cap_change *change)
{
    change->slot = TCB_IPC_BUFFER;
    change->parent = frame;
    change->cap = cap_null();
    if (cap_is_null(&frame->cap))
        return SEL_NO_ERROR;
    if (!IS_ALIGNED(vaddr, SEL_IPC_BUFFER_BITS))
        return SEL_ALIGNMENT_ERROR;
    /*
     * The kernel writes the buffer: it must be ordinary RAM, and a frame
     * cap the thread could read through.  Read-only is allowed (the thread
     * can send from it); the kernel then writes nothing into it.
     */
    if (frame->cap.type != SEL_CAP_TYPE_FRAME || (frame->cap.flags & CAP_DEVICE) ||
        !(frame->cap.rights & SEL_CAN_READ))
        return inv_error_cap(inv, cap_index);
    return cap_derive(frame, &change->cap);
}

static word_t decode_configure(struct invocation *inv, struct tcb *target)
{
    if (inv->length < 4 || inv->extra_count < 3)
        return SEL_TRUNCATED_MESSAGE;
    struct cap_change c[4];
    word_t err;
    if ((err = check_fault_ep(inv, inv_arg(inv, 0), 0, &c[0])) ||
        (err = check_cspace(inv, inv->extra[0], inv_arg(inv, 1), 1, &c[1])) ||
        (err = check_vspace(inv, inv->extra[1], 2, &c[2])) ||
        (err = check_ipc_buffer(inv, inv_arg(inv, 3), inv->extra[2], 3, &c[3])))
        return err;
    target->ipc_buffer_vaddr = inv_arg(inv, 3);
    install_caps(target, c, 4);
    return SEL_NO_ERROR;
}

static word_t decode_set_space(struct invocation *inv, struct tcb *target)
{
    if (inv->length < 3 || inv->extra_count < 2)
        return SEL_TRUNCATED_MESSAGE;
    struct cap_change c[3];
    word_t err;
    if ((err = check_fault_ep(inv, inv_arg(inv, 0), 0, &c[0])) ||
        (err = check_cspace(inv, inv->extra[0], inv_arg(inv, 1), 1, &c[1])) ||
        (err = check_vspace(inv, inv->extra[1], 2, &c[2])))
        return err;
    install_caps(target, c, 3);
    return SEL_NO_ERROR;
}

static word_t decode_set_ipc_buffer(struct invocation *inv, struct tcb *target)
{
    if (inv->length < 1 || inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    struct cap_change c;
    word_t err = check_ipc_buffer(inv, inv_arg(inv, 0), inv->extra[0], 1, &c);
    if (err)
        return err;
    target->ipc_buffer_vaddr = inv_arg(inv, 0);
    install_caps(target, &c, 1);
    return SEL_NO_ERROR;
}

/* Registers are read and written as the pc followed by x1..x31 (sel_user_context_t). */
static word_t decode_read_registers(struct invocation *inv, struct tcb *target)
{
    if (inv->length < 2)
        return SEL_TRUNCATED_MESSAGE;
    word_t suspend = inv_arg(inv, 0), count = inv_arg(inv, 1);
    if (count > SEL_USER_CONTEXT_WORDS)
        return inv_error_range(inv, 0, SEL_USER_CONTEXT_WORDS);
    if (target == inv->thread)
        return SEL_ILLEGAL_OPERATION;
    if (suspend) {
        tcb_suspend(target);
    } else {
        /* A thread running on another hart: stop it there so its saved registers are current. */
        thread_evict(target);
        thread_readmit(target);
    }
    for (unsigned i = 0; i < count; i++)
        inv_reply(inv, i, target->ctx.regs[i]);
    return SEL_NO_ERROR;
}

static word_t decode_write_registers(struct invocation *inv, struct tcb *target)
{
    if (inv->length < 2)
        return SEL_TRUNCATED_MESSAGE;
    word_t resume = inv_arg(inv, 0), count = inv_arg(inv, 1);
    if (count > SEL_USER_CONTEXT_WORDS)
        return inv_error_range(inv, 0, SEL_USER_CONTEXT_WORDS);
    if (inv->length < 2 + count)
        return SEL_TRUNCATED_MESSAGE;
    if (target == inv->thread)
        return SEL_ILLEGAL_OPERATION;
    thread_evict(target);
    for (unsigned i = 0; i < count; i++)
        target->ctx.regs[i] = inv_arg(inv, 2 + i);
    thread_readmit(target);
    if (resume)
        tcb_resume(target);
    return SEL_NO_ERROR;
}

static void set_priority(struct tcb *t, word_t priority)
{
    thread_evict(t);
    t->priority = (uint8_t)priority;
    thread_readmit(t);
}

static word_t decode_sched(struct invocation *inv, struct tcb *target)
{
    unsigned nargs = inv->label == SEL_TCB_SET_SCHED_PARAMS ? 2 : 1;
    if (inv->length < nargs || inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    struct cap *authority_cap = inv_extra_cap(inv, 0);
    if (authority_cap->type != SEL_CAP_TYPE_TCB)
        return inv_error_cap(inv, 1);
    word_t limit = tcb_of(authority_cap)->mcp;
    for (unsigned i = 0; i < nargs; i++)
        if (inv_arg(inv, i) > limit)
            return inv_error_range(inv, 0, limit);

    switch (inv->label) {
    case SEL_TCB_SET_PRIORITY:
        set_priority(target, inv_arg(inv, 0));
        break;
    case SEL_TCB_SET_MC_PRIORITY:
        target->mcp = (uint8_t)inv_arg(inv, 0);
        break;
    default:
        target->mcp = (uint8_t)inv_arg(inv, 0);
        set_priority(target, inv_arg(inv, 1));
        break;
    }
    return SEL_NO_ERROR;
}

static word_t decode_bind_notification(struct invocation *inv, struct tcb *target)
{
    if (inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    struct cap *cap = inv_extra_cap(inv, 0);
    if (cap->type != SEL_CAP_TYPE_NOTIFICATION)
        return inv_error_cap(inv, 1);
    struct notification *n = notification_of(cap);
    if (target->bound_ntfn || !(cap->rights & SEL_CAN_READ) || n->bound_tcb || n->head)
        return SEL_ILLEGAL_OPERATION;
    target->bound_ntfn = n;
    n->bound_tcb = target;
    return SEL_NO_ERROR;
}

/* BindUserInterrupt: extra cap 0 is the UserInterrupt (with Read) that is to interrupt the thread. */
static word_t decode_bind_user_interrupt(struct invocation *inv, struct tcb *target)
{
    if (inv->extra_count < 1)
        return SEL_TRUNCATED_MESSAGE;
    struct cap *cap = inv_extra_cap(inv, 0);
    if (cap->type != SEL_CAP_TYPE_USER_INTERRUPT || !(cap->rights & SEL_CAN_READ))
        return inv_error_cap(inv, 1);
    return user_interrupt_bind(user_interrupt_of(cap), target);
}

static word_t decode_set_affinity(struct invocation *inv, struct tcb *target)
{
    if (inv->length < 1)
        return SEL_TRUNCATED_MESSAGE;
    word_t hart = inv_arg(inv, 0);
    if (hart >= num_harts)
        return inv_error_range(inv, 0, num_harts - 1);
    if (!harts[hart].online)
        return inv_error_argument(inv, 0);
    thread_evict(target);
    tcb_set_hart(target, hart);
    thread_readmit(target);
    return SEL_NO_ERROR;
}

word_t decode_tcb_invocation(struct invocation *inv)
{
    struct tcb *target = tcb_of(&inv->slot->cap);
    switch (inv->label) {
    case SEL_TCB_CONFIGURE:
        return decode_configure(inv, target);
    case SEL_TCB_SET_SPACE:
        return decode_set_space(inv, target);
    case SEL_TCB_SET_IPC_BUFFER:
        return decode_set_ipc_buffer(inv, target);
    case SEL_TCB_READ_REGISTERS:
        return decode_read_registers(inv, target);
    case SEL_TCB_WRITE_REGISTERS:
        return decode_write_registers(inv, target);
    case SEL_TCB_SET_PRIORITY:
    case SEL_TCB_SET_MC_PRIORITY:
    case SEL_TCB_SET_SCHED_PARAMS:
        return decode_sched(inv, target);
    case SEL_TCB_SUSPEND:
        tcb_suspend(target);
        return SEL_NO_ERROR;
    case SEL_TCB_RESUME:
        tcb_resume(target);
        return SEL_NO_ERROR;
    case SEL_TCB_BIND_NOTIFICATION:
        return decode_bind_notification(inv, target);
    case SEL_TCB_UNBIND_NOTIFICATION:
        if (!target->bound_ntfn)
            return SEL_ILLEGAL_OPERATION;
        tcb_unbind_notification(target);
        return SEL_NO_ERROR;
    case SEL_TCB_SET_AFFINITY:
        return decode_set_affinity(inv, target);
    case SEL_TCB_BIND_USER_INTERRUPT:
        return decode_bind_user_interrupt(inv, target);
    case SEL_TCB_UNBIND_USER_INTERRUPT:
        if (!target->bound_uintr)
            return SEL_ILLEGAL_OPERATION;
        user_interrupt_unbind(target);
        return SEL_NO_ERROR;
    default:
        return SEL_ILLEGAL_OPERATION;
    }
}
