#!/usr/bin/env python3
"""Builds the boot archive that the kernel image carries: a header, a table
of (name, offset, size) entries and the files, each 4 KiB aligned.  The first
file is the root task.  Layout: libsel/include/sel/bootinfo.h.

usage: mkarchive.py OUTPUT NAME=FILE [NAME=FILE ...]
"""
import struct
import sys

MAGIC = 0x3148435241534C53  # "SLSARCH1"
NAME_MAX = 48
PAGE = 4096


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip())
    output, specs = argv[1], argv[2:]
    files = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            sys.exit(f"mkarchive: '{spec}' is not NAME=FILE")
        if len(name.encode()) >= NAME_MAX:
            sys.exit(f"mkarchive: name '{name}' is longer than {NAME_MAX - 1} bytes")
        try:
            with open(path, "rb") as f:
                files.append((name, f.read()))
        except OSError as e:
            sys.exit(f"mkarchive: cannot read {path}: {e.strerror}")

    header_size = 16 + len(files) * (NAME_MAX + 16)
    offset = (header_size + PAGE - 1) // PAGE * PAGE
    table, blobs = b"", b""
    for name, data in files:
        table += struct.pack(f"<{NAME_MAX}sQQ", name.encode(), offset, len(data))
        padded = data + b"\0" * (-len(data) % PAGE)
        blobs += padded
        offset += len(padded)
    head = struct.pack("<QQ", MAGIC, len(files)) + table
    head += b"\0" * (-len(head) % PAGE)
    with open(output, "wb") as f:
        f.write(head + blobs)


if __name__ == "__main__":
    main(sys.argv)
