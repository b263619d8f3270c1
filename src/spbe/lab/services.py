"""The data centers' services: nginx (city portal in the DMZ, applications in the app zone),
NSD (authoritative DNS of the city's domain), PostgreSQL (primary in the DC, streaming
replica in the DRC) and the DC-DRC VPN.

VPN: this kernel has neither WireGuard nor ESP/xfrm, so the tunnel runs in userspace.
Debian 12 offers strongSwan's kernel-libipsec plugin and wireguard-go; wireguard-go is one
process per end with a four-line configuration and no IKE daemon, so the lab uses it.
"""

from __future__ import annotations

import glob
import os
import pwd
import subprocess
from pathlib import Path

from spbe.inventory.loader import Inventory
from spbe.lab.nsexec import Launch, run
from spbe.lab.state import Paths
from spbe.lab.topology import NAMESPACE_PREFIX, VPN_PORT, DatacenterLayout, Topology

NGINX = Path("/usr/sbin/nginx")
NSD = Path("/usr/sbin/nsd")
WIREGUARD_GO = Path("/usr/bin/wireguard-go")
WG = Path("/usr/bin/wg")
WIREGUARD_SOCKETS = Path("/var/run/wireguard")
POSTGRES_PORT = 5432
REPLICA_NAME = "drc"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server (Debian installs it under a versioned path)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def make_certificate(paths: Paths, domain: str) -> subprocess.Popen[bytes]:
    """A self-signed wildcard certificate for the lab's HTTPS services."""
    directory = paths.root / "tls"
    directory.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "30", "-subj", f"/CN=*.{domain}",
         "-addext", f"subjectAltName=DNS:*.{domain},DNS:{domain}",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


# --- nginx ---------------------------------------------------------------------------------


def nginx_launch(
    paths: Paths, inventory: Inventory, layout: DatacenterLayout, zone: str
) -> Launch:
    node = layout.zone_hosts[zone]
    directory = paths.service(node, "nginx")
    for sub in ("www", "tmp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    www_data = pwd.getpwnam("www-data")
    os.chown(directory / "tmp", www_data.pw_uid, www_data.pw_gid)
    services = [s for s in inventory.datacenter.services if s.zone == zone]
    names = " ".join(s.fqdn for s in services) or "_"
    titles = ", ".join(s.name for s in services)
    (directory / "www" / "index.html").write_text(
        f"<!doctype html><title>{titles}</title><p>{titles} ({layout.id}, lab)</p>\n",
        encoding="utf-8",
    )
    address = layout.host_addresses[zone]
    listens = [f"listen {address}:443 ssl;"]
    if any(80 in s.ports for s in services):
        listens.insert(0, f"listen {address}:80;")
    tls = paths.root / "tls"
    temp = directory / "tmp"
    (directory / "nginx.conf").write_text(
        "\n".join([
            "daemon on;",
            "worker_processes 1;",
            "user www-data;",
            f"pid {directory}/nginx.pid;",
            f"error_log {directory}/error.log;",
            "events { worker_connections 128; }",
            "http {",
            "  access_log off;",
            *(f"  {kind}_temp_path {temp}/{kind};"
              for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
            "  server {",
            *(f"    {line}" for line in listens),
            f"    server_name {names};",
            f"    ssl_certificate {tls}/cert.pem;",
            f"    ssl_certificate_key {tls}/key.pem;",
            f"    root {directory}/www;",
            "  }",
            "}",
            "",
        ]),
        encoding="ascii",
    )
    return Launch(
        namespace=NAMESPACE_PREFIX + node, log=directory / "launch.log",
        argv=[str(NGINX), "-p", str(directory), "-c", str(directory / "nginx.conf"),
              "-e", str(directory / "error.log")],
    )


# --- NSD -----------------------------------------------------------------------------------


def zone_file(inventory: Inventory, topology: Topology) -> str:
    """The city's zone: name servers in both DMZs, every service at the primary DC."""
    domain = topology.domain
    primary, replica = topology.primary, topology.replica
    lines = [
        f"$ORIGIN {domain}.",
        "$TTL 300",
        f"@ IN SOA ns1.{domain}. hostmaster.{domain}. ( 1 3600 600 86400 300 )",
        f"@ IN NS ns1.{domain}.",
        f"@ IN NS ns2.{domain}.",
        f"ns1 IN A {primary.host_addresses['dmz']}",
        f"ns2 IN A {replica.host_addresses['dmz']}",
        f"@ IN A {primary.host_addresses['dmz']}",
    ]
    for service in inventory.datacenter.services:
        name = service.fqdn.removesuffix(f".{domain}")
        lines.append(f"{name} IN A {primary.host_addresses[service.zone]}")
    return "\n".join([*lines, ""])


def nsd_launch(paths: Paths, inventory: Inventory, topology: Topology,
               layout: DatacenterLayout) -> Launch:
    node = layout.zone_hosts["dmz"]
    directory = paths.service(node, "nsd")
    directory.mkdir(parents=True, exist_ok=True)
    zone_name = topology.domain
    (directory / f"{zone_name}.zone").write_text(zone_file(inventory, topology),
                                                 encoding="ascii")
    (directory / "nsd.conf").write_text(
        "\n".join([
            "server:",
            f"  ip-address: {layout.host_addresses['dmz']}",
            "  port: 53",
            '  username: ""',
            '  chroot: ""',
            '  database: ""',
            "  server-count: 1",
            "  hide-version: yes",
            f"  zonesdir: {directory}",
            f"  pidfile: {directory}/nsd.pid",
            f"  xfrdfile: {directory}/xfrd.state",
            f"  xfrdir: {directory}",
            f"  zonelistfile: {directory}/zone.list",
            f"  logfile: {directory}/nsd.log",
            "remote-control:",
            "  control-enable: no",
            "zone:",
            f"  name: {zone_name}",
            f"  zonefile: {zone_name}.zone",
            "",
        ]),
        encoding="ascii",
    )
    return Launch(namespace=NAMESPACE_PREFIX + node, log=directory / "launch.log",
                  argv=[str(NSD), "-c", str(directory / "nsd.conf")])


# --- PostgreSQL ----------------------------------------------------------------------------


class Postgres:
    """Primary in the DC's database zone, streaming replica in the DRC's, replicating over
    the VPN. The replica starts from a copy of the freshly initialised, never started
    primary cluster (a valid cold base backup), so both start at once."""

    def __init__(self, paths: Paths, topology: Topology):
        self.paths = paths
        self.topology = topology
        self.bin = postgres_bin() or Path("/usr/lib/postgresql/15/bin")
        self.password = os.urandom(12).hex()

    def directory(self, layout: DatacenterLayout) -> Path:
        return self.paths.service(layout.zone_hosts["db"], "postgres")

    def socket_dir(self, layout: DatacenterLayout) -> Path:
        return self.directory(layout) / "socket"

    def initdb(self) -> subprocess.Popen[bytes]:
        """Start initdb of the primary (about 0.6 s) while the network comes up."""
        directory = self.directory(self.topology.primary)
        directory.mkdir(parents=True, exist_ok=True)
        postgres = pwd.getpwnam("postgres")
        os.chown(directory, postgres.pw_uid, postgres.pw_gid)
        password_file = directory / "password"
        password_file.write_text(self.password + "\n", encoding="ascii")
        os.chown(password_file, postgres.pw_uid, postgres.pw_gid)
        password_file.chmod(0o600)
        return subprocess.Popen(
            [str(self.bin / "initdb"), "-D", str(directory / "data"), "--no-sync",
             "-U", "postgres", f"--pwfile={password_file}", "--auth-host=scram-sha-256",
             "--auth-local=peer", "-E", "UTF8", "--locale=C.UTF-8"],
            user="postgres", group="postgres", cwd=directory,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def hba(self) -> str:
        primary, replica = self.topology.primary, self.topology.replica
        lines = ["local all postgres peer"]
        for layout in (primary, replica):
            lines.append(f"host replication postgres {layout.zone_prefixes['db']} "
                         "scram-sha-256")
            for zone in ("app", "noc_mgmt", "db"):
                lines.append(f"host all all {layout.zone_prefixes[zone]} scram-sha-256")
        return "\n".join([*lines, ""])

    def prepare_clusters(self) -> None:
        """After initdb: access rules, then the replica's copy with its standby settings."""
        primary, replica = self.topology.primary, self.topology.replica
        source = self.directory(primary) / "data"
        (source / "pg_hba.conf").write_text(self.hba(), encoding="ascii")
        target = self.directory(replica)
        target.mkdir(parents=True, exist_ok=True)
        postgres = pwd.getpwnam("postgres")
        os.chown(target, postgres.pw_uid, postgres.pw_gid)
        subprocess.run(["cp", "-a", str(source), str(target / "data")], check=True)
        (target / "data" / "standby.signal").touch()
        conninfo = (f"host={primary.host_addresses['db']} port={POSTGRES_PORT} user=postgres "
                    f"password={self.password} application_name={REPLICA_NAME}")
        with open(target / "data" / "postgresql.auto.conf", "a", encoding="ascii") as auto:
            auto.write(f"primary_conninfo = '{conninfo}'\n")
        for layout in (primary, replica):
            socket_dir = self.socket_dir(layout)
            socket_dir.mkdir(exist_ok=True)
            for path in (socket_dir, target / "data" / "standby.signal"):
                os.chown(path, postgres.pw_uid, postgres.pw_gid)

    def launch(self, layout: DatacenterLayout) -> Launch:
        directory = self.directory(layout)
        settings = {
            "listen_addresses": str(layout.host_addresses["db"]),
            "port": str(POSTGRES_PORT),
            "unix_socket_directories": str(self.socket_dir(layout)),
            "shared_buffers": "16MB",
            # System V shared memory lives in the launcher's private IPC namespace and so
            # disappears with the server even after a SIGKILL
            "dynamic_shared_memory_type": "sysv",
            "fsync": "off",  # a lab: the data dies with `down` anyway
            "wal_retrieve_retry_interval": "200ms",
            "logging_collector": "off",
        }
        argv = [str(self.bin / "postgres"), "-D", str(directory / "data")]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return Launch(namespace=NAMESPACE_PREFIX + layout.zone_hosts["db"], argv=argv,
                      log=directory / "postgres.log", user="postgres", private_ipc=True,
                      daemonizes=False)

    def sql(self, layout: DatacenterLayout, statement: str, timeout: float = 10) -> str:
        result = run(
            NAMESPACE_PREFIX + layout.zone_hosts["db"],
            [str(self.bin / "psql"), "-h", str(self.socket_dir(layout)),
             "-U", "postgres", "-d", "postgres", "-AtX", "-v", "ON_ERROR_STOP=1",
             "-c", statement],
            user="postgres", timeout=timeout,
        )
        return result.stdout.strip()


# --- WireGuard -----------------------------------------------------------------------------


def make_vpn_key(paths: Paths, layout: DatacenterLayout) -> tuple[Path, str]:
    directory = paths.service(layout.edge, "wireguard")
    directory.mkdir(parents=True, exist_ok=True)
    private = directory / "private.key"
    key = subprocess.run([str(WG), "genkey"], capture_output=True, text=True, check=True)
    private.write_text(key.stdout, encoding="ascii")
    private.chmod(0o600)
    public = subprocess.run([str(WG), "pubkey"], input=key.stdout, capture_output=True,
                            text=True, check=True)
    return private, public.stdout.strip()


def vpn_launch(paths: Paths, layout: DatacenterLayout) -> Launch:
    return Launch(
        namespace=NAMESPACE_PREFIX + layout.edge,
        log=paths.service(layout.edge, "wireguard") / "log",
        argv=[str(WIREGUARD_GO), "-f", layout.vpn_interface], daemonizes=False,
        # wireguard-go refuses to run on kernels that ship WireGuard unless told that the
        # module is really missing, as it is here
        env={"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1", "LOG_LEVEL": "error"},
    )


def vpn_socket(layout: DatacenterLayout) -> Path:
    return WIREGUARD_SOCKETS / f"{layout.vpn_interface}.sock"


def configure_vpn(
    layout: DatacenterLayout, peer: DatacenterLayout, private_key: Path, peer_public: str
) -> None:
    namespace = NAMESPACE_PREFIX + layout.edge
    allowed = [f"{peer.vpn_address}/32"] + [str(peer.zone_prefixes[z])
                                             for z in peer.replicated_zones]
    run(namespace, [str(WG), "set", layout.vpn_interface, "private-key", str(private_key),
                    "listen-port", str(VPN_PORT), "peer", peer_public,
                    "endpoint", f"{peer.external_address.ip}:{VPN_PORT}",
                    "allowed-ips", ",".join(allowed)])
    commands = [f"addr add {layout.vpn_address}/32 dev {layout.vpn_interface}",
                f"link set {layout.vpn_interface} up"]
    commands += [f"route add {prefix} dev {layout.vpn_interface}"
                 for prefix in layout.vpn_routes]
    run(namespace, ["ip", "-batch", "-"], input_text="\n".join(commands) + "\n")
