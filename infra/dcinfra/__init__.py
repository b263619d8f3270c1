"""Components of one SPBE data center (primary DC or DRC) on OpenStack.

`__main__.py` only wires them; each module owns one concern: site (settings and
addresses), zones (networks, routers, security groups, FWaaS), tenants, vpn, services,
dns and peer (the DC-DRC pairing).
"""
