"""Each role sees what it may, on a finished, published run (a real ``commissioning run`` child process):
providers only their own view, by any URL or API call; planners read every run but change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from commissioning.web.db import AuditEvent
from tests.web.helpers import csrf_of, log_in


@pytest.fixture
def client_of(finished):
    app, _ = finished
    clients = []

    def make(name: str) -> TestClient:
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        assert log_in(client, name).status_code == 303
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_the_commissioner_reads_the_report_workbook_and_every_provider(finished, client_of):
    _, run_id = finished
    comm = client_of("comm")
    page = comm.get(f"/runs/{run_id}")
    assert page.status_code == 200 and "published to providers" in page.text and 'id="kpis"' in page.text
    # Regression: the key figures were kpis.csv's raw floats (515846.754476) where the report says £515,847
    kpis = page.text.split('id="kpis"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"<td>£\d{1,3}(,\d{3})+</td>", kpis) and not re.search(r"\d\.\d{4,}", kpis)
    report = comm.get(f"/runs/{run_id}/out/report.html")
    assert report.status_code == 200 and "<html" in report.text.lower()
    workbook = comm.get(f"/runs/{run_id}/out/workbook.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert "attachment" in workbook.headers["content-disposition"]
    assert comm.get(f"/runs/{run_id}/download").content[:2] == b"PK"
    assert comm.get(f"/runs/{run_id}/out/../scenario.toml").status_code == 404  # outside the output folder
    assert comm.get(f"/runs/{run_id}/out/%2e%2e/scenario.toml").status_code == 404
    assert comm.get(f"/runs/{run_id}/providers/P05").status_code == 200


def test_a_provider_sees_only_its_own_view(finished, client_of):
    _, run_id = finished
    p03 = client_of("p03")
    figures = p03.get(f"/runs/{run_id}/providers/P03").text.split('id="figures"', 1)[1].split("</table>")[0]
    assert "<td>£" in figures and not re.search(r"\d\.\d{4,}", figures)  # as the report writes figures
    # Regression (a tester): "325 → 336, change 10.5": each cell chose its own decimals, so the hours and
    # their change did not add up as shown; the hours columns now have one decimal each.
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td>"
                      r"<td>([^<]*)</td>", figures)
    assert rows and all(re.fullmatch(r"[−+]?[\d,]+\.\d", cell) for row in rows for cell in row[:2]), rows
    assert all(re.fullmatch(r"[−+]?[\d,]+\.\d|—", row[2]) for row in rows), rows
    home = p03.get("/")
    assert f"/runs/{run_id}/providers/P03" in home.text and "P05" not in home.text
    own = p03.get(f"/runs/{run_id}/providers/P03")
    assert own.status_code == 200 and 'id="figures"' in own.text
    own_map = p03.get(f"/runs/{run_id}/providers/P03/map")
    assert own_map.status_code == 200 and "P03" in own_map.text
    api = p03.get(f"/api/runs/{run_id}/providers/P03").json()
    assert {row["provider_id"] for row in api["variants"]} == {"P03"}


@pytest.mark.parametrize(
    "path",
    [
        "/runs/{run}/providers/P03",
        "/runs/{run}/providers/P03/map",
        "/api/runs/{run}/providers/P03",
        "/runs/{run}",
        "/runs/{run}/out/report.html",
        "/runs/{run}/out/P03/allocation.csv",
        "/runs/{run}/download",
        "/api/runs/{run}",
        "/compare?a={run}&b={run}",
        "/datasets/1",
        "/audit",
        "/runs/{run}/providers/P99",
        "/runs/999/providers/P05",
        "/runs/9223372036854775808/providers/P05",  # regression: a 500 (SQLite's OverflowError), unaudited
    ],
)
def test_p05_changing_an_id_gets_403_or_404_and_the_attempt_is_in_the_audit_log(finished, client_of, path):
    app, run_id = finished
    p05 = client_of("p05")
    url = path.format(run=run_id)
    response = p05.get(url, follow_redirects=False)
    assert response.status_code in (403, 404), (url, response.status_code)
    assert "P03" not in response.text
    with app.state.sessions() as db:
        last = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.user_name, last.outcome) == ("p05", "denied"), (last.action, last.target)


def test_a_planner_reads_and_compares_but_cannot_publish(finished, client_of):
    app, run_id = finished
    plan = client_of("plan")
    assert plan.get(f"/runs/{run_id}").status_code == 200
    same, fewer = _copied_run(app, run_id), _copied_run(app, run_id, drop_clients=5)
    try:
        compared = plan.get(f"/compare?a={run_id}&b={same}")
        assert compared.status_code == 200 and 'id="comparison"' in compared.text
        # Regressions: the page opened with one run chosen twice (a table of one run against itself); runs of
        # different clients were put side by side, which `commissioning compare` refuses; a failed or unknown
        # run gave an empty page with no word.
        opened = plan.get("/compare").text
        assert f'<option value="{fewer}" selected' in opened and f'<option value="{same}" selected' in opened
        # Regression: run B's changes against today were against its own today, not run A's, as
        # `commissioning compare` counts them. B's today here costs £1,000 more, its own changes £1,000 less.
        other = _copied_run(app, run_id, cost_today_up_gbp=1000.0)
        try:
            page = plan.get(f"/compare?a={run_id}&b={other}").text
            table = page.split('id="comparison"')[1]
        finally:
            _forget_runs(app, other)
        row = next(r for r in table.split("<tr>") if "<td>cost_per_week_change_vs_current_gbp</td>" in r)
        cells = re.findall(r"<td>([^<]*)</td>", row)  # kpi, unit, family, each run's variants, description
        assert cells[4:6] == cells[7:9] and cells[6] == "£1,000" and f"against run {run_id}" in page, cells
        # Regression: each run had its own description column (run b's figures were off a 1,280-px screen,
        # right of run a's long descriptions) and the rows were sorted by name, not as on the run page
        head = re.findall(r"<th>([^<]*)</th>", table.split("</tr>")[0])
        assert head[:3] == ["kpi", "unit", "family"] and head[-1] == "description", head
        assert head.count("description") == 1 and not [h for h in head if h.endswith((": description",
                                                                                         ": level"))], head
        shown = re.findall(r"<tr><td>([^<]*)</td>", table.split("</table>")[0])
        run_page = plan.get(f"/runs/{run_id}").text.split('id="kpis"')[1].split("</table>")[0]
        assert shown == re.findall(r"<tr><td>([^<]*)</td>", run_page), shown[:8]
        for url, words in [(f"/compare?a={run_id}&b={run_id}", "Choose two different runs"),
                           (f"/compare?a={run_id}&b={fewer}", "not have the same clients: 5 client(s) only"),
                           (f"/compare?a={run_id}&b=999", "Choose two finished runs")]:
            page = plan.get(url)
            assert page.status_code == 200 and words in page.text and 'id="comparison"' not in page.text, url
    finally:
        _forget_runs(app, same, fewer)
    csrf = csrf_of(plan.get("/").text)
    refused = plan.post(
        f"/runs/{run_id}/publish", data={"csrf_token": csrf, "publish": "no"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert "published to providers" in plan.get(f"/runs/{run_id}").text


def _copied_run(app, run_id: int, drop_clients: int = 0, cost_today_up_gbp: float = 0.0) -> int:
    """A second finished run (unpublished): a copy of run ``run_id``'s folder, its first ``drop_clients``
    clients taken out of its inputs (a run of other clients), its today's cost ``cost_today_up_gbp`` higher
    (and its changes against today as much lower)."""
    import shutil
    from pathlib import Path

    import pandas as pd

    from commissioning.web.db import Run

    with app.state.sessions() as db:
        run = db.get(Run, run_id)
        folder = Path(run.folder).with_name(f"{Path(run.folder).name}-{drop_clients}-{cost_today_up_gbp:g}")
        shutil.copytree(run.folder, folder)
        clients = folder / "out" / "inputs" / "clients.csv"
        pd.read_csv(clients, dtype=str).iloc[drop_clients:].to_csv(clients, index=False)
        kpis = pd.read_csv(folder / "out" / "kpis.csv", dtype=str, keep_default_na=False)
        cost = kpis["kpi"] == "cost_per_week_gbp"
        change = kpis["kpi"] == "cost_per_week_change_vs_current_gbp"
        kpis.loc[cost, "current"] = str(float(kpis.loc[cost, "current"].iloc[0]) + cost_today_up_gbp)
        for variant in ("optimised", "zoned"):
            kpis.loc[change, variant] = str(float(kpis.loc[change, variant].iloc[0]) - cost_today_up_gbp)
        kpis.to_csv(folder / "out" / "kpis.csv", index=False)
        copy = Run(name=f"copy of {run.name}", dataset_id=run.dataset_id, scenario_toml=run.scenario_toml,
                   folder=str(folder), status="done", message="", variants=run.variants,
                   started_by="comm", published=False)
        db.add(copy)
        db.commit()
        return copy.id


def _forget_runs(app, *run_ids: int) -> None:
    from commissioning.web.db import Run

    with app.state.sessions() as db:
        for run_id in run_ids:
            db.delete(db.get(Run, run_id))
        db.commit()


def test_a_provider_of_another_dataset_is_not_shown_runs_it_is_not_part_of(finished, client_of):
    """Regression: a provider user whose id a published run lacks saw that run's name on its home page (and a
    404 on clicking it): other datasets' run names. Its list holds only the runs it can open."""
    from commissioning.web import accounts
    from tests.web.helpers import PASSWORD

    app, run_id = finished
    with app.state.sessions() as db:
        if not any(u.name == "px16" for u in db.scalars(select(accounts.User))):
            accounts.add_user(db, "px16", "provider", PASSWORD, "PX16")
    home = client_of("px16").get("/")
    assert home.status_code == 200 and f"/runs/{run_id}/" not in home.text
    assert "quick run" not in home.text and "No published run includes PX16 yet" in home.text
    assert f"/runs/{run_id}/providers/P03" in client_of("p03").get("/").text


def test_every_route_serving_the_scenario_file_hides_the_server_path(finished, client_of):
    """Regression: /runs/N/out/scenario.toml showed `data = "/tmp/.../datasets/1"` (the app's folder); the
    .zip rewrote that line. Both serve the same portable file now."""
    import io
    import zipfile

    app, run_id = finished
    comm = client_of("comm")
    direct = comm.get(f"/runs/{run_id}/out/scenario.toml")
    assert direct.status_code == 200 and 'data = "inputs"' in direct.text, direct.text[:300]
    assert str(app.state.data_dir) not in direct.text and "datasets/" not in direct.text
    with zipfile.ZipFile(io.BytesIO(comm.get(f"/runs/{run_id}/download").content)) as archive:
        assert archive.read(f"run-{run_id}/scenario.toml").decode() == direct.text
