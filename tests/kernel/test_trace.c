/*
 * DebugTrace (sel/trace_record.h, docs/trace.md).  A kernel built without
 * tracing refuses every operation with SEL_ILLEGAL_OPERATION and writes
 * nothing.  A tracing kernel (tests/trace runs this image built with
 * TRACE=1) registers a thread's ring only if it is whole pages mapped
 * readable in the caller's VSpace, checking every argument before it
 * changes anything, and writes at most SEL_TRACE_MARK_MAX marks a call.
 */
#include "test.h"
#include <sel/trace.h>

/* DebugTrace with op in a0 and its arguments in a2, a3; returns a0, *which gets a2 (the argument at fault). */
static sel_word_t trace_call(sel_word_t op, sel_word_t arg0, sel_word_t arg1, sel_word_t *which)
{
    sel_word_t a0 = op, m0 = arg0, m1 = arg1, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_DEBUG_TRACE, &a0, 0, &m0, &m1, &m2, &m3);
    if (which)
        *which = m0;
    return a0;
}

static _Alignas(4096) uint8_t pages[2][4096];
extern char __image_end[];   /* the root task's image ends there; a guard page follows (kernel/core/boot.c) */

#ifndef SEL_TRACE_ENABLED

TEST(trace_calls_are_refused_by_a_kernel_built_without_tracing)
{
    CHECK_EQ(trace_call(SEL_TRACE_OP_REGISTER, (sel_word_t)pages, sizeof(pages), NULL), SEL_ILLEGAL_OPERATION);
    CHECK_EQ(trace_call(SEL_TRACE_OP_MARK, 1, 7, NULL), SEL_ILLEGAL_OPERATION);
    CHECK_EQ(trace_call(SEL_TRACE_OP_MARK, 0, 0, NULL), SEL_ILLEGAL_OPERATION);
    CHECK_EQ(trace_call(1234, 0, 0, NULL), SEL_ILLEGAL_OPERATION);
    CHECK_EQ(sel_debug_trace_mark(0, 0), SEL_ILLEGAL_OPERATION);
}

#else

TEST(trace_register_refuses_what_is_not_whole_pages_of_the_callers_memory)
{
    sel_word_t which = 99;
    /* Misaligned address. */
    CHECK_EQ(trace_call(SEL_TRACE_OP_REGISTER, (sel_word_t)pages + 8, 4096, &which), SEL_ALIGNMENT_ERROR);
    CHECK_EQ(which, 1);
    /* Sizes: none, not whole pages, more than SEL_TRACE_RING_MAX_PAGES. */
    const sel_word_t sizes[] = { 0, 100, 4096 + 8, (SEL_TRACE_RING_MAX_PAGES + 1) * 4096ull, ~0ull & ~4095ull };
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        which = 99;
        CHECK_EQ(trace_call(SEL_TRACE_OP_REGISTER, (sel_word_t)pages, sizes[i], &which), SEL_INVALID_ARGUMENT);
        CHECK_EQ(which, 2);
    }
    /* Not mapped: far up in user space, the kernel's half, and a range that runs into unmapped memory. */
    const sel_word_t places[] = { 0x3f00000000ull, 0xffffffc080200000ull, SEL_USER_TOP - 4096 };
    for (unsigned i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        which = 99;
        CHECK_EQ(trace_call(SEL_TRACE_OP_REGISTER, places[i], 4096, &which), SEL_INVALID_ARGUMENT);
        CHECK_EQ(which, 1);
    }
    sel_word_t last = (((sel_word_t)__image_end + 4095) & ~4095ull) - 4096;
    which = 99;
    CHECK_EQ(trace_call(SEL_TRACE_OP_REGISTER, last, 2 * 4096, &which), SEL_INVALID_ARGUMENT);
    CHECK_EQ(which, 1);
    /* An unknown operation. */
    which = 99;
    CHECK_EQ(trace_call(SEL_TRACE_OP_MARK + 1, 0, 0, &which), SEL_INVALID_ARGUMENT);
    CHECK_EQ(which, 0);
}

TEST(trace_register_takes_whole_mapped_pages_and_again_replaces)
{
    /*
     * The kernel's table holds SEL_TRACE_MAX_RINGS threads' rings, first come, and this suite makes
     * hundreds of threads: a full table says so, and a thread already in it may always replace its ring.
     */
    sel_word_t err = trace_call(SEL_TRACE_OP_REGISTER, (sel_word_t)pages, sizeof(pages), NULL);
    CHECK(err == SEL_NO_ERROR || err == SEL_NOT_ENOUGH_MEMORY);
    if (err == SEL_NO_ERROR) {
        CHECK_EQ(trace_call(SEL_TRACE_OP_REGISTER, (sel_word_t)pages, 4096, NULL), SEL_NO_ERROR);
        /* Its own ring again, for tools/trace to find. */
        if (sel__trace_ring->capacity)
            CHECK_OK(sel_debug_trace_register(sel__trace_ring, SEL_TRACE_RING_BYTES));
    }
}

TEST(trace_marks_are_written_at_most_sixty_four_a_call)
{
    sel_word_t which = 99;
    CHECK_EQ(trace_call(SEL_TRACE_OP_MARK, SEL_TRACE_MARK_MAX + 1, 0, &which), SEL_RANGE_ERROR);
    CHECK_EQ(which, 1);
    CHECK_EQ(trace_call(SEL_TRACE_OP_MARK, ~0ull, 0, NULL), SEL_RANGE_ERROR);
    /* A full buffer (this suite fills it long before the end) takes them too: they are counted lost. */
    for (int i = 0; i < 100; i++)
        CHECK_OK(sel_debug_trace_mark(SEL_TRACE_MARK_MAX, (sel_word_t)i));
    CHECK_OK(sel_debug_trace_mark(0, 0));
}

TEST(trace_points_in_user_mode_never_enter_the_kernel)
{
    sel_kernel_entries_t before = { 0 }, after = { 0 };
    CHECK_OK(sel_debug_kernel_entries(&before));
    for (int i = 0; i < 1000; i++)
        SEL_TRACE("kernel test", i);
    CHECK_OK(sel_debug_kernel_entries(&after));
    /* The two calls themselves, and whatever interrupts arrived meanwhile. */
    CHECK_EQ(after.entries - after.interrupts - (before.entries - before.interrupts), 1);
}

#endif
