/*
 * A single-producer single-consumer ring in memory shared by two
 * components.  The layout is fixed (codegen sizes connections with it):
 *
 *   line 0   head: entries produced so far (written by the producer only)
 *   line 1   tail: entries consumed so far (written by the consumer only)
 *   line 2   spare, zero
 *   then     entries * entry_size bytes: entry i at (i mod entries)
 *
 * Each entry is a 64-bit tag followed by the message.  head and tail run
 * freely (wrapping at 2^32); head - tail is the number of full entries.
 * The number of entries and the entry size are each side's own constants,
 * never read from shared memory, so a peer that scribbles on the ring can
 * make it look full, empty or nonsensical, but cannot make us touch memory
 * outside it.
 */
#ifndef SEL_RING_H
#define SEL_RING_H

#include <sel/types.h>
#include <stddef.h>
#include <string.h>

#define SEL_RING_HEADER 192

struct sel_ring {
    _Alignas(64) uint32_t head;
    uint8_t producer_line[60];
    _Alignas(64) uint32_t tail;
    uint8_t consumer_line[60];
    _Alignas(64) uint8_t spare[64];
    uint8_t entries[];
};

_Static_assert(sizeof(struct sel_ring) == SEL_RING_HEADER, "the ring header is three cache lines");

/* One side's view of a ring: where it is and its geometry (trusted, local). */
typedef struct sel_ring_view {
    struct sel_ring *ring;
    uint32_t entries;       /* a power of two */
    uint32_t entry_size;    /* 8 (the tag) + the message, rounded up to 8 */
} sel_ring_view_t;

/* Entries the producer may still push (0 if the ring looks inconsistent). */
static inline uint32_t sel_ring_space(const sel_ring_view_t *v)
{
    uint32_t head = __atomic_load_n(&v->ring->head, __ATOMIC_RELAXED);   /* our own */
    uint32_t tail = __atomic_load_n(&v->ring->tail, __ATOMIC_ACQUIRE);   /* the consumer's */
    uint32_t used = head - tail;
    return used > v->entries ? 0 : v->entries - used;
}

/* Entries the consumer may pop (0 if the ring looks inconsistent). */
static inline uint32_t sel_ring_count(const sel_ring_view_t *v)
{
    uint32_t head = __atomic_load_n(&v->ring->head, __ATOMIC_ACQUIRE);   /* the producer's */
    uint32_t tail = __atomic_load_n(&v->ring->tail, __ATOMIC_RELAXED);   /* our own */
    uint32_t used = head - tail;
    return used > v->entries ? 0 : used;
}

static inline uint8_t *sel_ring_entry(const sel_ring_view_t *v, uint32_t index)
{
    return v->ring->entries + (size_t)(index & (v->entries - 1)) * v->entry_size;
}

/* Copies a message (size bytes, at most entry_size - 8) with its tag into the ring; false if full. */
static inline bool sel_ring_push(const sel_ring_view_t *v, uint64_t tag, const void *message, size_t size)
{
    if (size > v->entry_size - 8 || sel_ring_space(v) == 0)
        return false;
    uint32_t head = __atomic_load_n(&v->ring->head, __ATOMIC_RELAXED);
    uint8_t *e = sel_ring_entry(v, head);
    memcpy(e, &tag, 8);
    memcpy(e + 8, message, size);
    /* Release: the entry is written before the consumer can see the new head. */
    __atomic_store_n(&v->ring->head, head + 1, __ATOMIC_RELEASE);
    return true;
}

/* Copies the oldest message (size bytes) and its tag out of the ring; false if empty. */
static inline bool sel_ring_pop(const sel_ring_view_t *v, uint64_t *tag, void *message, size_t size)
{
    if (size > v->entry_size - 8 || sel_ring_count(v) == 0)
        return false;
    uint32_t tail = __atomic_load_n(&v->ring->tail, __ATOMIC_RELAXED);
    const uint8_t *e = sel_ring_entry(v, tail);
    memcpy(tag, e, 8);
    memcpy(message, e + 8, size);
    /* Release: we are done reading the entry before the producer may reuse it. */
    __atomic_store_n(&v->ring->tail, tail + 1, __ATOMIC_RELEASE);
    return true;
}

#endif
