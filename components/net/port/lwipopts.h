/*
 * lwIP's configuration for the net component (lwIP 2.1.3, Debian's source
 * package; tools/fetch-lwip).  One file for the target build (riscv64,
 * picolibc) and the host build (the tests, under ASan and UBSan), so the
 * tests run the stack the system runs.
 *
 * The shape: NO_SYS=1 and the raw API only.  The net component is one
 * thread on an event loop: frames, client requests and timers all arrive
 * through that loop, so lwIP needs no locks, no threads and no mailboxes.
 * IPv4 with ARP, ICMP (echo), UDP, TCP and a DHCP client; no IPv6, IGMP,
 * DNS, raw sockets, fragmentation or reassembly (a fragment is dropped and
 * counted in lwIP's IP statistics).
 *
 * Memory is static (.bss): lwIP's heap (MEM_SIZE) holds what TCP copies out
 * of a client's send requests and the UDP datagrams being sent; its pools
 * hold PCBs, segments and the pbufs received frames are copied into when
 * the driver's buffers cannot be held (components/net/port/net_netif.c).
 * Every size below can be overridden with -D for a bigger or smaller build.
 * When a pool runs out, TCP sends wait (the socket layer retries) and
 * received frames are dropped and counted: never a crash.
 */
#ifndef NET_LWIPOPTS_H
#define NET_LWIPOPTS_H

/* ---- the system layer: no OS, the raw API, one thread ---- */
#define NO_SYS                          1
#define SYS_LIGHTWEIGHT_PROT            0
#define LWIP_TIMERS                     1
#define LWIP_NETCONN                    0
#define LWIP_SOCKET                     0
#define LWIP_NETIF_API                  0

/* ---- protocols ---- */
#define LWIP_IPV4                       1
#define LWIP_IPV6                       0
#define LWIP_ARP                        1
#define LWIP_ETHERNET                   1
#define LWIP_ICMP                       1
#define LWIP_RAW                        0
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_DHCP                       1
#define LWIP_AUTOIP                     0
#define LWIP_IGMP                       0
#define LWIP_DNS                        0
#define IP_FORWARD                      0
#define IP_REASSEMBLY                   0
#define IP_FRAG                         0
/* A DHCP client may check with ARP that nobody else has its offered address (a second of delay). */
#define DHCP_DOES_ARP_CHECK             0
/* Listening sockets may bind a port whose earlier connections still wait in TIME_WAIT. */
#define SO_REUSE                        1

/* ---- memory: lwIP's heap and pools ---- */
/* rv64: 8-byte alignment for everything lwIP allocates. */
#define MEM_ALIGNMENT                   8
#ifndef MEM_SIZE
#define MEM_SIZE                        (2 * 1024 * 1024)
#endif
/* PCBs: hundreds of concurrent connections, and their TIME_WAIT successors (lwIP reuses the
 * oldest TIME_WAIT PCB when none is free, so opening and dropping thousands never runs out). */
#ifndef MEMP_NUM_TCP_PCB
#define MEMP_NUM_TCP_PCB                512
#endif
#ifndef MEMP_NUM_TCP_PCB_LISTEN
#define MEMP_NUM_TCP_PCB_LISTEN         32
#endif
#ifndef MEMP_NUM_UDP_PCB
#define MEMP_NUM_UDP_PCB                64
#endif
/* Queued TCP segments, shared by every connection: when they run out, tcp_write says ERR_MEM
 * and the socket layer's send waits for acknowledgements to free some. */
#ifndef MEMP_NUM_TCP_SEG
#define MEMP_NUM_TCP_SEG                4096
#endif
/* Pbufs that only point at data (lwIP's own ROM and REF pbufs): the socket layer copies instead. */
#define MEMP_NUM_PBUF                   64
/* Received frames are copied into pool pbufs when the driver's buffers cannot be held. */
#ifndef PBUF_POOL_SIZE
#define PBUF_POOL_SIZE                  512
#endif
#define LWIP_SUPPORT_CUSTOM_PBUF        1

/* ---- Ethernet, ARP ---- */
#define ETH_PAD_SIZE                    0
#define ARP_TABLE_SIZE                  32
/* Frames to a host whose address ARP is still resolving wait instead of being dropped. */
#define ARP_QUEUEING                    1
#define MEMP_NUM_ARP_QUEUE              64

/* ---- TCP ---- */
#define TCP_MSS                         1460
/* The receive window: 16 segments, so one connection keeps a fast link busy; the socket layer
 * opens it again (tcp_recved) only as its client reads, which is the back-pressure to a sender. */
#ifndef TCP_WND
#define TCP_WND                         (16 * TCP_MSS)
#endif
/* What a connection may have queued to send: as much as the peer's window (TCP_SND_BUF = TCP_WND). */
#define TCP_SND_BUF                     TCP_WND
#define TCP_SND_QUEUELEN                ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ                 1
/* Out-of-order segments a connection may hold, so one lossy peer cannot take every pbuf. */
#define TCP_OOSEQ_MAX_PBUFS             8
#define TCP_OOSEQ_MAX_BYTES             (8 * TCP_MSS)
#define LWIP_TCP_KEEPALIVE              1
/* The checksum of data queued by tcp_write is computed while it is copied (one pass fewer). */
#define LWIP_CHECKSUM_ON_COPY           1
#define LWIP_CHKSUM_ALGORITHM           3

/* ---- netif ---- */
#define LWIP_SINGLE_NETIF               0
#define LWIP_NETIF_STATUS_CALLBACK      1
#define LWIP_NETIF_LINK_CALLBACK        0
#define LWIP_NETIF_LOOPBACK             0
#define LWIP_HAVE_LOOPIF                0
#define LWIP_NETIF_HOSTNAME             0
#define LWIP_NETIF_TX_SINGLE_PBUF       0

/* ---- hooks (components/net/port/net_port_hooks.h) ---- */
#define LWIP_HOOK_FILENAME              "net_port_hooks.h"
/* A packet from one of our addresses leaves through the interface that has that address. */
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) net_port_route((src), (dest))

/* ---- statistics: the drop counters of malformed frames (lwip_stats) ---- */
#define LWIP_STATS                      1
#define LWIP_STATS_DISPLAY              0
#define LINK_STATS                      1
#define ETHARP_STATS                    1
#define IP_STATS                        1
#define ICMP_STATS                      1
#define UDP_STATS                       1
#define TCP_STATS                       1
#define MEM_STATS                       1
#define MEMP_STATS                      1
#define SYS_STATS                       0

/* ---- checks ---- */
/* lwIP's own assertions stay on: a failed one names lwIP's file and line (arch/cc.h). */
#define LWIP_DBG_MIN_LEVEL              LWIP_DBG_LEVEL_ALL
#define LWIP_DBG_TYPES_ON               LWIP_DBG_OFF

#endif /* NET_LWIPOPTS_H */
