"""Review report for a pull request: what changes on which device, and is it compliant.

The base revision's configurations are its committed `network_configs/rendered/` files
(read with one `git archive`, no checkout); the proposed ones are rendered in memory from
the working tree's inventory and templates, so a change is visible even before someone
re-renders. Per changed device the report shows the unified diff and the remediation
commands the push would send (the platform's `remediation`), then the compliance results.
"""

from __future__ import annotations

import difflib
import io
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from spbe import platforms
from spbe.compliance.report import Report, check_texts, rules_for
from spbe.errors import InputError, Problem
from spbe.inventory.loader import Inventory
from spbe.netconfig.paths import RENDERED, project_root
from spbe.netconfig.render import RenderedDevice, render_inventory


@dataclass(frozen=True)
class DeviceChange:
    path: str  # relative to the rendered folder: <category>/<hostname><suffix>
    change: str  # changed, added or removed
    hostname: str
    category: str
    platform: str
    diff: list[str]
    remediation: list[str]

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Review:
    base: str
    changes: list[DeviceChange]
    compliance: Report
    category_labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "base": self.base,
            "devices_changed": len(self.changes),
            "changes": [c.as_dict() for c in self.changes],
            "compliance": self.compliance.as_dict(),
        }


def committed_configs(repo: Path, ref: str) -> dict[str, str]:
    """Rendered files at `ref`, keyed by path relative to the rendered folder."""
    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)

    if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise InputError([Problem("--base", None, ref, "", f"not a git revision in {repo}")])
    if not git("ls-tree", "-d", "--name-only", ref, "--", RENDERED.as_posix()).stdout.strip():
        return {}  # the base predates rendered configs: every device is new
    archive = git("archive", "--format=tar", ref, "--", RENDERED.as_posix())
    if archive.returncode != 0:
        raise InputError([Problem("--base", None, ref, "", archive.stderr.decode().strip())])
    found: dict[str, str] = {}
    prefix = RENDERED.as_posix() + "/"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member) if member.isfile() else None
            if extracted is not None:
                found[member.name.removeprefix(prefix)] = extracted.read().decode("utf-8")
    return found


def _platform_of(path: str) -> str:
    suffix = Path(path).suffix
    return next((p.name for p in platforms.registry().values() if p.config_suffix == suffix), "")


def compare(base: dict[str, str], devices: list[RenderedDevice]) -> list[DeviceChange]:
    current = {d.path: d for d in devices}
    changes: list[DeviceChange] = []
    for path in sorted(set(base) | set(current)):
        old, device = base.get(path), current.get(path)
        new_text = device.text if device else ""
        if old == new_text:
            continue
        platform = device.platform if device else _platform_of(path)
        diff = list(difflib.unified_diff(
            (old or "").splitlines(), new_text.splitlines(),
            f"a/{path}" if old is not None else "/dev/null",
            f"b/{path}" if device else "/dev/null", lineterm="",
        ))
        remediation = (platforms.get(platform).remediation(old or "", new_text)
                       if device and platform else [])
        changes.append(DeviceChange(
            path=path,
            change="added" if old is None else ("removed" if device is None else "changed"),
            hostname=Path(path).stem,
            category=path.split("/", 1)[0],
            platform=platform,
            diff=diff,
            remediation=remediation,
        ))
    return changes


def review(inventory_root: Path, base_ref: str) -> tuple[Inventory, Review]:
    inventory, devices = render_inventory(inventory_root)
    base = committed_configs(project_root(inventory_root), base_ref)
    changes = compare(base, devices)
    compliance = check_texts(rules_for(inventory_root, devices), devices,
                             {d.hostname: d.text for d in devices})
    labels = {c.id: c.label for c in inventory.network.categories}
    return inventory, Review(base_ref, changes, compliance, labels)


def markdown(result: Review) -> str:
    """The report as a pull-request comment."""
    changes = result.changes
    lines = [f"## Network configuration review against `{result.base}`", ""]
    counts = {kind: sum(1 for c in changes if c.change == kind)
              for kind in ("changed", "added", "removed")}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no change"
    verdict = ("compliant" if result.compliance.ok
               else f"**{len(result.compliance.violations)} violation(s)**")
    lines += [f"**{len(changes)} device(s)** ({summary}); compliance: {verdict}.", ""]
    order = list(result.category_labels)
    for category in sorted({c.category for c in changes},
                           key=lambda k: (order.index(k) if k in order else len(order), k)):
        group = [c for c in changes if c.category == category]
        lines += [f"### {result.category_labels.get(category, category)} ({len(group)})", ""]
        for change in group:
            lines += [f"#### `{change.hostname}` ({change.platform}, {change.change})", ""]
            lines += ["```diff", *change.diff, "```", ""]
            if change.change == "added":
                lines += ["New device: the whole configuration above is pushed.", ""]
            elif change.remediation:
                lines += ["Remediation commands:", "", "```", *change.remediation, "```", ""]
    lines += ["### Compliance (Lampiran I Bab VI)", "",
              "| control area | passed | failed |", "| --- | ---: | ---: |"]
    for area, numbers in result.compliance.by_control_area().items():
        lines.append(f"| {area} | {numbers['passed']} | {numbers['failed']} |")
    lines.append("")
    for finding in result.compliance.violations:
        for reason in finding.reasons:
            lines.append(f"- `{finding.device}`: rule `{finding.rule}` "
                         f"({finding.control_area}): {reason}")
    return "\n".join(lines).rstrip() + "\n"
