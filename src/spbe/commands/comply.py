"""`spbe comply`: evaluate the network compliance rules on device configurations."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from spbe.compliance.report import check_folder, rules_for
from spbe.console import Output
from spbe.errors import ExitCode
from spbe.netconfig.paths import rendered_dir
from spbe.netconfig.render import render_inventory

NAME = "comply"
HELP = "check device configurations against policies/network/ rules, per control area"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--configs", type=Path, nargs="?", const=None, default=None,
                        metavar="DIR",
                        help="folder of configurations: rendered files (default) or "
                             "backed-up running configs named <hostname><suffix>")


def run(args: argparse.Namespace, out: Output) -> int:
    _, devices = render_inventory(args.inventory)
    folder = args.configs or rendered_dir(args.inventory)
    report = check_folder(rules_for(args.inventory, devices), devices, folder)
    if out.as_json:
        out.emit_json({"configs": str(folder), **report.as_dict()})
        return ExitCode.OK if report.ok else ExitCode.FAILED
    table = Table(title="Compliance by control area (Lampiran I Bab VI)", title_justify="left")
    for column in ("control area", "passed", "failed"):
        table.add_column(column, justify="left" if column == "control area" else "right")
    for area, counts in report.by_control_area().items():
        failed = f"[red]{counts['failed']}[/]" if counts["failed"] else "0"
        table.add_row(area, str(counts["passed"]), failed)
    out.console.print(table)
    for finding in report.violations:
        for reason in finding.reasons:
            out.console.print(f"[red]violation[/] {finding.device}: rule {finding.rule} "
                              f"({finding.control_area}): {reason}", markup=True)
    for problem in report.problems:
        out.console.print(f"[red]problem[/] {problem}")
    devices_checked = len({f.device for f in report.findings})
    verdict = "[green]compliant[/]" if report.ok else "[red]NOT compliant[/]"
    out.console.print(f"{verdict}: {devices_checked} devices, {len(report.rules)} rules, "
                      f"{len(report.violations)} violations, {len(report.problems)} problems")
    return ExitCode.OK if report.ok else ExitCode.FAILED
