/* Bare-metal entry for the FAT core measurement: QEMU virt with -bios none starts here in M-mode. */
    .section .text.start
    .global _start
_start:
    la sp, __stack_top
    call main
1:  wfi
    j 1b
