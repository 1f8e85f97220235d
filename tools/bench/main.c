/*
 * The benchmark root task (make bench).  Runs under QEMU -icount shift=0,
 * where rdinstret reads QEMU's instruction clock: the instructions retired
 * by all harts together, exactly (QEMU runs the harts in turn on one host
 * thread; when every hart waits in wfi the clock jumps to the next timer,
 * which no figure here lets happen).  On one hart that is the thread's own
 * cost; across harts it is the work of both.  Each figure is the median
 * over many rounds of the instructions between two rdinstret reads, less
 * the cost of the reads, or for throughput a total over one long run.
 * Prints "BENCH <metric> <value>" lines that tools/bench.py turns into a
 * table and build/bench.json.
 */
#include <sel/alloc.h>
#include <sel/ring.h>
#include <sel/task.h>
#include <sel/thread.h>
#include <sel/trace.h>
#include <sel/uintr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The kernel-entry count on all harts (sel_debug_kernel_entries; the bench holds the debug cap). */
static sel_word_t kernel_entries(void)
{
    sel_kernel_entries_t counts = { 0 };
    sel_debug_kernel_entries(&counts);
    return counts.entries;
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

/*
 * ---- One kernel trace record (a tracing build only: make bench runs this image built with TRACE=1 too) ----
 *
 * DebugTrace's mark writes n records in a loop: the difference between n = 64 and n = 0, over 64, is one
 * record and a turn of that loop (three instructions).  It runs before the buffer has filled (it keeps its
 * first records; a full one costs less), and a kernel without tracing refuses, so nothing is printed there.
 */
static void bench_trace_event(void)
{
    static sel_word_t none[ROUNDS];
    if (sel_debug_trace_mark(0, 0) != SEL_NO_ERROR)
        return;
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_debug_trace_mark(0, (sel_word_t)i);
        sel_word_t b = rdinstret();
        sel_debug_trace_mark(SEL_TRACE_MARK_MAX, (sel_word_t)i);
        sel_word_t c = rdinstret();
        none[i] = b - a;
        samples[i] = c - b;
    }
    sel_word_t marks = median(samples, ROUNDS) - median(none, ROUNDS);
    printf("BENCH trace_event_instructions %lu\n", (unsigned long)((marks + SEL_TRACE_MARK_MAX / 2) / SEL_TRACE_MARK_MAX));
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
 * The clock is shared by the harts, so the client's count per round trip
 * is the work of both: its Call, the IPI, the server's wake-up on the other
 * hart, its ReplyRecv and the IPI back, and both harts' idle paths.  (In
 * QEMU the server's hart runs only once this one waits: the latency is a
 * sum of work, not of overlapping work as on hardware.)
 */
static void cross_hart_server(void *arg)
{
    (void)arg;
    sel_word_t badge, m0 = 0;
    sel_recv_mrs(endpoint, &badge, &m0, NULL, NULL, NULL);
    for (;;)
        sel_reply_recv_mrs(endpoint, sel_msginfo_new(0, 0, 0, 1), &badge, &m0, NULL, NULL, NULL);
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
        if (i > 0)   /* the first finds the server's hart asleep since boot */
            samples[i - 1] = b - a - read_overhead;
    }
    printf("BENCH ipc_roundtrip_cross_hart_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
}

/*
 * ---- One-way Call, as seL4's sel4bench measures it ----
 * From the client's rdinstret before Call to the server's first read after
 * its Recv returns (server one priority above, on this hart): with no
 * words beyond the tag, and with 10 words (4 in registers, 6 in the IPC
 * buffer, which the slow path copies).
 */
static volatile sel_word_t received_at;

static void timing_server(void *arg)
{
    (void)arg;
    sel_word_t badge;
    sel_recv(endpoint, &badge);
    for (;;) {
        received_at = rdinstret();
        sel_reply_recv(endpoint, sel_msginfo_new(0, 0, 0, 0), &badge);
    }
}

static void bench_ipc_call_one_way(sel_allocator_t *alloc)
{
    sel_thread_t server;
    endpoint = sel_alloc_object(alloc, SEL_ENDPOINT_OBJECT, 0);
    if (!endpoint || sel_thread_create(alloc, &server, true, 255, 0, timing_server, NULL)) {
        printf("bench: cannot start the timing server\n");
        return;
    }
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 254);
    sel_thread_start(&server);   /* it runs at once and blocks in Recv */
    static const unsigned lengths[] = { 0, 10 };
    for (unsigned k = 0; k < 2; k++) {
        for (int i = 0; i < ROUNDS; i++) {
            for (unsigned w = 0; w < lengths[k]; w++)
                sel_set_mr((int)w, w + (sel_word_t)i);
            sel_word_t a = rdinstret();
            sel_call(endpoint, sel_msginfo_new(0, 0, 0, lengths[k]));
            samples[i] = received_at - a - read_overhead / 2;
        }
        printf("BENCH %s %lu\n", k ? "ipc_call_10_words_instructions" : "ipc_call_instructions",
               (unsigned long)median(samples, ROUNDS));
    }
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 255);
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
 * between tokens.  The figure runs from the sender's send to the first
 * instruction of the receiver's handler, on QEMU's shared clock: the send,
 * the IPI, the sender's way into its own Wait (QEMU runs the other hart only
 * when this one waits), the receiver's hart waking, and the diversion to
 * the handler (the wfi's trap included, which a receiver busy in user code
 * would not pay).  Nobody spins: in QEMU's single-threaded -icount mode a
 * spinning hart starves the other.
 */
static sel_cptr_t receiver_ack;

static void acking_handler(sel_word_t bits, sel_word_t uepc)
{
    (void)bits;
    (void)uepc;
    handler_at = rdinstret();
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
    for (;;)
        __asm__ volatile("wfi");
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
    static sel_word_t sends[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        sel_token_send(token);
        sel_word_t b = rdinstret();
        sends[i] = b - a - read_overhead;
        sel_wait(receiver_ack);
        samples[i] = handler_at - a - read_overhead / 2;
    }
    sel_tcb_suspend(t.tcb);
    printf("BENCH token_running_instructions %lu\n", (unsigned long)median(samples, ROUNDS));
    printf("bench: token to a running thread: the send itself %lu instructions\n", (unsigned long)median(sends, ROUNDS));
}

/*
 * ---- A device interrupt to its driver's handler, as a notification and as a token ----
 * The ns16550a raises its transmitter-empty interrupt as soon as IER bit 1
 * is set (its transmitter is idle), as components/uart_probe does.  The
 * driver, in an address space of its own one priority above us on this
 * hart, waits; we store to IER, and the figure runs from our rdinstret
 * before the store to the driver's first instruction: after its Wait
 * returns (the IRQ handler signals a notification), or in its
 * user-interrupt handler (the IRQ handler raises a token; libsel's entry
 * included).  The driver quiets the UART and Acks the line each time.
 * seL4 on the HiFive board: 798 cycles from the IRQ to the user handler.
 */
#define UART_PADDR 0x10000000ull
#define UART_IRQ 10
#define UART_IER 1
#define UART_IER_THRI 0x02
#define UART_VADDR 0x3800000000ull

static volatile uint8_t *const uart = (volatile uint8_t *)UART_VADDR;
static sel_cptr_t irq_handler, irq_ntfn, irq_never;
static volatile sel_word_t irq_at;

/* A 4 KiB device frame at exactly paddr, carving the device untyped up to it (as test_irq.c does). */
static sel_cptr_t device_frame_at(sel_allocator_t *alloc, sel_word_t paddr)
{
    const sel_bootinfo_t *bi = sel_get_bootinfo();
    sel_cptr_t untyped = 0;
    sel_word_t base = 0;
    for (sel_word_t i = 0; i < bi->num_untypeds; i++) {
        const sel_untyped_desc_t *d = &bi->untyped_list[i];
        if (d->is_device && paddr >= d->paddr && paddr - d->paddr < (1ull << d->size_bits)) {
            untyped = bi->untyped.start + i;
            base = d->paddr;
        }
    }
    if (!untyped)
        return 0;
    for (int bits = 63; bits >= SEL_PAGE_BITS; bits--)
        if ((paddr - base) & (1ull << bits))
            if (sel_untyped_retype(untyped, SEL_UNTYPED_OBJECT, (sel_word_t)bits, SEL_CAP_INIT_CNODE, 0, 0,
                                   sel_alloc_slot(alloc), 1))
                return 0;
    sel_cptr_t frame = sel_alloc_slot(alloc);
    if (sel_untyped_retype(untyped, SEL_FRAME_4K_OBJECT, 0, SEL_CAP_INIT_CNODE, 0, 0, frame, 1))
        return 0;
    return frame;
}

static void irq_notification_driver(void *arg)
{
    (void)arg;
    for (;;) {
        sel_wait(irq_ntfn);
        irq_at = rdinstret();
        uart[UART_IER] = 0;
        sel_irq_handler_ack(irq_handler);
    }
}

static void irq_token_handler(sel_word_t bits, sel_word_t uepc)
{
    (void)bits;
    (void)uepc;
    irq_at = rdinstret();
    uart[UART_IER] = 0;
    sel_irq_handler_ack(irq_handler);
}

static void irq_token_driver(void *arg)
{
    (void)arg;
    sel_uintr_set_handler(irq_token_handler);
    sel_uintr_enable_bits(1);
    sel_uintr_enable();
    for (;;)
        sel_wait(irq_never);
}

/* The UART mapped here and its IRQ handler: made once, for both drivers. */
static sel_cptr_t uart_frame;

static bool claim_uart(sel_allocator_t *alloc)
{
    if (uart_frame)
        return true;
    uart_frame = device_frame_at(alloc, UART_PADDR);
    irq_handler = sel_alloc_slot(alloc);
    if (!uart_frame || !irq_handler ||
        sel_alloc_map_frame(alloc, uart_frame, SEL_CAP_INIT_VSPACE, UART_VADDR, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER) ||
        sel_irq_control_get(SEL_CAP_IRQ_CONTROL, UART_IRQ, SEL_CAP_INIT_CNODE, irq_handler, SEL_WORD_BITS))
        return false;
    uart[UART_IER] = 0;
    return true;
}

/* Starts driver in its own address space with the UART mapped there too; the IRQ goes where as_token says. */
static bool start_irq_driver(sel_allocator_t *alloc, sel_thread_t *t, sel_thread_fn driver, bool as_token)
{
    sel_cptr_t copy = sel_alloc_slot(alloc);
    if (!claim_uart(alloc) || !copy || sel_thread_create(alloc, t, true, 255, 0, driver, NULL) ||
        sel_cnode_copy(SEL_CAP_INIT_CNODE, copy, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, uart_frame, SEL_WORD_BITS,
                       SEL_ALL_RIGHTS) ||
        sel_alloc_map_frame(alloc, copy, t->vspace, UART_VADDR, SEL_READ_WRITE, SEL_VM_EXECUTE_NEVER))
        return false;
    if (as_token) {
        sel_cptr_t token = make_token(alloc, t);
        if (!token || sel_irq_handler_set_user_interrupt(irq_handler, token))
            return false;
    } else if (sel_irq_handler_set_notification(irq_handler, irq_ntfn)) {
        return false;
    }
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 254);
    return sel_thread_start(t) == SEL_NO_ERROR;   /* it runs at once and waits */
}

static void bench_irq(sel_allocator_t *alloc, bool as_token)
{
    sel_thread_t t;
    irq_ntfn = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    irq_never = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    if (!irq_ntfn || !irq_never ||
        !start_irq_driver(alloc, &t, as_token ? irq_token_driver : irq_notification_driver, as_token)) {
        printf("bench: cannot start the UART driver\n");
        return;
    }
    for (int i = 0; i < ROUNDS; i++) {
        sel_word_t a = rdinstret();
        uart[UART_IER] = UART_IER_THRI;   /* the driver preempts us: handler, quiet, Ack, wait again */
        samples[i] = irq_at - a - read_overhead / 2;
    }
    sel_tcb_set_priority(SEL_CAP_INIT_TCB, SEL_CAP_INIT_TCB, 255);
    sel_tcb_suspend(t.tcb);
    printf("BENCH %s %lu\n", as_token ? "irq_to_handler_token_instructions" : "irq_to_handler_notification_instructions",
           (unsigned long)median(samples, ROUNDS));
}

/* The same, with the driver running (it makes the store itself): a token diverts it without a wake-up. */
static void bench_irq_running(sel_allocator_t *alloc)
{
    sel_cptr_t uintr = sel_alloc_object(alloc, SEL_USER_INTERRUPT_OBJECT, 0);
    sel_cptr_t token = sel_alloc_slot(alloc);
    if (!uintr || !token || !claim_uart(alloc) || sel_tcb_bind_user_interrupt(SEL_CAP_INIT_TCB, uintr) ||
        sel_cnode_mint(SEL_CAP_INIT_CNODE, token, SEL_WORD_BITS, SEL_CAP_INIT_CNODE, uintr, SEL_WORD_BITS,
                       SEL_CAN_WRITE, 1) ||
        sel_irq_handler_set_user_interrupt(irq_handler, token)) {
        printf("bench: cannot make this thread the UART driver\n");
        return;
    }
    sel_uintr_set_handler(irq_token_handler);
    sel_uintr_enable_bits(1);
    sel_uintr_enable();
    for (int i = 0; i < ROUNDS; i++) {
        irq_at = 0;
        sel_word_t a = rdinstret();
        uart[UART_IER] = UART_IER_THRI;
        while (!irq_at)
            ;
        samples[i] = irq_at - a - read_overhead / 2;
    }
    sel_uintr_disable();
    sel_irq_handler_clear(irq_handler);
    sel_tcb_unbind_user_interrupt(SEL_CAP_INIT_TCB);
    printf("bench: UART IRQ -> the running driver's own token handler: %lu instructions\n",
           (unsigned long)median(samples, ROUNDS));
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

/*
 * ---- Throughput: 64-byte messages from one address space to another on the other hart ----
 *
 * A producer (this thread, on the boot hart) sends THROUGHPUT_MESSAGES
 * messages of 64 bytes to a consumer in another address space on the other
 * hart, which reads every word of each.  Through a ring: fill slots in
 * place, publish once per batch, and sleep on a notification only when the
 * ring is full (the consumer: when it is empty), with wake-up suppression
 * (sel/ring.h).  Through rpc: one Call carrying the 8 words per message,
 * answered by a ReplyRecv with none.  The figures: messages per million
 * instructions retired by both harts together (a halted hart retires
 * none), and kernel entries on both harts (sel_debug_kernel_entries) per
 * 1000 messages.
 *
 * QEMU under -icount runs one hart at a time, each until it halts or its
 * slice ends, so the producer fills the ring and sleeps, then the consumer
 * empties it and sleeps: each turn costs about four kernel entries (a
 * Signal and a Wait on each side), and the entries per message fall as
 * the ring grows.  Hardware that runs both harts at once lets the consumer
 * keep up, and neither side sleeps while messages flow.
 */
#define THROUGHPUT_MESSAGES 131072   /* tools/bench.py knows it too, for messages per wall second */
#define THROUGHPUT_BATCH 64
#define BIG_RING_ENTRIES 16384
#define BIG_RING_ENTRY (SEL_RING_TAG_SIZE + 64)

struct message64 {
    uint64_t word[8];
};

static _Alignas(4096) uint8_t big_ring[SEL_RING_HEADER + BIG_RING_ENTRIES * BIG_RING_ENTRY];
static sel_cptr_t producer_wakeup, consumer_wakeup, consumer_start, run_done, rpc_endpoint;
static volatile uint32_t run_entries;
static volatile sel_word_t consumer_sum, consumer_broken;

static void ring_consumer_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sel_wait(consumer_start);
        sel_ring_consumer_t c;
        sel_ring_consumer_init(&c, big_ring, run_entries, BIG_RING_ENTRY);
        sel_word_t sum = 0;
        unsigned received = 0;
        while (received < THROUGHPUT_MESSAGES && !c.broken) {
            struct message64 m;
            uint64_t tag;
            bool wake = false;
            while (sel_ring_pop(&c, &tag, &m, sizeof(m), &wake)) {
                for (int w = 0; w < 8; w++)
                    sum += m.word[w];
                received++;
            }
            if (wake)
                sel_signal(producer_wakeup);
            if (received < THROUGHPUT_MESSAGES && sel_ring_consumer_arm(&c))
                sel_wait(consumer_wakeup);
            sel_ring_consumer_disarm(&c);
        }
        consumer_sum = sum;
        consumer_broken = (sel_word_t)c.broken;
        sel_signal(run_done);
    }
}

static void rpc_consumer_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sel_wait(consumer_start);
        sel_word_t sum = 0, badge, m[4] = { 0 };
        sel_recv_mrs(rpc_endpoint, &badge, &m[0], &m[1], &m[2], &m[3]);
        for (unsigned i = 1;; i++) {
            sum += m[0] + m[1] + m[2] + m[3] + sel_get_mr(4) + sel_get_mr(5) + sel_get_mr(6) + sel_get_mr(7);
            if (i == THROUGHPUT_MESSAGES)
                break;
            sel_reply_recv_mrs(rpc_endpoint, sel_msginfo_new(0, 0, 0, 0), &badge, &m[0], &m[1], &m[2], &m[3]);
        }
        consumer_sum = sum;
        sel_reply(sel_msginfo_new(0, 0, 0, 0));
        sel_signal(run_done);
    }
}

/* What every message's words add up to, for checking that the consumer saw them all. */
static sel_word_t expected_sum(void)
{
    sel_word_t sum = 0;
    for (sel_word_t i = 0; i < THROUGHPUT_MESSAGES; i++)
        sum += 8 * i + 28;
    return sum;
}

struct throughput {
    sel_word_t instructions;     /* of both harts: the clock rdinstret reads is QEMU's, shared by the harts */
    sel_word_t kernel_entries;
    bool correct;
};

static void start_run(sel_word_t *entries_before)
{
    sel_poll(producer_wakeup);   /* no stale wake-ups from an earlier run */
    sel_poll(consumer_wakeup);
    sel_poll(run_done);
    *entries_before = kernel_entries();
    sel_signal(consumer_start);
}

static struct throughput ring_throughput(uint32_t entries)
{
    memset(big_ring, 0, SEL_RING_HEADER);
    run_entries = entries;
    sel_ring_producer_t p;
    sel_ring_producer_init(&p, big_ring, entries, BIG_RING_ENTRY);
    sel_word_t entries_before;
    start_run(&entries_before);
    sel_word_t start = rdinstret();
    unsigned sent = 0;
    while (sent < THROUGHPUT_MESSAGES && !p.broken) {
        unsigned batch = 0;
        struct sel_ring_slot *slot;
        while (batch < THROUGHPUT_BATCH && sent < THROUGHPUT_MESSAGES && (slot = sel_ring_reserve(&p))) {
            struct message64 *m = (struct message64 *)slot->message;
            slot->tag = sent;
            for (int w = 0; w < 8; w++)
                m->word[w] = sent + (sel_word_t)w;
            sent++;
            batch++;
        }
        if (sel_ring_publish(&p))
            sel_signal(consumer_wakeup);
        if (batch == 0) {   /* full */
            if (sel_ring_producer_arm(&p))
                sel_wait(producer_wakeup);
            sel_ring_producer_disarm(&p);
        }
    }
    sel_wait(run_done);
    struct throughput t = { rdinstret() - start, kernel_entries() - entries_before, false };
    t.correct = !p.broken && !consumer_broken && consumer_sum == expected_sum();
    return t;
}

static struct throughput rpc_throughput(void)
{
    sel_word_t entries_before;
    start_run(&entries_before);
    sel_word_t start = rdinstret();
    for (unsigned i = 0; i < THROUGHPUT_MESSAGES; i++) {
        sel_word_t m[4] = { i, i + 1, i + 2, i + 3 };
        for (int w = 4; w < 8; w++)
            sel_set_mr(w, i + (sel_word_t)w);
        sel_call_mrs(rpc_endpoint, sel_msginfo_new(0, 0, 0, 8), &m[0], &m[1], &m[2], &m[3]);
    }
    sel_wait(run_done);
    struct throughput t = { rdinstret() - start, kernel_entries() - entries_before,
                            consumer_sum == expected_sum() };
    return t;
}

/* tools/bench.py times the lines "WALL begin <phase>" and "WALL end <phase>" as they arrive: wall time, secondary. */
static sel_word_t per_million(struct throughput t)
{
    return t.instructions ? (sel_word_t)((uint64_t)THROUGHPUT_MESSAGES * 1000000 / t.instructions) : 0;
}

/* Kernel entries per 1000 messages, in thousandths (the figure is far below one). */
static sel_word_t entries_per_1000_milli(struct throughput t)
{
    return (sel_word_t)((uint64_t)t.kernel_entries * 1000 * 1000 / THROUGHPUT_MESSAGES);
}

static void bench_throughput(sel_allocator_t *alloc)
{
    const sel_bootinfo_t *bi = sel_get_bootinfo();
    sel_word_t other = (bi->boot_hart + 1) % bi->num_harts;
    sel_thread_t ring_consumer, rpc_consumer, rpc_local;
    producer_wakeup = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    consumer_wakeup = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    consumer_start = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    run_done = sel_alloc_object(alloc, SEL_NOTIFICATION_OBJECT, 0);
    rpc_endpoint = sel_alloc_object(alloc, SEL_ENDPOINT_OBJECT, 0);
    if (bi->num_harts < 2 || !producer_wakeup || !consumer_wakeup || !consumer_start || !run_done || !rpc_endpoint ||
        sel_thread_create(alloc, &ring_consumer, true, 255, 0, ring_consumer_thread, NULL) ||
        sel_thread_create(alloc, &rpc_consumer, true, 255, 0, rpc_consumer_thread, NULL) ||
        sel_thread_create(alloc, &rpc_local, true, 255, 0, rpc_consumer_thread, NULL) ||
        sel_tcb_set_affinity(ring_consumer.tcb, other) || sel_tcb_set_affinity(rpc_consumer.tcb, other)) {
        printf("bench: cannot start the throughput consumers\n");
        return;
    }
    /* One consumer at a time waits for consumer_start: the others stay suspended. */
    static const uint32_t sizes[] = { 256, 1024, 4096, BIG_RING_ENTRIES };
    struct throughput ring = { 0, 0, false };
    sel_thread_start(&ring_consumer);
    for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        printf("WALL begin ring_%u\n", (unsigned)sizes[k]);
        ring = ring_throughput(sizes[k]);
        printf("WALL end ring_%u\n", (unsigned)sizes[k]);
        printf("bench: ring of %5u entries: %lu messages per million instructions, %lu.%03lu kernel entries "
               "per 1000 messages%s\n", (unsigned)sizes[k], (unsigned long)per_million(ring),
               (unsigned long)(entries_per_1000_milli(ring) / 1000), (unsigned long)(entries_per_1000_milli(ring) % 1000),
               ring.correct ? "" : " (WRONG: messages lost or broken ring)");
    }
    sel_tcb_suspend(ring_consumer.tcb);

    sel_thread_start(&rpc_consumer);
    printf("WALL begin rpc\n");
    struct throughput rpc = rpc_throughput();
    printf("WALL end rpc\n");
    sel_tcb_suspend(rpc_consumer.tcb);
    sel_thread_start(&rpc_local);
    printf("WALL begin rpc_same_hart\n");
    struct throughput local = rpc_throughput();
    printf("WALL end rpc_same_hart\n");
    sel_tcb_suspend(rpc_local.tcb);
    if (!rpc.correct || !local.correct)
        printf("bench: rpc throughput: WRONG: the server did not see every message\n");

    printf("BENCH ring_msgs_per_million_instructions %lu\n", (unsigned long)per_million(ring));
    printf("BENCH ring_kernel_entries_per_1000_msgs %lu.%03lu\n", (unsigned long)(entries_per_1000_milli(ring) / 1000),
           (unsigned long)(entries_per_1000_milli(ring) % 1000));
    printf("BENCH rpc_msgs_per_million_instructions %lu\n", (unsigned long)per_million(rpc));
    printf("BENCH rpc_same_hart_msgs_per_million_instructions %lu\n", (unsigned long)per_million(local));
    printf("bench: rpc: %lu kernel entries per 1000 messages across harts, %lu on one hart\n",
           (unsigned long)(entries_per_1000_milli(rpc) / 1000), (unsigned long)(entries_per_1000_milli(local) / 1000));
}

/* ---- tasks: one yielding to another of the same priority, all in user mode ---- */

#define YIELDS 4096

static sel_tasks_t task_sched;
static sel_task_t yielders[2];
static _Alignas(16) uint8_t yielder_stacks[2][4096];

static void yielder(void *arg)
{
    (void)arg;
    for (int i = 0; i < YIELDS; i++)
        sel_task_yield();
}

/* Two tasks yield to each other YIELDS times each: the total over the switches (the loop's two instructions included). */
static void bench_task_switch(void)
{
    sel_tasks_init(&task_sched, NULL);
    for (int i = 0; i < 2; i++)
        sel_task_start(&task_sched, &yielders[i], yielder_stacks[i], sizeof(yielder_stacks[i]), 1, yielder, NULL,
                       "yielder");
    sel_word_t start = rdinstret();
    sel_tasks_run(&task_sched);
    sel_word_t total = rdinstret() - start - read_overhead;
    printf("BENCH task_switch_instructions %lu\n", (unsigned long)(total / (2 * YIELDS)));
}

int main(void)
{
    sel_allocator_t alloc;
    sel_alloc_init(&alloc, sel_get_bootinfo());
    measure_overhead();
    printf("bench: rdinstret pair costs %lu instructions (subtracted)\n", (unsigned long)read_overhead);
    bench_null_syscall();
    bench_ipc_roundtrip(&alloc);
    bench_trace_event();
    bench_signal_wakeup(&alloc);
    bench_ipc_call_one_way(&alloc);
    bench_ipc_roundtrip_cross_hart(&alloc);
    bench_token_blocked(&alloc);
    bench_token_descheduled(&alloc);
    bench_token_running(&alloc);
    bench_irq(&alloc, false);
    bench_irq(&alloc, true);
    bench_irq_running(&alloc);
    bench_ring();
    bench_task_switch();
    bench_throughput(&alloc);
    printf("BENCH DONE\n");
    return 0;
}
