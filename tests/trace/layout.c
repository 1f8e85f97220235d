/*
 * Prints the trace's layout as the C compiler sees it (sel/trace_record.h), one "name value" a line:
 * tests/trace/run.py compares it with what tools/trace/layout.py reads.
 */
#include <sel/trace_record.h>
#include <stddef.h>
#include <stdio.h>

#define SHOW(name, value) printf("%s %llu\n", name, (unsigned long long)(value))
#define FIELD(type, field) SHOW(#type "." #field, offsetof(type, field))

int main(void)
{
    SHOW("record_size", sizeof(sel_trace_record_t));
    FIELD(sel_trace_record_t, time);
    FIELD(sel_trace_record_t, kind);
    FIELD(sel_trace_record_t, flags);
    FIELD(sel_trace_record_t, info);
    FIELD(sel_trace_record_t, thread);
    FIELD(sel_trace_record_t, b);
    FIELD(sel_trace_record_t, a);
    FIELD(sel_trace_record_t, value);
    SHOW("control_size", sizeof(sel_trace_control_t));
    FIELD(sel_trace_control_t, num_harts);
    FIELD(sel_trace_control_t, num_rings);
    FIELD(sel_trace_control_t, rings_refused);
    FIELD(sel_trace_control_t, harts);
    FIELD(sel_trace_control_t, rings);
    SHOW("hart_size", sizeof(sel_trace_hart_t));
    FIELD(sel_trace_hart_t, cursor);
    FIELD(sel_trace_hart_t, end);
    FIELD(sel_trace_hart_t, lost);
    SHOW("ring_entry_size", sizeof(sel_trace_ring_entry_t));
    FIELD(sel_trace_ring_entry_t, vaddr);
    FIELD(sel_trace_ring_entry_t, page);
    SHOW("ring_header_size", sizeof(sel_trace_ring_t));
    FIELD(sel_trace_ring_t, capacity);
    FIELD(sel_trace_ring_t, next);
    SHOW("control_magic", SEL_TRACE_CONTROL_MAGIC);
    SHOW("ring_magic", SEL_TRACE_RING_MAGIC);
    SHOW("version", SEL_TRACE_VERSION);
    SHOW("max_harts", SEL_TRACE_MAX_HARTS);
    SHOW("max_rings", SEL_TRACE_MAX_RINGS);
    SHOW("ring_max_pages", SEL_TRACE_RING_MAX_PAGES);
#define KIND(k) SHOW("kind." #k, SEL_TRACE_##k)
    KIND(KERNEL_ENTER); KIND(KERNEL_EXIT); KIND(FASTPATH); KIND(IPC_SEND); KIND(IPC_RECV); KIND(SIGNAL);
    KIND(SIGNAL_TAKEN); KIND(TOKEN_RAISE); KIND(TOKEN_DELIVER); KIND(INTERRUPT); KIND(IRQ); KIND(FAULT);
    KIND(IDLE_ENTER); KIND(IDLE_EXIT); KIND(INVOKE_BEGIN); KIND(INVOKE_END); KIND(THREAD_NAME); KIND(MARK);
    KIND(RING_REGISTERED); KIND(RING_PUBLISH); KIND(RING_RELEASE); KIND(LOOP_TURN); KIND(TASK_SWITCH); KIND(USER);
#define FLAG(f) SHOW("flag." #f, SEL_TRACE_##f)
    FLAG(IPC_CALL); FLAG(IPC_REPLY); FLAG(IPC_FAULT); FLAG(IPC_QUEUED); FLAG(IPC_DROPPED);
    FLAG(SIGNAL_WOKE_WAITER); FLAG(SIGNAL_WOKE_BOUND); FLAG(SIGNAL_STORED); FLAG(TOKEN_ALREADY_PENDING);
    FLAG(IRQ_NOTIFICATION); FLAG(IRQ_USER_INTERRUPT); FLAG(FAULT_UNHANDLED); FLAG(IDLE_USER_WFI); FLAG(TURN_RAN);
    FLAG(PREEMPTED); FLAG(CAUSE_SYSCALL); FLAG(CAUSE_EXCEPTION); FLAG(CAUSE_INTERRUPT);
    return 0;
}
