"""Where templates and rendered files live, found from the inventory folder.

The project layout puts `network_configs/` next to `inventories/`, so the repository root
is the inventory folder's parent. `--inventory` pointing elsewhere (a copy, a synthetic
inventory) falls back to the templates of the installed checkout, found from this file.
"""

from __future__ import annotations

from pathlib import Path

from spbe.errors import InputError, Problem

TEMPLATES = Path("network_configs/templates")
RENDERED = Path("network_configs/rendered")
RULES = Path("policies/network")
_CHECKOUT = Path(__file__).resolve().parents[3]


def project_root(inventory_root: Path) -> Path:
    return inventory_root.resolve().parent


def _find(inventory_root: Path, relative: Path) -> Path:
    for root in (project_root(inventory_root), _CHECKOUT):
        candidate = root / relative
        if candidate.is_dir():
            return candidate
    raise InputError([Problem(str(relative), None, "(directory)", "",
                              f"not found next to {inventory_root} nor in {_CHECKOUT}")])


def templates_dir(inventory_root: Path) -> Path:
    return _find(inventory_root, TEMPLATES)


def rules_dir(inventory_root: Path) -> Path:
    return _find(inventory_root, RULES)


def rendered_dir(inventory_root: Path) -> Path:
    return project_root(inventory_root) / RENDERED
