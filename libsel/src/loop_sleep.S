/*
 * bool sel__loop_sleep(struct sel__loop_sleep_regs *regs, long sysno, sel_word_t *tokens)
 *
 * The event loop's one syscall, with registers a0..a5 from and back to
 * *regs; returns 1, or 0 without sleeping if *tokens is set.  The check and
 * the ecall form the window [sel__loop_sleep_window, _end): a user
 * interrupt that finds the thread there (running, or blocked in the
 * syscall, which the kernel rewinds to its ecall) moves uepc back to the
 * window's start (loop.c), so the check runs again and sees the tokens.
 * Everything the window uses stays in registers, which uret restores.
 */
    .text
    .globl sel__loop_sleep, sel__loop_sleep_window, sel__loop_sleep_window_end
    .balign 4
sel__loop_sleep:
    addi sp, sp, -16
    sd s0, 0(sp)
    mv s0, a0
    mv a7, a1
    mv t1, a2
    ld a0, 0(s0)
    ld a1, 8(s0)
    ld a2, 16(s0)
    ld a3, 24(s0)
    ld a4, 32(s0)
    ld a5, 40(s0)
sel__loop_sleep_window:
    ld t0, 0(t1)
    bnez t0, 1f
    ecall
sel__loop_sleep_window_end:
    sd a0, 0(s0)
    sd a1, 8(s0)
    sd a2, 16(s0)
    sd a3, 24(s0)
    sd a4, 32(s0)
    sd a5, 40(s0)
    li a0, 1
    j 2f
1:  li a0, 0
2:  ld s0, 0(sp)
    addi sp, sp, 16
    ret
