"""The constraint families, one module each, in the order the model is built (see :mod:`solver.rules.base`
for what a rule owns). To add a rule: write ``solver/rules/<name>.py`` with a :class:`Rule` subclass, add it
to :data:`RULES`, give its switches a field of :class:`solver.data.Switches` (with a ``doc``), and
write its hand-computed case in ``tests/solver/test_families.py`` (``@covers("<name>")``)."""

from __future__ import annotations

from solver.rules.assignment import Assignment
from solver.rules.band_hours import BandHours
from solver.rules.base import ALWAYS, Rule
from solver.rules.capacity import Capacity
from solver.rules.continuity import Continuity
from solver.rules.costs import Costs
from solver.rules.drivers import Drivers
from solver.rules.eligibility import Eligibility
from solver.rules.hub_hours import HubHours
from solver.rules.loss_band import LossBand
from solver.rules.max_weekly import MaxWeekly
from solver.rules.min_viable import MinViable
from solver.rules.pinned import Pinned
from solver.rules.pools import Pools
from solver.rules.protected import Protected
from solver.rules.ranked_zoning import RankedZoning
from solver.rules.recruitment import Recruitment
from solver.rules.zone_locks import ZoneLocks
from solver.rules.zoning import Zoning

# Order matters: eligibility makes the pair variables every other rule uses, and pools take away those from
# a pool's hub when pools are off, before anyone uses them; recruitment makes the recruits the hub rules
# count, and hub_hours sets up the hub state band_hours and drivers read in a placement. The objective's
# terms come in this order (unmet, care, travel, recruitment, moves, and shares with ranked zoning).
RULES: tuple[Rule, ...] = (
    Eligibility(),
    Pools(),
    Assignment(),
    Costs(),
    Recruitment(),
    Capacity(),
    HubHours(),
    BandHours(),
    Drivers(),
    Zoning(),
    RankedZoning(),
    ZoneLocks(),
    Pinned(),
    Protected(),
    Continuity(),
    MaxWeekly(),
    MinViable(),
    LossBand(),
)
RULE_BY_NAME = {rule.name: rule for rule in RULES}

__all__ = ["ALWAYS", "RULES", "RULE_BY_NAME", "Rule"]
