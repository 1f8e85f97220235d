/*
 * The IPC buffer: a thread's in-memory extension of its message registers
 * (message registers 0..3 travel in a2..a5; msg[4..] are read and written
 * here), followed by its user-interrupt CSRs (sel/uintr.h).  Shared by the
 * kernel and user space; 2 KiB aligned, so it never straddles a page.
 */
#ifndef SEL_IPC_BUFFER_H
#define SEL_IPC_BUFFER_H

#include <sel/abi.h>
#include <sel/types.h>
#include <sel/uintr_csrs.h>

typedef struct sel_ipc_buffer {
    sel_word_t tag;
    sel_word_t msg[SEL_MSG_MAX_LENGTH];
    sel_word_t user_data;
    /* Out: caps to send.  In: badges of unwrapped caps. */
    sel_word_t caps_or_badges[SEL_MSG_MAX_EXTRA_CAPS];
    /* Where a received capability goes: a CNode, an index in it, a depth. */
    sel_cptr_t receive_cnode;
    sel_cptr_t receive_index;
    sel_word_t receive_depth;
    /* At 1 KiB: the emulated N-extension CSRs, read and written by the kernel as by the thread. */
    sel_uintr_csrs_t uintr;
} sel_ipc_buffer_t;

_Static_assert(__builtin_offsetof(sel_ipc_buffer_t, uintr) == 1024, "the user-interrupt CSRs follow the 1 KiB of IPC");
_Static_assert(sizeof(sel_ipc_buffer_t) <= (1u << SEL_IPC_BUFFER_BITS), "the IPC buffer fits its alignment");

#endif
