/* Faults once, through a null pointer (the trace suite looks for the fault and its message to the loader). */
#include <component.h>
#include <stdio.h>

int run(void)
{
    printf("faulting now\n");
    volatile int *volatile pointer = 0;
    *pointer = 1;
    return 0;
}
