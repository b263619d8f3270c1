"""The contract every device platform implements.

Adding a vendor means adding a folder `platforms/<name>/` whose `__init__.py` exposes
`PLATFORM`, an object satisfying `Platform`, plus its Jinja2 templates under
`network_configs/templates/<name>/<role>.j2`; nothing else in the core changes.

A platform knows its configuration syntax: how to read a configuration into a tree of
lines (`parse`, used by the compliance rules on rendered and backed-up configs) and which
commands turn a running configuration into the intended one (`remediation`, shown to
reviewers and later sent by the push).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ConfigLine:
    """One configuration line and the lines nested under it.

    Cisco-like syntaxes nest by indentation; RouterOS nests commands under their menu path
    (`/ip service` -> `set telnet disabled=yes`).
    """

    text: str
    children: tuple[ConfigLine, ...] = ()
    line_number: int | None = None

    def walk(
        self, parent: ConfigLine | None = None
    ) -> Iterator[tuple[ConfigLine | None, ConfigLine]]:
        """This line and every descendant, each with its direct parent."""
        yield parent, self
        for child in self.children:
            yield from child.walk(self)


ConfigTree = tuple[ConfigLine, ...]


def walk_tree(tree: ConfigTree) -> Iterator[tuple[ConfigLine | None, ConfigLine]]:
    for line in tree:
        yield from line.walk()


class ConfigSyntaxError(ValueError):
    """A configuration text that its platform's parser cannot read."""

    def __init__(self, line_number: int, line: str, reason: str):
        self.line_number = line_number
        self.line = line
        self.reason = reason
        super().__init__(f"line {line_number}: {reason}: {line!r}")


@runtime_checkable
class Platform(Protocol):
    """What the core needs to know about a device platform."""

    name: str
    description: str
    netmiko_device_type: str
    config_suffix: str
    comment_prefix: str  # starts a comment line in this syntax (generated-file header)

    def parse(self, text: str) -> ConfigTree:
        """The configuration as a tree; raises ConfigSyntaxError on unreadable input."""
        ...

    def remediation(self, running: str, intended: str) -> list[str]:
        """Commands, in order, that turn `running` into `intended` on the device."""
        ...


@dataclass(frozen=True)
class PlatformInfo:
    """Plain description of a platform; packages extend it with their syntax."""

    name: str
    description: str
    netmiko_device_type: str
    config_suffix: str
    comment_prefix: str
