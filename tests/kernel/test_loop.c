/*
 * The event loop (libsel/include/sel/loop.h): notification bits, a ring
 * source, tokens, rpc and timers; that a turn drains everything ready and
 * the loop sleeps only when nothing is; and that no token is slept through.
 */
#include "test.h"

#include <sel/loop.h>
#include <sel/ring.h>
#include <sel/uintr.h>
#include <string.h>

#define HIGHER (TEST_PRIORITY + 1)
#define LOWER (TEST_PRIORITY - 1)

#define BIT_A 0x1
#define BIT_B 0x2
#define BIT_RING 0x4
#define BIT_STOP 0x8
#define BIT_ALARM 0x10
#define RPC_BIT (1ull << 62)

#define RING_ENTRIES 8
#define RING_SLOT 16

static _Alignas(64) uint8_t ring_memory[SEL_RING_HEADER + RING_ENTRIES * RING_SLOT];

static struct {
    sel_loop_t loop;
    sel_cptr_t ntfn, badged[8], done, ep, uintr, token;
    sel_ring_consumer_t consumer;
    sel_ring_producer_t producer;
    sel_loop_source_t ring_source;
    sel_loop_handler_t bits_handler, stop_handler, token_handler;
    volatile int ready;
    volatile sel_word_t bits_seen[8];
    volatile int bits_calls;
    volatile sel_word_t tokens_seen;
    volatile int token_calls;
    volatile sel_word_t popped[64];
    volatile int pops;
    volatile int runs;
    volatile sel_word_t sleeps_at_done;
    sel_word_t order[8];
    sel_word_t fired_at[8];
    int fired;
    sel_loop_timer_t timers[4];
    sel_word_t start;
    bool ack_tokens;
    bool done_when_all;
    bool ring_acks;             /* ring_run signals done after each run */         /* signal done once bits A|B, the token and 5 entries are all handled */
    sel_word_t bits_or;
    bool exited;
} s;

static void reset(void)
{
    memset((void *)&s, 0, sizeof(s));
    memset(ring_memory, 0, sizeof(ring_memory));
}

static sel_cptr_t mint(struct test_env *env, sel_cptr_t src, sel_rights_t rights, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, src, SEL_WORD_BITS,
                            rights, badge));
    return slot;
}

static sel_word_t ms(sel_word_t n) { return sel_get_bootinfo()->timebase_frequency / 1000 * n; }

static void block_forever(void)
{
    sel_cptr_t never = s.done;
    for (;;)
        sel_wait(never);
}

/* ---- handlers ---- */

static void maybe_all_done(void)
{
    if (s.done_when_all && s.bits_or == (BIT_A | BIT_B) && s.tokens_seen && s.pops == 5) {
        s.done_when_all = false;
        s.sleeps_at_done = s.loop.sleeps;
        sel_signal(s.done);
    }
}

static void on_bits(void *ctx, sel_word_t bits)
{
    (void)ctx;
    s.bits_or |= bits;
    maybe_all_done();
    if (s.bits_calls < 8)
        s.bits_seen[s.bits_calls] = bits;
    s.bits_calls++;
}

static void on_stop(void *ctx, sel_word_t bits)
{
    (void)bits;
    sel_loop_stop(ctx);
}

static void on_tokens(void *ctx, sel_word_t bits)
{
    (void)ctx;
    s.tokens_seen |= bits;
    s.token_calls++;
    if (s.ack_tokens)
        sel_signal(s.done);
    maybe_all_done();
}

static bool ring_ready(void *ctx) { return sel_ring_available(ctx) > 0; }

static void ring_run(void *ctx)
{
    sel_ring_consumer_t *c = ctx;
    uint64_t tag, value;
    bool wake = false;
    while (sel_ring_pop(c, &tag, &value, sizeof(value), &wake))
        if (s.pops < 64)
            s.popped[s.pops++] = value;
    s.runs++;
    maybe_all_done();
    if (s.done && !s.done_when_all && s.ring_acks) {
        s.sleeps_at_done = s.loop.sleeps;
        sel_signal(s.done);
    }
}

static bool ring_arm(void *ctx) { return sel_ring_consumer_arm(ctx); }
static void ring_disarm(void *ctx) { sel_ring_consumer_disarm(ctx); }

static void set_up_loop(sel_word_t alarm_bit)
{
    sel_loop_init(&s.loop, s.ntfn, alarm_bit);
    s.bits_handler = (sel_loop_handler_t){ .bits = BIT_A | BIT_B, .fn = on_bits };
    sel_loop_on_bits(&s.loop, &s.bits_handler);
    s.stop_handler = (sel_loop_handler_t){ .bits = BIT_STOP, .fn = on_stop, .ctx = &s.loop };
    sel_loop_on_bits(&s.loop, &s.stop_handler);
}

static void add_ring_source(void)
{
    sel_ring_consumer_init(&s.consumer, ring_memory, RING_ENTRIES, RING_SLOT);
    s.ring_source = (sel_loop_source_t){ .ready = ring_ready, .run = ring_run, .arm = ring_arm,
                                         .disarm = ring_disarm, .ctx = &s.consumer };
    sel_loop_add_source(&s.loop, &s.ring_source);
}

static void add_tokens(void)
{
    s.token_handler = (sel_loop_handler_t){ .bits = ~0ull, .fn = on_tokens };
    sel_loop_on_tokens(&s.loop, &s.token_handler);
}

/* The loop thread: bits, a ring and tokens, until BIT_STOP. */
static void loop_thread(void *arg)
{
    (void)arg;
    set_up_loop(0);
    add_ring_source();
    add_tokens();
    s.ready = 1;
    sel_loop_run(&s.loop);
    s.exited = true;
    block_forever();
}

static void push(sel_word_t value)
{
    CHECK(sel_ring_push(&s.producer, value, &value, sizeof(value)));
}

/* Publishes, and wakes the loop if it asked. */
static void publish(void)
{
    if (sel_ring_publish(&s.producer))
        sel_signal(s.badged[2]);
}

static void start_loop_thread(struct test_env *env, sel_thread_t *t, sel_word_t priority, sel_thread_fn fn)
{
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.badged[0] = mint(env, s.ntfn, SEL_CAN_WRITE, BIT_A);
    s.badged[1] = mint(env, s.ntfn, SEL_CAN_WRITE, BIT_B);
    s.badged[2] = mint(env, s.ntfn, SEL_CAN_WRITE, BIT_RING);
    s.badged[3] = mint(env, s.ntfn, SEL_CAN_WRITE, BIT_STOP);
    sel_ring_producer_init(&s.producer, ring_memory, RING_ENTRIES, RING_SLOT);
    test_thread(env, t, priority, false, fn, NULL);
    s.uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t->tcb, s.uintr));
    s.token = mint(env, s.uintr, SEL_CAN_WRITE, 0x100);
}

TEST(loop_runs_bit_handlers_and_stops)
{
    reset();
    sel_thread_t t;
    start_loop_thread(env, &t, HIGHER, loop_thread);
    CHECK_OK(sel_thread_start(&t));   /* it runs, sets up, and sleeps */
    CHECK(s.ready);
    CHECK_EQ(s.loop.sleeps, 1);
    sel_signal(s.badged[0]);
    CHECK_EQ(s.bits_calls, 1);
    CHECK_EQ(s.bits_seen[0], BIT_A);
    sel_signal(s.badged[1]);
    CHECK_EQ(s.bits_calls, 2);
    CHECK_EQ(s.bits_seen[1], BIT_B);
    CHECK_EQ(s.loop.sleeps, 3);       /* one sleep per wake: it never turns idle */
    sel_signal(s.badged[3]);
    CHECK(s.exited);
}

/*
 * Two signals, ring entries and a token while it sleeps: it handles them
 * all without blocking again (the second signal only shows at its next
 * Wait, which returns at once).
 */
TEST(loop_drains_everything_ready_before_it_blocks_again)
{
    reset();
    sel_thread_t t;
    start_loop_thread(env, &t, HIGHER, loop_thread);
    CHECK_OK(sel_thread_start(&t));   /* it runs to its first sleep */
    CHECK_OK(sel_tcb_set_priority(t.tcb, SEL_CAP_INIT_TCB, LOWER));   /* from now on it runs when we block */
    sel_word_t sleeps = s.loop.sleeps;
    s.done_when_all = true;
    sel_signal(s.badged[0]);
    sel_signal(s.badged[1]);
    for (sel_word_t i = 1; i <= 5; i++)
        push(i);
    publish();                        /* it armed need_wakeup: the ring bit goes too */
    sel_token_send(s.token);
    sel_wait(s.done);
    CHECK(s.sleeps_at_done <= sleeps + 1);
    CHECK_EQ(s.bits_or, BIT_A | BIT_B);
    CHECK_EQ(s.token_calls, 1);
    CHECK_EQ(s.tokens_seen, 0x100);
    CHECK_EQ(s.pops, 5);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(s.popped[i], i + 1);
    CHECK_EQ(s.runs, 1);              /* one batch */
}

TEST(loop_ring_needs_a_wake_up_only_when_the_loop_sleeps)
{
    reset();
    sel_thread_t t;
    start_loop_thread(env, &t, HIGHER, loop_thread);
    CHECK_OK(sel_thread_start(&t));
    CHECK_OK(sel_tcb_set_priority(t.tcb, SEL_CAP_INIT_TCB, LOWER));
    s.ring_acks = true;
    push(1);
    CHECK(sel_ring_publish(&s.producer));    /* asleep and armed: wake it */
    sel_signal(s.badged[2]);
    sel_wait(s.done);                        /* we are back while it is still in its ring run */
    CHECK_EQ(s.pops, 1);
    push(2);
    push(3);
    CHECK(!sel_ring_publish(&s.producer));   /* awake and working: no wake-up, no kernel entry */
    sel_wait(s.done);                        /* it found them in its next turn */
    CHECK_EQ(s.pops, 3);
    CHECK_EQ(s.popped[2], 3);
}

TEST(loop_token_wakes_a_sleeping_loop_which_runs_its_handler)
{
    reset();
    sel_thread_t t;
    start_loop_thread(env, &t, HIGHER, loop_thread);
    CHECK_OK(sel_thread_start(&t));
    CHECK_EQ(s.loop.sleeps, 1);
    sel_token_send(s.token);          /* it is blocked in Wait: woken into the interrupt, out of its sleep */
    CHECK_EQ(s.token_calls, 1);
    CHECK_EQ(s.tokens_seen, 0x100);
    CHECK_EQ(s.loop.tokens_interrupted_sleep, 1);
    CHECK_EQ(s.loop.sleeps, 2);       /* and back to sleep */
    sel_signal(s.badged[3]);
    CHECK(s.exited);
}

TEST(loop_tokens_to_a_loop_on_another_hart_are_never_lost)
{
    reset();
    sel_thread_t t;
    start_loop_thread(env, &t, TEST_PRIORITY, loop_thread);
    s.ack_tokens = true;
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&s.ready));
    /* Tokens at every moment of its sleeping and waking; each is acknowledged, or we hang and time out. */
    for (int i = 1; i <= 300; i++) {
        sel_token_send(s.token);
        if (i % 3 == 0)
            sel_signal(s.badged[0]);
        sel_wait(s.done);
    }
    CHECK(s.token_calls <= 300 && s.token_calls > 0);
    CHECK_EQ(s.tokens_seen, 0x100);
}

/* ---- rpc ---- */

static sel_msginfo_t echo_rpc(void *ctx, sel_word_t badge, sel_msginfo_t info)
{
    (void)ctx;
    sel_set_mr(0, sel_get_mr(0) * 2);
    sel_set_mr(1, badge & 0xffff);
    return sel_msginfo_new(sel_msginfo_label(info) + 1, 0, 0, 2);
}

static void rpc_loop_thread(void *arg)
{
    (void)arg;
    set_up_loop(0);
    sel_loop_set_rpc(&s.loop, s.ep, RPC_BIT, echo_rpc, NULL);
    s.ready = 1;
    sel_loop_run(&s.loop);
    s.exited = true;
    block_forever();
}

TEST(loop_answers_rpc_with_reply_recv_and_serves_bits_between)
{
    reset();
    sel_thread_t t;
    start_loop_thread(env, &t, HIGHER, rpc_loop_thread);
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, s.ntfn));
    sel_cptr_t client = mint(env, s.ep, SEL_ALL_RIGHTS, RPC_BIT | 0x77);
    CHECK_OK(sel_thread_start(&t));
    for (sel_word_t i = 0; i < 10; i++) {
        sel_set_mr(0, i);
        sel_msginfo_t reply = sel_call(client, sel_msginfo_new(40 + i, 0, 0, 1));
        CHECK_EQ(sel_msginfo_label(reply), 41 + i);
        CHECK_EQ(sel_msginfo_length(reply), 2);
        CHECK_EQ(sel_get_mr(0), 2 * i);
        CHECK_EQ(sel_get_mr(1), 0x77);
        if (i % 4 == 0)
            sel_signal(s.badged[0]);
    }
    CHECK_EQ(s.bits_calls, 3);
    CHECK_EQ(s.loop.sleeps, 1 + 10 + 3);   /* one sleep per request or signal: the replies rode on them */
    sel_signal(s.badged[3]);
    CHECK(s.exited);
}

/* ---- timers ---- */

static void fired(int which)
{
    if (s.fired < 8) {
        s.order[s.fired] = (sel_word_t)which;
        s.fired_at[s.fired] = sel_time_now();
    }
    s.fired++;
}

static void timer_a(void *ctx)
{
    (void)ctx;
    fired(0);
    sel_loop_timer_start(&s.loop, &s.timers[3], sel_time_now() + ms(5));   /* D */
}

static void timer_b(void *ctx)
{
    (void)ctx;
    fired(1);
    sel_loop_timer_stop(&s.loop, &s.timers[2]);   /* C never fires */
}

static void timer_c(void *ctx)
{
    (void)ctx;
    fired(2);
}

static void timer_d(void *ctx)
{
    (void)ctx;
    fired(3);
    sel_loop_stop(&s.loop);
}

static void timer_loop_thread(void *arg)
{
    (void)arg;
    set_up_loop(BIT_ALARM);
    s.timers[0] = (sel_loop_timer_t){ .fn = timer_a };
    s.timers[1] = (sel_loop_timer_t){ .fn = timer_b };
    s.timers[2] = (sel_loop_timer_t){ .fn = timer_c };
    s.timers[3] = (sel_loop_timer_t){ .fn = timer_d };
    s.start = sel_time_now();
    sel_loop_timer_start(&s.loop, &s.timers[0], s.start + ms(20));
    sel_loop_timer_start(&s.loop, &s.timers[1], s.start + ms(10));
    sel_loop_timer_start(&s.loop, &s.timers[2], s.start + ms(40));
    sel_loop_run(&s.loop);
    s.exited = true;
    sel_signal(s.done);
    block_forever();
}

TEST(loop_timers_fire_in_order_after_their_deadlines_and_stop)
{
    reset();
    sel_thread_t t;
    start_loop_thread(env, &t, HIGHER, timer_loop_thread);
    CHECK_OK(sel_thread_start(&t));
    sel_wait(s.done);
    CHECK(s.exited);
    CHECK_EQ(s.fired, 3);
    CHECK_EQ(s.order[0], 1);
    CHECK_EQ(s.order[1], 0);
    CHECK_EQ(s.order[2], 3);
    CHECK(s.fired_at[0] >= s.start + ms(10));
    CHECK(s.fired_at[1] >= s.start + ms(20));
    CHECK(s.fired_at[2] >= s.fired_at[1] + ms(5));
    CHECK(s.fired_at[2] < s.start + ms(1000));
    /*
     * It slept between them (the kernel alarm woke it), not polled the
     * clock: a poller turns thousands of times.  Not "three sleeps": QEMU's
     * clock follows the host's, and a busy host can let one deadline pass
     * while the loop still handles the one before.
     */
    CHECK(s.loop.sleeps >= 1);
    CHECK(s.loop.turns < 20);
}
