/*
 * The event loop of a component: one thread waits on everything its
 * component serves and runs handlers, so the component's author writes the
 * handlers and never the loop (codegen wires a component's connections in).
 *
 * What wakes it, and what runs:
 *   sources     polled work in shared memory (a ring): ready() says there is
 *               some, run() does it in batches; before sleeping the loop
 *               arms each (a ring sets need_wakeup: docs/rings.md)
 *   bits        notification bits (events, interrupts): fn(bits)
 *   tokens      user-interrupt bits (sel/uintr.h): fn(bits), run by the loop
 *               (the interrupt only records them and ends a sleep at once)
 *   rpc         requests on an endpoint: fn returns the reply's tag
 *   timers      at a deadline (rdtime units): fn(); the kernel's notification
 *               alarm wakes a sleeping loop, to within a tick (2 ms)
 *
 * Each turn drains everything ready (ready tasks, highest priority first,
 * until each waits; then tokens, expired timers, bits, then every ready
 * source), and turns again while anything ran.  Only when a
 * turn finds nothing does it arm the sources (and sets the alarm for the
 * earliest timer) and sleep, with one syscall: ReplyRecv when an rpc reply
 * is due (the fastpath), else Recv on the endpoint (which also returns the
 * bound notification's bits), else Wait on the notification.  So at
 * saturation the loop never enters the kernel for its rings.
 *
 * A token that arrives while the loop is about to sleep, or asleep, makes
 * it return from the sleep to look at the tokens (the interrupt moves uepc
 * back to the check before the syscall), so no token is ever slept through.
 * Tokens are wake-ups: once one has come, the loop masks its bits (uie)
 * until it next goes to sleep, so that more of them while it is awake cost
 * it nothing (the kernel keeps them pending, and they end that sleep at
 * once).  Even a flood of tokens leaves the loop its rpc requests: a sleep
 * that finds a request waiting takes it before the tokens.
 */
#ifndef SEL_LOOP_H
#define SEL_LOOP_H

#include <sel/syscall.h>
#include <sel/task.h>

typedef struct sel_loop_source {
    bool (*ready)(void *ctx);   /* work is waiting (a look at shared memory, no kernel entry) */
    void (*run)(void *ctx);     /* do it, in batches, and publish what it produced */
    bool (*arm)(void *ctx);     /* about to sleep: ask for a wake-up; false only if ready() now holds (else the loop spins) */
    void (*disarm)(void *ctx);  /* awake again */
    void *ctx;
    struct sel_loop_source *next;
} sel_loop_source_t;

typedef struct sel_loop_handler {
    sel_word_t bits;            /* the notification or token bits it handles */
    void (*fn)(void *ctx, sel_word_t bits);
    void *ctx;
    struct sel_loop_handler *next;
} sel_loop_handler_t;

typedef struct sel_loop_timer {
    sel_word_t deadline;        /* sel_time_now() units */
    void (*fn)(void *ctx);
    void *ctx;
    bool armed;
    struct sel_loop_timer *next;
} sel_loop_timer_t;

typedef sel_msginfo_t sel_loop_rpc_fn(void *ctx, sel_word_t badge, sel_msginfo_t info);

typedef struct sel_loop {
    sel_cptr_t notification;    /* the thread's notification: Wait, alarms */
    sel_word_t alarm_bit;       /* the bit its alarm signals (0: no timers) */
    sel_cptr_t endpoint;        /* rpc requests (0: none); the notification must be bound to the thread */
    sel_word_t rpc_badge_bit;   /* a badge with this bit is an rpc request, without it a notification word */
    sel_loop_rpc_fn *rpc;
    void *rpc_ctx;
    sel_loop_source_t *sources;
    sel_loop_handler_t *bit_handlers, *token_handlers;
    sel_loop_timer_t *timers;   /* armed ones, earliest first */
    sel_word_t pending_bits;    /* notification bits arrived, not yet handled */
    sel_word_t pending_tokens;  /* written by the user-interrupt handler (atomically) */
    sel_word_t masked_tokens;   /* token bits taken and masked (uie) until the loop next sleeps */
    sel_word_t alarm_deadline;  /* what the kernel alarm is set to (0: not set) */
    bool reply_due;             /* an rpc reply not yet sent */
    sel_msginfo_t reply;
    bool stop;
    sel_tasks_t tasks;          /* tasks (sel/task.h) run at every turn, before handlers */
    /* Counts, for tests and benchmarks. */
    sel_word_t turns, sleeps, tokens_interrupted_sleep;
    sel_word_t token_interrupts;    /* entries of its user-interrupt handler */
} sel_loop_t;

/* A loop that sleeps on notification; alarm_bit (a bit of it) serves timers, 0 if it has none. */
void sel_loop_init(sel_loop_t *loop, sel_cptr_t notification, sel_word_t alarm_bit);

/* Requests on endpoint go to fn; badge bit rpc_badge_bit tells them from notification words. */
void sel_loop_set_rpc(sel_loop_t *loop, sel_cptr_t endpoint, sel_word_t rpc_badge_bit, sel_loop_rpc_fn *fn,
                      void *ctx);

void sel_loop_add_source(sel_loop_t *loop, sel_loop_source_t *source);
void sel_loop_on_bits(sel_loop_t *loop, sel_loop_handler_t *handler);

/*
 * Token bits go to handler.  The first call makes the loop this thread's
 * user-interrupt handler and enables user interrupts; each call enables its
 * bits.  The loop must run on the calling thread.
 */
void sel_loop_on_tokens(sel_loop_t *loop, sel_loop_handler_t *handler);

/* Runs timer->fn at deadline (or at once if it has passed); a running timer moves. */
void sel_loop_timer_start(sel_loop_t *loop, sel_loop_timer_t *timer, sel_word_t deadline);
void sel_loop_timer_stop(sel_loop_t *loop, sel_loop_timer_t *timer);

/* The loop's tasks (sel/task.h): start them with sel_task_start(sel_loop_tasks(loop), ...). */
static inline sel_tasks_t *sel_loop_tasks(sel_loop_t *loop) { return &loop->tasks; }

/* One turn: runs what is ready; returns whether anything ran.  Never sleeps. */
bool sel_loop_turn(sel_loop_t *loop);

/* Turns, sleeping when nothing is ready, until sel_loop_stop(). */
void sel_loop_run(sel_loop_t *loop);

/* Makes sel_loop_run return after the current turn (from a handler). */
static inline void sel_loop_stop(sel_loop_t *loop) { loop->stop = true; }

#endif
