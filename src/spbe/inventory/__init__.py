"""The source of truth: load, check and address everything in `inventories/`."""

from __future__ import annotations

from pathlib import Path

from spbe import ipam
from spbe.errors import InputError
from spbe.inventory.loader import Inventory, load_inventory
from spbe.inventory.semantics import check_semantics

DEFAULT_ROOT = Path("inventories")

__all__ = ["DEFAULT_ROOT", "Inventory", "load"]


def load(root: Path = DEFAULT_ROOT) -> tuple[Inventory, ipam.Plan]:
    """Load `root`, run every check and compute the address plan.

    Raises InputError carrying every problem found (schema, semantics, addressing).
    """
    inventory, problems = load_inventory(root)
    problems += check_semantics(inventory)
    if problems:  # an address plan over inconsistent input would only add noise
        raise InputError(problems)
    addresses = ipam.plan(inventory)
    if addresses.problems:
        raise InputError(addresses.problems)
    return inventory, addresses
