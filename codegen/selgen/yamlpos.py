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
MERGE_TAG = "tag:yaml.org,2002:merge"
# A description has hundreds of values; aliases that expand to more are a mistake or an alias bomb
# (a few lines of nested aliases that would expand to billions), refused before they are expanded.
MAX_VALUES = 100_000


def _line_col(text, index):
    """Line and column (from 1) of character index in text."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _children(node):
    if isinstance(node, yaml.ScalarNode):
        return []
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return [n for pair in node.value for n in pair]


def _nodes(root):
    """Each distinct node once."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            yield node
            stack.extend(_children(node))


def _check_aliases(root, file, problems):
    """Aliases must neither refer to the value they are in (that never ends) nor expand the document
    beyond MAX_VALUES.  Counted without expanding: linear in the file.  Reports and returns False if not."""
    sizes, refs, state = {}, {id(root): 1}, {id(root): "open"}
    stack = [(root, iter(_children(root)))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            state[id(node)] = "done"
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in _children(node))
            continue
        refs[id(child)] = refs.get(id(child), 0) + 1
        if state.get(id(child)) == "open":
            mark = node.start_mark
            problems.add(Scalar(file, mark.line + 1, mark.column + 1, None),
                         "an alias here refers to a value that contains it, which would never end; "
                         "alias something outside it")
            return False
        if id(child) not in state:
            state[id(child)] = "open"
            stack.append((child, iter(_children(child))))
    total = sizes[id(root)]
    if total <= MAX_VALUES:
        return True
    # Name the aliased value that expands most: that is where to look.
    worst = max((n for n in _nodes(root) if refs[id(n)] > 1), key=lambda n: sizes[id(n)], default=root)
    mark = worst.start_mark
    problems.add(Scalar(file, mark.line + 1, mark.column + 1, None),
                 f"aliases expand this file to {total} values, at most {MAX_VALUES}: this anchored value alone "
                 f"stands for {sizes[id(worst)]} of them and appears {refs[id(worst)]} times; write repeated "
                 "parts out or alias them less deeply")
    return False


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
    merged = []
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:
            merged.append((key_node, value_node))
            continue
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
    for key_node, value_node in merged:
        _merge(result, key_node, value_node, file, problems)
    return result


def _merge(result, key_node, value_node, file, problems):
    """A merge key ('<<: *defaults', or a list of such): the aliased mappings' keys that the mapping does not
    set itself, each keeping the place it was written (the first mapping listed wins, as YAML says)."""
    sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    for source in sources:
        if not isinstance(source, yaml.MappingNode):
            problems.add(Scalar(file, source.start_mark.line + 1, source.start_mark.column + 1, None),
                         "'<<' merges mappings into this one: give it an alias of a mapping (<<: *defaults) "
                         "or a list of them")
            continue
        other = _convert(source, file, problems)
        for k, v in other.items():
            if k not in result.values:
                result.keys[k] = other.keys[k]
                result.values[k] = v


def load(path, display=None, problems=None):
    """Loads one YAML document; returns its root node, or None with problems recorded."""
    display = display or str(path)
    problems = problems if problems is not None else Collector()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        problems.add(display, "no such file")
        return None
    except OSError as e:
        problems.add(display, f"cannot read: {e}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        good = data[:e.start].decode("utf-8")
        line, col = _line_col(good, len(good))
        problems.add(Scalar(display, line, col, None), f"byte {data[e.start]:#04x} here is not UTF-8 (is the file "
                                                       "Latin-1?); save it as UTF-8")
        return None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as e:
        # A character YAML does not allow (a NUL byte, a control character): PyYAML gives only its index.
        line, col = _line_col(text, e.position)
        problems.add(Scalar(display, line, col, None), f"character {e.character:#04x} is not allowed in a YAML file "
                                                       "(control characters other than tab and newline are not); "
                                                       "remove it")
        return None
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
    except RecursionError:
        problems.add(display, "the file nests lists and mappings too deeply to read (hundreds of levels)")
        return None
    if root is None:
        problems.add(display, "the file is empty")
        return None
    if not _check_aliases(root, display, problems):
        return None
    try:
        return _convert(root, display, problems)
    except RecursionError:
        problems.add(display, "the file nests lists and mappings too deeply to read (hundreds of levels)")
        return None
