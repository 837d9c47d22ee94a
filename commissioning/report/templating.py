"""The report's Jinja2 environment: templates under ``templates/``, autoescaped (every string from data is
HTML-escaped unless a template marks a value ``|safe``, which only the charts' SVG from
:mod:`commissioning.report.charts` is), undefined names an error rather than empty text."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from commissioning.report.model import MISSING, fmt, label, with_unit

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(fmt=fmt, with_unit=with_unit, label=label)
    env.globals.update(MISSING=MISSING)
    return env


def render(template: str, **context: object) -> str:
    """One template of ``templates/`` rendered with ``context`` (escaped)."""
    return environment().get_template(template).render(**context)
