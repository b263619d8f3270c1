"""Benchmark of the offline Pulumi plan: both stacks, each in its own process.

    .venv/bin/python benchmarks/plan_bench.py [--repeat 5]

One round plans `primary`, then `drc` answering its StackReference from the primary's
fresh snapshot (what CI does for a pull request). Prints the medians of resource count,
wall time and peak memory (max RSS of each planning process) over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def plan_once(stack: str, reference: Path | None,
              ) -> tuple[dict[str, Any], float, float, float]:
    """(snapshot, wall seconds, CPU seconds, peak MiB) of one worker process."""
    command = [sys.executable, "-m", "spbe.cloudplan.worker", "--project", str(REPO),
               "--stack", stack]
    if reference is not None:
        command += ["--reference", str(reference)]
    with tempfile.TemporaryFile() as stdout:
        start = time.perf_counter()
        pid = os.posix_spawn(sys.executable, command, {**os.environ, "PYTHONWARNINGS": "ignore"},
                             file_actions=[(os.POSIX_SPAWN_DUP2, stdout.fileno(), 1)])
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"planning {stack} failed (exit {status})")
        stdout.seek(0)
        snapshot: dict[str, Any] = json.loads(stdout.read())
    return snapshot, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows: dict[str, list[tuple[int, float, float, float]]] = {"primary": [], "drc": []}
    totals: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        reference = Path(scratch) / "primary.json"
        for _ in range(args.repeat):
            primary, *primary_figures = plan_once("primary", None)
            reference.write_text(json.dumps(primary))
            drc, *drc_figures = plan_once("drc", reference)
            rows["primary"].append((primary["resource_count"], *primary_figures))
            rows["drc"].append((drc["resource_count"], *drc_figures))
            totals.append((primary_figures[0] + drc_figures[0],
                           primary_figures[1] + drc_figures[1]))
    print(f"offline Pulumi plan, median of {args.repeat} rounds, {os.cpu_count()} CPUs")
    # CPU seconds are shown too: wall time on a shared build machine includes waiting.
    print(f"{'stack':8} {'resources':>9} {'wall s':>7} {'CPU s':>6} {'peak MiB':>9}")
    for stack, samples in rows.items():
        print(f"{stack:8} {samples[0][0]:>9} {statistics.median(s[1] for s in samples):>7.2f} "
              f"{statistics.median(s[2] for s in samples):>6.2f} "
              f"{statistics.median(s[3] for s in samples):>9.1f}")
    print(f"{'both':8} {sum(r[0][0] for r in rows.values()):>9} "
          f"{statistics.median(t[0] for t in totals):>7.2f} "
          f"{statistics.median(t[1] for t in totals):>6.2f}  (target: under 5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
