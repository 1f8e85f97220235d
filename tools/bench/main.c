/*
 * The benchmark root task (make bench).  Runs under QEMU -icount shift=0,
 * where rdinstret counts retired instructions exactly; each figure is the
 * median over many rounds of the instructions between two rdinstret reads,
 * less the cost of the reads themselves.  Prints "BENCH <metric> <value>"
 * lines that tools/bench.py turns into a table and build/bench.json.
 */
#include <sel/alloc.h>
#include <sel/ring.h>
#include <sel/thread.h>
#include <sel/uintr.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 257

static inline sel_word_t rdinstret(void)
{
    sel_word_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static int compare(const void *a, const void *b)
{
    sel_word_t x = *(const sel_word_t *)a, y = *(const sel_word_t *)b;
    return x < y ? -1 : x > y;
}

static sel_word_t median(sel_word_t *samples, int n)
{
    qsort(samples, (size_t)n, sizeof(samples[0]), compare);
    return samples[n / 2];
}

static sel_word_t samples[ROUNDS];
static sel_word_t read_overhead;

/* The cost of two back-to-back reads, subtracted from every figure. */
static void measure_overhead(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_word_t b = rdinstret();
        samples[i] = b - a;
    }
    read_overhead = median(samples, ROUNDS);
}

static void bench_null_syscall(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_null_syscall();
        sel_word_t b = rdinstret();
        samples[i] = b - a - read_overhead;
    }
    printf("BENCH null_syscall_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
}

/* ---- Call + ReplyRecv between two address spaces on one hart ---- */

static sel_cptr_t endpoint;

static void echo_server(void *arg)
{
    (void)arg;
    sel_word_t badge, m0 = 0;
    sel_recv_mrs(endpoint, &badge, &m0, NULL, NULL, NULL);
    for (;;)
        sel_reply_recv_mrs(endpoint, sel_msginfo_new(0, 0, 0, 1), &badge, &m0, NULL, NULL, NULL);
}

static void bench_ipc_roundtrip(sel_allocator_t *alloc)
{
    sel_thread_t server;
    endpoint = sel_alloc_object(alloc, SEL_ENDPOINT_OBJECT, 0);
    if (!endpoint || sel_thread_create(alloc, &server, true, 255, 0, echo_server, NULL) ||
        sel_thread_start(&server)) {
        printf("bench: cannot start the echo server\n");
        return;
    }
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t m0 = (sel_word_t)i;
        sel_word_t a = rdinstret();
        sel_call_mrs(endpoint, sel_msginfo_new(0, 0, 0, 1), &m0, NULL, NULL, NULL);
        sel_word_t b = rdinstret();
        samples[i] = b - a - read_overhead;
    }
    printf("BENCH ipc_roundtrip_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
}

/* ---- Signal that wakes a higher-priority waiter in another address space ---- */

static sel_cptr_t notification, done;
static volatile sel_word_t woken_at;

static void waiter(void *arg)
{
    (void)arg;
    for (;;) {
        sel_wait(notification);
        woken_at = rdinstret();
    }
}

static void bench_signal_wakeup(sel_allocator_t *alloc)
{
    sel_thread_t t;
    notification = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    if (!notification || sel_thread_create(alloc, &t, true, 255, 0, waiter, NULL)) {
        printf("bench: cannot start the waiter\n");
        return;
    }
    /* The waiter must outrank us, so run the signaller one below it. */
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 254);
    sel_thread_start(&t);   /* it runs at once and blocks in Wait */
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_signal(notification);
        samples[i] = woken_at - a - read_overhead / 2;
    }
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 255);
    (void)done;
    printf("BENCH signal_wakeup_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
}

/*
 * ---- Call + ReplyRecv with the server on the other hart ----
 * Per-hart instruction counts are exact, but the harts run round-robin in
 * one QEMU thread, so a latency across harts is not an instruction count.
 * The figure is the work of both harts per round trip: the client's
 * instructions from Call to return, plus the server's from one request's
 * arrival to the next.
 */
static volatile sel_word_t server_samples[ROUNDS + 1];

static void cross_hart_server(void *arg)
{
    (void)arg;
    sel_word_t badge, m0 = 0;
    sel_recv_mrs(endpoint, &badge, &m0, NULL, NULL, NULL);
    for (int i = 0;; i++) {
        if (i <= ROUNDS)
            server_samples[i] = rdinstret();
        sel_reply_recv_mrs(endpoint, sel_msginfo_new(0, 0, 0, 1), &badge, &m0, NULL, NULL, NULL);
    }
}

static void bench_ipc_roundtrip_cross_hart(sel_allocator_t *alloc)
{
    const sel_bootinfo_t *bi = sel_get_bootinfo();
    sel_thread_t server;
    endpoint = sel_alloc_object(alloc, SEL_ENDPOINT_OBJECT, 0);
    if (bi->num_harts < 2 || !endpoint || sel_thread_create(alloc, &server, true, 255, 0, cross_hart_server, NULL) ||
        sel_tcb_set_affinity(server.tcb, (bi->boot_hart + 1) % bi->num_harts) || sel_thread_start(&server)) {
        printf("bench: cannot start the server on the other hart\n");
        return;
    }
    for (int i = 0; i <= ROUNDS; i++) {
        sel_word_t m0 = (sel_word_t)i;
        sel_word_t a = rdinstret();
        sel_call_mrs(endpoint, sel_msginfo_new(0, 0, 0, 1), &m0, NULL, NULL, NULL);
        sel_word_t b = rdinstret();
        if (i < ROUNDS)
            samples[i] = b - a - read_overhead;
    }
    sel_word_t client = median(samples, ROUNDS);
    for (int i = 0; i < ROUNDS; i++)
        samples[i] = server_samples[i + 1] - server_samples[i] - read_overhead;
    sel_word_t server_work = median(samples, ROUNDS);
    printf("BENCH ipc_roundtrip_cross_hart_instructions %lu\n", (unsigned long)(client + server_work));
    printf("bench: cross-hart round trip: client hart %lu, server hart %lu instructions\n", (unsigned long)client,
           (unsigned long)server_work);
}

/*
 * ---- user-interrupt tokens ----
 * From the sender's rdinstret before sel_token_send to the first
 * instruction of the receiver's handler (libsel's entry included).
 */
static volatile sel_word_t handler_at, handled;
static sel_cptr_t token;

static void timing_handler(sel_word_t bits, sel_word_t uepc)
{
    (void)bits;
    (void)uepc;
    handler_at = rdinstret();
    handled++;
}

/* A UserInterrupt bound to t and a token of it. */
static sel_cptr_t make_token(sel_allocator_t *alloc, sel_thread_t *t)
{
    sel_cptr_t uintr = sel_alloc_object(alloc, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_cptr_t slot = sel_alloc_slot(alloc);
    if (!uintr || !slot || sel_tcb_bind_user_interrupt(t->tcb, uintr) ||
        sel_cnode_mint(SEL_CAP_INIT_CNODE, slot, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS,
                       SEL_CAN_WRITE, 1))
        return 0;
    return slot;
}

static void enable_timing_handler(void)
{
    sel_uintr_set_handler(timing_handler);
    sel_uintr_enable_bits(1);
    sel_uintr_enable();
}

/* Blocked: a higher-priority receiver waits in Wait on this hart. */
static void blocked_receiver(void *arg)
{
    (void)arg;
    enable_timing_handler();
    for (;;)
        sel_wait(notification);
}

static void bench_token_blocked(sel_allocator_t *alloc)
{
    sel_thread_t t;
    notification = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    if (!notification || sel_thread_create(alloc, &t, true, 255, 0, blocked_receiver, NULL) ||
        !(token = make_token(alloc, &t))) {
        printf("bench: cannot start the blocked receiver\n");
        return;
    }
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 254);
    sel_thread_start(&t);
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_token_send(token);   /* it preempts us: handler, uret, Wait again */
        samples[i] = handler_at - a - read_overhead / 2;
    }
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 255);
    printf("BENCH token_blocked_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
}

/* Descheduled: a lower-priority receiver is ready; it runs (handler first) when the sender blocks. */
static sel_cptr_t sender_wakeup;

static void descheduled_receiver(void *arg)
{
    (void)arg;
    enable_timing_handler();
    sel_word_t seen = 0;
    for (;;) {
        while (handled == seen)
            ;
        seen = handled;
        sel_signal(sender_wakeup);   /* the sender preempts us here, outside the handler */
    }
}

static void bench_token_descheduled(sel_allocator_t *alloc)
{
    sel_thread_t t;
    sender_wakeup = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    if (!sender_wakeup || sel_thread_create(alloc, &t, true, 254, 0, descheduled_receiver, NULL) ||
        !(token = make_token(alloc, &t))) {
        printf("bench: cannot start the descheduled receiver\n");
        return;
    }
    sel_thread_start(&t);    /* lower: it has not run */
    handled = 0;
    /* Round -1 lets it set up its handler (the token then waits for it to enable). */
    for (int i = -1; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_token_send(token);
        sel_wait(sender_wakeup);
        if (i >= 0)
            samples[i] = handler_at - a - read_overhead / 2;
    }
    sel_tcb_suspend(t.tcb);   /* it would spin when it next runs (and a spinning hart starves the other in QEMU) */
    printf("BENCH token_descheduled_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
}

/*
 * Running: the receiver is the running thread on the other hart, idling in
 * a user-mode wfi (the kernel halts the hart and keeps the thread current)
 * between tokens, noting rdinstret just before it.  As with the cross-hart
 * round trip, the figure is the work of both harts: the sender's send, plus
 * the receiver's instructions from its note to its handler (the wfi's own
 * trap included, which a receiver busy in user code would not pay).
 * Nobody spins: in QEMU's single-threaded -icount mode a spinning hart
 * starves the other.
 */
static volatile sel_word_t last_note, note_before_handler;
static sel_cptr_t receiver_ack;

static void acking_handler(sel_word_t bits, sel_word_t uepc)
{
    (void)bits;
    (void)uepc;
    handler_at = rdinstret();
    note_before_handler = last_note;   /* it notes again after uret, before the sender looks */
    handled++;
    sel_signal(receiver_ack);
}

static void running_receiver(void *arg)
{
    (void)arg;
    sel_uintr_set_handler(acking_handler);
    sel_uintr_enable_bits(1);
    sel_uintr_enable();
    sel_signal(receiver_ack);
    for (;;) {
        last_note = rdinstret();
        __asm__ volatile("wfi");
    }
}

static void bench_token_running(sel_allocator_t *alloc)
{
    const sel_bootinfo_t *bi = sel_get_bootinfo();
    sel_thread_t t;
    receiver_ack = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    if (bi->num_harts < 2 || !receiver_ack || sel_thread_create(alloc, &t, true, 255, 0, running_receiver, NULL) ||
        !(token = make_token(alloc, &t)) || sel_tcb_set_affinity(t.tcb, (bi->boot_hart + 1) % bi->num_harts)) {
        printf("bench: cannot start the running receiver\n");
        return;
    }
    sel_thread_start(&t);
    sel_wait(receiver_ack);   /* its handler is set up */
    static sel_word_t receiver[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_token_send(token);
        sel_word_t b = rdinstret();
        samples[i] = b - a - read_overhead;
        sel_wait(receiver_ack);
        receiver[i] = handler_at - note_before_handler;
    }
    sel_tcb_suspend(t.tcb);
    sel_word_t sender = median(samples, ROUNDS), receiver_work = median(receiver, ROUNDS);
    printf("BENCH token_running_instructions %lu\n", (unsigned long)(sender + receiver_work));
    printf("bench: token to a running thread: sender hart %lu, receiver hart %lu instructions\n",
           (unsigned long)sender, (unsigned long)receiver_work);
}

/*
 * ---- The shared ring (sel/ring.h), one side after the other on one hart ----
 *
 * A message as the demo's jobs ring carries it (a tag and 16 bytes, 24-byte
 * slots, 16 entries).  Nobody is armed, so no figure includes a wake-up:
 * these are the costs a message pays in steady state.  Each operation is a
 * function of its own, as the generated glue calls it.
 */
#define RING_ENTRIES 16
#define RING_ENTRY 24

struct ring_message {
    uint64_t op, value;
};

static _Alignas(64) uint8_t ring_memory[SEL_RING_HEADER + RING_ENTRIES * RING_ENTRY];
static sel_ring_producer_t ring_producer;
static sel_ring_consumer_t ring_consumer;
static _Alignas(64) uint8_t ring_other_memory[SEL_RING_HEADER + RING_ENTRIES * RING_ENTRY];
static sel_ring_consumer_t ring_other;     /* the port's other ring, which flush releases first */
static unsigned ring_wakes;

static inline void compiler_barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

/* As the generated glue pushes (glue_<port>_push): reserve, then the tag and the message by assignment. */
static __attribute__((noinline)) bool ring_push(uint64_t tag, const struct ring_message *m)
{
    struct sel_ring_slot *slot = sel_ring_reserve(&ring_producer);
    if (!slot)
        return false;
    slot->tag = tag;
    *(struct ring_message *)slot->message = *m;
    return true;
}

/* As <port>_flush: release the other ring (nothing to release here), then publish. */
static __attribute__((noinline)) void ring_publish(void)
{
    bool wake = sel_ring_release(&ring_other);
    if (sel_ring_publish(&ring_producer))
        wake = true;
    if (wake)
        ring_wakes++;
}

/* As the generated glue pops (glue_<port>_pop): copy out, consume, release at the end of the batch. */
static __attribute__((noinline)) bool ring_pop(uint64_t *tag, struct ring_message *m)
{
    const struct sel_ring_slot *slot = sel_ring_peek(&ring_consumer);
    if (!slot)
        return false;
    *tag = slot->tag;
    *m = *(const struct ring_message *)slot->message;
    sel_ring_consume(&ring_consumer);
    if (sel_ring_release_if_done(&ring_consumer))
        ring_wakes++;
    return true;
}

static void bench_ring(void)
{
    struct ring_message m = { 1, 2 };
    uint64_t tag;
    sel_ring_producer_init(&ring_producer, ring_memory, RING_ENTRIES, RING_ENTRY);
    sel_ring_consumer_init(&ring_consumer, ring_memory, RING_ENTRIES, RING_ENTRY);
    sel_ring_consumer_init(&ring_other, ring_other_memory, RING_ENTRIES, RING_ENTRY);

    /* One message: push + publish, then pop (which releases: its batch ends with it). */
    static sel_word_t pops[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        compiler_barrier();
        sel_word_t a = rdinstret();
        compiler_barrier();
        ring_push((uint64_t)i, &m);
        ring_publish();
        compiler_barrier();
        sel_word_t b = rdinstret();
        compiler_barrier();
        ring_pop(&tag, &m);
        compiler_barrier();
        sel_word_t c = rdinstret();
        compiler_barrier();
        samples[i] = b - a - read_overhead;
        pops[i] = c - b - read_overhead;
    }
    printf("BENCH ring_push_publish_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
    printf("BENCH ring_pop_release_instructions %lu\n", (unsigned long)median(pops, ROUNDS));

    /* A full batch: 16 pushes and one publish, then 16 pops (one release); per message. */
    for (int i = 0; i < ROUNDS; i++) {
        compiler_barrier();
        sel_word_t a = rdinstret();
        compiler_barrier();
        for (int k = 0; k < RING_ENTRIES; k++)
            ring_push((uint64_t)k, &m);
        ring_publish();
        compiler_barrier();
        sel_word_t b = rdinstret();
        compiler_barrier();
        while (ring_pop(&tag, &m))
            ;
        compiler_barrier();
        sel_word_t c = rdinstret();
        compiler_barrier();
        samples[i] = (b - a - read_overhead) / RING_ENTRIES;
        pops[i] = (c - b - read_overhead) / RING_ENTRIES;   /* includes the final pop that finds it empty */
    }
    printf("BENCH ring_push_batched_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
    printf("BENCH ring_pop_batched_instructions %lu\n", (unsigned long)median(pops, ROUNDS));
    if (ring_wakes || ring_producer.broken || ring_consumer.broken)
        printf("bench: the ring asked for %u wake-ups or broke: the figures are wrong\n", ring_wakes);
}

int main(void)
{
    sel_allocator_t alloc;
    sel_alloc_init(&alloc, sel_get_bootinfo());
    measure_overhead();
    printf("bench: rdinstret pair costs %lu instructions (subtracted)\n", (unsigned long)read_overhead);
    bench_null_syscall();
    bench_ipc_roundtrip(&alloc);
    bench_signal_wakeup(&alloc);
    bench_ipc_roundtrip_cross_hart(&alloc);
    bench_token_blocked(&alloc);
    bench_token_descheduled(&alloc);
    bench_token_running(&alloc);
    bench_ring();
    printf("BENCH DONE\n");
    return 0;
}
