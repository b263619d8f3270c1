"""Cross-entry checks: duplicates, references, capacity and address-space overlaps."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from spbe import platforms
from spbe.errors import Problem
from spbe.inventory.loader import Inventory, Location
from spbe.inventory.model import PSEUDO_ZONES, DatacenterRole

# Provider-network addresses the edge keeps for itself (gateway, router, VPN endpoint).
RESERVED_EXTERNAL_ADDRESSES = 10


@dataclass(frozen=True)
class Capacity:
    """Branch bandwidth against the backhaul (Tabel 4.1: 5000 Mbps at Diskominfo)."""

    total_mbps: int
    backhaul_mbps: int
    ratio: float
    limit: float


def capacity(inventory: Inventory) -> Capacity:
    total = sum(site.bandwidth.mbps_2022 for site in inventory.branch_sites())
    backhaul = inventory.network.backhaul
    return Capacity(
        total, backhaul.capacity_mbps, total / backhaul.capacity_mbps, backhaul.max_oversubscription
    )


class _Checker:
    def __init__(self, inventory: Inventory):
        self.inv = inventory
        self.problems: list[Problem] = []

    def report(self, where: Location, field: str, reason: str) -> None:
        self.problems.append(Problem(where.file, where.line, where.entry, field, reason))

    def duplicates(self, kind: str, ids: list[str]) -> None:
        first_seen: dict[str, Location] = {}
        for index, ident in enumerate(ids):
            where = self.inv.where(f"{kind}:{ident}#{index}")
            first = first_seen.setdefault(ident, where)
            if first is not where:
                self.report(
                    where,
                    "id",
                    f"duplicate {kind} id '{ident}' (first at {first.file}:{first.line})",
                )

    def run(self) -> list[Problem]:
        inv = self.inv
        net, dc, policy = inv.network, inv.datacenter, inv.policy
        self._site_duplicates()
        self.duplicates("category", [c.id for c in net.categories])
        self.duplicates("kecamatan", [k.id for k in net.kecamatan])
        for key, kind in (
            ("datacenters", "datacenter"),
            ("zones", "zone"),
            ("tenants", "tenant"),
            ("services", "service"),
        ):
            self.duplicates(kind, [item.id for item in getattr(dc, key)])
        self.duplicates("rule", [r.id for r in policy.rules])
        self._categories()
        self._sites()
        self._backhaul()
        self._address_space()
        self._datacenters()
        self._policy()
        return self.problems

    def _site_duplicates(self) -> None:
        # Sites come from several files; their positional keys find duplicates across files.
        self.duplicates("site", [site.id for site in self.inv.sites])
        hostnames: dict[str, Location] = {}
        for index, site in enumerate(self.inv.sites):
            if site.category not in self.inv.categories:
                continue
            where = self.inv.where(f"site:{site.id}#{index}")
            for device in self.inv.devices(site):
                if device.hostname in hostnames and hostnames[device.hostname] != where:
                    first = hostnames[device.hostname]
                    self.report(
                        where,
                        "devices.hostname",
                        f"duplicate hostname '{device.hostname}' (first at {first.file}:"
                        f"{first.line})",
                    )
                hostnames.setdefault(device.hostname, where)

    def _categories(self) -> None:
        known = platforms.registry()
        for category in self.inv.network.categories:
            where = self.inv.where(f"category:{category.id}")
            if category.default_uplink not in self.inv.network.uplinks:
                self.report(
                    where,
                    "default_uplink",
                    f"unknown uplink '{category.default_uplink}'; declared uplinks: "
                    f"{', '.join(sorted(self.inv.network.uplinks))}",
                )
            if category.default_platform not in known:
                self.report(where, "default_platform", _unknown_platform(category.default_platform))

    def _sites(self) -> None:
        inv = self.inv
        kecamatan = {k.id for k in inv.network.kecamatan}
        known = platforms.registry()
        for index, site in enumerate(inv.sites):
            where = inv.where(f"site:{site.id}#{index}")
            if site.category not in inv.categories:
                self.report(
                    where,
                    "category",
                    f"unknown category '{site.category}'; declared categories: "
                    f"{', '.join(sorted(inv.categories))}",
                )
                continue
            if site.kecamatan is not None and site.kecamatan not in kecamatan:
                self.report(
                    where,
                    "kecamatan",
                    f"unknown kecamatan '{site.kecamatan}'; declared: "
                    f"{', '.join(sorted(kecamatan))}",
                )
            uplink_id = inv.uplink_id(site)
            if uplink_id not in inv.network.uplinks:
                self.report(where, "uplink", f"unknown uplink '{uplink_id}'")
            else:
                uplink = inv.network.uplinks[uplink_id]
                mbps = site.bandwidth.mbps_2022
                if mbps <= 0:
                    self.report(where, "bandwidth.mbps_2022", "must be greater than 0 Mbps")
                elif mbps > uplink.max_mbps:
                    self.report(
                        where,
                        "bandwidth.mbps_2022",
                        f"{mbps} Mbps exceeds the {uplink_id} uplink maximum of "
                        f"{uplink.max_mbps} Mbps",
                    )
            for device in inv.devices(site):
                if device.platform not in known:
                    self.report(where, "devices.platform", _unknown_platform(device.platform))

    def _backhaul(self) -> None:
        inv = self.inv
        backhaul = inv.network.backhaul
        where = inv.where("backhaul")
        if backhaul.site not in inv.site_by_id:
            self.report(where, "site", f"unknown site '{backhaul.site}'")
            return
        found = capacity(inv)
        if found.ratio > found.limit:
            self.report(
                where,
                "max_oversubscription",
                f"branch bandwidth {found.total_mbps} Mbps is {found.ratio:.2f}x the "
                f"{found.backhaul_mbps} Mbps backhaul, above the limit of {found.limit:g}x",
            )

    def _address_space(self) -> None:
        inv = self.inv
        named: list[tuple[str, Location, str, ipaddress.IPv4Network]] = []
        supernets = inv.network.supernets
        for name in ("management", "wan", "lan"):
            named.append(
                (f"supernets.{name}", inv.where("supernets"), name, getattr(supernets, name))
            )
        for center in inv.datacenter.datacenters:
            where = inv.where(f"datacenter:{center.id}")
            named.append((f"datacenter {center.id} supernet", where, "supernet", center.supernet))
            named.append(
                (
                    f"datacenter {center.id} external_prefix",
                    where,
                    "external_prefix",
                    center.external_prefix,
                )
            )
        for i, (label_a, _, _, net_a) in enumerate(named):
            for _, where_b, field_b, net_b in named[i + 1 :]:
                if net_a.overlaps(net_b):
                    self.report(where_b, field_b, f"{net_b} overlaps {label_a} ({net_a})")

    def _datacenters(self) -> None:
        inv = self.inv
        dc = inv.datacenter
        primaries = [c for c in dc.datacenters if c.role is DatacenterRole.PRIMARY]
        if len(primaries) != 1:
            where = inv.where(f"datacenter:{dc.datacenters[0].id}")
            self.report(
                where, "role", f"exactly one primary data center needed, found {len(primaries)}"
            )
        for center in dc.datacenters:
            if center.site not in inv.site_by_id:
                self.report(
                    inv.where(f"datacenter:{center.id}"), "site", f"unknown site '{center.site}'"
                )
        zones = {z.id for z in dc.zones}
        for tenant in dc.tenants:
            where = inv.where(f"tenant:{tenant.id}")
            if tenant.site not in inv.site_by_id:
                self.report(where, "site", f"unknown site '{tenant.site}'")
            if tenant.zone not in zones:
                self.report(where, "zone", f"unknown zone '{tenant.zone}'")
            if tenant.tier not in dc.quotas:
                self.report(where, "tier", f"no quota declared for tier '{tenant.tier}'")
        fqdns: dict[str, str] = {}
        for service in dc.services:
            where = inv.where(f"service:{service.id}")
            if service.zone not in zones:
                self.report(where, "zone", f"unknown zone '{service.zone}'")
            domain = inv.network.domain
            if service.fqdn != domain and not service.fqdn.endswith("." + domain):
                self.report(where, "fqdn", f"'{service.fqdn}' is not under {domain}")
            if service.fqdn in fqdns:
                self.report(
                    where,
                    "fqdn",
                    f"'{service.fqdn}' is already used by service '{fqdns[service.fqdn]}'",
                )
            fqdns.setdefault(service.fqdn, service.id)
        public = sum(1 for service in dc.services if service.zone in self._dmz_zones())
        for center in dc.datacenters:
            # The edge takes the first addresses of the provider network; every DMZ service
            # gets a floating IP after them.
            needed = public + RESERVED_EXTERNAL_ADDRESSES
            if center.external_prefix.num_addresses < needed:
                self.report(
                    inv.where(f"datacenter:{center.id}"),
                    "external_prefix",
                    f"{center.external_prefix} has {center.external_prefix.num_addresses} "
                    f"addresses; {public} public services need {needed}",
                )

    def _dmz_zones(self) -> set[str]:
        return {z.id for z in self.inv.datacenter.zones if z.behind == "external_firewall"}

    def _policy(self) -> None:
        inv = self.inv
        zones = {z.id for z in inv.datacenter.zones} | set(PSEUDO_ZONES)
        services = inv.policy.services
        where_services = inv.where("policy:services")
        for name, service in services.items():
            if service.protocol == "icmp" and service.ports:
                self.report(where_services, f"{name}.ports", "icmp services take no ports")
            if service.protocol != "icmp" and not service.ports:
                self.report(where_services, f"{name}.ports", f"{service.protocol} needs ports")
        for rule in inv.policy.rules:
            where = inv.where(f"rule:{rule.id}")
            for field in ("source", "destination"):
                zone = getattr(rule, field)
                if zone not in zones:
                    self.report(
                        where,
                        field,
                        f"unknown zone '{zone}'; known zones: {', '.join(sorted(zones))}",
                    )
            if rule.source == rule.destination:
                self.report(where, "destination", "source and destination are the same zone")
            for service_name in rule.services:
                if service_name not in services:
                    self.report(where, "services", f"unknown service '{service_name}'")
        self._service_ports_allowed()

    def _service_ports_allowed(self) -> None:
        # A load balancer whose port no rule allows would get an empty allow-list, which
        # OpenStack reads as "everyone": refuse it here instead.
        inv = self.inv
        allowed: set[tuple[str, int]] = set()
        for rule in inv.policy.rules:
            if rule.action != "allow":
                continue
            for name in rule.services:
                service = inv.policy.services.get(name)
                if service is not None and service.protocol == "tcp":
                    allowed.update((rule.destination, port) for port in service.ports)
        for offered in inv.datacenter.services:
            blocked = [port for port in offered.ports if (offered.zone, port) not in allowed]
            if blocked:
                self.report(
                    inv.where(f"service:{offered.id}"),
                    "ports",
                    f"no allow rule in policy.yaml reaches zone '{offered.zone}' on tcp "
                    f"{', '.join(map(str, blocked))}",
                )


def _unknown_platform(name: str) -> str:
    return f"unknown platform '{name}'; known platforms: {', '.join(sorted(platforms.registry()))}"


def check_semantics(inventory: Inventory) -> list[Problem]:
    return _Checker(inventory).run()
