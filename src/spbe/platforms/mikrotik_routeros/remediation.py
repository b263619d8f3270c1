"""RouterOS remediation: the commands that turn a running configuration into the intended.

hier_config has no RouterOS driver, and a line-by-line diff would be wrong for RouterOS:
items created by `add` are identified by a few key arguments (an address, a name, a
comment), not by the whole line, and re-sending an `add` duplicates the item. This driver
compares items by those keys and emits:

- `set` on a singleton or named item only for the arguments whose value changes;
- `add` for new items, placed before their intended successor in ordered menus (firewall
  rules are evaluated top to bottom), `set [find ...]` for changed items (keeps their
  position), `remove [find ...]` for items that must go, and `move` when the order of
  kept items in an ordered menu differs;
- additions and changes before removals, so management access rules are never briefly
  missing during a push.

Every emitted line carries its full menu path, so it can be sent on its own.
"""

from __future__ import annotations

from itertools import pairwise

from spbe.platforms.base import ConfigSyntaxError
from spbe.platforms.mikrotik_routeros.rsc import Command, arguments, parse_commands, quote

# Which arguments identify an item created by `add`, per menu. A menu not listed here is
# identified by `name`, else `comment`, else all of its arguments.
IDENTITY_KEYS: dict[str, tuple[str, ...]] = {
    "/interface bridge port": ("bridge", "interface"),
    "/interface list member": ("list", "interface"),
    "/ip address": ("address",),
    "/ip dhcp-client": ("interface",),
    "/ip firewall address-list": ("list", "address"),
    "/ip ipsec identity": ("peer",),
    "/ip ipsec policy": ("src-address", "dst-address"),
    "/ip route": ("dst-address", "gateway"),
    "/routing ospf interface-template": ("interfaces",),
    "/system ntp client servers": ("address",),
    "/system logging": ("topics", "action"),
}

# Menus whose items are evaluated in order: position matters.
ORDERED_MENUS = frozenset(
    {
        "/ip firewall filter",
        "/ip firewall mangle",
        "/ip firewall nat",
        "/ip firewall raw",
        "/ip ipsec policy",
        "/routing filter rule",
    }
)

ItemKey = tuple[tuple[str, str | None], ...]


def identity(command: Command) -> ItemKey:
    args = command.arguments
    keys = IDENTITY_KEYS.get(command.menu)
    if keys is None:
        keys = next(((k,) for k in ("name", "comment") if k in args), tuple(sorted(args)))
    return tuple((key, args.get(key, "")) for key in keys)


def find(key: ItemKey) -> str:
    return "[find " + " ".join(k if v is None else f"{k}={quote_always(v)}" for k, v in key) + "]"


def quote_always(value: str) -> str:
    """`[find ...]` compares strings; quoting every value avoids number/IP reinterpretation."""
    quoted = quote(value)
    return quoted if quoted.startswith('"') else f'"{quoted}"'


class _Menu:
    """The items of one menu: `set` targets with merged arguments, `add` items in order."""

    def __init__(self) -> None:
        self.settings: dict[str, dict[str, str | None]] = {}
        self.items: dict[ItemKey, Command] = {}

    def take(self, command: Command) -> None:
        if command.verb == "set":
            self.settings.setdefault(command.target or "", {}).update(command.arguments)
        elif command.verb == "add":
            self.items[identity(command)] = command
        else:
            raise ConfigSyntaxError(
                command.line_number, command.text(), "a declarative config uses add and set only"
            )


def _menus(text: str) -> dict[str, _Menu]:
    menus: dict[str, _Menu] = {}
    for command in parse_commands(text):
        menus.setdefault(command.menu, _Menu()).take(command)
    return menus


def _menu_remediation(path: str, running: _Menu, intended: _Menu) -> tuple[list[str], list[str]]:
    """(additions and changes, removals) for one menu."""
    changes: list[str] = []
    for target, wanted in intended.settings.items():
        current = running.settings.get(target, {})
        changed = [(k, v) for k, v in wanted.items() if current.get(k) != v]
        if changed:
            subject = f"{target} " if target else ""
            changes.append(f"{path} set {subject}{arguments(changed)}")

    ordered = path in ORDERED_MENUS
    intended_keys = list(intended.items)
    removals = [f"{path} remove {find(key)}" for key in running.items if key not in intended.items]
    for position, key in enumerate(intended_keys):
        item = intended.items[key]
        existing = running.items.get(key)
        placement = ""
        if ordered:
            later = intended_keys[position + 1 :]
            successor = next((k for k in later if k in running.items), None)
            if successor is not None:
                placement = f" place-before={find(successor)}"
        if existing is None:
            changes.append(f"{path} add {arguments(item.args)}{placement}")
            continue
        wanted, have = item.arguments, existing.arguments
        if set(have) - set(wanted):
            # RouterOS cannot reliably reset an argument to its default: recreate the item
            # (removed first: `[find ...]` would otherwise match the new copy too)
            changes.append(f"{path} remove {find(key)}")
            changes.append(f"{path} add {arguments(item.args)}{placement}")
            continue
        changed = [(k, v) for k, v in item.args if have.get(k) != v]
        if changed:
            changes.append(f"{path} set {find(key)} {arguments(changed)}")
    if ordered:
        changes += _moves(path, list(running.items), intended_keys)
    return changes, removals


def _moves(path: str, running_order: list[ItemKey], intended_order: list[ItemKey]) -> list[str]:
    """`move` commands that put the items in intended order once the adds are done.

    Simulates the device's order after the adds (each placed before its successor, as
    emitted above), then walks the intended order from the back: whenever an item is not
    right before its successor, it is moved there. Items in place cost nothing.
    """
    current = [k for k in running_order if k in set(intended_order)]
    for position, key in enumerate(intended_order):
        if key not in current:
            successor = next((k for k in intended_order[position + 1 :] if k in current), None)
            current.insert(current.index(successor) if successor else len(current), key)
    moves = []
    for key, after in reversed(list(pairwise(intended_order))):
        if current.index(key) + 1 != current.index(after):
            current.remove(key)
            current.insert(current.index(after), key)
            moves.append(f"{path} move {find(key)} destination={find(after)}")
    return moves


def remediation(running: str, intended: str) -> list[str]:
    """Commands that make a device running `running` run `intended`."""
    have, want = _menus(running), _menus(intended)
    changes: list[str] = []
    removals: list[str] = []
    for path in [*want, *(p for p in have if p not in want)]:
        changed, removed = _menu_remediation(path, have.get(path, _Menu()), want.get(path, _Menu()))
        changes += changed
        removals += removed
    return changes + removals
