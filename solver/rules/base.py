"""What every constraint family owns, in one place: :class:`Rule`.

A rule is one module of :mod:`solver.rules`. It declares the commissioner's switches (``params``, fields of
:class:`~solver.data.Switches`) and the data (``data``, fields of :class:`~solver.data.ProblemData`)
it owns, and implements every piece the core needs:

* :meth:`Rule.add` — its CP-SAT variables and constraints, returning its objective terms (pence);
* :meth:`Rule.lp` — the same in the LP relaxation (:class:`solver.lp.LpModel`), for the LP start and bound;
* :meth:`Rule.hint` — the values of its own variables for a complete solution hint from an assignment;
* :meth:`Rule.check` — an independent check of any assignment (:class:`solver.validate.Check`), as
  sentences that start with the rule's name;
* :meth:`Rule.precheck` — arithmetic that shows, before solving, that the rule cannot hold, in commissioner
  words with the figures (diagnosis); ``words`` says what the rule asks, for the conflict diagnosis;
* :meth:`Rule.admits` — whether a heuristic may place a client with a pair (:class:`solver.placement
  .Placement`: the greedy fall-back and the LP rounding), with :meth:`Rule.start` and :meth:`Rule.place` for
  the state it keeps.

A piece that has nothing to do for a rule is still written in the rule, saying why (``ALWAYS`` for
:meth:`admits`), so that forgetting a piece is an error the registry test catches, not a silent slowdown.
"""

from __future__ import annotations

from typing import Any


def ALWAYS(pl, i: int, k: int) -> bool:  # noqa: N802 - a named constant, used as ``admits = ALWAYS``
    """``admits`` of a rule that never stops a placement (the reason is written beside it in the rule)."""
    return True


class Rule:
    """One constraint family. Subclasses set the attributes and define every method (see the module doc)."""

    name: str = ""
    words: str = ""  # what the rule asks, in commissioner words ("" when it can never conflict)
    params: tuple[str, ...] = ()
    data: tuple[str, ...] = ()

    def add(self, am) -> dict[str, Any]:
        raise NotImplementedError

    def lp(self, lpm) -> None:
        raise NotImplementedError

    def hint(self, am, choice) -> None:
        raise NotImplementedError

    def check(self, view) -> list[str]:
        raise NotImplementedError

    def precheck(self, data, switches) -> list[str]:
        raise NotImplementedError

    def admits(self, pl, i: int, k: int) -> bool:
        raise NotImplementedError

    def start(self, pl) -> bool:
        """Set up this rule's placement state; return whether its :meth:`admits` takes part at all."""
        return type(self).admits is not ALWAYS

    def place(self, pl, i: int, k: int, sign: int) -> None:
        """Book (``sign`` = 1) or unbook (-1) client ``i`` on pair ``k`` in this rule's placement state."""
