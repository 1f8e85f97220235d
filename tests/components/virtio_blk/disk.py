#!/usr/bin/env python3
"""The disk image of the virtio_blk tests, and its host-side check.

  disk.py make IMAGE    writes an 8 MiB image whose every byte is background(offset)
  disk.py check IMAGE   after the run: the sectors the tests wrote hold written(offset),
                        every other byte is still background(offset); prints PASS/FAIL lines

background, written and WRITTEN are also in test_virtio_blk.c: keep them in step.
"""
import sys

SECTOR = 512
SECTORS = 16384                      # 8 MiB
WRITTEN = [                          # (first sector, sectors) the tests write, with written(offset)
    (2048, 1024),                    # the pattern: 128 writes of 4 KiB, 32 in flight
    (4000, 2),                       # a write whose data crosses a page boundary of the data region
    (SECTORS - 1, 1),                # the last sector of the disk
    (6000, 16),                      # the second client's writes, while the first reads
]


def background(offset):
    return (offset * 3 + (offset >> 9) * 5 + 0x91) & 0xFF


def written(offset):
    return (offset * 7 + (offset >> 9) * 13 + 0x3C) & 0xFF


# A sector starts at a multiple of 512, so byte j of sector s is (j * k + s * m + c) & 0xff: a row
# of j * k shifted by a per-sector constant, which bytes.translate does quickly.
ROW3 = bytes((j * 3) & 0xFF for j in range(SECTOR))
ROW7 = bytes((j * 7) & 0xFF for j in range(SECTOR))
SHIFT = [bytes((x + c) & 0xFF for x in range(256)) for c in range(256)]


def background_sector(s):
    return ROW3.translate(SHIFT[(s * 5 + 0x91) & 0xFF])


def written_sector(s):
    return ROW7.translate(SHIFT[(s * 13 + 0x3C) & 0xFF])


assert background_sector(7)[9] == background(7 * SECTOR + 9) and written_sector(7)[9] == written(7 * SECTOR + 9)


def is_written(s):
    return any(first <= s < first + count for first, count in WRITTEN)


def make(path):
    with open(path, "wb") as f:
        f.write(b"".join(background_sector(s) for s in range(SECTORS)))
    return 0


def first_difference(got, want):
    return next(i for i in range(SECTOR) if got[i] != want[i])


def check(path):
    try:
        with open(path, "rb") as f:
            image = f.read()
    except OSError as e:
        print(f"FAIL image_readable: cannot read {path}: {e}")
        return 1
    if len(image) != SECTORS * SECTOR:
        print(f"FAIL image_size: {path} is {len(image)} bytes, not {SECTORS * SECTOR}")
        return 1
    print("PASS image_size")
    failed = 0
    for name, inside, expect in (("written_sectors_hold_the_pattern", True, written_sector),
                                 ("every_other_sector_is_untouched", False, background_sector)):
        bad = None
        for s in range(SECTORS):
            if is_written(s) != inside:
                continue
            got, want = image[s * SECTOR:(s + 1) * SECTOR], expect(s)
            if got != want:
                i = first_difference(got, want)
                was = "the background" if got == background_sector(s) else \
                      "the written pattern" if got == written_sector(s) else "neither pattern"
                bad = (f"sector {s} differs from byte {i} on ({got[i]:#04x}, not {want[i]:#04x}); "
                       f"it holds {was}")
                break
        if bad:
            print(f"FAIL {name}: {bad}")
            failed += 1
        else:
            print(f"PASS {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit("usage: disk.py make|check IMAGE")
    sys.exit(make(sys.argv[2]) if sys.argv[1] == "make" else check(sys.argv[2]))
