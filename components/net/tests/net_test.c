/* Host-test scaffolding for the net component (net_test.h). */
#include "net_test.h"

#include "lwip/ip4_addr.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

uint32_t net_test_now = 1000;

#define MAX_LINKS 8
static struct test_link *links[MAX_LINKS];
static struct test_client *clients[SOCK_MAX_CLIENTS];

static uint32_t test_clock(void *ctx)
{
    (void)ctx;
    return net_test_now;
}

/*
 * Every destination in these tests is one of our own addresses: a packet
 * to an interface's address leaves through another interface (the one
 * joined to it by the wire), and lwIP then sends it over the wire.
 */
static struct netif *test_route(const struct ip4_addr *src, const struct ip4_addr *dest)
{
    (void)src;
    for (unsigned i = 0; i < MAX_LINKS; i++) {
        struct test_link *l = links[i];
        if (l && l->peer && ip4_addr_cmp(dest, netif_ip4_addr(&l->peer->nif.netif)))
            return &l->nif.netif;
    }
    return NULL;
}

/* ---- the fake driver --------------------------------------------------------------------- */

static void *fake_tx_get(void *ctx, size_t len)
{
    struct test_link *l = ctx;
    if (l->tx_credits == 0 || len > NET_FRAME_MAX)
        return NULL;
    l->tx_credits--;
    /* Exactly as long as asked: the receiving side's reads past the frame hit ASan's red zone. */
    struct test_frame *f = malloc(offsetof(struct test_frame, data) + len);
    assert_non_null(f);
    return f->data;
}

static void fake_tx_put(void *ctx, void *buffer, size_t len)
{
    struct test_link *l = ctx;
    struct test_frame *f = (struct test_frame *)((uint8_t *)buffer - offsetof(struct test_frame, data));
    f->len = len;
    f->next = NULL;
    if (l->out_tail)
        l->out_tail->next = f;
    else
        l->out_head = f;
    l->out_tail = f;
    l->sent++;
}

static void fake_rx_release(void *ctx, void *frame, uintptr_t cookie)
{
    struct test_link *l = ctx;
    struct test_frame *f = (struct test_frame *)cookie;
    assert_ptr_equal(frame, f->data);
    assert_true(l->rx_outstanding > 0);
    l->rx_outstanding--;
    free(f);
}

static const struct net_frame_ops fake_ops = {
    .tx_get = fake_tx_get, .tx_put = fake_tx_put, .rx_release = fake_rx_release,
};

/* ---- links ------------------------------------------------------------------------------- */

void net_test_link_add(struct test_link *link, const char *name, uint8_t mac_last, uint32_t addr,
                       unsigned rx_hold_max, bool is_default)
{
    memset(link, 0, sizeof(*link));
    link->tx_credits = link->tx_credits_max = 1024;
    struct net_netif_config config = {
        .name = name, .mac = {0x02, 0x00, 0x00, 0x00, 0x00, mac_last},
        .addr = addr, .netmask = addr ? IP4(255, 255, 255, 0) : 0, .gateway = 0,
        .rx_hold_max = rx_hold_max, .is_default = is_default, .ops = &fake_ops, .ctx = link,
    };
    assert_true(net_netif_add(&link->nif, &config));
    for (unsigned i = 0; i < MAX_LINKS; i++) {
        if (!links[i]) {
            links[i] = link;
            return;
        }
    }
    fail_msg("too many links");
}

void net_test_link_remove(struct test_link *link)
{
    net_netif_remove(&link->nif);
    struct test_frame *f;
    while ((f = link->out_head)) {
        link->out_head = f->next;
        free(f);
    }
    link->out_tail = NULL;
    for (unsigned i = 0; i < MAX_LINKS; i++)
        if (links[i] == link)
            links[i] = NULL;
}

void net_test_connect(struct test_link *a, struct test_link *b)
{
    a->peer = b;
    b->peer = a;
}

static void deliver(struct test_link *to, struct test_frame *f)
{
    to->rx_outstanding++;
    if (to->rx_outstanding > to->rx_outstanding_max)
        to->rx_outstanding_max = to->rx_outstanding;
    to->delivered++;
    net_netif_receive(&to->nif, f->data, f->len, (uintptr_t)f);
}

void net_test_inject(struct test_link *link, const void *frame, size_t len)
{
    /* Exactly as long as the frame: ASan sees any read past its end. */
    struct test_frame *f = malloc(offsetof(struct test_frame, data) + len);
    assert_non_null(f);
    assert_true(len <= sizeof(f->data));
    memcpy(f->data, frame, len);
    f->len = len;
    deliver(link, f);
}

bool net_test_pump(void)
{
    bool moved = false;
    for (unsigned i = 0; i < MAX_LINKS; i++) {
        struct test_link *l = links[i];
        if (!l)
            continue;
        /* Only what was sent before this turn: what the deliveries provoke waits for the next. */
        struct test_frame *f = l->out_head;
        l->out_head = l->out_tail = NULL;
        while (f) {
            struct test_frame *next = f->next;
            moved = true;
            if (l->tx_credits < l->tx_credits_max)
                l->tx_credits++;     /* the device sent it: its buffer is free again */
            bool pass = !l->tap || l->tap(l, f->data, f->len);
            if (pass && l->peer)
                deliver(l->peer, f);
            else
                free(f);
            f = next;
        }
    }
    for (unsigned i = 0; i < MAX_LINKS; i++)
        if (links[i])
            net_netif_flush(&links[i]->nif);
    sock_poll();
    for (unsigned i = 0; i < MAX_LINKS; i++)
        if (links[i] && links[i]->out_head)
            moved = true;
    return moved;
}

void net_test_settle(void)
{
    for (unsigned i = 0; i < 1000000 && net_test_pump(); i++)
        net_port_timers();
}

bool net_test_run(bool (*done)(void *arg), void *arg, uint32_t max_ms)
{
    uint32_t start = net_test_now;
    /* Frames that never stop at one moment of virtual time would be a bug: give up on it. */
    for (unsigned long turns = 0;; turns++) {
        if (turns == 50000000ul)
            fail_msg("net_test_run: still busy after %lu turns", turns);
        net_port_timers();
        if (net_test_pump())
            continue;
        if (done && done(arg))
            return true;
        uint32_t next = net_port_timers();
        if (net_test_pump())
            continue;
        if (done && done(arg))
            return true;
        if (net_test_now - start >= max_ms)
            return done ? done(arg) : true;
        uint32_t step = next == NET_PORT_NO_TIMER ? max_ms : next ? next : 1;
        if (step > max_ms - (net_test_now - start))
            step = max_ms - (net_test_now - start);
        net_test_now += step ? step : 1;
    }
}

void net_test_advance(uint32_t ms)
{
    net_test_run(NULL, NULL, ms);
}

/* ---- clients ----------------------------------------------------------------------------- */

static bool test_complete(void *ctx, unsigned client, const socket_completion_t *completion, uint64_t tag)
{
    (void)ctx;
    struct test_client *c = client < SOCK_MAX_CLIENTS ? clients[client] : NULL;
    assert_non_null(c);
    if (c->ring_room == 0)
        return false;
    if (c->ring_room != UINT32_MAX)
        c->ring_room--;
    assert_true(c->count < TEST_MAX_COMPLETIONS);
    c->completions[c->count] = *completion;
    c->tags[c->count] = tag;
    c->count++;
    return true;
}

void net_test_init(void)
{
    static bool lwip_started;
    if (!lwip_started) {
        struct net_port_config config = { .clock = test_clock, .random_seed = 12345 };
        net_port_init(&config);
        net_port_set_route(test_route);
        lwip_started = true;
    }
    static const struct sock_transport transport = { .complete = test_complete };
    sock_init(&transport);
}

struct test_client *test_client_new(unsigned id, size_t region_size, unsigned quota)
{
    struct test_client *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->id = id;
    c->region = calloc(1, region_size);
    assert_non_null(c->region);
    c->region_size = region_size;
    c->ring_room = UINT32_MAX;
    c->next_tag = 0x1000;
    assert_null(clients[id]);
    clients[id] = c;
    assert_true(sock_client_add(id, c->region, region_size, quota));
    return c;
}

void test_client_free(struct test_client *c)
{
    if (!c)
        return;
    sock_client_remove(c->id);
    assert_int_equal(sock_client_in_flight(c->id), 0);
    clients[c->id] = NULL;
    free(c->region);
    free(c);
}

uint64_t tc_submit(struct test_client *c, socket_request_t request)
{
    uint64_t tag = c->next_tag++;
    assert_true(sock_submit(c->id, &request, tag));
    return tag;
}

static int find_tag(const struct test_client *c, uint64_t tag)
{
    for (unsigned i = 0; i < c->count; i++)
        if (c->tags[i] == tag)
            return (int)i;
    return -1;
}

bool tc_has(const struct test_client *c, uint64_t tag)
{
    return find_tag(c, tag) >= 0;
}

bool tc_take(struct test_client *c, uint64_t tag, socket_completion_t *completion)
{
    int i = find_tag(c, tag);
    if (i < 0)
        return false;
    if (completion)
        *completion = c->completions[i];
    memmove(&c->completions[i], &c->completions[i + 1], (c->count - (unsigned)i - 1) * sizeof(c->completions[0]));
    memmove(&c->tags[i], &c->tags[i + 1], (c->count - (unsigned)i - 1) * sizeof(c->tags[0]));
    c->count--;
    return true;
}

struct wait_for {
    struct test_client *c;
    uint64_t tag;
};

static bool tag_arrived(void *arg)
{
    struct wait_for *w = arg;
    return tc_has(w->c, w->tag);
}

socket_completion_t tc_wait(struct test_client *c, uint64_t tag)
{
    struct wait_for w = { c, tag };
    if (!net_test_run(tag_arrived, &w, 10 * 60 * 1000))
        fail_msg("client %u: no completion for tag %#llx within 10 virtual minutes", c->id, (unsigned long long)tag);
    socket_completion_t completion;
    assert_true(tc_take(c, tag, &completion));
    return completion;
}

socket_completion_t tc_call(struct test_client *c, socket_request_t request)
{
    return tc_wait(c, tc_submit(c, request));
}

uint32_t tc_listen(struct test_client *c, uint32_t addr, uint16_t port, unsigned backlog)
{
    socket_completion_t done = tc_call(c, (socket_request_t){
        .op = SOCKET_OP_TCP_LISTEN, .addr = addr, .port = port, .length = backlog });
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    assert_int_equal(done.op, SOCKET_OP_TCP_LISTEN);
    return done.socket;
}

uint32_t tc_connect(struct test_client *c, uint32_t addr, uint16_t port)
{
    socket_completion_t done = tc_call(c, (socket_request_t){ .op = SOCKET_OP_TCP_CONNECT, .addr = addr, .port = port });
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    assert_int_equal(done.addr, addr);
    assert_int_equal(done.port, port);
    return done.socket;
}

uint32_t tc_accept(struct test_client *c, uint32_t listener)
{
    socket_completion_t done = tc_call(c, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = listener });
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    return done.socket;
}

uint32_t tc_udp_bind(struct test_client *c, uint32_t addr, uint16_t port)
{
    socket_completion_t done = tc_call(c, (socket_request_t){ .op = SOCKET_OP_UDP_BIND, .addr = addr, .port = port });
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    return done.socket;
}

void tc_close(struct test_client *c, uint32_t socket)
{
    socket_completion_t done = tc_call(c, (socket_request_t){ .op = SOCKET_OP_CLOSE, .socket = socket });
    assert_int_equal(done.status, SOCKET_STATUS_OK);
}

socket_request_t req_send(uint32_t socket, uint32_t offset, uint32_t length, uint16_t flags)
{
    return (socket_request_t){ .op = SOCKET_OP_SEND, .socket = socket, .offset = offset, .length = length,
                               .flags = flags };
}

socket_request_t req_recv(uint32_t socket, uint32_t offset, uint32_t length)
{
    return (socket_request_t){ .op = SOCKET_OP_RECV, .socket = socket, .offset = offset, .length = length };
}

/* ---- data and counters ------------------------------------------------------------------- */

static uint8_t pattern_byte(uint32_t seed, size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u ^ seed;
    x ^= x >> 15;
    return (uint8_t)(x ^ (x >> 8));
}

void fill_pattern(uint8_t *p, size_t len, uint32_t seed, size_t start)
{
    for (size_t i = 0; i < len; i++)
        p[i] = pattern_byte(seed, start + i);
}

bool check_pattern(const uint8_t *p, size_t len, uint32_t seed, size_t start)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != pattern_byte(seed, start + i))
            return false;
    return true;
}

unsigned net_test_tcp_pcbs_used(void)
{
    return lwip_stats.memp[MEMP_TCP_PCB]->used;
}

unsigned net_test_pool_pbufs_used(void)
{
    return lwip_stats.memp[MEMP_PBUF_POOL]->used;
}

uint16_t inet_checksum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}
