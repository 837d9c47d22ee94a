"""``commissioning demo --out DIR``: the embedded Argyll and Bute default, end to end."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Generate the embedded Argyll and Bute scenario (about 1,000 clients, 15 providers, fixed seed) into
DIR/inputs, run the embedded default scenario (variants current, optimised, zoned with K = 2 and pools on)
and write the report into DIR. The scenario file is commissioning/data/argyll_bute_default.toml; a
copy is written to DIR/scenario.toml to start your own."""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the embedded Argyll and Bute default scenario end to end",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from commissioning.cli.commands import options
    from commissioning.cli.commands.run import add_run_options
    from commissioning.synthetic import MAX_CLIENTS

    parser.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (new or empty; see --force)"
    )
    parser.add_argument(
        "--clients",
        type=options.whole_in(1, MAX_CLIENTS, 1000),
        default=None,
        metavar="N",
        help="clients to generate (default: the default scenario's 1000)",
    )
    parser.add_argument(
        "--seed",
        dest="data_seed",
        type=options.natural,
        default=None,
        metavar="N",
        help="generator seed, as for 'commissioning generate' (default: the default scenario's 1)",
    )
    # --seed is the generator's here, as for 'commissioning generate': the solver's is --solver-seed.
    add_run_options(parser, renamed={"seed": "--solver-seed"})
    parser.set_defaults(func=run)


def run(args) -> int:
    import dataclasses
    import re

    from commissioning.cli.commands.run import solver_overrides, summary_text
    from commissioning.running.run import run_scenario
    from commissioning.scenario.file import DEFAULT_SCENARIO, load_scenario_file

    scenario = load_scenario_file(DEFAULT_SCENARIO)
    source = scenario.data
    source = dataclasses.replace(
        source,
        generate_clients=args.clients if args.clients is not None else source.generate_clients,
        generate_seed=args.data_seed if args.data_seed is not None else source.generate_seed,
    )
    # DIR/scenario.toml reproduces this run: it says which data were generated.
    text = re.sub(
        r"generate = \{[^}]*\}",
        f"generate = {{ clients = {source.generate_clients}, seed = {source.generate_seed} }}",
        scenario.text,
        count=1,
    )
    scenario = dataclasses.replace(scenario, data=source, text=text)
    result = run_scenario(
        scenario,
        args.out,
        overrides=solver_overrides(args),
        force=args.force,
        quiet=args.quiet,
        routing=False if args.no_routing else None,
    )
    print(f"{scenario.name}: {source.generate_clients} clients (seed {source.generate_seed})")
    print(summary_text(result))
    return 0
