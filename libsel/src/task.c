/* Tasks: coroutines with priorities inside one thread (sel/task.h). */
#include <sel/loop.h>
#include <sel/task.h>
#include <sel/trace.h>
#include <stdio.h>

extern char sel__task_entry[];

/* The task running on this thread, NULL while the starter (the loop) runs. */
__thread sel_task_t *sel__current_task;
#define current_task sel__current_task

/* ra and s0, as sel__task_switch lays them out. */
#define SWITCH_FRAME_WORDS 2

void sel_tasks_init(sel_tasks_t *sched, struct sel_loop *loop)
{
    *sched = (sel_tasks_t){ .loop = loop };
}

sel_task_t *sel_task_current(void) { return current_task; }

static _Noreturn void task_misuse(const char *what, const sel_task_t *task)
{
    printf("task '%s': %s\n", task && task->name ? task->name : "?", what);
    fflush(stdout);
    __builtin_trap();
}

/* After every task of at least its priority: priorities are served highest first, FIFO within one. */
static void ready_insert(sel_tasks_t *sched, sel_task_t *task)
{
    sel_task_t **link = &sched->ready;
    while (*link && (*link)->priority >= task->priority)
        link = &(*link)->next;
    task->next = *link;
    *link = task;
    task->state = SEL_TASK_READY;
}

/* Removes task from the list at *head if it is there (a waiter that timed out). */
static void list_remove(sel_task_t **head, sel_task_t *task)
{
    for (sel_task_t **link = head; *link; link = &(*link)->next) {
        if (*link == task) {
            *link = task->next;
            task->next = NULL;
            return;
        }
    }
}

/* The task's stack has not overflowed into what lies below it (the canary sel_task_start put there). */
static inline void check_stack(sel_task_t *task)
{
    if (*task->stack_bottom != (sel_word_t)task)
        task_misuse("overflowed its stack", task);
}

/* Takes the first ready task off the list, or returns NULL if none is ready. */
static inline sel_task_t *ready_pop(sel_tasks_t *sched)
{
    sel_task_t *next = sched->ready;
    if (next) {
        sched->ready = next->next;
        next->next = NULL;
    }
    return next;
}

/*
 * Switches from the current task, which has already been put where it
 * waits (or in the ready list), to the first ready task, or back to the
 * starter when none is ready.  Returns when something resumes the task.
 */
static void switch_away(sel_tasks_t *sched, sel_task_t *task)
{
    check_stack(task);
    sel_task_t *next = ready_pop(sched);
    SEL_TRACE_TASK_SWITCH(task, next);
    current_task = next;
    sel__task_switch_to(&task->sp, next ? next->sp : sched->starter_sp);
}

static sel_task_t *task_or_die(const char *what)
{
    sel_task_t *task = current_task;
    if (!task)
        task_misuse(what, NULL);
    return task;
}

/* Where every task starts (sel__task_entry calls it). */
_Noreturn void sel__task_main(sel_task_t *task)
{
    task->fn(task->arg);
    check_stack(task);
    task->state = SEL_TASK_FINISHED;
    sel_completion_complete(&task->finished, 0);
    sel_tasks_t *sched = task->sched;
    sel_task_t *next = ready_pop(sched);
    SEL_TRACE_TASK_SWITCH(task, next);
    current_task = next;
    sel_word_t dead_sp;     /* its stack is free now: nothing resumes it */
    sel__task_switch_to(&dead_sp, next ? next->sp : sched->starter_sp);
    __builtin_unreachable();
}

bool sel_task_start(sel_tasks_t *sched, sel_task_t *task, void *stack, size_t size, unsigned priority,
                    void (*fn)(void *arg), void *arg, const char *name)
{
    if (size < SEL_TASK_MIN_STACK || priority > 255 || ((uintptr_t)stack & 15))
        return false;
    if (task->state == SEL_TASK_READY || task->state == SEL_TASK_WAITING)
        return false;
    sel_word_t top = ((sel_word_t)stack + size) & ~(sel_word_t)15;
    sel_word_t *frame = (sel_word_t *)(top - SWITCH_FRAME_WORDS * sizeof(sel_word_t));
    for (int i = 0; i < SWITCH_FRAME_WORDS; i++)
        frame[i] = 0;
    frame[0] = (sel_word_t)sel__task_entry;     /* ra */
    frame[1] = (sel_word_t)task;                /* s0 */
    *task = (sel_task_t){
        .sp = (sel_word_t)frame, .sched = sched, .fn = fn, .arg = arg, .stack_bottom = stack,
        .priority = (uint8_t)priority, .name = name,
    };
    *task->stack_bottom = (sel_word_t)task;    /* the canary: switch_away checks it */
    ready_insert(sched, task);
    return true;
}

bool sel_tasks_run(sel_tasks_t *sched)
{
    if (current_task)
        task_misuse("sel_tasks_run called from a task", current_task);
    bool ran = sched->ready != NULL;
    sel_task_t *next;
    while ((next = ready_pop(sched))) {
        SEL_TRACE_TASK_SWITCH((sel_task_t *)NULL, next);
        current_task = next;
        sel__task_switch_to(&sched->starter_sp, next->sp);
    }
    return ran;
}

/*
 * sel_task_yield decided to switch from task to next, the first ready
 * task: next leaves the ready list, task goes after every ready task of
 * its priority.  Returns next's stack pointer.
 */
sel_word_t sel__task_requeue(sel_task_t *task, sel_task_t *next)
{
    check_stack(task);
    /* Insert task behind next and the ready tasks of its priority, then take next off the front. */
    sel_task_t **link = &next->next;
    while (*link && (*link)->priority >= task->priority)
        link = &(*link)->next;
    task->next = *link;
    *link = task;
    task->sched->ready = next->next;
    SEL_TRACE_TASK_SWITCH(task, next);
    current_task = next;
    return next->sp;
}

/* ---- completions ---- */

void sel_completion_complete(sel_completion_t *c, sel_word_t value)
{
    if (c->done)
        return;
    c->done = true;
    c->value = value;
    while (c->waiters) {
        sel_task_t *task = c->waiters;
        c->waiters = task->next;
        task->wait_result = value;
        ready_insert(task->sched, task);
    }
}

static void wait_on(sel_completion_t *c, sel_task_t *task)
{
    sel_task_t **link = &c->waiters;
    while (*link)
        link = &(*link)->next;
    task->next = NULL;
    *link = task;
    task->state = SEL_TASK_WAITING;
}

sel_word_t sel_task_await(sel_completion_t *c)
{
    if (c->done)
        return c->value;
    sel_task_t *task = task_or_die("sel_task_await outside a task: only tasks can wait");
    wait_on(c, task);
    switch_away(task->sched, task);
    return task->wait_result;
}

struct timeout {
    sel_task_t *task;
    sel_completion_t *completion;
};

static void timed_out(void *ctx)
{
    struct timeout *t = ctx;
    if (t->task->state != SEL_TASK_WAITING)
        return;
    list_remove(&t->completion->waiters, t->task);
    t->task->wait_result = SEL_TASK_TIMED_OUT;
    ready_insert(t->task->sched, t->task);
}

sel_word_t sel_task_await_until(sel_completion_t *c, sel_word_t deadline)
{
    if (c->done)
        return c->value;
    sel_task_t *task = task_or_die("sel_task_await_until outside a task: only tasks can wait");
    sel_loop_t *loop = task->sched->loop;
    if (!loop)
        task_misuse("waits with a deadline, but its scheduler has no event loop for timers", task);
    /* The timer lives on this task's stack, which stays put while it waits; it is stopped before return. */
    struct timeout timeout = { task, c };
    sel_loop_timer_t timer = { .fn = timed_out, .ctx = &timeout };
    sel_loop_timer_start(loop, &timer, deadline);
    wait_on(c, task);
    switch_away(task->sched, task);
    sel_loop_timer_stop(loop, &timer);
    return task->wait_result;
}

void sel_task_sleep_until(sel_word_t deadline)
{
    sel_completion_t never;
    sel_completion_init(&never);
    sel_task_await_until(&never, deadline);
}

void sel_task_join(sel_task_t *task)
{
    sel_task_await(&task->finished);
}

/* ---- mutexes ---- */

void sel_mutex_lock(sel_mutex_t *m)
{
    sel_task_t *task = task_or_die("sel_mutex_lock outside a task: only tasks can wait");
    if (!m->owner) {
        m->owner = task;
        return;
    }
    if (m->owner == task)
        task_misuse("locks a mutex it holds", task);
    sel_task_t **link = &m->waiters;
    while (*link && (*link)->priority >= task->priority)
        link = &(*link)->next;
    task->next = *link;
    *link = task;
    task->state = SEL_TASK_WAITING;
    switch_away(task->sched, task);
    /* sel_mutex_unlock handed the mutex over to us. */
}

void sel_mutex_unlock(sel_mutex_t *m)
{
    if (m->owner != current_task)
        task_misuse("unlocks a mutex it does not hold", current_task);
    sel_task_t *next = m->waiters;
    m->owner = next;
    if (next) {
        m->waiters = next->next;
        ready_insert(next->sched, next);
    }
}
