"""Valid descriptions: the capability layout codegen computes for them.

The repo's own system.yaml (the demo) and fixtures/valid/multi (every kind of
connection, two instances of one component in one group, a device) are loaded
in this process and their selgen.layout.Spec checked: who holds which cap to
which object with which rights and badge, what is mapped where.
"""
import os
import unittest

import helpers
from helpers import layout

W, GRANT_REPLY, R = layout.RIGHTS["W"], layout.RIGHTS["GR"], layout.RIGHTS["R"]


class LayoutChecks:
    """Questions about a Spec; the test classes below set cls.system and cls.spec."""

    def comp(self, name):
        return next(c for c in self.spec.components if c.name == name)

    def cap(self, comp, purpose):
        caps = [c for c in self.spec.caps if c.component.name == comp and c.purpose == purpose]
        self.assertEqual(len(caps), 1, f"{comp} has {len(caps)} caps for '{purpose}'")
        return caps[0]

    def mapping_at(self, comp, vaddr):
        maps = [m for m in self.spec.mappings if m.component.name == comp and m.vaddr == vaddr]
        self.assertEqual(len(maps), 1, f"{comp} has {len(maps)} mappings at {vaddr:#x}")
        return maps[0]

    def frames_at(self, comp, vaddr, count, page):
        return [self.mapping_at(comp, vaddr + i * page).frame for i in range(count)]

    def glue(self, comp, kind, port):
        entries = [e for e in self.comp(comp).glue[kind] if e["port"] == port]
        self.assertEqual(len(entries), 1)
        return entries[0]

    # Checks that hold for every valid system.

    def test_every_component_cnode_radix_fits_its_slots(self):
        for comp in self.spec.components:
            with self.subTest(component=comp.name):
                slots = [c.slot for c in self.spec.caps if c.component is comp] + list(comp.slots.values())
                self.assertLess(max(slots), 1 << comp.radix)
                self.assertEqual(comp.cnode.size_bits, comp.radix)
                self.assertEqual(len(set(comp.slots.values())), len(comp.slots), "two purposes share a slot")

    def test_component_address_ranges_never_overlap(self):
        # Each component's image, threads and ports lie in its own range; no two ranges meet, so grouped
        # components can share an address space.
        ranges = []
        for i, comp in enumerate(self.spec.components):
            end = comp.base + layout.IMAGE_MAX + 2 * layout.THREAD_AREA + comp.port_bytes
            for m in (m for m in self.spec.mappings if m.component is comp):
                size = 1 << m.frame.size_bits
                with self.subTest(component=comp.name, vaddr=hex(m.vaddr)):
                    self.assertGreaterEqual(m.vaddr, comp.base + layout.IMAGE_MAX)
                    self.assertLessEqual(m.vaddr + size, end)
                    self.assertEqual(m.vaddr % size, 0, "a mapping is not aligned to its page size")
            ranges.append((comp.base, end, comp.name))
        ranges.sort()
        for (b1, e1, n1), (b2, e2, n2) in zip(ranges, ranges[1:]):
            self.assertLessEqual(e1, b2, f"{n1} and {n2} overlap")
        self.assertLessEqual(ranges[-1][1], layout.USER_TOP)

    def test_no_two_mappings_of_one_address_space_overlap(self):
        by_vspace = {}
        for m in self.spec.mappings:
            by_vspace.setdefault(m.vspace.index, []).append((m.vaddr, m.vaddr + (1 << m.frame.size_bits), m))
        for vspace, spans in by_vspace.items():
            spans.sort(key=lambda s: s[0])
            for (_, end, a), (start, _, b) in zip(spans, spans[1:]):
                self.assertLessEqual(end, start, f"vspace {vspace}: {a.component.name} {a.vaddr:#x} overlaps "
                                                 f"{b.component.name} {b.vaddr:#x}")

    def test_stacks_and_ipc_buffers_are_mapped(self):
        for t in self.spec.threads:
            with self.subTest(thread=t.name):
                stack = self.frames_at(t.component.name, t.stack_bottom, t.component.inst.stack // layout.PAGE,
                                       layout.PAGE)
                self.assertEqual(len(set(f.index for f in stack)), len(stack))
                self.assertIs(self.mapping_at(t.component.name, t.ipc_vaddr).frame, t.ipc_frame)
                self.assertLess(t.stack_top, t.ipc_vaddr, "the stack would grow into the IPC buffer")

    def test_every_cap_names_an_object_of_the_spec(self):
        for c in self.spec.caps:
            self.assertIs(self.spec.objects[c.obj.index], c.obj)
            self.assertEqual(c.rights & ~layout.ALL_RIGHTS, 0)

    def test_no_component_holds_a_tcb_cap(self):
        # With one it could move itself to another hart or change its priority; the loader starts threads.
        for c in self.spec.caps:
            self.assertNotEqual(c.obj.type, "tcb", f"{c.component.name} holds a TCB cap ({c.purpose})")

    def test_no_component_cap_has_grant(self):
        # Grant would let a component hand its caps on; the glue sends none.
        for c in self.spec.caps:
            self.assertEqual(c.rights & layout.RIGHTS["G"], 0, f"{c.component.name}: {c.purpose}")

    def test_a_component_may_wait_on_its_notification_and_set_its_alarm_only(self):
        for comp in self.spec.components:
            cap = self.cap(comp.name, "notification")
            self.assertIs(cap.obj, comp.notification)
            self.assertEqual(cap.rights, R | W)


class DemoSystem(LayoutChecks, unittest.TestCase):
    """The repo's system.yaml: client, server and logger (server and logger grouped)."""

    @classmethod
    def setUpClass(cls):
        cls.system, cls.spec = helpers.load_layout(helpers.REPO)

    def test_rpc_server_gets_its_endpoint_to_receive_on_only(self):
        cap = self.cap("server", "endpoint")
        self.assertEqual(cap.obj.type, "endpoint")
        self.assertIs(cap.obj, self.comp("server").endpoint)
        self.assertEqual(cap.rights, R)
        self.assertEqual(cap.badge, 0)

    def test_rpc_client_gets_a_badged_endpoint_cap_to_call_with(self):
        cap = self.cap("client", "rpc echo")
        self.assertIs(cap.obj, self.comp("server").endpoint)
        self.assertEqual(cap.rights, W | GRANT_REPLY)     # may call and be replied to; never receive
        self.assertTrue(cap.badge & layout.RPC_BADGE)
        self.assertEqual(self.glue("client", "rpc_uses", "echo")["slot"], cap.slot)

    def test_two_clients_of_one_port_get_different_badges(self):
        from_server, from_client = self.cap("server", "rpc log"), self.cap("client", "rpc log")
        self.assertIs(from_server.obj, self.comp("logger").endpoint)
        self.assertIs(from_client.obj, self.comp("logger").endpoint)
        self.assertNotEqual(from_server.badge, from_client.badge)
        # The logger's dispatch tells them apart by these badges.
        served = {e["client_name"]: e["badge"] for e in self.comp("logger").glue["rpc_provides"]}
        self.assertEqual(served, {"server": from_server.badge, "client": from_client.badge})

    def test_providers_without_rpc_ports_get_no_endpoint(self):
        self.assertIsNone(self.comp("client").endpoint)

    def test_event_gives_the_emitter_the_consumers_bit_as_badge(self):
        cap = self.cap("client", "event ping -> server.ping")
        server = self.comp("server")
        self.assertIs(cap.obj, server.notification)
        self.assertEqual(cap.rights, W)
        self.assertEqual(cap.badge, 1 << server.notification_bits["event ping"])
        back = self.cap("server", "event pong -> client.pong")
        self.assertIs(back.obj, self.comp("client").notification)
        self.assertEqual(back.badge, 1 << self.comp("client").notification_bits["event pong"])

    def test_dataport_frames_are_mapped_in_both_components(self):
        c, s = self.glue("client", "dataports", "shared"), self.glue("server", "dataports", "shared")
        self.assertEqual(c["frames"], s["frames"])
        client_frames = self.frames_at("client", c["vaddr"], c["frames"], c["page"])
        server_frames = self.frames_at("server", s["vaddr"], s["frames"], s["page"])
        self.assertEqual(client_frames, server_frames)                 # the same frame objects
        self.assertNotEqual(c["vaddr"], s["vaddr"])                     # each at its own address
        for comp, vaddr in (("client", c["vaddr"]), ("server", s["vaddr"])):
            self.assertTrue(self.mapping_at(comp, vaddr).writable)
            self.assertEqual(self.cap(comp, "dataport shared[0]").rights, R | W)

    def test_ring_frames_are_shared_and_each_side_can_wake_the_other(self):
        c, s = self.glue("client", "rings", "jobs"), self.glue("server", "rings", "jobs")
        self.assertEqual(len(s["peers"]), 1)                            # one client
        self.assertEqual(self.mapping_at("client", c["vaddr"]).frame,
                         self.mapping_at("server", s["peers"][0]["vaddr"]).frame)
        self.assertEqual((c["role"], s["role"]), ("client", "server"))
        self.assertEqual(c["entries"], 16)
        # system.yaml says wake: token, and the server runs the event loop: its wake-up is a token.
        to_server = self.cap("client", "ring jobs notify token")
        self.assertIs(to_server.obj, self.comp("server").user_interrupt)
        self.assertEqual(to_server.badge, 1 << s["bit"])
        to_client = self.cap("server", "ring jobs notify client")
        self.assertIs(to_client.obj, self.comp("client").notification)
        self.assertEqual(to_client.badge, 1 << c["bit"])

    def test_grouped_components_share_one_vspace_and_others_do_not(self):
        self.assertIs(self.comp("server").vspace, self.comp("logger").vspace)
        self.assertIsNot(self.comp("client").vspace, self.comp("server").vspace)
        self.assertEqual(len(self.spec.vspaces), 2)
        self.assertEqual(sum(1 for o in self.spec.objects if o.type == "vspace"), 2)

    def test_dispatching_components_have_their_notification_bound(self):
        # The client is a control component: run() waits on its notification itself.
        self.assertIsNone(self.comp("client").threads[0].bound_notification)
        for name in ("server", "logger"):
            comp = self.comp(name)
            self.assertEqual([t.role for t in comp.threads], ["main"])
            self.assertIs(comp.threads[0].bound_notification, comp.notification)


class MultiSystem(LayoutChecks, unittest.TestCase):
    """fixtures/valid/multi: two instances of 'client' in one group, a server with a device, a control worker."""

    @classmethod
    def setUpClass(cls):
        cls.system, cls.spec = helpers.load_layout(os.path.join(helpers.VALID, "multi"))

    def test_two_instances_of_one_component_get_different_badges(self):
        a, b = self.cap("client_a", "rpc echo"), self.cap("client_b", "rpc echo")
        self.assertIs(a.obj, b.obj)
        self.assertIs(a.obj, self.comp("server").endpoint)
        self.assertNotEqual(a.badge, b.badge)
        self.assertEqual(a.rights, W | GRANT_REPLY)

    def test_rpc_buffer_is_shared_by_client_and_server_only(self):
        client = self.glue("client_a", "rpc_uses", "echo")
        served = next(e for e in self.comp("server").glue["rpc_provides"] if e["client_name"] == "client_a")
        self.assertEqual(client["buffer_size"], 8192)
        self.assertEqual(served["buffer_size"], 8192)
        mine = self.frames_at("client_a", client["buffer"], 2, layout.PAGE)
        self.assertEqual(mine, self.frames_at("server", served["buffer"], 2, layout.PAGE))
        other = self.glue("client_b", "rpc_uses", "echo")
        self.assertEqual(other["buffer_size"], 4096)                   # the default
        self.assertNotIn(self.mapping_at("client_b", other["buffer"]).frame, mine)

    def test_event_of_an_interface_badges_every_event_bit(self):
        for client in ("client_a", "client_b"):
            cap = self.cap("worker", f"event clock -> {client}.clock")
            bits = self.comp(client).notification_bits
            self.assertIs(cap.obj, self.comp(client).notification)
            self.assertEqual(cap.badge, (1 << bits["event clock.tick"]) | (1 << bits["event clock.tock"]))

    def test_two_emitters_of_one_event_signal_the_same_bit(self):
        a, b = self.cap("client_a", "event ping -> server.ping"), self.cap("client_b", "event ping -> server.ping")
        self.assertEqual(a.badge, b.badge)
        self.assertEqual(a.badge, 1 << self.comp("server").notification_bits["event ping"])

    def test_device_gets_a_device_frame_at_its_address_and_an_irq(self):
        dev = self.glue_device("server", "serial")
        self.assertEqual(dev["node"], "serial@10000000")
        self.assertEqual(dev["regs"][0]["paddr"], 0x10000000)
        frame = self.mapping_at("server", dev["regs"][0]["vaddr"]).frame
        self.assertEqual((frame.type, frame.paddr, frame.size_bits), ("device_frame", 0x10000000, 12))
        irqs = [i for i in self.spec.irqs if i.component.name == "server"]
        self.assertEqual([(i.irq, i.device) for i in irqs], [(10, "serial")])
        server = self.comp("server")
        self.assertIs(irqs[0].notification, server.notification)
        self.assertEqual(irqs[0].badge, 1 << server.notification_bits["irq serial 10"])
        self.assertIsNone(irqs[0].user_interrupt)   # irq: notification, the default
        self.assertEqual(irqs[0].slot, server.slots["irq serial 10"])
        self.assertEqual(sum(1 for o in self.spec.objects if o.type == "device_frame"), 1)

    def glue_device(self, comp, name):
        return next(d for d in self.comp(comp).glue["devices"] if d["name"] == name)

    def test_large_dataport_uses_2m_frames_mapped_on_2m_boundaries(self):
        for comp in ("worker", "server"):
            d = self.glue(comp, "dataports", "big")
            self.assertEqual((d["frames"], d["page"]), (2, layout.LARGE_PAGE))
            self.assertEqual(d["vaddr"] % layout.LARGE_PAGE, 0)
        w, s = self.glue("worker", "dataports", "big"), self.glue("server", "dataports", "big")
        frames = self.frames_at("worker", w["vaddr"], 2, layout.LARGE_PAGE)
        self.assertEqual(frames, self.frames_at("server", s["vaddr"], 2, layout.LARGE_PAGE))
        self.assertEqual([f.size_bits for f in frames], [21, 21])

    def test_grouped_instances_share_one_vspace_and_others_do_not(self):
        vs = {c.name: c.vspace for c in self.spec.components}
        self.assertIs(vs["client_a"], vs["client_b"])
        self.assertEqual(len({id(v) for v in vs.values()}), 3)

    def test_stack_size_is_respected(self):
        worker = self.comp("worker")
        self.assertEqual(worker.threads[0].stack_top - worker.threads[0].stack_bottom, 32 << 10)
        stack = [o for o in self.spec.objects if o.name.startswith("worker.main stack")]
        self.assertEqual(len(stack), 8)

    def test_ring_with_wake_token_interrupts_the_loop_side_and_signals_the_other(self):
        server = self.comp("server")
        to_server = self.cap("worker", "ring jobs notify token")
        self.assertEqual(to_server.obj.type, "user_interrupt")
        self.assertIs(to_server.obj, server.user_interrupt)
        self.assertIs(server.threads[0].bound_user_interrupt, server.user_interrupt)
        self.assertEqual(to_server.rights, W)
        self.assertEqual(to_server.badge, 1 << self.glue("server", "rings", "jobs")["bit"])
        # The worker is a control component with no event loop to divert: it is woken by a notification.
        to_worker = self.cap("server", "ring jobs notify worker")
        self.assertIs(to_worker.obj, self.comp("worker").notification)
        peer = self.glue("server", "rings", "jobs")["peers"][0]
        self.assertEqual((peer["woken_by_token"], peer["wakes_by_token"]), (True, False))
        self.assertEqual(sum(1 for o in self.spec.objects if o.type == "user_interrupt"), 1)

    def test_control_component_without_rpc_has_one_unbound_thread(self):
        worker = self.comp("worker")
        self.assertEqual([t.role for t in worker.threads], ["main"])
        self.assertIsNone(worker.threads[0].bound_notification)
        self.assertIsNone(worker.endpoint)


class ControlServer(LayoutChecks, unittest.TestCase):
    """A control component that provides rpc gets a server thread; the loader starts both."""

    @classmethod
    def setUpClass(cls):
        cls.system, cls.spec = helpers.load_layout(os.path.join(helpers.VALID, "control_server"))

    def test_control_component_providing_rpc_gets_a_server_thread(self):
        server = self.comp("server")
        self.assertEqual([t.role for t in server.threads], ["main", "server"])
        self.assertEqual(len({t.tcb.index for t in server.threads}), 2)
        self.assertEqual(len({t.ipc_frame.index for t in server.threads}), 2)
        self.assertNotIn("tcb.server", server.slots)

    def test_its_server_thread_waits_at_a_gate_of_its_own(self):
        gate = self.cap("server", "server gate")
        self.assertEqual((gate.obj.type, gate.rights, gate.badge), ("notification", R | W, 0))
        self.assertIsNot(gate.obj, self.comp("server").notification)
        self.assertEqual([c for c in self.spec.caps if c.obj is gate.obj], [gate])   # nobody else can signal it


class EventToItself(LayoutChecks, unittest.TestCase):
    """fixtures/valid/event_to_itself: a component's event port connected to its own consuming port."""

    @classmethod
    def setUpClass(cls):
        cls.system, cls.spec = helpers.load_layout(os.path.join(helpers.VALID, "event_to_itself"))

    def test_the_emitter_signals_its_own_notification_with_the_consumer_bit(self):
        kicker = self.comp("kicker")
        cap = self.cap("kicker", "event later -> kicker.now")
        self.assertIs(cap.obj, kicker.notification)
        self.assertEqual(cap.rights, W)
        self.assertEqual(cap.badge, 1 << kicker.notification_bits["event now"])
        self.assertEqual(self.glue("kicker", "emits", "later")["slot"], cap.slot)
        self.assertEqual(self.glue("kicker", "consumes", "now")["bits"], {None: kicker.notification_bits["event now"]})
        self.assertTrue(kicker.runs_loop)


class ConsoleSystem(LayoutChecks, unittest.TestCase):
    """examples/console.yaml: the serial serves the console, the shell asks the loader (docs/system.md)."""

    @classmethod
    def setUpClass(cls):
        cls.system, cls.spec = helpers.load_layout(helpers.REPO, "examples/console.yaml")

    def test_the_console_gets_the_kernels_console_line(self):
        serial = self.comp("serial")
        lines = [i for i in self.spec.irqs if i.irq == 0]
        self.assertEqual(len(lines), 1)
        self.assertIs(lines[0].component, serial)
        self.assertEqual(lines[0].device, "kernel_console")
        self.assertIs(lines[0].notification, serial.notification)
        self.assertEqual(lines[0].badge, 1 << serial.notification_bits["irq kernel_console 0"])
        device = \
            next(d for d in serial.glue["devices"] if d["name"] == "kernel_console")
        self.assertTrue(device["kernel_console"])
        self.assertEqual(device["regs"], [])
        self.assertEqual(device["irqs"][0]["slot"], lines[0].slot)

    def test_only_the_shell_holds_a_cap_to_the_loader(self):
        endpoint = self.spec.loader_endpoint
        self.assertEqual(endpoint.type, "endpoint")
        caps = [c for c in self.spec.caps if c.obj is endpoint]
        self.assertEqual(len(caps), 1)
        self.assertEqual(caps[0].component.name, "shell")
        self.assertEqual(caps[0].rights, W | GRANT_REPLY)   # call, never receive
        self.assertEqual(caps[0].badge, layout.RPC_BADGE | 0)
        self.assertEqual(self.spec.loader_clients, [{"component": "shell", "badge": layout.RPC_BADGE, "client": 0}])
        self.assertEqual(self.glue("shell", "rpc_uses", "system")["slot"], caps[0].slot)

    def test_every_other_component_writes_to_the_console_through_a_ring_of_its_own(self):
        peers = self.glue("serial", "rings", "console")["peers"]
        others = [c.name for c in self.spec.components if c.name != "serial"]
        self.assertEqual([p["peer"] for p in peers], others)   # numbered in the order of the components
        for name in others:
            with self.subTest(component=name):
                ring = self.glue(name, "rings", "glue_console")
                self.assertEqual((ring["role"], ring["peer"], ring["entries"]), ("client", "serial", 16))
                self.assertIn(self.mapping_at(name, ring["vaddr"]).frame,
                              [self.mapping_at("serial", p["vaddr"]).frame for p in peers])
        self.assertEqual([r for r in self.comp("serial").glue["rings"] if r["port"] == "glue_console"], [])

    def test_the_loader_is_not_a_component(self):
        self.assertNotIn("loader", [c.name for c in self.spec.components])
        self.assertEqual(self.system.console.name, "serial")


class RingClients(LayoutChecks, unittest.TestCase):
    """fixtures/build/ring_clients: three clients on one provided ring port, data regions, a token."""

    @classmethod
    def setUpClass(cls):
        cls.system, cls.spec = helpers.load_layout(os.path.join(helpers.HERE, "fixtures", "build", "ring_clients"))

    def test_the_clients_are_numbered_in_the_order_of_the_connections_and_named(self):
        peers = self.glue("server", "rings", "jobs")["peers"]
        self.assertEqual([(p["index"], p["peer"], p["entries"]) for p in peers],
                         [(0, "client.a", 32), (1, "client.b", 16), (2, "other", 64)])

    def test_each_connection_has_rings_of_its_own_and_all_wake_the_server_on_one_bit(self):
        server = self.comp("server")
        peers = self.glue("server", "rings", "jobs")["peers"]
        frames = [self.mapping_at("server", p["vaddr"]).frame for p in peers]
        self.assertEqual(len({f.index for f in frames}), 3)
        for client, port in (("client", "a"), ("client", "b"), ("other", "jobs")):
            mine = self.glue(client, "rings", port)
            self.assertIn(self.mapping_at(client, mine["vaddr"]).frame, frames)
        bit = server.notification_bits["ring jobs requests"]
        self.assertEqual(self.glue("server", "rings", "jobs")["bit"], bit)
        self.assertEqual(len([p for p in server.notification_bits if p.startswith("ring ")]), 1)
        a, b = self.cap("client", "ring a notify"), self.cap("client", "ring b notify token")
        other = self.cap("other", "ring jobs notify")
        self.assertEqual((a.obj, a.badge), (server.notification, 1 << bit))
        self.assertEqual((b.obj, b.badge), (server.user_interrupt, 1 << bit))
        self.assertEqual((other.obj, other.badge), (server.notification, 1 << bit))
        # The server wakes each client with a cap of its own, named by the client's name; client.b's
        # connection says wake: token, and the client runs the loop: a token.
        for name, comp, port, obj in (("client.a", "client", "a", "notification"),
                                      ("client.b token", "client", "b", "user_interrupt"),
                                      ("other", "other", "jobs", "notification")):
            cap = self.cap("server", f"ring jobs notify {name}")
            self.assertEqual((cap.obj, cap.badge), (getattr(self.comp(comp), obj),
                                                    1 << self.glue(comp, "rings", port)["bit"]))

    def test_a_data_region_is_shared_by_the_two_ends_only_and_contiguous(self):
        peers = self.glue("server", "rings", "jobs")["peers"]
        a, other = self.glue("client", "rings", "a"), self.glue("other", "rings", "jobs")
        self.assertIsNone(self.glue("client", "rings", "b")["data"])
        self.assertIsNone(peers[1]["data"])
        for mine, peer, comp, size, page in ((a, peers[0], "client", 64 << 10, 4096),
                                            (other, peers[2], "other", 2 << 20, 2 << 20)):
            self.assertEqual((mine["data"]["size"], peer["data"]["size"]), (size, size))
            count = size // page
            here = self.frames_at(comp, mine["data"]["vaddr"], count, page)
            there = self.frames_at("server", peer["data"]["vaddr"], count, page)
            self.assertEqual(here, there)
            self.assertTrue(all(f.size_bits == page.bit_length() - 1 for f in here))
            holders = {m.component.name for m in self.spec.mappings if m.frame in here}
            self.assertEqual(holders, {comp, "server"})
            region = next(r for r in self.spec.regions if r.frames[0] is here[0])
            self.assertEqual(region.frames, here)
            self.assertEqual([f.index for f in here], list(range(here[0].index, here[0].index + count)))

    def test_the_server_finds_the_regions_physical_bases_in_its_constants_page(self):
        server = self.comp("server")
        self.assertEqual(server.constants, {"queues_paddr": (0, 1), "big_paddr": (8, 1),
                                            "glue_jobs_data_paddr": (16, 3)})
        page = self.mapping_at("server", server.constants_vaddr)
        self.assertFalse(page.writable)
        self.assertIs(page.frame, server.constants_page)
        peers = self.glue("server", "rings", "jobs")["peers"]
        dma = {d["name"]: d for d in server.glue["dma"]}
        patches = sorted((p.offset, p.obj.index) for p in self.spec.patches if p.component is server)
        self.assertEqual(patches, [(0, self.mapping_at("server", dma["queues"]["vaddr"]).frame.index),
                                   (8, self.mapping_at("server", dma["big"]["vaddr"]).frame.index),
                                   (16, peers[0]["data"]["first_frame"].index),
                                   (32, peers[2]["data"]["first_frame"].index)])
        for name in ("client", "other"):
            self.assertIsNone(self.comp(name).constants_vaddr)

    def test_a_dma_region_is_mapped_in_its_component_only_and_contiguous(self):
        server = self.comp("server")
        dma = {d["name"]: d for d in server.glue["dma"]}
        self.assertEqual({n: d["size"] for n, d in dma.items()}, {"queues": 16 << 10, "big": 2 << 20})
        for name, count, page in (("queues", 4, 4096), ("big", 1, 2 << 20)):
            frames = self.frames_at("server", dma[name]["vaddr"], count, page)
            self.assertTrue(all(self.mapping_at("server", dma[name]["vaddr"] + i * page).writable
                                for i in range(count)))
            self.assertEqual([m.component.name for m in self.spec.mappings if m.frame in frames], ["server"] * count)
            self.assertEqual([c for c in self.spec.caps if c.obj in frames], [])   # no cap: nobody can map it again
            self.assertIn(frames, [r.frames for r in self.spec.regions])

    def test_interrupts_as_tokens_raise_a_bit_of_the_loop_threads_user_interrupt(self):
        server = self.comp("server")
        irqs = [i for i in self.spec.irqs if i.component is server]
        self.assertEqual(len(irqs), 1)
        self.assertIs(irqs[0].user_interrupt, server.user_interrupt)
        self.assertIs(server.threads[0].bound_user_interrupt, server.user_interrupt)
        self.assertEqual(irqs[0].badge, 1 << server.notification_bits[f"irq serial {irqs[0].irq}"])
        self.assertEqual(self.comp("server").glue["devices"][0]["irq_mode"], "token")
        self.assertEqual(sum(1 for o in self.spec.objects if o.type == "user_interrupt" and "server" in o.name), 1)

    def test_an_unconnected_provided_ring_port_has_no_peers_and_no_bit(self):
        idle = self.glue("server", "rings", "idle")
        self.assertEqual((idle["peers"], idle["bit"]), ([], None))


if __name__ == "__main__":
    unittest.main()
