"""CrossGuard policies of the Padang DC/DRC stacks.

Shared by the real pack (`__main__.py`, run by `pulumi preview --policy-pack`) and by the
offline plan (`spbe plan`), which calls these same functions through pulumi_policy's public
argument classes. Keep this module free of side effects: constructing `PolicyPack` starts a
gRPC server and blocks, so only `__main__.py` may do it.

Props arrive in the engine's wire form: camelCase keys, numbers as floats, secrets already
unwrapped. Resources are matched by type token; zones by the `zone:<id>` tags the program
puts on networks, subnets and security groups.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

FIREWALL_RULE = "openstack:firewall/ruleV2:RuleV2"
SECURITY_GROUP_RULE = "openstack:networking/secGroupRule:SecGroupRule"
LISTENER = "openstack:loadbalancer/listener:Listener"
SUBNET = "openstack:networking/subnet:Subnet"
NETWORK = "openstack:networking/network:Network"
INSTANCE = "openstack:compute/instance:Instance"
IKE_POLICY = "openstack:vpnaas/ikePolicy:IkePolicy"
IPSEC_POLICY = "openstack:vpnaas/ipSecPolicy:IpSecPolicy"
VOLUME = "openstack:blockstorage/volume:Volume"
VOLUME_ATTACH = "openstack:compute/volumeAttach:VolumeAttach"
STACK_REFERENCE = "pulumi:pulumi:StackReference"

WORLD = {"0.0.0.0/0", "::/0"}
# The floor: only web traffic into the DMZ, and IKE/NAT-T towards the VPN edge.
DEFAULT_PUBLIC_SERVICES = ["tcp/80", "tcp/443"]
DEFAULT_VPN_SERVICES = ["udp/500", "udp/4500"]
TIERS = {"iaas", "paas", "saas"}
CLASSIFICATIONS = {"public", "internal", "confidential", "secret"}
AES_256 = {"aes-256", "aes-256-ctr", "aes-256-ccm-8", "aes-256-ccm-12", "aes-256-ccm-16",
           "aes-256-gcm-8", "aes-256-gcm-12", "aes-256-gcm-16"}
SHA_256_OR_BETTER = {"sha256", "sha384", "sha512"}
DH_GROUP_14_OR_BETTER = {"group14", "group15", "group16", "group17", "group18", "group19",
                         "group20", "group21", "group31"}
# What the OpenStack provider picks when the field is left out: all below the floor.
VPN_DEFAULTS = {"encryptionAlgorithm": "aes-128", "authAlgorithm": "sha1", "pfs": "group5"}


def _tags(resource: PolicyResource | None) -> set[str]:
    if resource is None:
        return set()
    return {str(tag) for tag in resource.props.get("tags") or []}


def _dependency(resource: PolicyResource, prop: str) -> PolicyResource | None:
    found = resource.property_dependencies.get(prop) or []
    return found[0] if found else None


def _port_range(props: Mapping[str, Any], low: str, high: str) -> tuple[int, int]:
    start = int(props.get(low) or 0) or 1
    end = int(props.get(high) or 0) or 65535
    return start, end


def _fwaas_ports(value: Any) -> tuple[int, int]:
    if value in (None, ""):
        return 1, 65535
    start, _, end = str(value).partition(":")
    return int(start), int(end or start)


def _services(entries: Iterable[str]) -> set[tuple[str, int]]:
    found = set()
    for entry in entries:
        protocol, _, port = entry.partition("/")
        found.add((protocol, int(port)))
    return found


def _allowed(protocol: str, ports: tuple[int, int], allowed: set[tuple[str, int]]) -> bool:
    """A single port of an allowed service; ranges and `any` protocol never qualify."""
    return ports[0] == ports[1] and (protocol, ports[0]) in allowed


def _inside(prefix: str | None, networks: list[ipaddress.IPv4Network]) -> bool:
    if not prefix or prefix in WORLD:
        return False
    target = ipaddress.ip_network(prefix, strict=False)
    return any(target.version == n.version and target.subnet_of(n)  # type: ignore[arg-type]
               for n in networks)


def no_world_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    """Traffic from anywhere may reach only public services in the public zone, and the
    VPN's IKE ports. Covers FWaaS rules, security-group rules and Octavia listeners."""
    config = args.get_config()
    zone = str(config.get("public_zone", "dmz"))
    public = _services(config.get("public_services", DEFAULT_PUBLIC_SERVICES))
    vpn = _services(config.get("vpn_services", DEFAULT_VPN_SERVICES))
    public_networks = [ipaddress.ip_network(r.props["cidr"]) for r in args.resources
                       if r.resource_type == SUBNET and f"zone:{zone}" in _tags(r)
                       and r.props.get("cidr")]

    for resource in args.resources:
        props = resource.props
        if resource.resource_type == FIREWALL_RULE:
            if props.get("action") != "allow" or props.get("sourceIpAddress") not in (
                    None, "", *WORLD):
                continue
            protocol = str(props.get("protocol") or "any")
            ports = _fwaas_ports(props.get("destinationPort"))
            if _allowed(protocol, ports, vpn):
                continue
            if not (_allowed(protocol, ports, public)
                    and _inside(props.get("destinationIpAddress"), public_networks)):
                report(f"firewall rule {resource.name} allows {protocol} "
                       f"{props.get('destinationPort') or 'any port'} from anywhere to "
                       f"{props.get('destinationIpAddress') or 'anywhere'}", resource.urn)
        elif resource.resource_type == SECURITY_GROUP_RULE:
            if props.get("direction") != "ingress" or props.get("remoteGroupId"):
                continue
            if props.get("remoteIpPrefix") not in (None, "", *WORLD):
                continue
            protocol = str(props.get("protocol") or "any")
            ports = _port_range(props, "portRangeMin", "portRangeMax")
            group = _dependency(resource, "securityGroupId")
            if not (_allowed(protocol, ports, public) and f"zone:{zone}" in _tags(group)):
                report(f"security group rule {resource.name} opens {protocol} "
                       f"{ports[0]}-{ports[1]} to anywhere", resource.urn)
        elif resource.resource_type == LISTENER:
            cidrs = set(props.get("allowedCidrs") or [])
            if cidrs and not cidrs & WORLD:
                continue
            port = int(props.get("protocolPort") or 0)
            balancer = _dependency(resource, "loadbalancerId")
            subnet = _dependency(balancer, "vipSubnetId") if balancer else None
            if not (("tcp", port) in public and f"zone:{zone}" in _tags(subnet)):
                report(f"listener {resource.name} accepts port {port} from anywhere",
                       resource.urn)


def instance_metadata(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Every instance names its OPD, service tier and data classification (Pasal 29(5))."""
    if args.resource_type != INSTANCE:
        return
    metadata = args.props.get("metadata") or {}
    if not metadata.get("opd"):
        report(f"instance {args.name} has no 'opd' metadata")
    if metadata.get("tier") not in TIERS:
        report(f"instance {args.name}: metadata 'tier' is {metadata.get('tier')!r}, "
               f"expected one of {sorted(TIERS)}")
    if metadata.get("data-classification") not in CLASSIFICATIONS:
        report(f"instance {args.name}: metadata 'data-classification' is "
               f"{metadata.get('data-classification')!r}, expected one of "
               f"{sorted(CLASSIFICATIONS)}")


def vpn_crypto(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """IKE and IPsec: AES-256, SHA-256 or better, Diffie-Hellman group 14 or better."""
    if args.resource_type not in (IKE_POLICY, IPSEC_POLICY):
        return
    for field, allowed, what in (("encryptionAlgorithm", AES_256, "AES-256"),
                                 ("authAlgorithm", SHA_256_OR_BETTER, "SHA-256 or better"),
                                 ("pfs", DH_GROUP_14_OR_BETTER, "DH group 14 or better")):
        value = args.props.get(field) or VPN_DEFAULTS[field]
        if value not in allowed:
            report(f"{args.name}: {field} is {value} (left out means the provider default); "
                   f"needs {what}")


def database_volumes_in_database_zone(args: StackValidationArgs,
                                      report: ReportViolation) -> None:
    """Volumes of a database volume type live in, and attach to instances in, the
    database zone."""
    config = args.get_config()
    zone = str(config.get("database_zone", "db"))
    types = set(config.get("database_volume_types", ["db-ssd"]))
    database_volumes = {r.urn: r for r in args.resources if r.resource_type == VOLUME
                        and r.props.get("volumeType") in types}
    for volume in database_volumes.values():
        declared = (volume.props.get("metadata") or {}).get("zone")
        if declared != zone:
            report(f"database volume {volume.name} is declared in zone {declared!r}, "
                   f"not {zone!r}", volume.urn)
    for attach in args.resources:
        if attach.resource_type != VOLUME_ATTACH:
            continue
        volume = _dependency(attach, "volumeId")
        instance = _dependency(attach, "instanceId")
        if volume is None or volume.urn not in database_volumes or instance is None:
            continue
        networks = instance.property_dependencies.get("networks") or []
        zones = {tag for network in networks for tag in _tags(network)
                 if tag.startswith("zone:")}
        if zones != {f"zone:{zone}"}:
            report(f"database volume {volume.name} is attached to {instance.name} on "
                   f"{sorted(zones) or 'unknown networks'}, outside zone {zone!r}",
                   attach.urn)


def stateful_services_paired(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every stateful service of the primary has a DRC counterpart.

    On the DRC stack, the primary's exported `stateful_services` (read through the
    StackReference) must each have a replica volume (`replica_of`). On the primary, every
    stateful data volume must name the site it replicates to (`replica_site`).
    """
    volumes = [r for r in args.resources if r.resource_type == VOLUME]
    references = [r for r in args.resources if r.resource_type == STACK_REFERENCE]
    if references:
        for reference in references:
            outputs = reference.props.get("outputs") or {}
            replicas = {(v.props.get("metadata") or {}).get("service") for v in volumes
                        if (v.props.get("metadata") or {}).get("replica_of")}
            for service in outputs.get("stateful_services") or []:
                if service not in replicas:
                    report(f"stateful service {service} of {reference.name} has no replica "
                           "volume (metadata replica_of) in this stack", reference.urn)
        return
    for volume in volumes:
        metadata = volume.props.get("metadata") or {}
        if metadata.get("service") and not metadata.get("replica_site"):
            report(f"stateful volume {volume.name} of service {metadata['service']} names no "
                   "replica_site: it has no DRC counterpart", volume.urn)


def _strings(description: str, default: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "default": default,
            "description": description}


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    StackValidationPolicy(
        name="no-world-ingress",
        description="No ingress from 0.0.0.0/0 except public services in the DMZ and the "
                    "VPN's IKE ports.",
        validate=no_world_ingress, enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({
            "public_zone": {"type": "string", "default": "dmz"},
            "public_services": _strings("protocol/port reachable from anywhere in the DMZ",
                                        DEFAULT_PUBLIC_SERVICES),
            "vpn_services": _strings("protocol/port of the VPN edge", DEFAULT_VPN_SERVICES),
        })),
    ResourceValidationPolicy(
        name="instance-metadata",
        description="Every instance carries opd, tier and data-classification metadata.",
        validate=instance_metadata, enforcement_level=EnforcementLevel.MANDATORY),
    ResourceValidationPolicy(
        name="vpn-crypto",
        description="VPN: AES-256, SHA-256 or better, DH group 14 or better.",
        validate=vpn_crypto, enforcement_level=EnforcementLevel.MANDATORY),
    StackValidationPolicy(
        name="database-volumes-in-database-zone",
        description="Database volumes only in the database zone.",
        validate=database_volumes_in_database_zone,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({
            "database_zone": {"type": "string", "default": "db"},
            "database_volume_types": _strings("volume types that hold databases", ["db-ssd"]),
        })),
    StackValidationPolicy(
        name="stateful-services-paired",
        description="Every stateful primary service has a DRC counterpart.",
        validate=stateful_services_paired, enforcement_level=EnforcementLevel.MANDATORY),
]
