/*
 * Threads for root tasks and tests: in the caller's address space, or in a
 * new address space that maps the same program image (so code and globals
 * are shared, the stack, TLS and IPC buffer are not).  Both share the
 * root task's CSpace.
 */
#ifndef SEL_THREAD_H
#define SEL_THREAD_H

#include <sel/alloc.h>

typedef struct sel_thread {
    sel_cptr_t tcb;
    sel_cptr_t vspace;          /* SEL_CAP_INIT_VSPACE, or the new address space */
    sel_cptr_t ipc_frame;
    sel_word_t ipc_buffer;      /* its address in the thread's address space */
} sel_thread_t;

typedef void (*sel_thread_fn)(void *arg);

/*
 * Creates a thread that will run fn(arg) at priority (not yet started: see
 * sel_thread_start).  new_vspace puts it in an address space of its own.
 * fault_ep (0: none) receives its faults.  When fn returns the thread
 * suspends itself.  Returns SEL_NO_ERROR or what failed.
 */
sel_error_t sel_thread_create(sel_allocator_t *a, sel_thread_t *t, bool new_vspace, sel_word_t priority,
                              sel_cptr_t fault_ep, sel_thread_fn fn, void *arg);

/* Starts a created thread. */
sel_error_t sel_thread_start(sel_thread_t *t);

#endif
