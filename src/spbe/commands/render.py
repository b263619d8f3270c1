"""`spbe render`: write one configuration file per device to network_configs/rendered/."""

from __future__ import annotations

import argparse

from spbe.console import Output
from spbe.errors import ExitCode
from spbe.netconfig import render
from spbe.netconfig.paths import rendered_dir

NAME = "render"
HELP = "render every device's configuration from the templates; --check for CI"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming stale, missing or extra files")


def run(args: argparse.Namespace, out: Output) -> int:
    _, devices = render.render_inventory(args.inventory)
    folder = rendered_dir(args.inventory)
    result = render.check(devices, folder) if args.check else render.write(devices, folder)
    data = {"devices": len(devices), "folder": str(folder), "stale": result.stale,
            "missing": result.missing, "extra": result.extra, "clean": result.clean}
    if out.as_json:
        out.emit_json(data)
    else:
        if args.check:
            for kind, paths in (("stale", result.stale), ("missing", result.missing),
                                ("extra", result.extra)):
                for path in paths:
                    out.console.print(f"{kind:8} {folder / path}")
        if args.check and not result.clean:
            out.errors.print(f"[red]rendered configs are not current[/]: "
                             f"{len(result.stale)} stale, {len(result.missing)} missing, "
                             f"{len(result.extra)} extra; run `spbe render` and commit {folder}")
        elif args.check:
            out.console.print(f"[green]rendered configs current[/]: {len(devices)} devices")
        else:
            written = len(result.stale) + len(result.missing)
            out.console.print(f"rendered {len(devices)} devices into {folder}: {written} "
                              f"written, {len(result.extra)} removed")
    return ExitCode.FAILED if args.check and not result.clean else ExitCode.OK
