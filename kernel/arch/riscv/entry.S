/*
 * Trap entry and return to user mode.
 *
 * While a thread runs in user mode, sscratch holds the address of its saved
 * context (struct user_context, at the start of its TCB); in the kernel it
 * holds 0.  The kernel never enables interrupts for itself, so a trap with
 * sscratch = 0 is a kernel bug and is reported as such.
 */
#include "asm.h"

/*
 * Saves the user registers into the context sscratch points at, and loads
 * the kernel's sp and tp; leaves the context in a0 and scause in a1.  A trap
 * from the kernel (sscratch = 0) goes to trap_from_kernel.
 */
.macro save_user_context
    csrrw t6, sscratch, t6
    beqz t6, trap_from_kernel

    sd x1, CTX_REG(1)(t6)
    sd x2, CTX_REG(2)(t6)
    sd x3, CTX_REG(3)(t6)
    sd x4, CTX_REG(4)(t6)
    sd x5, CTX_REG(5)(t6)
    sd x6, CTX_REG(6)(t6)
    sd x7, CTX_REG(7)(t6)
    sd x8, CTX_REG(8)(t6)
    sd x9, CTX_REG(9)(t6)
    sd x10, CTX_REG(10)(t6)
    sd x11, CTX_REG(11)(t6)
    sd x12, CTX_REG(12)(t6)
    sd x13, CTX_REG(13)(t6)
    sd x14, CTX_REG(14)(t6)
    sd x15, CTX_REG(15)(t6)
    sd x16, CTX_REG(16)(t6)
    sd x17, CTX_REG(17)(t6)
    sd x18, CTX_REG(18)(t6)
    sd x19, CTX_REG(19)(t6)
    sd x20, CTX_REG(20)(t6)
    sd x21, CTX_REG(21)(t6)
    sd x22, CTX_REG(22)(t6)
    sd x23, CTX_REG(23)(t6)
    sd x24, CTX_REG(24)(t6)
    sd x25, CTX_REG(25)(t6)
    sd x26, CTX_REG(26)(t6)
    sd x27, CTX_REG(27)(t6)
    sd x28, CTX_REG(28)(t6)
    sd x29, CTX_REG(29)(t6)
    sd x30, CTX_REG(30)(t6)
    csrr t5, sscratch
    sd t5, CTX_REG(31)(t6)
    csrr t5, sepc
    sd t5, CTX_REG(0)(t6)
    csrw sscratch, zero

    ld sp, CTX_KERNEL_SP(t6)
    ld tp, CTX_HART(t6)
    mv a0, t6
    csrr a1, scause
.endm

    .text
    .balign 4
    .globl trap_entry
trap_entry:
    save_user_context
    /* Call (-1) and ReplyRecv (-2) go to the fastpath, which falls back to handle_trap itself. */
    li t0, 8                    /* environment call from U-mode */
    bne a1, t0, 1f
    addi t0, a7, 2              /* a7, the syscall number, is still the user's */
    li t1, 2
    bltu t0, t1, 2f
1:  j handle_trap
2:  beqz t0, fastpath_reply_recv
    j fastpath_call

/* The same without the fastpath: stvec while DebugFastpath has turned it off (tests compare the two). */
    .balign 4
    .globl trap_entry_without_fastpath
trap_entry_without_fastpath:
    save_user_context
    j handle_trap

trap_from_kernel:
    csrrw t6, sscratch, t6      /* put t6 back; sscratch is 0 again */
    csrr a0, scause
    csrr a1, sepc
    csrr a2, stval
    j kernel_trap

/* restore_user(struct user_context *ctx): returns to user mode; never returns here. */
    .globl restore_user
restore_user:
    /*
     * sstatus needs no update: SPP is 0 (user) since boot cleared it and
     * every trap we return from came from user mode; SPIE does not matter,
     * as supervisor interrupts are always enabled while in user mode.
     */
    ld t0, CTX_REG(0)(a0)
    csrw sepc, t0
    csrw sscratch, a0

    ld x1, CTX_REG(1)(a0)
    ld x2, CTX_REG(2)(a0)
    ld x3, CTX_REG(3)(a0)
    ld x4, CTX_REG(4)(a0)
    ld x5, CTX_REG(5)(a0)
    ld x6, CTX_REG(6)(a0)
    ld x7, CTX_REG(7)(a0)
    ld x8, CTX_REG(8)(a0)
    ld x9, CTX_REG(9)(a0)
    ld x11, CTX_REG(11)(a0)
    ld x12, CTX_REG(12)(a0)
    ld x13, CTX_REG(13)(a0)
    ld x14, CTX_REG(14)(a0)
    ld x15, CTX_REG(15)(a0)
    ld x16, CTX_REG(16)(a0)
    ld x17, CTX_REG(17)(a0)
    ld x18, CTX_REG(18)(a0)
    ld x19, CTX_REG(19)(a0)
    ld x20, CTX_REG(20)(a0)
    ld x21, CTX_REG(21)(a0)
    ld x22, CTX_REG(22)(a0)
    ld x23, CTX_REG(23)(a0)
    ld x24, CTX_REG(24)(a0)
    ld x25, CTX_REG(25)(a0)
    ld x26, CTX_REG(26)(a0)
    ld x27, CTX_REG(27)(a0)
    ld x28, CTX_REG(28)(a0)
    ld x29, CTX_REG(29)(a0)
    ld x30, CTX_REG(30)(a0)
    ld x31, CTX_REG(31)(a0)
    ld x10, CTX_REG(10)(a0)
    sret
