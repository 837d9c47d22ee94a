"""One fuzz example: which command, on which base, after which mutations, with which options.

A :class:`Case` is plain data (JSON round trip), so a failure found by the nightly benchmark replays with
``python benchmarks/fuzz.py --replay '<case JSON>'`` and can be pasted into the CI suite as an ``@example``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from tests.commissioning.fuzzing.mutations import Mutation

COMMANDS = ("validate", "run", "demo", "instance", "map", "generate", "travel")

# Where --out points. Everything but "unwritable" and "dev_null" is inside the example's own folder, so no
# option (not even --force) can touch anything else.
OUT_TARGETS = (
    "fresh",  # a new path: the normal case
    "existing_dir",  # an empty folder
    "nonempty_dir",  # a folder holding a file
    "file",  # an existing file
    "under_file",  # a path whose parent is a file
    "data_dir",  # the dataset folder itself
    "long_name",  # a 300-character file name (the OS refuses it)
    "unwritable",  # under /proc
    "dev_null",  # /dev/null
)


@dataclass(frozen=True)
class Case:
    command: str
    base: str = "network"
    mutations: tuple[Mutation, ...] = ()  # of the dataset folder (for map: of the run output folder)
    scenario: tuple[Mutation, ...] = ()  # of scenario.toml (run)
    options: tuple[str, ...] = ()  # extra arguments of the command (export-instance for "instance")
    instance: tuple[Mutation, ...] = ()  # of the exported instance (instance)
    solve_options: tuple[str, ...] = ()  # extra arguments of solve-instance (instance)
    out: str = "fresh"
    process: bool = False  # a real subprocess instead of commissioning.cli.main in this process
    close_stdout: bool = False  # (process) the reader closes stdout at once, like `| head -0`

    def to_json(self) -> str:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if f.name in ("mutations", "scenario", "instance"):
                value = [m.to_json() for m in value]
            out[f.name] = value
        return json.dumps(out, ensure_ascii=False, allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> Case:
        raw = json.loads(text)
        for key in ("mutations", "scenario", "instance"):
            raw[key] = tuple(Mutation.from_json(m) for m in raw.get(key, ()))
        for key in ("options", "solve_options"):
            raw[key] = tuple(raw.get(key, ()))
        return cls(**raw)

    def __str__(self) -> str:
        parts = [self.command, f"base={self.base}"]
        parts += [f"mutation {m}" for m in (*self.mutations, *self.scenario, *self.instance)]
        if self.options:
            parts.append(f"options {' '.join(self.options)}")
        if self.solve_options:
            parts.append(f"solve options {' '.join(self.solve_options)}")
        if self.out != "fresh":
            parts.append(f"--out {self.out}")
        if self.process:
            parts.append("subprocess" + (", stdout closed" if self.close_stdout else ""))
        return "; ".join(parts)
