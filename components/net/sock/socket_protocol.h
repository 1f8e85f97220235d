/*
 * The socket protocol between the net component and its clients: the
 * message structs of idl/socket.yaml, as codegen declares them for the
 * ring (the same names, the same guards, so this header and a generated
 * <component.h> can be included together; the host test test_net_idl
 * checks that both agree field by field), and the flags the idl can only
 * name as numbers.
 *
 * A client has a submission ring of socket_request_t, a completion ring
 * of socket_completion_t, and a data region (shared memory) that requests
 * name by offset and length.  Each request carries a 64-bit tag in its
 * ring slot; it gets exactly one completion with the same tag.  Sockets
 * are 32-bit ids that the net component hands out; a client can use only
 * its own (any other id, another client's included, is bad_socket).
 *
 * A client that lies gets errors, never another's data or memory outside
 * its region: every offset + length is checked against the region (in 64
 * bits), every id against the owner, every op and flag against the op's
 * list; data is copied between lwIP and the region while the request is
 * served, so a client that changes its region meanwhile spoils only its
 * own bytes.  The hostile-client tests: test_net_sock's
 * another_clients_socket_is_a_bad_socket, offsets_outside_the_region_are_refused,
 * malformed_requests_and_wrong_states, completions_wait_for_room_in_order.
 *
 *   op            request fields used                 completes                     completion
 *   tcp_listen    addr, port, length = backlog, flags at once                       socket = new listener, addr/port bound
 *   tcp_accept    socket (a listener)                 when a connection arrives     socket = new connection, addr/port peer
 *   tcp_connect   addr, port, flags                   connected, refused, timed out socket = new connection, addr/port peer
 *   send          socket, offset, length, flags       all queued (or, with PARTIAL, result = bytes taken into the stack
 *                                                     some), or the connection ends
 *   recv          socket, offset, length              data is there, or end, error  result = bytes (0: end of stream);
 *                                                                                   UDP: one datagram, addr/port sender
 *   shutdown      socket, flags = READ | WRITE        at once (write: after the     -
 *                                                     sends queued before it)
 *   close         socket, flags = RESET               at once; every pending        -
 *                                                     request on it ends cancelled
 *   udp_bind      addr, port                          at once                       socket = new, addr/port bound
 *   udp_send      socket, addr, port, offset, length  at once                       result = bytes (the whole datagram)
 */
#ifndef NET_SOCKET_PROTOCOL_H
#define NET_SOCKET_PROTOCOL_H

#include <stdint.h>

#ifndef GLUE_TYPE_SOCKET_OP_T
#define GLUE_TYPE_SOCKET_OP_T
typedef enum {
    SOCKET_OP_TCP_LISTEN, SOCKET_OP_TCP_ACCEPT, SOCKET_OP_TCP_CONNECT, SOCKET_OP_SEND, SOCKET_OP_RECV,
    SOCKET_OP_SHUTDOWN, SOCKET_OP_CLOSE, SOCKET_OP_UDP_BIND, SOCKET_OP_UDP_SEND
} socket_op_t;
#endif

#ifndef GLUE_TYPE_SOCKET_STATUS_T
#define GLUE_TYPE_SOCKET_STATUS_T
typedef enum {
    SOCKET_STATUS_OK,
    /* What is wrong with the request: */
    SOCKET_STATUS_BAD_REQUEST,      /* unknown op, flags the op does not have, a zero length */
    SOCKET_STATUS_BAD_SOCKET,       /* no socket of this client has that id (closed, never was, another's) */
    SOCKET_STATUS_BAD_REGION,       /* offset + length runs past the client's data region */
    SOCKET_STATUS_WRONG_STATE,      /* not this kind of socket, or not in this state (accept on a connection) */
    SOCKET_STATUS_ADDRESS_IN_USE,   /* listen or bind: the port is taken */
    SOCKET_STATUS_NO_MEMORY,        /* the stack is out of sockets, PCBs or buffers: try again later */
    SOCKET_STATUS_TOO_BIG,          /* udp_send: more than one frame holds (SOCK_UDP_MAX_PAYLOAD) */
    /* What happened to the connection: */
    SOCKET_STATUS_REFUSED,          /* connect: the peer answered with a reset */
    SOCKET_STATUS_RESET,            /* the peer reset the connection, or the stack aborted it */
    SOCKET_STATUS_TIMED_OUT,        /* connect: no answer after lwIP's SYN retries */
    SOCKET_STATUS_UNREACHABLE,      /* no route to the address */
    SOCKET_STATUS_SHUT_DOWN,        /* send after shutdown for writing */
    SOCKET_STATUS_CANCELLED,        /* the socket was closed while the request waited */
} socket_status_t;
#endif

#ifndef GLUE_TYPE_SOCKET_REQUEST_T
#define GLUE_TYPE_SOCKET_REQUEST_T
typedef struct {
    socket_op_t op;
    uint32_t socket;
    uint32_t offset;        /* in the client's data region */
    uint32_t length;        /* bytes at offset; tcp_listen: the backlog (0 for SOCK_DEFAULT_BACKLOG) */
    uint32_t addr;          /* IPv4, host byte order (10.0.2.15 is 0x0a00020f); 0 is any */
    uint16_t port;
    uint16_t flags;         /* SOCKET_SEND_*, SOCKET_SHUT_*, SOCKET_CLOSE_*, SOCKET_TCP_* */
} socket_request_t;
_Static_assert(sizeof(socket_request_t) == 24, "socket_request_t has the layout codegen computed");
#endif

#ifndef GLUE_TYPE_SOCKET_COMPLETION_T
#define GLUE_TYPE_SOCKET_COMPLETION_T
typedef struct {
    socket_op_t op;         /* the request's, echoed */
    socket_status_t status;
    uint32_t socket;        /* the new socket (listen, accept, connect, udp_bind), else the request's */
    uint32_t result;        /* bytes sent or received */
    uint32_t addr;          /* the peer, or the local address bound */
    uint16_t port;
    uint16_t flags;         /* SOCKET_RECV_* */
} socket_completion_t;
_Static_assert(sizeof(socket_completion_t) == 24, "socket_completion_t has the layout codegen computed");
#endif

/* send: complete as soon as some bytes are in the stack, with their number (not only when all are). */
#define SOCKET_SEND_PARTIAL     0x1
/* send: more data follows at once; hold a small segment back for it (no PSH). */
#define SOCKET_SEND_MORE        0x2
/* shutdown: stop receiving (pending and later recvs see the end; what arrives is dropped), sending (FIN). */
#define SOCKET_SHUT_READ        0x1
#define SOCKET_SHUT_WRITE       0x2
/* close: reset the connection (RST) instead of closing it in order (FIN after the queued data). */
#define SOCKET_CLOSE_RESET      0x1
/* tcp_listen, tcp_connect: send small segments at once (no Nagle); accepted connections inherit it. */
#define SOCKET_TCP_NODELAY      0x1
/* recv completion on UDP: the datagram was longer than the buffer; the rest is dropped. */
#define SOCKET_RECV_TRUNCATED   0x1

#endif /* NET_SOCKET_PROTOCOL_H */
