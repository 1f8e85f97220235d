#!/bin/sh
# Runs one component's harness image in QEMU and records its results in
# $BUILD/results/component-<name>.txt.  Two optional hooks in the test folder
# let a driver's test bring real devices and check them from the host:
#
#   tests/components/<name>/qemu-args DIR   prints extra QEMU arguments, one per line
#                                           (a disk image, a netdev...), preparing files in DIR
#   tests/components/<name>/check DIR LOG   runs after QEMU exits; prints "PASS case" or
#                                           "FAIL case: why" lines (host-side checks of the image, a pcap,
#                                           or of what the run printed: LOG is its console output)
#   tests/components/<name>/typing          lines "regex => text": text is typed on the console once
#                                           the output matches regex (tools/qemu-test.py --typing)
#
# DIR is the test's own scratch folder under the build.  Exits non-zero if any case failed.
# (COMPONENT_TESTS=folder looks for the hooks in folder/<name> instead: tests/tools uses it.)
# usage: run-component-test.sh NAME BUILD QEMU_COMMAND...
set -u
name=$1
build=$2
shift 2
dir=$build/tests/components/$name
scratch=$dir/scratch
results=$build/results/component-$name.txt
hooks=${COMPONENT_TESTS:-tests/components}/$name
mkdir -p "$scratch" "$build/results" "$build/logs"

set --  "$@"
if [ -x "$hooks/qemu-args" ]; then
    if ! extra=$("$hooks/qemu-args" "$scratch"); then
        echo "FAIL component-$name.setup: $hooks/qemu-args failed" > "$results"
        echo "component-$name: $hooks/qemu-args failed" >&2
        exit 1
    fi
    # One argument per line, so paths with spaces survive.
    old_ifs=$IFS
    IFS='
'
    set -- "$@" $extra
    IFS=$old_ifs
fi

log=$build/logs/component-$name.log
set -- --results "$results" -- "$@" -kernel "$dir/image.bin"
[ -f "$hooks/typing" ] && set -- --typing "$hooks/typing" "$@"
python3 tools/qemu-test.py --name "component-$name" --timeout 120 --log "$log" "$@"
status=$?

if [ -x "$hooks/check" ]; then
    "$hooks/check" "$scratch" "$log" > "$scratch/check.out" 2>&1
    check_status=$?
    cat "$scratch/check.out"
    sed -n "s/^\(PASS\|FAIL\) /\1 component-$name.host./p" "$scratch/check.out" >> "$results"
    if [ $check_status -ne 0 ] && ! grep -q '^FAIL ' "$scratch/check.out"; then
        echo "FAIL component-$name.host: $hooks/check exited with status $check_status" >> "$results"
    fi
fi
grep -q '^FAIL ' "$results" && exit 1
exit $status
