"""`spbe ipam`: print, export and lock the deterministic IP address plan."""

from __future__ import annotations

import argparse
import csv
import sys

from rich.table import Table

from spbe import inventory as source
from spbe import ipam
from spbe.console import Output
from spbe.errors import ExitCode

NAME = "ipam"
HELP = "show or export the IP plan (table, CSV, JSON); --update-lock records new allocations"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default: table; --json is the same as json)",
    )
    parser.add_argument(
        "--pool", choices=ipam.POOLS, action="append", help="only this pool (repeatable)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--update-lock",
        action="store_true",
        help="write new allocations and releases to the lock file",
    )
    mode.add_argument(
        "--check", action="store_true", help="exit 1 if the lock file is not current (for CI)"
    )


def run(args: argparse.Namespace, out: Output) -> int:
    inventory, plan = source.load(args.inventory)
    rows = [r for r in ipam.rows(plan) if not args.pool or r["pool"] in args.pool]
    fmt = "json" if out.as_json else args.format
    new = sum(1 for a in plan.allocations.values() if a.origin == "new")
    if args.update_lock and plan.changed:
        path = ipam.write_lock(inventory, plan)
        out.errors.print(f"wrote {path}: {new} new, {len(plan.released)} released")
    if fmt == "json":
        out.emit_json(
            {"allocations": rows, "released": plan.released, "lock_current": not plan.changed}
        )
    elif fmt == "csv":
        writer = csv.DictWriter(
            sys.stdout, fieldnames=["pool", "owner", "prefix", "origin"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = Table(title=f"IP plan ({len(rows)} prefixes)", title_justify="left")
        for column in ("pool", "owner", "prefix", "origin"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["pool"], row["owner"], row["prefix"], row["origin"])
        out.console.print(table)
    if args.check and plan.changed:
        out.errors.print(
            f"[red]IP plan lock is stale[/]: {new} new allocation(s), {len(plan.released)} "
            "released; run `spbe ipam --update-lock` and commit inventories/ipam.lock.yaml"
        )
        return ExitCode.FAILED
    return ExitCode.OK
