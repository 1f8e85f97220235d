/* A test case's failure, for both in-QEMU test drivers: see failure.h. */
#include "failure.h"

#include <stdio.h>
#include <string.h>

static void *thread_pointer(void)
{
    void *tp;
    __asm__("mv %0, tp" : "=r"(tp));
    return tp;
}

void test_failure_own_thread(struct test_failure *f)
{
    f->tp = thread_pointer();
}

void test_failure_note(struct test_failure *f, const char *file, int line, const char *fmt, va_list ap)
{
    if (f->failed)
        return;
    const char *base = strrchr(file, '/');
    int n = snprintf(f->message, sizeof(f->message), "%s:%d: ", base ? base + 1 : file, line);
    vsnprintf(f->message + n, sizeof(f->message) - (size_t)n, fmt, ap);
    f->failed = 1;
}

void test_failure_end_case(struct test_failure *f)
{
    if (thread_pointer() == f->tp)
        longjmp(f->escape, 1);
}
