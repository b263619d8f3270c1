"""Pulumi program of one SPBE data center: `pulumi up` on stack `primary`, then `drc`."""

import pulumi
from dcinfra.dns import PublicDns
from dcinfra.peer import resolve_peer
from dcinfra.services import Services
from dcinfra.settings import read_settings
from dcinfra.site import build_site
from dcinfra.tenants import Tenants
from dcinfra.vpn import Vpn
from dcinfra.zones import DualFirewall, Zones

from spbe.inventory import load

config = pulumi.Config()
settings = read_settings(config)
inventory, addresses = load(settings.inventory_dir)
site = build_site(inventory, addresses, settings)
peer = resolve_peer(site)

zones = Zones("zones", site)
tenants = Tenants("tenants", site, zones)
firewall = DualFirewall("firewall", site, zones)
vpn = Vpn("vpn", site, zones, peer.endpoint, config.require_secret("vpn_psk"))
services = Services("services", site, zones, peer.primary_volumes)
dns = PublicDns("dns", site)

pulumi.export("datacenter", site.id)
pulumi.export("active_site", site.settings.active_site)
pulumi.export("vpn_endpoint", vpn.service.external_v4_ip)
pulumi.export("replicated_prefixes", site.replicated_prefixes())
pulumi.export("stateful_services", sorted(services.stateful_volumes()))
pulumi.export("stateful_volumes", services.stateful_volumes())
pulumi.export("dns_zone_id", dns.zone.id)
