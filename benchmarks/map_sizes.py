"""Map file sizes and load times for 1,000 and 20,000 generated clients (limits: 5 MB and 15 MB a file).

    python benchmarks/map_sizes.py [--clients 1000 20000] [--seed 1] [--no-browser]

Builds a run output folder per size without the solver (``tests/maps/run_fixture.py``: variants
``current`` = the generator's current allocation and ``zoned`` = nearest hub's provider per zone), writes
every map with ``commissioning.report.run_maps.write_run_maps`` plus the provider view of the largest
provider, and opens each file in headless Chromium (Debian's /usr/bin/chromium through PyPI playwright; the
pages inline their libraries, so every outside request is aborted). Load time: from navigation
to the first drawn shapes of every map on the page. Exit status 1 if a file is over its limit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from commissioning.report.run_maps import write_provider_map, write_run_maps  # noqa: E402
from tests.maps.run_fixture import build_run_output  # noqa: E402

MB = 1024 * 1024
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


def limit_mb(n_clients: int) -> float:
    return 5.0 if n_clients <= 1000 else 15.0


def load_times(paths: list[Path]) -> dict[Path, float]:
    """Seconds from navigation to drawn shapes, per file (empty if chromium or the assets are missing)."""
    from playwright.sync_api import sync_playwright

    from tests.maps.web_assets import page_urls, serve

    outside = set().union(*(page_urls(p.read_text(encoding="utf-8")) for p in paths))
    if outside:
        raise SystemExit(f"pages must not load outside libraries: {sorted(outside)}")
    times, served, aborted = {}, [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", lambda route: serve(route, served, aborted))
        for path in paths:
            page = context.new_page()
            expected = 2 if path.name.startswith("compare_") else 1
            start = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function(
                "[...document.querySelectorAll('.leaflet-container')].filter("
                f"c => c.querySelector('.leaflet-overlay-pane path')).length === {expected}"
            )
            times[path] = time.perf_counter() - start
            page.close()
        browser.close()
    if aborted:
        print(f"warning: outside requests aborted: {sorted(set(aborted))}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-browser", action="store_true", help="sizes only")
    args = parser.parse_args()
    over = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.clients:
            started = time.perf_counter()
            out = build_run_output(Path(tmp) / f"out-{n}", n_clients=n, seed=args.seed)
            built = time.perf_counter() - started
            started = time.perf_counter()
            paths = write_run_maps(out)
            allocation = pd.read_csv(out / "zoned" / "allocation.csv", dtype=str, keep_default_na=False)
            biggest = allocation.loc[allocation["provider_id"] != "", "provider_id"].value_counts().index[0]
            paths.append(write_provider_map(out, biggest, out / "maps" / f"provider_{biggest}.html"))
            written = time.perf_counter() - started
            times: dict[Path, float] = {}
            if not args.no_browser:
                try:
                    times = load_times(paths)
                except Exception as error:  # no chromium: sizes are still worth printing
                    print(f"(no load times: {type(error).__name__}: {error})")
            print(f"\n{n:,} clients (scenario + run folder {built:.1f} s, maps written in {written:.1f} s)")
            print(f"{'file':<36} {'size':>9} {'load':>8}")
            for path in paths:
                size = path.stat().st_size / MB
                load = f"{times[path]:.2f} s" if path in times else "–"
                flag = "" if size <= limit_mb(n) else f"  OVER {limit_mb(n):g} MB"
                print(f"{path.name:<36} {size:>6.2f} MB {load:>8}{flag}")
                if flag:
                    over.append(f"{n}: {path.name}")
    if over:
        print(f"\nover the size limit: {over}")
        return 1
    print("\nall files within the limits (5 MB at 1,000 clients, 15 MB at 20,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
