"""Platform package: MikroTik RouterOS 7 branch CPE."""

from spbe.platforms.base import PlatformInfo

PLATFORM = PlatformInfo(
    name="mikrotik_routeros",
    description="MikroTik RouterOS 7 branch CPE",
    netmiko_device_type="mikrotik_routeros",
    config_suffix=".rsc",
)
