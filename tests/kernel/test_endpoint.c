/*
 * Endpoints: Send/Recv and their non-blocking forms, Call/Reply/ReplyRecv,
 * the message (label, length, registers, IPC buffer, badge), the order of
 * blocked senders, scheduling on delivery, capability transfer, the error
 * paths, and what deleting an endpoint does to the threads blocked on it.
 *
 * Helper threads run at TEST_PRIORITY + 1 unless a test says otherwise, so
 * they run as soon as they are started or unblocked and the test thread
 * continues only when they block or finish.
 */
#include "test.h"

#include <string.h>

#define HIGHER (TEST_PRIORITY + 1)
#define LOWER (TEST_PRIORITY - 1)

/* What the helper threads use and saw (globals are shared even with threads in other address spaces). */
static struct {
    sel_cptr_t ep;              /* the endpoint (cap) helpers use */
    sel_cptr_t slot;            /* a helper's receive slot, or the slot it invokes */
    sel_cptr_t reply_cap;       /* a cap the server sends back with its reply */
    sel_cptr_t done;            /* a notification a helper signals when it is done */
    sel_cptr_t caps[3];
    volatile int step;          /* how far the helper got */
    sel_word_t label, length, extra_caps, unwrapped, badge, unwrapped_badges[2];
    sel_word_t mr[SEL_MSG_MAX_LENGTH];
    sel_word_t replies[2];
} s;

static void reset(void) { memset(&s, 0, sizeof(s)); }

/* Records a message just received with a buffered receive (sel_recv and co). */
static void note(sel_msginfo_t info, sel_word_t badge)
{
    s.label = sel_msginfo_label(info);
    s.length = sel_msginfo_length(info);
    s.extra_caps = sel_msginfo_extra_caps(info);
    s.unwrapped = sel_msginfo_caps_unwrapped(info);
    s.badge = badge;
    s.unwrapped_badges[0] = sel_get_badge(0);
    s.unwrapped_badges[1] = sel_get_badge(1);
    for (sel_word_t i = 0; i < s.length && i < SEL_MSG_MAX_LENGTH; i++)
        s.mr[i] = sel_get_mr((int)i);
}

static sel_cptr_t mint(struct test_env *env, sel_cptr_t src, sel_rights_t rights, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, src, SEL_WORD_BITS,
                            rights, badge));
    return slot;
}

static void start_with_fault_ep(struct test_env *env, sel_thread_t *t, sel_word_t priority, sel_cptr_t fault_ep,
                                sel_thread_fn fn)
{
    CHECK_OK(sel_thread_create(env->alloc, t, false, priority, fault_ep, fn, NULL));
    CHECK_OK(sel_thread_start(t));
}

/* Receives one message on s.ep (into receive slot s.slot if set), records it, signals s.done if set. */
static void receive_once(void *arg)
{
    if (s.slot)
        sel_set_receive_path(SEL_CAP_INIT_CNODE, s.slot, SEL_WORD_BITS);
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_recv(s.ep, &badge);
    note(info, badge);
    s.step++;
    if (s.done)
        sel_signal(s.done);
}

/* Sends label 0x5a with MR0..MR3 = 0x11, 0x22, 0x33, 0x44 in registers. */
static void send_four_words(void *arg)
{
    sel_word_t m0 = 0x11, m1 = 0x22, m2 = 0x33, m3 = 0x44;
    s.step = 1;
    sel_send_mrs(s.ep, sel_msginfo_new(0x5a, 0, 0, 4), &m0, &m1, &m2, &m3);
    s.step = 2;
}

TEST(ep_send_blocks_until_received)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, send_four_words, NULL);
    CHECK_EQ(s.step, 1);    /* it ran and is blocked in Send */

    sel_word_t badge = 99, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel_msginfo_t info = sel_recv_mrs(s.ep, &badge, &m0, &m1, &m2, &m3);
    CHECK_EQ(sel_msginfo_label(info), 0x5a);
    CHECK_EQ(sel_msginfo_length(info), 4);
    CHECK_EQ(sel_msginfo_extra_caps(info), 0);
    CHECK_EQ(sel_msginfo_caps_unwrapped(info), 0);
    CHECK_EQ(badge, 0);     /* an unbadged cap */
    CHECK_EQ(m0, 0x11);
    CHECK_EQ(m1, 0x22);
    CHECK_EQ(m2, 0x33);
    CHECK_EQ(m3, 0x44);
    CHECK_EQ(s.step, 2);    /* the sender was unblocked and, being higher, has run */
}

TEST(ep_higher_priority_receiver_runs_when_message_arrives)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);
    CHECK_EQ(s.step, 0);    /* blocked in Recv */

    sel_set_mr(0, 0xabc);
    sel_set_mr(1, 0xdef);
    sel_send(s.ep, sel_msginfo_new(7, 0, 0, 2));
    /* Back from Send, the receiver has already run. */
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 7);
    CHECK_EQ(s.length, 2);
    CHECK_EQ(s.mr[0], 0xabc);
    CHECK_EQ(s.mr[1], 0xdef);
}

TEST(ep_lower_priority_receiver_runs_only_when_sender_blocks)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, LOWER, false, receive_once, NULL);
    CHECK_EQ(s.step, 0);    /* not run yet */

    /* Send blocks us, the receiver takes the message, and we preempt it at once. */
    sel_set_mr(0, 0x1234);
    sel_send(s.ep, sel_msginfo_new(3, 0, 0, 1));
    CHECK_EQ(s.step, 0);
    sel_wait(s.done);
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 3);
    CHECK_EQ(s.mr[0], 0x1234);
}

TEST(ep_nb_send_without_receiver_is_dropped)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_nb_send(s.ep, sel_msginfo_new(1, 0, 0, 0));     /* would block the test forever if it queued us */

    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);
    CHECK_EQ(s.step, 0);    /* nothing was waiting for it */
    sel_send(s.ep, sel_msginfo_new(2, 0, 0, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 2);
}

TEST(ep_nb_send_reaches_waiting_receiver)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);
    sel_set_mr(0, 0x77);
    sel_set_mr(1, 0x88);
    sel_set_mr(2, 0x99);
    sel_nb_send(s.ep, sel_msginfo_new(0x31, 0, 0, 3));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0x31);
    CHECK_EQ(s.length, 3);
    CHECK_EQ(s.mr[0], 0x77);
    CHECK_EQ(s.mr[1], 0x88);
    CHECK_EQ(s.mr[2], 0x99);
}

TEST(ep_nb_recv_without_sender_returns_nothing)
{
    reset();
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t badged = mint(env, ep, SEL_ALL_RIGHTS, 0x5);
    sel_word_t badge = 0xffff;
    sel_msginfo_t info = sel_nb_recv(badged, &badge);
    CHECK_EQ(info.words[0], 0);
    CHECK_EQ(badge, 0);
}

TEST(ep_nb_recv_takes_waiting_message)
{
    reset();
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.ep = mint(env, ep, SEL_ALL_RIGHTS, 0x66);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, send_four_words, NULL);
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_nb_recv(ep, &badge);
    CHECK_EQ(sel_msginfo_label(info), 0x5a);
    CHECK_EQ(sel_msginfo_length(info), 4);
    CHECK_EQ(badge, 0x66);
    CHECK_EQ(sel_get_mr(0), 0x11);
    CHECK_EQ(sel_get_mr(3), 0x44);
    CHECK_EQ(s.step, 2);
}

/* Serves one Call: replies with label + 1, MR0 + 1 and the badge it saw in MR1. */
static void reply_once(void *arg)
{
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_recv(s.ep, &badge);
    note(info, badge);
    sel_set_mr(0, sel_get_mr(0) + 1);
    sel_set_mr(1, badge);
    sel_reply(sel_msginfo_new(sel_msginfo_label(info) + 1, 0, 0, 2));
    s.step = 1;
}

TEST(ep_call_gets_reply)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t badged = mint(env, s.ep, SEL_READ_WRITE, 0x42);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, reply_once, NULL);

    sel_set_mr(0, 10);
    sel_msginfo_t info = sel_call(badged, sel_msginfo_new(7, 0, 0, 1));
    CHECK_EQ(sel_msginfo_label(info), 8);
    CHECK_EQ(sel_msginfo_length(info), 2);
    CHECK_EQ(sel_get_mr(0), 11);
    CHECK_EQ(sel_get_mr(1), 0x42);
    CHECK_EQ(s.label, 7);
    CHECK_EQ(s.badge, 0x42);
    CHECK_EQ(s.step, 1);
}

/*
 * Serves Calls on s.ep forever with ReplyRecv: replies with label + 1, MR0 +
 * MR1 in MR0, and the cap s.reply_cap if set.
 */
static void adding_server(void *arg)
{
    if (s.slot)
        sel_set_receive_path(SEL_CAP_INIT_CNODE, s.slot, SEL_WORD_BITS);
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_recv(s.ep, &badge);
    for (;;) {
        note(info, badge);
        s.step++;
        unsigned ncaps = 0;
        if (s.reply_cap) {
            sel_set_cap(0, s.reply_cap);
            ncaps = 1;
        }
        sel_set_mr(0, sel_get_mr(0) + sel_get_mr(1));
        info = sel_reply_recv(s.ep, sel_msginfo_new(sel_msginfo_label(info) + 1, 0, ncaps, 1), &badge);
    }
}

TEST(ep_reply_recv_serves_successive_calls)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, adding_server, NULL);

    static const sel_word_t args[3][2] = { { 1, 2 }, { 10, 20 }, { 100, 200 } };
    for (int i = 0; i < 3; i++) {
        sel_word_t m0 = args[i][0], m1 = args[i][1];
        sel_msginfo_t info = sel_call_mrs(s.ep, sel_msginfo_new(0x10 + i, 0, 0, 2), &m0, &m1, NULL, NULL);
        CHECK_EQ(sel_msginfo_label(info), 0x11 + i);
        CHECK_EQ(sel_msginfo_length(info), 1);
        CHECK_EQ(m0, args[i][0] + args[i][1]);
        CHECK_EQ(s.step, i + 1);
    }
}

/*
 * Sends a message of arg words (word i = i * 0x1001 + 7) with label 0x77;
 * user_data, the buffer word after msg[], holds 0xbad.
 */
static void send_long(void *arg)
{
    for (sel_word_t i = 0; i < SEL_MSG_MAX_LENGTH; i++)
        sel_set_mr((int)i, i * 0x1001 + 7);
    sel_ipc_buffer()->user_data = 0xbad;
    sel_send(s.ep, sel_msginfo_new(0x77, 0, 0, (sel_word_t)(uintptr_t)arg));
}

TEST(ep_long_message_arrives_intact)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    for (int i = 0; i < SEL_MSG_MAX_LENGTH; i++)
        sel_set_mr(i, 0xdead);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, send_long, (void *)100);
    sel_msginfo_t info = sel_recv(s.ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), 0x77);
    CHECK_EQ(sel_msginfo_length(info), 100);
    for (int i = 0; i < 100; i++)
        if (sel_get_mr(i) != (sel_word_t)i * 0x1001 + 7)
            test_fail(__FILE__, __LINE__, "word %d is 0x%lx", i, (unsigned long)sel_get_mr(i));
    CHECK_EQ(sel_get_mr(100), 0xdead);      /* nothing beyond the message is written */
}

TEST(ep_message_longer_than_maximum_is_truncated)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_ipc_buffer()->user_data = 0x5afe;
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, send_long, (void *)127);    /* the length field's maximum */
    sel_msginfo_t info = sel_recv(s.ep, NULL);
    CHECK_EQ(sel_msginfo_length(info), SEL_MSG_MAX_LENGTH);
    CHECK_EQ(sel_get_mr(SEL_MSG_MAX_LENGTH - 1), (SEL_MSG_MAX_LENGTH - 1) * 0x1001 + 7);
    CHECK_EQ(sel_ipc_buffer()->user_data, 0x5afe);  /* the words after msg[] are not message */
}

/* Sends MR0 = 100 + i through s.caps[i]. */
static void send_through_cap(void *arg)
{
    sel_word_t i = (sel_word_t)(uintptr_t)arg, m0 = 100 + i;
    sel_send_mrs(s.caps[i], sel_msginfo_new(1, 0, 0, 1), &m0, NULL, NULL, NULL);
}

TEST(ep_blocked_senders_are_served_in_order_with_their_badges)
{
    reset();
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    static const sel_word_t badges[3] = { 0xb0, 0, 0xb2 };     /* the middle one unbadged */
    sel_thread_t t[3];
    for (int i = 0; i < 3; i++) {
        s.caps[i] = badges[i] ? mint(env, ep, SEL_ALL_RIGHTS, badges[i]) : ep;
        test_thread_start(env, &t[i], HIGHER, false, send_through_cap, (void *)(uintptr_t)i);
    }
    for (int i = 0; i < 3; i++) {
        sel_word_t badge = 0xffff, m0 = 0;
        sel_recv_mrs(ep, &badge, &m0, NULL, NULL, NULL);
        CHECK_EQ(m0, 100 + i);
        CHECK_EQ(badge, badges[i]);
    }
}

/* In its own address space: serves one Call with 10 words, replying with each word doubled. */
static void doubling_server(void *arg)
{
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_recv(s.ep, &badge);
    note(info, badge);
    for (int i = 0; i < 10; i++)
        sel_set_mr(i, sel_get_mr(i) * 2);
    sel_reply(sel_msginfo_new(0x22, 0, 0, 10));
    s.step = 1;
}

TEST(ep_call_between_address_spaces)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t badged = mint(env, s.ep, SEL_READ_WRITE, 0x3);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, true, doubling_server, NULL);
    CHECK(t.vspace != SEL_CAP_INIT_VSPACE);

    for (int i = 0; i < 10; i++)
        sel_set_mr(i, 1000 + i);
    sel_msginfo_t info = sel_call(badged, sel_msginfo_new(0x21, 0, 0, 10));
    CHECK_EQ(sel_msginfo_label(info), 0x22);
    CHECK_EQ(sel_msginfo_length(info), 10);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(sel_get_mr(i), 2 * (1000 + i));
    CHECK_EQ(s.label, 0x21);
    CHECK_EQ(s.length, 10);
    CHECK_EQ(s.badge, 0x3);
    CHECK_EQ(s.mr[9], 1009);
    CHECK_EQ(s.step, 1);
}

/* Sends 8 words (MR0 = 0xfeed, MR4..MR7 = 0xf04..0xf07) through s.ep. */
static void send_from_afar(void *arg)
{
    sel_set_mr(0, 0xfeed);
    for (int i = 4; i < 8; i++)
        sel_set_mr(i, 0xf00 + i);
    sel_send(s.ep, sel_msginfo_new(0x44, 0, 0, 8));
}

TEST(ep_send_between_two_other_address_spaces)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t receiver, sender;
    /* Both below us: they run while we wait, and the receiver signals s.done when it has the message. */
    test_thread_start(env, &receiver, LOWER, true, receive_once, NULL);
    test_thread_start(env, &sender, LOWER, true, send_from_afar, NULL);
    CHECK(receiver.vspace != sender.vspace);
    sel_wait(s.done);
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0x44);
    CHECK_EQ(s.length, 8);
    CHECK_EQ(s.mr[0], 0xfeed);
    CHECK_EQ(s.mr[7], 0xf07);
}

/* Receives with MR0..MR3 in registers only, recording them (for a thread without an IPC buffer). */
static void receive_registers(void *arg)
{
    sel_word_t badge = 0, m[4] = { 0 };
    sel_msginfo_t info = sel_recv_mrs(s.ep, &badge, &m[0], &m[1], &m[2], &m[3]);
    s.label = sel_msginfo_label(info);
    s.length = sel_msginfo_length(info);
    for (int i = 0; i < 4; i++)
        s.mr[i] = m[i];
    s.step++;
}

/* As in seL4, a receiver without an IPC buffer gets only the words that travel in registers. */
TEST(ep_receiver_without_ipc_buffer_gets_register_words_only)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, receive_registers, NULL);
    CHECK_OK(sel_tcb_set_ipc_buffer(t.tcb, 0, 0));
    CHECK_OK(sel_thread_start(&t));
    for (int i = 0; i < 10; i++)
        sel_set_mr(i, 0x300 + i);
    sel_send(s.ep, sel_msginfo_new(0x13, 0, 0, 10));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0x13);
    CHECK_EQ(s.length, SEL_FAST_MESSAGE_REGISTERS);
    CHECK_EQ(s.mr[3], 0x303);
}

TEST(ep_suspended_sender_leaves_queue_and_resends_when_resumed)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, send_four_words, NULL);
    CHECK_EQ(s.step, 1);
    CHECK_OK(sel_tcb_suspend(t.tcb));
    CHECK_EQ(sel_nb_recv(s.ep, NULL).words[0], 0);     /* no longer queued */

    /* Resumed, it retries its Send with the same registers. */
    CHECK_OK(sel_tcb_resume(t.tcb));
    CHECK_EQ(s.step, 1);
    sel_word_t m0 = 0, m3 = 0;
    sel_msginfo_t info = sel_recv_mrs(s.ep, NULL, &m0, NULL, NULL, &m3);
    CHECK_EQ(sel_msginfo_label(info), 0x5a);
    CHECK_EQ(m0, 0x11);
    CHECK_EQ(m3, 0x44);
    CHECK_EQ(s.step, 2);
}

/* Calls s.ep with label 0x60 + i and keeps the reply's label in s.replies[i]. */
static void call_and_keep_reply(void *arg)
{
    int i = (int)(uintptr_t)arg;
    s.replies[i] = sel_msginfo_label(sel_call(s.ep, sel_msginfo_new(0x60 + i, 0, 0, 0)));
}

/* As in seL4, a receiver holds one reply: taking a second Call drops the first caller's. */
TEST(ep_second_call_received_replaces_pending_reply)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t a, b;
    test_thread_start(env, &a, HIGHER, false, call_and_keep_reply, (void *)0);
    test_thread_start(env, &b, HIGHER, false, call_and_keep_reply, (void *)1);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x60);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x61);
    sel_reply(sel_msginfo_new(0x70, 0, 0, 0));
    CHECK_EQ(s.replies[1], 0x70);
    sel_reply(sel_msginfo_new(0x71, 0, 0, 0));
    CHECK_EQ(s.replies[0], 0);      /* still waiting, with nobody left to answer it */
}

static void send_label(void *arg)
{
    sel_send(s.ep, sel_msginfo_new((sel_word_t)(uintptr_t)arg, 0, 0, 0));
}

/*
 * As in seL4, receiving on an endpoint drops the reply the receiver still
 * owes, whatever it receives (here a plain Send): its caller stays blocked
 * and a Reply then goes nowhere.  A non-blocking Recv that finds nothing
 * drops it too.
 */
TEST(ep_recv_drops_a_pending_reply)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t caller, sender;
    test_thread_start(env, &caller, HIGHER, false, call_and_keep_reply, (void *)0);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x60);       /* we owe it a reply */
    test_thread_start(env, &sender, HIGHER, false, send_label, (void *)0x33);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x33);       /* a Send: the reply is gone */
    sel_reply(sel_msginfo_new(0x70, 0, 0, 0));
    CHECK_EQ(s.replies[0], 0);                                      /* the caller heard nothing */

    sel_thread_t second;
    test_thread_start(env, &second, HIGHER, false, call_and_keep_reply, (void *)1);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x61);
    CHECK_EQ(sel_nb_recv(s.ep, NULL).words[0], 0);                  /* nothing there, and the reply is gone */
    sel_reply(sel_msginfo_new(0x71, 0, 0, 0));
    CHECK_EQ(s.replies[1], 0);
    CHECK_EQ(s.replies[0], 0);
}

/* Waiting on a notification is no receive on the endpoint: the reply is kept (as in seL4). */
TEST(ep_wait_on_a_notification_keeps_a_pending_reply)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t caller;
    test_thread_start(env, &caller, HIGHER, false, call_and_keep_reply, (void *)0);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x60);
    sel_signal(ntfn);
    CHECK_EQ(sel_wait(ntfn), 0);   /* (an unbadged signal) */
    CHECK_EQ(sel_poll(ntfn), 0);
    sel_reply(sel_msginfo_new(0x72, 0, 0, 0));
    CHECK_EQ(s.replies[0], 0x72);
}

TEST(ep_nb_recv_of_call_can_reply)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, call_and_keep_reply, (void *)0);
    CHECK_EQ(sel_msginfo_label(sel_nb_recv(s.ep, NULL)), 0x60);
    sel_reply(sel_msginfo_new(0x61, 0, 0, 0));
    CHECK_EQ(s.replies[0], 0x61);
}

/* Deleting a caller that waits for our reply takes the reply away: replying is harmless. */
TEST(ep_reply_after_caller_deleted_does_nothing)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t a, b;
    test_thread_start(env, &a, HIGHER, false, call_and_keep_reply, (void *)0);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x60);
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, a.tcb, SEL_WORD_BITS));
    sel_reply(sel_msginfo_new(0x70, 0, 0, 0));
    CHECK_EQ(s.replies[0], 0);

    /* The endpoint and the Call/Reply machinery still work. */
    test_thread_start(env, &b, HIGHER, false, call_and_keep_reply, (void *)1);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x61);
    sel_reply(sel_msginfo_new(0x71, 0, 0, 0));
    CHECK_EQ(s.replies[1], 0x71);
}

/* Receives a Call on s.caps[0], adds 1000 to MR0 by calling the adding server on s.ep, replies. */
static void forwarding_server(void *arg)
{
    sel_word_t m0 = 0, m1 = 1000;
    sel_recv_mrs(s.caps[0], NULL, &m0, NULL, NULL, NULL);
    sel_msginfo_t info = sel_call_mrs(s.ep, sel_msginfo_new(0x50, 0, 0, 2), &m0, &m1, NULL, NULL);
    sel_set_mr(0, m0);
    sel_reply(sel_msginfo_new(sel_msginfo_label(info) + 1, 0, 0, 1));
}

/* A server that makes a Call of its own before replying still answers its caller. */
TEST(ep_nested_call_keeps_pending_reply)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.caps[0] = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t inner, outer;
    test_thread_start(env, &inner, HIGHER, false, adding_server, NULL);
    test_thread_start(env, &outer, HIGHER, false, forwarding_server, NULL);
    sel_word_t m0 = 7;
    sel_msginfo_t info = sel_call_mrs(s.caps[0], sel_msginfo_new(0x1, 0, 0, 1), &m0, NULL, NULL, NULL);
    CHECK_EQ(sel_msginfo_label(info), 0x52);
    CHECK_EQ(m0, 1007);
}

/* 100 Call/ReplyRecv round trips with the server on the other hart. */
TEST(ep_calls_to_server_on_other_hart)
{
    reset();
    if (env->bi->num_harts < 2)
        return;
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, adding_server, NULL);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    for (sel_word_t i = 0; i < 100; i++) {
        sel_word_t m0 = i, m1 = 3 * i;
        sel_msginfo_t info = sel_call_mrs(s.ep, sel_msginfo_new(0x20, 0, 0, 2), &m0, &m1, NULL, NULL);
        CHECK_EQ(sel_msginfo_label(info), 0x21);
        CHECK_EQ(m0, 4 * i);
    }
    CHECK_EQ(s.step, 100);
}

/* ---- capability transfer ---- */

TEST(ep_grant_transfers_cap_to_receive_slot)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged_ntfn = mint(env, ntfn, SEL_ALL_RIGHTS, 0x8);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);

    sel_set_cap(0, badged_ntfn);
    sel_set_mr(0, 0x1);
    sel_send(s.ep, sel_msginfo_new(0x9, 0, 1, 1));     /* s.ep is the original cap: all rights */
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0x9);
    CHECK_EQ(s.mr[0], 0x1);
    CHECK_EQ(s.extra_caps, 1);
    CHECK_EQ(s.unwrapped, 0);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NOTIFICATION);
    CHECK_EQ(sel_debug_cap_identify(badged_ntfn), SEL_CAP_TYPE_NOTIFICATION);  /* copied, not moved */
    /* It is the same notification with the same badge. */
    sel_signal(s.slot);
    CHECK_EQ(sel_poll(ntfn), 0x8);
}

TEST(ep_send_without_grant_drops_caps)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_cptr_t no_grant = mint(env, s.ep, SEL_READ_WRITE | SEL_CAN_GRANT_REPLY, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);

    sel_set_cap(0, ntfn);
    sel_set_mr(0, 0x2);
    sel_send(no_grant, sel_msginfo_new(0xa, 0, 1, 1));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0xa);         /* the message itself arrives */
    CHECK_EQ(s.mr[0], 0x2);
    CHECK_EQ(s.extra_caps, 0);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NULL);
}

TEST(ep_call_without_grant_carrying_caps_delivers_message_only)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_cptr_t no_grant = mint(env, s.ep, SEL_READ_WRITE, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, adding_server, NULL);

    sel_set_cap(0, ntfn);
    sel_word_t m0 = 5, m1 = 6;
    sel_msginfo_t info = sel_call_mrs(no_grant, sel_msginfo_new(0x40, 0, 1, 2), &m0, &m1, NULL, NULL);
    CHECK_EQ(sel_msginfo_label(info), 0x41);       /* a normal reply, not an error */
    CHECK_EQ(m0, 11);
    CHECK_EQ(s.extra_caps, 0);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NULL);
}

/*
 * Without Grant, caps stay behind in a long message too (whose words go
 * through the IPC buffers, where the caps would be); with Grant the same
 * message carries its cap.
 */
TEST(ep_send_without_grant_in_a_long_message_drops_caps)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_cptr_t no_grant = mint(env, s.ep, SEL_READ_WRITE | SEL_CAN_GRANT_REPLY, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);
    sel_set_cap(0, ntfn);
    for (int i = 0; i < 10; i++)
        sel_set_mr(i, 0x900 + (sel_word_t)i);
    sel_send(no_grant, sel_msginfo_new(0xb, 0, 1, 10));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0xb);
    CHECK_EQ(s.length, 10);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(s.mr[i], 0x900 + (sel_word_t)i);
    CHECK_EQ(s.extra_caps, 0);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NULL);

    sel_thread_t again;
    test_thread_start(env, &again, HIGHER, false, receive_once, NULL);
    sel_set_cap(0, ntfn);
    for (int i = 0; i < 10; i++)
        sel_set_mr(i, 0xa00 + (sel_word_t)i);
    sel_send(s.ep, sel_msginfo_new(0xc, 0, 1, 10));
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.length, 10);
    CHECK_EQ(s.mr[9], 0xa09);
    CHECK_EQ(s.extra_caps, 1);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NOTIFICATION);
}

TEST(ep_cap_to_same_endpoint_arrives_as_badge)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_cptr_t badged = mint(env, s.ep, SEL_ALL_RIGHTS, 0x777);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);

    sel_set_cap(0, badged);
    sel_send(s.ep, sel_msginfo_new(0xb, 0, 1, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.extra_caps, 1);
    CHECK_EQ(s.unwrapped, 1);       /* bit 0: cap 0 was unwrapped */
    CHECK_EQ(s.unwrapped_badges[0], 0x777);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NULL);
}

TEST(ep_cap_not_transferred_into_occupied_receive_slot)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_object(env, SEL_ENDPOINT_OBJECT, 0);     /* the receive slot already holds a cap */
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);

    sel_set_cap(0, ntfn);
    sel_send(s.ep, sel_msginfo_new(0xc, 0, 1, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0xc);
    CHECK_EQ(s.extra_caps, 0);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_ENDPOINT);
}

TEST(ep_cap_not_transferred_without_receive_path)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);     /* s.slot 0: no receive path */

    sel_set_cap(0, ntfn);
    sel_send(s.ep, sel_msginfo_new(0xd, 0, 1, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0xd);
    CHECK_EQ(s.extra_caps, 0);
}

TEST(ep_at_most_one_cap_is_transferred)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t other_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);

    sel_set_cap(0, ntfn);
    sel_set_cap(1, other_ep);
    sel_send(s.ep, sel_msginfo_new(0xe, 0, 2, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.extra_caps, 1);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NOTIFICATION);
}

/* A transferred cap, then an unwrapped one: both count, and bit 1 marks the unwrapped one. */
TEST(ep_transferred_and_unwrapped_caps_in_one_message)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, s.ep, SEL_ALL_RIGHTS, 0x31);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, receive_once, NULL);

    sel_set_cap(0, ntfn);
    sel_set_cap(1, badged);
    sel_send(s.ep, sel_msginfo_new(0xf, 0, 2, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.extra_caps, 2);
    CHECK_EQ(s.unwrapped, 2);
    CHECK_EQ(s.unwrapped_badges[1], 0x31);
    CHECK_EQ(sel_debug_cap_identify(s.slot), SEL_CAP_TYPE_NOTIFICATION);
}

/* Calls the adding server through cap, ready to receive a cap in slot; returns the caps that arrived. */
static sel_word_t call_for_cap(sel_cptr_t cap, sel_cptr_t slot)
{
    sel_set_receive_path(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS);
    sel_msginfo_t info = sel_call(cap, sel_msginfo_new(0x50, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), 0x51);
    return sel_msginfo_extra_caps(info);
}

TEST(ep_reply_carries_cap_when_caller_has_grant_or_grant_reply)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.reply_cap = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, adding_server, NULL);

    sel_cptr_t grant_reply = mint(env, s.ep, SEL_CAN_WRITE | SEL_CAN_GRANT_REPLY, 0);
    sel_cptr_t slot = test_slot(env);
    CHECK_EQ(call_for_cap(grant_reply, slot), 1);
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_NOTIFICATION);

    sel_cptr_t grant = mint(env, s.ep, SEL_CAN_WRITE | SEL_CAN_GRANT, 0);
    slot = test_slot(env);
    CHECK_EQ(call_for_cap(grant, slot), 1);
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_NOTIFICATION);
}

TEST(ep_reply_carries_no_cap_without_grant_rights)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.reply_cap = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, adding_server, NULL);

    sel_cptr_t write_only = mint(env, s.ep, SEL_CAN_WRITE, 0);
    sel_cptr_t slot = test_slot(env);
    CHECK_EQ(call_for_cap(write_only, slot), 0);
    CHECK_EQ(sel_debug_cap_identify(slot), SEL_CAP_TYPE_NULL);
}

/* ---- error paths ---- */

TEST(ep_call_without_write_right_is_invalid_capability)
{
    reset();
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t read_only = mint(env, ep, SEL_CAN_READ | SEL_CAN_GRANT, 0);
    sel_set_mr(0, 0x55);
    sel_msginfo_t info = sel_call(read_only, sel_msginfo_new(1, 0, 0, 1));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_msginfo_length(info), 1);
    CHECK_EQ(sel_get_mr(0), 0);     /* the invoked cap */
}

TEST(ep_call_on_empty_slot_is_failed_lookup)
{
    reset();
    sel_cptr_t empty = test_slot(env);
    sel_msginfo_t info = sel_call(empty, sel_msginfo_new(1, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_msginfo_length(info), 2);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_MISSING_CAPABILITY);

    /* A CPtr whose top bits do not match the root CNode's zero guard. */
    info = sel_call(1ull << 63, sel_msginfo_new(1, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_FAILED_LOOKUP);
    CHECK_EQ(sel_get_mr(1), SEL_LOOKUP_GUARD_MISMATCH);
}

/* Calls s.ep twice, keeping the two replies' labels. */
static void call_twice(void *arg)
{
    s.replies[0] = sel_msginfo_label(sel_call(s.ep, sel_msginfo_new(1, 0, 0, 0)));
    s.replies[1] = sel_msginfo_label(sel_call(s.ep, sel_msginfo_new(2, 0, 0, 0)));
    s.step = 1;
}

TEST(ep_reply_with_nobody_to_reply_to_does_nothing)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_reply(sel_msginfo_new(0x99, 0, 0, 0));     /* nobody ever called us */

    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, call_twice, NULL);
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 1);
    sel_reply(sel_msginfo_new(0x10, 0, 0, 0));
    /* The caller took the reply and is now blocked in its second Call, not yet received. */
    CHECK_EQ(s.replies[0], 0x10);
    sel_reply(sel_msginfo_new(0x20, 0, 0, 0));     /* that Call was answered already */
    CHECK_EQ(s.step, 0);
    CHECK_EQ(s.replies[1], 0);

    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 2);
    sel_reply(sel_msginfo_new(0x30, 0, 0, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.replies[1], 0x30);
}

/* Checks that a cap fault from a thread arrived on fault_ep: cptr, receive phase, lookup failure. */
static void check_cap_fault(sel_cptr_t fault_ep, sel_word_t cptr, sel_word_t in_recv, sel_word_t failure)
{
    sel_word_t badge = 0xffff;
    sel_msginfo_t info = sel_recv(fault_ep, &badge);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_CAP);
    CHECK_EQ(sel_msginfo_length(info), SEL_CAP_FAULT_LENGTH);
    CHECK_EQ(badge, 0);
    /* The pc is that of the ecall, so that a restart retries the syscall. */
    CHECK_EQ(*(const uint32_t *)(uintptr_t)sel_get_mr(SEL_CAP_FAULT_PC), 0x00000073);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_ADDR), cptr);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_IN_RECV), in_recv);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_LOOKUP), failure);
}

static void send_to_slot(void *arg)
{
    sel_send(s.slot, sel_msginfo_new(0x21, 0, 0, 0));
    s.step = 1;
}

TEST(ep_send_on_empty_slot_raises_cap_fault)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, send_to_slot);
    check_cap_fault(fault_ep, s.slot, 0, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(s.step, 0);
}

TEST(ep_send_without_write_right_raises_cap_fault)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = mint(env, ep, SEL_CAN_READ | SEL_CAN_GRANT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, send_to_slot);
    check_cap_fault(fault_ep, s.slot, 0, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(s.step, 0);
    CHECK_EQ(sel_nb_recv(ep, NULL).words[0], 0);    /* nothing was sent */
}

static void nb_send_to_slot(void *arg)
{
    sel_nb_send(s.slot, sel_msginfo_new(0x21, 0, 0, 0));
    s.step = 1;
}

/* As in seL4, a non-blocking send is never a fault: it just does nothing. */
TEST(ep_nb_send_on_empty_slot_does_nothing)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, nb_send_to_slot);
    CHECK_EQ(s.step, 1);
    sel_word_t badge = 0;
    CHECK_EQ(sel_nb_recv(fault_ep, &badge).words[0], 0);   /* no fault message */
}

static void recv_on_slot(void *arg)
{
    sel_recv(s.slot, NULL);
    s.step = 1;
}

static void nb_recv_on_slot(void *arg)
{
    sel_nb_recv(s.slot, NULL);
    s.step = 1;
}

TEST(ep_recv_without_read_right_raises_cap_fault)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = mint(env, ep, SEL_CAN_WRITE | SEL_CAN_GRANT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, recv_on_slot);
    check_cap_fault(fault_ep, s.slot, 1, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(s.step, 0);
}

TEST(ep_nb_recv_on_empty_slot_raises_cap_fault)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_slot(env);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, nb_recv_on_slot);
    check_cap_fault(fault_ep, s.slot, 1, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(s.step, 0);
}

static void recv_on_unresolvable_cptr(void *arg)
{
    sel_recv(1ull << 63, NULL);
    s.step = 1;
}

/* The top bit does not match the root CNode's zero guard: the fault names the lookup failure. */
TEST(ep_recv_on_unresolvable_cptr_reports_lookup_failure)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, recv_on_unresolvable_cptr);
    check_cap_fault(fault_ep, 1ull << 63, 1, SEL_LOOKUP_GUARD_MISMATCH);
    CHECK_EQ(s.step, 0);
}

/* ---- deleting an endpoint under blocked threads ---- */

/*
 * The receiver restarts its Recv, which now names an empty slot: a cap fault
 * in the receive phase shows that it re-executed the syscall.
 */
TEST(ep_deleting_last_cap_restarts_blocked_receiver)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, HIGHER, fault_ep, recv_on_slot);
    CHECK_EQ(s.step, 0);    /* blocked in Recv */

    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, s.slot, SEL_WORD_BITS));
    check_cap_fault(fault_ep, s.slot, 1, SEL_LOOKUP_MISSING_CAPABILITY);
    CHECK_EQ(s.step, 0);
}

static void call_slot(void *arg)
{
    sel_word_t m0 = 0x1234;
    sel_msginfo_t info = sel_call_mrs(s.slot, sel_msginfo_new(0x66, 0, 0, 1), &m0, NULL, NULL, NULL);
    s.label = sel_msginfo_label(info);
    s.step = 1;
}

/* The caller restarts its Call, which now fails the lookup and returns at once. */
TEST(ep_deleting_last_cap_restarts_blocked_caller)
{
    reset();
    s.slot = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, call_slot, NULL);
    CHECK_EQ(s.step, 0);    /* blocked in Call */

    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, s.slot, SEL_WORD_BITS));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, SEL_FAILED_LOOKUP);
}

TEST(ep_deleting_a_copy_leaves_blocked_caller_waiting)
{
    reset();
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = mint(env, ep, SEL_ALL_RIGHTS, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, call_slot, NULL);
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, ep, SEL_WORD_BITS));
    CHECK_EQ(s.step, 0);    /* the endpoint lives on through the copy */

    sel_word_t m0 = 0;
    sel_msginfo_t info = sel_recv_mrs(s.slot, NULL, &m0, NULL, NULL, NULL);
    CHECK_EQ(sel_msginfo_label(info), 0x66);     /* the original Call, not a restarted one */
    CHECK_EQ(m0, 0x1234);
    sel_reply(sel_msginfo_new(0x67, 0, 0, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0x67);
}
