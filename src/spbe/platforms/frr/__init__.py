"""Platform package: FRRouting, the lab platform (also Linux-based routers).

Configs are pushed through netmiko's cisco_ios driver into `vtysh`, whose syntax is
Cisco-like; `driver.py` teaches hier_config what differs from IOS.
"""

from spbe.platforms.frr.driver import FRRDriver
from spbe.platforms.hierconfig import HierConfigPlatform

PLATFORM = HierConfigPlatform(
    name="frr",
    description="FRRouting, the lab platform (also Linux-based routers)",
    netmiko_device_type="cisco_ios",
    config_suffix=".conf",
    comment_prefix="!",
    driver=FRRDriver,
)
