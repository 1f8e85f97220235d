/* Threads sharing the root task's image: see sel/thread.h. */
#include <picolibc.h>
#include <picotls.h>
#include <sel/thread.h>
#include <sel/trace.h>
#include <string.h>

#define STACK_PAGES 4
#define PROCESS_STACK_VADDR 0x2000000000ull
#define PROCESS_IPC_VADDR   0x2000100000ull

extern char __image_end[];

/*
 * A new thread starts here: a0 = fn, a1 = arg, a2 = its TLS area, a3 = its
 * IPC buffer, a4 = its TCB.  Nothing may touch TLS before _set_tls.
 */
static void thread_entry(sel_thread_fn fn, void *arg, void *tls, sel_ipc_buffer_t *ipc, sel_cptr_t tcb)
{
    _init_tls(tls);
    _set_tls(tls);
    sel_set_ipc_buffer(ipc);
    SEL_TRACE_THREAD_START();
    fn(arg);
    sel_tcb_suspend(tcb);
}

sel_error_t sel_thread_create(sel_allocator_t *a, sel_thread_t *t, bool new_vspace, sel_word_t priority,
                              sel_cptr_t fault_ep, sel_thread_fn fn, void *arg)
{
    const sel_bootinfo_t *bi = sel_get_bootinfo();
    sel_error_t err;
    memset(t, 0, sizeof(*t));

    t->tcb = sel_alloc_object(a, SEL_TCB_OBJECT, 0);
    t->ipc_frame = sel_alloc_object(a, SEL_FRAME_4K_OBJECT, 0);
    if (!t->tcb || !t->ipc_frame)
        return SEL_NOT_ENOUGH_MEMORY;

    sel_word_t stack_base;
    if (!new_vspace) {
        t->vspace = SEL_CAP_INIT_VSPACE;
        void *pages = sel_alloc_map_pages(a, STACK_PAGES);
        if (!pages)
            return SEL_NOT_ENOUGH_MEMORY;
        stack_base = (sel_word_t)pages;
        t->ipc_buffer = a->vaddr_next;   /* after the stack's guard page */
        a->vaddr_next += 2 * 4096;
        err = sel_alloc_map_frame(a, t->ipc_frame, t->vspace, t->ipc_buffer, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
        if (err)
            return err;
    } else {
        /* A VSpace root with its own ASID, mapping copies of every image frame at the same place. */
        t->vspace = sel_alloc_object(a, SEL_PAGE_TABLE_OBJECT, 0);
        if (!t->vspace)
            return SEL_NOT_ENOUGH_MEMORY;
        if ((err = sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, t->vspace)))
            return err;
        for (sel_word_t i = 0; bi->image_vaddr + i * 4096 < (sel_word_t)__image_end; i++) {
            sel_cptr_t copy = sel_alloc_slot(a);
            if (!copy)
                return SEL_NOT_ENOUGH_MEMORY;
            if ((err = sel_cnode_copy(a->root, copy, SEL_WORD_BITS, a->root, bi->user_image_frames.start + i,
                                      SEL_WORD_BITS, SEL_ALL_RIGHTS)))
                return err;
            if ((err = sel_alloc_map_frame(a, copy, t->vspace, bi->image_vaddr + i * 4096, SEL_READ_WRITE,
                                           SEL_VM_DEFAULT)))
                return err;
        }
        stack_base = PROCESS_STACK_VADDR;
        for (sel_word_t i = 0; i < STACK_PAGES; i++) {
            sel_cptr_t frame = sel_alloc_object(a, SEL_FRAME_4K_OBJECT, 0);
            if (!frame)
                return SEL_NOT_ENOUGH_MEMORY;
            if ((err = sel_alloc_map_frame(a, frame, t->vspace, stack_base + i * 4096, SEL_READ_WRITE,
                                           SEL_VM_EXECUTE_NEVER)))
                return err;
        }
        t->ipc_buffer = PROCESS_IPC_VADDR;
        err = sel_alloc_map_frame(a, t->ipc_frame, t->vspace, t->ipc_buffer, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER);
        if (err)
            return err;
    }

    if ((err = sel_tcb_configure(t->tcb, fault_ep, SEL_CAP_INIT_CNODE, 0, t->vspace, t->ipc_buffer, t->ipc_frame)))
        return err;
    if ((err = sel_tcb_set_sched_params(t->tcb, SEL_CAP_INIT_TCB, priority, priority)))
        return err;

    /* The TLS block at the top of the stack, the stack below it. */
    sel_word_t stack_top = stack_base + STACK_PAGES * 4096;
    sel_word_t tls = (stack_top - sel_tls_size()) & ~(sel_word_t)63;
    sel_user_context_t regs = { 0 };
    regs.pc = (sel_word_t)thread_entry;
    regs.sp = tls & ~(sel_word_t)15;
    __asm__("mv %0, gp" : "=r"(regs.gp));
    regs.a0 = (sel_word_t)fn;
    regs.a1 = (sel_word_t)arg;
    regs.a2 = tls;
    regs.a3 = t->ipc_buffer;
    regs.a4 = t->tcb;
    return sel_tcb_write_registers(t->tcb, false, SEL_USER_CONTEXT_WORDS, &regs);
}

sel_error_t sel_thread_start(sel_thread_t *t) { return sel_tcb_resume(t->tcb); }
