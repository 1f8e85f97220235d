/*
 * Notifications: Signal, Wait, Poll, badges, the waiter queue, rights, and
 * notifications bound to a thread (BindNotification/UnbindNotification),
 * which wake that thread while it waits in Recv on an endpoint.
 *
 * Helper threads run at TEST_PRIORITY + 1, so they run as soon as they are
 * started or woken and the test continues only when they block or finish.
 */
#include "test.h"

#include <string.h>

#define HIGHER (TEST_PRIORITY + 1)

static struct {
    sel_cptr_t ntfn, ep, slot;
    volatile int step;
    sel_word_t word, label, badge, mr0;
    sel_word_t order[2];
    volatile int count;
} s;

static void reset(void) { memset(&s, 0, sizeof(s)); }

static sel_cptr_t mint(struct test_env *env, sel_cptr_t src, sel_rights_t rights, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, src, SEL_WORD_BITS,
                            rights, badge));
    return slot;
}

static void start_with_fault_ep(struct test_env *env, sel_thread_t *t, sel_cptr_t fault_ep, sel_thread_fn fn)
{
    CHECK_OK(sel_thread_create(env->alloc, t, false, HIGHER, fault_ep, fn, NULL));
    CHECK_OK(sel_thread_start(t));
}

/* Checks that a cap fault arrived on fault_ep for cptr. */
static void check_cap_fault(sel_cptr_t fault_ep, sel_word_t cptr, sel_word_t in_recv)
{
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_CAP);
    CHECK_EQ(sel_msginfo_length(info), SEL_CAP_FAULT_LENGTH);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_ADDR), cptr);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_IN_RECV), in_recv);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_LOOKUP), SEL_LOOKUP_MISSING_CAPABILITY);
}

/* Waits on s.ntfn, records the word in s.order[] by arrival. */
static void wait_once(void *arg)
{
    s.step = 1;
    sel_word_t word = sel_wait(s.ntfn);
    s.order[s.count++] = (sel_word_t)(uintptr_t)arg;
    s.word = word;
    s.step = 2;
}

TEST(ntfn_signal_then_wait_returns_badge)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x10);
    sel_signal(badged);
    CHECK_EQ(sel_wait(ntfn), 0x10);
    CHECK_EQ(sel_poll(ntfn), 0);    /* Wait cleared the word */
}

TEST(ntfn_signals_accumulate_as_or_of_badges)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t a = mint(env, ntfn, SEL_ALL_RIGHTS, 0x1);
    sel_cptr_t b = mint(env, ntfn, SEL_ALL_RIGHTS, 0x4);
    sel_cptr_t c = mint(env, ntfn, SEL_ALL_RIGHTS, 0x30);
    sel_signal(a);
    sel_signal(b);
    sel_signal(c);
    sel_signal(b);
    CHECK_EQ(sel_wait(ntfn), 0x35);
}

TEST(ntfn_wait_blocks_until_signalled)
{
    reset();
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, s.ntfn, SEL_ALL_RIGHTS, 0x3);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, wait_once, NULL);
    CHECK_EQ(s.step, 1);    /* blocked in Wait */
    sel_signal(badged);
    CHECK_EQ(s.step, 2);    /* woken, and being higher it ran at once */
    CHECK_EQ(s.word, 0x3);
    CHECK_EQ(sel_poll(s.ntfn), 0);  /* the signal went to the waiter, not into the word */
}

TEST(ntfn_unbadged_signal_still_wakes_waiter)
{
    reset();
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread_start(env, &t, HIGHER, false, wait_once, NULL);
    CHECK_EQ(s.step, 1);
    sel_signal(s.ntfn);
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.word, 0);
}

/* Even a signal with badge 0 leaves the notification signalled: the next Wait returns at once. */
TEST(ntfn_unbadged_signal_is_remembered)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_signal(ntfn);
    CHECK_EQ(sel_wait(ntfn), 0);    /* would block for good if the signal had been lost */
}

TEST(ntfn_poll_does_not_block)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x20);
    CHECK_EQ(sel_poll(ntfn), 0);
    sel_signal(badged);
    CHECK_EQ(sel_poll(ntfn), 0x20);
    CHECK_EQ(sel_poll(ntfn), 0);
}

TEST(ntfn_waiters_are_woken_in_order)
{
    reset();
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t one = mint(env, s.ntfn, SEL_ALL_RIGHTS, 0x1);
    sel_thread_t first, second;
    test_thread_start(env, &first, HIGHER, false, wait_once, (void *)1);
    test_thread_start(env, &second, HIGHER, false, wait_once, (void *)2);
    CHECK_EQ(s.count, 0);

    sel_signal(one);
    CHECK_EQ(s.count, 1);
    CHECK_EQ(s.order[0], 1);
    sel_signal(one);
    CHECK_EQ(s.count, 2);
    CHECK_EQ(s.order[1], 2);
}

TEST(ntfn_call_without_write_right_is_invalid_capability)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t read_only = mint(env, ntfn, SEL_CAN_READ, 0x2);
    sel_msginfo_t info = sel_call(read_only, sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
    CHECK_EQ(sel_poll(ntfn), 0);    /* nothing was signalled */
}

static void signal_slot(void *arg)
{
    sel_signal(s.slot);
    s.step = 1;
}

TEST(ntfn_signal_without_write_right_raises_cap_fault)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.slot = mint(env, ntfn, SEL_CAN_READ, 0x2);
    sel_thread_t t;
    start_with_fault_ep(env, &t, fault_ep, signal_slot);
    check_cap_fault(fault_ep, s.slot, 0);
    CHECK_EQ(s.step, 0);
    CHECK_EQ(sel_poll(ntfn), 0);
}

static void wait_slot(void *arg)
{
    s.word = sel_wait(s.slot);
    s.step = 1;
}

TEST(ntfn_wait_without_read_right_raises_cap_fault)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.slot = mint(env, ntfn, SEL_CAN_WRITE, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, fault_ep, wait_slot);
    check_cap_fault(fault_ep, s.slot, 1);
    CHECK_EQ(s.step, 0);
}

TEST(ntfn_deleting_last_cap_restarts_waiter)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    start_with_fault_ep(env, &t, fault_ep, wait_slot);
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, s.slot, SEL_WORD_BITS));
    /* It re-executed its Wait on the now empty slot. */
    check_cap_fault(fault_ep, s.slot, 1);
    CHECK_EQ(s.step, 0);
}

TEST(ntfn_call_signals_and_returns_no_error)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x11);
    sel_msginfo_t info = sel_call(badged, sel_msginfo_new(0x9, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_NO_ERROR);
    CHECK_EQ(sel_poll(ntfn), 0x11);
}

#define PING_PONG_ROUNDS 100

/* On the other hart: waits for a ping on s.ntfn (badge 1), counts it, signals s.slot. */
static void pong(void *arg)
{
    for (int i = 0; i < PING_PONG_ROUNDS; i++) {
        sel_word_t word = sel_wait(s.ntfn);
        CHECK_EQ(word, 0x1);
        s.count++;
        sel_signal(s.slot);
    }
}

TEST(ntfn_ping_pong_across_harts)
{
    reset();
    if (env->bi->num_harts < 2)
        return;
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t ping = mint(env, s.ntfn, SEL_ALL_RIGHTS, 0x1);
    sel_cptr_t pong_ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.slot = mint(env, pong_ntfn, SEL_ALL_RIGHTS, 0x2);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, pong, NULL);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    for (int i = 0; i < PING_PONG_ROUNDS; i++) {
        sel_signal(ping);
        CHECK_EQ(sel_wait(pong_ntfn), 0x2);
        CHECK_EQ(s.count, i + 1);
    }
}

/* ---- bound notifications ---- */

static void idle(void *arg) {}

TEST(ntfn_wait_on_notification_bound_to_another_thread_faults)
{
    reset();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t owner, other;
    test_thread(env, &owner, HIGHER, false, idle, NULL);   /* never started */
    CHECK_OK(sel_tcb_bind_notification(owner.tcb, s.slot));
    start_with_fault_ep(env, &other, fault_ep, wait_slot);
    check_cap_fault(fault_ep, s.slot, 1);
    CHECK_EQ(s.step, 0);
}

/* Receives on s.ep (a bound notification may answer instead), twice; the badges go in s.order[]. */
static void recv_twice(void *arg)
{
    for (int i = 0; i < 2; i++) {
        sel_word_t badge = 0, m0 = 0;
        sel_msginfo_t info = sel_recv_mrs(s.ep, &badge, &m0, NULL, NULL, NULL);
        s.label = sel_msginfo_label(info);
        s.badge = badge;
        s.mr0 = m0;
        s.order[i] = badge;
        s.step++;
    }
}

TEST(bound_ntfn_signal_wakes_thread_in_endpoint_recv)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x40);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, recv_twice, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    CHECK_OK(sel_thread_start(&t));
    CHECK_EQ(s.step, 0);    /* blocked in Recv on the endpoint */

    sel_signal(badged);
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.badge, 0x40);
    CHECK_EQ(s.label, 0);

    /* It is back in Recv on the endpoint (the signal was consumed, not left pending), which still works. */
    sel_word_t m0 = 0x99;
    sel_send_mrs(s.ep, sel_msginfo_new(0x5, 0, 0, 1), &m0, NULL, NULL, NULL);
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.label, 0x5);
    CHECK_EQ(s.mr0, 0x99);
    CHECK_EQ(s.badge, 0);
}

TEST(bound_ntfn_pending_signal_is_delivered_at_next_recv)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x81);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, recv_twice, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    sel_signal(badged);             /* before it receives */
    CHECK_OK(sel_thread_start(&t));
    /* Its first Recv returned at once with the signal; the second waits. */
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.badge, 0x81);
    CHECK_EQ(s.label, 0);
    sel_send(s.ep, sel_msginfo_new(0x6, 0, 0, 0));
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.label, 0x6);
}

static void send_label_8(void *arg) { sel_send(s.ep, sel_msginfo_new(0x8, 0, 0, 0)); }

/* As in seL4, a pending signal is delivered before a waiting sender's message. */
TEST(bound_ntfn_pending_signal_comes_before_waiting_sender)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x21);
    sel_thread_t sender, t;
    test_thread_start(env, &sender, HIGHER, false, send_label_8, NULL);    /* now blocked in Send */
    test_thread(env, &t, HIGHER, false, recv_twice, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    sel_signal(badged);
    CHECK_OK(sel_thread_start(&t));
    /* Both Recvs returned: the signal first, then the message. */
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.label, 0x8);
    CHECK_EQ(s.badge, 0);
    CHECK_EQ(s.order[0], 0x21);
}

TEST(bound_thread_can_wait_on_its_own_notification)
{
    reset();
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, s.ntfn, SEL_ALL_RIGHTS, 0x9);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, wait_once, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, s.ntfn));
    CHECK_OK(sel_thread_start(&t));
    CHECK_EQ(s.step, 1);
    sel_signal(badged);
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.word, 0x9);
}

TEST(bound_ntfn_unbind_stops_wakeups)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x2);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, recv_twice, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    CHECK_OK(sel_tcb_unbind_notification(t.tcb));
    CHECK_OK(sel_thread_start(&t));
    CHECK_EQ(s.step, 0);

    sel_signal(badged);
    CHECK_EQ(s.step, 0);            /* not woken */
    CHECK_EQ(sel_poll(ntfn), 0x2);  /* the signal stayed in the notification */
    sel_send(s.ep, sel_msginfo_new(0x7, 0, 0, 0));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.label, 0x7);
    /* Unbound, the notification may be bound again (here to the test thread). */
    CHECK_OK(sel_tcb_bind_notification(env->tcb, ntfn));
}

TEST(bound_ntfn_bind_twice_is_illegal)
{
    reset();
    sel_cptr_t a = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t b = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, idle, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, a));
    CHECK_ERR(sel_tcb_bind_notification(t.tcb, b), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_tcb_bind_notification(t.tcb, a), SEL_ILLEGAL_OPERATION);
}

TEST(bound_ntfn_bound_elsewhere_cannot_be_bound)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t a, b;
    test_thread(env, &a, HIGHER, false, idle, NULL);
    test_thread(env, &b, HIGHER, false, idle, NULL);
    CHECK_OK(sel_tcb_bind_notification(a.tcb, ntfn));
    CHECK_ERR(sel_tcb_bind_notification(b.tcb, ntfn), SEL_ILLEGAL_OPERATION);
    CHECK_ERR(sel_tcb_unbind_notification(b.tcb), SEL_ILLEGAL_OPERATION);  /* b got nothing */
}

TEST(bound_ntfn_unbind_when_not_bound_is_illegal)
{
    reset();
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, idle, NULL);
    CHECK_ERR(sel_tcb_unbind_notification(t.tcb), SEL_ILLEGAL_OPERATION);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    CHECK_OK(sel_tcb_unbind_notification(t.tcb));
    CHECK_ERR(sel_tcb_unbind_notification(t.tcb), SEL_ILLEGAL_OPERATION);
}

TEST(bound_ntfn_with_waiters_cannot_be_bound)
{
    reset();
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t waiter, t;
    test_thread_start(env, &waiter, HIGHER, false, wait_once, NULL);
    CHECK_EQ(s.step, 1);    /* waiting */
    test_thread(env, &t, HIGHER, false, idle, NULL);
    CHECK_ERR(sel_tcb_bind_notification(t.tcb, s.ntfn), SEL_ILLEGAL_OPERATION);
}

TEST(bound_ntfn_bind_needs_read_right)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t write_only = mint(env, ntfn, SEL_CAN_WRITE, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, idle, NULL);
    CHECK_ERR(sel_tcb_bind_notification(t.tcb, write_only), SEL_ILLEGAL_OPERATION);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
}

/* Calls s.ep, then receives on the endpoint s.slot; records both. */
static void call_then_recv(void *arg)
{
    s.label = sel_msginfo_label(sel_call(s.ep, sel_msginfo_new(0x1, 0, 0, 0)));
    s.step = 1;
    sel_word_t badge = 0;
    s.word = sel_msginfo_label(sel_recv(s.slot, &badge));
    s.badge = badge;
    s.step = 2;
}

/* A signal wakes a bound thread only from Recv: one waiting for a reply keeps waiting. */
TEST(bound_ntfn_does_not_interrupt_call)
{
    reset();
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.slot = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, ntfn, SEL_ALL_RIGHTS, 0x4);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, call_then_recv, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    CHECK_OK(sel_thread_start(&t));
    CHECK_EQ(sel_msginfo_label(sel_recv(s.ep, NULL)), 0x1);     /* it now waits for our reply */

    sel_signal(badged);
    CHECK_EQ(s.step, 0);
    sel_reply(sel_msginfo_new(0x2, 0, 0, 0));
    CHECK_EQ(s.label, 0x2);
    /* Its next Recv found the signal pending. */
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.badge, 0x4);
    CHECK_EQ(s.word, 0);
}

/* On the other hart: receives once on s.ep (a bound notification may answer), then signals s.ntfn. */
static void recv_once_and_report(void *arg)
{
    sel_word_t badge = 0;
    s.label = sel_msginfo_label(sel_recv(s.ep, &badge));
    s.badge = badge;
    s.step = 1;
    sel_signal(s.ntfn);
}

TEST(bound_ntfn_wakes_thread_on_other_hart)
{
    reset();
    if (env->bi->num_harts < 2)
        return;
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t bound = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t badged = mint(env, bound, SEL_ALL_RIGHTS, 0x100);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, recv_once_and_report, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, bound));
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    sel_signal(badged);
    sel_wait(s.ntfn);
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.badge, 0x100);
    CHECK_EQ(s.label, 0);
}

TEST(bound_ntfn_deleting_notification_unbinds_thread)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, idle, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS));
    CHECK_ERR(sel_tcb_unbind_notification(t.tcb), SEL_ILLEGAL_OPERATION);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, test_object(env, SEL_NOTIFICATION_OBJECT, 0)));
}

TEST(bound_ntfn_deleting_thread_unbinds_notification)
{
    reset();
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t, other;
    test_thread(env, &t, HIGHER, false, idle, NULL);
    test_thread(env, &other, HIGHER, false, idle, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, t.tcb, SEL_WORD_BITS));
    CHECK_OK(sel_tcb_bind_notification(other.tcb, ntfn));
}

/* ---- alarms ---------------------------------------------------------------------------- */

static sel_word_t ms(sel_word_t n) { return sel_get_bootinfo()->timebase_frequency / 1000 * n; }

TEST(ntfn_alarm_signals_its_badge_at_the_deadline)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_word_t start = sel_time_now();
    CHECK_OK(sel_notification_set_alarm(ntfn, start + ms(10), 0x40));
    CHECK_EQ(sel_poll(ntfn), 0);          /* not yet */
    CHECK_EQ(sel_wait(ntfn), 0x40);
    sel_word_t now = sel_time_now();
    CHECK(now >= start + ms(10));
    CHECK(now < start + ms(500));         /* within a tick or so; generous for a loaded host */
    CHECK_EQ(sel_poll(ntfn), 0);          /* once only */
}

TEST(ntfn_alarm_in_the_past_fires_at_once_and_ors_with_signals)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_signal(mint(env, ntfn, SEL_CAN_WRITE, 0x1));
    CHECK_OK(sel_notification_set_alarm(ntfn, 1, 0x8));
    CHECK_EQ(sel_poll(ntfn), 0x9);
}

/*
 * An alarm moved before its deadline fires at the new one only; one
 * cancelled never fires.  The word shows it: an old alarm that fired too
 * would have ORed its badge in.  A try where the host took so long that
 * the first deadline may have come before the move or the cancel proves
 * nothing, and is tried again.
 */
TEST(ntfn_alarm_moved_or_cancelled)
{
    sel_cptr_t a, b;
    sel_word_t start;
    for (int attempt = 0;; attempt++) {
        CHECK(attempt < 20);
        a = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
        b = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
        start = sel_time_now();
        CHECK_OK(sel_notification_set_alarm(a, start + ms(5), 0x1));
        CHECK_OK(sel_notification_set_alarm(b, start + ms(20), 0x2));
        CHECK_OK(sel_notification_set_alarm(a, start + ms(40), 0x4));   /* moved after b, new badge */
        if (sel_time_now() < start + ms(4))
            break;
    }
    CHECK_EQ(sel_wait(b), 0x2);
    CHECK_EQ(sel_wait(a), 0x4);           /* not 0x5: the first deadline did not fire */
    CHECK(sel_time_now() >= start + ms(40));
    for (int attempt = 0;; attempt++) {
        CHECK(attempt < 20);
        start = sel_time_now();
        CHECK_OK(sel_notification_set_alarm(a, start + ms(5), 0x1));
        CHECK_OK(sel_notification_set_alarm(a, 0, 0));                  /* cancelled */
        if (sel_time_now() < start + ms(4))
            break;
        sel_poll(a);
    }
    CHECK_OK(sel_notification_set_alarm(b, sel_time_now() + ms(15), 0x2));
    CHECK_EQ(sel_wait(b), 0x2);
    CHECK_EQ(sel_poll(a), 0);
}

TEST(ntfn_alarm_of_a_deleted_notification_is_gone)
{
    sel_cptr_t a = test_object(env, SEL_NOTIFICATION_OBJECT, 0), b = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_word_t start = sel_time_now();
    CHECK_OK(sel_notification_set_alarm(a, start + ms(5), 0x1));
    CHECK_OK(sel_notification_set_alarm(b, start + ms(15), 0x2));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, a, SEL_WORD_BITS));   /* its memory could be reused now */
    CHECK_EQ(sel_wait(b), 0x2);                                         /* the list survived */
}

TEST(ntfn_alarm_errors)
{
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_ERR(sel_notification_set_alarm(mint(env, ntfn, SEL_CAN_READ, 0), 1, 1), SEL_INVALID_CAPABILITY);
    /* One word only: truncated. */
    sel_set_mr(0, 1);
    sel_msginfo_t info = sel_call(ntfn, sel_msginfo_new(SEL_NOTIFICATION_SET_ALARM, 0, 0, 1));
    CHECK_EQ(sel_msginfo_label(info), SEL_TRUNCATED_MESSAGE);
    CHECK_EQ(sel_poll(ntfn), 0);
}
