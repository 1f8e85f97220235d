/*
 * A single-producer single-consumer ring in memory shared by two
 * components, with wake-up suppression: a side enters the kernel to wake
 * its peer only when the peer has said it is going to sleep.  The protocol,
 * and why each fence is where it is: docs/rings.md; its SPIN model:
 * tests/spin/.
 *
 * The shared layout (codegen sizes connections with it, layout.py RING_HEADER):
 *
 *   line 0   head, need_space     the producer writes (the consumer clears need_space when it wakes it)
 *   line 1   tail, need_wakeup    the consumer writes (the producer clears need_wakeup when it wakes it)
 *   line 2   spare, zero
 *   then     entries slots of entry_size bytes: slot i mod entries holds entry i,
 *            a 64-bit tag at offset 0, then the message at offset 8
 *
 * head counts the entries published and tail the entries consumed, both
 * freely running and wrapping at 2^32; head - tail entries are full.
 *
 * Each side works through a private handle in its own memory, never
 * shared: the ring's address, its geometry (entries, entry_size), its own
 * index (the producer's head, the consumer's tail), the last value of the
 * peer's index it read and validated, the last value of its own index it
 * published, and a sticky reason why the ring is broken.  A side only ever
 * writes its own index to shared memory and never reads it back, and it
 * computes every slot address from its private index and geometry.  So a
 * peer that scribbles on every shared byte can make the ring look full,
 * empty or broken, but never make us read or write outside it: slot
 * contents are the peer's to choose, and pop copies them out before the
 * caller looks at them (check what a message points at with
 * sel_ring_check_region).
 *
 * Usage, producer:  any number of sel_ring_push (or sel_ring_reserve and
 *                   fill the slot), then one sel_ring_publish; if it returns
 *                   true, wake the consumer.  On a full ring:
 *                   sel_ring_producer_arm, sleep if it returns true, then
 *                   sel_ring_producer_disarm.
 * Usage, consumer:  sel_ring_pop until it returns false (it releases the
 *                   slots at the end of each batch by itself; if it sets
 *                   *wake_producer, wake the producer); or sel_ring_peek,
 *                   copy out, sel_ring_consume, and sel_ring_release_if_done
 *                   (or one sel_ring_release after the lot).  On an empty
 *                   ring: sel_ring_consumer_arm, sleep if it returns true,
 *                   then sel_ring_consumer_disarm.
 *
 * A wake must order every store before it (the entries, the index, the
 * clear of the peer's flag) before the peer runs again.  The kernel's
 * Signal does, through its lock; any other wake needs a fence before it.
 *
 * Measured cost, in retired instructions on rv64imac (make bench:
 * bench_ring in tools/bench/main.c, as the glue does it, nobody armed):
 * push + flush of one 16-byte message 54, its pop with the release 57;
 * in batches of 16, 33 per push and 35 per pop (docs/rings.md).  With
 * tracing built in (make trace: publish and release each write a record,
 * sel/trace.h) 85 and 79, and 34 and 36 in batches.
 */
#ifndef SEL_RING_H
#define SEL_RING_H

#include <sel/trace.h>
#include <sel/types.h>
#include <stddef.h>
#include <string.h>

#define SEL_RING_HEADER 192
#define SEL_RING_TAG_SIZE 8

struct sel_ring {
    /* line 0: the producer's */
    _Alignas(64) uint32_t head;         /* entries published */
    uint32_t need_space;                /* 1 while the producer waits for free slots */
    uint8_t producer_line[56];
    /* line 1: the consumer's */
    _Alignas(64) uint32_t tail;         /* entries consumed */
    uint32_t need_wakeup;               /* 1 while the consumer sleeps or is about to */
    uint8_t consumer_line[56];
    /* line 2 */
    _Alignas(64) uint8_t spare[64];
    uint8_t slots[];
};

/* One slot: the tag, then the message (entry_size - 8 bytes, 8-byte aligned). */
struct sel_ring_slot {
    uint64_t tag;
    uint8_t message[];
};

_Static_assert(sizeof(struct sel_ring) == SEL_RING_HEADER, "the ring header is three cache lines");
_Static_assert(offsetof(struct sel_ring, tail) == 64 && offsetof(struct sel_ring, slots) == SEL_RING_HEADER,
               "head and tail are on lines of their own, the slots follow the header");
_Static_assert(offsetof(struct sel_ring_slot, message) == SEL_RING_TAG_SIZE, "the message follows the 64-bit tag");

/* Why a handle stopped moving data (sticky).  sel_ring_*_explain turn it into a sentence. */
enum sel_ring_broken {
    SEL_RING_OK = 0,
    SEL_RING_BAD_GEOMETRY,      /* init: entries not a power of two, or entry_size not a multiple of 8 above 8 */
    SEL_RING_HEAD_BACKWARDS,    /* the producer's head went back from the one we had seen */
    SEL_RING_HEAD_TOO_FAR,      /* the producer's head ran more than entries ahead of our tail */
    SEL_RING_TAIL_BACKWARDS,    /* the consumer's tail went back from the one we had seen */
    SEL_RING_TAIL_AHEAD,        /* the consumer's tail ran ahead of our head */
};

/* The producer's private handle. */
typedef struct sel_ring_producer {
    struct sel_ring *ring;
    uint32_t mask;              /* entries - 1 */
    uint32_t entry_size;        /* 8 (the tag) + the message, a multiple of 8 */
    uint32_t head;              /* entries reserved: the next slot to fill */
    uint32_t head_published;    /* the last head stored to ring->head */
    uint32_t tail_seen;         /* the last valid tail read from ring->tail */
    uint32_t tail_rejected;     /* the tail that broke the ring, if broken by the consumer */
    bool armed;                 /* we stored need_space = 1 and have not disarmed since */
    enum sel_ring_broken broken;
} sel_ring_producer_t;

/* The consumer's private handle. */
typedef struct sel_ring_consumer {
    struct sel_ring *ring;
    uint32_t mask;
    uint32_t entry_size;
    uint32_t tail;              /* entries consumed: the next slot to read */
    uint32_t tail_released;     /* the last tail stored to ring->tail */
    uint32_t head_seen;         /* the last valid head read from ring->head */
    uint32_t head_rejected;     /* the head that broke the ring, if broken by the producer */
    bool armed;                 /* we stored need_wakeup = 1 and have not disarmed since */
    enum sel_ring_broken broken;
} sel_ring_consumer_t;

/*
 * Set up a handle for the ring at ring_memory (SEL_RING_HEADER bytes, then
 * entries * entry_size).  Neither writes shared memory: a new ring is
 * zero, as the loader hands out frames.  Both sides must use the same
 * entries and entry_size, and start at the same index (the _at variants,
 * for tests, start at index; the shared head and tail must hold it too).
 * Return false, and leave the handle broken (SEL_RING_BAD_GEOMETRY), if
 * entries is not a power of two or entry_size not a multiple of 8 above 8.
 */
bool sel_ring_producer_init_at(sel_ring_producer_t *p, void *ring_memory, uint32_t entries, uint32_t entry_size,
                               uint32_t index);
bool sel_ring_consumer_init_at(sel_ring_consumer_t *c, void *ring_memory, uint32_t entries, uint32_t entry_size,
                               uint32_t index);

static inline bool sel_ring_producer_init(sel_ring_producer_t *p, void *ring_memory, uint32_t entries,
                                          uint32_t entry_size)
{
    return sel_ring_producer_init_at(p, ring_memory, entries, entry_size, 0);
}

static inline bool sel_ring_consumer_init(sel_ring_consumer_t *c, void *ring_memory, uint32_t entries,
                                          uint32_t entry_size)
{
    return sel_ring_consumer_init_at(c, ring_memory, entries, entry_size, 0);
}

/*
 * Write a sentence saying why the ring is broken into buf (at most size
 * bytes, terminated), naming the index we had seen and the one we
 * rejected, e.g. "the producer moved head backwards from 12 to 3".
 * Return the length written (cut to fit buf), or 0 (and buf "") if the
 * handle is not broken.
 */
size_t sel_ring_producer_explain(const sel_ring_producer_t *p, char *buf, size_t size);
size_t sel_ring_consumer_explain(const sel_ring_consumer_t *c, char *buf, size_t size);

/* The slot of entry index: computed from the private geometry only. */
static inline struct sel_ring_slot *sel_ring_slot_at(struct sel_ring *ring, uint32_t mask, uint32_t entry_size,
                                                     uint32_t index)
{
    return (struct sel_ring_slot *)(ring->slots + (size_t)(index & mask) * entry_size);
}

/*
 * Whether [offset, offset + length) lies inside a region of region_size
 * bytes, for messages that point into a shared data region.  Overflow-safe:
 * never computes offset + length.  A 0-length range at the very end is
 * inside.
 */
static inline bool sel_ring_check_region(uint64_t offset, uint64_t length, uint64_t region_size)
{
    return offset <= region_size && length <= region_size - offset;
}

/* ---- the producer ---------------------------------------------------------------------- */

/*
 * Free slots: reloads the consumer's tail and validates it.  Return 0 when
 * full or broken.
 *
 * Ordering: the load of tail is acquire, so the consumer's reads of the
 * slots it released (done before its release store of tail) happen before
 * we overwrite them.
 */
static inline uint32_t sel_ring_space(sel_ring_producer_t *p)
{
    if (p->broken)
        return 0;
    uint32_t tail = __atomic_load_n(&p->ring->tail, __ATOMIC_ACQUIRE);
    /*
     * An honest tail lies between the one we saw last and the head we last
     * published (the consumer cannot have seen more).  One unsigned
     * comparison checks both ends, across wrap-around.
     */
    if (tail - p->tail_seen > p->head_published - p->tail_seen) {
        p->tail_rejected = tail;
        p->broken = (int32_t)(tail - p->tail_seen) < 0 ? SEL_RING_TAIL_BACKWARDS : SEL_RING_TAIL_AHEAD;
        return 0;
    }
    p->tail_seen = tail;
    return p->mask + 1 - (p->head - tail);
}

/*
 * Claim the next slot.  Return it (fill in its tag and message, at most
 * entry_size - 8 bytes, before the next sel_ring_publish), or NULL when the
 * ring is full or broken.  The consumer's tail is reloaded (sel_ring_space)
 * only when the tail we saw last says full, so a batch that fits costs no
 * shared load.  The message is 8-byte aligned: a caller that knows its
 * type can assign it (*(T *)slot->message = *m) instead of copying bytes.
 *
 * Ordering: none here; the slot becomes visible with sel_ring_publish.
 */
static inline struct sel_ring_slot *sel_ring_reserve(sel_ring_producer_t *p)
{
    if (p->broken)
        return NULL;
    if (p->head - p->tail_seen > p->mask && sel_ring_space(p) == 0)
        return NULL;
    return sel_ring_slot_at(p->ring, p->mask, p->entry_size, p->head++);
}

/*
 * Copies a message into or out of a slot: by 64-bit words when both ends
 * and the size allow it (slots are 8-byte aligned; so are most message
 * structs), which the compiler unrolls for a constant size, else memcpy
 * (picolibc's for rv64 goes byte by byte: 384 instructions for 64 bytes,
 * where the words take 16).
 */
typedef uint64_t __attribute__((may_alias)) sel_ring_word_t;

static inline void sel_ring_copy(void *dst, const void *src, size_t size)
{
    if ((((uintptr_t)dst | (uintptr_t)src | size) & 7) == 0) {
        sel_ring_word_t *d = dst;
        const sel_ring_word_t *s = src;
        for (size_t i = 0; i < size / 8; i++) {
            uint64_t w = s[i];
            __asm__("" : "+r"(w));   /* else GCC turns the loop back into a call of memcpy */
            d[i] = w;
        }
    } else {
        memcpy(dst, src, size);
    }
}

/*
 * Reserve a slot and copy tag and message (size bytes, at most
 * entry_size - 8) into it.  Return false, having written nothing, when the
 * ring is full or broken or the message too big.  Not visible to the
 * consumer until sel_ring_publish.
 */
static inline bool sel_ring_push(sel_ring_producer_t *p, uint64_t tag, const void *message, size_t size)
{
    if (size > p->entry_size - SEL_RING_TAG_SIZE)
        return false;
    struct sel_ring_slot *slot = sel_ring_reserve(p);
    if (!slot)
        return false;
    slot->tag = tag;
    sel_ring_copy(slot->message, message, size);
    return true;
}

/*
 * Make every reserved entry visible to the consumer.  Return true if the
 * consumer asked to be woken (need_wakeup was set): we have cleared it, and
 * the caller must wake the consumer now.  Return false when there is
 * nothing new since the last publish (that publish did its own check) or
 * the ring is broken.
 *
 * Ordering: the store of head is release, so the slots are written before
 * the consumer can see the head that covers them.  Then a full fence
 * (fence rw,rw): the head store is visible before we load need_wakeup.
 * Without it the load could be satisfied first, see 0 while the consumer
 * arms, and the consumer, reloading an old head, would sleep on a
 * non-empty ring.  The load and the clear are relaxed: the fence orders
 * the load, and the caller's wake orders the clear (docs/rings.md).  Any
 * non-zero need_wakeup counts as set: a consumer that writes garbage only
 * gets the wake-ups it could have asked for.
 */
static inline bool sel_ring_publish(sel_ring_producer_t *p)
{
    if (p->broken || p->head == p->head_published)
        return false;
    SEL_TRACE_RING(SEL_TRACE_RING_PUBLISH, p, p->head - p->head_published, p->head - p->tail_seen);
    __atomic_store_n(&p->ring->head, p->head, __ATOMIC_RELEASE);
    p->head_published = p->head;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&p->ring->need_wakeup, __ATOMIC_RELAXED) == 0)
        return false;
    __atomic_store_n(&p->ring->need_wakeup, 0, __ATOMIC_RELAXED);
    return true;
}

/* Stop asking to be woken for free slots (a no-op unless armed).  Relaxed: only we and a waking consumer store 0. */
static inline void sel_ring_producer_disarm(sel_ring_producer_t *p)
{
    if (p->armed) {
        __atomic_store_n(&p->ring->need_space, 0, __ATOMIC_RELAXED);
        p->armed = false;
    }
}

/*
 * Before sleeping on a full ring (publish first: the consumer frees slots
 * only of entries it can see).  Set need_space, then look again.  Return
 * true if the ring is still full (or broken): sleep; the consumer's
 * release will say to wake us.  Return false, disarmed, if slots are free
 * now: do not sleep.  After waking, call sel_ring_producer_disarm.
 *
 * Ordering: the store of need_space is relaxed and followed by a full
 * fence, so it is visible before we reload tail: either the consumer's
 * release sees need_space = 1, or our reload sees its tail (the mirror of
 * sel_ring_publish).
 */
static inline bool sel_ring_producer_arm(sel_ring_producer_t *p)
{
    __atomic_store_n(&p->ring->need_space, 1, __ATOMIC_RELAXED);
    p->armed = true;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (sel_ring_space(p) == 0)
        return true;
    sel_ring_producer_disarm(p);
    return false;
}

/* ---- the consumer ---------------------------------------------------------------------- */

/*
 * Entries there to consume: reloads the producer's head and validates it.
 * Return 0 when empty or broken.
 *
 * Ordering: the load of head is acquire, so the producer's writes of the
 * slots it covers (done before its release store of head) happen before
 * our reads of them.
 */
static inline uint32_t sel_ring_available(sel_ring_consumer_t *c)
{
    if (c->broken)
        return 0;
    uint32_t head = __atomic_load_n(&c->ring->head, __ATOMIC_ACQUIRE);
    /*
     * An honest head lies between the one we saw last and our released
     * tail + entries (the producer cannot have seen a later tail).  One
     * unsigned comparison checks both ends, across wrap-around.
     */
    if (head - c->head_seen > c->tail_released + c->mask + 1 - c->head_seen) {
        c->head_rejected = head;
        c->broken = (int32_t)(head - c->head_seen) < 0 ? SEL_RING_HEAD_BACKWARDS : SEL_RING_HEAD_TOO_FAR;
        return 0;
    }
    c->head_seen = head;
    return head - c->tail;
}

/*
 * The oldest unread slot, or NULL when the ring is empty or broken.  The
 * head is reloaded (sel_ring_available) only when every entry we saw is
 * consumed.  A lying producer may still write the slot: copy what you need
 * out of it (a caller that knows the type can assign:
 * *m = *(const T *)slot->message) and check the copy, never the slot.
 */
static inline const struct sel_ring_slot *sel_ring_peek(sel_ring_consumer_t *c)
{
    if (c->broken || (c->tail == c->head_seen && sel_ring_available(c) == 0))
        return NULL;
    return sel_ring_slot_at(c->ring, c->mask, c->entry_size, c->tail);
}

/* Done with the slot sel_ring_peek returned: move our private tail on (the producer sees it at release). */
static inline void sel_ring_consume(sel_ring_consumer_t *c)
{
    if (c->tail != c->head_seen)
        c->tail++;
}

/*
 * Hand the consumed slots back to the producer.  Return true if the
 * producer asked to be woken (need_space was set): we have cleared it, and
 * the caller must wake the producer now.  Return false when nothing was
 * consumed since the last release or the ring is broken.
 *
 * Ordering: the store of tail is release, so our reads of the slots are
 * done before the producer can see the tail that frees them.  Then a full
 * fence before loading need_space, for the reason sel_ring_publish gives.
 */
static inline bool sel_ring_release(sel_ring_consumer_t *c)
{
    if (c->broken || c->tail == c->tail_released)
        return false;
    SEL_TRACE_RING(SEL_TRACE_RING_RELEASE, c, c->tail - c->tail_released, c->head_seen - c->tail);
    __atomic_store_n(&c->ring->tail, c->tail, __ATOMIC_RELEASE);
    c->tail_released = c->tail;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->ring->need_space, __ATOMIC_RELAXED) == 0)
        return false;
    __atomic_store_n(&c->ring->need_space, 0, __ATOMIC_RELAXED);
    return true;
}

/*
 * After sel_ring_consume: if that was the last entry of the batch we saw,
 * release the batch (sel_ring_release) and return its answer (true: wake
 * the producer now); otherwise return false and store nothing.  This keeps
 * a consumer that never calls sel_ring_release from starving the producer,
 * at one tail store per batch.
 */
static inline bool sel_ring_release_if_done(sel_ring_consumer_t *c)
{
    return c->tail == c->head_seen && sel_ring_release(c);
}

/*
 * Copy the oldest entry's tag and message (size bytes, at most
 * entry_size - 8) out and consume it.  Return false when the ring is empty
 * or broken or the message too big.  When this consumes the last entry of
 * the batch it saw, it releases the batch (one tail store per batch) and,
 * if the producer asked to be woken, sets *wake_producer to true: the
 * caller must wake it.  *wake_producer is otherwise left alone, so a loop
 * can collect it.
 *
 * The copy comes first, then the consume: once released, the producer may
 * overwrite the slot.  Check the copy, never the shared slot.
 */
static inline bool sel_ring_pop(sel_ring_consumer_t *c, uint64_t *tag, void *message, size_t size,
                                bool *wake_producer)
{
    if (size > c->entry_size - SEL_RING_TAG_SIZE)
        return false;
    const struct sel_ring_slot *slot = sel_ring_peek(c);
    if (!slot)
        return false;
    *tag = slot->tag;
    sel_ring_copy(message, slot->message, size);
    sel_ring_consume(c);
    if (sel_ring_release_if_done(c))
        *wake_producer = true;
    return true;
}

/* Stop asking to be woken for entries (a no-op unless armed).  Relaxed: only we and a waking producer store 0. */
static inline void sel_ring_consumer_disarm(sel_ring_consumer_t *c)
{
    if (c->armed) {
        __atomic_store_n(&c->ring->need_wakeup, 0, __ATOMIC_RELAXED);
        c->armed = false;
    }
}

/*
 * Before sleeping on an empty ring (release first: a producer waiting for
 * space is woken only by a release).  Set need_wakeup, then look again.
 * Return true if the ring is still empty (or broken): sleep; the
 * producer's publish will say to wake us.  Return false, disarmed, if
 * entries are there: do not sleep.  After waking, call
 * sel_ring_consumer_disarm.
 *
 * Ordering: the store of need_wakeup is relaxed and followed by a full
 * fence, so it is visible before we reload head: either the producer's
 * publish sees need_wakeup = 1, or our reload sees its head.
 */
static inline bool sel_ring_consumer_arm(sel_ring_consumer_t *c)
{
    __atomic_store_n(&c->ring->need_wakeup, 1, __ATOMIC_RELAXED);
    c->armed = true;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (sel_ring_available(c) == 0)
        return true;
    sel_ring_consumer_disarm(c);
    return false;
}

#endif
