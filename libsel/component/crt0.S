/*
 * Entry of a component thread, as the loader starts it: sp = the top of its
 * stack, a0 = its role (0 main, 1 server), a1 = its IPC buffer, a2 = the
 * slot of its debug capability (0: none, as for every component but the
 * component-test driver).  The thread's
 * TLS block goes at the top of its stack; then C (component/start.c).
 */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    mv s0, a0
    mv s1, a1
    mv s3, a2
    la t0, __tls_size
    sub t1, sp, t0
    andi t1, t1, -64
    mv sp, t1
    mv s2, t1
    mv a0, s2
    call _init_tls
    mv tp, s2
    mv a0, s0
    mv a1, s1
    mv a2, s3
    call __sel_component_start
1:  j 1b
