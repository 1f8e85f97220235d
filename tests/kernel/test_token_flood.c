/*
 * Token floods.  A token whose bits are already pending costs its
 * receiver nothing (no IPI, no second handler entry); the event loop masks
 * the token bits it has taken until it next sleeps, so tokens while it is
 * awake cost it nothing either; and a Recv that finds a message waiting
 * takes it before the tokens, so a flood cannot keep a server from the
 * requests queued for it.  Together they bound what a flooder costs a
 * server: one handler entry per attempt to sleep, whatever the rate.
 */
#include "test.h"

#include <sel/loop.h>
#include <sel/uintr.h>
#include <string.h>

#define RPC_BIT (1ull << 62)

static sel_cptr_t mint(struct test_env *env, sel_cptr_t src, sel_rights_t rights, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, src, SEL_WORD_BITS,
                            rights, badge));
    return slot;
}

/* ---- a Recv with a message waiting takes it before the user interrupts ---------------------------- */

static struct {
    sel_cptr_t ep, go, never;
    sel_word_t handler_uepc, handler_bits, label, m0;
    volatile int handled, ready, received;
} r;

extern char recv_returns_here[];

static void note_interrupt(sel_word_t bits, sel_word_t uepc)
{
    r.handler_bits = bits;
    r.handler_uepc = uepc;
    r.handled++;
}

/* A Recv on r.ep in registers, whose return address is the label recv_returns_here. */
static __attribute__((noinline)) void recv_at_label(void)
{
    register sel_word_t a0 __asm__("a0") = r.ep;
    register sel_word_t a1 __asm__("a1") = 0;
    register sel_word_t a2 __asm__("a2") = 0;
    register long a7 __asm__("a7") = SEL_SYS_RECV;
    __asm__ volatile("ecall\n"
                     ".globl recv_returns_here\n"
                     "recv_returns_here:"
                     : "+r"(a0), "+r"(a1), "+r"(a2)
                     : "r"(a7)
                     : "a3", "a4", "a5", "memory");
    r.label = sel_msginfo_label((sel_msginfo_t){ { a1 } });
    r.m0 = a2;
}

static void receiver(void *arg)
{
    (void)arg;
    sel_uintr_set_handler(note_interrupt);
    sel_uintr_enable_bits(0x3);   /* enabled bits, but user interrupts as a whole still off */
    r.ready = 1;
    sel_wait(r.go);
    /* Unmasked by a store alone (no syscall), so the token is still pending at the Recv. */
    sel_uintr_csrs()->ustatus |= SEL_USTATUS_UIE;
    recv_at_label();
    r.received = 1;
    for (;;)
        sel_wait(r.never);
}

static void send_one(void *arg)
{
    (void)arg;
    sel_word_t m0 = 0x4242;
    sel_send_mrs(r.ep, sel_msginfo_new(0x31, 0, 0, 1), &m0, NULL, NULL, NULL);
    for (;;)
        sel_wait(r.never);
}

TEST(token_recv_with_a_message_waiting_takes_it_before_the_tokens)
{
    memset((void *)&r, 0, sizeof(r));
    r.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    r.go = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    r.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t, sender;
    test_thread(env, &t, TEST_PRIORITY + 2, false, receiver, NULL);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    sel_cptr_t token = mint(env, uintr, SEL_CAN_WRITE, 0x1);
    CHECK_OK(sel_thread_start(&t));                   /* it sets up and waits for go */
    CHECK(r.ready);
    sel_token_send(token);                            /* pending: its UIE is off */
    test_thread_start(env, &sender, TEST_PRIORITY + 1, false, send_one, NULL);   /* queued on the endpoint */
    sel_signal(r.go);
    CHECK(r.received);
    CHECK_EQ(r.label, 0x31);
    CHECK_EQ(r.m0, 0x4242);
    CHECK_EQ(r.handled, 1);
    CHECK_EQ(r.handler_bits, 0x1);
    /* The handler interrupted the thread after its Recv, not at it: the message came first. */
    CHECK_EQ(r.handler_uepc, (sel_word_t)recv_returns_here);
}

/* Without a message waiting, the Recv still takes the tokens instead of blocking (as ever). */
TEST(token_recv_that_would_block_takes_the_tokens_instead)
{
    memset((void *)&r, 0, sizeof(r));
    r.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    r.go = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    r.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY + 2, false, receiver, NULL);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    sel_cptr_t token = mint(env, uintr, SEL_CAN_WRITE, 0x2);
    CHECK_OK(sel_thread_start(&t));
    sel_token_send(token);
    sel_signal(r.go);                                 /* it takes the token, then blocks in its Recv */
    CHECK_EQ(r.handled, 1);
    CHECK_EQ(r.handler_bits, 0x2);
    CHECK_EQ(r.handler_uepc, (sel_word_t)recv_returns_here - 4);   /* at the ecall, to repeat it */
    CHECK(!r.received);
    sel_word_t m0 = 0x77;
    sel_send_mrs(r.ep, sel_msginfo_new(0x32, 0, 0, 1), &m0, NULL, NULL, NULL);
    CHECK(r.received);
    CHECK_EQ(r.m0, 0x77);
    CHECK_EQ(r.handled, 1);
}

/* ---- the loop masks token bits while it is awake ---------------------------------------------------- */

static struct {
    sel_loop_t loop;
    sel_cptr_t ntfn, ep, client_ep, token, never;
    sel_loop_handler_t handler;
    volatile int ready, token_calls, burst;
    volatile int stop_flood, flooding;
    volatile sel_word_t tokens_sent;
} l;

static void on_tokens(void *ctx, sel_word_t bits)
{
    (void)ctx;
    (void)bits;
    l.token_calls++;
    /* The first time, a burst of tokens to ourselves while awake. */
    for (; l.burst > 0; l.burst--)
        sel_token_send(l.token);
}

static sel_msginfo_t serve(void *ctx, sel_word_t badge, sel_msginfo_t info)
{
    (void)ctx;
    (void)badge;
    (void)info;
    return sel_msginfo_new(0, 0, 0, 0);
}

static void loop_thread(void *arg)
{
    (void)arg;
    sel_loop_init(&l.loop, l.ntfn, 0);
    if (l.ep)
        sel_loop_set_rpc(&l.loop, l.ep, RPC_BIT, serve, NULL);
    l.handler.bits = 0x1;
    l.handler.fn = on_tokens;
    sel_loop_on_tokens(&l.loop, &l.handler);
    l.ready = 1;
    sel_loop_run(&l.loop);
}

static void start_loop(struct test_env *env, sel_thread_t *t, sel_word_t priority, bool rpc, bool other_hart)
{
    memset((void *)&l, 0, sizeof(l));
    l.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    l.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    if (rpc) {
        l.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
        l.client_ep = mint(env, l.ep, SEL_ALL_RIGHTS, RPC_BIT);
    }
    test_thread(env, t, priority, true, loop_thread, NULL);
    CHECK_OK(sel_tcb_bind_notification(t->tcb, l.ntfn));
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t->tcb, uintr));
    l.token = mint(env, uintr, SEL_CAN_WRITE, 0x1);
    if (other_hart)
        CHECK_OK(sel_tcb_set_affinity(t->tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(t));
}

/*
 * A token wakes the loop; its handler sends 50 more while the loop is
 * awake.  They cost it nothing then: the loop takes them, as one, when it
 * next goes to sleep.  Two handler entries, two calls of the handler.
 */
TEST(token_loop_takes_tokens_that_come_while_it_is_awake_once)
{
    sel_thread_t t;
    start_loop(env, &t, TEST_PRIORITY + 1, false, false);   /* it runs, sets up and sleeps */
    CHECK(l.ready);
    l.burst = 50;
    sel_token_send(l.token);
    CHECK_EQ(l.token_calls, 2);
    CHECK_EQ(l.loop.token_interrupts, 2);
    CHECK_EQ(l.burst, 0);
    sel_token_send(l.token);                                 /* asleep again: a token wakes it as ever */
    CHECK_EQ(l.token_calls, 3);
    CHECK_EQ(l.loop.token_interrupts, 3);
}

/* ---- a flood against an rpc server -------------------------------------------------------------- */

static void flooder(void *arg)
{
    (void)arg;
    l.flooding = 1;
    while (!l.stop_flood) {
        sel_token_send(l.token);
        l.tokens_sent++;
    }
    l.flooding = 0;
    for (;;)
        sel_wait(l.never);
}

#define FLOOD_CALLS 200

/*
 * The server's loop alone on the other hart serves our Calls; a flooder
 * of lower priority on our hart sends tokens to it for as long as we wait
 * for an answer.  The server still answers every Call, entering its token
 * handler about once per Call (a flooder used to keep it in its handler,
 * and its Recv taking tokens instead of the Call waiting for it, 30 to 70
 * times per Call); whatever the host's speed, the flooder cannot make that
 * grow beyond one entry per attempt to sleep.
 */
TEST(token_flood_cannot_keep_a_server_from_its_calls)
{
    CHECK(env->bi->num_harts >= 2);
    sel_thread_t server, flood;
    start_loop(env, &server, TEST_PRIORITY + 1, true, true);
    CHECK(test_wait_flag(&l.ready));
    for (int i = 0; i < 10; i++)
        sel_call(l.client_ep, sel_msginfo_new(0, 0, 0, 0));
    test_thread_start(env, &flood, TEST_PRIORITY - 1, true, flooder, NULL);   /* runs while we wait */
    sel_word_t entries = l.loop.token_interrupts, sleeps = l.loop.sleeps;
    for (int i = 0; i < FLOOD_CALLS; i++)
        CHECK_EQ(sel_msginfo_label(sel_call(l.client_ep, sel_msginfo_new(0x5, 0, 0, 0))), 0);
    entries = l.loop.token_interrupts - entries;
    sleeps = l.loop.sleeps - sleeps;
    l.stop_flood = 1;
    printf("token flood: %u calls answered while %lu tokens came; the server's token handler ran %lu times, "
           "it slept %lu times\n",
           FLOOD_CALLS, (unsigned long)l.tokens_sent, (unsigned long)entries, (unsigned long)sleeps);
    CHECK(l.tokens_sent > FLOOD_CALLS);   /* it did flood */
    CHECK(entries <= sleeps);
    CHECK(entries <= 20 * FLOOD_CALLS);
}

/* ---- a token whose bits are pending sends no IPI ---------------------------------------------------- */

static volatile struct {
    int ready, unmasked, stop, entries;
} q;

static void handler_that_waits(sel_word_t bits, sel_word_t uepc)
{
    (void)bits;
    (void)uepc;
    q.entries++;
    while (!q.stop)
        ;
}

/*
 * On the other hart: takes a token while masked, then unmasks with a store
 * alone (no syscall, so the kernel does not know), and spins: its token is
 * pending and deliverable, not yet delivered.
 */
static void unmask_quietly_and_spin(void *arg)
{
    (void)arg;
    volatile sel_uintr_csrs_t *csrs = sel_uintr_csrs();
    sel_uintr_set_handler(handler_that_waits);
    sel_uintr_enable_bits(0x1);
    q.ready = 1;
    while (!(csrs->uip & 0x1))
        ;
    csrs->ustatus |= SEL_USTATUS_UIE;
    q.unmasked = 1;
    while (!q.stop)
        ;
    for (;;)
        sel_wait(l.never);
}

/* More tokens of the pending bit send nothing to its hart: the first already said all there is to say. */
TEST(token_whose_bits_are_pending_sends_no_ipi)
{
    CHECK(env->bi->num_harts >= 2);
    memset((void *)&q, 0, sizeof(q));
    l.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, unmask_quietly_and_spin, NULL);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    sel_cptr_t token = mint(env, uintr, SEL_CAN_WRITE, 0x1);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&q.ready));
    sel_token_send(token);
    CHECK(test_wait_flag(&q.unmasked));
    sel_kernel_entries_t before = test_kernel_entries();
    for (int i = 0; i < 100; i++)
        sel_token_send(token);
    sel_kernel_entries_t after = test_kernel_entries();
    CHECK_EQ(after.ipis - before.ipis, 0);
    CHECK(q.entries <= 1);   /* (a tick on its hart may have delivered the pending one) */
    q.stop = 1;
}
