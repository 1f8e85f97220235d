/*
 * The debug capability.  The debug calls that act on the whole machine
 * (DebugHalt, DebugFastpath, DebugKernelEntries, DebugNameThread,
 * DebugCpuTime) need it,
 * and only the root task gets one at boot (SEL_CAP_DEBUG); called with
 * anything else in a0 they answer SEL_INVALID_CAPABILITY for argument 0
 * and change nothing.  Null, DebugCapIdentify and the console calls stay
 * free.  (A DebugHalt that went through would end this whole run.)
 */
#include "test.h"

#define ROOT SEL_CAP_INIT_CNODE
#define DEPTH SEL_WORD_BITS

/* A debug call with cap in a0 and arg in a2; returns a0, *out gets a2. */
static sel_word_t debug_call(long sysno, sel_cptr_t cap, sel_word_t arg, sel_word_t *out)
{
    sel_word_t a0 = cap, m0 = arg, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(sysno, &a0, 0, &m0, &m1, &m2, &m3);
    if (out)
        *out = m0;
    return a0;
}

static sel_cptr_t echo_ep;

static void echo(void *arg)
{
    (void)arg;
    sel_word_t badge;
    sel_recv(echo_ep, &badge);
    for (;;)
        sel_reply_recv(echo_ep, sel_msginfo_new(0, 0, 0, 0), &badge);
}

TEST(debug_cap_is_the_root_tasks_at_its_boot_slot)
{
    CHECK_EQ(sel_debug_cap, SEL_CAP_DEBUG);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_DEBUG), SEL_CAP_TYPE_DEBUG);
    sel_kernel_entries_t counts = { 0 };
    CHECK_OK(sel_debug_kernel_entries(&counts));
    CHECK(counts.entries > 0);
}

TEST(debug_calls_without_the_debug_cap_fail_and_change_nothing)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t empty = test_slot(env);
    const sel_cptr_t not_debug[] = { 0, empty, ep, ntfn, SEL_CAP_INIT_TCB, 1ull << 40 };

    echo_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    static sel_thread_t t;
    test_thread_start(env, &t, TEST_PRIORITY + 1, true, echo, NULL);   /* it blocks in Recv */

    for (unsigned i = 0; i < sizeof(not_debug) / sizeof(not_debug[0]); i++) {
        sel_cptr_t cap = not_debug[i];
        sel_word_t which = 99;
        /* The machine stays up: else this run ends here. */
        CHECK_EQ(debug_call(SEL_SYS_DEBUG_HALT, cap, 77, &which), SEL_INVALID_CAPABILITY);
        CHECK_EQ(which, 0);

        which = 99;
        CHECK_EQ(debug_call(SEL_SYS_DEBUG_FASTPATH, cap, SEL_FASTPATH_OFF, &which), SEL_INVALID_CAPABILITY);
        CHECK_EQ(which, 0);
        /* The fastpath is still on: a round trip does not reach the slow path. */
        sel_word_t slow = test_slow_ipc_count();
        sel_call(echo_ep, sel_msginfo_new(0, 0, 0, 0));
        CHECK_EQ(test_slow_ipc_count() - slow, 0);

        which = 99;
        CHECK_EQ(debug_call(SEL_SYS_DEBUG_KERNEL_ENTRIES, cap, 0, &which), SEL_INVALID_CAPABILITY);
        CHECK_EQ(which, 0);

        which = 99;
        CHECK_EQ(debug_call(SEL_SYS_DEBUG_NAME_THREAD, cap, t.tcb, &which), SEL_INVALID_CAPABILITY);
        CHECK_EQ(which, 0);

        which = 99;
        CHECK_EQ(debug_call(SEL_SYS_DEBUG_CPU_TIME, cap, 0, &which), SEL_INVALID_CAPABILITY);
        CHECK_EQ(which, 0);
    }
    /* What stays free. */
    sel_null_syscall();
    CHECK_EQ(sel_debug_cap_identify(ep), SEL_CAP_TYPE_ENDPOINT);
}

TEST(debug_calls_check_their_arguments)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_word_t which = 99;
    CHECK_EQ(debug_call(SEL_SYS_DEBUG_NAME_THREAD, SEL_CAP_DEBUG, ep, &which), SEL_INVALID_CAPABILITY);
    CHECK_EQ(which, 1);
    which = 99;
    CHECK_EQ(debug_call(SEL_SYS_DEBUG_FASTPATH, SEL_CAP_DEBUG, 7, &which), SEL_INVALID_ARGUMENT);
    CHECK_EQ(which, 1);
    CHECK_OK(sel_debug_name_thread(env->tcb, "debug_test"));
    sel_word_t count = 0;
    CHECK_OK(sel_debug_fastpath(SEL_FASTPATH_UNCHANGED, &count));
}

/* A copy works wherever it is, whatever its rights; once deleted, nothing does. */
TEST(debug_cap_copies_work_until_deleted)
{
    sel_cptr_t copy = test_slot(env);
    CHECK_OK(sel_cnode_copy(ROOT, copy, DEPTH, ROOT, SEL_CAP_DEBUG, DEPTH, 0));
    CHECK_EQ(sel_debug_cap_identify(copy), SEL_CAP_TYPE_DEBUG);
    sel_word_t entries = 0;
    CHECK_EQ(debug_call(SEL_SYS_DEBUG_KERNEL_ENTRIES, copy, 0, &entries), SEL_NO_ERROR);
    CHECK(entries > 0);
    CHECK_OK(sel_cnode_delete(ROOT, copy, DEPTH));
    CHECK_EQ(debug_call(SEL_SYS_DEBUG_KERNEL_ENTRIES, copy, 0, NULL), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_debug_cap_identify(SEL_CAP_DEBUG), SEL_CAP_TYPE_DEBUG);   /* the original stays */
}

/*
 * A thread in a CSpace of its own, as a component is: slot SEL_CAP_DEBUG
 * of it holds an endpoint, which does not make a debug cap; a copy of the
 * debug cap in another slot (as the loader gives the test driver) does.
 */
static volatile struct {
    sel_word_t halt_err, halt_which, entries_err, entries, given_err, given_entries;
    int done;
} other;

static void in_own_cspace(void *arg)
{
    (void)arg;
    other.halt_err = debug_call(SEL_SYS_DEBUG_HALT, SEL_CAP_DEBUG, 3, (sel_word_t *)&other.halt_which);
    other.entries_err = debug_call(SEL_SYS_DEBUG_KERNEL_ENTRIES, SEL_CAP_DEBUG, 0, (sel_word_t *)&other.entries);
    other.given_err = debug_call(SEL_SYS_DEBUG_KERNEL_ENTRIES, 5, 0, (sel_word_t *)&other.given_entries);
    sel_null_syscall();
    other.done = 1;
    for (;;)
        sel_wait(1);   /* slot 1: a notification nobody signals */
}

TEST(debug_cap_belongs_to_whoever_holds_it_in_their_cspace)
{
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, 4);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t root = test_slot(env);
    CHECK_OK(sel_cnode_mint(ROOT, root, DEPTH, ROOT, cnode, DEPTH, SEL_ALL_RIGHTS, sel_cnode_guard(0, 60)));
    CHECK_OK(sel_cnode_copy(cnode, 1, 4, ROOT, ntfn, DEPTH, SEL_ALL_RIGHTS));
    CHECK_OK(sel_cnode_copy(cnode, SEL_CAP_DEBUG, 4, ROOT, ep, DEPTH, SEL_ALL_RIGHTS));

    sel_thread_t t;
    other.done = 0;
    test_thread(env, &t, TEST_PRIORITY + 1, false, in_own_cspace, NULL);
    CHECK_OK(sel_tcb_set_space(t.tcb, 0, root, 0, SEL_CAP_INIT_VSPACE));
    CHECK_OK(sel_cnode_copy(cnode, 5, 4, ROOT, SEL_CAP_DEBUG, DEPTH, SEL_ALL_RIGHTS));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&other.done));
    CHECK_EQ(other.halt_err, SEL_INVALID_CAPABILITY);
    CHECK_EQ(other.halt_which, 0);
    CHECK_EQ(other.entries_err, SEL_INVALID_CAPABILITY);
    CHECK_EQ(other.given_err, SEL_NO_ERROR);
    CHECK(other.given_entries > 0);
}
