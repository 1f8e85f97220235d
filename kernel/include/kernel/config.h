/* Compile-time limits of the kernel. */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

#define MAX_HARTS            8
#define KERNEL_STACK_BITS    14          /* 16 KiB per hart */
#define MAX_HART_ID          64          /* hart ids the kernel can run on are below this */
#define MAX_IRQS             1024        /* PLIC sources 1..1023 */
#define TICKS_PER_SECOND     500         /* timer interrupt every 2 ms */
#define TIMESLICE_TICKS      5           /* round-robin slice of 10 ms */
#define ROOT_CNODE_RADIX     16          /* 65536 slots (4 MiB): room for a loader's bookkeeping */
#define ROOT_TASK_PRIORITY   255
#define MAX_MEMORY_REGIONS   16

/* The kernel sees all physical memory at KERNEL_BASE + physical address. */
#define KERNEL_BASE          0xffffffc000000000
#define KERNEL_PHYS_LOAD     0x80200000      /* must match kernel.ld */

#endif
