/*
 * Stand-ins for the object code that kernel/core/cap.c calls when it
 * finalises a cap (endpoint_cancel_all, tcb_destroy, ...), so that cap.c and
 * cdt.c link on the host unchanged.  Each stub only records its call.
 */
#ifndef TESTS_HOST_KERNEL_STUBS_H
#define TESTS_HOST_KERNEL_STUBS_H

#include <stddef.h>

#define STUB_LOG_SIZE 1024

struct stub_call {
    const char *fn;    /* name of the stubbed function */
    const void *arg;   /* its object argument; the cap's ptr for the cap-taking ones */
    unsigned long irq; /* irq_handler_destroy only */
};

extern struct stub_call stub_log[STUB_LOG_SIZE];
extern size_t stub_calls;

/* preemption_point() says stop at every stub_preempt_every-th call (0: never). */
extern unsigned stub_preempt_every, stub_preempt_calls;

/* Forgets every recorded call. */
void stub_reset(void);

/* How many recorded calls of fn had arg. */
size_t stub_count(const char *fn, const void *arg);

#endif
