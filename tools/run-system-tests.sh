#!/bin/sh
# Boots each system that has a tests/system/<name>.expect file (its first
# line says "# system: <description>") on the machine the system describes
# (its harts and memory) and checks its output line by line.
# Results go to $BUILD/results/system-<name>.txt.
# usage: run-system-tests.sh BUILD MAKE_COMMAND QEMU
set -u
build=$1
make_cmd=$2
qemu=$3
status=0
for expect in tests/system/*.expect; do
    name=$(basename "$expect" .expect)
    system=$(sed -n '1s/^# system: //p' "$expect")
    if [ -z "$system" ]; then
        echo "FAIL system-$name.run: $expect does not start with '# system: <description>'" > "$build/results/system-$name.txt"
        status=1
        continue
    fi
    # The folder and the QEMU arguments come from tools/mk/system.mk, as for make run.
    if ! $make_cmd SYSTEM="$system" image || ! args=$($make_cmd -s SYSTEM="$system" qemu-args); then
        echo "FAIL system-$name.build: $system did not build" > "$build/results/system-$name.txt"
        status=1
        continue
    fi
    # shellcheck disable=SC2086  # one argument per word: build paths have no spaces (make's rule too)
    python3 tools/qemu-test.py --name "system-$name" --timeout 120 --log "$build/logs/system-$name.log" \
        --expect "$expect" --results "$build/results/system-$name.txt" -- "$qemu" $args || status=1
done
exit $status
