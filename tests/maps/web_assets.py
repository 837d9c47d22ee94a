"""Offline pages: every map inlines the libraries it needs (``maps/assets``), so a browser test answers
nothing from a cache and aborts every outside request.

:func:`page_urls` lists the outside scripts and stylesheets a page would load (there must be none);
:func:`serve` is the Playwright route handler: local requests (``file:``, ``data:``, ``about:``,
``blob:``) go through, every other request is aborted and recorded.
"""

from __future__ import annotations

import re

# a <script src=...> or <link href=...> naming an outside address (http:, https: or protocol-relative)
_EXTERNAL = re.compile(
    r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^\s"'<>]+)""", re.IGNORECASE
)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def page_urls(html_text: str) -> set[str]:
    """The outside addresses a page's script and link tags would load."""
    return set(_EXTERNAL.findall(html_text))


def serve(route, served: list[str], aborted: list[str]) -> None:
    """Playwright route handler: local requests go through, every outside request is aborted."""
    url = route.request.url
    if url.startswith(LOCAL_SCHEMES):
        served.append(url)
        route.continue_()
        return
    aborted.append(url)
    route.abort()
