/*
 * CPU accounting (DebugCpuTime, sel_debug_cpu_time): every instruction a
 * hart runs is charged to exactly one of the thread that has it, the
 * hart's idle count (in wfi) and its kernel count (in the kernel for no
 * thread).  Without -icount, as these tests run, the counter is the
 * host's time, so the checks are exact sums and comparisons, never sizes.
 */
#include "test.h"

static sel_cpu_time_t cpu_time(sel_cptr_t tcb, sel_word_t hart)
{
    sel_cpu_time_t t = { 0 };
    sel_error_t err = sel_debug_cpu_time(tcb, hart, &t);
    if (err)
        test_fail(__FILE__, __LINE__, "DebugCpuTime failed: %s", sel_error_name(err));
    return t;
}

static void spin(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

/* With nothing else running on our hart, all of its time between two readings is ours. */
TEST(cpu_time_of_the_running_thread_is_all_the_time_that_passed)
{
    sel_word_t hart = env->bi->boot_hart;
    sel_cpu_time_t a = cpu_time(env->tcb, hart);
    spin(200000);
    sel_null_syscall();   /* kernel time is charged to us too */
    sel_cpu_time_t b = cpu_time(env->tcb, hart);
    CHECK(b.at > a.at);
    CHECK_EQ(b.thread - a.thread, b.at - a.at);
    CHECK_EQ(b.idle, a.idle);
    CHECK_EQ(b.kernel, a.kernel);
}

static sel_cptr_t wake, done, echo_ep;

static void echo(void *arg)
{
    (void)arg;
    sel_word_t badge;
    sel_recv(echo_ep, &badge);
    for (;;)
        sel_reply_recv(echo_ep, sel_msginfo_new(0, 0, 0, 0), &badge);
}

/*
 * Round trips through the fastpath to a higher-priority server: between
 * two readings of ours, our time and the server's add up to all of it,
 * and the server got its share (the fastpath charges at its switches).
 */
TEST(cpu_time_of_fastpath_partners_adds_up)
{
    sel_word_t hart = env->bi->boot_hart;
    echo_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, TEST_PRIORITY + 1, true, echo, NULL);   /* it waits in Recv */
    sel_word_t slow = test_slow_ipc_count();
    sel_cpu_time_t s1 = cpu_time(t.tcb, hart), a = cpu_time(env->tcb, hart);
    for (int i = 0; i < 10; i++)
        sel_call(echo_ep, sel_msginfo_new(0, 0, 0, 0));
    sel_cpu_time_t b = cpu_time(env->tcb, hart), s2 = cpu_time(t.tcb, hart);
    CHECK(s2.thread > s1.thread);
    CHECK_EQ((b.thread - a.thread) + (s2.thread - s1.thread), b.at - a.at);
    CHECK(test_slow_ipc_count() - slow < 10);   /* (a tick may send one to the slow path) */
}

static void wait_forever(void *arg)
{
    (void)arg;
    for (;;)
        sel_wait(wake);
}

TEST(cpu_time_of_a_blocked_thread_stands_still)
{
    wake = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, wait_forever, NULL);   /* it runs, then blocks */
    sel_cpu_time_t a = cpu_time(t.tcb, env->bi->boot_hart);
    CHECK(a.thread > 0);
    spin(100000);
    sel_cpu_time_t b = cpu_time(t.tcb, env->bi->boot_hart);
    CHECK_EQ(b.thread, a.thread);
    sel_signal(wake);                 /* it runs once more */
    sel_cpu_time_t c = cpu_time(t.tcb, env->bi->boot_hart);
    CHECK(c.thread > b.thread);
}

static void work_when_woken(void *arg)
{
    (void)arg;
    for (;;) {
        sel_wait(wake);
        spin(50000);
        sel_signal(done);
    }
}

/*
 * A thread alone on the other hart, woken five times: over the whole
 * interval that hart's time is exactly the thread's, its idle time and
 * its kernel time, and each grew.
 */
TEST(cpu_time_on_a_hart_adds_up_to_the_time_that_passed)
{
    CHECK(env->bi->num_harts >= 2);
    sel_word_t other = test_other_hart(env);
    wake = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, work_when_woken, NULL);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, other));
    CHECK_OK(sel_thread_start(&t));
    sel_signal(wake);
    sel_wait(done);   /* it has run and goes back to its Wait */

    sel_cpu_time_t a = cpu_time(t.tcb, other);
    for (int i = 0; i < 5; i++) {
        sel_signal(wake);
        sel_wait(done);
    }
    sel_cpu_time_t b = cpu_time(t.tcb, other);
    sel_word_t thread = b.thread - a.thread, idle = b.idle - a.idle, kernel = b.kernel - a.kernel;
    CHECK(thread > 0);
    CHECK(idle > 0);
    CHECK(kernel > 0);
    CHECK_EQ(thread + idle + kernel, b.at - a.at);
}

TEST(cpu_time_checks_its_arguments)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cpu_time_t t = { 1, 2, 3, 4 };
    CHECK_ERR(sel_debug_cpu_time(ep, 0, &t), SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_debug_cpu_time(0, env->bi->num_harts, &t), SEL_RANGE_ERROR);
    CHECK_EQ(t.thread, 1);        /* untouched on error */
    CHECK_OK(sel_debug_cpu_time(0, 0, &t));
    CHECK_EQ(t.thread, 0);
}
