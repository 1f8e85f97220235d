/*
 * An Ethernet interface of lwIP over a small frame interface: in the
 * system, the virtio-net driver's rings; in host tests, a fake wire.
 *
 * Receiving, zero copy: the caller hands over each received frame where
 * the device put it (net_netif_receive: pointer, length, and a cookie
 * that names the buffer to the driver).  lwIP works on the frame in place,
 * in a custom pbuf over the buffer (lwIP rewrites headers in place, so the
 * buffer must be writable), and when the last pbuf reference goes the
 * netif gives the buffer back through ops->rx_release.  So the device never
 * starves while a slow client keeps data waiting, at most rx_hold_max
 * buffers are held at once; beyond that a frame is copied into one of
 * lwIP's pool pbufs and its buffer is released at once.  (The socket layer
 * also moves data nobody is waiting for out of these buffers into lwIP's
 * heap.)
 *
 * Transmitting, one copy: for each frame the netif asks the driver for a
 * buffer (ops->tx_get), copies the frame into it, and hands it over
 * (ops->tx_put); net_netif_flush publishes a batch (ops->tx_flush).  When
 * the driver has no free buffer the frame waits in a queue of NET_TX_QUEUE
 * frames holding a reference to lwIP's pbuf (lwIP does not retransmit a
 * segment while a driver holds it), and goes out at the next
 * net_netif_flush; when that queue is full too the frame is dropped and
 * counted, and lwIP hears ERR_MEM (TCP retransmits it later; a UDP send
 * completes no_memory).
 *
 * Frames are Ethernet II without the FCS, at most NET_FRAME_MAX bytes.
 */
#ifndef NET_NETIF_H
#define NET_NETIF_H

#include "lwip/netif.h"
#include "lwip/pbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ethernet header (14) and a 1500-byte payload. */
#define NET_FRAME_MAX 1514
#define NET_FRAME_MIN 14
#define NET_TX_QUEUE 64
/* The most received buffers a netif can hold at once (its custom pbufs). */
#define NET_RX_HOLD_LIMIT 256

/* What the driver side offers; every function is called on the stack's thread. */
struct net_frame_ops {
    /* A free transmit buffer of at least len bytes, or NULL if none is free now. */
    void *(*tx_get)(void *ctx, size_t len);
    /* The buffer from tx_get, filled with len bytes: send it (visible to the device at tx_flush). */
    void (*tx_put)(void *ctx, void *buffer, size_t len);
    /* Optional: publish what tx_put handed over since the last flush (one wake-up a batch). */
    void (*tx_flush)(void *ctx);
    /* A received frame (its pointer and the cookie net_netif_receive got) is free again. */
    void (*rx_release)(void *ctx, void *frame, uintptr_t cookie);
};

struct net_netif;

struct net_netif_config {
    const char *name;           /* two letters, lwIP's interface name; NULL for "en" */
    uint8_t mac[6];
    uint32_t addr, netmask, gateway;    /* IPv4, host byte order; addr 0: ask DHCP */
    uint16_t mtu;               /* 0 for 1500 */
    unsigned rx_hold_max;       /* 0 for NET_RX_HOLD_LIMIT; at most NET_RX_HOLD_LIMIT */
    bool is_default;            /* the default route's interface */
    const struct net_frame_ops *ops;
    void *ctx;
    /* Optional: the interface's address changed (a DHCP lease came, or went). */
    void (*on_address)(struct net_netif *nif);
};

struct net_netif_stats {
    uint64_t rx_frames, rx_bytes;
    uint64_t rx_zero_copy;          /* frames lwIP worked on in the driver's buffer */
    uint64_t rx_copied;             /* frames copied into a pool pbuf (too many buffers held) */
    uint64_t rx_runt;               /* dropped: shorter than its Ethernet, ARP or IPv4 header */
    uint64_t rx_too_long;           /* dropped: longer than NET_FRAME_MAX */
    uint64_t rx_no_memory;          /* dropped: no pool pbuf to copy into */
    uint64_t tx_frames, tx_bytes;
    uint64_t tx_queued;             /* frames that waited for a transmit buffer */
    uint64_t tx_dropped;            /* dropped: no transmit buffer and the queue full */
    uint64_t tx_too_long;           /* dropped: longer than NET_FRAME_MAX */
};

struct net_rx_buffer {
    struct pbuf_custom custom;      /* first: lwIP frees it as a pbuf */
    struct net_netif *nif;
    void *frame;
    uintptr_t cookie;
    struct net_rx_buffer *next_free;
};

struct net_netif {
    struct netif netif;
    const struct net_frame_ops *ops;
    void *ctx;
    void (*on_address)(struct net_netif *nif);
    uint32_t last_addr;
    unsigned rx_hold_max, rx_held;
    struct net_rx_buffer rx_buffers[NET_RX_HOLD_LIMIT];
    struct net_rx_buffer *rx_free;
    struct pbuf *tx_queue[NET_TX_QUEUE];
    unsigned tx_head, tx_count;
    bool tx_unflushed;
    struct net_netif_stats stats;
};

/*
 * Add the interface to lwIP and bring it up: with its static address, or
 * with DHCP started (addr 0).  False if lwIP refuses it (bad name, no
 * ops); nif must stay where it is while lwIP knows it.
 */
bool net_netif_add(struct net_netif *nif, const struct net_netif_config *config);

/* Take it out of lwIP (DHCP stopped, queued frames freed).  Frames lwIP still holds come back
 * through rx_release when it lets them go. */
void net_netif_remove(struct net_netif *nif);

/* A received frame: lwIP processes it now; the buffer comes back through ops->rx_release, now
 * or later. */
void net_netif_receive(struct net_netif *nif, void *frame, size_t len, uintptr_t cookie);

/* Send what waits for transmit buffers (the driver may have freed some), then publish the batch.
 * Call after each batch of work, and when the driver says buffers are free. */
void net_netif_flush(struct net_netif *nif);

/* The interface's IPv4 address now, host byte order (0 while DHCP has none). */
uint32_t net_netif_address(const struct net_netif *nif);

#endif /* NET_NETIF_H */
