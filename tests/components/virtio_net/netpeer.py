#!/usr/bin/env python3
"""The host end of the virtio_net tests: the other side of QEMU's dgram netdev.

QEMU carries each Ethernet frame of the guest's virtio-net device as one UDP
datagram between its socket and ours, on 127.0.0.1 only.  The guest's test
driver tells us what to do with control frames (ethertype 0x88b5, payload
"NETPEER" + a command letter + big-endian 32-bit arguments):

  H                        hello: note QEMU's address, answer with a control frame 'h'
  S count length first gap send count data frames, sequence numbers first.., of length
                           bytes (0: cycle through LENGTHS), pausing 1 ms after every gap
                           frames (0: no pause)
  E count length first     echo: keep WINDOW data frames in flight to the guest, each sent
                           when an earlier one comes back (the guest swaps the addresses) or
                           has not for LOST_AFTER seconds (lost: dropped on the way); check
                           every echo byte for byte; then answer 'e' good bad lost
  L                        flap the link: set it down through QEMU's monitor (DIR/monitor.sock),
                           wait until the guest has acknowledged the configuration interrupt
                           (the device's ISR, in "info virtio-status"), set it up again
  Q                        quit

Every data frame (ethertype 0x88b6) the guest sends outside an echo is
written to received.bin (a 4-byte big-endian length, then the frame) for the
host check; a summary goes to netpeer.json.  The run is bounded: we leave
after --deadline seconds whatever happens.

usage: netpeer.py DIR   (binds 127.0.0.1:0, writes DIR/netpeer.port, runs until Q or the deadline)
"""
import json
import os
import signal
import socket
import struct
import sys
import time

GUEST_MAC = bytes.fromhex("525400123456")
PEER_MAC = bytes.fromhex("020000000001")
CONTROL_TYPE = 0x88B5
DATA_TYPE = 0x88B6
MAGIC = b"NETPEER"
LENGTHS = [60, 64, 128, 333, 1000, 1514]   # what 'S' cycles through with length 0 (also in test_virtio_net.c)
WINDOW = 56
LOST_AFTER = 1.0   # seconds without its echo before a frame counts as lost


# Payload byte i of frame seq is (seq * 31 + i * 7) & 0xff: a fixed ramp, shifted by a translation table.
RAMP = bytes((i * 7) & 0xFF for i in range(2048))
SHIFT = [bytes((b + c) & 0xFF for b in range(256)) for c in range(256)]


def data_frame(seq, length, dst=GUEST_MAC, src=PEER_MAC):
    """Frame seq of length bytes: addresses, type, seq, length, then (seq * 31 + i * 7) & 0xff."""
    head = dst + src + struct.pack(">HIH", DATA_TYPE, seq, length)
    return head + RAMP[:length - len(head)].translate(SHIFT[(seq * 31) & 0xFF])


def control_frame(letter, *args):
    return GUEST_MAC + PEER_MAC + struct.pack(">H", CONTROL_TYPE) + MAGIC + letter.encode() + \
        b"".join(struct.pack(">I", a) for a in args)


class Echo:
    """An echo run: WINDOW frames in flight, each sent when an earlier one comes back or is given up."""

    def __init__(self, count, length, first, send):
        self.count, self.length, self.first, self.send = count, length, first, send
        self.sent = self.good = self.bad = self.lost = 0
        self.first_bad = None
        self.outstanding = {}   # seq -> (frame, when sent)
        while self.sent < min(WINDOW, count):
            self.send_next()

    def send_next(self):
        seq = self.first + self.sent
        frame = data_frame(seq, self.length or LENGTHS[seq % len(LENGTHS)])
        self.outstanding[seq] = (frame, time.monotonic())
        self.send(frame)
        self.sent += 1

    def owns(self, seq):
        return self.first <= seq < self.first + self.count

    def done(self):
        return self.good + self.bad + self.lost == self.count

    def back(self, seq, frame):
        """An echoed frame came back."""
        want = self.outstanding.pop(seq, (None, 0))[0]
        if want is not None and frame == want[6:12] + want[0:6] + want[12:]:
            self.good += 1
        else:
            self.bad += 1
            self.first_bad = self.first_bad or f"seq {seq}: {len(frame)} bytes {frame[:24].hex()}"
        if self.sent < self.count:
            self.send_next()

    def expire(self):
        """Frames not back after LOST_AFTER seconds were dropped on the way: count them, send others."""
        old = [seq for seq, (_, when) in self.outstanding.items() if time.monotonic() - when > LOST_AFTER]
        for seq in old:
            del self.outstanding[seq]
            self.lost += 1
            if self.sent < self.count:
                self.send_next()

    def result(self):
        return {"count": self.count, "length": self.length, "first": self.first, "good": self.good,
                "bad": self.bad, "lost": self.lost, "first_bad": self.first_bad}


class Monitor:
    """QEMU's human monitor on a unix socket: one command at a time, answers up to the next prompt."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.read_to_prompt()

    def read_to_prompt(self):
        data = b""
        while not data.endswith(b"(qemu) "):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("the monitor closed")
            data += chunk
        return data.decode("utf-8", "replace")

    def command(self, line):
        self.sock.sendall(line.encode() + b"\n")
        return self.read_to_prompt()


def flap_link(out, summary):
    """Link down, wait (bounded) until the guest has taken the configuration interrupt, link up."""
    import re
    try:
        mon = Monitor(os.path.join(out, "monitor.sock"))
        mon.command("set_link n1 off")
        seen = False
        for _ in range(400):   # 20 s at most
            m = re.search(r"isr:\s+(\d+)", mon.command("info virtio-status /machine/peripheral/nic"))
            if m and not int(m.group(1)) & 2:
                seen = True
                break
            time.sleep(0.05)
        mon.command("set_link n1 on")
        summary["link"] = "acknowledged" if seen else "not acknowledged in 20 s"
    except OSError as e:
        summary["link"] = f"monitor: {e}"


def main():
    out = sys.argv[1]
    deadline = time.monotonic() + float(os.environ.get("NETPEER_DEADLINE", "150"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    with open(os.path.join(out, "netpeer.port.tmp"), "w") as f:
        f.write(str(sock.getsockname()[1]))
    os.rename(os.path.join(out, "netpeer.port.tmp"), os.path.join(out, "netpeer.port"))

    qemu = None
    echo = None
    summary = {"commands": [], "received": 0, "echo": [], "quit": False}
    received = open(os.path.join(out, "received.bin"), "wb", buffering=0)

    def finish(*_):
        if echo is not None:
            summary["echo"].append(dict(echo.result(), unfinished=True))
        with open(os.path.join(out, "netpeer.json"), "w") as f:
            json.dump(summary, f, indent=1)
        sys.exit(0)
    signal.signal(signal.SIGTERM, finish)

    def send(frame):
        if qemu is not None:
            sock.sendto(frame, qemu)

    def echo_over():
        nonlocal echo
        summary["echo"].append(echo.result())
        send(control_frame("e", echo.good, echo.bad, echo.lost))
        echo = None

    while time.monotonic() < deadline and not summary["quit"]:
        sock.settimeout(0.1 if echo is not None else max(0.1, deadline - time.monotonic()))
        if echo is not None:
            echo.expire()
            if echo.done():
                echo_over()
                continue
        try:
            frame, addr = sock.recvfrom(65536)
        except socket.timeout:
            continue
        if len(frame) < 14:
            continue
        kind = struct.unpack(">H", frame[12:14])[0]
        if kind == DATA_TYPE and len(frame) >= 20:
            seq = struct.unpack(">I", frame[14:18])[0]
            if echo is not None and echo.owns(seq):
                echo.back(seq, frame)
                if echo.done():
                    echo_over()
                continue
            received.write(struct.pack(">I", len(frame)) + frame)
            summary["received"] += 1
            continue
        if kind != CONTROL_TYPE or frame[14:21] != MAGIC or len(frame) < 22:
            continue
        qemu = addr
        letter = chr(frame[21])
        args = [struct.unpack(">I", frame[22 + 4 * i:26 + 4 * i])[0] for i in range((len(frame) - 22) // 4)]
        summary["commands"].append([letter] + args)
        if letter == "H":
            # The answer says whether this run measures (NET_BENCH=1 in the environment of make).
            send(control_frame("h", int(os.environ.get("NET_BENCH", "0") or 0)))
        elif letter == "S" and len(args) >= 4:
            count, length, first, gap = args[:4]
            for i in range(count):
                seq = first + i
                send(data_frame(seq, length or LENGTHS[seq % len(LENGTHS)]))
                if gap and (i + 1) % gap == 0:
                    time.sleep(0.001)
        elif letter == "E" and len(args) >= 3:
            echo = Echo(*args[:3], send)
        elif letter == "L":
            flap_link(out, summary)
        elif letter == "Q":
            summary["quit"] = True
    finish()


if __name__ == "__main__":
    main()
