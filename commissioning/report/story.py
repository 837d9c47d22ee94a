"""The report's story for a board: a headline per variant against today's allocation, the recommended
variant by :mod:`commissioning.results.recommend`'s rule, what to read first (data, region, unconfirmed
parameters, every warning, exemptions per patch) and the parameters as one variant-by-setting table.

Each builder returns plain data (dataclasses of already formatted text) that a template renders, escaped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from commissioning.report.model import (
    LOSS_FLAG_PCT,
    Run,
    distinct_hours,
    flatten,
    fmt,
    label,
    param,
    to_float,
)
from commissioning.results.ranks import limit_words, ranked_words, settings_shares
from commissioning.results.recommend import RULE, recommend, whole_system_cost
from commissioning.scenario.defaults import DownstreamParams, MoneyParams

WEEKS_PER_YEAR = 52
"""Yearly figures are weekly figures × 52 (stated beside every yearly figure)."""

MONEY = "GBP/week"
HOURS = "hours/week"


@dataclass(frozen=True)
class Fact:
    key: str  # cost, unmet, whole_system, travel, moves, providers, zoning
    title: str
    text: str
    value: str | None = None  # data-value: the exact figure the text starts from, when there is one


@dataclass(frozen=True)
class Mover:
    provider_id: str
    name: str
    hours: str  # signed change in care hours a week
    pct: str  # signed change in percent


@dataclass
class VariantHeadline:
    variant: str
    is_current: bool
    recommended: bool
    facts: list[Fact] = field(default_factory=list)
    gainers: list[Mover] = field(default_factory=list)
    losers: list[Mover] = field(default_factory=list)


@dataclass(frozen=True)
class Recommended:
    variant: str | None
    rule: str
    sentence: str


@dataclass
class Headline:
    current: str | None
    variants: list[VariantHeadline]
    recommendation: Recommended


def _money_week_year(value: float, signed: bool = False) -> str:
    week = fmt(value, MONEY, signed=signed, digits=0)
    year = fmt(value * WEEKS_PER_YEAR, MONEY, signed=signed, digits=0)
    return f"{week} a week ({year} a year, × {WEEKS_PER_YEAR})"


def _against(d: float | None, base: str, unit: str, less: str, more: str, digits: int = 1) -> str:
    """``", £1,234 a week less than current"``; empty without a figure."""
    if d is None:
        return ""
    if abs(d) < 0.5 * 10**-digits:
        return f"; the same as {base}"
    word = less if d < 0 else more
    body = fmt(abs(d), unit, digits=digits)
    return f"; {body}{'' if unit.startswith('GBP') else ' ' + unit.split('/')[0]} {word} than {base}"


def _delta(run: Run, kpi: str, v: str, base: str | None) -> float | None:
    a = run.value(kpi, v)
    b = None if base is None or v == base else run.value(kpi, base)
    return None if a is None or b is None else a - b


def _cost_fact(run: Run, v: str, base: str | None) -> Fact | None:
    cost = run.value("cost_per_week_gbp", v)
    if cost is None:
        return None
    recruiting = run.value("recruitment_cost_per_week_gbp", v) or 0.0
    text = "care and travel " + _money_week_year(cost)
    if recruiting > 0:  # the total counts the carers recruited: say so, and how much of it they are
        text = (f"care, travel and recruiting carers {_money_week_year(cost)} (recruiting "
                f"{fmt(recruiting, MONEY, digits=0)} a week)")
    d = _delta(run, "cost_per_week_gbp", v, base)
    if d is not None and base is not None:
        text += _against(d, base, MONEY, "a week less", "a week more", 0)
        text += f" ({fmt(d * WEEKS_PER_YEAR, MONEY, signed=True, digits=0)} a year)"
    return Fact("cost", "Cost", text, repr(cost))


def _unmet_fact(run: Run, v: str, base: str | None) -> Fact | None:
    hours = run.value("unmet_hours_per_week", v)
    if hours is None:
        return None
    n = 1  # care hours to one decimal, as the tables print them
    text = f"{fmt(hours, HOURS, digits=n)} care hours a week unmet"
    clients = run.value("clients_unmet", v)
    if clients is not None:
        # "waiting" read as new packages, but today's allocation counts clients its providers cannot serve
        text += f" ({fmt(clients)} {'client' if clients == 1 else 'clients'} without a provider)"
    priced = run.value("delayed_discharge_cost_per_week_gbp", v)
    if priced is not None:
        text += f", priced at {_money_week_year(priced)} in delayed-discharge bed-days (estimate)"
    if base is not None and v != base:
        text += _against(_delta(run, "unmet_hours_per_week", v, base), base, HOURS, "fewer", "more", n)
    return Fact("unmet", "Unmet need", text, repr(hours))


def _whole_fact(run: Run, v: str, base: str | None, costs: dict[str, float]) -> Fact | None:
    total = costs.get(v)
    if total is None:
        return None
    text = _money_week_year(total) + ": care and travel plus the priced unmet need"
    if base is not None and v != base and base in costs:
        d = total - costs[base]
        text += _against(d, base, MONEY, "a week less", "a week more", 0)
        text += f" ({fmt(d * WEEKS_PER_YEAR, MONEY, signed=True, digits=0)} a year)"
    return Fact("whole_system", "Whole-system cost", text, repr(total))


def _travel_fact(run: Run, v: str, base: str | None) -> Fact | None:
    hours = run.value("travel_hours_per_week", v)
    if hours is None:
        return None
    text = f"{fmt(hours, HOURS, digits=0)} carers' travel hours a week (priced per visit from the hub)"
    if base is not None and v != base:
        text += _against(_delta(run, "travel_hours_per_week", v, base), base, HOURS, "less", "more", 0)
    routed = run.value("travel_hours_per_week_routed", v)
    if routed is not None:
        text += f"; on chained runs (carers' real routes) {fmt(routed, HOURS, digits=0)} hours a week"
        if base is not None and v != base:
            d = _delta(run, "travel_hours_per_week_routed", v, base)
            text += _against(d, base, HOURS, "less", "more", 0)
    return Fact("travel", "Carers' travel", text, repr(hours))


def _moves_fact(run: Run, v: str) -> Fact | None:
    moved, total = run.value("clients_moved", v), run.value("clients_total", v)
    if moved is None or v == run.current:
        return None
    of = f" of {fmt(total)}" if total else ""
    share = f" ({fmt(moved / total * 100, '%', digits=1)})" if total else ""
    text = f"{fmt(moved)}{of} clients would change provider{share}"
    lost = run.value("clients_losing_provider_unmet", v) or 0
    if lost:  # they lose continuity too (the move penalty counts them): said, so the counts add up
        text += f", and {fmt(lost)} more would lose theirs and be left unmet"
        too = run.value("clients_losing_provider_unmet_today_too", v) or 0
        if too:
            text += f" ({fmt(too)} of them unmet today too: today's provider cannot serve them)"
    return Fact("moves", "Continuity", text, repr(moved))


def _providers(n: float) -> str:
    """"1 provider", "2 providers" (the report read "at most 1 providers")."""
    return f"{fmt(n)} provider{'' if n == 1 else 's'}"


def _zoning_fact(run: Run, v: str, base: str | None) -> Fact | None:
    own = run.value("max_providers_per_zone_excluding_own_choice", v)
    every = run.value("max_providers_per_zone", v)
    limit = run.value("zoning_limit_providers_per_zone", v)
    if own is None and every is None:
        return None
    if own is not None:
        text = f"at most {_providers(own)} in any one patch, clients' own choices aside"
        if every is not None and every != own:
            text += f" ({fmt(every)} counting the providers clients chose themselves)"
    else:
        text = f"at most {_providers(every)} in any one patch (clients' own choices included)"
    shares = _ranked_shares(run, v)
    if shares:
        text += f"; {ranked_words(shares)} (zoning limit K = {len(shares)})"
    else:
        text += f"; zoning limit K = {fmt(limit)}" if limit is not None else "; no zoning limit"
    key = "max_providers_per_zone_excluding_own_choice" if own is not None else "max_providers_per_zone"
    if base is not None and v != base and run.value(key, base) is not None:
        text += f"; {base}: {fmt(run.value(key, base))}"
    return Fact("zoning", "Zoning achieved", text, repr(own if own is not None else every))


def _ranked_shares(run: Run, v: str) -> list[float]:
    """A ranked variant's shares (kpis.json's assumptions), lead first; empty for any other variant."""
    blocks = run.assumptions.get("variants")
    return settings_shares(blocks.get(v) if isinstance(blocks, dict) else None)


def movers(run: Run, v: str, top: int = 3) -> tuple[list[Mover], list[Mover]]:
    """The providers gaining and losing most care hours against today (providers.csv), most first."""
    rows = []
    for row in run.providers:
        h = to_float(row.get("change_hours_vs_current"))
        if row.get("variant") == v and h is not None:
            pct = to_float(row.get("change_pct_vs_current"))
            pid = row.get("provider_id", "")
            rows.append((h, pid, row.get("name", "") or pid, pct))
    n = 1  # care hours to one decimal, as the tables print them

    def mover(r: tuple) -> Mover:
        pct = fmt(r[3], "%", signed=True, digits=1) if r[3] is not None else "—"
        return Mover(r[1], r[2], fmt(r[0], HOURS, signed=True, digits=n), pct)

    gain = sorted((r for r in rows if r[0] > 1e-9), key=lambda r: (-r[0], r[1]))[:top]
    lose = sorted((r for r in rows if r[0] < -1e-9), key=lambda r: (r[0], r[1]))[:top]
    return [mover(r) for r in gain], [mover(r) for r in lose]


def _providers_fact(run: Run, v: str, gainers: list[Mover], losers: list[Mover]) -> Fact | None:
    if not run.providers or run.current is None or v == run.current:
        return None
    if not gainers and not losers:
        return Fact("providers", "Winners and losers", "no provider's care hours change")
    flagged = [
        r for r in run.providers
        if r.get("variant") == v and (to_float(r.get("change_pct_vs_current")) or 0.0) < -LOSS_FLAG_PCT
    ]
    parts = []
    if gainers:
        parts.append("gains most: " + "; ".join(f"{m.name} {m.hours} h ({m.pct})" for m in gainers))
    if losers:
        parts.append("loses most: " + "; ".join(f"{m.name} {m.hours} h ({m.pct})" for m in losers))
    text = "; ".join(parts)
    text += (
        f". {len(flagged)} {'provider' if len(flagged) == 1 else 'providers'} would lose more than "
        f"{fmt(LOSS_FLAG_PCT, '%')} of {'its' if len(flagged) == 1 else 'their'} care hours"
    )
    return Fact("providers", "Winners and losers", text)


def _facts(run: Run, v: str, base: str | None, costs: dict[str, float] | None = None,
           gainers: list[Mover] = (), losers: list[Mover] = ()) -> list[Fact]:
    if costs is None:
        costs = {v: c} if (c := whole_system_cost(run.kpis_of(v))) is not None else {}
    facts = [
        _cost_fact(run, v, base),
        _unmet_fact(run, v, base),
        _whole_fact(run, v, base, costs),
        _travel_fact(run, v, base),
        _moves_fact(run, v),
        _providers_fact(run, v, list(gainers), list(losers)),
        _zoning_fact(run, v, base),
    ]
    return [f for f in facts if f]


def headline(run: Run) -> Headline:
    """Every variant against today's allocation, and the recommended variant with its rule."""
    base = run.current
    if len(run.variants) == 1:
        only = run.variants[0]
        sentence = f"Only one variant was run ({only}): there is nothing to compare it with."
        rec = Recommended(None, RULE, sentence)
        return Headline(base, [VariantHeadline(only, only == base, False, _facts(run, only, base))], rec)
    best = recommend({v: run.kpis_of(v) for v in run.variants}, run.variants, base).variant
    costs = {v: c for v in run.variants if (c := whole_system_cost(run.kpis_of(v))) is not None}
    out = []
    for v in run.variants:
        gainers, losers = movers(run, v) if v != base else ([], [])
        facts = _facts(run, v, base, costs, gainers, losers)
        out.append(VariantHeadline(v, v == base, v == best, facts, gainers, losers))
    return Headline(base, out, Recommended(best, RULE, _recommend_sentence(run, best, costs)))


def _recommend_sentence(run: Run, best: str | None, costs: dict[str, float]) -> str:
    base = run.current
    if best is None:
        others = [v for v in run.variants if v != base]
        if not others:
            return "Only one variant was run: there is nothing to recommend against it."
        return "No variant can be recommended: none other than today's allocation ended with an allocation."
    text = f"Recommended: {best}, whole-system cost {_money_week_year(costs[best])}"
    if base is not None and base in costs:
        d = costs[best] - costs[base]
        text += _against(d, base, MONEY, "a week less", "a week more", 0)
        text += f" ({fmt(d * WEEKS_PER_YEAR, MONEY, signed=True, digits=0)} a year)"
    return text + "."


# ------------------------------------------------------------------------------------------ read first


@dataclass(frozen=True)
class Unconfirmed:
    name: str  # the assumption's dotted key
    label: str
    value: str


@dataclass
class BrokenRules:
    variant: str
    rule: str
    rows: list[dict[str, str]]  # where (hub or provider), zone, band, needed, available, message


@dataclass
class Exemptions:
    variants: list[str]
    rows: list[tuple[str, str, list[tuple[int, int]]]]  # zone, name, by variant (own choice, travel limit)
    totals: list[tuple[int, int]]
    note: str  # what the counts mean, or why there are none


@dataclass
class ReadFirst:
    data_source: str
    region: str
    scenario: str
    run_date: str
    unconfirmed: list[Unconfirmed]
    warnings: list[str]
    broken: list[BrokenRules]
    approximate_travel: bool
    exemptions: Exemptions

    @property
    def broken_total(self) -> int:
        return sum(len(g.rows) for g in self.broken)


OWN_CHOICE = "own choice"
TRAVEL_LIMIT = "travel limit"
_DEFAULT_SECTIONS = ("money", "downstream")


def _defaults() -> dict[str, object]:
    """The product's money and downstream defaults by key (commissioning/scenario/defaults.py)."""
    return {**asdict(MoneyParams()), **asdict(DownstreamParams())}


def _data_source(run: Run) -> str:
    ds = run.dataset
    if ds.get("generator") and ds.get("seed") is not None:
        n = f", {fmt(ds['n_clients'])} clients" if isinstance(ds.get("n_clients"), int) else ""
        return (
            f"Synthetic data: generated by {ds['generator']} with seed {ds['seed']}{n}. These are not real "
            "clients, providers or carers; do not take decisions on them."
        )
    date = next((str(ds[k]) for k in ("date", "data_date", "extracted", "as_of") if ds.get(k)), None)
    when = (
        f", dated {date}" if date else ', no date recorded (add "date" to the dataset folder\'s dataset.json)'
    )
    return f"Your data files (the dataset folder of the scenario){when}."


def unconfirmed(run: Run) -> list[Unconfirmed]:
    """Money and downstream parameters the run used at the product's default: not confirmed locally.

    kpis.json may list the defaults it used (``defaults_used``: dotted keys); otherwise a value equal to the
    default is taken as the default."""
    listed = run.doc.get("defaults_used")
    defaults = _defaults()
    out = []
    for name, value in flatten(run.assumptions):
        key = name.rsplit(".", 1)[-1]
        section = name.split(".", 1)[0] if "." in name else None
        if key not in defaults or (section is not None and section not in _DEFAULT_SECTIONS):
            continue
        if isinstance(listed, list):
            used = name in listed or key in listed
        else:
            used = isinstance(value, int | float) and float(value) == float(defaults[key])
        if used:
            out.append(Unconfirmed(name, label(key), param(name, value)))
    return out


def _where(row: dict[str, str]) -> str:
    if row.get("hub_id"):
        owner = row.get("owner", "")
        mine = owner and not row["hub_id"].startswith(owner)
        return f"hub {row['hub_id']}" + (f" ({owner})" if mine else "")
    message = row.get("message", "")
    head = message.split(":", 1)[-1].strip().split(" ", 1)[0] if message else ""
    return f"provider {head.removesuffix(chr(39) + 's')}" if head else (row.get("owner") or "—")


def broken_rules(run: Run) -> list[BrokenRules]:
    """Every rule each variant's allocation breaks (broken_rules.csv; else kpis.json's details), by rule."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    rows = list(run.broken_rules)
    if not rows:
        details = run.doc.get("details") if isinstance(run.doc.get("details"), dict) else {}
        for v in run.variants:
            for text in (details.get(v) or {}).get("violations") or []:
                rule = str(text).split(":", 1)[0] if ":" in str(text) else "rule"
                rows.append({"variant": v, "rule": rule, "message": str(text)})
    for row in rows:
        groups.setdefault((row.get("variant", ""), row.get("rule", "") or "rule"), []).append(row)
    order = {v: i for i, v in enumerate(run.variants)}
    out = []
    for (v, rule), mine in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        shown = []
        for r in sorted(mine, key=lambda r: (_where(r), r.get("band", ""))):
            needed, available = to_float(r.get("needed_hours")), to_float(r.get("available_hours"))
            pair = distinct_hours(needed, available) if needed is not None and available is not None else None
            shown.append({
                "where": _where(r),
                "zone": r.get("zone", ""),
                "band": r.get("band", ""),
                "needed": pair[0] if pair else "",
                "available": pair[1] if pair else "",
                "message": r.get("message", ""),
            })
        out.append(BrokenRules(v, rule, shown))
    return out


def exemptions(run: Run) -> Exemptions:
    """Clients exempt per patch and variant (allocation.csv's ``exemption``)."""
    vs = [v for v in run.variants if v in run.allocations]
    has = [v for v in vs if run.allocations[v] and "exemption" in run.allocations[v][0]]
    if not has:
        return Exemptions([], [], [], (
            "allocation.csv has no exemption column (runs before this version): clients exempt from zoning "
            "(their own choice) and clients kept beyond the travel limit (today's provider stays eligible) "
            "cannot be counted. Run the scenario again."
        ))
    names = {r.get("zone_id", ""): r.get("name", "") for r in run.zones}
    counts: dict[str, dict[str, list[int]]] = {}
    for v in has:
        for row in run.allocations[v]:
            kind = row.get("exemption", "")
            if kind in (OWN_CHOICE, TRAVEL_LIMIT):
                c = counts.setdefault(row.get("zone", ""), {}).setdefault(v, [0, 0])
                c[0 if kind == OWN_CHOICE else 1] += 1
    rows = [
        (z, names.get(z) or z, [tuple(counts[z].get(v, [0, 0])) for v in has]) for z in sorted(counts)
    ]
    totals = [(sum(r[2][i][0] for r in rows), sum(r[2][i][1] for r in rows)) for i in range(len(has))]
    note = (
        "Own choice: clients served by the provider they chose, left out of the zoning limit (a patch may "
        "show more providers than K because of them). Travel limit: clients kept with today's provider "
        "beyond the travel limit per visit (today's provider stays eligible). Neither breaks a rule."
    )
    return Exemptions(has, rows, totals, note if rows else "No client is exempt in any variant.")


def _region_words(key: str | None) -> str:
    """The region's name, with its key: "Argyll and Bute (argyll-bute)"; a user's own region as given."""
    from geodata.regions import REGIONS

    if not key:
        return "not stated"
    return f"{REGIONS[key][2]} ({key})" if key in REGIONS else key


def read_first(run: Run) -> ReadFirst:
    """What a board must know before reading the figures."""
    return ReadFirst(
        data_source=_data_source(run),
        region=_region_words(run.region),
        scenario=run.scenario_name or "not named",
        run_date=run.run_date or "not recorded",
        unconfirmed=unconfirmed(run),
        warnings=run.warnings,
        broken=broken_rules(run),
        approximate_travel=(run.travel_model or "").lower() == "approximate",
        exemptions=exemptions(run),
    )


# ------------------------------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class Setting:
    name: str  # dotted key in kpis.json's assumptions
    label: str
    same: str | None  # the value when every variant has it (shown once)
    cells: tuple[str, ...] = ()  # one per variant when they differ
    raw: str | None = None  # data-value of a number shown once


@dataclass
class Parameters:
    variants: list[str]
    run: list[Setting]  # settings of the whole run
    per_variant: list[Setting]  # the variants' own settings, rows = settings, columns = variants


_SETTING_LABELS = {
    "max_providers_per_zone": "Zoning limit K (most providers per patch)",
    "ranked_shares": "Ranked zoning (each rank's share of a patch's care hours)",
    "share_penalty_gbp_per_hour": "Ranked zoning: £ a week per care hour a week off a rank's share",
    "mode": "Mode",
}


def setting_label(key: str) -> str:
    """A setting's key read aloud (not a KPI's label: ``max_providers_per_zone`` is the limit K here)."""
    if key in _SETTING_LABELS:
        return _SETTING_LABELS[key]
    text = label("setting." + key).removeprefix("Setting · ")
    return text[:1].upper() + text[1:]


def _setting(name: str, key: str, value: object) -> Setting:
    raw = repr(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return Setting(name, setting_label(key), param(name, value), (), raw)


def _setting_text(run: Run, v: str, key: str, values: dict) -> str:
    """One variant's setting as shown; a ranked variant's zoning limit is its number of ranks."""
    if key == "max_providers_per_zone" and values.get(key) is None and (shares := _ranked_shares(run, v)):
        return limit_words(shares)
    return param(key, values[key]) if key in values else "—"


def parameters(run: Run, extra: list[tuple[str, str, str]] = ()) -> Parameters:
    """kpis.json's assumptions as one variant-by-setting table: a value shown once when the same for all.
    ``extra``: (name, label, value text) rows of the whole run the report adds (travel model, ...)."""
    shared = [
        _setting(n, n, v) for n, v in flatten({k: x for k, x in run.assumptions.items() if k != "variants"})
        if n != "scenario_name"
    ]
    shared += [Setting(n, lab, text) for n, lab, text in extra]
    blocks = run.assumptions.get("variants") if isinstance(run.assumptions.get("variants"), dict) else {}
    vs = [v for v in run.variants if isinstance(blocks.get(v), dict)]
    flat = {v: dict(flatten(blocks[v])) for v in vs}
    keys: list[str] = []
    for v in vs:
        keys += [k for k in flat[v] if k not in keys and k != "name"]
    rows = []
    for key in keys:
        name = f"variants.*.{key}"
        texts = [_setting_text(run, v, key, flat[v]) for v in vs]
        if all(key in flat[v] for v in vs) and len({repr(flat[v][key]) for v in vs}) == 1:
            rows.append(_setting(name, key, flat[vs[0]][key]))
        else:
            rows.append(Setting(name, setting_label(key), None, tuple(texts)))
    return Parameters(vs, shared, rows)
