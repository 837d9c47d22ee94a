"""The solver layer's own exceptions (it imports nothing above it; the CLI makes them one-line messages)."""

from __future__ import annotations


class SolverError(Exception):
    """Base class of every error the solver raises on purpose."""


class DataError(SolverError, ValueError):
    """An array or parameter handed to the solver core is malformed (shape, range, NaN, bad index)."""
