/*
 * The virtio-blk driver's own declarations, shared by its three files:
 *
 *   driver.c    start-up, and the glue's callbacks: the clients' ring port
 *               and the device interrupt
 *   request.c   the request state machine: a client's requests from intake
 *               to answer
 *   device.c    the virtio-mmio device and its split virtqueue
 *
 * README.md has the protocol and the measured costs.
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <component.h>
#include <sel/virtio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits (README.md "Limits") ---- */
/* BLK_CLIENTS, the clients connected to the blk port, comes from the glue (component.h). */
#define BLK_MAX_CLIENTS      8            /* what the DMA region (component.yaml) has headers and status bytes for */
#define BLK_CLIENT_SLOTS     (BLK_CLIENTS > 0 ? BLK_CLIENTS : 1)
#define BLK_MAX_IN_FLIGHT    64           /* per client: requests held between intake and answer */
#define BLK_MAX_LENGTH       (128u << 10) /* the longest read or write, in bytes */
#define BLK_SECTOR           512u
#define BLK_PAGE             4096u
#define BLK_QUEUE_SIZE       128u         /* virtqueue descriptors (fewer if the device offers fewer) */

#if BLK_CLIENTS > BLK_MAX_CLIENTS
#error "virtio_blk serves at most BLK_MAX_CLIENTS (8) clients on its blk port: connect fewer"
#endif

/* ---- virtio-blk (virtio 1.x 5.2) ---- */
#define VIRTIO_BLK_F_SIZE_MAX   1
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9

#define VIRTIO_BLK_T_IN         0u        /* read */
#define VIRTIO_BLK_T_OUT        1u        /* write */
#define VIRTIO_BLK_T_FLUSH      4u

#define VIRTIO_BLK_S_OK         0u
#define VIRTIO_BLK_S_IOERR      1u
#define VIRTIO_BLK_S_UNSUPP     2u

/* Configuration space offsets */
#define VIRTIO_BLK_CONFIG_CAPACITY  0     /* 64 bits, in 512-byte sectors */
#define VIRTIO_BLK_CONFIG_SIZE_MAX  8
#define VIRTIO_BLK_CONFIG_SEG_MAX   12
#define VIRTIO_BLK_CONFIG_BLK_SIZE  20

/* The header the device reads first in every request. */
struct virtio_blk_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/*
 * One request of one client, from intake to answer (request.c has the
 * state machine).  Everything here is the driver's private copy: the
 * client's ring slot is read once, at intake, and never again.
 */
enum request_state {
    REQUEST_FREE,           /* not in use: on the client's free list */
    REQUEST_QUEUED,         /* taken and checked; waits for descriptors, or behind a flush, on the client's queue */
    REQUEST_SUBMITTED,      /* on the device: its chain is in the available ring */
    REQUEST_COMPLETED,      /* its status is known; the answer waits for room in the completion ring */
};

struct request {
    enum request_state state;
    blk_op_t op;
    blk_status_t status;            /* once COMPLETED */
    uint32_t length;
    uint64_t sector;
    uint64_t offset;
    uint64_t tag;
    struct request *next;           /* on the client's queue or answer list */
    struct client *client;
    uint16_t desc_head;             /* while SUBMITTED: the chain's first descriptor */
    uint16_t desc_count;
    uint16_t index;                 /* 0 .. BLK_CLIENTS * BLK_MAX_IN_FLIGHT - 1: its header and status byte */
};

/*
 * A client: its connection to the blk port (the glue's client number),
 * its data region, and its requests.  A client's requests can only name
 * its own region (request.c checks offset and length against data_size,
 * and device.c builds descriptors only from data_paddr, the base of that
 * physically contiguous region), so no client can make the device read or
 * write another's, or the driver's own memory.
 */
struct client {
    unsigned number;                            /* its number on the blk port (blk_request_from, ...) */
    const char *name;
    size_t data_size;                           /* bytes of its data region (0: none; reads and writes are bad_region) */
    uint64_t data_paddr;                        /* the physical base of its data region */

    struct request requests[BLK_MAX_IN_FLIGHT];
    struct request *free_list;
    struct request *queue_head, *queue_tail;    /* QUEUED, in arrival order */
    struct request *answers_head, *answers_tail; /* COMPLETED, waiting for room in the completion ring */
    uint8_t tags[2 * BLK_MAX_IN_FLIGHT];        /* tag -> request index + 1 (open addressing), 0 empty */
    unsigned in_flight;                         /* not FREE */
    unsigned writes_on_device;                  /* SUBMITTED writes: a flush waits for them */

    /* An answer decided at intake (an error, busy, info) that did not fit: taking stops until it goes. */
    bool held;
    uint64_t held_tag;
    blk_response_t held_response;
    bool touched;                               /* answered something since the last flush */
    bool dropped;                               /* it broke its completion ring: its answers were let go */

    struct {
        uint64_t requests, reads, writes, flushes, errors, busy;
    } counts;
};

extern struct client blk_clients[BLK_CLIENT_SLOTS];

/* The device, as device.c negotiated it. */
struct blk_device {
    bool usable;                    /* false: every request is answered device_error */
    uint64_t capacity;              /* 512-byte sectors */
    uint32_t block_size;
    uint32_t max_segments;          /* data descriptors per request */
    uint32_t piece_max;             /* bytes per data descriptor (the device's SIZE_MAX), 0: no limit */
    uint32_t max_length;            /* the longest read or write taken: BLK_MAX_LENGTH, or less if max_segments says so */
    bool read_only;
    uint64_t features;
    uint16_t queue_size;
    uint16_t free_descriptors;
    struct {
        uint64_t notifies, interrupts, completions;
    } counts;
};

extern struct blk_device blk_device;

/* device.c */
bool device_start(void);                              /* false (having said why) if no usable device */
bool device_submit(struct request *q);                /* false if it needs more descriptors than are free */
void device_publish(void);                            /* make submitted chains visible; notify if the device asks */
void device_reap(void);                               /* take the used ring's completions (request_done each) */
void device_interrupt(void);                          /* read and acknowledge the interrupt status */
void device_fail(const char *why);                    /* stop the device; fail everything on it */
unsigned device_descriptors_needed(const struct request *q);

/* request.c */
void client_start(struct client *c, unsigned number); /* client number's state, from what the glue says of it */
void client_take(struct client *c);                  /* intake from its submission ring */
void client_submit_queued(struct client *c);         /* QUEUED -> SUBMITTED while descriptors last */
bool client_deliver(struct client *c);               /* COMPLETED -> FREE while the completion ring has room */
bool clients_flush(void);                            /* publish what was answered (one blk_flush for all) */
void request_done(struct request *q, uint8_t virtio_status);   /* SUBMITTED -> COMPLETED (and answered if it fits) */
void request_fail_on_device(struct request *q);      /* SUBMITTED -> COMPLETED with device_error (device_fail) */
void clients_fail_queued(void);                      /* QUEUED -> COMPLETED with device_error (device_fail) */

/* driver.c: one pass over everything that may have moved: completions, queued requests, answers. */
void driver_service(void);

#endif
