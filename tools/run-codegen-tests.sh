#!/bin/sh
# Runs the codegen tests (tests/codegen) with a Python 3 that has PyYAML and
# Jinja2, found as codegen/codegen finds one, prints the failures and writes
# one line per test case to RESULTS_FILE: "PASS codegen.<test id>" or
# "FAIL codegen.<test id>", or "FAIL codegen.run: ..." if the suite could not run.
#
#   usage: tools/run-codegen-tests.sh RESULTS_FILE
#   (set CODEGEN_TEST_DTB_CACHE to keep QEMU's dumped device tree elsewhere than build/dtb)
results=${1:?usage: tools/run-codegen-tests.sh RESULTS_FILE}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$(dirname "$results")" && rm -f "$results"
for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys, yaml, jinja2; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
        PYTHONPATH="$repo/codegen${PYTHONPATH:+:$PYTHONPATH}" "$py" "$repo/tests/codegen/run.py" "$results"
        status=$?
        # run.py writes its results even when tests fail; nothing written means it could not run at all.
        if [ ! -s "$results" ]; then
            echo "FAIL codegen.run: tests/codegen/run.py exited with status $status and wrote no results" >"$results"
            cat "$results"
        fi
        exit $status
    fi
done
echo "FAIL codegen.run: no Python 3.9+ with PyYAML and Jinja2 found (tried python3 and /usr/bin/python3)" >"$results"
cat "$results" >&2
exit 1
