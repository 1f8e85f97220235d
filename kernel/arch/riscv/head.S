/*
 * Kernel entry from OpenSBI (fw_dynamic): a0 = hart id, a1 = physical address
 * of the device tree; S-mode, MMU off, running at the physical load address.
 *
 * Every hart enters here: the boot hart from OpenSBI, the others when the
 * boot hart starts them through SBI HSM with the same address and argument.
 * That is deliberate: OpenSBI 1.1 marks a hart START_PENDING before it
 * stores the requested address, so a hart woken early jumps to the address
 * fw_dynamic gave, which is this one.  The first hart to arrive (an atomic
 * lottery) boots; later ones find their index by hart id and go to
 * secondary_main.
 *
 * Both build a two-entry boot page table (the GiB holding the kernel, mapped
 * both at its physical address and in the kernel's upper half), turn on Sv39,
 * and jump to the upper half, where C code builds the real page table.
 */
#include "asm.h"

    .section .text.boot, "ax"
    .globl _start
_start:
    csrw sie, zero
    csrw sscratch, zero
    mv s0, a0
    mv s1, a1

    /* The page tables assume the link-time physical address: check it. */
    lla t0, _start
    li t1, KERNEL_PHYS_LOAD
    bne t0, t1, wrong_load_address

    lla t0, boot_lottery
    li t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez t1, secondary_start

    call enable_boot_paging
    lla t0, 1f
    ld t0, 0(t0)
    jr t0
    .balign 8
1:  .dword boot_high

secondary_start:
    call enable_boot_paging
    lla t0, 2f
    ld t0, 0(t0)
    jr t0
    .balign 8
2:  .dword secondary_high

wrong_load_address:
    lla s2, wrong_load_message
2:  lbu a0, 0(s2)
    beqz a0, 3f
    li a7, 1            /* legacy SBI console putchar */
    ecall
    addi s2, s2, 1
    j 2b
3:  wfi
    j 3b

/* Fills boot_root_table for the GiB containing the kernel and switches satp to it. */
enable_boot_paging:
    lla t0, boot_root_table
    lla t1, _start
    srli t2, t1, 30             /* GiB number of the kernel's physical address */
    slli t3, t2, 28             /* PTE: ppn = GiB << 18, shifted left by 10 */
    ori t3, t3, 0xcf            /* V R W X A D */
    slli t4, t2, 3
    add t4, t0, t4
    sd t3, 0(t4)                /* identity entry */
    addi t5, t2, 256
    slli t5, t5, 3
    add t5, t0, t5
    sd t3, 0(t5)                /* upper-half entry: KERNEL_BASE + physical */
    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    sfence.vma
    csrw satp, t0
    sfence.vma
    ret

    .section .rodata
wrong_load_message:
    .asciz "kernel: loaded at the wrong physical address (expected 0x80200000); not booting\r\n"

    .text
boot_high:
    la sp, boot_stack
    li t0, 1 << KERNEL_STACK_BITS
    add sp, sp, t0
    /* Clear .bss before any C code runs. */
    la t0, bss_start
    la t1, bss_end
4:  bgeu t0, t1, 5f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 4b
5:  mv a0, s0
    mv a1, s1
    call boot_main
6:  wfi
    j 6b

secondary_high:
    /* Our index from our hart id (the boot hart filled the table before starting us). */
    li t0, MAX_HART_ID
    bgeu s0, t0, 8f
    la t0, hart_index_by_id
    add t0, t0, s0
    lbu s1, 0(t0)
    li t0, 0xff
    beq s1, t0, 8f
    /* sp = top of this hart's kernel stack: kernel_stacks + (index + 1) * size */
    la sp, kernel_stacks
    addi t0, s1, 1
    slli t0, t0, KERNEL_STACK_BITS
    add sp, sp, t0
    mv a0, s0
    mv a1, s1
    call secondary_main
7:  wfi
    j 7b
8:  /* A hart the device tree did not list: keep it parked. */
    wfi
    j 8b

    .data
    .balign 4
boot_lottery:
    .word 0
