"""Create and delete the lab's namespaces, links, addresses and shaping with `ip -batch`.

One `ip -batch` in the host creates every namespace and veth pair (each end straight into
its namespace); one `ip -n NS -batch` per namespace, several at once, sets addresses,
bridges and routes. At full scale that is under a second where one `ip` per command
takes a minute.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from spbe.lab.nsexec import inside
from spbe.lab.topology import MANAGEMENT_BRIDGE, MANAGEMENT_VETH_PREFIX, Node, Role, Topology

# Inside every lab namespace. IPv6 is off: the design is IPv4 and DAD/ND only add noise.
NAMESPACE_SYSCTLS = {
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    "net.ipv4.ip_forward": "1",
    # the policy test counts ICMP port-unreachable replies as "passed"; never rate limit them
    "net.ipv4.icmp_ratelimit": "0",
    "net.ipv4.icmp_msgs_per_sec": "100000",
    "net.ipv4.icmp_msgs_burst": "100000",
    # no cached ssthresh from an earlier connection: the shaping check measures one stream
    "net.ipv4.tcp_no_metrics_save": "1",
}
# Machine-wide: the neighbour tables are shared by all namespaces; a full lab has more
# neighbours than the defaults (128/512/1024) keep. Raised for the run, restored by `down`.
HOST_SYSCTLS = {
    "net.ipv4.neigh.default.gc_thresh1": 4096,
    "net.ipv4.neigh.default.gc_thresh2": 8192,
    "net.ipv4.neigh.default.gc_thresh3": 16384,
}
PARALLEL_BATCHES = 8
# Router-to-router links carry jumbo frames, as metro fiber does. The core's router LSA
# lists two links per branch (about 6 KB at full scale) and is re-flooded to every
# neighbour each time an adjacency comes up; at 1500 bytes every copy travels as five IP
# fragments. Unfragmented, the full lab is ready in 19-23 s instead of 27-41 s.
LINK_MTU = 9000
# A token bucket drops any frame larger than its burst: keep room for two jumbo frames.
MIN_BURST_BYTES = 2 * (LINK_MTU + 14)


def _sysctl_path(key: str) -> Path:
    return Path("/proc/sys") / key.replace(".", "/")


def read_sysctl(key: str) -> str:
    return _sysctl_path(key).read_text(encoding="ascii").strip()


def write_sysctl(key: str, value: str) -> None:
    _sysctl_path(key).write_text(value, encoding="ascii")


def raise_host_sysctls() -> dict[str, str]:
    """Raise the shared limits that are below what the lab needs; return the old values."""
    previous = {}
    for key, wanted in HOST_SYSCTLS.items():
        current = read_sysctl(key)
        if int(current) < wanted:
            previous[key] = current
            write_sysctl(key, str(wanted))
    return previous


def restore_host_sysctls(previous: dict[str, str]) -> None:
    for key, value in previous.items():
        write_sysctl(key, value)


def namespace_sysctls(topology: Topology) -> None:
    for node in topology.nodes.values():
        with inside(node.namespace):
            for key, value in NAMESPACE_SYSCTLS.items():
                write_sysctl(key, value)
            if node.role == Role.CORE and node.ospf is not None:
                # OSPF joins two multicast groups per interface; the default allows 20
                # memberships per socket, so only ~10 adjacencies would form on the core
                groups = 4 * (len(node.ospf.point_to_point) + 8)
                write_sysctl("net.ipv4.igmp_max_memberships", str(max(groups, 20)))


def link_batch(topology: Topology) -> list[str]:
    """The management bridge and every veth pair, from the host namespace."""
    station = topology.management_station
    lines = [
        f"link add {MANAGEMENT_BRIDGE} type bridge",
        f"link set {MANAGEMENT_BRIDGE} addrgenmode none",
        f"addr add {station} dev {MANAGEMENT_BRIDGE}",
        f"link set {MANAGEMENT_BRIDGE} up",
    ]
    for number, node in enumerate(n for n in topology.nodes.values() if n.management):
        veth = f"{MANAGEMENT_VETH_PREFIX}{number:04d}"
        lines += [
            f"link add {veth} type veth peer name mgmt0 netns {node.namespace}",
            f"link set {veth} addrgenmode none master {MANAGEMENT_BRIDGE} up",
        ]
    for link in topology.links:
        a, b = topology.nodes[link.a_node], topology.nodes[link.b_node]
        lines.append(f"link add {link.a_interface} netns {a.namespace} mtu {LINK_MTU} "
                     f"type veth peer name {link.b_interface} netns {b.namespace} "
                     f"mtu {LINK_MTU}")
    return lines


def namespace_batch(node: Node) -> list[str]:
    """Inside one namespace: LAN stubs, bridges, addresses, links up, static routes."""
    lines = ["link set lo up"]
    for stub in node.stubs:
        lines += [f"link add {stub} type veth peer name {stub}-h", f"link set {stub}-h up"]
    for bridge, members in node.bridges.items():
        lines.append(f"link add {bridge} type bridge")
        lines += [f"link set {member} master {bridge} up" for member in members]
    if node.management:
        lines += [f"addr add {node.management} dev mgmt0", "link set mgmt0 up"]
    for interface, address in node.addresses:
        lines += [f"addr add {address} dev {interface}", f"link set {interface} up"]
    lines += [f"route add {route.prefix} via {route.via}" for route in node.routes]
    return lines


def shaping_batch(node: Node) -> list[str]:
    """Token-bucket shaping (this kernel has TBF and HTB, no netem): a 10 ms burst, and
    never less than two jumbo frames."""
    return [f"qdisc add dev {interface} root tbf rate {mbps}mbit "
            f"burst {max(mbps * 1250, MIN_BURST_BYTES)}b latency 20ms"
            for interface, mbps in node.shaping.items()]


def _ip_batch(lines: Iterable[str], path: Path, namespace: str | None,
              program: str = "ip") -> subprocess.Popen[str]:
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    command = [program] + (["-n", namespace] if namespace else []) + ["-batch", str(path)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def _finish(process: subprocess.Popen[str], what: str) -> None:
    _, errors = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"ip -batch for {what} failed: {errors.strip()}")


def create(topology: Topology, batches: Path) -> None:
    batches.mkdir(parents=True, exist_ok=True)
    nodes = list(topology.nodes.values())
    namespaces = [f"netns add {node.namespace}" for node in nodes]
    _finish(_ip_batch(namespaces, batches / "00-netns", None), "the namespaces")
    # before any interface exists, so that IPv6 is off on every one of them
    namespace_sysctls(topology)
    _finish(_ip_batch(link_batch(topology), batches / "01-links", None), "the links")
    pending: list[tuple[subprocess.Popen[str], str]] = []
    for node in nodes:
        if len(pending) >= PARALLEL_BATCHES:
            _finish(*pending.pop(0))
        process = _ip_batch(namespace_batch(node), batches / node.name, node.namespace)
        pending.append((process, node.name))
    for process, name in pending:
        _finish(process, name)
    for node in nodes:
        if node.shaping:
            shaping = _ip_batch(shaping_batch(node), batches / f"{node.name}.tc",
                                node.namespace, program="tc")
            _finish(shaping, f"traffic shaping in {node.name}")


def delete(namespaces: Iterable[str], batches: Path) -> None:
    """Delete namespaces in one batch (the kernel then destroys their devices together,
    and with them the host ends of their veths), then the management bridge."""
    batches.mkdir(parents=True, exist_ok=True)
    lines = [f"netns del {name}" for name in namespaces]
    if lines:
        path = batches / "99-delete"
        path.write_text("\n".join(lines) + "\n", encoding="ascii")
        subprocess.run(["ip", "-force", "-batch", str(path)], capture_output=True, check=False)
    if host_links():
        subprocess.run(["ip", "link", "del", MANAGEMENT_BRIDGE], capture_output=True,
                       check=False)


def host_links() -> list[str]:
    """The lab's interfaces left in the host namespace."""
    return sorted(
        name for name in os.listdir("/sys/class/net")
        if name == MANAGEMENT_BRIDGE or name.startswith(MANAGEMENT_VETH_PREFIX)
    )
