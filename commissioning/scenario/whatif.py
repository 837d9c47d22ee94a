"""What-if keys of a variant: changes to the data the variant is solved on (issue 14, part 1).

:func:`parse_whatif` reads them from a ``[[variants]]`` table into a :class:`WhatIf` (empty: no change);
:func:`commissioning.running.whatif.apply_whatif` applies one to a dataset and its travel. Every mistake is
one :class:`~commissioning.errors.ScenarioError` naming the key, the value and the fix. The keys::

    [[variants]]
    name = "mull_summer"
    mode = "zoned"
    max_providers_per_zone = 2
    staff_loss = 0.2                              # a fifth of every hub's carers; or by place:
    # staff_loss = { all = 0.1, by_provider = { P05 = 0.3 }, by_hub = { H02 = 0.5 },
    #                by_zone = { mull_iona = 0.2 }, by_locality = { "Oban, Lorn and the Isles" = 0.1 } }
    demand_change = { by_zone = { oban = 0.1 } }  # +10 % assessed hours around Oban; or one number
    prices = { P03 = 24.5 }                       # £ per care hour, by provider
    max_providers_per_zone_by_zone = { mull_iona = 1 }
    max_providers_per_zone_by_locality = { "Bute and Cowal" = 3 }
    ferries_out = ["Oban–Craignure"]              # as `commissioning travel` names them, or route ids

Rules (the README's scenario-file table says the same):

* ``staff_loss``: a share from 0 to 1 of the carers of each hub (providers' and shared pools' hubs). Of the
  shares naming a hub the most specific applies: ``by_hub``, then ``by_provider`` (its own hubs; not the
  pools it draws on), ``by_zone`` (the patch the hub lies in), ``by_locality``, then ``all``. Carers kept =
  carers × (1 − share) rounded down, drivers kept = drivers × (1 − share) rounded down, the other kept
  carers do not drive (a loss is never smaller than the share). A provider's overall ``weekly_staff_hours``
  (when set) falls in proportion to the carers its own hubs keep.
* ``demand_change``: a share above −1 and at most 10 by which each client's assessed weekly hours grow
  (negative: shrink), one number or ``all`` / ``by_zone`` / ``by_locality`` (the most specific applies).
  Visits a week stay as they are: each visit is longer or shorter. Hours are rounded to 0.01 h (at least
  0.01, at most 168: a whole week).
* ``prices``: a provider's hourly rate (£ per care hour, above 0 and at most 10,000) in this variant.
* ``max_providers_per_zone_by_zone`` / ``_by_locality``: a zone's own zoning limit K (a whole number ≥ 1),
  over the variant's ``max_providers_per_zone`` (the patch's own beats its locality's); mode "zoned" only.
* ``ferries_out``: ferry routes out of service: travel is recomputed without them (needs the embedded
  road + ferry network); the run says who becomes unreachable and who can still serve them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from commissioning.errors import ScenarioError
from commissioning.inputs.schema import MAX_HOURLY_RATE_GBP

WHATIF_KEYS = (
    "staff_loss",
    "demand_change",
    "prices",
    "max_providers_per_zone_by_zone",
    "max_providers_per_zone_by_locality",
    "ferries_out",
)
STAFF_PLACES = ("by_hub", "by_provider", "by_zone", "by_locality")  # most specific first
DEMAND_PLACES = ("by_zone", "by_locality")
MAX_DEMAND_CHANGE = 10.0
MAX_RATE_GBP = float(MAX_HOURLY_RATE_GBP)
MAX_WEEKLY_HOURS = 168.0  # clients.csv's bound on weekly_hours: a changed demand is held there

Fail = Callable[[str, str, str], Any]


def default_fail(key: str, message: str, fix: str):
    """Raise the one error naming the key, what is wrong and the fix (without file and line)."""
    raise ScenarioError(f"key '{key}': {message}. Fix: {fix}")


@dataclass(frozen=True)
class Shares:
    """A share overall (``all``, None: none) and by place (id → share); the most specific applies."""

    all: float | None = None
    by_hub: dict[str, float] = field(default_factory=dict)
    by_provider: dict[str, float] = field(default_factory=dict)
    by_zone: dict[str, float] = field(default_factory=dict)
    by_locality: dict[str, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.all is not None or any(getattr(self, place) for place in STAFF_PLACES)

    def share(self, *, hub: str = "", provider: str = "", zone: str = "", locality: str = "") -> float:
        """The share that applies to a thing at these places (0 when none names it)."""
        for place, key in zip(STAFF_PLACES, (hub, provider, zone, locality), strict=True):
            table = getattr(self, place)
            if key and key in table:
                return table[key]
        return 0.0 if self.all is None else self.all

    def shown(self) -> Any:
        """As the report's parameters show it: one number, or the table as written."""
        places = {place: dict(getattr(self, place)) for place in STAFF_PLACES if getattr(self, place)}
        if not places:
            return self.all
        return {**({"all": self.all} if self.all is not None else {}), **places}


@dataclass(frozen=True)
class WhatIf:
    """A variant's changes to the data (empty: none). ``where``: the variant's key (``variants[2]``), for
    messages once the data are known."""

    staff_loss: Shares = field(default_factory=Shares)
    demand_change: Shares = field(default_factory=Shares)
    prices: dict[str, float] = field(default_factory=dict)
    max_providers_by_zone: dict[str, int] = field(default_factory=dict)
    max_providers_by_locality: dict[str, int] = field(default_factory=dict)
    ferries_out: tuple[str, ...] = ()
    where: str = ""

    def __bool__(self) -> bool:
        return bool(self.staff_loss or self.demand_change or self.prices or self.zone_limits
                    or self.ferries_out)

    @property
    def zone_limits(self) -> bool:
        return bool(self.max_providers_by_zone or self.max_providers_by_locality)

    def key(self, name: str) -> str:
        """The full key of one of the variant's what-if keys, for a message."""
        return f"{self.where}.{name}" if self.where else name

    def as_dict(self) -> dict[str, Any]:
        """The keys the variant sets, as the report's parameters show them."""
        out: dict[str, Any] = {}
        if self.staff_loss:
            out["staff_loss"] = self.staff_loss.shown()
        if self.demand_change:
            out["demand_change"] = self.demand_change.shown()
        if self.prices:
            out["prices"] = dict(self.prices)
        if self.max_providers_by_zone:
            out["max_providers_per_zone_by_zone"] = dict(self.max_providers_by_zone)
        if self.max_providers_by_locality:
            out["max_providers_per_zone_by_locality"] = dict(self.max_providers_by_locality)
        if self.ferries_out:
            out["ferries_out"] = list(self.ferries_out)
        return out


def parse_whatif(variant_table: dict, where: str, fail: Fail | None = None) -> WhatIf:
    """The what-if keys of one ``[[variants]]`` table (other keys are left to the caller).

    ``where``: the variant's key, e.g. ``variants[2]``; ``fail(key, message, fix)`` raises (default: a
    :class:`ScenarioError` naming the key; the scenario file passes its own, which adds file and line).
    """
    fail = fail or default_fail
    prefix = f"{where}." if where else ""
    v = variant_table
    mode = v.get("mode")
    for name in ("max_providers_per_zone_by_zone", "max_providers_per_zone_by_locality"):
        if name in v and mode != "zoned":
            fail(f"{prefix}{name}", f'has no effect in mode "{mode}" (a zone\'s own zoning limit)',
                 'use mode = "zoned" with max_providers_per_zone, or remove the key')
    return WhatIf(
        staff_loss=_shares(v, "staff_loss", prefix, fail, STAFF_PLACES, _staff_share),
        demand_change=_shares(v, "demand_change", prefix, fail, DEMAND_PLACES, _demand_share),
        prices=_table(v, "prices", prefix, fail, _rate, "provider id"),
        max_providers_by_zone=_table(v, "max_providers_per_zone_by_zone", prefix, fail, _limit, "zone id"),
        max_providers_by_locality=_table(v, "max_providers_per_zone_by_locality", prefix, fail, _limit,
                                         "locality name"),
        ferries_out=_ferries(v, prefix, fail),
        where=where,
    )


def _staff_share(value: Any) -> tuple[float | None, str]:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and 0.0 <= value <= 1.0
    return (float(value) if ok else None), "a share of carers from 0 to 1 (0.2 = a fifth)"


def _demand_share(value: Any) -> tuple[float | None, str]:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and -1.0 < value <= MAX_DEMAND_CHANGE
    text = f"a change above -1 and at most {MAX_DEMAND_CHANGE:g} (0.1 = a tenth more hours, -0.1 = less)"
    return (float(value) if ok else None), text


def _rate(value: Any) -> tuple[float | None, str]:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and 0.0 < value <= MAX_RATE_GBP
    return (float(value) if ok else None), f"£ per care hour above 0 and at most {MAX_RATE_GBP:,.0f}"


def _limit(value: Any) -> tuple[int | None, str]:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000
    return (value if ok else None), "a whole number of providers from 1 to 1000"


def _checked(value: Any, check, key: str, fail: Fail):
    checked, text = check(value)
    if checked is None:
        fail(key, f"got {value!r}, expected {text}", f"write {key} as {text}")
    return checked


def _table(v: dict, name: str, prefix: str, fail: Fail, check, what: str) -> dict:
    if name not in v:
        return {}
    table, key = v[name], f"{prefix}{name}"
    example = check(None)[1]
    if not isinstance(table, dict) or not table:
        fail(key, f"got {table!r}, expected a table of {what} → {example}",
             f'write it as {name} = {{ "<{what}>" = ... }}')
    return {str(k): _checked(value, check, f"{key}.{k}", fail) for k, value in table.items()}


def _shares(v: dict, name: str, prefix: str, fail: Fail, places: tuple[str, ...], check) -> Shares:
    if name not in v:
        return Shares()
    value, key = v[name], f"{prefix}{name}"
    if not isinstance(value, dict):
        return Shares(all=_checked(value, check, key, fail))
    allowed = ("all", *places)
    for sub, entry in value.items():
        if sub not in allowed:
            first = "by_provider" if "by_provider" in places else places[0]
            others = ", ".join(p for p in places if p != first)
            fail(f"{key}.{sub}", f"got {sub} = {entry!r}: a share is given as all = ... or by place",
                 f"write {name}.{first} = {{ {sub} = {entry!r} }} (or {others} for a "
                 f"{' or '.join(p[3:] for p in places if p != first)}), or {name} = {{ all = ... }}")
        if sub != "all" and (not isinstance(entry, dict) or not entry):
            fail(f"{key}.{sub}", f"got {entry!r}, expected a table of ids → shares",
                 f'write {name}.{sub} = {{ "<id>" = 0.2 }}')
    if not value:
        fail(key, "an empty table changes nothing", f"give a share, e.g. {name} = 0.1, or remove the key")
    out = {p: {str(k): _checked(s, check, f"{key}.{p}.{k}", fail) for k, s in value.get(p, {}).items()}
           for p in places}
    overall = _checked(value["all"], check, f"{key}.all", fail) if "all" in value else None
    return Shares(all=overall, **out)


def _ferries(v: dict, prefix: str, fail: Fail) -> tuple[str, ...]:
    if "ferries_out" not in v:
        return ()
    value, key = v["ferries_out"], f"{prefix}ferries_out"
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and s.strip() for s in value):
        fail(key, f"got {value!r}, expected a list of ferry routes",
             'write ferries_out = ["Oban–Craignure"] (names as `commissioning travel` shows them)')
    return tuple(dict.fromkeys(s.strip() for s in value))
