"""Site-to-site IPsec between the DC edge and the DRC edge (VPNaaS), for the replicated zones.

Ciphers: AES-256, SHA-256, DH group 14, IKEv2 (the policy pack enforces the floor). The
pre-shared key comes from `pulumi config set --secret vpn_psk` and stays a secret output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from dcinfra.site import Site
from dcinfra.zones import Zones

ENCRYPTION = "aes-256"
INTEGRITY = "sha256"
DH_GROUP = "group14"


@dataclass(frozen=True)
class PeerEndpoint:
    """Where the tunnel's other end is and which prefixes sit behind it."""

    address: pulumi.Input[str]
    prefixes: pulumi.Input[Sequence[str]]


class Vpn(pulumi.ComponentResource):
    def __init__(self, name: str, site: Site, zones: Zones, peer: PeerEndpoint,
                 psk: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:Vpn", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        dc = site.id
        ike = openstack.vpnaas.IkePolicy(
            f"{dc}-ike", name=f"{dc}-ike-{ENCRYPTION}", encryption_algorithm=ENCRYPTION,
            auth_algorithm=INTEGRITY, pfs=DH_GROUP, ike_version="v2", opts=child)
        ipsec = openstack.vpnaas.IpSecPolicy(
            f"{dc}-ipsec", name=f"{dc}-ipsec-{ENCRYPTION}", encryption_algorithm=ENCRYPTION,
            auth_algorithm=INTEGRITY, pfs=DH_GROUP, transform_protocol="esp", opts=child)
        self.service = openstack.vpnaas.Service(
            f"{dc}-vpn", name=f"{dc}-to-{site.peer.id}", router_id=zones.edge_router.id,
            opts=pulumi.ResourceOptions(parent=self,
                                        depends_on=zones.replication_interfaces))
        replicated = site.replicated_zones()
        local = openstack.vpnaas.EndpointGroup(
            f"{dc}-vpn-local", name=f"{dc}-replicated", type="subnet",
            endpoints=[zones.subnets[zone.id].id for zone in replicated], opts=child)
        remote = openstack.vpnaas.EndpointGroup(
            f"{dc}-vpn-peer", name=f"{site.peer.id}-replicated", type="cidr",
            endpoints=peer.prefixes, opts=child)
        self.connection = openstack.vpnaas.SiteConnection(
            f"{dc}-vpn-connection", name=f"{dc}-{site.peer.id}", vpnservice_id=self.service.id,
            ikepolicy_id=ike.id, ipsecpolicy_id=ipsec.id, local_ep_group_id=local.id,
            peer_ep_group_id=remote.id, peer_address=peer.address, peer_id=peer.address,
            # Config secrets are already secret; wrapping keeps it so if the source changes.
            psk=pulumi.Output.secret(psk),
            dpds=[openstack.vpnaas.SiteConnectionDpdArgs(action="restart", interval=30,
                                                         timeout=120)],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["psk"]))
        self.register_outputs({"endpoint": self.service.external_v4_ip})
