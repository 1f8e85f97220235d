/*
 * The benchmark root task (make bench).  Runs under QEMU -icount shift=0,
 * where rdinstret counts retired instructions exactly; each figure is the
 * median over many rounds of the instructions between two rdinstret reads,
 * less the cost of the reads themselves.  Prints "BENCH <metric> <value>"
 * lines that tools/bench.py turns into a table and build/bench.json.
 */
#include <sel/alloc.h>
#include <sel/thread.h>
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

int main(void)
{
    sel_allocator_t alloc;
    sel_alloc_init(&alloc, sel_get_bootinfo());
    measure_overhead();
    printf("bench: rdinstret pair costs %lu instructions (subtracted)\n", (unsigned long)read_overhead);
    bench_null_syscall();
    bench_ipc_roundtrip(&alloc);
    bench_signal_wakeup(&alloc);
    printf("BENCH DONE\n");
    return 0;
}
