"""hier_config rules for FRRouting's `vtysh` configuration syntax."""

from __future__ import annotations

from hier_config import MatchRule
from hier_config.models import IdempotentCommandsRule, PerLineSubRule
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules


def _single_valued(*lineage: str) -> IdempotentCommandsRule:
    """A command that takes one value: the new line replaces the old, no `no` needed."""
    return IdempotentCommandsRule(match_rules=tuple(MatchRule(startswith=s) for s in lineage))


class FRRDriver(HConfigDriverBase):
    """vtysh: `!` comments, `frr version`/`frr defaults` banners, `exit` closes sections."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return HConfigDriverRules(
            per_line_sub=[
                PerLineSubRule(search=r"^\s*!.*", replace=""),
                PerLineSubRule(search=r"^Building configuration.*", replace=""),
                PerLineSubRule(search=r"^Current configuration.*", replace=""),
                PerLineSubRule(search=r"^frr (version|defaults) .*", replace=""),
                PerLineSubRule(search=r"^end$", replace=""),
                # show running-config closes sections with `exit`; indentation says the same
                PerLineSubRule(search=r"^\s*exit$", replace=""),
            ],
            idempotent_commands=[
                _single_valued("hostname "),
                _single_valued("banner motd "),
                _single_valued("log syslog "),
                _single_valued("interface ", "description "),
                _single_valued("interface ", "bandwidth "),
                _single_valued("router ospf", "ospf router-id "),
            ],
        )
