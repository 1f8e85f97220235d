/* The platform-level interrupt controller (RISC-V PLIC spec v1.0.0). */
#ifndef ARCH_PLIC_H
#define ARCH_PLIC_H

#include <kernel/types.h>

void plic_init(paddr_t base, unsigned num_sources);
/* Disables every source for context and lets any priority through. */
void plic_init_context(int context);
void plic_set_priority(unsigned irq, uint32_t priority);
void plic_enable(int context, unsigned irq, bool on);
void plic_set_threshold(int context, uint32_t threshold);
/* Returns the highest pending enabled source for context and marks it in service (0: none). */
unsigned plic_claim(int context);
void plic_complete(int context, unsigned irq);

#endif
