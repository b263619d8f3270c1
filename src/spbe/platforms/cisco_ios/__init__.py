"""Platform package: Cisco IOS NOC core and distribution."""

from spbe.platforms.base import PlatformInfo

PLATFORM = PlatformInfo(
    name="cisco_ios",
    description="Cisco IOS NOC core and distribution",
    netmiko_device_type="cisco_ios",
    config_suffix=".cfg",
)
