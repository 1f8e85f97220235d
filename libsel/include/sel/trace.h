/*
 * User trace points: records of what a thread does in user mode, on the
 * same time line as the kernel's (docs/trace.md).
 *
 *   SEL_TRACE("name", value)   a component author's own point: a name (a
 *                              string literal) and a 64-bit value, shown in
 *                              the timeline at the moment it ran
 *
 * libsel traces its own: every ring publish and release with the batch
 * size (sel/ring.h), every event-loop turn (sel/loop.h), every task switch
 * (sel/task.h).
 *
 * They exist only in a build with -DSEL_TRACE_ENABLED (make trace, make
 * run TRACE=1); otherwise each is nothing, arguments included.  A trace
 * point never enters the kernel: it writes a 32-byte record
 * (sel/trace_record.h) into its thread's ring, in the thread's own memory.
 * Every thread takes a ring from a pool in libsel as it starts (libsel's
 * start-up code for components, root tasks and sel_thread_create's
 * threads) and registers it with the kernel (DebugTrace, one syscall);
 * tools/trace finds the rings through the kernel's table and copies them
 * out through QEMU when the machine is stopped.  A ring keeps its first
 * SEL_TRACE_RING_RECORDS records and counts the rest as lost; a thread
 * that found the pool empty, or started some other way, loses all of its
 * records.
 *
 * Cost of one record: about 15 instructions (a TLS load, an atomic add,
 * rdinstret, four stores), and the registers the code around it then
 * keeps.  The benchmark built with TRACE=1 (make bench's figures without
 * tracing, then with): ring push + publish of one message 54 -> 85, pop +
 * release 57 -> 79; per message in batches of 16, 33 -> 34 and 35 -> 36
 * (one record per batch); a task switch 39 -> 47.
 */
#ifndef SEL_TRACE_H
#define SEL_TRACE_H

#include <sel/trace_record.h>
#include <stddef.h>

/*
 * DebugTrace, for any thread (a kernel built without tracing answers
 * SEL_ILLEGAL_OPERATION).  Registers the caller's ring (page-aligned, at
 * most SEL_TRACE_RING_MAX_PAGES pages, mapped readable): the trace points
 * below do it themselves.  (Functions, not inline: sel/ring.h includes
 * this header, and builds for the host too.)
 */
sel_error_t sel_debug_trace_register(void *ring, sel_word_t bytes);
/* Has the kernel write count (at most SEL_TRACE_MARK_MAX) SEL_TRACE_MARK records with value. */
sel_error_t sel_debug_trace_mark(sel_word_t count, sel_word_t value);

/* Each thread's ring: 16 KiB, 511 records after the header; a program has SEL_TRACE_RINGS of them. */
#define SEL_TRACE_RING_BYTES   (16 * 1024)
#define SEL_TRACE_RING_RECORDS (SEL_TRACE_RING_BYTES / sizeof(sel_trace_record_t) - 1)
#define SEL_TRACE_RINGS        4

#ifdef SEL_TRACE_ENABLED

/* The calling thread's ring (one that holds nothing until the thread took its own). */
extern __thread sel_trace_ring_t *sel__trace_ring;
/* A starting thread takes a ring from the pool and registers it. */
void sel__trace_thread_start(void);
#define SEL_TRACE_THREAD_START() sel__trace_thread_start()

/*
 * One record into the thread's ring.  The slot is claimed with an atomic
 * add, so a user-interrupt handler that traces while the thread is in the
 * middle of a record takes the next slot; the word with the kind goes
 * last, so a record the machine stopped in the middle of reads as none.
 */
static inline __attribute__((always_inline)) void sel__trace(unsigned kind, unsigned flags, unsigned info,
                                                             uint32_t a, uint32_t b, uint64_t value)
{
    sel_trace_ring_t *ring = sel__trace_ring;
    uint32_t i = __atomic_fetch_add(&ring->next, 1, __ATOMIC_RELAXED);
    if (__builtin_expect(i >= ring->capacity, 0))
        return;
    volatile uint64_t *r = (volatile uint64_t *)&ring->records[i];
    uint64_t now;
    __asm__ volatile("rdinstret %0" : "=r"(now));
    r[0] = now;
    r[2] = b | (uint64_t)a << 32;
    r[3] = value;
    r[1] = kind | flags << 8 | (uint64_t)info << 16;
}

static inline __attribute__((always_inline)) uint64_t sel__trace_now(void)
{
    uint64_t now;
    __asm__ volatile("rdinstret %0" : "=r"(now));
    return now;
}

/* The name must be a string literal (tools/trace reads it from the program's file). */
#define SEL_TRACE(name, value)                                                                               \
    sel__trace(SEL_TRACE_USER, 0, 0, (uint32_t)((uintptr_t)("" name) >> 32), (uint32_t)(uintptr_t)("" name), \
               (uint64_t)(value))

/* libsel's own points: rings (sel/ring.h), loop turns (loop.c), task switches (task.c). */
#define SEL_TRACE_RING(kind, handle, batch, occupancy) \
    sel__trace(kind, 0, (handle)->entry_size, batch, occupancy, (uintptr_t)(handle)->ring)
#define SEL_TRACE_TURN_START(begin) uint64_t begin = sel__trace_now()
#define SEL_TRACE_TURN(begin, number, ran) \
    sel__trace(SEL_TRACE_LOOP_TURN, (ran) ? SEL_TRACE_TURN_RAN : 0, 0, (uint32_t)(number), 0, begin)
#define SEL_TRACE_TASK_SWITCH(from, to)                                                       \
    sel__trace(SEL_TRACE_TASK_SWITCH, 0, 0, (uint32_t)(uintptr_t)(from), (uint32_t)(uintptr_t)(to), \
               (to) ? (uintptr_t)(to)->name : 0)

#else

/* Nothing, but the name must still be a literal and the value counts as used. */
#define SEL_TRACE(name, value) ((void)sizeof("" name), (void)sizeof(value))
#define SEL_TRACE_THREAD_START() ((void)0)
#define SEL_TRACE_RING(kind, handle, batch, occupancy) ((void)0)
#define SEL_TRACE_TURN_START(begin) ((void)0)
#define SEL_TRACE_TURN(begin, number, ran) ((void)0)
#define SEL_TRACE_TASK_SWITCH(from, to) ((void)0)

#endif

#endif
