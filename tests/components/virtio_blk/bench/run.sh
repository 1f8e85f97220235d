#!/bin/sh
# Measures the virtio_blk driver (blk_bench.yaml): builds the system, boots it on
# one hart under -icount shift=0,sleep=off with an 8 MiB disk, and prints the
# client's figures, among them the lines
#   BENCH blk_read_4k_qd1_instructions N
#   BENCH blk_read_4k_qd32_instructions N
#   BENCH blk_kernel_entries_per_request_qd32 N
# usage: tests/components/virtio_blk/bench/run.sh [BUILD]   (from the project root)
set -eu
build=${1:-build}
here=tests/components/virtio_blk/bench
make --no-print-directory -f tools/mk/system.mk BUILD="$build" SYSTEM=$here/blk_bench.yaml image >/dev/null
scratch=$build/systems/blk_bench/scratch
mkdir -p "$scratch"
python3 tests/components/virtio_blk/disk.py make "$scratch/disk.img"
timeout 300 qemu-system-riscv64 -machine virt -smp 1 -m 256M -nographic \
    -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin -global virtio-mmio.force-legacy=false \
    -icount shift=0,sleep=off \
    -blockdev driver=raw,node-name=disk0,file.driver=file,file.filename="$scratch/disk.img" \
    -device virtio-blk-device,drive=disk0 \
    -kernel "$build/systems/blk_bench/image.bin" </dev/null 2>&1 | tee "$scratch/run.log" | grep -E '^(virtio_blk|blk_bench|BENCH)'
