/*
 * The virtio-blk driver: serves a block device to its clients over the
 * blk ring interface (idl/blk.yaml), moving data by DMA straight between
 * the device and each client's own data region.  README.md has the
 * protocol, the request state machine, the wake-ups and the costs.
 *
 * It runs the event loop (control: false).  Two callbacks drive it:
 * blk_callback when the client's submission ring has requests (the loop
 * polls it every turn, so a busy client costs no kernel entry), and
 * virtio_mmio_irq when the device interrupts.  Both end in one pass,
 * driver_service: take the device's completions, submit what waits,
 * publish to the device, and publish the answers.
 */
#include "virtio_blk.h"
#include <sel/loop.h>
#include <stdio.h>

/* The clients, one per ring port (one today): what the driver calls for each. */
static const struct client_port client_ports[BLK_CLIENTS] = {
    { .name = "blk", .take = blk_request, .answer = blk_complete, .flush = blk_flush },
};

void driver_service(void)
{
    device_reap();
    for (unsigned i = 0; i < BLK_CLIENTS; i++) {
        struct client *c = &blk_clients[i];
        if (c->queue_head)
            client_submit_queued(c);
    }
    device_publish();
    for (unsigned i = 0; i < BLK_CLIENTS; i++) {
        struct client *c = &blk_clients[i];
        if (c->held || c->answers_head)
            client_deliver(c);
        client_flush(c);
    }
}

/*
 * The client's submission ring has requests (the glue flushes after us).
 * The used ring is looked at here too: under load the loop finds
 * completions without waiting for the interrupt.
 */
void blk_callback(void)
{
    client_take(&blk_clients[0]);
    driver_service();
}

/*
 * The device interrupted: acknowledge it at the device, do the work, then
 * let the line fire again.  New requests are taken here too (a look at the
 * ring's head when there are none), so they go to the device in the same
 * notify as the requests that the completions made room for.
 */
void virtio_mmio_irq(void)
{
    device_interrupt();
    for (unsigned i = 0; i < BLK_CLIENTS; i++)
        client_take(&blk_clients[i]);
    driver_service();
    virtio_mmio_irq_ack();
}

/*
 * Answers that did not fit in a completion ring.  The glue calls the ring
 * callback again when room comes only while requests wait, or if the ring
 * was left full by the callback itself; an answer held back by the
 * interrupt's pass would wait for the client's next request.  So this
 * loop source delivers them: before the loop sleeps (arm: the glue's own
 * arm, which runs after ours, then asks for a wake-up when the ring is
 * still full), and once after each wake-up.  It never keeps the loop
 * awake: a failed delivery waits for the next wake-up.
 */
static bool retry_allowed = true;

static bool answers_waiting(void)
{
    for (unsigned i = 0; i < BLK_CLIENTS; i++)
        if (blk_clients[i].held || blk_clients[i].answers_head)
            return true;
    return false;
}

static bool answers_ready(void *ctx)
{
    (void)ctx;
    return retry_allowed && answers_waiting();
}

static void answers_run(void *ctx)
{
    (void)ctx;
    bool all = true;
    for (unsigned i = 0; i < BLK_CLIENTS; i++) {
        struct client *c = &blk_clients[i];
        if (!client_deliver(c))
            all = false;
        client_flush(c);
    }
    /* Requests waiting behind a held answer are the ring source's: it is ready while they wait. */
    if (!all)
        retry_allowed = false;
}

static bool answers_arm(void *ctx)
{
    if (answers_waiting())
        answers_run(ctx);
    retry_allowed = true;
    return true;
}

static void answers_disarm(void *ctx)
{
    (void)ctx;
    retry_allowed = true;
}

static sel_loop_source_t answers_source = {
    .ready = answers_ready, .run = answers_run, .arm = answers_arm, .disarm = answers_disarm,
};

/* The client's data region is physically contiguous (the ring's data region): one base says where it all is. */
static uint64_t client0_paddr(size_t offset)
{
    return blk_data_paddr_of(0) + offset;
}

void init(void)
{
    device_start();
    client_start(&blk_clients[0], &client_ports[0], blk_data_of(0), blk_data_size_of(0), client0_paddr);
    /* Added after the glue's ring source, so it comes first in the loop's list and arms first. */
    sel_loop_add_source(component_loop(), &answers_source);
}
