"""Translations: the resident's locale for this update, and rendering flow texts into it.

As in aiogram's i18n, the shell sets the locale once per update in a ContextVar;
flows never choose a locale.
"""

from __future__ import annotations

import gettext as _gettext
import html
import io
import re
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_day_names, match_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flows.catalogue import DAYS, HOLIDAYS, OpeningHours
from flows.language import DEFAULT_LOCALE, LOCALES, is_right_to_left
from flows.replies import N_, Text

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"

current_locale: ContextVar[str] = ContextVar("nara_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> _gettext.GNUTranslations | _gettext.NullTranslations:
    """Return the compiled catalog of ``locale``, compiling the ``.po`` in memory if needed."""
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    compiled = folder / f"{DOMAIN}.mo"
    source = folder / f"{DOMAIN}.po"
    if compiled.is_file() and (
        not source.is_file() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        with compiled.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    if source.is_file():
        # A source checkout without `pybabel compile` still speaks every language.
        with source.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return _gettext.GNUTranslations(buffer)
    return _gettext.NullTranslations()


# In a right-to-left sentence the bidi algorithm shows a command's slash on the wrong side
# ("help/"). A left-to-right mark before the slash keeps "/help" whole; the mark is invisible,
# and Telegram still sees the command (it is not a word character).
_COMMAND_AFTER_SPACE = re.compile(r"(?<=\s)/(?=[a-z])")
LEFT_TO_RIGHT_MARK = "\u200e"


def gettext(msgid: str, locale: str | None = None) -> str:
    """Translate ``msgid`` into ``locale`` (default: this update's locale)."""
    locale = locale or current_locale.get()
    translated = translations(locale).gettext(msgid)
    if is_right_to_left(locale):
        translated = _COMMAND_AFTER_SPACE.sub(LEFT_TO_RIGHT_MARK + "/", translated)
    return translated


def babel_locale(locale: str) -> Locale:
    """Return Babel's locale object for one of our locales."""
    return Locale.parse(locale)


def _written(text: Text, locale: str | None) -> str:
    versions = text.versions or {}
    shown = versions.get(locale or current_locale.get()) or versions.get(DEFAULT_LOCALE)
    return shown or text.msgid


def render(text: Text, locale: str | None = None) -> str:
    """Return ``text`` as Telegram HTML in ``locale``, with every parameter escaped."""
    if text.literal:
        shown = html.escape(_written(text, locale), quote=False)
        return f"<b>{shown}</b>" if text.bold else shown
    template = gettext(text.msgid, locale)
    if not text.params:
        return template
    escaped = {
        key: render(value, locale) if isinstance(value, Text) else html.escape(value, quote=False)
        for key, value in text.params.items()
    }
    return template.format_map(escaped)


def plain(text: Text, locale: str | None = None) -> str:
    """Return ``text`` in ``locale`` without HTML, for button labels and alerts."""
    if text.literal:
        return _written(text, locale)
    template = gettext(text.msgid, locale)
    if not text.params:
        return template
    values = {
        key: plain(value, locale) if isinstance(value, Text) else value
        for key, value in text.params.items()
    }
    return template.format_map(values)


def clock(moment: time | datetime, locale: str | None = None) -> str:
    """Return a time of day as the resident's locale writes it (e.g. 16:00)."""
    return format_time(moment, format="short", locale=babel_locale(locale or current_locale.get()))


def opening_hours(spans: Sequence[OpeningHours], locale: str | None = None) -> str:
    """Return opening hours as the resident's locale writes them: "Monday–Friday 08:00–16:00"."""
    where = locale or current_locale.get()
    names = get_day_names("wide", context="stand-alone", locale=babel_locale(where))
    parts = []
    for span in spans:
        weekdays = [DAYS.index(day) for day in span.days if day in DAYS]
        groups: list[list[int]] = []
        for day in weekdays:
            if groups and day == groups[-1][-1] + 1:
                groups[-1].append(day)
            else:
                groups.append([day])
        days = [names[g[0]] if len(g) == 1 else f"{names[g[0]]}–{names[g[-1]]}" for g in groups]
        if HOLIDAYS in span.days:
            days.append(gettext(N_("public holidays"), where))
        if (span.opens, span.closes) == ("00:00", "24:00"):
            times = gettext(N_("all day"), where)
        else:
            times = f"{span.opens}–{span.closes}"
        parts.append(f"{', '.join(days)} {times}")
    return "; ".join(parts)


def written_day(day: date | datetime, locale: str | None = None) -> str:
    """Return a date with its weekday and month written out, no year: "tisdag 8 december".

    The locale's own order for weekday, day and month (CLDR's ``MMMMEEEEd`` skeleton),
    with names in full: CLDR's closest pattern often abbreviates them ("tis 8 december").
    """
    where = babel_locale(locale or current_locale.get())
    skeletons = where.datetime_skeletons
    pattern = str(skeletons[match_skeleton("MMMMEEEEd", skeletons)])
    pattern = re.sub(r"(?<![Ec])([Ec])\1{0,2}(?![Ec])", r"\1\1\1\1", pattern)
    pattern = re.sub(r"(?<![ML])([ML])\1\1(?![ML])", r"\1\1\1\1", pattern)
    return format_date(day, pattern, locale=where)


def day_and_time(day: str, time_of_day: str, locale: str | None = None) -> str:
    """Join a written day and a time as the locale does: "Monday, March 8, 9:40 AM"."""
    where = babel_locale(locale or current_locale.get())
    return str(where.datetime_formats["medium"]).format(time_of_day, day)


def when(moment: datetime, locale: str | None = None) -> str:
    """Return a weekday, date and time as the locale writes them, without seconds."""
    where = babel_locale(locale or current_locale.get())
    day = format_skeleton("MMMMEEEEd", moment, locale=where)
    return f"{day} {format_time(moment, format='short', locale=where)}"
