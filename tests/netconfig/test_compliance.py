"""Compliance rules: every rendered config passes, and every rule can fail (one injected
violation per rule and platform), with the rule language's errors reported clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spbe import platforms
from spbe.cli import main
from spbe.compliance.engine import evaluate
from spbe.compliance.report import check_texts, rules_for
from spbe.compliance.rules import Rule, load_rules
from spbe.errors import InputError
from spbe.netconfig.render import RenderedDevice
from tests.netconfig.conftest import REPO

# (platform, device, rule, text to replace, replacement): each breaks exactly that rule.
VIOLATIONS = [
    ("mikrotik_routeros", "kel-pauh-01", "ssh-v2-only", "strong-crypto=yes", "strong-crypto=no"),
    ("mikrotik_routeros", "kel-pauh-01", "management-from-noc-only",
     "list=noc-mgmt address=10.20.4.0/24", "list=noc-mgmt address=0.0.0.0/0"),
    ("mikrotik_routeros", "kel-pauh-01", "named-accounts-no-default-admin",
     "set [find name=admin] disabled=yes", "set [find name=admin] disabled=no"),
    ("mikrotik_routeros", "kel-pauh-01", "no-cleartext-management-services",
     "set telnet disabled=yes", "set telnet disabled=no"),
    ("mikrotik_routeros", "kel-pauh-01", "snmp-v3-only", "security=private", "security=none"),
    ("mikrotik_routeros", "kel-pauh-01", "shaping-equals-inventory", "30M/30M", "100M/100M"),
    ("mikrotik_routeros", "kel-pauh-01", "routing-authenticated",
     ' auth=sha256 auth-id=1 auth-key="<vault:ospf_auth_key>"', ""),
    ("mikrotik_routeros", "kel-pauh-01", "no-plaintext-secret",
     '"<vault:snmp_auth_key>"', "Padang2024"),
    ("mikrotik_routeros", "wifi-koto-lalang", "ipsec-strong-proposals",
     "enc-algorithm=aes-256", "enc-algorithm=3des"),
    ("mikrotik_routeros", "kel-pauh-01", "ntp-to-noc", "add address=10.10.4.11",
     "add address=162.159.200.1"),
    ("mikrotik_routeros", "kel-pauh-01", "syslog-to-noc", "remote=10.10.4.12", "remote=192.0.2.1"),
    ("mikrotik_routeros", "kel-pauh-01", "dns-from-noc", "allow-remote-requests=no",
     "allow-remote-requests=yes"),
    ("mikrotik_routeros", "kel-pauh-01", "unused-services-off", "/ip upnp\nset enabled=no",
     "/ip upnp\nset enabled=yes"),
    ("mikrotik_routeros", "kel-pauh-01", "legal-banner", "show-at-login=yes", "show-at-login=no"),
    ("cisco_ios", "noc-core-01", "ssh-v2-only", "ip ssh version 2", "ip ssh version 1"),
    ("cisco_ios", "noc-core-01", "management-from-noc-only", " permit 10.20.4.0 0.0.0.255",
     " permit any"),
    ("cisco_ios", "noc-core-01", "named-accounts-no-default-admin", "aaa new-model\n",
     "no aaa new-model\n"),
    ("cisco_ios", "noc-core-01", "idle-session-timeout", " exec-timeout 10 0", " exec-timeout 0 0"),
    ("cisco_ios", "noc-core-01", "no-cleartext-management-services", "no ip http server\n",
     "ip http server\n"),
    ("cisco_ios", "noc-core-01", "snmp-v3-only", "snmp-server group SPBE-NMS v3 priv",
     "snmp-server group SPBE-NMS v2c"),
    ("cisco_ios", "noc-core-01", "routing-authenticated",
     " ip ospf authentication key-chain SPBE-OSPF\n", ""),
    ("cisco_ios", "noc-core-01", "no-plaintext-secret", "secret <vault:noc_admin_password>",
     "secret Padang2024"),
    ("cisco_ios", "noc-core-01", "ntp-to-noc", "ntp server 10.20.4.11", "ntp server 162.159.200.1"),
    ("cisco_ios", "noc-core-01", "syslog-to-noc", "logging host 10.10.4.12",
     "logging host 192.0.2.1"),
    ("cisco_ios", "noc-core-01", "dns-from-noc", "ip name-server 10.10.4.13 10.20.4.13",
     "ip name-server 8.8.8.8"),
    ("cisco_ios", "noc-core-01", "unused-services-off", "no cdp run", "cdp run"),
    ("cisco_ios", "noc-core-01", "legal-banner", "PERINGATAN:", "Welcome!"),
    ("frr", "noc-core-01", "management-from-noc-only", "seq 20 permit 10.20.4.0/24",
     "seq 20 permit any"),
    ("frr", "noc-core-01", "idle-session-timeout", " exec-timeout 10 0", " exec-timeout 0 0"),
    ("frr", "kel-bungus-teluk-kabung-01", "shaping-equals-inventory", " bandwidth 30000",
     " bandwidth 100000"),
    ("frr", "noc-core-01", "routing-authenticated", " ip ospf authentication message-digest\n",
     ""),
    ("frr", "noc-core-01", "no-plaintext-secret", "md5 <vault:ospf_auth_key>", "md5 letmein"),
    ("frr", "noc-core-01", "syslog-to-noc", "log syslog informational", "log syslog debugging"),
    ("frr", "noc-core-01", "legal-banner", "banner motd line PERINGATAN", "banner motd line Hi"),
]


@pytest.fixture(scope="module")
def rules(rendered: dict[str, RenderedDevice]) -> list[Rule]:
    return rules_for(REPO / "inventories", list(rendered.values()))


def _failed_rules(rules: list[Rule], device: RenderedDevice, text: str) -> set[str]:
    tree = platforms.get(device.platform).parse(text)
    findings = evaluate(rules, device.hostname, device.platform, device.role, device.uplink,
                        tree, device.facts)
    return {f.rule for f in findings if not f.passed}


def test_every_rendered_config_is_compliant(
    rules: list[Rule], rendered: dict[str, RenderedDevice],
    rendered_frr: dict[str, RenderedDevice],
) -> None:
    for devices in (rendered, rendered_frr):
        report = check_texts(rules, list(devices.values()),
                             {h: d.text for h, d in devices.items()})
        assert report.ok, report.violations[:3]
        assert len({f.device for f in report.findings}) == len(devices)


@pytest.mark.parametrize(("platform", "hostname", "rule", "old", "new"), VIOLATIONS,
                         ids=[f"{v[0]}-{v[2]}" for v in VIOLATIONS])
def test_injected_violation_fails_exactly_its_rule(
    platform: str, hostname: str, rule: str, old: str, new: str, rules: list[Rule],
    rendered: dict[str, RenderedDevice], rendered_frr: dict[str, RenderedDevice],
) -> None:
    device = (rendered_frr if platform == "frr" else rendered)[hostname]
    assert old in device.text
    assert _failed_rules(rules, device, device.text.replace(old, new)) == {rule}


def test_every_rule_has_a_violation_fixture_on_every_platform_it_covers(
    rules: list[Rule],
) -> None:
    covered = {(platform, rule) for platform, _, rule, _, _ in VIOLATIONS}
    declared = {(platform, rule.id) for rule in rules for platform in rule.platforms}
    assert declared == covered


def test_hashed_secrets_of_a_device_backup_pass(
    rules: list[Rule], rendered: dict[str, RenderedDevice]
) -> None:
    device = rendered["noc-core-01"]
    hashed = device.text.replace("secret <vault:noc_admin_password>", "secret 9 $9$nhEmQVczB7dqsO")
    assert "no-plaintext-secret" not in _failed_rules(rules, device, hashed)
    reversible = device.text.replace("secret <vault:noc_admin_password>", "password 7 0822455D0A16")
    assert "no-plaintext-secret" in _failed_rules(rules, device, reversible)


def test_comply_cli_names_device_rule_and_control_area(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project.parent / "network_configs" / "rendered" / "opd" / "dinkes.rsc"
    telnet_on = config.read_text().replace("set telnet disabled=yes", "set telnet disabled=no")
    config.write_text(telnet_on)
    assert main(["comply", "--configs", "--json", "--inventory", str(project)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(v["device"], v["rule"], v["control_area"]) for v in report["violations"]] == [
        ("dinkes", "no-cleartext-management-services", "communications")]
    assert report["by_control_area"]["communications"]["failed"] == 1

    assert main(["comply", "--configs", "--inventory", str(project)]) == 1
    text = capsys.readouterr().out
    assert "dinkes: rule no-cleartext-management-services (communications)" in text


def test_comply_rejects_a_missing_folder_and_unreadable_configs(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-backups"
    assert main(["comply", "--configs", str(missing), "--inventory", str(project)]) == 2
    assert f"{missing}: (folder): no such folder" in capsys.readouterr().err

    config = project.parent / "network_configs" / "rendered" / "opd" / "dinkes.rsc"
    config.write_bytes(config.read_bytes() + b"\xff banner in latin-1\n")
    assert main(["comply", "--configs", "--json", "--inventory", str(project)]) == 2
    [problem] = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["file"], problem["entry"]) == (str(config), "dinkes")
    assert problem["reason"].startswith("not UTF-8 text")


def test_rule_file_mistakes_are_reported_with_file_and_entry(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "rules:\n"
        "  - id: typo-fact\n    title: t\n    control_area: access\n    rationale: r\n"
        "    platforms:\n      cisco_ios:\n        - require: {line: '^ntp server {ntp_primry}'}\n"
        "  - id: bad-regex\n    title: t\n    control_area: access\n    rationale: r\n"
        "    platforms:\n      cisco_ios:\n        - forbid: {line: '(unclosed'}\n"
        "  - id: bad-area\n    title: t\n    control_area: marketing\n    rationale: r\n"
        "    platforms:\n      cisco_ios:\n        - require: {line: x}\n"
    )
    with pytest.raises(InputError) as raised:
        load_rules(tmp_path, {"ntp_primary"}, set(platforms.registry()))
    reasons = [(p.entry, p.reason) for p in raised.value.problems]
    assert len(reasons) == 3
    assert all(p.file == f"{tmp_path.name}/bad.yaml" for p in raised.value.problems)
    assert any("typo-fact" in e and "unknown fact" in r for e, r in reasons)
    assert any("bad-regex" in e and "invalid pattern" in r for e, r in reasons)
    assert any("bad-area" in e and "security_policy" in r for e, r in reasons)
