"""End to end: every map the demo and ``write_run_maps`` write, and provider views, open in real Chromium.

Debian's ``/usr/bin/chromium`` driven by PyPI's ``playwright`` (never ``playwright install``). The
pages carry their libraries inline (``maps/assets``): every request that is not to a local file is
aborted (and fails the test), so the maps must draw with no internet at all.

Without chromium the test is skipped locally and fails under ``CI=true``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.maps.run_fixture import HOSTILE_PROVIDER, HOSTILE_ZONE
from tests.maps.web_assets import page_urls, serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
NEEDS = "Debian's chromium (apt-get install -y chromium) and PyPI playwright (pip install '.[test]')"


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
    # The work limit, not the clock, ends each search, so the maps are the same on a busy machine: with a 4-s
    # limit a loaded CI machine once drew a comparison with no moved-client square.
    limits = ["--work-limit", "1", "--time-limit", "60"]
    assert main(["demo", "--clients", "300", *limits, "--out", str(out), "--quiet"]) == 0
    variants = json.loads((out / "kpis.json").read_text())["scenarios"]
    assert not [v for v, k in variants.items() if (k.get("solver") or {}).get("stopped_by_clock")]
    written = sorted((out / "maps").glob("*.html"))
    assert written, "the demo wrote no maps"
    view = write_provider_map(out, "P01", out / "provider_P01.html", variant="zoned")
    loser = _provider_losing_a_patch(out, "zoned")
    losses = write_provider_map(out, loser, out / f"provider_losses_{loser}.html", variant="zoned")
    return [*written, view, losses]


def _provider_losing_a_patch(out: Path, variant: str) -> str:
    import pandas as pd

    read = lambda v: pd.read_csv(out / v / "allocation.csv", dtype=str, keep_default_na=False)  # noqa: E731
    before, after = read("current"), read(variant)
    for pid in sorted(set(before["provider_id"]) - {""}):
        then = set(before.loc[(before["provider_id"] == pid) & (before["status"] == "assigned"), "zone"])
        now = set(after.loc[(after["provider_id"] == pid) & (after["status"] == "assigned"), "zone"])
        if then - now:
            return pid
    raise AssertionError(f"no provider loses a patch in {variant}")


@pytest.fixture(scope="module")
def pages(run_dir, run_maps, demo_maps, tmp_path_factory) -> list[Path]:
    from commissioning.report.run_maps import write_provider_map

    view = write_provider_map(
        run_dir, "P01", tmp_path_factory.mktemp("browser") / "provider_P01.html", variant="current"
    )  # P01 is the provider named <script>alert(1)</script>
    return [*run_maps, view, *demo_maps]


def test_pages_load_no_outside_script_or_style(pages):
    outside = {p.name: sorted(page_urls(p.read_text(encoding="utf-8"))) for p in pages}
    assert not {k: v for k, v in outside.items() if v}, outside


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


STROKES = """(colour) => Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))
                   .filter(p => p.getAttribute('stroke') === colour).length"""
LABELS = "() => document.querySelectorAll('.leaflet-tooltip.cc-label').length"


def _check_what_changes(page, path: Path, text: str) -> None:
    """Comparison pages draw the changed patches, moved-client squares and labels; a provider view of a
    provider losing patches draws them outlined "lost"; every map names places."""
    assert page.evaluate(LABELS) > 0, f"{path.name}: no place labels"
    if path.name.startswith("compare_"):
        assert page.evaluate(STROKES, "#d7191c") + page.evaluate(STROKES, "#2c7bb6") > 0, path.name
        assert page.evaluate(STROKES, "#7f2704") > 0, f"{path.name}: no moved-client squares"
        assert "whose provider differs" in text and "Changes hands" in text
    if path.name.startswith("provider_losses_"):
        assert page.evaluate(STROKES, "#d73027") > 0, f"{path.name}: no lost patch outlined"
        assert "You lose this patch" in text and "losses" in text and "run of" in text
    if path.name.startswith("travel_"):
        assert "Provider key" in text


def _overlays(page, index: int):
    """The overlay checkboxes of map ``index``, its layer list opened as the pointer opens it (a comparison's
    is collapsed to an icon; Leaflet ignores a click in the instant it opens, so the pointer rests first)."""
    page.locator(".leaflet-container").nth(index).locator(".leaflet-control-layers").hover()
    page.wait_for_timeout(50)
    return page.locator(".leaflet-container").nth(index).locator(
        ".leaflet-control-layers-overlays input[type=checkbox]")


def test_every_map_opens_in_headless_chromium(browser, pages, run_dir):
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
            assert page.evaluate("() => L.version") == "1.9.3", path.name  # the inlined copy drew it

            # layers toggle: switching the first overlay of the first map changes what is drawn
            before = page.evaluate(COUNT_SHAPES, 0)
            box = _overlays(page, 0).nth(0)
            was_checked = box.is_checked()
            box.click()
            toggled = page.evaluate(COUNT_SHAPES, 0)
            assert (toggled < before) if was_checked else (toggled > before), path.name
            box.click()
            assert page.evaluate(COUNT_SHAPES, 0) == before, path.name
            # switch every overlay on (their legends appear), then render every tooltip and popup
            for index in range(expected_maps):
                for checkbox in _overlays(page, index).all():
                    if not checkbox.is_checked():
                        checkbox.click()
            text = page.evaluate(RENDER_ALL)
            if path.name.startswith("coverage_") and run_dir in path.parents:  # the hostile-name fixture
                not_text += [f"{path.name}: {n}" for n in (HOSTILE_PROVIDER, HOSTILE_ZONE) if n not in text]
            _check_what_changes(page, path, text)
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
    assert not aborted, f"outside requests (all aborted): {sorted(set(aborted))}"
    assert not console, console
    assert not errors, errors


def test_demo_provider_views_say_the_care_hours_of_providers_csv(demo_maps):
    """The real demo: every provider view's hours are providers.csv's billable care hours (issue 13)."""
    import re

    import pandas as pd

    out = demo_maps[0].parent.parent
    table = pd.read_csv(out / "providers.csv", dtype={"provider_id": str})
    for path in demo_maps:
        if not path.name.startswith("provider_"):
            continue
        pid = re.search(r"(P\d+)\.html$", path.name).group(1)
        page = path.read_text(encoding="utf-8")
        found = re.search(r"clients?, ([\d,]+\.\d) care hours per week", page)
        hours = float(found.group(1).replace(",", ""))
        expected = table.loc[(table["variant"] == "zoned") & (table["provider_id"] == pid), "care_hours"]
        assert hours == pytest.approx(float(expected.iloc[0]), abs=0.05), pid


def test_demo_provider_view_of_every_provider_has_no_small_count(demo_maps, tmp_path):
    """Issue 13 acceptance: the provider view of every provider in the (real) demo shows no grid square
    of fewer than 3 clients and no client count under 3 as a number."""
    import re

    import pandas as pd

    from commissioning.report.run_maps import write_provider_map

    out = demo_maps[0].parent.parent
    ids = pd.read_csv(out / "inputs" / "providers.csv", dtype=str)["provider_id"]
    squares = 0
    for pid in ids:
        page = write_provider_map(out, pid, tmp_path / f"{pid}.html").read_text(encoding="utf-8")
        counts = [int(c) for c in re.findall(r'"count": (\d+)', page)]
        assert all(c >= 3 for c in counts), pid
        squares += len(counts)
        shown = [int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*) (?:clients?|of yours)\b", page)]
        assert all(n >= 3 for n in shown), (pid, sorted(shown)[:5])
    assert squares > 0  # positive control: some squares of 3 or more are drawn


OVERLAP = """() => {
  const r = e => e.getBoundingClientRect();
  const layers = r(document.querySelector('.leaflet-control-layers'));
  const corner = document.querySelector('.leaflet-bottom.leaflet-right');
  const credit = corner.querySelector('.leaflet-control-attribution');
  const visible = credit && r(credit).bottom <= window.innerHeight && r(credit).height > 0;
  return [layers.bottom, r(corner).top, [...corner.querySelectorAll('.cc-box')].length, visible];
}"""


def test_a_provider_view_in_a_short_frame_keeps_its_legends_below_the_layer_control(browser, demo_maps):
    # Regression: in the web app's frame (540 px high) a provider view's three legends, stacked bottom right,
    # reached up over the layer control's labels; they now stop below it and scroll.
    context = browser.new_context(viewport={"width": 1200, "height": 540})
    context.route("**/*", lambda route: serve(route, [], []))
    try:
        page = context.new_page()
        page.goto(next(v for v in demo_maps if v.name == "provider_P01.html").as_uri(), wait_until="load")
        page.wait_for_selector(".leaflet-control-layers")
        for checkbox in page.locator(".leaflet-control-layers-overlays input[type=checkbox]").all():
            if not checkbox.is_checked():
                checkbox.click()
        page.wait_for_timeout(100)
        layers_bottom, legends_top, legends, credit_shown = page.evaluate(OVERLAP)
        assert legends >= 2 and legends_top >= layers_bottom, (layers_bottom, legends_top)
        assert credit_shown  # the land data's attribution stays in view
    finally:
        context.close()


COVERED = """() => [...document.querySelectorAll('.leaflet-container')].map(pane => {
  const p = pane.getBoundingClientRect();
  const boxes = [...pane.querySelectorAll('.leaflet-right .leaflet-control')]
    .map(c => c.getBoundingClientRect());
  const area = boxes.reduce((sum, b) => sum + b.width * b.height, 0);
  const open = [...pane.querySelectorAll('details.cc-legend')].filter(d => d.open).length;
  return [area / (p.width * p.height), open, pane.querySelectorAll('details.cc-legend').length];
})"""


def test_a_comparison_s_panes_are_not_covered_by_their_controls(browser, demo_maps):
    # Regression: at 1,280 px each pane of a comparison (640 px) had its layer list over its top third and
    # three legends over most of its right half. The layer list is now an icon (the pointer opens it) and a
    # map narrower than 700 px starts with its legends closed to their titles; one click opens each. A
    # single map at 1,280 px keeps its legends open.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("**/*", lambda route: serve(route, [], []))
    try:
        page = context.new_page()
        page.goto(next(v for v in demo_maps if v.name.startswith("compare_")).as_uri(), wait_until="load")
        page.wait_for_function("document.querySelectorAll('details.cc-legend').length >= 4")
        page.wait_for_timeout(100)
        panes = page.evaluate(COVERED)
        assert len(panes) == 2 and all(share < 0.12 and opened == 0 for share, opened, _ in panes), panes
        page.locator(".leaflet-container").nth(1).locator("details.cc-legend summary").first.click()
        assert [opened for _, opened, _ in page.evaluate(COVERED)] == [0, 1]
        page.goto(next(v for v in demo_maps if v.name.startswith("coverage_")).as_uri(), wait_until="load")
        page.wait_for_selector("details.cc-legend")
        page.wait_for_timeout(100)
        (_, opened, legends), = page.evaluate(COVERED)
        assert opened == legends >= 1
    finally:
        context.close()
