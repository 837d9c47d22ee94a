"""``commissioning compare RUN_A RUN_B --out DIR``: the report's comparison for the variants of two runs."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Write DIR: one report and its maps with the variants of two run output folders of the same clients (e.g.
this year's data against last year's), as if one run had made them all. Each variant is renamed
<label>.<variant> (the labels are the run folders' names, or --labels A,B); the baseline (today's
allocation) is RUN_A's current variant, and the changes against current of RUN_B's variants are
recomputed against it. Two runs that cannot be compared (not a run folder, different clients or regions,
a variant name clash) end with one line and exit status 2."""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare the variants of two runs of the same clients in one report",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_a", metavar="RUN_A", help="a run output folder (its current is the baseline)")
    parser.add_argument("run_b", metavar="RUN_B", help="another run folder of the same clients")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (new or empty; see --force)"
    )
    parser.add_argument(
        "--labels", metavar="A,B", default=None,
        help="the two runs' names in the variant names (default: the run folders' names)",
    )
    parser.add_argument("--force", action="store_true", help="replace --out if this tool wrote it")
    parser.set_defaults(func=run)


def run(args) -> int:
    from commissioning.results.combine import CompareError, compare_runs

    try:
        labels = parse_labels(args.labels)
        result = compare_runs(args.run_a, args.run_b, args.out, labels=labels, force=args.force)
    except CompareError as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"compared {len(result.variants)} variants: {', '.join(result.variants)}")
    print(f"baseline: {result.baseline or 'none (RUN_A has no current variant)'}")
    print(f"wrote {len(result.files)} files; report: {result.out_dir / 'report.html'}")
    return 0


def parse_labels(text: str | None) -> tuple[str, str] | None:
    from commissioning.results.combine import CompareError

    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2:
        raise CompareError(
            f"--labels {text!r} is not two labels. Fix: give two names separated by a comma, e.g. "
            "--labels 2025,2026."
        )
    return parts[0], parts[1]
