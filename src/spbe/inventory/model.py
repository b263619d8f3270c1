"""Typed model of everything in `inventories/`.

Field-level checks (types, enums, id syntax, CIDR syntax) live here; cross-entry checks
(duplicates, references, capacity, overlaps) live in `semantics.py` so that all of them
are reported in one run.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# ASCII only: ids become hostnames, file names, OpenStack names and nftables set names.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
ZoneName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")]


def _valid_ports(ports: list[int]) -> list[int]:
    for port in ports:
        if not 1 <= port <= 65535:
            raise ValueError(f"port {port} is outside 1-65535")
    return ports


Ports = Annotated[list[int], AfterValidator(_valid_ports)]


class Strict(BaseModel):
    """Base for inventory models: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def _network(value: object) -> ipaddress.IPv4Network:
    if not isinstance(value, str):
        raise ValueError("must be an IPv4 prefix written as a string, e.g. 10.64.0.0/24")
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid IPv4 prefix ({exc})") from None


class UplinkKind(StrEnum):
    METRO_FIBER = "metro_fiber"
    INTERNET_BROADBAND = "internet_broadband"
    BACKHAUL = "backhaul"


class Tier(StrEnum):
    IAAS = "iaas"
    PAAS = "paas"
    SAAS = "saas"


class Classification(StrEnum):
    """Data classification used for confidentiality controls (Pasal 29(5))."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"


class DatacenterRole(StrEnum):
    PRIMARY = "primary"
    DRC = "drc"


# --- network.yaml -------------------------------------------------------------------


class Kecamatan(Strict):
    id: Identifier
    name: str = Field(min_length=1)


class UplinkType(Strict):
    kind: UplinkKind
    description: str = ""
    max_mbps: int = Field(gt=0, description="largest per-site bandwidth this uplink carries")


class Category(Strict):
    id: Identifier
    label: str = Field(min_length=1)
    counts_as_spot: bool = True
    expected_count: int | None = Field(default=None, ge=0)
    default_uplink: Identifier
    default_platform: str = "mikrotik_routeros"
    lan_prefix_length: int = Field(default=24, ge=8, le=30)


class Backhaul(Strict):
    site: Identifier
    capacity_mbps: int = Field(gt=0)
    max_oversubscription: float = Field(gt=0)


class Supernets(Strict):
    management: ipaddress.IPv4Network
    wan: ipaddress.IPv4Network
    lan: ipaddress.IPv4Network

    _check = field_validator("management", "wan", "lan", mode="before")(_network)


class NetworkFile(Strict):
    organisation: str = Field(min_length=1)
    domain: str = Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
    backhaul: Backhaul
    supernets: Supernets
    kecamatan: list[Kecamatan] = Field(min_length=1)
    uplinks: dict[Identifier, UplinkType] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)


# --- sites/*.yaml ---------------------------------------------------------------------


class Bandwidth(Strict):
    mbps_2021: int | None = Field(default=None, ge=0)
    mbps_2022: int = Field(description="contracted bandwidth in 2022, shaped on the CPE")


class Device(Strict):
    hostname: Identifier
    platform: str
    role: Literal["cpe", "core", "distribution", "edge"] = "cpe"


class Site(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    category: Identifier
    kecamatan: Identifier | None = None
    bandwidth: Bandwidth
    uplink: Identifier | None = Field(default=None, description="defaults to the category's")
    devices: list[Device] | None = Field(
        default=None, description="defaults to one CPE named after the site"
    )
    lan_prefix: ipaddress.IPv4Network | None = Field(
        default=None, description="manually pinned LAN prefix; IPAM never moves it"
    )
    source: str = Field(default="", description="where the entry comes from in the seed")

    _check = field_validator("lan_prefix", mode="before")(
        lambda v: None if v is None else _network(v)
    )


class SitesFile(Strict):
    sites: list[Site] = Field(min_length=1)


# --- datacenter.yaml ------------------------------------------------------------------


class Datacenter(Strict):
    id: Identifier
    site: Identifier
    role: DatacenterRole
    supernet: ipaddress.IPv4Network
    external_prefix: ipaddress.IPv4Network = Field(
        description="provider (public) network of the edge router"
    )

    _check = field_validator("supernet", "external_prefix", mode="before")(_network)


class Zone(Strict):
    id: ZoneName
    description: str = ""
    prefix_length: int = Field(
        default=24,
        ge=16,
        le=26,
        description="/26 at most: gateways, load-balancer VIPs from .10 and DHCP from .32",
    )
    behind: Literal["external_firewall", "internal_firewall"]
    replicated: bool = Field(default=False, description="carried over the DC-DRC VPN")


class Quota(Strict):
    instances: int = Field(ge=0)
    cores: int = Field(ge=0)
    ram_mb: int = Field(ge=0)
    volumes: int = Field(ge=0)
    gigabytes: int = Field(ge=0)
    networks: int = Field(ge=0)
    ports: int = Field(ge=0)


class Tenant(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    site: Identifier = Field(description="the OPD's branch site")
    tier: Tier
    classification: Classification
    zone: ZoneName = Field(description="zone the tenant's servers live in")


class Service(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    fqdn: str = Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
    zone: ZoneName
    tier: Tier
    classification: Classification
    ports: Ports = Field(min_length=1)
    stateful: bool = False


class DatacenterFile(Strict):
    datacenters: list[Datacenter] = Field(min_length=1)
    zones: list[Zone] = Field(min_length=1)
    quotas: dict[Tier, Quota]
    tenants: list[Tenant] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)


# --- policy.yaml ----------------------------------------------------------------------

Protocol = Literal["tcp", "udp", "icmp"]


class PortService(Strict):
    protocol: Protocol
    ports: Ports = Field(default_factory=list)


class Rule(Strict):
    id: Identifier
    source: ZoneName
    destination: ZoneName
    services: list[Identifier] = Field(min_length=1)
    action: Literal["allow", "deny"]
    description: str = ""


class PolicyFile(Strict):
    default_action: Literal["deny"] = Field(
        description="the zone policy is default-deny; anything else is refused"
    )
    services: dict[Identifier, PortService] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)


# Zones that exist outside the data centers and may appear in the policy.
PSEUDO_ZONES = {
    "internet": "anything outside the city network",
    "branch": "every branch site LAN",
}
