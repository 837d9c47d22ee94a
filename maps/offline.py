"""Self-contained pages: Leaflet (and Leaflet.Sync for side-by-side maps) inlined from ``maps/assets``.

folium pages load Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs; with no
internet the map does not draw. :func:`make_offline` drops every one of those links and puts the shipped
copies of the libraries the maps do use into the page header instead (see ``maps/assets/README.md`` for
versions and licences). Pure: it changes the folium objects it is given, reads only package files.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib.resources import files

from branca.element import Element, Figure, MacroElement

ASSET_NAME = "cc_inline_libraries"
LEAFLET_VERSION = "1.9.3"
SYNC_VERSION = "0.2.4"
_CSS_URL = re.compile(r"url\((images/[A-Za-z0-9_.-]+\.png)\)")


def asset_bytes(relative: str) -> bytes:
    """A file of ``maps/assets`` (``relative`` with forward slashes)."""
    return (files("maps") / "assets" / relative).read_bytes()


def _script_safe(text: str) -> str:
    # Inside <script>/<style>, only "</" can end the element early; "<\/" means the same to JavaScript.
    return text.replace("</", "<\\/")


@lru_cache(maxsize=4)
def inline_html(sync: bool = False) -> str:
    """``<style>`` with Leaflet's CSS (its images as data: URIs) and ``<script>`` with Leaflet (and
    Leaflet.Sync if ``sync``), as one piece of page header."""
    css = asset_bytes("leaflet/leaflet.css").decode("utf-8")

    def data_uri(match: re.Match) -> str:
        encoded = base64.b64encode(asset_bytes(f"leaflet/{match.group(1)}")).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = _CSS_URL.sub(data_uri, css)
    scripts = [asset_bytes("leaflet/leaflet.js").decode("utf-8")]
    if sync:
        scripts.append(asset_bytes("leaflet.sync/L.Map.Sync.js").decode("utf-8"))
    parts = [f"<!-- Leaflet {LEAFLET_VERSION} (BSD-2-Clause), inlined: the page needs no internet -->",
             f"<style>{_script_safe(css)}</style>"]
    parts += [f"<script>{_script_safe(js)}</script>" for js in scripts]
    if sync:
        parts.insert(1, f"<!-- Leaflet.Sync {SYNC_VERSION} (BSD-3-Clause) -->")
    return "\n".join(parts) + "\n"


class _Raw(Element):
    """Header HTML written as is (no Jinja: the libraries' text is not a template)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class InlineLibraries(MacroElement):
    """Puts the inlined libraries first in the page header when the page is rendered."""

    def __init__(self, sync: bool = False):
        super().__init__()
        self._name = "InlineLibraries"
        self.sync = sync

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if isinstance(figure, Figure):
            current = figure.header._children.get(ASSET_NAME)
            keep_sync = self.sync or bool(current is not None and getattr(current, "sync", False))
            raw = _Raw(inline_html(keep_sync))
            raw.sync = keep_sync
            figure.header.add_child(raw, name=ASSET_NAME, index=0)
        super().render(**kwargs)


def make_offline(m, *, sync: bool = False) -> None:
    """Strip every CDN link from folium Map ``m`` and inline the shipped libraries instead."""
    m.default_js = []
    m.default_css = []
    m.add_child(InlineLibraries(sync=sync))
