/*
 * The user-interrupt entry (utvec): the kernel has saved every register of
 * the interrupted code, so this may use any; a0 = the bits delivered,
 * a1 = uepc.  The handler runs on the interrupted stack, 16-byte aligned.
 */
    .text
    .globl sel__uintr_entry
    .balign 4
sel__uintr_entry:
    andi sp, sp, -16
    call sel__uintr_dispatch
    li a7, -18                  /* SEL_SYS_URET: restores the interrupted registers */
    ecall
    unimp                       /* uret outside a handler: it cannot happen here */
