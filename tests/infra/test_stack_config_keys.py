"""Stack config keys are checked against Pulumi.yaml's `config:` declarations: a typo in the
failover lever (`active_sit=drc`) is an input error, not a silently ignored setting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from spbe.cloudplan.project import PulumiProject
from spbe.errors import InputError
from tests.infra.conftest import REPO, spbe, spbe_json


def copy_project(tmp_path: Path, stack_text: str) -> Path:
    """The shipped project with its program, and one edited stack file `typo`."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "infra").symlink_to(REPO / "infra")
    (tmp_path / "Pulumi.typo.yaml").write_text(stack_text, encoding="utf-8")
    return tmp_path


def test_unknown_set_key_is_an_input_error_suggesting_the_declared_one():
    code, _, stderr = spbe("plan", "--stack", "drc", "--set", "active_sit=drc",
                           "--reference", "infra/snapshots/primary.json")
    assert code == 2
    assert "--set: active_sit: unknown config key" in stderr
    assert "did you mean 'active_site'?" in stderr
    assert "Traceback" not in stderr


def test_unknown_key_in_the_stack_file_is_an_input_error_naming_file_and_line(tmp_path):
    shipped = (REPO / "Pulumi.primary.yaml").read_text(encoding="utf-8")
    root = copy_project(tmp_path, shipped + "  spbe-padang:instance_per_service: 3\n")
    code, _, stderr = spbe("plan", "--stack", "typo", "--project", str(root))
    assert code == 2
    line = len(shipped.splitlines()) + 1
    assert f"Pulumi.typo.yaml:{line}: spbe-padang:instance_per_service: unknown" in stderr
    assert "did you mean 'instances_per_service'?" in stderr
    assert "Traceback" not in stderr


def test_every_unknown_key_is_reported_and_far_ones_list_the_declared_keys(tmp_path):
    root = copy_project(tmp_path, "config:\n  spbe-padang:zzz: 1\n  openstack:cloud: x\n")
    with pytest.raises(InputError) as caught:
        PulumiProject.load(root).config("typo", {"qqq": "1", "active_site": "drc"})
    assert [(p.file, p.entry) for p in caught.value.problems] == [
        ("--set", "qqq"), (str(root / "Pulumi.typo.yaml"), "spbe-padang:zzz")]
    assert "known keys: active_site, data_volume_gb," in caught.value.problems[0].reason


def test_declared_and_other_namespace_keys_pass(tmp_path):
    root = copy_project(tmp_path, "config:\n  openstack:cloud: x\n  spbe-padang:image: y\n")
    values, _ = PulumiProject.load(root).config(
        "typo", {"spbe-padang:flavor": "m1.tiny", "active_site": "drc", "openstack:region": "r"})
    assert values["openstack:cloud"] == "x" and values["openstack:region"] == "r"
    assert values["spbe-padang:flavor"] == "m1.tiny"
    assert values["spbe-padang:active_site"] == "drc"


def test_valid_set_key_still_plans():
    code, result = spbe_json("plan", "--stack", "primary", "--set", "instances_per_service=3")
    assert code == 0, result
    assert result["violations"] == []
    shipped = json.loads((REPO / "infra/snapshots/primary.json").read_text())
    assert (result["counts_by_type"]["compute/Instance"]
            > shipped["counts_by_type"]["compute/Instance"])  # the override took effect
