"""The exceptions of the map layer. ``maps`` imports nothing from the product above it, so it raises its
own errors; the CLI turns every :class:`MapError` into one line for the user."""

from __future__ import annotations


class MapError(Exception):
    """Base class of every error the map layer raises on purpose (e.g. nothing to draw, unknown provider)."""
