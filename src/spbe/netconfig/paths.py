"""Where templates and rendered files live, found from the inventory folder.

The project layout puts `network_configs/` next to `inventories/`, so the repository root
is the inventory folder's parent. `--inventory` pointing elsewhere (a copy, a synthetic
inventory) falls back to the templates of the installed checkout, found from this file.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path("network_configs/templates")
RENDERED = Path("network_configs/rendered")
_CHECKOUT = Path(__file__).resolve().parents[3]


def project_root(inventory_root: Path) -> Path:
    return inventory_root.resolve().parent


def templates_dir(inventory_root: Path) -> Path:
    for root in (project_root(inventory_root), _CHECKOUT):
        candidate = root / TEMPLATES
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no {TEMPLATES}/ next to {inventory_root} or in {_CHECKOUT}")


def rendered_dir(inventory_root: Path) -> Path:
    return project_root(inventory_root) / RENDERED
