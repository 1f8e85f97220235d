/*
 * virtio over MMIO, modern interface (virtio 1.x, MMIO version 2), and the
 * split virtqueue: the register map, the status and feature bits, the
 * shared structures a driver lays out in DMA memory, and the event-index
 * test.  Definitions only: each driver owns its queues (components/
 * virtio_net, components/virtio_blk).  QEMU offers version 2 only with
 * -global virtio-mmio.force-legacy=false.
 *
 * Everything in a virtqueue is little-endian, as RISC-V is, so the
 * structures are plain C.  The device reads and writes them by DMA at any
 * moment: every access goes through a volatile pointer, and the ordering
 * a driver needs is spelled out where it uses them (virtio 1.x, 2.7.13).
 */
#ifndef SEL_VIRTIO_H
#define SEL_VIRTIO_H

#include <stdint.h>

/* ---- registers (byte offsets in the device's MMIO page) --------------------------- */

#define VIRTIO_MMIO_MAGIC_VALUE         0x000   /* "virt", little-endian */
#define VIRTIO_MMIO_VERSION             0x004   /* 2: the modern interface */
#define VIRTIO_MMIO_DEVICE_ID           0x008   /* 0: no device behind this transport */
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010   /* 32 feature bits of the word DEVICE_FEATURES_SEL selects */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034   /* 0: the selected queue does not exist */
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050   /* write a queue index: "there are new buffers" */
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080   /* physical addresses of the queue's three parts */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090   /* the available ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0   /* the used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc   /* changes when the device changes its configuration */
#define VIRTIO_MMIO_CONFIG              0x100   /* the device-specific configuration */

#define VIRTIO_MMIO_MAGIC               0x74726976u

/* INTERRUPT_STATUS bits */
#define VIRTIO_MMIO_INT_VRING           (1u << 0)   /* a queue has new used buffers */
#define VIRTIO_MMIO_INT_CONFIG          (1u << 1)   /* the configuration changed */

/* Device IDs */
#define VIRTIO_ID_NET                   1
#define VIRTIO_ID_BLOCK                 2

/* STATUS bits, set in this order during initialisation (virtio 1.x, 3.1.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE       1u     /* we noticed the device */
#define VIRTIO_STATUS_DRIVER            2u     /* we know how to drive it */
#define VIRTIO_STATUS_DRIVER_OK         4u     /* the queues are set up: go */
#define VIRTIO_STATUS_FEATURES_OK       8u     /* we accept the features written; the device confirms by keeping it */
#define VIRTIO_STATUS_NEEDS_RESET       64u    /* the device gave up */
#define VIRTIO_STATUS_FAILED            128u   /* we gave up */

/* ---- feature bits ------------------------------------------------------------------ */

#define VIRTIO_F_RING_INDIRECT_DESC     28
#define VIRTIO_F_RING_EVENT_IDX         29     /* used_event / avail_event: suppression by index */
#define VIRTIO_F_VERSION_1              32     /* the modern interface */

#define VIRTIO_NET_F_CSUM               0
#define VIRTIO_NET_F_MAC                5      /* config.mac is valid */
#define VIRTIO_NET_F_MRG_RXBUF          15
#define VIRTIO_NET_F_STATUS             16     /* config.status has the link state */

#define VIRTIO_BLK_F_FLUSH              9

#define VIRTIO_FEATURE(bit)             (1ull << (bit))

/* ---- the split virtqueue (virtio 1.x, 2.6) ----------------------------------------- */

#define VIRTQ_DESC_F_NEXT               1u     /* the chain goes on at next */
#define VIRTQ_DESC_F_WRITE              2u     /* the device writes this buffer (else it reads it) */

/* One buffer: the descriptor table is an array of queue-size of these, 16-byte aligned. */
struct virtq_desc {
    uint64_t addr;      /* physical */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/*
 * The available ring, written by the driver (2-byte aligned): the heads of
 * chains it offers, then (with EVENT_IDX) used_event: "interrupt me when
 * the used index passes this".
 */
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;       /* free-running: entries offered so far */
    uint16_t ring[];    /* queue-size entries, then uint16_t used_event */
};

struct virtq_used_elem {
    uint32_t id;        /* the head of the chain the device finished */
    uint32_t len;       /* bytes it wrote into the chain */
};

/*
 * The used ring, written by the device (4-byte aligned): the chains it is
 * done with, then (with EVENT_IDX) avail_event: "notify me when the
 * available index passes this".
 */
struct virtq_used {
    uint16_t flags;
    uint16_t idx;       /* free-running: entries returned so far */
    struct virtq_used_elem ring[];   /* queue-size entries, then uint16_t avail_event */
};

/* Bytes of each part for a queue of size entries (with the event words). */
#define VIRTQ_DESC_BYTES(size)          (16u * (size))
#define VIRTQ_AVAIL_BYTES(size)         (6u + 2u * (size))
#define VIRTQ_USED_BYTES(size)          (6u + 8u * (size))

static inline volatile uint16_t *virtq_used_event(volatile struct virtq_avail *avail, uint16_t size)
{
    return &avail->ring[size];
}

static inline volatile uint16_t *virtq_avail_event(volatile struct virtq_used *used, uint16_t size)
{
    return (volatile uint16_t *)&used->ring[size];
}

/*
 * With EVENT_IDX: having moved an index from old to new, must we tell the
 * other side, which asked to hear when the index passes event?  True if
 * event lies in [old, new), across wrap-around (virtio 1.x, 2.6.7.2).
 */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* ---- virtio-net (virtio 1.x, 5.1) --------------------------------------------------- */

#define VIRTIO_NET_QUEUE_RX             0
#define VIRTIO_NET_QUEUE_TX             1

/* The device configuration, at VIRTIO_MMIO_CONFIG. */
#define VIRTIO_NET_CONFIG_MAC           0      /* 6 bytes, with VIRTIO_NET_F_MAC */
#define VIRTIO_NET_CONFIG_STATUS        6      /* 16 bits, with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_S_LINK_UP            1u

/*
 * The header before every frame, in both directions.  With VERSION_1 it
 * always has num_buffers: 12 bytes.  Without offloads negotiated a
 * transmit header is all zeros, and a receive header says nothing we use.
 */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};

_Static_assert(sizeof(struct virtio_net_hdr) == 12, "the modern virtio-net header is 12 bytes");

#endif
