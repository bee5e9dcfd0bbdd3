"""Small talk: only a message made entirely of greetings or thanks is answered as such."""

from __future__ import annotations

import pytest

from flows import ask
from flows.smalltalk import HELLO, THANKS, SmallTalk, reply, small_talk


@pytest.mark.parametrize(
    "text",
    [
        "hej",
        "Hejsan!!",
        "HEJJJ",
        "hi there",
        "Good morning :)",
        "سلام",
        "السلام عليكم",
        "مرحبا 🌹",
        "salaam alaikum",
        "Iska warran",
        "ሰላም",
        "Привіт!",
        "добрий день",
        "moi",
        "hyvää päivää",
        "hej tack",
        "salam, tashakor",
        "ok hi again",
    ],
)
def test_a_greeting_alone_in_any_language_is_hello(text: str) -> None:
    assert small_talk(text) is SmallTalk.HELLO


@pytest.mark.parametrize(
    "text",
    [
        "tack",
        "Tack så mycket!",
        "thank you so much 🙏",
        "ok thanks",
        "شكراً",
        "تشکر زیاد",
        "Mahadsanid",
        "የቐንየለይ",
        "дуже дякую",
        "Kiitos!",
    ],
)
def test_thanks_alone_in_any_language_is_thanks(text: str) -> None:
    assert small_talk(text) is SmallTalk.THANKS


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ok",
        "🙏",
        "hej, min man slår mig",
        "hello I need help with rent",
        "سلام من کمک میخواهم",
        "tack för inget",
        "hej hej hej hej hej hej hej hej hej",  # nine words: a question, not small talk
        "hejdå",
        "thanks but I have no food for my kids",
    ],
)
def test_anything_more_than_greetings_and_thanks_is_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


def test_the_phrases_are_written_as_messages_are_read() -> None:
    for phrase in HELLO | THANKS:
        assert phrase == phrase.casefold().strip() and "  " not in phrase, phrase
        assert small_talk(phrase) is not None, phrase


def test_hello_back_says_it_is_automated_and_thanks_gets_welcome_both_with_ways_on() -> None:
    hello = reply(SmallTalk.HELLO, municipality="Karlskoga")
    assert "automated service" in hello.paragraphs[0].msgid
    assert dict(hello.paragraphs[0].params) == {"municipality": "Karlskoga"}
    thanks = reply(SmallTalk.THANKS, municipality="Karlskoga")
    assert "You are welcome" in thanks.paragraphs[0].msgid
    for answer in (hello, thanks):
        assert [row[0].data for row in answer.buttons] == [ask.TOPICS, ask.PERSON]
