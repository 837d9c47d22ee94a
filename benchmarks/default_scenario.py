"""The default Argyll and Bute scenario through the solver core (acceptance: K = 2, pools on, gap ≤ 0.5 %).

    python benchmarks/default_scenario.py [--clients 1000] [--seed 1] [--time-limit 30] [--workers 2] [--k 2]
                                          [--work-limit W]

Clock-limited (``deterministic = false``) unless ``--work-limit`` is given: then deterministic, the product's
default mode, with W CP-SAT work units and the time limit as its hard stop.

Generates the dataset folder with ``commissioning.synthetic.generate.generate_scenario`` (in a temporary
folder), loads it, builds the solver arrays with the region's road and ferry network, then solves four
variants: no zoning (pools on), K zoning with pools on, K zoning with pools off, K = 1 (pools on), K
zoning with recruitment, and ranked zoning (lead, second, third provider per zone: 60 / 25 / 15 % of its
care hours, the Argyll and Bute 2012 model; pools on). The dataset has carers at hubs: every variant holds the
workforce rules.
Unmet need is allowed at the default penalty. Prints one row per variant:
variant, status, objective, bound, gap %, seconds, unmet clients, moves, violations.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from solver import SolveParams, Switches, solve  # noqa: E402


def build(n_clients: int, seed: int, pools: bool, folder: Path):
    from commissioning.inputs.folder import load_dataset
    from commissioning.running.problem import build_problem
    from geodata.region import load_region

    region = load_region()
    data = load_dataset(folder, region_land=region.land)
    problem, _index = build_problem(data, region.network(), pools=pools)
    return problem


def generate(n_clients: int, seed: int, tmp: Path) -> Path:
    from commissioning.synthetic.generate import generate_scenario

    folder = tmp / f"scenario-{n_clients}-{seed}"
    generate_scenario(folder, n_clients=n_clients, seed=seed)
    return folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1, help="generator seed")
    ap.add_argument("--solver-seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--work-limit", type=float, default=None,
                    help="deterministic runs with this many work units (the time limit a hard stop)")
    ap.add_argument("--variants", nargs="+",
                    default=["none", "k-pools", "k-nopools", "k1", "k-recruit", "ranked"],
                    help="subset of: none k-pools k-nopools k1 k-recruit ranked")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(args.clients, args.seed, Path(tmp))
        t_gen = time.perf_counter() - t0
        problems = {True: build(args.clients, args.seed, True, folder)}
        if "k-nopools" in args.variants:
            problems[False] = build(args.clients, args.seed, False, folder)
    t_build = time.perf_counter() - t0 - t_gen
    d = problems[True]
    print(f"# {d.n_clients} clients, {d.n_providers} providers, {d.n_zones} zones, {d.n_pools} pools, "
          f"{int(d.pair_eligible.sum())} eligible pairs, {int(np.sum(d.client_pinned_provider >= 0))} pinned;"
          " "
          f"generated in {t_gen:.1f} s, built in {t_build:.1f} s")
    variants = {
        "none": ("no zoning", None, True),
        "k-pools": (f"K={args.k} pools on", args.k, True),
        "k-nopools": (f"K={args.k} pools off", args.k, False),
        "k1": ("K=1 pools on", 1, True),
        "k-recruit": (f"K={args.k} recruit", args.k, True),
        "ranked": ("ranked 60/25/15", None, True),
    }
    # Wall-clock seconds by default, as the acceptance figures are stated; --work-limit: the product's mode.
    params = SolveParams(time_limit_s=args.time_limit, workers=args.workers, seed=args.solver_seed,
                         deterministic=args.work_limit is not None, work_limit=args.work_limit)
    print(f"{'variant':<18}{'status':<12}{'objective £':>14}{'bound £':>14}{'gap %':>9}{'seconds':>9}"
          f"{'unmet':>7}{'moves':>7}{'recruits':>9}{'violations':>11}")
    worst = 0.0
    for key in args.variants:
        label, k, pools = variants[key]
        sc = Switches(max_providers_per_zone=k, pools=pools, allow_unmet=True, recruit=key == "k-recruit",
                      ranked_shares=(0.60, 0.25, 0.15) if key == "ranked" else ())
        r = solve(problems[pools], sc, params)
        unmet = int(np.sum(r.assignment < 0)) if len(r.assignment) else -1
        print(f"{label:<18}{r.status:<12}{r.objective:>14,.2f}{r.bound:>14,.2f}{100 * r.gap:>9.3f}"
              f"{r.seconds:>9.1f}{unmet:>7}{r.moves:>7}{int(r.recruits.sum()):>9}{len(r.violations):>11}")
        sys.stdout.flush()
        if key == "k-pools":
            worst = r.gap
    return 0 if worst <= 0.005 else 1


if __name__ == "__main__":
    raise SystemExit(main())
