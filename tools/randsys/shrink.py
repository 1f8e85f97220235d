"""Shrinks a failing system to a small one that fails the same way.

Greedy, in rounds: try taking away groups, devices, whole components (with
their connections), single connections (a dataport with its handshake
events), sizes set back to their defaults, fewer rpc calls and ring
requests, procedures of interfaces; keep each change after which the system
still fails at the same stage with the same message (numbers, quoted names
and component names masked).  Each try builds and boots the system again.
"""
import copy
import re

from . import generate
from .edit import drop_connection, drop_instance, renumber


def signature(result, system):
    text = result.message
    for inst in system.instances:
        text = text.replace(inst.name, "C")
    text = re.sub(r"build/random/[^ :]*", "P", text)
    text = re.sub(r"'[^']*'", "S", text)
    text = re.sub(r"\(\+\d+ more\)", "", text)
    text = re.sub(r"0x[0-9a-f]+|\d+", "N", text)
    text = text.split(" | ")[0]
    return result.stage, text.strip()


def candidates(system):
    """(description, function applying the change to a copy) for each simplification, biggest first."""
    out = []
    n = len(system.instances)
    for g in range(len(system.groups)):
        out.append((f"group {g}", lambda s, g=g: s.groups.pop(g)))
    for i in range(n):
        if n > 1:
            out.append((f"component {system.instances[i].name}",
                        lambda s, i=i: drop_instance(s, s.instances[i])))
    for i, c in enumerate(system.connections):
        if c.unit is None:
            out.append((f"connection {c.label}", lambda s, i=i: drop_connection(s, s.connections[i])))
    for i, inst in enumerate(system.instances):
        for j in range(len(inst.devices)):
            out.append((f"device {inst.devices[j].node}", lambda s, i=i, j=j: s.instances[i].devices.pop(j)))
        if inst.stack is not None:
            out.append((f"stack of {inst.name}", lambda s, i=i: setattr(s.instances[i], "stack", None)))
        if inst.heap is not None:
            out.append((f"heap of {inst.name}", lambda s, i=i: setattr(s.instances[i], "heap", None)))
        if inst.restart is not None:
            out.append((f"restart of {inst.name}", lambda s, i=i: setattr(s.instances[i], "restart", None)))
    for i, c in enumerate(system.connections):
        if c.kind == "rpc" and len(c.calls) > len(c.dst_port.iface.procedures):
            def fewer(s, i=i):
                x = s.connections[i]
                firsts, seen = [], set()
                for call in x.calls:
                    if call[0] not in seen:
                        seen.add(call[0])
                        firsts.append(call)
                x.calls = firsts
            out.append((f"calls of {c.label}", fewer))
        if c.kind == "ring" and c.requests > 1:
            out.append((f"requests of {c.label}", lambda s, i=i: setattr(s.connections[i], "requests", 1)))
        if c.kind == "dataport" and c.size is not None:
            out.append((f"size of {c.label}", lambda s, i=i: setattr(s.connections[i], "size", None)))
        if c.kind == "ring" and c.entries is not None:
            def entries(s, i=i):
                x = s.connections[i]
                x.entries = None
                x.requests = min(x.requests, 64)
                x.outstanding = min(x.outstanding, 64)
            out.append((f"entries of {c.label}", entries))
        if c.kind == "ring" and c.wake is not None:
            out.append((f"wake of {c.label}", lambda s, i=i: setattr(s.connections[i], "wake", None)))
    for k, iface in enumerate(system.interfaces):
        if iface.kind == "rpc" and len(iface.procedures) > 1:
            for p in range(len(iface.procedures)):
                out.append((f"procedure {iface.procedures[p].name} of {iface.name}",
                            lambda s, k=k, p=p: drop_procedure(s, s.interfaces[k], p)))
    needed = max(i.hart for i in system.instances) + 1
    if system.harts > needed:
        out.append(("harts", lambda s: setattr(s, "harts", needed)))
    for i, inst in enumerate(system.instances):
        if inst.hart:
            out.append((f"hart of {inst.name}", lambda s, i=i: setattr(s.instances[i], "hart", 0)))
    return out


def drop_procedure(system, iface, index):
    iface.procedures.pop(index)
    for i, proc in enumerate(iface.procedures):
        proc.index = i
    for c in system.connections:
        if c.kind == "rpc" and c.dst_port.iface is iface:
            c.forward_base = None
            calls = [(p - (1 if p > index else 0), bufs) for p, bufs in c.calls if p != index]
            c.calls = calls or [(0, [tuple(b) for b in generate.Drawer(0, generate.Options())._plan_buffers(
                iface.procedures[0], c.usable_buffer())])]


def shrink(runner, seed, first, log=print, max_tries=300):
    """Shrinks first (a failed Result of seed); returns the smallest failing system and its Result.
    A round tries every simplification once (the list is remade after each that keeps the failure,
    skipping those already tried in the round); rounds go on while one kept it."""
    best, best_result = first.system, first
    best.shrunk = True
    want = signature(first, best)
    log(f"shrink: seed {seed} fails at {want[0]}: {want[1][:150]}")
    tries = 0
    changed = True
    while changed and tries < max_tries:
        changed = False
        tried = set()
        while tries < max_tries:
            todo = [(what, apply) for what, apply in candidates(best) if what not in tried]
            if not todo:
                break
            what, apply = todo[0]
            tried.add(what)
            trial = copy.deepcopy(best)
            try:
                apply(trial)
                renumber(trial)
            except (IndexError, ValueError, KeyError):
                continue
            tries += 1
            r = runner.one(f"{seed}-shrink", system=trial)
            if not r.passed and signature(r, trial) == want:
                best, best_result = trial, r
                changed = True
                log(f"shrink: without {what}: still fails ({best.summary()})")
    log(f"shrink: {tries} tries")
    return best, best_result
