"""The pieces of codegen on their own: sizes, positions in YAML, the schema
checker, the cycle finder, the device-tree reader, and the device checks on
device trees QEMU's virt machine cannot give (registers sharing a page).
"""
import os
import re
import shutil
import tempfile
import unittest

import yaml

import helpers
from helpers import dtb, generate, layout, model, system
from selgen import errors, harness, interfaces, schema, yamlpos
from selgen import machine as model_machine


def write_files(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


class Sizes(unittest.TestCase):
    def test_parse_size(self):
        self.assertEqual(model.parse_size(4096), 4096)
        self.assertEqual(model.parse_size("4096"), 4096)
        self.assertEqual(model.parse_size("16K"), 16 << 10)
        self.assertEqual(model.parse_size("2M"), 2 << 20)
        self.assertEqual(model.parse_size("1G"), 1 << 30)

    def test_ring_bytes_hold_header_and_entries_in_whole_cache_lines(self):
        total, entry = layout.ring_bytes(16, 12)         # a 12-byte message: 8-byte tag + 16 bytes
        self.assertEqual(entry, 24)
        self.assertEqual(total, (layout.RING_HEADER + 16 * 24 + 63) // 64 * 64)
        self.assertEqual(total % 64, 0)

    def test_ring_header_and_tag_match_the_c_header(self):
        # The generated glue hands these sizes to sel_ring_*_init; the C header lays the ring out.
        with open(os.path.join(helpers.REPO, "libsel", "include", "sel", "ring.h"), encoding="utf-8") as f:
            text = f.read()
        defines = dict(re.findall(r"^#define (SEL_RING_\w+) (\d+)$", text, re.M))
        self.assertEqual(int(defines["SEL_RING_HEADER"]), layout.RING_HEADER)
        self.assertEqual(layout.ring_bytes(4, 1)[1] - 8, 8)   # the message after the tag, rounded to 8
        self.assertEqual(int(defines["SEL_RING_TAG_SIZE"]), 8)


class YamlPositions(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="codegen-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def load(self, text):
        path = os.path.join(self.tmp, "f.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        problems = errors.Collector()
        return yamlpos.load(path, "f.yaml", problems), [str(p) for p in problems.problems]

    def test_nodes_remember_line_and_column(self):
        root, problems = self.load("a: 1\nlist:\n  - {x: yes}\n")
        self.assertEqual(problems, [])
        self.assertEqual((root.get("a").line, root.get("a").col), (1, 4))
        item = root.get("list").items[0]
        self.assertEqual((item.line, item.col), (3, 5))
        self.assertEqual(item.get("x").value, True)
        self.assertEqual((root.keys["list"].line, root.keys["list"].col), (2, 1))
        self.assertEqual(root.py(), {"a": 1, "list": [{"x": True}]})

    def test_duplicate_keys_are_problems_not_overwrites(self):
        root, problems = self.load("a: 1\nb: 2\na: 3\n")
        self.assertEqual(problems, ["f.yaml:3:1: duplicate key 'a' (first at line 1)"])
        self.assertEqual(root.value("a"), 1)

    def test_dates_stay_text(self):
        root, _ = self.load("when: 2024-01-02\n")
        self.assertEqual(root.value("when"), "2024-01-02")

    def test_merge_keys_add_what_the_mapping_does_not_set(self):
        root, problems = self.load("a: &d {x: 1, y: 2}\nb:\n  <<: *d\n  y: 3\nc:\n  <<: [{z: 4}, *d]\n")
        self.assertEqual(problems, [])
        self.assertEqual(root.value("b"), {"y": 3, "x": 1})
        self.assertEqual(root.value("c"), {"z": 4, "x": 1, "y": 2})
        # A merged value keeps the place it was written, so a problem with it is reported there.
        self.assertEqual((root.get("b").get("x").line, root.get("b").get("x").col), (1, 11))

    def test_aliases_are_counted_before_they_are_expanded(self):
        lines = ["l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"] + \
            [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 30)]
        root, problems = self.load("\n".join(lines) + "\n")    # 10^30 values once expanded
        self.assertIsNone(root)
        self.assertEqual(len(problems), 1)
        self.assertRegex(problems[0], r"^f\.yaml:29:6: aliases expand this file to [0-9]+ values, at most 100000")

    def test_a_few_aliases_are_fine(self):
        root, problems = self.load("a: &a [1, 2]\nb: [*a, *a]\n")
        self.assertEqual((root.value("b"), problems), ([[1, 2], [1, 2]], []))

    def test_missing_file(self):
        problems = errors.Collector()
        self.assertIsNone(yamlpos.load(os.path.join(self.tmp, "none.yaml"), "none.yaml", problems))
        self.assertEqual([str(p) for p in problems.problems], ["none.yaml: no such file"])


class SchemaMessages(unittest.TestCase):
    """The schema checker on its own, with the component schema."""

    def check(self, text):
        tmp = tempfile.mkdtemp(prefix="codegen-test-")
        try:
            path = os.path.join(tmp, "component.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            problems = errors.Collector()
            node = yamlpos.load(path, "component.yaml", problems)
            schema.validate(node, schema.load_schema("component.schema.json"), problems)
            return [str(p) for p in errors.Problems(problems.problems).problems] if problems.problems else []
        finally:
            shutil.rmtree(tmp)

    def test_valid(self):
        self.assertEqual(self.check("component: x\nprovides: {a: b}\nemits: [c]\nconsumes: {d: e}\n"), [])

    def test_unknown_key_suggests_the_closest(self):
        self.assertEqual(self.check("component: x\nprovide: {a: b}\n"), [
            "component.yaml:2:1: the component has an unknown key 'provide' (known: component, consumes, control, "
            "dataports, default_handlers, description, dma, emits, optional, provides, sources, uses); did you mean 'provides'?"])

    def test_misspelt_required_key_is_reported_once(self):
        self.assertEqual(self.check("componnet: x\n"), [
            "component.yaml:1:1: the component has an unknown key 'componnet' (known: component, consumes, control, "
            "dataports, default_handlers, description, dma, emits, optional, provides, sources, uses); did you mean 'component'?"])

    def test_missing_required_key(self):
        self.assertEqual(self.check("control: true\n"), ["component.yaml:1:1: the component has no 'component'"])

    def test_one_of_picks_the_alternative_of_the_right_type(self):
        self.assertEqual(self.check("component: x\nemits: {A: b}\n"), [
            "component.yaml:2:9: a name in 'emits' of the component must be a C identifier in lower case, not 'A'"])
        self.assertEqual(self.check("component: x\nemits: 3\n"), [
            "component.yaml:2:8: 'emits' of the component must be a list or a mapping, not an integer (3)"])

    def test_list_entries_are_named_by_their_list(self):
        self.assertEqual(self.check("component: x\ndataports: [ok, Bad]\n"), [
            "component.yaml:2:17: an entry of 'dataports' of the component must be a C identifier in lower case, "
            "not 'Bad'"])

    def test_wrong_type(self):
        self.assertEqual(self.check("component: x\ncontrol: yes please\n"), [
            "component.yaml:2:10: 'control' of the component must be true or false, not a string ('yes please')"])


class Cycles(unittest.TestCase):
    def test_find_cycle(self):
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
        self.assertEqual(system.find_cycle("a", graph), ["a", "b", "c"])
        self.assertEqual(system.find_cycle("d", graph), None)

    def test_no_cycle_through_start(self):
        graph = {"a": {"b"}, "b": {"c"}, "c": {"b"}}
        self.assertIsNone(system.find_cycle("a", graph))
        self.assertEqual(system.find_cycle("b", graph), ["b", "c"])


class DeviceTreeReader(unittest.TestCase):
    def test_reads_registers_and_interrupts(self):
        tree = dtb.DeviceTree(helpers.small_platform(("uart@10000000", [(0x10000000, 0x100)], [10]),
                                                     ("blk@10001000", [(0x10001000, 0x1000), (0x10003000, 0x10)],
                                                      [])))
        uart = tree.device("uart@10000000")
        self.assertEqual((uart.regs, uart.irqs, uart.base_name), ([(0x10000000, 0x100)], [10], "uart"))
        self.assertEqual(tree.device("blk@10001000").regs, [(0x10001000, 0x1000), (0x10003000, 0x10)])
        self.assertIsNone(tree.device("none@0"))
        self.assertEqual(tree.device_names(), ["blk@10001000", "plic@c000000", "uart@10000000"])

    def test_qemu_virt_tree(self):
        tree = helpers.qemu_device_tree(2, 256 << 20)
        serial = tree.device("serial@10000000")
        self.assertEqual(serial.regs, [(0x10000000, 0x100)])
        self.assertEqual(serial.irqs, [10])
        self.assertIn("ns16550a", serial.compatible)

    def test_not_a_device_tree(self):
        with self.assertRaisesRegex(dtb.DtbError, "x.dtb: not a flattened device tree"):
            dtb.DeviceTree(b"\0" * 64, "x.dtb")
        blob = helpers.small_platform()
        with self.assertRaisesRegex(dtb.DtbError, "truncated"):
            dtb.DeviceTree(blob[:-8], "x.dtb")


class DevicesOnASmallPlatform(unittest.TestCase):
    """Device checks with a device tree of our own (QEMU's virt machine has no two devices in one page)."""

    DEVICES = [("uart@10000000", [(0x10000000, 0x100)], [10]), ("gpio@10000100", [(0x10000100, 0x100)], [11]),
               ("timer@10002000", [(0x10002000, 0x2000)], [12, 13])]

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="codegen-test-")
        write_files(self.tmp, {"components/drv/component.yaml": "component: drv\n",
                               "components/drv/drv.c": "/* never compiled */\n"})
        self.blob = helpers.small_platform(*self.DEVICES)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def load(self, system):
        write_files(self.tmp, {"system.yaml": system})
        return helpers.load(self.tmp, device_tree_for=lambda harts, memory: dtb.DeviceTree(self.blob, "test.dtb"))

    def problems(self, system):
        with self.assertRaises(errors.Problems) as e:
            self.load(system)
        return [str(p) for p in e.exception.problems]

    def test_devices_whose_registers_share_a_page_are_refused(self):
        self.assertEqual(self.problems(
            "components:\n"
            "  - {name: one, source: components/drv, priority: 10, devices: [uart@10000000]}\n"
            "  - {name: two, source: components/drv, priority: 10, devices: [gpio@10000100]}\n"), [
            "system.yaml:3:65: device 'gpio@10000100' (0x10000100-0x100001ff) overlaps device 'uart@10000000' "
            "in page 0x10000000; a page can go to one device only"])

    def test_even_within_one_component(self):
        self.assertEqual(len(self.problems(
            "components:\n"
            "  - {name: one, source: components/drv, priority: 10, devices: [uart@10000000, gpio@10000100]}\n")), 1)

    def test_separate_pages_are_fine_and_each_irq_gets_a_bit(self):
        system = self.load("components:\n"
                           "  - {name: one, source: components/drv, priority: 10,\n"
                           "     devices: [uart@10000000, {node: timer@10002000, as: clock}]}\n")
        spec = layout.build(system)
        comp = spec.components[0]
        self.assertEqual([(i.irq, i.device) for i in spec.irqs], [(10, "uart"), (12, "clock"), (13, "clock")])
        self.assertEqual(sorted(1 << comp.notification_bits[f"irq {i.device} {i.irq}"] for i in spec.irqs),
                         sorted(i.badge for i in spec.irqs))
        frames = sorted(o.paddr for o in spec.objects if o.type == "device_frame")
        self.assertEqual(frames, [0x10000000, 0x10002000, 0x10003000])

    def test_a_device_name_must_not_take_a_name_of_a_port(self):
        write_files(self.tmp, {"components/shm/component.yaml": "component: shm\ndataports: [uart_regs]\n",
                               "components/shm/shm.c": "/* never compiled */\n"})
        self.assertEqual(self.problems(
            "components:\n"
            "  - {name: one, source: components/shm, priority: 10, devices: [uart@10000000]}\n"
            "  - {name: two, source: components/shm, priority: 10}\n"
            "connections:\n"
            "  - {kind: dataport, from: one.uart_regs, to: two.uart_regs}\n"), [
            "system.yaml:2:65: device 'uart' of component 'one' would define uart_regs, which port 'uart_regs' "
            "(components/shm/component.yaml:2) defines too; rename one of them"])

    def test_interrupts_count_towards_the_notification_bits(self):
        many = [(f"dev@{0x20000000 + i * 0x1000:x}", [(0x20000000 + i * 0x1000, 0x100)], [20 + i]) for i in range(63)]
        self.blob = helpers.small_platform(*many)
        devices = ", ".join(f"{{node: {name}, as: d{i}}}" for i, (name, _, _) in enumerate(many))
        problems = self.problems("components:\n  - name: one\n    source: components/drv\n    priority: 10\n"
                                 f"    devices: [{devices}]\n")
        self.assertEqual(problems, ["system.yaml:2:11: component 'one' receives 63 events, interrupts and ring "
                                    "wake-ups; at most 62 fit its notification"])

class MachineMemory(unittest.TestCase):
    """machine.memory is asked of QEMU (through the device-tree dump), which refuses what it cannot allocate."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="codegen-test-")
        write_files(self.tmp, {"components/idle/component.yaml": "component: idle\n",
                               "components/idle/idle.c": "/* never compiled */\n",
                               "system.yaml": "machine: {memory: 20G}\n"
                                              "components:\n  - {name: idle, source: components/idle, priority: 10}\n"})

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_memory_qemu_cannot_allocate_is_refused_at_the_setting(self):
        def refuse(harts, memory):
            raise dtb.DtbError("qemu-system-riscv64 could not dump the device tree: qemu-system-riscv64: cannot set "
                               "up guest memory 'riscv_virt_board.ram': Cannot allocate memory")
        with self.assertRaises(errors.Problems) as e:
            helpers.load(self.tmp, device_tree_for=refuse)
        self.assertEqual([str(p) for p in e.exception.problems], [
            "system.yaml:1:19: QEMU cannot give a machine 20G of memory on this computer (qemu-system-riscv64: "
            "cannot set up guest memory 'riscv_virt_board.ram': Cannot allocate memory); use less"])

    def test_memory_qemu_can_allocate_is_accepted(self):
        asked = []
        system = helpers.load(self.tmp, device_tree_for=lambda harts, memory: asked.append((harts, memory)))
        self.assertEqual(asked, [(2, 20 << 30)])
        self.assertEqual(system.machine["memory"], 20 << 30)


class InterfaceTypes(unittest.TestCase):
    """Types of an interface, loaded through a small project."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="codegen-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def load_interface(self, text):
        write_files(self.tmp, {"idl/shapes.yaml": text})
        problems = errors.Collector()
        iface = interfaces.Interfaces(os.path.join(self.tmp, "idl"), problems, self.tmp).get("shapes", "here")
        return iface, [str(p) for p in problems.problems]

    def test_a_struct_may_use_a_type_defined_later_and_is_declared_after_it(self):
        iface, problems = self.load_interface(
            "interface: shapes\n"
            "types:\n"
            "  - name: box\n"
            "    struct:\n"
            "      - {name: corners, type: \"point[2]\"}\n"
            "      - {name: tint, type: color}\n"
            "  - name: point\n"
            "    struct:\n"
            "      - {name: x, type: int16}\n"
            "      - {name: y, type: int64}\n"
            "  - name: color\n"
            "    enum: [red, green]\n"
            "procedures:\n"
            "  - name: draw\n"
            "    params:\n"
            "      - {name: b, type: box}\n")
        self.assertEqual(problems, [])
        self.assertEqual(list(iface.types), ["point", "color", "box"])
        self.assertEqual((iface.types["point"].size, iface.types["box"].size), (16, 40))
        self.assertEqual([(n, t.name, off) for n, t, off in iface.types["box"].fields],
                         [("corners", "point[2]", 0), ("tint", "color", 32)])
        decls = generate.type_decls([iface])
        self.assertLess(decls.index("} shapes_point_t;"), decls.index("} shapes_box_t;"))

    def test_a_struct_that_contains_itself_is_refused_once(self):
        iface, problems = self.load_interface(
            "interface: shapes\n"
            "types:\n"
            "  - name: node\n"
            "    struct:\n"
            "      - {name: next, type: node}\n"
            "procedures:\n"
            "  - name: walk\n"
            "    params:\n"
            "      - {name: n, type: node}\n")
        self.assertIsNone(iface)
        self.assertEqual(problems, ["idl/shapes.yaml:5:28: struct 'node' contains itself (field 'next' is a "
                                    "'node'), so it would have no end; refer to another entry by a number (an "
                                    "index or an id) instead"])


if __name__ == "__main__":
    unittest.main()


class HarnessTestYaml(unittest.TestCase):
    """codegen --test-component: what test.yaml may set, checked at its lines, and the test system made of it."""

    COMPONENT = ("component: srv\nprovides:\n  blk: blk\n  echo: echo\nuses:\n  up: blk\ndataports: [shared]\n")
    IDL = {"idl/blk.yaml": "interface: blk\ntypes:\n  - name: m\n    struct:\n      - {name: x, type: uint64}\n"
                           "ring:\n  request: m\n  response: m\n",
           "idl/echo.yaml": "interface: echo\nprocedures:\n  - name: ping\n"}

    def project(self, test_yaml):
        root = tempfile.mkdtemp(prefix="harness-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        write_files(root, {"components/srv/component.yaml": self.COMPONENT, "components/srv/srv.c": "",
                           "tests/components/srv/test.yaml": test_yaml, **self.IDL})
        return root

    def problems(self, test_yaml):
        root = self.project(test_yaml)
        with self.assertRaises(errors.Problems) as caught:
            harness.make_test_system("srv", root, os.path.join(root, "out"))
        return [str(p) for p in caught.exception.problems]

    def test_per_port_settings_name_ports_of_the_right_kind(self):
        self.assertEqual(self.problems("clients: {blk: 2, up: 2, nope: 1}\nwake: {echo: token}\nsizes: {blk: 4K}\n"), [
            "tests/components/srv/test.yaml:1:19: 'clients' applies to provided ring ports; 'up' of component "
            "'srv' is a used ring port",
            "tests/components/srv/test.yaml:1:26: 'clients' names port 'nope', which component 'srv' does not have "
            "(its provided ring ports: blk)",
            "tests/components/srv/test.yaml:2:8: 'wake' applies to ring ports; 'echo' of component 'srv' is a "
            "provided rpc port",
            "tests/components/srv/test.yaml:3:9: 'sizes' applies to dataport ports; 'blk' of component 'srv' is a "
            "provided ring port"])

    def test_values_are_checked_against_the_schema(self):
        self.assertEqual(self.problems("clients: {blk: 0}\nwake: {blk: tokens}\ndata: {blk: 1.5M}\n"
                                       "machine: {harts: 9}\n"), [
            "tests/components/srv/test.yaml:1:16: 'blk' of 'clients' (the driver's connections to a provided ring "
            "port) is out of range: 0 is not in 1..16",
            "tests/components/srv/test.yaml:2:13: 'blk' of 'wake' (ring wake-ups) must be one of notification, "
            "token, not 'tokens'",
            "tests/components/srv/test.yaml:3:13: 'blk' of 'data' (ring data regions) must be a size such as "
            "4096, 16K, 2M or 1G, not '1.5M'",
            "tests/components/srv/test.yaml:4:18: 'harts' of 'machine' is out of range: 9 is not in 1..8"])

    def test_clients_give_the_driver_a_port_each_with_the_ports_settings(self):
        root = self.project("clients: {blk: 3}\ndata: {blk: 64K}\nwake: {blk: token}\nentries: {blk: 16}\n"
                            "machine: {harts: 1}\n")
        path = harness.make_test_system("srv", root, os.path.join(root, "out"))
        with open(path, encoding="utf-8") as f:
            test_system = yaml.safe_load(f)
        with open(os.path.join(root, "out", "driver", "component.yaml"), encoding="utf-8") as f:
            driver = yaml.safe_load(f)
        self.assertEqual(test_system["machine"], {"harts": 1})
        rings = [c for c in test_system["connections"] if c["to"] == "srv.blk"]
        self.assertEqual([c["from"] for c in rings], ["driver.blk", "driver.blk_1", "driver.blk_2"])
        for c in rings:
            self.assertEqual((c["kind"], c["data"], c["wake"], c["entries"]), ("ring", "64K", "token", 16))
        self.assertEqual(driver["uses"], {"blk": "blk", "blk_1": "blk", "blk_2": "blk", "echo": "echo"})


class MachineDevices(unittest.TestCase):
    """machine: disk and network: what codegen checks, the QEMU arguments, the slots devices land in."""

    def project(self, machine, devices="[disk, network]"):
        root = tempfile.mkdtemp(prefix="machine-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        write_files(root, {
            "system.yaml": f"machine: {machine}\ncomponents:\n"
                           f"  - {{name: drv, source: components/drv, priority: 100, devices: {devices}}}\n",
            "components/drv/component.yaml": "component: drv\n", "components/drv/drv.c": "",
            "web/index.html": "<p>hello</p>\n", "disk.img": "\0" * 4096})
        return root

    def qemu_args(self, root):
        s = helpers.load(root)
        return s, model_machine.qemu_args(s.machine, os.path.join(root, "out"), root)

    def test_a_folder_disk_and_a_network_land_in_the_top_two_slots_in_that_order(self):
        root = self.project("{disk: {folder: web}, network: {forward: [{host: 8080, guest: 80}, "
                            "{host: 2222, guest: 22}]}}", devices="[disk, {node: network, as: nic}]")
        s, args = self.qemu_args(root)
        self.assertEqual(args, ["-smp", "2", "-m", "256M",
                                "-drive", "file=out/disk.img,format=raw,if=none,id=disk0",
                                "-device", "virtio-blk-device,drive=disk0",
                                "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:127.0.0.1:2222-:22",
                                "-device", "virtio-net-device,netdev=net0"])
        self.assertEqual([d.dt.name for d in s.instances[0].devices], ["virtio_mmio@10008000", "virtio_mmio@10007000"])

    def test_a_network_alone_takes_the_top_slot_and_an_image_is_used_as_it_is(self):
        root = self.project("{network: {}}", devices="[{node: network, as: nic}]")
        s, args = self.qemu_args(root)
        self.assertEqual(args[4:], ["-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"])
        self.assertEqual([(d.name, d.dt.name) for d in s.instances[0].devices], [("nic", "virtio_mmio@10008000")])
        root = self.project("{disk: {image: disk.img}}", devices="[disk]")
        s, args = self.qemu_args(root)
        self.assertEqual(args[4:], ["-drive", "file=disk.img,format=raw,if=none,id=disk0",
                                    "-device", "virtio-blk-device,drive=disk0"])

    def test_the_generated_build_rules_make_a_folder_disk_with_mkdisk(self):
        root = self.project("{disk: {folder: web, size: 80M}}", devices="[disk]")
        s = helpers.load(root)
        out = os.path.join(root, "out")
        generate.generate(s, layout.build(s), out, root, os.path.join(root, "system.yaml"))
        with open(os.path.join(out, "generated.mk"), encoding="utf-8") as f:
            text = f.read()
        self.assertIn("SYS_DISK := out/disk.img\n", text)
        self.assertIn("\t$(Q)tools/mkdisk web $@ 80M\n", text)
        with open(os.path.join(out, "qemu-args"), encoding="utf-8") as f:
            self.assertEqual(f.read().splitlines()[4:6], ["-drive", "file=out/disk.img,format=raw,if=none,id=disk0"])

    def test_a_size_too_small_for_the_folders_files_is_refused_at_the_size(self):
        root = self.project("{disk: {folder: web, size: 70M}}", devices="[disk]")
        with open(os.path.join(root, "web", "big.bin"), "wb") as f:
            f.truncate(80 << 20)   # sparse: 80M of size, no room on the disk
        with self.assertRaises(errors.Problems) as caught:
            helpers.load(root)
        self.assertEqual([str(p) for p in caught.exception.problems],
                         ["system.yaml:1:37: the disk is 70M, but the files of 'web' need 82M; make it larger (or "
                          "leave 'size' out)"])
