"""Rendering: every device, deterministic bytes, `render --check` in CI, clear input errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from spbe.cli import main
from spbe.netconfig.render import RenderedDevice, check, render_inventory
from spbe.netconfig.secrets import PLACEHOLDER
from tests.netconfig.conftest import REPO


def test_every_branch_and_noc_device_is_rendered(rendered: dict[str, RenderedDevice]) -> None:
    by_platform = {p: sum(1 for d in rendered.values() if d.platform == p)
                   for p in ("mikrotik_routeros", "cisco_ios")}
    assert by_platform == {"mikrotik_routeros": 257, "cisco_ios": 5}  # 257 CPE + NOC + edges
    assert {"noc-core-01", "noc-dist-01", "noc-dist-02", "dc-edge-01"} <= set(rendered)


def test_output_is_deterministic(rendered: dict[str, RenderedDevice]) -> None:
    _, again = render_inventory(REPO / "inventories")
    assert {d.hostname: d.text for d in again} == {h: d.text for h, d in rendered.items()}


def test_committed_files_are_current(rendered: dict[str, RenderedDevice]) -> None:
    result = check(list(rendered.values()), REPO / "network_configs" / "rendered")
    assert result.clean, (result.stale, result.missing, result.extra)


def test_secrets_appear_only_as_placeholders(rendered: dict[str, RenderedDevice]) -> None:
    # a broadband CPE has its own IPsec key and runs no OSPF
    assert PLACEHOLDER.findall(rendered["wifi-koto-lalang"].text) == [
        "ipsec_psk_wifi_koto_lalang", "snmp_auth_key", "snmp_priv_key", "cpe_admin_password"]
    assert "ipsec_psk_wifi_koto_lalang" in PLACEHOLDER.findall(rendered["dc-edge-01"].text)


def test_check_names_stale_missing_and_extra_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rendered_dir = project.parent / "network_configs" / "rendered"
    stale = rendered_dir / "kelurahan" / "kel-pauh-01.rsc"
    stale.write_text(stale.read_text().replace("30M/30M", "35M/35M"))
    (rendered_dir / "opd" / "dinkes.rsc").unlink()
    (rendered_dir / "opd" / "old-router.rsc").write_text("/system identity\n")

    assert main(["render", "--check", "--json", "--inventory", str(project)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["stale"], report["missing"], report["extra"]) == (
        ["kelurahan/kel-pauh-01.rsc"], ["opd/dinkes.rsc"], ["opd/old-router.rsc"])

    assert main(["render", "--inventory", str(project)]) == 0
    capsys.readouterr()
    assert main(["render", "--check", "--inventory", str(project)]) == 0


def test_inventory_change_without_rerender_fails_the_check(project: Path) -> None:
    sites = project / "sites" / "10-metro-opd.yaml"
    sites.write_text(sites.read_text().replace("mbps_2022: 100", "mbps_2022: 90", 1))
    assert main(["render", "--check", "--inventory", str(project)]) == 1


def test_role_without_template_is_invalid_input(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(project.parent / "network_configs" / "templates" / "cisco_ios")
    (project.parent / "network_configs" / "templates" / "cisco_ios").mkdir()
    assert main(["render", "--check", "--inventory", str(project)]) == 2
    err = capsys.readouterr().err
    assert "00-noc.yaml" in err and "no template cisco_ios/core.j2" in err
