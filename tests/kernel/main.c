/*
 * The kernel test driver: runs every TEST() in a fresh environment and
 * prints "PASS name" or "FAIL name: why" for each, then a summary and
 * "ALL TESTS DONE", and powers off with the number of failures as status.
 */
#include "test.h"

#include "../common/failure.h"

#include <string.h>

extern const struct test_case __start_test_cases[], __stop_test_cases[];

static struct {
    const struct test_case *test;
    struct test_env env;
    volatile int finished;
    struct test_failure failure;
} current;

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    test_failure_note(&current.failure, file, line, fmt, ap);
    va_end(ap);
    test_failure_end_case(&current.failure);
}

sel_cptr_t test_object(struct test_env *env, sel_object_type_t type, sel_word_t size_bits)
{
    sel_cptr_t cap = sel_alloc_object(env->alloc, type, size_bits);
    if (!cap)
        test_fail(__FILE__, __LINE__, "cannot allocate an object of type %d", type);
    return cap;
}

sel_cptr_t test_slot(struct test_env *env)
{
    sel_cptr_t slot = sel_alloc_slot(env->alloc);
    if (!slot)
        test_fail(__FILE__, __LINE__, "out of slots");
    return slot;
}

void test_thread(struct test_env *env, sel_thread_t *t, sel_word_t priority, bool new_vspace, sel_thread_fn fn,
                 void *arg)
{
    sel_error_t err = sel_thread_create(env->alloc, t, new_vspace, priority, 0, fn, arg);
    if (err)
        test_fail(__FILE__, __LINE__, "cannot create a thread: %s", sel_error_name(err));
}

void test_thread_start(struct test_env *env, sel_thread_t *t, sel_word_t priority, bool new_vspace,
                       sel_thread_fn fn, void *arg)
{
    test_thread(env, t, priority, new_vspace, fn, arg);
    CHECK_OK(sel_thread_start(t));
}

int test_wait_flag(volatile int *flag)
{
    sel_word_t deadline = test_rdtime() + sel_get_bootinfo()->timebase_frequency;
    while (!*flag && test_rdtime() < deadline)
        ;
    return *flag;
}

sel_word_t test_slow_ipc_count(void)
{
    sel_word_t count = 0;
    sel_error_t err = sel_debug_fastpath(SEL_FASTPATH_UNCHANGED, &count);
    if (err)
        test_fail(__FILE__, __LINE__, "DebugFastpath failed: %s", sel_error_name(err));
    return count;
}

sel_kernel_entries_t test_kernel_entries(void)
{
    sel_kernel_entries_t counts = { 0 };
    sel_error_t err = sel_debug_kernel_entries(&counts);
    if (err)
        test_fail(__FILE__, __LINE__, "DebugKernelEntries failed: %s", sel_error_name(err));
    return counts;
}

static void run_current(void *arg)
{
    (void)arg;
    test_failure_own_thread(&current.failure);
    if (setjmp(current.failure.escape) == 0)
        current.test->fn(&current.env);
    current.finished = 1;
}

int main(void)
{
    const sel_bootinfo_t *bi = sel_get_bootinfo();
    static sel_allocator_t alloc;
    sel_alloc_init(&alloc, bi);
    unsigned passed = 0, failed = 0;
    unsigned total = (unsigned)(__stop_test_cases - __start_test_cases);

    printf("kernel tests: %u cases, %lu harts\n", total, (unsigned long)bi->num_harts);
    /* The driver runs only when the test cannot: see test.h. */
    sel_error_t err = sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 1);
    if (err)
        printf("FAIL driver.set_priority: %s\n", sel_error_name(err));

    for (const struct test_case *tc = __start_test_cases; tc < __stop_test_cases; tc++) {
        sel_debug_fastpath(SEL_FASTPATH_ON, NULL);   /* whatever the last test left (test_fastpath.c) */
        memset(&current, 0, sizeof(current));
        current.test = tc;
        current.env.alloc = &alloc;
        current.env.bi = bi;
        sel_thread_t thread;
        err = sel_thread_create(&alloc, &thread, false, TEST_PRIORITY, 0, run_current, NULL);
        if (!err)
            err = sel_tcb_set_sched_params(thread.tcb, SEL_CAP_INIT_TCB, TEST_MCP, TEST_PRIORITY);
        if (err) {
            printf("FAIL %s: cannot create the test thread: %s\n", tc->name, sel_error_name(err));
            failed++;
            sel_alloc_reset(&alloc);
            continue;
        }
        current.env.tcb = thread.tcb;
        sel_debug_name_thread(thread.tcb, tc->name);
        sel_thread_start(&thread);

        sel_word_t deadline = test_rdtime() + TEST_TIMEOUT_SECONDS * bi->timebase_frequency;
        while (!current.finished && test_rdtime() < deadline)
            sel_yield();
        if (!current.finished && !current.failure.failed)
            snprintf(current.failure.message, sizeof(current.failure.message),
                     "did not finish within %d s (blocked or faulted)", TEST_TIMEOUT_SECONDS);
        if (current.finished && !current.failure.failed) {
            printf("PASS %s\n", tc->name);
            passed++;
        } else {
            printf("FAIL %s: %s\n", tc->name, current.failure.message);
            failed++;
        }
        sel_alloc_reset(&alloc);
    }
    printf("kernel tests: %u passed, %u failed\n", passed, failed);
    printf("ALL TESTS DONE\n");
    /* Failures are reported case by case; the exit status says whether any happened. */
    return failed ? 1 : 0;
}
