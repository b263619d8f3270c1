"""Minimal bootstrap of each lab router: FRR (zebra + ospfd) and an sshd whose login lands
in vtysh, so that netmiko's `cisco_ios` driver and testinfra work against it as against a
real device. The routers' production configuration is rendered elsewhere (platform
templates) and pushed over this SSH login; the bootstrap only brings up interfaces and OSPF.

FRR 8.4 has no mgmtd: zebra and ospfd start directly, each with its own vty socket
directory, pid file and configuration, and daemonize once their sockets exist.
"""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

from spbe.lab.nsexec import Launch
from spbe.lab.state import LOGIN_USER, Paths
from spbe.lab.topology import Node

FRR_BIN = Path("/usr/lib/frr")
VTYSH = Path("/usr/bin/vtysh")
SSHD = Path("/usr/sbin/sshd")
DAEMONS = ("zebra", "ospfd")
# Point-to-point links with hello 1 and no LSA throttling: a small lab converges in about
# two seconds, which keeps `up` short; production timers come from the platform config.
# Dead 10, not 4:
# the dead interval does not slow the bring-up, and on a busy 2-core machine 4 s let the
# core's adjacencies flap while it synchronises hundreds of neighbours.
HELLO, DEAD = 1, 10
# SPF at most twice a second per router: at full scale each of 260 routers receives a few
# hundred LSAs while the network comes up, and an SPF per LSA saturated both cores (routes
# complete 40 s after the core's ospfd started with 0/50/500, 16-18 s with these).
SPF_DELAY_MS, SPF_HOLD_MS, SPF_MAX_HOLD_MS = 100, 500, 1000


def zebra_config(node: Node) -> str:
    return f"hostname {node.name}\n!\n"


def ospfd_config(node: Node) -> str:
    assert node.ospf is not None
    ospf = node.ospf
    lines = [f"hostname {node.name}", "!"]
    for interface in ospf.point_to_point:
        lines += [
            f"interface {interface}",
            " ip ospf network point-to-point",
            f" ip ospf hello-interval {HELLO}",
            f" ip ospf dead-interval {DEAD}",
            "!",
        ]
    for interface in ospf.passive:
        lines += [f"interface {interface}", " ip ospf passive", "!"]
    lines += [
        "router ospf",
        f" ospf router-id {ospf.router_id}",
        f" timers throttle spf {SPF_DELAY_MS} {SPF_HOLD_MS} {SPF_MAX_HOLD_MS}",
        " timers lsa min-arrival 0",
    ]
    lines.append(" timers throttle lsa all 0")
    lines += [f" network {network} area 0" for network in ospf.networks]
    if ospf.redistribute_connected:
        lines.append(" redistribute connected")
    if ospf.default_metric is not None:
        lines.append(f" default-information originate always metric {ospf.default_metric}")
    return "\n".join([*lines, "!", ""])


def write_frr(paths: Paths, node: Node) -> None:
    """Per-router directories: etc (configs, writable by vtysh for `write memory`), run
    (vty sockets, zserv, pid files) and log; owned by FRR's users as the package expects."""
    base = paths.frr(node.name)
    frr = pwd.getpwnam("frr")
    vty_group = grp.getgrnam("frrvty").gr_gid
    for sub in ("etc", "run", "log"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    os.chown(base / "run", frr.pw_uid, frr.pw_gid)
    os.chown(base / "log", frr.pw_uid, frr.pw_gid)
    os.chown(base / "etc", frr.pw_uid, vty_group)
    os.chmod(base / "etc", 0o2775)
    files = {
        "zebra.conf": zebra_config(node),
        "ospfd.conf": ospfd_config(node),
        "vtysh.conf": "service integrated-vtysh-config\n",
    }
    for name, text in files.items():
        path = base / "etc" / name
        path.write_text(text, encoding="ascii")
        os.chown(path, frr.pw_uid, vty_group)
        os.chmod(path, 0o664)


def frr_launch(paths: Paths, node: Node, daemon: str) -> Launch:
    base = paths.frr(node.name)
    run = base / "run"
    return Launch(
        namespace=node.namespace, hostname=node.name, private_frr_dirs=True,
        log=base / "log" / "launch.log",
        argv=[str(FRR_BIN / daemon), "-d", "-A", "127.0.0.1", "-P", "0",
              "--vty_socket", str(run), "-f", str(base / "etc" / f"{daemon}.conf"),
              "-z", str(run / "zserv.api"), "-i", str(run / f"{daemon}.pid"),
              "--log", f"file:{base / 'log' / daemon}.log"],
    )


def frr_pid_files(paths: Paths, node: Node) -> list[Path]:
    return [paths.frr(node.name) / "run" / f"{daemon}.pid" for daemon in DAEMONS]


def vtysh_command(paths: Paths, node: Node, *commands: str) -> list[str]:
    base = paths.frr(node.name)
    argv = [str(VTYSH), "--vty_socket", str(base / "run"), "--config_dir", str(base / "etc")]
    for command in commands:
        argv += ["-c", command]
    return argv


def write_ssh(paths: Paths, host_key: Path, authorized_keys: Path) -> Path:
    """One sshd configuration for all routers (each sshd gets its listen address and pid
    file on the command line). The login user's session is forced into the vtysh of the
    router whose hostname the session sees: every router has its own UTS namespace."""
    login = paths.vtysh_login
    login.write_text(
        "#!/bin/sh\n"
        "# Forced command of the lab's router login: vtysh of this router.\n"
        "read -r router < /proc/sys/kernel/hostname\n"
        f"base={paths.root}/nodes/$router/frr\n"
        'if [ -n "${SSH_ORIGINAL_COMMAND:-}" ]; then\n'
        f'  exec {VTYSH} --vty_socket "$base/run" --config_dir "$base/etc" '
        '-c "$SSH_ORIGINAL_COMMAND"\n'
        "fi\n"
        f'exec {VTYSH} --vty_socket "$base/run" --config_dir "$base/etc"\n',
        encoding="ascii",
    )
    login.chmod(0o755)
    config = paths.ssh / "sshd_config"
    config.write_text(
        "\n".join([
            "Port 22",
            f"HostKey {host_key}",
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            f"AuthorizedKeysFile {authorized_keys}",
            "PermitRootLogin no",
            # the keys live under /run/spbe-lab, not in a home directory sshd would trust
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "MaxStartups 100:30:200",
            f"AllowUsers {LOGIN_USER}",
            f"ForceCommand {login}",
            "",
        ]),
        encoding="ascii",
    )
    return config


def sshd_launch(paths: Paths, node: Node) -> Launch:
    assert node.management is not None
    base = paths.node(node.name)
    return Launch(
        namespace=node.namespace, hostname=node.name, log=base / "sshd.log",
        argv=[str(SSHD), "-f", str(paths.ssh / "sshd_config"),
              "-o", f"ListenAddress={node.management.ip}",
              "-o", f"PidFile={base / 'sshd.pid'}", "-E", str(base / "sshd.log")],
    )


def sshd_pid_file(paths: Paths, node: Node) -> Path:
    return paths.node(node.name) / "sshd.pid"
