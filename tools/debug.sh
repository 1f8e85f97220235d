#!/bin/sh
# Starts QEMU halted with a gdb stub on localhost:1234, its console in a log
# file, and gdb-multiarch with the kernel's symbols and those of every user
# program given (the loader, each component: their addresses never overlap).
# usage: debug.sh KERNEL_ELF [PROGRAM_ELF...] -- QEMU COMMAND...
set -eu
kernel_elf=$1
shift
programs=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    programs="$programs $1"
    shift
done
shift
console=build/logs/debug-console.log
mkdir -p build/logs
: > "$console"
"$@" -S -gdb tcp::1234 -serial "file:$console" -monitor none -display none &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT INT TERM
echo "debug: QEMU is halted at its first instruction; the console goes to $console"
echo "debug: (in another terminal: tail -f $console)"
set -- -q -ex "set confirm off" -ex "set architecture riscv:rv64" -ex "file $kernel_elf"
for p in $programs; do
    set -- "$@" -ex "add-symbol-file $p"
done
exec gdb-multiarch "$@" -ex "target remote localhost:1234" \
    -ex "echo \nSymbols loaded for the kernel and:$programs\nTry: break boot_main, break main (the loader), break run, continue\n"
