"""Benchmark of the embedded lab: up, time to routes, verify, memory, down.

    sudo .venv/bin/python -m benchmarks.lab_bench            # CI-sized lab and full lab
    sudo .venv/bin/python -m benchmarks.lab_bench --sites all --runs 2

Each run drives the real CLI (`spbe lab up|verify|down --json`) in a subprocess, so the
figures include interpreter start-up, as a user sees them. Memory is the proportional set
size (PSS, from /proc/PID/smaps_rollup) of every process in the lab's namespaces, which
counts shared library pages once across the ~800 daemons instead of once per daemon.
Targets (issue 5): full lab usable < 30 s, < 6 GB PSS, down < 5 s; CI lab round trip < 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from spbe.lab.nsexec import alive, existing_namespaces, pids_in
from spbe.lab.state import Paths, read_record
from spbe.lab.topology import NAMESPACE_PREFIX

SPBE = Path(sys.executable).with_name("spbe")


def spbe(*args: str) -> tuple[dict[str, Any], float]:
    began = time.monotonic()
    done = subprocess.run([str(SPBE), "lab", *args, "--json"], capture_output=True, text=True,
                          check=False)
    elapsed = time.monotonic() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"spbe lab {' '.join(args)} failed ({done.returncode}): "
                         f"{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout), elapsed


def memory() -> tuple[int, int, Counter[str]]:
    """(processes, PSS bytes, PSS bytes per program) of everything in the lab."""
    record = read_record(Paths())
    if record is None:
        return 0, 0, Counter()
    per_program: Counter[str] = Counter()
    count = 0
    for pid in pids_in(record.namespace_inodes):
        if not alive(pid):
            continue
        try:
            program = Path(f"/proc/{pid}/comm").read_text().strip().split(":")[0]
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                pss = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
        count += 1
        per_program[program] += pss * 1024
    return count, sum(per_program.values()), per_program


def one_run(sites: str) -> dict[str, Any]:
    spbe("down")
    load = os.getloadavg()[0]
    up, up_seconds = spbe("up", "--sites", sites)
    processes, pss, per_program = memory()
    verified, verify_seconds = spbe("verify")
    _, down_seconds = spbe("down")
    return {
        "sites": sites,
        "load_before": round(load, 2),
        "up_s": round(up_seconds, 2),
        "routes_after_core_ospf_s": up["seconds_to_routes"],
        "up_steps": up["timings"],
        "verify_s": round(verify_seconds, 2),
        "verify_ok": verified["ok"],
        "failed_checks": [k for k, v in verified.get("checks", {}).items() if not v["ok"]],
        "down_s": round(down_seconds, 2),
        "round_trip_s": round(up_seconds + verify_seconds + down_seconds, 2),
        "processes": processes,
        "pss_mb": round(pss / 2**20),
        "pss_mb_by_program": {k: round(v / 2**20) for k, v in per_program.most_common(8)},
        "namespaces": up["namespaces"],
        "namespaces_left": len(existing_namespaces(NAMESPACE_PREFIX)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", action="append",
                        help="site count or 'all' (repeatable; default: 6 and all)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("the lab benchmark needs root", file=sys.stderr)
        return 3
    results = []
    for sites in args.sites or ["6", "all"]:
        for _ in range(args.runs):
            result = one_run(sites)
            results.append(result)
            print(f"sites={result['sites']:>4} up={result['up_s']:6.2f}s "
                  f"routes(after core)={result['routes_after_core_ospf_s']:6.2f}s "
                  f"verify={result['verify_s']:5.2f}s ok={result['verify_ok']} "
                  f"down={result['down_s']:5.2f}s round-trip={result['round_trip_s']:6.2f}s "
                  f"processes={result['processes']} PSS={result['pss_mb']} MB "
                  f"(load before {result['load_before']})", flush=True)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
