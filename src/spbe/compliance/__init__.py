"""Configuration compliance: declarative rules (`policies/network/*.yaml`) evaluated on
rendered or backed-up device configurations, reported per device and per control area of
the security audit (Perwako 29/2022, Lampiran I Bab VI)."""
