/*
 * The benchmark's idle counter: four instructions per turn of its loop,
 * counting turns in the shared page, so that the client can subtract the
 * instructions it ran from the hart's total.  It runs only when nothing
 * else can, and never enters the kernel.
 */
#include <component.h>

int run(void)
{
    volatile uint64_t *turns = spins;
    __asm__ volatile("1: ld t0, 0(%0)\n"
                     "   addi t0, t0, 1\n"
                     "   sd t0, 0(%0)\n"
                     "   j 1b\n"
                     :
                     : "r"(turns)
                     : "t0", "memory");
    return 0;
}
