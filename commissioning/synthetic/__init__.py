"""The synthetic scenario generator (``generate.generate_scenario``): geography, clients, providers, today's
allocation and pools, written byte for byte the same for the same seed."""

# Here, not in generate.py: the command line checks its options against them without loading the generator.
MAX_CLIENTS = 500_000
MAX_PROVIDERS = 99  # provider ids are P01-P99
