"""Shared syntax for Cisco-like platforms (indentation nests lines), built on hier_config.

hier_config parses the text into its tree and computes the remediation: the commands
that turn a running configuration into the intended one, negating what must go away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hier_config import HConfig, HConfigChild, WorkflowRemediation, get_hconfig
from hier_config.exceptions import DuplicateChildError
from hier_config.platforms.driver_base import HConfigDriverBase

from spbe.platforms.base import ConfigLine, ConfigSyntaxError, ConfigTree


def _to_line(child: HConfigChild) -> ConfigLine:
    return ConfigLine(child.text, tuple(_to_line(c) for c in child.children))


@dataclass(frozen=True)
class HierConfigPlatform:
    """A platform whose syntax hier_config understands through `driver`."""

    name: str
    description: str
    netmiko_device_type: str
    config_suffix: str
    comment_prefix: str
    driver: Callable[[], HConfigDriverBase] = field(repr=False)

    def load(self, text: str) -> HConfig:
        try:
            return get_hconfig(self.driver(), text)
        except DuplicateChildError as exc:
            raise ConfigSyntaxError(0, str(exc), "the same section appears twice") from None

    def parse(self, text: str) -> ConfigTree:
        return tuple(_to_line(child) for child in self.load(text).children)

    def remediation(self, running: str, intended: str) -> list[str]:
        workflow = WorkflowRemediation(self.load(running), self.load(intended))
        return [
            child.cisco_style_text()
            for child in workflow.remediation_config.all_children_sorted()
        ]
