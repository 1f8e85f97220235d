/* What the device tree says about the machine: read once at boot (core/fdt.c). */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include <kernel/config.h>
#include <kernel/types.h>

struct mem_region {
    paddr_t base;
    word_t size;
};

#define MAX_RESERVED_REGIONS 16

struct platform {
    struct mem_region memory[MAX_MEMORY_REGIONS];
    unsigned num_memory;
    struct mem_region reserved[MAX_RESERVED_REGIONS];
    unsigned num_reserved;

    word_t hartids[MAX_HARTS];
    unsigned num_harts;
    word_t timebase_frequency;

    paddr_t plic_base;
    word_t plic_size;
    unsigned plic_num_sources;          /* riscv,ndev + 1: sources are 1..ndev */
    int plic_context[MAX_HARTS];        /* S-mode context of each hart, -1 if none */

    paddr_t clint_base;
    word_t clint_size;

    bool has_uart;
    paddr_t uart_base;
    unsigned uart_irq;
    unsigned uart_reg_shift;
    unsigned uart_reg_width;

    bool has_poweroff;
    paddr_t poweroff_addr;
    uint32_t poweroff_value;
};

extern struct platform platform;

/* Parses the flattened device tree at dtb (mapped); returns NULL or a message saying what is wrong. */
const char *fdt_parse(const void *dtb, struct platform *p);
/* Total size of the device tree blob (0 if the header is bad). */
word_t fdt_total_size(const void *dtb);

#endif
