/*
 * Decoding invocations of kernel objects.  Each decode_* function checks
 * every argument first and returns a sel_error_t; only when all checks pass
 * does it perform the operation, which then cannot fail.
 */
#ifndef KERNEL_INVOCATION_H
#define KERNEL_INVOCATION_H

#include <kernel/cap.h>
#include <kernel/tcb.h>

struct invocation {
    struct tcb *thread;         /* the invoker */
    word_t *buffer;             /* its IPC buffer to read arguments from, NULL if none */
    word_t *reply_buffer;       /* the same to write reply words into, NULL if none or read-only */
    struct cte *slot;           /* the invoked cap */
    word_t label;
    word_t length;              /* message words sent */
    unsigned extra_count;
    struct cte *extra[SEL_MSG_MAX_EXTRA_CAPS];
    word_t reply_length;        /* message words of the reply */
};

static inline word_t inv_arg(struct invocation *inv, unsigned i)
{
    return tcb_get_mr(inv->thread, inv->buffer, i);
}

/* Sets reply word i; words past the registers are dropped if the invoker has no writable IPC buffer. */
static inline void inv_reply(struct invocation *inv, unsigned i, word_t value)
{
    if (tcb_set_mr(inv->thread, inv->reply_buffer, i, value) && i + 1 > inv->reply_length)
        inv->reply_length = i + 1;
}

static inline word_t inv_error_argument(struct invocation *inv, unsigned which)
{
    inv_reply(inv, 0, which);
    return SEL_INVALID_ARGUMENT;
}

static inline word_t inv_error_cap(struct invocation *inv, unsigned which)
{
    inv_reply(inv, 0, which);
    return SEL_INVALID_CAPABILITY;
}

static inline word_t inv_error_range(struct invocation *inv, word_t min, word_t max)
{
    inv_reply(inv, 0, min);
    inv_reply(inv, 1, max);
    return SEL_RANGE_ERROR;
}

static inline word_t inv_error_lookup(struct invocation *inv, bool source, word_t failure)
{
    inv_reply(inv, 0, source);
    inv_reply(inv, 1, failure);
    return SEL_FAILED_LOOKUP;
}

/* The cap in extra slot i, or NULL if fewer were sent. */
static inline struct cap *inv_extra_cap(struct invocation *inv, unsigned i)
{
    return i < inv->extra_count ? &inv->extra[i]->cap : NULL;
}

#endif
