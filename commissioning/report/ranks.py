"""The report's Ranked zoning section (only when some variant is ranked): per ranked variant and patch, who
leads, who is second (third, fourth), each rank's share of the patch's care hours against its target and how
far it is off, and the variant's total deviation cost (the optimiser's ``shares`` term), from ``ranks.csv``,
as data for ``templates/ranks.html.j2``.

Every figure is a :class:`~commissioning.report.sections.Cell` with ``data-*`` attributes (``data-value`` =
the value exactly as in ranks.csv), so a test can parse the page back.
"""

from __future__ import annotations

from dataclasses import dataclass

from commissioning.report.model import Run, fmt, read_csv, to_float
from commissioning.report.sections import Cell
from commissioning.results.ranks import RANK_WORDS, RANKS_FILE, percent, rank_word, ranked_words
from commissioning.results.schema import RANKS

WEEKS_PER_YEAR = 52
FIELDS = ("provider_id", "share", "deviation_hours")


@dataclass
class PatchRanks:
    zone_id: str
    name: str
    cells: list[Cell]  # per rank: provider, share (of target), hours off


@dataclass
class RankedVariant:
    variant: str
    words: str  # "ranked zoning: lead 60 %, second 25 %, third 15 %"
    heads: list[str]  # per rank: "Lead (60 %)"
    patches: list[PatchRanks]
    summary: tuple[str, str]  # the total deviation, then what its cost (between them) means
    cost: Cell  # the total deviation cost a week
    unranked: int  # ranked patches with no care hours to share


def _unit(name: str) -> str:
    return next(c.unit for c in RANKS if c.name == name)


def _provider_cell(row: dict[str, str], names: dict[str, str], data: dict[str, str]) -> Cell:
    pid = row.get("provider_id", "")
    if not pid:
        return Cell("nobody", "missing", {**data, "field": "provider_id", "value": ""})
    name = names.get(pid, pid)
    return Cell(f"{name} ({pid})" if name != pid else pid, "", {**data, "field": "provider_id", "value": pid})


def _cells(row: dict[str, str], names: dict[str, str], data: dict[str, str]) -> list[Cell]:
    share, hours = to_float(row.get("share")), to_float(row.get("deviation_hours"))
    share_text = percent(share) if share is not None else "—"
    off = fmt(hours, _unit("deviation_hours"), digits=1) if hours is not None else "—"
    return [
        _provider_cell(row, names, data),
        Cell(share_text, "num", {**data, "field": "share", "value": row.get("share", "")}),
        Cell(off, "num", {**data, "field": "deviation_hours", "value": row.get("deviation_hours", "")}),
    ]


def _rank(row: dict[str, str]) -> int | None:
    """A row's rank (1 = lead), None when the cell is not one (a hand-edited ranks.csv)."""
    rank = to_float(row.get("rank"))
    return int(rank) if rank is not None and rank.is_integer() and 1 <= rank <= len(RANK_WORDS) else None


def _variant(run: Run, v: str, rows: list[dict[str, str]], names: dict[str, str]) -> RankedVariant:
    targets: dict[int, float] = {}
    for r in rows:
        targets.setdefault(int(r["rank"]), to_float(r.get("target_share")) or 0.0)
    targets = dict(sorted(targets.items()))
    by_zone: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_zone.setdefault(r.get("zone_id", ""), []).append(r)
    patches, unranked = [], 0
    for zid, mine in by_zone.items():
        if sum(to_float(r.get("care_hours")) or 0.0 for r in mine) <= 0:
            unranked += 1
            continue
        held = {int(r["rank"]): r for r in mine}
        cells = []
        for j in targets:  # a rank missing from a hand-edited file: dashes, so the columns stay aligned
            data = {"variant": v, "zone": zid, "rank": str(j)}
            cells += _cells(held[j], names, data) if j in held else [Cell("—", "missing")] * 3
        patches.append(PatchRanks(zid, mine[0].get("name", "") or zid, cells))
    cost = sum(to_float(r.get("deviation_cost_gbp_per_week")) or 0.0 for r in rows)
    hours = sum(to_float(r.get("deviation_hours")) or 0.0 for r in rows)
    return RankedVariant(
        v,
        ranked_words(list(targets.values())),
        [f"{rank_word(j).capitalize()} ({percent(t)})" for j, t in targets.items()],
        patches,
        _summary(run, v, hours, cost),
        Cell(fmt(cost, "GBP/week", digits=0), "num", {"variant": v, "field": "deviation_cost_gbp_per_week",
                                                      "value": repr(round(cost, 2))}),
        unranked,
    )


def _summary(run: Run, v: str, hours: float, cost: float) -> tuple[str, str]:
    """What the deviation amounts to, before and after the cost figure."""
    blocks = run.assumptions.get("variants") if isinstance(run.assumptions.get("variants"), dict) else {}
    rate = to_float((blocks.get(v) or {}).get("share_penalty_gbp_per_hour"))
    priced = f" at {fmt(rate, 'GBP/hour', digits=2)} per care hour off" if rate is not None else ""
    year = fmt(cost * WEEKS_PER_YEAR, "GBP/week", digits=0)
    return (
        f"the ranks are {fmt(hours, 'hours/week', digits=1)} care hours a week off their target shares in "
        "all. Deviation cost",
        f"a week ({year} a year, × {WEEKS_PER_YEAR}){priced}: the optimiser's shares term, which it weighs "
        "against care and travel costs.",
    )


def ranked_zoning(run: Run) -> list[RankedVariant]:
    """Per ranked variant (ranks.csv, in the run's order) its patches' ranks; empty: no variant is ranked."""
    rows = read_csv(run.out_dir / RANKS_FILE) or []
    names = {r.get("provider_id", ""): r.get("name", "") for r in run.providers if r.get("name")}
    out = []
    for v in run.variants:
        mine = [{**r, "rank": str(_rank(r))} for r in rows if r.get("variant") == v and _rank(r)]
        if mine:
            out.append(_variant(run, v, mine, names))
    return out
