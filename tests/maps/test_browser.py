"""End to end: every map the demo and ``write_run_maps`` write, and provider views, open in real Chromium.

Debian's ``/usr/bin/chromium`` driven by PyPI's ``playwright`` (never ``playwright install``). The
machines are offline: the CDN files folium pages load are answered from npm tarballs unpacked by
``tests/fixtures/web/fetch_assets.sh`` into ``~/.cache/care-commissioning/web-assets``; every other
outside request is aborted (and fails the test).

Without chromium (or without npm and a cached copy of the packages) the test is skipped locally and
fails under ``CI=true``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.maps.run_fixture import HOSTILE_PROVIDER, HOSTILE_ZONE
from tests.maps.web_assets import ensure_packages, npm_source, page_urls, serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
NEEDS = (
    "Debian's chromium (apt-get install -y chromium), PyPI playwright (pip install '.[test]') "
    "and node/npm with access to the npm registry (apt-get install -y npm) or a filled "
    "~/.cache/care-commissioning/web-assets (tests/fixtures/web/fetch_assets.sh)"
)


def _unavailable(reason: str):
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"browser test cannot run in CI: {reason}. .ci/run must provide {NEEDS}.")
    pytest.skip(f"{reason} (needs {NEEDS})")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo_maps(tmp_path_factory) -> list[Path]:
    """Every map a real (small) ``commissioning demo`` writes, plus a provider view of its zoned variant."""
    from commissioning.cli import main
    from commissioning.report.run_maps import write_provider_map

    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["demo", "--clients", "300", "--time-limit", "4", "--out", str(out), "--quiet"]) == 0
    written = sorted((out / "maps").glob("*.html"))
    assert written, "the demo wrote no maps"
    view = write_provider_map(out, "P01", out / "provider_P01.html", variant="zoned")
    return [*written, view]


@pytest.fixture(scope="module")
def pages(run_dir, run_maps, demo_maps, tmp_path_factory) -> list[Path]:
    from commissioning.report.run_maps import write_provider_map

    view = write_provider_map(
        run_dir, "P01", tmp_path_factory.mktemp("browser") / "provider_P01.html", variant="current"
    )  # P01 is the provider named <script>alert(1)</script>
    return [*run_maps, view, *demo_maps]


@pytest.fixture(scope="module")
def assets(pages):
    urls = set().union(*(page_urls(p.read_text(encoding="utf-8")) for p in pages))
    unknown = sorted(u for u in urls if npm_source(u) is None)
    assert not unknown, f"pages load files with no npm source mapped in tests/maps/web_assets.py: {unknown}"
    try:
        ensure_packages({npm_source(u)[0] for u in urls})
    except (RuntimeError, OSError) as error:
        _unavailable(f"could not fetch the web libraries with npm: {error}")
    return urls


# Render every tooltip and popup the way Leaflet does (a function of the feature layer, or a string set
# as innerHTML) into the page, open the first tooltip of each layer through Leaflet itself, and return
# the text shown. An injected <img onerror> or <script> in any name would run here.
RENDER_ALL = """() => {
  const maps = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map)
                                   .map(k => window[k]);
  const box = document.createElement('div');
  box.style.display = 'none';
  document.body.appendChild(box);
  const show = (content, leaf) => {
    const div = document.createElement('div');
    const value = typeof content === 'function' ? content(leaf) : content;
    if (typeof value === 'string') { div.innerHTML = value; } else if (value) { div.appendChild(value); }
    box.appendChild(div);
  };
  for (const map of maps) {
    map.eachLayer(layer => {
      for (const bound of [layer.getTooltip && layer.getTooltip(), layer.getPopup && layer.getPopup()]) {
        if (!bound) continue;
        const leaves = layer.eachLayer ? layer.getLayers() : [layer];
        leaves.forEach(leaf => show(bound._content, leaf));
      }
      if (layer.getTooltip && layer.getTooltip() && layer.openTooltip) { layer.openTooltip(); }
    });
  }
  return document.body.innerText + '\\n' + box.textContent;
}"""

MAPS = "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])"
COUNT_SHAPES = """(index) => document.querySelectorAll('.leaflet-container')[index]
                                    .querySelectorAll('.leaflet-overlay-pane path').length"""


def test_every_map_opens_in_headless_chromium(browser, pages, assets, run_dir):
    served, aborted, console, errors, dialogs, not_text = [], [], [], [], [], []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("**/*", lambda route: serve(route, served, aborted))
    report = []
    try:
        for path in pages:
            page = context.new_page()
            page.on("console", lambda m, p=path: m.type == "error" and console.append(f"{p.name}: {m.text}"))
            page.on("pageerror", lambda e, p=path: errors.append(f"{p.name}: {e}"))
            page.on("dialog", lambda d, p=path: (dialogs.append(f"{p.name}: {d.message}"), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            expected_maps = 2 if path.name.startswith("compare_") else 1
            page.wait_for_function(
                f"document.querySelectorAll('.leaflet-container .leaflet-overlay-pane path').length > 0 && "
                f"document.querySelectorAll('.leaflet-container').length === {expected_maps}"
            )
            assert page.locator(".leaflet-control-layers").count() == expected_maps

            # layers toggle: switching the first overlay of the first map changes what is drawn
            before = page.evaluate(COUNT_SHAPES, 0)
            box = (
                page.locator(".leaflet-container")
                .nth(0)
                .locator(".leaflet-control-layers-overlays input[type=checkbox]")
                .nth(0)
            )
            was_checked = box.is_checked()
            box.click()
            toggled = page.evaluate(COUNT_SHAPES, 0)
            assert (toggled < before) if was_checked else (toggled > before), path.name
            box.click()
            assert page.evaluate(COUNT_SHAPES, 0) == before, path.name
            # switch every overlay on (their legends appear), then render every tooltip and popup
            for checkbox in page.locator(".leaflet-control-layers-overlays input[type=checkbox]").all():
                if not checkbox.is_checked():
                    checkbox.click()
            text = page.evaluate(RENDER_ALL)
            if path.name.startswith("coverage_") and run_dir in path.parents:  # the hostile-name fixture
                not_text += [f"{path.name}: {n}" for n in (HOSTILE_PROVIDER, HOSTILE_ZONE) if n not in text]
            if path.name.startswith("compare_"):  # the two sides move together
                page.evaluate(
                    f"() => {{ const m = {MAPS}; m[0].setZoom(m[0].getZoom() + 1, {{animate: false}}); }}"
                )
                page.wait_for_function(
                    f"() => {{ const z = {MAPS}.map(m => m.getZoom()); return z[0] === z[1]; }}"
                )
            page.wait_for_timeout(300)  # let any injected onerror handler fire
            report.append(f"{path.name}: {path.stat().st_size / 1024:.0f} KB, {before} shapes, toggle ok")
            page.close()
        # positive control: the dialog listener does catch a script that runs
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(f"control: {d.message}"), d.dismiss()))
        page.goto(pages[0].as_uri(), wait_until="load")
        page.evaluate("() => { setTimeout(() => alert('control'), 0); }")
        page.wait_for_timeout(300)
        page.close()
    finally:
        context.close()
    print("\n".join(report))
    assert dialogs == ["control: control"], f"an injected script ran: {dialogs}"
    assert not not_text, f"injected names not shown as text: {not_text}"
    assert not aborted, f"outside requests with no local copy: {sorted(set(aborted))}"
    assert not console, console
    assert not errors, errors
    assert served, "no CDN request was answered from the local copies"
