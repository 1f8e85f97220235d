/*
 * The device: a virtio-blk behind virtio-mmio (version 2, the modern
 * interface), one split virtqueue, event indices in both directions.
 *
 * The driver's own DMA memory is its private DMA region 'queues'
 * (component.yaml: mapped in no other component, physically contiguous,
 * its base in queues_paddr), so no client can rewrite a descriptor and
 * make the device reach memory that is not its own.  It is laid out as:
 *
 *   page 0   descriptor table (16 x queue size) at 0, available ring at
 *            2048, used ring at 2560
 *   then     request headers (16 bytes each) at 4096, then the status
 *            bytes: one of each per request slot of every client
 *
 * A request is a chain: the header (device reads), its data in the
 * client's data region (one descriptor, or one per SIZE_MAX bytes if the
 * device sets that; the device writes it for a read, reads it for a
 * write), the status byte (device writes).  The chain's first descriptor is its id in the used
 * ring; owner[] maps it back to the request.
 *
 * Suppression: we notify the device only when its avail_event says it
 * waits for the index we publish (virtq_need_event), and ask for an
 * interrupt only for the first completion after those we have taken
 * (used_event = the used index we have seen), re-checking the used ring
 * after each such request so that no completion waits for an interrupt
 * that was not asked for.
 */
#include "virtio_blk.h"
#include <stdio.h>

#define DMA_AVAIL_OFFSET   2048u
#define DMA_USED_OFFSET    2560u
#define REQUEST_SLOTS      (BLK_CLIENT_SLOTS * BLK_MAX_IN_FLIGHT)
#define DMA_HEADERS        4096u
#define DMA_STATUS         (DMA_HEADERS + 16u * REQUEST_SLOTS)
#define DMA_BYTES          (DMA_STATUS + REQUEST_SLOTS)

_Static_assert(16 * BLK_QUEUE_SIZE <= DMA_AVAIL_OFFSET, "the descriptors fit before the available ring");
_Static_assert(DMA_AVAIL_OFFSET + 6 + 2 * BLK_QUEUE_SIZE <= DMA_USED_OFFSET, "the available ring fits");
_Static_assert(DMA_USED_OFFSET + 6 + 8 * BLK_QUEUE_SIZE <= 4096, "the used ring fits in page 0");
_Static_assert(DMA_HEADERS + (16u + 1u) * BLK_MAX_CLIENTS * BLK_MAX_IN_FLIGHT <= 16384,
               "headers and status bytes of BLK_MAX_CLIENTS clients fit in the 16K of component.yaml");

struct blk_device blk_device;

static volatile void *regs;
static volatile struct virtq_desc *desc;
static volatile struct virtq_avail *avail;
static volatile struct virtq_used *used;
static volatile struct virtio_blk_header *headers;
static volatile uint8_t *status_bytes;
static uint64_t headers_paddr, status_paddr;

static uint16_t queue_size, queue_mask;
static uint16_t avail_idx;          /* the next available-ring entry we fill */
static uint16_t avail_published;    /* the avail.idx the device has seen from us */
static uint16_t used_seen;          /* used-ring entries we have taken */
static uint16_t free_stack[BLK_QUEUE_SIZE];
static uint16_t free_count;
static uint16_t chain_next[BLK_QUEUE_SIZE];   /* our own copy of each descriptor's next: we never read desc[] back */
static struct request *owner[BLK_QUEUE_SIZE]; /* by a chain's first descriptor, while SUBMITTED */

static uint32_t config_read32(uint32_t offset)
{
    return virtio_mmio_read(regs, VIRTIO_MMIO_CONFIG + offset);
}

/* A 64-bit configuration field, read twice over until the configuration generation holds still. */
static uint64_t config_read64(uint32_t offset)
{
    for (;;) {
        uint32_t generation = virtio_mmio_read(regs, VIRTIO_MMIO_CONFIG_GENERATION);
        uint64_t value = config_read32(offset) | (uint64_t)config_read32(offset + 4) << 32;
        if (virtio_mmio_read(regs, VIRTIO_MMIO_CONFIG_GENERATION) == generation)
            return value;
    }
}

static bool refuse(const char *why)
{
    printf("%s; every request will be answered device_error\n", why);
    virtio_mmio_write(regs, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
    blk_device.usable = false;
    return false;
}

static const char *feature_name(int bit)
{
    switch (bit) {
    case VIRTIO_F_VERSION_1: return "VERSION_1";
    case VIRTIO_F_RING_EVENT_IDX: return "RING_EVENT_IDX";
    case VIRTIO_BLK_F_FLUSH: return "BLK_F_FLUSH";
    default: return "?";
    }
}

/* The virtio 1.x initialisation sequence (3.1.1), checking each step. */
bool device_start(void)
{
    regs = virtio_mmio_regs;
    char why[160];
    uint32_t magic = virtio_mmio_read(regs, VIRTIO_MMIO_MAGIC_VALUE);
    uint32_t version = virtio_mmio_read(regs, VIRTIO_MMIO_VERSION);
    uint32_t device_id = virtio_mmio_read(regs, VIRTIO_MMIO_DEVICE_ID);
    if (magic != VIRTIO_MMIO_MAGIC) {
        snprintf(why, sizeof(why), "its device is not virtio-mmio (magic %#x, not %#x)", (unsigned)magic,
                 (unsigned)VIRTIO_MMIO_MAGIC);
        blk_device.usable = false;
        printf("%s; every request will be answered device_error\n", why);
        return false;
    }
    if (version != 2) {
        snprintf(why, sizeof(why), "the virtio-mmio slot speaks version %u, not 2 (the modern interface: QEMU "
                 "needs -global virtio-mmio.force-legacy=false)", (unsigned)version);
        return refuse(why);
    }
    if (device_id == 0)
        return refuse("no device in its virtio-mmio slot (QEMU needs -device virtio-blk-device in it)");
    if (device_id != VIRTIO_ID_BLOCK) {
        snprintf(why, sizeof(why), "the device in its virtio-mmio slot is virtio device %u, not a block device (2)",
                 (unsigned)device_id);
        return refuse(why);
    }

    virtio_mmio_write(regs, VIRTIO_MMIO_STATUS, 0);   /* reset: done when the status reads 0 again */
    for (unsigned tries = 0; virtio_mmio_read(regs, VIRTIO_MMIO_STATUS) != 0; tries++)
        if (tries == 1000000)
            return refuse("the device does not finish its reset (its status never reads 0)");
    virtio_mmio_write(regs, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio_mmio_write(regs, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);

    uint64_t offered = virtio_mmio_device_features(regs);
    static const int required[] = { VIRTIO_F_VERSION_1, VIRTIO_F_RING_EVENT_IDX, VIRTIO_BLK_F_FLUSH };
    uint64_t wanted = 0;
    for (unsigned i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!(offered & (1ull << required[i]))) {
            snprintf(why, sizeof(why), "the device does not offer %s (bit %d; it offers %#llx)",
                     feature_name(required[i]), required[i], (unsigned long long)offered);
            return refuse(why);
        }
        wanted |= 1ull << required[i];
    }
    /* Optional ones we understand: limits and facts the device tells. */
    wanted |= offered & (1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_RO |
                         1ull << VIRTIO_BLK_F_SIZE_MAX);
    virtio_mmio_set_driver_features(regs, wanted);
    virtio_mmio_write(regs, VIRTIO_MMIO_STATUS,
                      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(virtio_mmio_read(regs, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
        return refuse("the device did not accept the features VERSION_1, RING_EVENT_IDX and BLK_F_FLUSH");
    blk_device.features = wanted;

    /* Configuration. */
    blk_device.capacity = config_read64(VIRTIO_BLK_CONFIG_CAPACITY);
    blk_device.block_size = wanted & (1ull << VIRTIO_BLK_F_BLK_SIZE) ? config_read32(VIRTIO_BLK_CONFIG_BLK_SIZE)
                                                                     : BLK_SECTOR;
    blk_device.read_only = (wanted & (1ull << VIRTIO_BLK_F_RO)) != 0;
    uint32_t seg_max = wanted & (1ull << VIRTIO_BLK_F_SEG_MAX) ? config_read32(VIRTIO_BLK_CONFIG_SEG_MAX) : 0xffff;
    uint32_t size_max = wanted & (1ull << VIRTIO_BLK_F_SIZE_MAX) ? config_read32(VIRTIO_BLK_CONFIG_SIZE_MAX) : 0;
    if (size_max && size_max < BLK_PAGE) {
        snprintf(why, sizeof(why), "the device takes segments of at most %u bytes; this driver needs 4096",
                 (unsigned)size_max);
        return refuse(why);
    }

    /* The queue. */
    if (queues_size < DMA_BYTES) {
        snprintf(why, sizeof(why), "its DMA region 'queues' is %u bytes; it needs %u", (unsigned)queues_size,
                 (unsigned)DMA_BYTES);
        return refuse(why);
    }
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_SEL, 0);
    if (virtio_mmio_read(regs, VIRTIO_MMIO_QUEUE_READY) != 0)
        return refuse("the device's queue 0 is in use before we set it up");
    uint32_t max = virtio_mmio_read(regs, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max < 4)
        return refuse("the device's queue 0 has fewer than 4 descriptors");
    uint32_t size = BLK_QUEUE_SIZE;
    while (size > max)
        size /= 2;   /* split queues are a power of two */
    queue_size = (uint16_t)size;
    queue_mask = (uint16_t)(size - 1);
    blk_device.queue_size = queue_size;
    /* A request is a header, its data and a status byte. */
    blk_device.max_segments = seg_max < size - 2 ? seg_max : size - 2;
    if (blk_device.max_segments < 2)
        return refuse("the device takes fewer than 2 data segments per request");
    /* A data region is contiguous: a request needs one data segment, or one per SIZE_MAX bytes. */
    blk_device.piece_max = size_max;
    blk_device.max_length = BLK_MAX_LENGTH;
    if (size_max && (uint64_t)blk_device.max_segments * size_max < blk_device.max_length)
        blk_device.max_length = blk_device.max_segments * size_max / BLK_SECTOR * BLK_SECTOR;

    uint8_t *dma_memory = queues;
    desc = (volatile struct virtq_desc *)dma_memory;
    avail = (volatile struct virtq_avail *)(dma_memory + DMA_AVAIL_OFFSET);
    used = (volatile struct virtq_used *)(dma_memory + DMA_USED_OFFSET);
    headers = (volatile struct virtio_blk_header *)(dma_memory + DMA_HEADERS);
    status_bytes = dma_memory + DMA_STATUS;
    headers_paddr = queues_paddr + DMA_HEADERS;
    status_paddr = queues_paddr + DMA_STATUS;
    for (unsigned i = 0; i < DMA_BYTES; i++)
        dma_memory[i] = 0;
    for (uint16_t i = 0; i < queue_size; i++)
        free_stack[i] = (uint16_t)(queue_size - 1 - i);
    free_count = queue_size;
    blk_device.free_descriptors = free_count;

    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_NUM, size);
    uint64_t desc_paddr = queues_paddr, avail_paddr = queues_paddr + DMA_AVAIL_OFFSET,
             used_paddr = queues_paddr + DMA_USED_OFFSET;
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_paddr);
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc_paddr >> 32));
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail_paddr);
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail_paddr >> 32));
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used_paddr);
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used_paddr >> 32));
    virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_READY, 1);

    virtio_mmio_write(regs, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                                    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    blk_device.usable = true;
    uint64_t bytes = blk_device.capacity * BLK_SECTOR;
    printf("virtio-blk (virtio-mmio 2, vendor %#x): %llu sectors of 512 bytes (%llu KiB), block size "
           "%u%s; features VERSION_1 RING_EVENT_IDX BLK_F_FLUSH%s%s; queue of %u descriptors, %u data segments per "
           "request, requests of up to %u KiB\n",
           (unsigned)virtio_mmio_read(regs, VIRTIO_MMIO_VENDOR_ID), (unsigned long long)blk_device.capacity,
           (unsigned long long)(bytes >> 10), (unsigned)blk_device.block_size,
           blk_device.read_only ? ", read-only" : "", wanted & (1ull << VIRTIO_BLK_F_SEG_MAX) ? " SEG_MAX" : "",
           wanted & (1ull << VIRTIO_BLK_F_BLK_SIZE) ? " BLK_SIZE" : "", (unsigned)queue_size,
           (unsigned)blk_device.max_segments, (unsigned)(blk_device.max_length >> 10));
    return true;
}

/* The header, the status byte, and the data in pieces of at most SIZE_MAX bytes (if the device sets one). */
unsigned device_descriptors_needed(const struct request *q)
{
    if (q->op == BLK_OP_FLUSH)
        return 2;
    uint32_t piece = blk_device.piece_max;
    return 2 + (piece && q->length > piece ? (q->length + piece - 1) / piece : 1);
}

static uint16_t descriptor_alloc(void)
{
    return free_stack[--free_count];
}

/*
 * Put q's chain in the available ring (visible to the device at the next
 * device_publish).  The request was checked at intake: its range lies in
 * its client's region and on the disk.  False, changing nothing, if the
 * chain needs more descriptors than are free.
 *
 * Cost: a 4 KiB read in a contiguous region (3 descriptors) is about 165
 * instructions, the call included (rdinstret around it in the benchmark,
 * tests/components/virtio_blk/bench/run.sh; README.md "Measured cost").
 */
bool device_submit(struct request *q)
{
    struct client *c = q->client;
    unsigned needed = q->op == BLK_OP_FLUSH ? 2 : !blk_device.piece_max ? 3 : device_descriptors_needed(q);
    if (needed > free_count)
        return false;

    volatile struct virtio_blk_header *header = &headers[q->index];
    header->type = q->op == BLK_OP_READ ? VIRTIO_BLK_T_IN : q->op == BLK_OP_WRITE ? VIRTIO_BLK_T_OUT
                                                                                   : VIRTIO_BLK_T_FLUSH;
    header->reserved = 0;
    header->sector = q->op == BLK_OP_FLUSH ? 0 : q->sector;
    status_bytes[q->index] = 0xff;   /* a device that answers without writing it gives device_error */

    uint16_t head = descriptor_alloc(), at = head;
    desc[at].addr = headers_paddr + (uint64_t)q->index * sizeof(struct virtio_blk_header);
    desc[at].len = sizeof(struct virtio_blk_header);
    desc[at].flags = VIRTQ_DESC_F_NEXT;
    uint16_t data_flags = VIRTQ_DESC_F_NEXT | (q->op == BLK_OP_READ ? VIRTQ_DESC_F_WRITE : 0);
    uint64_t paddr = c->data_paddr + q->offset;   /* checked at intake: inside its region */
    for (uint32_t left = q->op == BLK_OP_FLUSH ? 0 : q->length; left;) {
        uint32_t piece = blk_device.piece_max && left > blk_device.piece_max ? blk_device.piece_max : left;
        uint16_t next = descriptor_alloc();
        desc[at].next = next;
        chain_next[at] = next;
        at = next;
        desc[at].addr = paddr;
        desc[at].len = piece;
        desc[at].flags = data_flags;
        paddr += piece;
        left -= piece;
    }
    uint16_t last = descriptor_alloc();
    desc[at].next = last;
    chain_next[at] = last;
    desc[last].addr = status_paddr + q->index;
    desc[last].len = 1;
    desc[last].flags = VIRTQ_DESC_F_WRITE;
    desc[last].next = 0;

    q->desc_head = head;
    q->desc_count = (uint16_t)needed;
    owner[head] = q;
    avail->ring[avail_idx & queue_mask] = head;
    avail_idx++;
    blk_device.free_descriptors = free_count;
    return true;
}

/*
 * Publish the chains submitted since the last publish, and notify the
 * device only if it asked (its avail_event lies in the range we publish).
 * The fence before reading avail_event pairs with the device's own: either
 * it sees our index, or we see the avail_event it set before sleeping.
 */
void device_publish(void)
{
    if (avail_idx == avail_published || !blk_device.usable)
        return;
    uint16_t old = avail_published;
    virtio_wmb();
    avail->idx = avail_idx;
    avail_published = avail_idx;
    virtio_mb();
    if (virtq_need_event(*virtq_avail_event(used, queue_size), avail_idx, old)) {
        virtio_mmio_write(regs, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        blk_device.counts.notifies++;
    }
}

static void chain_free(uint16_t head, uint16_t count)
{
    uint16_t at = head;
    for (uint16_t i = 0; i < count; i++) {
        free_stack[free_count++] = at;
        at = chain_next[at];
    }
    blk_device.free_descriptors = free_count;
}

/*
 * Take every completion in the used ring.  When it looks empty, ask for
 * an interrupt at the next one (used_event), then look again: a
 * completion that came in between would otherwise wait for an interrupt
 * the device was not asked for.
 *
 * Cost: about 190 instructions per completion of a 4 KiB read, its answer
 * in the completion ring included (bench/run.sh, rdinstret around it).
 */
void device_reap(void)
{
    if (!blk_device.usable)
        return;
    for (;;) {
        uint16_t idx = used->idx;
        if (idx == used_seen) {
            *virtq_used_event(avail, queue_size) = used_seen;
            virtio_mb();
            if (used->idx == used_seen)
                return;
            continue;
        }
        if ((uint16_t)(idx - used_seen) > queue_size) {
            char why[96];
            snprintf(why, sizeof(why), "the device moved the used index from %u to %u, past the queue's %u entries",
                     (unsigned)used_seen, (unsigned)idx, (unsigned)queue_size);
            device_fail(why);
            return;
        }
        virtio_rmb();
        while (used_seen != idx) {
            uint32_t id = used->ring[used_seen & queue_mask].id;
            used_seen++;
            struct request *q = id < queue_size ? owner[id] : NULL;
            if (!q) {
                char why[96];
                snprintf(why, sizeof(why), "the device completed descriptor %u, which heads no request in flight",
                         (unsigned)id);
                device_fail(why);
                return;
            }
            owner[id] = NULL;
            chain_free(q->desc_head, q->desc_count);
            blk_device.counts.completions++;
            request_done(q, status_bytes[q->index]);
        }
    }
}

void device_interrupt(void)
{
    blk_device.counts.interrupts++;
    if (!blk_device.usable)
        return;
    uint32_t status = virtio_mmio_read(regs, VIRTIO_MMIO_INTERRUPT_STATUS);
    virtio_mmio_write(regs, VIRTIO_MMIO_INTERRUPT_ACK, status);
    if ((status & VIRTIO_MMIO_INT_CONFIG) &&
        (virtio_mmio_read(regs, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
        device_fail("the device says it needs a reset (DEVICE_NEEDS_RESET)");
}

/*
 * The device misbehaved or broke: reset it (it touches no memory after
 * that), and answer device_error to everything on it or waiting for it.
 * Requests that come later get device_error at intake.
 */
void device_fail(const char *why)
{
    printf("%s; the device is reset, and every request is answered device_error from now on\n", why);
    virtio_mmio_write(regs, VIRTIO_MMIO_STATUS, 0);
    blk_device.usable = false;
    for (uint16_t i = 0; i < queue_size; i++) {
        struct request *q = owner[i];
        if (q) {
            owner[i] = NULL;
            request_fail_on_device(q);
        }
    }
    clients_fail_queued();
}
