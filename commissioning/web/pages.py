"""The pages: what each role sees and does (routes in :mod:`commissioning.web.app`)."""

from __future__ import annotations

import io
import json
import mimetypes
import re
import secrets
import shutil
import zipfile
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from commissioning.errors import CareCommissioningError
from commissioning.web import accounts, jobs, register, uploads
from commissioning.web import form as run_form
from commissioning.web.db import AuditEvent, Dataset, Run, User
from commissioning.web.guard import (
    FORM_OVERHEAD_BYTES,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    audit,
    deny,
    form,
    page,
    render,
    too_large,
)

EVERYONE = ("commissioner", "provider", "planner")
DELETED = "deleted"  # a deleted run keeps its row (its id is never given again: the audit log names it)
READERS = ("commissioner", "planner")  # planners read every run; only commissioners change anything
MIN_COUNT = 3  # provider views hide 1 km squares with fewer clients (as `commissioning map`)


# ------------------------------------------------------------------------------------------------ log-in


async def login_page(request: Request) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", csrf=token, message="")
    _cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login(request: Request) -> Response:
    if too_large(request, FORM_OVERHEAD_BYTES):
        return Response("The form is too large.", status_code=413)
    data = await request.form(max_files=0, max_fields=10, max_part_size=4096)
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not token or not secrets.compare_digest(str(data.get("csrf_token", "")), token):
        audit(request, None, "log in", str(data.get("name", ""))[:80], "denied")
        return render(
            request, "login.html", status_code=403, csrf=token, message="The form expired: try again."
        )
    name, password = str(data.get("name", ""))[:80], str(data.get("password", ""))[:1024]
    if not request.app.state.limiter.allow(request.client.host if request.client else ""):
        audit(request, None, "log in", name, "denied")
        return render(
            request, "login.html", status_code=429, csrf=token, message="Too many attempts: wait a minute."
        )
    with request.app.state.sessions() as db:
        user, why = accounts.authenticate(db, name, password)
        if user is None:
            audit(request, None, "log in", name, "denied")
            return render(request, "login.html", status_code=401, csrf=token, message=why)
        session_token, _ = accounts.open_session(db, user)
    audit(request, user, "log in", name)
    response = RedirectResponse("/", status_code=303)
    _cookie(request, response, SESSION_COOKIE, session_token, max_age=accounts.SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    secure = request.app.state.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )


@form(*EVERYONE)
async def logout(request: Request, user: User, data) -> Response:
    with request.app.state.sessions() as db:
        accounts.close_session(db, request.cookies.get(SESSION_COOKIE))
    audit(request, user, "log out")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ------------------------------------------------------------------------------------------------ home


@page(*EVERYONE)
async def home(request: Request, user: User) -> Response:
    with request.app.state.sessions() as db:
        runs = [r for r in db.scalars(select(Run).order_by(Run.id.desc())) if r.status != DELETED]
        datasets = [d for d in db.scalars(select(Dataset).order_by(Dataset.id.desc())) if d.folder]
    if user.role == "provider":  # only the runs it can open: published, done, and with its provider id
        runs = [r for r in runs
                if r.published and r.status == "done" and user.provider_id in _provider_ids(r)]
        datasets = []
    return render(request, "home.html", runs=runs, datasets=datasets)


# ------------------------------------------------------------------------------------------------ datasets


@page("commissioner")
async def dataset_new(request: Request, user: User) -> Response:
    return render(request, "dataset_new.html", message="", limits=_limits())


def _limits() -> dict:
    return {
        "mb": uploads.MAX_UPLOAD_BYTES // 2**20,
        "files": uploads.MAX_FILES,
        "expanded_mb": uploads.MAX_EXPANDED_BYTES // 2**20,
    }


@form("commissioner", max_files=uploads.MAX_FILES, max_bytes=uploads.MAX_UPLOAD_BYTES)
async def dataset_upload(request: Request, user: User, data) -> Response:
    sent = [u for u in data.getlist("files") if hasattr(u, "filename") and u.filename]
    items = [
        uploads.Upload(
            Path(u.filename).name if not u.filename.lower().endswith(".zip") else u.filename, await u.read()
        )
        for u in sent
    ]
    typed = str(data.get("name", "")).strip()[:200]  # shown again in the form when the upload is refused
    name = typed or (sent[0].filename if sent else "dataset")
    state = request.app.state
    with state.sessions() as db:
        dataset = Dataset(name=name, folder="", uploaded_by=user.name, errors=0, findings_json="[]")
        db.add(dataset)
        db.flush()
        folder = state.data_dir / "datasets" / str(dataset.id)
        try:
            await run_in_threadpool(uploads.save_dataset, items, folder)
        except uploads.UploadRefused as error:
            db.rollback()
            audit(request, user, "upload dataset", f"{name}: {error}", "denied")
            return render(request, "dataset_new.html", status_code=400, message=str(error), limits=_limits(),
                          name=typed)
        dataset.folder = str(folder)
        dataset.errors, dataset.findings_json = await run_in_threadpool(check, folder, usable(db, dataset.id))
        db.commit()
        dataset_id = dataset.id
    audit(request, user, "upload dataset", f"dataset {dataset_id}")
    return RedirectResponse(f"/datasets/{dataset_id}", status_code=303)


def usable(db, but: int | None = None) -> list[tuple[str, Path]]:
    """The datasets runs may use (no errors), as (label, folder), but the one being checked."""
    found = db.scalars(select(Dataset).where(Dataset.errors == 0).order_by(Dataset.id))
    return [(f"dataset {d.id} ('{d.name}')", Path(d.folder)) for d in found if d.id != but and d.folder]


def check(folder: Path, others: list[tuple[str, Path]] = ()) -> tuple[int, str]:
    """``commissioning validate``'s findings, then the app's own: a provider id that names another
    organisation in one of ``others`` (:mod:`commissioning.web.register`). (errors, the problems as JSON)"""
    from commissioning.inputs.folder import check_dataset

    result = check_dataset(folder)
    found = result.problems + ([] if result.totals["error"] else register.clashes(folder, list(others)))
    problems = [_without_folder(p.as_dict(), folder) for p in found]
    return sum(p["severity"] == "error" for p in problems), json.dumps(problems)


def _without_folder(problem: dict, folder: Path) -> dict:
    """A finding in the uploader's words: the app's folder of the upload (a server path, which the user
    never saw and cannot add files to) is "the upload", and a missing file is uploaded again with it."""
    text = {key: value.replace(f"to {folder}", "to the upload, then upload the dataset again")
            .replace(str(folder) + "/", "").replace(str(folder), "the upload")
            if isinstance(value, str) else value for key, value in problem.items()}
    return text


@page(*READERS)
async def dataset_view(request: Request, user: User) -> Response:
    with request.app.state.sessions() as db:
        dataset = db.get(Dataset, request.path_params["dataset_id"])
        dataset = dataset if dataset is not None and dataset.folder else None  # "" once deleted
        runs = [] if dataset is None else _runs_of(db, dataset)
    if dataset is None:
        return deny(request, user, "view dataset", str(request.path_params["dataset_id"]), 404)
    audit(request, user, "view dataset", f"dataset {dataset.id}")
    return render(request, "dataset.html", dataset=dataset, findings=json.loads(dataset.findings_json),
                  runs=runs, message="")


def _runs_of(db, dataset: Dataset) -> list[int]:
    return list(db.scalars(select(Run.id).where(Run.dataset_id == dataset.id, Run.status != DELETED)
                           .order_by(Run.id)))


@form("commissioner")
async def dataset_delete(request: Request, user: User, data) -> Response:
    """A dataset no run has used, and its folder (one with errors, or uploaded by mistake); a dataset runs
    were made on stays with them: their inputs, and what a run again reads."""
    dataset_id = request.path_params["dataset_id"]
    with request.app.state.sessions() as db:
        dataset = db.get(Dataset, dataset_id)
        if dataset is None or not dataset.folder:
            return deny(request, user, "delete dataset", str(dataset_id), 404)
        runs = _runs_of(db, dataset)
        if runs:
            audit(request, user, "delete dataset", f"dataset {dataset.id}: runs use it", "denied")
            return render(request, "dataset.html", status_code=409, dataset=dataset, runs=runs,
                          findings=json.loads(dataset.findings_json),
                          message=f"Runs {', '.join(map(str, runs))} were made on this dataset: it stays "
                          "with them. Delete their failed runs first; runs that ended well keep it.")
        # the row stays, its folder "" (its id is never given again); deleted runs keep their dataset id
        folder, dataset.folder = Path(dataset.folder), ""
        db.commit()
    await run_in_threadpool(shutil.rmtree, folder, True)
    audit(request, user, "delete dataset", f"dataset {dataset_id}")
    return RedirectResponse("/", status_code=303)


# ------------------------------------------------------------------------------------------------ runs


@page("commissioner")
async def run_new(request: Request, user: User) -> Response:
    with request.app.state.sessions() as db:
        datasets = _runnable(db)
    values = run_form.default_values()
    values["dataset"] = request.query_params.get("dataset", "")
    return _run_form(request, datasets, values, "")


def _runnable(db) -> list[Dataset]:
    """The datasets a run may use: no errors, not deleted; the newest first."""
    return [d for d in db.scalars(select(Dataset).order_by(Dataset.id.desc())) if d.errors == 0 and d.folder]


def _run_form(request: Request, datasets, values: dict, message: str, status_code: int = 200) -> Response:
    top, slots = run_form.fields(values)
    return render(
        request,
        "run_new.html",
        status_code=status_code,
        datasets=datasets,
        values=values,
        top=top,
        slots=slots,
        message=message,
    )


@form("commissioner")
async def run_start(request: Request, user: User, data) -> Response:
    values = {k: str(v) for k, v in data.items() if k != "csrf_token"}
    state = request.app.state
    with state.sessions() as db:
        datasets = _runnable(db)
        dataset = next((d for d in datasets if str(d.id) == values.get("dataset")), None)
        if dataset is None:
            return _run_form(request, datasets, values, "Choose a dataset without errors.", 400)
        try:
            scenario = run_form.scenario_from_form(values, Path(dataset.folder))
            await run_in_threadpool(run_form.check_names, scenario, Path(dataset.folder))
        except CareCommissioningError as error:
            return _run_form(request, datasets, values, run_form.in_user_words(str(error), values), 400)
        db.refresh(dataset)  # deleted while the names were checked: no run on a removed folder
        if not dataset.folder:
            gone = "That dataset was just deleted: choose another."
            return _run_form(request, _runnable(db), values, gone, 400)
        run_id = _queued(request, db, dataset.id, scenario.name, scenario.text, len(scenario.variants), user)
    audit(request, user, "start run", f"run {run_id}")
    request.app.state.queue.poke()
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def _queued(request: Request, db, dataset_id: int, name: str, text: str, variants: int, user: User) -> int:
    """A new queued run of ``text`` (a scenario checked on the dataset) with its own folder; its id."""
    run = Run(name=name[:200], dataset_id=dataset_id, scenario_toml=text, folder="", status="queued",
              message="", variants=variants, started_by=user.name, published=False)
    db.add(run)
    db.flush()
    folder = request.app.state.data_dir / "runs" / str(run.id)
    folder.mkdir(parents=True)
    (folder / "scenario.toml").write_text(text, encoding="utf-8")
    run.folder = str(folder)
    db.commit()
    return run.id


@form("commissioner")
async def run_again(request: Request, user: User, data) -> Response:
    """A new run of an ended run's scenario on its dataset (a cancelled or failed run, or a done one
    again): the scenario as it was written, the dataset as it is (unchanged: datasets are never edited)."""
    with request.app.state.sessions() as db:
        run = db.get(Run, request.path_params["run_id"])
        if run is None or run.status in ("queued", "running", DELETED):
            return deny(request, user, "run again", str(request.path_params["run_id"]), 404)
        run_id = _queued(request, db, run.dataset_id, run.name, run.scenario_toml, run.variants, user)
    audit(request, user, "start run", f"run {run_id} (again, as run {run.id})")
    request.app.state.queue.poke()
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@form("commissioner")
async def run_delete(request: Request, user: User, data) -> Response:
    """A failed run (cancelled, or stopped by an error) and its folder; runs that ended well are the record
    the board and providers read, and stay."""
    with request.app.state.sessions() as db:
        run = db.get(Run, request.path_params["run_id"])
        if run is None or run.status != "failed":
            return deny(request, user, "delete run", str(request.path_params["run_id"]), 404)
        run.status = DELETED
        db.commit()
    await run_in_threadpool(_emptied, Path(run.folder))
    audit(request, user, "delete run", f"run {run.id}")
    return RedirectResponse("/", status_code=303)


def _emptied(folder: Path) -> None:
    """The run's folder emptied but for the stop file: a cancelled run's child on a Dask worker may still be
    running, and it ends when it sees that file."""
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry.name == jobs.STOP_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _run(request: Request) -> Run | None:
    with request.app.state.sessions() as db:
        run = db.get(Run, request.path_params["run_id"])
    return None if run is None or run.status == DELETED else run


def _found_run(
    request: Request, user: User, action: str, done: bool = False
) -> tuple[Run | None, Response | None]:
    """(the run of the URL, None), or (None, the 404 refusal) when there is none (or it is not done)."""
    run = _run(request)
    if run is None or (done and run.status != "done"):
        return None, deny(request, user, action, str(request.path_params["run_id"]), 404)
    return run, None


@page(*READERS)
async def run_view(request: Request, user: User) -> Response:
    run, refused = _found_run(request, user, "view run")
    if refused is not None:
        return refused
    finished, searching, log = jobs.progress(run)
    audit(request, user, "view run", f"run {run.id}")
    return render(
        request,
        "run.html",
        run=run,
        finished=finished,
        searching=searching,
        log=log,
        providers=_provider_ids(run),
        kpis=_kpis(run),
    )


@page(*READERS)
async def run_status(request: Request, user: User) -> Response:
    """The progress as JSON (for scripts; the page itself refreshes while the run goes on)."""
    run, refused = _found_run(request, user, "view run")
    if refused is not None:
        return refused
    finished, searching, _ = jobs.progress(run)
    return JSONResponse(
        {
            "id": run.id,
            "status": run.status,
            "variants": run.variants,
            "finished": finished,
            "searching": searching,
            "message": run.message,
            "published": run.published,
        }
    )


def _out(run: Run) -> Path:
    return Path(run.folder) / jobs.OUT_FOLDER


def _provider_ids(run: Run) -> list[str]:
    path = _out(run) / "inputs" / "providers.csv"
    if run.status != "done" or not path.exists():
        return []
    return pd.read_csv(path, dtype=str, keep_default_na=False)["provider_id"].tolist()


KPI_TEXT_COLUMNS = ("kpi", "unit", "family", "level", "description")


def _kpi_table(run: Run) -> pd.DataFrame | None:
    """``kpis.csv`` as written (text cells), or None before the run is done."""
    path = _out(run) / "kpis.csv"
    if run.status != "done" or not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _kpis(run: Run) -> pd.DataFrame | None:
    """``kpis.csv`` as the report shows its figures (£515,847, not 515846.754476)."""
    table = _kpi_table(run)
    return None if table is None else _shown(table)


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """Each row's variants to the same decimals, money in pounds, percentages with %."""
    from commissioning.report.model import digits_for, fmt, is_share, to_float

    table = table.copy()
    variants = [c for c in table.columns if c not in KPI_TEXT_COLUMNS]
    for i, row in table.iterrows():
        values = [to_float(row[c]) if row[c] != "" else None for c in variants]
        digits = digits_for(values, row.get("unit", ""))
        table.loc[i, variants] = [fmt(v, row.get("unit", ""), digits=digits) if v is not None else row[c]
                                  for v, c in zip(values, variants, strict=True)]
    if "unit" in table.columns:  # shares are shown as percentages: the unit column says so, as the report's
        table["unit"] = ["%" if is_share(str(u)) else u for u in table["unit"]]
    return table


def figure(text: object, unit: str = "", digits: int | None = None) -> str:
    """One figure of a table read as text, as the report shows it (the templates' ``figure`` filter);
    ``digits`` fixed for a column whose figures must add up as shown (a provider's "325 → 336, change
    10.5" when each cell chose its own)."""
    from commissioning.report.model import fmt, to_float

    value = to_float(text)
    return fmt(value, unit, digits=digits) if value is not None else str(text)


@page(*READERS)
async def run_file(request: Request, user: User) -> Response:
    """A file of the run's output folder: the report, its maps, the workbook, the tables."""
    run, refused = _found_run(request, user, "view run file", done=True)
    if refused is not None:
        return refused
    root = _out(run).resolve()
    path = (root / request.path_params["path"]).resolve()
    if not path.is_relative_to(root) or not path.is_file() or path.name.startswith("."):
        return deny(request, user, "view run file", f"run {run.id}: {request.path_params['path']}", 404)
    audit(request, user, "view run file", f"run {run.id}: {path.relative_to(root)}")
    if path == root / "scenario.toml":  # as in the .zip: its data are the run's copy, not a server path
        return Response(await run_in_threadpool(shown_scenario, path), media_type="text/plain; charset=utf-8")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    attach = path.suffix in (".xlsx", ".csv", ".json", ".geojson")
    return FileResponse(
        path,
        media_type=media,
        filename=path.name if attach else None,
        content_disposition_type="attachment" if attach else "inline",
    )


@page(*READERS)
async def run_download(request: Request, user: User) -> Response:
    run, refused = _found_run(request, user, "download run", done=True)
    if refused is not None:
        return refused
    audit(request, user, "download run", f"run {run.id}")
    buffer = await run_in_threadpool(_zipped, _out(run), f"run-{run.id}")
    headers = {"Content-Disposition": f'attachment; filename="run-{run.id}.zip"'}
    return StreamingResponse(buffer, media_type="application/zip", headers=headers)


def _zipped(root: Path, prefix: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path == root / "scenario.toml":
                archive.writestr(f"{prefix}/scenario.toml", shown_scenario(path))
            elif path.is_file():
                archive.write(path, f"{prefix}/{path.relative_to(root)}")
    buffer.seek(0)
    return buffer


DATA_LINE = re.compile(r'^data = "[^"\n]*"$', re.MULTILINE)  # as form.form_toml and form._with_data write it


def shown_scenario(path: Path) -> str:
    """The run's ``scenario.toml`` as every route serves it (the file itself, the .zip): portable."""
    return portable_scenario(path.read_text(encoding="utf-8"))


def portable_scenario(text: str) -> str:
    """A downloaded run's scenario file, runnable where it is unpacked: its data are the run's own copy
    beside it (``inputs``), not the app's folder of the dataset (a server path)."""
    line = 'data = "inputs"  # the dataset as this run read it (the folder beside this file)'
    return DATA_LINE.sub(lambda _: line, text, count=1)


@form("commissioner")
async def run_publish(request: Request, user: User, data) -> Response:
    with request.app.state.sessions() as db:
        run = db.get(Run, request.path_params["run_id"])
        if run is None or run.status != "done":
            return deny(request, user, "publish run", str(request.path_params["run_id"]), 404)
        run.published = data.get("publish", "yes") == "yes"
        db.commit()
    audit(request, user, "publish run" if run.published else "withdraw run", f"run {run.id}")
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@form("commissioner")
async def run_cancel(request: Request, user: User, data) -> Response:
    run_id = request.path_params["run_id"]
    if not await run_in_threadpool(request.app.state.queue.cancel, run_id, user.name):
        return deny(request, user, "cancel run", str(run_id), 404)
    audit(request, user, "cancel run", f"run {run_id}")
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


# ------------------------------------------------------------------------------------------------ providers


def _provider_run(request: Request, user: User, action: str) -> tuple[Run | None, str, Response | None]:
    """The run and provider of a provider-view URL, or the refusal: a provider sees only its own id, only
    in published runs; an id the run does not have is 404 for everyone."""
    run, provider_id = _run(request), request.path_params["provider_id"]
    target = f"run {request.path_params['run_id']}: provider {provider_id}"
    if user.role == "provider" and provider_id != user.provider_id:
        return None, provider_id, deny(request, user, action, target, 403)
    if run is None or run.status != "done" or (user.role == "provider" and not run.published):
        return None, provider_id, deny(request, user, action, target, 404)
    if provider_id not in _provider_ids(run):
        return None, provider_id, deny(request, user, action, target, 404)
    audit(request, user, action, target)
    return run, provider_id, None


def provider_figures(run: Run, provider_id: str) -> list[dict]:
    """The provider's own rows of providers.csv (care hours, clients, travel, revenue, change)."""
    table = pd.read_csv(_out(run) / "providers.csv", dtype=str, keep_default_na=False)
    return table[table["provider_id"] == provider_id].to_dict("records")


@page(*EVERYONE)
async def provider_view(request: Request, user: User) -> Response:
    run, provider_id, refused = _provider_run(request, user, "view provider view")
    if refused is not None:
        return refused
    return render(
        request, "provider.html", run=run, provider_id=provider_id, figures=provider_figures(run, provider_id)
    )


@page(*EVERYONE)
async def provider_api(request: Request, user: User) -> Response:
    run, provider_id, refused = _provider_run(request, user, "api provider figures")
    if refused is not None:
        return JSONResponse(
            {"error": "not found" if refused.status_code == 404 else "forbidden"},
            status_code=refused.status_code,
        )
    return JSONResponse(
        {"run": run.id, "provider_id": provider_id, "variants": provider_figures(run, provider_id)}
    )


@page(*EVERYONE)
async def provider_map(request: Request, user: User) -> Response:
    run, provider_id, refused = _provider_run(request, user, "view provider map")
    if refused is not None:
        return refused
    from commissioning.report.run_maps import write_provider_map

    path = Path(run.folder) / "provider_maps" / f"{provider_id}.html"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        partial = path.with_suffix(f".{secrets.token_hex(4)}.partial.html")  # two viewers at once
        await run_in_threadpool(write_provider_map, _out(run), provider_id, partial, min_count=MIN_COUNT)
        partial.replace(path)
    return FileResponse(path, media_type="text/html")


# ---------------------------------------------------------------------------------------- compare, audit


@page(*READERS)
async def compare(request: Request, user: User) -> Response:
    with request.app.state.sessions() as db:
        runs = [r for r in db.scalars(select(Run).order_by(Run.id.desc())) if r.status == "done"]
    asked = [request.query_params.get(k) for k in ("a", "b")]
    chosen = [next((r for r in runs if str(r.id) == wanted), None) for wanted in asked]
    table, message = None, ""
    if any(asked) and not all(chosen):
        message = "Choose two finished runs: a failed, unfinished or unknown run has no figures."
    elif all(chosen) and chosen[0].id == chosen[1].id:
        message = "Choose two different runs: a run compared with itself shows no change."
    elif all(chosen):
        first, message = await run_in_threadpool(_opened, *chosen)
        if not message:
            audit(request, user, "compare runs", f"run {chosen[0].id} and run {chosen[1].id}")
            table = _side_by_side(*chosen, first.current)
    # as the page opens: the latest run against the one before it (the same run twice compared nothing)
    shown = [r.id for r in chosen] if all(chosen) else [r.id for r in (runs[1:2] + runs[:1])]
    return render(request, "compare.html", runs=runs, shown=shown, chosen=chosen, table=table,
                  message=message)


def _opened(a: Run, b: Run):
    """``(run a as commissioning compare reads it, "")``, or ``(None, why)`` when runs ``a`` and ``b`` cannot
    be compared (not the same clients, not one region), as ``commissioning compare`` says it."""
    from commissioning.results.combine import CompareError, check_comparable, open_run

    try:
        first, second = (open_run(_out(r), f"run {r.id}", f"run{r.id}") for r in (a, b))
        check_comparable(first, second)
    except CompareError as error:  # in the app's words: its runs, not their server folders
        words = str(error).split(" Fix: ")[0]
        for r in (a, b):
            words = words.replace(f" {_out(r)}", "")
        return None, f"{words.rstrip('.')}. Fix: choose two runs of the same clients and region."
    return first, ""


def _side_by_side(a: Run, b: Run, current: str | None) -> pd.DataFrame:
    """Both runs' key figures; run ``b``'s changes against today are against run ``a``'s today (its variant
    ``current``), as ``commissioning compare`` counts them (each run's own today may differ: other data,
    other prices)."""
    left, right = _kpi_table(a), _kpi_table(b)
    _changes_against(right, left, current)
    left, right = _shown(left), _shown(right)
    # kpi, unit, family once; each run's figures; the description once, last (it pushed run b's figures
    # off a 1,280-px screen when each run had its own); rows in the run page's order (by family)
    keys = ["kpi", "unit"]
    shared = [c for c in ("family", "description") if c in left.columns or c in right.columns]
    words = pd.concat([t[[*keys, *(c for c in shared if c in t.columns)]] for t in (left, right)])
    words = words.drop_duplicates(subset=keys, keep="first")  # run a's words, then rows only run b has
    figures = [t.drop(columns=[c for c in KPI_TEXT_COLUMNS if c not in keys], errors="ignore")
               .rename(columns={c: f"run {r.id}: {c}" for c in t.columns if c not in keys})
               for t, r in ((left, a), (right, b))]
    table = words.merge(figures[0], on=keys, how="left").merge(figures[1], on=keys, how="left")
    ordered = [*keys, *(c for c in shared if c != "description"), *figures[0].columns[2:],
               *figures[1].columns[2:], *(c for c in shared if c == "description")]
    return table[ordered].fillna("")


def _changes_against(table: pd.DataFrame, base: pd.DataFrame, current: str | None) -> None:
    """``table``'s change-against-today rows recomputed against ``base``'s ``current`` variant (blank where
    either figure is missing)."""
    from commissioning.report.model import to_float
    from commissioning.results.combine import CHANGE_KPIS

    if current is None or current not in base.columns:
        return
    today = dict(zip(base["kpi"], base[current], strict=True))
    variants = [c for c in table.columns if c not in KPI_TEXT_COLUMNS]
    for key, change in CHANGE_KPIS:
        rows, source = table.index[table["kpi"] == change], table.index[table["kpi"] == key]
        if len(rows) == 0 or len(source) == 0:
            continue
        for column in variants:
            value, then = to_float(table.at[source[0], column]), to_float(today.get(key))
            table.at[rows[0], column] = "" if value is None or then is None else f"{round(value - then, 6)}"


@page("commissioner")
async def audit_log(request: Request, user: User) -> Response:
    with request.app.state.sessions() as db:
        events = list(db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)))
    return render(request, "audit.html", events=events)
