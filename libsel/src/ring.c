/*
 * The cold half of the ring (sel/ring.h): setting up a handle and saying
 * why a ring is broken.  Everything on the hot path is inline in the header.
 */
#include <sel/ring.h>
#include <stdio.h>

static bool geometry_ok(uint32_t entries, uint32_t entry_size)
{
    return entries != 0 && (entries & (entries - 1)) == 0 && entry_size > SEL_RING_TAG_SIZE &&
           entry_size % 8 == 0;
}

bool sel_ring_producer_init_at(sel_ring_producer_t *p, void *ring_memory, uint32_t entries, uint32_t entry_size,
                               uint32_t index)
{
    *p = (sel_ring_producer_t){
        .ring = ring_memory, .mask = entries - 1, .entry_size = entry_size,
        .head = index, .head_published = index, .tail_seen = index,
    };
    if (!geometry_ok(entries, entry_size)) {
        p->broken = SEL_RING_BAD_GEOMETRY;
        return false;
    }
    return true;
}

bool sel_ring_consumer_init_at(sel_ring_consumer_t *c, void *ring_memory, uint32_t entries, uint32_t entry_size,
                               uint32_t index)
{
    *c = (sel_ring_consumer_t){
        .ring = ring_memory, .mask = entries - 1, .entry_size = entry_size,
        .tail = index, .tail_released = index, .head_seen = index,
    };
    if (!geometry_ok(entries, entry_size)) {
        c->broken = SEL_RING_BAD_GEOMETRY;
        return false;
    }
    return true;
}

static size_t finish(int n, char *buf, size_t size)
{
    if (n < 0) {
        if (size)
            buf[0] = 0;
        return 0;
    }
    return (size_t)n < size ? (size_t)n : (size ? size - 1 : 0);
}

size_t sel_ring_producer_explain(const sel_ring_producer_t *p, char *buf, size_t size)
{
    int n;
    switch (p->broken) {
    case SEL_RING_BAD_GEOMETRY:
        n = snprintf(buf, size, "the producer was set up with %u entries of %u bytes (entries must be a power "
                     "of two, entry_size a multiple of 8 above 8)", (unsigned)(p->mask + 1u), (unsigned)p->entry_size);
        break;
    case SEL_RING_TAIL_BACKWARDS:
        n = snprintf(buf, size, "the consumer moved tail backwards from %u to %u", (unsigned)p->tail_seen,
                     (unsigned)p->tail_rejected);
        break;
    case SEL_RING_TAIL_AHEAD:
        n = snprintf(buf, size, "the consumer moved tail from %u to %u, ahead of head %u",
                     (unsigned)p->tail_seen, (unsigned)p->tail_rejected, (unsigned)p->head_published);
        break;
    default:
        n = snprintf(buf, size, "%s", "");
        break;
    }
    return finish(n, buf, size);
}

size_t sel_ring_consumer_explain(const sel_ring_consumer_t *c, char *buf, size_t size)
{
    int n;
    switch (c->broken) {
    case SEL_RING_BAD_GEOMETRY:
        n = snprintf(buf, size, "the consumer was set up with %u entries of %u bytes (entries must be a power "
                     "of two, entry_size a multiple of 8 above 8)", (unsigned)(c->mask + 1u), (unsigned)c->entry_size);
        break;
    case SEL_RING_HEAD_BACKWARDS:
        n = snprintf(buf, size, "the producer moved head backwards from %u to %u", (unsigned)c->head_seen,
                     (unsigned)c->head_rejected);
        break;
    case SEL_RING_HEAD_TOO_FAR:
        n = snprintf(buf, size, "the producer moved head from %u to %u, more than %u entries ahead of tail %u",
                     (unsigned)c->head_seen, (unsigned)c->head_rejected, (unsigned)(c->mask + 1u),
                     (unsigned)c->tail_released);
        break;
    default:
        n = snprintf(buf, size, "%s", "");
        break;
    }
    return finish(n, buf, size);
}
