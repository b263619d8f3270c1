"""Problems found in user input, and the exit codes the CLI maps them to.

Every problem names the file, the entry, the field and the reason, so an engineer can fix
the inventory without reading Python. Validation collects all problems in one run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (see README, "Exit codes")."""

    OK = 0
    FAILED = 1  # the command ran and found something wrong (stale output, violations, diff)
    INVALID_INPUT = 2  # inventory or arguments are invalid; nothing was touched
    ENVIRONMENT = 3  # a pre-flight requirement of this machine is missing (root, packages)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input."""

    file: str
    line: int | None
    entry: str
    field: str
    reason: str

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" field '{self.field}'" if self.field else ""
        return f"{where}: {self.entry}{field}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class InputError(Exception):
    """Raised with every problem found, never with only the first one."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_sort_key)
        super().__init__("\n".join(p.format() for p in self.problems))


def _sort_key(problem: Problem) -> tuple[str, int, str, str, str]:
    return (problem.file, problem.line or 0, problem.entry, problem.field, problem.reason)
