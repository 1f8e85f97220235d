"""The connections of system.yaml, one kind at a time.

Every connection goes through the same steps: its two ends are resolved to
an instance and a port (check_ends), the ends must be ports of the kind's
sides in the right direction (check_direction) and speak the same interface
(check_interface), and then the kind's own pass reads what only that kind
has (check_rpc, check_event, check_dataport, check_ring).  A port that joins
one peer only (a using rpc port, a dataport, a ring) may be connected once
(check_exclusive).  KINDS says, per kind, which port kinds it joins, which
keys it takes and which pass it has: a new kind of connection is one entry
there and one pass here (and a part of the glue in templates/kinds/).

A pass that adds connections of its own (an implicit one, such as every
component's connection to a console) makes a model.Connection with the
node of what caused it and its two ends named in `ends`, sets what the
kind's pass would (interface, entries, wake, data, ...), and calls link():
the layout and the templates then treat it as any other.  A provided ring
port numbers its clients in the order link() saw them.
"""
from .errors import article, known_list, suggest
from .model import DEFAULT_DATAPORT, DEFAULT_RPC_BUFFER, Connection, parse_size
from .system_info import LOADER, LOADER_PORT, LoaderInstance
from .yamlpos import Seq

MAX_DATA_REGION = 1 << 30


class Kind:
    """What a kind of connection joins ('from' and 'to' port kinds), the keys of its own, the ends
    that may be connected only once (and why), why it cannot join a component to itself (None: it
    can), and its pass."""

    def __init__(self, name, ends, sides, keys, exclusive, why_once, not_to_itself, check):
        self.name, self.ends, self.sides, self.keys = name, ends, sides, keys
        self.exclusive, self.why_once, self.not_to_itself, self.check = exclusive, why_once, not_to_itself, check


def check_rpc(conn, cnode, problems):
    """An rpc connection passes buffer parameters through a shared buffer ('buffer', default 4K)."""
    if "buffer" in cnode and not conn.interface.uses_buffer:
        problems.add(cnode.keys["buffer"], f"connection '{conn.label}' has a 'buffer', but interface "
                                           f"'{conn.interface.name}' has no buffer parameters to pass through it")
        return False
    conn.buffer = parse_size(cnode.value("buffer", DEFAULT_RPC_BUFFER)) if conn.interface.uses_buffer else 0
    if conn.buffer > (1 << 30):
        problems.add(cnode.get("buffer"), f"the buffer of rpc connection '{conn.label}' is "
                                          f"{cnode.value('buffer')}; at most 1G")
        return False
    return True


def check_event(conn, cnode, problems):
    """An event connection has nothing of its own."""
    return True


def check_dataport(conn, cnode, problems):
    """A dataport has a size (default 4K), at most 1G."""
    conn.size = parse_size(cnode.value("size", DEFAULT_DATAPORT))
    if conn.size > (1 << 30):
        problems.add(cnode.get("size"), f"dataport '{conn.label}' is {cnode.value('size')}; at most 1G")
        return False
    return True


def check_ring(conn, cnode, problems):
    """A ring has a power of two of entries (default 64), a wake-up (notification or token), and may
    have a data region shared by its two ends ('data', at most 1G)."""
    conn.wake = cnode.value("wake", "notification")
    conn.entries = cnode.value("entries", 64)
    if conn.entries & (conn.entries - 1):
        lower = 1 << (conn.entries.bit_length() - 1)
        problems.add(cnode.get("entries"), f"ring '{conn.label}' has {conn.entries} entries; the number must "
                                           f"be a power of two (such as {lower} or {lower * 2})")
        return False
    conn.data = parse_size(cnode.value("data", 0))
    if conn.data > MAX_DATA_REGION:
        problems.add(cnode.get("data"), f"the data region of ring '{conn.label}' is {cnode.value('data')}; "
                                        "at most 1G")
        return False
    return True


KINDS = {
    "rpc": Kind("rpc", ("uses", "provides"), ("using", "providing"), ("buffer",), ("from",),
                "a using port connects to one provider",
                "its thread would wait in its own call for itself to answer; call the handler as a function",
                check_rpc),
    # An event to itself works: the component signals its own notification (to run a callback later).
    "event": Kind("event", ("emits", "consumes"), ("emitting", "consuming"), (), (), None, None, check_event),
    "dataport": Kind("dataport", ("dataports", "dataports"), None, ("size",), ("from", "to"),
                     "a dataport joins two components",
                     "a dataport shares memory between two components; memory of its own needs no connection",
                     check_dataport),
    # A provided ring port serves any number of clients, each connection its own pair of rings.
    "ring": Kind("ring", ("uses", "provides"), ("using", "providing"), ("entries", "wake", "data"), ("from",),
                 "a using ring port connects to one provider",
                 "a ring carries work between two components; a queue of its own needs no connection",
                 check_ring),
}


def check_connections(root, system, by_name, problems):
    """Every connection of system.yaml, checked and linked to its ports.  Returns the (instance, port)
    names that some connection names, even a rejected one: they are not 'unconnected'."""
    connected_once = {}           # (instance, port) -> line, for ports that join one peer only
    named = set()
    for index, cnode in enumerate(root.get("connections", Seq(root.file, 0, 0, []))):
        conn = Connection(cnode.value("kind"), cnode, index)
        kind = KINDS[conn.kind]
        ok = check_ends(conn, cnode, by_name, named, system, problems)
        check_keys(conn, cnode, problems)
        if not ok:
            continue
        if conn.from_inst is conn.to_inst and kind.not_to_itself:
            problems.add(cnode, f"{conn.kind} connection '{conn.label}' joins component '{conn.from_inst.name}' "
                                f"to itself: {kind.not_to_itself}")
            continue
        if not (check_direction(conn, cnode, kind, problems) and check_interface(conn, cnode, problems)
                and kind.check(conn, cnode, problems) and check_exclusive(conn, cnode, kind, connected_once, problems)):
            continue
        link(system, conn)
    return named


def link(system, conn):
    """Adds a checked connection to the system and to its two ports.  A pass that adds connections of
    its own (implicit ones) calls this too; a provided port numbers its clients in this order."""
    conn.from_port.connections.append(conn)
    conn.to_port.connections.append(conn)
    system.connections.append(conn)


def check_ends(conn, cnode, by_name, named, system, problems):
    """Resolves 'from' and 'to' (component.port) to conn.{from,to}_{inst,port}; False if either is unknown."""
    ok = True
    for end in ("from", "to"):
        iname, pname = cnode.value(end).split(".")
        inst = by_name.get(iname)
        if inst is None and iname == LOADER:
            if end == "from":
                problems.add(cnode.get(end), f"connection '{conn.label}' starts at the loader, which only serves: "
                                             f"it is the 'to' end of rpc connections to {LOADER}.{LOADER_PORT}")
                ok = False
                continue
            if system.loader is None:
                system.loader = LoaderInstance(system.interfaces_for_loader, cnode.get(end))
            inst = system.loader
            if inst.type.ports.get(LOADER_PORT) is None:
                ok = False   # its interface is missing or broken: said already
                continue
        if inst is None:
            problems.add(cnode.get(end), f"connection '{conn.label}' names unknown component '{iname}' "
                                         f"(known: {known_list(by_name)}){suggest(iname, by_name)}")
            ok = False
            continue
        if inst.type is None:
            ok = False
            continue
        port = inst.type.ports.get(pname)
        if port is None and inst is system.loader:
            problems.add(cnode.get(end), f"the loader has no port '{pname}'; it serves system information on "
                                         f"'{LOADER}.{LOADER_PORT}' (docs/system.md){suggest(pname, inst.type.ports)}")
            ok = False
            continue
        if port is None:
            problems.add(cnode.get(end), f"component '{iname}' ({inst.type.file}) has no port '{pname}' "
                                         f"(its ports: {known_list(inst.type.ports)}){suggest(pname, inst.type.ports)}")
            ok = False
            continue
        setattr(conn, f"{end}_inst", inst)
        setattr(conn, f"{end}_port", port)
        named.add((iname, pname))
    return ok


def check_keys(conn, cnode, problems):
    """Keys of other kinds ('size' on an rpc connection, ...) are mistakes."""
    for name, kind in KINDS.items():
        for key in kind.keys:
            if key in cnode and conn.kind != name:
                problems.add(cnode.keys[key], f"'{key}' applies to {name} connections, not to {conn.kind} ones")


def check_direction(conn, cnode, kind, problems):
    """'from' is the using (emitting) side and 'to' the providing (consuming) side."""
    f, t = conn.from_port, conn.to_port
    want_from, want_to = kind.ends
    if kind.sides and (f.kind, t.kind) == (want_to, want_from):
        problems.add(cnode.get("from"), f"{conn.kind} connection '{conn.label}' runs the wrong way: 'from' must be "
                                        f"the {kind.sides[0]} side and 'to' the {kind.sides[1]} side; swap them")
        return False
    ok = True
    for end, port, want, side in (("from", f, want_from, 0), ("to", t, want_to, 1)):
        if port.kind == want:
            continue
        if kind.sides is None:
            problems.add(cnode.get(end), f"connection '{conn.label}' is a dataport connection, but "
                                         f"'{cnode.value(end)}' {port.describe()}")
        else:
            problems.add(cnode.get(end), f"the '{end}' end of {conn.kind} connection '{conn.label}' must be "
                                         f"a port that {want} ({kind.sides[side]} side); '{cnode.value(end)}' "
                                         f"{'is ' if port.kind == 'dataports' else ''}{port.describe()}")
        ok = False
    return ok


def check_interface(conn, cnode, problems):
    """Both ends speak one interface, of the connection's kind; events may have none."""
    if conn.kind == "dataport":
        return True
    fi, ti = conn.from_port.interface, conn.to_port.interface
    if conn.kind == "event":
        if (fi is None) != (ti is None) or (fi and ti and fi.name != ti.name):
            problems.add(cnode, f"connection '{conn.label}' joins events of "
                                f"{f'interface {fi.name!r}' if fi else 'no interface'} to "
                                f"{f'interface {ti.name!r}' if ti else 'no interface'}")
            return False
    else:
        if fi is None or ti is None:
            return False
        if fi.name != ti.name:
            problems.add(cnode, f"connection '{conn.label}' joins interface '{fi.name}' "
                                f"({cnode.value('from')}) to interface '{ti.name}' ({cnode.value('to')})")
            return False
        if fi.kind != conn.kind:
            problems.add(cnode.get("kind"), f"connection '{conn.label}' is {article(conn.kind)} {conn.kind} "
                                            f"connection, but interface '{fi.name}' is {article(fi.kind)} "
                                            f"{fi.kind} interface")
            return False
    conn.interface = fi
    return True


def check_exclusive(conn, cnode, kind, connected_once, problems):
    """A using rpc or ring port talks to one provider; a dataport joins exactly two components."""
    ok = True
    for end in kind.exclusive:
        key = (getattr(conn, f"{end}_inst").name, getattr(conn, f"{end}_port").name)
        if key in connected_once:
            problems.add(cnode.get(end), f"port '{cnode.value(end)}' is connected twice (lines "
                                         f"{connected_once[key]} and {cnode.get(end).line}); {kind.why_once}")
            ok = False
        else:
            connected_once[key] = cnode.get(end).line
    return ok


def check_every_port_connected(system, named, problems):
    """A using port or a dataport nobody connected would fail at its first use: say so now."""
    for inst in system.instances:
        if inst.type is None:
            continue
        for port in inst.type.ports.values():
            if port.kind in ("uses", "dataports") and (inst.name, port.name) not in named and \
                    port.name not in inst.type.optional:
                problems.add(inst.node.get("name"), f"port '{inst.name}.{port.name}' ({port.describe()}) is not "
                                                    "connected; add a connection for it")
