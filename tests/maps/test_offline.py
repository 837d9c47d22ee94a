"""The map pages carry their libraries: Leaflet (and Leaflet.Sync) shipped in maps/assets and inlined."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

from maps.offline import asset_bytes, inline_html
from tests.maps.web_assets import page_urls

REPO = Path(__file__).resolve().parents[2]
SHIPPED = {
    "leaflet/leaflet.js": "5819285cec137b229c94e1ee5ad73e8b6b84345a4367d60f75fe477fe0fb7b03",
    "leaflet/leaflet.css": "90b693d86392a4779c861b28cf307e7e59c3fb35328c4d8b95f58f814d38c722",
    "leaflet.sync/L.Map.Sync.js": "68678cd924c95c17fdac8c25c08291a9c3f3ad421c5b55921dfed45d149c1919",
}


def test_shipped_libraries_are_the_published_ones_with_licence_and_readme():
    readme = asset_bytes("README.md").decode("utf-8")
    for name, digest in SHIPPED.items():
        assert hashlib.sha256(asset_bytes(name)).hexdigest() == digest, name
        assert digest in readme and name in readme
    assert b"BSD" in asset_bytes("leaflet/LICENSE") or b"Redistribution" in asset_bytes("leaflet/LICENSE")
    assert b"Redistribution and use" in asset_bytes("leaflet.sync/LICENSE")
    assert "1.9.3" in readme and "0.2.4" in readme and "BSD-2-Clause" in readme
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["maps"]
    assert {"assets/*/*.js", "assets/*/*.css", "assets/*/LICENSE", "assets/README.md"} <= set(data)


def test_inlined_header_makes_no_request():
    header = inline_html(sync=True)
    assert "L.Map.include" in header and "Leaflet 1.9.3" in header
    assert "url(images/" not in header and "data:image/png;base64," in header  # css images inlined
    assert header.count("<script>") == header.count("</script>") == 2  # nothing in them closes early
    assert "L.Map.include" not in inline_html(sync=False)


def test_every_written_page_is_self_contained(run_dir, run_maps, tmp_path):
    from commissioning.report.run_maps import write_provider_map

    provider_view = write_provider_map(run_dir, "P02", tmp_path / "P02.html")
    for path in [*run_maps, provider_view]:
        text = path.read_text(encoding="utf-8")
        assert not page_urls(text), path.name
        assert not re.search(r"""(src|href)=["']?(https?:)?//[^"'\s>]+\.(js|css)""", text), path.name
        for dropped in ("jquery", "bootstrap", "fontawesome", "awesome-markers", "cdn.jsdelivr"):
            assert dropped not in text.lower(), f"{dropped} in {path.name}"
        assert text.count("Leaflet 1.9.3") >= 1 and text.count("L.Map.include") == (
            1 if path.name.startswith("compare_") else 0
        )
