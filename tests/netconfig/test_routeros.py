"""RouterOS: the structural parser on every rendered CPE, and the remediation driver in a
closed loop against a small model of RouterOS item semantics."""

from __future__ import annotations

import re

import pytest

from spbe import platforms
from spbe.netconfig.render import RenderedDevice
from spbe.platforms.base import ConfigSyntaxError
from spbe.platforms.mikrotik_routeros import rsc
from spbe.platforms.mikrotik_routeros.remediation import identity, remediation


def _routeros(rendered: dict[str, RenderedDevice]) -> list[RenderedDevice]:
    return [d for d in rendered.values() if d.platform == "mikrotik_routeros"]


def test_every_cpe_is_a_well_formed_declarative_script(
    rendered: dict[str, RenderedDevice],
) -> None:
    for device in _routeros(rendered):
        commands = rsc.parse_commands(device.text)
        assert {c.verb for c in commands} <= {"add", "set"}, device.hostname
        keys = [(c.menu, identity(c)) for c in commands if c.verb == "add"]
        assert len(keys) == len(set(keys)), f"{device.hostname}: an item is added twice"
        menus = {c.menu for c in commands}
        assert {"/system identity", "/ip service", "/queue simple", "/snmp community"} <= menus


def test_parser_structure_of_a_metro_cpe(rendered: dict[str, RenderedDevice]) -> None:
    tree = platforms.get("mikrotik_routeros").parse(rendered["kel-pauh-01"].text)
    menus = {line.text: [c.text for c in line.children] for line in tree}
    assert menus["/system identity"] == ["set name=kel-pauh-01"]
    assert "set telnet disabled=yes" in menus["/ip service"]
    queue = rsc.parse_commands(rendered["kel-pauh-01"].text)
    shaping = next(c for c in queue if c.menu == "/queue simple")
    assert shaping.arguments["max-limit"] == "30M/30M"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('/ip address\nadd comment="open', "unterminated quoted string"),
        ("add address=10.0.0.1/24", "command before any menu path"),
        (":if (1=1) do={/ip dns set servers=1.1.1.1}", "scripting"),
        ("/ip dns\nset servers=$dns", "script variable outside quotes"),
        ("/ip dns\nset servers=1.1.1.1 servers=9.9.9.9", "given twice"),
        ("/ip dns\nprint", "unknown command"),
    ],
)
def test_parser_rejects_malformed_input(text: str, reason: str) -> None:
    with pytest.raises(ConfigSyntaxError, match=re.escape(reason)):
        rsc.parse_commands(text)


def test_export_forms_are_understood() -> None:
    exported = (
        "# 2024-01-01 by RouterOS 7.14\n/interface ethernet\n"
        "set [ find default-name=ether1 ] comment=\\\n    \"uplink\" name=wan\n"
        "/routing ospf interface-template\nadd area=backbone interfaces=lan passive\n"
    )
    commands = rsc.parse_commands(exported)
    assert commands[0].target == "[find default-name=ether1]"
    assert commands[0].arguments == {"comment": "uplink", "name": "wan"}
    assert commands[1].arguments["passive"] is None
    assert rsc.quote('a "b"\n$c') == '"a \\"b\\"\\n\\$c"'


class RouterOSModel:
    """What a RouterOS device does with add/set/remove/move: enough to close the loop."""

    def __init__(self, config: str):
        self.settings: dict[tuple[str, str], dict[str, str | None]] = {}
        self.items: dict[str, list[dict[str, str | None]]] = {}
        self.order: list[str] = []
        for command in rsc.parse_commands(config):
            self.apply(command)

    def _matches(self, menu: str, selector: str) -> list[dict[str, str | None]]:
        wanted = dict(re.findall(r'([a-z-]+)="((?:[^"\\]|\\.)*)"', selector))
        if not wanted:
            return []
        items = self.items.get(menu, [])
        return [i for i in items if all(i.get(k) == v for k, v in wanted.items())]

    def apply(self, command: rsc.Command) -> None:
        menu, args = command.menu, dict(command.args)
        if menu not in self.order:
            self.order.append(menu)
        items = self.items.setdefault(menu, [])
        if command.verb == "add":
            before = args.pop("place-before", None)
            position = items.index(self._matches(menu, before)[0]) if before else len(items)
            items.insert(position, args)
        elif command.verb == "set" and self._matches(menu, command.target or "[]"):
            for item in self._matches(menu, command.target or ""):
                item.update(args)
        elif command.verb == "set":  # a singleton menu or a built-in item
            self.settings.setdefault((menu, command.target or ""), {}).update(args)
        elif command.verb == "remove":
            for item in self._matches(menu, command.target or ""):
                items.remove(item)
        elif command.verb == "move":
            moving = self._matches(menu, command.target or "")[0]
            items.remove(moving)
            items.insert(items.index(self._matches(menu, args["destination"] or "")[0]), moving)

    def export(self) -> str:
        lines = []
        for menu in self.order:
            lines.append(menu)
            lines += [f"set {target} {rsc.arguments(a.items())}".replace("set  ", "set ")
                      for (m, target), a in self.settings.items() if m == menu]
            lines += [f"add {rsc.arguments(item.items())}" for item in self.items.get(menu, [])]
        return "\n".join(lines) + "\n"


def _drifted(intended: str) -> str:
    """A running config that drifted: shaping changed, a rule gone, an extra address,
    telnet on, the firewall rules' order swapped."""
    lines = intended.replace("30M/30M", "50M/50M").replace("set telnet disabled=yes",
                                                          "set telnet disabled=no").splitlines()
    lines = [line for line in lines if 'comment="spbe: SNMP from NOC"' not in line]
    ssh = next(i for i, line in enumerate(lines) if 'comment="spbe: SSH from NOC"' in line)
    lines[ssh], lines[ssh - 1] = lines[ssh - 1], lines[ssh]
    address = lines.index("/ip address")
    lines.insert(address + 1, "add address=192.0.2.1/24 interface=lan comment=rogue")
    return "\n".join(lines) + "\n"


def test_remediation_converges_in_one_round(rendered: dict[str, RenderedDevice]) -> None:
    intended = rendered["kel-pauh-01"].text
    running = _drifted(intended)
    commands = remediation(running, intended)
    assert '/queue simple set [find name="shape-wan"] max-limit=30M/30M' in commands
    assert "/ip service set telnet disabled=yes" in commands
    assert '/ip address remove [find address="192.0.2.1/24"]' in commands
    assert any(c.startswith("/ip firewall filter add ") and "SNMP from NOC" in c
               and "place-before=" in c for c in commands)
    assert commands.index('/ip address remove [find address="192.0.2.1/24"]') > max(
        i for i, c in enumerate(commands) if " add " in c)  # removals come last

    device = RouterOSModel(running)
    for line in commands:
        for command in rsc.parse_commands(line):
            device.apply(command)
    assert remediation(device.export(), intended) == []
    filters = [c.arguments.get("comment") for c in rsc.parse_commands(device.export())
               if c.menu == "/ip firewall filter"]
    assert filters == [c.arguments.get("comment") for c in rsc.parse_commands(intended)
                       if c.menu == "/ip firewall filter"]


def test_no_change_means_no_command(rendered: dict[str, RenderedDevice]) -> None:
    for device in _routeros(rendered)[:20]:
        assert remediation(device.text, device.text) == []
