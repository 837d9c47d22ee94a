"""Issue 16's security points on the real app (Starlette's test client, a real SQLite file): CSRF on every
form, lock-out after wrong passwords, sessions ending at log-out, ids checked against role and provider,
unsafe uploads refused without writing outside their folder."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest
from sqlalchemy import select
from starlette.routing import Route
from starlette.testclient import TestClient

from commissioning.web.db import AuditEvent, Dataset, User
from tests.web.helpers import PASSWORD, csrf_of, log_in, make_app, upload


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    """The app on a SQLite file, and on PostgreSQL (the server .ci/run starts)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    app = make_app(tmp_path / "web", url)
    yield app
    app.state.sessions.kw["bind"].dispose()  # close its connections before the database is dropped


def _post_routes(app) -> list[str]:
    paths = [r.path for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or ())]
    return [p.replace("{run_id:id}", "1").replace("{dataset_id:id}", "1") for p in paths]


def test_every_form_refuses_a_post_without_the_csrf_token(app):
    with TestClient(app) as client:
        assert log_in(client, "comm").status_code == 303
        posts = _post_routes(app)
        assert {"/login", "/logout", "/datasets", "/runs", "/runs/1/publish"} <= set(posts)
        for path in posts:
            for data in ({}, {"csrf_token": "forged"}):
                response = client.post(path, data=data, follow_redirects=False)
                assert response.status_code == 403, (path, data, response.status_code)
        assert client.get("/").status_code == 200  # still signed in: log-out needs its token too
        with app.state.sessions() as db:
            refused = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert len(refused) >= 2 * len(posts)


def test_twenty_wrong_passwords_lock_the_account_for_a_while(app):
    from commissioning.web import accounts

    with TestClient(app) as client:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            assert log_in(client, "plan", "not the password").status_code == 401
        locked = log_in(client, "plan")  # the right password, but locked
        assert locked.status_code == 401 and "locked" in locked.text
        # Regression: a locked account said "locked after 20 wrong passwords", an unknown name "wrong name or
        # password": the answer told which names exist. Both now get one answer, saying how to get unlocked.
        unknown = log_in(client, "nobody-of-that-name")
        assert unknown.status_code == 401
        said = [re.search(r'role="alert">([^<]*)<', r.text).group(1) for r in (locked, unknown)]
        assert said[0] == said[1] and "users reset-password" in said[0], said
    with app.state.sessions() as db:
        assert accounts.authenticate(db, "plan", PASSWORD)[0] is None  # still locked
        assert accounts.authenticate(db, "plan", PASSWORD)[1] == accounts.authenticate(db, "ghost", "x")[1]
    with app.state.sessions() as db:  # the lock ends after LOCK_MINUTES
        later = accounts.now() + dt.timedelta(minutes=accounts.LOCK_MINUTES, seconds=1)
        user, why = accounts.authenticate(db, "plan", PASSWORD, at=later)
        assert user is not None and why == ""


def test_the_session_ends_at_log_out(app):
    with TestClient(app) as client:
        log_in(client, "plan")
        cookie = client.cookies.get("cc_session")
        assert client.get("/", follow_redirects=False).status_code == 200
        csrf = csrf_of(client.get("/").text)
        assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    with TestClient(app, cookies={"cc_session": cookie}) as replay:  # the old cookie signs nobody in
        assert replay.get("/", follow_redirects=False).headers["location"] == "/login"


def test_cookies_are_httponly_and_samesite_and_the_database_keeps_no_password_or_token(app):
    with TestClient(app) as client:
        response = log_in(client, "comm")
        header = response.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=strict" in header
        token = client.cookies.get("cc_session")
    with app.state.sessions() as db:
        user = db.scalar(select(User).where(User.name == "comm"))
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        from commissioning.web.db import LoginSession

        assert token not in {s.token_sha256 for s in db.scalars(select(LoginSession))}


def test_a_planner_cannot_start_a_run_or_upload(app, small_dataset):
    from tests.web.conftest import quick_form

    with TestClient(app) as client:
        log_in(client, "plan")
        csrf = csrf_of(client.get("/").text)
        assert client.get("/runs/new").status_code == 403
        assert client.post("/runs", data=quick_form(1, csrf), follow_redirects=False).status_code == 403
        assert client.post("/datasets", data={"csrf_token": csrf}, follow_redirects=False).status_code == 403
    with app.state.sessions() as db:
        assert db.scalars(
            select(AuditEvent).where(AuditEvent.user_name == "plan", AuditEvent.outcome == "denied")
        ).all()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _claiming(size: int) -> bytes:
    """A small zip whose headers claim one member expands to ``size`` bytes (a zip bomb's signature)."""
    import struct

    data = bytearray(_zip({"clients.csv": b"client_id\n"}))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = struct.pack("<I", 0xFFFFFFFF)  # force the zip64 size path off: plain
    data[central + 24 : central + 28] = struct.pack("<I", min(size, 0xFFFFFFFE))
    return bytes(data)


@pytest.mark.parametrize(
    "archive,why",
    [
        (_zip({"../../escaped.csv": b"x"}), "outside the dataset folder"),
        (_zip({"/etc/clients.csv": b"x"}), "outside the dataset folder"),
        (_zip({"a/b/clients.csv": b"x"}), "outside the dataset folder"),
        (_zip({"run.sh": b"x"}), "not a file of a dataset folder"),
        (_claiming(10 * 2**30), "expands to"),  # headers claiming 10 GB
        (_zip({"clients.csv": bytes(300 * 2**20)}), "expands to"),  # 300 MB of zeros, 300 KB zipped
        (b"not a zip", "not a zip file"),
    ],
)
def test_unsafe_zips_are_refused_whole_and_nothing_is_written_outside(app, tmp_path, archive, why):
    with TestClient(app) as client:
        log_in(client, "comm")
        response = upload(client, "bad", "bad.zip", archive)
    assert response.status_code == 400 and why in response.text, response.text[-2000:]
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    database = {"web/app.db", "web/app.db-wal", "web/app.db-shm"}  # SQLite and its write-ahead log
    assert written <= database, written  # no dataset folder left, nothing beside it
    with app.state.sessions() as db:
        assert not db.scalars(select(Dataset)).all()


def test_a_lying_zip_header_is_stopped_at_the_real_size(tmp_path):
    """Headers claiming a small size while the data is larger: zipfile stops at the claimed size and the
    CRC check refuses it; either way nothing is kept."""
    from commissioning.web.uploads import Upload, UploadRefused, save_dataset

    archive = bytearray(_zip({"clients.csv": b"client_id\n" * 1000}))
    central = archive.find(b"PK\x01\x02")
    archive[central + 24 : central + 28] = (10).to_bytes(4, "little")
    with pytest.raises(UploadRefused):
        save_dataset([Upload("lying.zip", bytes(archive))], tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_names_from_users_are_escaped_in_every_page(app, small_dataset):
    from tests.web.helpers import zipped

    hostile = "<script>alert(1)</script>"
    with TestClient(app) as client:
        log_in(client, "comm")
        sent = upload(client, hostile, "d.zip", zipped(small_dataset))
        assert sent.status_code == 200 and hostile not in sent.text and "&lt;script&gt;" in sent.text
        assert hostile not in client.get("/").text


def test_a_request_over_the_upload_limit_is_refused_before_it_is_read(app):
    from commissioning.web.uploads import MAX_UPLOAD_BYTES

    with TestClient(app) as client:
        log_in(client, "comm")
        response = upload(client, "big", "big.zip", bytes(MAX_UPLOAD_BYTES + 256 * 1024))
        assert response.status_code == 413
        # Regression: the page said "There is no such page." (every refusal but 403 did)
        assert "over the limit of 64 MB" in response.text and "no such page" not in response.text
        assert (
            client.post(
                "/login",
                content=bytes(200_000),
                headers={"content-type": "application/x-www-form-urlencoded"},
            ).status_code
            == 413
        )


def test_too_many_files_is_the_app_s_page_naming_the_limit(app):
    # Regression: 21 files gave Starlette's bare text page, without the app's header or a way back.
    from commissioning.web.uploads import MAX_FILES

    with TestClient(app) as client:
        log_in(client, "comm")
        csrf = csrf_of(client.get("/datasets/new").text)
        files = [("files", (f"f{k}.csv", b"a,b\n", "text/csv")) for k in range(MAX_FILES + 1)]
        response = client.post("/datasets", data={"csrf_token": csrf, "name": "many"}, files=files)
        assert response.status_code == 400 and f"at most {MAX_FILES} files" in response.text
        assert "Back to the runs" in response.text


def test_an_unknown_address_or_an_id_too_long_for_the_database_is_the_app_s_404(app):
    # Regression: /runs/9223372036854775808 was a 500 (SQLite's OverflowError), for providers too, and not
    # in the audit log; an unknown address was Starlette's bare "Not Found".
    with TestClient(app) as client:
        assert client.get("/nonexistent").status_code == 404
        log_in(client, "comm")
        # (a long address too: the audit's action column holds 80 characters, which PostgreSQL enforces)
        for url in ("/runs/9223372036854775808", "/api/runs/2147483648", "/datasets/1" + "0" * 30,
                    "/nonexistent", "/" + "a" * 200):
            response = client.get(url)
            assert response.status_code == 404 and "There is no such page." in response.text, url
    with app.state.sessions() as db:
        denied = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert any("9223372036854775808" in e.action for e in denied)


def test_a_provider_id_naming_another_organisation_than_in_a_usable_dataset_is_an_upload_error(
    app, small_dataset, tmp_path
):
    """Provider users are bound to an id: if a second dataset gave P03 to another organisation, the P03 user
    would see that organisation's published views. The same organisation written in other case is no clash."""
    import shutil

    import pandas as pd

    from tests.web.helpers import zipped

    providers = pd.read_csv(small_dataset / "providers.csv", dtype=str, keep_default_na=False)
    row = int(providers.index[providers["provider_id"] == "P03"][0]) + 2
    renamed, recased = tmp_path / "renamed", tmp_path / "recased"
    for folder, name in ((renamed, "Another Care Company Ltd"), (recased, None)):
        shutil.copytree(small_dataset, folder)
        edited = providers.copy()
        p03 = edited["provider_id"] == "P03"
        edited.loc[p03, "name"] = name or "  " + edited.loc[p03, "name"].str.upper()
        edited.to_csv(folder / "providers.csv", index=False)
    with TestClient(app) as client:
        log_in(client, "comm")
        ids = []
        sets = (("first", small_dataset), ("same ids, P03 renamed", renamed), ("recased", recased))
        for name, folder in sets:
            sent = upload(client, name, "d.zip", zipped(folder), follow_redirects=False)
            ids.append(int(sent.headers["location"].rsplit("/", 1)[1]))
    with app.state.sessions() as db:
        first, clash, recase = (db.get(Dataset, i) for i in ids)
        assert first.errors == 0 and recase.errors == 0
        assert clash.errors == 1
        (finding,) = [f for f in json.loads(clash.findings_json) if f["severity"] == "error"]
    assert (finding["file"], finding["row"], finding["column"]) == ("providers.csv", row, "name")
    assert finding["value"] == "Another Care Company Ltd"
    assert f"dataset {ids[0]} ('first')" in finding["message"] and "P03" in finding["message"]
    assert "give it an id no other dataset uses" in finding["fix"]


def test_serve_warns_of_datasets_uploaded_before_the_check_that_give_one_id_to_two_organisations(
    app, small_dataset, tmp_path
):
    import shutil

    import pandas as pd

    from commissioning.cli.commands.serve import _register_clashes

    other = tmp_path / "other"
    shutil.copytree(small_dataset, other)
    providers = pd.read_csv(other / "providers.csv", dtype=str, keep_default_na=False)
    providers.loc[providers["provider_id"] == "P05", "name"] = "Another Care Company Ltd"
    providers.to_csv(other / "providers.csv", index=False)
    with app.state.sessions() as db:
        for name, folder in (("first", small_dataset), ("second", other)):
            db.add(Dataset(name=name, folder=str(folder), uploaded_by="comm", errors=0, findings_json="[]"))
        db.commit()
    (line,) = _register_clashes(app)
    assert line.startswith("warning: dataset 2 ('second'), providers.csv, row ")
    assert "provider id 'P05' is" in line and "in dataset 1 ('first')" in line
