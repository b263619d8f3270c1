"""Security zones and the dual firewall (Lampiran II C.2: DMZ between external and internal FW).

Topology of one data center:

    provider network --- edge router ==[external FW]== DMZ --[internal FW]== internal router
                            \\                                                 |  app, db,
                             ==[replication FW]== legs into replicated zones   |  noc_mgmt,
                                                  (VPN traffic only)           |  diskominfo,
                                                                               |  tenant nets

VPNaaS needs the replicated subnets on the VPN's router, so the edge router has a leg in
each replicated internal zone; a third firewall group on those legs lets only the peer
site's replicated prefixes through, and subnet host routes send only peer-bound traffic
there. The zone-to-zone rules come from `spbe.zonepolicy` (the same compiled list as the
lab's nftables); security groups are default-deny and open only what the policy allows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from dcinfra.site import (
    DMZ_ZONE,
    FIRST_DHCP_HOST,
    GATEWAY_HOST,
    SECOND_ROUTER_HOST,
    Site,
    host,
)
from spbe.zonepolicy import CompiledRule, Firewall, decide, rules_for

METADATA_SERVICE = "169.254.169.254/32"


@dataclass(frozen=True)
class Flow:
    """One security-group rule: traffic one zone allows in or out."""

    direction: str  # ingress or egress
    protocol: str
    port: int | None
    remote_prefix: str
    why: str


def _ports(rule: CompiledRule) -> tuple[int | None, ...]:
    return rule.ports or (None,)


def zone_flows(site: Site, zone: str) -> list[Flow]:
    """The allowed flows into and out of `zone`, as decided by the compiled zone policy.

    A flow is allowed only if the first matching rule allows it (`zonepolicy.decide`), so
    a deny rule that precedes an allow is honoured even though security groups cannot deny.
    """
    flows: dict[tuple[str, str, int | None, str], Flow] = {}
    for rule in site.rules:
        if zone not in (rule.source_zone, rule.destination_zone):
            continue
        for port in _ports(rule):
            action, _ = decide(site.rules, rule.source_zone, rule.destination_zone,
                               rule.protocol, port)
            if action != "allow":
                continue
            inbound = rule.destination_zone == zone
            remotes = rule.source_prefixes if inbound else rule.destination_prefixes
            direction = "ingress" if inbound else "egress"
            for prefix in remotes:
                key = (direction, rule.protocol, port, str(prefix))
                flows.setdefault(key, Flow(direction, rule.protocol, port, str(prefix),
                                           rule.rule_id))
    # Octavia amphorae and health monitors sit in the VIP's subnet: members must accept
    # them on the service ports.
    own = str(site.zone_prefix(zone))
    for service in site.services:
        if service.zone == zone:
            for port in service.ports:
                flows.setdefault(("ingress", "tcp", port, own),
                                 Flow("ingress", "tcp", port, own, f"lb-{service.id}"))
    flows.setdefault(("egress", "tcp", 80, METADATA_SERVICE),
                     Flow("egress", "tcp", 80, METADATA_SERVICE, "instance-metadata"))
    return sorted(flows.values(), key=lambda f: (f.direction, f.protocol, f.port or 0,
                                                  f.remote_prefix))


def security_group(name: str, resource_name: str, site: Site, zone: str, description: str,
                   parent: pulumi.Resource, tenant_id: pulumi.Input[str] | None = None,
                   ) -> openstack.networking.SecGroup:
    """A default-deny security group that opens exactly the zone policy's flows."""
    opts = pulumi.ResourceOptions(parent=parent)
    group = openstack.networking.SecGroup(
        resource_name, name=name, description=description, delete_default_rules=True,
        tenant_id=tenant_id, tags=[f"zone:{zone}", f"site:{site.id}"], opts=opts)
    for index, flow in enumerate(zone_flows(site, zone)):
        openstack.networking.SecGroupRule(
            f"{resource_name}-{flow.direction}-{index:03d}",
            security_group_id=group.id, direction=flow.direction, ethertype="IPv4",
            protocol=flow.protocol, port_range_min=flow.port, port_range_max=flow.port,
            remote_ip_prefix=flow.remote_prefix, tenant_id=tenant_id,
            description=f"zone policy {flow.why}",
            opts=pulumi.ResourceOptions(parent=group))
    return group


@dataclass(frozen=True)
class FirewallRuleSpec:
    name: str
    action: str
    protocol: str
    source: str
    destination: str
    port: int | None
    description: str


def expand(rules: Iterable[CompiledRule], label: str) -> list[FirewallRuleSpec]:
    """FWaaS rules hold one source, one destination and one port: expand the product."""
    specs = []
    for rule in rules:
        count = 0
        for source in rule.source_prefixes:
            for destination in rule.destination_prefixes:
                for port in _ports(rule):
                    specs.append(FirewallRuleSpec(
                        f"{label}-{rule.rule_id}-{rule.service}-{count}",
                        "allow" if rule.action == "allow" else "deny",
                        rule.protocol, str(source), str(destination), port,
                        f"{rule.source_zone}->{rule.destination_zone} {rule.service} "
                        f"({rule.rule_id})"))
                    count += 1
    return specs


def replication_specs(site: Site, label: str) -> list[FirewallRuleSpec]:
    """Between the two sites' replicated zones, over the VPN, in both directions."""
    specs = []
    local, peer = site.replicated_prefixes(), site.replicated_prefixes(site.peer.id)
    for index, (source, destination) in enumerate(
        [(p, lo) for p in peer for lo in local] + [(lo, p) for lo in local for p in peer]
    ):
        specs.append(FirewallRuleSpec(f"{label}-replication-{index}", "allow", "any", source,
                                      destination, None, "DC-DRC replication over the VPN"))
    return specs


class FirewallPosition(pulumi.ComponentResource):
    """One FWaaS v2 firewall group with its ordered policy (first match wins, then deny)."""

    def __init__(self, name: str, specs: list[FirewallRuleSpec],
                 ports: list[pulumi.Input[str]], opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:FirewallPosition", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        deny_all = FirewallRuleSpec(f"{name}-default-deny", "deny", "any", "0.0.0.0/0",
                                    "0.0.0.0/0", None, "default deny (policy.yaml)")
        rules = [
            openstack.firewall.RuleV2(
                spec.name, name=spec.name, action=spec.action, protocol=spec.protocol,
                source_ip_address=spec.source, destination_ip_address=spec.destination,
                destination_port=None if spec.port is None else str(spec.port),
                ip_version=4, description=spec.description, opts=child)
            for spec in [*specs, deny_all]
        ]
        policy = openstack.firewall.PolicyV2(
            f"{name}-policy", name=name, audited=True, rules=[rule.id for rule in rules],
            description=f"{len(specs)} rules from the zone policy", opts=child)
        # Rules carry explicit source and destination prefixes, so one policy serves both
        # directions of the ports.
        self.group = openstack.firewall.GroupV2(
            f"{name}-group", name=name, ingress_firewall_policy_id=policy.id,
            egress_firewall_policy_id=policy.id, ports=ports, opts=child)
        self.rule_count = len(rules)
        self.register_outputs({"group_id": self.group.id})


class Zones(pulumi.ComponentResource):
    """Provider uplink, edge and internal routers, zone networks and both firewalls."""

    def __init__(self, name: str, site: Site, opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:Zones", name, None, opts)
        self.site = site
        child = pulumi.ResourceOptions(parent=self)
        dc = site.id
        external = openstack.networking.get_network_output(
            name=site.settings.external_network, opts=pulumi.InvokeOptions(parent=self))
        self.external_network_name = site.settings.external_network
        self.edge_router = openstack.networking.Router(
            f"{dc}-edge-router", name=f"{dc}-edge", external_network_id=external.id,
            external_fixed_ips=[openstack.networking.RouterExternalFixedIpArgs(
                ip_address=site.edge_gateway_ip())],
            tags=[f"site:{dc}", "role:edge"], opts=child)
        self.internal_router = openstack.networking.Router(
            f"{dc}-internal-router", name=f"{dc}-internal",
            tags=[f"site:{dc}", "role:internal"], opts=child)

        self.networks: dict[str, openstack.networking.Network] = {}
        self.subnets: dict[str, openstack.networking.Subnet] = {}
        self.security_groups: dict[str, openstack.networking.SecGroup] = {}
        self.internal_ports: list[pulumi.Output[str]] = []
        self.edge_dmz_ports: list[pulumi.Output[str]] = []
        self.replication_ports: list[pulumi.Output[str]] = []
        self.replication_interfaces: list[openstack.networking.RouterInterface] = []
        supernet = str(site.datacenter.supernet)

        for zone in site.zones:
            prefix = site.zone_prefix(zone.id)
            is_dmz = zone.id == DMZ_ZONE
            leg = zone.replicated and not is_dmz
            routes = []
            if is_dmz:  # DMZ servers reach the internal zones through the internal FW
                routes.append((supernet, host(prefix, SECOND_ROUTER_HOST)))
            elif leg:  # peer-bound replication leaves through the edge router's leg
                routes.append((str(site.peer.supernet), host(prefix, SECOND_ROUTER_HOST)))
            network, subnet = self._network(f"{dc}-{zone.id}", zone.id, prefix, routes)
            self.networks[zone.id], self.subnets[zone.id] = network, subnet
            gateway_router = self.edge_router if is_dmz else self.internal_router
            gateway_port, _ = self._interface(f"{dc}-{zone.id}-gateway", gateway_router,
                                              network, subnet, host(prefix, GATEWAY_HOST))
            (self.edge_dmz_ports if is_dmz else self.internal_ports).append(gateway_port.id)
            if is_dmz:
                uplink, _ = self._interface(f"{dc}-internal-uplink", self.internal_router,
                                            network, subnet, host(prefix, SECOND_ROUTER_HOST))
                self.internal_ports.append(uplink.id)
            elif leg:
                port, interface = self._interface(
                    f"{dc}-{zone.id}-replication-leg", self.edge_router, network, subnet,
                    host(prefix, SECOND_ROUTER_HOST))
                self.replication_ports.append(port.id)
                self.replication_interfaces.append(interface)
            self.security_groups[zone.id] = security_group(
                f"{dc}-zone-{zone.id}", f"{dc}-zone-{zone.id}-sg", site, zone.id,
                f"default deny; zone policy flows of {zone.id}", self)

        dmz_uplink = host(site.zone_prefix(DMZ_ZONE), SECOND_ROUTER_HOST)
        dmz_gateway = host(site.zone_prefix(DMZ_ZONE), GATEWAY_HOST)
        # Tenant networks and non-replicated zones sit behind the internal router.
        openstack.networking.RouterRoute(
            f"{dc}-edge-route-internal", router_id=self.edge_router.id,
            destination_cidr=supernet, next_hop=dmz_uplink, opts=child)
        openstack.networking.RouterRoute(
            f"{dc}-internal-route-default", router_id=self.internal_router.id,
            destination_cidr="0.0.0.0/0", next_hop=dmz_gateway, opts=child)

        self.register_outputs({
            "edge_router_id": self.edge_router.id,
            "internal_router_id": self.internal_router.id,
        })

    def _network(self, name: str, zone: str, prefix: ipaddress.IPv4Network,
                 routes: list[tuple[str, str]], tenant_id: pulumi.Input[str] | None = None,
                 ) -> tuple[openstack.networking.Network, openstack.networking.Subnet]:
        tags = [f"zone:{zone}", f"site:{self.site.id}"]
        network = openstack.networking.Network(
            f"{name}-net", name=name, tenant_id=tenant_id, tags=tags,
            opts=pulumi.ResourceOptions(parent=self))
        subnet = openstack.networking.Subnet(
            f"{name}-subnet", name=name, network_id=network.id, cidr=str(prefix), ip_version=4,
            gateway_ip=host(prefix, GATEWAY_HOST), tenant_id=tenant_id, tags=tags,
            allocation_pools=[openstack.networking.SubnetAllocationPoolArgs(
                start=host(prefix, FIRST_DHCP_HOST), end=host(prefix, prefix.num_addresses - 2))],
            opts=pulumi.ResourceOptions(parent=network))
        for index, (destination, next_hop) in enumerate(routes):
            openstack.networking.SubnetRoute(
                f"{name}-route-{index}", subnet_id=subnet.id, destination_cidr=destination,
                next_hop=next_hop, opts=pulumi.ResourceOptions(parent=subnet))
        return network, subnet

    def _interface(self, name: str, router: openstack.networking.Router,
                   network: openstack.networking.Network, subnet: openstack.networking.Subnet,
                   address: str,
                   ) -> tuple[openstack.networking.Port, openstack.networking.RouterInterface]:
        # An explicit port, so the firewall group can name it.
        port = openstack.networking.Port(
            f"{name}-port", name=name, network_id=network.id,
            fixed_ips=[openstack.networking.PortFixedIpArgs(subnet_id=subnet.id,
                                                            ip_address=address)],
            opts=pulumi.ResourceOptions(parent=self))
        interface = openstack.networking.RouterInterface(
            f"{name}-interface", router_id=router.id, port_id=port.id,
            opts=pulumi.ResourceOptions(parent=port))
        return port, interface

    def attach_tenant_network(
        self, name: str, zone: str, prefix: ipaddress.IPv4Network,
        tenant_id: pulumi.Input[str], parent: pulumi.Resource,
    ) -> tuple[openstack.networking.Network, openstack.networking.Subnet]:
        """A tenant's own network behind the internal router (and its firewall)."""
        network = openstack.networking.Network(
            f"{name}-net", name=name, tenant_id=tenant_id,
            tags=[f"zone:{zone}", f"site:{self.site.id}", f"tenant:{name}"],
            opts=pulumi.ResourceOptions(parent=parent))
        subnet = openstack.networking.Subnet(
            f"{name}-subnet", name=name, network_id=network.id, cidr=str(prefix), ip_version=4,
            gateway_ip=host(prefix, GATEWAY_HOST), tenant_id=tenant_id,
            tags=[f"zone:{zone}", f"site:{self.site.id}"],
            opts=pulumi.ResourceOptions(parent=network))
        port = openstack.networking.Port(
            f"{name}-gateway-port", name=f"{name}-gateway", network_id=network.id,
            fixed_ips=[openstack.networking.PortFixedIpArgs(
                subnet_id=subnet.id, ip_address=host(prefix, GATEWAY_HOST))],
            opts=pulumi.ResourceOptions(parent=parent))
        openstack.networking.RouterInterface(
            f"{name}-gateway-interface", router_id=self.internal_router.id, port_id=port.id,
            opts=pulumi.ResourceOptions(parent=port))
        self.internal_ports.append(port.id)
        return network, subnet


class DualFirewall(pulumi.ComponentResource):
    """The external and internal firewall positions, plus the replication legs' firewall.

    Built after every network is attached, so each group covers all of its router ports.
    """

    def __init__(self, name: str, site: Site, zones: Zones,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:DualFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        dc = site.id
        self.external = FirewallPosition(
            f"{dc}-external-fw", expand(rules_for(site.rules, Firewall.EXTERNAL),
                                        f"{dc}-external"), list(zones.edge_dmz_ports), child)
        self.internal = FirewallPosition(
            f"{dc}-internal-fw", expand(rules_for(site.rules, Firewall.INTERNAL),
                                        f"{dc}-internal"), list(zones.internal_ports), child)
        self.replication = FirewallPosition(
            f"{dc}-replication-fw", replication_specs(site, f"{dc}-replication"),
            list(zones.replication_ports), child)
        self.register_outputs({"external_group_id": self.external.group.id,
                               "internal_group_id": self.internal.group.id})
