#!/bin/sh
# Counts the FAT core's instructions on the target: builds
# tests/fat/measure/ (bare metal, the core at -O2 for rv64imac with
# picolibc) and runs it in QEMU virt under -icount with a FAT32 RAM disk
# that mkfs.fat made; prints "key value" lines.  The disk's own
# instructions are taken off (see measure/main.c).
#
# usage: tests/fat/measure.sh [BUILD_DIR]     (default build/fat-measure)
set -eu
out=${1:-build/fat-measure}
mkdir -p "$out"
PATH="$PATH:/usr/sbin:/sbin"
disk="$out/disk.img"
rm -f "$disk"
mkfs.fat -C -F 32 -s 8 "$disk" 300000 >/dev/null     # 4 KiB clusters (needs 256 MiB or more for FAT32)
sectors=$(( $(stat -c %s "$disk") / 512 ))
riscv64-unknown-elf-gcc -march=rv64imac -misa-spec=2.2 -mabi=lp64 -mcmodel=medany --specs=picolibc.specs \
    -std=c11 -O2 -ffreestanding -Wall -Wextra -Werror -Wno-unused-parameter -nostartfiles -T tests/fat/measure/link.ld \
    -Icomponents/fs/fat -DDISK_SECTORS="${sectors}ull" -o "$out/measure.elf" \
    tests/fat/measure/start.S tests/fat/measure/main.c components/fs/fat/*.c
timeout 300 qemu-system-riscv64 -machine virt -bios none -m 512M -nographic -icount shift=0,sleep=off \
    -kernel "$out/measure.elf" -device loader,file="$disk",addr=0x88000000,force-raw=on
