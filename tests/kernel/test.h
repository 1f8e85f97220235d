/*
 * The in-QEMU kernel test framework (the root task of the kerneltest image).
 *
 * Each TEST(name) runs in a fresh environment: its own thread (priority
 * TEST_PRIORITY, maximum controlled priority TEST_MCP) in the root task's
 * address space and CSpace, with an allocator whose every object is
 * destroyed (by revoking the untypeds) when the test ends.  The driver runs
 * at priority 1, so it only gets the CPU when the test is blocked; a test
 * that neither finishes nor makes progress for TEST_TIMEOUT_SECONDS fails.
 *
 * CHECK* macros record the first failure with its place; in the test's own
 * thread they also end the test.  A thread of the test's making that fails
 * a check records it and carries on.
 */
#ifndef TEST_H
#define TEST_H

#include <sel/alloc.h>
#include <sel/thread.h>
#include <stdio.h>

#define TEST_PRIORITY 100
#define TEST_MCP 254
#define TEST_TIMEOUT_SECONDS 20

struct test_env {
    sel_allocator_t *alloc;
    const sel_bootinfo_t *bi;
    sel_cptr_t tcb;             /* the test's own thread */
};

struct test_case {
    const char *name;
    void (*fn)(struct test_env *env);
};

#define TEST(name)                                                                                     \
    static void test_##name(struct test_env *env);                                                     \
    static const struct test_case test_case_##name                                                     \
        __attribute__((used, section("test_cases"), aligned(8))) = { #name, test_##name };            \
    static void test_##name(struct test_env *env)

/* Records a failure (the first one counts); ends the test if called from the test's own thread. */
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond))                                                                                   \
            test_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                                                 \
    do {                                                                                               \
        unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b);                 \
        if (_a != _b)                                                                                  \
            test_fail(__FILE__, __LINE__, "%s == %s failed: 0x%llx != 0x%llx", #a, #b, _a, _b);        \
    } while (0)

/* Checks that an invocation returned the expected sel_error_t. */
#define CHECK_ERR(call, expected)                                                                      \
    do {                                                                                               \
        sel_error_t _e = (call);                                                                       \
        if (_e != (expected))                                                                          \
            test_fail(__FILE__, __LINE__, "%s returned '%s', expected '%s'", #call, sel_error_name(_e), \
                      sel_error_name(expected));                                                       \
    } while (0)

#define CHECK_OK(call) CHECK_ERR(call, SEL_NO_ERROR)

/* ---- helpers for tests ---- */

/*
 * A hart other than the one the tests run on (OpenSBI may boot on any hart,
 * and the root task runs where it booted).  The kernel starts every hart
 * before the root task, so SetAffinity to it works from the first test.
 */
static inline sel_word_t test_other_hart(struct test_env *env)
{
    return (env->bi->boot_hart + 1) % env->bi->num_harts;
}

/* Creates an object or fails the test. */
sel_cptr_t test_object(struct test_env *env, sel_object_type_t type, sel_word_t size_bits);
/* A free slot of the root CNode or fails the test. */
sel_cptr_t test_slot(struct test_env *env);
/* Creates (not starts) a thread running fn(arg) at priority; new_vspace gives it its own address space. */
void test_thread(struct test_env *env, sel_thread_t *t, sel_word_t priority, bool new_vspace, sel_thread_fn fn,
                 void *arg);
/* Creates and starts a thread. */
void test_thread_start(struct test_env *env, sel_thread_t *t, sel_word_t priority, bool new_vspace,
                       sel_thread_fn fn, void *arg);
/* Busy-waits (without the kernel) until *flag is non-zero or about a second passes; returns *flag. */
int test_wait_flag(volatile int *flag);
/* The slow path's count of Call and ReplyRecv (sel_debug_fastpath), or fails the test. */
sel_word_t test_slow_ipc_count(void);
/* The kernel-entry counts (sel_debug_kernel_entries), or fails the test. */
sel_kernel_entries_t test_kernel_entries(void);
/* Reads the cycle-accurate instruction counter. */
static inline sel_word_t test_rdinstret(void)
{
    sel_word_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}
static inline sel_word_t test_rdtime(void)
{
    sel_word_t v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
}

#endif
