/* A line every 50 ms, numbered, 20 of them: none may be lost or late by more than the console takes. */
#include <component.h>
#include <sel/loop.h>
#include <sel/notification.h>
#include <stdio.h>

static sel_loop_timer_t timer;
static int ticks;

static void tick(void *ctx)
{
    (void)ctx;
    printf("steady tick %d\n", ++ticks);
    if (ticks < 20)
        sel_loop_timer_start(component_loop(), &timer, sel_time_now() + 500000);   /* 50 ms of the 10 MHz timebase */
    else
        printf("all 20 ticks printed\n");
}

void init(void)
{
    timer.fn = tick;
    sel_loop_timer_start(component_loop(), &timer, sel_time_now() + 500000);
}
