"""Each component on its own, under mocks, against the real inventory."""

from __future__ import annotations

import ipaddress

from dcinfra.dns import PublicDns
from dcinfra.services import Services
from dcinfra.tenants import Tenants
from dcinfra.vpn import PeerEndpoint, Vpn
from dcinfra.zones import DualFirewall, Zones, zone_flows

from spbe.cloudplan.model import is_secret
from tests.infra.conftest import of_type, props, run_component


def test_dual_firewall_follows_the_compiled_zone_policy(make_site):
    site = make_site()
    plan = run_component(lambda: DualFirewall("fw", site, Zones("zones", site)))
    groups = {props(r)["name"]: r for r in of_type(plan, "firewall/groupV2:GroupV2")}
    assert set(groups) == {"dc-external-fw", "dc-internal-fw", "dc-replication-fw"}
    assert len(props(groups["dc-external-fw"])["ports"]) == 1  # the edge's DMZ port
    assert len(props(groups["dc-internal-fw"])["ports"]) == 5  # uplink + 4 internal zones
    rules = {props(r)["name"]: props(r) for r in of_type(plan, "firewall/ruleV2:RuleV2")}
    https = rules["dc-external-internet-to-dmz-web-https-0"]
    assert (https["sourceIpAddress"], https["destinationIpAddress"],
            https["destinationPort"]) == ("0.0.0.0/0", "10.10.3.0/24", "443")
    assert rules["dc-internal-branch-to-db-denied-postgres-0"]["action"] == "deny"
    policies = {props(r)["name"]: props(r) for r in of_type(plan, "firewall/policyV2:PolicyV2")}
    internal_order = [rid.removesuffix("-id") for rid in policies["dc-internal-fw"]["rules"]]
    # first match wins: the branch->db deny precedes the noc->db allow; deny-all comes last
    assert internal_order.index("dc-internal-branch-to-db-denied-postgres-0") < \
        internal_order.index("dc-internal-noc-to-db-postgres-0")
    assert internal_order[-1] == "dc-internal-fw-default-deny"


def test_security_groups_are_default_deny_and_honour_policy_denies(make_site):
    site = make_site()
    plan = run_component(lambda: Zones("zones", site))
    assert all(props(r)["deleteDefaultRules"] for r in of_type(plan, "secGroup:SecGroup"))
    db_ingress = {(f.protocol, f.port, f.remote_prefix) for f in zone_flows(site, "db")
                  if f.direction == "ingress"}
    assert ("tcp", 5432, "10.10.0.0/24") in db_ingress  # app -> db
    assert not any(remote == "10.64.0.0/12" for _, _, remote in db_ingress)  # branch denied


def test_tenants_get_projects_scaled_quotas_and_ipam_subnets(make_site):
    site = make_site(quota_percent=50)

    def build() -> None:
        Tenants("tenants", site, Zones("zones", site))

    plan = run_component(build)
    projects = sorted(props(r)["name"] for r in of_type(plan, "project:Project"))
    assert projects == sorted(f"opd-{t.id}" for t in site.tenants)
    compute = {r.name: props(r) for r in of_type(plan, "quotaSetV2:QuotaSetV2")}
    assert compute["dc-opd-bpkad-compute-quota"]["instances"] == 10  # iaas 20 at 50 %
    subnets = {props(r)["name"]: props(r)["cidr"] for r in of_type(plan, "subnet:Subnet")}
    assert subnets["dc-opd-bpkad"] == str(site.tenant_prefix("bpkad"))
    assert plan.counts_by_tenant()["opd-bpkad"] == 20


def test_vpn_uses_strong_crypto_and_a_secret_psk(make_site):
    site = make_site()

    def build() -> None:
        zones = Zones("zones", site)
        Vpn("vpn", site, zones, PeerEndpoint("203.0.113.66", ["10.20.3.0/24"]), "not-real")

    plan = run_component(build)
    for kind in ("ikePolicy:IkePolicy", "ipSecPolicy:IpSecPolicy"):
        (policy,) = of_type(plan, kind)
        assert (props(policy)["encryptionAlgorithm"], props(policy)["authAlgorithm"],
                props(policy)["pfs"]) == ("aes-256", "sha256", "group14")
    (connection,) = of_type(plan, "siteConnection:SiteConnection")
    assert is_secret(connection.inputs["psk"])
    assert props(connection)["peerAddress"] == "203.0.113.66"
    (local,) = [r for r in of_type(plan, "endpointGroup:EndpointGroup")
                if props(r)["type"] == "subnet"]
    assert len(props(local)["endpoints"]) == len(site.replicated_zones())


def test_services_listeners_volumes_and_public_addresses(make_site):
    site = make_site()

    def build() -> None:
        Services("services", site, Zones("zones", site), None)

    plan = run_component(build)
    listeners = {props(r)["name"]: props(r)["allowedCidrs"]
                 for r in of_type(plan, "listener:Listener")}
    assert listeners["dc-portal-443"] == ["0.0.0.0/0"]
    # imaps: branch LANs per the policy, plus the DMZ itself (no firewall inside a zone)
    assert listeners["dc-mail-993"] == ["10.10.3.0/24", "10.64.0.0/12"]
    volumes = {props(r)["name"]: props(r) for r in of_type(plan, "volume:Volume")}
    assert volumes["dc-paas-db-data"]["volumeType"] == "db-ssd"
    assert volumes["dc-paas-db-data"]["metadata"]["zone"] == "db"
    assert volumes["dc-mail-data"]["volumeType"] == "standard"
    addresses = sorted(props(r)["address"] for r in of_type(plan, "floatingIp:FloatingIp"))
    assert addresses == ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"]
    for instance in of_type(plan, "instance:Instance"):
        metadata = props(instance)["metadata"]
        assert {"opd", "tier", "data-classification"} <= set(metadata)


def test_dns_points_at_the_active_site(make_site):
    # simpeg is the third service of the app zone: VIP .12
    for active, portal, simpeg in (("dc", "203.0.113.10", "10.10.0.12"),
                                   ("drc", "203.0.113.74", "10.20.0.12")):
        site = make_site(active_site=active)
        plan = run_component(lambda site=site: PublicDns("dns", site))
        records = {props(r)["name"]: props(r)["records"] for r in of_type(plan, "RecordSet")}
        assert records["www.padang.go.id."] == [portal]
        assert records["simpeg.padang.go.id."] == [simpeg]
        assert ipaddress.ip_address(simpeg) in site.datacenter_by_id(active).supernet
