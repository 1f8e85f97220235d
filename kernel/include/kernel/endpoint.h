/* Synchronous endpoints. */
#ifndef KERNEL_ENDPOINT_H
#define KERNEL_ENDPOINT_H

#include <kernel/tcb.h>

enum endpoint_state { EP_IDLE, EP_SEND, EP_RECV };

struct endpoint {
    word_t state;        /* enum endpoint_state: what the queued threads wait to do */
    struct tcb *head;
    struct tcb *tail;
    word_t pad;
};

_Static_assert(sizeof(struct endpoint) <= BIT(SEL_ENDPOINT_BITS), "an endpoint fits its object size");

static inline struct endpoint *endpoint_of(const struct cap *cap) { return (struct endpoint *)cap->ptr; }

/* Sends from sender through ep with the badge and rights of the cap used. */
void endpoint_send(struct endpoint *ep, struct tcb *sender, word_t badge, bool can_grant,
                   bool can_grant_reply, bool blocking, bool is_call);
/* Receives on ep into receiver (blocking or not); the cap used must allow Read. */
void endpoint_receive(struct endpoint *ep, struct tcb *receiver, bool blocking);
/* Sends receiver's reply to the caller it holds, if any. */
void endpoint_reply(struct tcb *replier);
/* Takes t out of the endpoint queue it is blocked in. */
void endpoint_cancel_ipc(struct tcb *t);
/* Restarts every thread queued on ep (its last cap is gone). */
void endpoint_cancel_all(struct endpoint *ep);
/* Restarts the threads queued sending with badge. */
void endpoint_cancel_badged_sends(struct endpoint *ep, word_t badge);
/* Delivers t's pending fault to its fault endpoint (or suspends it if it has none). */
void fault_deliver(struct tcb *t);

#endif
