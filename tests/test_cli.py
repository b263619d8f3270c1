"""CLI contract: documented exit codes, help text, machine-readable output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spbe.cli import build_parser, main


def test_unknown_subcommand_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["no-such-command"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_help_documents_exit_codes() -> None:
    text = build_parser().format_help()
    for line in ("0  success", "1  the command ran", "2  invalid input", "3  this machine"):
        assert line in text


def test_every_command_takes_inventory_and_json() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"validate", "ipam"} <= set(commands)
    for name, child in commands.items():
        options = {opt for action in child._actions for opt in action.option_strings}
        assert {"--inventory", "--json"} <= options, name


def test_missing_inventory_directory_is_invalid_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--inventory", str(tmp_path / "nowhere"), "--json"]) == 2
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert problems[0]["reason"] == "inventory not found"


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "spbe.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("spbe ")
