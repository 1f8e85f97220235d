/*
 * The IPC fastpath (kernel/core/fastpath.c) against the slow path, which
 * defines what Call and ReplyRecv mean.  Every scenario runs twice, with
 * DebugFastpath on and off, and the two runs must show the same: the same
 * threads running in the same order, each seeing the same registers after
 * each syscall (a0-a7, junk in the unused message registers included) and
 * the same message words in its IPC buffer.
 *
 * DebugFastpath also counts the Call and ReplyRecv the slow path handled, so
 * each scenario says which path it expects: the plain round trips must not
 * reach the slow path at all with the fastpath on (else this file would
 * compare the slow path with itself), and the cases the fastpath must
 * decline (long messages, caps, odd tags, partners on another hart or
 * outranked by a ready thread, senders already queued, a pending bound
 * notification, bad caps) must reach it.
 */
#include "test.h"

#include <sel/uintr.h>
#include <string.h>

#define HIGHER (TEST_PRIORITY + 1)
#define LOWER (TEST_PRIORITY - 1)

/* a0-a7 after an ecall: a0-a5 carry the message; a6 and a7 must come back as they went in. */
struct regs {
    sel_word_t r[8];
};

static struct regs raw_syscall(sel_word_t sysno, struct regs in)
{
    register sel_word_t a0 __asm__("a0") = in.r[0];
    register sel_word_t a1 __asm__("a1") = in.r[1];
    register sel_word_t a2 __asm__("a2") = in.r[2];
    register sel_word_t a3 __asm__("a3") = in.r[3];
    register sel_word_t a4 __asm__("a4") = in.r[4];
    register sel_word_t a5 __asm__("a5") = in.r[5];
    register sel_word_t a6 __asm__("a6") = in.r[6];
    register sel_word_t a7 __asm__("a7") = sysno;
    __asm__ volatile("ecall"
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6), "+r"(a7)
                     :
                     : "memory");
    return (struct regs){ { a0, a1, a2, a3, a4, a5, a6, a7 } };
}

/*
 * The registers for a message to cptr: all four message registers are set
 * (from seed) whatever the length, and a6 too, so that anything the kernel
 * copies beyond the message shows.  MRs from 4 on go in the IPC buffer.
 */
static struct regs message(sel_word_t cptr, sel_word_t label, sel_word_t unwrapped, sel_word_t extra_caps,
                           sel_word_t length, sel_word_t seed)
{
    for (sel_word_t i = 4; i < length && i < SEL_MSG_MAX_LENGTH; i++)
        sel_set_mr((int)i, seed + i);
    sel_msginfo_t info = sel_msginfo_new(label, unwrapped, extra_caps, length);
    return (struct regs){ { cptr, info.words[0], seed, seed + 1, seed + 2, seed + 3, seed + 0x66, 0 } };
}

enum who { CLIENT = 1, SERVER, OTHER, FAULT_HANDLER, UINTR_HANDLER };
static const char *const who_names[] = { "?", "client", "server", "other thread", "fault handler",
                                         "server's user-interrupt handler" };

#define MAX_EVENTS 16
#define BUFFER_MRS 4    /* IPC buffer MRs 4..7 are recorded too */

struct event {
    sel_word_t who;
    struct regs regs;
    sel_word_t buffer_mrs[BUFFER_MRS];
};

/* One run of a scenario. */
struct run {
    struct event events[MAX_EVENTS];
    unsigned n;
    sel_word_t slow_before, slow_after;   /* DebugFastpath's count around the IPC */
};

/* The run in progress, and what the threads of the scenario use (globals are shared with every thread). */
static struct run current_run;
static struct {
    sel_cptr_t recv_cap;        /* the server's first Recv */
    sel_cptr_t reply_recv_cap;  /* the server's ReplyRecv */
    sel_cptr_t call_cap;        /* what a helper client calls */
    sel_cptr_t ntfn, done, never;
    sel_word_t reply_length[MAX_EVENTS];
    bool start_with_reply_recv; /* the server's first syscall is ReplyRecv (nobody to reply to) */
    void (*on_request)(unsigned i);   /* the server runs this on request i before replying */
} s;

static void record(sel_word_t who, struct regs regs)
{
    if (current_run.n == MAX_EVENTS)
        return;
    struct event *e = &current_run.events[current_run.n++];
    e->who = who;
    e->regs = regs;
    for (int i = 0; i < BUFFER_MRS; i++)
        e->buffer_mrs[i] = sel_get_mr(4 + i);
}

static void clear_buffer_mrs(void)
{
    for (int i = 4; i < 4 + BUFFER_MRS; i++)
        sel_set_mr(i, 0);
}

static void begin_ipc(void)
{
    clear_buffer_mrs();
    current_run.slow_before = test_slow_ipc_count();
}

static void end_ipc(void) { current_run.slow_after = test_slow_ipc_count(); }

static sel_word_t slow_count(const struct run *r) { return r->slow_after - r->slow_before; }

/* Stays blocked for good (a thread that returned would Call the kernel to suspend itself, which counts). */
static void block_forever(void)
{
    for (;;)
        sel_wait(s.never);
}

/* Answers requests on s.reply_recv_cap with reply i of length s.reply_length[i], recording each request. */
static void server(void *arg)
{
    (void)arg;
    clear_buffer_mrs();
    struct regs r;
    if (s.start_with_reply_recv)
        r = raw_syscall(SEL_SYS_REPLY_RECV, message(s.reply_recv_cap, 0x7ff, 0, 0, 2, 0x5100));
    else
        r = raw_syscall(SEL_SYS_RECV, message(s.recv_cap, 0, 0, 0, 0, 0x5000));
    for (unsigned i = 0;; i++) {
        record(SERVER, r);
        if (s.on_request)
            s.on_request(i);
        r = raw_syscall(SEL_SYS_REPLY_RECV,
                        message(s.reply_recv_cap, 0x700 + i, 0, 0, s.reply_length[i % MAX_EVENTS], 0x6000 + 0x10 * i));
    }
}

/* The scenario's IPC section runs with the fastpath in mode; the run is copied out. */
typedef void scenario_fn(struct test_env *env);

static void run_scenario(struct test_env *env, sel_fastpath_mode_t mode, scenario_fn *scenario, struct run *out)
{
    memset(&current_run, 0, sizeof(current_run));
    memset(&s, 0, sizeof(s));
    s.never = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    CHECK_OK(sel_debug_fastpath(mode, NULL));
    scenario(env);
    CHECK_OK(sel_debug_fastpath(SEL_FASTPATH_ON, NULL));
    *out = current_run;
}

/* Whether the two runs recorded the same events (check_agree says how they differ). */
static bool runs_agree(const struct run *fast, const struct run *slow)
{
    if (fast->n != slow->n)
        return false;
    for (unsigned i = 0; i < fast->n; i++) {
        const struct event *f = &fast->events[i], *w = &slow->events[i];
        if (f->who != w->who || memcmp(f->regs.r, w->regs.r, sizeof(f->regs.r)) != 0 ||
            memcmp(f->buffer_mrs, w->buffer_mrs, sizeof(f->buffer_mrs)) != 0)
            return false;
    }
    return true;
}

static void check_agree(const struct run *fast, const struct run *slow)
{
    if (fast->n != slow->n) {
        test_fail(__FILE__, __LINE__, "%u events with the fastpath, %u without", fast->n, slow->n);
        return;
    }
    for (unsigned i = 0; i < fast->n; i++) {
        const struct event *f = &fast->events[i], *w = &slow->events[i];
        if (f->who != w->who) {
            test_fail(__FILE__, __LINE__, "event %u: the %s ran with the fastpath, the %s without", i,
                      who_names[f->who], who_names[w->who]);
            return;
        }
        for (int j = 0; j < 8; j++)
            if (f->regs.r[j] != w->regs.r[j])
                test_fail(__FILE__, __LINE__, "event %u (%s): a%d is 0x%lx with the fastpath, 0x%lx without", i,
                          who_names[f->who], j, f->regs.r[j], w->regs.r[j]);
        for (int j = 0; j < BUFFER_MRS; j++)
            if (f->buffer_mrs[j] != w->buffer_mrs[j])
                test_fail(__FILE__, __LINE__, "event %u (%s): MR%d is 0x%lx with the fastpath, 0x%lx without", i,
                          who_names[f->who], 4 + j, f->buffer_mrs[j], w->buffer_mrs[j]);
    }
}

/*
 * Runs scenario both ways and compares; the slow path must have handled
 * fast_expected Call/ReplyRecv with the fastpath on and slow_expected with it
 * off.  The fastpath run is left in *fast for further checks.
 */
static void compare(struct test_env *env, scenario_fn *scenario, sel_word_t fast_expected, sel_word_t slow_expected,
                    struct run *fast)
{
    /*
     * The kernel tests run without -icount, so the timer ticks when the
     * host's clock says: a tick that ends a time slice in the middle of a
     * scenario reorders the ready queue and may rightly send one more call
     * to the slow path.  So a run that disagrees is tried again; a fastpath
     * that is wrong is wrong every time.
     */
    static struct run slow;
    for (int attempt = 1;; attempt++) {
        run_scenario(env, SEL_FASTPATH_ON, scenario, fast);
        run_scenario(env, SEL_FASTPATH_OFF, scenario, &slow);
        if (attempt == 3 || (runs_agree(fast, &slow) && slow_count(fast) == fast_expected &&
                             slow_count(&slow) == slow_expected))
            break;
    }
    check_agree(fast, &slow);
    CHECK_EQ(slow_count(fast), fast_expected);
    CHECK_EQ(slow_count(&slow), slow_expected);
}

static void check_who(const struct run *r, const sel_word_t *order, unsigned n)
{
    CHECK_EQ(r->n, n);
    for (unsigned i = 0; i < n && i < r->n; i++)
        if (r->events[i].who != order[i])
            test_fail(__FILE__, __LINE__, "event %u: the %s ran, expected the %s", i, who_names[r->events[i].who],
                      who_names[order[i]]);
}

/* What a receiver of a short message must see: badge, tag, the sender's MRs up to length, its own after. */
static void check_message(const struct event *e, sel_word_t badge, sel_word_t label, sel_word_t length,
                          sel_word_t sender_seed, sel_word_t own_seed)
{
    CHECK_EQ(e->regs.r[0], badge);
    CHECK_EQ(e->regs.r[1], sel_msginfo_new(label, 0, 0, length).words[0]);
    for (sel_word_t i = 0; i < 4; i++)
        CHECK_EQ(e->regs.r[2 + i], i < length ? sender_seed + i : own_seed + i);
    CHECK_EQ(e->regs.r[6], own_seed + 0x66);
}

/* ---- round trips the fastpath takes ------------------------------------------------------ */

static const sel_word_t plain_lengths[] = { 0, 1, 2, 3, 4 };
#define PLAIN_CALLS 5

static void client_calls(sel_cptr_t cap, const sel_word_t *lengths, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        record(CLIENT, raw_syscall(SEL_SYS_CALL, message(cap, 0x40 + i, 0, 0, lengths[i], 0x1000 + 0x10 * i)));
}

static void plain_round_trips(struct test_env *env, bool own_vspace, sel_word_t badge)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t client_cap = ep;
    if (badge) {
        client_cap = test_slot(env);
        CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, client_cap, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ep, SEL_WORD_BITS,
                                SEL_ALL_RIGHTS, badge));
    }
    s.recv_cap = s.reply_recv_cap = ep;
    for (unsigned i = 0; i < PLAIN_CALLS; i++)
        s.reply_length[i] = 4 - plain_lengths[i];
    static sel_thread_t t;
    test_thread_start(env, &t, HIGHER, own_vspace, server, NULL);   /* it waits in Recv */
    begin_ipc();
    client_calls(client_cap, plain_lengths, PLAIN_CALLS);
    end_ipc();
}

static void scenario_same_space(struct test_env *env) { plain_round_trips(env, false, 0); }
static void scenario_own_space_badged(struct test_env *env) { plain_round_trips(env, true, 0xbad9e); }

static void check_plain(const struct run *r, sel_word_t badge)
{
    sel_word_t order[2 * PLAIN_CALLS];
    for (unsigned i = 0; i < PLAIN_CALLS; i++) {
        order[2 * i] = SERVER;
        order[2 * i + 1] = CLIENT;
    }
    check_who(r, order, 2 * PLAIN_CALLS);
    for (unsigned i = 0; i < PLAIN_CALLS && 2 * i + 1 < r->n; i++) {
        /* The server's registers before request i were those of its previous syscall. */
        sel_word_t server_seed = i == 0 ? 0x5000 : 0x6000 + 0x10 * (i - 1);
        check_message(&r->events[2 * i], badge, 0x40 + i, plain_lengths[i], 0x1000 + 0x10 * i, server_seed);
        check_message(&r->events[2 * i + 1], 0, 0x700 + i, 4 - plain_lengths[i], 0x6000 + 0x10 * i,
                      0x1000 + 0x10 * i);
    }
}

TEST(fastpath_round_trips_of_every_short_length_agree)
{
    struct run fast;
    compare(env, scenario_same_space, 0, 2 * PLAIN_CALLS, &fast);
    check_plain(&fast, 0);
}

TEST(fastpath_round_trips_between_address_spaces_with_badge_agree)
{
    struct run fast;
    compare(env, scenario_own_space_badged, 0, 2 * PLAIN_CALLS, &fast);
    check_plain(&fast, 0xbad9e);
}

/* ---- messages the fastpath leaves to the slow path -------------------------------------- */

static void scenario_long_messages(struct test_env *env)
{
    static const sel_word_t lengths[] = { 5, 8 };
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 6;
    s.reply_length[1] = 5;
    static sel_thread_t t;
    test_thread_start(env, &t, HIGHER, true, server, NULL);
    begin_ipc();
    client_calls(ep, lengths, 2);
    end_ipc();
}

TEST(fastpath_leaves_messages_longer_than_the_registers_to_the_slow_path)
{
    struct run fast;
    compare(env, scenario_long_messages, 4, 4, &fast);
    CHECK_EQ(fast.events[0].buffer_mrs[0], 0x1000 + 4);   /* MR4 of the first request reached the server */
}

static void scenario_odd_tags(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 1;
    s.reply_length[1] = 1;
    static sel_thread_t t;
    test_thread_start(env, &t, HIGHER, true, server, NULL);
    begin_ipc();
    /* A "caps unwrapped" field the sender has no business setting, then a cap it sends. */
    record(CLIENT, raw_syscall(SEL_SYS_CALL, message(ep, 0x41, 5, 0, 2, 0x1000)));
    sel_set_cap(0, s.never);
    record(CLIENT, raw_syscall(SEL_SYS_CALL, message(ep, 0x42, 0, 1, 1, 0x1100)));
    end_ipc();
}

TEST(fastpath_leaves_caps_and_unwrapped_bits_to_the_slow_path)
{
    struct run fast;
    /* Both Calls go the slow way; the replies are plain and fast. */
    compare(env, scenario_odd_tags, 2, 4, &fast);
}

/* ---- partners the fastpath cannot switch to ----------------------------------------------- */

static void scenario_server_on_other_hart(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 2;
    s.reply_length[1] = 3;
    static sel_thread_t t;
    test_thread(env, &t, HIGHER, true, server, NULL);
    CHECK_OK(sel_tcb_set_affinity(t.tcb, test_other_hart(env)));
    CHECK_OK(sel_thread_start(&t));
    begin_ipc();   /* (if the Call comes before the server's Recv, it waits for it: the same either way) */
    static const sel_word_t lengths[] = { 1, 4 };
    client_calls(ep, lengths, 2);
    end_ipc();
}

TEST(fastpath_leaves_partners_on_other_harts_to_the_slow_path)
{
    CHECK(env->bi->num_harts >= 2);
    struct run fast;
    compare(env, scenario_server_on_other_hart, 4, 4, &fast);
    static const sel_word_t order[] = { SERVER, CLIENT, SERVER, CLIENT };
    check_who(&fast, order, 4);
}

static void other_runs(void *arg)
{
    (void)arg;
    record(OTHER, (struct regs){ { 0 } });
    block_forever();
}

/* A thread of the server's priority is ready when the Call comes: it was queued first, so it runs first. */
static void scenario_equal_priority_ready_at_call(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 1;
    static sel_thread_t server_thread, other;
    test_thread_start(env, &server_thread, TEST_PRIORITY, true, server, NULL);
    sel_yield();   /* the server, of our priority, gets to its Recv */
    test_thread_start(env, &other, TEST_PRIORITY, false, other_runs, NULL);   /* ready, behind us */
    begin_ipc();
    static const sel_word_t lengths[] = { 1 };
    client_calls(ep, lengths, 1);
    end_ipc();
}

TEST(fastpath_yields_to_a_ready_thread_of_the_servers_priority)
{
    struct run fast;
    compare(env, scenario_equal_priority_ready_at_call, 1, 2, &fast);
    static const sel_word_t order[] = { OTHER, SERVER, CLIENT };
    check_who(&fast, order, 3);
}

/* While serving, the server wakes a thread of the client's priority: it runs before the client. */
static void wake_other(unsigned i)
{
    if (i == 0)
        sel_signal(s.ntfn);
}

static void other_waits_then_runs(void *arg)
{
    (void)arg;
    sel_wait(s.ntfn);
    record(OTHER, (struct regs){ { 0 } });
    block_forever();
}

static void scenario_equal_priority_ready_at_reply(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 2;
    s.on_request = wake_other;
    static sel_thread_t server_thread, other;
    test_thread_start(env, &server_thread, HIGHER, true, server, NULL);
    test_thread_start(env, &other, TEST_PRIORITY, false, other_waits_then_runs, NULL);
    sel_yield();   /* the other thread, of our priority, gets to its Wait */
    begin_ipc();
    static const sel_word_t lengths[] = { 3 };
    client_calls(ep, lengths, 1);
    end_ipc();
}

TEST(fastpath_reply_yields_to_a_ready_thread_of_the_callers_priority)
{
    struct run fast;
    compare(env, scenario_equal_priority_ready_at_reply, 1, 2, &fast);
    static const sel_word_t order[] = { SERVER, OTHER, CLIENT };
    check_who(&fast, order, 3);
}

/* ---- what is waiting on the endpoint or the server ---------------------------------------- */

static void wait_for_ntfn(unsigned i)
{
    if (i == 0)
        sel_wait(s.ntfn);
}

static void second_client(void *arg)
{
    (void)arg;
    struct regs r = raw_syscall(SEL_SYS_CALL, message(s.call_cap, 0x55, 0, 0, 2, 0x2000));
    record(OTHER, r);
    sel_signal(s.done);
    block_forever();
}

static void signal_ntfn(void *arg)
{
    (void)arg;
    sel_signal(s.ntfn);
    block_forever();
}

/*
 * The server blocks while serving us; meanwhile a second client queues a
 * Call on the endpoint.  The server's ReplyRecv must take that Call at once.
 */
static void scenario_sender_queued_at_reply_recv(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.done = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = s.call_cap = ep;
    s.reply_length[0] = 1;
    s.reply_length[1] = 4;
    s.on_request = wait_for_ntfn;
    static sel_thread_t server_thread, client2, signaller;
    test_thread_start(env, &server_thread, HIGHER, true, server, NULL);
    test_thread_start(env, &client2, LOWER, true, second_client, NULL);       /* runs when we block */
    test_thread_start(env, &signaller, LOWER - 1, false, signal_ntfn, NULL);  /* after that */
    begin_ipc();
    static const sel_word_t lengths[] = { 2 };
    client_calls(ep, lengths, 1);
    sel_wait(s.done);
    end_ipc();
}

TEST(fastpath_reply_recv_takes_a_queued_sender_at_once)
{
    struct run fast;
    /* Ours is fast; the second client's Call and the server's two ReplyRecvs are not. */
    compare(env, scenario_sender_queued_at_reply_recv, 3, 4, &fast);
    static const sel_word_t order[] = { SERVER, SERVER, CLIENT, OTHER };
    check_who(&fast, order, 4);
    if (fast.n == 4) {
        CHECK_EQ(fast.events[1].regs.r[1], sel_msginfo_new(0x55, 0, 0, 2).words[0]);
        CHECK_EQ(fast.events[3].regs.r[1], sel_msginfo_new(0x701, 0, 0, 4).words[0]);
    }
}

static void signal_own_ntfn(unsigned i)
{
    if (i == 0)
        sel_signal(s.ntfn);
}

/* The server's bound notification is signalled while it serves: its ReplyRecv returns that at once. */
static void scenario_bound_notification_pending(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    s.ntfn = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, s.ntfn, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ntfn, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS, 0x24));
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 3;
    s.reply_length[1] = 1;
    s.on_request = signal_own_ntfn;
    static sel_thread_t t;
    test_thread(env, &t, HIGHER, true, server, NULL);
    CHECK_OK(sel_tcb_bind_notification(t.tcb, ntfn));
    CHECK_OK(sel_thread_start(&t));
    begin_ipc();
    static const sel_word_t lengths[] = { 2 };
    client_calls(ep, lengths, 1);
    end_ipc();
}

TEST(fastpath_reply_recv_returns_a_pending_bound_notification_at_once)
{
    struct run fast;
    /* Our Call is fast; both ReplyRecvs are slow (the second has nobody to reply to). */
    compare(env, scenario_bound_notification_pending, 2, 3, &fast);
    static const sel_word_t order[] = { SERVER, SERVER, CLIENT };
    check_who(&fast, order, 3);
    if (fast.n == 3)
        CHECK_EQ(fast.events[1].regs.r[0], 0x24);   /* the notification's badge */
}

/*
 * The server waits in Recv with user interrupts pending that it has
 * enabled: bits raised on its UserInterrupt before it was bound to it
 * (binding does not wake a thread).  A Call then wakes it, and the way out
 * of the kernel takes it into its handler before Recv returns, as every
 * exit does; the fastpath's Call must not skip that.
 */
static void record_uintr(sel_word_t bits, sel_word_t uepc)
{
    (void)uepc;
    record(UINTR_HANDLER, (struct regs){ { bits } });
}

static void server_with_uintr_handler(void *arg)
{
    sel_uintr_set_handler(record_uintr);
    sel_uintr_enable_bits(0x5);
    sel_uintr_enable();
    server(arg);
}

static void scenario_server_with_pending_user_interrupts(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t uintr = test_object(env, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_cptr_t token = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, token, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS,
                            SEL_CAN_WRITE, 0x5));
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 2;
    static sel_thread_t t;
    test_thread_start(env, &t, HIGHER, true, server_with_uintr_handler, NULL);   /* it waits in Recv */
    sel_token_send(token);   /* pending, for nobody yet */
    CHECK_OK(sel_tcb_bind_user_interrupt(t.tcb, uintr));
    begin_ipc();
    static const sel_word_t lengths[] = { 3 };
    client_calls(ep, lengths, 1);
    end_ipc();
}

TEST(fastpath_call_leaves_a_server_with_pending_user_interrupts_to_the_slow_path)
{
    struct run fast;
    /* The Call goes the slow way; the ReplyRecv after the handler is fast. */
    compare(env, scenario_server_with_pending_user_interrupts, 1, 2, &fast);
    static const sel_word_t order[] = { UINTR_HANDLER, SERVER, CLIENT };
    check_who(&fast, order, 3);
    if (fast.n == 3) {
        CHECK_EQ(fast.events[0].regs.r[0], 0x5);   /* the bits delivered */
        check_message(&fast.events[1], 0, 0x40, 3, 0x1000, 0x5000);
    }
}

static void scenario_reply_recv_with_nobody_to_reply_to(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = ep;
    s.reply_length[0] = 2;
    s.start_with_reply_recv = true;
    static sel_thread_t t;
    test_thread_start(env, &t, HIGHER, true, server, NULL);   /* its ReplyRecv just waits */
    begin_ipc();
    static const sel_word_t lengths[] = { 3 };
    client_calls(ep, lengths, 1);
    end_ipc();
}

TEST(fastpath_reply_recv_with_nobody_to_reply_to_just_receives)
{
    struct run fast;
    compare(env, scenario_reply_recv_with_nobody_to_reply_to, 0, 2, &fast);
    static const sel_word_t order[] = { SERVER, CLIENT };
    check_who(&fast, order, 2);
}

/* ---- bad caps ------------------------------------------------------------------------------ */

static void scenario_call_on_wrong_caps(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = s.reply_recv_cap = ep;
    static sel_thread_t t;
    test_thread_start(env, &t, HIGHER, true, server, NULL);   /* waiting, but never reached */
    sel_cptr_t empty = test_slot(env);
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    begin_ipc();
    record(CLIENT, raw_syscall(SEL_SYS_CALL, message(empty, 0x41, 0, 0, 1, 0x1000)));
    record(CLIENT, raw_syscall(SEL_SYS_CALL, message(ntfn, 0x42, 0, 0, 1, 0x1100)));   /* Call on a notification signals */
    record(CLIENT, raw_syscall(SEL_SYS_CALL, message(0xffffffffffffull << 16, 0x43, 0, 0, 1, 0x1200)));
    end_ipc();
}

TEST(fastpath_leaves_calls_on_missing_and_wrong_caps_to_the_slow_path)
{
    struct run fast;
    compare(env, scenario_call_on_wrong_caps, 3, 3, &fast);
    static const sel_word_t order[] = { CLIENT, CLIENT, CLIENT };
    check_who(&fast, order, 3);
    if (fast.n == 3) {
        CHECK_EQ(sel_msginfo_label((sel_msginfo_t){ { fast.events[0].regs.r[1] } }), SEL_FAILED_LOOKUP);
        CHECK_EQ(sel_msginfo_label((sel_msginfo_t){ { fast.events[1].regs.r[1] } }), SEL_NO_ERROR);   /* a Signal */
        CHECK_EQ(sel_msginfo_label((sel_msginfo_t){ { fast.events[2].regs.r[1] } }), SEL_FAILED_LOOKUP);
    }
}

/*
 * A client whose endpoint cap lacks Write (its Call fails: kernel.md), and a
 * server whose ReplyRecv cap lacks Read (it replies, then faults).
 */
static void call_without_write(void *arg)
{
    (void)arg;
    record(OTHER, raw_syscall(SEL_SYS_CALL, message(s.call_cap, 0x44, 0, 0, 1, 0x3000)));
    block_forever();
}

static void scenario_caps_without_rights(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = ep;
    s.reply_recv_cap = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, s.reply_recv_cap, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ep,
                            SEL_WORD_BITS, SEL_CAN_WRITE, 0));
    s.call_cap = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, s.call_cap, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, ep, SEL_WORD_BITS,
                            SEL_CAN_READ, 0));
    s.reply_length[0] = 2;
    static sel_thread_t server_thread, client2;
    CHECK_OK(sel_thread_create(env->alloc, &server_thread, true, HIGHER, fault_ep, server, NULL));
    CHECK_OK(sel_thread_start(&server_thread));
    CHECK_OK(sel_thread_create(env->alloc, &client2, true, HIGHER, 0, call_without_write, NULL));
    begin_ipc();
    CHECK_OK(sel_thread_start(&client2));   /* it runs at once, and its Call fails */
    static const sel_word_t lengths[] = { 1 };
    client_calls(ep, lengths, 1);           /* the server answers, then faults in its Recv */
    struct regs fault = raw_syscall(SEL_SYS_RECV, message(fault_ep, 0, 0, 0, 0, 0x4000));
    /* The fault names the cap's slot, which differs between the two runs. */
    for (int i = 2; i < 6; i++)
        if (fault.r[i] == s.reply_recv_cap)
            fault.r[i] = 0xc0de;
    record(FAULT_HANDLER, fault);
    end_ipc();
}

TEST(fastpath_leaves_caps_without_the_right_to_the_slow_path)
{
    struct run fast;
    /* Counted: the TCB Resume (a Call), the failing Call, our Call (fast: not counted), the faulting ReplyRecv. */
    compare(env, scenario_caps_without_rights, 3, 4, &fast);
    static const sel_word_t order[] = { OTHER, SERVER, CLIENT, FAULT_HANDLER };
    check_who(&fast, order, 4);
    if (fast.n == 4) {
        CHECK_EQ(sel_msginfo_label((sel_msginfo_t){ { fast.events[0].regs.r[1] } }), SEL_INVALID_CAPABILITY);
        CHECK_EQ(sel_msginfo_label((sel_msginfo_t){ { fast.events[2].regs.r[1] } }), 0x700);
        CHECK_EQ(sel_msginfo_label((sel_msginfo_t){ { fast.events[3].regs.r[1] } }), SEL_FAULT_CAP);
        CHECK_EQ(fast.events[3].regs.r[2 + SEL_CAP_FAULT_ADDR], 0xc0de);
    }
}

/* ---- the cached address space ------------------------------------------------------------- */

#define PROBE_VA 0x3800000000ull

/*
 * Answers every Call with the word at PROBE_VA in its own address space,
 * using no stack or memory of its own: its address space is changed under
 * it between calls.
 */
static void probe_server(void *arg)
{
    (void)arg;
    register sel_word_t ep __asm__("s1") = s.recv_cap;
    register sel_word_t va __asm__("s2") = PROBE_VA;
    __asm__ volatile("mv a0, s1\n"
                     "li a7, %[recv]\n"
                     "ecall\n"
                     "1: ld a2, 0(s2)\n"
                     "li a1, 1\n"
                     "mv a0, s1\n"
                     "li a7, %[reply_recv]\n"
                     "ecall\n"
                     "j 1b\n"
                     :
                     : "r"(ep), "r"(va), [recv] "i"(SEL_SYS_RECV), [reply_recv] "i"(SEL_SYS_REPLY_RECV)
                     : "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "memory");
}

/* A frame holding value, mapped at PROBE_VA in vspace. */
static void map_probe_value(struct test_env *env, sel_cptr_t vspace, sel_word_t value)
{
    sel_allocator_t *a = env->alloc;
    sel_cptr_t frame = test_object(env, SEL_FRAME_4K_OBJECT, 0);
    sel_word_t here = a->vaddr_next;
    a->vaddr_next += 2 * 4096;
    CHECK_OK(sel_alloc_map_frame(a, frame, SEL_CAP_INIT_VSPACE, here, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER));
    *(volatile sel_word_t *)here = value;
    sel_cptr_t copy = test_slot(env);
    CHECK_OK(sel_cnode_copy(SEL_CAP_INIT_CNODE, copy, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, frame, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS));
    CHECK_OK(sel_alloc_map_frame(a, copy, vspace, PROBE_VA, SEL_CAN_READ, SEL_VM_EXECUTE_NEVER));
}

static sel_word_t probe(sel_cptr_t ep)
{
    struct regs r = raw_syscall(SEL_SYS_CALL, message(ep, 1, 0, 0, 0, 0));
    return r.r[2];
}

static void scenario_vspace_changed_between_calls(struct test_env *env)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    s.recv_cap = ep;
    static sel_thread_t server_thread, second_space;
    test_thread(env, &server_thread, HIGHER, true, probe_server, NULL);
    test_thread(env, &second_space, HIGHER, true, probe_server, NULL);   /* never started: its space is used */
    map_probe_value(env, server_thread.vspace, 0xaaaa);
    map_probe_value(env, second_space.vspace, 0xbbbb);
    CHECK_OK(sel_thread_start(&server_thread));
    begin_ipc();
    struct regs r = { { probe(ep), 0 } };
    record(CLIENT, r);
    CHECK_OK(sel_tcb_set_space(server_thread.tcb, 0, SEL_CAP_INIT_CNODE, 0, second_space.vspace));
    r.r[0] = probe(ep);
    record(CLIENT, r);
    CHECK_OK(sel_tcb_set_space(server_thread.tcb, 0, SEL_CAP_INIT_CNODE, 0, server_thread.vspace));
    r.r[0] = probe(ep);
    record(CLIENT, r);
    end_ipc();
}

TEST(fastpath_switches_to_a_servers_new_address_space)
{
    struct run fast;
    /* The two SetSpace invocations are the only slow Calls. */
    compare(env, scenario_vspace_changed_between_calls, 2, 8, &fast);
    if (fast.n == 3) {
        CHECK_EQ(fast.events[0].regs.r[0], 0xaaaa);
        CHECK_EQ(fast.events[1].regs.r[0], 0xbbbb);
        CHECK_EQ(fast.events[2].regs.r[0], 0xaaaa);
    }
}

/* ---- DebugKernelEntries: every trap from user mode counts, the fastpath's too ---- */

static sel_cptr_t echo_ep;

static void echo(void *arg)
{
    (void)arg;
    sel_word_t badge;
    sel_recv(echo_ep, &badge);
    for (;;)
        sel_reply_recv(echo_ep, sel_msginfo_new(0, 0, 0, 0), &badge);
}

/* Entries that were no interrupt between two readings: the syscalls made, exactly. */
static sel_word_t syscall_entries(sel_kernel_entries_t a, sel_kernel_entries_t b)
{
    return (b.entries - a.entries) - (b.interrupts - a.interrupts);
}

/*
 * The timer ticks when the host's clock says, so interrupts may land
 * anywhere: they are counted apart, and the syscalls are exact however
 * slow the host.  A tick that ends a time slice may rightly send a Call to
 * the slow path, so the slow path's count is at most the interrupts'.
 */
TEST(kernel_entries_count_syscalls_and_fastpath_round_trips)
{
    sel_kernel_entries_t before = test_kernel_entries();
    for (int i = 0; i < 10; i++)
        sel_null_syscall();
    sel_kernel_entries_t after = test_kernel_entries();
    CHECK_EQ(syscall_entries(before, after), 11);   /* ten, and the second query */

    echo_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    static sel_thread_t t;
    test_thread_start(env, &t, HIGHER, true, echo, NULL);   /* it blocks in Recv */
    sel_word_t slow_before = test_slow_ipc_count();
    before = test_kernel_entries();
    for (int i = 0; i < 8; i++)
        sel_call(echo_ep, sel_msginfo_new(0, 0, 0, 0));
    after = test_kernel_entries();
    sel_word_t slow = test_slow_ipc_count() - slow_before;
    CHECK_EQ(syscall_entries(before, after), 17);   /* a Call and a ReplyRecv per trip, and the query */
    CHECK(slow <= after.interrupts - before.interrupts);   /* with no tick, every one took the fastpath */
}
