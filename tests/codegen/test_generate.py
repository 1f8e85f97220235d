"""Valid descriptions through the codegen program: --check, generation into a
directory (spec.json, rewriting only what changed) and --graph.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import helpers
from helpers import generate


class Check(unittest.TestCase):
    def test_repo_system_is_valid_through_the_shell_wrapper(self):
        # codegen/codegen finds a Python with PyYAML and Jinja2 itself.
        result = subprocess.run([os.path.join(helpers.CODEGEN_DIR, "codegen"), "system.yaml", "--check",
                                 "--dtb-cache", helpers.DTB_CACHE], cwd=helpers.REPO, capture_output=True,
                                text=True, timeout=120)
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.stdout, "system.yaml: system 'demo' is valid: 3 components, 7 connections\n")
        self.assertEqual(result.returncode, 0)

    def test_rpc_cycle_through_a_control_component_is_accepted(self):
        # The same three calls without a control component are refused, at one priority or at three
        # (fixtures/invalid/rpc_cycle_equal_priority, rpc_cycle_different_priorities).
        root = os.path.join(helpers.VALID, "rpc_cycle_through_control")
        result = helpers.run_codegen(os.path.join(root, "system.yaml"), "--check", root=root)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertEqual(result.stdout, "system.yaml: system 'system' is valid: 3 components, 3 connections\n")

    def test_every_valid_fixture_is_valid(self):
        for name in sorted(os.listdir(helpers.VALID)):
            with self.subTest(fixture=name):
                root = os.path.join(helpers.VALID, name)
                result = helpers.run_codegen(os.path.join(root, "system.yaml"), "--check", root=root)
                self.assertEqual((result.returncode, result.stderr), (0, ""))


class Generate(unittest.TestCase):
    """fixtures/valid/multi generated into a fresh directory by the program."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="codegen-test-")
        cls.root = os.path.join(cls.tmp, "multi")
        shutil.copytree(os.path.join(helpers.VALID, "multi"), cls.root)
        cls.out = os.path.join(cls.tmp, "out")
        cls.result = helpers.run_codegen(os.path.join(cls.root, "system.yaml"), "--out", cls.out, "--graph",
                                         root=cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_generation_succeeds(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        self.assertNotIn("Traceback", self.result.stderr)

    def test_each_component_gets_its_glue_and_the_system_its_layout_and_rules(self):
        names = ["client_a", "client_b", "server", "worker"]
        for name in names:
            for f in ("component.h", "component.c", "link.ld"):
                self.assertTrue(os.path.isfile(os.path.join(self.out, "components", name, f)), f"{name}/{f}")
        for f in ("spec.c", "spec.json", "generated.mk"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, f)), f)
        with open(os.path.join(self.out, "generated.mk"), encoding="utf-8") as f:
            self.assertIn("SYS_COMPONENTS := " + " ".join(names) + "\n", f.read())

    def test_the_glue_makes_no_tcb_invocation(self):
        # It holds no TCB cap: a thread that is done waits, and a server thread is started by the loader.
        for name in ("client_a", "client_b", "server", "worker"):
            with open(os.path.join(self.out, "components", name, "component.c"), encoding="utf-8") as f:
                self.assertNotIn("sel_tcb_", f.read(), name)

    def test_generated_files_name_their_source(self):
        with open(os.path.join(self.out, "components", "server", "component.h"), encoding="utf-8") as f:
            self.assertTrue(f.read().startswith("/*\n * generated from system.yaml: component server"))
        with open(os.path.join(self.out, "spec.c"), encoding="utf-8") as f:
            self.assertTrue(f.readline().startswith("/* generated from system.yaml:"))

    def test_spec_json_is_the_layout(self):
        _, spec = helpers.load_layout(self.root)
        with open(os.path.join(self.out, "spec.json"), encoding="utf-8") as f:
            written = json.load(f)
        self.assertEqual(written, json.loads(json.dumps(spec.json())))
        self.assertEqual(written["system"], "multi")
        self.assertEqual([c["name"] for c in written["components"]], ["client_a", "client_b", "server", "worker"])

    def test_graph_names_every_component_and_connection(self):
        with open(os.path.join(self.out, "multi.dot"), encoding="utf-8") as f:
            dot = f.read()
        self.assertTrue(dot.startswith('digraph "multi" {'))
        system = helpers.load(self.root)
        for inst in system.instances:
            self.assertRegex(dot, rf'\n\s*"{inst.name}" \[label="{inst.name}\\n')
        edges = re.findall(r'"(\w+)" -> "(\w+)" \[label="(\w+)[^"]*\\n(\w+) → (\w+)"', dot)
        expected = [(c.from_inst.name, c.to_inst.name, c.kind, c.from_port.name, c.to_port.name)
                    for c in system.connections]
        self.assertEqual(sorted(edges), sorted(expected))
        self.assertIn('subgraph cluster_0 { label="group group1 (one address space)"', dot)
        self.assertIn("[serial@10000000]", dot)
        written = os.path.relpath(os.path.join(self.out, "multi.dot"), self.root)
        self.assertIn(f"codegen: wrote {written}\n", self.result.stdout)

class RewriteOnlyChanges(unittest.TestCase):
    """Generated files are rewritten only when their content changes, so make rebuilds only what changed."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="codegen-test-")
        self.root = os.path.join(self.tmp, "multi")
        shutil.copytree(os.path.join(helpers.VALID, "multi"), self.root)
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def generate(self):
        system, spec = helpers.load_layout(self.root)
        written = generate.generate(system, spec, self.out, self.root, os.path.join(self.root, "system.yaml"))
        return sorted(os.path.relpath(p, self.out) for p in written)

    def mtimes(self):
        return {os.path.join(d, f): os.stat(os.path.join(d, f)).st_mtime_ns
                for d, _, files in os.walk(self.out) for f in files}

    def test_generating_again_writes_nothing(self):
        first = self.generate()
        self.assertEqual(len(first), 4 * 3 + 4 + 2)   # each component's 3 files; spec.c, spec.json, generated.mk, qemu-args; the loader's rpc side (2)
        before = self.mtimes()
        self.assertEqual(self.generate(), [])
        self.assertEqual(self.mtimes(), before)

    def test_a_change_rewrites_only_the_files_it_changes(self):
        self.generate()
        path = os.path.join(self.root, "system.yaml")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("priority: 120", "priority: 125"))   # the worker's
        self.assertEqual(self.generate(), ["components/worker/component.h", "spec.c", "spec.json"])

    def test_write_if_changed(self):
        path = os.path.join(self.tmp, "sub", "file.txt")
        self.assertTrue(generate.write_if_changed(path, "one\n"))
        self.assertFalse(generate.write_if_changed(path, "one\n"))
        self.assertTrue(generate.write_if_changed(path, "two\n"))
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), "two\n")


if __name__ == "__main__":
    unittest.main()
