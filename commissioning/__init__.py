"""care-commissioning: the domain and the product (scenarios, KPIs, reports, the CLI)."""

__version__ = "0.1.0"
