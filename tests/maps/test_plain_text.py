"""Rendered pieces without Jinja markup are kept as text (:mod:`maps.plain_text`): the pages stay the same,
byte for byte, as branca's own rendering gives them, and users' text still cannot run as a template."""

from __future__ import annotations

import itertools

import branca.element
import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maps import coverage_map, plain_text, provider_map
from maps.plain_text import PlainText, is_plain

# Characters that matter to Jinja's lexer: newlines of every kind, braces, percent and hash signs.
PIECES = st.text(alphabet=st.sampled_from(list("ab {}%#-\r\n\t<>\"'`$\\é")), max_size=60)


@settings(max_examples=400, deadline=None)
@given(source=PIECES)
def test_a_piece_without_markup_renders_as_jinja_renders_it(source):
    if not is_plain(source):
        return
    assert PlainText(source).render(this=None, kwargs={}) == jinja2.Template(source).render(this=None)


@pytest.mark.parametrize("source", ["a\r\nb\rc\n", "x\n\n", "\n", "", "{ }", "} {", "100% #1"])
def test_newlines_and_single_braces_as_jinja(source):
    assert PlainText(source).render() == jinja2.Template(source).render()


@pytest.mark.parametrize("source", ["{{ 6*7 }}", "{% if 1 %}x{% endif %}", "a{# note #}b"])
def test_a_piece_with_markup_is_still_compiled(source):
    element = branca.element.Element(source)
    assert not isinstance(element._template, PlainText)
    assert element.render() == jinja2.Template(source).render()


def _numbered_ids(monkeypatch) -> None:
    """Element ids from a counter instead of random bytes, so that two renderings can be compared."""
    counter = itertools.count()
    monkeypatch.setattr(branca.element.Element, "_generate_id",
                        classmethod(lambda cls: f"{next(counter):032x}"))


def _rendered(draw, monkeypatch) -> str:
    _numbered_ids(monkeypatch)
    return draw().get_root().render()


@pytest.mark.parametrize("view", ["coverage", "provider"])
def test_pages_are_byte_for_byte_branca_s_own(view, inputs, region, monkeypatch):
    zones, providers, hubs, clients, allocations = inputs
    variant = next(v for v in allocations if v != "current")

    def draw():
        if view == "coverage":
            return coverage_map(zones, allocations[variant], providers, hubs, land=region.land)
        pid = str(providers["provider_id"].iloc[0])
        return provider_map(pid, zones, allocations[variant], providers, hubs, clients=clients,
                            land=region.land)

    kept_as_text = _rendered(draw, monkeypatch)
    plain_text.uninstall()
    try:
        compiled = _rendered(draw, monkeypatch)
    finally:
        plain_text.install()
    assert kept_as_text == compiled
    assert "{{" not in kept_as_text  # nothing left to a second pass of Jinja
