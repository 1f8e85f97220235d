#!/bin/sh
# Starts QEMU halted with a gdb stub on localhost:1234, its console in a log
# file, and gdb-multiarch with the kernel's and the root task's symbols.
# usage: debug.sh KERNEL_ELF ROOT_TASK_ELF -- QEMU COMMAND...
set -eu
kernel_elf=$1
root_elf=$2
shift 3
console=build/logs/debug-console.log
mkdir -p build/logs
: > "$console"
"$@" -S -gdb tcp::1234 -serial "file:$console" -monitor none -display none &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT INT TERM
echo "debug: QEMU is halted at the first instruction; its console goes to $console"
echo "debug: (in another terminal: tail -f $console)"
gdb-multiarch -q \
    -ex "set architecture riscv:rv64" \
    -ex "file $kernel_elf" \
    -ex "add-symbol-file $root_elf" \
    -ex "target remote localhost:1234" \
    -ex "echo \nKernel and root task symbols loaded. Try: break boot_main, break main, continue\n"
