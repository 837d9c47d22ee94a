"""The words the product understands, declared once: in the dataset folder, the generator and the outputs.

Time bands are the travel model's (:mod:`geodata.timebands`: ``TIME_BANDS`` maps each name to its clock
times, ``BAND_NAMES`` is their order); they are re-exported here, never redefined. The order of every tuple
below is part of the contract: needs become bits in that order, and the generator draws in that order.
"""

from __future__ import annotations

from geodata.timebands import BAND_NAMES

__all__ = [
    "BAND_NAMES",
    "FUNDERS",
    "LIST_SEPARATOR",
    "NEEDS",
    "NO_WORDS",
    "PROVIDER_KINDS",
    "TRAVEL_MODELS",
    "YES_WORDS",
]

NEEDS: tuple[str, ...] = (
    "personal_care",
    "medication",
    "dementia",
    "palliative",
    "moving_handling",
    "meal_prep",
    "social",
)
FUNDERS: tuple[str, ...] = ("council", "nhs")
PROVIDER_KINDS: tuple[str, ...] = ("national", "independent", "third_sector", "in_house")
TRAVEL_MODELS: tuple[str, ...] = ("network", "approximate")

YES_WORDS: tuple[str, ...] = ("yes", "true", "1")
NO_WORDS: tuple[str, ...] = ("no", "false", "0")

LIST_SEPARATOR = ";"  # between the items of a list cell, e.g. "morning;bed"
