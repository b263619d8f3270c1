"""A structural parser for RouterOS 7 configuration scripts (`.rsc`, `/export` output).

A declarative RouterOS configuration is a sequence of menu paths (`/ip address`), each
followed by commands on items of that menu: `add` creates an item, `set` changes an item
(named by a positional target such as `telnet` or `[find default-name=ether1]`, or the
menu itself for singleton menus such as `/ip dns`), `remove` deletes one. Arguments are
`key=value` pairs; values may be quoted with `"` and backslash escapes. `/export` wraps
long lines with a trailing backslash. Scripting (`:if`, `:foreach`, `$variables` outside
quotes) is not part of a declarative configuration and is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spbe.platforms.base import ConfigLine, ConfigSyntaxError, ConfigTree

VERBS = frozenset({"add", "set", "remove", "move", "enable", "disable", "unset"})
_KEY = re.compile(r"^[a-z][a-z0-9-]*$")
_MENU_WORD = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Characters RouterOS reads as syntax outside quotes (variables, blocks, comparisons).
_PLAIN_VALUE = re.compile(r'^[^\s"\\$;\[\]{}<>=]+$')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\t": "\\t"}
_UNESCAPES = {"n": "\n", "t": "\t"}


@dataclass(frozen=True)
class Command:
    """One command on one menu, e.g. `/ip address` `add address=10.0.0.1/31 interface=wan`."""

    menu: str
    verb: str
    target: str | None  # `telnet`, `[find default-name=ether1]`, or None
    args: tuple[tuple[str, str | None], ...]  # None: a flag written without a value
    line_number: int

    @property
    def arguments(self) -> dict[str, str | None]:
        return dict(self.args)

    def text(self) -> str:
        """The command in canonical form (values quoted only when they must be)."""
        words = [self.verb]
        if self.target is not None:
            words.append(self.target)
        words.append(arguments(self.args))
        return " ".join(w for w in words if w)


def arguments(pairs: Iterable[tuple[str, str | None]]) -> str:
    return " ".join(key if value is None else f"{key}={quote(value)}" for key, value in pairs)


def quote(value: str) -> str:
    if _PLAIN_VALUE.match(value):
        return value
    escaped = "".join(_ESCAPES.get(char, char) for char in value)
    return f'"{escaped}"'


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Physical lines joined where `/export` wrapped them with a trailing backslash."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if pending is not None:
            line = pending[1] + line
            number = pending[0]
            pending = None
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = (number, line[:-1])
            continue
        joined.append((number, line))
    if pending is not None:
        raise ConfigSyntaxError(pending[0], pending[1], "continuation at end of file")
    return joined


def _tokens(number: int, line: str) -> list[str]:
    """Split on blanks outside quotes and `[...]`; quotes are kept, unescaped later."""
    tokens: list[str] = []
    current: list[str] = []
    depth = 0
    in_quotes = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_quotes:
            current.append(char)
            if char == "\\" and index + 1 < len(line):
                current.append(line[index + 1])
                index += 1
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
            current.append(char)
        elif char == "[":
            depth += 1
            current.append(char)
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise ConfigSyntaxError(number, line, "unbalanced ']'")
            current.append(char)
        elif char.isspace() and depth == 0:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            if char == "$" and depth == 0:
                raise ConfigSyntaxError(number, line, "script variable outside quotes")
            current.append(char)
        index += 1
    if in_quotes:
        raise ConfigSyntaxError(number, line, "unterminated quoted string")
    if depth:
        raise ConfigSyntaxError(number, line, "unbalanced '['")
    if current:
        tokens.append("".join(current))
    return tokens


def _unquote(number: int, line: str, value: str) -> str:
    if not value.startswith('"'):
        return value
    if len(value) < 2 or not value.endswith('"'):
        raise ConfigSyntaxError(number, line, f"text after a quoted value: {value}")
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m[1], m[1]), value[1:-1])


def _command(menu: str, number: int, line: str, words: list[str]) -> Command:
    verb, rest = words[0], words[1:]
    if verb not in VERBS:
        raise ConfigSyntaxError(number, line, f"unknown command {verb!r} in {menu}")
    target: str | None = None
    args: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for position, token in enumerate(rest):
        key, equals, value = token.partition("=")
        if token.startswith("["):
            # `/export` prints `[ find default-name=ether1 ]`; templates write it without blanks
            token, equals = " ".join(token[1:-1].split()).join("[]"), ""
        if not equals and position == 0 and verb != "add":
            target = token
            continue
        if not equals and not _KEY.match(token):
            raise ConfigSyntaxError(number, line, f"unexpected word {token!r}")
        if not _KEY.match(key):
            raise ConfigSyntaxError(number, line, f"invalid argument name {key!r}")
        if key in seen:
            raise ConfigSyntaxError(number, line, f"argument {key!r} given twice")
        seen.add(key)
        args.append((key, _unquote(number, line, value) if equals else None))
    return Command(menu, verb, target, tuple(args), number)


def parse_commands(text: str) -> list[Command]:
    """Every command of a RouterOS configuration, in order, with its menu."""
    commands: list[Command] = []
    menu: str | None = None
    for number, line in _logical_lines(text):
        if not line or line.startswith("#"):
            continue
        if line.startswith(":"):
            raise ConfigSyntaxError(number, line, "scripting is not a declarative config")
        words = _tokens(number, line)
        if line.startswith("/"):
            words[0] = words[0][1:]
            path: list[str] = []
            while words and words[0] not in VERBS:
                word = words.pop(0)
                if not _MENU_WORD.match(word):
                    raise ConfigSyntaxError(number, line, f"invalid menu word {word!r}")
                path.append(word)
            if not path:
                raise ConfigSyntaxError(number, line, "a menu path needs at least one word")
            menu = "/" + " ".join(path)
            if not words:
                continue  # a menu line: the commands that follow belong to it
            commands.append(_command(menu, number, line, words))
            continue
        if menu is None:
            raise ConfigSyntaxError(number, line, "command before any menu path")
        commands.append(_command(menu, number, line, words))
    return commands


def to_tree(commands: list[Command]) -> ConfigTree:
    """Commands grouped under their menu, menus in order of first appearance."""
    grouped: dict[str, list[ConfigLine]] = {}
    first_line: dict[str, int] = {}
    for command in commands:
        first_line.setdefault(command.menu, command.line_number)
        grouped.setdefault(command.menu, []).append(
            ConfigLine(command.text(), (), command.line_number)
        )
    return tuple(
        ConfigLine(menu, tuple(lines), first_line[menu]) for menu, lines in grouped.items()
    )
