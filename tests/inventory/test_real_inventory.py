"""The shipped inventory: 258 spots with the Tabel 4.1 counts, a current IP lock."""

from __future__ import annotations

import json

import pytest

from spbe.cli import main
from tests.conftest import REAL_INVENTORY

TABEL_4_1 = {
    "backhaul": 1,
    "broadband": 50,
    "metro-opd": 7,
    "kelurahan": 104,
    "puskesmas": 24,
    "uptd": 24,
    "opd": 48,
}


def test_shipped_inventory_has_the_258_spots_of_tabel_4_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "--inventory", str(REAL_INVENTORY), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["spots"] == 258
    counts = {row["id"]: row["spots"] for row in summary["categories"]}
    assert counts == TABEL_4_1
    assert len(summary["kecamatan"]) == 12  # the 11 kecamatan plus "(not given)"
    assert summary["bandwidth"]["backhaul_mbps"] == 5000
    assert (
        summary["bandwidth"]["oversubscription"] <= summary["bandwidth"]["oversubscription_limit"]
    )
    assert summary["ipam"]["lock_current"] is True


def test_human_summary_fits_one_screen(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--inventory", str(REAL_INVENTORY)]) == 0
    out = capsys.readouterr().out
    assert "258 connected spots" in out
    assert "oversubscription 1.69x" in out
    assert len(out.splitlines()) <= 40


def test_ipam_check_passes_on_the_committed_lock() -> None:
    assert main(["ipam", "--inventory", str(REAL_INVENTORY), "--check", "--format", "csv"]) == 0
