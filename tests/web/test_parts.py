"""The web app's parts on their own: migrations, the run form, the users command, ``serve --demo``."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, inspect

from commissioning.errors import ScenarioError

TABLES = {"users", "login_sessions", "datasets", "runs", "audit_events", "alembic_version"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_build_the_schema_and_run_twice_and_back(request, tmp_path, backend):
    from alembic import command
    from alembic.config import Config

    from commissioning.web.db import MIGRATIONS, connect, sqlite_url

    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else sqlite_url(tmp_path)
    connect(url)
    connect(url)  # a second start finds the schema at head and changes nothing
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_the_form_writes_the_scenario_it_shows(tmp_path):
    from commissioning.web.form import default_values, fields, form_toml, scenario_from_form

    values = default_values() | {
        "v1.work_limit": "0.5",
        "v2.max_providers_per_zone": "1",
        "v2.protect": "P03, P05",
        "money.bed_day_cost_gbp": "300",
        "v2.ferries_out": '["Oban–Craignure"]',
        "v2.prices": "{ P03 = 24.5 }",
        "v2.max_providers_per_zone_by_locality": '{ "Bute and Cowal" = 3 }',
        "workforce.window_hours": "{ morning = 4.0 }",
    }
    text = form_toml(values, tmp_path)
    assert (
        'protect = ["P03", "P05"]' in text
        and "work_limit = 0.5" in text
        and "bed_day_cost_gbp = 300.0" in text
    )
    scenario = scenario_from_form(values, tmp_path)
    assert [v.name for v in scenario.variants] == ["current", "optimised", "zoned"]
    zoned = scenario.variants[2]
    assert zoned.switches["max_providers_per_zone"] == 1 and zoned.switches["protect"] == ("P03", "P05")
    assert scenario.money.bed_day_cost_gbp == 300.0
    assert zoned.whatif.ferries_out == ("Oban–Craignure",) and zoned.whatif.prices == {"P03": 24.5}
    assert zoned.whatif.max_providers_by_locality == {"Bute and Cowal": 3}
    assert scenario.workforce.window_hours["morning"] == 4.0
    assert fields(values)[1][2][-1].name == "v2.ferries_out"  # every what-if key has its field


@pytest.mark.parametrize(
    "change,words",
    [
        (
            {"v2.max_providers_per_zone": "two"},
            "the form, Variant 3: max_providers_per_zone: 'two' is not a whole number",
        ),
        ({"v1.mode": "cheapest"}, "mode"),
        ({"v2.staff_loss": "0.2\nmode = 'current'"}, "Variant 3: staff_loss: "),  # one value, one line
        ({"v2.staff_loss": "{ all = "}, "is not one TOML value"),
        ({"toml": 'data = "/etc"\n[[variants]]\nname = "a"\nmode = "current"\n'}, "remove it"),
    ],
)
def test_a_wrong_field_is_named_with_its_fix(tmp_path, change, words):
    from commissioning.web.form import default_values, scenario_from_form

    with pytest.raises(ScenarioError) as error:
        scenario_from_form(default_values() | change, tmp_path)
    assert words in str(error.value) and "Fix" in str(error.value)


def _users(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "commissioning.cli", "users", *args],
        input=stdin,
        text=True,
        capture_output=True,
    )


def test_the_users_command_makes_resets_and_refuses_in_one_line(tmp_path):
    data = ["--data", str(tmp_path)]
    made = _users(
        "add",
        "ana",
        "--role",
        "provider",
        "--provider",
        "P03",
        *data,
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert made.returncode == 0, made.stderr
    for args, stdin, words in [
        (("add", "ana", "--role", "planner"), "another long passphrase\n", "exists"),
        (("add", "bo", "--role", "planner"), "short\n", "at least 12"),
        (("add", "cy", "--role", "provider"), "a long enough passphrase\n", "needs --provider"),
        (("reset-password", "nobody"), "a long enough passphrase\n", "no user"),
        # regressions: an empty name, spaces around it, a name differing only in case, and a provider id
        # with a slash were taken (the audit log showed ' ghost ' as 'ghost')
        (("add", "", "--role", "planner"), "a long enough passphrase\n", "is empty, has spaces"),
        (("add", " ghost ", "--role", "planner"), "a long enough passphrase\n", "has spaces around it"),
        (("add", "ANA", "--role", "planner"), "a long enough passphrase\n", "user 'ana' exists"),
        (("add", "dee", "--role", "provider", "--provider", "../P03"), "a long enough passphrase\n",
         "the provider id '../P03'"),
        (("add", "ana\u200b", "--role", "planner"), "a long enough passphrase\n", "does not show"),
        (("add", "eve", "--role", "provider", "--provider", "P03#x"), "a long enough passphrase\n",
         "that addresses use"),
    ]:
        refused = _users(*args, *data, "--password-stdin", stdin=stdin)
        assert refused.returncode == 1 and words in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert (
        _users("reset-password", "ana", *data, "--password-stdin", stdin="a new long passphrase\n").returncode
        == 0
    )
    assert "ana\tprovider\tP03" in _users("list", *data).stdout
    wrong_db = _users("list", "--db", "postgresql+psycopg://nobody:x@127.0.0.1:1/none")
    assert wrong_db.returncode == 1 and "Traceback" not in wrong_db.stderr


def test_serve_demo_loads_the_default_and_makes_demo_users_once(tmp_path):
    from sqlalchemy import select

    from commissioning.web.db import Dataset, User, connect, sqlite_url
    from commissioning.web.demo import DEMO_NAME, load_demo

    sessions = connect(sqlite_url(tmp_path))
    said = load_demo(sessions, tmp_path)
    assert sum("password" in line for line in said) == 4
    assert load_demo(sessions, tmp_path) == []  # a second start keeps what is there
    with sessions() as db:
        dataset = db.scalar(select(Dataset).where(Dataset.name == DEMO_NAME))
        assert dataset.errors == 0
        assert {u.provider_id for u in db.scalars(select(User))} == {None, "P03", "P05"}
