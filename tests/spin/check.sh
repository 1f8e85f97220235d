#!/bin/sh
# Checks the model of the ring wake-up protocol (tests/spin/ring.pml) with
# SPIN: the protocol as docs/rings.md writes it, in both directions (a
# consumer waiting for entries, a producer waiting for space), must verify
# with no errors over the whole state space, and each broken variant must be
# caught with a lost wake-up in the direction it breaks (so the check can
# fail).  Prints a summary, keeps each
# counterexample as an event log, and writes one line per case to
# RESULTS_FILE: "PASS spin.<case>" or "FAIL spin.<case>: why".
#
#   usage: tests/spin/check.sh RESULTS_FILE [BUILD_DIR]
#   (BUILD_DIR defaults to build/spin in the repository; nothing is written under tests/)
results=${1:?usage: tests/spin/check.sh RESULTS_FILE [BUILD_DIR]}
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$repo/build/spin}
model=$repo/tests/spin/ring.pml

mkdir -p "$(dirname "$results")" "$build" || exit 1
results=$(cd "$(dirname "$results")" && pwd)/$(basename "$results")
build=$(cd "$build" && pwd)
rm -f "$results"

# case name, the variant's macros, and what SPIN must find: "none",
# "lost-wakeup" (the consumer asleep on entries, assertion (a)) or
# "lost-space-wakeup" (the producer asleep on a ring with space, assertion (a'))
CASES="ring_correct||none
ring_no_producer_fence_is_caught|-DNO_PRODUCER_FENCE|lost-wakeup
ring_no_consumer_fence_is_caught|-DNO_CONSUMER_FENCE|lost-wakeup
ring_wake_not_ordered_is_caught|-DWAKE_NOT_ORDERED|lost-wakeup
ring_no_consumer_tail_fence_is_caught|-DNO_CONSUMER_TAIL_FENCE|lost-space-wakeup
ring_no_producer_space_fence_is_caught|-DNO_PRODUCER_SPACE_FENCE|lost-space-wakeup
ring_space_wake_not_ordered_is_caught|-DSPACE_WAKE_NOT_ORDERED|lost-space-wakeup"

failures=0
record() {  # record CASE "PASS" | "FAIL: why"
    case $2 in
        PASS) echo "PASS spin.$1" >>"$results" ;;
        *) echo "FAIL spin.$1${2#FAIL}" >>"$results"; failures=$((failures + 1)) ;;
    esac
}

missing=""
command -v spin >/dev/null 2>&1 || missing="$missing spin"
command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
if [ -n "$missing" ]; then
    echo "$CASES" | while IFS='|' read -r name defs expect; do
        echo "FAIL spin.$name: not installed:$missing (tools/install-deps.sh installs it)" >>"$results"
    done
    cat "$results" >&2
    exit 1
fi

# The pan options: exhaustive state storage (no bitstate), safety properties
# only (assertions and invalid end states), a depth limit far above the
# model's (about 400 steps) so the search is never cut short; for a broken
# variant, keep searching for the shortest counterexample (-i, needs -DREACH).
PAN_CFLAGS="-O2 -DSAFETY"
PAN_ARGS="-m100000 -w20"

while IFS='|' read -r name defs expect; do
    dir=$build/$name
    rm -rf "$dir" && mkdir -p "$dir" && cp "$model" "$dir/ring.pml" || { record "$name" "FAIL: cannot set up $dir"; continue; }
    cflags=$PAN_CFLAGS args=$PAN_ARGS
    [ "$expect" = none ] || { cflags="$cflags -DREACH"; args="$args -i"; }
    # shellcheck disable=SC2086 # $defs, $cflags and $args are lists of options
    if ! (cd "$dir" && spin $defs -a ring.pml) >"$dir/spin.log" 2>&1; then
        record "$name" "FAIL: spin $defs -a ring.pml failed: $(tail -1 "$dir/spin.log")"; continue
    fi
    # shellcheck disable=SC2086
    if ! (cd "$dir" && gcc $cflags -o pan pan.c) >"$dir/gcc.log" 2>&1; then
        record "$name" "FAIL: gcc $cflags -o pan pan.c failed: $(head -1 "$dir/gcc.log")"; continue
    fi
    # shellcheck disable=SC2086
    (cd "$dir" && ./pan $args) >"$dir/pan.log" 2>&1
    errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$dir/pan.log" | tail -1)
    states=$(sed -n 's/^ *\([0-9][0-9]*\) states, stored.*/\1/p' "$dir/pan.log" | tail -1)
    depth=$(sed -n 's/.*depth reached \([0-9][0-9]*\).*/\1/p' "$dir/pan.log" | tail -1)
    seconds=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' "$dir/pan.log" | tail -1)
    stats="$states states, depth $depth, ${seconds:-0} s"
    if [ -z "$errors" ] || [ -z "$states" ]; then
        record "$name" "FAIL: pan did not finish (see ${dir#$repo/}/pan.log)"
    elif grep -q "search depth too small" "$dir/pan.log"; then
        record "$name" "FAIL: the search was cut short at depth $depth (max search depth too small: raise -m)"
    elif [ "$expect" = none ]; then
        if [ "$errors" = 0 ]; then
            echo "spin: $name: no errors ($stats, the whole state space)"
            record "$name" PASS
        else
            (cd "$dir" && spin $defs -T -t ring.pml) 2>&1 | sed -e '/^#processes/,$d' -e '/^spin: warning, ".*" is newer than/d' >"$dir/counterexample.txt"
            record "$name" "FAIL: $(grep -m1 'pan:1:' "$dir/pan.log" | sed 's/^pan:1: //') (counterexample: ${dir#$repo/}/counterexample.txt)"
        fi
    elif [ "$errors" = 0 ]; then
        record "$name" "FAIL: SPIN found no lost wake-up with $defs ($stats): the model no longer catches this bug"
    else
        # (The sed drops spin's warning that the model is newer than the
        # trail, which it gives when both have the same mtime in seconds.)
        # The first violation pan reports must be the expected lost wake-up
        # assertion, (a) or (a'), not some other one.
        first=$(grep -m1 'pan:1:' "$dir/pan.log" | sed 's/^pan:1: //')
        (cd "$dir" && spin $defs -T -t ring.pml) 2>&1 | sed -e '/^#processes/,$d' -e '/^spin: warning, ".*" is newer than/d' >"$dir/counterexample.txt"
        steps=$(grep -c . "$dir/counterexample.txt")
        case $expect in
            lost-wakeup) want='consumer_asleep' what='lost wake-up (consumer asleep on entries)' ;;
            *) want='producer_asleep' what='lost wake-up (producer asleep on space)' ;;
        esac
        case $first in
            *"$want"*)
                echo "spin: $name: $what found ($stats; shortest counterexample, $steps lines: ${dir#$repo/}/counterexample.txt)"
                record "$name" PASS ;;
            *)
                record "$name" "FAIL: with $defs SPIN found '$first' instead of a $what (see ${dir#$repo/}/counterexample.txt)" ;;
        esac
    fi
done <<EOF
$CASES
EOF

grep '^FAIL' "$results" >&2
echo "spin: $(grep -c '^PASS' "$results") passed, $failures failed"
[ "$failures" = 0 ]
