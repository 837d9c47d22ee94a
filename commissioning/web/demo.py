"""``serve --demo``: the embedded default as a dataset, and demo users when there are none."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from commissioning.web import accounts
from commissioning.web.db import Dataset, User

DEMO_NAME = "Argyll and Bute, embedded default (1,000 clients, seed 1)"
DEMO_USERS = (
    ("commissioner", "commissioner", None),
    ("planner", "planner", None),
    ("p03", "provider", "P03"),
    ("p05", "provider", "P05"),
)


def load_demo(sessions: sessionmaker, data_dir: Path) -> list[str]:
    """Load what is missing; the lines say what was made (passwords are shown only here, once)."""
    from commissioning.synthetic.generate import generate_scenario
    from commissioning.web.pages import check, usable

    said = []
    with sessions() as db:
        if db.scalar(select(Dataset).where(Dataset.name == DEMO_NAME)) is None:
            folder = Path(data_dir).resolve() / "datasets" / "demo"
            generate_scenario(folder, region="argyll-bute", n_clients=1000, seed=1, force=True)
            errors, findings = check(folder, usable(db))
            db.add(
                Dataset(
                    name=DEMO_NAME,
                    folder=str(folder),
                    uploaded_by="serve --demo",
                    errors=errors,
                    findings_json=findings,
                )
            )
            db.commit()
            said.append(f"loaded the dataset '{DEMO_NAME}'")
        if not db.scalar(select(func.count()).select_from(User)):
            for name, role, provider in DEMO_USERS:
                password = secrets.token_urlsafe(12)
                accounts.add_user(db, name, role, password, provider)
                said.append(f"user {name} ({role}{' ' + provider if provider else ''}): password {password}")
    return said
