"""Line numbers of the keys of a scenario file: tomllib does not keep them, so the text is scanned.

``line_of(text, "variants[2].weights.travel")`` is the line of that key, or of the nearest enclosing table
written in the file: every message about a scenario file names the line to correct.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_.\- ]+?)\s*=')


def _clean(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


def _key_lines(text: str) -> dict[str, int]:
    """Dotted key path (``variants[1].weights.travel``) -> 1-based line; tables map to their header line."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        header = _HEADER.match(line)
        if header:
            name = _clean(header.group(2))
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = _indexed(name, counts)
                lines.setdefault(name, number)
            else:
                table = _indexed(name, counts)
            lines.setdefault(table, number)
            continue
        match = _KEY.match(line)
        if not match:
            continue
        key = _clean(match.group(1))
        full = f"{table}.{key}" if table else key
        lines.setdefault(full, number)
        rest = line[match.end() :]
        if rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1:
            in_multiline = True
        if not rest.lstrip().startswith("{"):
            continue
        # Keys of inline tables on the same line: generate = { clients = 1000, seed = 1 }
        for inner in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", rest):
            lines.setdefault(f"{full}.{inner.group(1)}", number)
        # nested one level: data = { generate = { clients = 1 } }
        for deeper in re.finditer(r"([A-Za-z0-9_\-]+)\s*=\s*\{([^}]*)\}", rest):
            for leaf in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", deeper.group(2)):
                lines.setdefault(f"{full}.{deeper.group(1)}.{leaf.group(1)}", number)
    return lines


def _indexed(name: str, counts: dict[str, int]) -> str:
    """``variants.weights`` inside the third [[variants]] -> ``variants[2].weights``."""
    parts = name.split(".")
    out = []
    for k in range(len(parts)):
        prefix = ".".join(parts[: k + 1])
        out.append(f"{parts[k]}[{counts[prefix]}]" if prefix in counts and k < len(parts) else parts[k])
    return ".".join(out)


def line_of(text: str, key: str) -> int | None:
    """Line of ``key`` (or of the nearest enclosing table that is written in the file)."""
    if not text:
        return None
    lines = _key_lines(text)
    probe = key
    while probe:
        if probe in lines:
            return lines[probe]
        if "." in probe:
            probe = probe.rsplit(".", 1)[0]
        elif probe.endswith("]"):
            probe = probe[: probe.rindex("[")]
        else:
            return None
    return None
