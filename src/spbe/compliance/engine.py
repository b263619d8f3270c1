"""Evaluate compliance rules on configuration trees."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache

from spbe.compliance.rules import FACT, Check, LineMatch, Rule
from spbe.netconfig.secrets import is_placeholder
from spbe.platforms.base import ConfigLine, ConfigTree, walk_tree


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule on one device."""

    device: str
    rule: str
    title: str
    control_area: str
    passed: bool
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _pattern(pattern: str, facts: dict[str, str]) -> re.Pattern[str]:
    """The pattern with `{fact}` replaced by the device's value, escaped."""
    if "{" in pattern and FACT.search(pattern):
        pattern = FACT.sub(lambda m: re.escape(facts[m[1]]), pattern)
    return _compile(pattern)


def _lines(tree: ConfigTree, under: re.Pattern[str] | None) -> Iterable[ConfigLine]:
    for parent, line in walk_tree(tree):
        if under is None or (parent is not None and under.search(parent.text)):
            yield line


def _matching(tree: ConfigTree, match: LineMatch, facts: dict[str, str]) -> list[ConfigLine]:
    line = _pattern(match.line, facts)
    under = _pattern(match.under, facts) if match.under else None
    return [found for found in _lines(tree, under) if line.search(found.text)]


def _where(match: LineMatch) -> str:
    return f" under /{match.under}/" if match.under else ""


def _secret_value(raw: str) -> str:
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw


def check_reasons(check: Check, tree: ConfigTree, facts: dict[str, str]) -> list[str]:
    """Why `check` fails on `tree` (empty when it holds)."""
    if check.require is not None:
        if not _matching(tree, check.require, facts):
            return [f"missing a line matching /{check.require.line}/{_where(check.require)}"]
        return []
    if check.forbid is not None:
        return [f"forbidden line: {found.text!r}" for found in _matching(tree, check.forbid, facts)]
    if check.only is not None:
        allowed = [_pattern(p, facts) for p in check.only.allowed]
        return [
            f"not allowed: {found.text!r}"
            for found in _matching(tree, check.only, facts)
            if not any(a.search(found.text) for a in allowed)
        ]
    if check.each is not None:
        return _each_reasons(check, tree, facts)
    reasons = []
    for pattern in check.secrets or []:
        compiled = _pattern(pattern, facts)
        for _, line in walk_tree(tree):
            for match in compiled.finditer(line.text):
                if not is_placeholder(_secret_value(match["value"])):
                    reasons.append(f"secret not a <vault:NAME> placeholder in {line.text!r}")
    return reasons


def _each_reasons(check: Check, tree: ConfigTree, facts: dict[str, str]) -> list[str]:
    assert check.each is not None
    each = check.each
    section = _pattern(each.section, facts)
    when = _pattern(each.when, facts) if each.when else None
    required = [_pattern(p, facts) for p in each.require]
    forbidden = [_pattern(p, facts) for p in each.forbid]
    reasons: list[str] = []
    sections = 0
    for _, line in walk_tree(tree):
        if not section.search(line.text):
            continue
        children = [child.text for child in line.children]
        if when is not None and not any(when.search(c) for c in children):
            continue
        sections += 1
        for pattern in required:
            if not any(pattern.search(c) for c in children):
                reasons.append(f"{line.text!r} lacks a line matching /{pattern.pattern}/")
        for pattern in forbidden:
            reasons += [f"{line.text!r} has forbidden {c!r}" for c in children
                        if pattern.search(c)]
    if not sections:
        reasons.append(f"no section matching /{each.section}/")
    return reasons


def evaluate(
    rules: list[Rule], device: str, platform: str, role: str, uplink: str,
    tree: ConfigTree, facts: dict[str, str],
) -> list[Finding]:
    """Every in-scope rule's outcome for one device."""
    findings = []
    for rule in rules:
        if not rule.in_scope(platform, role, uplink):
            continue
        reasons: list[str] = []
        for check in rule.platforms[platform]:
            reasons += check_reasons(check, tree, facts)
        findings.append(
            Finding(device, rule.id, rule.title, str(rule.control_area), not reasons,
                    tuple(reasons))
        )
    return findings
