/*
 * The trace suite's slow path (tests/trace/run.py): a knock wakes the
 * callee out of its Recv (or waits for it), and the call that follows finds
 * nobody receiving, since the callee, made ready, cannot run before this
 * higher-priority thread blocks: the kernel queues the call until the
 * callee's loop receives it.
 */
#include <component.h>
#include <stdio.h>

int run(void)
{
    printf("knock\n");
    knock_emit();
    printf("call 1\n");
    int32_t answer = echo_double(21);
    printf("done: %d\n", (int)answer);
    return 0;
}
