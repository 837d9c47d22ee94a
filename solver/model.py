"""The CP-SAT model: :class:`AllocationModel` holds the variables, every rule of :mod:`solver.rules` adds its
own constraints and objective terms (:func:`build_model`).

Variables live in tuple-keyed dicts: ``x[i, p]`` (client i served by provider p), ``y[z, p]`` (p serves zone
z), ``draw[q, p, z]`` (pool q minutes drawn by p for its clients in zone z), ``unmet[i]``, ``moved[i]``,
``active[p]``. Integer units: staff and care time in minutes, money in pence (:mod:`solver.units`).

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
    x: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    y: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    draw: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    unmet: dict[int, cp_model.IntVar] = field(default_factory=dict)
    moved: dict[int, cp_model.IntVar] = field(default_factory=dict)
    active: dict[int, cp_model.IntVar] = field(default_factory=dict)
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
        d = self.data
        a, b = d.client_pair_start[i], d.client_pair_start[i + 1]
        return [(int(d.pair_provider[k]), self.x[i, int(d.pair_provider[k])])
                for k in range(a, b) if (i, int(d.pair_provider[k])) in self.x]

    def clients_of_provider(self) -> dict[int, list[int]]:
        """Every provider (even one with no pairs) and the clients it has a pair variable with."""
        out: dict[int, list[int]] = {p: [] for p in range(self.data.n_providers)}
        for i, p in self.x:
            out[p].append(i)
        return out

    def all_vars(self) -> list[cp_model.IntVar]:
        """Every decision variable, for complete solution hints."""
        return [*self.x.values(), *self.y.values(), *self.draw.values(), *self.unmet.values(),
                *self.active.values()]

    def objective(self) -> cp_model.LinearExprT:
        return sum(self.terms.values())


def build_model(data: ProblemData, switches: Switches, diagnostic: bool = False) -> AllocationModel:
    """Every rule of :data:`solver.rules.RULES`, in order; ``terms`` holds the objective terms in pence
    (``unmet``, ``care``, ``travel``, ``moves``)."""
    from solver.rules import RULES

    am = AllocationModel(data, switches, diagnostic=diagnostic)
    for rule in RULES:
        am.terms.update(rule.add(am))
    am.model.minimize(am.objective())
    return am
