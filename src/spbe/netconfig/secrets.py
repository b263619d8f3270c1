"""Secret placeholders: the only form a credential or key takes in a template or a file.

Syntax: `<vault:NAME>` where NAME is lowercase ASCII letters, digits and underscores,
e.g. `<vault:snmp_auth_key>`. Templates write it with the `vault` filter
(`{{ "snmp_auth_key" | vault }}`). At push time `resolve` replaces every placeholder with
the value from the environment (`SPBE_VAULT_SNMP_AUTH_KEY`) or from a mapping (variables
decrypted from Ansible Vault), and refuses to return text that still holds one, so an
unresolved placeholder can never reach a device.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

NAME_PATTERN = r"[a-z][a-z0-9_]*"
PLACEHOLDER = re.compile(rf"<vault:({NAME_PATTERN})>")
ENVIRONMENT_PREFIX = "SPBE_VAULT_"


def placeholder(name: str) -> str:
    """The placeholder for secret `name` (the `vault` template filter)."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise ValueError(f"secret name {name!r} must match {NAME_PATTERN}")
    return f"<vault:{name}>"


def is_placeholder(value: str) -> bool:
    return PLACEHOLDER.fullmatch(value) is not None


def names(text: str) -> list[str]:
    """Secret names a configuration needs, sorted, each once."""
    return sorted(set(PLACEHOLDER.findall(text)))


class UnresolvedSecret(LookupError):
    def __init__(self, missing: list[str]):
        self.missing = missing
        env = ", ".join(ENVIRONMENT_PREFIX + name.upper() for name in missing)
        super().__init__(f"no value for secret(s) {', '.join(missing)} (set {env} or vault)")


def resolve(text: str, values: Mapping[str, str] | None = None) -> str:
    """`text` with every placeholder replaced; `values` wins over the environment."""
    values = values or {}
    missing = [
        name
        for name in names(text)
        if name not in values and ENVIRONMENT_PREFIX + name.upper() not in os.environ
    ]
    if missing:
        raise UnresolvedSecret(missing)

    def value(match: re.Match[str]) -> str:
        name = match[1]
        return values[name] if name in values else os.environ[ENVIRONMENT_PREFIX + name.upper()]

    return PLACEHOLDER.sub(value, text)
