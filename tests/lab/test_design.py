"""The lab's design derived from the inventory: no root, no namespaces needed."""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from spbe.inventory import Inventory, load
from spbe.ipam import Plan
from spbe.lab import bootstrap, firewall, preflight
from spbe.lab.checks import policy_cases
from spbe.lab.netsetup import link_batch, namespace_batch, shaping_batch
from spbe.lab.topology import Role, build, city_prefixes, default_site_count, select_sites
from spbe.zonepolicy import Firewall, compile_policy, rules_for

REPO = Path(__file__).resolve().parents[2]
City = tuple[Inventory, Plan]


@pytest.fixture(scope="module")
def city() -> City:
    return load(REPO / "inventories")


def test_default_lab_covers_every_branch_category_and_uplink_kind(city: City) -> None:
    inventory, _ = city
    chosen = select_sites(inventory, default_site_count(inventory))
    branch_categories = {s.category for s in inventory.branch_sites()}
    assert {s.category for s in chosen} == branch_categories
    assert {inventory.uplink(s).kind for s in chosen} == {
        inventory.uplink(s).kind for s in inventory.branch_sites()}


def test_all_sites_means_every_branch_of_the_inventory(city: City) -> None:
    inventory, addresses = city
    topology = build(inventory, addresses, select_sites(inventory, None))
    assert len(topology.by_role(Role.BRANCH)) == len(inventory.branch_sites()) == 257
    assert len(topology.routers()) == len(inventory.spots()) == 258
    names = Counter(node.namespace for node in topology.nodes.values())
    assert max(names.values()) == 1
    interfaces = [name for node in topology.nodes.values() for name, _ in node.addresses]
    assert max(len(name) for name in interfaces) <= 15  # IFNAMSIZ


def test_addresses_come_from_the_ip_plan(city: City) -> None:
    inventory, addresses = city
    site = inventory.site_by_id["bpkad"]
    topology = build(inventory, addresses, [site])
    router = topology.nodes["bpkad"]
    wan = addresses.prefix("wan", "bpkad")
    assert router.address("uplink0").network == wan
    assert router.address("lan0").network == addresses.prefix("lan", "bpkad")
    assert router.management is not None
    assert router.management.ip == addresses.prefix("loopback", "bpkad").network_address
    core = topology.by_role(Role.CORE)[0]
    assert wan in {address.network for _, address in core.addresses}
    dmz = topology.primary.host_addresses["dmz"]
    assert dmz in addresses.prefix("zone", "dc/dmz")
    station = topology.management_station.ip
    assert station in inventory.network.supernets.management
    assert all(station not in a.prefix for (pool, _), a in addresses.allocations.items()
               if pool == "loopback")


def test_replicated_zones_are_routed_through_the_vpn(city: City) -> None:
    inventory, addresses = city
    topology = build(inventory, addresses, [])
    primary, replica = topology.primary, topology.replica
    assert replica.zone_prefixes["db"] in primary.vpn_routes
    assert replica.zone_prefixes["noc_mgmt"] not in primary.vpn_routes  # not replicated
    firewall_routes = {r.prefix for r in topology.nodes[primary.internal_firewall].routes}
    assert replica.zone_prefixes["db"] in firewall_routes


def test_batches_create_every_link_once(city: City) -> None:
    inventory, addresses = city
    topology = build(inventory, addresses, select_sites(inventory, 6))
    links = [line for line in link_batch(topology) if "type veth" in line]
    assert len(links) == len(topology.links) + sum(1 for n in topology.nodes.values()
                                                   if n.management)
    core = topology.by_role(Role.CORE)[0]
    shaping = shaping_batch(core)
    assert len(shaping) == len(topology.by_role(Role.BRANCH))
    assert all(" tbf rate " in line for line in shaping)  # no netem in this kernel
    branch = topology.by_role(Role.BRANCH)[0]
    batch = namespace_batch(branch)
    assert "link add lan0 type veth peer name lan0-h" in batch  # no dummy module here
    assert f"addr add {branch.address('uplink0')} dev uplink0" in batch


def test_ospf_bootstrap_is_point_to_point_with_fast_hellos(city: City) -> None:
    inventory, addresses = city
    topology = build(inventory, addresses, select_sites(inventory, None))
    branch = topology.by_role(Role.BRANCH)[0]
    text = bootstrap.ospfd_config(branch)
    assert "interface uplink0\n ip ospf network point-to-point" in text
    assert f"ospf router-id {branch.management.ip}" in text  # type: ignore[union-attr]
    assert f"network {inventory.network.supernets.management}" not in text  # out of band
    core_text = bootstrap.ospfd_config(topology.by_role(Role.CORE)[0])
    assert core_text.count("ip ospf network point-to-point") == len(topology.routers()) + 1
    firewall_text = bootstrap.ospfd_config(topology.nodes[topology.primary.internal_firewall])
    assert "redistribute connected" in firewall_text
    assert "default-information originate always metric 10" in firewall_text


def test_firewall_rules_follow_the_compiled_policy_in_order(city: City) -> None:
    inventory, addresses = city
    topology = build(inventory, addresses, [])
    rules = compile_policy(inventory, addresses, "dc")
    text = firewall.ruleset(Firewall.INTERNAL, rules, city_prefixes(inventory),
                            topology.primary, topology.replica)
    expected = [f'comment "{r.rule_id}/{r.service}"' for r in rules_for(rules, Firewall.INTERNAL)]
    positions = [text.index(comment) for comment in expected]
    assert positions == sorted(positions)
    denied = next(line for line in text.splitlines() if "branch-to-db-denied/postgres" in line)
    assert denied.split()[-3] == "drop"
    # "internet" is "not the city", so an internet rule cannot open an internal zone
    outbound = next(line for line in text.splitlines() if "diskominfo-to-internet/http" in line)
    assert "ip daddr != @city" in outbound
    edge = firewall.ruleset(Firewall.EXTERNAL, rules, city_prefixes(inventory),
                            topology.primary, topology.replica)
    assert "branch-to-app" not in edge  # that flow never crosses the external firewall
    assert f'iifname "{topology.primary.vpn_interface}"' in edge


def test_policy_cases_cover_every_zone_pair_and_service(city: City) -> None:
    inventory, addresses = city
    topology = build(inventory, addresses, select_sites(inventory, 6))
    cases = policy_cases(inventory, addresses, topology)
    pairs = {(c.datacenter, c.source_zone, c.destination_zone) for c in cases}
    for rule in inventory.policy.rules:
        assert ("dc", rule.source, rule.destination) in pairs
        assert ("drc", rule.source, rule.destination) in pairs
    branch_to_db = [c for c in cases if (c.datacenter, c.source_zone, c.destination_zone,
                                         c.port) == ("dc", "branch", "db", 5432)]
    assert [(c.expected, c.rule) for c in branch_to_db] == [("deny", "branch-to-db-denied")]
    assert {c.expected for c in cases} == {"allow", "deny"}


def test_preflight_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    monkeypatch.setattr(preflight, "PROGRAMS", {Path("/nonexistent/zebra"): "frr"})
    found = preflight.problems(IPv4Network("10.255.0.0/16"))
    assert any("root" in problem for problem in found)
    assert any("missing Debian packages: frr" in problem for problem in found)
