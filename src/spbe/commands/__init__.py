"""CLI subcommands, one module each, discovered at start-up.

A command module defines `NAME`, `HELP`, `configure(parser)` and `run(args, out) -> int`.
Adding a command means adding a module here; `cli.py` does not change.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from types import ModuleType
from typing import Protocol, cast

from spbe.console import Output


class CommandModule(Protocol):
    NAME: str
    HELP: str

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, out: Output) -> int: ...


def discover() -> list[CommandModule]:
    modules: list[ModuleType] = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return sorted((cast(CommandModule, m) for m in modules), key=lambda m: m.NAME)
