"""Problems found in the input, each with the place it was found, and the
wording the messages share."""
import difflib


class Problem:
    def __init__(self, file, line, col, message):
        self.file, self.line, self.col, self.message = file, line, col, message

    def __str__(self):
        if self.line:
            return f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{self.file}: {self.message}"

    def key(self):
        return (self.file, self.line or 0, self.col or 0, self.message)

    # The same problem found twice (in a value aliased into two places) is reported once.
    def __eq__(self, other):
        return isinstance(other, Problem) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())


class Problems(Exception):
    """Raised when validation found problems; carries all of them."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(set(problems), key=Problem.key)


class Collector:
    """Collects problems; stop() raises them if there are any."""

    def __init__(self):
        self.problems = []

    def add(self, where, message):
        """where: a node (with file, line, col) or a file name."""
        if hasattr(where, "line"):
            self.problems.append(Problem(where.file, where.line, where.col, message))
        else:
            self.problems.append(Problem(str(where), 0, 0, message))

    def stop(self):
        if self.problems:
            raise Problems(self.problems)


# ---- wording shared by the messages ----------------------------------------------

def suggest(name, known):
    """'; did you mean ...?' with the closest known name, or nothing."""
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def article(kind):
    """'a' or 'an' before a kind of connection or interface (an rpc, an event, a ring)."""
    return "an" if kind in ("rpc", "event", "empty") else "a"


def known_list(names):
    """Names for a '(known: ...)' list: sorted, or 'none'."""
    names = sorted(names)
    return ", ".join(names) if names else "none"
