"""A recorded run (collect.py's folder) read back as one time line.

Trace.load(folder) decodes every record (the kernel's per hart, each
thread's own ring), and works out:

  segments   what each hart did from when to when: user code of a thread,
             the kernel (for a thread, or for nobody), idle
  messages   every IPC, signal and token from its send to where it was
             received, with a flow id each (the JSON's arrows)
  instants   the other events, on the thread (or hart) they concern
  counters   ring occupancy over time
  loop       event-loop turns and task slices of each thread

Times are instret readings; under -icount shift=0 one instruction is one
nanosecond of the machine's time, which is how the outputs show
microseconds.
"""
import collections
import json
import os
import re

import elf
import layout

# A message's flag, beside the record's SEL_TRACE_IPC_* ones: it took the fastpath.
FASTPATH = 0x100

Record = collections.namedtuple("Record", "time kind flags info thread b a value hart seq")


class Thread:
    def __init__(self, tid):
        self.id = tid
        self.name = None
        self.hart = None
        self.ring_lost = 0
        self.ring_records = 0
        self.ring_capacity = 0

    @property
    def label(self):
        return self.name or f"thread {self.id:#x}"

    @property
    def component(self):
        """The component it belongs to: its name up to the first '.', as the kernel prints it."""
        return self.label.split(".")[0] if self.name else self.label


Segment = collections.namedtuple("Segment", "hart start end mode thread label")   # mode: user, kernel, idle
Message = collections.namedtuple("Message", "id kind sender receiver sent received badge flags label hart")
Instant = collections.namedtuple("Instant", "time thread hart name args")
Slice = collections.namedtuple("Slice", "thread start end name args")
Counter = collections.namedtuple("Counter", "time thread ring value")


def camel(words):
    return "".join(w.capitalize() for w in words.lower().split("_"))


def read_abi(root):
    """Invocation labels and object names from libsel/include/sel/abi.h (so they follow the kernel's)."""
    labels = {}
    path = os.path.join(root, "libsel", "include", "sel", "abi.h")
    try:
        text = open(path).read()
    except OSError:
        return labels
    body = re.search(r"enum sel_invocation \{(.*?)\};", text, re.S)
    if body:
        value = -1
        for m in re.finditer(r"^\s*(SEL_\w+)\s*(?:=\s*(\d+))?\s*,", re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S),
                             re.M):
            value = int(m.group(2)) if m.group(2) else value + 1
            labels[value] = m.group(1)[4:]
    return labels


OBJECT_PREFIXES = ["IRQ_CONTROL", "IRQ_HANDLER", "PAGE_TABLE", "ASID_CONTROL", "ASID_POOL", "NOTIFICATION", "UNTYPED",
                   "CNODE", "FRAME", "TCB"]


def invocation_name(cap_type, label, labels):
    obj = layout.CAP_TYPES.get(cap_type, f"type {cap_type}")
    name = labels.get(label)
    if not name:
        return f"{obj} label {label}"
    for prefix in OBJECT_PREFIXES:
        if name.startswith(prefix + "_"):
            return f"{obj} {camel(name[len(prefix) + 1:])}"
    return f"{obj} {camel(name)}"


class Trace:
    def __init__(self):
        self.records = []
        self.threads = {}
        self.harts = []            # per hart: records kept, capacity, lost
        self.rings = []
        self.segments = []
        self.messages = []
        self.instants = []
        self.loop_slices = []
        self.counters = []
        self.invocations = []      # (thread, cap type, label, start, end, error)
        self.ring_traffic = {}     # ring -> its batches each way
        self.entries = collections.defaultdict(collections.Counter)   # thread -> cause -> count
        self.warnings = []
        self.start = self.end = 0
        self.spec = None
        self.stopped = None
        self.labels = {}
        self.message_bytes = {}      # message index -> bytes
        self.open_invocations = {}   # thread -> its SEL_TRACE_INVOKE_BEGIN
        self.open_tasks = {}         # thread -> (since, name) of the task it runs
        self.last_call = {}          # (caller, server) -> the last call delivered, for its reply's name
        self.replied_call = {}       # reply's id -> the call it answers

    # ---- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, folder, root="."):
        trace = cls()
        run = json.load(open(os.path.join(folder, "run.json")))
        trace.stopped = run.get("stopped")
        trace.labels = read_abi(root)
        trace.system_out = run.get("system_out")
        if trace.system_out and os.path.exists(os.path.join(trace.system_out, "spec.json")):
            trace.spec = json.load(open(os.path.join(trace.system_out, "spec.json")))
        seq = 0
        for h, hart in enumerate(run["harts"]):
            data = open(os.path.join(folder, hart["file"]), "rb").read()
            kept = 0
            for off in range(0, len(data) - layout.RECORD_SIZE + 1, layout.RECORD_SIZE):
                r = layout.RECORD.unpack_from(data, off)
                if r[1] == 0:
                    continue
                trace.records.append(Record(*r, h, seq))
                seq += 1
                kept += 1
            trace.harts.append({"records": kept, "capacity": hart["capacity"], "lost": hart["lost"]})
        for ring in run["rings"]:
            data = open(os.path.join(folder, ring["file"]), "rb").read()
            magic, capacity, nxt = layout.RING_HEADER.unpack_from(data, 0)
            thread = trace.thread(ring["thread"])
            if magic != layout.RING_MAGIC:
                trace.warnings.append(f"the ring of {thread.label} at {ring['vaddr']:#x} has no ring header")
                continue
            count = min(nxt, capacity, (len(data) - 32) // layout.RECORD_SIZE)
            thread.ring_lost += max(0, nxt - capacity)
            thread.ring_capacity = capacity
            thread.ring_records += count
            for i in range(count):
                r = layout.RECORD.unpack_from(data, 32 + i * layout.RECORD_SIZE)
                if r[1] == 0:
                    continue
                trace.records.append(Record(r[0], r[1], r[2], r[3], ring["thread"], r[5], r[6], r[7], None, seq))
                seq += 1
            trace.rings.append({"thread": ring["thread"], "vaddr": ring["vaddr"], "records": count,
                                "lost": max(0, nxt - capacity)})
        trace.rings_refused = run.get("rings_refused", 0)
        trace.records.sort(key=lambda r: (r.time, r.seq))
        for r in trace.records:
            if r.kind == layout.KIND["thread_name"]:
                raw = (r.b | r.a << 32).to_bytes(8, "little") + r.value.to_bytes(8, "little")
                trace.thread(r.thread).name = raw.split(b"\0")[0].decode("utf-8", "replace")
        for t in trace.threads.values():
            if t.name == "roottask" and trace.system_out:
                t.name = "loader"
        trace._elves = {}
        trace.build()
        return trace

    def thread(self, tid):
        if tid not in self.threads:
            self.threads[tid] = Thread(tid)
        return self.threads[tid]

    def elf_of(self, thread):
        """The program a thread runs (its component's ELF file), for names of strings in user records."""
        if not self.system_out:
            return None
        comp = thread.component
        path = os.path.join(self.system_out, "loader.elf" if comp == "loader" else f"components/{comp}.elf")
        if path not in self._elves:
            self._elves[path] = elf.ELF(path) if os.path.exists(path) else None
        return self._elves[path]

    def string(self, thread, address):
        program = self.elf_of(thread)
        text = program.string(address) if program else None
        return text if text is not None else f"{address:#x}"

    # ---- building the time line --------------------------------------------------------------

    def build(self):
        if not self.records:
            return
        self.start = self.records[0].time
        self.end = self.records[-1].time
        per_hart = collections.defaultdict(list)
        user = []
        for r in self.records:
            (per_hart[r.hart] if r.hart is not None else user).append(r)
        self.pending_sends = {}                           # sender -> Message without its receiver yet
        self.pending_signals = collections.defaultdict(list)   # notification -> Messages
        self.pending_tokens = collections.defaultdict(list)    # user interrupt -> Messages
        self.awaiting_run = collections.defaultdict(list)      # thread -> Messages received, to end at its next run
        self.next_id = 1
        self.runs = collections.defaultdict(list)         # thread -> start times of its running slices
        # The harts' records, merged in time order: messages cross harts.
        hart_state = {h: {"mode": None, "thread": None, "since": None, "label": None} for h in per_hart}
        self.hart_end = {h: recs[-1].time for h, recs in per_hart.items()}
        for r in self.records:
            if r.hart is None:
                continue
            self.kernel_record(r, hart_state[r.hart])
        for h, st in hart_state.items():
            end = self.end if not self.harts[h]["lost"] else self.hart_end[h]
            self.close(h, st, end)
        for r in user:
            self.user_record(r)
        self.name_rings()

    def name_rings(self):
        """"@offset" becomes which ring of the connection it is: requests (the from side publishes) or completions."""
        names = {}
        for key, traffic in self.ring_traffic.items():
            if " @" not in key:
                continue
            connection = key.split(" @")[0]
            from_side = connection.split(".")[0]
            producer = traffic.get("producer")
            if producer is None and traffic.get("consumer"):
                producer = "?" if traffic["consumer"] == from_side else from_side
            names[key] = f"{connection} {'requests' if producer == from_side else 'completions'}"
        self.ring_traffic = {names.get(k, k): v for k, v in self.ring_traffic.items()}
        self.counters = [c._replace(ring=names.get(c.ring, c.ring)) for c in self.counters]
        for i in self.instants:
            if "ring" in i.args:
                i.args["ring"] = names.get(i.args["ring"], i.args["ring"])

    def close(self, h, st, time):
        if st["mode"] is not None and time > st["since"]:
            self.segments.append(Segment(h, st["since"], time, st["mode"], st["thread"], st["label"]))

    def switch(self, h, st, time, mode, thread, label):
        self.close(h, st, time)
        if mode == "user" and (st["mode"] != "user" or st["thread"] != thread) and thread:
            self.runs[thread].append(time)
            for m in self.awaiting_run.pop(thread, []):
                self.messages[m] = self.messages[m]._replace(received=time)
        st.update(mode=mode, thread=thread, since=time, label=label)

    def message(self, kind, sender, receiver, sent, badge, flags, label, hart):
        m = Message(self.next_id, kind, sender, receiver, sent, None, badge, flags, label, hart)
        self.next_id += 1
        self.messages.append(m)
        return len(self.messages) - 1

    def deliver(self, index, receiver, running_now=None):
        """Message index reached receiver: its arrow ends where receiver next runs (now, if it runs)."""
        self.messages[index] = self.messages[index]._replace(receiver=receiver)
        m = self.messages[index]
        if m.kind == "ipc" and m.flags & layout.IPC_CALL:
            self.last_call[(m.sender, receiver)] = m
        elif m.kind == "ipc" and m.flags & layout.IPC_REPLY:
            call = self.last_call.pop((receiver, m.sender), None)
            if call:
                self.replied_call[m.id] = call
        if running_now is not None:
            self.messages[index] = self.messages[index]._replace(received=running_now)
        else:
            self.awaiting_run[receiver].append(index)

    def kernel_record(self, r, st):
        K = layout.KIND
        h = r.hart
        kind = r.kind
        if r.thread:
            self.thread(r.thread).hart = h
        if kind == K["kernel_enter"]:
            cause = layout.cause_name(r.info)
            self.entries[r.thread][cause] += 1
            self.switch(h, st, r.time, "kernel", r.thread, cause)
        elif kind == K["kernel_exit"]:
            if r.a and r.a != r.thread:
                self.instants.append(Instant(r.time, r.a, h, "switch",
                                             {"to": self.thread(r.thread).label,
                                              "why": layout.STATES.get(r.flags, str(r.flags))}))
            self.switch(h, st, r.time, "user", r.thread, None)
        elif kind == K["fastpath"]:
            name = "Call" if r.flags & layout.IPC_CALL else "ReplyRecv"
            self.entries[r.thread][f"{name} (fastpath)"] += 1
            self.switch(h, st, r.time, "kernel", r.thread, f"{name} (fastpath)")
            m = self.message("ipc", r.thread, None, r.time, r.value, r.flags | FASTPATH,
                             "call" if r.flags & layout.IPC_CALL else "reply", h)
            self.message_bytes[m] = layout.message_bytes(r.b)
            self.deliver(m, r.a)
            self.switch(h, st, r.time + r.info, "user", r.a, None)
        elif kind == K["idle_enter"]:
            self.switch(h, st, r.time, "idle", r.thread or None, "wfi" if r.thread else "idle")
        elif kind == K["idle_exit"]:
            self.switch(h, st, r.time, "kernel", r.thread or None, "after idle" if not r.thread else "after wfi")
        elif kind == K["ipc_send"]:
            flags = r.flags
            if flags & layout.IPC_DROPPED:
                self.instants.append(Instant(r.time, r.thread, h, "NBSend dropped", {"badge": r.value}))
                return
            name = "reply" if flags & layout.IPC_REPLY else ("fault" if flags & layout.IPC_FAULT else
                                                              ("call" if flags & layout.IPC_CALL else "send"))
            m = self.message("ipc", r.thread, None, r.time, r.value, flags, name, h)
            self.message_bytes[m] = layout.message_bytes(r.info)
            if r.a:
                self.deliver(m, r.a)
            else:
                self.pending_sends[r.thread] = m
        elif kind == K["ipc_recv"]:
            m = self.pending_sends.pop(r.a, None)
            if m is None:
                # Its send was before the trace began (or lost): a message all the same.
                m = self.message("ipc", r.a, None, r.time, r.value, r.flags, "send", h)
                self.message_bytes[m] = layout.message_bytes(r.info)
            self.deliver(m, r.thread)
        elif kind == K["signal"]:
            m = self.message("signal", r.thread or None, None, r.time, r.value, r.flags, "signal", h)
            if r.a:
                self.deliver(m, r.a)
            else:
                self.pending_signals[r.b].append(m)
        elif kind == K["signal_taken"]:
            for m in self.pending_signals.pop(r.b, []):
                self.deliver(m, r.thread)
        elif kind == K["token_raise"]:
            m = self.message("token", r.thread or None, r.a or None, r.time, r.value, r.flags, "token", h)
            self.pending_tokens[r.b].append(m)
        elif kind == K["token_deliver"]:
            for m in self.pending_tokens.pop(r.b, []):
                self.deliver(m, r.thread)
            self.instants.append(Instant(r.time, r.thread, h, "user interrupt", {"bits": r.value}))
        elif kind == K["interrupt"]:
            self.instants.append(Instant(r.time, None, h, layout.INTERRUPTS.get(r.info, f"interrupt {r.info}"), {}))
        elif kind == K["irq"]:
            self.instants.append(Instant(r.time, None, h, f"IRQ {r.value}", {"line": r.value}))
        elif kind == K["fault"]:
            args = {"fault": layout.FAULTS.get(r.info, str(r.info)), "pc": f"{r.value:#x}"}
            if r.flags & layout.FAULT_UNHANDLED:
                args["handled"] = "no: suspended"
            self.instants.append(Instant(r.time, r.thread, h, "fault", args))
        elif kind == K["invoke_begin"]:
            self.open_invocations[r.thread] = r
        elif kind == K["invoke_end"]:
            begin = self.open_invocations.pop(r.thread, None)
            if begin:
                self.invocations.append((r.thread, begin.flags, begin.info, begin.time, r.time, r.info))
        elif kind == K["mark"]:
            self.instants.append(Instant(r.time, r.thread, h, "mark", {"value": r.value, "index": r.a}))

    def user_record(self, r):
        K = layout.KIND
        thread = self.thread(r.thread)
        if r.kind in (K["ring_publish"], K["ring_release"]):
            ring = self.ring_name(thread, r.value)
            traffic = self.ring_traffic.setdefault(ring, {"publishes": 0, "published": 0, "releases": 0,
                                                          "released": 0, "slot": 0})
            traffic["slot"] = r.info
            if r.kind == K["ring_publish"]:
                traffic["publishes"] += 1
                traffic["published"] += r.a
                traffic.setdefault("producer", thread.component)
                name = "publish"
            else:
                traffic["releases"] += 1
                traffic["released"] += r.a
                traffic.setdefault("consumer", thread.component)
                name = "release"
            self.instants.append(Instant(r.time, r.thread, None, f"ring {name}", {"ring": ring, "entries": r.a}))
            self.counters.append(Counter(r.time, r.thread, ring, r.b))
        elif r.kind == K["loop_turn"]:
            ran = bool(r.flags & layout.TURN_RAN)
            self.loop_slices.append(Slice(r.thread, r.value, r.time, "turn" if ran else "turn (nothing to do)",
                                          {"turn": r.a}))
        elif r.kind == K["task_switch"]:
            self.task_switch(thread, r)
        elif r.kind == K["user"]:
            name = self.string(thread, r.b | r.a << 32)
            self.instants.append(Instant(r.time, r.thread, None, name, {"value": r.value}))

    def task_switch(self, thread, r):
        open_task = self.open_tasks.pop(thread.id, None)
        if open_task:
            self.loop_slices.append(Slice(thread.id, open_task[0], r.time, f"task {open_task[1]}", {}))
        if r.b:
            self.open_tasks[thread.id] = (r.time, self.string(thread, r.value) if r.value else f"{r.b:#x}")

    # ---- names from the system's layout ------------------------------------------------------

    def ring_name(self, thread, address):
        """The ring at address in thread's component, as its connection's name and which ring of it."""
        spec = self.spec
        comp = thread.component
        if spec:
            objects = spec["objects"]
            for m in spec["mappings"]:
                if m["component"] != comp:
                    continue
                name = objects[m["frame"]]["name"]
                size = objects[m["frame"]].get("size", 4096)
                if not (m["vaddr"] <= address < m["vaddr"] + size) or " rings[" not in name:
                    continue
                connection = name.split(" rings[")[0]
                base = min(x["vaddr"] for x in spec["mappings"] if x["component"] == comp and
                           objects[x["frame"]]["name"].startswith(connection + " rings["))
                offset = address - base
                return f"{connection} @{offset}"
        return f"{comp} ring {address:#x}"

    def connection(self, m):
        """The connection a message travelled on, as the layout names it."""
        sender = self.thread(m.sender).component if m.sender else "interrupt"
        receiver = self.thread(m.receiver).component if m.receiver else "?"
        if m.kind == "ipc" and m.flags & layout.IPC_FAULT:
            return f"{sender} faults -> {receiver}" if not m.flags & layout.IPC_REPLY else \
                f"{receiver} faults -> {sender} (answers)"
        if m.kind == "ipc" and m.flags & layout.IPC_REPLY:
            call = self.replied_call.get(m.id)
            return f"{self.connection(call)}, replies" if call else f"{sender} -> {receiver} (replies)"
        purpose = self.cap_purpose(sender, receiver, m.badge, m.kind)
        if purpose:
            return f"{sender}: {purpose}" + ("" if receiver in purpose else f" -> {receiver}")
        what = {"ipc": "IPC", "signal": "signal", "token": "token"}[m.kind]
        return f"{sender} -> {receiver} ({what}, badge {m.badge:#x})"

    def cap_purpose(self, sender, receiver, badge, kind):
        spec = self.spec
        if not spec:
            return None
        comps = {c["name"]: c for c in spec["components"]}
        if receiver not in comps:
            return None
        rc = comps[receiver]
        objects = spec["objects"]
        for cap in spec["caps"]:
            if cap["component"] != sender or cap["badge"] != badge:
                continue
            obj = cap["object"]
            if kind == "ipc" and obj == rc.get("endpoint"):
                return cap["purpose"]
            if kind == "signal" and obj == rc.get("notification"):
                return cap["purpose"]
            if kind == "token" and objects[obj]["type"] == "user_interrupt" and \
                    objects[obj]["name"].startswith(receiver + " "):
                return cap["purpose"]
        return None

    # ---- what the outputs need ---------------------------------------------------------------

    def components(self):
        """Component name -> its threads (in the order they first appear)."""
        out = collections.OrderedDict()
        for t in sorted(self.threads.values(), key=lambda t: (t.component != "loader", t.id)):
            if t.id == 0:
                continue
            out.setdefault(t.component, []).append(t)
        return out

    def lost_kernel(self):
        return sum(h["lost"] for h in self.harts)

    def lost_user(self):
        return sum(t.ring_lost for t in self.threads.values())
