/*
 * One split virtqueue of the virtio-net driver (sel/virtio.h has the
 * layout), with every chain a pair of descriptors fixed at set-up:
 *
 *   descriptor 2c      the 12-byte virtio-net header of chain c, in the
 *                      driver's own DMA memory (NEXT; WRITE on receive)
 *   descriptor 2c + 1  the frame: a client's buffer, or a drop buffer
 *                      (WRITE on receive)
 *
 * So posting a frame writes one descriptor (address, length) and one
 * available-ring entry, and a used entry names its chain by its head 2c.
 * The headers stay with the driver: a client cannot hand the device a
 * header it made up.
 *
 * Who writes what: the driver writes the descriptors, the available ring
 * and used_event (after the available ring); the device writes the used
 * ring and avail_event (after the used ring), by DMA, at any moment.  The
 * driver keeps its own indices (avail_idx, last_used) and never reads back
 * what it wrote; what it reads from the device (used->idx, used entries)
 * it checks before use: a used entry naming no chain we posted is counted
 * and ignored.
 *
 * Notification suppression (VIRTIO_F_RING_EVENT_IDX) both ways: we write
 * QueueNotify only when the device's avail_event lies in the entries just
 * published (vq_publish), and the device interrupts only when its used
 * index passes the used_event we set (vq_arm).
 *
 * Ordering (virtio 1.x, 2.7.13): descriptors and ring entries before the
 * index that publishes them (fence w,w); the published index before
 * reading avail_event, and used_event before re-reading used->idx
 * (fence rw,rw: else each side may miss the other's last move); the used
 * index before the entries it covers (fence r,r); memory before the
 * QueueNotify store (fence w,o).
 */
#ifndef VIRTIO_NET_VIRTQUEUE_H
#define VIRTIO_NET_VIRTQUEUE_H

#include "virtio_net.h"
#include <stdbool.h>
#include <stddef.h>

#define VQ_MAX_SIZE 256                      /* descriptors; QEMU's virtio-net offers 256 */
#define VQ_MAX_CHAINS (VQ_MAX_SIZE / 2)

/* The memory one queue takes in the DMA region: desc table page, then avail and used in one page. */
#define VQ_DMA_BYTES 8192u
#define VQ_AVAIL_OFFSET 4096u
#define VQ_USED_OFFSET (4096u + 1024u)
_Static_assert(VIRTQ_DESC_BYTES(VQ_MAX_SIZE) <= 4096, "the descriptor table fits its page");
_Static_assert(VIRTQ_AVAIL_BYTES(VQ_MAX_SIZE) <= 1024, "the available ring fits before the used ring");
_Static_assert(1024 + VIRTQ_USED_BYTES(VQ_MAX_SIZE) <= 4096, "the used ring fits the rest of the page");

static inline void vq_fence_ww(void) { __asm__ volatile("fence w, w" ::: "memory"); }
static inline void vq_fence_rr(void) { __asm__ volatile("fence r, r" ::: "memory"); }
static inline void vq_fence_rwrw(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }
static inline void vq_fence_wo(void) { __asm__ volatile("fence w, o" ::: "memory"); }

struct vq {
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    volatile uint32_t *notify;       /* the device's QueueNotify register */
    uint16_t index;                  /* queue number: 0 receive, 1 transmit */
    uint16_t size;                   /* descriptors, a power of two */
    uint16_t chains;                 /* size / 2 */
    uint16_t avail_idx;              /* entries offered (written to avail->idx at vq_publish) */
    uint16_t avail_published;        /* the last avail->idx we stored */
    uint16_t last_used;              /* used entries taken */
    uint16_t used_seen;              /* the last used->idx read */
    uint16_t nfree;
    uint16_t free[VQ_MAX_CHAINS];    /* chains not posted: a stack */
    uint64_t notifies;               /* QueueNotify writes */
    uint64_t bad_used;               /* used entries naming no chain we posted (a device bug) */
};

/*
 * Sets up q for queue index of size descriptors (a power of two, at most
 * VQ_MAX_SIZE) in mem (VQ_DMA_BYTES, zero, page aligned, mapped at
 * mem_paddr), with chain c's header at header_paddr + c * header_stride.
 * The device writes the headers when device_writes (receive).
 */
void vq_init(struct vq *q, uint16_t index, uint16_t size, void *mem, volatile uint32_t *notify,
             uint64_t header_paddr, uint32_t header_stride, bool device_writes);

/* Takes a chain not posted; false if all are posted. */
static inline bool vq_take_chain(struct vq *q, uint16_t *chain)
{
    if (q->nfree == 0)
        return false;
    *chain = q->free[--q->nfree];
    return true;
}

static inline void vq_give_chain(struct vq *q, uint16_t chain)
{
    q->free[q->nfree++] = chain;
}

/*
 * Offers chain to the device with its frame at paddr, len bytes (visible
 * at the next vq_publish).  Only the frame descriptor changes: the header
 * descriptor and the flags were set by vq_init.
 */
static inline void vq_post(struct vq *q, uint16_t chain, uint64_t paddr, uint32_t len)
{
    volatile struct virtq_desc *frame = &q->desc[2 * chain + 1];
    frame->addr = paddr;
    frame->len = len;
    q->avail->ring[q->avail_idx & (q->size - 1)] = (uint16_t)(2 * chain);
    q->avail_idx++;
}

/*
 * Publishes what vq_post offered and notifies the device if it asked
 * (avail_event among the new entries).  Returns whether it notified.
 */
static inline bool vq_publish(struct vq *q)
{
    uint16_t old = q->avail_published, now = q->avail_idx;
    if (old == now)
        return false;
    vq_fence_ww();                   /* descriptors and ring entries before the index */
    q->avail->idx = now;
    q->avail_published = now;
    vq_fence_rwrw();                 /* the index before we read avail_event */
    if (!virtq_need_event(*virtq_avail_event(q->used, q->size), now, old))
        return false;
    vq_fence_wo();
    *q->notify = q->index;
    q->notifies++;
    return true;
}

/*
 * The next chain the device is done with, and the bytes it wrote into it;
 * false when there is none.  A used entry that names no chain head is
 * counted in bad_used and skipped.
 */
static inline bool vq_next_used(struct vq *q, uint16_t *chain, uint32_t *len)
{
    for (;;) {
        if (q->last_used == q->used_seen) {
            uint16_t idx = q->used->idx;
            if (idx == q->last_used)
                return false;
            vq_fence_rr();           /* the index before the entries it covers */
            q->used_seen = idx;
        }
        volatile struct virtq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];
        uint32_t id = e->id;
        *len = e->len;
        q->last_used++;
        if (id < q->size && (id & 1) == 0) {
            *chain = (uint16_t)(id / 2);
            return true;
        }
        q->bad_used++;
    }
}

/*
 * Asks for an interrupt when the device has returned `after` more
 * entries beyond those taken (after = 1: the next one), then looks again.
 * Returns true if used entries are already waiting: take them (and arm
 * again), since the device may have passed used_event before it was
 * written and will not interrupt for them.
 */
static inline bool vq_arm(struct vq *q, uint16_t after)
{
    *virtq_used_event(q->avail, q->size) = (uint16_t)(q->last_used + after - 1);
    vq_fence_rwrw();                 /* used_event before we read used->idx again */
    return q->used->idx != q->last_used;
}

/* Entries posted and not yet returned. */
static inline uint16_t vq_in_flight(const struct vq *q)
{
    return (uint16_t)(q->chains - q->nfree);
}

#endif
