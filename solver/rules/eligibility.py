"""Eligibility: a client may be served only through one of its pairs (a provider, from one of its hubs or a
pool's hub it may draw on, reachable in every one of its time bands within the travel limit) whose provider's
skills cover the client's needs, or the provider the client chose."""

from __future__ import annotations

import numpy as np

from solver.rules.base import ALWAYS, Rule


class Eligibility(Rule):
    name = "eligibility"
    words = ""  # the pairs are the model's variables: nothing to switch off
    params = ()
    data = ("client_needs", "provider_skills", "pair_hub")

    def add(self, am) -> dict:
        for k in np.nonzero(am.data.pair_eligible)[0]:
            am.x[int(k)] = am.model.new_bool_var(f"x_{k}")
        return {}

    def lp(self, lpm) -> None:
        lpm.add_x(np.nonzero(lpm.data.pair_eligible)[0])

    def hint(self, am, choice) -> None:
        for k, v in am.x.items():
            am.model.add_hint(v, int(choice[am.data.pair_client[k]] == k))

    def check(self, view) -> list[str]:
        d = view.data
        out = list(view.unknown_pairs)
        for i, k in zip(view.clients, view.pairs, strict=True):
            if not d.pair_eligible[k]:
                out.append(f"eligibility: client {i} needs skills {d.provider_name(int(d.pair_provider[k]))} "
                           "does not have")
        return out

    def precheck(self, data, switches) -> list[str]:
        if switches.allow_unmet:
            return []  # a client nobody can serve is unmet, with the reason: no conflict
        served = np.zeros(data.n_clients, dtype=bool)
        served[data.pair_client[data.pair_eligible]] = True
        nobody = np.nonzero(~served)[0]
        if not len(nobody):
            return []
        zones = np.bincount(data.client_zone[nobody], minlength=data.n_zones)
        where = ", ".join(f"{data.zone_label(z)} ({zones[z]})" for z in np.nonzero(zones)[0][:8])
        return [
            f"{len(nobody)} client(s) have no eligible provider (none within reach has the skills they "
            f"need): {where}"
        ]

    # Placement offers eligible pairs only (Placement.options), so nothing is left to refuse.
    admits = ALWAYS
