"""Care visit time bands and ``HH:MM`` clock times.

Times are whole minutes after midnight (``int``). Each band has a *representative* time, used by the
travel model to decide which ferries are sailing for that band, and a window (start, end) within which
the band's visits happen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class TimeBand:
    name: str
    minutes: int  # representative time, minutes after midnight
    start_minutes: int  # window start
    end_minutes: int  # window end

    @property
    def hhmm(self) -> str:
        return format_hhmm(self.minutes)

    def contains(self, minutes: float) -> bool:
        return self.start_minutes <= minutes <= self.end_minutes


# Representative times are the README's; windows are wide enough for a typical run in that band.
TIME_BANDS: dict[str, TimeBand] = {
    "morning": TimeBand("morning", 8 * 60, 7 * 60, 10 * 60 + 30),
    "lunch": TimeBand("lunch", 12 * 60 + 30, 11 * 60 + 30, 14 * 60),
    "tea": TimeBand("tea", 17 * 60, 16 * 60, 18 * 60 + 30),
    "bed": TimeBand("bed", 21 * 60, 19 * 60 + 30, 22 * 60 + 30),
}
BAND_NAMES: tuple[str, ...] = tuple(TIME_BANDS)

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_hhmm(text: str) -> int:
    """``"07:05"`` → 425. Raises ``ValueError`` naming the bad value and the expected form."""
    match = _HHMM.match(str(text))
    if not match:
        raise ValueError(f"time {text!r} is not a clock time: write it as HH:MM, e.g. '07:30' or '21:00'")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise ValueError(f"time {text!r} is out of range: hours must be 00-23 and minutes 00-59")
    return hours * 60 + minutes


def format_hhmm(minutes: float) -> str:
    """425 → ``"07:05"``. Times past midnight wrap (a journey ending at 24:30 shows ``00:30``)."""
    whole = int(round(minutes)) % MINUTES_PER_DAY
    return f"{whole // 60:02d}:{whole % 60:02d}"


def get_band(name: str) -> TimeBand:
    """The band called ``name`` (case-insensitive); ``ValueError`` listing the known bands otherwise."""
    band = TIME_BANDS.get(str(name).strip().lower())
    if band is None:
        raise ValueError(f"unknown time band {name!r}: use one of {', '.join(BAND_NAMES)}")
    return band
