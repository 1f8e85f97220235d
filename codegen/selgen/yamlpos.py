"""YAML loaded into nodes that remember where they came from (file, line, column)."""
import yaml

from .errors import Collector


class Node:
    kind = "node"

    def __init__(self, file, line, col):
        self.file, self.line, self.col = file, line, col

    def py(self):
        raise NotImplementedError


class Scalar(Node):
    def __init__(self, file, line, col, value):
        super().__init__(file, line, col)
        self.value = value

    @property
    def kind(self):
        return type_name(self.value)

    def py(self):
        return self.value


class Seq(Node):
    kind = "list"

    def __init__(self, file, line, col, items):
        super().__init__(file, line, col)
        self.items = items

    def py(self):
        return [i.py() for i in self.items]

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


class Map(Node):
    """Keys are strings; self.keys[k] is the key's node, self.values[k] its value's."""

    kind = "mapping"

    def __init__(self, file, line, col):
        super().__init__(file, line, col)
        self.keys, self.values = {}, {}

    def py(self):
        return {k: v.py() for k, v in self.values.items()}

    def get(self, key, default=None):
        return self.values.get(key, default)

    def value(self, key, default=None):
        node = self.values.get(key)
        return node.py() if node is not None else default

    def __contains__(self, key):
        return key in self.values

    def items(self):
        return self.values.items()


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


_constructor = yaml.constructor.SafeConstructor()


def _convert(node, file, problems):
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.ScalarNode):
        try:
            value = _constructor.construct_object(node, deep=True)
        except yaml.YAMLError as e:
            problems.add(Scalar(file, line, col, None), f"cannot read this value: {e}")
            value = None
        if hasattr(value, "isoformat"):   # dates and times: keep the text
            value = node.value
        return Scalar(file, line, col, value)
    if isinstance(node, yaml.SequenceNode):
        return Seq(file, line, col, [_convert(n, file, problems) for n in node.value])
    result = Map(file, line, col)
    for key_node, value_node in node.value:
        key = _convert(key_node, file, problems)
        if not isinstance(key.value, str):
            problems.add(key, f"keys must be names, not {key.kind} ({key.value!r})")
            continue
        if key.value in result.keys:
            first = result.keys[key.value]
            problems.add(key, f"duplicate key '{key.value}' (first at line {first.line})")
            continue
        result.keys[key.value] = key
        result.values[key.value] = _convert(value_node, file, problems)
    return result


def load(path, display=None, problems=None):
    """Loads one YAML document; returns its root node, or None with problems recorded."""
    display = display or str(path)
    problems = problems if problems is not None else Collector()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        problems.add(display, "no such file")
        return None
    except (OSError, UnicodeDecodeError) as e:
        problems.add(display, f"cannot read: {e}")
        return None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = e.problem or str(e)
        if e.context:
            context = e.context
            if e.context_mark and mark and e.context_mark.line != mark.line:
                # An unclosed quote or bracket is found at the end: say where it was opened.
                context += f" (started at line {e.context_mark.line + 1}, column {e.context_mark.column + 1})"
            message = f"{context}: {message}" if e.problem else context
        if "<block end>" in message:
            message += "; is the indentation right?"
        node = Scalar(display, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0, None)
        problems.add(node, f"not valid YAML: {message}")
        return None
    except yaml.YAMLError as e:
        problems.add(display, f"not valid YAML: {e}")
        return None
    if root is None:
        problems.add(display, "the file is empty")
        return None
    return _convert(root, display, problems)
