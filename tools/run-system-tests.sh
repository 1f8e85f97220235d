#!/bin/sh
# Boots each system that has a tests/system/<name>.expect file (its first
# line says "# system: <description>") and checks its output line by line.
# Results go to $BUILD/results/system-<name>.txt.
# usage: run-system-tests.sh BUILD MAKE_COMMAND QEMU_COMMAND...
set -u
build=$1
make_cmd=$2
shift 2
status=0
for expect in tests/system/*.expect; do
    name=$(basename "$expect" .expect)
    system=$(sed -n '1s/^# system: //p' "$expect")
    if [ -z "$system" ]; then
        echo "FAIL system-$name.run: $expect does not start with '# system: <description>'" > "$build/results/system-$name.txt"
        status=1
        continue
    fi
    out=$build/systems/$(basename "$system" .yaml)
    if ! $make_cmd SYSTEM="$system" SYS_OUT="$out" image; then
        echo "FAIL system-$name.build: $system did not build" > "$build/results/system-$name.txt"
        status=1
        continue
    fi
    python3 tools/qemu-test.py --name "system-$name" --timeout 120 --log "$build/logs/system-$name.log" \
        --expect "$expect" --results "$build/results/system-$name.txt" -- "$@" -kernel "$out/image.bin" || status=1
done
exit $status
