"""Platform package: Cisco IOS NOC core, distribution and DC edge routers."""

from hier_config import Platform, get_hconfig_driver

from spbe.platforms.hierconfig import HierConfigPlatform

PLATFORM = HierConfigPlatform(
    name="cisco_ios",
    description="Cisco IOS NOC core and distribution",
    netmiko_device_type="cisco_ios",
    config_suffix=".cfg",
    comment_prefix="!",
    driver=lambda: get_hconfig_driver(Platform.CISCO_IOS),
)
