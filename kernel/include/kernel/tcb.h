/* Thread control blocks. */
#ifndef KERNEL_TCB_H
#define KERNEL_TCB_H

#include <kernel/cap.h>
#include <kernel/config.h>

enum thread_state {
    THREAD_INACTIVE = 0,
    THREAD_RUNNING,               /* its hart's current thread, or in its hart's ready queue */
    THREAD_BLOCKED_ON_SEND,
    THREAD_BLOCKED_ON_RECV,
    THREAD_BLOCKED_ON_REPLY,
    THREAD_BLOCKED_ON_NOTIFICATION,
};

/* Register indices in user_context.regs: the pc, then x1..x31. */
enum {
    REG_PC = 0, REG_RA = 1, REG_SP = 2, REG_GP = 3, REG_TP = 4,
    REG_T0 = 5, REG_S0 = 8, REG_A0 = 10, REG_A1 = 11, REG_A2 = 12, REG_A3 = 13,
    REG_A4 = 14, REG_A5 = 15, REG_A6 = 16, REG_A7 = 17, REG_T6 = 31,
    NUM_REGS = 32
};

struct hart;

/* Word offsets in the IPC buffer (sel_ipc_buffer_t). */
#define IPCBUF_TAG          0
#define IPCBUF_MSG(i)       (1 + (i))
#define IPCBUF_CAPS(i)      (122 + (i))
#define IPCBUF_RECV_CNODE   125
#define IPCBUF_RECV_INDEX   126
#define IPCBUF_RECV_DEPTH   127

/* Saved by the trap entry, restored on return to user mode (offsets used by entry.S). */
struct user_context {
    word_t regs[NUM_REGS];
    /* Set with the affinity (tcb_set_hart), so always those of the thread's hart. */
    word_t kernel_sp;     /* top of the kernel stack of the hart the thread runs on */
    struct hart *hart;    /* that hart, for tp in the kernel */
};

/* The caps a TCB holds for its thread, in TCB-internal slots. */
enum tcb_slot {
    TCB_CSPACE,
    TCB_VSPACE,
    TCB_IPC_BUFFER,
    TCB_FAULT_EP,
    TCB_NUM_SLOTS
};

struct notification;
struct user_interrupt;

struct tcb {
    struct user_context ctx;    /* first: the trap entry finds it through sscratch */

    uint8_t state;              /* enum thread_state */
    uint8_t priority;
    uint8_t mcp;                /* maximum controlled priority */
    uint8_t hart;               /* affinity: the index of the hart it runs on */
    uint8_t timeslice;          /* ticks left in its round-robin slice */
    uint8_t fault;              /* SEL_FAULT_* being delivered, SEL_FAULT_NULL if none */
    bool in_ready_queue;

    /* While blocked on an endpoint or notification. */
    bool blocked_is_call;
    bool blocked_can_grant;
    bool blocked_can_grant_reply;
    word_t blocked_badge;
    void *blocked_on;
    struct tcb *ipc_next;
    struct tcb *ipc_prev;

    struct tcb *sched_next;
    struct tcb *sched_prev;

    /* Call/Reply: a server's reply_to is the caller whose reply_from is that server. */
    struct tcb *reply_to;
    struct tcb *reply_from;
    bool reply_can_grant;

    struct notification *bound_ntfn;
    word_t ipc_buffer_vaddr;

    /* User interrupts (user_interrupt.c): what interrupts it, and the interrupted registers while in its handler. */
    struct user_interrupt *bound_uintr;
    bool uintr_in_handler;
    word_t uintr_saved[NUM_REGS];

    /* satp for its VSpace, valid while satp_generation == vspace_generation (vspace.h). */
    word_t satp;
    word_t satp_generation;
    word_t satp_asid_bit;       /* its ASID's bit in a hart's asid_used word ... */
    uint16_t satp_asid_word;    /* ... and which word */
    struct hart *satp_asid_marked_on;   /* the hart whose asid_used has that bit set for us */
    word_t fault_msg[4];        /* fault-specific words of the fault message */
    word_t reap_link;           /* links a dying TCB into the reap list ... */
    word_t reap_progress;       /* ... and counts its slots deleted so far */
    word_t cpu_instructions;    /* run in user mode and in the kernel for it (DebugCpuTime), up to its last switch */
    char name[16];

    struct cte slots[TCB_NUM_SLOTS];
};

_Static_assert(sizeof(struct tcb) <= BIT(SEL_TCB_BITS), "a TCB fits its object size");

static inline struct tcb *tcb_of(const struct cap *cap) { return (struct tcb *)cap->ptr; }

/*
 * The thread's IPC buffer if its frame cap allows what the kernel is to do
 * with it, else NULL (as if it had none): SEL_CAN_READ to read what the
 * thread sends, SEL_READ_WRITE to write what it receives (as seL4 does).
 */
word_t *tcb_ipc_buffer(struct tcb *t, word_t rights);

/* Reads message register i of t (i < SEL_MSG_MAX_LENGTH); buffer from tcb_ipc_buffer(). */
static inline word_t tcb_get_mr(struct tcb *t, word_t *buffer, unsigned i)
{
    if (i < SEL_FAST_MESSAGE_REGISTERS)
        return t->ctx.regs[REG_A2 + i];
    return buffer ? buffer[IPCBUF_MSG(i)] : 0;
}

/* Writes message register i of t; returns false if it has no IPC buffer for it. */
static inline bool tcb_set_mr(struct tcb *t, word_t *buffer, unsigned i, word_t value)
{
    if (i < SEL_FAST_MESSAGE_REGISTERS) {
        t->ctx.regs[REG_A2 + i] = value;
        return true;
    }
    if (!buffer)
        return false;
    buffer[IPCBUF_MSG(i)] = value;
    return true;
}

/* Queues of blocked threads (endpoints, notifications), linked through ipc_next/ipc_prev. */
static inline void tcb_queue_append(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    t->ipc_next = NULL;
    t->ipc_prev = *tail;
    if (*tail)
        (*tail)->ipc_next = t;
    else
        *head = t;
    *tail = t;
}

static inline void tcb_queue_remove(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    if (t->ipc_prev)
        t->ipc_prev->ipc_next = t->ipc_next;
    else
        *head = t->ipc_next;
    if (t->ipc_next)
        t->ipc_next->ipc_prev = t->ipc_prev;
    else
        *tail = t->ipc_prev;
    t->ipc_next = t->ipc_prev = NULL;
}

/* Server side of Call: replier now holds the reply for caller (dropping any older one). */
static inline void reply_link(struct tcb *replier, struct tcb *caller, bool can_grant)
{
    if (replier->reply_to)
        replier->reply_to->reply_from = NULL;
    replier->reply_to = caller;
    replier->reply_can_grant = can_grant;
    caller->reply_from = replier;
}

static inline void reply_unlink(struct tcb *replier)
{
    if (replier->reply_to)
        replier->reply_to->reply_from = NULL;
    replier->reply_to = NULL;
}

void tcb_init(struct tcb *t, unsigned hart);
/* Sets the thread's affinity and the hart its context names (the thread must not be running). */
void tcb_set_hart(struct tcb *t, unsigned hart);
/* Takes t out of whatever IPC it is blocked in (its state is left for the caller to set). */
void tcb_cancel_ipc(struct tcb *t);
/* Stops the thread: cancels its IPC, takes it off its hart; it becomes inactive. */
void tcb_suspend(struct tcb *t);
/* Makes an inactive thread runnable. */
void tcb_resume(struct tcb *t);
/* Called when the last cap to the TCB goes: suspends it and unbinds it (cap.c then deletes its slots). */
void tcb_destroy(struct tcb *t);
void tcb_unbind_notification(struct tcb *t);

struct invocation;
word_t decode_tcb_invocation(struct invocation *inv);

#endif
