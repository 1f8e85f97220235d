/*
 * Switching between tasks (sel/task.h) of one thread:
 *
 *   void sel__task_switch(sel_word_t *save_sp, sel_word_t new_sp);
 *
 * saves ra and s0 on the stack of the task that stops and its stack
 * pointer in *save_sp, then takes the other task's.  9 instructions.
 *
 * It saves no other register because its only caller, the inline
 * sel__task_switch_to() in sel/task.h, tells the compiler that the call
 * destroys every register but sp, gp, tp and s0: the code around each
 * switch keeps in memory exactly the values it still needs, and a
 * function that switches in a loop saves its caller's callee-saved
 * registers once, in its prologue, instead of at every switch.  (s0 is
 * saved here because it may be the frame pointer, which an asm statement
 * cannot clobber.)
 *
 * A task that has never run has a frame made by sel_task_start: ra is
 * sel__task_entry and s0 the task, so the first switch to it "returns"
 * there.
 */
    .text
    .globl sel__task_switch
    .balign 4
sel__task_switch:
    addi sp, sp, -16
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd sp, 0(a0)
    mv sp, a1
    ld ra, 0(sp)
    ld s0, 8(sp)
    addi sp, sp, 16
    ret

/* The first code of every task: s0 is the task; sel__task_main never returns. */
    .globl sel__task_entry
    .balign 4
sel__task_entry:
    mv a0, s0
    call sel__task_main
    unimp
