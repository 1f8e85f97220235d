/*
 * The kernel's system-call interface: syscall numbers, invocation labels,
 * object types and sizes, capability types, fault messages, the register
 * layout.  Shared by the kernel and user space.
 *
 * Calling convention (ecall):
 *   a7  syscall number (SEL_SYS_*)
 *   a0  capability pointer in; badge out
 *   a1  message tag in and out (sel_msginfo_t)
 *   a2..a5  message registers 0..3 in and out; the rest are in the IPC buffer
 * Every other register is preserved.
 */
#ifndef SEL_ABI_H
#define SEL_ABI_H

#include <sel/types.h>

/* System calls, numbered as in seL4 where seL4 has them. */
enum sel_syscall {
    SEL_SYS_CALL = -1,
    SEL_SYS_REPLY_RECV = -2,
    SEL_SYS_SEND = -3,
    SEL_SYS_NB_SEND = -4,
    SEL_SYS_RECV = -5,
    SEL_SYS_REPLY = -6,
    SEL_SYS_YIELD = -7,
    SEL_SYS_NB_RECV = -8,
    SEL_SYS_DEBUG_PUT_CHAR = -9,       /* a0 = the character */
    SEL_SYS_DEBUG_HALT = -11,          /* [debug cap] a2 = exit status: powers off */
    SEL_SYS_DEBUG_CAP_IDENTIFY = -12,  /* a0 = cptr in, cap type out */
    SEL_SYS_DEBUG_TRACE = -13,         /* a0 = sel_trace_op in, error out; a2, a3 its arguments (sel/trace_record.h) */
    SEL_SYS_DEBUG_NAME_THREAD = -14,   /* [debug cap] a2 = TCB cptr, the name in the IPC buffer */
    SEL_SYS_NULL = -15,                /* does nothing: the cost of entering and leaving the kernel */
    SEL_SYS_DEBUG_PUT_STRING = -16,    /* a0 = length; the bytes are the IPC buffer's message words */
    SEL_SYS_DEBUG_FASTPATH = -17,      /* [debug cap] a2 = sel_fastpath_mode in, slow-path Call/ReplyRecv count out */
    SEL_SYS_URET = -18,                /* return from a user-interrupt handler (sel/uintr.h) */
    /* [debug cap] out: a2 traps from user mode since boot, a3 those that were interrupts, a4 IPIs sent; all harts */
    SEL_SYS_DEBUG_KERNEL_ENTRIES = -19,
    /* [debug cap] a2 = TCB cptr (0: none), a3 = hart in; out: a2 the thread's instructions, a3 the hart's idle, a4 its
       instructions in the kernel for no thread, a5 instret then (sel_debug_cpu_time) */
    SEL_SYS_DEBUG_CPU_TIME = -20,
    SEL_SYS_MIN = -20,
};

/*
 * The debug calls marked [debug cap] act on the whole machine, so they
 * need the debug capability (SEL_CAP_TYPE_DEBUG), which the kernel gives
 * only to the root task (SEL_CAP_DEBUG in sel/bootinfo.h): its cptr goes
 * in a0, the arguments and results in a2..a5, and a0 comes back with
 * SEL_NO_ERROR, or an error with a2 saying which argument was wrong
 * (0: a0 names no debug capability; nothing was done).  DebugPutChar and
 * DebugPutString need no capability, but what a thread outside the root
 * task prints comes out behind its name (docs/kernel.md).
 */

/* DebugFastpath: whether the kernel takes the IPC fastpath (it does from boot). */
typedef enum {
    SEL_FASTPATH_OFF = 0,
    SEL_FASTPATH_ON = 1,
    SEL_FASTPATH_UNCHANGED = 2,
} sel_fastpath_mode_t;

/* Invocation labels: the label of a Call on a kernel object capability. */
enum sel_invocation {
    SEL_INVALID_INVOCATION = 0,

    SEL_UNTYPED_RETYPE,

    SEL_TCB_READ_REGISTERS,
    SEL_TCB_WRITE_REGISTERS,
    SEL_TCB_CONFIGURE,
    SEL_TCB_SET_PRIORITY,
    SEL_TCB_SET_MC_PRIORITY,
    SEL_TCB_SET_SCHED_PARAMS,
    SEL_TCB_SET_IPC_BUFFER,
    SEL_TCB_SET_SPACE,
    SEL_TCB_SUSPEND,
    SEL_TCB_RESUME,
    SEL_TCB_BIND_NOTIFICATION,
    SEL_TCB_UNBIND_NOTIFICATION,
    SEL_TCB_SET_AFFINITY,
    SEL_TCB_BIND_USER_INTERRUPT,
    SEL_TCB_UNBIND_USER_INTERRUPT,

    SEL_CNODE_REVOKE,
    SEL_CNODE_DELETE,
    SEL_CNODE_CANCEL_BADGED_SENDS,
    SEL_CNODE_COPY,
    SEL_CNODE_MINT,
    SEL_CNODE_MOVE,
    SEL_CNODE_MUTATE,
    SEL_CNODE_ROTATE,

    SEL_IRQ_CONTROL_GET,
    SEL_IRQ_HANDLER_ACK,
    SEL_IRQ_HANDLER_SET_NOTIFICATION,
    SEL_IRQ_HANDLER_CLEAR,

    SEL_PAGE_TABLE_MAP,
    SEL_PAGE_TABLE_UNMAP,
    SEL_FRAME_MAP,
    SEL_FRAME_UNMAP,
    SEL_FRAME_GET_ADDRESS,
    SEL_ASID_CONTROL_MAKE_POOL,
    SEL_ASID_POOL_ASSIGN,

    SEL_NOTIFICATION_SET_ALARM,     /* a Call with any other label on a notification signals it */

    SEL_IRQ_HANDLER_SET_USER_INTERRUPT,
    SEL_IRQ_HANDLER_READ_CONSOLE,   /* line 0 only: what the kernel printed (sel/irq.h) */

    SEL_NUM_INVOCATIONS
};

/*
 * IRQ line 0 is the kernel's console (the PLIC has no source 0): its
 * handler is for the driver of the UART the kernel prints through, which
 * then reads what the kernel prints (IRQHandler ReadConsole, sel/irq.h).
 */
#define SEL_IRQ_KERNEL_CONSOLE      0
#define SEL_CONSOLE_READ_IDLE       1   /* ReadConsole argument: everything read so far has been sent */
#define SEL_CONSOLE_HALT_PENDING    1   /* ReadConsole reply flag: a halt waits for the reader to be idle */

/* Object types for Untyped Retype. */
typedef enum sel_object_type {
    SEL_UNTYPED_OBJECT = 0,
    SEL_TCB_OBJECT,
    SEL_ENDPOINT_OBJECT,
    SEL_NOTIFICATION_OBJECT,
    SEL_CNODE_OBJECT,
    SEL_PAGE_TABLE_OBJECT,
    SEL_FRAME_4K_OBJECT,
    SEL_FRAME_2M_OBJECT,
    SEL_USER_INTERRUPT_OBJECT,
    SEL_NUM_OBJECT_TYPES
} sel_object_type_t;

/* Object sizes (log2 bytes). */
#define SEL_TCB_BITS            10
#define SEL_ENDPOINT_BITS       5
#define SEL_NOTIFICATION_BITS   6
#define SEL_USER_INTERRUPT_BITS 4
#define SEL_SLOT_BITS           6   /* one CNode slot */
#define SEL_PAGE_TABLE_BITS     12
#define SEL_PAGE_BITS           12
#define SEL_LARGE_PAGE_BITS     21
#define SEL_HUGE_PAGE_BITS      30
#define SEL_ASID_POOL_BITS      12
#define SEL_MIN_UNTYPED_BITS    4
#define SEL_MAX_UNTYPED_BITS    38
#define SEL_MIN_CNODE_RADIX     1
#define SEL_MAX_CNODE_RADIX     26
#define SEL_RETYPE_MAX_OBJECTS  256
#define SEL_IPC_BUFFER_BITS     11  /* the IPC buffer (with the user-interrupt CSRs) is 2 KiB aligned */
#define SEL_ASID_POOL_ENTRIES   512
#define SEL_NUM_ASID_POOLS      128
#define SEL_NUM_PRIORITIES      256
#define SEL_MAX_PRIORITY        255
#define SEL_USER_TOP            0x4000000000ull /* user addresses lie below 2^38 */

/* Capability types, as reported by sel_debug_cap_identify(). */
enum sel_cap_type {
    SEL_CAP_TYPE_NULL = 0,
    SEL_CAP_TYPE_UNTYPED,
    SEL_CAP_TYPE_ENDPOINT,
    SEL_CAP_TYPE_NOTIFICATION,
    SEL_CAP_TYPE_CNODE,
    SEL_CAP_TYPE_TCB,
    SEL_CAP_TYPE_FRAME,
    SEL_CAP_TYPE_PAGE_TABLE,
    SEL_CAP_TYPE_ASID_CONTROL,
    SEL_CAP_TYPE_ASID_POOL,
    SEL_CAP_TYPE_IRQ_CONTROL,
    SEL_CAP_TYPE_IRQ_HANDLER,
    SEL_CAP_TYPE_USER_INTERRUPT,
    SEL_CAP_TYPE_DEBUG,           /* the debug calls marked [debug cap] above */
    SEL_CAP_TYPE_ZOMBIE,          /* a slot whose Delete was preempted: Delete it again to finish */
    SEL_NUM_CAP_TYPES
};

/* Mapping attributes for Frame Map and PageTable Map. */
#define SEL_VM_DEFAULT          0
#define SEL_VM_EXECUTE_NEVER    (1u << 0)

/*
 * Faults arrive at a thread's fault endpoint as a message from the faulting
 * thread, whose label is the fault type.  A reply with label 0 restarts the
 * thread; any other label leaves it inactive.
 */
enum sel_fault_type {
    SEL_FAULT_NULL = 0,
    SEL_FAULT_CAP = 1,             /* Send/Recv on a capability that is not there */
    SEL_FAULT_UNKNOWN_SYSCALL = 2, /* ecall with an unknown number in a7 */
    SEL_FAULT_USER_EXCEPTION = 3,  /* illegal instruction, misaligned access, breakpoint */
    SEL_FAULT_VM = 4,              /* page fault or access fault */
};

/* VM fault message: pc, faulting address, 1 if an instruction fetch, scause. */
enum { SEL_VM_FAULT_PC, SEL_VM_FAULT_ADDR, SEL_VM_FAULT_PREFETCH, SEL_VM_FAULT_FSR, SEL_VM_FAULT_LENGTH };
/* User exception message: pc, sp, scause, stval.  A reply of length >= 2 sets pc and sp. */
enum { SEL_USER_EXCEPTION_PC, SEL_USER_EXCEPTION_SP, SEL_USER_EXCEPTION_CAUSE,
       SEL_USER_EXCEPTION_VALUE, SEL_USER_EXCEPTION_LENGTH };
/*
 * Unknown syscall message: pc (of the ecall), sp, ra, a0..a7, syscall number.
 * A reply of length n sets the first n of pc, sp, ra, a0..a7.
 */
enum { SEL_UNKNOWN_SYSCALL_PC, SEL_UNKNOWN_SYSCALL_SP, SEL_UNKNOWN_SYSCALL_RA,
       SEL_UNKNOWN_SYSCALL_A0, SEL_UNKNOWN_SYSCALL_A7 = SEL_UNKNOWN_SYSCALL_A0 + 7,
       SEL_UNKNOWN_SYSCALL_NUMBER, SEL_UNKNOWN_SYSCALL_LENGTH };
/* Cap fault message: pc, the capability pointer, 1 if in the receive phase, lookup failure kind. */
enum { SEL_CAP_FAULT_PC, SEL_CAP_FAULT_ADDR, SEL_CAP_FAULT_IN_RECV, SEL_CAP_FAULT_LOOKUP,
       SEL_CAP_FAULT_LENGTH };

/*
 * A thread's registers as ReadRegisters / WriteRegisters see them: the pc,
 * then x1..x31 in register-number order.
 */
typedef struct sel_user_context {
    sel_word_t pc;
    sel_word_t ra, sp, gp, tp;
    sel_word_t t0, t1, t2;
    sel_word_t s0, s1;
    sel_word_t a0, a1, a2, a3, a4, a5, a6, a7;
    sel_word_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
    sel_word_t t3, t4, t5, t6;
} sel_user_context_t;
#define SEL_USER_CONTEXT_WORDS 32

#endif
