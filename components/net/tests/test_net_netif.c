/*
 * The netif over the frame interface (components/net/port/net_netif.c)
 * and lwIP behind it, with fake hosts written here: a host on link A that
 * answers ARP and pings A, a DHCP server on link C, and a pair of links
 * D-E for data through the socket layer with a small receive hold limit,
 * a lossy wire and a driver short of transmit buffers.  Malformed frames
 * are injected at A: each is dropped and counted, none crashes (ASan and
 * UBSan watch every byte lwIP reads).
 */
#include "net_test.h"

#include "lwip/stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define A_ADDR IP4(10, 0, 0, 1)
#define HOST_ADDR IP4(10, 0, 0, 50)
#define D_ADDR IP4(10, 0, 1, 1)
#define E_ADDR IP4(10, 0, 1, 2)
#define SERVER_ADDR IP4(10, 0, 2, 2)
#define LEASED_ADDR IP4(10, 0, 2, 15)

static struct test_link link_a, link_c, link_d, link_e;
static const uint8_t host_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
static const uint8_t a_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* ---- building frames -------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static size_t put_eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, type);
    return 14;
}

/* An IPv4 header at f (20 bytes) for len bytes of payload; the checksum computed. */
static void put_ip(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, size_t payload_len)
{
    memset(f, 0, 20);
    f[0] = 0x45;
    put16(f + 2, (uint16_t)(20 + payload_len));
    f[8] = 64;
    f[9] = proto;
    put32(f + 12, src);
    put32(f + 16, dst);
    put16(f + 10, inet_checksum(f, 20, 0));
}

static uint16_t pseudo_checksum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *seg, size_t len)
{
    uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
    return inet_checksum(seg, len, sum);
}

/* An ICMP echo request from the fake host to A. */
static size_t echo_request(uint8_t *f, uint16_t id, uint16_t seq, size_t data_len)
{
    size_t n = put_eth(f, a_mac, host_mac, 0x0800);
    uint8_t *icmp = f + n + 20;
    memset(icmp, 0, 8);
    icmp[0] = 8;
    put16(icmp + 4, id);
    put16(icmp + 6, seq);
    for (size_t i = 0; i < data_len; i++)
        icmp[8 + i] = (uint8_t)(i * 7 + seq);
    put16(icmp + 2, inet_checksum(icmp, 8 + data_len, 0));
    put_ip(f + n, HOST_ADDR, A_ADDR, 1, 8 + data_len);
    return n + 20 + 8 + data_len;
}

/* A TCP segment from the fake host to A, with options (a multiple of 4 bytes) and data. */
static size_t tcp_segment(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
                          const uint8_t *options, size_t options_len, size_t data_len)
{
    size_t n = put_eth(f, a_mac, host_mac, 0x0800);
    uint8_t *tcp = f + n + 20;
    size_t hlen = 20 + options_len;
    memset(tcp, 0, hlen + data_len);
    put16(tcp, sport);
    put16(tcp + 2, dport);
    put32(tcp + 4, seq);
    tcp[12] = (uint8_t)((hlen / 4) << 4);
    tcp[13] = flags;
    put16(tcp + 14, 8192);
    if (options_len)
        memcpy(tcp + 20, options, options_len);
    put16(tcp + 16, pseudo_checksum(HOST_ADDR, A_ADDR, 6, tcp, hlen + data_len));
    put_ip(f + n, HOST_ADDR, A_ADDR, 6, hlen + data_len);
    return n + 20 + hlen + data_len;
}

/* After a test changed a TCP segment's header: its checksum again. */
static void tcp_checksum_again(uint8_t *f, size_t len)
{
    uint8_t *tcp = f + 34;
    put16(tcp + 16, 0);
    put16(tcp + 16, pseudo_checksum(HOST_ADDR, A_ADDR, 6, tcp, len - 34));
}

static size_t arp_frame(uint8_t *f, uint16_t op, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
                        uint32_t tpa)
{
    size_t n = put_eth(f, op == 1 ? broadcast_mac : tha, sha, 0x0806);
    uint8_t *a = f + n;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    put32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    return n + 28;
}

/* ---- the fake host on link A ------------------------------------------------------------ */

static struct {
    unsigned arp_requests, echo_replies, tcp_segments;
    uint8_t last_reply[NET_FRAME_MAX];
    size_t last_reply_len;
    uint8_t last_tcp_flags;
} host;

static bool host_tap(struct test_link *link, const uint8_t *f, size_t len)
{
    if (len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 1 && get32(f + 38) == HOST_ADDR) {
        host.arp_requests++;
        uint8_t reply[64];
        size_t n = arp_frame(reply, 2, host_mac, HOST_ADDR, f + 22, get32(f + 28));
        net_test_inject(link, reply, n);
    } else if (len >= 34 && get16(f + 12) == 0x0800 && f[23] == 1 && f[34] == 0) {
        host.echo_replies++;
        memcpy(host.last_reply, f, len);
        host.last_reply_len = len;
    } else if (len >= 54 && get16(f + 12) == 0x0800 && f[23] == 6) {
        host.tcp_segments++;
        host.last_tcp_flags = f[34 + 13];
    }
    return false;
}

static int group_setup(void **state)
{
    (void)state;
    net_test_init();
    net_test_link_add(&link_a, "ea", 1, A_ADDR, 0, false);
    link_a.tap = host_tap;
    net_test_link_add(&link_d, "ed", 4, D_ADDR, 0, false);
    net_test_link_add(&link_e, "ee", 5, E_ADDR, 2, false);
    net_test_connect(&link_d, &link_e);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    net_test_advance(5 * 60 * 1000);
    assert_int_equal(link_a.rx_outstanding, 0);
    assert_int_equal(link_d.rx_outstanding, 0);
    assert_int_equal(link_e.rx_outstanding, 0);
    assert_int_equal(net_test_tcp_pcbs_used(), 0);
    assert_int_equal(net_test_pool_pbufs_used(), 0);
    return 0;
}

/* ---- ping ------------------------------------------------------------------------------- */

static bool replies_at_least(void *arg)
{
    return host.echo_replies >= *(unsigned *)arg;
}

static void answers_ping_zero_copy(void **state)
{
    (void)state;
    uint64_t zero_copy = link_a.nif.stats.rx_zero_copy;
    unsigned want = host.echo_replies + 1;
    uint8_t f[NET_FRAME_MAX];
    size_t n = echo_request(f, 0x1234, 7, 56);
    net_test_inject(&link_a, f, n);
    assert_true(net_test_run(replies_at_least, &want, 10 * 1000));
    assert_true(host.arp_requests >= 1);       /* A asked who 10.0.0.50 is before answering */

    const uint8_t *r = host.last_reply;
    assert_int_equal(host.last_reply_len, n);
    assert_memory_equal(r, host_mac, 6);
    assert_memory_equal(r + 6, a_mac, 6);
    assert_int_equal(inet_checksum(r + 14, 20, 0), 0);              /* IP header checksum holds */
    assert_int_equal(get32(r + 26), A_ADDR);
    assert_int_equal(get32(r + 30), HOST_ADDR);
    assert_int_equal(inet_checksum(r + 34, 8 + 56, 0), 0);          /* ICMP checksum holds */
    assert_int_equal(get16(r + 38), 0x1234);
    assert_int_equal(get16(r + 40), 7);
    assert_memory_equal(r + 42, f + 42, 56);
    assert_true(link_a.nif.stats.rx_zero_copy > zero_copy);
    net_test_settle();
    assert_int_equal(link_a.rx_outstanding, 0);        /* every buffer went back to the "driver" */

    /* The ARP entry is known now: the next ping is answered without asking again. */
    unsigned arp_before = host.arp_requests;
    want = host.echo_replies + 1;
    n = echo_request(f, 0x1234, 8, 1000);
    net_test_inject(&link_a, f, n);
    assert_true(net_test_run(replies_at_least, &want, 10 * 1000));
    assert_int_equal(host.arp_requests, arp_before);
    assert_int_equal(host.last_reply_len, n);
}

/* ---- malformed frames ------------------------------------------------------------------- */

static void dropped_with(const uint8_t *f, size_t len, const u16_t *counter, const char *what)
{
    u16_t before = *counter;
    uint64_t frames = link_a.nif.stats.rx_frames;
    net_test_inject(&link_a, f, len);
    net_test_settle();
    if (*counter == before)
        fail_msg("%s: the counter did not move", what);
    assert_int_equal(link_a.nif.stats.rx_frames, frames + 1);
    assert_int_equal(link_a.rx_outstanding, 0);
}

static void malformed_frames_are_dropped_and_counted(void **state)
{
    (void)state;
    uint8_t f[2048], good[NET_FRAME_MAX];
    size_t good_len = echo_request(good, 1, 1, 32);

    /* At the netif: shorter than an Ethernet header, longer than a frame. */
    uint64_t runts = link_a.nif.stats.rx_runt, long_ones = link_a.nif.stats.rx_too_long;
    net_test_inject(&link_a, good, 10);
    memset(f, 0, sizeof(f));
    memcpy(f, good, good_len);
    net_test_inject(&link_a, f, 2000);
    assert_int_equal(link_a.nif.stats.rx_runt, runts + 1);
    assert_int_equal(link_a.nif.stats.rx_too_long, long_ones + 1);
    assert_int_equal(link_a.rx_outstanding, 0);

    /* Ethernet: a type nobody speaks. */
    memcpy(f, good, good_len);
    put16(f + 12, 0x88b5);
    dropped_with(f, good_len, &lwip_stats.etharp.proterr, "unknown ethertype");
    /* ARP: a header cut short; a hardware length that is not Ethernet's. */
    size_t n = arp_frame(f, 1, host_mac, HOST_ADDR, broadcast_mac, A_ADDR);
    uint64_t short_ones = link_a.nif.stats.rx_runt;
    net_test_inject(&link_a, f, 20);            /* lwIP would read the whole ARP header: the netif drops it */
    assert_int_equal(link_a.nif.stats.rx_runt, short_ones + 1);
    f[14 + 4] = 8;
    dropped_with(f, n, &lwip_stats.etharp.proterr, "ARP hardware length 8");
    /* IPv4: header length below 20 bytes, above the frame; total length beyond the frame;
     * a checksum that does not add up; version 6 in an IPv4 frame; a fragment. */
    memcpy(f, good, good_len);
    f[14] = 0x43;
    dropped_with(f, good_len, &lwip_stats.ip.lenerr, "IHL 3");
    memcpy(f, good, good_len);
    f[14] = 0x4f;
    dropped_with(f, 14 + 40, &lwip_stats.ip.lenerr, "IHL 15 in a 40-byte packet");
    memcpy(f, good, good_len);
    put16(f + 16, 1400);
    put16(f + 24, 0);
    put16(f + 24, inet_checksum(f + 14, 20, 0));
    dropped_with(f, good_len, &lwip_stats.ip.lenerr, "total length beyond the frame");
    memcpy(f, good, good_len);
    f[24] ^= 0x55;
    dropped_with(f, good_len, &lwip_stats.ip.chkerr, "bad IP checksum");
    memcpy(f, good, good_len);
    f[14] = 0x65;
    dropped_with(f, good_len, &lwip_stats.ip.err, "version 6");
    memcpy(f, good, good_len);
    put16(f + 20, 0x2000);      /* more fragments */
    put16(f + 24, 0);
    put16(f + 24, inet_checksum(f + 14, 20, 0));
    dropped_with(f, good_len, &lwip_stats.ip.opterr, "a fragment");
    /* ICMP: a bad checksum. */
    memcpy(f, good, good_len);
    f[34 + 2] ^= 0xff;
    dropped_with(f, good_len, &lwip_stats.icmp.chkerr, "bad ICMP checksum");
    /* TCP: a data offset below 20 bytes, one beyond the segment, a bad checksum. */
    n = tcp_segment(f, 4000, 80, 1, 0x02, NULL, 0, 0);
    f[34 + 12] = 0x40;
    tcp_checksum_again(f, n);
    dropped_with(f, n, &lwip_stats.tcp.lenerr, "TCP data offset 4");
    n = tcp_segment(f, 4000, 80, 1, 0x02, NULL, 0, 0);
    f[34 + 12] = 0xf0;
    tcp_checksum_again(f, n);
    dropped_with(f, n, &lwip_stats.tcp.lenerr, "TCP data offset 15 in 20 bytes");
    n = tcp_segment(f, 4000, 80, 1, 0x02, NULL, 0, 0);
    f[34 + 16] ^= 0x01;
    dropped_with(f, n, &lwip_stats.tcp.chkerr, "bad TCP checksum");

    /* After all of it, A still answers. */
    unsigned want = host.echo_replies + 1;
    net_test_inject(&link_a, good, good_len);
    assert_true(net_test_run(replies_at_least, &want, 10 * 1000));
}

static bool tcp_segments_at_least(void *arg)
{
    return host.tcp_segments >= *(unsigned *)arg;
}

/* TCP options that lie: lengths of 0, 1, and longer than the header; the stack reads none of
 * them past the header (ASan would say) and answers the SYN as a SYN. */
static void tcp_options_that_lie(void **state)
{
    (void)state;
    uint32_t l = 0;
    struct test_client *c = test_client_new(0, 4096, 16);
    socket_completion_t done = tc_call(c, (socket_request_t){ .op = SOCKET_OP_TCP_LISTEN, .addr = A_ADDR, .port = 80 });
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    l = done.socket;
    static const uint8_t lies[][8] = {
        {2, 0, 0, 0, 0, 0, 0, 0},           /* MSS with length 0 */
        {2, 1, 5, 0xb4, 0, 0, 0, 0},        /* MSS with length 1 */
        {2, 40, 5, 0xb4, 0, 0, 0, 0},       /* MSS longer than the header */
        {8, 10, 0, 0, 0, 0, 0, 0},          /* a timestamp running past the end */
        {3, 3, 14, 1, 1, 1, 1, 2},          /* window scale, then an option cut short */
        {1, 1, 1, 1, 1, 1, 1, 255},         /* NOPs, then an unknown kind without its length */
    };
    uint8_t f[NET_FRAME_MAX];
    for (unsigned i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        unsigned want = host.tcp_segments + 1;
        size_t n = tcp_segment(f, (uint16_t)(5000 + i), 80, 1000 * i, 0x02, lies[i], 8, 0);
        net_test_inject(&link_a, f, n);
        assert_true(net_test_run(tcp_segments_at_least, &want, 10 * 1000));
        assert_int_equal(host.last_tcp_flags, 0x12);    /* SYN+ACK */
        /* And a reset from the fake host, so the half-open connection goes. */
        n = tcp_segment(f, (uint16_t)(5000 + i), 80, 1000 * i + 1, 0x04, NULL, 0, 0);
        net_test_inject(&link_a, f, n);
        net_test_settle();
    }
    tc_close(c, l);
    test_client_free(c);
}

/* Random damage to good frames: whatever lwIP makes of them, it never reads or writes outside
 * them and gives every buffer back. */
static void damaged_frames_never_crash(void **state)
{
    (void)state;
    struct test_client *c = test_client_new(0, 4096, 16);
    uint32_t l = tc_listen(c, A_ADDR, 80, 0);
    uint8_t good[3][NET_FRAME_MAX], f[NET_FRAME_MAX];
    size_t lens[3];
    static const uint8_t mss[4] = {2, 4, 5, 0xb4};
    lens[0] = echo_request(good[0], 9, 9, 64);
    lens[1] = tcp_segment(good[1], 6000, 80, 5, 0x02, mss, 4, 0);
    lens[2] = arp_frame(good[2], 1, host_mac, HOST_ADDR, broadcast_mac, A_ADDR);
    uint32_t random = 0x12345678;
    for (int i = 0; i < 3000; i++) {
        unsigned which = (unsigned)i % 3;
        memcpy(f, good[which], lens[which]);
        size_t len = lens[which];
        int flips = 1 + (int)(random % 4);
        for (int k = 0; k < flips; k++) {
            random = random * 1103515245u + 12345u;
            f[14 + (random >> 8) % (len - 14)] ^= (uint8_t)(1u << ((random >> 4) % 8));
        }
        random = random * 1103515245u + 12345u;
        if (random % 5 == 0)
            len = 14 + (random >> 8) % (len - 14);      /* cut short, too */
        net_test_inject(&link_a, f, len);
        net_test_settle();
        if (i % 100 == 99)
            net_test_advance(3000);     /* let half-open connections and ARP entries time out */
    }
    assert_int_equal(link_a.rx_outstanding, 0);
    unsigned want = host.echo_replies + 1;
    net_test_inject(&link_a, good[0], lens[0]);
    assert_true(net_test_run(replies_at_least, &want, 10 * 1000));
    tc_close(c, l);
    test_client_free(c);
}

/* ---- data through a hold limit, a lossy wire, and a driver short of buffers -------------- */

static unsigned drop_countdown;

/* Drops the drop_countdown-th data segment D sends (one, once). */
static bool lossy_tap(struct test_link *link, const uint8_t *f, size_t len)
{
    (void)link;
    if (drop_countdown && len > 54 + 100 && get16(f + 12) == 0x0800 && f[23] == 6 && --drop_countdown == 0)
        return false;
    return true;
}

struct transfer {
    struct test_client *d, *e;
    uint32_t ds, es;
};

static void transfer_open(struct transfer *t)
{
    t->d = test_client_new(1, 2 * 1024 * 1024, 256);
    t->e = test_client_new(2, 2 * 1024 * 1024, 256);
    uint32_t l = tc_listen(t->e, E_ADDR, 80, 0);
    uint64_t accept = tc_submit(t->e, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = l });
    t->ds = tc_connect(t->d, E_ADDR, 80);
    t->es = tc_wait(t->e, accept).socket;
    tc_close(t->e, l);
}

static void transfer_close(struct transfer *t)
{
    tc_close(t->d, t->ds);
    tc_close(t->e, t->es);
    test_client_free(t->d);
    test_client_free(t->e);
}

/* D sends size bytes to E, which has one recv of `chunk` outstanding at a time. */
static void transfer_check(struct transfer *t, size_t size, uint32_t chunk)
{
    fill_pattern(t->d->region, size, 77, 0);
    uint64_t send = tc_submit(t->d, req_send(t->ds, 0, (uint32_t)size, 0));
    size_t got = 0;
    while (got < size) {
        socket_completion_t done = tc_call(t->e, req_recv(t->es, (uint32_t)got, chunk));
        assert_int_equal(done.status, SOCKET_STATUS_OK);
        assert_true(done.result > 0);
        got += done.result;
    }
    assert_true(check_pattern(t->e->region, size, 77, 0));
    socket_completion_t done = tc_wait(t->d, send);
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    assert_int_equal(done.result, size);
}

static void out_of_order_data_past_the_hold_limit_is_copied(void **state)
{
    (void)state;
    struct transfer t;
    transfer_open(&t);
    link_e.rx_outstanding_max = 0;
    uint64_t copied = link_e.nif.stats.rx_copied, zero_copy = link_e.nif.stats.rx_zero_copy;
    /* The 3rd data segment is lost: what follows waits in lwIP's out-of-order queue, in the
     * driver's buffers while E may hold 2, then in pool pbufs, until D retransmits. */
    drop_countdown = 3;
    link_d.tap = lossy_tap;
    transfer_check(&t, 300 * 1000, 65536);
    link_d.tap = NULL;
    assert_int_equal(drop_countdown, 0);
    /* At most the 2 held, and the one frame being copied at the moment. */
    assert_true(link_e.rx_outstanding_max <= 3);
    assert_true(link_e.rx_outstanding_max >= 2);
    assert_true(link_e.nif.stats.rx_copied > copied);
    assert_true(link_e.nif.stats.rx_zero_copy > zero_copy);
    transfer_close(&t);
}

static void a_driver_short_of_transmit_buffers_holds_frames_back(void **state)
{
    (void)state;
    struct transfer t;
    transfer_open(&t);
    uint64_t queued = link_d.nif.stats.tx_queued;
    link_d.tx_credits = link_d.tx_credits_max = 2;
    transfer_check(&t, 300 * 1000, 8192);
    assert_true(link_d.nif.stats.tx_queued > queued);
    assert_int_equal(link_d.nif.stats.tx_dropped, 0);
    link_d.tx_credits = link_d.tx_credits_max = 1024;
    transfer_close(&t);
}

/* With no transmit buffer at all, NET_TX_QUEUE datagrams wait, and the sends after them are told
 * no_memory: none vanishes unanswered.  When buffers come, the queued ones go out in order. */
static void a_full_transmit_queue_refuses_udp_sends(void **state)
{
    (void)state;
    struct test_client *d = test_client_new(1, 65536, 256), *e = test_client_new(2, 65536, 256);
    uint32_t du = tc_udp_bind(d, D_ADDR, 7000), eu = tc_udp_bind(e, E_ADDR, 7001);
    socket_request_t send = { .op = SOCKET_OP_UDP_SEND, .socket = du, .addr = E_ADDR, .port = 7001, .length = 1 };
    /* One datagram first, so ARP has resolved E. */
    assert_int_equal(tc_call(d, send).status, SOCKET_STATUS_OK);
    assert_int_equal(tc_call(e, req_recv(eu, 0, 16)).result, 1);

    link_d.tx_credits = link_d.tx_credits_max = 0;
    uint64_t dropped = link_d.nif.stats.tx_dropped;
    unsigned ok = 0, refused = 0;
    for (int i = 0; i < NET_TX_QUEUE + 6; i++) {
        d->region[i] = (uint8_t)i;
        send.offset = (uint32_t)i;
        socket_completion_t done = tc_call(d, send);
        if (done.status == SOCKET_STATUS_OK)
            ok++;
        else if (done.status == SOCKET_STATUS_NO_MEMORY)
            refused++;
        else
            fail_msg("udp_send %d: status %d", i, (int)done.status);
    }
    assert_int_equal(ok, NET_TX_QUEUE);
    assert_int_equal(refused, 6);
    assert_int_equal(link_d.nif.stats.tx_dropped - dropped, 6);

    /* A recv waits for each (the socket keeps only SOCK_UDP_QUEUE unread), then buffers come. */
    uint64_t recvs[NET_TX_QUEUE];
    for (int i = 0; i < NET_TX_QUEUE; i++)
        recvs[i] = tc_submit(e, req_recv(eu, (uint32_t)(100 + i), 1));
    link_d.tx_credits = link_d.tx_credits_max = 1024;
    for (int i = 0; i < NET_TX_QUEUE; i++) {
        socket_completion_t got = tc_wait(e, recvs[i]);
        assert_int_equal(got.result, 1);
        assert_int_equal(e->region[100 + i], i);
    }
    tc_close(d, du);
    tc_close(e, eu);
    test_client_free(d);
    test_client_free(e);
}

/* ---- DHCP against a tiny server --------------------------------------------------------- */

static const uint8_t server_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xee};

static struct {
    unsigned discovers, requests, addresses_seen;
    uint32_t requested;
    uint32_t lease_seconds;
} dhcp;

/* The DHCP message type (option 53) of a BOOTP payload, and option 50 if it is there. */
static int dhcp_type(const uint8_t *bootp, size_t len, uint32_t *requested)
{
    if (len < 240 || get32(bootp + 236) != 0x63825363)
        return -1;
    int type = -1;
    for (size_t i = 240; i < len && bootp[i] != 255;) {
        if (bootp[i] == 0) {
            i++;
            continue;
        }
        if (i + 1 >= len || i + 2 + bootp[i + 1] > len)
            break;
        if (bootp[i] == 53 && bootp[i + 1] == 1)
            type = bootp[i + 2];
        if (bootp[i] == 50 && bootp[i + 1] == 4 && requested)
            *requested = get32(bootp + i + 2);
        i += 2 + bootp[i + 1];
    }
    return type;
}

static void dhcp_answer(struct test_link *link, const uint8_t *request_bootp, uint8_t type)
{
    uint8_t f[NET_FRAME_MAX];
    memset(f, 0, sizeof(f));
    size_t n = put_eth(f, broadcast_mac, server_mac, 0x0800);
    uint8_t *udp = f + n + 20, *b = udp + 8;
    b[0] = 2;
    b[1] = 1;
    b[2] = 6;
    memcpy(b + 4, request_bootp + 4, 4);        /* xid */
    put32(b + 16, LEASED_ADDR);                 /* yiaddr */
    put32(b + 20, SERVER_ADDR);                 /* siaddr */
    memcpy(b + 28, request_bootp + 28, 16);     /* chaddr */
    put32(b + 236, 0x63825363);
    uint8_t *o = b + 240;
    *o++ = 53; *o++ = 1; *o++ = type;
    *o++ = 54; *o++ = 4; put32(o, SERVER_ADDR); o += 4;
    *o++ = 51; *o++ = 4; put32(o, dhcp.lease_seconds); o += 4;
    *o++ = 1; *o++ = 4; put32(o, IP4(255, 255, 255, 0)); o += 4;
    *o++ = 3; *o++ = 4; put32(o, SERVER_ADDR); o += 4;
    *o++ = 255;
    size_t bootp_len = (size_t)(o - b) < 300 ? 300 : (size_t)(o - b);
    put16(udp, 67);
    put16(udp + 2, 68);
    put16(udp + 4, (uint16_t)(8 + bootp_len));
    /* UDP checksum 0: none, which IPv4 allows. */
    put_ip(f + n, SERVER_ADDR, IP4(255, 255, 255, 255), 17, 8 + bootp_len);
    net_test_inject(link, f, n + 20 + 8 + bootp_len);
}

static bool dhcp_server_tap(struct test_link *link, const uint8_t *f, size_t len)
{
    /* The server answers ARP for its address: a renewal comes to it directly. */
    if (len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 1 && get32(f + 38) == SERVER_ADDR) {
        uint8_t reply[64];
        size_t n = arp_frame(reply, 2, server_mac, SERVER_ADDR, f + 22, get32(f + 28));
        net_test_inject(link, reply, n);
        return false;
    }
    if (len < 14 + 20 + 8 || get16(f + 12) != 0x0800 || f[23] != 17 || get16(f + 36) != 67)
        return false;
    const uint8_t *bootp = f + 14 + 20 + 8;
    uint32_t requested = 0;
    int type = dhcp_type(bootp, len - 42, &requested);
    if (type == 1) {            /* DISCOVER: OFFER */
        dhcp.discovers++;
        dhcp_answer(link, bootp, 2);
    } else if (type == 3) {     /* REQUEST: ACK */
        dhcp.requests++;
        dhcp.requested = requested ? requested : get32(bootp + 12);    /* option 50, or ciaddr when renewing */
        dhcp_answer(link, bootp, 5);
    }
    return false;
}

static void on_address(struct net_netif *nif)
{
    (void)nif;
    dhcp.addresses_seen++;
}

static bool leased(void *arg)
{
    return net_netif_address((struct net_netif *)arg) == LEASED_ADDR;
}

static bool renewed(void *arg)
{
    return dhcp.requests >= *(unsigned *)arg;
}

static void dhcp_gets_and_renews_a_lease(void **state)
{
    (void)state;
    dhcp.lease_seconds = 600;
    /* Address 0: the interface starts DHCP; its frames go to the server's tap, nowhere else. */
    net_test_link_add(&link_c, "ec", 3, 0, 0, false);
    link_c.tap = dhcp_server_tap;
    link_c.nif.on_address = on_address;
    assert_int_equal(net_netif_address(&link_c.nif), 0);
    assert_true(net_test_run(leased, &link_c.nif, 60 * 1000));
    assert_int_equal(dhcp.discovers, 1);
    assert_int_equal(dhcp.requests, 1);
    assert_int_equal(dhcp.requested, LEASED_ADDR);
    assert_int_equal(dhcp.addresses_seen, 1);
    assert_int_equal(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&link_c.nif.netif))), IP4(255, 255, 255, 0));
    assert_int_equal(lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&link_c.nif.netif))), SERVER_ADDR);

    /* At half the lease the client renews with the server, and keeps its address. */
    unsigned want = 2;
    assert_true(net_test_run(renewed, &want, 600 * 1000));
    assert_int_equal(dhcp.requested, LEASED_ADDR);
    net_test_settle();
    assert_int_equal(net_netif_address(&link_c.nif), LEASED_ADDR);
    assert_int_equal(dhcp.addresses_seen, 1);
    net_test_link_remove(&link_c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define CASE(name) cmocka_unit_test_teardown(name, teardown)
        CASE(answers_ping_zero_copy),
        CASE(malformed_frames_are_dropped_and_counted),
        CASE(tcp_options_that_lie),
        CASE(damaged_frames_never_crash),
        CASE(out_of_order_data_past_the_hold_limit_is_copied),
        CASE(a_driver_short_of_transmit_buffers_holds_frames_back),
        CASE(a_full_transmit_queue_refuses_udp_sends),
        CASE(dhcp_gets_and_renews_a_lease),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
