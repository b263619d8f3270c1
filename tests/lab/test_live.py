"""The CI-sized lab, running: routing, reachability, the zone policy with real packets,
replication, SSH into the routers, status, and a teardown that leaves nothing behind.

Needs root and the Debian packages of scripts/apt-packages.txt (./run.sh installs them);
skips with the reason otherwise. The last test takes the lab down.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import testinfra
from netmiko import ConnectHandler

from spbe.lab import checks, lifecycle, netsetup, services
from spbe.lab.nsexec import existing_namespaces, inside, pids_in, routes
from spbe.lab.state import Paths, read_record
from spbe.lab.topology import NAMESPACE_PREFIX, Role
from tests.lab.conftest import Lab, host_snapshot, spbe_lab

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


def test_up_covers_every_category_and_is_idempotent(lab: Lab) -> None:
    assert not lab.up["already_up"]
    categories = {n.category for n in lab.topology.by_role(Role.BRANCH)}
    assert categories == {s.category for s in lab.inventory.branch_sites()}
    before = _tracked_daemons()
    again = spbe_lab("up")
    assert again["already_up"]
    # the same daemons, not a head count: nginx and NSD may still be forking workers
    assert _tracked_daemons() == before


def _tracked_daemons() -> dict[str, str]:
    """Every daemon `up` tracks (by PID file or PID) and its PID."""
    record = read_record(Paths())
    assert record is not None
    tracked = {name: str(pid) for name, pid in record.pids.items()}
    for pid_file in record.pid_files:
        tracked[pid_file] = Path(pid_file).read_text(encoding="ascii").split()[0]
    return tracked


def test_every_adjacency_is_full_and_every_router_has_every_route(lab: Lab) -> None:
    core = lab.topology.by_role(Role.CORE)[0]
    neighbors = lifecycle.ospf_neighbors(Paths(), core)
    assert [n["state"].split("/")[0] for n in neighbors] == ["Full"] * len(
        lab.topology.by_role(Role.BRANCH) + lab.topology.by_role(Role.INTERNAL_FIREWALL))
    assert checks.missing_routes(lab.topology) == {}
    branch = lab.topology.by_role(Role.BRANCH)[-1]
    with inside(branch.namespace):
        table = routes()
    assert lab.addresses.prefix("zone", "dc/dmz") in table


def test_every_site_lan_reaches_the_portal(lab: Lab) -> None:
    assert checks.unreachable_lans(lab.topology) == []


def test_real_packets_follow_the_zone_policy_for_every_zone_pair(lab: Lab) -> None:
    cases = checks.run_policy(lab.inventory, lab.addresses, lab.topology)
    disagreements = [c for c in cases if not c.agrees]
    assert disagreements == []
    outcome = Counter((c.expected, c.observed) for c in cases)
    assert outcome[("allow", checks.PASSED)] > 50
    assert outcome[("deny", checks.DROPPED)] > 500
    denied = next(c for c in cases if (c.datacenter, c.source_zone, c.destination_zone,
                                       c.port) == ("dc", "branch", "db", 5432))
    assert denied.observed == checks.DROPPED


def test_the_city_zone_is_served_from_both_dmzs(lab: Lab) -> None:
    portal = str(lab.topology.primary.host_addresses["dmz"])
    for layout in lab.topology.datacenters:
        answer = checks.resolve("spbe-internet", layout.host_addresses["dmz"],
                                f"www.{lab.topology.domain}")
        assert answer == portal


def test_a_row_written_in_the_dc_appears_in_the_drc_over_the_vpn(lab: Lab) -> None:
    postgres = services.Postgres(Paths(), lab.topology)
    assert lifecycle.replicated_row(postgres, lab.topology)
    sender = postgres.sql(lab.topology.primary,
                          "select client_addr, state from pg_stat_replication")
    assert sender == f"{lab.topology.replica.host_addresses['db']}|streaming"
    for layout in lab.topology.datacenters:
        assert lifecycle.vpn_handshake(layout.edge, layout.vpn_interface).startswith(
            "handshake")


def test_the_noc_shapes_each_site_downlink_to_its_contracted_bandwidth(lab: Lab) -> None:
    for branch in lab.topology.by_role(Role.BRANCH)[:2]:
        contracted = lab.inventory.site_by_id[str(branch.site)].bandwidth.mbps_2022
        measured = checks.downlink_mbps(lab.topology, branch.name)
        # an unshaped veth carries gigabits; one TCP stream reaches 75-97 % of the rate
        assert 0.6 * contracted <= measured <= 1.1 * contracted, (branch.name, measured)


def test_netmiko_pushes_and_saves_config_over_ssh(lab: Lab) -> None:
    credentials = json.loads(Paths().credentials.read_text())
    router = lab.topology.by_role(Role.BRANCH)[0]
    assert router.management is not None
    connection = ConnectHandler(
        device_type="cisco_ios", host=str(router.management.ip),
        username=credentials["username"], key_file=credentials["key_file"], use_keys=True,
        allow_agent=False, fast_cli=True,
    )
    try:
        assert connection.find_prompt() == f"{router.name}#"
        connection.send_config_set(["interface lan0", " description pushed-by-test"])
        connection.save_config()
        running = connection.send_command("show running-config")
    finally:
        connection.disconnect()
    assert "description pushed-by-test" in running
    saved = Paths().frr(router.name) / "etc" / "frr.conf"
    assert "description pushed-by-test" in saved.read_text()


def test_testinfra_reaches_every_router_by_name_with_pinned_host_keys(lab: Lab) -> None:
    config = json.loads(Paths().credentials.read_text())["ssh_config"]
    for router in lab.topology.routers():
        host = testinfra.get_host(f"ssh://{router.name}", ssh_config=config)
        neighbors = host.check_output("show ip ospf neighbor")
        assert "Full" in neighbors, router.name


def test_status_reports_nodes_adjacencies_and_replication(lab: Lab) -> None:
    state = spbe_lab("status")
    assert state["up"] and state["ready"]
    nodes = {n["name"]: n for n in state["nodes"]}
    assert set(nodes) == set(lab.topology.nodes)
    core = lab.topology.by_role(Role.CORE)[0].name
    assert {"zebra", "ospfd", "sshd"} <= set(nodes[core]["processes"])
    assert state["full_adjacencies"] == state["expected_adjacencies"] > 0
    assert state["replication"] == "streaming"


def test_verify_command_passes(lab: Lab) -> None:
    report = spbe_lab("verify")
    assert report["ok"], report


def test_down_leaves_nothing_behind(lab: Lab) -> None:
    record = read_record(Paths())
    assert record is not None
    inodes = record.namespace_inodes
    report = spbe_lab("down")
    assert report["namespaces"] == len(lab.topology.nodes)
    assert existing_namespaces(NAMESPACE_PREFIX) == []
    assert netsetup.host_links() == []
    assert pids_in(inodes) == []
    assert not Paths().root.exists()
    assert [path for path in record.sockets if Path(path).exists()] == []
    assert host_snapshot() == lab.host_before
