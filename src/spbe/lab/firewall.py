"""nftables rule sets of the lab's two firewalls, compiled from the zone policy.

The same `CompiledRule` list feeds the OpenStack FWaaS rules, so the lab and production
enforce one policy. Each firewall gets the rules whose flows cross it, in policy order
(first match wins), after `established,related` and before a default drop. Denied packets
are dropped, never rejected: the policy test tells "passed" from "dropped" by that.

Two lab-specific points:
- The policy's `internet` zone is 0.0.0.0/0. Matched literally on the internal firewall,
  "diskominfo to internet: http" would also allow diskominfo to the database zone on port
  80, so here `internet` means "not one of the city's prefixes" (`@city`).
- Zones marked `replicated` are carried over the DC-DRC VPN: traffic between a zone and
  the same zone of the other data center passes both firewalls, on the edge only through
  the tunnel interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network

from spbe.lab.topology import DatacenterLayout
from spbe.zonepolicy import CompiledRule, Firewall, rules_for

TABLE = "spbe_lab"


def _prefixes(prefixes: Sequence[IPv4Network]) -> str:
    return "{ " + ", ".join(str(p) for p in prefixes) + " }"


def _match(direction: str, zone: str, prefixes: Sequence[IPv4Network]) -> str:
    if zone == "internet":
        return f"ip {direction} != @city"
    return f"ip {direction} {_prefixes(prefixes)}"


def rule_line(rule: CompiledRule) -> str:
    parts = [_match("saddr", rule.source_zone, rule.source_prefixes),
             _match("daddr", rule.destination_zone, rule.destination_prefixes)]
    if rule.protocol == "icmp":
        parts.append("icmp type echo-request")
    else:
        ports = ", ".join(str(port) for port in rule.ports)
        parts.append(f"{rule.protocol} dport {{ {ports} }}")
    verdict = "accept" if rule.action == "allow" else "drop"
    parts += ["counter", verdict, f'comment "{rule.rule_id}/{rule.service}"']
    return " ".join(parts)


def ruleset(
    firewall: Firewall, rules: list[CompiledRule], city: Sequence[IPv4Network],
    layout: DatacenterLayout, peer: DatacenterLayout,
) -> str:
    lines = [
        f"table inet {TABLE} {{",
        "  set city {",
        "    type ipv4_addr; flags interval;",
        f"    elements = {_prefixes(city)}",
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy drop;",
    ]
    if firewall == Firewall.EXTERNAL:
        # the tunnel's MTU is lower than the LANs'; clamp so replication never stalls
        lines.append(f'    oifname "{layout.vpn_interface}" tcp flags syn '
                     "tcp option maxseg size set rt mtu")
    lines += [
        "    ct state established,related accept",
        "    ct state invalid drop",
    ]
    lines += [f"    {rule_line(rule)}" for rule in rules_for(rules, firewall)]
    for zone in layout.replicated_zones:
        own, other = layout.zone_prefixes[zone], peer.zone_prefixes[zone]
        outbound = inbound = ""
        if firewall == Firewall.EXTERNAL:
            outbound = f'oifname "{layout.vpn_interface}" '
            inbound = f'iifname "{layout.vpn_interface}" '
        comment = f'comment "replication/{zone}"'
        lines.append(f"    {outbound}ip saddr {own} ip daddr {other} counter accept {comment}")
        lines.append(f"    {inbound}ip saddr {other} ip daddr {own} counter accept {comment}")
    lines += ["  }", "}", ""]
    return "\n".join(lines)
