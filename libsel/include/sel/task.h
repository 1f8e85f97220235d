/*
 * Tasks: coroutines with priorities inside one thread, for code that waits
 * for several things in turn (a file-system request that reads a directory
 * block, then the FAT, then data) without a thread per request.
 *
 * A task is a function running on a small stack of its own.  It runs until
 * it waits (sel_task_await, sel_task_sleep_until, sel_task_join,
 * sel_mutex_lock) or yields; then the highest-priority ready task runs
 * next, or, when none is ready, the code that started the tasks: normally
 * the thread's event loop (sel/loop.h), which runs ready tasks at every turn
 * before its handlers and sleeps only when no task is ready.  Tasks are
 * cooperative: nothing preempts a running task, so the state a task reads
 * stays as it was until the task itself waits.
 *
 * What a task waits for is a completion (sel_completion_t): one value that
 * some code (a ring callback, a timer, another task) sets once with
 * sel_completion_complete; every task awaiting it becomes ready.  For
 * example a ring client submits a request with the completion's address as
 * tag and awaits it; its ring callback completes the completion named by
 * each tag it pops.
 *
 * Switching tasks never enters the kernel, and keeps only what the code
 * around the switch still needs (task_switch.S).  Cost in retired
 * instructions (make bench, task_switch_instructions: one task yielding
 * to another of the same priority, from the first's yield to the second's
 * return from its own): see docs/loop.md.
 *
 * One scheduler per thread (sel_tasks_t); an event loop has one built in
 * (sel_loop_tasks).  Not for use across threads.
 */
#ifndef SEL_TASK_H
#define SEL_TASK_H

#include <sel/types.h>
#include <stddef.h>

struct sel_loop;
struct sel_task;

/* A value set once, awaited by any number of tasks. */
typedef struct sel_completion {
    struct sel_task *waiters;   /* tasks blocked on it, in arrival order */
    sel_word_t value;
    bool done;
} sel_completion_t;

enum sel_task_state {
    SEL_TASK_UNUSED,            /* not started, or finished and joined by nobody */
    SEL_TASK_READY,             /* in the ready list, or running */
    SEL_TASK_WAITING,           /* on a completion, a mutex, or a timer */
    SEL_TASK_FINISHED,          /* returned; its stack is free again */
};

typedef struct sel_task {
    sel_word_t sp;                  /* saved stack pointer while not running */
    struct sel_task *next;          /* in the ready list or a waiter list */
    struct sel_tasks *sched;
    void (*fn)(void *arg);
    void *arg;
    sel_word_t *stack_bottom;       /* holds SEL_TASK_CANARY while the stack has not overflowed */
    sel_completion_t finished;      /* completed with 0 when fn returns */
    sel_word_t wait_result;         /* what the await that resumed it returns */
    uint8_t priority;               /* 0..255, higher runs first */
    uint8_t state;                  /* enum sel_task_state */
    const char *name;               /* for messages */
} sel_task_t;

/* The scheduler of one thread's tasks. */
typedef struct sel_tasks {
    sel_task_t *ready;              /* ready tasks, highest priority first, FIFO within one */
    sel_word_t starter_sp;          /* the starter's saved stack pointer while a task runs */
    struct sel_loop *loop;          /* for timeouts (NULL: no timers) */
} sel_tasks_t;

#define SEL_TASK_CANARY 0x7a5c57ac6ull
#define SEL_TASK_MIN_STACK 1024
#define SEL_TASK_TIMED_OUT ((sel_word_t)-1)

/* An empty scheduler; loop may be NULL (no sel_task_sleep_until or timed awaits). */
void sel_tasks_init(sel_tasks_t *sched, struct sel_loop *loop);

/*
 * Makes task ready to run fn(arg) on stack (size bytes, at least
 * SEL_TASK_MIN_STACK, 16-byte aligned) at priority.  It runs when the
 * starter next calls sel_tasks_run (the loop does at every turn), or at
 * once if another task started it with a higher priority than its own and
 * then waits or yields.  Returns false, starting nothing, if the stack is
 * too small or task is still running.
 */
bool sel_task_start(sel_tasks_t *sched, sel_task_t *task, void *stack, size_t size, unsigned priority,
                    void (*fn)(void *arg), void *arg, const char *name);

/* Runs ready tasks until none is ready; returns whether any was. */
bool sel_tasks_run(sel_tasks_t *sched);

/* Whether a task is ready to run. */
static inline bool sel_tasks_ready(const sel_tasks_t *sched) { return sched->ready != NULL; }

/* The running task of this thread, or NULL outside a task. */
sel_task_t *sel_task_current(void);

/* ---- the switch, inline so that only the registers live at the switch are kept (task_switch.S) ---- */

extern __thread sel_task_t *sel__current_task;
void sel__task_switch(sel_word_t *save_sp, sel_word_t new_sp);
sel_word_t sel__task_requeue(sel_task_t *task, sel_task_t *next);

static inline __attribute__((always_inline)) void sel__task_switch_to(sel_word_t *save_sp, sel_word_t new_sp)
{
    register sel_word_t a0 __asm__("a0") = (sel_word_t)save_sp;
    register sel_word_t a1 __asm__("a1") = new_sp;
    __asm__ volatile("call sel__task_switch"
                     : "+r"(a0), "+r"(a1)
                     :
                     : "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a2", "a3", "a4", "a5", "a6", "a7",
                       "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "memory");
}

/*
 * Lets ready tasks of this priority or higher run first; returns when it
 * is this task's turn again.  Outside a task, or with nothing of its
 * priority ready, it returns at once.  (The hot path of task switching,
 * measured by make bench: task_switch_instructions.)
 */
static inline void sel_task_yield(void)
{
    sel_task_t *task = sel__current_task;
    if (!task)
        return;
    sel_task_t *next = task->sched->ready;
    if (!next || next->priority < task->priority)
        return;
    sel__task_switch_to(&task->sp, sel__task_requeue(task, next));
}

/* ---- completions ---- */

static inline void sel_completion_init(sel_completion_t *c) { *c = (sel_completion_t){ 0 }; }

/* Sets the value and makes every task awaiting it ready; completing twice keeps the first value. */
void sel_completion_complete(sel_completion_t *c, sel_word_t value);

/* Waits in the current task until c completes; returns its value at once if it has. */
sel_word_t sel_task_await(sel_completion_t *c);

/*
 * The same, giving up at deadline (sel_time_now() units, the loop's
 * timers; the scheduler must have a loop): returns SEL_TASK_TIMED_OUT then.
 */
sel_word_t sel_task_await_until(sel_completion_t *c, sel_word_t deadline);

/* Sleeps until deadline (sel_time_now() units). */
void sel_task_sleep_until(sel_word_t deadline);

/* Waits for task to finish (at once if it has). */
void sel_task_join(sel_task_t *task);

/* ---- mutexes: for state that must stay consistent across a wait ---- */

typedef struct sel_mutex {
    sel_task_t *owner;
    sel_task_t *waiters;        /* highest priority first */
} sel_mutex_t;

static inline void sel_mutex_init(sel_mutex_t *m) { *m = (sel_mutex_t){ 0 }; }
void sel_mutex_lock(sel_mutex_t *m);
void sel_mutex_unlock(sel_mutex_t *m);

#endif
