"""Deterministic IP address plan with a committed lock file.

Every prefix handed out is recorded in `inventories/ipam.lock.yaml`. A recorded prefix is
never moved: adding, removing or reordering sites only allocates for the newcomers, in
the lowest free aligned block of the pool. Pinned prefixes (a site's `lan_prefix`, set by
hand) always win; a pin that collides with another owner's prefix is an error, never a
silent renumbering.

Pools and owners:
  loopback  one /32 per device from `supernets.management`  (key: hostname)
  wan       one /31 per branch site from `supernets.wan`      (key: site id); the metro
            point-to-point link, or the tunnel for internet-broadband sites
  lan       one block per site from `supernets.lan`, sized by its category (key: site id)
  zone      one block per (data center, zone) from the DC's supernet (key: dc/zone)
  tenant    one /24 per (data center, tenant) from the DC's supernet (key: dc/tenant)
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from spbe.errors import Problem
from spbe.inventory.loader import LOCK_FILE, Inventory, Location
from spbe.inventory.yamlfile import read_text

POOLS = ("loopback", "wan", "lan", "zone", "tenant")
TENANT_PREFIX_LENGTH = 24
LOCK_HEADER = (
    "# IP address plan lock: written by `spbe ipam --update-lock`, committed to git.\n"
    "# Recorded prefixes are never moved. Edit only to release a prefix on purpose.\n"
)


@dataclass(frozen=True)
class Request:
    """Something that needs a prefix."""

    pool: str
    owner: str
    supernet: ipaddress.IPv4Network
    prefix_length: int
    pinned: ipaddress.IPv4Network | None
    location: Location

    @property
    def key(self) -> tuple[str, str]:
        return (self.pool, self.owner)


@dataclass(frozen=True)
class Allocation:
    pool: str
    owner: str
    prefix: ipaddress.IPv4Network
    origin: str  # "locked", "pinned" or "new"


@dataclass
class Plan:
    allocations: dict[tuple[str, str], Allocation] = field(default_factory=dict)
    released: list[tuple[str, str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def prefix(self, pool: str, owner: str) -> ipaddress.IPv4Network:
        return self.allocations[(pool, owner)].prefix

    def get(self, pool: str, owner: str) -> ipaddress.IPv4Network | None:
        found = self.allocations.get((pool, owner))
        return found.prefix if found else None

    @property
    def changed(self) -> bool:
        return bool(self.released) or any(a.origin == "new" for a in self.allocations.values())

    def lock_data(self) -> dict[str, dict[str, str]]:
        data: dict[str, dict[str, str]] = {pool: {} for pool in POOLS}
        for alloc in sorted(self.allocations.values(), key=lambda a: (a.pool, a.owner)):
            data[alloc.pool][alloc.owner] = str(alloc.prefix)
        return {pool: owners for pool, owners in data.items() if owners}


def requests(inventory: Inventory) -> list[Request]:
    """Everything in the inventory that needs an address block."""
    supernets = inventory.network.supernets
    found: list[Request] = []
    branch_ids = {s.id for s in inventory.branch_sites()}
    for site in inventory.sites:
        where = inventory.where(f"site:{site.id}")
        for device in inventory.devices(site):
            found.append(
                Request("loopback", device.hostname, supernets.management, 32, None, where)
            )
        if site.id in branch_ids:
            found.append(Request("wan", site.id, supernets.wan, 31, None, where))
        length = inventory.category(site).lan_prefix_length
        found.append(Request("lan", site.id, supernets.lan, length, site.lan_prefix, where))
    dc = inventory.datacenter
    for center in dc.datacenters:
        where = inventory.where(f"datacenter:{center.id}")
        for zone in dc.zones:
            owner = f"{center.id}/{zone.id}"
            found.append(Request("zone", owner, center.supernet, zone.prefix_length, None, where))
        for tenant in dc.tenants:
            owner = f"{center.id}/{tenant.id}"
            found.append(
                Request("tenant", owner, center.supernet, TENANT_PREFIX_LENGTH, None, where)
            )
    return found


def read_lock(root: Path) -> tuple[dict[tuple[str, str], ipaddress.IPv4Network], list[Problem]]:
    """Read the lock file; a missing lock is an empty plan, a broken one is an error."""
    path = root / LOCK_FILE
    display = str(path)
    if not path.exists():
        return {}, []
    text, unreadable = read_text(path, display)
    if text is None:
        return {}, unreadable
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
    except yaml.YAMLError as exc:
        return {}, [Problem(display, None, "(file)", "", f"malformed YAML: {exc}")]
    if not isinstance(data, dict):
        return {}, [Problem(display, 1, "(top level)", "", "must be a mapping of pools")]
    locked: dict[tuple[str, str], ipaddress.IPv4Network] = {}
    problems = []
    for pool, owners in data.items():
        if pool not in POOLS or not isinstance(owners, dict):
            reason = f"unknown pool; expected one of {', '.join(POOLS)} mapping owner to prefix"
            problems.append(Problem(display, None, str(pool), "", reason))
            continue
        for owner, prefix in owners.items():
            try:
                locked[(pool, str(owner))] = ipaddress.IPv4Network(str(prefix), strict=True)
            except ValueError as exc:
                problems.append(Problem(display, None, f"{pool}.{owner}", "prefix", str(exc)))
    return locked, problems


def _bounds(net: ipaddress.IPv4Network) -> tuple[int, int]:
    first = int(net.network_address)
    return first, first + (1 << (32 - net.prefixlen)) - 1


class _Space:
    """Used address ranges of one supernet, as sorted disjoint integer intervals."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []  # inclusive
        self.owners: list[str] = []

    def overlapping(self, net: ipaddress.IPv4Network) -> str | None:
        first, last = _bounds(net)
        index = bisect.bisect_right(self.starts, last) - 1
        if index >= 0 and self.ends[index] >= first:
            return self.owners[index]
        return None

    def add(self, net: ipaddress.IPv4Network, owner: str) -> None:
        first, last = _bounds(net)
        index = bisect.bisect_left(self.starts, first)
        self.starts.insert(index, first)
        self.ends.insert(index, last)
        self.owners.insert(index, owner)

    def first_free(
        self, supernet: ipaddress.IPv4Network, length: int, start: int
    ) -> ipaddress.IPv4Network | None:
        """Lowest aligned free block of `length` at or after integer address `start`."""
        size = 1 << (32 - length)
        candidate = max(start, int(supernet.network_address))
        candidate = (candidate + size - 1) // size * size
        top = _bounds(supernet)[1]
        index = max(bisect.bisect_right(self.starts, candidate) - 1, 0)
        while candidate + size - 1 <= top:
            # skip past every used range that overlaps [candidate, candidate+size)
            while index < len(self.starts) and self.ends[index] < candidate:
                index += 1
            if index < len(self.starts) and self.starts[index] <= candidate + size - 1:
                candidate = (self.ends[index] + 1 + size - 1) // size * size
                continue
            return ipaddress.IPv4Network((candidate, length))
        return None


def _within(prefix: ipaddress.IPv4Network, supernet: ipaddress.IPv4Network) -> bool:
    # Integer test: `subnet_of` costs ten times more and this runs once per allocation.
    return prefix.prefixlen >= supernet.prefixlen and int(prefix.network_address) & int(
        supernet.netmask
    ) == int(supernet.network_address)


def plan(inventory: Inventory) -> Plan:
    """Compute the address plan from the inventory and the committed lock."""
    locked, lock_problems = read_lock(inventory.root)
    result = Plan(problems=list(lock_problems))
    wanted = requests(inventory)
    wanted_keys = {r.key for r in wanted}
    spaces: dict[ipaddress.IPv4Network, _Space] = {}

    def space(req: Request) -> _Space:
        found = spaces.get(req.supernet)
        if found is None:
            found = spaces[req.supernet] = _Space()
        return found

    def problem(req: Request, reason: str, field: str = "") -> None:
        where = req.location
        result.problems.append(
            Problem(where.file, where.line, where.entry, field or f"ipam.{req.pool}", reason)
        )

    def take(req: Request, prefix: ipaddress.IPv4Network, origin: str) -> bool:
        if not _within(prefix, req.supernet):
            problem(req, f"{prefix} is outside the {req.pool} supernet {req.supernet}")
            return False
        used = space(req)
        holder = used.overlapping(prefix)
        if holder is not None:
            problem(req, f"{prefix} ({origin}) collides with the prefix held by {holder}")
            return False
        used.add(prefix, f"{req.pool} {req.owner}")
        result.allocations[req.key] = Allocation(req.pool, req.owner, prefix, origin)
        return True

    # 1. Pins first: they are the operator's explicit decision, but they never take a
    #    prefix that the lock already gave to someone else.
    for req in wanted:
        if req.pinned is None:
            continue
        if req.pinned.prefixlen != req.prefix_length:
            problem(
                req,
                f"pinned {req.pinned} must be a /{req.prefix_length} as its category declares",
                field="lan_prefix",
            )
            continue
        holders = [
            f"{prefix} locked for {pool} {owner}"
            for (pool, owner), prefix in locked.items()
            if (pool, owner) != req.key
            and (pool, owner) in wanted_keys
            and prefix.overlaps(req.pinned)
        ]
        if holders:
            problem(
                req, f"pinned {req.pinned} collides with {', '.join(holders)}", field="lan_prefix"
            )
            continue
        take(req, req.pinned, "pinned")
    # 2. Locked prefixes of owners that still exist, unless resized.
    for req in wanted:
        if req.key in result.allocations or req.pinned is not None:
            continue
        prefix = locked.get(req.key)
        if prefix is not None and prefix.prefixlen == req.prefix_length:
            take(req, prefix, "locked")
    result.released = sorted(
        (pool, owner, str(prefix))
        for (pool, owner), prefix in locked.items()
        if (pool, owner) not in wanted_keys
    )
    # 3. Newcomers: pool order, larger blocks first, then by owner, lowest free block.
    pending = [r for r in wanted if r.key not in result.allocations and r.pinned is None]
    pending.sort(key=lambda r: (POOLS.index(r.pool), r.prefix_length, r.owner))
    cursors: dict[tuple[ipaddress.IPv4Network, int], int] = {}
    for req in pending:
        cursor_key = (req.supernet, req.prefix_length)
        offset = 1 if req.prefix_length == 32 else 0  # never hand out the network address
        start = cursors.get(cursor_key, int(req.supernet.network_address) + offset)
        prefix = space(req).first_free(req.supernet, req.prefix_length, start)
        if prefix is None:
            problem(
                req,
                f"pool {req.supernet} is exhausted: no free /{req.prefix_length} left "
                f"for {req.owner}",
            )
            continue
        take(req, prefix, "new")
        cursors[cursor_key] = _bounds(prefix)[1] + 1
    return result


def write_lock(inventory: Inventory, result: Plan) -> Path:
    path = inventory.root / LOCK_FILE
    body = yaml.dump(result.lock_data(), Dumper=yaml.CSafeDumper, sort_keys=True, width=200)
    path.write_text(LOCK_HEADER + body, encoding="utf-8")
    return path


def rows(result: Plan) -> Iterable[dict[str, str]]:
    for alloc in sorted(result.allocations.values(), key=lambda a: (a.pool, a.prefix)):
        yield {
            "pool": alloc.pool,
            "owner": alloc.owner,
            "prefix": str(alloc.prefix),
            "origin": alloc.origin,
        }
