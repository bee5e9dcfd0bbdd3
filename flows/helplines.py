"""Helplines to show with urgent replies, read from configuration (no numbers in code).

``catalogue/helplines.yaml`` (Sweden, the default) and ``catalogue/helplines-fi.yaml``
(Finland) list each helpline once, with its number, opening hours and, in all
eight languages, what it is, who it is for and when it answers. ``categories``
maps each triage category to the helplines to show after 112, which always
comes first. Proper names stay in Swedish (or Finnish); the ``about`` line
explains them in the resident's language. Example::

    country: SE
    texts:                          # shared texts, used as hours: "@always"
      always: {sv: Dygnet runt, en: Around the clock, ...}
    helplines:
      - id: socialjouren
        name: Socialjouren, Näraby kommun
        number: 08-465 004 99
        schedule: [mon-fri 16:30-08:00, sat-sun 00:00-24:00, holidays 00:00-24:00]
        hours: {sv: ..., en: ..., ...}      # or "@always"
        about: {sv: ..., ...}               # what it is, in plain words
        for: {sv: ..., ...}                 # who it is for
        chat: https://...                   # optional
        free: true                          # optional
    categories:
      homeless-tonight: [socialjouren, mottagningen]
      default: [mottagningen]               # when no category applies (optional)

Loading validates everything and raises :class:`HelplineError` naming the file
and the key, so a mistake in a staff edit is found at start, not in a crisis.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

import yaml

from flows.language import DEFAULT_LOCALE, LOCALES
from flows.triage.lexicon import CATEGORIES

CATALOGUE: Final = Path(__file__).resolve().parent.parent / "catalogue"
SWEDEN: Final = CATALOGUE / "helplines.yaml"
FINLAND: Final = CATALOGUE / "helplines-fi.yaml"
EMERGENCY_NUMBER: Final = "112"
DEFAULT: Final = "default"

_NUMBER: Final = re.compile(r"^\+?[0-9][0-9 \-]{1,20}$")
_ID: Final = re.compile(r"^[a-z][a-z0-9-]*$")
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN: Final = re.compile(
    r"^(?P<days>holidays|[a-z]{3}(?:-[a-z]{3})?) (?P<start>\d\d:\d\d)-(?P<end>\d\d:\d\d)$"
)
_TEXT_FIELDS: Final = ("hours", "about", "for")
_KEYS: Final = frozenset({"id", "name", "number", "schedule", "chat", "free", *_TEXT_FIELDS})


class HelplineError(ValueError):
    """A helpline file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Opening:
    """One line of a schedule: on these days (or holidays), from ``start`` to ``end``.

    When ``end`` is not after ``start`` the span runs past midnight into the next day.
    """

    days: frozenset[int]
    holidays: bool
    start: time
    end_minutes: int  # 1440 stands for 24:00

    def covers(self, at: datetime, *, holiday: bool) -> bool:
        """Tell whether this span is open at ``at`` (local time)."""
        minute = at.hour * 60 + at.minute
        start = self.start.hour * 60 + self.start.minute
        if self.holidays != holiday:
            return False
        today = True if self.holidays else at.weekday() in self.days
        yesterday = True if self.holidays else (at.weekday() - 1) % 7 in self.days
        if start < self.end_minutes:
            return today and start <= minute < self.end_minutes
        return (today and minute >= start) or (yesterday and minute < self.end_minutes)


@dataclass(frozen=True)
class Helpline:
    """One number a resident can call, with plain texts in every language.

    Attributes:
        id: A fixed name used in ``categories`` and by the bot.
        name: The proper name, as the organisation writes it (not translated).
        number: The number as people dial it, with spaces and dashes for reading.
        hours: When it answers, per locale.
        about: What it is, in plain words, per locale.
        for_whom: Who it is for, per locale.
        schedule: Opening spans; empty means always open.
        chat: A chat address, if it has one.
        free: Whether calls are free of charge.
    """

    id: str
    name: str
    number: str
    hours: Mapping[str, str] = field(repr=False)
    about: Mapping[str, str] = field(repr=False)
    for_whom: Mapping[str, str] = field(repr=False)
    schedule: tuple[Opening, ...] = ()
    chat: str | None = None
    free: bool = False

    @property
    def dial(self) -> str:
        """The number without spaces or dashes, for a ``tel:`` link."""
        return re.sub(r"[ \-]", "", self.number)

    def text(self, what: str, locale: str) -> str:
        """Return ``hours``, ``about`` or ``for`` in ``locale`` (Swedish if missing)."""
        texts = {"hours": self.hours, "about": self.about, "for": self.for_whom}[what]
        return texts.get(locale) or texts[DEFAULT_LOCALE]

    def is_open(self, at: datetime, *, holiday: bool = False) -> bool:
        """Tell whether the line answers at ``at`` (local time); ``holiday`` on public holidays."""
        if not self.schedule:
            return True
        return any(span.covers(at, holiday=holiday) for span in self.schedule)


@dataclass(frozen=True)
class Helplines:
    """A country's helplines and which ones each triage category shows."""

    country: str
    by_id: Mapping[str, Helpline]
    by_category: Mapping[str, tuple[str, ...]]
    emergency: Helpline

    def numbers_for(self, category: str | None) -> tuple[Helpline, ...]:
        """Return the helplines for ``category`` (None: the default list), 112 always first.

        Raises:
            KeyError: ``category`` is not a triage category.
        """
        if category is not None and category not in CATEGORIES:
            raise KeyError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
        ids = self.by_category.get(category or DEFAULT, ())
        rest = tuple(self.by_id[i] for i in ids if i != self.emergency.id)
        return (self.emergency, *rest)


def load_helplines(path: Path) -> Helplines:
    """Read and validate one helpline file.

    Raises:
        HelplineError: The file is unreadable or invalid; the message names file and key.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise HelplineError(f"{path}: cannot be read: {error}") from None
    return parse_helplines(raw, str(path))


def parse_helplines(raw: object, name: str) -> Helplines:
    """Validate already-parsed YAML; ``name`` is used in error messages."""
    top = _mapping(raw, name)
    unknown = set(top) - {"country", "texts", "helplines", "categories"}
    if unknown:
        raise HelplineError(f"{name}: unknown key {sorted(unknown)[0]!r}")
    country = top.get("country")
    if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
        raise HelplineError(f"{name}: country: must be a two-letter code such as SE")
    shared = {
        key: _locale_texts(value, f"{name}: texts.{key}", {})
        for key, value in _mapping(top.get("texts", {}), f"{name}: texts").items()
    }
    entries = top.get("helplines")
    if not isinstance(entries, list) or not entries:
        raise HelplineError(f"{name}: helplines: must be a non-empty list")
    by_id: dict[str, Helpline] = {}
    for index, entry in enumerate(entries):
        helpline = _helpline(entry, f"{name}: helplines[{index}]", shared)
        if helpline.id in by_id:
            raise HelplineError(f"{name}: helplines[{index}].id: {helpline.id!r} is used twice")
        by_id[helpline.id] = helpline
    emergency = [h for h in by_id.values() if h.dial == EMERGENCY_NUMBER]
    if not emergency:
        raise HelplineError(f"{name}: helplines: needs the emergency number {EMERGENCY_NUMBER}")
    categories = _mapping(top.get("categories"), f"{name}: categories")
    by_category: dict[str, tuple[str, ...]] = {}
    for key, ids in categories.items():
        where = f"{name}: categories.{key}"
        if key not in (*CATEGORIES, DEFAULT):
            raise HelplineError(f"{where}: unknown category (one of {', '.join(CATEGORIES)}, "
                                f"{DEFAULT})")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise HelplineError(f"{where}: must be a list of helpline ids")
        for helpline_id in ids:
            if helpline_id not in by_id:
                raise HelplineError(f"{where}: no helpline with id {helpline_id!r}")
        by_category[key] = tuple(ids)
    missing = [c for c in CATEGORIES if c not in by_category]
    if missing:
        raise HelplineError(f"{name}: categories.{missing[0]}: missing; every triage category "
                            "needs its helplines")
    return Helplines(country, MappingProxyType(by_id), MappingProxyType(by_category),
                     emergency[0])


def _helpline(entry: object, where: str, shared: Mapping[str, Mapping[str, str]]) -> Helpline:
    data = _mapping(entry, where)
    unknown = set(data) - _KEYS
    if unknown:
        raise HelplineError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    helpline_id = data.get("id")
    if not isinstance(helpline_id, str) or not _ID.match(helpline_id):
        raise HelplineError(f"{where}.id: must be lower-case letters, digits and dashes")
    where = f"{where} ({helpline_id})"
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HelplineError(f"{where}.name: must be a non-empty text")
    number = data.get("number")
    if isinstance(number, int):
        number = str(number)  # YAML reads 112 as a number
    if not isinstance(number, str) or not _NUMBER.match(number):
        raise HelplineError(f"{where}.number: {number!r} is not a phone number "
                            "(digits, spaces and dashes, optional leading +)")
    texts = {f: _locale_texts(data.get(f), f"{where}.{f}", shared) for f in _TEXT_FIELDS}
    chat = data.get("chat")
    if chat is not None and (not isinstance(chat, str) or not chat.startswith("https://")):
        raise HelplineError(f"{where}.chat: must be an https:// address")
    free = data.get("free", False)
    if not isinstance(free, bool):
        raise HelplineError(f"{where}.free: must be true or false")
    schedule = tuple(_opening(span, f"{where}.schedule[{i}]")
                     for i, span in enumerate(_list(data.get("schedule", []),
                                                    f"{where}.schedule")))
    return Helpline(helpline_id, name.strip(), number, texts["hours"], texts["about"],
                    texts["for"], schedule, chat, free)


def _locale_texts(value: object, where: str,
                  shared: Mapping[str, Mapping[str, str]]) -> Mapping[str, str]:
    if isinstance(value, str) and value.startswith("@"):
        if value[1:] not in shared:
            raise HelplineError(f"{where}: no shared text {value!r} under texts")
        return shared[value[1:]]
    texts = _mapping(value, where)
    for locale in LOCALES:
        text = texts.get(locale)
        if not isinstance(text, str) or not text.strip():
            raise HelplineError(f"{where}.{locale}: missing; write it in every language")
    extra = set(texts) - set(LOCALES)
    if extra:
        raise HelplineError(f"{where}.{sorted(extra)[0]}: not one of our languages")
    return MappingProxyType({locale: str(texts[locale]).strip() for locale in LOCALES})


def _opening(value: object, where: str) -> Opening:
    match = _SPAN.match(value) if isinstance(value, str) else None
    if match is None:
        raise HelplineError(f"{where}: {value!r} should look like 'mon-fri 08:00-16:00' "
                            "or 'holidays 00:00-24:00'")
    days_text = match["days"]
    try:
        start = _minutes(match["start"])
        end = _minutes(match["end"])
    except ValueError:
        raise HelplineError(f"{where}: {value!r} has an impossible time") from None
    if start >= 24 * 60:
        raise HelplineError(f"{where}: {value!r} cannot start at 24:00")
    if days_text == "holidays":
        return Opening(frozenset(), True, time(start // 60, start % 60), end)
    first, _, last = days_text.partition("-")
    if first not in _DAYS or (last and last not in _DAYS):
        raise HelplineError(f"{where}: {value!r}: days are mon, tue, wed, thu, fri, sat, sun")
    a, b = _DAYS.index(first), _DAYS.index(last or first)
    days = frozenset(range(a, b + 1)) if a <= b else frozenset((*range(a, 7), *range(b + 1)))
    return Opening(days, False, time(start // 60, start % 60), end)


def _minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(text)
    return hours * 60 + minutes


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise HelplineError(f"{where}: must be a mapping")
    return {str(k): v for k, v in value.items()}


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise HelplineError(f"{where}: must be a list")
    return value


@cache
def default_helplines(path: Path = SWEDEN) -> Helplines:
    """Return the helplines shipped for Sweden (or those at ``path``), loaded once."""
    return load_helplines(path)


def numbers_for(category: str | None, *, helplines: Helplines | None = None
                ) -> tuple[Helpline, ...]:
    """Return the helplines to show for a triage category, 112 first.

    Args:
        category: A triage category, or None for the default list.
        helplines: The country's helplines; Sweden's shipped file when None.
    """
    return (helplines or default_helplines()).numbers_for(category)
