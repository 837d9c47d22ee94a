"""Rendered pieces of a page kept as text instead of being compiled as Jinja templates a second time.

branca (under folium) renders each element's header, HTML and script and wraps each piece in a new
``Element(piece)``, whose constructor compiles the piece as a Jinja template, so that rendering it again
gives the piece back. For a piece with no Jinja markup (``{{``, ``{%``, ``{#``) that compile is pure cost, and
it grows with the piece: a zone layer's script holds its whole GeoJSON. Measured on a 30-client run's eight
maps: 5.4 s drawn as branca does, 2.8 s with such pieces kept as text.

:func:`install` makes ``Element`` keep a piece without markup as :class:`PlainText`, which renders to what
Jinja would have rendered (newlines normalised to ``\\n``, one trailing newline dropped): pages are byte for
byte the same. A piece with markup is compiled as before (users' text in a page has its braces escaped by
:func:`maps.layers.esc`, so it never reaches here as markup).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import branca.element

_MARKUP = ("{{", "{%", "{#")  # Jinja's default delimiters, the ones branca's templates use
_NEWLINE = re.compile(r"\r\n|\r|\n")


class PlainText:
    """A template without markup: rendering it gives its text, as Jinja would (see the module's note)."""

    __slots__ = ("text",)
    module = SimpleNamespace()  # no macros: what MacroElement.render looks up in a compiled template

    def __init__(self, source: str):
        text = _NEWLINE.sub("\n", source)
        self.text = text[:-1] if text.endswith("\n") else text

    def render(self, *args, **kwargs) -> str:
        return self.text


def is_plain(source: str) -> bool:
    return not any(mark in source for mark in _MARKUP)


_compiling_init = branca.element.Element.__init__


def _plain_text_init(self, template: str | None = None, template_name: str | None = None) -> None:
    if template is None or not is_plain(template):
        _compiling_init(self, template, template_name)
        return
    _compiling_init(self, None, template_name)
    self._template_str = template
    self._template = PlainText(template)


def install() -> None:
    """Keep markup-free pieces as text from now on in this process (idempotent)."""
    branca.element.Element.__init__ = _plain_text_init


def uninstall() -> None:
    """branca's own behaviour again (tests compare the two)."""
    branca.element.Element.__init__ = _compiling_init
