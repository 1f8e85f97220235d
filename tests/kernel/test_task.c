/*
 * Tasks (libsel/include/sel/task.h): the order tasks run in, yields,
 * completions, joins, mutexes, timeouts on the event loop's timers, and
 * tasks woken by the loop's handlers.
 */
#include "test.h"

#include <sel/loop.h>
#include <sel/task.h>
#include <string.h>

#define STACK 4096
#define MAX_TASKS 6
#define BIT_WAKE 0x1
#define BIT_ALARM 0x2

static struct {
    sel_tasks_t sched;
    sel_task_t tasks[MAX_TASKS];
    _Alignas(16) uint8_t stacks[MAX_TASKS][STACK];
    sel_completion_t completion, other;
    sel_mutex_t mutex;
    char log[64];
    int logged;
    int inside;                 /* tasks inside the mutex at once */
    int max_inside;
    sel_word_t results[MAX_TASKS];
    sel_word_t start, woke_at[MAX_TASKS];
    sel_loop_t loop;
    sel_cptr_t ntfn, wake, done, never;
    sel_loop_handler_t wake_handler;
    volatile bool finished;
} s;

static void reset(void)
{
    memset(&s, 0, sizeof(s));
    sel_tasks_init(&s.sched, NULL);
}

static void note(char c)
{
    if (s.logged < (int)sizeof(s.log) - 1)
        s.log[s.logged++] = c;
}

static bool start(int i, unsigned priority, void (*fn)(void *))
{
    return sel_task_start(&s.sched, &s.tasks[i], s.stacks[i], STACK, priority, fn, (void *)(uintptr_t)i, "test");
}

static char letter(void *arg) { return (char)('A' + (uintptr_t)arg); }

static sel_word_t ms(sel_word_t n) { return sel_get_bootinfo()->timebase_frequency / 1000 * n; }

/* ---- order ---- */

static void say_once(void *arg) { note(letter(arg)); }

TEST(tasks_run_highest_priority_first_and_in_order_within_one)
{
    reset();
    CHECK(start(0, 1, say_once));
    CHECK(start(1, 3, say_once));
    CHECK(start(2, 3, say_once));
    CHECK(start(3, 2, say_once));
    CHECK(sel_task_current() == NULL);
    CHECK(sel_tasks_run(&s.sched));
    CHECK(strcmp(s.log, "BCDA") == 0);
    CHECK(!sel_tasks_ready(&s.sched));
    for (int i = 0; i < 4; i++)
        CHECK_EQ(s.tasks[i].state, SEL_TASK_FINISHED);
    CHECK(!sel_tasks_run(&s.sched));
}

static void say_three_times(void *arg)
{
    for (int i = 0; i < 3; i++) {
        note(letter(arg));
        sel_task_yield();
    }
}

TEST(yield_takes_turns_with_equal_priority_and_not_with_lower)
{
    reset();
    CHECK(start(0, 5, say_three_times));
    CHECK(start(1, 5, say_three_times));
    CHECK(start(2, 4, say_three_times));    /* lower: runs only once both are done */
    sel_tasks_run(&s.sched);
    CHECK(strcmp(s.log, "ABABABCCC") == 0);
}

TEST(a_task_that_overruns_nothing_can_be_started_again_and_bad_starts_are_refused)
{
    reset();
    CHECK(!sel_task_start(&s.sched, &s.tasks[0], s.stacks[0], SEL_TASK_MIN_STACK - 16, 1, say_once, NULL, "x"));
    CHECK(!sel_task_start(&s.sched, &s.tasks[0], s.stacks[0] + 8, STACK - 16, 1, say_once, NULL, "x"));
    CHECK(!sel_task_start(&s.sched, &s.tasks[0], s.stacks[0], STACK, 256, say_once, NULL, "x"));
    CHECK(start(0, 1, say_once));
    CHECK(!start(0, 1, say_once));          /* ready, not finished: refused */
    sel_tasks_run(&s.sched);
    CHECK(start(0, 1, say_once));           /* finished: its task and stack can be used again */
    sel_tasks_run(&s.sched);
    CHECK(strcmp(s.log, "AA") == 0);
}

/* ---- completions and joins ---- */

static void await_and_record(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    note(letter(arg));
    s.results[i] = sel_task_await(&s.completion);
    note((char)('a' + i));
}

TEST(every_task_awaiting_a_completion_resumes_with_its_value)
{
    reset();
    CHECK(start(0, 2, await_and_record));
    CHECK(start(1, 2, await_and_record));
    CHECK(start(2, 7, await_and_record));
    CHECK(sel_tasks_run(&s.sched));         /* each runs until it waits */
    CHECK(strcmp(s.log, "CAB") == 0);
    CHECK_EQ(s.tasks[0].state, SEL_TASK_WAITING);
    sel_completion_complete(&s.completion, 42);
    sel_completion_complete(&s.completion, 43);  /* the first value stays */
    sel_tasks_run(&s.sched);
    CHECK(strcmp(s.log, "CABcab") == 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(s.results[i], 42);
    /* Completed already: awaiting returns at once, without waiting. */
    CHECK(start(3, 2, await_and_record));
    CHECK(sel_tasks_run(&s.sched));
    CHECK_EQ(s.results[3], 42);
    CHECK_EQ(s.tasks[3].state, SEL_TASK_FINISHED);
}

static void child(void *arg)
{
    note('c');
    sel_task_await(&s.other);
    note('d');
}

static void parent(void *arg)
{
    note('p');
    sel_task_start(&s.sched, &s.tasks[1], s.stacks[1], STACK, 1, child, NULL, "child");
    sel_task_join(&s.tasks[1]);     /* the child, though lower, runs while the parent waits */
    note('q');
}

TEST(join_waits_for_a_task_to_return)
{
    reset();
    CHECK(start(0, 9, parent));
    sel_tasks_run(&s.sched);
    CHECK(strcmp(s.log, "pc") == 0);
    sel_completion_complete(&s.other, 0);
    sel_tasks_run(&s.sched);
    CHECK(strcmp(s.log, "pcdq") == 0);
    CHECK_EQ(s.tasks[0].state, SEL_TASK_FINISHED);
    CHECK_EQ(s.tasks[1].state, SEL_TASK_FINISHED);
}

/* ---- mutexes ---- */

static void locker(void *arg)
{
    sel_mutex_lock(&s.mutex);
    s.inside++;
    if (s.inside > s.max_inside)
        s.max_inside = s.inside;
    note(letter(arg));
    sel_task_await(&s.completion);  /* holds the mutex across a wait */
    s.inside--;
    sel_mutex_unlock(&s.mutex);
}

TEST(a_mutex_keeps_one_task_inside_across_waits_and_hands_over_by_priority)
{
    reset();
    sel_mutex_init(&s.mutex);
    CHECK(start(0, 3, locker));     /* A takes it first */
    CHECK(start(1, 2, locker));
    CHECK(start(2, 1, locker));
    CHECK(start(3, 2, locker));     /* then B and D (equal, in order), then C */
    sel_tasks_run(&s.sched);
    CHECK(strcmp(s.log, "A") == 0);
    sel_completion_complete(&s.completion, 1);  /* everyone after A finds it completed */
    sel_tasks_run(&s.sched);
    CHECK(strcmp(s.log, "ABDC") == 0);
    CHECK_EQ(s.max_inside, 1);
    CHECK(s.mutex.owner == NULL);
}

/* ---- on the event loop: handlers wake tasks, timers time them out ---- */

static void on_wake(void *ctx, sel_word_t bits)
{
    (void)ctx;
    sel_completion_complete(&s.completion, bits);
}

static void loop_task_sleeper(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    sel_task_sleep_until(s.start + ms(5 * (i + 1)));
    s.woke_at[i] = sel_time_now();
    note(letter(arg));
}

static void loop_task_waiter(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    /* Times out: nothing completes s.other. */
    s.results[i] = sel_task_await_until(&s.other, s.start + ms(20));
    s.woke_at[i] = sel_time_now();
    note('t');
    sel_signal(s.done);
    /* Completed by the bit handler, long before this deadline. */
    s.results[i + 1] = sel_task_await_until(&s.completion, sel_time_now() + ms(10000));
    note('w');
    sel_loop_stop(&s.loop);
}

static void loop_thread(void *arg)
{
    (void)arg;
    sel_loop_init(&s.loop, s.ntfn, BIT_ALARM);
    s.wake_handler = (sel_loop_handler_t){ .bits = BIT_WAKE, .fn = on_wake };
    sel_loop_on_bits(&s.loop, &s.wake_handler);
    sel_tasks_t *sched = sel_loop_tasks(&s.loop);
    s.start = sel_time_now();
    sel_task_start(sched, &s.tasks[0], s.stacks[0], STACK, 1, loop_task_sleeper, (void *)0, "sleeper0");
    sel_task_start(sched, &s.tasks[1], s.stacks[1], STACK, 1, loop_task_sleeper, (void *)1, "sleeper1");
    sel_task_start(sched, &s.tasks[2], s.stacks[2], STACK, 1, loop_task_waiter, (void *)2, "waiter");
    sel_loop_run(&s.loop);
    s.finished = true;
    sel_signal(s.done);
    for (;;)
        sel_wait(s.never);  /* not s.done: the test thread may not be waiting for it yet */
}

TEST(loop_tasks_sleep_time_out_and_are_woken_by_handlers)
{
    reset();
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.wake = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, s.wake, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, s.ntfn, SEL_WORD_BITS,
                            SEL_CAN_WRITE, BIT_WAKE));
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 1, false, loop_thread, NULL);
    CHECK_OK(sel_thread_start(&t));
    sel_wait(s.done);   /* the waiter timed out (after both sleepers woke) */
    CHECK(strncmp(s.log, "ABt", 3) == 0);
    CHECK(s.woke_at[0] >= s.start + ms(5));
    CHECK(s.woke_at[1] >= s.start + ms(10));
    CHECK(s.woke_at[2] >= s.start + ms(20));
    CHECK_EQ(s.results[2], SEL_TASK_TIMED_OUT);
    CHECK(!s.finished);
    sel_signal(s.wake);
    sel_wait(s.done);
    CHECK(s.finished);
    CHECK(strcmp(s.log, "ABtw") == 0);
    CHECK_EQ(s.results[3], BIT_WAKE);
}
