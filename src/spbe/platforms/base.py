"""The contract every device platform implements.

Adding a vendor means adding a folder `platforms/<name>/` whose `__init__.py` exposes
`PLATFORM`, an object satisfying `Platform`; nothing else in the core changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class Platform(Protocol):
    """What the core needs to know about a device platform."""

    name: str
    description: str
    netmiko_device_type: str
    config_suffix: str


@dataclass(frozen=True)
class PlatformInfo:
    """Plain description of a platform; packages extend it with their drivers."""

    name: str
    description: str
    netmiko_device_type: str
    config_suffix: str
