/*
 * Invocations of kernel objects: each is a Call on the object's cap with the
 * invocation label, the arguments as message words and any caps as extra
 * caps.  The kernel's answer is the reply's label (0 or a sel_error_t);
 * results and error details come back in the message words, which are left
 * in the IPC buffer (msg[0..]) for sel_get_mr().
 */
#include <sel/sel.h>
#include <string.h>

static sel_error_t invoke(sel_cptr_t service, sel_word_t label, unsigned nargs, const sel_word_t *args,
                          unsigned ncaps, const sel_cptr_t *caps)
{
    sel_ipc_buffer_t *b = sel_ipc_buffer();
    sel_word_t mr[SEL_FAST_MESSAGE_REGISTERS] = { 0 };
    for (unsigned i = 0; i < ncaps; i++)
        b->caps_or_badges[i] = caps[i];
    for (unsigned i = 0; i < nargs; i++) {
        if (i < SEL_FAST_MESSAGE_REGISTERS)
            mr[i] = args[i];
        else
            b->msg[i] = args[i];
    }
    sel_msginfo_t info = sel_call_mrs(service, sel_msginfo_new(label, 0, ncaps, nargs), &mr[0], &mr[1], &mr[2],
                                      &mr[3]);
    for (unsigned i = 0; i < SEL_FAST_MESSAGE_REGISTERS; i++)
        b->msg[i] = mr[i];
    return (sel_error_t)sel_msginfo_label(info);
}

#define ARGS(...) (const sel_word_t[]){ __VA_ARGS__ }
#define CAPS(...) (const sel_cptr_t[]){ __VA_ARGS__ }
#define NARGS(...) (sizeof((sel_word_t[]){ __VA_ARGS__ }) / sizeof(sel_word_t))

sel_error_t sel_untyped_retype(sel_cptr_t untyped, sel_object_type_t type, sel_word_t size_bits,
                               sel_cptr_t root, sel_word_t node_index, sel_word_t node_depth,
                               sel_word_t node_offset, sel_word_t num_objects)
{
    return invoke(untyped, SEL_UNTYPED_RETYPE, 6,
                  ARGS(type, size_bits, node_index, node_depth, node_offset, num_objects), 1, CAPS(root));
}

sel_word_t sel_object_size(sel_object_type_t type, sel_word_t size_bits)
{
    switch (type) {
    case SEL_UNTYPED_OBJECT:
        return 1ull << size_bits;
    case SEL_TCB_OBJECT:
        return 1ull << SEL_TCB_BITS;
    case SEL_ENDPOINT_OBJECT:
        return 1ull << SEL_ENDPOINT_BITS;
    case SEL_NOTIFICATION_OBJECT:
        return 1ull << SEL_NOTIFICATION_BITS;
    case SEL_CNODE_OBJECT:
        return 1ull << (size_bits + SEL_SLOT_BITS);
    case SEL_PAGE_TABLE_OBJECT:
        return 1ull << SEL_PAGE_TABLE_BITS;
    case SEL_FRAME_4K_OBJECT:
        return 1ull << SEL_PAGE_BITS;
    case SEL_FRAME_2M_OBJECT:
        return 1ull << SEL_LARGE_PAGE_BITS;
    default:
        return 0;
    }
}

/* ---- CNode ---- */

sel_error_t sel_cnode_revoke(sel_cptr_t root, sel_word_t index, sel_word_t depth)
{
    return invoke(root, SEL_CNODE_REVOKE, 2, ARGS(index, depth), 0, NULL);
}

sel_error_t sel_cnode_delete(sel_cptr_t root, sel_word_t index, sel_word_t depth)
{
    return invoke(root, SEL_CNODE_DELETE, 2, ARGS(index, depth), 0, NULL);
}

sel_error_t sel_cnode_cancel_badged_sends(sel_cptr_t root, sel_word_t index, sel_word_t depth)
{
    return invoke(root, SEL_CNODE_CANCEL_BADGED_SENDS, 2, ARGS(index, depth), 0, NULL);
}

sel_error_t sel_cnode_copy(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                           sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth, sel_rights_t rights)
{
    return invoke(dest_root, SEL_CNODE_COPY, 5, ARGS(dest_index, dest_depth, src_index, src_depth, rights), 1,
                  CAPS(src_root));
}

sel_error_t sel_cnode_mint(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                           sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth, sel_rights_t rights,
                           sel_word_t badge)
{
    return invoke(dest_root, SEL_CNODE_MINT, 6, ARGS(dest_index, dest_depth, src_index, src_depth, rights, badge),
                  1, CAPS(src_root));
}

sel_error_t sel_cnode_move(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                           sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth)
{
    return invoke(dest_root, SEL_CNODE_MOVE, 4, ARGS(dest_index, dest_depth, src_index, src_depth), 1,
                  CAPS(src_root));
}

sel_error_t sel_cnode_mutate(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                             sel_cptr_t src_root, sel_word_t src_index, sel_word_t src_depth, sel_word_t badge)
{
    return invoke(dest_root, SEL_CNODE_MUTATE, 5, ARGS(dest_index, dest_depth, src_index, src_depth, badge), 1,
                  CAPS(src_root));
}

sel_error_t sel_cnode_rotate(sel_cptr_t dest_root, sel_word_t dest_index, sel_word_t dest_depth,
                             sel_word_t dest_badge, sel_cptr_t pivot_root, sel_word_t pivot_index,
                             sel_word_t pivot_depth, sel_word_t pivot_badge, sel_cptr_t src_root,
                             sel_word_t src_index, sel_word_t src_depth)
{
    return invoke(dest_root, SEL_CNODE_ROTATE, 8,
                  ARGS(dest_index, dest_depth, dest_badge, pivot_index, pivot_depth, pivot_badge, src_index,
                       src_depth),
                  2, CAPS(pivot_root, src_root));
}

/* ---- TCB ---- */

sel_error_t sel_tcb_configure(sel_cptr_t tcb, sel_cptr_t fault_ep, sel_cptr_t cspace_root,
                              sel_word_t cspace_root_data, sel_cptr_t vspace_root, sel_word_t ipc_buffer_addr,
                              sel_cptr_t ipc_buffer_frame)
{
    return invoke(tcb, SEL_TCB_CONFIGURE, 4, ARGS(fault_ep, cspace_root_data, 0, ipc_buffer_addr), 3,
                  CAPS(cspace_root, vspace_root, ipc_buffer_frame));
}

sel_error_t sel_tcb_set_priority(sel_cptr_t tcb, sel_cptr_t authority, sel_word_t priority)
{
    return invoke(tcb, SEL_TCB_SET_PRIORITY, 1, ARGS(priority), 1, CAPS(authority));
}

sel_error_t sel_tcb_set_mc_priority(sel_cptr_t tcb, sel_cptr_t authority, sel_word_t mcp)
{
    return invoke(tcb, SEL_TCB_SET_MC_PRIORITY, 1, ARGS(mcp), 1, CAPS(authority));
}

sel_error_t sel_tcb_set_sched_params(sel_cptr_t tcb, sel_cptr_t authority, sel_word_t mcp, sel_word_t priority)
{
    return invoke(tcb, SEL_TCB_SET_SCHED_PARAMS, 2, ARGS(mcp, priority), 1, CAPS(authority));
}

sel_error_t sel_tcb_set_ipc_buffer(sel_cptr_t tcb, sel_word_t addr, sel_cptr_t frame)
{
    return invoke(tcb, SEL_TCB_SET_IPC_BUFFER, 1, ARGS(addr), 1, CAPS(frame));
}

sel_error_t sel_tcb_set_space(sel_cptr_t tcb, sel_cptr_t fault_ep, sel_cptr_t cspace_root,
                              sel_word_t cspace_root_data, sel_cptr_t vspace_root)
{
    return invoke(tcb, SEL_TCB_SET_SPACE, 3, ARGS(fault_ep, cspace_root_data, 0), 2,
                  CAPS(cspace_root, vspace_root));
}

sel_error_t sel_tcb_read_registers(sel_cptr_t tcb, bool suspend, sel_word_t count, sel_user_context_t *regs)
{
    sel_error_t err = invoke(tcb, SEL_TCB_READ_REGISTERS, 2, ARGS(suspend, count), 0, NULL);
    if (err == SEL_NO_ERROR && regs)
        memcpy(regs, sel_ipc_buffer()->msg, count * sizeof(sel_word_t));
    return err;
}

sel_error_t sel_tcb_write_registers(sel_cptr_t tcb, bool resume, sel_word_t count, const sel_user_context_t *regs)
{
    sel_word_t args[2 + SEL_USER_CONTEXT_WORDS] = { resume, count };
    unsigned nargs = 2;
    if (count <= SEL_USER_CONTEXT_WORDS) {   /* otherwise the kernel reports the limit */
        memcpy(&args[2], regs, count * sizeof(sel_word_t));
        nargs += (unsigned)count;
    }
    return invoke(tcb, SEL_TCB_WRITE_REGISTERS, nargs, args, 0, NULL);
}

sel_error_t sel_tcb_suspend(sel_cptr_t tcb) { return invoke(tcb, SEL_TCB_SUSPEND, 0, NULL, 0, NULL); }

sel_error_t sel_tcb_resume(sel_cptr_t tcb) { return invoke(tcb, SEL_TCB_RESUME, 0, NULL, 0, NULL); }

sel_error_t sel_tcb_bind_notification(sel_cptr_t tcb, sel_cptr_t ntfn)
{
    return invoke(tcb, SEL_TCB_BIND_NOTIFICATION, 0, NULL, 1, CAPS(ntfn));
}

sel_error_t sel_tcb_unbind_notification(sel_cptr_t tcb)
{
    return invoke(tcb, SEL_TCB_UNBIND_NOTIFICATION, 0, NULL, 0, NULL);
}

sel_error_t sel_tcb_bind_user_interrupt(sel_cptr_t tcb, sel_cptr_t uintr)
{
    return invoke(tcb, SEL_TCB_BIND_USER_INTERRUPT, 0, NULL, 1, CAPS(uintr));
}

sel_error_t sel_tcb_unbind_user_interrupt(sel_cptr_t tcb)
{
    return invoke(tcb, SEL_TCB_UNBIND_USER_INTERRUPT, 0, NULL, 0, NULL);
}

sel_error_t sel_tcb_set_affinity(sel_cptr_t tcb, sel_word_t hart)
{
    return invoke(tcb, SEL_TCB_SET_AFFINITY, 1, ARGS(hart), 0, NULL);
}

/* ---- VSpace ---- */

sel_error_t sel_frame_map(sel_cptr_t frame, sel_cptr_t vspace, sel_word_t vaddr, sel_rights_t rights,
                          sel_word_t attributes)
{
    return invoke(frame, SEL_FRAME_MAP, 3, ARGS(vaddr, rights, attributes), 1, CAPS(vspace));
}

sel_error_t sel_frame_unmap(sel_cptr_t frame) { return invoke(frame, SEL_FRAME_UNMAP, 0, NULL, 0, NULL); }

sel_error_t sel_frame_get_address(sel_cptr_t frame, sel_word_t *paddr)
{
    sel_error_t err = invoke(frame, SEL_FRAME_GET_ADDRESS, 0, NULL, 0, NULL);
    if (err == SEL_NO_ERROR && paddr)
        *paddr = sel_get_mr(0);
    return err;
}

sel_error_t sel_page_table_map(sel_cptr_t page_table, sel_cptr_t vspace, sel_word_t vaddr, sel_word_t attributes)
{
    return invoke(page_table, SEL_PAGE_TABLE_MAP, 2, ARGS(vaddr, attributes), 1, CAPS(vspace));
}

sel_error_t sel_page_table_unmap(sel_cptr_t page_table)
{
    return invoke(page_table, SEL_PAGE_TABLE_UNMAP, 0, NULL, 0, NULL);
}

sel_error_t sel_asid_control_make_pool(sel_cptr_t asid_control, sel_cptr_t untyped, sel_cptr_t root,
                                       sel_word_t index, sel_word_t depth)
{
    return invoke(asid_control, SEL_ASID_CONTROL_MAKE_POOL, 2, ARGS(index, depth), 2, CAPS(untyped, root));
}

sel_error_t sel_asid_pool_assign(sel_cptr_t pool, sel_cptr_t vspace)
{
    return invoke(pool, SEL_ASID_POOL_ASSIGN, 0, NULL, 1, CAPS(vspace));
}

/* ---- IRQ ---- */

sel_error_t sel_irq_control_get(sel_cptr_t irq_control, sel_word_t irq, sel_cptr_t root, sel_word_t index,
                                sel_word_t depth)
{
    return invoke(irq_control, SEL_IRQ_CONTROL_GET, 3, ARGS(irq, index, depth), 1, CAPS(root));
}

sel_error_t sel_irq_handler_ack(sel_cptr_t handler) { return invoke(handler, SEL_IRQ_HANDLER_ACK, 0, NULL, 0, NULL); }

sel_error_t sel_irq_handler_set_notification(sel_cptr_t handler, sel_cptr_t ntfn)
{
    return invoke(handler, SEL_IRQ_HANDLER_SET_NOTIFICATION, 0, NULL, 1, CAPS(ntfn));
}

sel_error_t sel_irq_handler_set_user_interrupt(sel_cptr_t handler, sel_cptr_t token)
{
    return invoke(handler, SEL_IRQ_HANDLER_SET_USER_INTERRUPT, 0, NULL, 1, CAPS(token));
}

sel_error_t sel_irq_handler_clear(sel_cptr_t handler)
{
    return invoke(handler, SEL_IRQ_HANDLER_CLEAR, 0, NULL, 0, NULL);
}

sel_error_t sel_irq_handler_read_console(sel_cptr_t handler, bool idle, char text[SEL_CONSOLE_READ_MAX],
                                         sel_console_read_t *out)
{
    sel_error_t err = invoke(handler, SEL_IRQ_HANDLER_READ_CONSOLE, 1, ARGS(idle ? SEL_CONSOLE_READ_IDLE : 0), 0,
                             NULL);
    if (err != SEL_NO_ERROR)
        return err;
    *out = (sel_console_read_t){ sel_get_mr(0), sel_get_mr(1), sel_get_mr(2), sel_get_mr(3) };
    if (out->bytes > SEL_CONSOLE_READ_MAX)
        out->bytes = SEL_CONSOLE_READ_MAX;
    memcpy(text, &sel_ipc_buffer()->msg[4], out->bytes);
    return SEL_NO_ERROR;
}

/* ---- debug and names ---- */

sel_cptr_t sel_debug_cap;

sel_error_t sel_debug_name_thread(sel_cptr_t tcb, const char *name)
{
    char *dst = (char *)sel_ipc_buffer()->msg;
    size_t n = strlen(name);
    if (n > 15)
        n = 15;
    memcpy(dst, name, n);
    dst[n] = 0;
    sel_word_t arg = tcb;
    return sel__debug_call(SEL_SYS_DEBUG_NAME_THREAD, &arg, NULL);
}

const char *sel_error_name(sel_error_t error)
{
    static const char *const names[] = {
        "no error", "invalid argument", "invalid capability", "illegal operation", "range error",
        "alignment error", "failed lookup", "truncated message", "delete first", "revoke first",
        "not enough memory",
    };
    return (unsigned)error < sizeof(names) / sizeof(names[0]) ? names[error] : "unknown error";
}

const char *sel_cap_type_name(int cap_type)
{
    static const char *const names[] = {
        "null", "untyped", "endpoint", "notification", "cnode", "tcb", "frame", "page table",
        "asid control", "asid pool", "irq control", "irq handler", "user interrupt", "debug", "zombie",
    };
    return (unsigned)cap_type < sizeof(names) / sizeof(names[0]) ? names[cap_type] : "unknown";
}

/* ---- Notification ---- */

sel_error_t sel_notification_set_alarm(sel_cptr_t ntfn, sel_word_t deadline, sel_word_t badge)
{
    return invoke(ntfn, SEL_NOTIFICATION_SET_ALARM, 2, ARGS(deadline, badge), 0, NULL);
}
