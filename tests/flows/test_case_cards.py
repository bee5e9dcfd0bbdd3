"""Staff cards as plain values: quoting long messages, the buttons left, who the resident hears of."""

from __future__ import annotations

import html

from flows import urgent
from flows.urgent import CUT, CaseView, fit_quotes, quote_for_staff, sentences

CALM = "We moved here in 2019 and the children started school in the autumn."
ALARM = "Tonight I want to end my life."


def alarm_words(sentence: str) -> bool:
    return "end my life" in sentence


def test_a_short_message_is_quoted_whole() -> None:
    text = f"{CALM} {ALARM}"
    assert quote_for_staff(text, alarm_words) == text


def test_a_long_story_is_quoted_alarm_first_then_the_start_with_the_cuts_marked() -> None:
    story = " ".join([CALM] * 50 + [ALARM])
    read: list[str] = []

    def judge(sentence: str) -> bool:
        read.append(sentence)
        return alarm_words(sentence)

    quote = quote_for_staff(story, judge, hints=["end my life"])
    first, start = quote.split("\n")
    assert first == CUT + ALARM  # text before it was left out; nothing after it
    assert start.startswith(CALM) and start.endswith(CUT)
    assert len(quote) <= urgent.EXCERPT_LENGTH
    # Only the sentence with the matched words was triaged, not all fifty-one.
    assert read == [ALARM]


def test_without_hints_the_story_is_read_from_its_end_until_an_alarm() -> None:
    story = " ".join([CALM] * 30 + [ALARM] + [CALM] * 3)
    read: list[str] = []

    def judge(sentence: str) -> bool:
        read.append(sentence)
        return alarm_words(sentence)

    quote = quote_for_staff(story, judge)
    assert quote.split("\n")[0] == f"{CUT}{ALARM}{CUT}"
    assert read == [CALM, CALM, CALM, ALARM]


def test_a_calm_long_message_is_quoted_from_its_start() -> None:
    story = " ".join([CALM] * 30)
    quote = quote_for_staff(story, lambda _sentence: False)
    assert "\n" not in quote and quote.endswith(CUT) and story.startswith(quote[:-1])
    assert len(quote) <= urgent.EXCERPT_LENGTH


def test_a_sentence_without_an_end_comes_in_pieces_and_the_alarm_is_cut_short() -> None:
    run_on = " ".join(["och sen"] * 200) + " jag vill dö ikväll " + " ".join(["och sen"] * 100)
    pieces = sentences(run_on)
    assert all(len(piece) <= urgent.ALARM_QUOTE_LENGTH for piece in pieces)
    assert " ".join(pieces) == run_on
    quote = quote_for_staff(run_on, lambda sentence: "dö ikväll" in sentence)
    alarm = quote.split("\n")[0]
    assert "jag vill dö ikväll" in alarm and alarm.startswith(CUT) and alarm.endswith(CUT)
    assert len(alarm) <= urgent.ALARM_QUOTE_LENGTH + 2 * len(CUT)


def test_sentences_end_at_the_marks_of_every_script() -> None:
    text = "مرحبا؟ أنا خائفة. ሰላም። ብጣዕሚ ፈሪሐ ኣለኹ። Hej!\nJag är rädd"
    assert sentences(text) == [
        "مرحبا؟",
        "أنا خائفة.",
        "ሰላም።",
        "ብጣዕሚ ፈሪሐ ኣለኹ።",
        "Hej!",
        "Jag är rädd",
    ]


def test_a_card_keeps_the_newest_messages_and_marks_what_it_leaves_out() -> None:
    texts = ["a" * 900, "b" * 900, "c" * 900, "d" * 900]
    fitted = fit_quotes(texts, budget=2400)
    assert fitted[0] == CUT  # the oldest, left out
    assert fitted[1].startswith("b") and fitted[1].endswith(CUT) and len(fitted[1]) < 900
    assert fitted[2:] == ("c" * 900, "d" * 900)
    assert sum(len(text) for text in fitted) <= 2400 + len(CUT)
    assert fit_quotes(["hej", "då"]) == ("hej", "då")


def test_a_card_measures_quotes_as_they_are_sent() -> None:
    def escaped(text: str) -> int:
        return len(html.escape(text, quote=False))

    fitted = fit_quotes(["<" * 1000], budget=2400, measure=escaped)
    assert escaped(fitted[0]) <= 2400 and fitted[0].endswith(CUT)


def test_the_buttons_left_after_a_claim_and_a_close() -> None:
    def data(rows: tuple[tuple[urgent.Button, ...], ...]) -> list[str]:
        return [button.data for row in rows for button in row]

    claimed = urgent.buttons_left(7, urgent=True, closed=False, marked=False)
    assert data(claimed) == ["case:close:7", "case:calm:7"]
    assert data(urgent.buttons_left(7, urgent=False, closed=True, marked=False)) == [
        "case:urgent:7"
    ]
    assert data(urgent.buttons_left(7, urgent=True, closed=True, marked=True)) == []


def test_a_settled_card_has_no_claim_prompt_and_a_reminder_stays_short() -> None:
    view = CaseView(7, "urgent", "self-harm", "sv", "torsdag 3 december 13:57", ("hjälp",))
    status = urgent.claimed_status("Sara", "14:02")
    card = urgent.settled_card(view, urgent.card_head(view), status, ())
    ids = [text.msgid for text in card.paragraphs]
    assert ids[0] == "🔴 URGENT: {category}" and ids[-1] == status.msgid
    assert "Press Claim" not in " ".join(ids) and "“hjälp”" in ids
    reminder = urgent.settled_card(view, None, status, ())
    assert [text.msgid for text in reminder.paragraphs][1:] == [status.msgid]


def test_the_resident_hears_the_owners_name_or_none() -> None:
    named = urgent.case_closed_for_resident("Sara")
    assert named.paragraphs[0].params == {"name": "Sara"}
    nameless = urgent.case_closed_for_resident(None)
    assert nameless.paragraphs[0].params == {} and "112" in nameless.paragraphs[1].msgid


def test_close_anyway_is_a_case_button_and_forgeries_are_not() -> None:
    question = urgent.close_anyway(7, "Sara")
    (button,) = question.buttons[0]
    assert urgent.read_case_button(button.data) == urgent.CaseAction("end", 7)
    assert urgent.read_case_button("case:end:7:8") is None
    assert urgent.read_case_button("case:delete:7") is None
