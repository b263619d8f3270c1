"""The other end of the DC-DRC pair.

The primary is deployed first and cannot reference the DRC, so it takes the DRC's edge
address (a fixed position in the DRC's external prefix) and replicated prefixes from the
inventory. The DRC reads what the primary actually built through a StackReference: its VPN
endpoint, replicated prefixes, and the volumes its replicas pair with.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from dcinfra.site import Site
from dcinfra.vpn import PeerEndpoint


@dataclass(frozen=True)
class Peer:
    endpoint: PeerEndpoint
    primary_volumes: dict[str, pulumi.Output[str]] | None  # None on the primary itself


def resolve_peer(site: Site) -> Peer:
    if site.is_primary:
        return Peer(PeerEndpoint(site.edge_gateway_ip(site.peer),
                                 site.replicated_prefixes(site.peer.id)), None)
    primary = pulumi.StackReference(str(site.settings.primary_stack))
    volumes = primary.require_output("stateful_volumes")
    stateful = [s.id for s in site.services if s.stateful]
    return Peer(
        PeerEndpoint(primary.require_output("vpn_endpoint"),
                     primary.require_output("replicated_prefixes")),
        {ident: volumes.apply(lambda found, key=ident: _paired_volume(found, key))
         for ident in stateful},
    )


def _paired_volume(primary_volumes: dict[str, str], service: str) -> str:
    if service not in primary_volumes:
        raise ValueError(f"the primary stack exports no volume for stateful service "
                         f"'{service}': run `pulumi up` on the primary stack first")
    return primary_volumes[service]
