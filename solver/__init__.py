"""The CP-SAT allocation core. Plain typed arrays in, a typed result out; never imports geopandas.

Public API (everything else is internal and may change)::

    from solver import ProblemData, Switches, SolveParams, solve, Result, validate_solution

    data = ProblemData.build(
        client_weekly_hours=[...], client_visits_per_week=[...], client_carers_per_visit=[...],
        client_zone=[...], provider_weekly_staff_hours=[...], provider_hourly_rate_gbp=[...],
        pair_client=[...], pair_provider=[...], pair_travel_minutes=[...], n_zones=Z,
        # optional: any other field of ProblemData by name (client_needs, client_current_provider,
        # client_pinned_provider, client_band_share, provider_skills, provider_min_viable_hours,
        # provider_max_weekly_hours, pair_hub, pair_near, hub_* (carers at hubs), pool_members, pool_zones,
        # names), pool_weekly_hours (pools before hubs), staff_cost_per_hour_gbp, mileage_gbp_per_travel_hour
    )
    result = solve(data, Switches(max_providers_per_zone=2, allow_unmet=True),
                   SolveParams(time_limit_s=30, workers=2, seed=0))
    result.status, result.objective, result.assignment, result.hubs, result.recruits, result.summary()
    validate_solution(data, switches, assignment, hubs)  # -> list of violated constraints, [] if feasible

* :class:`ProblemData` — validated numpy arrays (clients, providers, hubs of carers, pairs, pools). A pair is
  a client, a provider and the hub it is served from (a provider's own hub, a pool's hub its member may draw
  on, or -1: the provider's staff at large); a solution is the pair serving each client (``choice``). Bad
  input raises :class:`DataError` (a ``CareCommissioningError`` and ``ValueError``). Eligible pairs carry the
  general form ``pair_staff_hours`` / ``pair_care_cost_gbp`` / ``pair_travel_cost_gbp`` (``build`` computes
  them).
* :class:`Switches` — zoning K, pools and their member limit, the workforce rules (hub weekly hours, time-band
  windows, drivers beyond non-drivers' reach) and recruitment, unmet need and its penalty, move limit and
  penalty, sustainability (min viable, exit, max weekly, loss band), cost weights. Zoning counts the providers
  serving a zone's *unpinned* clients: a client who chose its provider (``client_pinned_provider >= 0``,
  self-directed support option 2) keeps it whatever the zoning contract says, and that choice neither forces
  the provider into the zone nor counts toward its K. Clients merely protected by the move limit (current
  provider) are not exempt.
* :class:`SolveParams` — time limit, workers, seed, worker portfolio, deterministic mode, lexicographic
  mode, progress callback, model export, ``lp_hint`` ("auto" | "on" | "off"). With the LP start (default
  from 500 clients) :func:`solve` first solves the LP relaxation (GLOP), rounds it into a complete,
  validator-checked assignment (:mod:`solver.lp`), polishes it with the zone choice fixed, and hands the
  result to CP-SAT as a complete hint; the LP optimum also bounds the reported gap. ``Result.stages``
  records each phase (``lp``, ``fixed zones``, then the CP-SAT stages). Large zoned runs take the zone
  bound's path instead (:mod:`solver.core`'s docstring): no CP-SAT search, stage ``cp-sat`` SKIPPED.
* :func:`solve` → :class:`Result` (status, objective, bound, gap, terms, assignment, unmet reasons, loads,
  pool draws, zone provider sets, validator violations, diagnosis when infeasible, ``summary()``).
* :func:`validate_solution` — independent check of any assignment.

Also: :mod:`solver.lp` (``solve_lp``, ``round_lp``, ``best_rounding``), :mod:`solver.diagnose`
(``precheck``, ``diagnose``), :mod:`solver.instance` (anonymised JSON), :mod:`solver.gap` (OR-Library GAP
through the same core), :mod:`solver.generate` (random instances).
"""

from typing import TYPE_CHECKING

from solver.data import DataError, ProblemData, SolveParams, Switches
from solver.validate import choice_of, objective_terms, validate_choice, validate_solution

if TYPE_CHECKING:
    from solver.core import Result, solve


def __getattr__(name: str):
    """``solve`` and ``Result`` load OR-Tools and HiGHS on first use, not when the package is imported: the
    CLI's ``--help`` and the web app's pages read ``solver.data``'s switches and need neither (PEP 562)."""
    if name in ("solve", "Result"):
        from solver import core

        return getattr(core, name)
    raise AttributeError(f"module 'solver' has no attribute {name!r}")

__all__ = [
    "DataError",
    "ProblemData",
    "Result",
    "Switches",
    "SolveParams",
    "choice_of",
    "objective_terms",
    "solve",
    "validate_choice",
    "validate_solution",
]
