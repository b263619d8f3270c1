"""The embedded lab: the city network, the DC and the DRC as real software on one machine.

Built from the same `inventories/` and IP plan as production. Every router, firewall and
server is a Linux network namespace running real daemons: FRRouting (zebra + ospfd) and
sshd on each router, nftables on the external and internal firewalls (rules compiled from
the zone policy), nginx in the DMZ and application zones, NSD as the authoritative DNS of
the city's domain, PostgreSQL streaming from the DC to the DRC through a userspace
WireGuard tunnel (wireguard-go: this kernel has neither WireGuard nor ESP).

Modules:
  topology   namespaces, links, addresses, routes and OSPF, derived from the inventory
  nsexec     fork/setns/exec launcher and in-process namespace helpers
  netsetup   `ip -batch` creation and deletion, sysctls (and restoring the host's)
  bootstrap  minimal FRR and sshd configuration of each router
  firewall   nftables rule sets from the compiled zone policy
  services   nginx, NSD, PostgreSQL and WireGuard
  checks     readiness and verification probes (routes, reachability, policy, replication)
  lifecycle  `up`, `down` and `status`
"""
