"""The variables of each device's template, computed from the inventory and the IP plan.

Everything a template needs is decided here, in Python, once: templates only lay out
syntax. The same values feed the compliance rules (`facts`), so a rule such as "shaping
equals the inventory's bandwidth" compares the configuration with the inventory, not
with itself.

Conventions (documented in docs/network-configs.md):
- NOC services live at fixed host numbers of each data center's `noc_mgmt` zone
  (`SERVICE_HOSTS`); the primary data center's come first, the DRC's second.
- A data-center edge router answers on host 1 of its data center's external prefix; the
  internet provider's gateway is the last host.
- Metro branch links: the /31 from the `wan` pool; its first address sits on a NOC
  distribution router, the second on the branch CPE. Branches are spread over the NOC
  distribution routers by the index of their /31 (stable: IPAM never moves a prefix).
- NOC fabric links (core to distribution and edge routers) are unnumbered
  (`ip unnumbered Loopback0`), so they need no addresses from the plan.
- Internet-broadband branches reach the primary data center's edge over IKEv2/IPsec,
  identified by FQDN `<site>.vpn.<domain>`, with a per-site pre-shared key placeholder.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from spbe.errors import InputError, Problem
from spbe.inventory.loader import Inventory
from spbe.inventory.model import DatacenterRole, Device, Site, UplinkKind
from spbe.ipam import Plan
from spbe.netconfig.secrets import placeholder

# Host number of each NOC service inside the `noc_mgmt` zone of every data center.
SERVICE_HOSTS = {"ntp": 11, "syslog": 12, "dns": 13, "snmp_manager": 14}
EDGE_PUBLIC_HOST = 1
# 802.1Q tags of metro branch links on a distribution trunk: QinQ, 4000 branches per outer tag.
OUTER_VLAN_BASE = 100
INNER_VLANS_PER_OUTER = 4000
TIME_ZONE = "Asia/Jakarta"  # WIB, UTC+7: Padang's local time

Context = dict[str, Any]


def _host(network: ipaddress.IPv4Network, number: int) -> str:
    return str(network.network_address + number)


def _prefix(network: ipaddress.IPv4Network) -> dict[str, Any]:
    """One prefix in every notation the three syntaxes use."""
    return {
        "cidr": str(network),
        "network": str(network.network_address),
        "netmask": str(network.netmask),
        "wildcard": str(network.hostmask),
        "length": network.prefixlen,
    }


def secret_name(kind: str, owner: str) -> str:
    return f"{kind}_{owner.replace('-', '_')}"


@dataclass(frozen=True)
class MetroLink:
    site: Site
    wan: ipaddress.IPv4Network
    index: int  # position of the /31 in the wan pool: stable, drives VLAN tags

    @property
    def subinterface(self) -> int:
        return self.index + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "site_id": self.site.id,
            "site_name": self.site.name,
            "subinterface": self.subinterface,
            "outer_vlan": OUTER_VLAN_BASE + self.index // INNER_VLANS_PER_OUTER,
            "inner_vlan": 1 + self.index % INNER_VLANS_PER_OUTER,
            "noc_address": _host(self.wan, 0),
            "cpe_address": _host(self.wan, 1),
            "netmask": str(self.wan.netmask),
            "cidr": str(self.wan),
        }


class NetworkPlan:
    """Inventory-wide values, computed once and shared by every device's context."""

    def __init__(self, inventory: Inventory, addresses: Plan):
        self.inventory = inventory
        self.addresses = addresses
        network = inventory.network
        centers = sorted(
            inventory.datacenter.datacenters, key=lambda c: c.role != DatacenterRole.PRIMARY
        )
        self.primary = centers[0]
        noc_zones = [addresses.prefix("zone", f"{c.id}/noc_mgmt") for c in centers]
        self.noc_mgmt = [_prefix(zone) for zone in noc_zones]
        self.services = {
            service: [_host(zone, host) for zone in noc_zones]
            for service, host in SERVICE_HOSTS.items()
        }
        supernets = network.supernets
        self.intranet = [
            _prefix(p)
            for p in ipaddress.collapse_addresses(
                [supernets.management, supernets.wan, supernets.lan]
                + [c.supernet for c in centers]
            )
        ]
        self.hub_public = _host(self.primary.external_prefix, EDGE_PUBLIC_HOST)
        self.hub_hostname = next(
            (d.hostname for d in inventory.devices(inventory.site_by_id[self.primary.site])
             if d.role == "edge"),
            None,
        )
        self.common: Context = {
            "organisation": network.organisation,
            "domain": network.domain,
            "time_zone": TIME_ZONE,
            "services": self.services,
            "noc_mgmt": self.noc_mgmt,
            "intranet": self.intranet,
        }
        self.metro_by_distribution: dict[str, list[MetroLink]] = defaultdict(list)
        self.broadband_sites: list[Site] = []
        self.distributions = sorted(
            d.hostname
            for d in inventory.devices(inventory.site_by_id[network.backhaul.site])
            if d.role == "distribution"
        )
        # The core is the hub of the NOC fabric: every distribution and edge router hangs off it.
        self.noc_peers = sorted(
            d.hostname
            for site in inventory.sites
            for d in inventory.devices(site)
            if d.role in ("distribution", "edge")
        )
        wan_base = int(supernets.wan.network_address)
        for site in inventory.branch_sites():
            kind = inventory.uplink(site).kind
            if kind == UplinkKind.INTERNET_BROADBAND:
                self.broadband_sites.append(site)
            elif kind == UplinkKind.METRO_FIBER and self.distributions:
                wan = addresses.prefix("wan", site.id)
                index = (int(wan.network_address) - wan_base) // 2
                owner = self.distributions[index % len(self.distributions)]
                self.metro_by_distribution[owner].append(MetroLink(site, wan, index))
        for links in self.metro_by_distribution.values():
            links.sort(key=lambda link: link.index)
        self.distribution_of = {
            link.site.id: owner
            for owner, links in self.metro_by_distribution.items()
            for link in links
        }

    def device_context(self, site: Site, device: Device) -> Context:
        inventory, addresses = self.inventory, self.addresses
        loopback = addresses.prefix("loopback", device.hostname)
        context: Context = {
            **self.common,
            "device": {"hostname": device.hostname, "role": device.role,
                       "platform": device.platform},
            "site": {
                "id": site.id,
                "name": site.name,
                "category": site.category,
                "category_label": inventory.category(site).label,
                "bandwidth_mbps": site.bandwidth.mbps_2022,
            },
            "loopback": str(loopback.network_address),
            "uplink": str(inventory.uplink(site).kind),
        }
        lan = addresses.get("lan", site.id)
        if lan is not None:
            context["lan"] = {**_prefix(lan), "gateway": _host(lan, 1)}
        role = device.role
        if role == "cpe":
            context.update(self._branch(site))
        elif role == "distribution":
            context["branch_links"] = [
                link.as_dict() for link in self.metro_by_distribution.get(device.hostname, [])
            ]
        elif role == "core":
            context["fabric_links"] = [
                {"interface": f"TenGigabitEthernet1/0/{number}", "peer": peer}
                for number, peer in enumerate(self.noc_peers, start=1)
            ]
        elif role == "edge":
            context.update(self._edge(site, device))
        return context

    def _branch(self, site: Site) -> Context:
        kind = self.inventory.uplink(site).kind
        wan = self.addresses.prefix("wan", site.id)
        addresses = {"cidr": str(wan), "local": _host(wan, 1), "peer": _host(wan, 0),
                     "netmask": str(wan.netmask), "length": wan.prefixlen}
        if kind == UplinkKind.INTERNET_BROADBAND:
            if self.hub_hostname is None:
                raise InputError([Problem(
                    self.inventory.where(f"site:{site.id}").file, None, site.id, "uplink",
                    "internet-broadband sites need an edge device at the primary data center",
                )])
            return {"tunnel": {
                **addresses,
                "hub_public": self.hub_public,
                "hub_identity": f"{self.hub_hostname}.vpn.{self.inventory.network.domain}",
                "identity": f"{site.id}.vpn.{self.inventory.network.domain}",
                "psk": placeholder(secret_name("ipsec_psk", site.id)),
            }}
        return {"wan": {**addresses, "peer_device": self.distribution_of.get(site.id, "")}}

    def _edge(self, site: Site, device: Device) -> Context:
        center = next(c for c in self.inventory.datacenter.datacenters if c.site == site.id)
        external = center.external_prefix
        domain = self.inventory.network.domain
        context: Context = {
            "external": {
                **_prefix(external),
                "address": _host(external, EDGE_PUBLIC_HOST),
                "gateway": str(external.broadcast_address - 1),
            },
            "vpn_peers": [],
        }
        if device.hostname == self.hub_hostname:
            context["vpn_identity"] = f"{device.hostname}.vpn.{domain}"
            context["vpn_peers"] = [
                {
                    "site_id": s.id,
                    "identity": f"{s.id}.vpn.{domain}",
                    "psk": placeholder(secret_name("ipsec_psk", s.id)),
                }
                for s in self.broadband_sites
            ]
        return context


def facts(context: Context) -> dict[str, str]:
    """Flat values the compliance rules may refer to as `{name}` in their patterns."""
    found = {
        "hostname": context["device"]["hostname"],
        "domain": context["domain"],
        "loopback": context["loopback"],
        "bandwidth_mbps": str(context["site"]["bandwidth_mbps"]),
        "bandwidth_kbps": str(context["site"]["bandwidth_mbps"] * 1000),
    }
    for service, hosts in context["services"].items():
        found[f"{service}_primary"] = hosts[0]
        found[f"{service}_secondary"] = hosts[-1]
    for name, zone in (("primary", context["noc_mgmt"][0]), ("secondary", context["noc_mgmt"][-1])):
        found[f"noc_mgmt_{name}"] = zone["cidr"]
        found[f"noc_mgmt_{name}_wildcard"] = f"{zone['network']} {zone['wildcard']}"
    return found
