/*
 * Entry of a root task: a0 = the boot-info page.  Sets up gp and the stack
 * from the linker script, then continues in C (start.c).
 */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    call __sel_start
1:  j 1b
