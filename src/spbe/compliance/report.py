"""Run the rules over a set of device configurations and summarise by control area."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from spbe import platforms
from spbe.compliance.engine import Finding, evaluate
from spbe.compliance.rules import Rule, load_rules
from spbe.errors import InputError, Problem
from spbe.inventory.yamlfile import read_text
from spbe.netconfig.paths import rules_dir
from spbe.netconfig.render import RenderedDevice
from spbe.platforms.base import ConfigSyntaxError

UNREADABLE = "readable-config"


@dataclass
class Report:
    findings: list[Finding]
    rules: list[Rule]
    problems: list[str] = field(default_factory=list)  # files that match no device, etc.

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]

    @property
    def ok(self) -> bool:
        return not self.violations and not self.problems

    def by_control_area(self) -> dict[str, dict[str, int]]:
        passed = Counter(f.control_area for f in self.findings if f.passed)
        failed = Counter(f.control_area for f in self.findings if not f.passed)
        areas = sorted({str(r.control_area) for r in self.rules} | set(failed))
        return {a: {"passed": passed[a], "failed": failed[a]} for a in areas}

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "devices": len({f.device for f in self.findings}),
            "rules": len(self.rules),
            "checks": len(self.findings),
            "by_control_area": self.by_control_area(),
            "violations": [f.as_dict() for f in self.violations],
            "problems": self.problems,
        }


def rules_for(inventory_root: Path, devices: list[RenderedDevice]) -> list[Rule]:
    known_facts = set(devices[0].facts) if devices else set()
    return load_rules(rules_dir(inventory_root), known_facts, set(platforms.registry()))


def check_texts(rules: list[Rule], devices: list[RenderedDevice], texts: dict[str, str]) -> Report:
    """Evaluate `texts` (hostname -> configuration) of the given inventory devices."""
    findings: list[Finding] = []
    for device in devices:
        text = texts.get(device.hostname)
        if text is None:
            continue
        try:
            tree = platforms.get(device.platform).parse(text)
        except ConfigSyntaxError as exc:
            findings.append(Finding(device.hostname, UNREADABLE, "Configuration is readable",
                                    "operations", False, (str(exc),)))
            continue
        findings += evaluate(rules, device.hostname, device.platform, device.role,
                             device.uplink, tree, device.facts)
    return Report(findings, rules)


def check_folder(rules: list[Rule], devices: list[RenderedDevice], folder: Path) -> Report:
    """Evaluate every configuration file under `folder`, found by `<hostname><suffix>`."""
    expected = {
        f"{d.hostname}{platforms.get(d.platform).config_suffix}": d for d in devices
    }
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, "(folder)", "", "no such folder")])
    texts: dict[str, str] = {}
    problems: list[str] = []
    unreadable: list[Problem] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        device = expected.get(path.name)
        if device is None:
            problems.append(f"{path}: no device of the inventory is called like this file")
            continue
        text, found = read_text(path, str(path), entry=device.hostname)
        if text is None:
            unreadable += found
        else:
            texts[device.hostname] = text
    if unreadable:
        raise InputError(unreadable)
    for name, device in sorted(expected.items()):
        if device.hostname not in texts:
            problems.append(f"{folder}/.../{name}: configuration of {device.hostname} missing")
    report = check_texts(rules, devices, texts)
    report.problems = problems
    return report
