"""Geography: the embedded Argyll and Bute region, land, zones, and the road + ferry travel model.

Kept import-light: import the submodule you need (``geodata.network``, ``geodata.region``...).
"""
