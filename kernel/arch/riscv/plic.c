/* PLIC register access; the base comes from the device tree. */
#include <kernel/config.h>
#include "plic.h"

#define PLIC_PRIORITY(irq)        (4 * (irq))
#define PLIC_ENABLE(ctx, irq)     (0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define PLIC_THRESHOLD(ctx)       (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)           (0x200004 + 0x1000 * (ctx))

static volatile uint8_t *plic;

static volatile uint32_t *reg(word_t offset) { return (volatile uint32_t *)(plic + offset); }

static unsigned sources;

void plic_init(paddr_t base, unsigned num_sources)
{
    plic = (volatile uint8_t *)(base + KERNEL_BASE);
    sources = num_sources;
    for (unsigned irq = 1; irq < num_sources; irq++)
        *reg(PLIC_PRIORITY(irq)) = 0;
}

void plic_init_context(int context)
{
    for (unsigned irq = 0; irq < sources; irq += 32)
        *reg(PLIC_ENABLE(context, irq)) = 0;
    *reg(PLIC_THRESHOLD(context)) = 0;
}

void plic_set_priority(unsigned irq, uint32_t priority) { *reg(PLIC_PRIORITY(irq)) = priority; }

void plic_enable(int context, unsigned irq, bool on)
{
    volatile uint32_t *r = reg(PLIC_ENABLE(context, irq));
    if (on)
        *r |= 1u << (irq % 32);
    else
        *r &= ~(1u << (irq % 32));
}

void plic_set_threshold(int context, uint32_t threshold) { *reg(PLIC_THRESHOLD(context)) = threshold; }

unsigned plic_claim(int context) { return *reg(PLIC_CLAIM(context)); }

void plic_complete(int context, unsigned irq) { *reg(PLIC_CLAIM(context)) = irq; }
