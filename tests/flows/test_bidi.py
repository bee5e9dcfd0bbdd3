"""Numbers in Arabic and Dari texts read the way they are dialled (flows/bidi.py).

The visual order is checked with python-bidi (the Unicode bidi algorithm, as Telegram's
clients apply it to each line, direction taken from the line's first strong letter).
"""

from __future__ import annotations

import re

import phonenumbers
import pytest
from bidi import get_base_level, get_display

from flows.bidi import (
    LEFT_TO_RIGHT_ISOLATE,
    LEFT_TO_RIGHT_MARK,
    NO_BREAK_SPACE,
    POP_DIRECTIONAL_ISOLATE,
    RIGHT_TO_LEFT_MARK,
    WORD_JOINER,
    as_seen,
    for_right_to_left,
)
from flows.helplines import FINLAND, SWEDEN, load_helplines

ARABIC = "اتصل بالرقم {number} الآن، على مدار الساعة."
DARI = "همین حالا به شماره {number} زنگ بزنید، شبانه‌روزی."
HELPLINE_LINE = "{number} – {name}. {about}. {hours}."


def every_helpline() -> list[tuple[str, str, dict[str, str]]]:
    lines = []
    for path in (SWEDEN, FINLAND):
        for helpline in load_helplines(path).by_id.values():
            texts = {
                locale: HELPLINE_LINE.format(
                    number=helpline.number,
                    name=helpline.name,
                    about=helpline.text("about", locale),
                    hours=helpline.text("hours", locale),
                )
                for locale in ("ar", "fa_AF")
            }
            lines.append((helpline.id, helpline.number, texts))
    return lines


def shown(line: str) -> str:
    """The line as a screen shows it, left to right, without the invisible characters."""
    assert "\n" not in line
    return as_seen(get_display(line))


@pytest.mark.parametrize("sentence", [ARABIC, DARI], ids=["ar", "fa_AF"])
@pytest.mark.parametrize(
    "number", ["020-50 50 50", "08-465 004 99", "114 14", "116 111", "09 2525 0111", "+46 8 123 45"]
)
def test_a_phone_number_in_a_right_to_left_sentence_shows_its_groups_in_order(
    sentence: str, number: str
) -> None:
    text = sentence.format(number=number)
    # The bug: without isolation the groups come out in the wrong order.
    assert number not in shown(text)
    assert number in shown(for_right_to_left(text))


@pytest.mark.parametrize(("helpline", "number", "texts"), every_helpline())
def test_every_helpline_line_reads_right_to_left_with_its_number_in_order(
    helpline: str, number: str, texts: dict[str, str]
) -> None:
    for locale, text in texts.items():
        line = for_right_to_left(text)
        assert number in shown(line), (helpline, locale)
        # It begins with the number and a Swedish name, yet lays out right to left.
        assert get_base_level(line) == 1, (helpline, locale)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("المكتب مفتوح 08:00–16:00 من الاثنين", "08:00–16:00"),
        ("دفتر از ساعت 9:00 تا 9:45 باز است", "9:45"),
        ("الموعد يوم 12/05/2027 في الصباح", "12/05/2027"),
        ("المبلغ 1 200 kr في الشهر", "1 200 kr"),
        ("النسبة 12,5% فقط", "12,5%"),
        ("اتصل بـ٠٢٠-٥٠ ٥٠ ٥٠ الآن", "٠٢٠-٥٠ ٥٠ ٥٠"),
        ("به ۰۲۰-۵۰ ۵۰ ۵۰ زنگ بزنید", "۰۲۰-۵۰ ۵۰ ۵۰"),
    ],
)
def test_times_dates_amounts_and_arabic_digits_keep_their_order(text: str, kept: str) -> None:
    line = for_right_to_left(text)
    assert kept in shown(line)
    inside = re.findall(f"{LEFT_TO_RIGHT_ISOLATE}([^{POP_DIRECTIONAL_ISOLATE}]*)", line)
    assert any(as_seen(part) == kept for part in inside), line


def test_a_number_never_breaks_across_lines() -> None:
    line = for_right_to_left("اتصل بالرقم 020-50 50 50 أو من 08:00–16:00")
    isolated = re.findall(f"{LEFT_TO_RIGHT_ISOLATE}([^{POP_DIRECTIONAL_ISOLATE}]*)", line)
    assert isolated == [f"020-50{NO_BREAK_SPACE}50{NO_BREAK_SPACE}50", f"08:00–{WORD_JOINER}16:00"]
    assert all(" " not in part for part in isolated)


def test_a_year_and_a_time_stay_two_numbers() -> None:
    line = for_right_to_left("الثلاثاء، 12 مايو 2027 9:00 ص")
    assert f"{LEFT_TO_RIGHT_ISOLATE}2027{POP_DIRECTIONAL_ISOLATE} " in line
    assert f"{LEFT_TO_RIGHT_ISOLATE}9:00{POP_DIRECTIONAL_ISOLATE}" in line


def test_tap_to_call_still_finds_each_number_whole() -> None:
    # libphonenumber finds numbers in text as phones do; the isolates are outside the number.
    for number in ("020-50 50 50", "08-465 004 99", "09 2525 0111", "080 005 005"):
        line = for_right_to_left(ARABIC.format(number=number))
        (found,) = phonenumbers.PhoneNumberMatcher(
            line, "SE", leniency=phonenumbers.Leniency.POSSIBLE
        )
        assert as_seen(found.raw_string) == number
        assert line[found.start - 1] == LEFT_TO_RIGHT_ISOLATE
        assert line[found.end] == POP_DIRECTIONAL_ISOLATE


def test_html_tags_and_character_references_are_left_as_they_are() -> None:
    html = (
        '<b>Ekonomiskt bistånd</b> هو مال &amp; دعم &#1234; <a href="https://x.se/1?a=2">1177</a>'
    )
    line = for_right_to_left(html)
    assert line.startswith(RIGHT_TO_LEFT_MARK + "<b>Ekonomiskt bistånd</b>")
    assert "&amp;" in line and "&#1234;" in line
    assert '<a href="https://x.se/1?a=2">' in line
    assert f">{LEFT_TO_RIGHT_ISOLATE}1177{POP_DIRECTIONAL_ISOLATE}</a>" in line
    # Without markup the same characters are text.
    assert "&#" + LEFT_TO_RIGHT_ISOLATE in for_right_to_left("نص &#1234;", html=False)


def test_addresses_and_words_with_digits_are_not_cut() -> None:
    text = "زوروا www.1177.se أو https://mind.se/hitta-hjalp/2 أو info2@kommun.se أو page2"
    assert for_right_to_left(text) == text


def test_a_paragraph_that_starts_in_swedish_lays_out_right_to_left() -> None:
    text = "Ekonomiskt bistånd هو مال للإيجار.\nSocialjouren تجيب في الليل."
    lines = for_right_to_left(text).split("\n")
    assert [get_base_level(line) for line in lines] == [1, 1]
    assert [get_base_level(line) for line in text.split("\n")] == [0, 0]


def test_a_paragraph_wholly_in_swedish_keeps_its_own_direction() -> None:
    # A caseworker's own words, relayed: its full stop stays at the end.
    text = "Hej Amal, ring mig på 08-465 004 99 i dag."
    line = for_right_to_left(text)
    assert RIGHT_TO_LEFT_MARK not in line
    assert get_base_level(line) == 0
    assert shown(line) == text


def test_commands_are_isolated_and_no_two_marks_stand_together() -> None:
    for text in ("أرسل \u200e/help لمعرفة ما يمكنني فعله", "/forget – حذف ما حفظته", "/start"):
        line = for_right_to_left(text)
        command = re.search(r"/\w+", text)
        assert command is not None
        assert f"{LEFT_TO_RIGHT_ISOLATE}{command.group()}{POP_DIRECTIONAL_ISOLATE}" in line
        assert command.group() in shown(line)
        # Telegram turns all but the last of two marks in a row into a zero-width non-joiner.
        assert not re.search(f"[{LEFT_TO_RIGHT_MARK}{RIGHT_TO_LEFT_MARK}]{{2}}", line)
    assert get_base_level(for_right_to_left("/forget – حذف ما حفظته")) == 1


def test_a_text_without_numbers_or_commands_is_left_alone_and_twice_is_once() -> None:
    text = "نحن هنا لمساعدتك."
    assert for_right_to_left(text) == text
    assert for_right_to_left("") == ""
    for _, _, texts in every_helpline():
        for line in texts.values():
            once = for_right_to_left(line)
            assert for_right_to_left(once) == once
    once = for_right_to_left("أرسل /help أو اتصل بـ 08:00–16:00 و ٠٢٠-٥٠ ٥٠")
    assert for_right_to_left(once) == once
