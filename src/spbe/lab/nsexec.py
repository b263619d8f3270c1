"""Run programs inside the lab's namespaces without one `ip netns exec` per command.

`ip netns exec` costs a process, a mount namespace and a /sys remount per call; with about
800 daemons at full scale that alone takes seconds. Here a forked child joins the network
namespace with setns(2), optionally gets its own UTS namespace (the router's hostname:
FRR reads it for its prompt and `hostname` pushed through vtysh only reaches the daemons
that way), its own IPC namespace (PostgreSQL's System V memory then dies with it) and,
for FRR, private /var/tmp and /run/frr (crash-log buffers and the shared graceful-restart
file would otherwise outlive a SIGKILL or be written by 500 daemons at once), and execs.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import selectors
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
NETNS_DIR = Path("/run/netns")
FRR_TMP = Path("/var/tmp")
FRR_STATE = Path("/run/frr")  # compiled into FRR: ospfd writes its graceful-restart file here

_libc = ctypes.CDLL(None, use_errno=True)


class LaunchError(RuntimeError):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _setns(path: Path, kind: int) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        _check(_libc.setns(fd, kind), f"setns {path}")
    finally:
        os.close(fd)


@dataclass
class Launch:
    """One program to start in a namespace."""

    namespace: str
    argv: Sequence[str]
    log: Path
    hostname: str | None = None  # own UTS namespace with this hostname
    user: str | None = None
    private_ipc: bool = False
    private_frr_dirs: bool = False
    env: dict[str, str] = field(default_factory=dict)
    daemonizes: bool = True  # the program forks itself away; its exit means "initialised"
    then: Launch | None = None  # started as soon as this one has initialised


def _become(spec: Launch) -> None:
    """In the child: join the namespace, isolate what must be isolated, drop privileges."""
    _setns(NETNS_DIR / spec.namespace, CLONE_NEWNET)
    flags = (CLONE_NEWUTS if spec.hostname else 0) | (CLONE_NEWIPC if spec.private_ipc else 0)
    flags |= CLONE_NEWNS if spec.private_frr_dirs else 0
    if flags:
        _check(_libc.unshare(flags), "unshare")
    if spec.hostname:
        socket.sethostname(spec.hostname)
    if spec.private_frr_dirs:
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate")
        frr = pwd.getpwnam("frr")
        for target, options in (
            (FRR_TMP, "size=4m,mode=1777"),
            (FRR_STATE, f"size=1m,mode=0755,uid={frr.pw_uid},gid={frr.pw_gid}"),
        ):
            _check(_libc.mount(b"tmpfs", str(target).encode(), b"tmpfs", 0, options.encode()),
                   f"mount {target}")
    if spec.user:
        account = pwd.getpwnam(spec.user)
        os.initgroups(spec.user, account.pw_gid)
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)


def _exec(spec: Launch) -> None:
    """Child side of a launch; never returns."""
    try:
        log = os.open(spec.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.setsid()
        _become(spec)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **spec.env}
        os.execve(spec.argv[0], list(spec.argv), env)
    except BaseException as exc:  # report in the log: the parent only sees the exit code
        os.write(2, f"launch in {spec.namespace} failed: {exc!r}\n".encode())
    os._exit(127)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(specs: Sequence[Launch], concurrency: int = 32) -> list[int]:
    """Start every program. Self-daemonizing programs are waited for (their exit status is
    the readiness signal, at most `concurrency` at once) and then their `then` follow-up
    starts; foreground programs are double forked so that init adopts them at once.
    Returns the PIDs of the foreground ones."""
    running: dict[int, tuple[Launch, int]] = {}  # pid -> (spec, pidfd)
    failed: list[str] = []
    pids: list[int] = []
    # pidfds, not os.wait(): other children of this process (initdb, key generation) run
    # at the same time and must be left for their own owners to reap
    waiter = selectors.DefaultSelector()

    def reap_one() -> None:
        ready = waiter.select()
        for key, _ in ready:
            pid = key.data
            spec, pidfd = running.pop(pid)
            waiter.unregister(pidfd)
            os.close(pidfd)
            _, status = os.waitpid(pid, 0)
            if status != 0:
                failed.append(f"{spec.argv[0]} in {spec.namespace} (exit {status >> 8}): "
                              f"{_tail(spec.log)}")
            elif spec.then is not None:
                queue.append(spec.then)

    queue = list(specs)
    try:
        while queue or running:
            if not queue:
                reap_one()
                continue
            spec = queue.pop(0)
            if not spec.daemonizes:
                pids.append(_double_fork(spec))
                continue
            while len(running) >= concurrency:
                reap_one()
            pid = os.fork()
            if pid == 0:
                _exec(spec)
            pidfd = os.pidfd_open(pid)
            running[pid] = (spec, pidfd)
            waiter.register(pidfd, selectors.EVENT_READ, pid)
    finally:
        waiter.close()
    if failed:
        raise LaunchError("; ".join(failed))
    return pids


def _double_fork(spec: Launch) -> int:
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(write_end)
            _exec(spec)
        os.write(write_end, struct.pack("i", grandchild))
        os._exit(0)
    os.close(write_end)
    data = os.read(read_end, 4)
    os.close(read_end)
    os.waitpid(middle, 0)
    if len(data) != 4:
        raise LaunchError(f"could not start {spec.argv[0]} in {spec.namespace}")
    return int(struct.unpack("i", data)[0])


def run(
    namespace: str, argv: Sequence[str], *, user: str | None = None, timeout: float = 30,
    hostname: str | None = None, check: bool = True, input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a short command inside a namespace and capture its output."""
    spec = Launch(namespace, argv, Path(os.devnull), hostname=hostname, user=user)
    result = subprocess.run(
        list(argv), preexec_fn=lambda: _become(spec), capture_output=True, text=True,
        timeout=timeout, input=input_text, check=False,
    )
    if check and result.returncode != 0:
        raise LaunchError(f"{' '.join(argv)} in {namespace} failed ({result.returncode}): "
                          f"{(result.stderr or result.stdout).strip()}")
    return result


@contextmanager
def inside(namespace: str) -> Iterator[None]:
    """Move this (single-threaded) process into a namespace for a moment: sockets opened
    inside stay there after returning, which lets one process probe many namespaces."""
    original = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        _setns(NETNS_DIR / namespace, CLONE_NEWNET)
        yield
    finally:
        _check(_libc.setns(original, CLONE_NEWNET), "setns back")
        os.close(original)


def existing_namespaces(prefix: str) -> list[str]:
    try:
        return sorted(name for name in os.listdir(NETNS_DIR) if name.startswith(prefix))
    except FileNotFoundError:
        return []


def namespace_inodes(namespaces: Iterable[str]) -> list[int]:
    found = []
    for name in namespaces:
        try:
            found.append(os.stat(NETNS_DIR / name).st_ino)
        except FileNotFoundError:
            continue
    return found


def pids_in(inodes: Iterable[int]) -> list[int]:
    """Every process whose network namespace has one of these inode numbers."""
    wanted = set(inodes)
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}/ns/net").st_ino in wanted:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def route_table_keys() -> set[tuple[str, str]]:
    """(destination, mask) hex pairs of the current namespace's main IPv4 table."""
    with open("/proc/thread-self/net/route", encoding="ascii") as table:
        next(table)
        return {(fields[1], fields[7]) for fields in (line.split() for line in table)}


def routes() -> set[IPv4Network]:
    """IPv4 destinations in the main table of the current namespace."""
    return {
        IPv4Network(f"{IPv4Address(struct.pack('<I', int(destination, 16)))}/"
                    f"{bin(int(mask, 16)).count('1')}")
        for destination, mask in route_table_keys()
    }


def tcp_listening(port: int) -> bool:
    with open("/proc/thread-self/net/tcp", encoding="ascii") as table:
        next(table)
        return any(
            fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port
            for fields in (line.split() for line in table)
        )


def wait_for(
    condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll `condition()` until true; raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
