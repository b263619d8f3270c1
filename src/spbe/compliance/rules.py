"""The rule language of `policies/network/*.yaml`, and its loader.

A rule names its control area and, per platform, a list of checks on the configuration
tree (see `spbe.platforms.base.ConfigLine`). Every check must hold for the rule to pass;
a platform a rule does not list is outside the rule's scope (reported as such).

Checks (patterns are Python regular expressions, searched, not anchored unless written so):
  require:  {line: P, under: Q}  some line matching P exists (under a parent matching Q)
  forbid:   {line: P, under: Q}  no such line exists
  only:     {line: P, under: Q, allowed: [A, ...]}  every line matching P matches some A
  each:     {section: S, when: W, require: [P...], forbid: [P...]}  every line matching S
            (that has a child matching W) has children matching each P, and none of forbid;
            at least one such section must exist
  secrets:  [P, ...]  each P has a group `value`; every value found must be a secret
            placeholder (`<vault:NAME>`, see spbe.netconfig.secrets)

`{fact}` in a pattern is replaced by the escaped value of that fact of the device
(`spbe.netconfig.context.facts`): `{bandwidth_mbps}`, `{ntp_primary}`, `{noc_mgmt_primary}`...
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spbe.errors import InputError, Problem
from spbe.inventory.yamlfile import read_yaml

FACT = re.compile(r"\{([a-z_]+)\}")


class ControlArea(StrEnum):
    """Security audit control areas, Perwako 29/2022 Lampiran I Bab VI."""

    SECURITY_POLICY = "security_policy"
    ORGANIZATION = "organization"
    PERSONNEL = "personnel"
    ASSETS = "assets"
    ACCESS = "access"
    CRYPTOGRAPHY = "cryptography"
    PHYSICAL_ENVIRONMENTAL = "physical_environmental"
    OPERATIONS = "operations"
    COMMUNICATIONS = "communications"
    DEVELOPMENT_MAINTENANCE = "development_maintenance"
    SUPPLIERS = "suppliers"
    INCIDENTS = "incidents"
    CONTINUITY = "continuity"
    COMPLIANCE = "compliance"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Pattern = Annotated[str, Field(min_length=1)]


class LineMatch(_Strict):
    line: Pattern
    under: Pattern | None = None


class OnlyMatch(LineMatch):
    allowed: list[Pattern] = Field(min_length=1)


class SectionMatch(_Strict):
    section: Pattern
    when: Pattern | None = None
    require: list[Pattern] = Field(default_factory=list)
    forbid: list[Pattern] = Field(default_factory=list)


class Check(_Strict):
    """Exactly one of the check kinds."""

    require: LineMatch | None = None
    forbid: LineMatch | None = None
    only: OnlyMatch | None = None
    each: SectionMatch | None = None
    secrets: list[Pattern] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Check:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a check has exactly one of require, forbid, only, each, "
                             f"secrets (found {', '.join(given) or 'none'})")
        return self

    def patterns(self) -> list[str]:
        found: list[str] = []
        for match in (self.require, self.forbid, self.only):
            if match is not None:
                found += [match.line, *([match.under] if match.under else [])]
        if self.only is not None:
            found += self.only.allowed
        if self.each is not None:
            each = self.each
            found += [each.section, *([each.when] if each.when else []), *each.require,
                      *each.forbid]
        return found + (self.secrets or [])


class Scope(_Strict):
    roles: list[str] | None = None
    uplinks: list[str] | None = None


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    control_area: ControlArea
    rationale: str = Field(min_length=1)
    applies_to: Scope = Scope()
    platforms: dict[str, list[Check]] = Field(min_length=1)

    def in_scope(self, platform: str, role: str, uplink: str) -> bool:
        scope = self.applies_to
        return (
            platform in self.platforms
            and (scope.roles is None or role in scope.roles)
            and (scope.uplinks is None or uplink in scope.uplinks)
        )


def _pattern_problems(rule: Rule, known_facts: set[str], known_platforms: set[str]) -> list[str]:
    reasons = [f"unknown platform {name!r}" for name in rule.platforms
               if name not in known_platforms]
    for checks in rule.platforms.values():
        for check in checks:
            for pattern in check.patterns():
                unknown = set(FACT.findall(pattern)) - known_facts
                if unknown:
                    reasons.append(f"unknown fact(s) {sorted(unknown)} in {pattern!r}")
                    continue
                try:
                    compiled = re.compile(FACT.sub("x", pattern))
                except re.error as exc:
                    reasons.append(f"invalid pattern {pattern!r}: {exc}")
                    continue
                if check.secrets is not None and "value" not in compiled.groupindex:
                    reasons.append(f"secrets pattern {pattern!r} has no (?P<value>...) group")
    return reasons


def load_rules(folder: Path, known_facts: set[str], known_platforms: set[str]) -> list[Rule]:
    """Every rule under `folder`, sorted by id; InputError lists every problem found."""
    files = sorted(folder.glob("*.yaml"))
    problems: list[Problem] = []
    if not files:
        problems.append(Problem(str(folder), None, "(directory)", "", "no rule files (*.yaml)"))
    rules: dict[str, Rule] = {}
    for path in files:
        display = f"{folder.name}/{path.name}"
        doc, found = read_yaml(path, display)
        problems += found
        if doc is None:
            continue
        entries = doc.data.get("rules") if isinstance(doc.data, dict) else None
        if not isinstance(entries, list) or not entries:
            problems.append(Problem(display, 1, "rules", "", "must be a non-empty list of rules"))
            continue
        for index, raw in enumerate(entries):  # one by one: a bad rule hides no other
            line = doc.line(("rules", index))
            try:
                rule = Rule.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    loc = ("rules", index, *err["loc"])
                    entry, field = doc.entry(loc)
                    problems.append(Problem(display, doc.line(loc), entry, field,
                                            str(err["msg"]).removeprefix("Value error, ")))
                continue
            entry = f"rules[{index}] (id={rule.id})"
            if rule.id in rules:
                problems.append(Problem(display, line, entry, "id", "duplicate rule id"))
            for reason in _pattern_problems(rule, known_facts, known_platforms):
                problems.append(Problem(display, line, entry, "platforms", reason))
            rules[rule.id] = rule
    if problems:
        raise InputError(problems)
    return sorted(rules.values(), key=lambda r: r.id)
