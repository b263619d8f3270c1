"""Bring the lab up, take it down, report its state.

`up` records every change before making it, so `down` can undo a half-finished `up` too.
`down` kills by PID: the processes of the lab's namespaces (recorded by inode number, so a
reused PID elsewhere is never hit) get SIGKILL, which is safe because nothing in the lab
keeps state worth a clean shutdown and every daemon's leftovers are private (IPC
namespace, /var/tmp) or under the state directory. Staged SIGTERM took 38 s at full scale.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from spbe.inventory.loader import Inventory
from spbe.ipam import Plan
from spbe.lab import bootstrap, checks, firewall, netsetup, services
from spbe.lab.nsexec import (
    FRR_STATE,
    NETNS_DIR,
    Launch,
    alive,
    existing_namespaces,
    inside,
    namespace_inodes,
    pids_in,
    run,
    start,
    tcp_listening,
    wait_for,
)
from spbe.lab.state import (
    LOCK_NAME,
    LOGIN_USER,
    HostChanges,
    Paths,
    Record,
    read_record,
    write_record,
)
from spbe.lab.topology import (
    NAMESPACE_PREFIX,
    Node,
    Role,
    Topology,
    build,
    city_prefixes,
    select_sites,
)
from spbe.zonepolicy import Firewall, compile_policy

SSHD_PRIVSEP = Path("/run/sshd")


@contextmanager
def exclusive(timeout: float = 600) -> Iterator[None]:
    """One lab per machine: its names are fixed. Concurrent commands wait their turn.
    The lock is an abstract Unix socket name: the kernel frees it when its holder exits
    and, unlike a lock file, it leaves nothing behind."""
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + timeout
    while True:
        try:
            lock.bind(LOCK_NAME)
            break
        except OSError:
            if time.monotonic() > deadline:
                lock.close()
                raise TimeoutError("another `spbe lab` command holds the lab") from None
            time.sleep(0.1)
    try:
        yield
    finally:
        lock.close()


@dataclass
class UpReport:
    already_up: bool
    namespaces: int
    processes: int
    seconds_to_started: float
    seconds_to_routes: float
    seconds_to_ready: float
    timings: dict[str, float] = field(default_factory=dict)


def _ensure_login_user(host: HostChanges, home: Path) -> None:
    try:
        pwd.getpwnam(LOGIN_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", str(home),
                        "--shell", "/bin/sh", "--groups", "frr,frrvty", LOGIN_USER], check=True)
        host.created_user = True
    # "*" = no password but not locked: sshd (without PAM) refuses key logins to locked users
    subprocess.run(["usermod", "-p", "*", LOGIN_USER], check=True)


def _make_keys(paths: Paths) -> list[subprocess.Popen[bytes]]:
    paths.ssh.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                          "-f", str(paths.ssh / name)], stdout=subprocess.DEVNULL)
        for name, comment in (("host_ed25519", "spbe-lab-host"), ("login_ed25519", LOGIN_USER))
    ]


def _wait_all(processes: list[subprocess.Popen[bytes]], what: str) -> None:
    for process in processes:
        _, errors = process.communicate()
        if process.returncode != 0:
            message = errors.decode(errors="replace").strip() if errors else ""
            raise RuntimeError(f"{what} failed: {message}")


def _load_rules(inventory: Inventory, addresses: Plan, topology: Topology, paths: Paths) -> None:
    city = city_prefixes(inventory)
    for layout in topology.datacenters:
        peer = next(p for p in topology.datacenters if p is not layout)
        rules = compile_policy(inventory, addresses, layout.id)
        for kind, node in ((Firewall.EXTERNAL, layout.edge),
                           (Firewall.INTERNAL, layout.internal_firewall)):
            path = paths.node(node) / "nftables.conf"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(firewall.ruleset(kind, rules, city, layout, peer), encoding="ascii")
            run(NAMESPACE_PREFIX + node, ["nft", "-f", str(path)])


def _frr_nodes(topology: Topology) -> list[Node]:
    return [node for node in topology.nodes.values() if node.is_router]


def up(inventory: Inventory, addresses: Plan, site_count: int | None,
       paths: Paths | None = None) -> UpReport:
    paths = paths or Paths()
    chosen = select_sites(inventory, site_count)
    with exclusive():
        record = read_record(paths)
        if record is not None and record.sites == [s.id for s in chosen] and _healthy(record):
            return UpReport(True, len(record.namespaces), len(_lab_pids(record)), 0, 0,
                            record.ready_at - record.started_at)
        if record is not None or existing_namespaces(NAMESPACE_PREFIX):
            _down_locked(paths)
        return _up_locked(inventory, addresses, build(inventory, addresses, chosen), paths)


def _up_locked(inventory: Inventory, addresses: Plan, topology: Topology,
               paths: Paths) -> UpReport:
    began = time.monotonic()
    timings: dict[str, float] = {}

    def mark(step: str) -> None:
        timings[step] = round(time.monotonic() - began, 3)

    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o755)
    host = HostChanges()
    record = Record(sites=topology.branch_sites,
                    namespaces=[n.namespace for n in topology.nodes.values()],
                    namespace_inodes=[], host=host, started_at=time.time())
    write_record(paths, record)  # from here on, `down` can undo whatever follows

    postgres = services.Postgres(paths, topology)
    # slow one-off jobs run while the network comes up
    initdb = postgres.initdb()
    certificate = services.make_certificate(paths, topology.domain)
    key_generation = _make_keys(paths)
    _ensure_login_user(host, paths.root)
    # sshd's privilege-separation directory (made by systemd), FRR's state directory as a
    # mount point for each daemon's private copy
    for directory in (SSHD_PRIVSEP, FRR_STATE):
        if not directory.exists():
            directory.mkdir(mode=0o755)
            host.created_dirs.append(str(directory))
    if not services.WIREGUARD_SOCKETS.exists():
        host.created_dirs.append(str(services.WIREGUARD_SOCKETS))
    host.sysctls = netsetup.raise_host_sysctls()
    record.sockets = [str(services.vpn_socket(layout)) for layout in topology.datacenters]
    write_record(paths, record)
    mark("host prepared")

    if not NETNS_DIR.exists():  # `ip netns add` creates it as a bind mount of itself
        host.created_dirs.append(str(NETNS_DIR))
        write_record(paths, record)
    netsetup.create(topology, paths.batches)
    record.namespace_inodes = namespace_inodes(record.namespaces)
    write_record(paths, record)
    mark("namespaces and links")
    _load_rules(inventory, addresses, topology, paths)
    mark("firewall rules")

    routers = _frr_nodes(topology)
    for node in topology.nodes.values():
        paths.node(node.name).mkdir(parents=True, exist_ok=True)
    for node in routers:
        bootstrap.write_frr(paths, node)
    record.pid_files = [str(p) for node in routers for p in bootstrap.frr_pid_files(paths, node)]
    core = topology.by_role(Role.CORE)[0]
    # FRR's parent process exits once the daemon is initialised (zebra's zserv socket is
    # then open), so each router's ospfd follows its own zebra at once. The core's ospfd
    # starts last: every neighbour is then listening when it says hello.
    zebras = []
    for node in routers:
        zebra = bootstrap.frr_launch(paths, node, "zebra")
        if node is not core:
            zebra.then = bootstrap.frr_launch(paths, node, "ospfd")
        zebras.append(zebra)
    start(zebras)
    mark("zebra and site ospfd")

    start([bootstrap.frr_launch(paths, core, "ospfd")])
    started_routing = time.monotonic()
    mark("core ospfd")
    # sshd is not on the routing path: it starts while OSPF converges
    _wait_all(key_generation, "ssh-keygen")
    (paths.ssh / "authorized_keys").write_text(
        (paths.ssh / "login_ed25519.pub").read_text(encoding="ascii"), encoding="ascii")
    bootstrap.write_ssh(paths, paths.ssh / "host_ed25519", paths.ssh / "authorized_keys")
    with_management = [n for n in topology.nodes.values() if n.management]
    start([bootstrap.sshd_launch(paths, node) for node in with_management])
    record.pid_files += [str(bootstrap.sshd_pid_file(paths, n)) for n in with_management]
    mark("sshd")

    _wait_all([certificate], "the TLS certificate")
    record.pids.update(_start_services(inventory, topology, paths, postgres, initdb))
    record.pid_files += [str(p) for p in _service_pid_files(topology, paths)]
    write_record(paths, record)
    mark("services started")

    seconds_to_started = time.monotonic() - began
    routes_timeout = 30 + 0.2 * len(routers)
    wait_for(lambda: not checks.missing_routes(topology), routes_timeout,
             "every router to hold every LAN route", interval=0.5)
    seconds_to_routes = time.monotonic() - started_routing
    mark("routes")
    _wait_services(topology, postgres)
    mark("services ready")
    record.ready_at = time.time()
    write_record(paths, record)
    _write_credentials(paths, topology, postgres)
    return UpReport(False, len(record.namespaces), len(_lab_pids(record)),
                    round(seconds_to_started, 2), round(seconds_to_routes, 2),
                    round(time.monotonic() - began, 2), timings)


def _start_services(inventory: Inventory, topology: Topology, paths: Paths,
                    postgres: services.Postgres,
                    initdb: subprocess.Popen[bytes]) -> dict[str, int]:
    daemons = []
    for layout in topology.datacenters:
        daemons.append(services.nginx_launch(paths, inventory, layout, "dmz"))
        daemons.append(services.nginx_launch(paths, inventory, layout, "app"))
        daemons.append(services.nsd_launch(paths, inventory, topology, layout))
    keys = {layout.id: services.make_vpn_key(paths, layout) for layout in topology.datacenters}
    vpn = start([services.vpn_launch(paths, layout) for layout in topology.datacenters])
    pids = {f"wireguard-go {layout.id}": pid
            for layout, pid in zip(topology.datacenters, vpn, strict=True)}
    start(daemons)
    for layout in topology.datacenters:
        socket_path = services.vpn_socket(layout)
        wait_for(socket_path.is_socket, 10, f"wireguard-go of {layout.id}")
    for layout in topology.datacenters:
        peer = next(p for p in topology.datacenters if p is not layout)
        services.configure_vpn(layout, peer, keys[layout.id][0], keys[peer.id][1])
    _wait_all([initdb], "initdb")
    postgres.prepare_clusters()
    launches: list[Launch] = [postgres.launch(topology.primary), postgres.launch(topology.replica)]
    primary_pid, replica_pid = start(launches)
    pids["postgres primary"] = primary_pid
    pids["postgres replica"] = replica_pid
    return pids


def _service_pid_files(topology: Topology, paths: Paths) -> list[Path]:
    found = []
    for layout in topology.datacenters:
        for zone in ("dmz", "app"):
            found.append(paths.service(layout.zone_hosts[zone], "nginx") / "nginx.pid")
        found.append(paths.service(layout.zone_hosts["dmz"], "nsd") / "nsd.pid")
    return found


def _listening(namespace: str, port: int) -> bool:
    with inside(namespace):
        return tcp_listening(port)


def _wait_services(topology: Topology, postgres: services.Postgres) -> None:
    for layout in topology.datacenters:
        for zone, port in (("dmz", 80), ("dmz", 443), ("dmz", 53), ("app", 443),
                           ("db", services.POSTGRES_PORT)):
            namespace = NAMESPACE_PREFIX + layout.zone_hosts[zone]
            wait_for(partial(_listening, namespace, port), 20, f"port {port} in {namespace}")
    wait_for(lambda: replication_state(postgres, topology) == "streaming", 30,
             "the DRC replica to stream from the DC primary")


def replication_state(postgres: services.Postgres, topology: Topology) -> str:
    """The replica's WAL receiver status ("streaming" when healthy), or why not."""
    try:
        status = postgres.sql(topology.replica, "select status from pg_stat_wal_receiver")
    except Exception as exc:  # any failure is a state to report, not a crash
        return f"unavailable ({str(exc).splitlines()[0][:80]})"
    return status or "not connected"


def _write_ssh_client_config(paths: Paths, topology: Topology) -> Path:
    """An OpenSSH client configuration naming every router by its hostname, with the lab's
    host key pinned: `ssh -F <it> bpkad`, testinfra's ssh backend and Ansible use it."""
    key_type, key = (paths.ssh / "host_ed25519.pub").read_text(encoding="ascii").split()[:2]
    routers = [(n.name, n.management.ip) for n in topology.routers() if n.management is not None]
    (paths.ssh / "known_hosts").write_text(
        "".join(f"{address} {key_type} {key}\n" for _, address in routers), encoding="ascii")
    lines = []
    for name, address in routers:
        lines += [f"Host {name}", f"  HostName {address}"]
    lines += [
        "Host *",
        f"  User {LOGIN_USER}",
        f"  IdentityFile {paths.ssh / 'login_ed25519'}",
        "  IdentitiesOnly yes",
        f"  UserKnownHostsFile {paths.ssh / 'known_hosts'}",
        "  StrictHostKeyChecking yes",
        "",
    ]
    config = paths.ssh / "client_config"
    config.write_text("\n".join(lines), encoding="ascii")
    return config


def _write_credentials(paths: Paths, topology: Topology, postgres: services.Postgres) -> None:
    data = {
        "username": LOGIN_USER,
        "key_file": str(paths.ssh / "login_ed25519"),
        "ssh_config": str(_write_ssh_client_config(paths, topology)),
        "device_type": "cisco_ios",
        "routers": {n.name: str(n.management.ip) for n in topology.routers() if n.management},
        "postgres": {"password": postgres.password},
    }
    paths.credentials.write_text(json.dumps(data, indent=1), encoding="ascii")
    paths.credentials.chmod(0o600)


# --- down ----------------------------------------------------------------------------------


def _lab_pids(record: Record) -> list[int]:
    return [pid for pid in pids_in(record.namespace_inodes) if alive(pid)]


def _healthy(record: Record) -> bool:
    tracked = list(record.pids.values())
    for pid_file in record.pid_files:
        try:
            tracked.append(int(Path(pid_file).read_text(encoding="ascii").split()[0]))
        except (OSError, ValueError, IndexError):
            return False
    running = set(_lab_pids(record))
    namespaces_present = set(existing_namespaces(NAMESPACE_PREFIX)) == set(record.namespaces)
    return bool(record.ready_at) and namespaces_present and all(p in running for p in tracked)


@dataclass
class DownReport:
    killed: int
    namespaces: int
    seconds: float
    restored_sysctls: dict[str, str]


def down(paths: Paths | None = None) -> DownReport:
    with exclusive():
        return _down_locked(paths or Paths())


def _down_locked(paths: Paths) -> DownReport:
    began = time.monotonic()
    record = read_record(paths)
    namespaces = sorted(set(existing_namespaces(NAMESPACE_PREFIX))
                        | set(record.namespaces if record else []))
    inodes = set(namespace_inodes(namespaces)) | set(record.namespace_inodes if record else [])
    victims = pids_in(inodes)
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    wait_for(lambda: not any(alive(pid) for pid in victims), 10, "the lab's processes to exit")
    netsetup.delete(namespaces, paths.batches)
    wait_for(lambda: not netsetup.host_links(), 10, "the management links to disappear")
    host = record.host if record else HostChanges()
    for socket_path in record.sockets if record else []:
        Path(socket_path).unlink(missing_ok=True)
    netsetup.restore_host_sysctls(host.sysctls)
    if host.created_user:
        subprocess.run(["userdel", LOGIN_USER], capture_output=True, check=False)
    for directory in reversed(host.created_dirs):
        path = Path(directory)
        if path == NETNS_DIR and path.is_dir() and not any(path.iterdir()):
            subprocess.run(["umount", str(path)], capture_output=True, check=False)
        try:
            path.rmdir()
        except OSError:
            continue  # not empty: something else uses it now, so it stays
    shutil.rmtree(paths.root, ignore_errors=True)
    return DownReport(len(victims), len(namespaces), round(time.monotonic() - began, 2),
                      host.sysctls)


# --- status --------------------------------------------------------------------------------


def status(inventory: Inventory, addresses: Plan, paths: Paths | None = None) -> dict[str, Any]:
    paths = paths or Paths()
    record = read_record(paths)
    if record is None:
        leftovers = existing_namespaces(NAMESPACE_PREFIX)
        return {"up": False, "leftover_namespaces": leftovers}
    sites = [inventory.site_by_id[s] for s in record.sites]
    topology = build(inventory, addresses, sites)
    inode_of = {name: inode for name in record.namespaces
                for inode in namespace_inodes([name])}
    processes: dict[int, list[str]] = {}
    for pid in _lab_pids(record):
        try:
            pid_inode = os.stat(f"/proc/{pid}/ns/net").st_ino
            name = Path(f"/proc/{pid}/comm").read_text(encoding="ascii").strip()
        except OSError:
            continue
        processes.setdefault(pid_inode, []).append(name)
    nodes = []
    for node in topology.nodes.values():
        inode = inode_of.get(node.namespace)
        nodes.append({
            "name": node.name, "role": node.role.value, "site": node.site,
            "category": node.category, "datacenter": node.datacenter, "zone": node.zone,
            "namespace": inode is not None,
            "processes": sorted(processes.get(inode, [])) if inode else [],
            "management": str(node.management.ip) if node.management else None,
        })
    core = topology.by_role(Role.CORE)[0]
    adjacencies = ospf_neighbors(paths, core)
    postgres = services.Postgres(paths, topology)
    return {
        "up": True,
        "ready": bool(record.ready_at),
        "sites": len(record.sites),
        "nodes": nodes,
        "adjacencies": adjacencies,
        "full_adjacencies": sum(1 for a in adjacencies if a["state"].startswith("Full")),
        "expected_adjacencies": len(core.ospf.point_to_point) if core.ospf else 0,
        "routers_missing_routes": checks.missing_routes(topology),
        "replication": replication_state(postgres, topology),
        "vpn": {layout.id: vpn_handshake(layout.edge, layout.vpn_interface)
                for layout in topology.datacenters},
        "record": asdict(record),
    }


def ospf_neighbors(paths: Paths, node: Node) -> list[dict[str, str]]:
    try:
        result = run(node.namespace, bootstrap.vtysh_command(
            paths, node, "show ip ospf neighbor json"), timeout=10)
        data = json.loads(result.stdout)
    except Exception as exc:  # a stopped ospfd is a state to report
        return [{"neighbor": "-", "interface": "-", "state": f"unavailable: {exc}"[:60]}]
    found = []
    for router_id, entries in data.get("neighbors", {}).items():
        for entry in entries:
            found.append({"neighbor": router_id,
                          "interface": entry.get("ifaceName", "").split(":")[0],
                          "state": entry.get("state", entry.get("nbrState", "?"))})
    return found


def vpn_handshake(edge: str, interface: str) -> str:
    try:
        result = run(NAMESPACE_PREFIX + edge, [str(services.WG), "show", interface,
                                               "latest-handshakes"], timeout=5)
    except Exception as exc:  # no tunnel is a state to report
        return f"unavailable: {exc}"[:60]
    stamps = [int(line.split()[1]) for line in result.stdout.splitlines() if line.split()]
    if not stamps or max(stamps) == 0:
        return "no handshake"
    return f"handshake {int(time.time()) - max(stamps)} s ago"


# --- verify --------------------------------------------------------------------------------

ROW_TABLE = "spbe_lab_probe"
# one TCP stream through the NOC's token bucket must reach this share of the contract
SHAPED_FLOOR = 0.6


def replicated_row(postgres: services.Postgres, topology: Topology, timeout: float = 10) -> bool:
    """Write a row in the DC primary; true once the DRC replica returns it."""
    token = os.urandom(8).hex()
    postgres.sql(topology.primary,
                 f"create table if not exists {ROW_TABLE} (token text primary key, "
                 f"written timestamptz default now()); "
                 f"insert into {ROW_TABLE} (token) values ('{token}')")
    # the table itself may still be on its way the first time: ask for it before the row
    query = f"select exists (select from {ROW_TABLE} where token = '{token}')"
    table_known = f"select to_regclass('{ROW_TABLE}') is not null"
    try:
        wait_for(lambda: postgres.sql(topology.replica, table_known) == "t", timeout,
                 "the table to reach the DRC", interval=0.05)
        wait_for(lambda: postgres.sql(topology.replica, query) == "t", timeout,
                 "the row to reach the DRC", interval=0.05)
    except TimeoutError:
        return False
    return True


def verify(inventory: Inventory, addresses: Plan, paths: Paths | None = None) -> dict[str, Any]:
    """Acceptance checks against the running lab. `ok` is true when all pass."""
    paths = paths or Paths()
    record = read_record(paths)
    if record is None or not record.ready_at:
        return {"ok": False, "error": "the lab is not up (run `spbe lab up`)"}
    topology = build(inventory, addresses, [inventory.site_by_id[s] for s in record.sites])
    core = topology.by_role(Role.CORE)[0]
    neighbors = ospf_neighbors(paths, core)
    full = sum(1 for n in neighbors if n["state"].startswith("Full"))
    expected = len(core.ospf.point_to_point) if core.ospf else 0
    missing = checks.missing_routes(topology)
    unreachable = checks.unreachable_lans(topology)
    dns = {layout.id: checks.resolve(topology.nodes["internet"].namespace,
                                     layout.host_addresses["dmz"],
                                     f"www.{topology.domain}")
           for layout in topology.datacenters}
    portal = str(topology.primary.host_addresses["dmz"])
    cases = checks.run_policy(inventory, addresses, topology)
    disagreements = [asdict(case) for case in cases if not case.agrees]
    row = replicated_row(services.Postgres(paths, topology), topology)
    slowest = min(topology.by_role(Role.BRANCH),
                  key=lambda n: inventory.site_by_id[str(n.site)].bandwidth.mbps_2022)
    contracted = inventory.site_by_id[str(slowest.site)].bandwidth.mbps_2022
    measured = round(checks.downlink_mbps(topology, slowest.name), 1)
    if measured < SHAPED_FLOOR * contracted:
        # the first stream after `up` can lose a retransmission timeout in the shaper's
        # queue (seen on a busy machine: 64 % of the rate, then 96 % on every later stream)
        measured = max(measured, round(checks.downlink_mbps(topology, slowest.name), 1))
    results: dict[str, dict[str, Any]] = {
        "ospf_full_adjacencies": {"ok": full == expected, "full": full, "expected": expected},
        "every_router_has_every_route": {"ok": not missing, "missing": missing},
        "every_lan_reaches_portal": {"ok": not unreachable, "routers": len(topology.routers()),
                                     "unreachable": unreachable},
        "dns_answers": {"ok": all(a == portal for a in dns.values()), "answers": dns},
        "zone_policy": {"ok": not disagreements, "cases": len(cases),
                        "allowed": sum(1 for c in cases if c.expected == "allow"),
                        "disagreements": disagreements},
        "replicated_row": {"ok": row},
        # capped at the contract (an unshaped veth carries gigabits); one TCP stream
        # reaches 75-97 % of the rate, depending on a loss episode in the shaper's queue
        "downlink_shaped": {"ok": SHAPED_FLOOR * contracted <= measured <= 1.1 * contracted,
                            "site": slowest.name, "contracted_mbps": contracted,
                            "measured_mbps": measured},
    }
    return {"ok": all(r["ok"] for r in results.values()), "checks": results}
