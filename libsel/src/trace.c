/* User trace rings (sel/trace.h): a pool of them, and the DebugTrace calls. */
#include <sel/syscall.h>
#include <sel/trace.h>

sel_error_t sel_debug_trace_register(void *ring, sel_word_t bytes)
{
    sel_word_t a0 = SEL_TRACE_OP_REGISTER, m0 = (sel_word_t)ring, m1 = bytes, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_DEBUG_TRACE, &a0, 0, &m0, &m1, &m2, &m3);
    return (sel_error_t)a0;
}

sel_error_t sel_debug_trace_mark(sel_word_t count, sel_word_t value)
{
    sel_word_t a0 = SEL_TRACE_OP_MARK, m0 = count, m1 = value, m2 = 0, m3 = 0;
    sel__syscall(SEL_SYS_DEBUG_TRACE, &a0, 0, &m0, &m1, &m2, &m3);
    return (sel_error_t)a0;
}

#ifdef SEL_TRACE_ENABLED

/* For threads without a ring of their own: it holds nothing, every record is lost. */
static sel_trace_ring_t no_ring = { .magic = SEL_TRACE_RING_MAGIC, .capacity = 0 };

/*
 * Never NULL, so a trace point has no call to make (a call, even on a path
 * never taken, makes the code around it save registers).  A root task's
 * first thread runs on the TLS template itself, which new threads copy:
 * they take their own ring at once (thread.c).
 */
__thread sel_trace_ring_t *sel__trace_ring = &no_ring;

/* Page-aligned, so each ring is whole pages the kernel can name (DebugTrace checks). */
static _Alignas(4096) uint8_t pool[SEL_TRACE_RINGS][SEL_TRACE_RING_BYTES];
static uint32_t pool_used;

void sel__trace_thread_start(void)
{
    uint32_t i = __atomic_fetch_add(&pool_used, 1, __ATOMIC_RELAXED);
    sel_trace_ring_t *ring = &no_ring;
    if (i < SEL_TRACE_RINGS) {
        ring = (sel_trace_ring_t *)pool[i];
        ring->capacity = SEL_TRACE_RING_RECORDS;
        ring->magic = SEL_TRACE_RING_MAGIC;
        /* Refused (a kernel without tracing, or its table full): the records stay here, uncollected. */
        sel_debug_trace_register(ring, SEL_TRACE_RING_BYTES);
    }
    sel__trace_ring = ring;
}

#endif
