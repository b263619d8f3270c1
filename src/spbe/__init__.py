"""Infrastructure as code for Kota Padang's SPBE data center, DRC and branch network."""

__version__ = "0.1.0"
