"""Compare a plan with a committed snapshot, for pull-request review."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spbe.errors import InputError, Problem


@dataclass
class PlanDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # resource -> input keys

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def resources(self) -> list[str]:
        return sorted([*self.added, *self.removed, *self.changed])

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def read_snapshot(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), None, "(file)", "", f"unreadable snapshot: {exc}")]
                         ) from None
    if not isinstance(data, dict) or data.get("format") != 1 or "resources" not in data:
        raise InputError([Problem(str(path), None, "(file)", "",
                                  "not a plan snapshot (written by `spbe plan --save`)")])
    return data


def diff(old: dict[str, Any], new: dict[str, Any]) -> PlanDiff:
    before, after = old["resources"], new["resources"]
    result = PlanDiff(added=sorted(set(after) - set(before)),
                      removed=sorted(set(before) - set(after)))
    for key in sorted(set(before) & set(after)):
        was, now = before[key], after[key]
        keys = sorted(k for k in set(was["inputs"]) | set(now["inputs"])
                      if was["inputs"].get(k) != now["inputs"].get(k))
        if was.get("parent") != now.get("parent"):
            keys.append("(parent)")
        if was.get("dependencies") != now.get("dependencies"):
            keys.append("(dependencies)")
        if keys:
            result.changed[key] = keys
    return result
