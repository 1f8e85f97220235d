/*
 * Two harts: SetAffinity, IPC and notifications between harts, and a
 * thread running on the other hart while the test suspends it, reads or
 * writes its registers, changes its priority, moves it or destroys it.  The
 * kernel must stop the other hart first (thread_evict / stall in sched.c,
 * lock.c).
 *
 * The test runs on the boot hart ("home", which OpenSBI may make either
 * hart), so a thread below its priority makes progress while the test spins
 * only if it runs on the other hart.  Busy threads stop at spin_deadline, so
 * that a thread left behind at home by a failed check cannot starve the
 * driver for ever.
 */
#include "test.h"

#include <stdlib.h>

/* ---- helpers ------------------------------------------------------------------ */

#define WAIT_MS 2000    /* how long to wait for something that should happen (QEMU may be slow) */
#define QUIET_MS 10     /* how long to watch something that should not happen */

static sel_word_t ticks_per_ms(void) { return sel_get_bootinfo()->timebase_frequency / 1000; }

static void spin_ms(sel_word_t ms)
{
    sel_word_t end = test_rdtime() + ms * ticks_per_ms();
    while (test_rdtime() < end)
        ;
}

/* Spins until *p differs from old or WAIT_MS pass; returns whether it changed. */
static bool changes(volatile sel_word_t *p, sel_word_t old)
{
    sel_word_t end = test_rdtime() + WAIT_MS * ticks_per_ms();
    while (*p == old && test_rdtime() < end)
        ;
    return *p != old;
}

/* Spins until *p reaches at least value or WAIT_MS pass; returns whether it did. */
static bool reaches(volatile sel_word_t *p, sel_word_t value)
{
    sel_word_t end = test_rdtime() + WAIT_MS * ticks_per_ms();
    while (*p < value && test_rdtime() < end)
        ;
    return *p >= value;
}

/* Whether *p stays unchanged for QUIET_MS. */
static bool stays(volatile sel_word_t *p)
{
    sel_word_t old = *p;
    spin_ms(QUIET_MS);
    return *p == old;
}

#define CHECK_ADVANCES(p) CHECK(changes(&(p), (p)))
#define CHECK_STOPPED(p) CHECK(stays(&(p)))

/*
 * Threads that only spin on the other hart run at the driver's priority:
 * should a bug leave one on our hart, the driver still gets its turns.
 */
#define SPINNER_PRIORITY 1

static volatile sel_word_t spin_deadline;

static void start_spin_clock(void) { spin_deadline = test_rdtime() + 10000 * ticks_per_ms(); }

/* Counts *arg up without ever entering the kernel. */
static void count(void *arg)
{
    volatile sel_word_t *c = arg;
    while (test_rdtime() < spin_deadline)
        (*c)++;
}

/* Counts *arg up, entering the kernel after each step. */
static void count_with_null_syscalls(void *arg)
{
    volatile sel_word_t *c = arg;
    while (test_rdtime() < spin_deadline) {
        (*c)++;
        sel_null_syscall();
    }
}

static void count_with_yields(void *arg)
{
    volatile sel_word_t *c = arg;
    while (test_rdtime() < spin_deadline) {
        (*c)++;
        sel_yield();
    }
}

/* Creates a thread, moves it to hart and starts it there. */
static void start_on_hart(struct test_env *env, sel_thread_t *t, sel_word_t priority, sel_word_t hart,
                          sel_thread_fn fn, void *arg)
{
    test_thread(env, t, priority, false, fn, arg);
    CHECK_OK(sel_tcb_set_affinity(t->tcb, hart));
    CHECK_OK(sel_thread_start(t));
}

/* The test's hart and another one. */
static sel_word_t home, other;

static void pick_harts(struct test_env *env)
{
    if (env->bi->num_harts < 2)
        test_fail(__FILE__, __LINE__, "needs 2 harts, the machine has %lu", (unsigned long)env->bi->num_harts);
    home = env->bi->boot_hart;
    other = home == 0 ? 1 : 0;
}

static volatile sel_word_t counters[4];

static void reset_counters(void)
{
    for (int i = 0; i < 4; i++)
        counters[i] = 0;
}

/*
 * Threads with known registers.  spin_regs: t3 = REGS_MAGIC, t4 counts up,
 * never entering the kernel.  syscall_regs: the same with a null system
 * call in each step.  smp_wait(cptr): Recv on cptr with a bare ecall.
 */
#define REGS_MAGIC 0x5eed5eed
void spin_regs(void);
void syscall_regs(void);
sel_word_t smp_wait(sel_cptr_t cptr);
extern const char spin_regs_loop[], spin_regs_end[], syscall_regs_loop[], syscall_regs_end[];
extern const char smp_wait_ecall[], smp_wait_after[];
__asm__(".pushsection .text.smp_regs, \"ax\", @progbits\n"
        ".globl spin_regs, spin_regs_loop, spin_regs_end\n"
        "spin_regs:\n"
        "    li t3, 0x5eed5eed\n"
        "    li t4, 0\n"
        "spin_regs_loop:\n"
        "    addi t4, t4, 1\n"
        "    j spin_regs_loop\n"
        "spin_regs_end:\n"
        ".globl syscall_regs, syscall_regs_loop, syscall_regs_end\n"
        "syscall_regs:\n"
        "    li t3, 0x5eed5eed\n"
        "    li t4, 0\n"
        "syscall_regs_loop:\n"
        "    li a7, -15\n"              /* SEL_SYS_NULL */
        "    ecall\n"
        "    addi t4, t4, 1\n"
        "    j syscall_regs_loop\n"
        "syscall_regs_end:\n"
        ".globl smp_wait, smp_wait_ecall, smp_wait_after\n"
        "smp_wait:\n"
        "    li a7, -5\n"               /* SEL_SYS_RECV */
        "smp_wait_ecall:\n"
        "    ecall\n"
        "smp_wait_after:\n"
        "    ret\n"
        ".popsection\n");

/* Reads t's registers until pc lies in [start, end) and t4 > min_t4, or WAIT_MS pass; returns the last read. */
static sel_user_context_t read_registers_until(sel_cptr_t tcb, const char *start, const char *end, sel_word_t min_t4)
{
    sel_user_context_t regs = { 0 };
    sel_word_t deadline = test_rdtime() + WAIT_MS * ticks_per_ms();
    for (;;) {
        CHECK_OK(sel_tcb_read_registers(tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
        bool there = regs.pc >= (sel_word_t)start && regs.pc < (sel_word_t)end && regs.t4 > min_t4;
        if (there || test_rdtime() >= deadline)
            return regs;
        spin_ms(1);     /* each read stops the thread: give it time to go on */
    }
}

static void run_spin_regs(void *arg) { spin_regs(); }
static void run_smp_wait(void *arg) { smp_wait((sel_cptr_t)arg); }
static void run_syscall_regs(void *arg) { syscall_regs(); }

/* ---- SetAffinity ---------------------------------------------------------------- */

TEST(smp_set_affinity_runs_thread_on_other_hart_in_parallel)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_thread_t t;
    /* Below our priority: on our hart it could not run while we spin. */
    start_on_hart(env, &t, TEST_PRIORITY - 50, other, count, (void *)&counters[0]);
    CHECK_ADVANCES(counters[0]);
}

TEST(smp_set_affinity_out_of_range_is_range_error)
{
    sel_thread_t t;
    test_thread(env, &t, TEST_PRIORITY, false, count, (void *)&counters[0]);
    sel_word_t harts = env->bi->num_harts;
    CHECK_ERR(sel_tcb_set_affinity(t.tcb, harts), SEL_RANGE_ERROR);
    CHECK_EQ(sel_get_mr(0), 0);
    CHECK_EQ(sel_get_mr(1), harts - 1);
    CHECK_ERR(sel_tcb_set_affinity(t.tcb, ~(sel_word_t)0), SEL_RANGE_ERROR);
    CHECK_ERR(sel_tcb_set_affinity(env->tcb, harts), SEL_RANGE_ERROR);
    for (sel_word_t h = 0; h < harts; h++)
        CHECK_OK(sel_tcb_set_affinity(t.tcb, h));
}

/* A running thread moved to our hart (below our priority) stops at once; moved back it goes on. */
TEST(smp_running_thread_moves_between_harts)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_thread_t t;
    start_on_hart(env, &t, TEST_PRIORITY - 50, other, count, (void *)&counters[0]);
    for (int i = 0; i < 20; i++) {
        CHECK_ADVANCES(counters[0]);
        CHECK_OK(sel_tcb_set_affinity(t.tcb, home));
        CHECK_STOPPED(counters[0]);
        CHECK_OK(sel_tcb_set_affinity(t.tcb, other));
    }
    CHECK_ADVANCES(counters[0]);
}

/* A thread blocked on our hart and moved to the other one wakes up there. */
static sel_cptr_t wait_ntfn;

static void wait_then_count(void *arg)
{
    sel_wait(wait_ntfn);
    count(arg);
}

TEST(smp_blocked_thread_moved_to_other_hart_wakes_there)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    wait_ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t t;
    /* Above us it runs at once and blocks; then it drops below us and moves. */
    test_thread_start(env, &t, TEST_PRIORITY + 1, false, wait_then_count, (void *)&counters[0]);
    CHECK_OK(sel_tcb_set_priority(t.tcb, env->tcb, TEST_PRIORITY - 50));
    CHECK_OK(sel_tcb_set_affinity(t.tcb, other));
    CHECK_EQ(counters[0], 0);
    sel_signal(wait_ntfn);
    /* Below us, it can count while we spin only on the other hart. */
    CHECK_ADVANCES(counters[0]);
}

/* The test thread itself moves to the other hart; a thread below its priority then runs at home. */
TEST(smp_thread_moves_itself_to_the_other_hart)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_thread_t t;
    test_thread_start(env, &t, TEST_PRIORITY - 50, false, count, (void *)&counters[0]);
    CHECK_EQ(counters[0], 0);
    CHECK_OK(sel_tcb_set_affinity(env->tcb, other));
    CHECK_ADVANCES(counters[0]);
    CHECK_OK(sel_tcb_suspend(t.tcb));
    CHECK_STOPPED(counters[0]);
    CHECK_OK(sel_tcb_set_affinity(env->tcb, home));
}

/* A thread running on the other hart, moved here above our priority, preempts us at once. */
static volatile sel_word_t busy_until;

static void count_until_busy_until(void *arg)
{
    volatile sel_word_t *c = arg;
    while (test_rdtime() < busy_until)
        (*c)++;
}

TEST(smp_thread_moved_here_above_our_priority_preempts_us)
{
    pick_harts(env);
    reset_counters();
    busy_until = test_rdtime() + 10000 * ticks_per_ms();
    sel_thread_t t;
    start_on_hart(env, &t, TEST_PRIORITY + 10, other, count_until_busy_until, (void *)&counters[0]);
    CHECK_ADVANCES(counters[0]);
    /* Once here it keeps the CPU until busy_until: we get back only then. */
    busy_until = test_rdtime() + 50 * ticks_per_ms();
    CHECK_OK(sel_tcb_set_affinity(t.tcb, home));
    CHECK(test_rdtime() >= busy_until);
}

/*
 * The other direction: a thread on the other hart suspends the test thread
 * while it spins here, checks that it stopped, and resumes it.
 */
struct suspender {
    sel_cptr_t victim;
    volatile sel_word_t rounds;
    volatile sel_word_t still_counting;     /* times the victim's count moved while it was suspended */
};

static void suspend_and_resume(void *arg)
{
    struct suspender *s = arg;
    for (int i = 0; i < 20; i++) {
        sel_word_t before = counters[0];
        if (!changes(&counters[0], before))
            break;      /* the victim does not run: the test fails on rounds */
        CHECK_OK(sel_tcb_suspend(s->victim));
        if (!stays(&counters[0]))
            s->still_counting++;
        CHECK_OK(sel_tcb_resume(s->victim));
        s->rounds++;
    }
}

TEST(smp_thread_on_other_hart_suspends_and_resumes_us)
{
    pick_harts(env);
    reset_counters();
    static struct suspender s;
    s.victim = env->tcb;
    s.rounds = s.still_counting = 0;
    sel_thread_t t;
    start_on_hart(env, &t, TEST_PRIORITY, other, suspend_and_resume, &s);
    sel_word_t deadline = test_rdtime() + 5 * WAIT_MS * ticks_per_ms();
    while (s.rounds < 20 && test_rdtime() < deadline)
        counters[0]++;
    CHECK_EQ(s.rounds, 20);
    CHECK_EQ(s.still_counting, 0);
}

/* ---- IPC between harts ------------------------------------------------------------- */

#define IPC_ROUNDS 500
#define ECHO_BADGE 0xec40

/* Replies to every Call with label + 1 and each word + 1. */
static void echo_server(void *arg)
{
    sel_cptr_t ep = (sel_cptr_t)arg;
    sel_word_t badge;
    sel_msginfo_t info = sel_recv(ep, &badge);
    for (;;) {
        CHECK_EQ(badge, ECHO_BADGE);
        sel_word_t n = sel_msginfo_length(info);
        for (sel_word_t i = 0; i < n; i++)
            sel_set_mr((int)i, sel_get_mr((int)i) + 1);
        info = sel_reply_recv(ep, sel_msginfo_new(sel_msginfo_label(info) + 1, 0, 0, n), &badge);
    }
}

/* One Call to the echo server with a message of 1..6 words; checks the answer. */
static bool echo_call(sel_cptr_t ep, sel_word_t round)
{
    sel_word_t n = 1 + round % 6;
    for (sel_word_t i = 0; i < n; i++)
        sel_set_mr((int)i, round * 16 + i);
    sel_msginfo_t info = sel_call(ep, sel_msginfo_new(round, 0, 0, n));
    if (sel_msginfo_label(info) != round + 1 || sel_msginfo_length(info) != n)
        return false;
    for (sel_word_t i = 0; i < n; i++)
        if (sel_get_mr((int)i) != round * 16 + i + 1)
            return false;
    return true;
}

static sel_cptr_t badged_copy(struct test_env *env, sel_cptr_t cap, sel_word_t badge)
{
    sel_cptr_t slot = test_slot(env);
    CHECK_OK(sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, cap, SEL_WORD_BITS,
                            SEL_ALL_RIGHTS, badge));
    return slot;
}

TEST(smp_call_to_server_on_other_hart)
{
    pick_harts(env);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t server;
    start_on_hart(env, &server, TEST_PRIORITY, other, echo_server, (void *)ep);
    sel_cptr_t client_ep = badged_copy(env, ep, ECHO_BADGE);
    for (sel_word_t round = 0; round < IPC_ROUNDS; round++)
        if (!echo_call(client_ep, round))
            test_fail(__FILE__, __LINE__, "round %lu: wrong reply", (unsigned long)round);
}

static volatile sel_word_t client_rounds;

static void echo_client(void *arg)
{
    for (sel_word_t round = 0; round < IPC_ROUNDS; round++) {
        if (!echo_call((sel_cptr_t)arg, round)) {
            test_fail(__FILE__, __LINE__, "round %lu: wrong reply", (unsigned long)round);
            return;
        }
        client_rounds = round + 1;
    }
}

TEST(smp_call_from_client_on_other_hart)
{
    pick_harts(env);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t client;
    client_rounds = 0;
    start_on_hart(env, &client, TEST_PRIORITY, other, echo_client, (void *)badged_copy(env, ep, ECHO_BADGE));
    /* We are the server: the same echo, for IPC_ROUNDS calls. */
    sel_word_t badge;
    sel_msginfo_t info = sel_recv(ep, &badge);
    for (sel_word_t round = 0; round < IPC_ROUNDS; round++) {
        CHECK_EQ(badge, ECHO_BADGE);
        CHECK_EQ(sel_msginfo_label(info), round);
        sel_word_t n = sel_msginfo_length(info);
        for (sel_word_t i = 0; i < n; i++)
            sel_set_mr((int)i, sel_get_mr((int)i) + 1);
        sel_msginfo_t reply = sel_msginfo_new(sel_msginfo_label(info) + 1, 0, 0, n);
        if (round + 1 < IPC_ROUNDS)
            info = sel_reply_recv(ep, reply, &badge);
        else
            sel_reply(reply);
    }
    CHECK(reaches(&client_rounds, IPC_ROUNDS));
}

struct ping_pong {
    sel_cptr_t ping, pong;      /* the partner waits on ping and signals pong */
};

static void pong_thread(void *arg)
{
    struct ping_pong *p = arg;
    for (sel_word_t round = 0; round < IPC_ROUNDS; round++) {
        CHECK_EQ(sel_wait(p->ping), 0x1);
        sel_signal(p->pong);
    }
}

TEST(smp_notifications_ping_pong_between_harts)
{
    pick_harts(env);
    static struct ping_pong p;
    sel_cptr_t ping = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_cptr_t pong = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    p.ping = ping;
    p.pong = badged_copy(env, pong, 0x2);
    sel_thread_t partner;
    start_on_hart(env, &partner, TEST_PRIORITY, other, pong_thread, &p);
    sel_cptr_t ping_badged = badged_copy(env, ping, 0x1);
    for (sel_word_t round = 0; round < IPC_ROUNDS; round++) {
        sel_signal(ping_badged);
        sel_word_t word = sel_wait(pong);
        if (word != 0x2)
            test_fail(__FILE__, __LINE__, "round %lu: word 0x%lx", (unsigned long)round, (unsigned long)word);
    }
}

/*
 * A signal to a thread waiting on the other hart, above the busy thread
 * running there, must preempt it at once: the kernel sends an IPI.  Without
 * one the other hart would notice only when the busy thread's time slice
 * ends (10 ms).  Wall-clock time would also count the host descheduling
 * QEMU's threads, so the delay is measured in steps of the busy thread:
 * those it made after we read its count and before the waiter woke.
 */
#define WAKEUPS 101
#define MAX_WAKEUP_STEPS 5000
static volatile sel_word_t wakeups, busy_at_wakeup;

static void count_wakeups(void *arg)
{
    for (;;) {
        sel_wait((sel_cptr_t)arg);
        busy_at_wakeup = counters[0];
        __atomic_thread_fence(__ATOMIC_RELEASE);
        wakeups++;
    }
}

static int compare_words(const void *a, const void *b)
{
    sel_word_t x = *(const sel_word_t *)a, y = *(const sel_word_t *)b;
    return x < y ? -1 : x > y;
}

TEST(smp_signal_preempts_lower_priority_thread_on_other_hart)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    wakeups = 0;
    sel_cptr_t ntfn = test_object(env, SEL_NOTIFICATION_OBJECT, 0);
    sel_thread_t waiter, busy;
    start_on_hart(env, &waiter, TEST_PRIORITY - 40, other, count_wakeups, (void *)ntfn);
    start_on_hart(env, &busy, TEST_PRIORITY - 50, other, count, (void *)&counters[0]);
    CHECK_ADVANCES(counters[0]);
    static sel_word_t delay[WAKEUPS];
    for (sel_word_t i = 0; i < WAKEUPS; i++) {
        sel_word_t before = counters[0];
        sel_signal(ntfn);
        /* We never block: only the other hart can run the waiter. */
        if (!reaches(&wakeups, i + 1))
            test_fail(__FILE__, __LINE__, "signal %lu did not wake the waiter", (unsigned long)i);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        delay[i] = busy_at_wakeup - before;
    }
    /*
     * Measured: a median of about 50 steps with the IPI, 80000 without (half
     * a time slice).  The median ignores the odd host hiccup.
     */
    qsort(delay, WAKEUPS, sizeof(delay[0]), compare_words);
    if (delay[WAKEUPS / 2] > MAX_WAKEUP_STEPS)
        test_fail(__FILE__, __LINE__, "the busy thread went on for a median of %lu steps (max %lu) before "
                  "the waiter ran", (unsigned long)delay[WAKEUPS / 2], (unsigned long)delay[WAKEUPS - 1]);
}

/* Deleting the endpoint a thread on the other hart waits on restarts its Recv there: a cap fault. */
TEST(smp_deleting_endpoint_restarts_receiver_on_other_hart)
{
    pick_harts(env);
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    CHECK_OK(sel_thread_create(env->alloc, &t, false, TEST_PRIORITY, fault_ep, run_smp_wait,
                               (void *)ep));
    CHECK_OK(sel_tcb_set_affinity(t.tcb, other));
    CHECK_OK(sel_thread_start(&t));
    /* Wait until it is blocked in its Recv. */
    sel_word_t end = test_rdtime() + WAIT_MS * ticks_per_ms();
    sel_user_context_t regs = { 0 };
    while (regs.pc != (sel_word_t)smp_wait_after && test_rdtime() < end)
        CHECK_OK(sel_tcb_read_registers(t.tcb, false, 1, &regs));
    CHECK_EQ(regs.pc, (sel_word_t)smp_wait_after);

    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, ep, SEL_WORD_BITS));
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_CAP);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_PC), (sel_word_t)smp_wait_ecall);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_ADDR), ep);
    CHECK_EQ(sel_get_mr(SEL_CAP_FAULT_IN_RECV), 1);
}

/* ---- stopping a thread that runs on the other hart ------------------------------------------ */

static const sel_thread_fn counting_kinds[] = { count, count_with_null_syscalls, count_with_yields };
#define NUM_COUNTING_KINDS (sizeof(counting_kinds) / sizeof(counting_kinds[0]))

TEST(smp_suspend_and_resume_thread_running_on_other_hart)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_thread_t t[NUM_COUNTING_KINDS];
    for (unsigned k = 0; k < NUM_COUNTING_KINDS; k++) {
        start_on_hart(env, &t[k], SPINNER_PRIORITY, other, counting_kinds[k], (void *)&counters[k]);
        for (int i = 0; i < 20; i++) {
            CHECK_ADVANCES(counters[k]);
            CHECK_OK(sel_tcb_suspend(t[k].tcb));
            CHECK_STOPPED(counters[k]);
            CHECK_OK(sel_tcb_resume(t[k].tcb));
        }
        CHECK_ADVANCES(counters[k]);
        CHECK_OK(sel_tcb_resume(t[k].tcb));     /* already running: nothing happens */
        CHECK_ADVANCES(counters[k]);
        CHECK_OK(sel_tcb_suspend(t[k].tcb));
    }
}

TEST(smp_read_registers_of_thread_running_on_other_hart)
{
    pick_harts(env);
    sel_thread_t t;
    start_on_hart(env, &t, SPINNER_PRIORITY, other, run_spin_regs, NULL);
    sel_user_context_t regs = read_registers_until(t.tcb, spin_regs_loop, spin_regs_end, 0);
    CHECK(regs.pc >= (sel_word_t)spin_regs_loop && regs.pc < (sel_word_t)spin_regs_end);

    /* Each read stops it for a moment: it is always in its loop, and goes on counting. */
    sel_word_t last = 0;
    for (int i = 0; i < 50; i++) {
        CHECK_OK(sel_tcb_read_registers(t.tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
        CHECK_EQ(regs.t3, REGS_MAGIC);
        CHECK(regs.pc >= (sel_word_t)spin_regs_loop && regs.pc < (sel_word_t)spin_regs_end);
        CHECK(regs.t4 >= last);
        last = regs.t4;
    }
    regs = read_registers_until(t.tcb, spin_regs_loop, spin_regs_end, last);
    CHECK(regs.t4 > last);

    /* Suspended by the read, it counts no more. */
    CHECK_OK(sel_tcb_read_registers(t.tcb, true, SEL_USER_CONTEXT_WORDS, &regs));
    last = regs.t4;
    spin_ms(QUIET_MS);
    CHECK_OK(sel_tcb_read_registers(t.tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
    CHECK_EQ(regs.t4, last);
    CHECK_OK(sel_tcb_resume(t.tcb));
    regs = read_registers_until(t.tcb, spin_regs_loop, spin_regs_end, last);
    CHECK(regs.t4 > last);
}

/* The same while the thread enters the kernel all the time: its registers must be consistent. */
TEST(smp_read_registers_of_thread_in_syscall_loop_on_other_hart)
{
    pick_harts(env);
    sel_thread_t t;
    start_on_hart(env, &t, SPINNER_PRIORITY, other, run_syscall_regs, NULL);
    sel_user_context_t regs = read_registers_until(t.tcb, syscall_regs_loop, syscall_regs_end, 0);
    CHECK(regs.t4 > 0);

    sel_word_t last = 0;
    for (int i = 0; i < 200; i++) {
        CHECK_OK(sel_tcb_read_registers(t.tcb, i % 2 == 1, SEL_USER_CONTEXT_WORDS, &regs));
        CHECK_EQ(regs.t3, REGS_MAGIC);
        CHECK_EQ(regs.a7, (sel_word_t)SEL_SYS_NULL);
        CHECK(regs.pc >= (sel_word_t)syscall_regs_loop && regs.pc < (sel_word_t)syscall_regs_end);
        CHECK(regs.t4 >= last);
        last = regs.t4;
        if (i % 2 == 1)
            CHECK_OK(sel_tcb_resume(t.tcb));
    }
    regs = read_registers_until(t.tcb, syscall_regs_loop, syscall_regs_end, last);
    CHECK(regs.t4 > last);
}

/*
 * redirect_a spins; redirect_b stores 0xb to *a0 for ever.  WriteRegisters
 * moves a thread running on the other hart between them: the new pc must stick.
 */
void redirect_a(volatile sel_word_t *flag);
extern const char redirect_a_end[], redirect_b[];
__asm__(".pushsection .text.redirect, \"ax\", @progbits\n"
        ".globl redirect_a, redirect_a_end, redirect_b\n"
        "redirect_a:\n"
        "    addi t4, t4, 1\n"
        "    j redirect_a\n"
        "redirect_a_end:\n"
        "redirect_b:\n"
        "    li t5, 0xb\n"
        "    sd t5, 0(a0)\n"
        "    j redirect_b\n"
        ".popsection\n");

static void run_redirect_a(void *arg) { redirect_a(arg); }

TEST(smp_write_registers_redirects_thread_running_on_other_hart)
{
    pick_harts(env);
    reset_counters();
    sel_thread_t t;
    start_on_hart(env, &t, SPINNER_PRIORITY, other, run_redirect_a, (void *)&counters[0]);
    /* Until it gets there, its a0 is not yet the flag's address. */
    sel_user_context_t regs = read_registers_until(t.tcb, (const char *)redirect_a, redirect_a_end, 0);
    CHECK(regs.pc >= (sel_word_t)redirect_a && regs.pc < (sel_word_t)redirect_a_end);
    for (int i = 0; i < 20; i++) {
        counters[0] = 0;
        regs.pc = (sel_word_t)redirect_b;
        CHECK_OK(sel_tcb_write_registers(t.tcb, false, 1, &regs));
        CHECK(reaches(&counters[0], 0xb));
        regs.pc = (sel_word_t)redirect_a;
        CHECK_OK(sel_tcb_write_registers(t.tcb, false, 1, &regs));
        counters[0] = 0;
        CHECK_STOPPED(counters[0]);
        CHECK_OK(sel_tcb_read_registers(t.tcb, false, 1, &regs));
        CHECK(regs.pc >= (sel_word_t)redirect_a && regs.pc < (sel_word_t)redirect_a_end);
    }
}

/*
 * Two threads on the other hart: only the higher one runs.  Changing
 * priorities from here (of the one running there, or of the one queued)
 * switches which one that is.
 */
TEST(smp_priority_changes_switch_which_thread_runs_on_other_hart)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_thread_t a, b;
    start_on_hart(env, &a, 50, other, count, (void *)&counters[0]);
    CHECK_ADVANCES(counters[0]);
    start_on_hart(env, &b, 40, other, count, (void *)&counters[1]);
    CHECK_STOPPED(counters[1]);
    CHECK_EQ(counters[1], 0);
    for (sel_word_t i = 0; i < 10; i++) {
        /* Raise the queued one above the running one. */
        CHECK_OK(sel_tcb_set_priority(b.tcb, env->tcb, 60 + 2 * i));
        CHECK_ADVANCES(counters[1]);
        CHECK_STOPPED(counters[0]);
        /* Lower the running one below the queued one. */
        CHECK_OK(sel_tcb_set_priority(b.tcb, env->tcb, 30));
        CHECK_ADVANCES(counters[0]);
        CHECK_STOPPED(counters[1]);
    }
    /* The same with SetSchedParams, and raising the running one changes nothing. */
    CHECK_OK(sel_tcb_set_sched_params(a.tcb, env->tcb, 90, 80));
    CHECK_ADVANCES(counters[0]);
    CHECK_STOPPED(counters[1]);
    CHECK_OK(sel_tcb_set_sched_params(b.tcb, env->tcb, 90, 85));
    CHECK_ADVANCES(counters[1]);
    CHECK_STOPPED(counters[0]);
}

/*
 * A client and an echo server talking all the time while we suspend and
 * resume them, read their registers and change their priorities, over and
 * over.  A suspended client repeats its Call when resumed, so every reply it
 * gets must still match its request, and the pair must go on afterwards.
 */
static volatile sel_word_t stress_calls, stress_wrong;

static void stress_client(void *arg)
{
    for (sel_word_t round = 0;; round++) {
        if (echo_call((sel_cptr_t)arg, round))
            stress_calls++;
        else
            stress_wrong++;
    }
}

static void stress_pair(struct test_env *env, sel_word_t server_hart)
{
    sel_cptr_t ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t server, client;
    stress_calls = stress_wrong = 0;
    /* Above us, the server runs whenever called, even on our hart. */
    start_on_hart(env, &server, TEST_PRIORITY + 1, server_hart, echo_server, (void *)ep);
    start_on_hart(env, &client, SPINNER_PRIORITY, other, stress_client, (void *)badged_copy(env, ep, ECHO_BADGE));
    CHECK(reaches(&stress_calls, 10));

    sel_cptr_t pair[2] = { client.tcb, server.tcb };
    sel_user_context_t regs;
    for (unsigned i = 0; i < 300; i++) {
        sel_cptr_t tcb = pair[i % 2];
        switch (i / 2 % 4) {
        case 0:
            CHECK_OK(sel_tcb_suspend(tcb));
            CHECK_OK(sel_tcb_resume(tcb));
            break;
        case 1:
            CHECK_OK(sel_tcb_read_registers(tcb, false, SEL_USER_CONTEXT_WORDS, &regs));
            break;
        case 2:
            CHECK_OK(sel_tcb_read_registers(tcb, true, SEL_USER_CONTEXT_WORDS, &regs));
            CHECK_OK(sel_tcb_resume(tcb));
            break;
        case 3:
            CHECK_OK(sel_tcb_set_priority(tcb, env->tcb, (tcb == client.tcb ? 1 : TEST_PRIORITY + 1) + i % 3));
            break;
        }
    }
    sel_word_t calls = stress_calls;
    CHECK(reaches(&stress_calls, calls + 10));
    CHECK_EQ(stress_wrong, 0);
}

TEST(smp_ipc_on_other_hart_survives_suspends_and_register_reads)
{
    pick_harts(env);
    stress_pair(env, other);
}

TEST(smp_ipc_between_harts_survives_suspends_and_register_reads)
{
    pick_harts(env);
    stress_pair(env, home);
}

/*
 * Deleting the last cap to the TCB of a thread on the other hart stops it
 * for good.  A companion at the same priority takes turns with it there, so
 * the victim is sometimes running, sometimes queued; the companion goes on.
 */
TEST(smp_delete_tcb_of_thread_running_on_other_hart)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_thread_t companion;
    start_on_hart(env, &companion, SPINNER_PRIORITY, other, count_with_yields, (void *)&counters[1]);
    for (int i = 0; i < 30; i++) {
        counters[0] = 0;
        sel_thread_t t;
        start_on_hart(env, &t, SPINNER_PRIORITY, other, counting_kinds[i % NUM_COUNTING_KINDS],
                      (void *)&counters[0]);
        CHECK_ADVANCES(counters[0]);
        CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, t.tcb, SEL_WORD_BITS));
        CHECK_STOPPED(counters[0]);
        CHECK_EQ(sel_debug_cap_identify(t.tcb), SEL_CAP_TYPE_NULL);
        CHECK_ADVANCES(counters[1]);
    }
}

/* Both harts enter the kernel all the time: neither may starve the other of the kernel lock. */
TEST(smp_both_harts_in_syscall_loops_make_progress)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_thread_t t;
    start_on_hart(env, &t, SPINNER_PRIORITY, other, count_with_null_syscalls, (void *)&counters[0]);
    CHECK_ADVANCES(counters[0]);
    /* Both make 1000 system calls in the same stretch of time. */
    sel_word_t before = counters[0], calls = 0;
    sel_word_t deadline = test_rdtime() + WAIT_MS * ticks_per_ms();
    while ((counters[0] - before < 1000 || calls < 1000) && test_rdtime() < deadline) {
        sel_null_syscall();
        calls++;
    }
    CHECK(counters[0] - before >= 1000);
    CHECK(calls >= 1000);
}

/* The same for a thread in an address space of its own, then deleting that address space. */
TEST(smp_delete_address_space_of_thread_running_on_other_hart)
{
    pick_harts(env);
    start_spin_clock();
    reset_counters();
    sel_cptr_t fault_ep = test_object(env, SEL_ENDPOINT_OBJECT, 0);
    sel_thread_t t;
    /* Globals are shared with a thread in its own address space: the image frames are. */
    CHECK_OK(sel_thread_create(env->alloc, &t, true, TEST_PRIORITY, fault_ep, count, (void *)&counters[0]));
    CHECK_OK(sel_tcb_set_affinity(t.tcb, other));
    CHECK_OK(sel_thread_start(&t));
    CHECK_ADVANCES(counters[0]);
    /* The TCB's copy is a child of the VSpace cap: revoke it, then delete the last cap. */
    CHECK_OK(sel_cnode_revoke(SEL_CAP_INIT_CNODE, t.vspace, SEL_WORD_BITS));
    CHECK_OK(sel_cnode_delete(SEL_CAP_INIT_CNODE, t.vspace, SEL_WORD_BITS));
    /* Without an address space it cannot fetch an instruction. */
    sel_msginfo_t info = sel_recv(fault_ep, NULL);
    CHECK_EQ(sel_msginfo_label(info), SEL_FAULT_VM);
    CHECK_EQ(sel_get_mr(SEL_VM_FAULT_PREFETCH), 1);
    CHECK_STOPPED(counters[0]);
}

/* ---- true parallelism ------------------------------------------------------------------ */

/*
 * Two threads at the same priority, one on each hart, both busy and
 * neither yielding.  Each counts its steps and watches the other's count.
 * Had they taken turns on one hart, the other's count could change only
 * while this one was switched out for most of a time slice (8 ms or more):
 * a change seen between two of its steps less than 100 us apart shows the
 * other ran at the same time.  (Counting round trips per second instead
 * would also measure how the host schedules QEMU's threads.)
 */
#define OVERLAPS 1000
static volatile sel_word_t steps[2], overlaps[2];

static void watch_the_other(void *arg)
{
    sel_word_t self = (sel_word_t)arg, seen = steps[1 - self], last = test_rdtime();
    sel_word_t overlap_ticks = ticks_per_ms() / 10;
    /* Until both have seen enough: the first to finish would leave the other nothing to watch. */
    while ((overlaps[0] < OVERLAPS || overlaps[1] < OVERLAPS) && last < spin_deadline) {
        steps[self]++;
        sel_word_t now = test_rdtime(), other_steps = steps[1 - self];
        if (other_steps != seen && now - last < overlap_ticks)
            overlaps[self]++;
        seen = other_steps;
        last = now;
    }
}

TEST(smp_threads_on_both_harts_run_at_the_same_time)
{
    pick_harts(env);
    start_spin_clock();
    steps[0] = steps[1] = overlaps[0] = overlaps[1] = 0;
    sel_thread_t a, b;
    start_on_hart(env, &b, TEST_PRIORITY + 1, other, watch_the_other, (void *)1);
    /* Above us on our hart: we get back only when it is done. */
    start_on_hart(env, &a, TEST_PRIORITY + 1, home, watch_the_other, (void *)0);
    CHECK(overlaps[0] >= OVERLAPS);
    CHECK(reaches(&overlaps[1], OVERLAPS));
}
