"""Public DNS for padang.go.id (Designate), pointing at the active site: the failover lever.

Each site serves its own copy of the zone, so DNS survives the loss of either site. The
addresses of both sites are fixed positions in the inventory's prefixes (see site.py), so
flipping `active_site` changes only the records here, nothing else in either stack.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from dcinfra.site import Site

RECORD_TTL = 300  # short, so a failover reaches resolvers within minutes


class PublicDns(pulumi.ComponentResource):
    def __init__(self, name: str, site: Site, opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:PublicDns", name, None, opts)
        domain = site.domain
        active = site.active_datacenter()
        self.zone = openstack.dns.Zone(
            f"{site.id}-zone", name=f"{domain}.", email=f"hostmaster@{domain}", ttl=3600,
            type="PRIMARY", description=f"{domain} served from {site.id}",
            opts=pulumi.ResourceOptions(parent=self))
        self.records = {
            service.id: openstack.dns.RecordSet(
                f"{site.id}-{service.id}-record", zone_id=self.zone.id, name=f"{service.fqdn}.",
                type="A", ttl=RECORD_TTL, records=[site.service_address(service, active)],
                description=f"{service.name} at {active.id}",
                opts=pulumi.ResourceOptions(parent=self.zone))
            for service in site.services
        }
        self.register_outputs({"zone_id": self.zone.id})
