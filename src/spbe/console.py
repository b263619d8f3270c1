"""Terminal and machine output shared by all commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from spbe.errors import Problem


class Output:
    """Rich text for people, or one JSON document on stdout with `--json`."""

    def __init__(self, as_json: bool = False):
        self.as_json = as_json
        self.console = Console(highlight=False, soft_wrap=True)
        self.errors = Console(stderr=True, highlight=False, soft_wrap=True)

    def emit_json(self, data: Any) -> None:
        json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")

    def problems(self, problems: list[Problem], what: str = "input") -> None:
        if self.as_json:
            self.emit_json({"ok": False, "problems": [p.as_dict() for p in problems]})
            return
        for problem in problems:
            self.errors.print(f"[red]error[/red] {problem.format()}", markup=True, highlight=False)
        noun = "problem" if len(problems) == 1 else "problems"
        self.errors.print(f"[bold red]{len(problems)} {noun} in the {what}; nothing was changed.")
