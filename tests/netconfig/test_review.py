"""`spbe review --base`: in a throwaway git repository, one site's bandwidth changes and
exactly that device shows up, with its diff and remediation commands."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from spbe.cli import main
from tests.netconfig.conftest import copy_project


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                        "HOME": str(repo), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    inventory = copy_project(tmp_path / "repo")
    _git(inventory.parent, "init", "-q", "-b", "main")
    _git(inventory.parent, "add", ".")
    _git(inventory.parent, "commit", "-q", "-m", "base")
    return inventory


def test_bandwidth_change_shows_exactly_that_device(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = repo / "sites" / "10-metro-opd.yaml"
    text = sites.read_text()
    block = text.index("- id: bappeda")
    sites.write_text(text[:block] + text[block:].replace("mbps_2022: 100", "mbps_2022: 200", 1))

    assert main(["review", "--base", "main", "--json", "--inventory", str(repo)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["devices_changed"] == 1
    change = report["changes"][0]
    assert (change["hostname"], change["category"], change["change"]) == (
        "bappeda", "metro-opd", "changed")
    edited = [line for line in change["diff"][2:] if line[:1] in "+-"]  # past the headers
    comment = 'comment="contracted bandwidth 2022, Mbps"'
    assert edited == [f"-add name=shape-wan target=wan max-limit=100M/100M {comment}",
                      f"+add name=shape-wan target=wan max-limit=200M/200M {comment}"]
    assert change["remediation"] == [
        '/queue simple set [find name="shape-wan"] max-limit=200M/200M']
    assert report["compliance"]["ok"] is True

    assert main(["review", "--base", "main", "--inventory", str(repo)]) == 0
    markdown = capsys.readouterr().out
    assert "**1 device(s)** (1 changed); compliance: compliant." in markdown
    assert "### Metro OPD (100 Mbps) (1)" in markdown
    assert "#### `bappeda` (mikrotik_routeros, changed)" in markdown
    assert '/queue simple set [find name="shape-wan"] max-limit=200M/200M' in markdown


def test_ios_change_uses_hier_config_remediation(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = repo.parent / "network_configs" / "templates" / "cisco_ios" / "_base.j2"
    template.write_text(template.read_text().replace("ip ssh time-out 60", "ip ssh time-out 30"))
    assert main(["review", "--base", "main", "--json", "--inventory", str(repo)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {c["platform"] for c in report["changes"]} == {"cisco_ios"}
    assert report["devices_changed"] == 5
    assert report["changes"][0]["remediation"] == ["no ip ssh time-out 60", "ip ssh time-out 30"]


def test_unknown_base_is_invalid_input(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--base", "no-such-branch", "--inventory", str(repo)]) == 2
    assert "no-such-branch" in capsys.readouterr().err
