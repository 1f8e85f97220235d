#!/bin/sh
# Starts QEMU halted with a gdb stub on a local port, its console in a log
# file, and gdb-multiarch attached to it with the kernel's symbols and those of
# every user program given (the loader, each component: their addresses never
# overlap).  When gdb exits, so does QEMU.
#
# usage: debug.sh [--port N] [--commands FILE] [--console FILE] KERNEL_ELF [PROGRAM_ELF...] -- QEMU COMMAND...
#   --port N         the gdb stub's port (default: one the system says is free)
#   --commands FILE  a gdb command file, run once gdb is attached (e.g. breakpoints, then continue)
#   --console FILE   where the console goes (default build/logs/debug-console.log)
set -eu
port=""
commands=""
console=build/logs/debug-console.log
while [ "$#" -gt 0 ]; do
    case $1 in
        --port) port=$2; shift 2 ;;
        --commands) commands=$2; shift 2 ;;
        --console) console=$2; shift 2 ;;
        *) break ;;
    esac
done
kernel_elf=$1
shift
programs=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    programs="$programs $1"
    shift
done
shift

if [ -n "$commands" ] && [ ! -r "$commands" ]; then
    echo "debug: no gdb command file '$commands' (GDB_COMMANDS is read from the project root)" >&2
    exit 1
fi

# Whether nothing listens on the port: binding it succeeds (QEMU binds 127.0.0.1; so does this).
port_is_free() {
    python3 -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}
if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
elif ! port_is_free "$port"; then
    # Attaching there would debug someone else's QEMU (an earlier make debug's, say), not this one.
    echo "debug: port $port is in use (another QEMU or gdb stub?); choose another with GDB_PORT=" >&2
    exit 1
fi

mkdir -p "$(dirname "$console")"
: > "$console"
qemu_errors=$console.qemu-errors
# QEMU in a session of its own: the terminal's Ctrl-C is for gdb (it stops the target), and
# QEMU would take it as the signal to quit.
setsid "$@" -S -gdb "tcp:127.0.0.1:$port" -serial "file:$console" -monitor none -display none \
    </dev/null 2>"$qemu_errors" &
qemu=$!
# gdb is a child, not exec'd, so that this trap outlives it and QEMU ends with the session.
trap 'kill $qemu 2>/dev/null || true; wait $qemu 2>/dev/null || true' EXIT
trap 'exit 1' HUP TERM
trap ':' INT

# Wait until this QEMU listens, so that gdb can only attach to it.
tries=0
while port_is_free "$port"; do
    if ! kill -0 "$qemu" 2>/dev/null; then
        echo "debug: QEMU did not start:" >&2
        cat "$qemu_errors" >&2
        exit 1
    fi
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ]; then
        echo "debug: QEMU did not open its gdb stub on port $port within 20 s" >&2
        exit 1
    fi
    sleep 0.1
done
if ! kill -0 "$qemu" 2>/dev/null; then
    echo "debug: QEMU did not start:" >&2
    cat "$qemu_errors" >&2
    exit 1
fi

echo "debug: QEMU is halted at its first instruction, its gdb stub on port $port; the console goes to $console"
echo "debug: (in another terminal: tail -f $console)"
set -- -q -ex "set confirm off" -ex "set architecture riscv:rv64" -ex "file $kernel_elf"
for p in $programs; do
    set -- "$@" -ex "add-symbol-file $p"
done
set -- "$@" -ex "target remote 127.0.0.1:$port"
if [ -n "$commands" ]; then
    set -- "$@" -x "$commands"
else
    set -- "$@" -ex "echo \nSymbols loaded for the kernel and:$programs\nTry: break boot_main, break main (the loader), break run, continue\n"
fi
status=0
gdb-multiarch "$@" || status=$?
exit $status
