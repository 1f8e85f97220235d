"""Problems found in the input, each with the place it was found."""


class Problem:
    def __init__(self, file, line, col, message):
        self.file, self.line, self.col, self.message = file, line, col, message

    def __str__(self):
        if self.line:
            return f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{self.file}: {self.message}"

    def key(self):
        return (self.file, self.line or 0, self.col or 0, self.message)


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
