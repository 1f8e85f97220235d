/*
 * User-interrupt tokens (kernel/object/user_interrupt.c, libsel/include/sel/uintr.h):
 * delivery to a receiver running on another hart, blocked in Wait or Recv,
 * descheduled, or in a Call; masking by ustatus.UIE and uie; tokens raised
 * while in the handler; uret restoring every register and resuming at
 * uepc; and the errors of binding and sending.
 */
#include "test.h"

#include <sel/uintr.h>
#include <string.h>

#define HIGHER (TEST_PRIORITY + 1)
#define LOWER (TEST_PRIORITY - 1)
#define MAX_ENTRIES 8

static struct {
    sel_cptr_t ntfn, ep, done, never;
    volatile int ready;             /* the receiver has set up its handler */
    volatile int stop;              /* tells a spinning receiver to finish */
    volatile int step;              /* how far the receiver got */
    volatile int release_handler;   /* a handler that waits for this */
    volatile int entries;           /* handler entries so far */
    volatile int step_at_entry[MAX_ENTRIES];
    volatile sel_word_t bits[MAX_ENTRIES], uepc[MAX_ENTRIES], csr_uepc[MAX_ENTRIES], utval[MAX_ENTRIES],
        ucause[MAX_ENTRIES], ustatus[MAX_ENTRIES];
    volatile sel_word_t counter;
    volatile sel_word_t received, received_label;
    volatile sel_word_t uip_while_masked;
    volatile int entries_before_enable;
    sel_word_t new_uepc;            /* if set, the handler resumes the thread there */
} s;

static void reset(void) { memset((void *)&s, 0, sizeof(s)); }

static sel_cptr_t mint(struct test_env *env, sel_cptr_t src, sel_rights_t rights, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, src, SEL_WORD_BITS,
                            rights, badge));
    return slot;
}

static void record_entry(sel_word_t bits, sel_word_t uepc)
{
    volatile sel_uintr_csrs_t *csrs = sel_uintr_csrs();
    int i = s.entries;
    if (i < MAX_ENTRIES) {
        s.bits[i] = bits;
        s.uepc[i] = uepc;
        s.csr_uepc[i] = csrs->uepc;
        s.utval[i] = csrs->utval;
        s.ucause[i] = csrs->ucause;
        s.ustatus[i] = csrs->ustatus;
        s.step_at_entry[i] = s.step;
    }
    s.entries = i + 1;
    if (s.new_uepc)
        csrs->uepc = s.new_uepc;
}

static void waiting_handler(sel_word_t bits, sel_word_t uepc)
{
    record_entry(bits, uepc);
    if (s.entries == 1)
        while (!s.release_handler)
            ;
}

/* The receiver's set-up: a handler, every token bit enabled, user interrupts on. */
static void enable_all(sel_uintr_handler_t handler)
{
    sel_uintr_set_handler(handler);
    sel_uintr_enable_bits(~0ull);
    sel_uintr_enable();
}

static void block_forever(void)
{
    for (;;)
        sel_wait(s.never);
}

/* A UserInterrupt bound to t, and a token of it raising bits. */
static sel_cptr_t bind_token(struct test_env *env, sel_thread_t *t, sel_word_t bits)
{
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t->tcb, uintr));
    return mint(env, uintr, SEL_CAN_WRITE, bits);
}

static volatile sel_uintr_csrs_t *csrs_of(sel_thread_t *t) { return &((sel_ipc_buffer_t *)t->ipc_buffer)->uintr; }

static void check_entry(int i, sel_word_t bits)
{
    CHECK_EQ(s.bits[i], bits);
    CHECK_EQ(s.utval[i], bits);
    CHECK_EQ(s.ucause[i], SEL_UCAUSE_USER_SOFTWARE);
    CHECK_EQ(s.uepc[i], s.csr_uepc[i]);
    /* In the handler UIE is clear and UPIE remembers it was set. */
    CHECK_EQ(s.ustatus[i] & (SEL_USTATUS_UIE | SEL_USTATUS_UPIE), SEL_USTATUS_UPIE);
}

/* ---- the four delivery cases -------------------------------------------------------------- */

static void spin_until_stopped(void *arg)
{
    (void)arg;
    enable_all(record_entry);
    s.ready = 1;
    while (!s.stop)
        s.counter++;
    s.step = 1;
    block_forever();
}

TEST(uintr_token_interrupts_a_thread_running_on_another_hart)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, spin_until_stopped, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x10);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&s.ready));

    sel_token_send(token);
    CHECK(test_wait_flag(&s.entries));
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x10);
    CHECK_EQ(csrs_of(&t)->uip, 0);                      /* taken */
    /* After uret it goes on spinning where it was. */
    sel_word_t before = s.counter;
    while (s.counter == before)
        ;
    s.stop = 1;
    CHECK(test_wait_flag(&s.step));
    CHECK_EQ(csrs_of(&t)->ustatus & SEL_USTATUS_UIE, SEL_USTATUS_UIE);   /* uret set UIE again */
}

static void wfi_until_stopped(void *arg)
{
    (void)arg;
    enable_all(record_entry);
    s.ready = 1;
    while (!s.stop) {
        s.counter++;
        __asm__ volatile("wfi");   /* the kernel halts the hart; it stays the running thread */
    }
    s.step = 1;
    block_forever();
}

TEST(uintr_token_ends_a_user_mode_wfi_on_another_hart)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, wfi_until_stopped, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x20);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&s.ready));
    for (int i = 1; i <= 3; i++) {
        sel_token_send(token);
        while (s.entries < i)
            ;
    }
    check_entry(2, 0x20);
    s.stop = 1;
    sel_token_send(token);            /* so that it sees stop at once, not at its next tick */
    CHECK(test_wait_flag(&s.step));
    CHECK_EQ(s.entries, 4);
}

TEST(uintr_user_mode_wfi_returns_at_once_with_bits_pending)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(env->tcb, uintr));
    sel_token_send(mint(env, uintr, SEL_CAN_WRITE, 0x1));   /* pending, and masked: we set no handler */
    /* Without the pending bit each wfi would last until the next 2 ms tick: five, at least 8 ms. */
    sel_word_t start = test_rdtime();
    for (int i = 0; i < 5; i++)
        __asm__ volatile("wfi");
    sel_word_t ticks = test_rdtime() - start;
    CHECK(ticks < sel_get_bootinfo()->timebase_frequency * 3 / 1000);
    CHECK_EQ(sel_uintr_csrs()->uip, 0x1);
    CHECK_OK(sel_tcb_unbind_user_interrupt(env->tcb));
}

static void wait_on_ntfn(void *arg)
{
    (void)arg;
    enable_all(record_entry);
    s.received = sel_wait(s.ntfn);
    s.step = 1;
    block_forever();
}

TEST(uintr_token_wakes_a_thread_blocked_in_wait_into_its_handler)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ntfn = ntfn;
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, wait_on_ntfn, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x3);
    CHECK_OK(sel_thread_start(&t));   /* higher: it runs and blocks in Wait */
    CHECK_EQ(s.entries, 0);

    sel_token_send(token);           /* it preempts us: handler, uret, Wait again */
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x3);
    CHECK_EQ(s.step, 0);              /* back in its Wait */
    sel_cptr_t badged = mint(env, ntfn, SEL_CAN_WRITE, 0x40);
    sel_signal(badged);
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.received, 0x40);       /* the Wait it repeated got the signal */
    CHECK_EQ(s.entries, 1);
}

static void recv_on_ep(void *arg)
{
    (void)arg;
    enable_all(record_entry);
    sel_word_t badge = 0;
    sel_msginfo_t info = sel_recv(s.ep, &badge);
    s.received_label = sel_msginfo_label(info);
    s.received = sel_get_mr(0);
    s.step = 1;
    block_forever();
}

TEST(uintr_token_wakes_a_thread_blocked_in_recv_which_then_receives)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, recv_on_ep, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x8000000000000000ull);
    CHECK_OK(sel_thread_start(&t));

    sel_token_send(token);
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x8000000000000000ull);
    CHECK_EQ(s.step, 0);
    sel_set_mr(0, 0x1234);
    sel_send(s.ep, sel_msginfo_new(9, 0, 0, 1));
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.received_label, 9);
    CHECK_EQ(s.received, 0x1234);
}

static void set_up_then_count(void *arg)
{
    (void)arg;
    enable_all(record_entry);
    sel_signal(s.ntfn);               /* our creator preempts us here */
    s.step = 1;
    sel_signal(s.done);
    block_forever();
}

TEST(uintr_token_reaches_a_descheduled_thread_when_it_next_runs)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, LOWER, false, set_up_then_count, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x5);
    CHECK_OK(sel_thread_start(&t));
    sel_wait(s.ntfn);                 /* it ran until its Signal woke us; now it is ready, not running */

    sel_token_send(token);
    CHECK_EQ(s.entries, 0);           /* lower priority: it has not run */
    CHECK_EQ(csrs_of(&t)->uip, 0x5);  /* pending */
    sel_wait(s.done);                 /* now it runs: first the handler, then its own code */
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x5);
    CHECK_EQ(s.step_at_entry[0], 0);
    CHECK_EQ(s.step, 1);
}

static void call_ep(void *arg)
{
    (void)arg;
    enable_all(record_entry);
    sel_set_mr(0, 0x11);
    sel_msginfo_t reply = sel_call(s.ep, sel_msginfo_new(1, 0, 0, 1));
    s.received_label = sel_msginfo_label(reply);
    s.received = sel_get_mr(0);
    s.step = 1;
    sel_send(s.ep, sel_msginfo_new(2, 0, 0, 0));   /* lets the server out of its Recv */
    block_forever();
}

TEST(uintr_token_to_a_thread_in_call_is_delivered_with_the_reply_intact)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, call_ep, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x2);
    CHECK_OK(sel_thread_start(&t));   /* blocked sending its Call: nobody receives yet */

    sel_token_send(token);
    CHECK_EQ(s.entries, 0);           /* not woken out of a Call */
    sel_word_t badge;
    sel_recv(s.ep, &badge);
    CHECK_EQ(sel_get_mr(0), 0x11);
    sel_token_send(token);            /* still waiting, for the reply now */
    CHECK_EQ(s.entries, 0);
    /* ReplyRecv, which the fastpath would take if it did not see the pending bits. */
    sel_word_t m0 = 0x77, m1 = 0, m2 = 0, m3 = 0;
    sel_msginfo_t info = sel_reply_recv_mrs(s.ep, sel_msginfo_new(5, 0, 0, 1), &badge, &m0, &m1, &m2, &m3);
    CHECK_EQ(sel_msginfo_label(info), 2);    /* it ran: handler first, then its Call returned, then it sent */
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x2);
    CHECK_EQ(s.step_at_entry[0], 0);
    CHECK_EQ(s.step, 1);
    CHECK_EQ(s.received_label, 5);
    CHECK_EQ(s.received, 0x77);
}

/* ---- masking ------------------------------------------------------------------------------- */

static void masked_then_enable(void *arg)
{
    (void)arg;
    sel_uintr_set_handler(record_entry);
    sel_uintr_enable_bits(~0ull);     /* but ustatus.UIE stays clear */
    s.ready = 1;
    volatile sel_uintr_csrs_t *csrs = sel_uintr_csrs();
    while (!csrs->uip)
        ;
    s.uip_while_masked = csrs->uip;
    s.entries_before_enable = s.entries;
    sel_uintr_enable();               /* delivered before this returns */
    s.step = 1;
    block_forever();
}

TEST(uintr_masked_by_ustatus_stays_pending_until_enabled)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, masked_then_enable, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x100);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&s.ready));

    sel_token_send(token);
    CHECK(test_wait_flag(&s.step));
    CHECK_EQ(s.uip_while_masked, 0x100);
    CHECK_EQ(s.entries_before_enable, 0);
    CHECK_EQ(s.entries, 1);
    CHECK_EQ(s.step_at_entry[0], 0);  /* inside sel_uintr_enable() */
    check_entry(0, 0x100);
}

static void enable_bit_0_only(void *arg)
{
    (void)arg;
    sel_uintr_set_handler(record_entry);
    sel_uintr_enable_bits(0x1);
    sel_uintr_enable();
    sel_wait(s.ntfn);                 /* woken only by bit 0 */
    s.step = 1;
    sel_uintr_enable_bits(0x2);       /* bit 1 has been pending all along */
    s.step = 2;
    block_forever();
}

TEST(uintr_masked_by_uie_bit_stays_pending_and_others_get_through)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, enable_bit_0_only, NULL);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    sel_cptr_t bit0 = mint(env, uintr, SEL_CAN_WRITE, 0x1), bit1 = mint(env, uintr, SEL_CAN_WRITE, 0x2);
    CHECK_OK(sel_thread_start(&t));

    sel_token_send(bit1);             /* masked: it stays blocked, nothing delivered */
    CHECK_EQ(s.entries, 0);
    CHECK_EQ(csrs_of(&t)->uip, 0x2);
    sel_token_send(bit0);             /* enabled: handler with bit 0 alone */
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x1);
    CHECK_EQ(csrs_of(&t)->uip, 0x2);
    sel_signal(s.ntfn);               /* out of its Wait, it enables bit 1: delivered at once */
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.entries, 2);
    check_entry(1, 0x2);
    CHECK_EQ(s.step_at_entry[1], 1);
    CHECK_EQ(csrs_of(&t)->uip, 0);
}

TEST(uintr_without_a_handler_nothing_is_delivered)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, wait_on_ntfn, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x1);
    CHECK_OK(sel_thread_start(&t));
    csrs_of(&t)->utvec = 0;           /* enabled, but no handler */
    sel_token_send(token);
    CHECK_EQ(s.entries, 0);
    CHECK_EQ(s.step, 0);              /* not woken either */
    CHECK_EQ(csrs_of(&t)->uip, 0x1);
}

/* ---- tokens during the handler, and uret ------------------------------------------------------ */

static void spin_with_waiting_handler(void *arg)
{
    (void)arg;
    enable_all(waiting_handler);
    s.ready = 1;
    while (!s.stop)
        s.counter++;
    s.step = 1;
    block_forever();
}

TEST(uintr_tokens_raised_in_the_handler_are_delivered_after_uret)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, spin_with_waiting_handler, NULL);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    sel_cptr_t a = mint(env, uintr, SEL_CAN_WRITE, 0x1), b = mint(env, uintr, SEL_CAN_WRITE, 0x6);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&s.ready));

    sel_token_send(a);
    CHECK(test_wait_flag(&s.entries));          /* in the handler, which waits */
    sel_token_send(b);
    sel_token_send(b);                           /* raised twice, delivered once */
    CHECK_EQ(csrs_of(&t)->uip, 0x6);
    CHECK_EQ(s.entries, 1);                      /* no nesting */
    s.release_handler = 1;
    while (s.entries < 2)
        ;
    check_entry(0, 0x1);
    check_entry(1, 0x6);
    CHECK_EQ(s.uepc[1], s.uepc[0]);              /* straight back in, for the same interrupted pc */
    s.stop = 1;
    CHECK(test_wait_flag(&s.step));
    CHECK_EQ(s.entries, 2);
}

static void reenabling_handler(sel_word_t bits, sel_word_t uepc)
{
    record_entry(bits, uepc);
    if (s.entries == 1) {
        sel_uintr_enable();           /* even so, no second entry until uret */
        s.ready = 2;
        while (!s.release_handler)
            ;
    }
}

static void spin_with_reenabling_handler(void *arg)
{
    (void)arg;
    enable_all(reenabling_handler);
    s.ready = 1;
    while (!s.stop)
        s.counter++;
    s.step = 1;
    block_forever();
}

TEST(uintr_handlers_never_nest_even_if_the_handler_sets_uie)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, spin_with_reenabling_handler, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x1);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&s.ready));
    sel_token_send(token);
    while (s.ready != 2)
        ;
    sel_token_send(token);
    /* Give a (wrong) nested delivery time to happen: it would come at once, or at the next tick. */
    sel_word_t until = test_rdtime() + sel_get_bootinfo()->timebase_frequency / 100;
    while (test_rdtime() < until)
        ;
    CHECK_EQ(s.entries, 1);
    s.release_handler = 1;
    while (s.entries < 2)
        ;
    CHECK_EQ(s.uepc[1], s.uepc[0]);  /* delivered after uret, for the same interrupted pc */
    s.stop = 1;
    CHECK(test_wait_flag(&s.step));
}

static void self_token(void *arg)
{
    sel_cptr_t token = (sel_cptr_t)arg;
    enable_all(record_entry);
    s.step = 1;
    sel_token_send(token);            /* delivered on the way out of this very syscall */
    s.step = 2;
    block_forever();
}

TEST(uintr_token_to_itself_enters_the_handler_before_the_send_returns)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_cptr_t token = mint(env, uintr, SEL_CAN_WRITE, 0x9);
    test_thread(env, &t, HIGHER, false, self_token, (void *)token);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    CHECK_OK(sel_thread_start(&t));
    CHECK_EQ(s.step, 2);
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x9);
    CHECK_EQ(s.step_at_entry[0], 1);
}

static void landing(void)
{
    s.step = 7;
    block_forever();
}

TEST(uintr_uret_resumes_at_uepc_as_the_handler_left_it)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.new_uepc = (sel_word_t)landing;
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, wait_on_ntfn, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x1);
    CHECK_OK(sel_thread_start(&t));
    sel_token_send(token);
    CHECK_EQ(s.entries, 1);
    CHECK_EQ(s.step, 7);              /* it went to landing() instead of back into its Wait */
}

TEST(uintr_uret_outside_a_handler_is_an_illegal_operation)
{
    sel_word_t a0 = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_URET, &a0, 0, &m0, &m1, &m2, &m3);
    CHECK_EQ(a0, SEL_ILLEGAL_OPERATION);
}

/*
 * A receiver that holds known values in every register but sp while it
 * spins, and a handler (utvec itself, no libsel) that overwrites every
 * register, sp included, before uret: the receiver must find its values.
 */
static volatile sel_word_t raw_entries, registers_intact;

__asm__(".text\n"
        ".balign 4\n"
        "raw_handler:\n"
        "    la t0, raw_entries\n"
        "    ld t1, 0(t0)\n"
        "    addi t1, t1, 1\n"
        "    sd t1, 0(t0)\n"
        "    li ra, -1\n li sp, -2\n li gp, -3\n li tp, -4\n li t0, -5\n li t1, -6\n li t2, -7\n"
        "    li s0, -8\n li s1, -9\n li a0, -10\n li a1, -11\n li a2, -12\n li a3, -13\n li a4, -14\n"
        "    li a5, -15\n li a6, -16\n li s2, -18\n li s3, -19\n li s4, -20\n li s5, -21\n li s6, -22\n"
        "    li s7, -23\n li s8, -24\n li s9, -25\n li s10, -26\n li s11, -27\n li t3, -28\n li t4, -29\n"
        "    li t5, -30\n li t6, -31\n"
        "    li a7, -18\n"            /* SEL_SYS_URET */
        "    ecall\n");
extern char raw_handler[];

/* Spins until *stop, with register i holding 0x1000 + i (sp, gp, tp as they were); returns 1 if all held. */
__asm__(".text\n"
        ".balign 4\n"
        "spin_with_known_registers:\n"
        "    addi sp, sp, -32\n"
        "    sd ra, 0(sp)\n sd gp, 8(sp)\n sd tp, 16(sp)\n sd s0, 24(sp)\n"
        "    mv t6, a0\n"             /* the stop flag, kept in t6 (checked last) */
        "    li ra, 0x1001\n li gp, 0x1003\n li tp, 0x1004\n li t0, 0x1005\n li t1, 0x1006\n li t2, 0x1007\n"
        "    li s0, 0x1008\n li s1, 0x1009\n li a0, 0x100a\n li a1, 0x100b\n li a2, 0x100c\n li a3, 0x100d\n"
        "    li a4, 0x100e\n li a5, 0x100f\n li a6, 0x1010\n li a7, 0x1011\n li s2, 0x1012\n li s3, 0x1013\n"
        "    li s4, 0x1014\n li s5, 0x1015\n li s6, 0x1016\n li s7, 0x1017\n li s8, 0x1018\n li s9, 0x1019\n"
        "    li s10, 0x101a\n li s11, 0x101b\n li t3, 0x101c\n li t4, 0x101d\n li t5, 0x101e\n"
        "1:  lw a0, 0(t6)\n"
        "    bnez a0, 2f\n"
        "    li a0, 0x100a\n"
        "    j 1b\n"
        "2:  li a0, 0\n"             /* a0: 1 if every register held its value */
        "    li s0, 0x1001\n bne ra, s0, 3f\n"
        "    li s0, 0x1003\n bne gp, s0, 3f\n li s0, 0x1004\n bne tp, s0, 3f\n"
        "    li s0, 0x1005\n bne t0, s0, 3f\n li s0, 0x1006\n bne t1, s0, 3f\n li s0, 0x1007\n bne t2, s0, 3f\n"
        "    li s0, 0x1009\n bne s1, s0, 3f\n li s0, 0x100b\n bne a1, s0, 3f\n li s0, 0x100c\n bne a2, s0, 3f\n"
        "    li s0, 0x100d\n bne a3, s0, 3f\n li s0, 0x100e\n bne a4, s0, 3f\n li s0, 0x100f\n bne a5, s0, 3f\n"
        "    li s0, 0x1010\n bne a6, s0, 3f\n li s0, 0x1011\n bne a7, s0, 3f\n li s0, 0x1012\n bne s2, s0, 3f\n"
        "    li s0, 0x1013\n bne s3, s0, 3f\n li s0, 0x1014\n bne s4, s0, 3f\n li s0, 0x1015\n bne s5, s0, 3f\n"
        "    li s0, 0x1016\n bne s6, s0, 3f\n li s0, 0x1017\n bne s7, s0, 3f\n li s0, 0x1018\n bne s8, s0, 3f\n"
        "    li s0, 0x1019\n bne s9, s0, 3f\n li s0, 0x101a\n bne s10, s0, 3f\n li s0, 0x101b\n bne s11, s0, 3f\n"
        "    li s0, 0x101c\n bne t3, s0, 3f\n li s0, 0x101d\n bne t4, s0, 3f\n li s0, 0x101e\n bne t5, s0, 3f\n"
        "    li a0, 1\n"
        "3:  ld ra, 0(sp)\n ld gp, 8(sp)\n ld tp, 16(sp)\n ld s0, 24(sp)\n"
        "    addi sp, sp, 32\n"
        "    ret\n");
int spin_with_known_registers(volatile int *stop);

static void raw_receiver(void *arg)
{
    (void)arg;
    volatile sel_uintr_csrs_t *csrs = sel_uintr_csrs();
    csrs->utvec = (sel_word_t)raw_handler;
    csrs->uie = ~0ull;
    csrs->ustatus = SEL_USTATUS_UIE;
    s.ready = 1;
    registers_intact = spin_with_known_registers(&s.stop) ? 1 : 2;
    block_forever();
}

TEST(uintr_uret_restores_every_register_of_the_interrupted_code)
{
    reset();
    raw_entries = registers_intact = 0;
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, raw_receiver, NULL);
    sel_cptr_t token = bind_token(env, &t, 0x1);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    CHECK(test_wait_flag(&s.ready));
    for (sel_word_t i = 1; i <= 5; i++) {
        sel_token_send(token);
        while (raw_entries < i)
            ;
    }
    s.stop = 1;
    while (!registers_intact)
        ;
    CHECK_EQ(registers_intact, 1);
    CHECK_EQ(raw_entries, 5);
}

/* ---- binding and sending: the errors ----------------------------------------------------------- */

TEST(uintr_bind_errors)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0), tcb2 = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_EQ(sel_debug_cap_identify(uintr), SEL_CAP_TYPE_USER_INTERRUPT);
    CHECK_ERR(sel_tcb_bind_user_interrupt(tcb, ntfn), SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_tcb_bind_user_interrupt(tcb, mint(env, uintr, SEL_CAN_WRITE, 1)), SEL_INVALID_CAPABILITY);
    CHECK_ERR(sel_tcb_unbind_user_interrupt(tcb), SEL_ILLEGAL_OPERATION);
    CHECK_OK(sel_tcb_bind_user_interrupt(tcb, uintr));
    CHECK_ERR(sel_tcb_bind_user_interrupt(tcb, test_object(env, SEL_USER_INTERRUPT_OBJECT, 0)),
              SEL_ILLEGAL_OPERATION);   /* the thread has one */
    CHECK_ERR(sel_tcb_bind_user_interrupt(tcb2, uintr), SEL_ILLEGAL_OPERATION);   /* the object has one */
    CHECK_OK(sel_tcb_unbind_user_interrupt(tcb));
    CHECK_OK(sel_tcb_bind_user_interrupt(tcb2, uintr));
}

TEST(uintr_send_needs_a_badged_cap_with_write)
{
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_msginfo_t info = sel_call(uintr, sel_msginfo_new(0, 0, 0, 0));   /* unbadged: not a token */
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
    info = sel_call(mint(env, uintr, SEL_CAN_READ, 0x1), sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_INVALID_CAPABILITY);
    info = sel_call(mint(env, uintr, SEL_CAN_WRITE, 0x1), sel_msginfo_new(0, 0, 0, 0));
    CHECK_EQ(sel_msginfo_label(info), SEL_NO_ERROR);
    sel_cptr_t badged = mint(env, uintr, SEL_ALL_RIGHTS, 0x2);
    CHECK_ERR(sel_cnode_mint(SEL_CAP_INIT_CNODE, test_slot(env), SEL_WORD_BITS, SEL_CAP_INIT_CNODE, badged,
                             SEL_WORD_BITS, SEL_ALL_RIGHTS, 0x4),
              SEL_ILLEGAL_OPERATION);   /* a badge is for good */
}

TEST(uintr_bits_raised_before_binding_are_pending_for_the_thread)
{
    reset();
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_token_send(mint(env, uintr, SEL_CAN_WRITE, 0x30));   /* nobody bound: it waits */
    sel_thread_t t;
    test_thread(env, &t, HIGHER, false, wait_on_ntfn, NULL);
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    CHECK_EQ(csrs_of(&t)->uip, 0x30);
    CHECK_OK(sel_thread_start(&t));   /* its enable delivers them before it ever waits */
    CHECK_EQ(s.entries, 1);
    check_entry(0, 0x30);
}

TEST(uintr_deleting_the_object_or_the_thread_unbinds)
{
    sel_cptr_t tcb = test_object(env, SEL_TCB_OBJECT, 0), tcb2 = test_object(env, SEL_TCB_OBJECT, 0);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_cptr_t token = mint(env, uintr, SEL_CAN_WRITE, 0x1);
    CHECK_OK(sel_tcb_bind_user_interrupt(tcb, uintr));
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS));   /* the token goes */
    CHECK_EQ(sel_debug_cap_identify(token), SEL_CAP_TYPE_NULL);
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS));   /* the last cap */
    CHECK_ERR(sel_tcb_unbind_user_interrupt(tcb), SEL_ILLEGAL_OPERATION);

    sel_cptr_t uintr2 = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    CHECK_OK(sel_tcb_bind_user_interrupt(tcb, uintr2));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, tcb, SEL_WORD_BITS));     /* the thread goes */
    CHECK_OK(sel_tcb_bind_user_interrupt(tcb2, uintr2));
}
