/*
 * The hooks lwIP calls into the port (named in lwipopts.h through
 * LWIP_HOOK_FILENAME; lwIP includes this file where it calls them).
 */
#ifndef NET_PORT_HOOKS_H
#define NET_PORT_HOOKS_H

#include "lwip/ip4_addr.h"

struct netif;

/* LWIP_HOOK_IP4_ROUTE_SRC: the interface for a packet from src to dest, or NULL for lwIP's
 * own choice (the first interface whose subnet holds dest, else the default). */
struct netif *net_port_route(const ip4_addr_t *src, const ip4_addr_t *dest);

#endif /* NET_PORT_HOOKS_H */
