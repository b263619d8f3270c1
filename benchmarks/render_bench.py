"""Benchmark: render + check of every device config, in-process vs Ansible's template module.

    .venv/bin/python -m benchmarks.render_bench [--runs 5] [--sites 10000] [--ansible-sample 300]

The Ansible runs take about ten minutes on 2 cores (about 1 s per host).

Prints medians (seconds) for the real inventory and a synthetic one of `--sites` sites:
load (inventory + IP plan), render (all devices, in memory), check (byte comparison with
the files on disk). The Ansible baseline renders the same templates with the same per-device
variables through ansible-runner and `ansible.builtin.template` (connection local); for the
synthetic inventory it renders a sample of hosts and extrapolates linearly, as printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.synthetic import make_inventory
from spbe import platforms
from spbe.inventory import load
from spbe.netconfig import render
from spbe.netconfig.context import NetworkPlan
from spbe.netconfig.paths import templates_dir

REPO = Path(__file__).resolve().parent.parent
FILTER_PLUGIN = """
from spbe.netconfig.render import FILTERS

class FilterModule:
    def filters(self):
        return dict(FILTERS)
"""


def median_time(action: Callable[[], object], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def in_process(inventory_root: Path, runs: int, work: Path) -> dict[str, float]:
    load_s, (inventory, addresses) = median_time(lambda: load(inventory_root), runs)
    templates = templates_dir(inventory_root)
    render_s, devices = median_time(
        lambda: render.render_all(inventory, addresses, templates), runs)
    folder = work / "rendered"
    render.write(devices, folder)
    check_s, result = median_time(lambda: render.check(devices, folder), runs)
    assert result.clean
    return {"devices": len(devices), "load_s": load_s, "render_s": render_s,
            "check_s": check_s, "render_check_s": render_s + check_s,
            "total_s": load_s + render_s + check_s}


def ansible_render(inventory_root: Path, work: Path, sample: int | None) -> dict[str, float]:
    """Same variables, same templates, through ansible-runner and ansible.builtin.template."""
    import ansible_runner  # heavy import: only for the baseline

    inventory, addresses = load(inventory_root)
    plan = NetworkPlan(inventory, addresses)
    hosts: dict[str, Any] = {}
    for site in inventory.sites:
        for device in inventory.devices(site):
            context = plan.device_context(site, device)
            suffix = platforms.get(device.platform).config_suffix
            hosts[device.hostname] = {
                **context,
                "template_src": render.template_name(device.platform, device.role),
                "output": str(work / "out" / f"{device.hostname}{suffix}"),
            }
    total = len(hosts)
    if sample is not None and sample < total:
        chosen = sorted(hosts)[:: max(total // sample, 1)][:sample]
        hosts = {name: hosts[name] for name in chosen}
    project = work / "project"
    (project / "filter_plugins").mkdir(parents=True)
    (project / "filter_plugins" / "spbe_filters.py").write_text(FILTER_PLUGIN)
    (project / "templates").symlink_to(templates_dir(inventory_root))
    (project / "render.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  connection: local\n  tasks:\n"
        "    - ansible.builtin.template:\n        src: '{{ template_src }}'\n"
        "        dest: '{{ output }}'\n        lstrip_blocks: true\n        trim_blocks: true\n")
    (work / "out").mkdir()
    inventory_dir = work / "inventory"
    (inventory_dir / "host_vars").mkdir(parents=True)
    (inventory_dir / "hosts.yml").write_text(json.dumps({"all": {"hosts": dict.fromkeys(hosts)}}))
    for name, variables in hosts.items():
        (inventory_dir / "host_vars" / f"{name}.json").write_text(json.dumps(variables))
    env = {"ANSIBLE_HOME": str(work / "home"), "ANSIBLE_LOCAL_TEMP": str(work / "home" / "tmp"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PYTHONPATH": str(REPO / "src"), "ANSIBLE_PYTHON_INTERPRETER": sys.executable}
    start = time.perf_counter()
    result = ansible_runner.run(private_data_dir=str(project), playbook="render.yml",
                                inventory=str(inventory_dir), forks=os.cpu_count() or 2,
                                quiet=True, envvars=env)
    elapsed = time.perf_counter() - start
    if result.rc != 0:
        raise SystemExit(f"ansible-runner failed (rc={result.rc}, status={result.status})")
    outputs = sorted((work / "out").iterdir())
    ours = {f"{d.hostname}{platforms.get(d.platform).config_suffix}": d.text
            for d in render.render_all(inventory, addresses, templates_dir(inventory_root))}
    # same bytes apart from our generated-file header and Ansible's dropped final newline
    identical = sum(
        1 for path in outputs
        if ours[path.name].split("\n", 3)[3].rstrip("\n") == path.read_text().rstrip("\n")
    )
    return {"hosts_rendered": len(outputs), "hosts_total": total, "seconds": elapsed,
            "extrapolated_s": elapsed * total / len(outputs), "identical": identical}


def report(name: str, figures: dict[str, float], baseline: dict[str, float]) -> None:
    ratio = baseline["extrapolated_s"] / figures["render_check_s"]
    print(f"{name}: {figures['devices']} devices")
    print(f"  in-process  load {figures['load_s']:.3f} s  render {figures['render_s']:.3f} s  "
          f"check {figures['check_s']:.3f} s  -> render+check {figures['render_check_s']:.3f} s "
          f"(with load {figures['total_s']:.3f} s)")
    sampled = baseline["hosts_rendered"] < baseline["hosts_total"]
    how = (f"{baseline['hosts_rendered']} sampled hosts in {baseline['seconds']:.1f} s, "
           f"extrapolated linearly to {baseline['hosts_total']}" if sampled
           else f"all {baseline['hosts_total']} hosts")
    print(f"  ansible     {baseline['extrapolated_s']:.1f} s ({how}); output identical for "
          f"{baseline['identical']}/{baseline['hosts_rendered']} hosts")
    print(f"  ratio       ansible / in-process render+check = {ratio:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--ansible-sample", type=int, default=300,
                        help="hosts Ansible renders for the synthetic inventory")
    args = parser.parse_args()
    print(f"medians over {args.runs} runs, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="spbe-render-bench-") as tmp:
        work = Path(tmp)
        real = REPO / "inventories"
        figures = in_process(real, args.runs, work / "real")
        report("real inventory", figures, ansible_render(real, work / "real-ansible", None))
        synthetic = make_inventory(work / "synthetic" / "inventories", args.sites)
        figures = in_process(synthetic, max(args.runs // 2, 1), work / "synthetic")
        baseline = ansible_render(synthetic, work / "synthetic-ansible", args.ansible_sample)
        report(f"synthetic {args.sites} sites", figures, baseline)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
