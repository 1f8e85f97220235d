"""The trace's binary layout, as libsel/include/sel/trace_record.h defines it.

tests/trace checks these sizes and offsets against the C header (a host
program prints them), so the two cannot drift apart.
"""
import struct

KERNEL_BASE = 0xffffffc000000000
RECORD_SIZE = 32
# time, kind, flags, info, thread, b, a, value
RECORD = struct.Struct("<QBBHIIIQ")
CONTROL_MAGIC = 0x45434152544c4553      # "SELTRACE"
RING_MAGIC = 0x52544c53                 # "SLTR"
VERSION = 1
MAX_HARTS = 8
MAX_RINGS = 64
RING_MAX_PAGES = 16
PAGE = 4096

# sel_trace_control_t: magic, version, record_size, num_harts, num_rings, rings_refused
CONTROL_HEADER = struct.Struct("<QIIIIQ")
# sel_trace_hart_t: records, cursor, end, lost, context, spare
HART = struct.Struct("<QQQQII")
# sel_trace_ring_entry_t: thread, pages, vaddr, page[16]
RING_ENTRY = struct.Struct("<IIQ" + "Q" * RING_MAX_PAGES)
CONTROL_SIZE = CONTROL_HEADER.size + MAX_HARTS * HART.size + MAX_RINGS * RING_ENTRY.size
# sel_trace_ring_t: magic, capacity, next, spare[5]
RING_HEADER = struct.Struct("<III20x")

# enum sel_trace_kind
KINDS = {
    1: "kernel_enter", 2: "kernel_exit", 3: "fastpath", 4: "ipc_send", 5: "ipc_recv", 6: "signal",
    7: "signal_taken", 8: "token_raise", 9: "token_deliver", 10: "interrupt", 11: "irq", 12: "fault",
    13: "idle_enter", 14: "idle_exit", 15: "invoke_begin", 16: "invoke_end", 17: "thread_name", 18: "mark",
    19: "ring_registered",
    64: "ring_publish", 65: "ring_release", 66: "loop_turn", 67: "task_switch", 68: "user",
}
KIND = {name: number for number, name in KINDS.items()}

CAUSE_SYSCALL, CAUSE_EXCEPTION, CAUSE_INTERRUPT = 0x1000, 0x2000, 0x3000

IPC_CALL, IPC_REPLY, IPC_FAULT, IPC_QUEUED, IPC_DROPPED = 0x01, 0x02, 0x04, 0x08, 0x10
SIGNAL_WOKE_WAITER, SIGNAL_WOKE_BOUND, SIGNAL_STORED = 0x01, 0x02, 0x04
TOKEN_ALREADY_PENDING = 0x01
IRQ_NOTIFICATION, IRQ_USER_INTERRUPT = 0x01, 0x02
FAULT_UNHANDLED = 0x01
IDLE_USER_WFI = 0x01
TURN_RAN = 0x01
PREEMPTED = 0xffff

# enum sel_trace_state: why a thread stopped running
STATES = {0: "suspended", 1: "preempted", 2: "blocked in Send", 3: "blocked in Recv", 4: "waiting for its reply",
          5: "blocked in Wait"}

# enum sel_syscall, negated
SYSCALLS = {1: "Call", 2: "ReplyRecv", 3: "Send", 4: "NBSend", 5: "Recv", 6: "Reply", 7: "Yield", 8: "NBRecv",
            9: "DebugPutChar", 11: "DebugHalt", 12: "DebugCapIdentify", 13: "DebugTrace", 14: "DebugNameThread",
            15: "Null", 16: "DebugPutString", 17: "DebugFastpath", 18: "uret", 19: "DebugKernelEntries",
            20: "DebugCpuTime"}
EXCEPTIONS = {0: "misaligned fetch", 1: "fetch access fault", 2: "illegal instruction", 3: "breakpoint",
              4: "misaligned load", 5: "load access fault", 6: "misaligned store", 7: "store access fault",
              12: "instruction page fault", 13: "load page fault", 15: "store page fault"}
INTERRUPTS = {1: "IPI", 5: "timer", 9: "device interrupt"}

# enum sel_cap_type
CAP_TYPES = {0: "Null", 1: "Untyped", 2: "Endpoint", 3: "Notification", 4: "CNode", 5: "TCB", 6: "Frame",
             7: "PageTable", 8: "ASIDControl", 9: "ASIDPool", 10: "IRQControl", 11: "IRQHandler",
             12: "UserInterrupt", 13: "Debug", 14: "Zombie"}
# SEL_FAULT_*
FAULTS = {1: "capability fault", 2: "unknown syscall", 3: "user exception", 4: "page fault"}
ERRORS = {0: "ok", 1: "invalid argument", 2: "invalid capability", 3: "illegal operation", 4: "range error",
          5: "alignment error", 6: "failed lookup", 7: "truncated message", 8: "delete first", 9: "revoke first",
          10: "not enough memory", PREEMPTED: "preempted"}


def cause_name(info):
    """The name of a kernel entry's cause (SEL_TRACE_KERNEL_ENTER's info)."""
    cls, number = info & 0xf000, info & 0xfff
    if cls == CAUSE_SYSCALL:
        return SYSCALLS.get(number, f"syscall -{number}")
    if cls == CAUSE_EXCEPTION:
        return EXCEPTIONS.get(number, f"exception {number}")
    if cls == CAUSE_INTERRUPT:
        return INTERRUPTS.get(number, f"interrupt {number}")
    return f"cause {info:#x}"


def message_bytes(tag_bits):
    """Bytes of a message from its tag's low 12 bits (length in words, caps)."""
    return (tag_bits & 0x7f) * 8
