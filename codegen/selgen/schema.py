"""Validates position-annotated YAML against the JSON Schemas in codegen/schema.

A small subset of JSON Schema (type, properties, required,
additionalProperties, propertyNames, items, minItems, maxItems, enum,
pattern, minimum, maximum, oneOf, $ref to $defs), enough for our three
file kinds, with messages that name the thing and what is allowed instead.
Two extensions: "x-what" names what an object describes ("component"), and
"x-message" says in words what a pattern wants.
"""
import difflib
import json
import os
import re

from . import yamlpos
from .errors import Collector
from .yamlpos import Map, Scalar, Seq

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schema")

_ARTICLE = {
    "object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
    "boolean": "true or false", "number": "a number", "null": "empty",
}
_KIND_OF_NODE = {"mapping": "object", "list": "array"}


def load_valid(path, display, schema, problems):
    """The file's YAML tree if it loads and the schema accepts it; else None, with the problems reported."""
    before = len(problems.problems)
    root = yamlpos.load(path, display, problems)
    if root is not None:
        validate(root, schema, problems)
    return root if root is not None and len(problems.problems) == before else None


def load_schema(name):
    with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as f:
        return json.load(f)


def _node_type(node):
    if isinstance(node, Map):
        return "object"
    if isinstance(node, Seq):
        return "array"
    return {"integer": "integer", "string": "string", "boolean": "boolean", "number": "number",
            "null": "null"}.get(node.kind, node.kind)


def _describe_value(node):
    if isinstance(node, Scalar):
        if isinstance(node.value, str):
            return f"a string ('{node.value}')"
        return f"{_ARTICLE.get(_node_type(node), node.kind)} ({node.value!r})"
    return _ARTICLE.get(_node_type(node), node.kind)


def _known(names):
    names = sorted(names)
    return ", ".join(names) if names else "none"


class _Context:
    def __init__(self, root, problems):
        self.root, self.problems = root, problems

    def resolve(self, schema):
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"unsupported $ref {ref}")
            target = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            schema = target
        return schema


def _what_of(node, schema, parent_what, index):
    """How messages name an object: 'component 'server'', 'connection 3', ..."""
    what = schema.get("x-what")
    if not what:
        return parent_what
    # Things inside a named thing say whose they are: "device 'x' of component 'y'".
    suffix = "" if not parent_what or parent_what.startswith("the ") else f" of {parent_what}"
    if isinstance(node, Map):
        for name_key in ("name", "node"):
            name = node.value(name_key)
            if isinstance(name, str):
                return f"{what} '{name}'{suffix}"
        if isinstance(node.value("from"), str) and isinstance(node.value("to"), str):
            return f"{what} '{node.value('from')} -> {node.value('to')}'{suffix}"
    if index is not None:
        return f"{what} {index + 1}{suffix}"
    return what + suffix


def _label(key, what):
    return f"'{key}' of {what}" if key is not None else what


def _entry(label, index):
    """An entry of a list that is not a named thing is named by its list."""
    return f"an entry of {label}" if index is not None else label


def _validate(ctx, node, schema, what, key=None, index=None):
    schema = ctx.resolve(schema)

    if "oneOf" in schema:
        _validate_one_of(ctx, node, schema, what, key, index)
        return

    if isinstance(node, (Map, Seq)) and schema.get("x-what"):
        what, key, index = _what_of(node, schema, what, index), None, None
    label = _entry(_label(key, what), index)

    expected = schema.get("type")
    actual = _node_type(node)
    if expected and actual != expected and not (expected == "number" and actual == "integer"):
        ctx.problems.add(node, f"{label} must be {_ARTICLE.get(expected, expected)}, not {_describe_value(node)}")
        return

    if isinstance(node, Scalar):
        value = node.value
        if "enum" in schema and value not in schema["enum"]:
            ctx.problems.add(node, f"{label} must be one of {', '.join(map(str, schema['enum']))}, not '{value}'")
        if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
            wanted = schema.get("x-message", f"match {schema['pattern']}")
            ctx.problems.add(node, f"{label} must be {wanted}, not '{value}'")
        if isinstance(value, int) and not isinstance(value, bool):
            lo, hi = schema.get("minimum"), schema.get("maximum")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                if lo is not None and hi is not None:
                    ctx.problems.add(node, f"{label} is out of range: {value} is not in {lo}..{hi}")
                elif lo is not None:
                    ctx.problems.add(node, f"{label} is out of range: {value} is less than {lo}")
                else:
                    ctx.problems.add(node, f"{label} is out of range: {value} is more than {hi}")
        return

    if isinstance(node, Seq):
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        if lo is not None and len(node) < lo:
            ctx.problems.add(node, f"{label} needs at least {lo} entr{'y' if lo == 1 else 'ies'}")
        if hi is not None and len(node) > hi:
            ctx.problems.add(node, f"{label} has {len(node)} entries; at most {hi} are allowed")
        if "items" in schema:
            for i, item in enumerate(node.items):
                _validate(ctx, item, schema["items"], what, key, i)
        return

    if isinstance(node, Map):
        if key is not None:
            what = label
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        unknown = [k for k in node.values if k not in properties] if additional is False else []
        for required in schema.get("required", []):
            if required not in node and not any(difflib.get_close_matches(k, properties, n=1) == [required]
                                                for k in unknown):
                ctx.problems.add(node, f"{what} has no '{required}'")
        for k, value in node.items():
            if "propertyNames" in schema:
                _validate(ctx, node.keys[k], schema["propertyNames"], f"a name in {what}", key=None)
            if k in properties:
                _validate(ctx, value, properties[k], what, key=k)
            elif additional is False:
                message = f"{what} has an unknown key '{k}' (known: {_known(properties)})"
                close = difflib.get_close_matches(k, properties, n=1)
                if close:
                    message += f"; did you mean '{close[0]}'?"
                ctx.problems.add(node.keys[k], message)
            elif isinstance(additional, dict):
                _validate(ctx, value, additional, what, key=k)


def _validate_one_of(ctx, node, schema, what, key, index):
    alternatives = [ctx.resolve(s) for s in schema["oneOf"]]
    results = []
    for alt in alternatives:
        sub = _Context(ctx.root, Collector())
        _validate(sub, node, alt, what, key, index)
        if not sub.problems.problems:
            return
        results.append((alt, sub.problems.problems))
    actual = _node_type(node)
    matching = [(alt, probs) for alt, probs in results if alt.get("type") == actual]
    if len(matching) == 1:
        ctx.problems.problems.extend(matching[0][1])
        return
    types = [_ARTICLE.get(alt.get("type"), alt.get("type")) for alt in alternatives]
    ctx.problems.add(node, f"{_entry(_label(key, what), index)} must be {' or '.join(types)}, "
                           f"not {_describe_value(node)}")


def validate(node, schema, problems):
    """Validates node against schema (a loaded JSON Schema), adding problems to the collector."""
    ctx = _Context(schema, problems)
    _validate(ctx, node, schema, schema.get("x-what", "the file"))
