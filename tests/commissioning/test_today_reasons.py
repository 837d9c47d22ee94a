"""Why a client served today is unmet in the current variant: the skill its provider lacks, not "reach"."""

from __future__ import annotations

import json
import textwrap

import pandas as pd

from commissioning.running.run import run_scenario
from commissioning.scenario.file import parse_scenario
from tests.commissioning.helpers import copy_valid, set_cell


def test_a_client_whose_provider_today_lacks_a_skill_is_unmet_today_for_that_skill(tmp_path):
    # Regression (a tester's run): a client whose provider today lists no palliative skill read "today's
    # provider P14 cannot reach the client in every time band under the travel model: no route", and the
    # run's warning about clients today's allocation cannot serve left it out.
    data = copy_valid(tmp_path)
    set_cell(data, "clients.csv", 2, "needs", "personal_care;medication;palliative")  # C001, with P01
    scenario = parse_scenario(textwrap.dedent(f"""\
        data = "{data.as_posix()}"
        [[variants]]
        name = "current"
        mode = "current"
    """), base=tmp_path)
    out = tmp_path / "out"
    run_scenario(scenario, out, quiet=True, routing=False)
    frame = pd.read_csv(out / "current" / "allocation.csv", dtype=str, keep_default_na=False)
    row = frame.set_index("client_id").loc["C001"]
    assert row["status"] == "unmet"
    assert row["reason"] == "today's provider P01 lacks skills the package needs (palliative)"
    warnings = json.loads((out / "kpis.json").read_text())["warnings"]
    said = [w for w in warnings if "C001" in w]
    assert len(said) == 1 and "skills their provider does not list" in said[0] and "reach" not in said[0]

