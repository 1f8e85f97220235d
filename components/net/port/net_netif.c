/*
 * The netif over the frame interface (net_netif.h has the contract).
 *
 * Receive: a frame becomes a custom pbuf over the driver's buffer while
 * fewer than rx_hold_max are held, else a copy in a pool pbuf.  Transmit:
 * each frame is copied into a driver buffer, or waits (referenced) in a
 * small queue until net_netif_flush finds buffers.
 */
#include "net_netif.h"

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ip4_addr.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/etharp.h"
#include "lwip/prot/ip4.h"
#include "netif/ethernet.h"

#include <string.h>

/* ---- receiving ----------------------------------------------------------------------------- */

/* lwIP let go of the last reference to a held frame: the buffer goes back to the driver. */
static void rx_buffer_free(struct pbuf *p)
{
    struct net_rx_buffer *b = (struct net_rx_buffer *)p;
    struct net_netif *nif = b->nif;
    nif->ops->rx_release(nif->ctx, b->frame, b->cookie);
    b->frame = NULL;
    b->next_free = nif->rx_free;
    nif->rx_free = b;
    nif->rx_held--;
}

/*
 * Frames too short for the header their type announces.  lwIP checks the
 * lengths inside an IPv4 header, but reads the first words of the IPv4 and
 * ARP headers before it checks that they are there.
 */
static bool runt(const uint8_t *frame, size_t len)
{
    if (len < NET_FRAME_MIN)
        return true;
    uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
    if (type == ETHTYPE_ARP)
        return len < NET_FRAME_MIN + SIZEOF_ETHARP_HDR;
    if (type == ETHTYPE_IP)
        return len < NET_FRAME_MIN + IP_HLEN;
    return false;
}

void net_netif_receive(struct net_netif *nif, void *frame, size_t len, uintptr_t cookie)
{
    nif->stats.rx_frames++;
    nif->stats.rx_bytes += len;
    if (len > NET_FRAME_MAX || runt(frame, len)) {
        if (len > NET_FRAME_MAX)
            nif->stats.rx_too_long++;
        else
            nif->stats.rx_runt++;
        nif->ops->rx_release(nif->ctx, frame, cookie);
        return;
    }
    struct pbuf *p;
    struct net_rx_buffer *b = nif->rx_held < nif->rx_hold_max ? nif->rx_free : NULL;
    if (b) {
        nif->rx_free = b->next_free;
        nif->rx_held++;
        b->frame = frame;
        b->cookie = cookie;
        b->custom.custom_free_function = rx_buffer_free;
        p = pbuf_alloced_custom(PBUF_RAW, (u16_t)len, PBUF_REF, &b->custom, frame, (u16_t)len);
        nif->stats.rx_zero_copy++;
    } else {
        p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
        if (p)
            pbuf_take(p, frame, (u16_t)len);
        nif->ops->rx_release(nif->ctx, frame, cookie);
        if (!p) {
            nif->stats.rx_no_memory++;
            return;
        }
        nif->stats.rx_copied++;
    }
    /* ethernet_input takes the pbuf whatever it makes of the frame (and counts what it drops). */
    if (nif->netif.input(p, &nif->netif) != ERR_OK)
        pbuf_free(p);
}

/* ---- transmitting -------------------------------------------------------------------------- */

static bool tx_copy_out(struct net_netif *nif, struct pbuf *p)
{
    void *buffer = nif->ops->tx_get(nif->ctx, p->tot_len);
    if (!buffer)
        return false;
    pbuf_copy_partial(p, buffer, p->tot_len, 0);
    nif->ops->tx_put(nif->ctx, buffer, p->tot_len);
    nif->tx_unflushed = true;
    nif->stats.tx_frames++;
    nif->stats.tx_bytes += p->tot_len;
    return true;
}

/* Send queued frames, oldest first, while the driver has buffers. */
static void tx_drain(struct net_netif *nif)
{
    while (nif->tx_count) {
        struct pbuf *p = nif->tx_queue[nif->tx_head];
        if (!tx_copy_out(nif, p))
            return;
        pbuf_free(p);
        nif->tx_queue[nif->tx_head] = NULL;
        nif->tx_head = (nif->tx_head + 1) % NET_TX_QUEUE;
        nif->tx_count--;
    }
}

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
    struct net_netif *nif = netif->state;
    if (p->tot_len > NET_FRAME_MAX) {
        nif->stats.tx_too_long++;
        return ERR_IF;
    }
    tx_drain(nif);
    if (nif->tx_count == 0 && tx_copy_out(nif, p))
        return ERR_OK;
    if (nif->tx_count == NET_TX_QUEUE) {
        nif->stats.tx_dropped++;
        return ERR_MEM;
    }
    pbuf_ref(p);
    nif->tx_queue[(nif->tx_head + nif->tx_count) % NET_TX_QUEUE] = p;
    nif->tx_count++;
    nif->stats.tx_queued++;
    return ERR_OK;
}

void net_netif_flush(struct net_netif *nif)
{
    tx_drain(nif);
    if (nif->tx_unflushed && nif->ops->tx_flush)
        nif->ops->tx_flush(nif->ctx);
    nif->tx_unflushed = false;
}

/* ---- setting up ---------------------------------------------------------------------------- */

static err_t netif_setup(struct netif *netif)
{
    netif->output = etharp_output;
    netif->linkoutput = linkoutput;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

static void status_changed(struct netif *netif)
{
    struct net_netif *nif = netif->state;
    uint32_t addr = net_netif_address(nif);
    if (addr != nif->last_addr) {
        nif->last_addr = addr;
        if (nif->on_address)
            nif->on_address(nif);
    }
}

uint32_t net_netif_address(const struct net_netif *nif)
{
    return lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&nif->netif)));
}

bool net_netif_add(struct net_netif *nif, const struct net_netif_config *config)
{
    const struct net_frame_ops *ops = config->ops;
    if (!ops || !ops->tx_get || !ops->tx_put || !ops->rx_release || config->rx_hold_max > NET_RX_HOLD_LIMIT)
        return false;
    const char *name = config->name ? config->name : "en";
    if (strlen(name) != 2)
        return false;
    memset(nif, 0, sizeof(*nif));
    nif->ops = ops;
    nif->ctx = config->ctx;
    nif->on_address = config->on_address;
    nif->rx_hold_max = config->rx_hold_max ? config->rx_hold_max : NET_RX_HOLD_LIMIT;
    for (unsigned i = NET_RX_HOLD_LIMIT; i-- > 0;) {
        nif->rx_buffers[i].nif = nif;
        nif->rx_buffers[i].next_free = nif->rx_free;
        nif->rx_free = &nif->rx_buffers[i];
    }
    ip4_addr_t addr, netmask, gateway;
    ip4_addr_set_u32(&addr, lwip_htonl(config->addr));
    ip4_addr_set_u32(&netmask, lwip_htonl(config->netmask));
    ip4_addr_set_u32(&gateway, lwip_htonl(config->gateway));
    if (!netif_add(&nif->netif, &addr, &netmask, &gateway, nif, netif_setup, ethernet_input))
        return false;
    nif->netif.name[0] = name[0];
    nif->netif.name[1] = name[1];
    nif->netif.mtu = config->mtu ? config->mtu : 1500;
    memcpy(nif->netif.hwaddr, config->mac, ETH_HWADDR_LEN);
    nif->last_addr = config->addr;
    netif_set_status_callback(&nif->netif, status_changed);
    if (config->is_default)
        netif_set_default(&nif->netif);
    netif_set_link_up(&nif->netif);
    netif_set_up(&nif->netif);
    if (config->addr == 0 && dhcp_start(&nif->netif) != ERR_OK) {
        netif_remove(&nif->netif);
        return false;
    }
    return true;
}

void net_netif_remove(struct net_netif *nif)
{
    dhcp_stop(&nif->netif);
    dhcp_cleanup(&nif->netif);
    netif_remove(&nif->netif);
    while (nif->tx_count) {
        pbuf_free(nif->tx_queue[nif->tx_head]);
        nif->tx_queue[nif->tx_head] = NULL;
        nif->tx_head = (nif->tx_head + 1) % NET_TX_QUEUE;
        nif->tx_count--;
    }
}
