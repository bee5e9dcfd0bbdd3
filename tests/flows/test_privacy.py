"""What identifies a person is removed before an unanswered question is kept."""

from __future__ import annotations

import pytest

from flows.privacy import ADDRESS_MARK, EMAIL_MARK, NAME_MARK, NUMBER_MARK, scrub


@pytest.mark.parametrize(
    "text",
    [
        "mitt personnummer är 850709-1234 och jag behöver hjälp",
        "personnummer 198507091234",
        "pnr 19850709-1234",
        "samordningsnummer 850769+1234",
        "henkilötunnus 131052-308T, tarvitsen apua",
        "hetu 010101A123N",
        "ring mig på 070-123 45 67",
        "my number is +46 70 123 45 67",
        "tel (08) 465 004 00",
        "رقمي ٠٧٠١٢٣٤٥٦٧ أرجو الاتصال",
        "شماره من ۰۷۰۱۲۳۴۵۶۷ است",
        "write to amal.h+kommun@example.se please",
    ],
)
def test_numbers_and_addresses_are_removed(text: str) -> None:
    cleaned = scrub(text)
    digits = sum(ch.isdigit() for ch in cleaned)
    assert digits <= 2, cleaned
    assert "@" not in cleaned
    assert NUMBER_MARK in cleaned or EMAIL_MARK in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "jag har 3 barn och hyran är 8500 kr",
        "I need help before 16:00 on 12 May",
        "We are 5 people in 2 rooms since 2019",
    ],
)
def test_ordinary_numbers_stay(text: str) -> None:
    assert scrub(text) == text


def test_the_words_around_stay_in_place() -> None:
    assert scrub("hej 070-1234567 tack") == f"hej {NUMBER_MARK} tack"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Hej jag heter Amal Hassan och behöver hjälp", "Hej jag heter [name] och behöver hjälp"),
        ("my name is john, i need help with rent", "my name is [name], i need help with rent"),
        ("اسمي فاطمة وأحتاج مساعدة", "اسمي [name] وأحتاج مساعدة"),
        ("мене звати Олена Коваль, допоможіть", "мене звати [name], допоможіть"),
        ("nimeni on Aino ja tarvitsen apua", "nimeni on [name] ja tarvitsen apua"),
    ],
)
def test_a_name_the_resident_gives_is_removed(text: str, kept: str) -> None:
    assert scrub(text) == kept.replace("[name]", NAME_MARK)


@pytest.mark.parametrize(
    "text", ["Jag bor på Storgatan 12B i Näraby", "asun Mannerheimintie 5 A", "Björkvägen 3"]
)
def test_a_street_address_is_removed(text: str) -> None:
    cleaned = scrub(text)
    assert ADDRESS_MARK in cleaned and not any(ch.isdigit() for ch in cleaned), cleaned


def test_marks_are_never_reported_as_topics() -> None:
    from flows.reports import Question, gap_topics

    # Nothing but what scrubbing left: no telling word at all.
    texts = ["Storgatan 12", "Björkvägen 3B", "070-123 45 67", "a.b@example.se"]
    questions = [Question(scrub(text), "sv") for text in texts]
    assert [topic.word for topic in gap_topics(questions)] == [""]
