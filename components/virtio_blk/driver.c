/*
 * The virtio-blk driver: serves a block device to its clients over the
 * blk ring interface (idl/blk.yaml), moving data by DMA straight between
 * the device and each client's own data region.  README.md has the
 * protocol, the request state machine, the wake-ups and the costs.
 *
 * It runs the event loop (control: false).  Two callbacks drive it:
 * blk_callback when some client's submission ring has requests, or a
 * completion ring that was full has room again (the loop polls the rings
 * every turn, so a busy client costs no kernel entry), and virtio_mmio_irq
 * when the device interrupts.  Both end in one pass, driver_service: take
 * the device's completions, submit what waits, publish to the device, and
 * publish the answers.
 */
#include "virtio_blk.h"
#include <stdio.h>

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
    }
    clients_flush();
}

/*
 * Some client's submission ring has requests, or room came in a completion
 * ring that an answer did not fit in (the glue calls us then too, and
 * flushes after us).  The used ring is looked at here too: under load the
 * loop finds completions without waiting for the interrupt.
 */
void blk_callback(void)
{
    for (unsigned i = 0; i < BLK_CLIENTS; i++)
        client_take(&blk_clients[i]);
    driver_service();
}

/*
 * The device interrupted: acknowledge it at the device, do the work, then
 * let the line fire again.  New requests are taken here too (a look at the
 * ring's head when there are none), so they go to the device in the same
 * notify as the requests that the completions made room for.  An answer
 * that does not fit in a completion ring here waits in the driver; the
 * glue calls blk_callback once the client makes room.
 */
void virtio_mmio_irq(void)
{
    device_interrupt();
    for (unsigned i = 0; i < BLK_CLIENTS; i++)
        client_take(&blk_clients[i]);
    driver_service();
    virtio_mmio_irq_ack();
}

void init(void)
{
    device_start();
    for (unsigned i = 0; i < BLK_CLIENTS; i++)
        client_start(&blk_clients[i], i);
}
