"""The synthetic scenario generator (``generate.generate_scenario``): geography, clients, providers, today's
allocation and pools, written byte for byte the same for the same seed."""
