/* Thread control blocks. */
#ifndef SEL_TCB_H
#define SEL_TCB_H

#include <sel/abi.h>

/*
 * Sets a thread's fault endpoint (looked up now in the caller's CSpace; 0 for
 * none), CSpace root (with guard data, 0 to keep the cap's guard), VSpace
 * root and IPC buffer (address 1 KiB aligned, frame cap 0 for none).
 */
sel_error_t sel_tcb_configure(sel_cptr_t tcb, sel_cptr_t fault_ep, sel_cptr_t cspace_root,
                              sel_word_t cspace_root_data, sel_cptr_t vspace_root,
                              sel_word_t ipc_buffer_addr, sel_cptr_t ipc_buffer_frame);

/* Sets the priority; it may not exceed the maximum controlled priority of authority. */
sel_error_t sel_tcb_set_priority(sel_cptr_t tcb, sel_cptr_t authority, sel_word_t priority);

/* Sets the maximum controlled priority; it may not exceed that of authority. */
sel_error_t sel_tcb_set_mc_priority(sel_cptr_t tcb, sel_cptr_t authority, sel_word_t mcp);

/* Sets both the maximum controlled priority and the priority. */
sel_error_t sel_tcb_set_sched_params(sel_cptr_t tcb, sel_cptr_t authority, sel_word_t mcp,
                                     sel_word_t priority);

/* Sets the IPC buffer (address 1 KiB aligned; frame 0 for none). */
sel_error_t sel_tcb_set_ipc_buffer(sel_cptr_t tcb, sel_word_t addr, sel_cptr_t frame);

/* Sets the fault endpoint, CSpace root and VSpace root. */
sel_error_t sel_tcb_set_space(sel_cptr_t tcb, sel_cptr_t fault_ep, sel_cptr_t cspace_root,
                              sel_word_t cspace_root_data, sel_cptr_t vspace_root);

/*
 * Reads the first count registers (pc, then x1..) into *regs, suspending the
 * thread first if suspend is true.  SEL_RANGE_ERROR if count > 32.
 */
sel_error_t sel_tcb_read_registers(sel_cptr_t tcb, bool suspend, sel_word_t count,
                                   sel_user_context_t *regs);

/* Writes the first count registers from *regs, resuming the thread if resume is true. */
sel_error_t sel_tcb_write_registers(sel_cptr_t tcb, bool resume, sel_word_t count,
                                    const sel_user_context_t *regs);

/* Stops the thread (cancelling any IPC it is blocked in). */
sel_error_t sel_tcb_suspend(sel_cptr_t tcb);

/* Makes an inactive thread runnable; does nothing to a thread that is not inactive. */
sel_error_t sel_tcb_resume(sel_cptr_t tcb);

/* Binds notification ntfn to the thread, so a Signal wakes it even in Recv on an endpoint. */
sel_error_t sel_tcb_bind_notification(sel_cptr_t tcb, sel_cptr_t ntfn);

/* Unbinds the thread's notification; SEL_ILLEGAL_OPERATION if none is bound. */
sel_error_t sel_tcb_unbind_notification(sel_cptr_t tcb);

/*
 * Binds UserInterrupt uintr (with Read) to the thread: tokens minted from it
 * interrupt this thread (sel/uintr.h).  SEL_ILLEGAL_OPERATION if either is
 * already bound.
 */
sel_error_t sel_tcb_bind_user_interrupt(sel_cptr_t tcb, sel_cptr_t uintr);

/* Unbinds the thread's UserInterrupt; SEL_ILLEGAL_OPERATION if none is bound. */
sel_error_t sel_tcb_unbind_user_interrupt(sel_cptr_t tcb);

/* Moves the thread to hart (0..num_harts-1 as in the boot info). */
sel_error_t sel_tcb_set_affinity(sel_cptr_t tcb, sel_word_t hart);

#endif
