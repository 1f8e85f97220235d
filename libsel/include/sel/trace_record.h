/*
 * The trace's records, as the kernel (kernel/core/trace.c), libsel
 * (sel/trace.h) and the converter (tools/trace/) read and write them.
 * docs/trace.md says how a trace is made and read.
 *
 * A record is 32 bytes:
 *
 *   0   time     instret when the event happened: under QEMU -icount
 *                shift=0 the instruction clock every hart shares, so
 *                records of all harts and threads lie on one time line
 *   8   kind     SEL_TRACE_* below; 0 marks a slot never written (or being
 *                written when the machine stopped): the reader skips it
 *   9   flags    per kind
 *   10  info     per kind (16 bits)
 *   12  thread   the thread the event concerns (SEL_TRACE_THREAD_ID), 0: none
 *   16  b        per kind (32 bits)
 *   20  a        per kind (32 bits): the other thread, in kernel records
 *   24  value    per kind (64 bits)
 *
 * (Thread ids sit in the high halves of their words: the kernel makes
 * those words with two shifts, where a low half would need a third.)
 *
 * The kernel writes records into one buffer per hart (trace_control
 * below); each thread of user space writes its own into a ring in its own
 * memory (sel_trace_ring_t), which it registers with the kernel once
 * (DebugTrace, SEL_TRACE_OP_REGISTER) so the converter can find it.
 * Nothing ever reads a record back on the machine: the converter copies
 * the buffers out through QEMU's monitor once the machine is stopped.
 *
 * Threads are named by SEL_TRACE_THREAD_ID: the low 32 bits of the TCB's
 * kernel address over its 1 KiB alignment (0xf0000000 | physical / 1024,
 * for TCBs below 256 GiB); objects (endpoints, notifications, user
 * interrupts) by SEL_TRACE_OBJECT_ID: the low 32 bits of their kernel
 * address over 16 (physical / 16, below 64 GiB).
 */
#ifndef SEL_TRACE_RECORD_H
#define SEL_TRACE_RECORD_H

#include <sel/types.h>

typedef struct sel_trace_record {
    uint64_t time;
    uint8_t kind;
    uint8_t flags;
    uint16_t info;
    uint32_t thread;
    uint32_t b;
    uint32_t a;
    uint64_t value;
} sel_trace_record_t;

_Static_assert(sizeof(sel_trace_record_t) == 32, "a trace record is 32 bytes");

#define SEL_TRACE_THREAD_ID(kernel_address) ((uint32_t)((uint64_t)(kernel_address) >> 10))
#define SEL_TRACE_OBJECT_ID(kernel_address) ((uint32_t)((uint64_t)(kernel_address) >> 4))

/*
 * Kernel records.  "thread" is the thread whose syscall or fault the
 * kernel is handling, 0 while it handles an interrupt (or idles).
 */
enum sel_trace_kind {
    SEL_TRACE_NONE = 0,
    /*
     * A trap from user mode into the slow path: info = the cause
     * (SEL_TRACE_CAUSE_*: class | number), value = the user pc.
     */
    SEL_TRACE_KERNEL_ENTER = 1,
    /*
     * Back to user mode: thread = the thread that runs now, a = the one
     * that had the hart before (0: the hart idled or ran the kernel for
     * nobody); when they differ this is a context switch and flags = the
     * state the previous one was left in (SEL_TRACE_STATE_*: why it
     * stopped).
     */
    SEL_TRACE_KERNEL_EXIT = 2,
    /*
     * The IPC fastpath, one record for the whole kernel entry: thread = the
     * caller of Call or ReplyRecv, a = the partner it switched to (who
     * received the message), time = the trap, info = instructions from the
     * trap to the switch, flags = SEL_TRACE_IPC_CALL or _REPLY, value = the
     * badge delivered (0 for a reply), b = the message tag's low 12 bits
     * (length | caps).
     */
    SEL_TRACE_FASTPATH = 3,
    /*
     * A message sent on the slow path: thread = the sender, a = the
     * receiver if one was waiting (0: the sender is queued, or the message
     * was dropped: flags say which), b = the endpoint (SEL_TRACE_OBJECT_ID;
     * 0 for a reply), info = the tag's low 12 bits, flags =
     * SEL_TRACE_IPC_*, value = the badge.
     */
    SEL_TRACE_IPC_SEND = 4,
    /*
     * A receiver took the message of a queued sender: thread = the
     * receiver, a = the sender (whose SEL_TRACE_IPC_SEND with
     * SEL_TRACE_IPC_QUEUED this completes), b = the endpoint, value = the
     * badge, flags = SEL_TRACE_IPC_CALL / _FAULT.
     */
    SEL_TRACE_IPC_RECV = 5,
    /*
     * A notification signalled: thread = the signaller (0: an interrupt or
     * an alarm), a = the thread woken (0: nobody waited; the bits are
     * stored), b = the notification, value = the badge, flags =
     * SEL_TRACE_SIGNAL_*.
     */
    SEL_TRACE_SIGNAL = 6,
    /* A Wait, Poll or Recv took stored bits: thread = the taker, b = the notification, value = the word. */
    SEL_TRACE_SIGNAL_TAKEN = 7,
    /*
     * A token raised a user interrupt: thread = the sender (0: a device
     * interrupt), a = the thread it interrupts (0: unbound), b = the
     * UserInterrupt, value = the bits, flags = SEL_TRACE_TOKEN_ALREADY_PENDING
     * if they all were (nothing changes).
     */
    SEL_TRACE_TOKEN_RAISE = 8,
    /* A thread enters its user-interrupt handler: thread = it, b = the UserInterrupt, value = the bits. */
    SEL_TRACE_TOKEN_DELIVER = 9,
    /* An interrupt taken: info = the code (1 IPI, 5 timer, 9 external), thread = the thread it interrupted. */
    SEL_TRACE_INTERRUPT = 10,
    /* A device interrupt line claimed: value = the line, flags = what it raises (SEL_TRACE_IRQ_*). */
    SEL_TRACE_IRQ = 11,
    /*
     * A fault: thread = the faulting thread, info = SEL_FAULT_*, value =
     * its pc, flags = SEL_TRACE_FAULT_UNHANDLED if it has no handler (it
     * is suspended); otherwise an SEL_TRACE_IPC_SEND with
     * SEL_TRACE_IPC_FAULT follows.
     */
    SEL_TRACE_FAULT = 12,
    /* The hart waits for an interrupt: thread = the thread in a user-mode wfi, 0 for an idle hart. */
    SEL_TRACE_IDLE_ENTER = 13,
    SEL_TRACE_IDLE_EXIT = 14,
    /*
     * An invocation of a kernel object: flags = the cap type
     * (SEL_CAP_TYPE_*), info = the label, value = the cptr.  Its end:
     * info = the error (SEL_TRACE_PREEMPTED: stopped at a preemption
     * point, to be made again), a = the label.
     */
    SEL_TRACE_INVOKE_BEGIN = 15,
    SEL_TRACE_INVOKE_END = 16,
    /* A thread's name (DebugNameThread): 16 bytes from offset 16 (b, a, value), NUL-padded. */
    SEL_TRACE_THREAD_NAME = 17,
    /* DebugTrace SEL_TRACE_OP_MARK: value = the caller's value, a = the record's index in the call. */
    SEL_TRACE_MARK = 18,
    /* A user ring registered: value = its address, a = its size in bytes. */
    SEL_TRACE_RING_REGISTERED = 19,

    /*
     * User records (a thread's own ring; thread is 0, the ring says whose).
     * A ring of sel/ring.h published entries: value = the ring's address,
     * a = the entries in this batch, b = the entries in the ring after it
     * (as the producer sees them), info = the slot size in bytes.  (Whether
     * the peer had to be woken shows as the Signal or token that follows.)
     */
    SEL_TRACE_RING_PUBLISH = 64,
    /* The consumer released entries it consumed: the same fields, b = the entries it still sees. */
    SEL_TRACE_RING_RELEASE = 65,
    /*
     * An event-loop turn (sel/loop.h) ended: value = the instret when it
     * began, a = the turn's number (low 32 bits), flags = SEL_TRACE_TURN_RAN
     * if it ran anything.
     */
    SEL_TRACE_LOOP_TURN = 66,
    /*
     * A task switch (sel/task.h): a, b = the low 32 bits of the task left
     * and of the task run next (0: the loop), value = the address of the
     * next one's name (0 for the loop).
     */
    SEL_TRACE_TASK_SWITCH = 67,
    /* SEL_TRACE("name", value): value = the value; the name's address is the 64 bits at offset 16 (b, a). */
    SEL_TRACE_USER = 68,
};

/* SEL_TRACE_KERNEL_ENTER's info: the class in the top four bits, the number below. */
#define SEL_TRACE_CAUSE_SYSCALL    0x1000u   /* | -syscall number */
#define SEL_TRACE_CAUSE_EXCEPTION  0x2000u   /* | scause */
#define SEL_TRACE_CAUSE_INTERRUPT  0x3000u   /* | interrupt code */

/* Why a thread stopped running (SEL_TRACE_KERNEL_EXIT's flags): the kernel's thread states. */
enum sel_trace_state {
    SEL_TRACE_STATE_INACTIVE = 0,       /* suspended, or stopped by a fault without handler */
    SEL_TRACE_STATE_RUNNING = 1,        /* preempted, yielded or out of time: it is still ready */
    SEL_TRACE_STATE_BLOCKED_ON_SEND = 2,
    SEL_TRACE_STATE_BLOCKED_ON_RECV = 3,
    SEL_TRACE_STATE_BLOCKED_ON_REPLY = 4,
    SEL_TRACE_STATE_BLOCKED_ON_NOTIFICATION = 5,
};

/* SEL_TRACE_IPC_SEND / _RECV / _FASTPATH flags. */
#define SEL_TRACE_IPC_CALL    0x01   /* a Call: the sender waits for the reply */
#define SEL_TRACE_IPC_REPLY   0x02   /* a Reply (or the reply of ReplyRecv) */
#define SEL_TRACE_IPC_FAULT   0x04   /* a fault message to the thread's fault handler, or the handler's answer */
#define SEL_TRACE_IPC_QUEUED  0x08   /* nobody was waiting: the sender waits on the endpoint */
#define SEL_TRACE_IPC_DROPPED 0x10   /* nobody was waiting and the send does not block: nothing was sent */

/* SEL_TRACE_SIGNAL flags. */
#define SEL_TRACE_SIGNAL_WOKE_WAITER 0x01   /* a thread waiting on the notification */
#define SEL_TRACE_SIGNAL_WOKE_BOUND  0x02   /* the bound thread, out of its Recv on an endpoint */
#define SEL_TRACE_SIGNAL_STORED      0x04   /* nobody waited: the bits wait for a Wait, Poll or Recv */

#define SEL_TRACE_TOKEN_ALREADY_PENDING 0x01

/* SEL_TRACE_IRQ flags: what the line is bound to. */
#define SEL_TRACE_IRQ_NOTIFICATION   0x01
#define SEL_TRACE_IRQ_USER_INTERRUPT 0x02

#define SEL_TRACE_FAULT_UNHANDLED 0x01
#define SEL_TRACE_IDLE_USER_WFI   0x01
#define SEL_TRACE_TURN_RAN        0x01
/* SEL_TRACE_INVOKE_END's error when the invocation stopped at a preemption point. */
#define SEL_TRACE_PREEMPTED 0xffffu

/*
 * DebugTrace (SEL_SYS_DEBUG_TRACE): a0 = the operation in, the error out;
 * arguments in a2 and a3.  A kernel built without tracing answers every
 * operation with SEL_ILLEGAL_OPERATION.
 */
enum sel_trace_op {
    /*
     * a2 = address, a3 = bytes (page-aligned, at most
     * SEL_TRACE_RING_MAX_PAGES pages, mapped readable in the caller's
     * VSpace): the caller's trace ring, for the converter to collect.  A
     * thread registers one; registering again replaces it.
     */
    SEL_TRACE_OP_REGISTER = 0,
    /* a2 = count (at most 64), a3 = value: the kernel writes count SEL_TRACE_MARK records (make bench). */
    SEL_TRACE_OP_MARK = 1,
};

#define SEL_TRACE_RING_MAX_PAGES 16
#define SEL_TRACE_MAX_RINGS      64
#define SEL_TRACE_MARK_MAX       64

/*
 * A thread's ring, in its own memory: a 32-byte header, then capacity
 * records.  Only the thread writes it; it claims slot next (an atomic
 * add, so a user-interrupt handler that traces in the middle of a record
 * takes the next slot), and slots past capacity are lost (next - capacity
 * of them).
 */
#define SEL_TRACE_RING_MAGIC 0x52544c53u   /* "SLTR" */

typedef struct sel_trace_ring {
    uint32_t magic;
    uint32_t capacity;
    uint32_t next;
    uint32_t spare[5];
    sel_trace_record_t records[];
} sel_trace_ring_t;

_Static_assert(sizeof(sel_trace_ring_t) == 32, "a ring's header is one record long");

/*
 * The kernel's trace_control (a symbol of the kernel image: the converter
 * finds it there and reads it, and what it points at, through QEMU).
 * Addresses are the kernel's (physical + 0xffffffc000000000).
 */
#define SEL_TRACE_CONTROL_MAGIC 0x45434152544c4553ull   /* "SELTRACE" */
#define SEL_TRACE_VERSION 1
#define SEL_TRACE_MAX_HARTS 8

typedef struct sel_trace_hart {
    uint64_t records;       /* the buffer */
    uint64_t cursor;        /* where the next record goes: records written = (cursor - records) / 32 */
    uint64_t end;           /* the end of the buffer */
    uint64_t lost;          /* records that found it full */
    uint32_t context;       /* the kernel's own: the thread it works for now (0 in an interrupt) */
    uint32_t spare;
} sel_trace_hart_t;

typedef struct sel_trace_ring_entry {
    uint32_t thread;        /* SEL_TRACE_THREAD_ID of the thread that registered it */
    uint32_t pages;
    uint64_t vaddr;
    uint64_t page[SEL_TRACE_RING_MAX_PAGES];   /* the kernel's addresses of its pages */
} sel_trace_ring_entry_t;

typedef struct sel_trace_control {
    uint64_t magic;
    uint32_t version;
    uint32_t record_size;
    uint32_t num_harts;
    uint32_t num_rings;
    uint64_t rings_refused; /* registrations that found the table full */
    sel_trace_hart_t harts[SEL_TRACE_MAX_HARTS];
    sel_trace_ring_entry_t rings[SEL_TRACE_MAX_RINGS];
} sel_trace_control_t;

#endif
