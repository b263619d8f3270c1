"""What this machine must offer before `spbe lab up` touches anything."""

from __future__ import annotations

import os
import pwd
import subprocess
from ipaddress import IPv4Network
from pathlib import Path

from spbe.lab import bootstrap, services
from spbe.lab.topology import MANAGEMENT_BRIDGE

# program -> Debian package that provides it (all listed in scripts/apt-packages.txt)
PROGRAMS = {
    Path("/usr/sbin/ip"): "iproute2",
    Path("/usr/sbin/nft"): "nftables",
    bootstrap.FRR_BIN / "zebra": "frr",
    bootstrap.FRR_BIN / "ospfd": "frr",
    bootstrap.VTYSH: "frr",
    bootstrap.SSHD: "openssh-server",
    Path("/usr/bin/ssh-keygen"): "openssh-client",
    services.NGINX: "nginx-light",
    services.NSD: "nsd",
    services.WIREGUARD_GO: "wireguard-go",
    services.WG: "wireguard-tools",
    Path("/usr/bin/openssl"): "openssl",
}
USERS = {"frr": "frr", "postgres": "postgresql", "www-data": "base-passwd"}


def problems(management: IPv4Network) -> list[str]:
    """Everything missing, each with the fix; empty when the lab can start."""
    found = []
    if os.geteuid() != 0:
        found.append("must run as root (network namespaces, veth links, daemons)")
    missing = sorted({package for program, package in PROGRAMS.items()
                      if not program.exists()})
    if services.postgres_bin() is None:
        missing.append("postgresql")
    if missing:
        found.append(f"missing Debian packages: {' '.join(missing)} "
                     f"(apt-get install {' '.join(missing)}, or ./run.sh installs them)")
    for user, package in USERS.items():
        try:
            pwd.getpwnam(user)
        except KeyError:
            found.append(f"user {user!r} is missing (created by the {package} package)")
    if not Path("/dev/net/tun").exists():
        found.append("/dev/net/tun is missing: wireguard-go needs the tun device")
    if Path("/usr/sbin/ip").exists():
        found += _route_conflicts(management)
    return found


def _route_conflicts(management: IPv4Network) -> list[str]:
    """The lab's management network is routed on the host; refuse if the host already uses
    that range for something else."""
    routes = subprocess.run(["ip", "-4", "-o", "route", "show", "table", "main"],
                            capture_output=True, text=True, check=False).stdout
    conflicts = []
    for line in routes.splitlines():
        fields = line.split()
        if not fields or fields[0] == "default" or MANAGEMENT_BRIDGE in fields:
            continue
        try:
            prefix = IPv4Network(fields[0], strict=False)
        except ValueError:
            continue
        if prefix.overlaps(management):
            conflicts.append(f"the host already routes {prefix}, which overlaps the lab's "
                             f"management network {management} (route: {line.strip()})")
    return conflicts
