/*
 * Host-test scaffolding for the net component: lwIP interfaces joined by a
 * fake wire inside one process, a virtual clock, and socket-layer clients
 * that collect their completions.
 *
 * A link is one lwIP interface (net_netif) with a fake driver: frames it
 * transmits go into the link's outbox (each in a malloc'd buffer, so ASan
 * sees any use after the netif released it), and net_test_pump hands them
 * to the peer link's interface as received frames, zero copy, through
 * net_netif_receive.  A link can instead have a tap (a fake host written
 * in the test, such as a DHCP server) that sees every frame it sends.
 *
 * Time is virtual: net_test_run advances the clock to lwIP's next timer
 * only when nothing else is left to do, so retransmissions, TIME_WAIT and
 * DHCP run in no wall time and the same way every run.
 */
#ifndef NET_TEST_H
#define NET_TEST_H

#include "net_netif.h"
#include "net_port.h"
#include "sock.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct test_frame {
    struct test_frame *next;
    size_t len;
    uint8_t data[2048];         /* more than a frame: tests inject frames that are too long */
};

struct test_link {
    struct net_netif nif;
    struct test_link *peer;             /* where its frames go (NULL: only the tap sees them) */
    /* Optional: sees every frame the link sends before delivery; false drops it. */
    bool (*tap)(struct test_link *link, const uint8_t *frame, size_t len);
    struct test_frame *out_head, *out_tail;
    unsigned tx_credits;                /* free transmit buffers of the fake driver */
    unsigned tx_credits_max;
    unsigned rx_outstanding;            /* received frames lwIP has not released */
    unsigned rx_outstanding_max;
    uint64_t sent, delivered;
};

/* The virtual clock, in milliseconds. */
extern uint32_t net_test_now;

/* lwIP (once per process) and the socket layer with the test transport. */
void net_test_init(void);

/* Add a link's interface: address (0 for DHCP), /24, rx_hold_max (0 for the default). */
void net_test_link_add(struct test_link *link, const char *name, uint8_t mac_last, uint32_t addr,
                       unsigned rx_hold_max, bool is_default);
void net_test_link_remove(struct test_link *link);
/* Join two links both ways. */
void net_test_connect(struct test_link *a, struct test_link *b);
/* Hand a frame to a link's interface as if its device had received it (copied into a buffer
 * that the release callback frees). */
void net_test_inject(struct test_link *link, const void *frame, size_t len);

/* Deliver every frame waiting on every link, flush the interfaces, poll the socket layer.
 * True if anything moved. */
bool net_test_pump(void);

/*
 * Work (frames, sockets, timers on the virtual clock) until done(arg) is
 * true, at most max_ms of virtual time; the result is done(arg)'s last answer.
 */
bool net_test_run(bool (*done)(void *arg), void *arg, uint32_t max_ms);
/* Work until nothing is left to do now, without moving the clock. */
void net_test_settle(void);
/* Move the virtual clock forward by ms, running everything due on the way. */
void net_test_advance(uint32_t ms);

/* ---- socket-layer clients ---------------------------------------------------------------- */

#define TEST_MAX_COMPLETIONS 8192

struct test_client {
    unsigned id;
    uint8_t *region;
    size_t region_size;
    /* Completions received, in order; ring_room limits how many more the "ring" takes. */
    socket_completion_t completions[TEST_MAX_COMPLETIONS];
    uint64_t tags[TEST_MAX_COMPLETIONS];
    unsigned count;
    unsigned ring_room;                 /* UINT32_MAX: unlimited */
    uint64_t next_tag;
};

/* Admit a client with a data region of region_size bytes and this quota. */
struct test_client *test_client_new(unsigned id, size_t region_size, unsigned quota);
/* Remove it from the socket layer and free it. */
void test_client_free(struct test_client *c);

/* Submit a request (asserting the layer takes it); the tag. */
uint64_t tc_submit(struct test_client *c, socket_request_t request);
/* Take the completion with this tag if it came. */
bool tc_take(struct test_client *c, uint64_t tag, socket_completion_t *completion);
/* True if the completion with this tag came (not taken). */
bool tc_has(const struct test_client *c, uint64_t tag);
/* Wait for it (failing the test after 10 virtual minutes) and take it. */
socket_completion_t tc_wait(struct test_client *c, uint64_t tag);
/* Submit and wait. */
socket_completion_t tc_call(struct test_client *c, socket_request_t request);

/* Shorthands that assert success and return the socket. */
uint32_t tc_listen(struct test_client *c, uint32_t addr, uint16_t port, unsigned backlog);
uint32_t tc_connect(struct test_client *c, uint32_t addr, uint16_t port);
uint32_t tc_accept(struct test_client *c, uint32_t listener);
uint32_t tc_udp_bind(struct test_client *c, uint32_t addr, uint16_t port);
void tc_close(struct test_client *c, uint32_t socket);

/* Requests. */
socket_request_t req_send(uint32_t socket, uint32_t offset, uint32_t length, uint16_t flags);
socket_request_t req_recv(uint32_t socket, uint32_t offset, uint32_t length);

/* Fill with a pattern that depends on the seed and the position; check it. */
void fill_pattern(uint8_t *p, size_t len, uint32_t seed, size_t start);
bool check_pattern(const uint8_t *p, size_t len, uint32_t seed, size_t start);

/* lwIP's count of TCP PCBs and pool pbufs in use (what must come back to 0). */
unsigned net_test_tcp_pcbs_used(void);
unsigned net_test_pool_pbufs_used(void);

/* The one's-complement Internet checksum (for frames the tests build). */
uint16_t inet_checksum(const void *data, size_t len, uint32_t sum);

#endif /* NET_TEST_H */
