/* The stubs of kernel_stubs.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <kernel/endpoint.h>
#include <kernel/irq.h>
#include <kernel/notification.h>
#include <kernel/tcb.h>
#include <kernel/user_interrupt.h>
#include <kernel/vspace.h>

#include "kernel_stubs.h"

struct stub_call stub_log[STUB_LOG_SIZE];
size_t stub_calls;
word_t vspace_generation = 1;   /* bumped by cap.c when a VSpace root cap goes */

void stub_reset(void)
{
    stub_calls = 0;
    stub_preempt_every = stub_preempt_calls = 0;
}

size_t stub_count(const char *fn, const void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < stub_calls; i++)
        if (strcmp(stub_log[i].fn, fn) == 0 && stub_log[i].arg == arg)
            n++;
    return n;
}

static void record(const char *fn, const void *arg, unsigned long irq)
{
    if (stub_calls == STUB_LOG_SIZE)
        abort(); /* a test that deletes this much resets the log more often */
    stub_log[stub_calls++] = (struct stub_call){ fn, arg, irq };
}

/* Preemption points (kernel/core/preempt.c): every stub_preempt_every-th says stop (0: never). */
unsigned stub_preempt_every, stub_preempt_calls;

bool preemption_point(unsigned units)
{
    (void)units;
    return stub_preempt_every && ++stub_preempt_calls % stub_preempt_every == 0;
}

void endpoint_cancel_all(struct endpoint *ep) { record(__func__, ep, 0); }
void notification_cancel_all(struct notification *n) { record(__func__, n, 0); }
void tcb_destroy(struct tcb *t) { record(__func__, t, 0); }
void tcb_unbind_notification(struct tcb *t) { record(__func__, t, 0); }
void user_interrupt_destroy(struct user_interrupt *u) { record(__func__, u, 0); }
void irq_handler_destroy(unsigned irq) { record(__func__, NULL, irq); }
void frame_unmap_cap(struct cap *cap) { record(__func__, (const void *)cap->ptr, 0); }
void page_table_destroy(struct cap *cap) { record(__func__, (const void *)cap->ptr, 0); }
void asid_pool_destroy(struct cap *cap) { record(__func__, (const void *)cap->ptr, 0); }
