"""A proven bound and a start for zoned allocations too large for their LP relaxation (issue 15's
decomposition by zone).

Why: at 20,000 clients the zoned LP has 352k rows and 6m nonzeros and GLOP did not solve it in a run's time,
so the run ended with the greedy allocation (£39.2m) and no bound. Most of those rows are the zoning
structure (x ≤ y per pair, Σ y ≤ K per zone), which is easy on its own: with every other row priced, each
zone's problem is "choose at most K providers, then each client takes its cheapest option among them or is
unmet", solved exactly by trying every choice (:class:`_Zone`). So the rows that couple zones (hubs' weeks
and bands, drivers, providers' hours, pools, recruitment, continuity, minimum volumes, ranked shares) are
priced with multipliers (Lagrangian relaxation, :class:`_Lagrangian`).

For any multipliers of the right signs the value is a proven lower bound of the allocation model: every
relaxed row is priced, every other column is continuous within bounds the rows imply, and no solver
tolerance is involved. The multipliers are the row duals of the LP without the x ≤ y rows (which HiGHS
solves in a fraction of the full LP's time), then subgradient steps (:func:`refine_bound`). At the full
LP's duals the value is at least the LP's optimum: the zone problems are solved as integer problems.

The start (:func:`zone_start`): zone choices that heed the hubs' weeks (:meth:`_Lagrangian.capacity_choice`)
are each fixed in the same LP; the cheapest is rounded (:func:`solver.lp.round_lp`) and packed by HiGHS
(``solver.core._Solve._zone_pack``). Measured on the default scenario, 20,000 clients, K = 2, 120 s: £13.60m
within 1.55 % of the bound (BENCHMARKS.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy import sparse

from solver.lp import LpModel, LpSolution, new_highs, run_for, zone_candidates

BIG = 1e13  # the cost of an option a client may not take (finite, so sums and comparisons stay exact)
STRUCTURE = ("serve", "serve_by", "zone_links", "zone_limit")


@dataclass
class ZoneStart:
    """What :func:`zone_start` found: a proven bound (pence, the LP's objective constant included; -inf
    when HiGHS gave no duals), the zone choice of the priced problem at those duals (filled up to each
    zone's limit from the providers the LP uses there), and the LP with that choice fixed (None when HiGHS
    did not solve it), which :func:`solver.lp.round_lp` turns into an allocation."""

    status: str
    bound_pence: float = -math.inf
    seconds: float = 0.0
    zone_choice: dict[int, tuple[int, ...]] = field(default_factory=dict)
    lp: LpSolution | None = None
    lagrangian: _Lagrangian | None = None  # with the multipliers of the bound, for refine_bound
    multipliers: tuple[np.ndarray, np.ndarray] | None = None
    sample_share: float = 1.0  # the share of clients whose LP priced the rows (1: the whole relaxed LP)
    # small enough for HiGHS to pack the start (at most SAMPLE_ABOVE_NONZEROS), whatever the time sampled
    packable: bool = True
    # deterministic runs: the clock (a hard stop), not the work, ended an LP or the zone choices tried
    stopped_by_clock: bool = False


def _segments(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(order, starts, key of each segment)``: ``keys[order]`` sorted, segments of equal keys."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if len(keys) else order
    return order, starts, sorted_keys[starts] if len(keys) else sorted_keys


def _segment_min(values: np.ndarray, order: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per segment the least value and the position (in ``values``) that holds it."""
    if not len(order):
        return np.zeros(0), np.zeros(0, np.int64)
    v = values[order]
    least = np.minimum.reduceat(v, starts)
    lengths = np.diff(np.r_[starts, len(v)])
    position = np.where(v == np.repeat(least, lengths), np.arange(len(v)), len(v))
    return least, order[np.minimum.reduceat(position, starts)]


@dataclass
class _Priced:
    """Priced costs at some multipliers: per column, per client's base option, per zone cell."""

    cost: np.ndarray
    base: np.ndarray
    base_col: np.ndarray
    cells: np.ndarray
    cell_col: np.ndarray


class _Zone:
    """One zone with a limit: its clients (local rows) and providers (local columns, with their y)."""

    def __init__(self, clients: np.ndarray, y_cols: np.ndarray, limit: int, offset: int):
        self.clients, self.y_cols, self.limit, self.offset = clients, y_cols, limit, offset
        self.n, self.p = len(clients), len(y_cols)

    def best(self, cells: np.ndarray, base: np.ndarray, y_cost: np.ndarray) -> tuple[float, tuple[int, ...]]:
        """The cheapest choice of at most ``limit`` providers: Σ y costs + Σ clients' cheapest option."""
        m = cells[self.offset:self.offset + self.n * self.p].reshape(self.n, self.p)
        b = base[self.clients]
        best = (float(b.sum()), ())
        for size in range(1, min(self.limit, self.p) + 1):
            for chosen in combinations(range(self.p), size - 1):
                cur = b if not chosen else np.minimum(b, m[:, list(chosen)].min(axis=1))
                first = chosen[-1] + 1 if chosen else 0
                if first >= self.p:
                    continue
                totals = np.minimum(cur[:, None], m[:, first:]).sum(axis=0) + y_cost[first:]
                totals += float(y_cost[list(chosen)].sum())
                j = int(np.argmin(totals))
                if totals[j] < best[0]:
                    best = (float(totals[j]), (*chosen, first + j))
        return best

    def pick(self, cells, cell_col, base, base_col, chosen: tuple[int, ...]) -> np.ndarray:
        """Each client's column under the choice: its cheapest of the chosen providers' pairs and its base."""
        m = cells[self.offset:self.offset + self.n * self.p].reshape(self.n, self.p)
        c = cell_col[self.offset:self.offset + self.n * self.p].reshape(self.n, self.p)
        options = np.column_stack([base[self.clients], m[:, list(chosen)]])
        columns = np.column_stack([base_col[self.clients], c[:, list(chosen)]])
        return columns[np.arange(self.n), np.argmin(options, axis=1)]


def _implied_upper(a: sparse.csr_matrix, row_hi: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Column upper bounds with the infinite ones replaced by what one row implies, where one does: from
    a·x ≤ hi, x_j ≤ (hi − Σ_{i≠j} least a_i·x_i) / a_j (e.g. the minutes non-drivers may take at a hub are
    at most the near pairs' minutes). A priced column with no bound would make the bound −∞."""
    open_ = ~np.isfinite(hi)
    if not open_.any():
        return hi
    coo = a.tocoo()
    val, col, row = coo.data, coo.col, coo.row
    with np.errstate(invalid="ignore"):
        least = np.where(val > 0, val * lo[col], val * np.where(np.isfinite(hi[col]), hi[col], np.inf))
    row_least = np.bincount(row, weights=np.where(np.isfinite(least), least, 0.0), minlength=a.shape[0])
    unbounded = np.bincount(row, weights=~np.isfinite(least), minlength=a.shape[0]) > 0
    use = open_[col] & (val > 0) & np.isfinite(row_hi[row]) & ~unbounded[row]
    limit = (row_hi[row[use]] - row_least[row[use]] + val[use] * lo[col[use]]) / val[use]
    out = hi.copy()
    np.minimum.at(out, col[use], limit)
    return out


class _Lagrangian:
    """The zone-separable problem of an LP model: its structure read once, then priced per step."""

    def __init__(self, lpm: LpModel):
        a = lpm.matrix("csr")
        lo, hi, self.cost = lpm.columns()
        self.offset, self.nx, self.n_col = lpm.offset, lpm.nx, lpm.n_col
        self.relaxed = relaxed = np.setdiff1d(np.arange(a.shape[0]), lpm.rows.named_rows(*STRUCTURE))
        self.a = a[relaxed]
        self.at = self.a.T.tocsr()
        row_lo, row_hi = np.array(lpm.rows.lo)[relaxed], np.array(lpm.rows.hi)[relaxed]
        # a side that is infinite keeps a zero multiplier (the masks), so its value never counts
        self.has_hi, self.has_lo = np.isfinite(row_hi), np.isfinite(row_lo)
        self.hi_rows, self.lo_rows = np.where(self.has_hi, row_hi, 0.0), np.where(self.has_lo, row_lo, 0.0)
        self.lo, self.hi = lo, _implied_upper(self.a, row_hi, lo, hi)
        n = lpm.data.n_clients
        self.client = lpm.pc
        self.allowed = hi[:self.nx] > 0
        start, keys = lpm.block("unmet")
        self.unmet = start + np.arange(n) if keys else np.full(n, -1)
        self._restrict(a, lpm.rows.named_rows("serve_by"))
        self.y0, y_keys = lpm.block("y")
        self.ny = len(y_keys)
        self.link = link = self._links(a, lpm.rows.named_rows("zone_links"))
        self.other = np.setdiff1d(np.arange(self.nx, self.n_col),
                                  np.r_[self.unmet[self.unmet >= 0], self.y0 + np.arange(self.ny)])
        self._zones(lpm, y_keys, link)

    def _restrict(self, a: sparse.csr_matrix, rows: np.ndarray) -> None:
        """Rows "serve by one of these pairs" (pinned, protected): the client's other pairs and its unmet
        column are closed."""
        self.unmet_allowed = self.unmet >= 0
        if not len(rows):
            return
        cols = a[rows].indices
        keep = np.zeros(self.nx, bool)
        keep[cols] = True
        bound = np.zeros(len(self.unmet), bool)
        bound[self.client[cols]] = True
        self.allowed &= keep | ~bound[self.client]
        self.unmet_allowed &= ~bound

    def _links(self, a: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
        """Per x column the y column it needs (x ≤ y), -1 for none."""
        link = np.full(self.nx, -1, np.int64)
        sub = a[rows].tocoo()
        x_part, y_part = sub.col < self.nx, sub.col >= self.nx
        xs = np.empty(len(rows), np.int64)
        ys = np.empty(len(rows), np.int64)
        xs[sub.row[x_part]], ys[sub.row[y_part]] = sub.col[x_part], sub.col[y_part]
        link[xs] = ys - self.y0
        return link

    def _zones(self, lpm: LpModel, y_keys: list, link: np.ndarray) -> None:
        """Zones with a limit, the cell (zone's client row × provider column) of every linked x column, and
        the segments the per-step minima are taken over."""
        from solver.data import zone_limits

        limits = zone_limits(lpm.data, lpm.switches)
        y_zone = np.array([z for z, _ in y_keys], np.int64)
        self.y_zone, self.y_provider = y_zone, np.array([p for _, p in y_keys], np.int64)
        linked = np.flatnonzero(link >= 0)
        order, starts, zones = _segments(y_zone[link[linked]])
        self.zones, offset = [], 0
        cell = np.full(self.nx, -1, np.int64)
        for z, mine in zip(zones, np.split(linked[order], starts[1:]), strict=True):
            y_local = np.flatnonzero(y_zone == z)
            clients = np.unique(self.client[mine])
            row = np.searchsorted(clients, self.client[mine])
            cell[mine] = offset + row * len(y_local) + np.searchsorted(y_local, link[mine])
            self.zones.append(_Zone(clients, self.y0 + y_local, int(limits[z]), offset))
            offset += len(clients) * len(y_local)
        self.n_cells = offset
        self.linked = np.flatnonzero((cell >= 0) & self.allowed)
        self.cell_seg = _segments(cell[self.linked])
        self.free = np.flatnonzero((cell < 0) & self.allowed)
        self.free_seg = _segments(self.client[self.free])
        self.zoned = np.zeros(len(self.unmet), bool)
        for zone in self.zones:
            self.zoned[zone.clients] = True

    def zone_providers(self, choice: dict) -> dict[int, tuple[int, ...]]:
        """Each zone's chosen providers, as (zone, providers) of the model's data."""
        out = {}
        for zone, chosen in choice.items():
            local = zone.y_cols - self.y0
            out[int(self.y_zone[local[0]])] = tuple(int(self.y_provider[local[j]]) for j in chosen)
        return out

    def closed_pairs(self, zone_choice: dict[int, tuple[int, ...]]) -> np.ndarray:
        """The x columns a zone choice closes: pairs in limited zones whose provider is not chosen there."""
        linked = np.flatnonzero(self.link >= 0)
        chosen = {(z, p) for z, providers in zone_choice.items() for p in providers}
        keys = zip(self.y_zone.tolist(), self.y_provider.tolist(), strict=True)
        keep = np.array([key in chosen for key in keys], dtype=bool)
        return linked[~keep[self.link[linked]]]

    def multipliers(self, row_duals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Multipliers of the relaxed rows from an LP's row duals (HiGHS's signs: a row at its upper bound
        has a dual ≤ 0), each side kept to its sign and to the rows' finite sides."""
        d = row_duals[self.relaxed]
        return np.maximum(-d, 0.0) * self.has_hi, np.maximum(d, 0.0) * self.has_lo

    def priced(self, mu_hi: np.ndarray, mu_lo: np.ndarray) -> _Priced:
        """Every column's priced cost, each client's base option and each zone cell's cheapest pair."""
        cp = self.cost + self.at @ (mu_hi - mu_lo)
        base, base_col = self._base(cp)
        cells = np.full(self.n_cells, BIG)
        cell_col = np.full(self.n_cells, -1, np.int64)
        least, at = _segment_min(cp[self.linked], *self.cell_seg[:2])
        cells[self.cell_seg[2]], cell_col[self.cell_seg[2]] = least, self.linked[at]
        return _Priced(cp, base, base_col, cells, cell_col)

    def value(self, mu_hi: np.ndarray, mu_lo: np.ndarray) -> tuple[float, np.ndarray, dict]:
        """The priced problem's optimum at these multipliers (``mu_hi`` ≥ 0 on the rows' upper sides,
        ``mu_lo`` ≥ 0 on their lower sides): its value (a lower bound, pence), the column values and each
        zone's providers."""
        pr = self.priced(mu_hi, mu_lo)
        v = np.zeros(self.n_col)
        total = self.offset - mu_hi @ self.hi_rows + mu_lo @ self.lo_rows
        co = pr.cost[self.other]
        v[self.other] = np.where(co < 0, self.hi[self.other], self.lo[self.other])
        total += float(co @ v[self.other])
        pick, choice = pr.base_col.copy(), {}
        total += float(pr.base[~self.zoned].sum())
        for zone in self.zones:
            value, chosen = zone.best(pr.cells, pr.base, pr.cost[zone.y_cols])
            total += value
            v[zone.y_cols[list(chosen)]] = 1.0
            choice[zone] = chosen
            if chosen:
                pick[zone.clients] = zone.pick(pr.cells, pr.cell_col, pr.base, pr.base_col, chosen)
        v[pick[pick >= 0]] += 1.0
        return total, v, choice

    def capacity_choice(self, pr: _Priced, col_hub: np.ndarray, col_minutes: np.ndarray,
                        hub_minutes: np.ndarray, overflow_pence: float) -> dict:
        """A zone choice that heeds the hubs' weeks: zones largest first, each choosing the
        providers whose priced cost plus ``overflow_pence`` per minute beyond the hubs' weeks left is
        least, then using up those minutes (priced costs alone send many zones to the same hubs)."""
        left = hub_minutes.astype(np.float64).copy()
        choice = {}
        for zone in sorted(self.zones, key=lambda zn: -zn.n):
            best = None
            for size in range(1, min(zone.limit, zone.p) + 1):
                for chosen in combinations(range(zone.p), size):
                    picked = zone.pick(pr.cells, pr.cell_col, pr.base, pr.base_col, chosen)
                    ok = (picked >= 0) & (picked < self.nx)
                    load = np.bincount(col_hub[picked[ok]], weights=col_minutes[picked[ok]],
                                       minlength=len(left))
                    score = float(pr.cost[picked[picked >= 0]].sum()
                                  + pr.cost[zone.y_cols[list(chosen)]].sum()
                                  + overflow_pence * np.maximum(load - left, 0.0).sum())
                    if best is None or score < best[0]:
                        best = (score, chosen, load)
            choice[zone] = best[1]
            left = np.maximum(left - best[2], 0.0)
        return choice

    def _base(self, cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per client its cheapest option outside the zone choice (unmet, or a pair no y governs)."""
        base = np.where(self.unmet_allowed, cp[self.unmet], BIG)
        base_col = np.where(self.unmet_allowed, self.unmet, -1)
        least, at = _segment_min(cp[self.free], *self.free_seg[:2])
        clients = self.free_seg[2]
        better = least < base[clients]
        base[clients[better]], base_col[clients[better]] = least[better], self.free[at[better]]
        return base, base_col



# The relaxed LP's share of zone_start's time; the rest tries zone choices, each an LP with that choice fixed,
# warm-started (20,000 clients, default scenario: the relaxed LP 22 s, each choice 0.3-2 s).
RELAXED_SHARE = 0.7
# The overflow prices the zone choices are tried at (capacity_choice), as shares of the unmet penalty per
# staff minute. No one share is best: on the default scenario, K = 2, the fixed LP ranges over
# £13.54m-£20.6m at 20,000 clients (0.002 best) and £677,056-£681,061 at 1,000 (0.003 best); the priced
# choice alone gives £24.6m and £689,465.
OVERFLOW_SHARES = (0.002, 0.005, 0.001, 0.01, 0.03, 0.1, 0.3, 1.0)
# Beyond SAMPLE_ABOVE_NONZEROS the relaxed LP may not finish in its time (100,000 clients, 28m: not in 175 s;
# 50,000 clients, 14m: once in time, once not, and that run ended on the greedy allocation, £124.0m), so the
# multipliers come from a sample of the clients of about SAMPLE_NONZEROS (:func:`sampled_lp`): any multipliers
# give a proven bound, and prices per staff minute hardly depend on the sample (20,000 clients: the bound at
# the duals of a 50 % sample is 1.0 % below the bound at the whole relaxed LP's, of a 25 % sample 4.2 %; at
# 50,000 a 57 % sample gave 2.68 % against 1.61 % when the whole LP finished).
SAMPLE_ABOVE_NONZEROS = 8_000_000
SAMPLE_NONZEROS = 8_000_000
MIN_SAMPLE_SHARE = 0.2
# The relaxed LP's pace, kept low for slow machines: the sample is also cut to what its time can solve at
# this pace. Measured at 10,000 clients (2.6m nonzeros): the whole LP in 8.1 s on a quick day, not in 7.5 s
# or 11.7 s on slow ones (the run then had no bound and ended on the greedy allocation, £28.5m against
# £7.8m); a 50 % sample 3.6 s (bound 0.5 % lower), 30 % 1.7 s (1.9 % lower).
RELAXED_NONZEROS_PER_SECOND = 200_000


def zone_start(lpm: LpModel, time_limit_s: float, first_lp_s: float = 0.0,
               deterministic: bool = False) -> ZoneStart:
    """A proven bound, a zone choice and an LP to round, for a zoned model ``lpm`` too large for its LP.

    HiGHS solves the LP without the x ≤ y rows (a fifth of the rows at 20,000 clients); its row duals price
    the other rows, and the priced zone problems (:class:`_Lagrangian`) give the bound. Measured on the
    default scenario, K = 2: 1,000 clients £669,668 against the full LP's £671,800; 20,000 clients £13.36m
    in 22 s against £13.40m after 9 minutes of adding the violated x ≤ y rows back.

    The zone choices tried (:meth:`_Lagrangian.capacity_choice` at each of :data:`OVERFLOW_SHARES`, then
    the priced problem's own) are each fixed in the same LP; the cheapest is kept. Until one is solved,
    they may run on to ``first_lp_s`` seconds (when longer than ``time_limit_s``): with no LP the run has
    no start, and the time after it was meant for packing that start.

    ``deterministic``: every LP runs to its optimum and every zone choice is tried, so equal data and
    ``time_limit_s`` (which sets the sample, if any) give equal answers; ``time_limit_s`` is then a hard stop
    (``stopped_by_clock`` when it decided)."""
    t0 = time.perf_counter()
    lag = _Lagrangian(lpm)
    keep = np.setdiff1d(np.arange(len(lpm.rows.lo)), lpm.rows.named_rows("zone_links"))
    nonzeros = _relaxed_nonzeros(lpm, keep)
    # the sample by the relaxed LP's share of the time at a slow machine's pace, whatever the clock reads;
    # deterministic runs let that LP run on to the whole time (a hard stop)
    share = _sample_share(lpm, keep, time_limit_s * RELAXED_SHARE, nonzeros)
    relaxed_s = time_limit_s * (1.0 if deterministic else RELAXED_SHARE)
    h, rows, values = _duals_lp(lpm, lag, keep, share, relaxed_s)
    out = ZoneStart(status=h.modelStatusToString(h.getModelStatus()), sample_share=share,
                    packable=nonzeros <= SAMPLE_ABOVE_NONZEROS)
    # only the clock's stop: an infeasible relaxed LP (need beyond every carer, unmet not allowed) repeats
    out.stopped_by_clock = deterministic and h.getModelStatus() == h.getModelStatus().kTimeLimit
    solution = h.getSolution()
    if solution.dual_valid:
        duals = np.zeros(len(lpm.rows.lo))
        duals[rows] = solution.row_dual
        mu = lag.multipliers(duals)
        out.bound_pence, _, priced_choice = lag.value(*mu)
        out.lagrangian, out.multipliers = lag, mu
        if share < 1.0:  # the sample priced the rows; the fixed LPs are the whole relaxed LP's
            h = new_highs(threads=1)  # (values: zeros, see _duals_lp)
            h.passModel(lpm.to_highs(keep))
        first_end = t0 + (time_limit_s if deterministic else first_lp_s)
        _try_choices(out, lpm, h, values, priced_choice, t0 + time_limit_s, first_end, deterministic)
    out.seconds = time.perf_counter() - t0
    return out


def _relaxed_nonzeros(lpm: LpModel, keep: np.ndarray) -> int:
    """The nonzeros of the rows ``keep``, counted from the row indices (building the matrix for a count took
    seconds at 100,000 clients)."""
    return int(np.bincount(np.concatenate(lpm.rows.r), minlength=len(lpm.rows.lo))[keep].sum())


def _sample_share(lpm: LpModel, keep: np.ndarray, seconds: float = math.inf,
                  nonzeros: int | None = None) -> float:
    """1, or the share of clients to sample when the rows ``keep`` hold more than SAMPLE_ABOVE_NONZEROS
    nonzeros or more than ``seconds`` solve at :data:`RELAXED_NONZEROS_PER_SECOND`; at least
    MIN_SAMPLE_SHARE."""
    nonzeros = _relaxed_nonzeros(lpm, keep) if nonzeros is None else nonzeros
    share = 1.0 if nonzeros <= SAMPLE_ABOVE_NONZEROS else SAMPLE_NONZEROS / nonzeros
    share = min(share, seconds * RELAXED_NONZEROS_PER_SECOND / max(nonzeros, 1))
    return 1.0 if share >= 1.0 else max(share, MIN_SAMPLE_SHARE)


def _duals_lp(lpm: LpModel, lag: _Lagrangian, keep: np.ndarray, share: float, seconds: float):
    """HiGHS run on the relaxed LP (or its sample): (the instance, the model's rows it holds, its column
    values on the model's columns: zeros for a sample)."""
    h = new_highs(threads=1)
    if share < 1.0:
        lp, rows = sampled_lp(lpm, lag, keep, share)
        h.passModel(lp)
        run_for(h, seconds)
        # No values: a sample's do not fill the zone choices (_filled). Tried with its values (session
        # script, 10,000 clients): £8.43m at 18 s and £8.65m at 30 s, against £8.17m and £8.09m-£8.26m.
        return h, rows, np.zeros(lpm.n_col)
    h.passModel(lpm.to_highs(keep))
    run_for(h, seconds)
    return h, keep, np.asarray(h.getSolution().col_value)


def _try_choices(out: ZoneStart, lpm: LpModel, h, relaxed: np.ndarray, priced_choice: dict,
                 end: float, first_end: float, deterministic: bool = False) -> None:
    """Each zone choice fixed in the relaxed LP in ``h`` until ``end`` (``first_end`` while none is solved);
    the cheapest LP is kept in ``out``. Deterministic runs pass their hard stop as both: every choice is
    tried, each LP to its optimum, unless the clock ends them (``out.stopped_by_clock``)."""
    lag, mu = out.lagrangian, out.multipliers
    for choice in _choices(lpm, lag, lag.priced(*mu), priced_choice):
        left_s = (end if out.lp is not None else max(end, first_end)) - time.perf_counter()
        if left_s <= 0:  # even with no LP yet: more choices at 0.1 s each ran late (10,000 clients, 18 s)
            out.stopped_by_clock |= deterministic
            break
        zone_choice = _filled(lpm, lag.zone_providers(choice), relaxed)
        lp = _fixed_lp(h, lpm, lag.closed_pairs(zone_choice), left_s)
        out.stopped_by_clock |= deterministic and h.getModelStatus() == h.getModelStatus().kTimeLimit
        if lp is not None and (out.lp is None or lp.objective_pence < out.lp.objective_pence):
            out.lp, out.zone_choice = lp, zone_choice


def sampled_lp(lpm: LpModel, lag: _Lagrangian, keep: np.ndarray, share: float, seed: int = 0):
    """The relaxed LP (rows ``keep``) on a random ``share`` of the clients, each standing for 1/share clients:
    in the rows that couple clients (hubs, bands, drivers, providers, pools, moves) and in the objective,
    their columns count 1/share times; each kept client's own rows (serving it, its pairs' links) are as
    they were. Returns (the HiGHS LP, the model's rows it holds). Its duals price the coupling rows at about
    the whole model's prices."""
    import highspy

    d, inf = lpm.data, highspy.kHighsInf
    kept = np.random.default_rng(seed).random(d.n_clients) < share
    col_client = np.full(lpm.n_col, -1)
    col_client[:lpm.nx] = lpm.pc
    has_unmet = lag.unmet >= 0
    col_client[lag.unmet[has_unmet]] = np.flatnonzero(has_unmet)
    cols = np.flatnonzero((col_client < 0) | kept[np.maximum(col_client, 0)])
    weight = np.where(col_client >= 0, 1.0 / max(kept.mean(), 1e-9), 1.0)
    coupling = np.ones(len(lpm.rows.lo), bool)
    # x ≤ active, x ≤ use: one client's rows (weighted, a sampled pair could be served only share of the way)
    coupling[lpm.rows.named_rows(*STRUCTURE, "pair_links")] = False
    a = lpm.matrix("csr")[keep][:, cols].tocoo()
    values = a.data * np.where(coupling[keep][a.row], weight[cols][a.col], 1.0)
    a = sparse.csr_matrix((values, (a.row, a.col)), shape=a.shape)
    nonempty = np.diff(a.indptr) > 0  # rows of clients left out
    rows, a = keep[nonempty], a[nonempty].tocsc()
    lo, hi, cost = lpm.columns()
    row_lo, row_hi = np.array(lpm.rows.lo)[rows], np.array(lpm.rows.hi)[rows]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cols), len(rows)
    lp.col_cost_ = cost[cols] * weight[cols]
    lp.col_lower_, lp.col_upper_ = lo[cols], np.where(np.isfinite(hi[cols]), hi[cols], inf)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    return lp, rows


def _choices(lpm: LpModel, lag: _Lagrangian, pr: _Priced, priced_choice: dict):
    """The zone choices to try, best first as measured (see :data:`OVERFLOW_SHARES`), without repeats."""
    from solver.rules.workforce import carer_minutes

    d = lpm.data
    col_hub = np.full(lpm.n_col, d.n_hubs)  # columns with no hub (unmet, pinned without a hub): a slot of
    hubs = d.pair_hub[lpm.ks]              # their own that never fills
    col_hub[:lpm.nx] = np.where(hubs >= 0, hubs, d.n_hubs)
    col_minutes = np.zeros(lpm.n_col)
    col_minutes[:lpm.nx] = lpm.staff
    hub_minutes = np.array([carer_minutes(d, h)[0] * d.hub_carers[h] for h in range(d.n_hubs)] + [np.inf])
    least = np.full(d.n_clients, np.inf)
    np.minimum.at(least, lpm.pc, lpm.staff)
    unmet = lag.unmet >= 0
    per_minute = (float(np.median(lag.cost[lag.unmet[unmet]] / np.maximum(least[unmet], 1.0))) if unmet.any()
                  else float(np.abs(lag.cost).max()))
    seen = []
    for share in OVERFLOW_SHARES:
        choice = lag.capacity_choice(pr, col_hub, col_minutes, hub_minutes, share * per_minute)
        if choice not in seen:
            seen.append(choice)
            yield choice
    if priced_choice not in seen:
        yield priced_choice


def _fixed_lp(h, lpm: LpModel, closed: np.ndarray, seconds: float) -> LpSolution | None:
    """The relaxed LP in ``h`` with only the ``closed`` pair columns held at 0 (warm-started); None when
    HiGHS does not solve it in ``seconds``."""
    lo, hi, _ = lpm.columns()
    every = np.arange(lpm.nx, dtype=np.int32)
    h.changeColsBounds(lpm.nx, every, lo[:lpm.nx], hi[:lpm.nx])
    h.changeColsBounds(len(closed), closed.astype(np.int32), np.zeros(len(closed)), np.zeros(len(closed)))
    run_for(h, seconds)
    if h.getModelStatus() != h.getModelStatus().kOptimal:
        return None
    out = LpSolution(status="OPTIMAL", pairs=lpm.ks)
    lpm.read(out, np.asarray(h.getSolution().col_value), h.getInfo().objective_function_value)
    return out


def _filled(lpm: LpModel, zone_choice: dict[int, tuple[int, ...]], values: np.ndarray) -> dict:
    """Each zone's choice filled up to its limit with the providers the relaxed LP uses there most: a
    provider more can only give the allocation more room."""
    from solver.data import zone_limits

    limits = zone_limits(lpm.data, lpm.switches)
    relaxed = LpSolution(status="OPTIMAL", pairs=lpm.ks)
    lpm.read(relaxed, values, 0.0)
    out = dict(zone_choice)
    for z, candidates in zone_candidates(lpm.data, lpm.switches, relaxed).items():
        chosen = list(out.get(z, ()))
        chosen += [p for p in candidates if p not in chosen][:max(int(limits[z]) - len(chosen), 0)]
        out[z] = tuple(chosen)
    return out


# Subgradient steps of refine_bound (Polyak's rule towards the best allocation's objective): the step factor
# starts at STEP_START and halves after STEP_PATIENCE steps without a better bound; it ends below STEP_END.
# From zero multipliers the steps stall far below the LP (1,000 clients: £609k against £672k); from the LP's
# duals they add what the zone problems' integrality gives (20,000 clients: £13.358m to £13.386m in 10 s).
STEP_START, STEP_PATIENCE, STEP_END = 0.3, 10, 1e-3


def refine_bound(start: ZoneStart, upper_pence: float, seconds: float, stop=None,
                 max_steps: int | None = None) -> bool:
    """Raise ``start.bound_pence`` by subgradient steps from its multipliers for at most ``seconds`` (and
    ``max_steps`` steps, the work limit of deterministic runs), steered towards ``upper_pence`` (an
    allocation's objective), until ``stop`` (a ``threading.Event``) is set. Every step's value is a proven
    bound. True when the clock (``seconds``) ended the steps before ``max_steps`` or convergence did."""
    if start.lagrangian is None or not math.isfinite(upper_pence):
        return False
    t0, lag = time.perf_counter(), start.lagrangian
    mu_hi, mu_lo = start.multipliers
    factor, stale, steps = STEP_START, 0, 0
    stopped = stop.is_set if stop is not None else (lambda: False)
    while factor > STEP_END and not stopped() and (max_steps is None or steps < max_steps):
        if time.perf_counter() - t0 >= seconds:
            return max_steps is not None
        steps += 1
        value, v, _ = lag.value(mu_hi, mu_lo)
        if value > start.bound_pence:
            start.bound_pence, start.multipliers, stale = value, (mu_hi, mu_lo), 0
        else:
            stale += 1
            factor, stale = (factor / 2, 0) if stale >= STEP_PATIENCE else (factor, stale)
        av = lag.a @ v
        g_hi = np.where(lag.has_hi, av - lag.hi_rows, 0.0)
        g_lo = np.where(lag.has_lo, lag.lo_rows - av, 0.0)
        g_hi[(mu_hi <= 0) & (g_hi < 0)] = 0.0  # held at zero by their sign: they do not shorten the step
        g_lo[(mu_lo <= 0) & (g_lo < 0)] = 0.0
        norm = float(g_hi @ g_hi + g_lo @ g_lo)
        if norm == 0.0 or upper_pence <= value:
            return False  # the priced optimum satisfies every relaxed row, or the bound meets the allocation
        size = factor * (upper_pence - value) / norm
        mu_hi, mu_lo = np.maximum(mu_hi + size * g_hi, 0.0), np.maximum(mu_lo + size * g_lo, 0.0)
    return False
