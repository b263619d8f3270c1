"""Everything one stack needs to know about its data center, resolved before any resource.

The stack settings come from Pulumi config (`Pulumi.<stack>.yaml`); the data centers,
zones, tenants, services and prefixes come from `inventories/` through the same loader,
IP plan and compiled zone policy as every other generator. Bad config is reported as an
`InputError` naming the stack file and the key, like bad inventory input.

Fixed host positions inside each prefix (so both stacks can compute the other site's
public addresses without a circular stack reference):
  external prefix   .2 edge router gateway and VPN endpoint; .10 onwards one floating IP
                    per DMZ service, in the order of `services:` in datacenter.yaml
  zone subnets      .1 gateway; in the DMZ .2 is the internal router's uplink; in the
                    other replicated zones .2 is the edge router's replication leg;
                    .10 onwards one load-balancer VIP per service of the zone;
                    .32 onwards DHCP
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from spbe.errors import InputError, Problem
from spbe.inventory import Inventory
from spbe.inventory.model import Datacenter, DatacenterRole, Service, Tenant, Zone
from spbe.ipam import Plan
from spbe.zonepolicy import CompiledRule, compile_policy

EDGE_GATEWAY_HOST = 2
FIRST_PUBLIC_SERVICE_HOST = 10
GATEWAY_HOST = 1
SECOND_ROUTER_HOST = 2
FIRST_VIP_HOST = 10
FIRST_DHCP_HOST = 32
MIN_ZONE_ADDRESSES = 64  # room for gateways, VIPs and a DHCP pool
DMZ_ZONE = "dmz"


@dataclass(frozen=True)
class StackSettings:
    """The stack's own config (Pulumi.<stack>.yaml), already type-checked."""

    stack_file: str
    datacenter: str
    active_site: str
    external_network: str
    image: str
    flavor: str
    instances_per_service: int
    quota_percent: int
    data_volume_gb: int
    database_volume_backend: str
    primary_stack: str | None
    inventory_dir: Path


def host(prefix: ipaddress.IPv4Network, index: int) -> str:
    return str(prefix.network_address + index)


@dataclass(frozen=True)
class Site:
    """One data center as the stack builds it, with its peer across the VPN."""

    inventory: Inventory
    addresses: Plan
    settings: StackSettings
    datacenter: Datacenter
    peer: Datacenter
    rules: list[CompiledRule]

    @property
    def id(self) -> str:
        return self.datacenter.id

    @property
    def is_primary(self) -> bool:
        return self.datacenter.role is DatacenterRole.PRIMARY

    @property
    def zones(self) -> list[Zone]:
        return self.inventory.datacenter.zones

    @property
    def tenants(self) -> list[Tenant]:
        return self.inventory.datacenter.tenants

    @property
    def services(self) -> list[Service]:
        return self.inventory.datacenter.services

    @property
    def domain(self) -> str:
        return self.inventory.network.domain

    def zone_prefix(self, zone: str, datacenter: str | None = None) -> ipaddress.IPv4Network:
        return self.addresses.prefix("zone", f"{datacenter or self.id}/{zone}")

    def tenant_prefix(self, tenant: str) -> ipaddress.IPv4Network:
        return self.addresses.prefix("tenant", f"{self.id}/{tenant}")

    def replicated_zones(self) -> list[Zone]:
        return [zone for zone in self.zones if zone.replicated]

    def replicated_prefixes(self, datacenter: str | None = None) -> list[str]:
        return [str(self.zone_prefix(z.id, datacenter)) for z in self.replicated_zones()]

    def edge_gateway_ip(self, datacenter: Datacenter | None = None) -> str:
        return host((datacenter or self.datacenter).external_prefix, EDGE_GATEWAY_HOST)

    def public_services(self) -> list[Service]:
        return [s for s in self.services if s.zone == DMZ_ZONE]

    def public_ip(self, service: Service, datacenter: Datacenter | None = None) -> str:
        index = self.public_services().index(service)
        prefix = (datacenter or self.datacenter).external_prefix
        return host(prefix, FIRST_PUBLIC_SERVICE_HOST + index)

    def vip_address(self, service: Service, datacenter: str | None = None) -> str:
        in_zone = [s for s in self.services if s.zone == service.zone]
        prefix = self.zone_prefix(service.zone, datacenter)
        return host(prefix, FIRST_VIP_HOST + in_zone.index(service))

    def service_address(self, service: Service, datacenter: Datacenter) -> str:
        """Where clients reach a service when `datacenter` is the active site."""
        if service.zone == DMZ_ZONE:
            return self.public_ip(service, datacenter)
        return self.vip_address(service, datacenter.id)

    def active_datacenter(self) -> Datacenter:
        return self.datacenter_by_id(self.settings.active_site)

    def datacenter_by_id(self, ident: str) -> Datacenter:
        return next(c for c in self.inventory.datacenter.datacenters if c.id == ident)

    def operator_tenant(self) -> Tenant:
        """The OPD that runs the shared services: the tenant at the NOC/backhaul site."""
        noc = self.inventory.network.backhaul.site
        return next(t for t in self.tenants if t.site == noc)


def build_site(inventory: Inventory, addresses: Plan, settings: StackSettings) -> Site:
    """Check the stack settings against the inventory and resolve the site."""
    problems: list[Problem] = []

    def problem(key: str, reason: str) -> None:
        problems.append(Problem(settings.stack_file, None, f"spbe-padang:{key}", "", reason))

    centers = {c.id: c for c in inventory.datacenter.datacenters}
    known = ", ".join(sorted(centers))
    for key in ("datacenter", "active_site"):
        value = getattr(settings, key)
        if value not in centers:
            problem(key, f"unknown data center '{value}'; inventory has {known}")
    if len(centers) != 2:
        problems.append(Problem("datacenter.yaml", None, "datacenters", "",
                                f"the DC/DRC stacks need exactly two data centers, found {known}"))
    noc = inventory.network.backhaul.site
    if not any(t.site == noc for t in inventory.datacenter.tenants):
        problems.append(Problem("datacenter.yaml", None, "tenants", "site",
                                f"no tenant at the NOC site '{noc}' to own the shared services"))
    for key, minimum in (("instances_per_service", 1), ("quota_percent", 1),
                         ("data_volume_gb", 1)):
        if getattr(settings, key) < minimum:
            problem(key, f"must be at least {minimum}")
    if problems:
        raise InputError(problems)
    center = centers[settings.datacenter]
    if center.role is DatacenterRole.DRC and not settings.primary_stack:
        problem("primary_stack", "the DRC stack needs the primary stack's name (org/project/stack)")
    peer = next(c for c in centers.values() if c.id != center.id)
    for zone in inventory.datacenter.zones:
        prefix = addresses.prefix("zone", f"{center.id}/{zone.id}")
        if prefix.num_addresses < MIN_ZONE_ADDRESSES:
            where = inventory.where(f"zone:{zone.id}")
            problems.append(Problem(where.file, where.line, where.entry, "prefix_length",
                                    f"{prefix} is too small for gateways, VIPs and DHCP; "
                                    f"use /26 or larger"))
        in_zone = [s for s in inventory.datacenter.services if s.zone == zone.id]
        if FIRST_VIP_HOST + len(in_zone) > FIRST_DHCP_HOST:
            where = inventory.where(f"zone:{zone.id}")
            problems.append(Problem(where.file, where.line, where.entry, "",
                                    f"{len(in_zone)} services exceed the "
                                    f"{FIRST_DHCP_HOST - FIRST_VIP_HOST} VIP slots of a zone"))
    public = [s for s in inventory.datacenter.services if s.zone == DMZ_ZONE]
    for other in centers.values():
        last = FIRST_PUBLIC_SERVICE_HOST + len(public)
        if last >= other.external_prefix.num_addresses - 1:
            where = inventory.where(f"datacenter:{other.id}")
            problems.append(Problem(where.file, where.line, where.entry, "external_prefix",
                                    f"{other.external_prefix} has no room for {len(public)} "
                                    "public service addresses from host .10"))
    if problems:
        raise InputError(problems)
    rules = compile_policy(inventory, addresses, center.id)
    return Site(inventory, addresses, settings, center, peer, rules)
