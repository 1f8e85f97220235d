/*
 * The socket layer over lwIP's raw API (sock.h says what it offers).
 *
 * Three tables, all static:
 *  - clients: a data region, a quota of requests in flight, and the
 *    completions kept while the client's completion ring is full;
 *  - sockets: an id is (generation << 16 | index); closing bumps the
 *    generation, so a stale id never names the next socket in its slot.
 *    Every socket has one owner; lookups check it, and check that the
 *    owner has been told the id (claimed), so an id that was guessed, an
 *    old one, or another client's all come back bad_socket;
 *  - pending requests: a request waits in its socket's queue (sends and
 *    write-shutdowns in one queue, in order; recvs; accepts; a connect)
 *    until it completes.
 *
 * A TCP connection's states:
 *
 *   CONNECTING  tcp_connect sent a SYN; the socket is not claimed yet
 *               (the connect's completion names it).  Connected: OPEN;
 *               reset or no answer: the connect fails and the socket goes.
 *   OPEN        the pcb is ours.  Sends wait for room in lwIP and complete
 *               once queued there; received data waits in rx until recvs
 *               take it, and only then is the window opened (tcp_recved).
 *   GONE        lwIP has no pcb for us any more: the peer reset it
 *               (error says how), or both directions finished (the peer's
 *               FIN came and ours was queued: the pcb is left to lwIP,
 *               which ends the connection, TIME_WAIT included, by itself).
 *               Data received before stays readable; then recvs see the end
 *               or the error.
 *
 * lwIP's callbacks find the socket through tcp_arg; a pcb left to lwIP
 * (closed, or GONE by both FINs) has its arg and callbacks cleared first,
 * so lwIP never calls back into a freed socket.
 */
#include "sock.h"

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include <string.h>

/* ---- tables ------------------------------------------------------------------------------ */

enum sock_kind { KIND_FREE, KIND_LISTENER, KIND_TCP, KIND_UDP };
enum conn_state { CONN_CONNECTING, CONN_OPEN, CONN_GONE };

struct pending {
    struct pending *next;
    uint64_t tag;
    socket_request_t request;
    uint32_t done;                      /* send: bytes already in lwIP */
    uint8_t client;
    socket_completion_t completion;     /* filled when it completed but its ring was full */
};

struct queue {
    struct pending *head, *tail;
};

struct datagram {
    struct datagram *next;
    struct pbuf *p;
    uint32_t addr;
    uint16_t port;
};

struct sock {
    uint16_t generation;
    uint8_t kind;                       /* enum sock_kind */
    uint8_t state;                      /* enum conn_state (KIND_TCP) */
    uint8_t client;
    bool claimed;                       /* the owner has been told the id */
    bool nodelay;
    bool rx_eof;                        /* the peer's FIN came */
    bool shut_read;
    bool shut_write_queued;             /* a write shutdown was asked for: no sends after it */
    bool shut_write_done;               /* our FIN is queued in lwIP */
    bool starved;                       /* on the starved list: a send waits for lwIP's memory */
    socket_status_t error;              /* GONE by a reset: what pending and later requests hear (else OK) */
    union {
        struct tcp_pcb *tcp;
        struct udp_pcb *udp;
    } pcb;
    struct queue sends;                 /* sends and write shutdowns, in order */
    struct queue recvs;
    struct queue accepts;               /* listener */
    struct pending *connect;            /* CONNECTING */
    struct pbuf *rx;                    /* TCP: received, not yet read */
    uint32_t rx_bytes;
    struct datagram *dgram_head, *dgram_tail;   /* UDP: received, not yet read */
    unsigned dgram_count;
    /* A listener's accepted connections that no accept has claimed yet, oldest first. */
    struct sock *backlog_head, *backlog_tail;
    unsigned backlog_count, backlog_max;
    struct sock *listener;              /* an unclaimed accepted connection's listener */
    struct sock *backlog_next;
    struct sock *starved_prev, *starved_next;
    struct sock *free_next;
};

struct client {
    bool active;
    uint8_t *region;
    size_t region_size;
    unsigned quota, in_flight;
    struct queue kept;                  /* completed, waiting for room in the completion ring */
};

#define SOCK_MAX_DATAGRAMS 256

static struct sock_transport transport;
static struct client clients[SOCK_MAX_CLIENTS];
static struct sock sockets[SOCK_MAX_SOCKETS];
static struct sock *free_sockets;
static struct pending pendings[SOCK_MAX_PENDING];
static struct pending *free_pendings;
static struct datagram datagrams[SOCK_MAX_DATAGRAMS];
static struct datagram *free_datagrams;
static struct sock *starved_head;
static struct sock_stats stats;

_Static_assert(SOCK_MAX_SOCKETS <= 0x10000, "a socket id has 16 bits of index");
_Static_assert(SOCK_MAX_CLIENTS <= 256, "a pending request names its client in 8 bits");

/* ---- queues, ids, allocation ------------------------------------------------------------- */

static void queue_push(struct queue *q, struct pending *r)
{
    r->next = NULL;
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
}

static struct pending *queue_pop(struct queue *q)
{
    struct pending *r = q->head;
    if (r) {
        q->head = r->next;
        if (!q->head)
            q->tail = NULL;
    }
    return r;
}

static uint32_t sock_id(const struct sock *s)
{
    return (uint32_t)s->generation << 16 | (uint32_t)(s - sockets);
}

/* The client's socket with this id, or NULL: out of range, free, stale, another's, unclaimed. */
static struct sock *sock_lookup(unsigned client, uint32_t id)
{
    uint32_t index = id & 0xffff;
    if (index >= SOCK_MAX_SOCKETS)
        return NULL;
    struct sock *s = &sockets[index];
    if (s->kind == KIND_FREE || s->generation != id >> 16 || s->client != client || !s->claimed)
        return NULL;
    return s;
}

static struct sock *sock_alloc(unsigned client, enum sock_kind kind)
{
    struct sock *s = free_sockets;
    if (!s)
        return NULL;
    free_sockets = s->free_next;
    uint16_t generation = s->generation;
    memset(s, 0, sizeof(*s));
    s->generation = generation;
    s->kind = (uint8_t)kind;
    s->client = (uint8_t)client;
    stats.sockets++;
    return s;
}

static void starved_remove(struct sock *s)
{
    if (!s->starved)
        return;
    if (s->starved_prev)
        s->starved_prev->starved_next = s->starved_next;
    else
        starved_head = s->starved_next;
    if (s->starved_next)
        s->starved_next->starved_prev = s->starved_prev;
    s->starved = false;
    s->starved_prev = s->starved_next = NULL;
}

static void starved_add(struct sock *s)
{
    if (s->starved)
        return;
    stats.send_waits++;
    s->starved = true;
    s->starved_prev = NULL;
    s->starved_next = starved_head;
    if (starved_head)
        starved_head->starved_prev = s;
    starved_head = s;
}

static void sock_free(struct sock *s)
{
    starved_remove(s);
    s->kind = KIND_FREE;
    s->generation = (uint16_t)(s->generation + 1 ? s->generation + 1 : 1);
    s->free_next = free_sockets;
    free_sockets = s;
    stats.sockets--;
}

static void pending_release(struct pending *r)
{
    clients[r->client].in_flight--;
    stats.pending--;
    r->next = free_pendings;
    free_pendings = r;
}

static uint8_t *client_data(const struct pending *r)
{
    return clients[r->client].region + r->request.offset;
}

static bool region_ok(unsigned client, const socket_request_t *req)
{
    return (uint64_t)req->offset + req->length <= clients[client].region_size;
}

static uint32_t addr_from_lwip(const ip_addr_t *a)
{
    return a ? lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(a))) : 0;
}

static ip_addr_t addr_to_lwip(uint32_t addr)
{
    ip_addr_t a = IPADDR4_INIT(lwip_htonl(addr));
    return a;
}

/* ---- completions ------------------------------------------------------------------------- */

/*
 * Complete a request: hand it to the client's completion ring, or keep it
 * behind the ones already kept (so completions arrive in the order they
 * completed) until sock_poll finds room.
 */
static void finish(struct pending *r, socket_status_t status, uint32_t socket, uint32_t result, uint32_t addr,
                   uint16_t port, uint16_t flags)
{
    struct client *c = &clients[r->client];
    r->completion = (socket_completion_t){
        .op = r->request.op, .status = status, .socket = socket, .result = result,
        .addr = addr, .port = port, .flags = flags,
    };
    if (!c->kept.head && transport.complete(transport.ctx, r->client, &r->completion, r->tag)) {
        pending_release(r);
        return;
    }
    queue_push(&c->kept, r);
    stats.kept_completions++;
}

static void fail(struct pending *r, socket_status_t status)
{
    finish(r, status, r->request.socket, 0, 0, 0, 0);
}

static void deliver_kept(unsigned client)
{
    struct client *c = &clients[client];
    while (c->kept.head && transport.complete(transport.ctx, client, &c->kept.head->completion, c->kept.head->tag)) {
        pending_release(queue_pop(&c->kept));
        stats.kept_completions--;
    }
}

/* Complete every request of a queue with this status (a send with the bytes it got in). */
static void fail_queue(struct queue *q, socket_status_t status)
{
    struct pending *r;
    while ((r = queue_pop(q)))
        finish(r, status, r->request.socket, r->done, 0, 0, 0);
}

/* Drop every request of a queue without completing it (its client is gone). */
static void drop_queue(struct queue *q)
{
    struct pending *r;
    while ((r = queue_pop(q)))
        pending_release(r);
}

/* ---- lwIP errors to statuses ------------------------------------------------------------- */

static socket_status_t status_of_err(err_t err)
{
    switch (err) {
    case ERR_OK: return SOCKET_STATUS_OK;
    case ERR_MEM: case ERR_BUF: return SOCKET_STATUS_NO_MEMORY;
    case ERR_RTE: return SOCKET_STATUS_UNREACHABLE;
    case ERR_USE: case ERR_ISCONN: return SOCKET_STATUS_ADDRESS_IN_USE;
    case ERR_TIMEOUT: return SOCKET_STATUS_TIMED_OUT;
    case ERR_CONN: case ERR_CLSD: return SOCKET_STATUS_WRONG_STATE;
    case ERR_VAL: case ERR_ARG: return SOCKET_STATUS_BAD_REQUEST;
    default: return SOCKET_STATUS_RESET;
    }
}

/* ---- TCP: leaving pcbs to lwIP ----------------------------------------------------------- */

static void tcp_forget(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);        /* lwIP's tcp_recv_null takes what still comes */
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
}

/* A closed pcb whose FIN found no memory: lwIP polls it, and each poll tries again. */
static err_t on_close_retry(void *arg, struct tcp_pcb *pcb)
{
    (void)arg;
    /* After a close that succeeded lwIP only ignores further closes (the FIN is queued), and the
     * pcb stays lwIP's to free: nothing here touches it after the call. */
    tcp_close(pcb);
    return ERR_OK;
}

static void tcp_leave(struct tcp_pcb *pcb, bool reset)
{
    tcp_forget(pcb);
    if (reset) {
        tcp_abort(pcb);
        return;
    }
    if (tcp_close(pcb) != ERR_OK)
        tcp_poll(pcb, on_close_retry, 1);
}

/* Both directions are finished (the peer's FIN came, ours is queued): lwIP ends the rest. */
static void tcp_maybe_done(struct sock *s)
{
    if (s->kind != KIND_TCP || !s->pcb.tcp || !s->rx_eof || !s->shut_write_done)
        return;
    tcp_forget(s->pcb.tcp);
    s->pcb.tcp = NULL;
    s->state = CONN_GONE;       /* no error: recvs see the end, sends were refused since the shutdown */
}

/* ---- TCP: receiving ---------------------------------------------------------------------- */

/*
 * Give received data to waiting recvs, oldest first; open the window by
 * what they took.  After the data: the end of stream (0 bytes) or the
 * connection's error, to every recv that waits.
 */
static void serve_recvs(struct sock *s)
{
    struct pending *r;
    while ((r = s->recvs.head)) {
        if (s->rx_bytes) {
            uint32_t n = r->request.length < s->rx_bytes ? r->request.length : s->rx_bytes;
            /* rx never holds more than the window, which fits lwIP's 16-bit lengths. */
            pbuf_copy_partial(s->rx, client_data(r), (u16_t)n, 0);
            s->rx = pbuf_free_header(s->rx, (u16_t)n);
            s->rx_bytes -= n;
            if (s->pcb.tcp)
                tcp_recved(s->pcb.tcp, (u16_t)n);
            queue_pop(&s->recvs);
            finish(r, SOCKET_STATUS_OK, sock_id(s), n, 0, 0, 0);
        } else if (s->shut_read || (s->rx_eof && s->error == SOCKET_STATUS_OK)) {
            queue_pop(&s->recvs);
            finish(r, SOCKET_STATUS_OK, sock_id(s), 0, 0, 0, 0);
        } else if (s->state == CONN_GONE) {
            queue_pop(&s->recvs);
            fail(r, s->error);
        } else {
            break;
        }
    }
}

/*
 * Data that nobody is waiting for is copied out of the driver's buffer (or
 * the pool pbuf it was copied into) into lwIP's heap, so a client that
 * reads slowly holds heap, not receive buffers the device needs.  If the
 * heap has no room it stays where it is (the netif copies frames once too
 * many of its buffers are held).
 */
static struct pbuf *compact(struct pbuf *p)
{
    if (p->next == NULL && pbuf_match_type(p, PBUF_RAM))
        return p;
    struct pbuf *q = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
    if (!q)
        return p;
    pbuf_free(p);
    return q;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;      /* always ERR_OK in lwIP 2.1 */
    struct sock *s = arg;
    if (!s) {
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (!p) {
        s->rx_eof = true;
        serve_recvs(s);
        tcp_maybe_done(s);
        return ERR_OK;
    }
    if (s->shut_read) {
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    if (s->rx_bytes + p->tot_len > 0xffff)
        return ERR_MEM;     /* cannot happen within the window; lwIP keeps it and offers it again */
    if (!s->recvs.head)
        p = compact(p);
    if (s->rx)
        pbuf_cat(s->rx, p);
    else
        s->rx = p;
    s->rx_bytes += p->tot_len;
    serve_recvs(s);
    return ERR_OK;
}

/* ---- TCP: sending ------------------------------------------------------------------------ */

/*
 * Move waiting sends into lwIP as far as its room goes: the window's
 * worth of buffer (tcp_sndbuf) and its queue of segments.  A send
 * completes when all of it is in (with SOCKET_SEND_PARTIAL: when some
 * is).  A write shutdown in the queue queues the FIN once the sends
 * before it are in.  When lwIP's memory (not the window) is what lacks,
 * the socket goes on the starved list and sock_poll tries again.
 */
static void serve_sends(struct sock *s)
{
    struct pending *r;
    bool wrote = false;
    while ((r = s->sends.head)) {
        struct tcp_pcb *pcb = s->pcb.tcp;
        if (r->request.op == SOCKET_OP_SHUTDOWN) {
            if (s->state == CONN_GONE) {
                queue_pop(&s->sends);
                finish(r, SOCKET_STATUS_OK, sock_id(s), 0, 0, 0, 0);
                continue;
            }
            err_t err = tcp_shutdown(pcb, 0, 1);
            if (err == ERR_MEM) {
                starved_add(s);
                break;
            }
            queue_pop(&s->sends);
            s->shut_write_done = true;
            wrote = true;
            finish(r, status_of_err(err), sock_id(s), 0, 0, 0, 0);
            continue;
        }
        if (s->state == CONN_GONE) {
            queue_pop(&s->sends);
            finish(r, s->error, sock_id(s), r->done, 0, 0, 0);
            continue;
        }
        uint32_t left = r->request.length - r->done;
        uint32_t room = tcp_sndbuf(pcb);
        if (tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN)
            room = 0;
        uint32_t n = left < room ? left : room;
        if (n > 0xffff)
            n = 0xffff;
        if (n == 0)
            break;      /* acknowledgements make room: on_sent comes back here */
        u8_t flags = TCP_WRITE_FLAG_COPY;
        if (n < left || (r->request.flags & SOCKET_SEND_MORE) || r->next)
            flags |= TCP_WRITE_FLAG_MORE;
        err_t err = tcp_write(pcb, client_data(r) + r->done, (u16_t)n, flags);
        while (err == ERR_MEM && n > TCP_MSS) {
            n /= 2;
            err = tcp_write(pcb, client_data(r) + r->done, (u16_t)n, flags | TCP_WRITE_FLAG_MORE);
        }
        if (err == ERR_MEM) {
            starved_add(s);
            break;
        }
        if (err != ERR_OK) {
            queue_pop(&s->sends);
            finish(r, status_of_err(err), sock_id(s), r->done, 0, 0, 0);
            continue;
        }
        r->done += n;
        wrote = true;
        if (r->done == r->request.length || (r->request.flags & SOCKET_SEND_PARTIAL)) {
            queue_pop(&s->sends);
            finish(r, SOCKET_STATUS_OK, sock_id(s), r->done, 0, 0, 0);
        }
    }
    if (!s->sends.head)
        starved_remove(s);
    if (wrote && s->pcb.tcp)
        tcp_output(s->pcb.tcp);
    tcp_maybe_done(s);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    (void)len;
    struct sock *s = arg;
    if (s)
        serve_sends(s);
    return ERR_OK;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    (void)pcb;
    struct sock *s = arg;
    if (s && s->sends.head)
        serve_sends(s);
    return ERR_OK;
}

/* ---- TCP: errors, connecting, accepting -------------------------------------------------- */

static void backlog_remove(struct sock *listener, struct sock *s)
{
    struct sock **link = &listener->backlog_head, *prev = NULL;
    while (*link && *link != s) {
        prev = *link;
        link = &(*link)->backlog_next;
    }
    if (!*link)
        return;
    *link = s->backlog_next;
    if (listener->backlog_tail == s)
        listener->backlog_tail = prev;
    listener->backlog_count--;
    s->listener = NULL;
}

/* lwIP freed the pcb: the peer reset it, or lwIP gave up (retransmissions, no SYN answer). */
static void on_err(void *arg, err_t err)
{
    struct sock *s = arg;
    if (!s)
        return;
    s->pcb.tcp = NULL;
    if (s->state == CONN_CONNECTING) {
        struct pending *r = s->connect;
        s->connect = NULL;
        sock_free(s);
        fail(r, err == ERR_RST ? SOCKET_STATUS_REFUSED : err == ERR_ABRT ? SOCKET_STATUS_TIMED_OUT
                                                                           : status_of_err(err));
        return;
    }
    if (!s->claimed) {
        /* Accepted, never claimed: nobody knows it; it just goes. */
        if (s->listener)
            backlog_remove(s->listener, s);
        if (s->rx)
            pbuf_free(s->rx);
        sock_free(s);
        return;
    }
    s->state = CONN_GONE;
    s->error = SOCKET_STATUS_RESET;
    serve_recvs(s);
    serve_sends(s);
}

static void tcp_attach(struct sock *s, struct tcp_pcb *pcb)
{
    s->pcb.tcp = pcb;
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, 2);      /* every second: a send starved of memory tries again */
    if (s->nodelay)
        tcp_nagle_disable(pcb);
}

static void claim_accepted(struct pending *accept, struct sock *s)
{
    s->claimed = true;
    s->listener = NULL;
    finish(accept, SOCKET_STATUS_OK, sock_id(s), 0, addr_from_lwip(&s->pcb.tcp->remote_ip), s->pcb.tcp->remote_port,
           0);
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    struct sock *listener = arg;
    if (err != ERR_OK || !newpcb || !listener)
        return ERR_VAL;
    struct sock *s = NULL;
    if (listener->backlog_count >= listener->backlog_max || !(s = sock_alloc(listener->client, KIND_TCP))) {
        stats.accept_refused++;
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    s->state = CONN_OPEN;
    s->nodelay = listener->nodelay;
    tcp_attach(s, newpcb);
    struct pending *accept = queue_pop(&listener->accepts);
    if (accept) {
        claim_accepted(accept, s);
        return ERR_OK;
    }
    s->listener = listener;
    if (listener->backlog_tail)
        listener->backlog_tail->backlog_next = s;
    else
        listener->backlog_head = s;
    listener->backlog_tail = s;
    listener->backlog_count++;
    return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)err;      /* always ERR_OK in lwIP 2.1: failures come through on_err */
    struct sock *s = arg;
    if (!s)
        return ERR_OK;
    struct pending *r = s->connect;
    s->connect = NULL;
    s->state = CONN_OPEN;
    s->claimed = true;
    finish(r, SOCKET_STATUS_OK, sock_id(s), 0, addr_from_lwip(&pcb->remote_ip), pcb->remote_port, 0);
    return ERR_OK;
}

/* ---- UDP --------------------------------------------------------------------------------- */

static void deliver_datagram(struct sock *s, struct pending *r, struct pbuf *p, uint32_t addr, uint16_t port)
{
    uint32_t n = p->tot_len < r->request.length ? p->tot_len : r->request.length;
    pbuf_copy_partial(p, client_data(r), (u16_t)n, 0);
    uint16_t flags = p->tot_len > n ? SOCKET_RECV_TRUNCATED : 0;
    pbuf_free(p);
    finish(r, SOCKET_STATUS_OK, sock_id(s), n, addr, port, flags);
}

static void serve_udp_recvs(struct sock *s)
{
    while (s->recvs.head && s->dgram_head) {
        struct datagram *d = s->dgram_head;
        s->dgram_head = d->next;
        if (!s->dgram_head)
            s->dgram_tail = NULL;
        s->dgram_count--;
        struct pbuf *p = d->p;
        uint32_t addr = d->addr;
        uint16_t port = d->port;
        d->next = free_datagrams;
        free_datagrams = d;
        deliver_datagram(s, queue_pop(&s->recvs), p, addr, port);
    }
}

static void on_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)pcb;
    struct sock *s = arg;
    struct pending *r = s ? queue_pop(&s->recvs) : NULL;
    if (r) {
        deliver_datagram(s, r, p, addr_from_lwip(addr), port);
        return;
    }
    struct datagram *d = free_datagrams;
    if (!s || !d || s->dgram_count >= SOCK_UDP_QUEUE) {
        stats.udp_dropped++;
        pbuf_free(p);
        return;
    }
    free_datagrams = d->next;
    d->next = NULL;
    d->p = compact(p);
    d->addr = addr_from_lwip(addr);
    d->port = port;
    if (s->dgram_tail)
        s->dgram_tail->next = d;
    else
        s->dgram_head = d;
    s->dgram_tail = d;
    s->dgram_count++;
}

static void udp_free_datagrams(struct sock *s)
{
    struct datagram *d;
    while ((d = s->dgram_head)) {
        s->dgram_head = d->next;
        pbuf_free(d->p);
        d->next = free_datagrams;
        free_datagrams = d;
    }
    s->dgram_tail = NULL;
    s->dgram_count = 0;
}

/* ---- closing ----------------------------------------------------------------------------- */

/* Free a socket and what lwIP holds for it; its requests must be completed or dropped first. */
static void sock_destroy(struct sock *s, bool reset)
{
    switch (s->kind) {
    case KIND_LISTENER:
        while (s->backlog_head) {
            struct sock *c = s->backlog_head;
            backlog_remove(s, c);
            sock_destroy(c, true);
        }
        tcp_arg(s->pcb.tcp, NULL);
        tcp_accept(s->pcb.tcp, NULL);
        tcp_close(s->pcb.tcp);      /* a listener's close frees it, and cannot fail */
        break;
    case KIND_TCP:
        if (s->listener)
            backlog_remove(s->listener, s);
        if (s->rx) {
            /* What was received and not read is taken, so lwIP closes with a FIN, not a reset. */
            if (s->pcb.tcp)
                tcp_recved(s->pcb.tcp, (u16_t)s->rx_bytes);
            pbuf_free(s->rx);
            s->rx = NULL;
        }
        if (s->pcb.tcp)
            tcp_leave(s->pcb.tcp, reset || s->state == CONN_CONNECTING);
        break;
    case KIND_UDP:
        udp_free_datagrams(s);
        udp_remove(s->pcb.udp);
        break;
    }
    sock_free(s);
}

/* ---- requests ---------------------------------------------------------------------------- */

static void do_tcp_listen(unsigned client, struct pending *r)
{
    const socket_request_t *req = &r->request;
    unsigned backlog = req->length ? req->length : SOCK_DEFAULT_BACKLOG;
    if (backlog > SOCK_MAX_BACKLOG || (req->flags & ~SOCKET_TCP_NODELAY))
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    struct sock *s = sock_alloc(client, KIND_LISTENER);
    if (!s)
        return fail(r, SOCKET_STATUS_NO_MEMORY);
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!pcb) {
        sock_free(s);
        return fail(r, SOCKET_STATUS_NO_MEMORY);
    }
    ip_set_option(pcb, SOF_REUSEADDR);
    ip_addr_t local = addr_to_lwip(req->addr);
    err_t err = tcp_bind(pcb, &local, req->port);
    struct tcp_pcb *listening = NULL;
    if (err == ERR_OK)
        listening = tcp_listen_with_backlog_and_err(pcb, (u8_t)backlog, &err);
    if (!listening) {
        tcp_close(pcb);     /* never connected: closing frees it at once */
        sock_free(s);
        return fail(r, status_of_err(err));
    }
    s->pcb.tcp = listening;
    s->claimed = true;
    s->nodelay = (req->flags & SOCKET_TCP_NODELAY) != 0;
    s->backlog_max = backlog;
    tcp_arg(listening, s);
    tcp_accept(listening, on_accept);
    finish(r, SOCKET_STATUS_OK, sock_id(s), 0, addr_from_lwip(&listening->local_ip), listening->local_port, 0);
}

static void do_tcp_accept(unsigned client, struct pending *r)
{
    struct sock *l = sock_lookup(client, r->request.socket);
    if (!l)
        return fail(r, SOCKET_STATUS_BAD_SOCKET);
    if (r->request.flags)
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    if (l->kind != KIND_LISTENER)
        return fail(r, SOCKET_STATUS_WRONG_STATE);
    struct sock *s = l->backlog_head;
    if (s) {
        backlog_remove(l, s);
        claim_accepted(r, s);
        return;
    }
    queue_push(&l->accepts, r);
}

static void do_tcp_connect(unsigned client, struct pending *r)
{
    const socket_request_t *req = &r->request;
    if (req->addr == 0 || req->port == 0 || (req->flags & ~SOCKET_TCP_NODELAY))
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    struct sock *s = sock_alloc(client, KIND_TCP);
    if (!s)
        return fail(r, SOCKET_STATUS_NO_MEMORY);
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!pcb) {
        sock_free(s);
        return fail(r, SOCKET_STATUS_NO_MEMORY);
    }
    s->state = CONN_CONNECTING;
    s->nodelay = (req->flags & SOCKET_TCP_NODELAY) != 0;
    s->connect = r;
    tcp_attach(s, pcb);
    ip_addr_t remote = addr_to_lwip(req->addr);
    err_t err = tcp_connect(pcb, &remote, req->port, on_connected);
    if (err != ERR_OK) {
        s->connect = NULL;
        tcp_forget(pcb);
        tcp_abort(pcb);
        sock_free(s);
        fail(r, status_of_err(err));
    }
}

static void do_send(unsigned client, struct pending *r)
{
    struct sock *s = sock_lookup(client, r->request.socket);
    if (!s)
        return fail(r, SOCKET_STATUS_BAD_SOCKET);
    if (r->request.flags & ~(SOCKET_SEND_PARTIAL | SOCKET_SEND_MORE))
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    if (s->kind != KIND_TCP)
        return fail(r, SOCKET_STATUS_WRONG_STATE);
    if (!region_ok(client, &r->request))
        return fail(r, SOCKET_STATUS_BAD_REGION);
    if (s->shut_write_queued)
        return fail(r, SOCKET_STATUS_SHUT_DOWN);
    if (r->request.length == 0)
        return finish(r, SOCKET_STATUS_OK, sock_id(s), 0, 0, 0, 0);
    queue_push(&s->sends, r);
    serve_sends(s);
}

static void do_recv(unsigned client, struct pending *r)
{
    struct sock *s = sock_lookup(client, r->request.socket);
    if (!s)
        return fail(r, SOCKET_STATUS_BAD_SOCKET);
    if (r->request.flags || r->request.length == 0)
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    if (s->kind != KIND_TCP && s->kind != KIND_UDP)
        return fail(r, SOCKET_STATUS_WRONG_STATE);
    if (!region_ok(client, &r->request))
        return fail(r, SOCKET_STATUS_BAD_REGION);
    queue_push(&s->recvs, r);
    if (s->kind == KIND_TCP)
        serve_recvs(s);
    else
        serve_udp_recvs(s);
}

static void do_shutdown(unsigned client, struct pending *r)
{
    struct sock *s = sock_lookup(client, r->request.socket);
    if (!s)
        return fail(r, SOCKET_STATUS_BAD_SOCKET);
    uint16_t how = r->request.flags;
    if (how == 0 || (how & ~(SOCKET_SHUT_READ | SOCKET_SHUT_WRITE)))
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    if (s->kind != KIND_TCP)
        return fail(r, SOCKET_STATUS_WRONG_STATE);
    if ((how & SOCKET_SHUT_READ) && !s->shut_read) {
        s->shut_read = true;
        if (s->rx) {
            if (s->pcb.tcp)
                tcp_recved(s->pcb.tcp, (u16_t)s->rx_bytes);
            pbuf_free(s->rx);
            s->rx = NULL;
            s->rx_bytes = 0;
        }
        serve_recvs(s);
    }
    if (!(how & SOCKET_SHUT_WRITE) || s->shut_write_queued)
        return finish(r, SOCKET_STATUS_OK, sock_id(s), 0, 0, 0, 0);
    s->shut_write_queued = true;
    queue_push(&s->sends, r);       /* the FIN goes after what was sent before */
    serve_sends(s);
}

static void do_close(unsigned client, struct pending *r)
{
    struct sock *s = sock_lookup(client, r->request.socket);
    if (!s)
        return fail(r, SOCKET_STATUS_BAD_SOCKET);
    if (r->request.flags & ~SOCKET_CLOSE_RESET)
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    fail_queue(&s->sends, SOCKET_STATUS_CANCELLED);
    fail_queue(&s->recvs, SOCKET_STATUS_CANCELLED);
    fail_queue(&s->accepts, SOCKET_STATUS_CANCELLED);
    sock_destroy(s, (r->request.flags & SOCKET_CLOSE_RESET) != 0);
    finish(r, SOCKET_STATUS_OK, r->request.socket, 0, 0, 0, 0);
}

static void do_udp_bind(unsigned client, struct pending *r)
{
    const socket_request_t *req = &r->request;
    if (req->flags)
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    struct sock *s = sock_alloc(client, KIND_UDP);
    if (!s)
        return fail(r, SOCKET_STATUS_NO_MEMORY);
    struct udp_pcb *pcb = udp_new_ip_type(IPADDR_TYPE_V4);
    if (!pcb) {
        sock_free(s);
        return fail(r, SOCKET_STATUS_NO_MEMORY);
    }
    ip_addr_t local = addr_to_lwip(req->addr);
    err_t err = udp_bind(pcb, &local, req->port);
    if (err != ERR_OK) {
        udp_remove(pcb);
        sock_free(s);
        return fail(r, status_of_err(err));
    }
    s->pcb.udp = pcb;
    s->claimed = true;
    udp_recv(pcb, on_udp_recv, s);
    finish(r, SOCKET_STATUS_OK, sock_id(s), 0, addr_from_lwip(&pcb->local_ip), pcb->local_port, 0);
}

static void do_udp_send(unsigned client, struct pending *r)
{
    const socket_request_t *req = &r->request;
    struct sock *s = sock_lookup(client, req->socket);
    if (!s)
        return fail(r, SOCKET_STATUS_BAD_SOCKET);
    if (req->flags || req->addr == 0 || req->port == 0)
        return fail(r, SOCKET_STATUS_BAD_REQUEST);
    if (s->kind != KIND_UDP)
        return fail(r, SOCKET_STATUS_WRONG_STATE);
    if (!region_ok(client, req))
        return fail(r, SOCKET_STATUS_BAD_REGION);
    if (req->length > SOCK_UDP_MAX_PAYLOAD)
        return fail(r, SOCKET_STATUS_TOO_BIG);
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)req->length, PBUF_RAM);
    if (!p)
        return fail(r, SOCKET_STATUS_NO_MEMORY);
    memcpy(p->payload, client_data(r), req->length);
    ip_addr_t remote = addr_to_lwip(req->addr);
    err_t err = udp_sendto(s->pcb.udp, p, &remote, req->port);
    pbuf_free(p);
    if (err != ERR_OK)
        return fail(r, status_of_err(err));
    finish(r, SOCKET_STATUS_OK, sock_id(s), req->length, 0, 0, 0);
}

/* ---- the interface ----------------------------------------------------------------------- */

void sock_init(const struct sock_transport *t)
{
    transport = *t;
    memset(clients, 0, sizeof(clients));
    memset(&stats, 0, sizeof(stats));
    free_sockets = NULL;
    for (unsigned i = SOCK_MAX_SOCKETS; i-- > 0;) {
        uint16_t generation = sockets[i].generation;
        memset(&sockets[i], 0, sizeof(sockets[i]));
        sockets[i].generation = generation ? generation : 1;
        sockets[i].free_next = free_sockets;
        free_sockets = &sockets[i];
    }
    free_pendings = NULL;
    for (unsigned i = SOCK_MAX_PENDING; i-- > 0;) {
        pendings[i].next = free_pendings;
        free_pendings = &pendings[i];
    }
    free_datagrams = NULL;
    for (unsigned i = SOCK_MAX_DATAGRAMS; i-- > 0;) {
        datagrams[i].next = free_datagrams;
        free_datagrams = &datagrams[i];
    }
    starved_head = NULL;
}

bool sock_client_add(unsigned client, void *region, size_t region_size, unsigned max_in_flight)
{
    if (client >= SOCK_MAX_CLIENTS || clients[client].active || max_in_flight == 0 ||
        max_in_flight > SOCK_MAX_PENDING)
        return false;
    clients[client] = (struct client){
        .active = true, .region = region, .region_size = region_size, .quota = max_in_flight,
    };
    return true;
}

void sock_client_remove(unsigned client)
{
    if (client >= SOCK_MAX_CLIENTS || !clients[client].active)
        return;
    /* Listeners first: each takes its unclaimed connections with it. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < SOCK_MAX_SOCKETS; i++) {
            struct sock *s = &sockets[i];
            if (s->kind == KIND_FREE || s->client != client || (pass == 0) != (s->kind == KIND_LISTENER))
                continue;
            drop_queue(&s->sends);
            drop_queue(&s->recvs);
            drop_queue(&s->accepts);
            if (s->connect) {
                pending_release(s->connect);
                s->connect = NULL;
            }
            sock_destroy(s, true);
        }
    }
    struct client *c = &clients[client];
    while (c->kept.head) {
        pending_release(queue_pop(&c->kept));
        stats.kept_completions--;
    }
    c->active = false;
}

bool sock_client_can_submit(unsigned client)
{
    return client < SOCK_MAX_CLIENTS && clients[client].active &&
           clients[client].in_flight < clients[client].quota && free_pendings != NULL;
}

unsigned sock_client_in_flight(unsigned client)
{
    return client < SOCK_MAX_CLIENTS ? clients[client].in_flight : 0;
}

bool sock_submit(unsigned client, const socket_request_t *request, uint64_t tag)
{
    if (!sock_client_can_submit(client))
        return false;
    struct pending *r = free_pendings;
    free_pendings = r->next;
    clients[client].in_flight++;
    stats.pending++;
    *r = (struct pending){ .tag = tag, .request = *request, .client = (uint8_t)client };
    switch (r->request.op) {
    case SOCKET_OP_TCP_LISTEN: do_tcp_listen(client, r); break;
    case SOCKET_OP_TCP_ACCEPT: do_tcp_accept(client, r); break;
    case SOCKET_OP_TCP_CONNECT: do_tcp_connect(client, r); break;
    case SOCKET_OP_SEND: do_send(client, r); break;
    case SOCKET_OP_RECV: do_recv(client, r); break;
    case SOCKET_OP_SHUTDOWN: do_shutdown(client, r); break;
    case SOCKET_OP_CLOSE: do_close(client, r); break;
    case SOCKET_OP_UDP_BIND: do_udp_bind(client, r); break;
    case SOCKET_OP_UDP_SEND: do_udp_send(client, r); break;
    default: fail(r, SOCKET_STATUS_BAD_REQUEST); break;
    }
    return true;
}

void sock_poll(void)
{
    /* Each starved socket tries once; one that starves again goes back on the list. */
    struct sock *s = starved_head;
    while (s) {
        struct sock *next = s->starved_next;
        starved_remove(s);
        if (s->kind == KIND_TCP && s->sends.head)
            serve_sends(s);
        s = next;
    }
    for (unsigned c = 0; c < SOCK_MAX_CLIENTS; c++)
        if (clients[c].active && clients[c].kept.head)
            deliver_kept(c);
}

struct sock_stats sock_stats(void)
{
    return stats;
}
