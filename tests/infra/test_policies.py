"""Each policy fires on a deliberately bad resource and stays quiet on a good one."""

from __future__ import annotations

from typing import Any

import padang_policies

from spbe.cloudplan.model import Plan, ResourceRecord
from spbe.cloudplan.policies import evaluate

PACK_CONFIG = {"no-world-ingress": {"public_services": ["tcp/80", "tcp/443"]}}


def resource(kind: str, name: str, props: dict[str, Any],
             deps: dict[str, list[str]] | None = None) -> ResourceRecord:
    return ResourceRecord(urn=f"urn:{name}", type=kind, name=name, custom=True, parent=None,
                          dependencies=[], property_dependencies=deps or {}, inputs=props,
                          outputs=props)


def fired(*records: ResourceRecord) -> set[tuple[str, str | None]]:
    plan = Plan("spbe-padang", "test", list(records), {})
    found = evaluate(padang_policies.POLICIES, plan, PACK_CONFIG)
    return {(v.policy, v.resource.split("::")[-1] if v.resource else None) for v in found}


DMZ_SUBNET = resource(padang_policies.SUBNET, "dmz", {"cidr": "10.10.3.0/24",
                                                       "tags": ["zone:dmz"]})
APP_SUBNET = resource(padang_policies.SUBNET, "app", {"cidr": "10.10.0.0/24",
                                                       "tags": ["zone:app"]})


def firewall_rule(name: str, port: str, destination: str) -> ResourceRecord:
    return resource(padang_policies.FIREWALL_RULE, name, {
        "action": "allow", "protocol": "tcp", "sourceIpAddress": "0.0.0.0/0",
        "destinationIpAddress": destination, "destinationPort": port})


def test_world_ingress_fires_on_firewall_rules_outside_the_dmz_or_its_ports():
    found = fired(DMZ_SUBNET, APP_SUBNET,
                  firewall_rule("web", "443", "10.10.3.0/24"),
                  firewall_rule("ssh-to-dmz", "22", "10.10.3.0/24"),
                  firewall_rule("web-to-app", "443", "10.10.0.0/24"),
                  resource(padang_policies.FIREWALL_RULE, "ike", {
                      "action": "allow", "protocol": "udp", "destinationPort": "500"}))
    assert found == {("no-world-ingress", "ssh-to-dmz"), ("no-world-ingress", "web-to-app")}


def test_world_ingress_fires_on_security_group_rules_and_listeners():
    dmz_group = resource("openstack:networking/secGroup:SecGroup", "dmz-sg",
                         {"tags": ["zone:dmz"]})
    app_balancer = resource("openstack:loadbalancer/loadBalancer:LoadBalancer", "app-lb", {},
                            {"vipSubnetId": ["urn:app"]})
    found = fired(
        DMZ_SUBNET, APP_SUBNET, dmz_group, app_balancer,
        resource(padang_policies.SECURITY_GROUP_RULE, "open-rdp", {
            "direction": "ingress", "protocol": "tcp", "portRangeMin": 3389.0,
            "portRangeMax": 3389.0, "remoteIpPrefix": "0.0.0.0/0"},
            {"securityGroupId": ["urn:dmz-sg"]}),
        resource(padang_policies.SECURITY_GROUP_RULE, "https", {
            "direction": "ingress", "protocol": "tcp", "portRangeMin": 443.0,
            "portRangeMax": 443.0, "remoteIpPrefix": "0.0.0.0/0"},
            {"securityGroupId": ["urn:dmz-sg"]}),
        resource(padang_policies.LISTENER, "app-443", {"protocolPort": 443.0},
                 {"loadbalancerId": ["urn:app-lb"]}))
    assert found == {("no-world-ingress", "open-rdp"), ("no-world-ingress", "app-443")}


def test_instance_metadata_fires_when_a_key_is_missing_or_invalid():
    good = {"opd": "bpkad", "tier": "iaas", "data-classification": "confidential"}
    found = fired(
        resource(padang_policies.INSTANCE, "good", {"metadata": good}),
        resource(padang_policies.INSTANCE, "no-opd", {"metadata": {**good, "opd": ""}}),
        resource(padang_policies.INSTANCE, "bad-tier", {"metadata": {**good, "tier": "gold"}}),
        resource(padang_policies.INSTANCE, "bare", {}))
    assert found == {("instance-metadata", "no-opd"), ("instance-metadata", "bad-tier"),
                     ("instance-metadata", "bare")}


def test_vpn_crypto_fires_on_weak_or_defaulted_algorithms():
    strong = {"encryptionAlgorithm": "aes-256", "authAlgorithm": "sha256", "pfs": "group14"}
    found = fired(
        resource(padang_policies.IKE_POLICY, "strong", strong),
        resource(padang_policies.IKE_POLICY, "aes128", {**strong,
                                                       "encryptionAlgorithm": "aes-128"}),
        resource(padang_policies.IPSEC_POLICY, "sha1", {**strong, "authAlgorithm": "sha1"}),
        resource(padang_policies.IPSEC_POLICY, "defaults", {}))
    assert found == {("vpn-crypto", "aes128"), ("vpn-crypto", "sha1"),
                     ("vpn-crypto", "defaults")}


def test_database_volume_outside_the_database_zone_fires():
    app_net = resource("openstack:networking/network:Network", "app-net", {"tags": ["zone:app"]})
    app_vm = resource(padang_policies.INSTANCE, "app-vm", {"metadata": {
        "opd": "diskominfo", "tier": "paas", "data-classification": "internal"}},
        {"networks": ["urn:app-net"]})
    volume = resource(padang_policies.VOLUME, "stray-db", {
        "volumeType": "db-ssd", "metadata": {"zone": "db"}})
    attach = resource(padang_policies.VOLUME_ATTACH, "stray-attach", {},
                      {"volumeId": ["urn:stray-db"], "instanceId": ["urn:app-vm"]})
    declared_elsewhere = resource(padang_policies.VOLUME, "declared-app", {
        "volumeType": "db-ssd", "metadata": {"zone": "app"}})
    found = fired(app_net, app_vm, volume, attach, declared_elsewhere)
    assert found == {("database-volumes-in-database-zone", "stray-attach"),
                     ("database-volumes-in-database-zone", "declared-app")}


def test_stateful_service_without_drc_counterpart_fires():
    reference = resource(padang_policies.STACK_REFERENCE, "primary", {
        "outputs": {"stateful_services": ["mail", "paas-db"]}})
    replica = resource(padang_policies.VOLUME, "drc-mail-data", {
        "metadata": {"service": "mail", "replica_of": "dc-mail-data-id"}})
    assert fired(reference, replica) == {("stateful-services-paired", "primary")}
    unpaired_primary = resource(padang_policies.VOLUME, "dc-mail-data", {
        "metadata": {"service": "mail"}})
    assert fired(unpaired_primary) == {("stateful-services-paired", "dc-mail-data")}
