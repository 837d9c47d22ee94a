"""Plain generalised assignment problems (OR-Library format) solved through the same core.

Agents become providers (capacity = ``provider_weekly_staff_hours``), jobs become clients, and the general
per-pair arrays are filled directly: ``pair_staff_hours`` = resource, ``pair_care_cost_gbp`` = cost (or
−profit when maximising; travel cost 0). Nothing GAP-specific exists in the model itself; :func:`solver.solve`
recognises any model of this plain shape from the CP-SAT model and adds the Lagrangian target search of
:mod:`solver.lagrange`.

OR-Library layout (whitespace-separated integers, line breaks irrelevant)::

    P                      # number of problems (multi-problem files such as gap1..gap12, gapa..gapc);
                           # absent in single-instance files, which start directly with "m n"
    m n                    # agents, jobs
    c[0][0] .. c[m-1][n-1] # cost (or profit) of job j on agent i, row by agent
    r[0][0] .. r[m-1][n-1] # resource job j uses on agent i
    b[0] .. b[m-1]         # capacity of agent i
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver.core import solve
from solver.data import ProblemData, SolveParams, Switches


@dataclass(frozen=True)
class GapInstance:
    name: str
    cost: np.ndarray  # (m, n)
    resource: np.ndarray  # (m, n)
    capacity: np.ndarray  # (m,)

    @property
    def m(self) -> int:
        return self.cost.shape[0]

    @property
    def n(self) -> int:
        return self.cost.shape[1]


def parse_orlib_gap(text: str, stem: str = "gap") -> list[GapInstance]:
    """Both layouts: ``P`` then P problems, or a single problem starting with ``m n``."""
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    tokens = [int(t) for ln in lines for t in ln]
    if not tokens:
        raise ValueError(f"{stem}: empty GAP file")
    if len(lines[0]) == 1:
        count, pos = tokens[0], 1
    else:
        count, pos = 1, 0
    out = []
    for k in range(count):
        if pos + 2 > len(tokens):
            raise ValueError(f"{stem}: file ends before problem {k + 1} of {count}")
        m, n = tokens[pos], tokens[pos + 1]
        pos += 2
        size = 2 * m * n + m
        if pos + size > len(tokens):
            raise ValueError(f"{stem}: problem {k + 1} needs {size} numbers after 'm n', file has fewer")
        block = np.array(tokens[pos:pos + size], dtype=np.int64)
        pos += size
        out.append(GapInstance(
            name=f"{stem}-{k + 1}",
            cost=block[: m * n].reshape(m, n),
            resource=block[m * n: 2 * m * n].reshape(m, n),
            capacity=block[2 * m * n:],
        ))
    return out


GAP_KINDS = ("D", "E")


def generate_gap(kind: str, m: int, n: int, seed: int) -> GapInstance:
    """A random GAP of the hard published families (to be minimised; maximised they are trivial).

    Resource ``a``, cost ``c`` and capacity ``b``, for agent i and job j:

    - type D (Chu and Beasley, "A genetic algorithm for the generalised assignment problem", Computers &
      Operations Research 24 (1997) 17-23): a_ij integer uniform on [1, 100]; c_ij = 111 - a_ij + e_ij with
      e_ij integer uniform on [-10, 10] (cost falls as resource rises);
    - type E (Laguna, Kelly, Gonzalez-Velarde and Glover, "Tabu search for the multilevel generalized
      assignment problem", EJOR 82 (1995) 176-189): a_ij = 1 - floor(10 ln U_ij), U_ij uniform on (0, 1];
      c_ij = floor(1000 / a_ij - 10 U'_ij), U'_ij uniform on [0, 1);
    - both: b_i = floor(0.8 * sum_j a_ij / m).

    Yagiura, Ibaraki and Glover (INFORMS J. Computing 16 (2004) 133-151; EJOR 169 (2006) 548-569) use these
    two families with n = 400..1,600 jobs as their hard benchmark (instances at
    http://www.al.cm.is.nagoya-u.ac.jp/~yagiura/gap/). This generator draws new instances of the same
    families (numpy's PCG64 seeded by ``seed``: the same arguments give the same instance), not those files.
    Named ``"<kind>-<m>x<n>-s<seed>"``, e.g. ``"D-10x400-s1"``.
    """
    if kind not in GAP_KINDS:
        raise ValueError(f"generate_gap: kind must be 'D' or 'E' (a capital letter), got {kind!r}")
    for label, value, low in (("m (agents)", m, 2), ("n (jobs)", n, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"generate_gap: {label} must be a whole number >= {low}, got {value!r}")
    rng = np.random.default_rng(int(seed))
    if kind == "D":
        resource = rng.integers(1, 101, size=(m, n))
        cost = 111 - resource + rng.integers(-10, 11, size=(m, n))
    else:
        u = 1.0 - rng.random((m, n))  # (0, 1]
        resource = (1 - np.floor(10.0 * np.log(u))).astype(np.int64)
        cost = np.floor(1000.0 / resource - 10.0 * rng.random((m, n))).astype(np.int64)
    capacity = np.floor(0.8 * resource.sum(axis=1) / m).astype(np.int64)
    return GapInstance(name=f"{kind}-{m}x{n}-s{seed}", cost=cost.astype(np.int64),
                       resource=resource.astype(np.int64), capacity=capacity)


def gap_cost(inst: GapInstance, assignment: np.ndarray) -> int:
    """The cost of ``assignment`` (``assignment[j]`` = job j's agent), checked first: every job on exactly one
    agent in range and no agent's resource above its capacity; ValueError naming the first fault."""
    agent = np.asarray(assignment)
    if agent.shape != (inst.n,):
        raise ValueError(f"{inst.name}: assignment has shape {agent.shape}, expected ({inst.n},)")
    bad = np.flatnonzero((agent < 0) | (agent >= inst.m))
    if len(bad):
        raise ValueError(f"{inst.name}: job {bad[0]} has agent {agent[bad[0]]}, not one of 0..{inst.m - 1}")
    jobs = np.arange(inst.n)
    used = np.bincount(agent, weights=inst.resource[agent, jobs], minlength=inst.m)
    over = np.flatnonzero(used > inst.capacity)
    if len(over):
        i = over[0]
        raise ValueError(f"{inst.name}: agent {i} uses {used[i]:.0f} of its capacity {inst.capacity[i]}")
    return int(inst.cost[agent, jobs].sum())


def read_orlib_gap(path: str | Path) -> list[GapInstance]:
    path = Path(path)
    return parse_orlib_gap(path.read_text(), stem=path.stem)


def gap_to_problem(inst: GapInstance, sense: str = "min") -> ProblemData:
    """Jobs → clients, agents → providers; all pairs eligible; cost negated when maximising."""
    if sense not in ("min", "max"):
        raise ValueError("sense must be 'min' or 'max'")
    m, n = inst.m, inst.n
    jobs, agents = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    jobs, agents = jobs.ravel(), agents.ravel()
    sign = 1.0 if sense == "min" else -1.0
    return ProblemData(
        client_weekly_hours=np.ones(n),  # unused by a plain GAP: resource use is per pair
        client_visits_per_week=np.zeros(n, np.int64),
        client_carers_per_visit=np.ones(n, np.int64),
        client_zone=np.zeros(n, np.int64),
        client_needs=np.zeros(n, np.int64),
        client_current_provider=np.full(n, -1),
        client_pinned_provider=np.full(n, -1),
        provider_weekly_staff_hours=inst.capacity.astype(np.float64),
        provider_hourly_rate_gbp=np.zeros(m),
        provider_skills=np.zeros(m, np.int64),
        provider_min_viable_hours=np.zeros(m),
        provider_max_weekly_hours=np.full(m, np.inf),
        pair_client=jobs,
        pair_provider=agents,
        pair_travel_minutes=np.zeros(n * m),
        pair_staff_hours=inst.resource[agents, jobs].astype(np.float64),
        pair_care_cost_gbp=sign * inst.cost[agents, jobs].astype(np.float64),
        pair_travel_cost_gbp=np.zeros(n * m),
        n_zones=1,
    )


GAP_SCENARIO = Switches(pools=False, max_weekly=False, allow_unmet=False)  # every job assigned


def solve_gap(inst: GapInstance, sense: str = "min", params: SolveParams | None = None) -> dict:
    """``{"instance","m","n","sense","objective","bound","status","seconds","assignment","stages"}`` in the
    GAP's own units; ``assignment[j]`` is job j's agent (-1 when no allocation was found), ``stages`` the
    names of the solve's stages in order (e.g. whether the LP start or the target search ran)."""
    params = params or SolveParams(time_limit_s=10, workers=2)
    r = solve(gap_to_problem(inst, sense), GAP_SCENARIO, params)
    sign = 1.0 if sense == "min" else -1.0
    obj = sign * r.objective if math.isfinite(r.objective) else math.nan
    bound = sign * r.bound if math.isfinite(r.bound) else math.nan
    return {"instance": inst.name, "m": inst.m, "n": inst.n, "sense": sense, "objective": obj,
            "bound": bound, "status": r.status, "seconds": r.seconds,
            "assignment": r.assignment if len(r.assignment) else np.full(inst.n, -1, dtype=np.int64),
            "stages": tuple(st["stage"] for st in r.stages)}
