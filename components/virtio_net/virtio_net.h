/*
 * What virtio-net adds to the virtio transport (sel/virtio.h): its feature
 * bits, queues, configuration space and the header before every frame.
 */
#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H

#include <sel/virtio.h>

#define VIRTIO_NET_F_CSUM               0
#define VIRTIO_NET_F_MAC                5      /* config.mac is valid */
#define VIRTIO_NET_F_MRG_RXBUF          15
#define VIRTIO_NET_F_STATUS             16     /* config.status has the link state */

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
