/* The component test harness's runner: the test driver's run(). */
#include "harness.h"

#include "../common/failure.h"

#include <sel/syscall.h>

extern const struct harness_test __start_harness_tests[], __stop_harness_tests[];

static struct test_failure current;

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    test_failure_note(&current, file, line, fmt, ap);
    va_end(ap);
    test_failure_end_case(&current);
}

bool harness_wait(volatile int *flag)
{
    sel_word_t start, now;
    __asm__ volatile("rdtime %0" : "=r"(start));
    do {
        if (*flag)
            return true;
        sel_yield();
        __asm__ volatile("rdtime %0" : "=r"(now));
    } while (now - start < 20000000);   /* two seconds of QEMU's 10 MHz timebase */
    return *flag != 0;
}

int run(void)
{
    static unsigned passed, failed;   /* static: they survive the longjmp out of a failed case */
    test_failure_own_thread(&current);
    printf("component tests: %u cases\n", (unsigned)(__stop_harness_tests - __start_harness_tests));
    /* The section holds the cases in reverse order of definition: run them as written. */
    static const struct harness_test *t;
    for (t = __stop_harness_tests; t-- > __start_harness_tests;) {
        current.failed = 0;
        if (setjmp(current.escape) == 0)
            t->fn();
        if (current.failed) {
            printf("FAIL %s: %s\n", t->name, current.message);
            failed++;
        } else {
            printf("PASS %s\n", t->name);
            passed++;
        }
    }
    printf("component tests: %u passed, %u failed\nALL TESTS DONE\n", passed, failed);
    fflush(stdout);
    sel_error_t err = sel_debug_halt(failed ? 1 : 0);   /* returns only if the loader gave no debug cap */
    printf("component tests: cannot end the run (error %d)\n", err);
    return 1;
}
