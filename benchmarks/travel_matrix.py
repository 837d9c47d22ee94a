"""Time the vectorised travel matrix: N clients x 15 provider hubs, per time band.

    python benchmarks/travel_matrix.py [--clients 1000] [--hubs 15] [--repeats 5]

Prints a table: network build, first matrix (includes the access-leg water checks), repeated matrices.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from geodata.region import load_region


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--hubs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    region = load_region("argyll-bute")
    rng = np.random.default_rng(0)
    settlements = region.settlements()
    weights = settlements["older_population"].to_numpy(float) + 1
    picks = rng.choice(len(settlements), size=args.clients, p=weights / weights.sum())
    # Clients within ~1 km of a settlement (on land or near it; the access leg copes either way).
    lon = settlements["lon"].to_numpy()[picks] + rng.normal(0, 0.01, args.clients)
    lat = settlements["lat"].to_numpy()[picks] + rng.normal(0, 0.006, args.clients)
    hubs = settlements.nlargest(args.hubs, "population")

    t0 = time.perf_counter()
    network = region.network()
    build_s = time.perf_counter() - t0
    rows = [("network build", build_s)]
    for band in ("morning", "lunch", "tea", "bed"):
        t0 = time.perf_counter()
        matrix = network.matrix(hubs["lon"], hubs["lat"], lon, lat, band)
        rows.append((f"first {band} matrix {matrix.shape[1]}x{matrix.shape[0]}", time.perf_counter() - t0))
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        network.matrix(hubs["lon"], hubs["lat"], lon, lat, "lunch")
        times.append(time.perf_counter() - t0)
    rows.append((f"repeat lunch matrix (median of {args.repeats})", float(np.median(times))))
    unreachable = float(
        np.mean(~np.isfinite(network.matrix(hubs["lon"], hubs["lat"], lon, lat, "bed").minutes))
    )
    print(f"{'step':<42} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<42} {seconds:>8.3f}")
    print(f"share of hub-client pairs unreachable at bed time: {unreachable:.1%}")


if __name__ == "__main__":
    main()
