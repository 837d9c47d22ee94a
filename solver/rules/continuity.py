"""Continuity of care: a client with a current provider that is given another one, or left unmet, has moved.
At most ``max_moves`` clients move (None = no limit); each move costs ``move_penalty_gbp`` (objective term
``moves``). A client whose current provider can no longer serve it counts as moved whatever happens."""

from __future__ import annotations

import numpy as np

from solver.rules.base import Rule
from solver.units import pence


class Continuity(Rule):
    name = "continuity"
    words = "no more than the allowed number of clients may change provider"
    params = ("max_moves", "move_penalty_gbp")
    data = ("client_current_provider",)

    def add(self, am) -> dict:
        d, s, m = am.data, am.switches, am.model
        moved = []
        for i in np.nonzero(d.client_current_provider >= 0)[0]:
            i, cur = int(i), int(d.client_current_provider[i])
            stay = am.x_of(i, cur)
            am.moved[i] = 1 - sum(stay) if stay else m.new_constant(1)
            moved.append(am.moved[i])
        if s.max_moves is not None and moved:
            m.add(sum(moved) <= s.max_moves).only_enforce_if(am.lit(self.name))
        if s.move_penalty_gbp and moved:
            return {"moves": int(pence(s.move_penalty_gbp)) * sum(moved)}
        return {"moves": 0}

    def lp(self, lpm) -> None:
        """moves = (clients with a current provider) − Σ x[i, current(i)]."""
        d, s = lpm.data, lpm.switches
        stay = np.nonzero(
            (d.client_current_provider[lpm.pc] >= 0) & (d.client_current_provider[lpm.pc] == lpm.pp)
        )[0]
        n_cur = int(np.sum(d.client_current_provider >= 0))
        if s.move_penalty_gbp:
            pen = float(pence(s.move_penalty_gbp))
            lpm.obj_x[stay] -= pen
            lpm.offset += pen * n_cur
        if s.max_moves is not None and n_cur:
            lpm.rows.add(stay, -np.ones(len(stay)), -np.inf, float(s.max_moves - n_cur))

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        from solver.measures import count_moves

        limit = view.switches.max_moves
        moves = count_moves(view.data, view.assignment)
        if limit is not None and moves > limit:
            return [f"continuity: {moves} clients change provider, limit {limit}"]
        return []

    def precheck(self, data, switches) -> list[str]:
        if switches.max_moves is None:
            return []
        forced = len(_forced(data))
        if forced > switches.max_moves:
            return [
                f"{forced} clients must change provider (their provider can no longer serve them) but at "
                f"most {switches.max_moves} moves are allowed"
            ]
        return []

    def start(self, pl) -> bool:
        """``pl.moves_left``: moves the limit still allows, the forced ones taken off first."""
        if pl.switches.max_moves is None:
            return False
        pl.moves_left = pl.switches.max_moves - len(_forced(pl.data))
        return True

    def admits(self, pl, i: int, k: int) -> bool:
        """Staying is always allowed; moving only while the limit allows (forced moves are counted)."""
        d = pl.data
        cur = int(d.client_current_provider[i])
        if cur < 0 or int(d.pair_provider[k]) == cur or not _can_stay(d, i):
            return True
        return pl.moves_left > 0

    def place(self, pl, i: int, k: int, sign: int) -> None:
        d = pl.data
        cur = int(d.client_current_provider[i])
        if cur >= 0 and int(d.pair_provider[k]) != cur and _can_stay(d, i):
            pl.moves_left -= sign


def _can_stay(d, i: int) -> bool:
    return any(d.pair_eligible[k] for k in d.pairs_of(i, int(d.client_current_provider[i])))


def _forced(d) -> list[int]:
    """Clients whose current provider can no longer serve them (no eligible pair): moved whatever we do."""
    return [int(i) for i in np.nonzero(d.client_current_provider >= 0)[0] if not _can_stay(d, int(i))]
