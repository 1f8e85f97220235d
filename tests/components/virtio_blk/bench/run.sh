#!/bin/sh
# Measures the virtio_blk driver (blk_bench.yaml): builds the system, boots it on
# one hart under -icount shift=0,sleep=off with an 8 MiB disk, and prints the
# client's figures, among them the lines
#   BENCH blk_read_4k_qd1_instructions N
#   BENCH blk_read_4k_qd32_instructions N
#   BENCH blk_kernel_entries_per_request_qd32 N
# usage: tests/components/virtio_blk/bench/run.sh [BUILD]   (from the project root;
#        BENCH_SYSTEM=file.yaml measures another description of the same system)
set -eu
build=${1:-build}
here=tests/components/virtio_blk/bench
system_make="make --no-print-directory -f tools/mk/system.mk BUILD=$build SYSTEM=${BENCH_SYSTEM:-$here/blk_bench.yaml}"
$system_make image >/dev/null
# The system's machine (one hart, its memory) and image, as make run boots it.
args=$($system_make -s qemu-args)
scratch=$build/tests/components/virtio_blk/bench
mkdir -p "$scratch"
python3 tests/components/virtio_blk/disk.py make "$scratch/disk.img"
# A component cannot power the machine off (no debug capability): QEMU is stopped once the client is done.
# shellcheck disable=SC2086  # build paths have no spaces
timeout 300 qemu-system-riscv64 $args -icount shift=0,sleep=off \
    -blockdev driver=raw,node-name=disk0,file.driver=file,file.filename="$scratch/disk.img" \
    -device virtio-blk-device,drive=disk0 </dev/null >"$scratch/run.log" 2>&1 &
qemu=$!
while kill -0 $qemu 2>/dev/null && ! grep -q 'BENCH DONE' "$scratch/run.log"; do
    sleep 0.2
done
kill $qemu 2>/dev/null
wait $qemu 2>/dev/null
grep -E '^(virtio_blk|bench):' "$scratch/run.log"
