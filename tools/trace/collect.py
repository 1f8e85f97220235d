"""Boots a tracing image in QEMU, stops it, and copies the trace out.

QEMU runs under -icount shift=0,sleep=off, so the instruction clock that
stamps every record is exact and shared by the harts, with a QMP socket
(QEMU's machine protocol) and -no-shutdown (a machine that powers itself
off stays there to be read).  When the stop condition holds (a console
line, quiet, a time bound, the user's Ctrl-A X) the runner stops the
machine (QMP "stop": no instruction runs after that) and copies out,
with QMP "pmemsave", the kernel's trace_control (found in the kernel
image's symbols), each hart's records and each registered user ring.
Nothing of this runs on the machine, so it disturbs nothing it measures.

What it writes, in the run folder: control.bin, hart<N>.bin, ring<N>.bin
(the pages of one ring, in order), console.log, and run.json, which says
what is where (and the system's folder, for the converter).
"""
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import elf
import layout

ICOUNT = ["-icount", "shift=0,sleep=off"]


class QMP:
    """A minimal QMP client: one command at a time, events kept aside."""

    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"QEMU's QMP socket {path} did not open within {timeout:.0f} s")
                time.sleep(0.05)
        self.sock.settimeout(60)
        self.buffer = b""
        self.events = []
        self.read()                      # the greeting
        self.command("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("QEMU closed its QMP socket")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def command(self, name, **arguments):
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = self.read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError(f"QMP {name}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def close(self):
        self.sock.close()


def kernel_address(symbols, name, image_elf):
    if name not in symbols:
        raise RuntimeError(f"{image_elf} has no symbol {name}: is it a tracing build (make trace, TRACE=1)?")
    return symbols[name]


def patched_image(image_bin, image_elf, buffer_bits, folder):
    """A copy of the flat image with trace_buffer_bits set (its file offset from the ELF's load address)."""
    symbols = elf.ELF(image_elf).symbols()
    address = kernel_address(symbols, "trace_buffer_bits", image_elf)
    start = min(s.vaddr for s in elf.ELF(image_elf).segments() if s.memsz)
    data = bytearray(open(image_bin, "rb").read())
    offset = address - start
    data[offset:offset + 4] = int(buffer_bits).to_bytes(4, "little")
    path = os.path.join(folder, "image-patched.bin")
    with open(path, "wb") as f:
        f.write(data)
    return path


def dump(qmp, paddr, size, path):
    if size:
        qmp.command("pmemsave", val=paddr, size=size, filename=os.path.abspath(path))
    else:
        open(path, "wb").close()


def copy_out(qmp, control_address, out):
    """Copies trace_control and what it names into out; returns the run.json part that says what is where."""
    control_path = os.path.join(out, "control.bin")
    dump(qmp, control_address - layout.KERNEL_BASE, layout.CONTROL_SIZE, control_path)
    data = open(control_path, "rb").read()
    magic, version, record_size, num_harts, num_rings, refused = layout.CONTROL_HEADER.unpack_from(data, 0)
    if magic != layout.CONTROL_MAGIC or version != layout.VERSION or record_size != layout.RECORD_SIZE:
        raise RuntimeError("the kernel's trace_control is not one this tool reads (magic, version or record size "
                           "differ): is the image a tracing build of this tree?")
    harts = []
    for i in range(num_harts):
        records, cursor, end, lost, _, _ = layout.HART.unpack_from(data, layout.CONTROL_HEADER.size + i * layout.HART.size)
        path = os.path.join(out, f"hart{i}.bin")
        dump(qmp, records - layout.KERNEL_BASE, cursor - records, path)
        harts.append({"file": os.path.basename(path), "records": (cursor - records) // layout.RECORD_SIZE,
                      "capacity": (end - records) // layout.RECORD_SIZE, "lost": lost})
    rings = []
    base = layout.CONTROL_HEADER.size + layout.MAX_HARTS * layout.HART.size
    for i in range(num_rings):
        thread, pages, vaddr, *page = layout.RING_ENTRY.unpack_from(data, base + i * layout.RING_ENTRY.size)
        path = os.path.join(out, f"ring{i}.bin")
        with open(path, "wb") as f:
            for p in page[:pages]:
                part = path + ".page"
                dump(qmp, p - layout.KERNEL_BASE, layout.PAGE, part)
                f.write(open(part, "rb").read())
                os.remove(part)
        rings.append({"file": os.path.basename(path), "thread": thread, "vaddr": vaddr, "pages": pages})
    return {"harts": harts, "rings": rings, "rings_refused": refused}


class Console:
    """QEMU's console: shown as it comes, kept in a log, and searched for the stop line."""

    def __init__(self, log_path, echo):
        self.log = open(log_path, "w", encoding="utf-8", errors="replace")
        self.echo = echo
        self.partial = b""
        self.lines = []
        self.last_output = time.monotonic()

    def feed(self, data):
        self.last_output = time.monotonic()
        if self.echo:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        self.log.write(data.decode("utf-8", "replace"))
        self.log.flush()
        self.partial += data
        *done, self.partial = self.partial.split(b"\n")
        new = [line.decode("utf-8", "replace").rstrip("\r") for line in done]
        self.lines += new
        return new


class Keyboard:
    """The user's terminal in raw mode, forwarded to QEMU; Ctrl-A X stops the run (instead of quitting QEMU)."""

    def __init__(self):
        import termios
        import tty
        self.fd = sys.stdin.fileno()
        self.saved = termios.tcgetattr(self.fd)
        tty.setraw(self.fd)
        self.escape = False

    def read(self):
        """Bytes for QEMU, and whether the user asked to stop."""
        data = os.read(self.fd, 1024)
        forward = bytearray()
        for byte in data:
            if self.escape:
                self.escape = False
                if byte in (ord("x"), ord("X")):
                    return bytes(forward), True
                forward += bytes([1, byte])
            elif byte == 1:
                self.escape = True
            else:
                forward.append(byte)
        return bytes(forward), False

    def restore(self):
        import termios
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


def record(command, image_elf, out, until=None, seconds=None, quiet=None, echo=True, interactive=False,
           buffer_bits=None, system_out=None):
    """Runs command (QEMU and its arguments, booting a tracing image) and copies the trace to out.

    Stops at the first console line containing until, after quiet seconds without console output (once
    the system has printed something), after seconds in all, at Ctrl-A X when interactive, or when the
    machine powers itself off.  Returns run.json's contents."""
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if re.match(r"(control|hart\d+|ring\d+)\.bin$|console\.log$|run\.json$", name):
            os.remove(os.path.join(out, name))
    control_address = kernel_address(elf.ELF(image_elf).symbols(), "trace_control", image_elf)
    command = list(command)
    if "-icount" not in command:
        command[1:1] = ICOUNT
    scratch = tempfile.mkdtemp(prefix="trace-")
    if buffer_bits:
        image = command[command.index("-kernel") + 1]
        command[command.index("-kernel") + 1] = patched_image(image, image_elf, buffer_bits, scratch)
    qmp_path = os.path.join(scratch, "qmp.sock")
    command += ["-qmp", f"unix:{qmp_path},server=on,wait=off", "-no-shutdown"]
    console = Console(os.path.join(out, "console.log"), echo)
    keyboard = Keyboard() if interactive else None
    proc = subprocess.Popen(command, stdin=subprocess.PIPE if interactive else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    start = time.monotonic()
    reason = None
    qmp = None
    try:
        qmp = QMP(qmp_path, timeout=30)
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ, "qemu")
        if keyboard:
            selector.register(sys.stdin, selectors.EVENT_READ, "keyboard")
        selector.register(qmp.sock, selectors.EVENT_READ, "qmp")
        while reason is None:
            for key, _ in selector.select(timeout=0.05):
                if key.data == "qemu":
                    data = os.read(proc.stdout.fileno(), 65536)
                    if not data:
                        reason = "QEMU exited"
                        break
                    for line in console.feed(data):
                        if until and until in line:
                            reason = f"the line {until!r} appeared"
                elif key.data == "keyboard":
                    forward, stop = keyboard.read()
                    if forward:
                        proc.stdin.write(forward)
                        proc.stdin.flush()
                    if stop:
                        reason = "Ctrl-A X was pressed"
                elif key.data == "qmp":
                    event = qmp.read()
                    if event.get("event") in ("SHUTDOWN", "STOP"):
                        reason = "the machine powered itself off"
            now = time.monotonic()
            if reason is None and seconds is not None and now - start >= seconds:
                reason = f"{seconds:g} s passed"
            if reason is None and quiet is not None and console.lines and now - console.last_output >= quiet:
                reason = f"the console was quiet for {quiet:g} s"
        if proc.poll() is not None:
            raise RuntimeError(f"QEMU exited (status {proc.returncode}) before the trace was read")
        qmp.command("stop")
        where = copy_out(qmp, control_address, out)
        qmp.command("quit")
    finally:
        if keyboard:
            keyboard.restore()
        if qmp:
            qmp.close()
        if proc.poll() is None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    run = {"command": command, "image_elf": os.path.abspath(image_elf), "stopped": reason,
           "system_out": os.path.abspath(system_out) if system_out else None,
           "wall_seconds": round(time.monotonic() - start, 3), **where}
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump(run, f, indent=2)
        f.write("\n")
    return run
