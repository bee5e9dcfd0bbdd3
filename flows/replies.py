"""What a flow hands back to the shell: texts to say and buttons to show, as plain values.

Texts are English msgids with ``{named}`` placeholders, marked with :func:`N_` so
``pybabel extract`` finds them; the shell translates them into the resident's
language and escapes every parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; it is translated later, in the resident's language."""
    return msgid


@dataclass(frozen=True)
class Text:
    """One text to show: a msgid to translate, a literal, or one written per locale.

    ``versions`` holds texts already written in each language (catalogue entries,
    helplines); the shell shows the resident's, or Swedish when theirs is missing.
    """

    msgid: str
    # A parameter is a plain value, or a text translated in turn (a topic's name).
    params: Mapping[str, str | Text] = field(default_factory=dict)
    literal: bool = False
    versions: Mapping[str, str] | None = None
    bold: bool = False

    @classmethod
    def of(cls, msgid: str, **params: str | Text) -> Text:
        """Return a translatable text with named parameters."""
        return cls(msgid, params)

    @classmethod
    def raw(cls, text: str) -> Text:
        """Return a text shown as written, such as a language's own name."""
        return cls(text, literal=True)

    @classmethod
    def written(cls, versions: Mapping[str, str], *, bold: bool = False) -> Text:
        """Return a text already written in several languages (keyed by locale)."""
        return cls("", literal=True, versions=versions, bold=bold)


@dataclass(frozen=True)
class Button:
    """An inline button: what it says, and the short data Telegram sends back when pressed."""

    label: Text
    data: str


@dataclass(frozen=True)
class Reply:
    """A message to the resident: paragraphs of text, then rows of buttons."""

    paragraphs: tuple[Text, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()

    @classmethod
    def of(cls, *paragraphs: Text, buttons: tuple[tuple[Button, ...], ...] = ()) -> Reply:
        """Return a reply built from paragraphs and button rows."""
        return cls(tuple(paragraphs), buttons)
