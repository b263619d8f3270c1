"""Registry of device platforms, discovered from the sub-packages of this package."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from spbe.platforms.base import Platform


@cache
def registry() -> dict[str, Platform]:
    """Every platform package under `spbe.platforms`, keyed by its name."""
    found: dict[str, Platform] = {}
    for module in pkgutil.iter_modules(__path__):
        if not module.ispkg:
            continue
        package = importlib.import_module(f"{__name__}.{module.name}")
        platform = getattr(package, "PLATFORM", None)
        if not isinstance(platform, Platform):
            raise TypeError(f"platform package {module.name} does not expose PLATFORM")
        found[platform.name] = platform
    return found


def get(name: str) -> Platform:
    try:
        return registry()[name]
    except KeyError:
        known = ", ".join(sorted(registry()))
        raise KeyError(f"unknown platform {name!r}; known platforms: {known}") from None
