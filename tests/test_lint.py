"""The repository stays ruff- and yamllint-clean (the project's quality bar)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_python_is_ruff_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "--output-format", "concise", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_yaml_is_yamllint_clean() -> None:
    result = subprocess.run(
        [str(BIN / "yamllint"), "--strict", "-f", "parsable", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
