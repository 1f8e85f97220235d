"""Generated glue through the components' compiler and linker.

fixtures/build/ holds small projects with C sources.  Codegen generates
each into a fresh directory; the glue and the sources are compiled as
components are (COMPONENT_CFLAGS of tools/mk/common.mk, -Werror); the link
uses the generated link.ld without libsel (its symbols are left unresolved:
only codegen's part of the link is under test).

* edge_names: names at the edges of what codegen allows compile, and a
  component with the largest heap there is (64M) links.
* missing_handler: a provider that leaves out a procedure fails to link
  with a message naming the handler, its port and the sources.
* ring_clients: a provided ring port with three clients (data regions, a
  token, two ports of one client) and one with none: every generated ring
  name compiles and links, and the constants page's symbols are where the
  layout put them.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import helpers

BUILD = os.path.join(helpers.HERE, "fixtures", "build")
CC = "riscv64-unknown-elf-gcc"


def make_variables():
    """The make variables of tools/mk/common.mk that component compilation uses, expanded."""
    values = {}
    with open(os.path.join(helpers.REPO, "tools", "mk", "common.mk"), encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    for name, value in re.findall(r"^([A-Z_]+)\s*:?=\s*(.*)$", text, re.M):
        values[name] = value
    def expand(value):
        return re.sub(r"\$\(([A-Z_]+)\)", lambda m: expand(values.get(m.group(1), "")), value)
    return {k: expand(v) for k, v in values.items()}


@unittest.skipUnless(shutil.which(CC), f"{CC} is not installed (tools/install-deps.sh installs it)")
class GeneratedGlueBuilds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="codegen-build-")
        variables = make_variables()
        cls.cflags = variables["COMPONENT_CFLAGS"].split() + ["-I" + os.path.join(helpers.REPO, "libsel", "include")]
        cls.arch = variables["ARCH_FLAGS"].split()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def generate(self, name):
        root = os.path.join(BUILD, name)
        out = os.path.join(self.tmp, name)
        result = helpers.run_codegen(os.path.join(root, "system.yaml"), "--out", out, root=root)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        return root, out

    def compile(self, root, out, component, source_dir):
        """Compiles one component's glue and sources; returns the object files."""
        glue = os.path.join(out, "components", component)
        objects = []
        sources = [os.path.join(glue, "component.c")] + sorted(
            os.path.join(root, "components", source_dir, f)
            for f in os.listdir(os.path.join(root, "components", source_dir)) if f.endswith(".c"))
        for i, source in enumerate(sources):
            obj = os.path.join(glue, f"{i}.o")
            result = subprocess.run([CC, *self.cflags, "-I" + glue, "-c", "-o", obj, source],
                                    capture_output=True, text=True, cwd=helpers.REPO)
            self.assertEqual((result.returncode, result.stderr), (0, ""), f"compiling {source}")
            objects.append(obj)
        return objects

    def link(self, out, component, objects):
        glue = os.path.join(out, "components", component)
        return subprocess.run([CC, *self.arch, "--specs=picolibc.specs", "-nostartfiles", "-nostdlib",
                               "-L" + os.path.join(helpers.REPO, "libsel"), "-T", os.path.join(glue, "link.ld"),
                               "-Wl,--unresolved-symbols=ignore-all", "-Wl,--entry=__glue_main", "-o", os.path.join(glue, "out.elf"),
                               *objects], capture_output=True, text=True, cwd=helpers.REPO)

    def test_names_at_the_edges_compile(self):
        root, out = self.generate("edge_names")
        for component in ("a", "b"):
            with self.subTest(component=component):
                self.compile(root, out, component, component)

    def test_a_heap_at_the_maximum_links(self):
        root, out = self.generate("edge_names")
        result = self.link(out, "b", self.compile(root, out, "b", "b"))
        self.assertEqual((result.returncode, result.stderr), (0, ""))

    def test_rings_with_several_clients_and_data_regions_compile_and_link(self):
        root, out = self.generate("ring_clients")
        for component in ("server", "client", "other"):
            with self.subTest(component=component):
                result = self.link(out, component, self.compile(root, out, component, component))
                self.assertEqual((result.returncode, result.stderr), (0, ""))
        _, spec = helpers.load_layout(root)
        server = next(c for c in spec.components if c.name == "server")
        symbols = subprocess.run([CC.replace("gcc", "nm"), os.path.join(out, "components", "server", "out.elf")],
                                 capture_output=True, text=True, check=True).stdout
        for symbol, (offset, _) in server.constants.items():
            self.assertIn(f"{server.constants_vaddr + offset:016x} A {symbol}\n", symbols)
        self.assertEqual(sorted(server.constants), ["big_paddr", "glue_jobs_data_paddr", "queues_paddr"])

    def test_a_missing_handler_is_named_by_the_link(self):
        root, out = self.generate("missing_handler")
        objects = self.compile(root, out, "server", "server")
        result = self.link(out, "server", objects)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("components/server/component.yaml:4:3: component 'server' provides port 'store' (interface "
                      "store), but its sources (components/server/server.c) "
                      "do not define the handler of procedure 'get': write int64_t store_get(uint32_t key)\n",
                      result.stderr)
        self.assertNotIn("undefined reference", result.stderr)

    def test_with_every_handler_the_provider_links(self):
        root, out = self.generate("missing_handler")
        objects = self.compile(root, out, "server", "server")
        extra = os.path.join(self.tmp, "get.c")
        with open(extra, "w", encoding="utf-8") as f:
            f.write("#include <component.h>\nint64_t store_get(uint32_t key) { return key; }\n")
        glue = os.path.join(out, "components", "server")
        subprocess.run([CC, *self.cflags, "-I" + glue, "-c", "-o", extra + ".o", extra], check=True)
        result = self.link(out, "server", objects + [extra + ".o"])
        self.assertEqual((result.returncode, result.stderr), (0, ""))

    def test_a_control_component_without_run_is_named_by_the_link(self):
        root, out = self.generate("missing_handler")
        glue = os.path.join(out, "components", "client")
        obj = os.path.join(glue, "glue.o")
        subprocess.run([CC, *self.cflags, "-I" + glue, "-c", "-o", obj, os.path.join(glue, "component.c")],
                       check=True)
        result = self.link(out, "client", [obj])
        self.assertIn("components/client/component.yaml: component 'client' is a control component (control: "
                      "true), but its sources", result.stderr)


if __name__ == "__main__":
    unittest.main()
