/*
 * The port of lwIP to the net component: what the component (or a host
 * test) calls to bring the stack up and keep its clock.
 *
 * lwIP runs with NO_SYS=1 on the caller's one thread: the caller hands it
 * frames (net_netif.h), client requests (../sock/sock.h) and, whenever
 * net_port_timers() said a timer is due, calls net_port_timers() again.
 * Time comes from a clock the caller supplies: in the system the timer
 * component's, on the host clock_gettime (net_port_host_clock) or a test's
 * own counter.
 */
#ifndef NET_PORT_H
#define NET_PORT_H

#include <stdint.h>

struct netif;
struct ip4_addr;

/* Milliseconds, freely running, wrapping at 2^32 (lwIP compares times by difference). */
typedef uint32_t net_clock_fn(void *ctx);

struct net_port_config {
    net_clock_fn *clock;        /* required */
    void *clock_ctx;
    uint64_t random_seed;       /* DHCP transaction ids, the first ephemeral port; 0 takes the clock */
};

/* Initialise lwIP (lwip_init) with this clock.  Call once, before anything else here. */
void net_port_init(const struct net_port_config *config);

/* Run the lwIP timers that are due (TCP retransmission, ARP ageing, DHCP); return the
 * milliseconds until the next one is due (NET_PORT_NO_TIMER if none is set). */
#define NET_PORT_NO_TIMER UINT32_MAX
uint32_t net_port_timers(void);

/* The milliseconds lwIP sees now (the configured clock). */
uint32_t net_port_now(void);

/*
 * Choose the interface for packets yourself (host tests that join two of
 * our interfaces by a wire need it: every destination is then one of our
 * own addresses).  NULL restores the default: a packet from one of our
 * addresses leaves through that address's interface, anything else goes
 * where lwIP's routing sends it.  The function may return NULL for lwIP's choice.
 */
typedef struct netif *net_route_fn(const struct ip4_addr *src, const struct ip4_addr *dest);
void net_port_set_route(net_route_fn *route);

/* The host's CLOCK_MONOTONIC in milliseconds (built only into the host library). */
uint32_t net_port_host_clock(void *ctx);

#endif /* NET_PORT_H */
