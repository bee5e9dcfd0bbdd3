"""Every locale speaks every message: complete, safe to format, valid HTML, template current.

A resident who chose Tigrinya must never see English, a crash from a lost
``{placeholder}``, or a message Telegram refuses because of broken HTML.
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from flows.language import LOCALES

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
TEMPLATE = LOCALES_DIR / "messages.pot"

EXTRACT = (
    "extract", "-F", "babel.cfg", "-k", "N_", "-c", "TRANSLATORS:",
    "--no-location", "--sort-output",
)  # fmt: skip
UPDATE_HINT = (
    "Refresh the template and the catalogs from the repository root:\n"
    f"  pybabel {' '.join(EXTRACT)} -o locales/messages.pot .\n"
    "  pybabel update -i locales/messages.pot -d locales -D messages\n"
    "then translate the new entries in every locale."
)

# Telegram's HTML parse mode: the tags we allow ourselves, and the entities it understands.
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler"})
_MARKUP = re.compile(
    r"<(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>\s[^<>]*)?>"
    r"|&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);"
    r"|(?P<stray>[<>&])"
)
# A bot command as Telegram recognises it: a slash not glued to a word or path before it.
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}\b")


@cache
def load(path: Path, locale: str | None = None) -> Catalog:
    """Read a catalog once per test run."""
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def catalog(locale: str) -> Catalog:
    """Return the catalog of ``locale``."""
    return load(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po", locale)


def entries(cat: Catalog) -> list[Message]:
    """Return the catalog's messages, without the header entry."""
    return [message for message in cat if message.id]


def forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """Return a msgid or msgstr as a tuple of its forms (one unless plural)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def key(message: Message) -> tuple[str, str | None]:
    """Identify a message the way gettext does: singular msgid and context."""
    return forms(message.id)[0], message.context


def placeholders(text: str) -> set[str]:
    """Return the ``{names}`` ``str.format`` fills in ``text``; ValueError on a stray brace."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def html_problems(text: str) -> tuple[list[str], list[str]]:
    """Return what Telegram would refuse in ``text``, and the tags it opens, in order."""
    problems: list[str] = []
    opened: list[str] = []
    stack: list[str] = []
    for match in _MARKUP.finditer(text):
        if match["stray"]:
            problems.append(f"bare {match['stray']!r} (write &lt; &gt; &amp;)")
            continue
        name = match["name"]
        if name is None:
            continue  # an entity
        name = name.lower()
        if name not in ALLOWED_TAGS:
            problems.append(f"tag <{name}> is not allowed")
        elif match["close"]:
            if not stack or stack[-1] != name:
                problems.append(f"</{name}> closes nothing open")
            else:
                stack.pop()
        else:
            stack.append(name)
            opened.append(name)
    problems.extend(f"<{name}> is never closed" for name in stack)
    return problems, opened


def commands(text: str) -> set[str]:
    """Return the bot commands written in ``text``, such as ``/help``."""
    return set(_COMMAND.findall(text))


def describe(message: Message) -> str:
    """Name a message briefly in a failure."""
    context = f" (context {message.context!r})" if message.context else ""
    return f"{forms(message.id)[0]!r}{context}"


# --- The checks can fail: each catches the mistake it exists for. ---------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call {number} now", {"number"}),
        ("{a} and {b!r:>4}", {"a", "b"}),
        ("No fields, {{literal}} braces", set()),
    ],
)
def test_placeholders_are_read_as_format_fills_them(text: str, expected: set[str]) -> None:
    assert placeholders(text) == expected


def test_a_stray_brace_is_an_error() -> None:
    with pytest.raises(ValueError):
        placeholders("Open {opens")


@pytest.mark.parametrize(
    "text",
    ["<b>bold", "</b>", "<b><i>x</b></i>", "<div>x</div>", "1 < 2", "A & B", "<span>x</span>"],
)
def test_broken_html_is_caught(text: str) -> None:
    assert html_problems(text)[0]


@pytest.mark.parametrize(
    "text",
    ["<b>Call 112</b> &amp; stay", '<a href="https://x.se">x</a>', "Plain text", "&#128512;"],
)
def test_valid_html_passes(text: str) -> None:
    assert html_problems(text)[0] == []


def test_commands_are_found_but_not_paths_or_fractions() -> None:
    assert commands("Send /help or /language.") == {"/help", "/language"}
    assert commands("and/or, 24/7, https://example.se/start") == set()


# --- The template matches the code. ----------------------------------------------------------


def template_keys(cat: Catalog) -> set[tuple[object, ...]]:
    """Return what the code defines for each message: ids, context and translator comments."""
    return {
        (forms(m.id)[0], forms(m.id)[1:], m.context, tuple(m.auto_comments)) for m in entries(cat)
    }


def test_committed_template_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(fresh), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stderr}"
    with fresh.open("rb") as handle:
        extracted = template_keys(read_po(handle))
    committed = template_keys(load(TEMPLATE))
    missing = sorted(repr(k[0]) for k in extracted - committed)
    stale = sorted(repr(k[0]) for k in committed - extracted)
    assert not missing and not stale, (
        "locales/messages.pot does not match the code.\n"
        f"In the code, not (or differently) in the template: {missing}\n"
        f"In the template, not (or differently) in the code: {stale}\n{UPDATE_HINT}"
    )


# --- Each locale. ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_exactly_the_template_messages(locale: str) -> None:
    cat = catalog(locale)
    wanted = {key(m) for m in entries(load(TEMPLATE))}
    present = {key(m) for m in entries(cat)}
    assert present == wanted, (
        f"{locale}: missing {sorted(map(str, wanted - present))}, "
        f"extra {sorted(map(str, present - wanted))}.\n{UPDATE_HINT}"
    )
    assert not cat.obsolete, (
        f"{locale}: obsolete entries {sorted(map(str, cat.obsolete))}; delete the #~ lines."
    )
    plural_ids = {key(m): forms(m.id) for m in entries(load(TEMPLATE))}
    for message in entries(cat):
        assert forms(message.id) == plural_ids[key(message)], (
            f"{locale}: {describe(message)} has a different msgid_plural than the template."
        )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_not_fuzzy(locale: str) -> None:
    cat = catalog(locale)
    assert not cat.fuzzy, f"{locale}: the header is marked fuzzy; gettext would ignore it."
    problems = []
    for message in entries(cat):
        strings = forms(message.string)
        if message.fuzzy:
            problems.append(f"{describe(message)} is fuzzy")
        if message.pluralizable and len(strings) != cat.num_plurals:
            problems.append(
                f"{describe(message)} has {len(strings)} plural forms, needs {cat.num_plurals}"
            )
        if not strings or not all(s.strip() for s in strings):
            problems.append(f"{describe(message)} is not translated")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_are_kept(locale: str) -> None:
    problems = []
    for message in entries(catalog(locale)):
        try:
            wanted = set().union(*(placeholders(text) for text in forms(message.id)))
            found = [placeholders(text) for text in forms(message.string)]
        except ValueError as error:
            problems.append(f"{describe(message)}: {error} (use {{{{ }}}} for a literal brace)")
            continue
        if not message.pluralizable:
            if found and found[0] != wanted:
                problems.append(
                    f"{describe(message)}: has {sorted(found[0])}, needs {sorted(wanted)}"
                )
            continue
        # A plural form for exactly one ("one", Arabic "zero"/"two") may spell the number out,
        # but no form may invent a name format() cannot fill, and the last ("other") keeps all.
        for index, names in enumerate(found):
            if names - wanted or (index == len(found) - 1 and names != wanted):
                problems.append(
                    f"{describe(message)} form {index}: has {sorted(names)}, needs {sorted(wanted)}"
                )
    assert not problems, f"{locale}: placeholders must stay exactly as in English:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_babel_finds_no_errors(locale: str) -> None:
    errors = [
        f"{describe(message)}: {'; '.join(map(str, found))}"
        for message, found in catalog(locale).check()
    ]
    assert not errors, f"{locale}:\n" + "\n".join(errors)


@pytest.mark.parametrize("locale", LOCALES)
def test_telegram_html_stays_valid(locale: str) -> None:
    problems = []
    for message in entries(catalog(locale)):
        source_problems, source_tags = html_problems(forms(message.id)[0])
        if source_problems:
            problems.append(f"{describe(message)} (the English itself): {source_problems}")
        for text in forms(message.string):
            found, tags = html_problems(text)
            if found:
                problems.append(f"{describe(message)}: {found} in {text!r}")
            elif Counter(tags) != Counter(source_tags):
                problems.append(
                    f"{describe(message)}: tags {sorted(tags)}, the English {sorted(source_tags)}"
                )
    assert not problems, f"{locale}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_commands_stay_untranslated(locale: str) -> None:
    problems = []
    for message in entries(catalog(locale)):
        wanted = commands(forms(message.id)[0])
        for text in forms(message.string):
            if lost := wanted - commands(text):
                problems.append(f"{describe(message)}: lost {sorted(lost)} in {text!r}")
    assert not problems, f"{locale}: commands must be written exactly as in English:\n" + "\n".join(
        problems
    )
