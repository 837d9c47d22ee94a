"""Does a change keep the demo's answers? Run ``commissioning demo`` at a git revision and in the working
tree, then compare the files that hold the answers, byte for byte.

    python benchmarks/same_demo_outputs.py --rev REV [--clients 1000] [--keep DIR]

Compared: every ``<variant>/allocation.csv``, ``providers.csv``, ``zones.csv`` and ``kpis.json`` with its
measured seconds left out (the demo is deterministic: every other figure must repeat). Prints one line per
file, ``same`` or the first differing line, and exits 1 when any file differs. The revision runs from a
temporary ``git worktree`` with this venv's packages, so an old revision must import with them.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMING_KEYS = {"seconds", "solver_seconds", "run_date"}  # measured, not computed: they never repeat


def run_demo(source: Path, out: Path, clients: int | None) -> None:
    """``commissioning demo`` from the code in ``source`` (imports resolve there first)."""
    argv = [sys.executable, "-m", "commissioning.cli", "demo", "--out", str(out), "--quiet"]
    if clients is not None:
        argv += ["--clients", str(clients)]
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(argv, cwd=source, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"demo failed in {source}:\n{done.stderr[-2000:]}")


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def answer_files(out: Path) -> list[str]:
    names = ["providers.csv", "zones.csv", "kpis.json"]
    return names + sorted(str(p.relative_to(out)) for p in out.glob("*/allocation.csv"))


def text_of(out: Path, name: str) -> str:
    path = out / name
    if not path.is_file():
        return ""
    if name == "kpis.json":
        doc = without_timings(json.loads(path.read_text(encoding="utf-8")))
        return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False)
    return path.read_text(encoding="utf-8")


def compare(before: Path, after: Path) -> int:
    differing = 0
    for name in sorted(set(answer_files(before)) | set(answer_files(after))):
        a, b = text_of(before, name), text_of(after, name)
        if a == b:
            print(f"same       {name}")
            continue
        differing += 1
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        shown = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")][:4]
        print(f"DIFFERENT  {name}")
        for line in shown:
            print(f"           {line[:160]}")
    return differing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", required=True, help="git revision to compare against, e.g. HEAD~1")
    ap.add_argument("--clients", type=int, default=None, help="default: the demo's 1000")
    ap.add_argument("--keep", default=None, help="keep both output folders here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="same-demo-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        tree = Path(tmp) / "tree"
        add = ["git", "worktree", "add", "--detach", "-q", str(tree), args.rev]
        subprocess.run(add, cwd=ROOT, check=True)
        try:
            run_demo(tree, base / "before", args.clients)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        run_demo(ROOT, base / "after", args.clients)
        differing = compare(base / "before", base / "after")
    print(f"{differing} file(s) differ between {args.rev} and the working tree")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
