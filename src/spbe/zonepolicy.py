"""The zone policy compiled to concrete rules, once, for every generator.

`inventories/policy.yaml` says which zone may reach which zone with which services. This
module resolves zones to prefixes (from the IP plan) and decides which firewall enforces
each rule, so that the OpenStack FWaaS rules, the lab's nftables rule sets and device ACLs
are generated from the same list and stay equivalent (the Capirca/Aerleon model).

Topology (Lampiran II C.2): internet -> external firewall -> DMZ -> internal firewall ->
internal zones (application, database, NOC management, Diskominfo) and, through the
intranet router, every branch LAN.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from spbe.inventory.loader import Inventory
from spbe.ipam import Plan

ANYWHERE = ipaddress.IPv4Network("0.0.0.0/0")


class Firewall(StrEnum):
    EXTERNAL = "external"
    INTERNAL = "internal"


class Side(StrEnum):
    OUTSIDE = "outside"  # the internet
    MIDDLE = "middle"  # the DMZ, between the two firewalls
    INSIDE = "inside"  # internal zones and branch LANs


@dataclass(frozen=True)
class CompiledRule:
    """One policy rule resolved for one data center."""

    rule_id: str
    position: int  # order in policy.yaml: first match wins
    datacenter: str
    source_zone: str
    destination_zone: str
    source_prefixes: tuple[ipaddress.IPv4Network, ...]
    destination_prefixes: tuple[ipaddress.IPv4Network, ...]
    service: str
    protocol: str  # tcp, udp or icmp
    ports: tuple[int, ...]  # empty for icmp
    action: str  # allow or deny
    firewalls: tuple[Firewall, ...]  # which firewalls this traffic crosses
    description: str


def zone_side(inventory: Inventory, zone: str) -> Side:
    if zone == "internet":
        return Side.OUTSIDE
    if zone == "branch":
        return Side.INSIDE
    for declared in inventory.datacenter.zones:
        if declared.id == zone:
            return Side.MIDDLE if declared.behind == "external_firewall" else Side.INSIDE
    raise KeyError(f"unknown zone {zone!r}")


def firewalls_between(source: Side, destination: Side) -> tuple[Firewall, ...]:
    """The firewalls a packet crosses from one side to the other."""
    sides = {source, destination}
    if sides == {Side.OUTSIDE, Side.MIDDLE}:
        return (Firewall.EXTERNAL,)
    if sides == {Side.MIDDLE, Side.INSIDE} or sides == {Side.INSIDE}:
        return (Firewall.INTERNAL,)
    if sides == {Side.OUTSIDE, Side.INSIDE}:
        return (Firewall.EXTERNAL, Firewall.INTERNAL)
    return ()  # within the DMZ or within the internet: no firewall in between


def zone_prefixes(
    inventory: Inventory, addresses: Plan, datacenter: str, zone: str
) -> tuple[ipaddress.IPv4Network, ...]:
    """Prefixes that make up a zone in one data center."""
    if zone == "internet":
        return (ANYWHERE,)
    if zone == "branch":
        return (inventory.network.supernets.lan,)
    found = [addresses.prefix("zone", f"{datacenter}/{zone}")]
    found += [
        addresses.prefix("tenant", f"{datacenter}/{tenant.id}")
        for tenant in inventory.datacenter.tenants
        if tenant.zone == zone
    ]
    return tuple(found)


def compile_policy(inventory: Inventory, addresses: Plan, datacenter: str) -> list[CompiledRule]:
    """Every (rule, service) pair of the policy, resolved for `datacenter`, in order."""
    compiled: list[CompiledRule] = []
    services = inventory.policy.services
    for position, rule in enumerate(inventory.policy.rules):
        crossing = firewalls_between(
            zone_side(inventory, rule.source), zone_side(inventory, rule.destination)
        )
        for name in rule.services:
            service = services[name]
            compiled.append(
                CompiledRule(
                    rule_id=rule.id,
                    position=position,
                    datacenter=datacenter,
                    source_zone=rule.source,
                    destination_zone=rule.destination,
                    source_prefixes=zone_prefixes(inventory, addresses, datacenter, rule.source),
                    destination_prefixes=zone_prefixes(
                        inventory, addresses, datacenter, rule.destination
                    ),
                    service=name,
                    protocol=service.protocol,
                    ports=tuple(service.ports),
                    action=rule.action,
                    firewalls=crossing,
                    description=rule.description,
                )
            )
    return compiled


def decide(
    rules: list[CompiledRule],
    source_zone: str,
    destination_zone: str,
    protocol: str,
    port: int | None,
) -> tuple[str, str | None]:
    """The declared decision for one flow: (action, rule id). First match wins; default deny."""
    for rule in rules:
        if (
            rule.source_zone == source_zone
            and rule.destination_zone == destination_zone
            and rule.protocol == protocol
            and (protocol == "icmp" or port in rule.ports)
        ):
            return rule.action, rule.rule_id
    return "deny", None


def rules_for(rules: list[CompiledRule], firewall: Firewall) -> list[CompiledRule]:
    """The rules one firewall must carry (a flow crossing both needs both to allow it)."""
    return [rule for rule in rules if firewall in rule.firewalls]
