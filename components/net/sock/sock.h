/*
 * The socket layer: what the net component serves its clients
 * (socket_protocol.h has the messages), as a library over lwIP's raw API.
 * It knows nothing of rings: the caller pops a client's requests and hands
 * them to sock_submit, and the layer hands each completion back through
 * the transport's complete(), which pushes it into that client's
 * completion ring.  Everything runs on the caller's one thread, the thread
 * that also feeds lwIP its frames and timers (../port/net_port.h).
 *
 * Flow control, end to end:
 *  - requests: each client has a quota of requests in flight (accepted by
 *    sock_submit and not yet completed).  While it is used up,
 *    sock_client_can_submit() says no, the caller leaves the client's
 *    requests in its ring, and the ring fills: the client waits for room.
 *  - completions: when complete() finds a client's completion ring full,
 *    the layer keeps the completion (it still counts against the quota)
 *    and offers it again at sock_poll(), in order.  Nothing is dropped.
 *  - TCP sending: a send waits in the socket until lwIP has room for it
 *    (acknowledgements free room; so does memory freed elsewhere), and
 *    completes when all of it is queued (or, SOCKET_SEND_PARTIAL, some).
 *  - TCP receiving: lwIP's window is opened again only as the client's
 *    recvs take the data, so a client that does not read stops its sender.
 *  - UDP: a datagram that cannot be sent now completes no_memory; one that
 *    arrives with SOCK_UDP_QUEUE datagrams already waiting for a recv is
 *    dropped and counted (sock_stats), as UDP does.
 *
 * Limits: SOCK_MAX_CLIENTS clients, SOCK_MAX_SOCKETS sockets in all,
 * SOCK_MAX_PENDING requests in flight in all (each client also within its
 * own quota); lwIP's own (lwipopts.h) bound the PCBs behind them.
 */
#ifndef NET_SOCK_H
#define NET_SOCK_H

#include "socket_protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef SOCK_MAX_CLIENTS
#define SOCK_MAX_CLIENTS 16
#endif
#ifndef SOCK_MAX_SOCKETS
#define SOCK_MAX_SOCKETS 1024
#endif
#ifndef SOCK_MAX_PENDING
#define SOCK_MAX_PENDING 4096
#endif
/* Datagrams a UDP socket keeps for recvs that have not come yet. */
#define SOCK_UDP_QUEUE 16
/* The most a udp_send may carry: one Ethernet frame's IPv4 payload less the UDP header. */
#define SOCK_UDP_MAX_PAYLOAD 1472
#define SOCK_DEFAULT_BACKLOG 16
#define SOCK_MAX_BACKLOG 255

struct sock_transport {
    /*
     * Deliver one completion to a client (its completion ring); return
     * false if there is no room now: the layer keeps it and tries again at
     * sock_poll().  Must not call back into the layer.
     */
    bool (*complete)(void *ctx, unsigned client, const socket_completion_t *completion, uint64_t tag);
    void *ctx;
};

/* Start the layer (after net_port_init).  Forgets any earlier state: for tests only, and
 * only once every socket is closed (sock_client_remove does that). */
void sock_init(const struct sock_transport *transport);

/*
 * Admit client `client` (0 .. SOCK_MAX_CLIENTS-1) with its data region and
 * its quota of requests in flight (1 .. SOCK_MAX_PENDING; at most the
 * entries of its completion ring is a good choice).  False if the id is
 * out of range or already in use, or the quota is out of range.
 */
bool sock_client_add(unsigned client, void *region, size_t region_size, unsigned max_in_flight);

/* Forget a client: reset its connections, close its sockets, and drop its pending requests
 * without completing them (for a client that has gone). */
void sock_client_remove(unsigned client);

/* True if sock_submit would take a request of this client now. */
bool sock_client_can_submit(unsigned client);

/*
 * Take one request of a client.  False (and nothing done) if the client is
 * unknown or has its quota in flight: leave the request in the ring.  Else
 * true, and the request will get exactly one completion with this tag,
 * perhaps before sock_submit returns.
 */
bool sock_submit(unsigned client, const socket_request_t *request, uint64_t tag);

/* Offer kept completions again, and retry sends that waited for lwIP's memory.  Call after
 * each batch of frames, requests or timers, and when a completion ring has room again. */
void sock_poll(void);

struct sock_stats {
    unsigned sockets;               /* in use now, every client's (accepted, not yet claimed, included) */
    unsigned pending;               /* requests in flight now */
    unsigned kept_completions;      /* completions waiting for room in a completion ring */
    uint64_t udp_dropped;           /* datagrams dropped: the socket's queue was full */
    uint64_t accept_refused;        /* incoming connections reset: backlog full or no socket free */
    uint64_t send_waits;            /* times a send had to wait for lwIP's memory (not its window) */
};
struct sock_stats sock_stats(void);

/* The requests a client has in flight (completions it has yet to receive, kept ones included). */
unsigned sock_client_in_flight(unsigned client);

#endif /* NET_SOCK_H */
