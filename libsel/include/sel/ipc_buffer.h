/*
 * The IPC buffer: a thread's 1 KiB in-memory extension of its message
 * registers.  Message registers 0..3 travel in a2..a5; msg[4..] are read and
 * written here.  Shared by the kernel and user space.
 */
#ifndef SEL_IPC_BUFFER_H
#define SEL_IPC_BUFFER_H

#include <sel/types.h>

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
} sel_ipc_buffer_t;

_Static_assert(sizeof(sel_ipc_buffer_t) == 1024, "the IPC buffer is exactly 1 KiB");

#endif
