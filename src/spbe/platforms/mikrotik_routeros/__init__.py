"""Platform package: MikroTik RouterOS 7 branch CPE."""

from __future__ import annotations

from dataclasses import dataclass

from spbe.platforms.base import ConfigTree
from spbe.platforms.mikrotik_routeros import rsc
from spbe.platforms.mikrotik_routeros.remediation import remediation


@dataclass(frozen=True)
class RouterOSPlatform:
    name: str = "mikrotik_routeros"
    description: str = "MikroTik RouterOS 7 branch CPE"
    netmiko_device_type: str = "mikrotik_routeros"
    config_suffix: str = ".rsc"
    comment_prefix: str = "#"

    def parse(self, text: str) -> ConfigTree:
        return rsc.to_tree(rsc.parse_commands(text))

    def remediation(self, running: str, intended: str) -> list[str]:
        return remediation(running, intended)


PLATFORM = RouterOSPlatform()
