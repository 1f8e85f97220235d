/*
 * Requests: one client's request from intake to answer.  A request slot
 * is Free (on the client's free list), Queued (taken and checked, waiting
 * for descriptors or behind a flush, on the client's queue), Submitted (its
 * chain is on the device) or Completed (its status is known, its answer
 * waits for room in the completion ring, on the client's answer list).
 * Answering it makes it Free again.
 *
 *   intake      a request that fails a check, an info, a duplicate tag, or
 *               one more than BLK_MAX_IN_FLIGHT takes no slot: it is
 *               answered at once (error, info or busy); the rest take a
 *               Free slot and become Queued
 *   submit      Queued -> Submitted, in arrival order, while the device has
 *               descriptors; a flush waits until none of its client's
 *               writes is on the device (and what follows waits behind it)
 *   done        Submitted -> Completed, with the device's status
 *   answer      Completed -> Free, when the answer fits in the completion ring
 *
 * Every request taken from the submission ring is answered exactly once:
 * nothing here drops one, and an answer that does not fit waits (a slot's
 * on the answer list, an intake answer in the client's one held answer,
 * which stops intake until it goes).
 *
 * A client's tag is its own business, but two requests in flight with one
 * tag could not be told apart in the answers: the second is answered
 * duplicate_tag, the first goes on.  Tags in flight are in a small
 * open-addressing table (tags[], twice as many buckets as slots).
 */
#include "virtio_blk.h"
#include <sel/ring.h>
#include <stdio.h>

#define TAG_BUCKETS (2 * BLK_MAX_IN_FLIGHT)
_Static_assert((TAG_BUCKETS & (TAG_BUCKETS - 1)) == 0 && BLK_MAX_IN_FLIGHT < 256, "tags[] holds index + 1 in a byte");

struct client blk_clients[BLK_CLIENT_SLOTS];

/* ---- tags in flight ---- */

static unsigned tag_bucket(uint64_t tag)
{
    return (unsigned)((tag * 0x9e3779b97f4a7c15ull) >> 56) & (TAG_BUCKETS - 1);
}

/* Whether a request of this client in flight has this tag. */
static bool tag_in_flight(const struct client *c, uint64_t tag)
{
    for (unsigned b = tag_bucket(tag); c->tags[b]; b = (b + 1) & (TAG_BUCKETS - 1))
        if (c->requests[c->tags[b] - 1].tag == tag)
            return true;
    return false;
}

/* Record q's tag, known not to be in flight. */
static void tag_insert(struct client *c, struct request *q)
{
    unsigned b = tag_bucket(q->tag);
    while (c->tags[b])
        b = (b + 1) & (TAG_BUCKETS - 1);
    c->tags[b] = (uint8_t)(q - c->requests + 1);
}

/* Forget q's tag, moving later entries of its probe run back over the hole (no tombstones). */
static void tag_remove(struct client *c, struct request *q)
{
    unsigned b = tag_bucket(q->tag);
    while (c->tags[b] != (uint8_t)(q - c->requests + 1))
        b = (b + 1) & (TAG_BUCKETS - 1);
    unsigned hole = b;
    for (;;) {
        b = (b + 1) & (TAG_BUCKETS - 1);
        if (!c->tags[b])
            break;
        unsigned home = tag_bucket(c->requests[c->tags[b] - 1].tag);
        /* The entry at b may fill the hole if its home is not in (hole, b]. */
        if (((b - home) & (TAG_BUCKETS - 1)) >= ((b - hole) & (TAG_BUCKETS - 1))) {
            c->tags[hole] = c->tags[b];
            hole = b;
        }
    }
    c->tags[hole] = 0;
}

/* ---- set-up ---- */

/*
 * Client number's state: its data region, as the glue says (the ring
 * connection's data region, physically contiguous: its base is all the
 * device needs, read once from the constants page, never per request),
 * and its request slots.
 */
void client_start(struct client *c, unsigned number)
{
    c->number = number;
    c->name = blk_client_name(number);
    c->data_size = blk_data_size_of(number);
    c->data_paddr = blk_data_paddr_of(number);
    c->free_list = NULL;
    for (unsigned i = BLK_MAX_IN_FLIGHT; i-- > 0;) {
        struct request *q = &c->requests[i];
        *q = (struct request){ .state = REQUEST_FREE, .client = c, .next = c->free_list,
                               .index = (uint16_t)((c - blk_clients) * BLK_MAX_IN_FLIGHT + i) };
        c->free_list = q;
    }
    if (c->data_size)
        printf("client %u (%s): data region of %zu KiB at %#llx\n", number, c->name, c->data_size >> 10,
               (unsigned long long)c->data_paddr);
    else
        printf("client %u (%s): no data region (data: on its ring connection), so reads and writes answer "
               "bad_region\n", number, c->name);
}

/* ---- answers ---- */

static void response_for(blk_response_t *r, blk_status_t status, blk_op_t op)
{
    *r = (blk_response_t){ .status = status };
    if (op == BLK_OP_INFO && status == BLK_STATUS_OK) {
        r->block_size = blk_device.block_size;
        r->capacity = blk_device.capacity;
        r->max_length = blk_device.max_length;
        r->max_in_flight = BLK_MAX_IN_FLIGHT;
    }
}

/* An answer decided at intake, with no slot: now, or held (intake stops until it goes). */
static void answer_now(struct client *c, uint64_t tag, blk_status_t status, blk_op_t op)
{
    blk_response_t r;
    response_for(&r, status, op);
    if (status != BLK_STATUS_OK)
        c->counts.errors++;
    if (blk_complete_to(c->number, &r, tag)) {
        c->touched = true;
        return;
    }
    if (c->dropped)
        return;
    c->held = true;
    c->held_tag = tag;
    c->held_response = r;
}

static void request_free(struct client *c, struct request *q)
{
    tag_remove(c, q);
    q->state = REQUEST_FREE;
    q->next = c->free_list;
    c->free_list = q;
    c->in_flight--;
}

/* Completed -> Free if its answer fits; else it joins the answer list. */
static void request_answer(struct client *c, struct request *q)
{
    blk_response_t r = { .status = q->status };
    if (q->status != BLK_STATUS_OK)
        c->counts.errors++;
    if (!c->answers_head && blk_complete_to(c->number, &r, q->tag)) {
        c->touched = true;
        request_free(c, q);
        return;
    }
    if (c->dropped) {
        request_free(c, q);
        return;
    }
    q->next = NULL;
    if (c->answers_tail)
        c->answers_tail->next = q;
    else
        c->answers_head = q;
    c->answers_tail = q;
}

/*
 * A client that broke its completion ring (a lying tail) can be answered
 * no more: let its answers go, so its slots do not stay taken for ever.
 * Its requests still on the device finish first (they only reach its own
 * region); the rest of the driver and the other clients go on.
 */
static void client_drop_answers(struct client *c)
{
    if (!c->dropped)
        printf("client %u (%s) broke its rings: its answers are dropped from now on\n", c->number, c->name);
    c->dropped = true;
    c->held = false;
    while (c->answers_head) {
        struct request *q = c->answers_head;
        c->answers_head = q->next;
        request_free(c, q);
    }
    c->answers_tail = NULL;
}

/*
 * Deliver what waits for room in the completion ring: the held intake
 * answer, then the answer list in order.  True if nothing waits any more.
 * The glue calls the ring callback again once the client makes room.
 */
bool client_deliver(struct client *c)
{
    if (c->held) {
        if (!blk_complete_to(c->number, &c->held_response, c->held_tag))
            goto full;
        c->held = false;
        c->touched = true;
    }
    while (c->answers_head) {
        struct request *q = c->answers_head;
        blk_response_t r = { .status = q->status };
        if (!blk_complete_to(c->number, &r, q->tag))
            goto full;
        c->touched = true;
        c->answers_head = q->next;
        if (!c->answers_head)
            c->answers_tail = NULL;
        request_free(c, q);
    }
    return true;
full:
    if (blk_broken_of(c->number))
        client_drop_answers(c);
    return !c->held && !c->answers_head;
}

bool clients_flush(void)
{
    bool touched = false;
    for (unsigned i = 0; i < BLK_CLIENTS; i++) {
        touched |= blk_clients[i].touched;
        blk_clients[i].touched = false;
    }
    if (touched)
        blk_flush();
    return touched;
}

/* ---- intake ---- */

/*
 * Whether a request may be done, in this order: it is well formed, it
 * names only its client's region, it lies on the disk, it may write.
 * Overflow-safe throughout: no sum of client numbers is computed.
 */
static blk_status_t request_check(const struct client *c, const blk_request_t *r)
{
    if (!blk_device.usable)
        return BLK_STATUS_DEVICE_ERROR;
    switch (r->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        if (r->length == 0 || r->length % BLK_SECTOR || r->length > blk_device.max_length)
            return BLK_STATUS_INVALID_REQUEST;
        if (!sel_ring_check_region(r->offset, r->length, c->data_size))
            return BLK_STATUS_BAD_REGION;
        if (r->sector > blk_device.capacity || r->length / BLK_SECTOR > blk_device.capacity - r->sector)
            return BLK_STATUS_OUT_OF_RANGE;
        if (r->op == BLK_OP_WRITE && blk_device.read_only)
            return BLK_STATUS_READ_ONLY;
        return BLK_STATUS_OK;
    case BLK_OP_FLUSH:
    case BLK_OP_INFO:
        return r->length || r->sector || r->offset ? BLK_STATUS_INVALID_REQUEST : BLK_STATUS_OK;
    default:
        return BLK_STATUS_INVALID_REQUEST;
    }
}

/*
 * Take what the client submitted, while it has room for an answer held
 * back: each request is checked, then queued or answered at once.  The
 * ring slot was copied out by the glue; only the copy is looked at.
 *
 * Cost: about 115 instructions per 4 KiB read taken in a batch, the
 * glue's pop included (bench/run.sh, rdinstret around it).
 */
void client_take(struct client *c)
{
    blk_request_t r;
    uint64_t tag;
    while (!c->held && blk_request_from(c->number, &r, &tag)) {
        c->counts.requests++;
        blk_status_t status = request_check(c, &r);
        if (status != BLK_STATUS_OK) {
            answer_now(c, tag, status, r.op);
            continue;
        }
        if (tag_in_flight(c, tag)) {
            answer_now(c, tag, BLK_STATUS_DUPLICATE_TAG, r.op);
            continue;
        }
        if (r.op == BLK_OP_INFO) {   /* answered from what the device said at start-up: no slot */
            answer_now(c, tag, BLK_STATUS_OK, r.op);
            continue;
        }
        struct request *q = c->free_list;
        if (!q) {
            c->counts.busy++;
            answer_now(c, tag, BLK_STATUS_BUSY, r.op);
            continue;
        }
        q->tag = tag;
        tag_insert(c, q);
        c->free_list = q->next;
        c->in_flight++;
        q->state = REQUEST_QUEUED;
        q->op = r.op;
        q->length = r.length;
        q->sector = r.sector;
        q->offset = r.offset;
        q->next = NULL;
        if (c->queue_tail)
            c->queue_tail->next = q;
        else
            c->queue_head = q;
        c->queue_tail = q;
    }
}

/* ---- the device side ---- */

/* Queued -> Submitted, in order, while descriptors last; a flush waits for the client's writes on the device. */
void client_submit_queued(struct client *c)
{
    while (c->queue_head) {
        struct request *q = c->queue_head;
        if (q->op == BLK_OP_FLUSH && c->writes_on_device)
            return;
        if (!device_submit(q))
            return;
        c->queue_head = q->next;
        if (!c->queue_head)
            c->queue_tail = NULL;
        q->state = REQUEST_SUBMITTED;
        switch (q->op) {
        case BLK_OP_READ: c->counts.reads++; break;
        case BLK_OP_WRITE: c->counts.writes++; c->writes_on_device++; break;
        default: c->counts.flushes++; break;
        }
    }
}

static blk_status_t status_from_device(uint8_t virtio_status)
{
    switch (virtio_status) {
    case VIRTIO_BLK_S_OK: return BLK_STATUS_OK;
    case VIRTIO_BLK_S_UNSUPP: return BLK_STATUS_UNSUPPORTED;
    default: return BLK_STATUS_DEVICE_ERROR;   /* VIRTIO_BLK_S_IOERR, or a status byte it never wrote */
    }
}

void request_done(struct request *q, uint8_t virtio_status)
{
    struct client *c = q->client;
    if (q->op == BLK_OP_WRITE)
        c->writes_on_device--;
    q->state = REQUEST_COMPLETED;
    q->status = status_from_device(virtio_status);
    request_answer(c, q);
}

void request_fail_on_device(struct request *q)
{
    request_done(q, VIRTIO_BLK_S_IOERR);
}

void clients_fail_queued(void)
{
    for (unsigned i = 0; i < BLK_CLIENTS; i++) {
        struct client *c = &blk_clients[i];
        while (c->queue_head) {
            struct request *q = c->queue_head;
            c->queue_head = q->next;
            q->state = REQUEST_COMPLETED;
            q->status = BLK_STATUS_DEVICE_ERROR;
            request_answer(c, q);
        }
        c->queue_tail = NULL;
    }
}
