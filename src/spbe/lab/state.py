"""Where the lab keeps its files, and the record of what it changed on the host.

Everything lives under one directory on /run (a tmpfs: a reboot, which also removes every
namespace, leaves nothing stale). `down` removes the directory; the record lists what
`up` changed outside it (a user, /run/sshd, sysctls) so that exactly that is undone.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_DIR = Path(os.environ.get("SPBE_LAB_STATE", "/run/spbe-lab"))
LOCK_NAME = "\0spbe-lab"  # abstract Unix socket (see lifecycle.exclusive)
LOGIN_USER = "spbe-netops"  # login forced into vtysh, for netmiko and testinfra


@dataclass
class HostChanges:
    """Changes outside STATE_DIR that `down` must undo."""

    created_user: bool = False
    created_dirs: list[str] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)  # key -> value before `up`


@dataclass
class Record:
    sites: list[str]
    namespaces: list[str]
    namespace_inodes: list[int]  # a process is the lab's if its netns is one of these
    host: HostChanges
    pid_files: list[str] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)  # processes without their own pid file
    sockets: list[str] = field(default_factory=list)  # files daemons leave outside STATE_DIR
    started_at: float = 0.0
    ready_at: float = 0.0


class Paths:
    """File layout of one lab instance."""

    def __init__(self, root: Path = STATE_DIR):
        self.root = root

    @property
    def record(self) -> Path:
        return self.root / "lab.json"

    @property
    def batches(self) -> Path:
        return self.root / "batch"

    @property
    def ssh(self) -> Path:
        return self.root / "ssh"

    @property
    def vtysh_login(self) -> Path:
        return self.root / "vtysh-login"

    @property
    def credentials(self) -> Path:
        return self.root / "credentials.json"

    def node(self, name: str) -> Path:
        return self.root / "nodes" / name

    def frr(self, name: str) -> Path:
        return self.node(name) / "frr"

    def service(self, node: str, service: str) -> Path:
        return self.node(node) / service


def read_record(paths: Paths) -> Record | None:
    try:
        data = json.loads(paths.record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    data["host"] = HostChanges(**data["host"])
    return Record(**data)


def write_record(paths: Paths, record: Record) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    temporary = paths.record.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(record), indent=1), encoding="utf-8")
    temporary.replace(paths.record)
