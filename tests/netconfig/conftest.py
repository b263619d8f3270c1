"""Fixtures for network configuration tests: one in-memory render per worker, and
throwaway project copies (inventory, templates, rules, rendered files) to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spbe.netconfig.render import RenderedDevice, render_inventory

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
# Devices the lab may run as FRR routers: rendered with FRR templates for FRR tests.
FRR_DEVICES = {
    "kel-bungus-teluk-kabung-01": "frr",
    "wifi-koto-lalang": "frr",
    "noc-core-01": "frr",
    "noc-dist-01": "frr",
}


@pytest.fixture(scope="session")
def rendered() -> dict[str, RenderedDevice]:
    """Every device of the real inventory, as committed platforms render it."""
    _, devices = render_inventory(REPO / "inventories")
    return {d.hostname: d for d in devices}


@pytest.fixture(scope="session")
def rendered_frr() -> dict[str, RenderedDevice]:
    """The real inventory with FRR_DEVICES rendered as FRR routers."""
    _, devices = render_inventory(REPO / "inventories", FRR_DEVICES)
    return {d.hostname: d for d in devices if d.platform == "frr"}


def copy_project(target: Path) -> Path:
    """A project copy with what render, comply and review read; returns its inventory."""
    for part in ("inventories", "network_configs", "policies/network"):
        shutil.copytree(REPO / part, target / part)
    return target / "inventories"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")
