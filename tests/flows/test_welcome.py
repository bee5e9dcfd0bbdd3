"""The first-contact flows, as plain values."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from flows import welcome
from flows.ask import PERSON
from flows.hours import OfficeHours
from flows.language import (
    LOCALES,
    OWN_NAMES,
    is_ours,
    locale_for_telegram,
    telegram_language_code,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_greeting_says_automated_when_a_person_answers_and_112() -> None:
    reply = welcome.greeting(municipality="Näraby kommun", opens="08:00", closes="16:00")
    msgids = [text.msgid for text in reply.paragraphs]
    assert any("automated service" in m for m in msgids)
    assert any("not a person" in m for m in msgids)
    hours = next(t for t in reply.paragraphs if "{opens}" in t.msgid)
    assert dict(hours.params) == {"opens": "08:00", "closes": "16:00"}
    assert welcome.EMERGENCY in reply.paragraphs
    assert reply.paragraphs[0].params == {"municipality": "Näraby kommun"}


def test_language_buttons_show_each_language_in_its_own_name() -> None:
    reply = welcome.choose_language()
    buttons = [button for row in reply.buttons for button in row]
    assert [b.label.msgid for b in buttons] == [OWN_NAMES[code] for code in LOCALES]
    assert all(b.label.literal for b in buttons)
    assert all(len(b.data.encode()) <= 64 for b in buttons)
    assert [welcome.chosen_language(b.data) for b in buttons] == list(LOCALES)


@pytest.mark.parametrize(
    "data", ["lang:xx", "lang:", "lang:fa", "svc:financial-aid", "", "lang:sv;drop"]
)
def test_forged_language_data_is_refused(data: str) -> None:
    assert welcome.chosen_language(data) is None


@pytest.mark.parametrize(
    ("telegram", "ours"),
    [
        ("ar", "ar"),
        ("fa", "fa_AF"),
        ("prs", "fa_AF"),
        ("fa-AF", "fa_AF"),
        ("en-GB", "en"),
        ("uk", "uk"),
        ("ti", "ti"),
        ("so", "so"),
        ("fi", "fi"),
        ("de", "sv"),
        (None, "sv"),
        ("", "sv"),
    ],
)
def test_telegram_language_codes_map_to_our_locales(telegram: str | None, ours: str) -> None:
    assert locale_for_telegram(telegram) == ours


def test_dari_uses_the_persian_code_in_command_menus() -> None:
    assert telegram_language_code("fa_AF") == "fa"
    assert telegram_language_code("sv") == "sv"


def test_each_unreadable_kind_gets_its_own_first_sentence() -> None:
    firsts = {welcome.cannot_read(kind).paragraphs[0].msgid for kind in welcome.Unreadable}
    assert len(firsts) == len(welcome.Unreadable)


def test_command_menu_commands_follow_telegram_rules() -> None:
    import re

    assert all(re.fullmatch(r"[a-z0-9_]{1,32}", name) for name, _ in welcome.COMMANDS)


def test_office_hours_open_close_and_next_opening() -> None:
    hours = OfficeHours.parse("08:00-16:00")
    monday_morning = datetime(2026, 11, 23, 9, 0, tzinfo=STOCKHOLM)
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=STOCKHOLM)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=STOCKHOLM)
    early_tuesday = datetime(2026, 11, 24, 6, 30, tzinfo=STOCKHOLM)
    assert hours.is_open(monday_morning)
    assert not hours.is_open(friday_evening) and not hours.is_open(saturday)
    assert hours.next_opening(monday_morning) == monday_morning
    assert hours.next_opening(friday_evening) == datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)
    assert hours.next_opening(saturday) == datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)
    assert hours.next_opening(early_tuesday) == datetime(2026, 11, 24, 8, 0, tzinfo=STOCKHOLM)
    assert hours.closes == time(16, 0)


@pytest.mark.parametrize("span", ["8-16", "16:00-08:00", "25:00-26:00", "08:00-08:00", ""])
def test_bad_office_hours_are_refused(span: str) -> None:
    with pytest.raises(ValueError):
        OfficeHours.parse(span)


@pytest.mark.parametrize(
    ("telegram", "ours"),
    [
        ("sv", True),
        ("en-GB", True),
        ("fa", True),
        ("prs", True),
        ("fa-AF", True),
        ("de", False),
        ("fr", False),
        ("tr", False),
        ("pt-BR", False),
        (None, False),
        ("", False),
    ],
)
def test_telegram_languages_we_have_and_those_we_do_not(telegram: str | None, ours: bool) -> None:
    assert is_ours(telegram) is ours


def test_an_unknown_language_gets_short_greetings_and_every_language_to_choose() -> None:
    lines = welcome.short_greeting(municipality="Näraby kommun")
    assert lines[0].params == {"municipality": "Näraby kommun"}
    assert welcome.EMERGENCY in lines
    assert welcome.GREETING_LANGUAGES == ("en", "sv")
    reply = welcome.greeting_to_choose_language(["Hello! <b>", "Hej!"])
    assert [(t.msgid, t.literal) for t in reply.paragraphs] == [
        ("Hello! <b>", True),
        ("Hej!", True),
    ]
    assert reply.buttons == welcome.choose_language().buttons


@pytest.mark.parametrize("text", ["😢😢🙏", "🙏", "?!", "...", "❤️ ❤️", "👍🏽", "\u200d😔"])
def test_emoji_signs_and_punctuation_alone_are_wordless(text: str) -> None:
    assert welcome.wordless(text)


@pytest.mark.parametrize("text", ["", "   ", "ok", "😢 help", "112", "ሰላም", "مرحبا 🙏", "٣"])
def test_a_letter_or_a_digit_is_words_and_nothing_is_not_wordless(text: str) -> None:
    assert not welcome.wordless(text)


def test_wordless_messages_get_asked_what_is_on_their_mind_and_a_person() -> None:
    reply = welcome.without_words()
    assert "What is on your mind?" in reply.paragraphs[0].msgid
    assert welcome.EMERGENCY in reply.paragraphs
    assert [[b.data for b in row] for row in reply.buttons] == [[PERSON]]
