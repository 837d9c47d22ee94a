"""Answer the CDN requests of folium pages from npm tarballs, for the offline browser test.

The machines running the tests are offline; folium pages load Leaflet, jQuery, Bootstrap, Font Awesome,
awesome-markers and Leaflet.Sync from CDNs. :func:`npm_source` maps each CDN URL to an npm package and a
path inside it; ``tests/fixtures/web/fetch_assets.sh`` unpacks those packages (``npm pack``) into a cache
folder outside the repository; :func:`serve` fulfils Playwright requests from there and aborts every
other outside request.
"""

from __future__ import annotations

import mimetypes
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
FETCH_SCRIPT = REPO / "tests" / "fixtures" / "web" / "fetch_assets.sh"
CDN_URL = re.compile(r"""https?://[^\s"'<>()]+""")
_AWESOME = "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/"
_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".map": "application/json",
}


def cache_dir() -> Path:
    env = os.environ.get("CARE_COMMISSIONING_WEB_ASSETS")
    return Path(env) if env else Path.home() / ".cache" / "care-commissioning" / "web-assets"


def npm_source(url: str) -> tuple[str, str] | None:
    """``(name@version, path inside the package)`` for a CDN URL folium uses, or None."""
    parts = urlsplit(url)
    host, path = parts.netloc, parts.path
    if host == "cdn.jsdelivr.net" and path.startswith("/npm/"):
        rest = path[len("/npm/") :]
        m = re.match(r"^((?:@[^/]+/)?[^/@]+@[^/]+)/(.+)$", rest)
        return (m.group(1), m.group(2)) if m else None
    if host == "code.jquery.com":
        m = re.match(r"^/jquery-(\d+\.\d+\.\d+)(\.min)?\.js$", path)
        if m:
            return f"jquery@{m.group(1)}", f"dist/jquery{m.group(2) or ''}.js"
        return None
    if url.startswith(_AWESOME):
        m = re.match(r"^([^/]+)/(.+)$", url[len(_AWESOME) :].split("?")[0])
        if not m:
            return None
        version, file = m.groups()
        inner = f"css/{file}" if file.startswith("images/") or file.endswith(".css") else f"js/{file}"
        return f"drmonty-leaflet-awesome-markers@{version}", inner
    return None


def page_urls(html_text: str) -> set[str]:
    """The outside URLs a page names (script and link tags)."""
    return {u for u in CDN_URL.findall(html_text) if re.search(r"\.(js|css)(\?|$)", u)}


def package_dir(spec: str) -> Path:
    return cache_dir() / spec.replace("/", "+") / "package"


def ensure_packages(specs: set[str]) -> None:
    """Run the fetch script for the packages not in the cache yet (``npm pack``; needs npm and network)."""
    missing = sorted(s for s in specs if not (package_dir(s).parent / ".complete").exists())
    if not missing:
        return
    result = subprocess.run(
        ["bash", str(FETCH_SCRIPT), *missing],
        capture_output=True,
        text=True,
        env={**os.environ, "CARE_COMMISSIONING_WEB_ASSETS": str(cache_dir())},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{FETCH_SCRIPT.name} failed for {missing}:\n{result.stdout}\n{result.stderr}")


def local_file(url: str) -> Path | None:
    source = npm_source(url)
    if source is None:
        return None
    spec, inner = source
    root = package_dir(spec).resolve()
    path = (root / inner).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def serve(route, served: list[str], aborted: list[str]) -> None:
    """Playwright route handler: local copies for known CDN files, abort for any other outside request."""
    url = route.request.url
    if url.startswith(("file:", "data:", "about:", "blob:")):
        route.continue_()
        return
    path = local_file(url)
    if path is None:
        aborted.append(url)
        route.abort()
        return
    served.append(url)
    content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    route.fulfill(
        status=200,
        body=path.read_bytes(),
        headers={"content-type": content_type, "access-control-allow-origin": "*"},
    )
