"""Protected: the current clients of a protected provider (``protect``) stay with it: never moved
and never left unmet. Unlike a client's own choice (pinned) they count toward the zoning limit. A client the
provider can no longer serve (not reachable, or a need it lacks) cannot stay, and is reported as such."""

from __future__ import annotations

import numpy as np

from solver.data import protected_clients
from solver.rules.base import ALWAYS, Rule


class Protected(Rule):
    name = "protected"
    words = "clients of protected providers stay with them"
    params = ("protect",)
    data = ()

    def add(self, am) -> dict:
        d = am.data
        for i in protected_clients(d, am.switches):
            xs = am.x_of(int(i), int(d.client_current_provider[i]))
            am.model.add(sum(xs) == 1).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        d = lpm.data
        stay = np.zeros(d.n_clients, dtype=bool)
        stay[protected_clients(d, lpm.switches)] = True
        lpm.serve_by(stay[lpm.pc] & (d.client_current_provider[lpm.pc] == lpm.pp))

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d, a = view.data, view.assignment
        cur = d.client_current_provider
        return [
            f"protected: client {i} of protected {d.provider_name(int(cur[i]))} is "
            + ("left unmet" if a[i] < 0 else f"moved to {d.provider_name(int(a[i]))}")
            for i in protected_clients(d, view.switches)
            if a[i] != cur[i]
        ]

    def precheck(self, data, switches) -> list[str]:
        """Protected providers whose current clients alone need more staff hours than they and pools have."""
        from solver.rules.capacity import least_pair_hours, provider_supply, staff_supply

        out = []
        supply = staff_supply(data, switches)  # once: every provider below reads it
        stay = protected_clients(data, switches)
        cur = data.client_current_provider
        for p in sorted(set(cur[stay].tolist())):
            mine = stay[cur[stay] == p]
            load = least_pair_hours(data, mine, p)
            cap, pool = provider_supply(data, switches, p, supply)
            if load > cap + pool + 1e-6:
                out.append(
                    f"{data.provider_name(p)} is protected: its {len(mine)} current clients stay with it "
                    f"and need {load:.0f} staff h/week, it has {cap:.0f} h (+{pool:.0f} h from pools)"
                )
        return out

    def start(self, pl) -> bool:
        stay = protected_clients(pl.data, pl.switches)
        pl.fixed[stay] = pl.data.client_current_provider[stay]
        return False

    # Placement offers a protected client its current provider only (Placement.fixed).
    admits = ALWAYS
