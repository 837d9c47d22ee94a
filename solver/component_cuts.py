"""Component cuts: the integrality of small, nearly separate parts of an allocation (islands) in its LP.

Why: an island hub whose carers fit one of its two clients lets the LP serve one client and a half, so the LP
leaves fewer clients unmet than any allocation can, and each unmet client costs thousands of pounds a week.
On the default scenario, zoned K = 2, the LP leaves 11.3 clients unmet where the best allocations leave 13:
that is most of the distance between the LP's bound and the allocations (Coll, Mull, Jura, Bute, Islay).

How: rows with more than :data:`COMPONENT_ROW_COLUMNS` columns (a large hub's week, a provider's hours)
couple the rest; priced at the LP's duals ``u``, they leave components that share no row (a client's own
rows, an island's hubs and zone choice). Every allocation, restricted to a component C, satisfies C's own
rows, so with the priced costs ``d = c − Aᵀu`` (coupling rows only) it satisfies ``d_C·x_C ≥ m_C``, where
``m_C`` is any proven lower bound of the integer programme min ``d_C·x_C`` over C's rows: valid whatever
``u`` is (the duals only make it bite). HiGHS solves each small component (at most
:data:`COMPONENT_COLUMNS` columns, two clients or more, a fractional LP solution) to a node limit; where
``m_C`` exceeds the LP solution's ``d_C·x_C``, that row cuts the LP solution off and is added to the LP
(named ``component_cuts``) of a copy of the LP (:meth:`ComponentCuts.added_to`). Measured on the default
scenario (session script): K = 2, 5 cuts in 0.8 s, the LP £671,800 → £679,176; K = 1: 4 cuts, £1,625,579 →
£1,651,246.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from solver.highs_search import integral_columns, integrality
from solver.lp import LpModel, highs_lp, new_highs, run_highs

COMPONENT_ROW_COLUMNS = 120  # rows with more columns couple components (priced at the LP's duals)
COMPONENT_COLUMNS = 1_000  # components with more columns are left to the LP
COMPONENT_NODES = 500  # HiGHS's nodes per component: a count, so the cuts are the same on every run
# A cut must raise its component's value in the LP solution by this many pence (£1): smaller ones cost LP
# time for nothing.
COMPONENT_MIN_GAIN_PENCE = 100.0
COMPONENT_MAX_SOLVES = 200  # components solved per run at most, the most fractional first


@dataclass
class ComponentCuts:
    """Rows ``coefficients · x[columns] ≥ lower`` valid for every allocation, and what finding them took."""

    columns: list[np.ndarray]
    coefficients: list[np.ndarray]
    lower: list[float]
    components: int = 0  # solved as integer programmes
    seconds: float = 0.0
    stopped_by_clock: bool = False

    def added_to(self, lpm: LpModel) -> LpModel:
        """A copy of ``lpm`` with the cuts as rows (block ``component_cuts``); ``lpm`` is left as it was.

        Why a copy: the cut LP's solution, rounded or packed, gave worse allocations on the default scenario
        (deterministic, 15 units: no zoning £648,192 against £640,091, ranked £662,917 against £654,495), so
        the start is built as before and the cuts serve the bound and HiGHS's race."""
        out = copy.copy(lpm)
        out.rows = copy.copy(lpm.rows)
        for name in ("r", "c", "v", "lo", "hi"):
            setattr(out.rows, name, list(getattr(lpm.rows, name)))
        out.rows.named = {name: list(ranges) for name, ranges in lpm.rows.named.items()}
        if self.columns:
            rows = np.concatenate([np.full(len(c), j) for j, c in enumerate(self.columns)])
            out.rows.add_block(rows, np.concatenate(self.columns), np.concatenate(self.coefficients),
                               np.array(self.lower), np.full(len(self.lower), np.inf), name="component_cuts")
        return out


def lp_bound(lpm: LpModel, time_limit_s: float) -> float:
    """The LP relaxation's optimum (pence, the objective constant included) by HiGHS's dual simplex on one
    thread; nan when it did not reach it within ``time_limit_s``."""
    h = new_highs(threads=1, solver="simplex", time_limit=max(time_limit_s, 0.1))
    h.passModel(lpm.to_highs())
    run_highs(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return math.nan
    return float(h.getInfo().objective_function_value) + lpm.offset


def component_cuts(lpm: LpModel, values: np.ndarray, duals: np.ndarray, deadline: float) -> ComponentCuts:
    """Cuts from the LP solution ``values`` (every column) and its row ``duals``; no component is started
    after ``deadline`` (a ``time.perf_counter()`` instant; ``stopped_by_clock`` then says so)."""
    t0 = time.perf_counter()
    a = lpm.matrix("csr")
    coupling = np.diff(a.indptr) > COMPONENT_ROW_COLUMNS
    label = _components(a, coupling)
    costs = _priced(lpm, a, coupling, duals)
    out = ComponentCuts([], [], [])
    integral = integral_columns(lpm)
    for cols, rows in _candidates(lpm, a, coupling, label, values, integral):
        if time.perf_counter() >= deadline:
            out.stopped_by_clock = True
            break
        bound = _integer_bound(lpm, a, rows, cols, costs[cols], integral[cols], deadline)
        out.components += 1
        # the deadline, not the node count, may have ended that solve: its bound may differ on another run
        out.stopped_by_clock = time.perf_counter() >= deadline
        if bound > float(costs[cols] @ values[cols]) + COMPONENT_MIN_GAIN_PENCE:
            out.columns.append(cols)
            out.coefficients.append(costs[cols])
            out.lower.append(bound)
    out.seconds = time.perf_counter() - t0
    return out


def _components(a: sparse.csr_matrix, coupling: np.ndarray) -> np.ndarray:
    """A component label per column: columns linked by a row that does not couple share one."""
    inner = a[~coupling]
    n_rows, n_cols = inner.shape
    links = sparse.bmat([[None, inner != 0], [(inner != 0).T, None]], format="csr")
    _, label = connected_components(links, directed=False)
    return label[n_rows:] if n_cols else label[:0]


def _priced(lpm: LpModel, a: sparse.csr_matrix, coupling: np.ndarray, duals: np.ndarray) -> np.ndarray:
    """Each column's cost less the coupling rows' duals times its entries (pence)."""
    _, _, cost = lpm.columns()
    return cost - a.T @ np.where(coupling, duals, 0.0)


def _candidates(lpm: LpModel, a: sparse.csr_matrix, coupling: np.ndarray, label: np.ndarray,
                values: np.ndarray, integral: np.ndarray):
    """(columns, own rows) of the components worth an integer solve, the most fractional first: small enough,
    two clients or more (one client's rows alone have integral LP solutions), fractional in the LP."""
    client = np.full(lpm.n_col, -1)
    client[:lpm.nx] = lpm.pc
    fraction = np.minimum(values - np.floor(values), np.ceil(values) - values)
    fraction[~integral] = 0.0
    row_label = np.full(a.shape[0], -1)
    has = ~coupling & (np.diff(a.indptr) > 0)
    row_label[has] = label[a.indices[a.indptr[:-1][has]]]
    edges = np.arange(label.max() + 2 if len(label) else 1)  # component k: [edges[k], edges[k + 1])
    order = np.argsort(label, kind="stable")
    starts = np.searchsorted(label[order], edges)
    rows_order = np.argsort(row_label, kind="stable")
    row_starts = np.searchsorted(row_label[rows_order], edges)
    found = []
    for comp in range(len(starts) - 1):
        cols = order[starts[comp]:starts[comp + 1]]
        clients = np.unique(client[cols][client[cols] >= 0])
        total = float(fraction[cols].sum())
        if len(cols) <= COMPONENT_COLUMNS and len(clients) >= 2 and total > 1e-6:
            found.append((-total, comp, cols, rows_order[row_starts[comp]:row_starts[comp + 1]]))
    found.sort(key=lambda f: (f[0], f[1]))
    for _, _, cols, rows in found[:COMPONENT_MAX_SOLVES]:
        yield cols, rows


def _integer_bound(lpm: LpModel, a: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray,
                   integral: np.ndarray, deadline: float) -> float:
    """HiGHS's proven lower bound of min ``costs·x`` over the component's own rows, less its tolerance (−inf
    when it proved nothing; an infeasible component is the whole model's to report, not a cut's)."""
    lo, hi, _ = lpm.columns()
    lp = highs_lp(a[rows][:, cols].tocsc(), costs, lo[cols], hi[cols], np.array(lpm.rows.lo)[rows],
                  np.array(lpm.rows.hi)[rows])
    lp.integrality_ = integrality(integral)
    h = new_highs(threads=1, mip_max_nodes=COMPONENT_NODES, mip_rel_gap=1e-6,
                  time_limit=max(deadline - time.perf_counter(), 0.1))
    h.passModel(lp)
    run_highs(h)
    bound = float(h.getInfo().mip_dual_bound)
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible or not np.isfinite(bound):
        return -np.inf
    return bound - 1.0 - 1e-6 * abs(bound)  # HiGHS's feasibility tolerance, and a penny
