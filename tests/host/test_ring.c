/*
 * Host tests of the shared ring (libsel/include/sel/ring.h, libsel/src/ring.c):
 * order and wrap-around, full and empty, batching, wake-up suppression,
 * peers that lie, region checks, and two threads on real cores sleeping on
 * semaphores with exactly the arm/publish protocol.
 *
 * Every ring lives in an mmap'ed region with PROT_NONE guard pages right
 * before its header or right after its last slot, so a stray access by the
 * ring code crashes the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sel/ring.h>

/* ---- rings between guard pages ---------------------------------------------------------- */

enum placement { HEADER_AT_START, SLOTS_AT_END };

struct guarded {
    uint8_t *map;           /* a guard page, the ring's pages, a guard page */
    size_t map_size;
    size_t bytes;           /* the ring: header and slots */
    struct sel_ring *ring;
};

/* A zeroed ring whose header starts right after a guard page, or whose last slot ends right before one. */
static struct sel_ring *guarded_ring(struct guarded *g, uint32_t entries, uint32_t entry_size, enum placement where)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g->bytes = SEL_RING_HEADER + (size_t)entries * entry_size;
    assert_int_equal(g->bytes % 64, 0);   /* so the header stays 64-byte aligned at the end of the pages */
    size_t inner = (g->bytes + page - 1) / page * page;
    g->map_size = inner + 2 * page;
    g->map = mmap(NULL, g->map_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    assert_int_equal(mprotect(g->map + page, inner, PROT_READ | PROT_WRITE), 0);
    g->ring = (struct sel_ring *)(g->map + page + (where == SLOTS_AT_END ? inner - g->bytes : 0));
    return g->ring;
}

static void guarded_free(struct guarded *g)
{
    munmap(g->map, g->map_size);
}

/* A producer and a consumer on one guarded ring, both at index start (the shared indices too). */
struct pair {
    struct guarded g;
    sel_ring_producer_t p;
    sel_ring_consumer_t c;
};

static void pair_setup(struct pair *s, uint32_t entries, uint32_t entry_size, enum placement where, uint32_t start)
{
    struct sel_ring *ring = guarded_ring(&s->g, entries, entry_size, where);
    ring->head = ring->tail = start;
    assert_true(sel_ring_producer_init_at(&s->p, ring, entries, entry_size, start));
    assert_true(sel_ring_consumer_init_at(&s->c, ring, entries, entry_size, start));
}

struct msg {
    uint64_t a, b;
};

static bool push_msg(struct pair *s, uint64_t n)
{
    return sel_ring_push(&s->p, n, &(struct msg){ n * 3, ~n }, sizeof(struct msg));
}

/* Pops one message and checks it is number n; returns false if there was none. */
static bool pop_msg(struct pair *s, uint64_t n, bool *wake)
{
    struct msg m;
    uint64_t tag;
    if (!sel_ring_pop(&s->c, &tag, &m, sizeof(m), wake))
        return false;
    assert_int_equal(tag, n);
    assert_int_equal(m.a, n * 3);
    assert_int_equal(m.b, ~n);
    return true;
}

/*
 * Messages of every size up to the slot, to and from buffers at every
 * alignment: the word copy (both ends and the size multiples of 8) and the
 * byte copy carry the same bytes and touch nothing beyond the message.
 */
static void copies_carry_every_size_at_every_alignment(void **state)
{
    (void)state;
    struct pair s;
    pair_setup(&s, 8, 72, SLOTS_AT_END, 0);   /* 8 * 72 + 192: whole lines */
    _Alignas(8) uint8_t in[80], out[80];
    for (size_t size = 0; size <= 64; size++) {
        for (size_t offset = 0; offset < 8; offset++) {
            for (size_t i = 0; i < sizeof(in); i++)
                in[i] = (uint8_t)(size * 7 + i * 13 + offset);
            memset(out, 0xee, sizeof(out));
            bool wake = false;
            uint64_t tag;
            assert_true(sel_ring_push(&s.p, size, in + offset, size));
            sel_ring_publish(&s.p);
            assert_true(sel_ring_pop(&s.c, &tag, out + 8 - offset, size, &wake));
            assert_int_equal(tag, size);
            assert_memory_equal(out + 8 - offset, in + offset, size);
            for (size_t i = 0; i < 8 - offset; i++)
                assert_int_equal(out[i], 0xee);
            for (size_t i = 8 - offset + size; i < sizeof(out); i++)
                assert_int_equal(out[i], 0xee);
        }
    }
    guarded_free(&s.g);
}

/* ---- layout and set-up ------------------------------------------------------------------ */

/* The header codegen sizes rings with (layout.py RING_HEADER = 192): three lines, the fields where docs/rings.md says. */
static void ring_header_is_three_cache_lines_with_fields_in_place(void **state)
{
    assert_int_equal(sizeof(struct sel_ring), 192);
    assert_int_equal(SEL_RING_HEADER, 192);
    assert_int_equal(offsetof(struct sel_ring, head), 0);
    assert_int_equal(offsetof(struct sel_ring, need_space), 4);
    assert_int_equal(offsetof(struct sel_ring, tail), 64);
    assert_int_equal(offsetof(struct sel_ring, need_wakeup), 68);
    assert_int_equal(offsetof(struct sel_ring, spare), 128);
    assert_int_equal(offsetof(struct sel_ring, slots), 192);
}

static void init_rejects_bad_geometry_and_the_handle_stays_broken(void **state)
{
    static _Alignas(64) uint8_t memory[SEL_RING_HEADER + 64 * 16];
    sel_ring_producer_t p;
    sel_ring_consumer_t c;
    char why[160];
    struct { uint32_t entries, entry_size; bool ok; } cases[] = {
        { 8, 16, true }, { 1, 16, true }, { 8, 64, true },
        { 0, 16, false }, { 3, 16, false }, { 12, 16, false },   /* not a power of two */
        { 8, 8, false }, { 8, 12, false }, { 8, 0, false },      /* no room for a message, or not a multiple of 8 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(sel_ring_producer_init(&p, memory, cases[i].entries, cases[i].entry_size), cases[i].ok);
        assert_int_equal(sel_ring_consumer_init(&c, memory, cases[i].entries, cases[i].entry_size), cases[i].ok);
        if (cases[i].ok) {
            assert_int_equal(sel_ring_producer_explain(&p, why, sizeof(why)), 0);
            assert_string_equal(why, "");
            continue;
        }
        assert_int_equal(p.broken, SEL_RING_BAD_GEOMETRY);
        assert_int_equal(c.broken, SEL_RING_BAD_GEOMETRY);
        assert_null(sel_ring_reserve(&p));
        assert_false(sel_ring_publish(&p));
        assert_null(sel_ring_peek(&c));
        assert_true(sel_ring_consumer_explain(&c, why, sizeof(why)) > 0);
        assert_non_null(strstr(why, "power of two"));
    }
    /* Nothing was ever written to the shared memory. */
    for (size_t i = 0; i < sizeof(memory); i++)
        assert_int_equal(memory[i], 0);
}

/* The test harness itself: a write one byte past the last slot dies (so the liar tests mean something). */
static void guard_pages_catch_a_stray_access(void **state)
{
    for (int where = HEADER_AT_START; where <= SLOTS_AT_END; where++) {
        struct guarded g;
        struct sel_ring *ring = guarded_ring(&g, 8, 16, (enum placement)where);
        fflush(NULL);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            /* Die of the fault itself (cmocka and the sanitizer would catch it and carry on or report). */
            signal(SIGSEGV, SIG_DFL);
            signal(SIGBUS, SIG_DFL);
            volatile uint8_t *stray = where == SLOTS_AT_END ? ring->slots + 8 * 16 : (uint8_t *)ring - 1;
            *stray = 1;
            _exit(0);   /* survived: the guard did not work */
        }
        int status = 0;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status));
        guarded_free(&g);
    }
}

/* ---- order, wrap-around, full and empty ------------------------------------------------- */

/* 100,000 messages in random batches through an 8-entry ring: 12,500 trips round it, every tag and message in order. */
static void fifo_order_and_tags_over_many_wrap_arounds(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    uint64_t sent = 0, received = 0;
    unsigned seed = 1;
    bool wake = false;
    while (received < 100000) {
        unsigned batch = 1 + (unsigned)(rand_r(&seed) % 8);
        while (batch-- && push_msg(&s, sent))
            sent++;
        sel_ring_publish(&s.p);
        unsigned take = 1 + (unsigned)(rand_r(&seed) % 8);
        while (take-- && pop_msg(&s, received, &wake))
            received++;
        assert_true(sent - received <= 8);
    }
    assert_int_equal(s.g.ring->head, (uint32_t)sent);
    assert_false(s.p.broken || s.c.broken);
    guarded_free(&s.g);
}

/* Both sides start 16 entries short of 2^32: head and tail wrap to 0 while the ring is in use, full, and empty. */
static void indices_wrap_around_2_to_the_32(void **state)
{
    const uint32_t start = 0xfffffff0u;
    struct pair s;
    pair_setup(&s, 8, 24, HEADER_AT_START, start);
    uint64_t sent = 0, received = 0;
    bool wake = false;
    for (int round = 0; round < 10; round++) {
        /* Fill the ring completely (the ninth push fails), then empty it. */
        for (int i = 0; i < 8; i++)
            assert_true(push_msg(&s, sent++));
        assert_false(push_msg(&s, 999));
        sel_ring_publish(&s.p);
        assert_int_equal(sel_ring_available(&s.c), 8);
        while (pop_msg(&s, received, &wake))
            received++;
        assert_int_equal(received, sent);
        assert_int_equal(sel_ring_space(&s.p), 8);
    }
    assert_int_equal(s.g.ring->head, (uint32_t)(start + 80));   /* wrapped: 0x40 */
    assert_int_equal(s.g.ring->tail, 0x40u);
    assert_true(s.c.tail < start && s.p.head < start);
    assert_false(s.p.broken || s.c.broken);
    guarded_free(&s.g);
}

/* A full ring: push and reserve fail, nothing in the ring changes, and one pop makes room for one push. */
static void full_ring_refuses_pushes_and_overwrites_nothing(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    for (uint64_t i = 0; i < 8; i++)
        assert_true(push_msg(&s, i));
    assert_int_equal(sel_ring_space(&s.p), 0);
    static uint8_t before[SEL_RING_HEADER + 8 * 24];
    memcpy(before, s.g.ring, s.g.bytes);
    assert_false(push_msg(&s, 100));
    assert_null(sel_ring_reserve(&s.p));
    assert_memory_equal(before, s.g.ring, s.g.bytes);
    /* Published, popped once and released: exactly one slot comes free. */
    sel_ring_publish(&s.p);
    bool wake = false;
    assert_true(pop_msg(&s, 0, &wake));
    assert_false(sel_ring_release(&s.c));   /* stores tail 1; the producer did not ask to be woken */
    assert_int_equal(s.g.ring->tail, 1);
    assert_true(push_msg(&s, 8));
    assert_false(push_msg(&s, 9));
    sel_ring_publish(&s.p);
    for (uint64_t i = 1; i <= 8; i++)
        assert_true(pop_msg(&s, i, &wake));
    assert_false(s.p.broken || s.c.broken);
    guarded_free(&s.g);
}

/* An empty ring: pop fails and leaves the caller's buffers alone; so does a message bigger than a slot. */
static void empty_ring_refuses_pops(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    struct msg m = { 7, 7 };
    uint64_t tag = 7;
    bool wake = false;
    assert_false(sel_ring_pop(&s.c, &tag, &m, sizeof(m), &wake));
    assert_null(sel_ring_peek(&s.c));
    assert_int_equal(sel_ring_available(&s.c), 0);
    assert_true(tag == 7 && m.a == 7 && m.b == 7 && !wake);
    /* One in, one out, empty again. */
    assert_true(push_msg(&s, 1));
    sel_ring_publish(&s.p);
    assert_true(pop_msg(&s, 1, &wake));
    assert_false(sel_ring_pop(&s.c, &tag, &m, sizeof(m), &wake));
    assert_int_equal(tag, 7);
    /* Messages that do not fit a 24-byte slot (16 bytes after the tag). */
    uint8_t big[17] = { 0 };
    assert_false(sel_ring_push(&s.p, 5, big, sizeof(big)));
    assert_true(sel_ring_push(&s.p, 5, big, 16));
    sel_ring_publish(&s.p);
    assert_false(sel_ring_pop(&s.c, &tag, big, sizeof(big), &wake));
    assert_true(sel_ring_pop(&s.c, &tag, big, 16, &wake));
    assert_int_equal(tag, 5);
    guarded_free(&s.g);
}

/* ---- batching ----------------------------------------------------------------------------- */

/* Five pushes are invisible until the one publish, which stores head once; then all five are there. */
static void batch_is_invisible_until_one_publish(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    for (uint64_t i = 0; i < 5; i++) {
        assert_true(push_msg(&s, i));
        assert_int_equal(s.g.ring->head, 0);
        assert_int_equal(sel_ring_available(&s.c), 0);
        assert_null(sel_ring_peek(&s.c));
    }
    sel_ring_publish(&s.p);
    assert_int_equal(s.g.ring->head, 5);
    assert_int_equal(sel_ring_available(&s.c), 5);
    /* A publish with nothing new stores nothing: a value planted in head survives it. */
    s.g.ring->head = 0xdead;
    assert_false(sel_ring_publish(&s.p));
    assert_int_equal(s.g.ring->head, 0xdead);
    s.g.ring->head = 5;
    bool wake = false;
    for (uint64_t i = 0; i < 5; i++)
        assert_true(pop_msg(&s, i, &wake));
    guarded_free(&s.g);
}

/*
 * Pop-all stores tail once per batch it saw: a value planted in the shared
 * tail survives every pop but the batch's last (the consumer never reads
 * tail back), and the release after pop-all stores nothing more.
 */
static void pop_all_stores_tail_once_per_batch(void **state)
{
    struct pair s;
    pair_setup(&s, 16, 24, SLOTS_AT_END, 0);
    bool wake = false;
    uint64_t sent = 0, received = 0;
    unsigned stores = 0;
    const unsigned batches[] = { 5, 1, 16, 3 };
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        for (unsigned i = 0; i < batches[b]; i++)
            assert_true(push_msg(&s, sent++));
        sel_ring_publish(&s.p);
        s.g.ring->tail = 0xdead;
        for (;;) {
            bool got = pop_msg(&s, received, &wake);
            if (s.g.ring->tail != 0xdead) {
                stores++;
                assert_int_equal(s.g.ring->tail, (uint32_t)(received + 1));   /* at the batch's last pop */
                assert_int_equal(received + 1, sent);
                s.g.ring->tail = 0xdead;
            }
            if (!got)
                break;
            received++;
        }
        assert_false(sel_ring_release(&s.c));
        assert_int_equal(s.g.ring->tail, 0xdead);
        s.g.ring->tail = (uint32_t)received;
    }
    assert_int_equal(stores, 4);
    assert_int_equal(received, sent);
    guarded_free(&s.g);
}

/* Peek and consume, then one explicit release: the tail moves once, by the whole batch. */
static void peek_consume_then_one_release(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    for (uint64_t i = 0; i < 6; i++)
        assert_true(push_msg(&s, i));
    sel_ring_publish(&s.p);
    for (uint64_t i = 0; i < 6; i++) {
        const struct sel_ring_slot *slot = sel_ring_peek(&s.c);
        assert_non_null(slot);
        assert_int_equal(slot->tag, i);
        assert_int_equal(((const struct msg *)slot->message)->a, i * 3);
        sel_ring_consume(&s.c);
        assert_int_equal(s.g.ring->tail, 0);
    }
    assert_null(sel_ring_peek(&s.c));
    sel_ring_consume(&s.c);   /* past the head: ignored */
    assert_false(sel_ring_release(&s.c));
    assert_int_equal(s.g.ring->tail, 6);
    assert_false(s.p.broken || s.c.broken);
    guarded_free(&s.g);
}

/* The producer reads the shared tail only when the tail it saw last says full. */
static void producer_reads_tail_only_when_its_cache_says_full(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    s.g.ring->tail = 0x12345;   /* a lie the producer would reject, if it read it */
    for (uint64_t i = 0; i < 8; i++)
        assert_true(push_msg(&s, i));
    sel_ring_publish(&s.p);
    assert_int_equal(s.p.broken, SEL_RING_OK);
    assert_false(push_msg(&s, 8));   /* full by its cache: now it reads the lie */
    assert_int_equal(s.p.broken, SEL_RING_TAIL_AHEAD);
    guarded_free(&s.g);
}

/* ---- wake-up suppression ------------------------------------------------------------------- */

/* publish says "wake" exactly when the consumer armed, clears need_wakeup, and says it once per arm. */
static void publish_wakes_exactly_when_the_consumer_armed(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    bool wake = false;
    /* Not armed: no wake. */
    assert_true(push_msg(&s, 0));
    assert_false(sel_ring_publish(&s.p));
    assert_true(pop_msg(&s, 0, &wake));
    /* Armed on an empty ring: may sleep; the next publish wakes it, once. */
    assert_true(sel_ring_consumer_arm(&s.c));
    assert_int_equal(s.g.ring->need_wakeup, 1);
    assert_true(push_msg(&s, 1));
    assert_true(sel_ring_publish(&s.p));
    assert_int_equal(s.g.ring->need_wakeup, 0);
    assert_true(push_msg(&s, 2));
    assert_false(sel_ring_publish(&s.p));
    /* Armed, but the publish has nothing new: nothing to wake for. */
    assert_true(pop_msg(&s, 1, &wake) && pop_msg(&s, 2, &wake));
    sel_ring_consumer_disarm(&s.c);
    assert_true(sel_ring_consumer_arm(&s.c));
    assert_false(sel_ring_publish(&s.p));
    assert_int_equal(s.g.ring->need_wakeup, 1);
    /* Woken some other way: disarm, and the producer no longer wakes it. */
    sel_ring_consumer_disarm(&s.c);
    assert_int_equal(s.g.ring->need_wakeup, 0);
    assert_true(push_msg(&s, 3));
    assert_false(sel_ring_publish(&s.p));
    assert_false(wake);   /* the producer never armed */
    guarded_free(&s.g);
}

/* arm says "do not sleep" when entries are already there (published, or seen but not yet consumed). */
static void consumer_arm_refuses_to_sleep_on_entries(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    bool wake = false;
    assert_true(push_msg(&s, 0) && push_msg(&s, 1));
    sel_ring_publish(&s.p);
    assert_false(sel_ring_consumer_arm(&s.c));
    assert_int_equal(s.g.ring->need_wakeup, 0);   /* disarmed again */
    assert_true(pop_msg(&s, 0, &wake));
    assert_false(sel_ring_consumer_arm(&s.c));    /* entry 1 is still there */
    assert_true(pop_msg(&s, 1, &wake));
    assert_true(sel_ring_consumer_arm(&s.c));
    assert_false(wake);
    guarded_free(&s.g);
}

/* The same for need_space: the release that frees room says "wake" exactly when the producer armed. */
static void release_wakes_exactly_when_the_producer_armed(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    bool wake = false;
    /* Room: arming says do not sleep. */
    assert_false(sel_ring_producer_arm(&s.p));
    assert_int_equal(s.g.ring->need_space, 0);
    /* Full, not armed: the consumer's release wakes nobody. */
    for (uint64_t i = 0; i < 8; i++)
        assert_true(push_msg(&s, i));
    sel_ring_publish(&s.p);
    assert_true(pop_msg(&s, 0, &wake) && pop_msg(&s, 1, &wake));
    assert_false(sel_ring_release(&s.c));
    assert_true(push_msg(&s, 8) && push_msg(&s, 9));
    sel_ring_publish(&s.p);
    /* Full and armed: may sleep; the release at the end of the consumer's batch wakes it, once. */
    assert_true(sel_ring_producer_arm(&s.p));
    assert_int_equal(s.g.ring->need_space, 1);
    for (uint64_t i = 2; i < 10; i++) {
        assert_true(pop_msg(&s, i, &wake));
        assert_int_equal(wake, i >= 7);   /* the batch it saw ends at entry 7: that release wakes */
    }
    assert_int_equal(s.g.ring->need_space, 0);
    wake = false;
    assert_true(push_msg(&s, 10));
    sel_ring_publish(&s.p);
    assert_true(pop_msg(&s, 10, &wake));
    assert_false(wake);
    /* Armed while full, then room appears before it sleeps: arm says do not sleep. */
    for (uint64_t i = 11; i < 19; i++)
        assert_true(push_msg(&s, i));
    sel_ring_publish(&s.p);
    assert_true(sel_ring_producer_arm(&s.p));
    sel_ring_producer_disarm(&s.p);
    assert_int_equal(s.g.ring->need_space, 0);
    assert_true(pop_msg(&s, 11, &wake));
    assert_true(sel_ring_release(&s.c) == false);
    assert_false(sel_ring_producer_arm(&s.p));
    guarded_free(&s.g);
}

/* Garbage in the flags: any non-zero value asks for one wake-up, and breaks nothing. */
static void garbage_in_the_flags_costs_a_wake_up_and_nothing_else(void **state)
{
    struct pair s;
    pair_setup(&s, 8, 24, SLOTS_AT_END, 0);
    bool wake = false;
    s.g.ring->need_wakeup = 0xdeadbeef;
    s.g.ring->need_space = 0x80000000u;
    assert_true(push_msg(&s, 0));
    assert_true(sel_ring_publish(&s.p));
    assert_int_equal(s.g.ring->need_wakeup, 0);
    assert_true(pop_msg(&s, 0, &wake));
    assert_true(wake);
    assert_int_equal(s.g.ring->need_space, 0);
    assert_true(push_msg(&s, 1));
    assert_false(sel_ring_publish(&s.p));
    assert_true(pop_msg(&s, 1, &wake));
    assert_false(s.p.broken || s.c.broken);
    guarded_free(&s.g);
}

/* ---- peers that lie ------------------------------------------------------------------------- */

/* After the consumer broke: nothing moves, nothing is written, and the reason names both indices. */
static void assert_consumer_stopped(struct pair *s, enum sel_ring_broken reason, const char *sentence)
{
    struct msg m = { 1, 2 };
    uint64_t tag = 3;
    bool wake = false;
    assert_false(sel_ring_pop(&s->c, &tag, &m, sizeof(m), &wake));
    assert_true(m.a == 1 && m.b == 2 && tag == 3 && !wake);
    assert_int_equal(s->c.broken, reason);
    assert_null(sel_ring_peek(&s->c));
    assert_int_equal(sel_ring_available(&s->c), 0);
    uint32_t tail = s->g.ring->tail;
    assert_false(sel_ring_release(&s->c));
    assert_int_equal(s->g.ring->tail, tail);
    char why[160];
    assert_int_equal(sel_ring_consumer_explain(&s->c, why, sizeof(why)), strlen(sentence));
    assert_string_equal(why, sentence);
    /* Too small a buffer: cut, still terminated. */
    char small[10];
    sel_ring_consumer_explain(&s->c, small, sizeof(small));
    assert_int_equal(strlen(small), 9);
}

/* head far ahead, head = tail + entries + 1, head backwards, head backwards across 2^32. */
static void lying_producer_breaks_the_consumer_and_nothing_strays(void **state)
{
    for (int where = HEADER_AT_START; where <= SLOTS_AT_END; where++) {
        struct pair s;
        bool wake = false;

        pair_setup(&s, 8, 24, (enum placement)where, 0);
        s.g.ring->head = 1000000;
        assert_consumer_stopped(&s, SEL_RING_HEAD_TOO_FAR,
                                "the producer moved head from 0 to 1000000, more than 8 entries ahead of tail 0");
        /* Honest again: the ring stays broken. */
        s.g.ring->head = 0;
        assert_int_equal(sel_ring_available(&s.c), 0);
        assert_int_equal(s.c.broken, SEL_RING_HEAD_TOO_FAR);
        guarded_free(&s.g);

        /* One past full, after three honest entries were consumed (and released). */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        for (uint64_t i = 0; i < 3; i++)
            assert_true(push_msg(&s, i));
        sel_ring_publish(&s.p);
        for (uint64_t i = 0; i < 3; i++)
            assert_true(pop_msg(&s, i, &wake));
        s.g.ring->head = 3 + 8 + 1;
        assert_consumer_stopped(&s, SEL_RING_HEAD_TOO_FAR,
                                "the producer moved head from 3 to 12, more than 8 entries ahead of tail 3");
        guarded_free(&s.g);

        /* Exactly full is honest: head = tail + entries. */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        s.g.ring->head = 8;
        assert_int_equal(sel_ring_available(&s.c), 8);
        assert_int_equal(s.c.broken, SEL_RING_OK);
        guarded_free(&s.g);

        /* Backwards: it had shown 5, now says 3, while 2 of the 5 are still unread. */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        for (uint64_t i = 0; i < 5; i++)
            assert_true(push_msg(&s, i));
        sel_ring_publish(&s.p);
        for (uint64_t i = 0; i < 3; i++)
            assert_true(pop_msg(&s, i, &wake));
        s.g.ring->head = 3;
        assert_int_equal(sel_ring_available(&s.c), 0);
        /* The two entries seen before the lie are not handed out either: the ring stops. */
        assert_consumer_stopped(&s, SEL_RING_HEAD_BACKWARDS, "the producer moved head backwards from 5 to 3");
        guarded_free(&s.g);

        /* Backwards across the wrap: the consumer at 2 (having seen 0xfffffff8 .. 1 go by), head back to 0xfffffffe. */
        pair_setup(&s, 8, 24, (enum placement)where, 0xfffffff8u);
        for (uint64_t i = 0; i < 10; i++) {
            assert_true(push_msg(&s, i));
            sel_ring_publish(&s.p);
            assert_true(pop_msg(&s, i, &wake));
        }
        assert_int_equal(s.c.tail, 2);
        s.g.ring->head = 0xfffffffeu;
        assert_consumer_stopped(&s, SEL_RING_HEAD_BACKWARDS,
                                "the producer moved head backwards from 2 to 4294967294");
        guarded_free(&s.g);

        /* Scribbled slots are the producer's business: the consumer copies them out and stays in bounds. */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        memset(s.g.ring->slots, 0xff, 8 * 24);
        s.g.ring->head = 8;
        struct msg m;
        uint64_t tag;
        for (int i = 0; i < 8; i++)
            assert_true(sel_ring_pop(&s.c, &tag, &m, sizeof(m), &wake));
        assert_true(tag == UINT64_MAX && m.a == UINT64_MAX);
        assert_false(s.c.broken);
        guarded_free(&s.g);
    }
}

/* After the producer broke: nothing moves, nothing is written, and the reason names both indices. */
static void assert_producer_stopped(struct pair *s, enum sel_ring_broken reason, const char *sentence)
{
    uint32_t head = s->g.ring->head;
    assert_int_equal(sel_ring_space(&s->p), 0);   /* reads the tail, whatever the cache says */
    assert_int_equal(s->p.broken, reason);
    assert_false(push_msg(s, 99));
    assert_null(sel_ring_reserve(&s->p));
    assert_int_equal(sel_ring_space(&s->p), 0);
    assert_false(sel_ring_publish(&s->p));
    assert_int_equal(s->g.ring->head, head);
    char why[160];
    assert_int_equal(sel_ring_producer_explain(&s->p, why, sizeof(why)), strlen(sentence));
    assert_string_equal(why, sentence);
}

/* tail ahead of head, tail backwards, tail backwards across 2^32. */
static void lying_consumer_breaks_the_producer_and_nothing_strays(void **state)
{
    for (int where = HEADER_AT_START; where <= SLOTS_AT_END; where++) {
        struct pair s;
        bool wake = false;

        /* Four published, and the consumer claims five consumed. */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        for (uint64_t i = 0; i < 4; i++)
            assert_true(push_msg(&s, i));
        sel_ring_publish(&s.p);
        s.g.ring->tail = 5;
        assert_int_equal(sel_ring_space(&s.p), 0);
        assert_producer_stopped(&s, SEL_RING_TAIL_AHEAD, "the consumer moved tail from 0 to 5, ahead of head 4");
        guarded_free(&s.g);

        /* Reserved but not published does not count: the consumer cannot have seen it. */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        for (uint64_t i = 0; i < 8; i++)
            assert_true(push_msg(&s, i));
        s.g.ring->tail = 1;
        assert_false(push_msg(&s, 8));
        assert_producer_stopped(&s, SEL_RING_TAIL_AHEAD, "the consumer moved tail from 0 to 1, ahead of head 0");
        guarded_free(&s.g);

        /* Backwards: it released 6, then says 2. */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        for (uint64_t i = 0; i < 8; i++)
            assert_true(push_msg(&s, i));
        sel_ring_publish(&s.p);
        for (uint64_t i = 0; i < 6; i++)
            assert_true(pop_msg(&s, i, &wake));
        assert_true(sel_ring_release(&s.c) == false);
        assert_int_equal(sel_ring_space(&s.p), 6);
        s.g.ring->tail = 2;
        assert_producer_stopped(&s, SEL_RING_TAIL_BACKWARDS, "the consumer moved tail backwards from 6 to 2");
        guarded_free(&s.g);

        /* Backwards across the wrap. */
        pair_setup(&s, 8, 24, (enum placement)where, 0xfffffffcu);
        for (uint64_t i = 0; i < 8; i++)
            assert_true(push_msg(&s, i));
        sel_ring_publish(&s.p);
        for (uint64_t i = 0; i < 8; i++)
            assert_true(pop_msg(&s, i, &wake));
        assert_int_equal(sel_ring_space(&s.p), 8);
        s.g.ring->tail = 0xfffffffdu;
        assert_producer_stopped(&s, SEL_RING_TAIL_BACKWARDS,
                                "the consumer moved tail backwards from 4 to 4294967293");
        guarded_free(&s.g);

        /* A consumer that arms a full ring and lies in the same breath: arm sees the lie, reports may-sleep. */
        pair_setup(&s, 8, 24, (enum placement)where, 0);
        for (uint64_t i = 0; i < 8; i++)
            assert_true(push_msg(&s, i));
        sel_ring_publish(&s.p);
        s.g.ring->tail = 100;
        assert_true(sel_ring_producer_arm(&s.p));
        assert_producer_stopped(&s, SEL_RING_TAIL_AHEAD, "the consumer moved tail from 0 to 100, ahead of head 8");
        guarded_free(&s.g);
    }
}

/* ---- regions -------------------------------------------------------------------------------- */

static void check_region_edges_and_overflow(void **state)
{
    assert_true(sel_ring_check_region(0, 0, 0));
    assert_true(sel_ring_check_region(0, 4096, 4096));
    assert_true(sel_ring_check_region(4096, 0, 4096));         /* empty, at the very end */
    assert_true(sel_ring_check_region(4000, 96, 4096));
    assert_false(sel_ring_check_region(4000, 97, 4096));
    assert_false(sel_ring_check_region(4097, 0, 4096));
    assert_false(sel_ring_check_region(0, 4097, 4096));
    assert_false(sel_ring_check_region(1, UINT64_MAX, 4096));  /* offset + length wraps to 0 */
    assert_false(sel_ring_check_region(UINT64_MAX, 2, 4096));  /* wraps to 1 */
    assert_false(sel_ring_check_region(4095, UINT64_MAX - 4094, 4096));
    assert_true(sel_ring_check_region(UINT64_MAX, 0, UINT64_MAX));
    assert_true(sel_ring_check_region(0, UINT64_MAX, UINT64_MAX));
    assert_false(sel_ring_check_region(1, UINT64_MAX, UINT64_MAX));
}

/* ---- two threads ---------------------------------------------------------------------------- */

/*
 * A producer and a consumer thread, each sleeping on a semaphore as its
 * notification, with exactly the protocol of docs/rings.md: publish, and
 * post the consumer's semaphore if publish says so; arm, sleep if arm says
 * so, disarm.  sem_post orders the clear of the flag before the sleeper
 * runs, as Signal does.  A lost wake-up leaves a thread asleep: every wait
 * times out after WAIT_SECONDS and fails the test instead of hanging it.
 */
#define STRESS_MESSAGES 2000000u
#define STRESS_ENTRIES 16
#define WAIT_SECONDS 10

struct stress {
    struct sel_ring *ring;
    sem_t consumer_wake, producer_wake;
    volatile bool stop;                 /* a thread failed: the other gives up too */
    char failure[160];                  /* what went wrong (cmocka asserts only on the main thread) */
    pthread_mutex_t lock;
    uint64_t received, producer_sleeps, consumer_sleeps, wakes_sent;
};

static void stress_fail(struct stress *st, const char *fmt, ...)
{
    pthread_mutex_lock(&st->lock);
    if (!st->failure[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->failure, sizeof(st->failure), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&st->lock);
    st->stop = true;
    sem_post(&st->consumer_wake);
    sem_post(&st->producer_wake);
}

/* Sleeps on sem; false (and the test failed) if nobody posted it within WAIT_SECONDS. */
static bool stress_sleep(struct stress *st, sem_t *sem, const char *who)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    while (sem_timedwait(sem, &deadline) != 0) {
        if (errno == EINTR)
            continue;
        stress_fail(st, "the %s slept %d s without a wake-up: a lost wake-up", who, WAIT_SECONDS);
        return false;
    }
    return !st->stop;
}

static void *stress_producer(void *arg)
{
    struct stress *st = arg;
    sel_ring_producer_t p;
    sel_ring_producer_init(&p, st->ring, STRESS_ENTRIES, 16);
    unsigned seed = 12345;
    uint64_t n = 0, sleeps = 0, wakes = 0;
    while (n < STRESS_MESSAGES && !st->stop) {
        unsigned batch = 1 + (unsigned)(rand_r(&seed) % (2 * STRESS_ENTRIES));
        for (unsigned i = 0; i < batch && n < STRESS_MESSAGES; i++) {
            uint64_t value = n * 0x9e3779b97f4a7c15ull;
            while (!sel_ring_push(&p, n, &value, sizeof(value))) {
                if (p.broken) {
                    stress_fail(st, "the producer found the ring broken (%d)", p.broken);
                    return NULL;
                }
                /* Full: publish what there is, then wait for room. */
                if (sel_ring_publish(&p)) {
                    wakes++;
                    sem_post(&st->consumer_wake);
                }
                if (sel_ring_producer_arm(&p)) {
                    sleeps++;
                    if (!stress_sleep(st, &st->producer_wake, "producer"))
                        return NULL;
                }
                sel_ring_producer_disarm(&p);
            }
            n++;
        }
        if (sel_ring_publish(&p)) {
            wakes++;
            sem_post(&st->consumer_wake);
        }
    }
    pthread_mutex_lock(&st->lock);
    st->producer_sleeps = sleeps;
    st->wakes_sent += wakes;
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

static void *stress_consumer(void *arg)
{
    struct stress *st = arg;
    sel_ring_consumer_t c;
    sel_ring_consumer_init(&c, st->ring, STRESS_ENTRIES, 16);
    unsigned seed = 54321;
    uint64_t n = 0, sleeps = 0, wakes = 0;
    while (n < STRESS_MESSAGES && !st->stop) {
        /* Take a random number of entries (pop releases at the end of each batch it sees). */
        unsigned take = 1 + (unsigned)(rand_r(&seed) % (2 * STRESS_ENTRIES));
        bool wake = false;
        unsigned got = 0;
        uint64_t tag, value;
        while (got < take && sel_ring_pop(&c, &tag, &value, sizeof(value), &wake)) {
            if (tag != n || value != n * 0x9e3779b97f4a7c15ull) {
                stress_fail(st, "message %llu came as tag %llu", (unsigned long long)n, (unsigned long long)tag);
                return NULL;
            }
            n++;
            got++;
        }
        if (wake) {
            wakes++;
            sem_post(&st->producer_wake);
        }
        if (c.broken) {
            stress_fail(st, "the consumer found the ring broken (%d)", c.broken);
            return NULL;
        }
        if (got == take || n == STRESS_MESSAGES)
            continue;
        /* Empty (pop released everything it saw): sleep until the producer publishes. */
        if (sel_ring_consumer_arm(&c)) {
            sleeps++;
            if (!stress_sleep(st, &st->consumer_wake, "consumer"))
                return NULL;
        }
        sel_ring_consumer_disarm(&c);
    }
    pthread_mutex_lock(&st->lock);
    st->received = n;
    st->consumer_sleeps = sleeps;
    st->wakes_sent += wakes;
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

static void two_threads_move_2_million_messages_with_no_lost_wake_up(void **state)
{
    struct guarded g;
    static struct stress st;
    memset(&st, 0, sizeof(st));
    st.ring = guarded_ring(&g, STRESS_ENTRIES, 16, SLOTS_AT_END);
    pthread_mutex_init(&st.lock, NULL);
    sem_init(&st.consumer_wake, 0, 0);
    sem_init(&st.producer_wake, 0, 0);
    pthread_t producer, consumer;
    assert_int_equal(pthread_create(&consumer, NULL, stress_consumer, &st), 0);
    assert_int_equal(pthread_create(&producer, NULL, stress_producer, &st), 0);
    pthread_join(producer, NULL);
    pthread_join(consumer, NULL);
    if (st.failure[0])
        fail_msg("%s", st.failure);
    assert_int_equal(st.received, STRESS_MESSAGES);
    assert_int_equal(st.ring->head, STRESS_MESSAGES);
    assert_int_equal(st.ring->tail, STRESS_MESSAGES);
    /* Both sides slept at some point, so the wake-up paths ran (and no flag was left set). */
    assert_true(st.producer_sleeps > 0 || st.consumer_sleeps > 0);
    assert_true(st.wakes_sent > 0);
    printf("# stress: %llu messages, the producer slept %llu times, the consumer %llu, %llu wake-ups sent\n",
           (unsigned long long)st.received, (unsigned long long)st.producer_sleeps,
           (unsigned long long)st.consumer_sleeps, (unsigned long long)st.wakes_sent);
    sem_destroy(&st.consumer_wake);
    sem_destroy(&st.producer_wake);
    guarded_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_header_is_three_cache_lines_with_fields_in_place),
        cmocka_unit_test(init_rejects_bad_geometry_and_the_handle_stays_broken),
        cmocka_unit_test(guard_pages_catch_a_stray_access),
        cmocka_unit_test(fifo_order_and_tags_over_many_wrap_arounds),
        cmocka_unit_test(copies_carry_every_size_at_every_alignment),
        cmocka_unit_test(indices_wrap_around_2_to_the_32),
        cmocka_unit_test(full_ring_refuses_pushes_and_overwrites_nothing),
        cmocka_unit_test(empty_ring_refuses_pops),
        cmocka_unit_test(batch_is_invisible_until_one_publish),
        cmocka_unit_test(pop_all_stores_tail_once_per_batch),
        cmocka_unit_test(peek_consume_then_one_release),
        cmocka_unit_test(producer_reads_tail_only_when_its_cache_says_full),
        cmocka_unit_test(publish_wakes_exactly_when_the_consumer_armed),
        cmocka_unit_test(consumer_arm_refuses_to_sleep_on_entries),
        cmocka_unit_test(release_wakes_exactly_when_the_producer_armed),
        cmocka_unit_test(garbage_in_the_flags_costs_a_wake_up_and_nothing_else),
        cmocka_unit_test(lying_producer_breaks_the_consumer_and_nothing_strays),
        cmocka_unit_test(lying_consumer_breaks_the_producer_and_nothing_strays),
        cmocka_unit_test(check_region_edges_and_overflow),
        cmocka_unit_test(two_threads_move_2_million_messages_with_no_lost_wake_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
