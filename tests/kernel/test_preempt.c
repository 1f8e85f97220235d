/*
 * Preemption points in long invocations (kernel/include/kernel/preempt.h):
 * a Revoke that destroys a CNode of 2^19 slots, a Delete of it, and a
 * Retype of 64 MiB (whose memory it zeroes first) each let interrupts in on
 * their own hart, and another hart into the kernel, while they run, and
 * each ends as it would have in one go.  The checks count what got in
 * while the call was still going (so they need no clock): made in one go,
 * the call lets nothing in at all.
 */
#include "test.h"

#include <sel/notification.h>
#include <string.h>

#define ROOT SEL_CAP_INIT_CNODE
#define DEPTH SEL_WORD_BITS
#define BIG_RADIX 19                  /* 2^19 slots: 32 MiB of CNode */
#define UNTYPED_BITS 26               /* 64 MiB */

static sel_cptr_t test_slots(struct test_env *env, unsigned n)
{
    sel_cptr_t first = test_slot(env);
    for (unsigned i = 1; i < n; i++)
        CHECK_EQ(test_slot(env), first + i);
    return first;
}

static struct {
    volatile int started, done, stopped;
    volatile sel_word_t ticks_during, syscalls_during, zombies_seen, refused, copied, longest;
    sel_cptr_t alarm, slot, spare;
} p;

/* A thread one priority above the test on its hart, woken by an alarm every tick: how often does it run during the call? */
static void ticker(void *arg)
{
    (void)arg;
    for (;;) {
        /* A millisecond on: the kernel's next tick after that (an alarm already due would fire at once). */
        sel_notification_set_alarm(p.alarm, sel_time_now() + sel_get_bootinfo()->timebase_frequency / 1000, 1);
        sel_wait(p.alarm);
        if (p.started && !p.done)
            p.ticks_during++;
    }
}

/* A thread on the other hart: how many syscalls does it get through during the call? */
static void knocker(void *arg)
{
    (void)arg;
    while (!p.started)
        ;
    while (!p.done) {
        sel_word_t before = test_rdtime();
        int type = sel_debug_cap_identify(p.slot);
        if (p.done)
            break;
        if (test_rdtime() - before > p.longest)
            p.longest = test_rdtime() - before;   /* for the log: how long the kernel kept us out */
        p.syscalls_during++;
        if (type == SEL_CAP_TYPE_ZOMBIE) {
            p.zombies_seen++;
            /* The slot is taken until the Delete is done (or it just was). */
            sel_error_t err = sel_cnode_copy(ROOT, p.slot, DEPTH, ROOT, p.spare, DEPTH, SEL_ALL_RIGHTS);
            if (err == SEL_DELETE_FIRST)
                p.refused++;
            else if (err == SEL_NO_ERROR)
                p.copied++;
        }
    }
    p.stopped = 1;
    for (;;)
        sel_wait(p.alarm);
}

static void reset(struct test_env *env)
{
    memset((void *)&p, 0, sizeof(p));
    p.alarm = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    p.spare = test_object(env, SEL_ENDPOINT_OBJECT, 0);
}

/* What the big CNode holds: objects from the same untyped, a nested CNode with caps, and the endpoint a thread waits on. */
static struct {
    sel_cptr_t untyped, big, fault_ep, ep_copy;
    sel_thread_t waiter;
} b;

static void wait_on_endpoint(void *arg)
{
    (void)arg;
    sel_recv(b.ep_copy, NULL);   /* its endpoint is destroyed: it retries, and faults on the empty slot */
}

static void make_big_cnode(struct test_env *env, bool with_waiter)
{
    b.untyped = test_object(env, SEL_UNTYPED_OBJECT, UNTYPED_BITS);
    b.big = test_slot(env);
    CHECK_OK(sel_untyped_retype(b.untyped, SEL_CNODE_OBJECT, BIG_RADIX, ROOT, 0, 0, b.big, 1));
    /* At both ends and in the middle, so the reaping walks all of it. */
    CHECK_OK(sel_untyped_retype(b.untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, b.big, DEPTH, 3, 4));
    CHECK_OK(sel_untyped_retype(b.untyped, SEL_NOTIFICATION_OBJECT, 0, ROOT, b.big, DEPTH, 1u << 18, 2));
    CHECK_OK(sel_untyped_retype(b.untyped, SEL_CNODE_OBJECT, 4, ROOT, b.big, DEPTH, (1u << BIG_RADIX) - 1, 1));
    sel_cptr_t nested = test_slot(env);
    CHECK_OK(sel_cnode_copy(ROOT, nested, DEPTH, b.big, (1u << BIG_RADIX) - 1, BIG_RADIX, SEL_ALL_RIGHTS));
    CHECK_OK(sel_untyped_retype(b.untyped, SEL_ENDPOINT_OBJECT, 0, ROOT, nested, DEPTH, 0, 16));
    CHECK_OK(sel_cnode_delete(ROOT, nested, DEPTH));   /* the big CNode holds its only cap */
    if (!with_waiter)
        return;
    b.ep_copy = test_slot(env);
    CHECK_OK(sel_cnode_copy(ROOT, b.ep_copy, DEPTH, b.big, 3, BIG_RADIX, SEL_ALL_RIGHTS));
    b.fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_OK(sel_thread_create(env->alloc, &b.waiter, false, TEST_PRIORITY + 2, b.fault_ep, wait_on_endpoint, NULL));
    CHECK_OK(sel_thread_start(&b.waiter));   /* it blocks in Recv */
}

/* What the destruction must leave, preempted or not: all of it gone, the waiter told, the untyped whole again. */
static void check_big_cnode_gone(struct test_env *env, bool with_waiter)
{
    CHECK_EQ(sel_debug_cap_identify(b.big), SEL_CAP_TYPE_NULL);
    if (with_waiter) {
        CHECK_EQ(sel_debug_cap_identify(b.ep_copy), SEL_CAP_TYPE_NULL);
        sel_word_t badge;
        sel_msginfo_t info = sel_recv(b.fault_ep, &badge);
        CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_CAP);
        CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_ADDR), b.ep_copy);
    }
    sel_cptr_t whole = test_slot(env);
    CHECK_OK(sel_untyped_retype(b.untyped, SEL_UNTYPED_OBJECT, UNTYPED_BITS, ROOT, 0, 0, whole, 1));
}

TEST(preempt_long_revoke_lets_interrupts_in_and_destroys_everything)
{
    reset(env);
    make_big_cnode(env, true);
    sel_thread_t t;
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, ticker, NULL);   /* it waits for its first tick */
    p.started = 1;
    CHECK_OK(sel_cnode_revoke(ROOT, b.untyped, DEPTH));
    p.done = 1;
    printf("preempt: the ticker ran %lu times during the revoke\n", (unsigned long)p.ticks_during);
    CHECK(p.ticks_during >= 3);
    check_big_cnode_gone(env, true);
}

/*
 * Deleting the big CNode's last cap: meanwhile the other hart gets in, and
 * sees the slot hold a zombie it cannot copy into; afterwards the slot is
 * empty and everything in the CNode destroyed.
 */
TEST(preempt_long_delete_lets_the_other_hart_in_and_keeps_its_slot)
{
    CHECK(env->bi->num_harts >= 2);
    reset(env);
    make_big_cnode(env, false);
    p.slot = b.big;
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, knocker, NULL);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    p.started = 1;
    CHECK_OK(sel_cnode_delete(ROOT, b.big, DEPTH));
    p.done = 1;
    CHECK(test_wait_flag(&p.stopped));
    printf("preempt: the other hart made %lu syscalls during the delete and saw the zombie %lu times\n",
           (unsigned long)p.syscalls_during, (unsigned long)p.zombies_seen);
    CHECK(p.syscalls_during >= 10);
    CHECK(p.refused >= 1);
    CHECK(p.copied <= 1);   /* only once the Delete was done */
    if (p.copied)
        CHECK_OK(sel_cnode_delete(ROOT, b.big, DEPTH));
    check_big_cnode_gone(env, false);
}

/*
 * Retyping 32 frames of 2 MiB from memory full of a pattern: the other hart
 * gets in while the kernel zeroes it, and every frame comes out zero.
 */
#define FRAMES 32
#define FRAME_VADDR 0x3400000000ull

TEST(preempt_long_retype_lets_the_other_hart_in_and_zeroes_everything)
{
    CHECK(env->bi->num_harts >= 2);
    reset(env);
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, UNTYPED_BITS);
    sel_cptr_t frames = test_slots(env, FRAMES);
    CHECK_OK(sel_untyped_retype(untyped, SEL_FRAME_2M_OBJECT, 0, ROOT, 0, 0, frames, FRAMES));
    /* Dirty every frame, at its start and end, through a mapping each; then give it all back. */
    for (unsigned i = 0; i < FRAMES; i++) {
        sel_word_t vaddr = FRAME_VADDR + i * (2ull << 20);
        CHECK_OK(sel_alloc_map_frame(env->alloc, frames + i, SEL_CAP_INIT_VSPACE, vaddr, SEL_READ_WRITE,
                                     SEL_VM_EXECUTE_NEVER));
        volatile sel_word_t *w = (volatile sel_word_t *)vaddr;
        w[0] = w[(2u << 20) / 8 - 1] = 0x5a5a0000 + i;
    }
    CHECK_OK(sel_cnode_revoke(ROOT, untyped, DEPTH));

    p.slot = frames;
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, knocker, NULL);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    p.started = 1;
    sel_word_t began = test_rdtime();
    CHECK_OK(sel_untyped_retype(untyped, SEL_FRAME_2M_OBJECT, 0, ROOT, 0, 0, frames, FRAMES));
    sel_word_t took = test_rdtime() - began;
    p.done = 1;
    CHECK(test_wait_flag(&p.stopped));
    printf("preempt: the retype took %lu us; the other hart made %lu syscalls meanwhile, the longest took %lu us\n",
           (unsigned long)(took * 1000000 / env->bi->timebase_frequency), (unsigned long)p.syscalls_during,
           (unsigned long)(p.longest * 1000000 / env->bi->timebase_frequency));
    CHECK(p.syscalls_during >= 10);
    for (unsigned i = 0; i < FRAMES; i++) {
        sel_word_t vaddr = FRAME_VADDR + i * (2ull << 20);
        CHECK_OK(sel_alloc_map_frame(env->alloc, frames + i, SEL_CAP_INIT_VSPACE, vaddr, SEL_READ_WRITE,
                                     SEL_VM_EXECUTE_NEVER));
        volatile sel_word_t *w = (volatile sel_word_t *)vaddr;
        CHECK_EQ(w[0], 0);
        CHECK_EQ(w[(1u << 20) / 8], 0);
        CHECK_EQ(w[(2u << 20) / 8 - 1], 0);
    }
    /* The watermark is at the end: nothing more fits. */
    CHECK_ERR(sel_untyped_retype(untyped, SEL_FRAME_4K_OBJECT, 0, ROOT, 0, 0, test_slot(env), 1),
              SEL_NOT_ENOUGH_MEMORY);
}
