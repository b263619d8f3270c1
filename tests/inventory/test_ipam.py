"""IP plan: deterministic, stable under adding/removing/reordering sites, clear errors."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from pathlib import Path

import pytest
import yaml

from spbe import inventory as source
from spbe import ipam
from spbe.cli import main

NEW_SITE = {
    "id": "kel-pauh-10",
    "name": "Kantor Lurah Pauh 10",
    "category": "kelurahan",
    "kecamatan": "pauh",
    "bandwidth": {"mbps_2022": 30},
}


def allocations(root: Path) -> dict[tuple[str, str], str]:
    _, plan = source.load(root)
    return {key: str(alloc.prefix) for key, alloc in plan.allocations.items()}


def edit_sites(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text())
    data["sites"] = change(data["sites"])  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_adding_a_site_changes_no_existing_allocation(real_inventory: Path) -> None:
    before = allocations(real_inventory)
    # the new site sorts first among kelurahan, where a naive allocator would renumber
    edit_sites(
        real_inventory / "sites" / "40-kelurahan.yaml",
        lambda sites: [{**NEW_SITE, "id": "kel-aaa-first"}, *sites],
    )
    after = allocations(real_inventory)
    assert {k: v for k, v in after.items() if k in before} == before
    new = {k: v for k, v in after.items() if k not in before}
    assert set(new) == {
        ("lan", "kel-aaa-first"),
        ("wan", "kel-aaa-first"),
        ("loopback", "kel-aaa-first"),
    }
    taken = {ipaddress.ip_network(v) for v in before.values()}
    assert not any(ipaddress.ip_network(v).overlaps(t) for v in new.values() for t in taken)


def test_removing_and_reordering_sites_renumbers_nobody(real_inventory: Path) -> None:
    before = allocations(real_inventory)
    edit_sites(
        real_inventory / "sites" / "40-kelurahan.yaml", lambda sites: list(reversed(sites[1:]))
    )
    after = allocations(real_inventory)
    assert all(before[key] == value for key, value in after.items())
    assert len(before) - len(after) == 3  # lan, wan and loopback of the removed site


def test_update_lock_records_new_and_released_then_is_current(
    fixture_inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_sites(
        fixture_inventory / "sites" / "branches.yaml",
        lambda sites: [*sites[:2], *sites[3:], NEW_SITE],
    )
    assert main(["ipam", "--inventory", str(fixture_inventory), "--check", "--json"]) == 1
    stale = json.loads(capsys.readouterr().out)
    assert stale["lock_current"] is False
    assert [r[:2] for r in stale["released"]] == [
        ["lan", "kel-pauh-01"],
        ["loopback", "kel-pauh-01"],
        ["wan", "kel-pauh-01"],
    ]
    assert main(["ipam", "--inventory", str(fixture_inventory), "--update-lock", "--json"]) == 0
    capsys.readouterr()
    lock = yaml.safe_load((fixture_inventory / "ipam.lock.yaml").read_text())
    assert "kel-pauh-10" in lock["lan"] and "kel-pauh-01" not in lock["lan"]
    assert main(["ipam", "--inventory", str(fixture_inventory), "--check", "--json"]) == 0


def test_plan_is_deterministic_without_a_lock(fixture_inventory: Path) -> None:
    (fixture_inventory / "ipam.lock.yaml").unlink()
    first = allocations(fixture_inventory)
    second = allocations(fixture_inventory)
    assert first == second
    assert first[("zone", "dc/app")] == "10.10.0.0/24"  # zones come before tenants
    assert first[("loopback", "bpkad")] == "10.255.0.1/32"  # never the network address


def test_pinned_prefix_is_kept(fixture_inventory: Path) -> None:
    (fixture_inventory / "ipam.lock.yaml").unlink()
    edit_sites(
        fixture_inventory / "sites" / "branches.yaml",
        lambda sites: [{**sites[0], "lan_prefix": "10.79.255.0/24"}, *sites[1:]],
    )
    assert allocations(fixture_inventory)[("lan", "bpkad")] == "10.79.255.0/24"


def test_pin_with_wrong_size_is_an_error(
    fixture_inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_sites(
        fixture_inventory / "sites" / "branches.yaml",
        lambda sites: [{**sites[0], "lan_prefix": "10.79.255.0/26"}, *sites[1:]],
    )
    assert main(["validate", "--inventory", str(fixture_inventory)]) == 2
    assert "pinned 10.79.255.0/26 must be a /24" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_ipam_exports(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import REAL_INVENTORY

    assert (
        main(["ipam", "--inventory", str(REAL_INVENTORY), "--format", fmt, "--pool", "zone"]) == 0
    )
    out = capsys.readouterr().out
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert {r["owner"] for r in rows} >= {"dc/dmz", "drc/db"}
        assert all(r["pool"] == "zone" for r in rows)
    elif fmt == "json":
        data = json.loads(out)
        assert {r["owner"] for r in data["allocations"]} >= {"dc/dmz", "drc/db"}
    else:
        assert "dc/dmz" in out


def test_lock_with_garbage_is_reported(
    fixture_inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = fixture_inventory / "ipam.lock.yaml"
    lock.write_text(lock.read_text().replace("bpkad: 10.64.0.0/24", "bpkad: 10.64.0.0/99"))
    assert main(["ipam", "--inventory", str(fixture_inventory)]) == 2
    err = capsys.readouterr().err
    assert "ipam.lock.yaml" in err and "lan.bpkad" in err


def test_lock_pools_are_known() -> None:
    assert ipam.POOLS == ("loopback", "wan", "lan", "zone", "tenant")
