"""Secret placeholders: the only form a credential or key takes in a template or a file.

Syntax: `<vault:NAME>` where NAME is lowercase ASCII letters, digits and underscores,
e.g. `<vault:snmp_auth_key>`. Templates write it with the `vault` filter
(`{{ "snmp_auth_key" | vault }}`). Rendered files, reviews and reports keep the
placeholder; the value (environment or Ansible Vault) is for the push step alone, which is
not built yet, so no code here ever holds a secret.
"""

from __future__ import annotations

import re

NAME_PATTERN = r"[a-z][a-z0-9_]*"
PLACEHOLDER = re.compile(rf"<vault:({NAME_PATTERN})>")


def placeholder(name: str) -> str:
    """The placeholder for secret `name` (the `vault` template filter)."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise ValueError(f"secret name {name!r} must match {NAME_PATTERN}")
    return f"<vault:{name}>"


def is_placeholder(value: str) -> bool:
    return PLACEHOLDER.fullmatch(value) is not None
