"""OPD tenants: one OpenStack project per OPD, quotas by service tier (Pasal 20B(3-6)).

IaaS tenants run their own virtual servers (Pasal 20B(2)b), PaaS tenants deploy on the
shared platform, SaaS tenants use ready-made applications; the tier sets the quota. Each
project gets its network behind the internal firewall, a default-deny security group
that opens only what the zone policy allows its zone, and a backup container.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from dcinfra.site import Site
from dcinfra.zones import Zones, security_group
from spbe.inventory.model import Quota, Tenant


def scaled(value: int, percent: int) -> int:
    """A quota scaled for this site; a non-zero quota never rounds down to zero."""
    return max(1, value * percent // 100) if value else 0


class OpdTenant(pulumi.ComponentResource):
    """Everything one OPD owns in one data center."""

    def __init__(self, name: str, site: Site, tenant: Tenant, zones: Zones,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:Tenant", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        quota: Quota = site.inventory.datacenter.quotas[tenant.tier]
        percent = site.settings.quota_percent
        self.project = openstack.identity.Project(
            f"{name}-project", name=f"opd-{tenant.id}", description=tenant.name,
            tags=[f"tier:{tenant.tier}", f"classification:{tenant.classification}",
                  f"site:{site.id}"], opts=child)
        project_id = self.project.id
        quota_opts = pulumi.ResourceOptions(parent=self.project)
        openstack.compute.QuotaSetV2(
            f"{name}-compute-quota", project_id=project_id,
            instances=scaled(quota.instances, percent), cores=scaled(quota.cores, percent),
            ram=scaled(quota.ram_mb, percent), opts=quota_opts)
        openstack.networking.QuotaV2(
            f"{name}-network-quota", project_id=project_id,
            network=scaled(quota.networks, percent), subnet=scaled(quota.networks, percent),
            port=scaled(quota.ports, percent), router=0, floatingip=0, opts=quota_opts)
        openstack.blockstorage.QuoteSetV3(
            f"{name}-volume-quota", project_id=project_id,
            volumes=scaled(quota.volumes, percent), gigabytes=scaled(quota.gigabytes, percent),
            opts=quota_opts)
        self.network, self.subnet = zones.attach_tenant_network(
            name, tenant.zone, site.tenant_prefix(tenant.id), project_id, self)
        self.security_group = security_group(
            f"default-deny-{tenant.tier}", f"{name}-sg", site, tenant.zone,
            f"{tenant.tier} tier: default deny; zone policy flows of {tenant.zone}", self,
            tenant_id=project_id)
        self.backups = openstack.objectstorage.Container(
            f"{name}-backups", name=f"backups-{site.id}-{tenant.id}", versioning=True,
            metadata={"opd": tenant.id, "tier": str(tenant.tier),
                      "data-classification": str(tenant.classification)}, opts=child)
        self.register_outputs({"project_id": project_id})


class Tenants(pulumi.ComponentResource):
    """All OPD tenants of the data center."""

    def __init__(self, name: str, site: Site, zones: Zones,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:Tenants", name, None, opts)
        self.tenants = {
            tenant.id: OpdTenant(f"{site.id}-opd-{tenant.id}", site, tenant, zones,
                                 pulumi.ResourceOptions(parent=self))
            for tenant in site.tenants
        }
        self.register_outputs({"projects": {k: t.project.id for k, t in self.tenants.items()}})
