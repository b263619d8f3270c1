"""The running lab for the `lab`-marked tests.

The lab uses fixed namespace names, so only one can exist on a machine. The tests carry
`xdist_group("lab")`, but with pytest 9.2 and pytest-xdist 3.8 `--dist loadgroup` does not
keep a group on one worker (checked), and plain `-n 2` spreads a module over both. So the
fixture is module-scoped and holds a machine-wide lock while it lives: a second worker
that got some of the module's tests waits for the first worker's share to finish (about
ten seconds), then brings up its own lab, instead of tearing down a lab in use.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spbe.inventory import Inventory, load
from spbe.ipam import Plan
from spbe.lab import preflight
from spbe.lab.state import Paths, read_record
from spbe.lab.topology import Topology, build

REPO = Path(__file__).resolve().parents[2]
SPBE = Path(sys.executable).with_name("spbe")
LAB_TESTS_LOCK = "\0spbe-lab-tests"


def spbe_lab(*args: str) -> dict[str, Any]:
    done = subprocess.run([str(SPBE), "lab", *args, "--json"], cwd=REPO, capture_output=True,
                          text=True, check=False, timeout=300)
    assert done.returncode in (0, 1), f"spbe lab {' '.join(args)}: {done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Lab:
    inventory: Inventory
    addresses: Plan
    topology: Topology
    up: dict[str, Any]
    host_before: dict[str, Any]


def host_snapshot() -> dict[str, Any]:
    """What `down` must leave exactly as it found it."""
    keys = ("gc_thresh1", "gc_thresh2", "gc_thresh3")
    return {
        "sysctls": {k: Path(f"/proc/sys/net/ipv4/neigh/default/{k}").read_text().strip()
                    for k in keys},
        "paths": {p: os.path.exists(p) for p in ("/run/sshd", "/run/frr", "/run/netns",
                                                 "/var/run/wireguard", "/var/tmp/frr")},
        "user": subprocess.run(["id", "spbe-netops"], capture_output=True,
                               check=False).returncode == 0,
    }


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    missing = preflight.problems(load(REPO / "inventories")[0].network.supernets.management)
    if missing:
        pytest.skip("the lab cannot run here: " + "; ".join(missing))
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            lock.bind(LAB_TESTS_LOCK)
            break
        except OSError:
            time.sleep(0.2)
    try:
        inventory, addresses = load(REPO / "inventories")
        spbe_lab("down")  # a lab left by an interrupted run would hide this run's changes
        before = host_snapshot()
        up = spbe_lab("up")
        record = read_record(Paths())
        assert record is not None
        topology = build(inventory, addresses, [inventory.site_by_id[s] for s in record.sites])
        yield Lab(inventory, addresses, topology, up, before)
        spbe_lab("down")
    finally:
        lock.close()
