"""Fixtures for the Pulumi program: its components run under fresh mocks in this process;
whole stacks run through `spbe plan` in subprocesses (Pulumi's mocks are process-global)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "infra"), str(REPO / "policies" / "pulumi")]

from dcinfra.site import Site, StackSettings, build_site  # noqa: E402

from spbe.cloudplan.engine import record  # noqa: E402
from spbe.cloudplan.model import Plan, ResourceRecord, unwrap_secrets  # noqa: E402
from spbe.inventory import load  # noqa: E402

PRIMARY_SETTINGS = StackSettings(
    stack_file="Pulumi.primary.yaml", datacenter="dc", active_site="dc",
    external_network="public", image="ubuntu-22.04", flavor="m1.medium",
    instances_per_service=2, quota_percent=100, data_volume_gb=500,
    database_volume_backend="ssd", primary_stack=None, inventory_dir=REPO / "inventories")


@pytest.fixture(scope="session")
def inventory_and_addresses() -> tuple[Any, Any]:
    return load(REPO / "inventories")


@pytest.fixture
def make_site(inventory_and_addresses: tuple[Any, Any]) -> Callable[..., Site]:
    def make(**changes: Any) -> Site:
        inventory, addresses = inventory_and_addresses
        return build_site(inventory, addresses, replace(PRIMARY_SETTINGS, **changes))
    return make


def run_component(build: Callable[[], object], stack: str = "primary") -> Plan:
    warnings.simplefilter("ignore", DeprecationWarning)
    return record(build, "spbe-padang", stack)


def of_type(plan: Plan, suffix: str) -> list[ResourceRecord]:
    """Records whose type token ends with `suffix`, e.g. `firewall/groupV2:GroupV2`."""
    return [r for r in plan.records if r.type.endswith(suffix)]


def props(record: ResourceRecord) -> dict[str, Any]:
    result: dict[str, Any] = unwrap_secrets(record.inputs)
    return result


def spbe(*args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "spbe.cli", *args], cwd=REPO,
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return done.returncode, done.stdout, done.stderr


def spbe_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, stdout, stderr = spbe(*args, "--json")
    assert stdout, stderr
    result: dict[str, Any] = json.loads(stdout)
    return code, result
