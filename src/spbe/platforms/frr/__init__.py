"""Platform package: FRRouting, the lab platform (also Linux-based routers)."""

from spbe.platforms.base import PlatformInfo

PLATFORM = PlatformInfo(
    name="frr",
    description="FRRouting, the lab platform (also Linux-based routers)",
    netmiko_device_type="cisco_ios",
    config_suffix=".conf",
)
