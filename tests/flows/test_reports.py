"""Grouping unanswered questions into the topics the catalogue lacks."""

from __future__ import annotations

from flows.reports import Question, gap_topics


def test_questions_sharing_a_word_form_one_topic_across_languages_and_inflections() -> None:
    questions = [
        Question("var kan jag parkera bilen?", "sv"),
        Question("parkering vid stadshuset", "sv"),
        Question("parkeringen är full, vad gör jag", "sv"),
        Question("when is the library open?", "en"),
        Question("I lost my library card", "en"),
        Question("hur bokar jag tvättstugan", "sv"),
    ]
    topics = gap_topics(questions)
    assert [len(t.questions) for t in topics] == [3, 2, 1]
    assert topics[0].word.startswith("parker")
    assert topics[1].word == "library" and topics[1].languages == {"en": 2}


def test_numbers_marks_and_small_words_are_no_topic() -> None:
    topics = gap_topics([Question("[number] ok ja", "sv"), Question("[e-mail] hej", "sv")])
    assert [t.word for t in topics] == [""]


def test_the_limit_keeps_the_most_common() -> None:
    questions = [
        Question(f"{chr(97 + i // 26)}{chr(97 + i % 26)}xyz{'q' * i}", "sv") for i in range(30)
    ]
    assert len(gap_topics(questions, limit=5)) == 5
