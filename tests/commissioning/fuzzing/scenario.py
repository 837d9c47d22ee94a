"""The scenario file of a fuzzed run: a small dict, mutated, written as TOML.

Runs are kept to a few seconds: two variants, routing off, one CP-SAT worker, deterministic time limits.
tomllib cannot write, so :func:`to_toml` is a small writer for the values scenario files hold.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

from tests.commissioning.fuzzing.mutations import Mutation


def base_scenario(data: str = "data") -> dict:
    return {
        "name": "fuzz",
        "data": data,
        "routing": {"enabled": False},
        "solver": {"time_limit_s": 0.5, "workers": 1, "seed": 0, "deterministic": True},
        "variants": [
            {"name": "current", "mode": "current"},
            {"name": "zoned", "mode": "zoned", "max_providers_per_zone": 2, "move_penalty_gbp": 50.0},
        ],
    }


def scenario_text(mutations: tuple[Mutation, ...], data: str = "data") -> tuple[str, list[str]]:
    """``(TOML text, words of each mutation)`` of the base scenario with ``mutations`` applied."""
    doc, said, text = base_scenario(data), [], None
    for m in mutations:
        if m.kind == "toml_text":
            text = m.args[0]
            said.append(f"scenario file replaced by {m.args[0][:80]!r}")
        else:
            said.append(_apply(doc, m))
    return (to_toml(doc) if text is None else text), said


def _apply(doc: dict, m: Mutation) -> str:
    if m.kind == "toml_add_variant":
        doc["variants"].append(copy.deepcopy(m.args[0]))
        return f"variant added: {m.args[0]!r}"
    path = tuple(m.args[0])
    where = ".".join(map(str, path))
    parent, key = _slot(doc, path)
    if parent is None:
        return f"skipped {m.kind}({where})"
    if m.kind == "toml_set":
        parent[key] = copy.deepcopy(m.args[1])
        return f"scenario {where} = {m.args[1]!r}"
    if isinstance(parent, dict) and key not in parent:
        return f"skipped {m.kind}({where})"
    del parent[key]
    return f"scenario {where} deleted"


def _slot(doc: dict, path: tuple) -> tuple[dict | list | None, object]:
    """``(container, key)`` for ``path``: missing tables are created, list indices taken modulo the length;
    ``(None, None)`` when a value that is not a table stands in the way."""
    node = doc
    for k, step in enumerate(path):
        if isinstance(node, list):
            if not node or not isinstance(step, int):
                return None, None
            step = step % len(node)
        elif not isinstance(node, dict):
            return None, None
        if k == len(path) - 1:
            return node, step
        if isinstance(node, dict):
            node.setdefault(step, {})
        node = node[step]
    return None, None


# ----------------------------------------------------------------------------------------------------
# A small TOML writer
# ----------------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def to_toml(doc: dict) -> str:
    lines = _table_lines(doc, ())
    return "\n".join(lines) + "\n"


def _table_lines(table: dict, prefix: tuple[str, ...]) -> list[str]:
    plain = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_list(v)}
    lines = [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
    for k, v in table.items():
        if _is_table(v):
            lines += ["", f"[{'.'.join(map(_key, (*prefix, k)))}]", *_table_lines(v, (*prefix, k))]
        elif _is_table_list(v):
            for item in v:
                lines += ["", f"[[{'.'.join(map(_key, (*prefix, k)))}]]", *_table_lines(item, (*prefix, k))]
    return lines


def _is_table(value: object) -> bool:
    return isinstance(value, dict)


def _is_table_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(key: object) -> str:
    key = str(key)
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return _string(repr(value))


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    return text if any(ch in text for ch in ".en") else text + ".0"


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\\ufffd")  # a lone surrogate cannot be written as UTF-8 text
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def write_scenario(path: Path, mutations: tuple[Mutation, ...], data: str = "data") -> list[str]:
    text, said = scenario_text(mutations, data)
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    return said
