"""The lab's topology, derived from the inventory and the IP plan. Pure: no side effects.

Layout (Lampiran II C.2, the same design as production):

    branch routers --(wan /31, OSPF)-- NOC core --(DC site LAN, OSPF)-- internal FW --+-- zones
                                                                           |        app, db, ...
    "internet" ns --(external prefix)-- edge FW --- DMZ switch (bridge) ----+
                                          |
                                    WireGuard to the other data center's edge

Every router and server is one namespace named `spbe-<name>`. Branch routers carry the
site's LAN on a veth pair (this kernel has no dummy interfaces) and an out-of-band
management veth into the `spbe-mgmt` bridge of the host, where sshd listens on the
device's loopback address from the IP plan.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from spbe.inventory.loader import Inventory
from spbe.inventory.model import DatacenterRole, Site
from spbe.ipam import Plan

NAMESPACE_PREFIX = "spbe-"
MANAGEMENT_BRIDGE = "spbe-mgmt"
MANAGEMENT_VETH_PREFIX = "spbem"  # root-namespace ends of the management veths
# The lab's internet hosts live in TEST-NET-2 (RFC 5737): never routed on a real network.
INTERNET_HOSTS = IPv4Network("198.51.100.0/24")
VPN_PORT = 51820
HOST_INDEX = 10  # zone servers use the 10th address of their zone (the .10 of a /24)


class Role(StrEnum):
    CORE = "core"
    BRANCH = "branch"
    INTERNET = "internet"
    EDGE_FIREWALL = "edge_firewall"
    INTERNAL_FIREWALL = "internal_firewall"
    ZONE_HOST = "zone_host"


@dataclass(frozen=True)
class Route:
    prefix: IPv4Network
    via: IPv4Address


@dataclass
class Ospf:
    router_id: IPv4Address
    point_to_point: list[str]
    passive: list[str]
    networks: list[IPv4Network]
    redistribute_connected: bool = False
    default_metric: int | None = None  # originate a default route with this external metric


@dataclass
class Node:
    name: str  # hostname inside the lab (its own UTS namespace)
    role: Role
    site: str | None = None
    category: str | None = None
    datacenter: str | None = None
    zone: str | None = None
    addresses: list[tuple[str, IPv4Interface]] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    stubs: list[str] = field(default_factory=list)  # LAN veth pairs inside the namespace
    bridges: dict[str, list[str]] = field(default_factory=dict)
    management: IPv4Interface | None = None
    ospf: Ospf | None = None
    shaping: dict[str, int] = field(default_factory=dict)  # interface -> egress Mbit/s

    @property
    def namespace(self) -> str:
        return NAMESPACE_PREFIX + self.name

    @property
    def is_router(self) -> bool:
        return self.ospf is not None

    def address(self, interface: str) -> IPv4Interface:
        for name, address in self.addresses:
            if name == interface:
                return address
        raise KeyError(f"{self.name} has no address on {interface}")


@dataclass(frozen=True)
class Link:
    """A veth pair between two namespaces."""

    a_node: str
    a_interface: str
    b_node: str
    b_interface: str


@dataclass
class DatacenterLayout:
    id: str
    role: DatacenterRole
    supernet: IPv4Network
    edge: str
    internal_firewall: str
    zone_hosts: dict[str, str]  # zone id -> node name
    zone_prefixes: dict[str, IPv4Network]
    host_addresses: dict[str, IPv4Address]  # zone id -> its server's address
    external_address: IPv4Interface  # edge's outside address
    vpn_interface: str
    vpn_address: IPv4Address  # the edge device's loopback from the IP plan
    replicated_zones: list[str]
    vpn_routes: list[IPv4Network] = field(default_factory=list)  # sent into the tunnel


@dataclass
class Topology:
    nodes: dict[str, Node]
    links: list[Link]
    management_station: IPv4Interface  # the host's address on the management bridge
    datacenters: list[DatacenterLayout]
    route_targets: list[IPv4Network]  # every router must hold all of these (LANs, zones)
    internet_host: IPv4Address
    domain: str
    branch_sites: list[str] = field(default_factory=list)

    def routers(self) -> list[Node]:
        return [node for node in self.nodes.values() if node.role in (Role.CORE, Role.BRANCH)]

    def by_role(self, role: Role) -> list[Node]:
        return [node for node in self.nodes.values() if node.role == role]

    def datacenter(self, dc_id: str) -> DatacenterLayout:
        for layout in self.datacenters:
            if layout.id == dc_id:
                return layout
        raise KeyError(dc_id)

    @property
    def primary(self) -> DatacenterLayout:
        return next(d for d in self.datacenters if d.role == DatacenterRole.PRIMARY)

    @property
    def replica(self) -> DatacenterLayout:
        return next(d for d in self.datacenters if d.role == DatacenterRole.DRC)


def select_sites(inventory: Inventory, count: int | None) -> list[Site]:
    """Branch sites of the lab: all (`count` None), else `count` taken round-robin over the
    categories so that a small lab still covers every category and uplink kind."""
    branches = inventory.branch_sites()
    if count is None or count >= len(branches):
        return branches
    by_category: dict[str, list[Site]] = {}
    for site in branches:
        by_category.setdefault(site.category, []).append(site)
    chosen: list[Site] = []
    depth = 0
    while len(chosen) < count:
        for sites in by_category.values():
            if depth < len(sites) and len(chosen) < count:
                chosen.append(sites[depth])
        depth += 1
    order = {site.id: index for index, site in enumerate(branches)}
    return sorted(chosen, key=lambda site: order[site.id])


def default_site_count(inventory: Inventory) -> int:
    """One site per branch category: the smallest lab that covers every category."""
    return len({site.category for site in inventory.branch_sites()})


def _host(prefix: IPv4Network, index: int) -> IPv4Address:
    return prefix.network_address + index


def _iface(prefix: IPv4Network, index: int) -> IPv4Interface:
    return IPv4Interface(f"{_host(prefix, index)}/{prefix.prefixlen}")


def management_station(inventory: Inventory, addresses: Plan) -> IPv4Interface:
    """The last address of the management supernet: the lab's management station. It is
    never handed out because the IP plan allocates loopbacks from the bottom up; checked."""
    supernet = inventory.network.supernets.management
    station = supernet.broadcast_address - 1
    for (pool, owner), alloc in addresses.allocations.items():
        if pool == "loopback" and station in alloc.prefix:
            raise ValueError(f"management station {station} is allocated to {owner}")
    return IPv4Interface(f"{station}/{supernet.prefixlen}")


def build(inventory: Inventory, addresses: Plan, sites: Iterable[Site]) -> Topology:
    """The lab for `sites` (branch sites) plus the NOC core, both data centers and the
    internet namespace."""
    supernets = inventory.network.supernets
    intranet = [supernets.wan, supernets.lan]  # OSPF runs on these; management is out of band
    nodes: dict[str, Node] = {}
    links: list[Link] = []
    targets: list[IPv4Network] = []

    def add(node: Node) -> Node:
        if node.name in nodes:
            raise ValueError(f"two lab nodes are named {node.name!r}")
        nodes[node.name] = node
        return node

    def loopback(hostname: str) -> IPv4Address:
        return addresses.prefix("loopback", hostname).network_address

    def management(hostname: str) -> IPv4Interface:
        return IPv4Interface(f"{loopback(hostname)}/{supernets.management.prefixlen}")

    # --- NOC core --------------------------------------------------------------------------
    noc_site = inventory.site_by_id[inventory.network.backhaul.site]
    core_device = next(
        (d for d in inventory.devices(noc_site) if d.role == "core"),
        inventory.devices(noc_site)[0],
    )
    noc_lan = addresses.prefix("lan", noc_site.id)
    core = add(Node(
        name=core_device.hostname, role=Role.CORE, site=noc_site.id,
        category=noc_site.category, addresses=[("lan0", _iface(noc_lan, 1))], stubs=["lan0"],
        management=management(core_device.hostname),
        ospf=Ospf(router_id=loopback(core_device.hostname), point_to_point=[],
                  passive=["lan0"], networks=intranet),
    ))
    assert core.ospf is not None
    targets.append(noc_lan)

    # --- branch routers --------------------------------------------------------------------
    index_of = {site.id: index for index, site in enumerate(inventory.branch_sites(), start=1)}
    chosen = list(sites)
    for site in chosen:
        device = inventory.devices(site)[0]
        wan = addresses.prefix("wan", site.id)
        lan = addresses.prefix("lan", site.id)
        core_if = f"b{index_of[site.id]:04d}"
        add(Node(
            name=device.hostname, role=Role.BRANCH, site=site.id, category=site.category,
            addresses=[("uplink0", _iface(wan, 1)), ("lan0", _iface(lan, 1))],
            stubs=["lan0"], management=management(device.hostname),
            ospf=Ospf(router_id=loopback(device.hostname), point_to_point=["uplink0"],
                      passive=["lan0"], networks=intranet),
        ))
        core.addresses.append((core_if, _iface(wan, 0)))
        core.ospf.point_to_point.append(core_if)
        # Diskominfo manages bandwidth centrally: the NOC shapes each site's downlink to
        # the contracted rate (the CPE shapes the uplink in its own configuration)
        core.shaping[core_if] = site.bandwidth.mbps_2022
        links.append(Link(core.name, core_if, device.hostname, "uplink0"))
        targets.append(lan)

    # --- internet --------------------------------------------------------------------------
    internet = add(Node(name="internet", role=Role.INTERNET,
                        addresses=[("hosts0", _iface(INTERNET_HOSTS, 1))], stubs=["hosts0"]))

    # --- data centers ----------------------------------------------------------------------
    dc_file = inventory.datacenter
    layouts: list[DatacenterLayout] = []
    for number, center in enumerate(dc_file.datacenters):
        site = inventory.site_by_id[center.site]
        edge_device = inventory.devices(site)[0].hostname
        transit = addresses.prefix("lan", site.id)  # the DC fabric's link to the backhaul
        zone_prefixes = {z.id: addresses.prefix("zone", f"{center.id}/{z.id}")
                         for z in dc_file.zones}
        dmz = zone_prefixes["dmz"]
        hosts = {zone: _host(prefix, HOST_INDEX) for zone, prefix in zone_prefixes.items()}
        replicated = [z.id for z in dc_file.zones if z.replicated]
        external = center.external_prefix
        vpn_if = f"wg-{center.id}"[:15]
        firewall_name = f"{center.id}-intfw"
        edge_outside = _iface(external, 2)
        layout = DatacenterLayout(
            id=center.id, role=center.role, supernet=center.supernet, edge=edge_device,
            internal_firewall=firewall_name,
            zone_hosts={z: f"{center.id}-{z.replace('_', '-')}" for z in zone_prefixes},
            zone_prefixes=zone_prefixes, host_addresses=hosts, external_address=edge_outside,
            vpn_interface=vpn_if, vpn_address=loopback(edge_device), replicated_zones=replicated,
        )
        layouts.append(layout)
        city = [supernets.lan, supernets.wan, center.supernet]
        add(Node(
            name=edge_device, role=Role.EDGE_FIREWALL, site=site.id, datacenter=center.id,
            addresses=[("inet0", edge_outside), ("dmz0", _iface(dmz, 1))],
            routes=[Route(IPv4Network("0.0.0.0/0"), via=_host(external, 1))]
            + [Route(prefix, via=_host(dmz, 2)) for prefix in city],
        ))
        internet_if = f"isp{number}"
        internet.addresses.append((internet_if, _iface(external, 1)))
        internet.routes.append(Route(center.supernet, via=edge_outside.ip))
        links.append(Link(internet.name, internet_if, edge_device, "inet0"))

        firewall = add(Node(
            name=firewall_name, role=Role.INTERNAL_FIREWALL, site=site.id, datacenter=center.id,
            addresses=[("intranet0", _iface(transit, 2)), ("dmz0", _iface(dmz, 2))],
            routes=[Route(IPv4Network("0.0.0.0/0"), via=_host(dmz, 1))],
            ospf=Ospf(router_id=_host(transit, 2), point_to_point=["intranet0"], passive=[],
                      networks=intranet, redistribute_connected=True,
                      # the primary's exit to the internet wins; the DRC's is the standby
                      default_metric=10 if center.role == DatacenterRole.PRIMARY else 20),
        ))
        core_if = f"dc{number}"
        core.addresses.append((core_if, _iface(transit, 1)))
        core.ospf.point_to_point.append(core_if)
        links.append(Link(core.name, core_if, firewall_name, "intranet0"))
        targets.append(transit)

        # the DMZ switch is a bridge inside the DMZ server's namespace
        dmz_host = layout.zone_hosts["dmz"]
        add(Node(
            name=dmz_host, role=Role.ZONE_HOST, site=site.id, datacenter=center.id, zone="dmz",
            addresses=[("br0", _iface(dmz, HOST_INDEX))],
            bridges={"br0": ["edge0", "intfw0"]},
            routes=[Route(IPv4Network("0.0.0.0/0"), via=_host(dmz, 1))]
            + [Route(prefix, via=_host(dmz, 2)) for prefix in city],
        ))
        links.append(Link(edge_device, "dmz0", dmz_host, "edge0"))
        links.append(Link(firewall_name, "dmz0", dmz_host, "intfw0"))
        targets.append(dmz)
        for zone, prefix in zone_prefixes.items():
            if zone == "dmz":
                continue
            zone_if = f"z-{zone}"[:15]
            firewall.addresses.append((zone_if, _iface(prefix, 1)))
            host = layout.zone_hosts[zone]
            add(Node(
                name=host, role=Role.ZONE_HOST, site=site.id, datacenter=center.id, zone=zone,
                addresses=[("eth0", _iface(prefix, HOST_INDEX))],
                routes=[Route(IPv4Network("0.0.0.0/0"), via=_host(prefix, 1))],
            ))
            links.append(Link(firewall_name, zone_if, host, "eth0"))
            targets.append(prefix)

    # Internet hosts reach the city's intranet through the primary DC's edge (and are then
    # stopped by its firewalls, as the policy says).
    primary = next(layout for layout in layouts if layout.role == DatacenterRole.PRIMARY)
    for prefix in (supernets.lan, supernets.wan):
        internet.routes.append(Route(prefix, via=primary.external_address.ip))
    # Replicated zones of the other data center are reached through the VPN: the internal
    # firewall sends them to its edge (a static route beats the OSPF one through the NOC).
    for layout in layouts:
        for peer in layouts:
            if peer is layout:
                continue
            firewall = nodes[layout.internal_firewall]
            for zone in peer.replicated_zones:
                prefix = peer.zone_prefixes[zone]
                layout.vpn_routes.append(prefix)
                firewall.routes.append(Route(prefix, via=_host(layout.zone_prefixes["dmz"], 1)))
            layout.vpn_routes.append(IPv4Network(f"{peer.vpn_address}/32"))
    return Topology(
        nodes=nodes, links=links, management_station=management_station(inventory, addresses),
        datacenters=layouts, route_targets=targets,
        internet_host=_host(INTERNET_HOSTS, 1), domain=inventory.network.domain,
        branch_sites=[site.id for site in chosen],
    )


def city_prefixes(inventory: Inventory) -> list[IPv4Network]:
    """Everything that is not "the internet" for the lab's firewalls."""
    supernets = inventory.network.supernets
    found = [supernets.management, supernets.wan, supernets.lan]
    found += [center.supernet for center in inventory.datacenter.datacenters]
    return list(ipaddress.collapse_addresses(found))
