"""The exceptions of the geography layer: unknown regions and places, bad coordinates, no journey.

``geodata`` imports nothing from the layers above it, so it raises its own errors; the CLI turns every
:class:`GeodataError` into one line for the user.
"""

from __future__ import annotations


class GeodataError(Exception):
    """Base class of every error the geography layer raises on purpose."""


class RegionError(GeodataError):
    """An unknown region name or a broken embedded region."""


class UnknownPlaceError(GeodataError):
    """A place name that the region does not know; the message lists the nearest names."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = list(suggestions)
        hint = ", ".join(self.suggestions) if self.suggestions else "none"
        super().__init__(
            f"unknown place {name!r}. Nearest names: {hint}. "
            "Give a place name from the region or coordinates as 'lat,lon' (e.g. '56.415,-5.472')."
        )


class CoordinatesError(GeodataError):
    """Coordinates out of range, far outside the region, or in the sea."""


class UnreachableError(GeodataError):
    """No journey exists at the asked time (e.g. the only ferry is not sailing)."""

    def __init__(self, message: str, reason: str):
        self.reason = reason
        super().__init__(message)
