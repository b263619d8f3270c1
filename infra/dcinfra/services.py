"""Shared services (portal, mail, JDIH, ... and the PaaS database): instances behind Octavia.

Every service gets a load balancer in its own zone; DMZ services also get a floating IP
from the site's external prefix. Listeners accept only the sources the zone policy allows
for that zone and port. Stateful services run one instance with a data volume (database
volume type in the database zone), a versioned backup container, and at the DRC a replica
paired with the primary's volume.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_openstack as openstack

from dcinfra.site import DMZ_ZONE, Site
from dcinfra.zones import Zones, zone_flows
from spbe.inventory.model import Service

DATABASE_ZONE = "db"
DATABASE_VOLUME_TYPE = "db-ssd"
STANDARD_VOLUME_TYPE = "standard"
WORLD = "0.0.0.0/0"


def listener_sources(site: Site, service: Service, port: int) -> list[str]:
    """Who may connect to the service port, per the zone policy (Octavia allowed_cidrs)."""
    sources = {flow.remote_prefix for flow in zone_flows(site, service.zone)
               if flow.direction == "ingress" and flow.protocol == "tcp" and flow.port == port}
    if WORLD in sources:
        return [WORLD]
    return sorted(sources)


class SharedService(pulumi.ComponentResource):
    """One service in one data center."""

    def __init__(self, name: str, site: Site, service: Service, zones: Zones,
                 volume_types: Mapping[str, openstack.blockstorage.VolumeTypeV3],
                 primary_volume: pulumi.Input[str] | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = site.settings
        operator = site.operator_tenant()
        metadata = {
            "opd": operator.id, "tier": str(service.tier),
            "data-classification": str(service.classification), "service": service.id,
            "zone": service.zone, "site": site.id,
        }
        # A stateful service has one writer per site; the DRC copy is its replica.
        count = 1 if service.stateful else settings.instances_per_service
        self.instances = [
            openstack.compute.Instance(
                f"{name}-{index}", name=f"{name}-{index}", image_name=settings.image,
                flavor_name=settings.flavor, metadata=metadata,
                networks=[openstack.compute.InstanceNetworkArgs(
                    uuid=zones.networks[service.zone].id)],
                security_groups=[zones.security_groups[service.zone].name],
                opts=pulumi.ResourceOptions(parent=self,
                                            depends_on=[zones.subnets[service.zone]]))
            for index in range(count)
        ]
        self.volume: openstack.blockstorage.Volume | None = None
        if service.stateful:
            is_database = service.zone == DATABASE_ZONE
            volume_type = volume_types[DATABASE_VOLUME_TYPE if is_database
                                       else STANDARD_VOLUME_TYPE]
            volume_metadata: dict[str, pulumi.Input[str]] = dict(metadata)
            if primary_volume is not None:
                volume_metadata["replica_of"] = primary_volume
            else:
                volume_metadata["replica_site"] = site.peer.id
            self.volume = openstack.blockstorage.Volume(
                f"{name}-data", name=f"{name}-data", size=settings.data_volume_gb,
                volume_type=volume_type.name, metadata=volume_metadata, opts=child)
            openstack.compute.VolumeAttach(
                f"{name}-data-attach", instance_id=self.instances[0].id,
                volume_id=self.volume.id, opts=pulumi.ResourceOptions(parent=self.volume))
            openstack.objectstorage.Container(
                f"{name}-backups", name=f"backups-{name}", versioning=True,
                metadata={"opd": operator.id, "service": service.id,
                          "data-classification": str(service.classification)}, opts=child)

        subnet = zones.subnets[service.zone]
        self.load_balancer = openstack.loadbalancer.LoadBalancer(
            f"{name}-lb", name=f"{name}-lb", vip_subnet_id=subnet.id,
            vip_address=site.vip_address(service), tags=[f"zone:{service.zone}"], opts=child)
        for port in service.ports:
            sources = listener_sources(site, service, port)
            if not sources:  # Octavia reads an empty list as "everyone": refuse instead
                raise ValueError(f"service {service.id} port {port}: no zone-policy rule "
                                 f"lets anyone reach it in zone {service.zone}")
            listener = openstack.loadbalancer.Listener(
                f"{name}-{port}", name=f"{name}-{port}", loadbalancer_id=self.load_balancer.id,
                protocol="TCP", protocol_port=port, allowed_cidrs=sources,
                opts=pulumi.ResourceOptions(parent=self.load_balancer))
            pool = openstack.loadbalancer.Pool(
                f"{name}-{port}-pool", name=f"{name}-{port}", listener_id=listener.id,
                protocol="TCP", lb_method="LEAST_CONNECTIONS",
                opts=pulumi.ResourceOptions(parent=listener))
            openstack.loadbalancer.Monitor(
                f"{name}-{port}-monitor", pool_id=pool.id, type="TCP", delay=10, timeout=5,
                max_retries=3, opts=pulumi.ResourceOptions(parent=pool))
            for index, instance in enumerate(self.instances):
                openstack.loadbalancer.Member(
                    f"{name}-{port}-member-{index}", pool_id=pool.id,
                    address=instance.access_ip_v4, protocol_port=port, subnet_id=subnet.id,
                    opts=pulumi.ResourceOptions(parent=pool))
        if service.zone == DMZ_ZONE:
            openstack.networking.FloatingIp(
                f"{name}-public-ip", pool=zones.external_network_name,
                address=site.public_ip(service), port_id=self.load_balancer.vip_port_id,
                description=f"{service.fqdn} at {site.id}", opts=child)
        self.register_outputs({"vip": self.load_balancer.vip_address})


class Services(pulumi.ComponentResource):
    """Volume types and every shared service of the data center."""

    def __init__(self, name: str, site: Site, zones: Zones,
                 primary_volumes: Mapping[str, pulumi.Input[str]] | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("spbe:dc:Services", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        backend = site.settings.database_volume_backend
        volume_types = {
            DATABASE_VOLUME_TYPE: openstack.blockstorage.VolumeTypeV3(
                f"{site.id}-{DATABASE_VOLUME_TYPE}", name=DATABASE_VOLUME_TYPE,
                description=f"database volumes, zone {DATABASE_ZONE} only",
                extra_specs={"volume_backend_name": backend}, opts=child),
            STANDARD_VOLUME_TYPE: openstack.blockstorage.VolumeTypeV3(
                f"{site.id}-{STANDARD_VOLUME_TYPE}", name=STANDARD_VOLUME_TYPE,
                description="service data volumes", opts=child),
        }
        self.services = {
            service.id: SharedService(
                f"{site.id}-{service.id}", site, service, zones, volume_types,
                None if primary_volumes is None or not service.stateful
                else primary_volumes[service.id],
                child)
            for service in site.services
        }
        self.register_outputs({})

    def stateful_volumes(self) -> dict[str, pulumi.Output[str]]:
        return {key: svc.volume.id for key, svc in self.services.items()
                if svc.volume is not None}
