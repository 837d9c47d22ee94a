"""Every provider, hub, patch, locality and ferry a sweep's runs name, checked against the data first.

The scenario parser (:func:`commissioning.sweep.plan.build_plan`) checks keys and types only; whether a
name exists needs the dataset. ``commissioning run`` checks names before it solves
(:func:`commissioning.running.run.check_scenario_names`); a sweep does the same for every run's text before
it dispatches any, so a bad ``--vary`` value is one line (exit 2), not one failed run per combination after
the others solved. The data are loaded once: ``--vary`` sets keys of variants, never the data.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from commissioning.errors import CareCommissioningError, ScenarioError
from commissioning.sweep.plan import Plan, PlannedRun, SweepError, toml_value

_KEY_RE = re.compile(r"key 'variants\[(\d+)\]\.([A-Za-z0-9_-]+)")


def check_names(plan: Plan) -> None:
    """Raise :class:`SweepError` (one line naming the ``--vary`` option and its value) at the first run that
    names something the data do not have."""
    from commissioning.running.run import check_scenario_names, pool_member_limit

    scenarios = {}
    for run in plan.runs:  # two combinations with the same text are one run: checked once
        scenarios.setdefault(run.text, (run, _parsed(plan, run)))
    limit = max(pool_member_limit(scenario) for _, scenario in scenarios.values())
    data, travel = _data_of(next(iter(scenarios.values()))[1], limit)
    for run, scenario in scenarios.values():
        try:
            check_scenario_names(scenario, data, travel)
        except ScenarioError as error:
            raise SweepError(_message(plan, run, scenario, error)) from None


def _parsed(plan: Plan, run: PlannedRun):
    from commissioning.scenario.file import parse_scenario

    return parse_scenario(run.text, source=run.source, base=plan.base, path=plan.scenario_path)


def _data_of(scenario, max_pool_members: int) -> tuple:
    """``(dataset, travel model)`` as a run loads them (the run's own ``_prepare_data``; pools of up to
    ``max_pool_members``, the largest the runs allow); a generated dataset is generated in a temporary folder
    (the same seed gives the runs the same data)."""
    from commissioning.inputs.folder import load_dataset
    from commissioning.running.run import _prepare_data
    from commissioning.running.travel import travel_model_for

    try:
        with tempfile.TemporaryDirectory(prefix="sweep-names-") as tmp:
            folder, _ = _prepare_data(scenario, Path(tmp) / "data")
            data = load_dataset(folder, max_pool_members=max_pool_members)
            return data, travel_model_for(data)
    except CareCommissioningError as error:  # every run would fail the same way: say it once
        raise SweepError(" ".join(str(error).split())) from None


def _message(plan: Plan, run: PlannedRun, scenario, error: ScenarioError) -> str:
    """The parser's words without their line (a line of the run's text, not of the file), led by the
    ``--vary`` option whose value it is."""
    text = " ".join(str(error).split())
    start = text.find(": key '")
    detail = text[start + 2:] if start >= 0 else text
    found = _KEY_RE.search(detail)
    values = run.combination.values
    if found and found[2] in values and scenario.variants[int(found[1])].name in plan.variants:
        return f"--vary {found[2]}={toml_value(values[found[2]])} ({run.source}): {detail}"
    return f"{run.source}: {detail}"
