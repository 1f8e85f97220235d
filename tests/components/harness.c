/* The component test harness's runner: the test driver's run(). */
#include "harness.h"

#include <sel/syscall.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

extern const struct harness_test __start_harness_tests[], __stop_harness_tests[];

static struct {
    int failed;
    char message[256];
    jmp_buf escape;
    void *tp;
} current;

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    if (!current.failed) {
        const char *base = strrchr(file, '/');
        int n = snprintf(current.message, sizeof(current.message), "%s:%d: ", base ? base + 1 : file, line);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(current.message + n, sizeof(current.message) - (size_t)n, fmt, ap);
        va_end(ap);
        current.failed = 1;
    }
    void *tp;
    __asm__("mv %0, tp" : "=r"(tp));
    if (tp == current.tp)
        longjmp(current.escape, 1);
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
    __asm__("mv %0, tp" : "=r"(current.tp));
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
