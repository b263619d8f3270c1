"""`spbe plan` on the shipped stacks, each in its own process as the CLI runs it."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import REPO, spbe, spbe_json

ACCEPTANCE_TYPES = ("firewall/GroupV2", "vpnaas/SiteConnection", "identity/Project",
                    "loadbalancer/LoadBalancer", "dns/Zone", "dns/RecordSet")


@pytest.mark.parametrize("stack", ["primary", "drc"])
def test_shipped_stack_plans_clean_and_matches_its_snapshot(stack):
    code, result = spbe_json("plan", "--stack", stack, "--diff-against",
                             f"infra/snapshots/{stack}.json")
    assert result["violations"] == []
    assert result["diff"] == {"added": [], "removed": [], "changed": {}}, (
        "plan differs from the snapshot: review it, then "
        f"`spbe plan --stack {stack} --save infra/snapshots/{stack}.json`")
    assert code == 0
    counts = result["counts_by_type"]
    assert all(counts.get(kind) for kind in ACCEPTANCE_TYPES), counts
    assert counts["firewall/GroupV2"] == 3  # external, internal, replication legs
    tenants = [t for t in result["counts_by_tenant"] if t.startswith("opd-")]
    assert len(tenants) == 10


def test_flipping_active_site_changes_only_dns_records():
    code, result = spbe_json("plan", "--stack", "drc", "--set", "active_site=drc",
                             "--reference", "infra/snapshots/primary.json",
                             "--diff-against", "infra/snapshots/drc.json")
    changes = result["diff"]
    assert code == 1
    assert changes["added"] == [] and changes["removed"] == []
    assert changes["changed"]
    assert all(key.startswith("openstack:dns/recordSet:RecordSet::")
               for key in changes["changed"]), changes["changed"]


def test_drc_pairs_with_what_the_primary_exports():
    snapshot = json.loads((REPO / "infra/snapshots/drc.json").read_text())
    resources = snapshot["resources"]
    connection = resources["openstack:vpnaas/siteConnection:SiteConnection::drc-vpn-connection"]
    assert connection["inputs"]["peerAddress"] == "203.0.113.2"  # the primary's edge
    replica = resources["openstack:blockstorage/volume:Volume::drc-paas-db-data"]
    assert replica["inputs"]["metadata"]["replica_of"] == "dc-paas-db-data-id"


def test_snapshots_hold_no_secret_values():
    for stack in ("primary", "drc"):
        text = (REPO / f"infra/snapshots/{stack}.json").read_text()
        assert "offline-plan-placeholder" not in text
        assert '"psk": "[secret]"' in text


def test_strict_pack_config_flags_the_published_smtp_and_dns(tmp_path):
    strict = tmp_path / "strict.json"
    strict.write_text('{"no-world-ingress": {"public_services": ["tcp/80", "tcp/443"]}}')
    code, result = spbe_json("plan", "--stack", "primary", "--policy-config", str(strict))
    assert code == 1
    flagged = {v["resource"].split("::")[-1] for v in result["violations"]}
    assert "dc-external-internet-to-dmz-web-smtp-0" in flagged
    assert {v["policy"] for v in result["violations"]} == {"no-world-ingress"}


def test_bad_stack_config_is_an_input_error_naming_the_stack_file():
    code, _, stderr = spbe("plan", "--stack", "primary", "--set", "active_site=mars")
    assert code == 2
    assert "Pulumi.primary.yaml" in stderr and "active_site" in stderr
    assert "Traceback" not in stderr
    code, _, stderr = spbe("plan", "--stack", "staging")
    assert code == 2 and "known stacks: drc, primary" in stderr
