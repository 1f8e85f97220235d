/*
 * The virtio-net driver: one virtio-mmio network device (modern interface,
 * split virtqueues, event-index suppression both ways) served to its
 * clients through buffer loans on two rings, zero copy (README.md has the
 * protocol; idl/netframe.yaml and idl/netinfo.yaml the interfaces).
 *
 * A client connects to both ports, rx and tx, and owns the data region of
 * each connection (its buffers: shared with us only, physically
 * contiguous), and lends buffers of them out: empty ones on its rx ring,
 * frames to send on its tx ring.  Several clients may connect (each port
 * numbers its own); the device's one receive queue takes their receive
 * buffers in the order they were lent.  We check each loan against the
 * region of that connection (inside it, inside one 4 KiB page, at most 2
 * KiB, no 64-byte line shared with a buffer we already hold) and give the
 * device the buffer's physical address (the region's base plus the
 * offset): the device reads and writes the client's memory directly, a
 * client can name only its own, and we touch no frame (except the few
 * copied when a client comes back from overload, WAITING below).  Every loan comes back
 * on the completion ring with its tag: filled or sent (ok), or at once with
 * the reason we refused it.
 *
 * The life of a chain (one loan in the device), as in virtqueue.h:
 *
 *   FREE    on the queue's free stack
 *   CLIENT  posted with a client's buffer; the device fills (rx) or sends
 *           (tx) it, and the used entry brings it back: we answer the
 *           client and free it
 *   DROP    rx only: posted with one of the driver's drop buffers, when
 *           no client buffer is in the device or waiting; a frame landing
 *           there is dropped and counted (rx_dropped), so overload is
 *           dropped here, counted, and never makes the device stall
 *   WAITING rx only: a client's loan that came while drop buffers were in
 *           the device.  The device takes buffers in order, so posting it
 *           behind them would drop the next frames although the client is
 *           back; instead the next frame that lands in a drop buffer is
 *           copied into it (rx_copied), and once the drop buffers are all
 *           back the waiting loans are posted (CLIENT): at most DROP_CHAINS
 *           frames are copied after each overload, none is lost to it
 *
 * All work happens in one pass (service): answers that did not fit,
 * reaping both used rings, taking the clients' loans, posting, one
 * publish per queue (notifying only if the device asked), arming the
 * interrupts, and flushing the client rings.  The glue runs it when a
 * client's ring has work (rx_callback, tx_callback) and when the device
 * interrupts (virtio_mmio_irq).  A pass does a bounded amount of work: at
 * most MAX_ROUNDS + 1 rounds of reaping and posting, then the rest waits
 * for the kernel's next tick; and a client buffer whose frame could not be
 * completed (its completion ring full) goes back to the device only at the
 * next pass.  So a device that keeps delivering cannot keep the driver
 * from sleeping and its clients (lower priority) from running.
 */
#include <component.h>
#include <sel/loop.h>
#include <sel/notification.h>
#include <sel/ring.h>
#include "virtio_net.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtqueue.h"

#define PAGE 4096u
#define LINE 64u
#define FRAME_MAX 1514u              /* Ethernet header and 1500 bytes of payload, no FCS */
#define FRAME_MIN 14u                /* an Ethernet header */
#define BUFFER_MAX 2048u
#define MTU 1500u
#define NET_HDR ((uint32_t)sizeof(struct virtio_net_hdr))
#define DROP_CHAINS 4u               /* rx chains kept for the drop buffers; the rest are the clients' */
#define DEFERRED_MAX (VQ_MAX_CHAINS + 1)
#define RETRY_FIRST 100000u          /* 10 ms of QEMU virt's 10 MHz timebase */
#define RETRY_LAST 10000000u         /* 1 s */
#define CONTINUE_DELAY 20000u        /* 2 ms: the kernel's tick; a pass that stopped short goes on then */
#define MAX_ROUNDS 4u                /* rounds of a pass before it leaves the rest for later */

/*
 * The driver's own DMA memory, its private DMA region 'queues'
 * (component.yaml: mapped in no other component, so no client can rewrite
 * a descriptor; physically contiguous, base queues_paddr): both queues,
 * the headers, the drop buffers.
 */
#define DMA_RX_QUEUE 0x0000u
#define DMA_TX_QUEUE 0x2000u
#define DMA_RX_HEADERS 0x4000u       /* chain c's at + 16 c (the device writes them; we never read them) */
#define DMA_TX_HEADER 0x4800u        /* one zero header, read by the device for every frame */
#define DMA_DROP_BUFFERS 0x5000u     /* DROP_CHAINS buffers of 2 KiB the device writes dropped frames into */
#define DMA_BYTES (DMA_DROP_BUFFERS + DROP_CHAINS * BUFFER_MAX)
#define RX_HEADER_STRIDE 16u
_Static_assert(DMA_RX_HEADERS + VQ_MAX_CHAINS * RX_HEADER_STRIDE <= DMA_TX_HEADER, "rx headers fit before the tx header");

/* ---- clients ----------------------------------------------------------------------- */

struct answer {
    uint64_t tag;
    netframe_done_t done;
};

/*
 * One client's connection to one of our ports (rx or tx), as the glue
 * serves it: the client's number on that port, the connection's data
 * region, and what we hold of it.
 */
struct port {
    bool receive;                    /* rx, or tx */
    unsigned number;                 /* the client's number on the port (rx_request_from, ...) */
    const char *client;              /* its name */
    uint8_t *region;                 /* its buffers (we write one only to copy a frame out of a drop buffer) */
    size_t size;
    uint64_t paddr;                  /* the region's physical base: it is contiguous */
    uint32_t pages;
    uint64_t *held;                  /* per page: the 64-byte lines of the loans we hold */
    unsigned rx_in_device;           /* rx: its buffers posted */
    /*
     * Answers that found the completion ring full, oldest first.  While
     * any wait, we take no more requests from this port: so at most one
     * refusal and the chains in flight wait here (DEFERRED_MAX).
     */
    struct answer deferred[DEFERRED_MAX];
    unsigned deferred_first, deferred_count;
};

/* RX_CLIENTS and TX_CLIENTS, the connections to each port, come from the glue (component.h). */
static struct port rx_ports[RX_CLIENTS > 0 ? RX_CLIENTS : 1], tx_ports[TX_CLIENTS > 0 ? TX_CLIENTS : 1];

static bool port_take(struct port *p, netframe_loan_t *loan, uint64_t *tag)
{
    return p->receive ? rx_request_from(p->number, loan, tag) : tx_request_from(p->number, loan, tag);
}

static bool port_complete(struct port *p, const netframe_done_t *done, uint64_t tag)
{
    return p->receive ? rx_complete_to(p->number, done, tag) : tx_complete_to(p->number, done, tag);
}

/* ---- the device -------------------------------------------------------------------- */

enum chain_state { CHAIN_FREE, CHAIN_CLIENT, CHAIN_DROP, CHAIN_WAITING };

struct chain {
    uint64_t tag;                    /* the client's */
    uint64_t lines;                  /* the lines of its page the buffer covers */
    uint32_t offset, length;         /* as the client lent it */
    uint32_t page;                   /* of the client's region; for a drop chain, which drop buffer */
    struct port *port;               /* whose loan it is */
    uint8_t state;
};

static struct {
    bool ok;                         /* running; otherwise every loan is answered no_device */
    bool has_status;                 /* VIRTIO_NET_F_STATUS: the link state is in the config */
    bool link_up;
    uint8_t mac[6];
    uint64_t features;               /* negotiated */
    struct vq rx, tx;
    struct chain rx_chains[VQ_MAX_CHAINS], tx_chains[VQ_MAX_CHAINS];
    uint16_t drop_free[DROP_CHAINS]; /* drop chains not posted */
    unsigned drop_free_count, drops_in_device;
    uint16_t waiting[VQ_MAX_CHAINS]; /* WAITING chains, oldest first from waiting_first */
    unsigned waiting_first, waiting_count;
    uint16_t repost[VQ_MAX_CHAINS];  /* client rx chains whose frame was dropped: post again next pass */
    unsigned repost_count;
    uint64_t drop_paddr[DROP_CHAINS];
} dev;

static netinfo_counters_t counters;
static sel_loop_timer_t retry_timer;
static sel_word_t retry_delay = RETRY_FIRST;

static inline uint32_t reg_read(uint32_t offset)
{
    return *(volatile uint32_t *)((uintptr_t)virtio_mmio_regs + offset);
}

static inline void reg_write(uint32_t offset, uint32_t value)
{
    *(volatile uint32_t *)((uintptr_t)virtio_mmio_regs + offset) = value;
}

static inline uint8_t config_byte(uint32_t offset)
{
    return *(volatile uint8_t *)((uintptr_t)virtio_mmio_regs + VIRTIO_MMIO_CONFIG + offset);
}

/* ---- answering a client -------------------------------------------------------------- */

/* Hands an answer to the port, or keeps it (in order) if the completion ring is full. */
static void answer(struct port *p, uint64_t tag, uint32_t offset, uint32_t length, netframe_status_t status)
{
    netframe_done_t done = { .offset = offset, .length = length, .status = status };
    if (p->deferred_count == 0 && port_complete(p, &done, tag))
        return;
    if (p->deferred_count == DEFERRED_MAX) {
        /* Cannot happen (see struct port); if it did, say so rather than lose it quietly. */
        printf("port '%s' of client %s: more than %u answers waiting; lost the one for tag %llu\n",
               p->receive ? "rx" : "tx", p->client, DEFERRED_MAX, (unsigned long long)tag);
        return;
    }
    p->deferred[(p->deferred_first + p->deferred_count++) % DEFERRED_MAX] = (struct answer){ tag, done };
}

static void refuse(struct port *p, uint64_t tag, const netframe_loan_t *b, netframe_status_t status)
{
    if (status == NETFRAME_STATUS_BUSY)
        counters.busy++;
    else
        counters.rejected++;
    answer(p, tag, b->offset, 0, status);
}

/* Answers kept because the completion ring was full, as far as there is room now. */
static void answer_deferred(struct port *p)
{
    while (p->deferred_count) {
        struct answer *a = &p->deferred[p->deferred_first];
        if (!port_complete(p, &a->done, a->tag))
            return;
        p->deferred_first = (p->deferred_first + 1) % DEFERRED_MAX;
        p->deferred_count--;
    }
}

/*
 * Whether a loan may go to the device: inside the region, a length the
 * direction allows, inside one page, and no line of it held already.  On
 * success *page and *lines say where it is.  Overflow-safe: the region
 * check never adds offset and length.
 */
static netframe_status_t check_loan(const struct port *c, const netframe_loan_t *b, bool receive,
                                    uint32_t *page, uint64_t *lines)
{
    if (!sel_ring_check_region(b->offset, b->length, c->size))
        return NETFRAME_STATUS_OUT_OF_REGION;
    if (b->length > (receive ? BUFFER_MAX : FRAME_MAX))
        return NETFRAME_STATUS_TOO_LONG;
    if (b->length < (receive ? FRAME_MAX : FRAME_MIN))
        return NETFRAME_STATUS_TOO_SHORT;
    uint32_t in_page = b->offset % PAGE;
    if (in_page + b->length > PAGE)
        return NETFRAME_STATUS_CROSSES_PAGE;
    unsigned first = in_page / LINE, last = (in_page + b->length - 1) / LINE;
    *page = b->offset / PAGE;
    *lines = (~0ull >> (63 - last)) & (~0ull << first);
    if (c->held[*page] & *lines)
        return NETFRAME_STATUS_OVERLAPS;
    return NETFRAME_STATUS_OK;
}

static inline uint64_t chain_paddr(const struct chain *ch)
{
    return ch->port->paddr + ch->offset;
}

/* A loan passed check_loan: the chain now holds it. */
static void hold(struct chain *ch, struct port *p, uint64_t tag, const netframe_loan_t *b, uint32_t page,
                 uint64_t lines)
{
    *ch = (struct chain){ .tag = tag, .lines = lines, .offset = b->offset, .length = b->length, .page = page,
                          .port = p, .state = CHAIN_CLIENT };
    p->held[page] |= lines;
}

static void unhold(struct chain *ch)
{
    ch->port->held[ch->page] &= ~ch->lines;
    ch->state = CHAIN_FREE;
}

/* ---- receive --------------------------------------------------------------------------- */

/* Empty buffers the client lends: check each and post it (or keep it WAITING), or refuse it. */
static void take_rx_loans(struct port *c)
{
    netframe_loan_t b;
    uint64_t tag;
    while (c->deferred_count == 0 && port_take(c, &b, &tag)) {
        uint32_t page = 0;
        uint64_t lines = 0;
        uint16_t chain = 0;
        netframe_status_t status = dev.ok ? check_loan(c, &b, true, &page, &lines) : NETFRAME_STATUS_NO_DEVICE;
        if (status == NETFRAME_STATUS_OK && !vq_take_chain(&dev.rx, &chain))
            status = NETFRAME_STATUS_BUSY;
        if (status != NETFRAME_STATUS_OK) {
            refuse(c, tag, &b, status);
            continue;
        }
        struct chain *ch = &dev.rx_chains[chain];
        hold(ch, c, tag, &b, page, lines);
        if (dev.drops_in_device) {
            ch->state = CHAIN_WAITING;
            dev.waiting[(dev.waiting_first + dev.waiting_count++) % VQ_MAX_CHAINS] = chain;
            continue;
        }
        c->rx_in_device++;
        vq_post(&dev.rx, chain, chain_paddr(ch), b.length);
    }
}

static inline uint8_t *drop_buffer(unsigned i)
{
    return (uint8_t *)queues + DMA_DROP_BUFFERS + i * BUFFER_MAX;
}

/* Copies a frame by 64-bit words where it can (picolibc's memcpy goes byte by byte). */
static void copy_frame(uint8_t *to, const uint8_t *from, uint32_t length)
{
    uint32_t words = (((uintptr_t)to | (uintptr_t)from) & 7) == 0 ? length / 8 : 0;
    sel_ring_word_t *t = (sel_ring_word_t *)to;
    const sel_ring_word_t *f = (const sel_ring_word_t *)from;
    for (uint32_t i = 0; i < words; i++)
        t[i] = f[i];
    memcpy(to + 8 * words, from + 8 * words, length - 8 * words);
}

/*
 * A frame landed in a drop buffer: hand it to the oldest waiting loan if
 * there is one and it holds the frame (a copy: the client came back while
 * the drop buffers were in the device), else drop it.
 */
static void dropped_frame(struct chain *drop, uint32_t frame)
{
    if (dev.waiting_count && frame) {
        uint16_t chain = dev.waiting[dev.waiting_first];
        struct chain *ch = &dev.rx_chains[chain];
        struct port *c = ch->port;
        netframe_done_t done = { .offset = ch->offset, .length = frame, .status = NETFRAME_STATUS_OK };
        if (frame <= ch->length) {
            copy_frame(c->region + ch->offset, drop_buffer(drop->page), frame);
            /* If there is no room to tell the client, it is dropped after all, and the loan waits on. */
            if (port_complete(c, &done, ch->tag)) {
                dev.waiting_first = (dev.waiting_first + 1) % VQ_MAX_CHAINS;
                dev.waiting_count--;
                unhold(ch);
                vq_give_chain(&dev.rx, chain);
                counters.rx_frames++;
                counters.rx_bytes += frame;
                counters.rx_copied++;
                return;
            }
        }
    }
    counters.rx_dropped++;
}

/* Frames the device delivered: into a client's buffer (answer it) or into a drop buffer. */
static void reap_rx(void)
{
    uint16_t chain;
    uint32_t written;
    while (vq_next_used(&dev.rx, &chain, &written)) {
        struct chain *ch = &dev.rx_chains[chain];
        uint32_t frame = written > NET_HDR ? written - NET_HDR : 0;
        if (ch->state == CHAIN_DROP) {
            dropped_frame(ch, frame > BUFFER_MAX ? BUFFER_MAX : frame);
            ch->state = CHAIN_FREE;
            dev.drop_free[dev.drop_free_count++] = chain;
            dev.drops_in_device--;
            continue;
        }
        if (ch->state != CHAIN_CLIENT) {
            dev.rx.bad_used++;
            continue;
        }
        struct port *c = ch->port;
        if (frame > ch->length)
            frame = ch->length;   /* a device claiming more than the buffer holds: never tell the client so */
        netframe_done_t done = { .offset = ch->offset, .length = frame, .status = NETFRAME_STATUS_OK };
        if (frame == 0 || !port_complete(c, &done, ch->tag)) {
            /* No frame, or no room to tell the client: drop it; the buffer goes back at the next pass. */
            counters.rx_dropped += frame != 0;
            dev.rx.bad_used += frame == 0;
            dev.repost[dev.repost_count++] = chain;
            continue;
        }
        counters.rx_frames++;
        counters.rx_bytes += frame;
        unhold(ch);
        c->rx_in_device--;
        vq_give_chain(&dev.rx, chain);
    }
}

static unsigned client_rx_in_device(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < RX_CLIENTS; i++)
        n += rx_ports[i].rx_in_device;
    return n;
}

/*
 * Once the drop buffers are all back, the waiting loans go to the device;
 * with no client buffer in the device or waiting, the drop buffers do, so
 * overload is dropped here and counted.
 */
static void post_rx_buffers(void)
{
    if (dev.drops_in_device == 0) {
        while (dev.waiting_count) {
            uint16_t chain = dev.waiting[dev.waiting_first];
            struct chain *ch = &dev.rx_chains[chain];
            dev.waiting_first = (dev.waiting_first + 1) % VQ_MAX_CHAINS;
            dev.waiting_count--;
            ch->state = CHAIN_CLIENT;
            ch->port->rx_in_device++;
            vq_post(&dev.rx, chain, chain_paddr(ch), ch->length);
        }
    }
    if (client_rx_in_device() != 0 || dev.waiting_count)
        return;
    while (dev.drop_free_count) {
        uint16_t chain = dev.drop_free[--dev.drop_free_count];
        dev.rx_chains[chain].state = CHAIN_DROP;
        dev.drops_in_device++;
        vq_post(&dev.rx, chain, dev.drop_paddr[dev.rx_chains[chain].page], BUFFER_MAX);
    }
}

/*
 * When to interrupt for receive: at the next frame while a client buffer
 * is in the device or waiting (deliver at once), else once every drop
 * buffer is used (one interrupt per DROP_CHAINS dropped frames under
 * overload).
 */
static uint16_t rx_interrupt_after(void)
{
    return client_rx_in_device() == 0 && dev.waiting_count == 0 && dev.drops_in_device ?
               (uint16_t)dev.drops_in_device : 1;
}

/* ---- transmit -------------------------------------------------------------------------- */

static void take_tx_loans(struct port *c)
{
    netframe_loan_t b;
    uint64_t tag;
    while (c->deferred_count == 0 && port_take(c, &b, &tag)) {
        uint32_t page = 0;
        uint64_t lines = 0;
        uint16_t chain = 0;
        netframe_status_t status = dev.ok ? check_loan(c, &b, false, &page, &lines) : NETFRAME_STATUS_NO_DEVICE;
        if (status == NETFRAME_STATUS_OK && !vq_take_chain(&dev.tx, &chain))
            status = NETFRAME_STATUS_BUSY;
        if (status != NETFRAME_STATUS_OK) {
            refuse(c, tag, &b, status);
            continue;
        }
        struct chain *ch = &dev.tx_chains[chain];
        hold(ch, c, tag, &b, page, lines);
        vq_post(&dev.tx, chain, chain_paddr(ch), b.length);
    }
}

static void reap_tx(void)
{
    uint16_t chain;
    uint32_t written;
    while (vq_next_used(&dev.tx, &chain, &written)) {
        struct chain *ch = &dev.tx_chains[chain];
        if (ch->state != CHAIN_CLIENT) {
            dev.tx.bad_used++;
            continue;
        }
        counters.tx_frames++;
        counters.tx_bytes += ch->length;
        unhold(ch);
        vq_give_chain(&dev.tx, chain);
        answer(ch->port, ch->tag, ch->offset, ch->length, NETFRAME_STATUS_OK);
    }
}

/* ---- the pass ---------------------------------------------------------------------------- */

static inline uint64_t instret(void)
{
    uint64_t n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

/*
 * Everything there is to do, once.  Measured cost: about 650 instructions
 * of passes per frame echoed (a receive completed, a transmit loan posted,
 * its completion, the receive loan posted again), at about 14 frames per
 * pass: counters pass_instructions / passes under NET_BENCH=1 make
 * test-component NAME=virtio_net SMP=1 (README.md, "Measured cost").
 */
static void service(void)
{
    uint64_t began = instret();
    for (unsigned i = 0; i < RX_CLIENTS; i++)
        answer_deferred(&rx_ports[i]);
    for (unsigned i = 0; i < TX_CLIENTS; i++)
        answer_deferred(&tx_ports[i]);
    while (dev.repost_count) {
        uint16_t chain = dev.repost[--dev.repost_count];
        vq_post(&dev.rx, chain, chain_paddr(&dev.rx_chains[chain]), dev.rx_chains[chain].length);
    }
    bool unfinished = false;
    for (unsigned round = 0;; round++) {
        if (dev.ok) {
            reap_rx();
            reap_tx();
        }
        for (unsigned i = 0; i < RX_CLIENTS; i++)
            take_rx_loans(&rx_ports[i]);
        for (unsigned i = 0; i < TX_CLIENTS; i++)
            take_tx_loans(&tx_ports[i]);
        if (!dev.ok)
            break;
        post_rx_buffers();
        vq_publish(&dev.rx);
        vq_publish(&dev.tx);
        /* Transmit interrupts only once everything posted is sent: one per batch, none when idle. */
        bool more = vq_arm(&dev.rx, rx_interrupt_after());
        more |= vq_arm(&dev.tx, vq_in_flight(&dev.tx));
        if (!more)
            break;
        /*
         * The device returned more while we worked.  Take it, but not for
         * ever: a device that keeps delivering (into drop buffers, under
         * overload) must not keep us from sleeping, or the clients (below
         * us) would never run to take their frames.  After MAX_ROUNDS the
         * rest waits for the next kernel tick.
         */
        if (round == MAX_ROUNDS) {
            unfinished = true;
            break;
        }
    }
    counters.notifies = dev.rx.notifies + dev.tx.notifies;
    bool waiting = false;
    rx_flush();
    tx_flush();
    for (unsigned i = 0; i < RX_CLIENTS; i++)
        waiting |= rx_ports[i].deferred_count != 0;
    for (unsigned i = 0; i < TX_CLIENTS; i++)
        waiting |= tx_ports[i].deferred_count != 0;
    waiting |= dev.repost_count != 0;
    /*
     * Answers (or dropped frames' buffers) waiting for room in a completion
     * ring: a client that collects makes room without necessarily making
     * the glue call us, so look again later, less often the longer it lasts.
     */
    sel_word_t delay = 0;
    if (waiting) {
        delay = retry_delay;
        retry_delay = retry_delay * 2 > RETRY_LAST ? RETRY_LAST : retry_delay * 2;
    } else {
        retry_delay = RETRY_FIRST;
    }
    if (unfinished)
        delay = CONTINUE_DELAY;
    if (delay && (!retry_timer.armed || retry_timer.deadline > sel_time_now() + delay))
        sel_loop_timer_start(component_loop(), &retry_timer, sel_time_now() + delay);
    counters.passes++;
    counters.pass_instructions += instret() - began;
}

static void retry_fired(void *ctx)
{
    (void)ctx;
    service();
}

/* The glue calls these when a client's ring has loans for us (or room for answers). */
void rx_callback(void)
{
    service();
}

void tx_callback(void)
{
    service();
}

/* ---- link and device failure ---------------------------------------------------------------- */

static uint16_t config_status(void)
{
    uint32_t generation;
    uint16_t status;
    do {
        generation = reg_read(VIRTIO_MMIO_CONFIG_GENERATION);
        status = (uint16_t)(config_byte(VIRTIO_NET_CONFIG_STATUS) | config_byte(VIRTIO_NET_CONFIG_STATUS + 1) << 8);
    } while (generation != reg_read(VIRTIO_MMIO_CONFIG_GENERATION));
    return status;
}

static void check_link(void)
{
    if (!dev.has_status)
        return;
    bool up = (config_status() & VIRTIO_NET_S_LINK_UP) != 0;
    if (up == dev.link_up)
        return;
    dev.link_up = up;
    counters.link_changes++;
    printf("link %s\n", up ? "up" : "down");
    link_emit();
}

/*
 * The device gave up (DEVICE_NEEDS_RESET): reset it, so it touches no
 * client buffer again, and hand every loan it held back to its client,
 * answered no_device, so nothing is lost silently.  (Not tested: QEMU's
 * device gives up only on a driver's malformed queue.)
 */
static void device_failed(void)
{
    printf("the device reports an error (status %#x); every loan comes back no_device from now on\n",
           reg_read(VIRTIO_MMIO_STATUS));
    reg_write(VIRTIO_MMIO_STATUS, 0);
    dev.ok = false;
    dev.link_up = false;
    for (uint16_t c = 0; c < VQ_MAX_CHAINS; c++) {
        struct chain *rx = &dev.rx_chains[c], *tx = &dev.tx_chains[c];
        if (rx->state == CHAIN_CLIENT || rx->state == CHAIN_WAITING) {
            if (rx->state == CHAIN_CLIENT)
                rx->port->rx_in_device--;
            unhold(rx);
            answer(rx->port, rx->tag, rx->offset, 0, NETFRAME_STATUS_NO_DEVICE);
        }
        if (tx->state == CHAIN_CLIENT) {
            unhold(tx);
            answer(tx->port, tx->tag, tx->offset, 0, NETFRAME_STATUS_NO_DEVICE);
        }
    }
    dev.repost_count = 0;
    dev.waiting_count = 0;
    link_emit();
}

/* The configuration changed: the link, or the device gave up. */
static void configuration_changed(void)
{
    if (!dev.ok)
        return;
    if (reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
        device_failed();
    else
        check_link();
}

/*
 * The device interrupted: a used ring moved, or the configuration changed
 * (the link).  A configuration change is read before the acknowledgement,
 * so whoever watches the device's interrupt status knows we have seen the
 * new state once it is acknowledged (the link test's helper does), and
 * again after it, for a change that came in between.  Acknowledged at the
 * device before the work, so a new event while we work raises the line
 * again, and at the PLIC last.
 */
void virtio_mmio_irq(void)
{
    uint32_t why = reg_read(VIRTIO_MMIO_INTERRUPT_STATUS);
    if (why & VIRTIO_MMIO_INT_CONFIG)
        configuration_changed();
    reg_write(VIRTIO_MMIO_INTERRUPT_ACK, why);
    if (why & VIRTIO_MMIO_INT_CONFIG)
        configuration_changed();
    counters.interrupts++;
    service();
    virtio_mmio_irq_ack();
}

/* ---- the client's rpc port: address, link, counters ----------------------------------------- */

void net_status(bool reset, netinfo_config_t *config, netinfo_counters_t *out)
{
    memcpy(config->mac, dev.mac, sizeof(dev.mac));
    config->link_up = dev.ok && dev.link_up;
    config->mtu = MTU;
    counters.notifies = dev.rx.notifies + dev.tx.notifies;
    *out = counters;
    if (reset) {
        memset(&counters, 0, sizeof(counters));
        dev.rx.notifies = dev.tx.notifies = 0;
    }
}

/* ---- start-up ---------------------------------------------------------------------------------- */

static void feature_names(char *buf, size_t size, uint64_t features)
{
    static const struct { unsigned bit; const char *name; } known[] = {
        { VIRTIO_F_VERSION_1, "VERSION_1 (bit 32)" },
        { VIRTIO_NET_F_MAC, "NET_F_MAC (bit 5)" },
        { VIRTIO_F_RING_EVENT_IDX, "RING_EVENT_IDX (bit 29)" },
        { VIRTIO_NET_F_STATUS, "NET_F_STATUS (bit 16)" },
    };
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (features & VIRTIO_FEATURE(known[i].bit))
            n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? ", " : "", known[i].name);
}

static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Says why the device cannot be used; the driver then answers every loan no_device. */
static bool fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("cannot use the device: ");
    vprintf(fmt, ap);
    printf("; every loan will be answered no_device\n");
    va_end(ap);
    reg_write(VIRTIO_MMIO_STATUS, reg_read(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
    return false;
}

static bool queue_start(struct vq *q, uint16_t index, uint32_t dma_offset, uint64_t header_paddr,
                        uint32_t header_stride, bool device_writes)
{
    const char *name = index == VIRTIO_NET_QUEUE_RX ? "receive" : "transmit";
    reg_write(VIRTIO_MMIO_QUEUE_SEL, index);
    if (reg_read(VIRTIO_MMIO_QUEUE_READY))
        return fail("its %s queue is already in use after a reset", name);
    uint32_t max = reg_read(VIRTIO_MMIO_QUEUE_NUM_MAX);
    uint16_t size = VQ_MAX_SIZE;
    while (size > max && size > 2 * (DROP_CHAINS + 16))
        size /= 2;
    if (size > max)
        return fail("its %s queue holds %u descriptors; the driver needs at least %u", name, (unsigned)max,
                    (unsigned)size);
    vq_init(q, index, size, (uint8_t *)queues + dma_offset,
            (volatile uint32_t *)((uintptr_t)virtio_mmio_regs + VIRTIO_MMIO_QUEUE_NOTIFY), header_paddr,
            header_stride, device_writes);
    uint64_t desc = queues_paddr + dma_offset, avail = queues_paddr + dma_offset + VQ_AVAIL_OFFSET,
             used = queues_paddr + dma_offset + VQ_USED_OFFSET;
    reg_write(VIRTIO_MMIO_QUEUE_NUM, size);
    reg_write(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    reg_write(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    reg_write(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    reg_write(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_READY, 1);
    return true;
}

/* Brings the device up (virtio 1.x, 3.1.1): reset, features, queues, DRIVER_OK. */
static bool device_start(void)
{
    uint32_t magic = reg_read(VIRTIO_MMIO_MAGIC_VALUE), version = reg_read(VIRTIO_MMIO_VERSION),
             id = reg_read(VIRTIO_MMIO_DEVICE_ID);
    if (magic != VIRTIO_MMIO_MAGIC)
        return fail("its registers do not read as virtio-mmio (magic %#x)", magic);
    if (version != 2)
        return fail("it speaks virtio-mmio version %u, not the modern version 2 (run QEMU with "
                    "-global virtio-mmio.force-legacy=false)", version);
    if (id == 0)
        return fail("no device sits behind this virtio-mmio slot (give QEMU -device virtio-net-device,...; "
                    "the first one goes to the highest slot, virtio_mmio@10008000)");
    if (id != VIRTIO_ID_NET)
        return fail("the device behind this slot is virtio device %u, not a network card (1)", id);
    if (queues_size < DMA_BYTES)
        return fail("its DMA region 'queues' is %lu bytes; the driver needs %u", (unsigned long)queues_size,
                    DMA_BYTES);

    reg_write(VIRTIO_MMIO_STATUS, 0);
    reg_write(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    reg_write(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);

    reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t offered = reg_read(VIRTIO_MMIO_DEVICE_FEATURES);
    reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)reg_read(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    const uint64_t required = VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_NET_F_MAC) |
                              VIRTIO_FEATURE(VIRTIO_F_RING_EVENT_IDX);
    if (required & ~offered) {
        char names[160];
        feature_names(names, sizeof(names), required & ~offered);
        return fail("it does not offer %s", names);
    }
    dev.features = required | (offered & VIRTIO_FEATURE(VIRTIO_NET_F_STATUS));
    dev.has_status = (dev.features & VIRTIO_FEATURE(VIRTIO_NET_F_STATUS)) != 0;
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)dev.features);
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(dev.features >> 32));
    reg_write(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
        return fail("it refused the features we accepted");

    memset(queues, 0, DMA_BYTES);
    uint64_t rx_headers = queues_paddr + DMA_RX_HEADERS;
    if (!queue_start(&dev.rx, VIRTIO_NET_QUEUE_RX, DMA_RX_QUEUE, rx_headers, RX_HEADER_STRIDE, true) ||
        !queue_start(&dev.tx, VIRTIO_NET_QUEUE_TX, DMA_TX_QUEUE, queues_paddr + DMA_TX_HEADER, 0, false))
        return false;
    /* The drop chains leave the clients' free stack for good, each with its drop buffer. */
    for (unsigned i = 0; i < DROP_CHAINS; i++) {
        vq_take_chain(&dev.rx, &dev.drop_free[dev.drop_free_count]);
        dev.rx_chains[dev.drop_free[dev.drop_free_count++]].page = i;
        dev.drop_paddr[i] = queues_paddr + DMA_DROP_BUFFERS + i * BUFFER_MAX;
    }

    uint32_t generation;
    do {
        generation = reg_read(VIRTIO_MMIO_CONFIG_GENERATION);
        for (unsigned i = 0; i < 6; i++)
            dev.mac[i] = config_byte(VIRTIO_NET_CONFIG_MAC + i);
    } while (generation != reg_read(VIRTIO_MMIO_CONFIG_GENERATION));
    dev.link_up = dev.has_status ? (config_status() & VIRTIO_NET_S_LINK_UP) != 0 : true;

    reg_write(VIRTIO_MMIO_STATUS,
              VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    dev.ok = true;
    return true;
}

/*
 * Client number's connection to a port: its data region, as the glue says
 * (the connection's, physically contiguous: its base, read once from the
 * constants page, gives every buffer's address), and the bookkeeping of
 * the lines we hold.  A connection without a data region has size 0:
 * every loan is then out_of_region.
 */
static void port_setup(struct port *p, bool receive, unsigned number)
{
    p->receive = receive;
    p->number = number;
    p->client = receive ? rx_client_name(number) : tx_client_name(number);
    p->region = receive ? rx_data_of(number) : tx_data_of(number);
    p->size = receive ? rx_data_size_of(number) : tx_data_size_of(number);
    p->paddr = receive ? rx_data_paddr_of(number) : tx_data_paddr_of(number);
    p->pages = (uint32_t)((p->size + PAGE - 1) / PAGE);
    p->held = calloc(p->pages ? p->pages : 1, sizeof(uint64_t));
    if (!p->held) {
        printf("the %s region of %s (%lu KiB) needs %lu bytes of bookkeeping; the heap is too small (heap: in "
               "system.yaml)\n", receive ? "rx" : "tx", p->client, (unsigned long)(p->size >> 10),
               (unsigned long)(p->pages * sizeof(uint64_t)));
        p->size = 0;
        return;
    }
    if (p->size)
        printf("client %s: %s region of %lu KiB\n", p->client, receive ? "rx" : "tx",
               (unsigned long)(p->size >> 10));
    else
        printf("client %s: no %s region (data: on its ring connection): every %s loan is out_of_region\n",
               p->client, receive ? "rx" : "tx", receive ? "rx" : "tx");
}

void init(void)
{
    retry_timer.fn = retry_fired;
    for (unsigned i = 0; i < RX_CLIENTS; i++)
        port_setup(&rx_ports[i], true, i);
    for (unsigned i = 0; i < TX_CLIENTS; i++)
        port_setup(&tx_ports[i], false, i);
    if (!device_start())
        return;
    char names[160];
    feature_names(names, sizeof(names), dev.features);
    printf("virtio-net device, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s; queues of %u and %u "
           "descriptors; features %s\n", dev.mac[0], dev.mac[1], dev.mac[2], dev.mac[3], dev.mac[4], dev.mac[5],
           dev.link_up ? "up" : "down", dev.rx.size, dev.tx.size, names);
    service();   /* the drop buffers go in: the device can receive from now on */
}
