/*
 * Scheduling on one hart: strict priorities, round robin between equal
 * priorities on timer ticks, Yield, and priority changes taking effect at
 * once.  Every thread here stays on hart 0 with the test.
 */
#include "test.h"

/* ---- helpers ------------------------------------------------------------------ */

/* An event log the threads of a test append to, to check their order. */
static volatile char events[32];
static volatile unsigned num_events;

static void log_event(char c)
{
    if (num_events < sizeof(events) - 1)
        events[num_events++] = c;
}

static void reset_events(void)
{
    num_events = 0;
    for (unsigned i = 0; i < sizeof(events); i++)
        events[i] = 0;
}

#define CHECK_EVENTS(expected)                                                                      \
    do {                                                                                            \
        const char *_exp = (expected);                                                              \
        unsigned _i = 0;                                                                            \
        for (; _exp[_i] && events[_i] == _exp[_i]; _i++)                                            \
            ;                                                                                       \
        if (_exp[_i] || num_events != _i)                                                           \
            test_fail(__FILE__, __LINE__, "events \"%s\", expected \"%s\"", (const char *)events,  \
                      _exp);                                                                        \
    } while (0)

static sel_word_t ticks_per_ms(void) { return sel_get_bootinfo()->timebase_frequency / 1000; }

/* Busy-waits (through timer ticks, without yielding) for ms milliseconds. */
static void spin_ms(sel_word_t ms)
{
    sel_word_t end = test_rdtime() + ms * ticks_per_ms();
    while (test_rdtime() < end)
        ;
}

static void log_arg(void *arg) { log_event((char)(sel_word_t)arg); }

/* ---- strict priorities ------------------------------------------------------------ */

TEST(sched_higher_priority_thread_runs_before_resume_returns)
{
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, log_arg, (void *)'h');
    log_event('t');
    CHECK_EVENTS("ht");
}

static void log_and_signal(void *arg)
{
    log_event('l');
    sel_signal((sel_cptr_t)arg);
}

TEST(sched_lower_priority_thread_runs_only_when_we_block)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, TEST_PRIORITY - 1, false, log_and_signal, (void *)ntfn);
    /* Neither timer ticks nor Yield give the CPU to a lower priority. */
    spin_ms(30);
    sel_yield();
    CHECK_EVENTS("");
    sel_wait(ntfn);
    CHECK_EVENTS("l");
}

/* Logs 'a', signals the notification, logs 'b'. */
static void signal_between_events(void *arg)
{
    log_event('a');
    sel_signal((sel_cptr_t)arg);
    log_event('b');
}

/* Logs 'H' each time the notification wakes it. */
static void log_each_wakeup(void *arg)
{
    for (;;) {
        sel_wait((sel_cptr_t)arg);
        log_event('H');
    }
}

TEST(sched_signal_to_higher_priority_thread_preempts_at_once)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t high, low;
    reset_events();
    test_thread_start(env, &high, TEST_PRIORITY + 10, false, log_each_wakeup, (void *)ntfn);
    test_thread_start(env, &low, TEST_PRIORITY + 5, false, signal_between_events, (void *)ntfn);
    CHECK_EVENTS("aHb");
}

TEST(sched_signal_to_equal_priority_thread_does_not_preempt)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t waiter, signaller;
    reset_events();
    test_thread_start(env, &waiter, TEST_PRIORITY + 5, false, log_each_wakeup, (void *)ntfn);
    test_thread_start(env, &signaller, TEST_PRIORITY + 5, false, signal_between_events, (void *)ntfn);
    CHECK_EVENTS("abH");
}

/*
 * A thread preempted by a higher priority goes back to the head of its
 * queue: it continues before the equal-priority thread queued behind it.
 */
TEST(sched_preempted_thread_keeps_its_place_in_the_queue)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t high, first, second;
    reset_events();
    test_thread_start(env, &high, TEST_PRIORITY + 10, false, log_each_wakeup, (void *)ntfn);
    test_thread(env, &first, TEST_PRIORITY + 1, false, signal_between_events, (void *)ntfn);
    test_thread(env, &second, TEST_PRIORITY + 1, false, log_arg, (void *)'s');
    /* Queue both before either runs, first ahead of second. */
    CHECK_OK(sel_tcb_set_priority(env->tcb, env->tcb, TEST_PRIORITY + 2));
    CHECK_OK(sel_thread_start(&first));
    CHECK_OK(sel_thread_start(&second));
    CHECK_EVENTS("");
    CHECK_OK(sel_tcb_set_priority(env->tcb, env->tcb, TEST_PRIORITY));
    CHECK_EVENTS("aHbs");
}

/* ---- round robin and Yield ----------------------------------------------------------- */

/*
 * Two threads that never yield: each counts how often it finds that the
 * other ran since its own last step.  Only timer preemption can make that
 * happen.  They stop after enough switches or after a deadline.
 */
#define RR_SWITCHES 6

static volatile sel_word_t rr_last_runner, rr_switches, rr_deadline;
static volatile sel_word_t rr_steps[2];

static void busy_until_switched(void *arg)
{
    sel_word_t self = (sel_word_t)arg;
    while (rr_switches < RR_SWITCHES && test_rdtime() < rr_deadline) {
        if (rr_last_runner != self) {
            rr_last_runner = self;
            rr_switches++;
        }
        rr_steps[self - 1]++;
    }
}

TEST(sched_equal_priorities_share_the_cpu_on_timer_ticks)
{
    sel_thread_t a, b;
    rr_last_runner = rr_switches = 0;
    rr_steps[0] = rr_steps[1] = 0;
    rr_deadline = test_rdtime() + 3000 * ticks_per_ms();
    /* Above us, so that we do not take turns ourselves; both queued before either runs. */
    test_thread(env, &a, TEST_PRIORITY + 1, false, busy_until_switched, (void *)1);
    test_thread(env, &b, TEST_PRIORITY + 1, false, busy_until_switched, (void *)2);
    CHECK_OK(sel_tcb_set_priority(env->tcb, env->tcb, TEST_PRIORITY + 2));
    CHECK_OK(sel_thread_start(&a));
    CHECK_OK(sel_thread_start(&b));
    CHECK_OK(sel_tcb_set_priority(env->tcb, env->tcb, TEST_PRIORITY));
    /* We run again only when both have finished. */
    CHECK(rr_switches >= RR_SWITCHES);
    CHECK(rr_steps[0] > 0 && rr_steps[1] > 0);
}

TEST(sched_yield_runs_an_equal_priority_thread)
{
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, TEST_PRIORITY, false, log_arg, (void *)'e');
    spin_ms(5);
    CHECK_EVENTS("");       /* queued behind us */
    log_event('y');
    sel_yield();
    log_event('r');
    CHECK_EVENTS("yer");
}

TEST(sched_yield_does_not_run_a_lower_priority_thread)
{
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, TEST_PRIORITY - 1, false, log_arg, (void *)'l');
    sel_yield();
    sel_yield();
    CHECK_EVENTS("");
    CHECK_OK(sel_tcb_suspend(t.tcb));
}

/* ---- priority changes ----------------------------------------------------------------- */

TEST(sched_lowering_own_priority_runs_waiting_thread_at_once)
{
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, TEST_PRIORITY, false, log_arg, (void *)'w');
    CHECK_OK(sel_tcb_set_priority(env->tcb, env->tcb, TEST_PRIORITY - 1));
    log_event('t');
    CHECK_EVENTS("wt");
}

TEST(sched_raising_priority_of_waiting_thread_runs_it_at_once)
{
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, TEST_PRIORITY - 10, false, log_arg, (void *)'w');
    CHECK_EVENTS("");
    CHECK_OK(sel_tcb_set_priority(t.tcb, env->tcb, TEST_PRIORITY + 1));
    log_event('t');
    CHECK_EVENTS("wt");
}

TEST(sched_priority_change_of_blocked_thread_keeps_it_blocked)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, log_each_wakeup, (void *)ntfn);
    /* It waits; changing its priority must not make it runnable. */
    CHECK_OK(sel_tcb_set_priority(t.tcb, env->tcb, TEST_PRIORITY - 1));
    CHECK_OK(sel_tcb_set_priority(t.tcb, env->tcb, TEST_PRIORITY + 20));
    sel_yield();
    CHECK_EVENTS("");
    /* And it wakes with the new priority: above us, so at once. */
    sel_signal(ntfn);
    log_event('t');
    CHECK_EVENTS("Ht");
}

/* The lowest priority runs only when nothing else can; raised to the highest it runs at once. */
TEST(sched_priority_0_starves_until_raised_to_255)
{
    sel_thread_t t;
    reset_events();
    test_thread_start(env, &t, 0, false, log_arg, (void *)'z');
    spin_ms(20);
    sel_yield();
    CHECK_EVENTS("");       /* even the driver, at priority 1, is above it */
    /* 255 is above our MCP: the root task's TCB authorises it. */
    CHECK_ERR(sel_tcb_set_priority(t.tcb, env->tcb, SEL_MAX_PRIORITY), SEL_RANGE_ERROR);
    CHECK_OK(sel_tcb_set_priority(t.tcb, SEL_CAP_INIT_TCB, SEL_MAX_PRIORITY));
    log_event('t');
    CHECK_EVENTS("zt");
}
