"""Every broken inventory in corpus/ fails with exit 2 and a message naming file, entry,
field and reason, without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from spbe.cli import main

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*.yaml"))


def apply_edit(root: Path, edit: dict[str, Any]) -> None:
    path = root / edit["file"]
    if edit.get("delete"):
        path.unlink()
        return
    if "content" in edit:
        path.write_text(edit["content"], encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    assert edit["replace"] in text, f"corpus edit does not apply: {edit['replace']!r}"
    text = text.replace(edit["replace"], edit["with"], 1)
    path.write_bytes(text.encode("latin-1" if edit.get("latin1") else "utf-8"))


def break_inventory(root: Path, case: Path) -> dict[str, Any]:
    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    edits = spec["edit"] if isinstance(spec["edit"], list) else [spec["edit"]]
    for edit in edits:
        apply_edit(root, edit)
    return dict(spec["expect"])


def test_corpus_has_at_least_fifteen_distinct_faults() -> None:
    faults = {yaml.safe_load(case.read_text(encoding="utf-8"))["fault"] for case in CASES}
    assert len(faults) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_broken_inventory_is_reported_precisely(
    case: Path, fixture_inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect = break_inventory(fixture_inventory, case)
    code = main(["validate", "--inventory", str(fixture_inventory), "--json"])
    assert code == 2
    problems = json.loads(capsys.readouterr().out)["problems"]
    matching = [
        p
        for p in problems
        if p["file"] == str(fixture_inventory / expect["file"])
        and expect["entry"] in p["entry"]
        and p["field"] == expect["field"]
        and expect["reason"] in p["reason"]
    ]
    assert matching, f"no problem matches {expect}; got {problems}"
    if expect.get("line"):
        assert all(isinstance(p["line"], int) and p["line"] > 0 for p in matching)


@pytest.mark.parametrize("case", CASES[:4] + CASES[-4:], ids=lambda c: c.stem)
def test_cli_prints_no_traceback(case: Path, fixture_inventory: Path) -> None:
    expect = break_inventory(fixture_inventory, case)
    result = subprocess.run(
        [sys.executable, "-m", "spbe.cli", "validate", "--inventory", str(fixture_inventory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert expect["reason"] in result.stderr
    assert "nothing was changed" in result.stderr


def test_all_problems_are_reported_in_one_run(
    fixture_inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "03-duplicate-site-id",
        "09-unknown-category",
        "13-dangling-tenant-site",
        "10-bandwidth-above-uplink",
        "08-unknown-platform",
    ):
        break_inventory(fixture_inventory, CORPUS / f"{name}.yaml")
    assert main(["validate", "--inventory", str(fixture_inventory), "--json"]) == 2
    reasons = " | ".join(p["reason"] for p in json.loads(capsys.readouterr().out)["problems"])
    for fragment in (
        "duplicate site id",
        "unknown category",
        "unknown site",
        "exceeds the",
        "unknown platform",
        "duplicate hostname",
    ):
        assert fragment in reasons
