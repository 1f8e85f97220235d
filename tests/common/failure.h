/*
 * A test case's failure, recorded once for the two in-QEMU test drivers: the
 * kernel tests (tests/kernel/main.c, test_fail) and the component test
 * harness (tests/components/harness.c, harness_fail).
 *
 * A failed check notes "file:line: what" (the first failure of a case is the
 * one reported); in the case's own thread it then ends the case by jumping
 * back to the driver's setjmp.  A check that fails in another thread (one the
 * case started, a handler of the harness's server thread) only notes, and
 * that thread carries on.
 */
#ifndef TEST_FAILURE_H
#define TEST_FAILURE_H

#include <setjmp.h>
#include <stdarg.h>

struct test_failure {
    volatile int failed;
    char message[256];
    jmp_buf escape;         /* where the driver started the case: if (setjmp(f->escape) == 0) run it */
    void *tp;               /* the case thread's tp: tells its checks from other threads' */
};

/* Makes the calling thread the case's own: its failed checks end the case. */
void test_failure_own_thread(struct test_failure *f);

/* Notes the failure "file:line: fmt..." unless one is noted already. */
void test_failure_note(struct test_failure *f, const char *file, int line, const char *fmt, va_list ap);

/* Ends the case (longjmp to f->escape) if called from the case's own thread; returns otherwise. */
void test_failure_end_case(struct test_failure *f);

#endif
