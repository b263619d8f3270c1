"""Benchmark: `spbe validate` plus the IP plan, real inventory and synthetic 10,000 sites.

Prints medians of in-process load+checks+IPAM and of the whole CLI process (Python
start-up included). Run from the repository root:
    .venv/bin/python -m benchmarks.validate_bench [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.synthetic import REAL, make_inventory
from spbe.inventory import load

SPBE = Path(sys.executable).with_name("spbe")


def median_seconds(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def cli(root: Path) -> None:
    subprocess.run(
        [str(SPBE), "validate", "--inventory", str(root), "--json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sites", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = make_inventory(Path(tmp) / "synthetic", args.sites)
        print(f"{'inventory':<22}{'sites':>7}{'prefixes':>10}{'load+check+ipam':>17}{'CLI':>9}")
        for label, root in (("real (inventories/)", REAL), ("synthetic", synthetic)):
            inventory, addresses = load(root)
            in_process = median_seconds(lambda root=root: load(root), args.runs)
            whole = median_seconds(lambda root=root: cli(root), args.runs)
            print(
                f"{label:<22}{len(inventory.sites):>7}{len(addresses.allocations):>10}"
                f"{in_process:>15.3f} s{whole:>7.2f} s"
            )
    print(f"medians of {args.runs} runs; CLI includes Python start-up and imports")


if __name__ == "__main__":
    main()
