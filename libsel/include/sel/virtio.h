/*
 * virtio over MMIO, the modern interface (virtio 1.x, MMIO version 2), and
 * the split virtqueue: what every virtio driver component shares.  QEMU's
 * virt machine has eight virtio-mmio slots (virtio_mmio@10001000 ..
 * @10008000, PLIC lines 1..8); QEMU needs -global
 * virtio-mmio.force-legacy=false for version 2.
 *
 * The split virtqueue lives in memory the driver shares with the device
 * (DMA), in three areas the driver hands over by physical address:
 *
 *   descriptor table   16 bytes each: address, length, flags, next      the driver writes
 *   available ring     flags, idx, ring[size] (heads of chains),       the driver writes
 *                      used_event (with VIRTIO_F_RING_EVENT_IDX)
 *   used ring          flags, idx, ring[size] {id, len},               the device writes
 *                      avail_event (with VIRTIO_F_RING_EVENT_IDX)
 *
 * idx fields run freely and wrap at 2^16; entry i is ring[i % size].
 * With event indices each side publishes, in the other's ring, the index
 * at which it wants to be told next (used_event: interrupt me when used.idx
 * passes it; avail_event: notify me when avail.idx passes it), and the
 * other side tells only when its new index passes that mark:
 * virtq_need_event().  Ordering, as in the virtio spec (2.7.7, 2.7.10):
 * write descriptors and ring entries, then (fence w,w) the index; then a
 * full fence before reading the peer's event index; reads of ring entries
 * follow the read of the index that covers them (fence r,r).
 *
 * Only the definitions the drivers use; device-specific ones (block,
 * network) stay with their drivers.
 */
#ifndef SEL_VIRTIO_H
#define SEL_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

/* ---- MMIO registers (32 bits each; virtio 1.x 4.2.2) ---- */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000   /* "virt" */
#define VIRTIO_MMIO_VERSION             0x004   /* 2 for the modern interface, 1 legacy */
#define VIRTIO_MMIO_DEVICE_ID           0x008   /* 0: no device in this slot */
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090   /* the available ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0   /* the used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100   /* the device-specific configuration */

#define VIRTIO_MMIO_MAGIC               0x74726976u

/* InterruptStatus bits */
#define VIRTIO_MMIO_INT_VRING           1u      /* a used ring was updated */
#define VIRTIO_MMIO_INT_CONFIG          2u      /* the configuration changed */

/* Device status bits (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE       1u
#define VIRTIO_STATUS_DRIVER            2u
#define VIRTIO_STATUS_DRIVER_OK         4u
#define VIRTIO_STATUS_FEATURES_OK       8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED            128u

/* Device IDs (5) */
#define VIRTIO_ID_NET                   1u
#define VIRTIO_ID_BLOCK                 2u

/* Transport feature bits (6), as bit numbers in the 64-bit feature word */
#define VIRTIO_F_RING_INDIRECT_DESC     28
#define VIRTIO_F_RING_EVENT_IDX         29
#define VIRTIO_F_VERSION_1              32

#define VIRTIO_FEATURE(bit)             (1ull << (bit))

/* ---- the split virtqueue (2.7) ---- */
#define VIRTQ_DESC_F_NEXT               1u      /* the chain continues at next */
#define VIRTQ_DESC_F_WRITE              2u      /* the device writes this buffer (else reads it) */

struct virtq_desc {
    uint64_t addr;      /* physical */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];    /* [size], then uint16_t used_event */
};

struct virtq_used_elem {
    uint32_t id;        /* the head of the chain the device used */
    uint32_t len;       /* bytes it wrote into the chain */
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];   /* [size], then uint16_t avail_event */
};

_Static_assert(sizeof(struct virtq_desc) == 16, "a descriptor is 16 bytes");

/* Bytes of each area for a queue of size entries, event words included (its alignment: 16, 2 and 4). */
#define VIRTQ_DESC_BYTES(size)          (16u * (size))
#define VIRTQ_AVAIL_BYTES(size)         (6u + 2u * (size))
#define VIRTQ_USED_BYTES(size)          (6u + 8u * (size))
static inline uint32_t virtq_desc_bytes(uint32_t size) { return VIRTQ_DESC_BYTES(size); }
static inline uint32_t virtq_avail_bytes(uint32_t size) { return VIRTQ_AVAIL_BYTES(size); }
static inline uint32_t virtq_used_bytes(uint32_t size) { return VIRTQ_USED_BYTES(size); }

/* Where each side publishes its event index (VIRTIO_F_RING_EVENT_IDX). */
static inline volatile uint16_t *virtq_used_event(volatile struct virtq_avail *avail, uint32_t size)
{
    return &avail->ring[size];
}

static inline volatile uint16_t *virtq_avail_event(volatile struct virtq_used *used, uint32_t size)
{
    return (volatile uint16_t *)&used->ring[size];
}

/*
 * Whether a side that moved its index from old_idx to new_idx must tell the
 * peer who asked to be told at event_idx: true when event_idx lies in
 * [old_idx, new_idx), across wrap-around (2.7.10).
 */
static inline bool virtq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* ---- ordering between memory the device reads or writes, and its registers ---- */

/* Memory writes (descriptors, ring entries) before the index that publishes them. */
static inline void virtio_wmb(void) { __asm__ volatile("fence w, w" ::: "memory"); }

/* The read of an index before the reads of the entries it covers. */
static inline void virtio_rmb(void) { __asm__ volatile("fence r, r" ::: "memory"); }

/* A published index before the read of the peer's event index (and the mirror case). */
static inline void virtio_mb(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

/*
 * Register access.  A write is preceded by fence w,o, so memory the device
 * will read (the ring index a notify announces) is visible before the
 * device sees the write; a read is followed by fence i,r, so memory reads
 * after it (the used ring an interrupt status announces) are not done early.
 */
static inline uint32_t virtio_mmio_read(volatile void *regs, uint32_t offset)
{
    uint32_t value = *(volatile uint32_t *)((volatile uint8_t *)regs + offset);
    __asm__ volatile("fence i, r" ::: "memory");
    return value;
}

static inline void virtio_mmio_write(volatile void *regs, uint32_t offset, uint32_t value)
{
    __asm__ volatile("fence w, o" ::: "memory");
    *(volatile uint32_t *)((volatile uint8_t *)regs + offset) = value;
}

/* The 64-bit feature word, 32 bits at a time through the selector. */
static inline uint64_t virtio_mmio_device_features(volatile void *regs)
{
    virtio_mmio_write(regs, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t low = virtio_mmio_read(regs, VIRTIO_MMIO_DEVICE_FEATURES);
    virtio_mmio_write(regs, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t high = virtio_mmio_read(regs, VIRTIO_MMIO_DEVICE_FEATURES);
    return high << 32 | low;
}

static inline void virtio_mmio_set_driver_features(volatile void *regs, uint64_t features)
{
    virtio_mmio_write(regs, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    virtio_mmio_write(regs, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    virtio_mmio_write(regs, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    virtio_mmio_write(regs, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

#endif
