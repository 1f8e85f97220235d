"""Changes to a drawn system that keep it valid: taking away a connection (with
the ports only it used) or a component (with its connections)."""


def fix_forwards(system):
    """A connection made from inside handlers makes as many calls as those handlers get: recount them
    (in rank order, since the calls in may be made from handlers too) after components or connections
    went away; reuse its planned calls round-robin.  With nothing calling in, it is an ordinary one."""
    for c in sorted((c for c in system.connections if c.kind == "rpc" and c.forward is not None),
                    key=lambda c: c.src.rank):
        base = c.forward_base or c.calls
        port = c.forward
        total = sum(len(x.calls) for x in port.conns_of(c.src)) if port.name in c.src.type.ports else 0
        if total == 0:
            c.forward, c.calls = None, list(base)
        else:
            c.calls = [base[i % len(base)] for i in range(total)]


def renumber(system):
    fix_forwards(system)
    clients = {}
    for i, c in enumerate(system.connections):
        c.index = i
        if c.kind == "rpc":
            key = (c.dst.name, c.dst_port.name)
            c.client_index = clients.get(key, 0)
            clients[key] = c.client_index + 1


def drop_connection(system, c):
    """Takes connection c away, with the ports only it used (uses ports and dataports must stay connected)."""
    conns = [c]
    if c.kind == "dataport":
        conns += [c.go, c.back]
    elif c.unit is not None:
        return drop_connection(system, c.unit)
    for x in conns:
        if x in system.connections:
            system.connections.remove(x)
        for inst, port in ((x.src, x.src_port), (x.dst, x.dst_port)):
            if x in port.conns:
                port.conns.remove(x)
            if not port.conns and (port.kind in ("uses", "dataports") or x.unit is not None or x.kind != "rpc"):
                inst.type.ports.pop(port.name, None)
    renumber(system)


def drop_instance(system, inst):
    for c in [c for c in system.connections if inst in (c.src, c.dst)]:
        if c in system.connections:
            drop_connection(system, c)
    system.instances.remove(inst)
    for g in list(system.groups):
        if inst in g.members:
            g.members.remove(inst)
            if len(g.members) < 2:
                system.groups.remove(g)
    used = {p.iface.name for i in system.instances for p in i.type.ports.values() if p.iface}
    system.interfaces = [i for i in system.interfaces if i.name in used]
    renumber(system)
