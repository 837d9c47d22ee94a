"""The scenario file (TOML: which data, which prices, which variants; ``file``), its line numbers
(``lines``) and the product's defaults (``defaults``)."""
