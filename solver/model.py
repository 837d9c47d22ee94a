"""The CP-SAT model: :class:`AllocationModel` holds the variables, every rule of :mod:`solver.rules` adds its
own constraints and objective terms (:func:`build_model`).

Variables live in dicts: ``x[k]`` (pair k chosen: its client is served by its provider from its hub),
``y[z, p]`` (p serves zone z), ``use[q, p]`` (p draws on pool q), ``recruits[h, kind]`` (carers recruited at
hub h: kind 0 drivers, 1 non-drivers), ``non_driver[h, b]`` (non-drivers' minutes at hub h in band b),
``unmet[i]``, ``moved[i]`` (a linear expression), ``active[p]``. Integer units: staff and care time in
minutes, money in pence (:mod:`solver.units`).

When ``AllocationModel.diagnostic`` is set, each hard rule is guarded by an enforcement literal
(``enforce[rule name]``) so that :mod:`solver.diagnose` can ask CP-SAT which rules conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver.data import ProblemData, Switches
from solver.units import minutes_up


@dataclass
class AllocationModel:
    data: ProblemData
    switches: Switches
    diagnostic: bool = False
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[int, cp_model.IntVar] = field(default_factory=dict)
    y: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    use: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    recruits: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    non_driver: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    unmet: dict[int, cp_model.IntVar] = field(default_factory=dict)
    moved: dict[int, cp_model.LinearExprT] = field(default_factory=dict)
    active: dict[int, cp_model.IntVar] = field(default_factory=dict)
    # ranked zoning: (zone, provider, rank) -> (holds the rank, its care minutes); (zone, rank) -> deviation
    ranked: dict[tuple[int, int, int], tuple] = field(default_factory=dict)
    ranked_deviation: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    enforce: dict[str, cp_model.IntVar] = field(default_factory=dict)
    # Per-pair staff minutes (care and travel, all carers), aligned with data.pair_* arrays.
    staff_minutes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        if len(self.staff_minutes) != len(self.data.pair_client):
            self.staff_minutes = minutes_up(self.data.pair_staff_hours)

    def lit(self, family: str) -> list[cp_model.IntVar]:
        """Enforcement literals for ``only_enforce_if`` (empty outside diagnosis)."""
        if not self.diagnostic:
            return []
        if family not in self.enforce:
            self.enforce[family] = self.model.new_bool_var(f"enforce_{family}")
        return [self.enforce[family]]

    def pairs_of_client(self, i: int) -> list[tuple[int, cp_model.IntVar]]:
        """``(pair, x)`` for each of client i's pairs with a variable."""
        d = self.data
        return [
            (k, self.x[k]) for k in range(d.client_pair_start[i], d.client_pair_start[i + 1]) if k in self.x
        ]

    def x_of(self, i: int, p: int) -> list[cp_model.IntVar]:
        """The variables of (client i, provider p): one per hub it may be served from."""
        return [self.x[k] for k in self.data.pairs_of(i, p) if k in self.x]

    def pairs_of_provider(self) -> dict[int, list[int]]:
        """Every provider (even one with no pairs) and its pairs that have a variable."""
        out: dict[int, list[int]] = {p: [] for p in range(self.data.n_providers)}
        for k in self.x:
            out[int(self.data.pair_provider[k])].append(k)
        return out

    def all_vars(self) -> list[cp_model.IntVar]:
        """Every decision variable, for complete solution hints."""
        return [
            *self.x.values(),
            *self.y.values(),
            *self.use.values(),
            *self.recruits.values(),
            *self.non_driver.values(),
            *self.unmet.values(),
            *self.active.values(),
            *(v for pair in self.ranked.values() for v in pair),
            *self.ranked_deviation.values(),
        ]

    def objective(self) -> cp_model.LinearExprT:
        return sum(self.terms.values())


def build_model(data: ProblemData, switches: Switches, diagnostic: bool = False) -> AllocationModel:
    """Every rule of :data:`solver.rules.RULES`, in order; ``terms`` holds the objective terms in pence
    (``unmet``, ``care``, ``travel``, ``recruitment``, ``moves``; ``shares`` with ranked zoning)."""
    from solver.rules import RULES

    am = AllocationModel(data, switches, diagnostic=diagnostic)
    for rule in RULES:
        am.terms.update(rule.add(am))
    am.model.minimize(am.objective())
    return am
