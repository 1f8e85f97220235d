"""Runs the codegen tests and writes one line per test case to RESULTS:
"PASS codegen.<test id>" or "FAIL codegen.<test id>" (tools/run-codegen-tests.sh).

usage: PYTHONPATH=codegen python3 tests/codegen/run.py RESULTS
"""
import os
import sys
import time
import traceback
import unittest


class Result(unittest.TextTestResult):
    """Remembers each test case's verdict; a failing subtest fails its test case."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verdicts = {}

    def _set(self, test, verdict):
        if self.verdicts.get(test.id()) != "FAIL":
            self.verdicts[test.id()] = verdict

    def addSuccess(self, test):
        super().addSuccess(test)
        self._set(test, "PASS")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)     # also an error in setUpClass: its id names the class
        self._set(test, "FAIL")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.verdicts[test.id()] = "FAIL"

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "SKIP")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, "PASS")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "FAIL")


def main():
    results_path = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    start = time.monotonic()
    try:
        suite = unittest.defaultTestLoader.discover(here, top_level_dir=here)
        result = unittest.TextTestRunner(stream=sys.stdout, verbosity=1, resultclass=Result).run(suite)
        lines = [f"{verdict} codegen.{test_id}" for test_id, verdict in result.verdicts.items()]
        if not lines:
            lines = ["FAIL codegen.run: no tests were found in tests/codegen"]
    except Exception:   # the suite itself broke: say so rather than leave no results
        traceback.print_exc()
        lines = [f"FAIL codegen.run: {traceback.format_exc().strip().splitlines()[-1]}"]
    with open(results_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    passed = sum(1 for line in lines if line.startswith("PASS "))
    failed = sum(1 for line in lines if line.startswith("FAIL "))
    print(f"codegen: {passed} passed, {failed} failed in {time.monotonic() - start:.1f} s")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
