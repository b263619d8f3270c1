"""Golden files: a few representative devices per platform, byte for byte.

A template change shows up here as a readable diff. After an intended change, regenerate
with `SPBE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/netconfig/test_golden.py` and review
the diff of tests/netconfig/golden/ before committing.
"""

from __future__ import annotations

import os

import pytest

from spbe import platforms
from spbe.netconfig.render import RenderedDevice
from tests.netconfig.conftest import GOLDEN

CASES = [
    ("mikrotik_routeros", "kel-bungus-teluk-kabung-01"),  # metro fiber, OSPF
    ("mikrotik_routeros", "wifi-koto-lalang"),  # internet broadband, IPsec to the DC
    ("cisco_ios", "noc-core-01"),
    ("cisco_ios", "drc-edge-01"),  # an edge without the VPN hub
    ("frr", "kel-bungus-teluk-kabung-01"),
    ("frr", "noc-core-01"),
]


@pytest.mark.parametrize(("platform", "hostname"), CASES)
def test_rendered_matches_golden(
    platform: str, hostname: str,
    rendered: dict[str, RenderedDevice], rendered_frr: dict[str, RenderedDevice],
) -> None:
    device = (rendered_frr if platform == "frr" else rendered)[hostname]
    assert device.platform == platform
    golden = GOLDEN / platform / f"{hostname}{platforms.get(platform).config_suffix}"
    if os.environ.get("SPBE_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(device.text, encoding="utf-8")
    assert device.text == golden.read_text(encoding="utf-8")
