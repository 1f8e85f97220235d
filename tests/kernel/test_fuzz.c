/*
 * Invocation fuzzing: thousands of random invocations (random labels,
 * lengths, arguments and extra caps) on a CSpace full of objects, after
 * which the kernel must still work.  The fuzzing thread's CSpace holds only
 * objects made for it, so whatever it deletes or revokes, the test
 * environment survives; threads it can create or reach run at priority 0
 * and cannot starve anyone.
 */
#include "test.h"

#define FUZZ_RADIX 6
#define FUZZ_SLOTS (1u << FUZZ_RADIX)
#define FUZZ_ROUNDS 20000

/* Slots of the fuzzing CSpace. */
enum {
    F_SELF = 1, F_UNTYPED, F_UNTYPED_SMALL, F_ENDPOINT, F_NOTIFICATION, F_VICTIM, F_FRAME, F_FRAME2,
    F_PAGE_TABLE, F_VSPACE, F_ASID_POOL, F_IRQ_HANDLER, F_CNODE2, F_FIRST_FREE
};

static struct {
    sel_cptr_t ipc_frame;
    sel_word_t seed;
    volatile int done;
    volatile unsigned rounds;
    sel_cptr_t endpoint_root;       /* for the echo server, in the root CSpace */
} fuzz;

static sel_word_t next_random(void)
{
    /* xorshift64: deterministic, so a failure can be replayed. */
    sel_word_t x = fuzz.seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return fuzz.seed = x;
}

static sel_word_t random_word(void)
{
    static const sel_word_t interesting[] = {
        0, 1, 2, 3, 4, 5, FUZZ_RADIX, 7, 8, 12, 16, 21, 26, 27, 38, 39, 63, 64, 64, 64, 65, 255, 256, 257,
        4095, 4096, SEL_CAN_READ | SEL_CAN_WRITE, SEL_ALL_RIGHTS, 64 - FUZZ_RADIX /* a guard of 58 zero bits */,
        0x10000, 0x200000, 0x1000000000, 0x3ffffff000, 0x4000000000, ~0ull, ~0ull >> 1, 1ull << 63,
    };
    switch (next_random() % 5) {
    case 0:
        return next_random();
    case 1:
    case 2:
        return next_random() % FUZZ_SLOTS;
    default:
        return interesting[next_random() % (sizeof(interesting) / sizeof(interesting[0]))];
    }
}

/* Half the time, a label that the cap's type understands (so decoding gets past the first check). */
static sel_word_t random_label(int cap_type)
{
    static const struct { int type; sel_word_t first, last; } ranges[] = {
        { SEL_CAP_TYPE_UNTYPED, SEL_UNTYPED_RETYPE, SEL_UNTYPED_RETYPE },
        { SEL_CAP_TYPE_TCB, SEL_TCB_READ_REGISTERS, SEL_TCB_SET_AFFINITY },
        { SEL_CAP_TYPE_CNODE, SEL_CNODE_REVOKE, SEL_CNODE_ROTATE },
        { SEL_CAP_TYPE_IRQ_HANDLER, SEL_IRQ_HANDLER_ACK, SEL_IRQ_HANDLER_CLEAR },
        { SEL_CAP_TYPE_PAGE_TABLE, SEL_PAGE_TABLE_MAP, SEL_PAGE_TABLE_UNMAP },
        { SEL_CAP_TYPE_FRAME, SEL_FRAME_MAP, SEL_FRAME_GET_ADDRESS },
        { SEL_CAP_TYPE_ASID_POOL, SEL_ASID_POOL_ASSIGN, SEL_ASID_POOL_ASSIGN },
    };
    if (next_random() % 2)
        for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
            if (ranges[i].type == cap_type)
                return ranges[i].first + next_random() % (ranges[i].last - ranges[i].first + 1);
    return next_random() % (SEL_NUM_INVOCATIONS + 3);
}

static void fuzz_thread(void *arg)
{
    (void)arg;
    sel_ipc_buffer_t *b = sel_ipc_buffer();
    for (unsigned i = 0; i < FUZZ_ROUNDS; i++) {
        /* Mostly slots that hold something; sometimes empty or out of range. */
        sel_cptr_t target = next_random() % 4 ? 1 + next_random() % (F_FIRST_FREE - 1)
                                              : next_random() % (FUZZ_SLOTS + 2);
        int type = sel_debug_cap_identify(target);
        sel_word_t label = random_label(type);
        sel_word_t length = next_random() % 4 ? 4 + next_random() % 6 : next_random() % 4;
        sel_word_t extra = next_random() % 4;
        for (unsigned j = 0; j < SEL_MSG_MAX_EXTRA_CAPS; j++)
            b->caps_or_badges[j] = next_random() % 4 ? 1 + next_random() % (F_FIRST_FREE - 1)
                                                     : next_random() % (FUZZ_SLOTS + 1);
        for (unsigned j = 0; j < 10; j++)
            b->msg[j] = random_word();
        b->receive_cnode = F_SELF;
        b->receive_index = F_FIRST_FREE + next_random() % (FUZZ_SLOTS - F_FIRST_FREE);
        b->receive_depth = 64;
        sel_msginfo_t info = sel_msginfo_new(label, 0, extra, length);
        /* Never block: endpoints get NBSend, everything else a Call (kernel objects answer at once). */
        if (type == SEL_CAP_TYPE_ENDPOINT)
            sel_nb_send(target, info);
        else
            sel_call(target, info);
        fuzz.rounds = i + 1;
    }
    fuzz.done = 1;
}

/* Answers every Call on the fuzzer's endpoint, so capability transfer gets exercised too. */
static void echo_server(void *arg)
{
    (void)arg;
    sel_word_t badge;
    sel_set_receive_path(SEL_CAP_NULL, 0, 0);
    sel_recv(fuzz.endpoint_root, &badge);
    for (;;)
        sel_reply_recv(fuzz.endpoint_root, sel_msginfo_new(0, 0, 0, 0), &badge);
}

static void sleeper(void *arg)
{
    (void)arg;
    sel_wait((sel_cptr_t)(sel_word_t)arg);
}

static void place(struct test_env *env, sel_cptr_t cnode, sel_word_t slot, sel_cptr_t cap)
{
    CHECK_OK(sel_cnode_copy(cnode, slot, FUZZ_RADIX, SEL_CAP_INIT_CNODE, cap, 64, SEL_ALL_RIGHTS));
}

static void run_fuzz(struct test_env *env, sel_word_t seed)
{
    /* The fuzzing CSpace: a CNode whose guard makes depth-64 CPtrs name its slots directly. */
    sel_cptr_t cnode = test_object(env, SEL_CNODE_OBJECT, FUZZ_RADIX);
    sel_cptr_t untyped = test_object(env, SEL_UNTYPED_OBJECT, 20);
    sel_cptr_t small = test_object(env, SEL_UNTYPED_OBJECT, 12);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t frame2 = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_cptr_t pt = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    sel_cptr_t vspace = test_object(env, SEL_PAGE_TABLE_OBJECT, 0);
    CHECK_OK(sel_asid_pool_assign(SEL_CAP_INIT_ASID_POOL, vspace));
    sel_cptr_t cnode2 = test_object(env, SEL_CNODE_OBJECT, 3);
    sel_cptr_t irq = test_slot(env);
    CHECK_OK(sel_irq_control_get(SEL_CAP_IRQ_CONTROL, 30, SEL_CAP_INIT_CNODE, irq, 64));

    sel_thread_t victim, server, fuzzer;
    test_thread(env, &victim, 0, false, sleeper, (void *)(sel_word_t)ntfn);
    CHECK_OK(sel_tcb_set_sched_params(victim.tcb, SEL_CAP_INIT_TCB, 0, 0));
    CHECK_OK(sel_thread_start(&victim));

    sel_cptr_t self = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, self, 64, SEL_CAP_INIT_CNODE, cnode, 64, SEL_ALL_RIGHTS,
                            sel_cnode_guard(0, 64 - FUZZ_RADIX)));
    place(env, cnode, F_SELF, self);
    place(env, cnode, F_UNTYPED, untyped);
    place(env, cnode, F_UNTYPED_SMALL, small);
    place(env, cnode, F_ENDPOINT, ep);
    place(env, cnode, F_NOTIFICATION, ntfn);
    place(env, cnode, F_VICTIM, victim.tcb);
    place(env, cnode, F_FRAME, frame);
    place(env, cnode, F_FRAME2, frame2);
    CHECK_OK(sel_cnode_move(cnode, F_PAGE_TABLE, FUZZ_RADIX, SEL_CAP_INIT_CNODE, pt, 64));
    place(env, cnode, F_VSPACE, vspace);
    place(env, cnode, F_ASID_POOL, SEL_CAP_INIT_ASID_POOL);
    CHECK_OK(sel_cnode_move(cnode, F_IRQ_HANDLER, FUZZ_RADIX, SEL_CAP_INIT_CNODE, irq, 64));
    place(env, cnode, F_CNODE2, cnode2);

    fuzz.endpoint_root = ep;
    test_thread_start(env, &server, TEST_PRIORITY + 1, false, echo_server, NULL);

    /* The fuzzer: our address space, the fuzzing CSpace, priority 0 authority only. */
    fuzz.seed = seed;
    fuzz.done = 0;
    test_thread(env, &fuzzer, TEST_PRIORITY - 1, false, fuzz_thread, NULL);
    CHECK_OK(sel_tcb_set_space(fuzzer.tcb, 0, self, 0, SEL_CAP_INIT_VSPACE));
    CHECK_OK(sel_thread_start(&fuzzer));

    /* Drop below the fuzzer; we run again when it is done (or blocked, which it must never be). */
    CHECK_OK(sel_tcb_set_priority(env->tcb, SEL_CAP_INIT_TCB, TEST_PRIORITY - 2));
    sel_word_t deadline = test_rdtime() + 15 * env->bi->timebase_frequency;
    while (!fuzz.done && test_rdtime() < deadline)
        ;
    CHECK_OK(sel_tcb_set_priority(env->tcb, SEL_CAP_INIT_TCB, TEST_PRIORITY));
    if (!fuzz.done)
        test_fail(__FILE__, __LINE__, "the fuzzer stopped after %u of %u rounds (seed %lu)", fuzz.rounds,
                  FUZZ_ROUNDS, (unsigned long)seed);

    /* The kernel still works: make objects and talk through them. */
    sel_cptr_t n2 = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_signal(n2);
    CHECK_EQ(sel_poll(n2), 0);   /* unbadged signal: word 0, but the state was active */
    sel_cptr_t badged = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, badged, 64, SEL_CAP_INIT_CNODE, n2, 64, SEL_ALL_RIGHTS, 7));
    sel_signal(badged);
    CHECK_EQ(sel_poll(n2), 7);
}

TEST(fuzz_invocations_seed_1) { run_fuzz(env, 0x1234567); }
TEST(fuzz_invocations_seed_2) { run_fuzz(env, 0xdeadbeefcafe); }
TEST(fuzz_invocations_seed_3) { run_fuzz(env, 42); }
