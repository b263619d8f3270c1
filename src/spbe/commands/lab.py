"""`spbe lab up | down | status | verify`: the embedded lab (see docs/lab.md)."""

from __future__ import annotations

import argparse
import os
from collections import Counter
from dataclasses import asdict
from typing import Any

from rich.table import Table

from spbe import inventory as source
from spbe.console import Output
from spbe.errors import ExitCode

NAME = "lab"
HELP = "run the city network, DC and DRC as real software in local network namespaces"


def _site_count(value: str) -> int | None:
    if value == "all":
        return None
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of sites or 'all'") from None
    if count < 1:
        raise argparse.ArgumentTypeError("at least one site")
    return count


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser("up", help="create the lab (idempotent) and wait until ready")
    start.add_argument("--sites", type=_site_count, default=0, metavar="N|all",
                       help="branch sites to include (default: one per category)")
    actions.add_parser("down", help="remove everything the lab created")
    actions.add_parser("status", help="nodes, processes, OSPF adjacencies, replication")
    actions.add_parser("verify", help="acceptance checks: routes, reachability, zone "
                       "policy with real packets, DC-to-DRC replication")
    for action in actions.choices.values():
        # also accepted after the action (`spbe lab up --json`); SUPPRESS keeps the value
        # given before it (`spbe lab --json up`)
        action.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                            help="print one JSON document")


def run(args: argparse.Namespace, out: Output) -> int:
    # imported here: the lab needs nothing of this unless `spbe lab` runs
    from spbe.lab import lifecycle, preflight
    from spbe.lab.nsexec import LaunchError
    from spbe.lab.state import STATE_DIR
    from spbe.lab.topology import default_site_count

    if args.action == "down":
        if not _preflight_root(out):
            return ExitCode.ENVIRONMENT
        report = lifecycle.down()
        return _emit(out, asdict(report), f"lab down in {report.seconds} s: killed "
                     f"{report.killed} processes, deleted {report.namespaces} namespaces")
    inventory, addresses = source.load(args.inventory)
    missing = preflight.problems(inventory.network.supernets.management)
    if missing:
        if out.as_json:
            out.emit_json({"ok": False, "environment": missing})
        for problem in missing if not out.as_json else []:
            out.errors.print(f"[red]environment[/red] {problem}")
        return ExitCode.ENVIRONMENT
    if args.action == "up":
        count = args.sites if args.sites != 0 else default_site_count(inventory)
        try:
            up = lifecycle.up(inventory, addresses, count)
        except (LaunchError, TimeoutError, RuntimeError, OSError) as exc:
            # the half-built lab stays for inspection; `down` removes it like a whole one
            message = (f"lab up failed: {exc}. Logs are under {STATE_DIR}/nodes; "
                       "`spbe lab down` removes what was created.")
            if out.as_json:
                out.emit_json({"ok": False, "error": message})
            else:
                out.errors.print(f"[red]{message}", markup=True)
            return ExitCode.FAILED
        text = ("lab already up" if up.already_up else
                f"lab up: {up.namespaces} namespaces, {up.processes} processes; started in "
                f"{up.seconds_to_started} s, routes {up.seconds_to_routes} s after the core's "
                f"OSPF, ready in {up.seconds_to_ready} s")
        return _emit(out, asdict(up), text)
    if args.action == "status":
        state = lifecycle.status(inventory, addresses)
        if out.as_json:
            out.emit_json(state)
        else:
            _print_status(out, state)
        return ExitCode.OK
    result = lifecycle.verify(inventory, addresses)
    if out.as_json:
        out.emit_json(result)
    else:
        _print_verify(out, result)
    return ExitCode.OK if result["ok"] else ExitCode.FAILED


def _preflight_root(out: Output) -> bool:
    if os.geteuid() == 0:
        return True
    out.errors.print("[red]environment[/red] must run as root")
    return False


def _emit(out: Output, data: dict[str, Any], text: str) -> int:
    if out.as_json:
        out.emit_json(data)
    else:
        out.console.print(text)
    return ExitCode.OK


def _print_status(out: Output, state: dict[str, Any]) -> None:
    console = out.console
    if not state["up"]:
        leftovers = state["leftover_namespaces"]
        console.print("lab is down" + (f"; leftover namespaces: {', '.join(leftovers)}"
                                       if leftovers else ""))
        return
    table = Table(title="Lab nodes", title_justify="left")
    for column in ("node", "role", "site / zone", "management", "processes"):
        table.add_column(column)
    for node in state["nodes"]:
        where = (node["zone"] and f"{node['datacenter']}/{node['zone']}") or node["site"] or ""
        counted = Counter(name.split(":")[0] for name in node["processes"])
        processes = ", ".join(f"{name} x{count}" if count > 1 else name
                              for name, count in sorted(counted.items()))
        if not node["namespace"]:
            processes = "[red]no namespace"
        table.add_row(node["name"], node["role"], where, node["management"] or "", processes)
    console.print(table)
    console.print(f"OSPF on the core: {state['full_adjacencies']}/"
                  f"{state['expected_adjacencies']} adjacencies Full; routers missing routes: "
                  f"{len(state['routers_missing_routes'])}")
    for adjacency in state["adjacencies"]:
        if not adjacency["state"].startswith("Full"):
            console.print(f"  [yellow]{adjacency['interface']}[/] neighbour "
                          f"{adjacency['neighbor']}: {adjacency['state']}")
    console.print(f"Replication DC -> DRC: {state['replication']}; VPN: "
                  + ", ".join(f"{dc} {hs}" for dc, hs in state["vpn"].items()))


def _print_verify(out: Output, report: dict[str, Any]) -> None:
    if "error" in report:
        out.errors.print(f"[red]{report['error']}")
        return
    for name, result in report["checks"].items():
        mark = "[green]ok[/]" if result["ok"] else "[red]FAILED[/]"
        details = {k: v for k, v in result.items() if k != "ok" and v not in ([], {}, None)}
        out.console.print(f"{mark} {name.replace('_', ' ')} {details if details else ''}")
