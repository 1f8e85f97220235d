"""Invalid descriptions: each directory in fixtures/invalid/ is a small project
that codegen must refuse with exactly the problems in its expected.txt.

codegen runs as a program (`codegen --root FIXTURE FIXTURE/system.yaml --check`)
for each fixture: it must exit with status 1, print the expected lines and then
"codegen: N problem(s); nothing generated" on stderr, nothing on stdout, and
never a Python traceback.  One test case per fixture (test_<fixture name>).
"""
import concurrent.futures
import os
import unittest

import helpers

FIXTURES = sorted(d for d in os.listdir(helpers.INVALID) if os.path.isdir(os.path.join(helpers.INVALID, d)))


def _run(name):
    root = os.path.join(helpers.INVALID, name)
    return helpers.run_codegen(os.path.join(root, "system.yaml"), "--check", root=root)


class InvalidDescriptions(unittest.TestCase):
    results = {}

    @classmethod
    def setUpClass(cls):
        # The fixtures are independent: run them two at a time (each is a Python start-up, ~0.3 s).
        # Device-tree fixtures share one cache, so dump it first rather than from two processes at once.
        try:
            helpers.qemu_device_tree(2, 256 << 20)
        except helpers.dtb.DtbError:
            pass                    # the device fixtures fail and say why
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            cls.results = dict(zip(FIXTURES, pool.map(_run, FIXTURES)))

    def check_fixture(self, name):
        with open(os.path.join(helpers.INVALID, name, "expected.txt"), encoding="utf-8") as f:
            expected = [line for line in f.read().splitlines() if line]
        self.assertTrue(expected, f"{name}/expected.txt is empty")
        result = self.results[name]
        self.assertNotIn("Traceback", result.stderr)
        n = len(expected)
        summary = f"codegen: {n} problem{'s' if n > 1 else ''}; nothing generated"
        self.assertEqual(result.stderr.splitlines(), expected + [summary])
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.returncode, 1)


def _make_test(name):
    def test(self):
        self.check_fixture(name)
    test.__doc__ = f"fixtures/invalid/{name}"
    return test


for _name in FIXTURES:
    setattr(InvalidDescriptions, f"test_{_name}", _make_test(_name))


class FixtureSet(unittest.TestCase):
    def test_enough_fixtures(self):
        self.assertGreaterEqual(len(FIXTURES), 45)

    def test_every_fixture_is_a_project_with_expected_lines(self):
        for name in FIXTURES:
            with self.subTest(fixture=name):
                root = os.path.join(helpers.INVALID, name)
                self.assertTrue(os.path.isfile(os.path.join(root, "system.yaml")))
                self.assertTrue(os.path.isfile(os.path.join(root, "expected.txt")))

    def test_expected_lines_name_files_of_the_fixture(self):
        # file:line:column: message, or file: message; the file relative to the fixture's root.
        for name in FIXTURES:
            root = os.path.join(helpers.INVALID, name)
            with open(os.path.join(root, "expected.txt"), encoding="utf-8") as f:
                for line in f.read().splitlines():
                    with self.subTest(fixture=name, line=line):
                        path = line.split(":", 1)[0]
                        self.assertTrue(os.path.isfile(os.path.join(root, path)), f"{path} is not in the fixture")


if __name__ == "__main__":
    unittest.main()
