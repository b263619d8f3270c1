"""Shared fixtures: paths and throwaway copies of inventories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REAL_INVENTORY = REPO / "inventories"
FIXTURE_INVENTORY = REPO / "tests" / "inventory" / "fixture"


@pytest.fixture
def fixture_inventory(tmp_path: Path) -> Path:
    """A writable copy of the small test inventory."""
    target = tmp_path / "inventory"
    shutil.copytree(FIXTURE_INVENTORY, target)
    return target


@pytest.fixture
def real_inventory(tmp_path: Path) -> Path:
    """A writable copy of the city's real inventory."""
    target = tmp_path / "inventories"
    shutil.copytree(REAL_INVENTORY, target)
    return target
