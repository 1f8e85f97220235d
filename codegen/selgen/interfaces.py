"""Loading the interfaces in idl/: each file is loaded on first use, checked
against codegen/schema/interface.schema.json, and then by meaning, one pass
per section of the file:

    check_types        structs (with their C layout) and enums
    check_procedures   parameters, results, and whether they fit in one message
    check_events       event names
    check_ring         the ring's request and response structs
    (names.py)         names C would misread: keywords, the C library's,
                       a parameter beside a buffer's generated length

An interface with problems is not used: what it would say about ports and
connections is not true.
"""
import os
import re

from . import names
from . import schema as schema_mod
from .errors import known_list, suggest
from .model import MAX_MESSAGE_WORDS, SCALARS, Interface, Param, Procedure, Type
from .yamlpos import Seq


class Interfaces:
    """Loads idl/<name>.yaml on first use."""

    def __init__(self, idl_dir, problems, display_root):
        self.idl_dir, self.problems, self.display_root = idl_dir, problems, display_root
        self.loaded = {}
        self.schema = schema_mod.load_schema("interface.schema.json")

    def available(self):
        try:
            return sorted(f[:-5] for f in os.listdir(self.idl_dir) if f.endswith(".yaml"))
        except OSError:
            return []

    def get(self, name, where):
        if name in self.loaded:
            return self.loaded[name]
        path = os.path.join(self.idl_dir, name + ".yaml")
        display = os.path.relpath(path, self.display_root)
        if not os.path.exists(path):
            self.problems.add(where, f"interface '{name}' is not in {os.path.relpath(self.idl_dir, self.display_root)}/ "
                                     f"(interfaces: {known_list(self.available())}){suggest(name, self.available())}")
            self.loaded[name] = None
            return None
        root = schema_mod.load_valid(path, display, self.schema, self.problems)
        if root is None:
            self.loaded[name] = None
            return None
        before = len(self.problems.problems)
        iface = Interface(root.value("interface"), display)
        if iface.name != name:
            self.problems.add(root.get("interface"), f"the interface is called '{iface.name}', but its file is "
                                                     f"{display}; they must agree")
        types = check_types(root, iface, self.problems)
        check_procedures(root, iface, types, self.problems)
        check_events(root, iface, self.problems)
        check_ring(root, iface, types, self.problems)
        names.check_interface(iface, self.problems)
        self.loaded[name] = iface if len(self.problems.problems) == before else None
        return self.loaded[name]


def empty(root):
    return Seq(root.file, 0, 0, [])


def check_types(root, iface, p):
    """The interface's structs and enums.  A struct may use scalars and the interface's other types, in
    any order in the file; they are laid out (and declared in C) each after the types it contains.  A
    struct that contains itself, directly or through others, cannot be.  Returns every type a
    parameter may name (built-in ones too)."""
    types = {n: Type(n, "scalar", c, s, s) for n, (c, s) in SCALARS.items()}
    types["buffer"] = Type("buffer", "buffer", None, 0, 8)
    defined, broken = {}, set()       # name -> its node; names whose definition is wrong
    for tnode in root.get("types", empty(root)):
        tname = tnode.value("name")
        if tname in types or tname in defined:
            p.add(tnode.get("name"), f"type '{tname}' is defined twice" +
                  (f" (first at line {defined[tname].line})" if tname in defined else " (it is a built-in type)"))
            continue
        if ("struct" in tnode) == ("enum" in tnode):
            p.add(tnode, f"type '{tname}' must have exactly one of 'struct' or 'enum'")
            broken.add(tname)
            continue
        defined[tname] = tnode
    for tname in _dependency_order(defined, broken, p):
        tnode = defined[tname]
        if "enum" in tnode:
            t = _enum(tnode, tname, iface, p)
        else:
            t = _struct(tnode, tname, iface, types, broken, p)
        types[tname] = t
        iface.types[tname] = t
    for tname in broken:
        types[tname] = None           # known, but wrong where it is defined: uses of it say nothing more
    return types


def _field_type_name(fnode):
    return re.match(r"[a-z_][a-z0-9_]*", fnode.value("type")).group(0)


def _dependency_order(defined, broken, p):
    """The defined types, each after the structs and enums its fields use.  A struct in a cycle of
    containment is reported at the field that closes the cycle and left out (added to broken)."""
    order, state = [], {}
    for start in defined:
        if start in state:
            continue
        state[start] = "open"
        stack = [(start, iter(_fields(defined[start])))]
        while stack:
            tname, fields = stack[-1]
            fnode = next(fields, None)
            if fnode is None:
                stack.pop()
                state[tname] = "done"
                if tname not in broken:
                    order.append(tname)
                continue
            used = _field_type_name(fnode)
            if used not in defined:
                continue
            if state.get(used) == "open":
                path = [t for t, _ in stack]
                path = path[path.index(used):]
                how = ", ".join(f"'{a}' contains a '{b}'" for a, b in zip(path, path[1:] + [used])) \
                    if len(path) > 1 else f"field '{fnode.value('name')}' is a '{used}'"
                p.add(fnode.get("type"), f"struct '{used}' contains itself ({how}), so it would have no end; "
                                         "refer to another entry by a number (an index or an id) instead")
                broken.update(path)
                continue
            if used not in state:
                state[used] = "open"
                stack.append((used, iter(_fields(defined[used]))))
    return order


def _fields(tnode):
    return list(tnode.get("struct")) if "struct" in tnode else []


def _enum(tnode, tname, iface, p):
    values = tnode.value("enum")
    for i, v in enumerate(values):
        if v in values[:i]:
            p.add(tnode.get("enum").items[i], f"enum '{tname}' lists '{v}' twice")
    return Type(tname, "enum", f"{iface.name}_{tname}_t", 4, 4, values=values, node=tnode)


def _struct(tnode, tname, iface, types, broken, p):
    """A struct laid out as C lays it out: each field at its alignment, the size a multiple of the largest."""
    fields, offset, align, seen = [], 0, 1, set()
    for fnode in tnode.get("struct"):
        fname = fnode.value("name")
        if fname in seen:
            p.add(fnode.get("name"), f"struct '{tname}' has two fields called '{fname}'")
            continue
        seen.add(fname)
        if _field_type_name(fnode) in broken:
            continue                  # reported where that type is defined
        ftype = resolve(fnode.get("type"), types, f"field '{fname}' of struct '{tname}'", p)
        if ftype is None:
            continue
        if ftype.kind == "buffer":
            p.add(fnode.get("type"), f"field '{fname}' of struct '{tname}' cannot be a buffer "
                                     "(buffers are parameters)")
            continue
        offset = (offset + ftype.align - 1) // ftype.align * ftype.align
        fields.append((fname, ftype, offset))
        offset += ftype.size
        align = max(align, ftype.align)
    size = (offset + align - 1) // align * align
    return Type(tname, "struct", f"{iface.name}_{tname}_t", size, align, fields=fields, node=tnode)


def check_procedures(root, iface, types, p):
    """Procedures: distinct names, parameters of known types, results that are not buffers, one message each way."""
    seen = {}
    for index, pnode in enumerate(root.get("procedures", empty(root))):
        pname = pnode.value("name")
        if pname in seen:
            p.add(pnode.get("name"), f"procedure '{pname}' is defined twice (first at line {seen[pname]})")
            continue
        seen[pname] = pnode.line
        params, names = [], set()
        for anode in pnode.get("params", empty(root)):
            aname = anode.value("name")
            if aname in names:
                p.add(anode.get("name"), f"procedure '{pname}' has two parameters called '{aname}'")
                continue
            names.add(aname)
            atype = resolve(anode.get("type"), types, f"parameter '{aname}' of procedure '{pname}'", p)
            if atype is not None:
                params.append(Param(aname, atype, anode.value("dir", "in"), anode))
        returns = None
        if "returns" in pnode:
            returns = resolve(pnode.get("returns"), types, f"the result of procedure '{pname}'", p)
            if returns is not None and returns.kind == "buffer":
                p.add(pnode.get("returns"), f"procedure '{pname}' cannot return a buffer (use an out parameter)")
                returns = None
        proc = Procedure(pname, params, returns, index, pnode)
        for words, what in ((proc.request_words(), "its arguments need"), (proc.reply_words(), "its results need")):
            if words > MAX_MESSAGE_WORDS:
                p.add(pnode, f"procedure '{pname}' does not fit in one message: {what} {words} words, "
                             f"at most {MAX_MESSAGE_WORDS}")
        iface.procedures.append(proc)


def check_events(root, iface, p):
    """Event names, each once, in an interface of their own."""
    iface.events = root.value("events", [])
    for i, e in enumerate(iface.events):
        if e in iface.events[:i]:
            p.add(root.get("events").items[i], f"event '{e}' is listed twice")
    if iface.events and (iface.procedures or "ring" in root):
        p.add(root.get("events"), f"interface '{iface.name}' mixes events with procedures or a ring; "
                                  "events need an interface of their own")


def check_ring(root, iface, types, p):
    """A ring interface names a struct of its own for requests and one for responses, and has no procedures."""
    if "ring" not in root:
        return
    ring = root.get("ring")
    if iface.procedures:
        p.add(ring, f"interface '{iface.name}' has both procedures and a ring; it must be one or the other")
    for role in ("request", "response"):
        tname = ring.value(role)
        t = types.get(tname)
        if tname in types and t is None:
            continue
        if t is None or t.kind != "struct":
            p.add(ring.get(role), f"the ring's {role} type '{tname}' must be a struct of this interface "
                                  f"(structs: {known_list(n for n, x in iface.types.items() if x.kind == 'struct')})")
            continue
        setattr(iface, f"ring_{role}", t)


def resolve(node, types, what, problems):
    """The type a type name (or 'name[count]', an array) means, or None with the problem reported."""
    text = node.value
    m = re.fullmatch(r"([a-z_][a-z0-9_]*)(?:\[([0-9]+)\])?", text)
    base, count = m.group(1), m.group(2)
    if base in types and types[base] is None:
        return None
    t = types.get(base)
    if t is None:
        problems.add(node, f"{what} has unknown type '{base}' (known: {known_list(types)}){suggest(base, types)}")
        return None
    if count is None:
        return t
    count = int(count)
    if t.kind == "buffer":
        problems.add(node, f"{what}: there are no arrays of buffers")
        return None
    if not 1 <= count <= 4096:
        problems.add(node, f"{what}: an array needs 1 to 4096 elements, not {count}")
        return None
    return Type(text, "array", t.ctype, t.size * count, t.align, element=t, count=count)
