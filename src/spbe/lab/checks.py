"""Readiness and verification probes, run from one process that steps into namespaces.

Packets are real: a probe opens its socket inside the source namespace (setns), bound to
the source zone's address, and waits for the answer from the destination's kernel or
service. The lab's firewalls drop (never reject) what they deny, so:
  passed   TCP handshake or RST, UDP answer or ICMP port-unreachable, ICMP echo reply
  dropped  nothing came back within the timeout
  error    the network itself refused (no route, host unreachable): a lab fault
"""

from __future__ import annotations

import errno
import os
import resource
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from spbe.inventory.loader import Inventory
from spbe.ipam import Plan
from spbe.lab.nsexec import inside, route_table_keys
from spbe.lab.topology import Node, Role, Topology
from spbe.zonepolicy import compile_policy, decide, firewalls_between, zone_side

PASSED, DROPPED, ERROR = "passed", "dropped", "error"


@dataclass(frozen=True)
class Flow:
    namespace: str
    source: IPv4Address
    destination: IPv4Address
    protocol: str  # tcp, udp, icmp
    port: int | None


def _dns_query(name: str) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split("."))
    return struct.pack("!HHHHHH", 0x5B1E, 0x0100, 1, 0, 0, 0) + labels + b"\0\0\1\0\1"


def _echo_request(ident: int) -> bytes:
    header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    payload = b"spbe-lab"
    data = header + payload
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    checksum = ~(total + (total >> 16)) & 0xFFFF
    return struct.pack("!BBHHH", 8, 0, checksum, ident, 1) + payload


def _raise_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed + 64), hard))


def probe(flows: list[Flow], timeout: float = 1.0, dns_name: str = "") -> list[str]:
    """Send every flow at once and classify each (see module docstring)."""
    _raise_file_limit(len(flows))
    outcome = [DROPPED] * len(flows)
    selector = selectors.DefaultSelector()
    sockets: list[socket.socket] = []
    idents: dict[int, int] = {}
    try:
        for index, flow in enumerate(flows):
            with inside(flow.namespace):
                if flow.protocol == "icmp":
                    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                elif flow.protocol == "udp":
                    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                else:
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setblocking(False)
            sock.bind((str(flow.source), 0))
            if flow.protocol == "tcp":
                code = sock.connect_ex((str(flow.destination), flow.port or 0))
                if code not in (0, errno.EINPROGRESS):
                    outcome[index] = ERROR
                    continue
                selector.register(sock, selectors.EVENT_WRITE, index)
                continue
            if flow.protocol == "udp":
                sock.connect((str(flow.destination), flow.port or 0))
                payload = _dns_query(dns_name) if flow.port == 53 and dns_name else b"probe"
                sock.send(payload)
            else:
                ident = (os.getpid() + index) & 0xFFFF
                idents[index] = ident
                sock.connect((str(flow.destination), 0))
                sock.send(_echo_request(ident))
            selector.register(sock, selectors.EVENT_READ, index)
        deadline = time.monotonic() + timeout
        while selector.get_map() and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                index = key.data
                sock = sockets[index]
                flow = flows[index]
                if flow.protocol == "tcp":
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    outcome[index] = PASSED if code in (0, errno.ECONNREFUSED) else ERROR
                elif flow.protocol == "udp":
                    try:
                        sock.recv(512)
                        outcome[index] = PASSED
                    except ConnectionRefusedError:
                        outcome[index] = PASSED
                    except OSError:
                        outcome[index] = ERROR
                else:
                    packet = sock.recv(2048)
                    header = (packet[0] & 0x0F) * 4
                    kind, _, _, ident = struct.unpack("!BBHH", packet[header:header + 6])
                    if kind != 0 or ident != idents[index]:
                        continue  # a raw socket sees every ICMP packet of its namespace
                    outcome[index] = PASSED
                selector.unregister(sock)
    finally:
        selector.close()
        for sock in sockets:
            sock.close()
    return outcome


# --- routing -------------------------------------------------------------------------------


def _route_keys(prefixes: list[IPv4Network]) -> set[tuple[str, str]]:
    """(destination, mask) as /proc/net/route spells them: little-endian hex."""
    def spelled(address: IPv4Address) -> str:
        return f"{struct.unpack('<I', address.packed)[0]:08X}"
    return {(spelled(p.network_address), spelled(p.netmask)) for p in prefixes}


def missing_routes(topology: Topology) -> dict[str, int]:
    """Per router (and internal firewall): how many LAN and zone routes it still lacks.
    Compares the kernel's text table as strings: at full scale this runs every half
    second over 260 tables of 530 routes while the daemons converge, so it must be cheap."""
    wanted = _route_keys(topology.route_targets)
    missing = {}
    for node in topology.nodes.values():
        if node.ospf is None:
            continue
        with inside(node.namespace):
            present = route_table_keys()
        lacking = len(wanted - present)
        if lacking:
            missing[node.name] = lacking
    return missing


# --- reachability --------------------------------------------------------------------------


def lan_address(node: Node) -> IPv4Address:
    return node.address("lan0").ip


def portal_flows(topology: Topology) -> list[Flow]:
    """From every site LAN (branches and the NOC) to the portal in the primary DMZ. The
    zone policy denies ICMP from branches to the DMZ, so the check is the portal's HTTP
    handshake, which it allows."""
    portal = topology.primary.host_addresses["dmz"]
    return [Flow(node.namespace, lan_address(node), portal, "tcp", 80)
            for node in topology.routers()]


def unreachable_lans(topology: Topology) -> list[str]:
    flows = portal_flows(topology)
    results = probe(flows, timeout=2.0)
    return [flow.namespace for flow, result in zip(flows, results, strict=True)
            if result != PASSED]


# --- bandwidth -----------------------------------------------------------------------------

SHAPING_PORT = 5201


def downlink_mbps(topology: Topology, branch: str, seconds: float = 1.0,
                  warm_up: float = 0.3) -> float:
    """Steady-state throughput of one TCP stream from the NOC's LAN to a branch LAN (the
    NOC shapes each site's downlink to its contracted bandwidth). The first `warm_up`
    seconds are not counted: slow start overshoots the shaper's queue and the first
    stream after `up` loses a retransmission timeout there."""
    core = topology.by_role(Role.CORE)[0]
    site = topology.nodes[branch]
    with inside(site.namespace):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with inside(core.namespace):
        sender = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    samples: list[tuple[float, int]] = []  # (when, bytes received so far)

    def receive() -> None:
        connection, _ = listener.accept()
        total = 0
        with connection:
            while chunk := connection.recv(65536):
                total += len(chunk)
                samples.append((time.monotonic(), total))

    with listener, sender:
        listener.bind((str(lan_address(site)), SHAPING_PORT))
        listener.listen(1)
        receiver = threading.Thread(target=receive)
        receiver.start()
        sender.bind((str(lan_address(core)), 0))
        sender.connect((str(lan_address(site)), SHAPING_PORT))
        payload = b"\0" * 65536
        deadline = time.monotonic() + warm_up + seconds
        while time.monotonic() < deadline:
            sender.sendall(payload)
        sender.shutdown(socket.SHUT_WR)
        receiver.join(timeout=10)
    if not samples:
        return 0.0
    start = samples[0][0] + warm_up
    counted = [sample for sample in samples if sample[0] >= start]
    if len(counted) < 2:
        return 0.0
    (first_time, first_bytes), (last_time, last_bytes) = counted[0], counted[-1]
    return (last_bytes - first_bytes) * 8 / (last_time - first_time) / 1e6


# --- zone policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCase:
    datacenter: str
    source_zone: str
    destination_zone: str
    protocol: str
    port: int | None
    expected: str  # allow or deny, from zonepolicy.decide
    rule: str | None
    observed: str = ""

    @property
    def agrees(self) -> bool:
        return (self.expected == "allow") == (self.observed == PASSED) and \
            self.observed != ERROR


def policy_cases(inventory: Inventory, addresses: Plan, topology: Topology) -> list[PolicyCase]:
    """Every ordered pair of zones whose path crosses a data-center firewall, with every
    service the policy names, in both data centers. Branch<->internet runs once, through
    the primary data center, which is where that traffic goes."""
    services = inventory.policy.services
    zones = [z.id for z in inventory.datacenter.zones] + ["internet", "branch"]
    cases = []
    for layout in topology.datacenters:
        rules = compile_policy(inventory, addresses, layout.id)
        for source in zones:
            for destination in zones:
                if source == destination:
                    continue
                if {source, destination} == {"internet", "branch"} and layout is not \
                        topology.primary:
                    continue
                crossing = firewalls_between(zone_side(inventory, source),
                                             zone_side(inventory, destination))
                if not crossing:
                    continue
                for service in services.values():
                    ports: list[int | None] = list(service.ports) or [None]
                    for port in ports:
                        action, rule = decide(rules, source, destination, service.protocol,
                                              port)
                        cases.append(PolicyCase(layout.id, source, destination,
                                                service.protocol, port, action, rule))
    return cases


def _endpoint(topology: Topology, datacenter: str, zone: str) -> tuple[str, IPv4Address]:
    if zone == "internet":
        return topology.nodes["internet"].namespace, topology.internet_host
    if zone == "branch":
        branch = topology.by_role(Role.BRANCH)[0]
        return branch.namespace, lan_address(branch)
    layout = topology.datacenter(datacenter)
    return topology.nodes[layout.zone_hosts[zone]].namespace, layout.host_addresses[zone]


def run_policy(inventory: Inventory, addresses: Plan, topology: Topology) -> list[PolicyCase]:
    cases = policy_cases(inventory, addresses, topology)
    flows = []
    for case in cases:
        namespace, source = _endpoint(topology, case.datacenter, case.source_zone)
        _, destination = _endpoint(topology, case.datacenter, case.destination_zone)
        flows.append(Flow(namespace, source, destination, case.protocol, case.port))
    observed = probe(flows, timeout=1.0, dns_name=f"www.{topology.domain}")
    return [PolicyCase(**{**case.__dict__, "observed": result})
            for case, result in zip(cases, observed, strict=True)]


# --- DNS -----------------------------------------------------------------------------------


def resolve(namespace: str, server: IPv4Address, name: str, timeout: float = 2.0) -> str | None:
    """Ask `server` for the A record of `name`; the address, or None."""
    with inside(namespace):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        sock.settimeout(timeout)
        sock.connect((str(server), 53))
        sock.send(_dns_query(name))
        try:
            answer = sock.recv(512)
        except OSError:
            return None
    return _first_a_record(answer)


def _skip_name(message: bytes, offset: int) -> int:
    while message[offset]:
        if message[offset] & 0xC0 == 0xC0:  # compression pointer ends the name
            return offset + 2
        offset += message[offset] + 1
    return offset + 1


def _first_a_record(message: bytes) -> str | None:
    questions, answers = struct.unpack("!HH", message[4:8])
    offset = 12
    for _ in range(questions):
        offset = _skip_name(message, offset) + 4
    for _ in range(answers):
        offset = _skip_name(message, offset)
        kind, _, _, length = struct.unpack("!HHIH", message[offset:offset + 10])
        offset += 10
        if kind == 1 and length == 4:
            return str(IPv4Address(message[offset:offset + 4]))
        offset += length
    return None
