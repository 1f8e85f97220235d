/*
 * System calls.  Each wrapper is one ecall; the message registers MR0..MR3
 * travel in a2..a5 and the rest in the calling thread's IPC buffer.
 *
 * The plain forms (sel_call, sel_send, ...) take and leave all message
 * registers in the IPC buffer, like seL4's.  The _mrs forms pass MR0..MR3
 * by pointer and never touch the IPC buffer for them: use them on hot paths.
 */
#ifndef SEL_SYSCALL_H
#define SEL_SYSCALL_H

#include <sel/abi.h>
#include <sel/ipc_buffer.h>
#include <stddef.h>

/* The calling thread's IPC buffer (a thread-local variable set up by libsel). */
extern __thread sel_ipc_buffer_t *__sel_ipc_buffer;

/* Returns the calling thread's IPC buffer. */
static inline sel_ipc_buffer_t *sel_ipc_buffer(void) { return __sel_ipc_buffer; }
/* Sets the calling thread's IPC buffer pointer (done by libsel at thread start). */
static inline void sel_set_ipc_buffer(sel_ipc_buffer_t *buffer) { __sel_ipc_buffer = buffer; }

/* Returns message register i from the IPC buffer. */
static inline sel_word_t sel_get_mr(int i) { return __sel_ipc_buffer->msg[i]; }
/* Sets message register i in the IPC buffer. */
static inline void sel_set_mr(int i, sel_word_t value) { __sel_ipc_buffer->msg[i] = value; }
/* Sets extra capability i of the next message. */
static inline void sel_set_cap(int i, sel_cptr_t cptr) { __sel_ipc_buffer->caps_or_badges[i] = cptr; }
/* Returns the badge of unwrapped capability i of the last message received. */
static inline sel_word_t sel_get_badge(int i) { return __sel_ipc_buffer->caps_or_badges[i]; }
/* Sets where a received capability is stored: slot index at depth in CNode cnode. */
static inline void sel_set_receive_path(sel_cptr_t cnode, sel_cptr_t index, sel_word_t depth)
{
    __sel_ipc_buffer->receive_cnode = cnode;
    __sel_ipc_buffer->receive_index = index;
    __sel_ipc_buffer->receive_depth = depth;
}

/* The raw system call: all four message registers in and out, badge out in *dest. */
static inline sel_word_t sel__syscall(long sysno, sel_word_t *a0, sel_word_t info,
                                      sel_word_t *mr0, sel_word_t *mr1, sel_word_t *mr2, sel_word_t *mr3)
{
    register sel_word_t r0 __asm__("a0") = *a0;
    register sel_word_t r1 __asm__("a1") = info;
    register sel_word_t r2 __asm__("a2") = *mr0;
    register sel_word_t r3 __asm__("a3") = *mr1;
    register sel_word_t r4 __asm__("a4") = *mr2;
    register sel_word_t r5 __asm__("a5") = *mr3;
    register long r7 __asm__("a7") = sysno;
    __asm__ volatile("ecall"
                 : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
                 : "r"(r7)
                 : "memory");
    *a0 = r0;
    *mr0 = r2;
    *mr1 = r3;
    *mr2 = r4;
    *mr3 = r5;
    return r1;
}

static inline sel_msginfo_t sel__syscall_buffered(long sysno, sel_word_t *a0, sel_msginfo_t info)
{
    sel_ipc_buffer_t *b = __sel_ipc_buffer;
    sel_word_t m0 = b->msg[0], m1 = b->msg[1], m2 = b->msg[2], m3 = b->msg[3];
    sel_msginfo_t out = { { sel__syscall(sysno, a0, info.words[0], &m0, &m1, &m2, &m3) } };
    b->msg[0] = m0;
    b->msg[1] = m1;
    b->msg[2] = m2;
    b->msg[3] = m3;
    return out;
}

/* Sends a message through endpoint dest and waits for the reply; returns the reply's tag. */
static inline sel_msginfo_t sel_call(sel_cptr_t dest, sel_msginfo_t info)
{
    sel_word_t a0 = dest;
    return sel__syscall_buffered(SEL_SYS_CALL, &a0, info);
}

/* Like sel_call with MR0..MR3 passed by pointer (NULL for unused ones). */
static inline sel_msginfo_t sel_call_mrs(sel_cptr_t dest, sel_msginfo_t info,
                                         sel_word_t *mr0, sel_word_t *mr1, sel_word_t *mr2, sel_word_t *mr3)
{
    sel_word_t a0 = dest, z0 = 0, z1 = 0, z2 = 0, z3 = 0;
    sel_msginfo_t out = { { sel__syscall(SEL_SYS_CALL, &a0, info.words[0], mr0 ? mr0 : &z0,
                                         mr1 ? mr1 : &z1, mr2 ? mr2 : &z2, mr3 ? mr3 : &z3) } };
    return out;
}

/* Sends a message through endpoint dest, blocking until a receiver takes it. */
static inline void sel_send(sel_cptr_t dest, sel_msginfo_t info)
{
    sel_word_t a0 = dest;
    sel__syscall_buffered(SEL_SYS_SEND, &a0, info);
}

/* Like sel_send with MR0..MR3 passed by pointer (NULL for unused ones). */
static inline void sel_send_mrs(sel_cptr_t dest, sel_msginfo_t info,
                                sel_word_t *mr0, sel_word_t *mr1, sel_word_t *mr2, sel_word_t *mr3)
{
    sel_word_t a0 = dest, z0 = 0, z1 = 0, z2 = 0, z3 = 0;
    sel__syscall(SEL_SYS_SEND, &a0, info.words[0], mr0 ? mr0 : &z0, mr1 ? mr1 : &z1,
                 mr2 ? mr2 : &z2, mr3 ? mr3 : &z3);
}

/* Sends a message only if a receiver is waiting; otherwise drops it. */
static inline void sel_nb_send(sel_cptr_t dest, sel_msginfo_t info)
{
    sel_word_t a0 = dest;
    sel__syscall_buffered(SEL_SYS_NB_SEND, &a0, info);
}

/* Waits for a message on endpoint (or notification) src; returns its tag, the badge in *badge. */
static inline sel_msginfo_t sel_recv(sel_cptr_t src, sel_word_t *badge)
{
    sel_word_t a0 = src;
    sel_msginfo_t out = sel__syscall_buffered(SEL_SYS_RECV, &a0, sel_msginfo_new(0, 0, 0, 0));
    if (badge)
        *badge = a0;
    return out;
}

/* Like sel_recv with MR0..MR3 returned by pointer (NULL for unused ones). */
static inline sel_msginfo_t sel_recv_mrs(sel_cptr_t src, sel_word_t *badge,
                                         sel_word_t *mr0, sel_word_t *mr1, sel_word_t *mr2, sel_word_t *mr3)
{
    sel_word_t a0 = src, z0 = 0, z1 = 0, z2 = 0, z3 = 0;
    sel_msginfo_t out = { { sel__syscall(SEL_SYS_RECV, &a0, 0, mr0 ? mr0 : &z0, mr1 ? mr1 : &z1,
                                         mr2 ? mr2 : &z2, mr3 ? mr3 : &z3) } };
    if (badge)
        *badge = a0;
    return out;
}

/* Takes a message if one is waiting; returns tag 0 and badge 0 otherwise. */
static inline sel_msginfo_t sel_nb_recv(sel_cptr_t src, sel_word_t *badge)
{
    sel_word_t a0 = src;
    sel_msginfo_t out = sel__syscall_buffered(SEL_SYS_NB_RECV, &a0, sel_msginfo_new(0, 0, 0, 0));
    if (badge)
        *badge = a0;
    return out;
}

/* Replies to the thread whose Call this thread received last. */
static inline void sel_reply(sel_msginfo_t info)
{
    sel_word_t a0 = 0;
    sel__syscall_buffered(SEL_SYS_REPLY, &a0, info);
}

/* Replies, then waits for the next message on src; returns its tag, the badge in *badge. */
static inline sel_msginfo_t sel_reply_recv(sel_cptr_t src, sel_msginfo_t info, sel_word_t *badge)
{
    sel_word_t a0 = src;
    sel_msginfo_t out = sel__syscall_buffered(SEL_SYS_REPLY_RECV, &a0, info);
    if (badge)
        *badge = a0;
    return out;
}

/* Like sel_reply_recv with MR0..MR3 passed and returned by pointer. */
static inline sel_msginfo_t sel_reply_recv_mrs(sel_cptr_t src, sel_msginfo_t info, sel_word_t *badge,
                                               sel_word_t *mr0, sel_word_t *mr1, sel_word_t *mr2, sel_word_t *mr3)
{
    sel_word_t a0 = src, z0 = 0, z1 = 0, z2 = 0, z3 = 0;
    sel_msginfo_t out = { { sel__syscall(SEL_SYS_REPLY_RECV, &a0, info.words[0], mr0 ? mr0 : &z0,
                                         mr1 ? mr1 : &z1, mr2 ? mr2 : &z2, mr3 ? mr3 : &z3) } };
    if (badge)
        *badge = a0;
    return out;
}

/* Gives up the rest of this time slice to threads of the same priority. */
static inline void sel_yield(void)
{
    sel_word_t a0 = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_YIELD, &a0, 0, &m0, &m1, &m2, &m3);
}

/* Signals notification ntfn: ORs the cap's badge into its word and wakes a waiter. */
static inline void sel_signal(sel_cptr_t ntfn)
{
    sel_word_t a0 = ntfn, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_SEND, &a0, 0, &m0, &m1, &m2, &m3);
}

/* Waits on notification ntfn; returns its word (the OR of the signalling badges) and clears it. */
static inline sel_word_t sel_wait(sel_cptr_t ntfn)
{
    sel_word_t a0 = ntfn, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_RECV, &a0, 0, &m0, &m1, &m2, &m3);
    return a0;
}

/* Reads and clears notification ntfn's word without blocking (0 if it was not signalled). */
static inline sel_word_t sel_poll(sel_cptr_t ntfn)
{
    sel_word_t a0 = ntfn, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_NB_RECV, &a0, 0, &m0, &m1, &m2, &m3);
    return a0;
}

/* Writes one character to the kernel's debug console. */
static inline void sel_debug_put_char(char c)
{
    sel_word_t a0 = (unsigned char)c, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_DEBUG_PUT_CHAR, &a0, 0, &m0, &m1, &m2, &m3);
}

/*
 * The debug capability this program holds, which the debug calls below
 * use: SEL_CAP_DEBUG in a root task, in a component the slot the loader
 * put a copy in (only the component-test driver has one), 0 for none.
 * Set at start-up.  Without it those calls return SEL_INVALID_CAPABILITY
 * and do nothing.
 */
extern sel_cptr_t sel_debug_cap;

/* A debug call that needs the debug cap: arguments in and results out in *mr0..*mr1; returns its error. */
static inline sel_error_t sel__debug_call(long sysno, sel_word_t *mr0, sel_word_t *mr1)
{
    sel_word_t a0 = sel_debug_cap, m0 = mr0 ? *mr0 : 0, m1 = mr1 ? *mr1 : 0, m2 = 0, m3 = 0;
    sel__syscall(sysno, &a0, 0, &m0, &m1, &m2, &m3);
    if (mr0)
        *mr0 = m0;
    if (mr1)
        *mr1 = m1;
    return (sel_error_t)a0;
}

/* Powers the machine off; QEMU exits with status (0 = success).  Returns only if refused (no debug cap). */
static inline sel_error_t sel_debug_halt(int status)
{
    sel_word_t arg = (sel_word_t)status;
    return sel__debug_call(SEL_SYS_DEBUG_HALT, &arg, NULL);
}

/* Returns the type (SEL_CAP_TYPE_*) of the capability at cptr; SEL_CAP_TYPE_NULL if none. */
static inline int sel_debug_cap_identify(sel_cptr_t cptr)
{
    sel_word_t a0 = cptr, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_DEBUG_CAP_IDENTIFY, &a0, 0, &m0, &m1, &m2, &m3);
    return (int)a0;
}

/*
 * Writes n bytes to the kernel's debug console in one piece (at most 960;
 * lines from different harts do not mix).  The IPC buffer's message words
 * are saved and restored around the call.
 */
void sel_debug_put_string(const char *s, size_t n);

/*
 * Names thread tcb (at most 15 characters are kept, and characters that
 * do not print become '?'): kernel messages use the name, and what a
 * thread outside the root task prints comes out behind the part before
 * the first '.'.  Needs the debug cap.
 */
sel_error_t sel_debug_name_thread(sel_cptr_t tcb, const char *name);

/*
 * Turns the kernel's IPC fastpath on or off on every hart (or leaves it);
 * *slow_calls (if not NULL) gets how many Call and ReplyRecv syscalls the
 * slow path has handled since boot, on all harts.  For tests that compare
 * the fastpath with the slow path, and for seeing which one a workload
 * takes.  Needs the debug cap.
 */
static inline sel_error_t sel_debug_fastpath(sel_fastpath_mode_t mode, sel_word_t *slow_calls)
{
    sel_word_t arg = (sel_word_t)mode;
    sel_error_t err = sel__debug_call(SEL_SYS_DEBUG_FASTPATH, &arg, NULL);
    if (slow_calls && !err)
        *slow_calls = arg;
    return err;
}

/* Counts since boot, on all harts (DebugKernelEntries). */
typedef struct sel_kernel_entries {
    sel_word_t entries;     /* user mode entered the kernel: syscalls (fastpath or not), faults, interrupts */
    sel_word_t interrupts;  /* of those, interrupts that arrived while user code ran (ticks, IPIs, devices) */
    sel_word_t ipis;        /* IPIs one hart sent another (to wake, preempt, stall or interrupt a thread) */
} sel_kernel_entries_t;

/*
 * Fills *out: how many times user mode has entered the kernel (this call
 * included), how many of those entries were interrupts (interrupts that
 * wake an idle hart are not entries), and how many IPIs the kernel sent.
 * For benchmarks that claim to avoid the kernel, and tests that must not
 * count the timer.  Needs the debug cap.
 */
static inline sel_error_t sel_debug_kernel_entries(sel_kernel_entries_t *out)
{
    sel_word_t a0 = sel_debug_cap, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_DEBUG_KERNEL_ENTRIES, &a0, 0, &m0, &m1, &m2, &m3);
    if (a0 == SEL_NO_ERROR)
        *out = (sel_kernel_entries_t){ m0, m1, m2 };
    return (sel_error_t)a0;
}

/*
 * CPU accounting, as of one reading of the instruction counter (at).  The
 * kernel charges every instruction a hart runs (rdinstret's count: under
 * QEMU -icount the instructions of all harts, without it the host's time)
 * to the thread that has the hart, for its user code and the kernel's work
 * for it, switch by switch; to the hart's idle count while it waits in
 * wfi; and otherwise (on the way into and out of idle) to the hart's
 * kernel count.
 */
typedef struct sel_cpu_time {
    sel_word_t thread;      /* run by thread tcb since it was made (0 if tcb is 0) */
    sel_word_t idle;        /* hart, waiting in wfi since boot */
    sel_word_t kernel;      /* hart, in the kernel for no thread since boot */
    sel_word_t at;          /* the counter when these were read */
} sel_cpu_time_t;

/* Fills *out for thread tcb (0: none) and hart (0..num_harts-1).  Needs the debug cap. */
static inline sel_error_t sel_debug_cpu_time(sel_cptr_t tcb, sel_word_t hart, sel_cpu_time_t *out)
{
    sel_word_t a0 = sel_debug_cap, m0 = tcb, m1 = hart, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_DEBUG_CPU_TIME, &a0, 0, &m0, &m1, &m2, &m3);
    if (a0 == SEL_NO_ERROR)
        *out = (sel_cpu_time_t){ m0, m1, m2, m3 };
    return (sel_error_t)a0;
}

/* Enters and leaves the kernel doing nothing (a benchmark of the trap path). */
static inline void sel_null_syscall(void)
{
    sel_word_t a0 = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_NULL, &a0, 0, &m0, &m1, &m2, &m3);
}

#endif
