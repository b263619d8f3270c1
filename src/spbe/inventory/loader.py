"""Load `inventories/` into typed models, collecting every problem on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from spbe.errors import InputError, Problem
from spbe.inventory.model import (
    Category,
    DatacenterFile,
    Device,
    NetworkFile,
    PolicyFile,
    Site,
    UplinkType,
)
from spbe.inventory.yamlfile import YamlDocument, read_yaml

NETWORK_FILE = "network.yaml"
DATACENTER_FILE = "datacenter.yaml"
POLICY_FILE = "policy.yaml"
SITES_DIR = "sites"
LOCK_FILE = "ipam.lock.yaml"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Location:
    """Where an entry is written, for error messages."""

    file: str
    entry: str
    doc: YamlDocument | None = field(default=None, compare=False, repr=False)
    path: tuple[str | int, ...] = ()

    @property
    def line(self) -> int | None:
        # Looked up only when a message needs it: indexing lines costs time on big input.
        return self.doc.line(self.path) if self.doc is not None else None


@dataclass
class Inventory:
    """The whole source of truth, typed. Built only from input that passed the schema."""

    root: Path
    network: NetworkFile
    sites: list[Site]
    datacenter: DatacenterFile
    policy: PolicyFile
    locations: dict[str, Location] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.categories: dict[str, Category] = {c.id: c for c in self.network.categories}
        self.site_by_id: dict[str, Site] = {s.id: s for s in self.sites}

    def category(self, site: Site) -> Category:
        return self.categories[site.category]

    def uplink_id(self, site: Site) -> str:
        return site.uplink or self.category(site).default_uplink

    def uplink(self, site: Site) -> UplinkType:
        return self.network.uplinks[self.uplink_id(site)]

    def devices(self, site: Site) -> list[Device]:
        if site.devices is not None:
            return site.devices
        return [Device(hostname=site.id, platform=self.category(site).default_platform)]

    def spots(self) -> list[Site]:
        """Connected spots as counted by Tabel 4.1 (excludes the DC and DRC).

        Sites of an unknown category are left out: validation reports them, and `load()`
        never hands such an inventory to anyone else."""
        return [
            s
            for s in self.sites
            if s.category in self.categories and self.categories[s.category].counts_as_spot
        ]

    def branch_sites(self) -> list[Site]:
        """Spots other than the backhaul/NOC site: the routers that hang off the NOC."""
        return [s for s in self.spots() if s.id != self.network.backhaul.site]

    def where(self, key: str) -> Location:
        return self.locations.get(key, Location("?", key))


def _validate(
    doc: YamlDocument, model: type[M], data: Any, prefix: tuple[str | int, ...] = ()
) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = (*prefix, *err["loc"])
            entry, field_name = doc.entry(loc)
            problems.append(Problem(doc.file, doc.line(loc), entry, field_name, _reason(err)))
        return None, problems


def _reason(err: Any) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return "unknown field (typo?); allowed fields are listed in docs/inventory.md"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        value = err.get("input")
        return (
            f"{value!r} is not a valid identifier: use lowercase ASCII letters, digits and "
            "inner hyphens (no spaces, no unicode)"
            if isinstance(value, str)
            else msg
        )
    return str(msg).removeprefix("Value error, ")


def _load_sites(root: Path) -> tuple[list[Site], dict[str, Location], list[Problem]]:
    sites: list[Site] = []
    locations: dict[str, Location] = {}
    problems: list[Problem] = []
    sites_dir = root / SITES_DIR
    files = sorted(sites_dir.glob("*.yaml")) if sites_dir.is_dir() else []
    if not files:
        display = str(sites_dir)
        return [], {}, [Problem(display, None, "(directory)", "", "no site files (*.yaml) found")]
    for path in files:
        display = str(path)
        doc, found = read_yaml(path, display)
        problems += found
        if doc is None:
            continue
        entries = doc.data.get("sites")
        unknown = sorted(set(doc.data) - {"sites"})
        for key in unknown:
            problems.append(Problem(display, doc.line((key,)), key, "", "unknown top-level key"))
        if not isinstance(entries, list) or not entries:
            problems.append(
                Problem(display, doc.line(("sites",)), "sites", "", "must be a non-empty list")
            )
            continue
        for index, raw in enumerate(entries):
            site, found = _validate(doc, Site, raw, ("sites", index))
            problems += found
            if site is not None:
                sites.append(site)
                key = f"site:{site.id}"
                entry = f"sites[{index}] (id={site.id})"
                location = Location(display, entry, doc, ("sites", index))
                # the first definition wins; duplicates are reported by the semantic checks
                locations.setdefault(key, location)
                locations[f"{key}#{len(sites) - 1}"] = location
    return sites, locations, problems


def _index_entries(
    doc: YamlDocument, key: str, items: list[Any], kind: str, locations: dict[str, Location]
) -> None:
    for index, item in enumerate(items):
        ident = getattr(item, "id", None)
        entry = f"{key}[{index}] (id={ident})"
        location = Location(doc.file, entry, doc, (key, index))
        locations.setdefault(f"{kind}:{ident}", location)
        locations[f"{kind}:{ident}#{index}"] = location


def load_inventory(root: Path) -> tuple[Inventory, list[Problem]]:
    """Schema-check every file. Returns what parsed and the problems found so far; raises
    InputError only when a whole file needed by everything else is unusable."""
    if not root.is_dir():
        raise InputError([Problem(str(root), None, "(directory)", "", "inventory not found")])
    problems: list[Problem] = []
    locations: dict[str, Location] = {}
    parsed: dict[str, Any] = {}
    docs: dict[str, YamlDocument] = {}
    for name, model in (
        (NETWORK_FILE, NetworkFile),
        (DATACENTER_FILE, DatacenterFile),
        (POLICY_FILE, PolicyFile),
    ):
        doc, found = read_yaml(root / name, str(root / name))
        problems += found
        if doc is not None:
            docs[name] = doc
            parsed[name], found = _validate(doc, model, doc.data)
            problems += found
    sites, site_locations, found = _load_sites(root)
    problems += found
    locations.update(site_locations)

    network, datacenter, policy = (
        parsed.get(NETWORK_FILE),
        parsed.get(DATACENTER_FILE),
        parsed.get(POLICY_FILE),
    )
    if network is not None:
        doc = docs[NETWORK_FILE]
        _index_entries(doc, "categories", network.categories, "category", locations)
        _index_entries(doc, "kecamatan", network.kecamatan, "kecamatan", locations)
        for key in ("backhaul", "supernets", "uplinks"):
            locations[key] = Location(doc.file, key, doc, (key,))
    if datacenter is not None:
        doc = docs[DATACENTER_FILE]
        for key, kind in (
            ("datacenters", "datacenter"),
            ("zones", "zone"),
            ("tenants", "tenant"),
            ("services", "service"),
        ):
            _index_entries(doc, key, getattr(datacenter, key), kind, locations)
    if policy is not None:
        doc = docs[POLICY_FILE]
        _index_entries(doc, "rules", policy.rules, "rule", locations)
        locations["policy:services"] = Location(doc.file, "services", doc, ("services",))

    if network is None or datacenter is None or policy is None:
        raise InputError(problems)
    return Inventory(root, network, sites, datacenter, policy, locations), problems
