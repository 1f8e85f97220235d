/*
 * The socket layer (components/net/sock) over lwIP, two interfaces of one
 * stack joined by a fake wire (net_test.h): every connection's frames go
 * over the wire, through ARP, checksums and the netif's zero-copy receive.
 * Client 0 is usually the server (on B, 10.0.0.2), client 1 the client
 * (on A, 10.0.0.1), client 2 an intruder.  Every case ends with all
 * sockets, PCBs, pool pbufs and received frames given back.
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
#define B_ADDR IP4(10, 0, 0, 2)
#define MiB (1024u * 1024u)

static struct test_link link_a, link_b;
static struct test_client *srv, *cli, *intruder;

static int group_setup(void **state)
{
    (void)state;
    net_test_init();
    net_test_link_add(&link_a, "ea", 1, A_ADDR, 0, false);
    net_test_link_add(&link_b, "eb", 2, B_ADDR, 0, false);
    net_test_connect(&link_a, &link_b);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    net_test_init();        /* the socket layer afresh; lwIP stays */
    srv = test_client_new(0, 4 * MiB, 2048);
    cli = test_client_new(1, 4 * MiB, 2048);
    intruder = test_client_new(2, 4096, 64);
    return 0;
}

/* Everything must come back: sockets, pending requests, PCBs (after TIME_WAIT), buffers. */
static int teardown(void **state)
{
    (void)state;
    test_client_free(srv);
    test_client_free(cli);
    test_client_free(intruder);
    srv = cli = intruder = NULL;
    net_test_advance(5 * 60 * 1000);
    assert_int_equal(sock_stats().sockets, 0);
    assert_int_equal(sock_stats().pending, 0);
    assert_int_equal(sock_stats().kept_completions, 0);
    assert_int_equal(net_test_tcp_pcbs_used(), 0);
    assert_int_equal(net_test_pool_pbufs_used(), 0);
    assert_int_equal(link_a.rx_outstanding, 0);
    assert_int_equal(link_b.rx_outstanding, 0);
    return 0;
}

/* A connected pair: client's socket on A, server's on B (port 80). */
static void connect_pair(uint32_t *client_socket, uint32_t *server_socket, uint32_t *listener)
{
    uint32_t l = tc_listen(srv, B_ADDR, 80, 0);
    uint64_t accept = tc_submit(srv, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = l });
    *client_socket = tc_connect(cli, B_ADDR, 80);
    socket_completion_t accepted = tc_wait(srv, accept);
    assert_int_equal(accepted.status, SOCKET_STATUS_OK);
    *server_socket = accepted.socket;
    if (listener)
        *listener = l;
    else
        tc_close(srv, l);
}

/* ---- connecting ------------------------------------------------------------------------- */

static void listen_accept_connect_exchange(void **state)
{
    (void)state;
    socket_completion_t listened = tc_call(srv, (socket_request_t){
        .op = SOCKET_OP_TCP_LISTEN, .addr = B_ADDR, .port = 80 });
    assert_int_equal(listened.status, SOCKET_STATUS_OK);
    assert_int_equal(listened.addr, B_ADDR);
    assert_int_equal(listened.port, 80);
    uint32_t l = listened.socket;

    uint64_t accept = tc_submit(srv, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = l });
    net_test_settle();
    assert_false(tc_has(srv, accept));      /* nobody has connected yet */

    socket_completion_t connected = tc_call(cli, (socket_request_t){
        .op = SOCKET_OP_TCP_CONNECT, .addr = B_ADDR, .port = 80 });
    assert_int_equal(connected.status, SOCKET_STATUS_OK);
    assert_int_equal(connected.op, SOCKET_OP_TCP_CONNECT);
    assert_int_equal(connected.addr, B_ADDR);
    assert_int_equal(connected.port, 80);
    socket_completion_t accepted = tc_wait(srv, accept);
    assert_int_equal(accepted.status, SOCKET_STATUS_OK);
    assert_int_equal(accepted.op, SOCKET_OP_TCP_ACCEPT);
    assert_int_equal(accepted.addr, A_ADDR);
    assert_true(accepted.port != 0 && accepted.port != 80);
    assert_true(accepted.socket != l && accepted.socket != 0);

    memcpy(cli->region + 100, "ping", 4);
    socket_completion_t sent = tc_call(cli, req_send(connected.socket, 100, 4, 0));
    assert_int_equal(sent.status, SOCKET_STATUS_OK);
    assert_int_equal(sent.result, 4);
    assert_int_equal(sent.socket, connected.socket);
    socket_completion_t got = tc_call(srv, req_recv(accepted.socket, 2000, 100));
    assert_int_equal(got.status, SOCKET_STATUS_OK);
    assert_int_equal(got.result, 4);
    assert_memory_equal(srv->region + 2000, "ping", 4);

    memcpy(srv->region, "pong!", 5);
    assert_int_equal(tc_call(srv, req_send(accepted.socket, 0, 5, 0)).result, 5);
    got = tc_call(cli, req_recv(connected.socket, 0, 3));       /* a recv takes at most its length */
    assert_int_equal(got.result, 3);
    assert_memory_equal(cli->region, "pon", 3);
    got = tc_call(cli, req_recv(connected.socket, 10, 100));
    assert_int_equal(got.result, 2);
    assert_memory_equal(cli->region + 10, "g!", 2);

    tc_close(cli, connected.socket);
    tc_close(srv, accepted.socket);
    tc_close(srv, l);
}

static void listen_on_port_zero_gets_a_port(void **state)
{
    (void)state;
    socket_completion_t listened = tc_call(srv, (socket_request_t){ .op = SOCKET_OP_TCP_LISTEN });
    assert_int_equal(listened.status, SOCKET_STATUS_OK);
    assert_true(listened.port != 0);
    assert_int_equal(listened.addr, 0);
    uint64_t accept = tc_submit(srv, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = listened.socket });
    uint32_t c = tc_connect(cli, B_ADDR, listened.port);
    assert_int_equal(tc_wait(srv, accept).status, SOCKET_STATUS_OK);
    tc_close(cli, c);
    tc_close(srv, listened.socket);     /* the accepted connection goes with the client's removal */
}

static void connect_refused_when_nobody_listens(void **state)
{
    (void)state;
    socket_completion_t done = tc_call(cli, (socket_request_t){ .op = SOCKET_OP_TCP_CONNECT, .addr = B_ADDR, .port = 81 });
    assert_int_equal(done.status, SOCKET_STATUS_REFUSED);
    assert_int_equal(done.op, SOCKET_OP_TCP_CONNECT);
    assert_int_equal(sock_stats().sockets, 0);
}

static void connect_times_out_when_nobody_answers(void **state)
{
    (void)state;
    uint32_t start = net_test_now;
    socket_completion_t done = tc_call(cli, (socket_request_t){
        .op = SOCKET_OP_TCP_CONNECT, .addr = IP4(10, 0, 0, 99), .port = 80 });
    assert_int_equal(done.status, SOCKET_STATUS_TIMED_OUT);
    assert_true(net_test_now - start >= 10 * 1000);     /* after lwIP's SYN retries, not at once */
    assert_int_equal(sock_stats().sockets, 0);
}

static void connect_unreachable_without_a_route(void **state)
{
    (void)state;
    socket_completion_t done = tc_call(cli, (socket_request_t){
        .op = SOCKET_OP_TCP_CONNECT, .addr = IP4(192, 168, 7, 7), .port = 80 });
    assert_int_equal(done.status, SOCKET_STATUS_UNREACHABLE);
    assert_int_equal(sock_stats().sockets, 0);
}

/* ---- moving data ------------------------------------------------------------------------ */

struct reader {
    struct test_client *c;
    uint32_t socket;
    uint32_t seed;
    size_t base;            /* where in the region the data lands */
    size_t received, want;
    uint64_t tag;
    bool waiting;
};

/* Keep one recv of `chunk` bytes outstanding; check what each one brings. */
static void reader_step(struct reader *r, uint32_t chunk)
{
    socket_completion_t done;
    if (r->waiting && tc_take(r->c, r->tag, &done)) {
        r->waiting = false;
        assert_int_equal(done.status, SOCKET_STATUS_OK);
        assert_true(done.result > 0 && done.result <= chunk);
        assert_true(check_pattern(r->c->region + r->base + r->received, done.result, r->seed, r->received));
        r->received += done.result;
    }
    if (!r->waiting && r->received < r->want) {
        uint32_t n = r->want - r->received < chunk ? (uint32_t)(r->want - r->received) : chunk;
        r->tag = tc_submit(r->c, req_recv(r->socket, (uint32_t)(r->base + r->received), n));
        r->waiting = true;
    }
}

/* Its recv came back, or it has everything. */
static bool reader_ready(void *arg)
{
    struct reader *r = arg;
    return r->waiting ? tc_has(r->c, r->tag) : true;
}

/* Read everything one reader wants, a chunk at a time. */
static void read_all(struct reader *r)
{
    while (r->received < r->want) {
        reader_step(r, 16384);
        assert_true(net_test_run(reader_ready, r, 60 * 1000));
    }
    reader_step(r, 16384);
}

/*
 * A megabyte each way at once.  The client does not read at first: the
 * server's send stays incomplete (its data waits in the server's socket
 * and lwIP, the client's window is shut), while the client's megabyte
 * reaches the server, which reads all along.  Then the client reads too,
 * and the server's send completes.  (Only one side stops reading at a
 * time: lwIP 2.1.3 answers every pure ACK with an ACK while its window is
 * zero, so two lwIP ends that both have shut windows would ACK each other
 * for ever; components/net/README.md.)
 */
static void bulk_both_ways_larger_than_the_window(void **state)
{
    (void)state;
    const size_t size = MiB;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    fill_pattern(cli->region, size, 1, 0);
    fill_pattern(srv->region, size, 2, 0);
    uint64_t client_send = tc_submit(cli, req_send(c, 0, (uint32_t)size, 0));
    uint64_t server_send = tc_submit(srv, req_send(s, 0, (uint32_t)size, 0));

    struct reader server_reads = { .c = srv, .socket = s, .seed = 1, .base = 2 * MiB, .want = size };
    struct reader client_reads = { .c = cli, .socket = c, .seed = 2, .base = 2 * MiB, .want = size };
    read_all(&server_reads);
    socket_completion_t done = tc_wait(cli, client_send);
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    assert_int_equal(done.result, size);

    /* The client has read nothing: at most its window is buffered on its side, at most the send
     * buffer in lwIP on the server's, so the server's megabyte is still on its way. */
    net_test_advance(30 * 1000);
    assert_false(tc_has(srv, server_send));
    assert_true(TCP_SND_BUF + TCP_WND < size);

    read_all(&client_reads);
    done = tc_wait(srv, server_send);
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    assert_int_equal(done.result, size);
    tc_close(cli, c);
    tc_close(srv, s);
}

static void partial_send_answers_with_what_fit(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    const uint32_t big = 200 * 1000;
    socket_completion_t first = tc_call(cli, req_send(c, 0, big, SOCKET_SEND_PARTIAL));
    assert_int_equal(first.status, SOCKET_STATUS_OK);
    assert_true(first.result > 0 && first.result < big);

    /* Keep sending partially until the receiver's window and our buffer are full: then a
     * partial send waits for room instead of answering 0. */
    uint32_t total = first.result;
    uint64_t waiting = 0;
    for (int i = 0; i < 20 && !waiting; i++) {
        uint64_t tag = tc_submit(cli, req_send(c, 0, big, SOCKET_SEND_PARTIAL));
        net_test_advance(2000);
        socket_completion_t done;
        if (tc_take(cli, tag, &done)) {
            assert_int_equal(done.status, SOCKET_STATUS_OK);
            assert_true(done.result > 0);
            total += done.result;
        } else {
            waiting = tag;
        }
    }
    assert_true(waiting != 0);
    assert_true(total <= TCP_WND + TCP_SND_BUF);
    assert_true(total >= TCP_WND);

    /* The server reads: room comes, the waiting send answers with what it got in. */
    socket_completion_t got = tc_call(srv, req_recv(s, 0, 65536));
    assert_true(got.result > 0);
    socket_completion_t done = tc_wait(cli, waiting);
    assert_int_equal(done.status, SOCKET_STATUS_OK);
    assert_true(done.result > 0 && done.result < big);
    tc_close(cli, c);
    tc_close(srv, s);
}

/* ---- many connections ------------------------------------------------------------------- */

#define MANY 300
#define SLOT 64

static void hundreds_of_concurrent_connections(void **state)
{
    (void)state;
    uint32_t l = tc_listen(srv, B_ADDR, 8080, 0);
    static uint64_t accepts[MANY], connects[MANY];
    static uint32_t server_side[MANY], client_side[MANY];
    for (int i = 0; i < MANY; i++)
        accepts[i] = tc_submit(srv, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = l });
    for (int i = 0; i < MANY; i++)
        connects[i] = tc_submit(cli, (socket_request_t){ .op = SOCKET_OP_TCP_CONNECT, .addr = B_ADDR, .port = 8080 });
    for (int i = 0; i < MANY; i++) {
        socket_completion_t done = tc_wait(cli, connects[i]);
        assert_int_equal(done.status, SOCKET_STATUS_OK);
        client_side[i] = done.socket;
    }
    for (int i = 0; i < MANY; i++) {
        socket_completion_t done = tc_wait(srv, accepts[i]);
        assert_int_equal(done.status, SOCKET_STATUS_OK);
        server_side[i] = done.socket;
    }
    assert_int_equal(sock_stats().sockets, 1 + 2 * MANY);

    /* Every client connection sends its own message; the server echoes what each brings. */
    static uint64_t recvs[MANY];
    for (int i = 0; i < MANY; i++)
        recvs[i] = tc_submit(srv, req_recv(server_side[i], (uint32_t)(i * SLOT), SLOT));
    for (int i = 0; i < MANY; i++) {
        uint8_t *slot = cli->region + i * SLOT;
        fill_pattern(slot, SLOT, 7, (size_t)i * SLOT);
        snprintf((char *)slot, SLOT, "connection %d", i);
        tc_submit(cli, req_send(client_side[i], (uint32_t)(i * SLOT), SLOT, 0));
    }
    for (int i = 0; i < MANY; i++) {
        socket_completion_t done = tc_wait(srv, recvs[i]);
        assert_int_equal(done.status, SOCKET_STATUS_OK);
        /* A segment of 64 bytes comes whole. */
        assert_int_equal(done.result, SLOT);
        tc_submit(srv, req_send(server_side[i], (uint32_t)(i * SLOT), SLOT, 0));
    }
    static uint64_t echoes[MANY];
    for (int i = 0; i < MANY; i++)
        echoes[i] = tc_submit(cli, req_recv(client_side[i], (uint32_t)(MiB + i * SLOT), SLOT));
    for (int i = 0; i < MANY; i++) {
        socket_completion_t done = tc_wait(cli, echoes[i]);
        assert_int_equal(done.status, SOCKET_STATUS_OK);
        assert_int_equal(done.result, SLOT);
        assert_memory_equal(cli->region + MiB + i * SLOT, cli->region + i * SLOT, SLOT);
    }
    /* The sends' completions came too (taken in any order). */
    for (int i = 0; i < MANY; i++)
        tc_close(cli, client_side[i]);
    for (int i = 0; i < MANY; i++) {
        socket_completion_t end = tc_call(srv, req_recv(server_side[i], 0, SLOT));
        assert_int_equal(end.status, SOCKET_STATUS_OK);
        assert_int_equal(end.result, 0);      /* the client's FIN */
        tc_close(srv, server_side[i]);
    }
    tc_close(srv, l);
    assert_int_equal(sock_stats().sockets, 0);
}

static void thousands_opened_and_dropped(void **state)
{
    (void)state;
    uint32_t l = tc_listen(srv, B_ADDR, 9000, 0);
    for (int i = 0; i < 1500; i++) {
        uint64_t accept = tc_submit(srv, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = l });
        uint32_t c = tc_connect(cli, B_ADDR, 9000);
        socket_completion_t accepted = tc_wait(srv, accept);
        assert_int_equal(accepted.status, SOCKET_STATUS_OK);
        tc_close(cli, c);
        tc_close(srv, accepted.socket);
        /* Drain the completions of nothing else: both sides hold no socket now. */
        assert_int_equal(sock_stats().sockets, 1);
    }
    tc_close(srv, l);
}

/* ---- shutdown and close ----------------------------------------------------------------- */

static void shutdown_write_is_a_half_close(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    fill_pattern(cli->region, 1000, 3, 0);
    uint64_t send = tc_submit(cli, req_send(c, 0, 1000, 0));
    uint64_t shut = tc_submit(cli, (socket_request_t){ .op = SOCKET_OP_SHUTDOWN, .socket = c, .flags = SOCKET_SHUT_WRITE });
    assert_int_equal(tc_wait(cli, send).result, 1000);
    assert_int_equal(tc_wait(cli, shut).status, SOCKET_STATUS_OK);

    /* The data before the FIN, then the end, for every recv after it. */
    socket_completion_t got = tc_call(srv, req_recv(s, 0, 4096));
    assert_int_equal(got.result, 1000);
    assert_true(check_pattern(srv->region, 1000, 3, 0));
    assert_int_equal(tc_call(srv, req_recv(s, 0, 4096)).result, 0);
    got = tc_call(srv, req_recv(s, 0, 4096));
    assert_int_equal(got.status, SOCKET_STATUS_OK);
    assert_int_equal(got.result, 0);

    /* No sends after shutting down; the other direction still works. */
    assert_int_equal(tc_call(cli, req_send(c, 0, 10, 0)).status, SOCKET_STATUS_SHUT_DOWN);
    memcpy(srv->region, "still here", 10);
    assert_int_equal(tc_call(srv, req_send(s, 0, 10, 0)).result, 10);
    got = tc_call(cli, req_recv(c, 100, 100));
    assert_int_equal(got.result, 10);
    assert_memory_equal(cli->region + 100, "still here", 10);

    /* The server finishes too: the client sees the end; both sockets stay valid until closed. */
    assert_int_equal(tc_call(srv, (socket_request_t){ .op = SOCKET_OP_SHUTDOWN, .socket = s,
                                                      .flags = SOCKET_SHUT_WRITE }).status, SOCKET_STATUS_OK);
    assert_int_equal(tc_call(cli, req_recv(c, 0, 100)).result, 0);
    net_test_advance(5 * 60 * 1000);       /* lwIP ends the connection (TIME_WAIT) meanwhile */
    assert_int_equal(tc_call(cli, req_recv(c, 0, 100)).result, 0);
    assert_int_equal(tc_call(srv, req_send(s, 0, 1, 0)).status, SOCKET_STATUS_SHUT_DOWN);
    tc_close(cli, c);
    tc_close(srv, s);
}

static void shutdown_read_ends_receiving(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    uint64_t waiting = tc_submit(srv, req_recv(s, 0, 100));
    assert_int_equal(tc_call(srv, (socket_request_t){ .op = SOCKET_OP_SHUTDOWN, .socket = s,
                                                      .flags = SOCKET_SHUT_READ }).status, SOCKET_STATUS_OK);
    socket_completion_t got = tc_wait(srv, waiting);
    assert_int_equal(got.status, SOCKET_STATUS_OK);
    assert_int_equal(got.result, 0);
    /* What the client sends now is taken and dropped; its send completes, the window stays open. */
    assert_int_equal(tc_call(cli, req_send(c, 0, 100000, 0)).result, 100000);
    net_test_advance(1000);
    assert_int_equal(tc_call(srv, req_recv(s, 0, 100)).result, 0);
    tc_close(cli, c);
    tc_close(srv, s);
}

static void close_cancels_what_waits_and_the_peer_sees_a_reset(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    uint64_t waiting = tc_submit(srv, req_recv(s, 0, 100));
    tc_close(srv, s);
    socket_completion_t cancelled = tc_wait(srv, waiting);
    assert_int_equal(cancelled.status, SOCKET_STATUS_CANCELLED);
    assert_int_equal(cancelled.op, SOCKET_OP_RECV);
    assert_int_equal(cancelled.socket, s);
    /* The old id names nothing now, even once its slot is used again. */
    assert_int_equal(tc_call(srv, req_recv(s, 0, 100)).status, SOCKET_STATUS_BAD_SOCKET);
    uint32_t u = tc_udp_bind(srv, 0, 0);
    assert_true(u != s);
    assert_int_equal(tc_call(srv, req_recv(s, 0, 100)).status, SOCKET_STATUS_BAD_SOCKET);
    tc_close(srv, u);

    /* The client's data reaches a closed connection: it is reset, and the send that waited
     * completes with the error and the bytes it got in. */
    uint64_t send = tc_submit(cli, req_send(c, 0, MiB, 0));
    socket_completion_t done = tc_wait(cli, send);
    assert_int_equal(done.status, SOCKET_STATUS_RESET);
    assert_true(done.result < MiB);
    assert_int_equal(tc_call(cli, req_recv(c, 0, 100)).status, SOCKET_STATUS_RESET);
    tc_close(cli, c);
}

static void close_with_a_send_waiting_cancels_it(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    uint64_t send = tc_submit(cli, req_send(c, 0, MiB, 0));
    net_test_advance(1000);
    assert_false(tc_has(cli, send));
    tc_close(cli, c);
    socket_completion_t done = tc_wait(cli, send);
    assert_int_equal(done.status, SOCKET_STATUS_CANCELLED);
    assert_true(done.result > 0 && done.result < MiB);
    tc_close(srv, s);
}

static void close_with_reset(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    uint64_t waiting = tc_submit(srv, req_recv(s, 0, 100));
    assert_int_equal(tc_call(cli, (socket_request_t){ .op = SOCKET_OP_CLOSE, .socket = c,
                                                      .flags = SOCKET_CLOSE_RESET }).status, SOCKET_STATUS_OK);
    assert_int_equal(tc_wait(srv, waiting).status, SOCKET_STATUS_RESET);
    assert_int_equal(tc_call(srv, req_send(s, 0, 10, 0)).status, SOCKET_STATUS_RESET);
    tc_close(srv, s);
}

static void closing_a_listener_resets_what_was_not_accepted(void **state)
{
    (void)state;
    uint32_t l = tc_listen(srv, B_ADDR, 80, 4);
    uint32_t c[3];
    for (int i = 0; i < 3; i++)
        c[i] = tc_connect(cli, B_ADDR, 80);
    net_test_settle();
    assert_int_equal(sock_stats().sockets, 1 + 3 + 3);
    uint64_t waits[3];
    for (int i = 0; i < 3; i++)
        waits[i] = tc_submit(cli, req_recv(c[i], 0, 10));
    tc_close(srv, l);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tc_wait(cli, waits[i]).status, SOCKET_STATUS_RESET);
        tc_close(cli, c[i]);
    }
    assert_int_equal(sock_stats().sockets, 0);
}

static void a_full_backlog_resets_newcomers(void **state)
{
    (void)state;
    uint64_t refused_before = sock_stats().accept_refused;
    uint32_t l = tc_listen(srv, B_ADDR, 80, 2);
    uint32_t c[4];
    uint64_t waits[4];
    for (int i = 0; i < 4; i++) {
        c[i] = tc_connect(cli, B_ADDR, 80);
        waits[i] = tc_submit(cli, req_recv(c[i], 0, 10));
    }
    net_test_settle();
    assert_int_equal(sock_stats().accept_refused - refused_before, 2);
    for (int i = 0; i < 2; i++)
        assert_false(tc_has(cli, waits[i]));
    for (int i = 2; i < 4; i++)
        assert_int_equal(tc_wait(cli, waits[i]).status, SOCKET_STATUS_RESET);
    uint32_t a0 = tc_accept(srv, l), a1 = tc_accept(srv, l);
    memcpy(srv->region, "hi", 2);
    tc_call(srv, req_send(a0, 0, 2, 0));
    assert_int_equal(tc_wait(cli, waits[0]).result, 2);
    tc_close(srv, a0);
    tc_close(srv, a1);
    tc_close(srv, l);
    for (int i = 0; i < 4; i++)
        tc_close(cli, c[i]);
}

/* ---- who may use what ------------------------------------------------------------------- */

static void another_clients_socket_is_a_bad_socket(void **state)
{
    (void)state;
    uint32_t c, s, l;
    connect_pair(&c, &s, &l);
    socket_request_t tries[] = {
        req_send(s, 0, 10, 0), req_recv(s, 0, 10),
        { .op = SOCKET_OP_SHUTDOWN, .socket = s, .flags = SOCKET_SHUT_WRITE },
        { .op = SOCKET_OP_CLOSE, .socket = s },
        { .op = SOCKET_OP_TCP_ACCEPT, .socket = l },
        { .op = SOCKET_OP_CLOSE, .socket = l },
        { .op = SOCKET_OP_UDP_SEND, .socket = s, .addr = A_ADDR, .port = 9, .length = 1 },
    };
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        socket_completion_t done = tc_call(intruder, tries[i]);
        assert_int_equal(done.status, SOCKET_STATUS_BAD_SOCKET);
        assert_int_equal(done.op, tries[i].op);
    }
    /* The owner's socket is untouched. */
    memcpy(srv->region, "mine", 4);
    assert_int_equal(tc_call(srv, req_send(s, 0, 4, 0)).result, 4);
    assert_int_equal(tc_call(cli, req_recv(c, 0, 10)).result, 4);

    /* An accepted connection nobody claimed yet is nobody's to use, whatever id one guesses. */
    uint32_t c2 = tc_connect(cli, B_ADDR, 80);
    net_test_settle();
    for (uint32_t generation = 0; generation < 4; generation++) {
        for (uint32_t index = 0; index < 64; index++) {
            uint32_t id = generation << 16 | index;
            if (id == s || id == l)
                continue;
            assert_int_equal(tc_call(srv, req_recv(id, 0, 1)).status, SOCKET_STATUS_BAD_SOCKET);
        }
    }
    uint32_t s2 = tc_accept(srv, l);
    tc_close(cli, c2);
    tc_close(srv, s2);
    tc_close(cli, c);
    tc_close(srv, s);
    tc_close(srv, l);
}

static void offsets_outside_the_region_are_refused(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    uint32_t size = 4096;       /* the intruder's region; use the intruder as a client with a small one */
    uint32_t l = tc_listen(intruder, A_ADDR, 7000, 0);
    uint64_t accept = tc_submit(intruder, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = l });
    uint32_t peer = tc_connect(srv, A_ADDR, 7000);
    uint32_t small = tc_wait(intruder, accept).socket;

    socket_request_t bad[] = {
        req_send(small, size - 100, 101, 0), req_send(small, 0xffffffffu, 2, 0), req_send(small, size, 1, 0),
        req_send(small, 0, 0xffffffffu, 0), req_recv(small, size - 1, 2), req_recv(small, 0x80000000u, 0x80000000u),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tc_call(intruder, bad[i]).status, SOCKET_STATUS_BAD_REGION);
    uint32_t u = tc_udp_bind(intruder, A_ADDR, 7001);
    assert_int_equal(tc_call(intruder, (socket_request_t){ .op = SOCKET_OP_UDP_SEND, .socket = u, .addr = B_ADDR,
                                                           .port = 7002, .offset = size, .length = 1 }).status,
                     SOCKET_STATUS_BAD_REGION);
    /* Right up to the end is fine. */
    memset(intruder->region + size - 100, 'x', 100);
    assert_int_equal(tc_call(intruder, req_send(small, size - 100, 100, 0)).result, 100);
    assert_int_equal(tc_call(intruder, req_send(small, size, 0, 0)).status, SOCKET_STATUS_OK);
    socket_completion_t got = tc_call(srv, req_recv(peer, 0, 1000));
    assert_int_equal(got.result, 100);
    tc_close(intruder, u);
    tc_close(intruder, small);
    tc_close(intruder, l);
    tc_close(srv, peer);
    tc_close(cli, c);
    tc_close(srv, s);
}

static void malformed_requests_and_wrong_states(void **state)
{
    (void)state;
    uint32_t c, s, l;
    connect_pair(&c, &s, &l);
    uint32_t u = tc_udp_bind(srv, B_ADDR, 5353);
    struct {
        socket_request_t request;
        socket_status_t status;
    } cases[] = {
        { { .op = 99 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = (socket_op_t)-1 }, SOCKET_STATUS_BAD_REQUEST },
        { req_send(s, 0, 10, 0x80), SOCKET_STATUS_BAD_REQUEST },
        { req_recv(s, 0, 0), SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_RECV, .socket = s, .length = 10, .flags = 1 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_SHUTDOWN, .socket = s }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_SHUTDOWN, .socket = s, .flags = 4 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_CLOSE, .socket = s, .flags = 2 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_TCP_LISTEN, .port = 81, .length = 300 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_TCP_LISTEN, .port = 81, .flags = 2 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_TCP_CONNECT, .addr = 0, .port = 80 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_TCP_CONNECT, .addr = B_ADDR, .port = 0 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_UDP_BIND, .flags = 1 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_UDP_SEND, .socket = u, .addr = 0, .port = 9, .length = 1 }, SOCKET_STATUS_BAD_REQUEST },
        { { .op = SOCKET_OP_TCP_ACCEPT, .socket = s }, SOCKET_STATUS_WRONG_STATE },
        { { .op = SOCKET_OP_TCP_ACCEPT, .socket = u }, SOCKET_STATUS_WRONG_STATE },
        { req_send(l, 0, 10, 0), SOCKET_STATUS_WRONG_STATE },
        { req_recv(l, 0, 10), SOCKET_STATUS_WRONG_STATE },
        { req_send(u, 0, 10, 0), SOCKET_STATUS_WRONG_STATE },
        { { .op = SOCKET_OP_SHUTDOWN, .socket = u, .flags = SOCKET_SHUT_READ }, SOCKET_STATUS_WRONG_STATE },
        { { .op = SOCKET_OP_SHUTDOWN, .socket = l, .flags = SOCKET_SHUT_WRITE }, SOCKET_STATUS_WRONG_STATE },
        { { .op = SOCKET_OP_UDP_SEND, .socket = s, .addr = A_ADDR, .port = 9, .length = 1 }, SOCKET_STATUS_WRONG_STATE },
        { { .op = SOCKET_OP_TCP_LISTEN, .addr = B_ADDR, .port = 80 }, SOCKET_STATUS_ADDRESS_IN_USE },
        { { .op = SOCKET_OP_UDP_BIND, .addr = B_ADDR, .port = 5353 }, SOCKET_STATUS_ADDRESS_IN_USE },
        { { .op = SOCKET_OP_SEND, .socket = 0, .length = 1 }, SOCKET_STATUS_BAD_SOCKET },
        { { .op = SOCKET_OP_RECV, .socket = 0xffffffffu, .length = 1 }, SOCKET_STATUS_BAD_SOCKET },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t tag = tc_submit(srv, cases[i].request);
        socket_completion_t done = tc_wait(srv, tag);
        if (done.status != cases[i].status)
            fail_msg("case %zu (op %d): status %d, expected %d", i, (int)cases[i].request.op, (int)done.status,
                     (int)cases[i].status);
        assert_int_equal(done.op, cases[i].request.op);
    }
    /* None of it disturbed the connection. */
    memcpy(cli->region, "ok", 2);
    assert_int_equal(tc_call(cli, req_send(c, 0, 2, 0)).result, 2);
    assert_int_equal(tc_call(srv, req_recv(s, 0, 10)).result, 2);
    tc_close(srv, u);
    tc_close(cli, c);
    tc_close(srv, s);
    tc_close(srv, l);
}

/* ---- UDP -------------------------------------------------------------------------------- */

static socket_request_t req_udp_send(uint32_t socket, uint32_t addr, uint16_t port, uint32_t offset, uint32_t length)
{
    return (socket_request_t){ .op = SOCKET_OP_UDP_SEND, .socket = socket, .addr = addr, .port = port,
                               .offset = offset, .length = length };
}

static void udp_datagrams_both_ways(void **state)
{
    (void)state;
    uint32_t u1 = tc_udp_bind(cli, A_ADDR, 5000);
    socket_completion_t bound = tc_call(srv, (socket_request_t){ .op = SOCKET_OP_UDP_BIND, .addr = B_ADDR, .port = 0 });
    assert_int_equal(bound.status, SOCKET_STATUS_OK);
    assert_int_equal(bound.addr, B_ADDR);
    assert_true(bound.port != 0);
    uint32_t u2 = bound.socket;
    uint16_t port2 = bound.port;

    memcpy(cli->region, "hello", 5);
    socket_completion_t sent = tc_call(cli, req_udp_send(u1, B_ADDR, port2, 0, 5));
    assert_int_equal(sent.status, SOCKET_STATUS_OK);
    assert_int_equal(sent.result, 5);
    socket_completion_t got = tc_call(srv, req_recv(u2, 100, 100));
    assert_int_equal(got.status, SOCKET_STATUS_OK);
    assert_int_equal(got.result, 5);
    assert_int_equal(got.addr, A_ADDR);
    assert_int_equal(got.port, 5000);
    assert_int_equal(got.flags, 0);
    assert_memory_equal(srv->region + 100, "hello", 5);

    /* The largest datagram one frame holds, back; one byte more is too big. */
    fill_pattern(srv->region, SOCK_UDP_MAX_PAYLOAD, 9, 0);
    uint64_t waiting = tc_submit(cli, req_recv(u1, 4096, 2000));
    assert_int_equal(tc_call(srv, req_udp_send(u2, A_ADDR, 5000, 0, SOCK_UDP_MAX_PAYLOAD)).result,
                     SOCK_UDP_MAX_PAYLOAD);
    got = tc_wait(cli, waiting);
    assert_int_equal(got.result, SOCK_UDP_MAX_PAYLOAD);
    assert_int_equal(got.port, port2);
    assert_true(check_pattern(cli->region + 4096, SOCK_UDP_MAX_PAYLOAD, 9, 0));
    assert_int_equal(tc_call(srv, req_udp_send(u2, A_ADDR, 5000, 0, SOCK_UDP_MAX_PAYLOAD + 1)).status,
                     SOCKET_STATUS_TOO_BIG);

    /* A datagram longer than the recv's buffer: what fits, flagged; the rest is gone. */
    assert_int_equal(tc_call(cli, req_udp_send(u1, B_ADDR, port2, 0, 100)).result, 100);
    got = tc_call(srv, req_recv(u2, 0, 10));
    assert_int_equal(got.result, 10);
    assert_int_equal(got.flags, SOCKET_RECV_TRUNCATED);
    /* An empty datagram is a datagram. */
    assert_int_equal(tc_call(cli, req_udp_send(u1, B_ADDR, port2, 0, 0)).status, SOCKET_STATUS_OK);
    got = tc_call(srv, req_recv(u2, 0, 10));
    assert_int_equal(got.status, SOCKET_STATUS_OK);
    assert_int_equal(got.result, 0);
    assert_int_equal(got.addr, A_ADDR);
    tc_close(cli, u1);
    tc_close(srv, u2);
}

static void udp_queue_keeps_some_and_counts_the_rest(void **state)
{
    (void)state;
    uint32_t u1 = tc_udp_bind(cli, A_ADDR, 5000), u2 = tc_udp_bind(srv, B_ADDR, 6000);
    uint64_t dropped_before = sock_stats().udp_dropped;
    for (int i = 0; i < SOCK_UDP_QUEUE + 4; i++) {
        cli->region[i] = (uint8_t)i;
        assert_int_equal(tc_call(cli, req_udp_send(u1, B_ADDR, 6000, (uint32_t)i, 1)).result, 1);
    }
    net_test_settle();
    assert_int_equal(sock_stats().udp_dropped - dropped_before, 4);
    uint64_t recvs[SOCK_UDP_QUEUE + 2];
    for (int i = 0; i < SOCK_UDP_QUEUE + 2; i++)
        recvs[i] = tc_submit(srv, req_recv(u2, (uint32_t)(100 + i), 1));
    for (int i = 0; i < SOCK_UDP_QUEUE; i++) {
        socket_completion_t got = tc_wait(srv, recvs[i]);
        assert_int_equal(got.result, 1);
        assert_int_equal(srv->region[100 + i], i);     /* in the order they came */
    }
    net_test_settle();
    assert_false(tc_has(srv, recvs[SOCK_UDP_QUEUE]));
    tc_close(srv, u2);
    assert_int_equal(tc_wait(srv, recvs[SOCK_UDP_QUEUE]).status, SOCKET_STATUS_CANCELLED);
    assert_int_equal(tc_wait(srv, recvs[SOCK_UDP_QUEUE + 1]).status, SOCKET_STATUS_CANCELLED);
    tc_close(cli, u1);
}

/* ---- flow control of requests and completions ------------------------------------------- */

static void completions_wait_for_room_in_order(void **state)
{
    (void)state;
    struct test_client *small = test_client_new(3, 4096, 3);
    small->ring_room = 0;
    uint64_t tags[3];
    for (int i = 0; i < 3; i++)
        tags[i] = tc_submit(small, (socket_request_t){ .op = SOCKET_OP_UDP_BIND });
    /* All three completed, none fit: they count against the quota, and the fourth must wait. */
    assert_int_equal(sock_stats().kept_completions, 3);
    assert_int_equal(sock_client_in_flight(3), 3);
    assert_false(sock_client_can_submit(3));
    socket_request_t fourth = { .op = SOCKET_OP_UDP_BIND };
    assert_false(sock_submit(3, &fourth, 99));
    sock_poll();
    assert_int_equal(small->count, 0);
    small->ring_room = 2;
    sock_poll();
    assert_int_equal(small->count, 2);
    assert_true(small->tags[0] == tags[0] && small->tags[1] == tags[1]);
    assert_int_equal(sock_client_in_flight(3), 1);     /* the third is still kept */
    assert_true(sock_client_can_submit(3));
    small->ring_room = UINT32_MAX;
    sock_poll();
    assert_int_equal(small->count, 3);
    assert_true(small->tags[2] == tags[2]);
    assert_true(sock_client_can_submit(3));
    assert_int_equal(sock_stats().kept_completions, 0);
    for (int i = 0; i < 3; i++) {
        socket_completion_t done;
        assert_true(tc_take(small, tags[i], &done));
        assert_int_equal(done.status, SOCKET_STATUS_OK);
        tc_close(small, done.socket);
    }
    test_client_free(small);
}

static void a_completion_that_comes_later_waits_too(void **state)
{
    (void)state;
    uint32_t c, s;
    connect_pair(&c, &s, NULL);
    uint64_t waiting = tc_submit(srv, req_recv(s, 0, 100));
    srv->ring_room = 0;
    memcpy(cli->region, "late", 4);
    tc_call(cli, req_send(c, 0, 4, 0));
    net_test_settle();
    assert_false(tc_has(srv, waiting));
    assert_int_equal(sock_stats().kept_completions, 1);
    srv->ring_room = UINT32_MAX;
    socket_completion_t got = tc_wait(srv, waiting);
    assert_int_equal(got.result, 4);
    assert_memory_equal(srv->region, "late", 4);
    tc_close(cli, c);
    tc_close(srv, s);
}

static void a_removed_client_resets_its_connections(void **state)
{
    (void)state;
    uint32_t l = tc_listen(srv, B_ADDR, 80, 0);
    uint32_t c[3];
    uint64_t waits[3];
    for (int i = 0; i < 3; i++)
        c[i] = tc_connect(cli, B_ADDR, 80);
    tc_accept(srv, l);
    tc_accept(srv, l);          /* the third stays unclaimed */
    tc_submit(srv, (socket_request_t){ .op = SOCKET_OP_TCP_ACCEPT, .socket = l });
    for (int i = 0; i < 3; i++)
        waits[i] = tc_submit(cli, req_recv(c[i], 0, 10));
    net_test_settle();
    test_client_free(srv);
    srv = NULL;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tc_wait(cli, waits[i]).status, SOCKET_STATUS_RESET);
        tc_close(cli, c[i]);
    }
    assert_int_equal(sock_stats().sockets, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        CASE(listen_accept_connect_exchange),
        CASE(listen_on_port_zero_gets_a_port),
        CASE(connect_refused_when_nobody_listens),
        CASE(connect_times_out_when_nobody_answers),
        CASE(connect_unreachable_without_a_route),
        CASE(bulk_both_ways_larger_than_the_window),
        CASE(partial_send_answers_with_what_fit),
        CASE(hundreds_of_concurrent_connections),
        CASE(thousands_opened_and_dropped),
        CASE(shutdown_write_is_a_half_close),
        CASE(shutdown_read_ends_receiving),
        CASE(close_cancels_what_waits_and_the_peer_sees_a_reset),
        CASE(close_with_a_send_waiting_cancels_it),
        CASE(close_with_reset),
        CASE(closing_a_listener_resets_what_was_not_accepted),
        CASE(a_full_backlog_resets_newcomers),
        CASE(another_clients_socket_is_a_bad_socket),
        CASE(offsets_outside_the_region_are_refused),
        CASE(malformed_requests_and_wrong_states),
        CASE(udp_datagrams_both_ways),
        CASE(udp_queue_keeps_some_and_counts_the_rest),
        CASE(completions_wait_for_room_in_order),
        CASE(a_completion_that_comes_later_waits_too),
        CASE(a_removed_client_resets_its_connections),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
