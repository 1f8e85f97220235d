/* Setting up one split virtqueue of chains of two descriptors (virtqueue.h). */
#include "virtqueue.h"

#include <string.h>

void vq_init(struct vq *q, uint16_t index, uint16_t size, void *mem, volatile uint32_t *notify,
             uint64_t header_paddr, uint32_t header_stride, bool device_writes)
{
    memset(q, 0, sizeof(*q));
    q->desc = mem;
    q->avail = (volatile struct virtq_avail *)((char *)mem + VQ_AVAIL_OFFSET);
    q->used = (volatile struct virtq_used *)((char *)mem + VQ_USED_OFFSET);
    q->notify = notify;
    q->index = index;
    q->size = size;
    q->chains = size / 2;
    uint16_t write = device_writes ? VIRTQ_DESC_F_WRITE : 0;
    for (uint16_t c = 0; c < q->chains; c++) {
        volatile struct virtq_desc *header = &q->desc[2 * c], *frame = &q->desc[2 * c + 1];
        header->addr = header_paddr + (uint64_t)c * header_stride;
        header->len = sizeof(struct virtio_net_hdr);
        header->flags = VIRTQ_DESC_F_NEXT | write;
        header->next = (uint16_t)(2 * c + 1);
        frame->flags = write;
        frame->next = 0;
        /* Lowest chains on top of the stack: they are taken first, which makes traces easier to read. */
        q->free[q->chains - 1 - c] = c;
    }
    q->nfree = q->chains;
    /* No interrupt until the driver arms: used_event one behind the start never passes. */
    *virtq_used_event(q->avail, q->size) = (uint16_t)-1;
}
