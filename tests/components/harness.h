/*
 * The component test harness: a test driver plays the peer on every port of
 * the component under test (see codegen --test-component).  Test cases use
 * the driver's generated glue, <component.h>, whose ports mirror the
 * component's: call what it provides, define handlers for what it uses,
 * emit what it consumes, wait for what it emits, share its dataports.
 *
 *   TEST(doubles) { CHECK_EQ(echo_double(21), 42); }
 *
 * Cases run in the order they appear, each printing PASS or FAIL; the run
 * ends with "ALL TESTS DONE" and powers the machine off.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <component.h>
#include <stdio.h>

struct harness_test {
    const char *name;
    void (*fn)(void);
};

#define TEST(name)                                                                                  \
    static void test_##name(void);                                                                  \
    static const struct harness_test harness_test_##name                                            \
        __attribute__((used, section("harness_tests"), aligned(8))) = { #name, test_##name };       \
    static void test_##name(void)

/* Records a failure; ends the case when called from the case itself, not from a handler. */
void harness_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                                                 \
    do {                                                                                            \
        if (!(cond))                                                                                \
            harness_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);                            \
    } while (0)

#define CHECK_EQ(a, b)                                                                              \
    do {                                                                                            \
        unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b);              \
        if (_a != _b)                                                                               \
            harness_fail(__FILE__, __LINE__, "%s == %s failed: %llu != %llu", #a, #b, _a, _b);      \
    } while (0)

/*
 * Waits until *flag is non-zero or about two seconds pass, yielding to the
 * driver's own server thread; returns whether it is set.  The driver runs
 * below the component under test, which therefore runs whenever it can.
 */
bool harness_wait(volatile int *flag);

#endif
