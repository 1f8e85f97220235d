/* chaos: honest division, and three ways to fault on request. */
#include <component.h>

int32_t chaos_divide(int32_t a, int32_t b)
{
    return b ? a / b : 0;
}

/*
 * noinline, so the fault report names this function; the pointer is a
 * volatile variable so that the compiler cannot see it is null and drop
 * the store as undefined behaviour.
 */
__attribute__((noinline)) static void write_through_null(void)
{
    volatile int *volatile pointer = 0;
    *pointer = 42;
}

void chaos_crash(uint32_t how)
{
    switch (how) {
    case 0:
        write_through_null();
        break;
    case 1:
        __asm__ volatile(".word 0");   /* an illegal instruction */
        break;
    case 2: {
        void (*volatile function)(void) = 0;
        function();
        break;
    }
    }
}
