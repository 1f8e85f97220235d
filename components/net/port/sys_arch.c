/*
 * The system layer lwIP needs with NO_SYS=1: the time (sys_now), random
 * numbers (LWIP_RAND), diagnostics and assertions (arch/cc.h), and the
 * routing hook (net_port_hooks.h).  No locks, threads or mailboxes: the
 * stack runs on its caller's one thread (net_port.h).
 */
#include "net_port.h"
#include "net_port_hooks.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include <stdarg.h>
#include <stdio.h>

static net_clock_fn *port_clock;
static void *port_clock_ctx;
static net_route_fn *port_route;
static uint64_t random_state = 0x9e3779b97f4a7c15ull;

u32_t sys_now(void)
{
    return port_clock ? port_clock(port_clock_ctx) : 0;
}

uint32_t net_port_now(void)
{
    return sys_now();
}

void net_port_init(const struct net_port_config *config)
{
    port_clock = config->clock;
    port_clock_ctx = config->clock_ctx;
    uint64_t seed = config->random_seed ? config->random_seed : 0x9e3779b97f4a7c15ull ^ sys_now();
    random_state = seed ? seed : 1;     /* xorshift stays at zero for ever from zero */
    lwip_init();
}

uint32_t net_port_timers(void)
{
    sys_check_timeouts();
    u32_t next = sys_timeouts_sleeptime();
    return next == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? NET_PORT_NO_TIMER : next;
}

/* xorshift64*: quick and well spread; not cryptographic (what lwIP draws needs no secrecy:
 * DHCP transaction ids and the first ephemeral port). */
uint32_t net_port_random(void)
{
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return (uint32_t)((random_state * 0x2545f4914f6cdd1dull) >> 32);
}

void net_port_set_route(net_route_fn *route)
{
    port_route = route;
}

struct netif *net_port_route(const ip4_addr_t *src, const ip4_addr_t *dest)
{
    if (port_route)
        return port_route(src, dest);
    if (src == NULL || ip4_addr_isany(src))
        return NULL;
    struct netif *netif;
    NETIF_FOREACH(netif) {
        if (netif_is_up(netif) && netif_is_link_up(netif) && ip4_addr_cmp(src, netif_ip4_addr(netif)))
            return netif;
    }
    return NULL;
}

void net_port_diag(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
}

void net_port_assert(const char *message, int line, const char *file)
{
    printf("lwip: assertion failed at %s:%d: %s\n", file, line, message);
    fflush(stdout);
    /* A fault the loader reports with this function's name (abort needs signals the component
     * runtime does not have). */
    __builtin_trap();
}
