"""`spbe validate`: check the whole inventory and print a one-screen summary."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from rich.table import Table

from spbe import inventory as source
from spbe.console import Output
from spbe.errors import ExitCode
from spbe.inventory.semantics import capacity

NAME = "validate"
HELP = "check schema and semantics of the inventory, then summarise it"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults()


def summary(inventory: source.Inventory, addresses: Any) -> dict[str, Any]:
    spots = inventory.spots()
    by_category = Counter(site.category for site in spots)
    mbps_by_category = Counter[str]()
    for site in spots:
        mbps_by_category[site.category] += site.bandwidth.mbps_2022
    kecamatan_names = {k.id: k.name for k in inventory.network.kecamatan}
    by_kecamatan = Counter(kecamatan_names.get(s.kecamatan or "", "(not given)") for s in spots)
    found = capacity(inventory)
    categories = [
        {
            "id": category.id,
            "label": category.label,
            "spots": by_category.get(category.id, 0),
            "expected": category.expected_count,
            "mbps_2022": mbps_by_category.get(category.id, 0),
        }
        for category in inventory.network.categories
        if category.counts_as_spot
    ]
    return {
        "ok": True,
        "spots": len(spots),
        "sites": len(inventory.sites),
        "devices": sum(len(inventory.devices(s)) for s in inventory.sites),
        "categories": categories,
        "kecamatan": dict(sorted(by_kecamatan.items())),
        "bandwidth": {
            "branch_total_mbps_2022": found.total_mbps,
            "branch_total_mbps_2021": sum(
                s.bandwidth.mbps_2021 or 0 for s in spots if s.id != inventory.network.backhaul.site
            ),
            "backhaul_mbps": found.backhaul_mbps,
            "oversubscription": round(found.ratio, 3),
            "oversubscription_limit": found.limit,
        },
        "datacenter": {
            "datacenters": [c.id for c in inventory.datacenter.datacenters],
            "zones": len(inventory.datacenter.zones),
            "tenants": len(inventory.datacenter.tenants),
            "services": len(inventory.datacenter.services),
            "policy_rules": len(inventory.policy.rules),
        },
        "ipam": {
            "allocations": len(addresses.allocations),
            "lock_current": not addresses.changed,
        },
    }


def run(args: argparse.Namespace, out: Output) -> int:
    inventory, addresses = source.load(args.inventory)
    data = summary(inventory, addresses)
    if out.as_json:
        out.emit_json(data)
        return ExitCode.OK
    console = out.console
    console.print(
        f"[bold green]inventory valid[/]: {args.inventory}  "
        f"{data['spots']} connected spots, {data['sites']} sites, "
        f"{data['devices']} devices"
    )
    table = Table(title="Spots by category (Tabel 4.1)", title_justify="left")
    for column in ("category", "spots", "expected", "Mbps 2022"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for row in data["categories"]:
        expected = "" if row["expected"] is None else str(row["expected"])
        mark = "" if row["expected"] in (None, row["spots"]) else " [yellow](differs)[/]"
        table.add_row(row["label"], f"{row['spots']}{mark}", expected, str(row["mbps_2022"]))
    console.print(table)
    console.print("By kecamatan: " + ", ".join(f"{k} {v}" for k, v in data["kecamatan"].items()))
    bw = data["bandwidth"]
    console.print(
        f"Branch bandwidth 2022: {bw['branch_total_mbps_2022']} Mbps (2021: "
        f"{bw['branch_total_mbps_2021']} Mbps) on a {bw['backhaul_mbps']} Mbps backhaul: "
        f"oversubscription {bw['oversubscription']:.2f}x (limit {bw['oversubscription_limit']:g}x)"
    )
    dc = data["datacenter"]
    console.print(
        f"Data centers: {', '.join(dc['datacenters'])}; {dc['zones']} zones, {dc['tenants']} "
        f"tenants, {dc['services']} services, {dc['policy_rules']} policy rules"
    )
    lock = (
        "current"
        if data["ipam"]["lock_current"]
        else ("[yellow]needs `spbe ipam --update-lock`[/]")
    )
    console.print(f"IP plan: {data['ipam']['allocations']} prefixes, lock {lock}")
    return ExitCode.OK
