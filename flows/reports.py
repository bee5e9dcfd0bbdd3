"""The municipality's measures of reach: what residents ask that the catalogue lacks."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.language import LOCALES, STOP_WORDS, match_key, words
from flows.privacy import ADDRESS_MARK, EMAIL_MARK, NAME_MARK, NUMBER_MARK

_ALL_STOP_WORDS = frozenset().union(*STOP_WORDS.values())
# What scrubbing leaves in place of a name, a number or an address is not a topic.
_MARKS = frozenset(
    word for mark in (NUMBER_MARK, EMAIL_MARK, NAME_MARK, ADDRESS_MARK) for word in words(mark)
)
# Stems still differ across derivations (parkera/parkering); their first letters rarely do.
_KEY_LETTERS = 6


@dataclass(frozen=True)
class Question:
    """One kept question: scrubbed text and its language."""

    text: str
    language: str


@dataclass
class Topic:
    """Questions that share their most telling word."""

    word: str
    questions: list[Question] = field(default_factory=list)

    @property
    def languages(self) -> Counter[str]:
        """How many of the questions came in each language."""
        return Counter(question.language for question in self.questions)


def _keys(question: Question) -> dict[str, str]:
    """Return the question's telling words: matching key -> the word as written."""
    locale = question.language if question.language in LOCALES else "sv"
    found: dict[str, str] = {}
    for word in words(question.text):
        if len(word) < 3 or word in _ALL_STOP_WORDS or word in _MARKS or word.isdigit():
            continue
        found.setdefault(match_key(word, locale)[:_KEY_LETTERS], word)
    return found


def gap_topics(questions: Sequence[Question], *, limit: int = 20) -> list[Topic]:
    """Group unanswered questions by the word most of them share, most common first.

    Explainable on purpose: each question joins the topic of its most frequent telling
    word (across all kept questions), so "parkering" gathers every parking question,
    whatever else they say. Questions with no telling word gather under "".
    """
    keyed = [(question, _keys(question)) for question in questions]
    frequency: Counter[str] = Counter(key for _, keys in keyed for key in keys)
    topics: dict[str, Topic] = {}
    shown: dict[str, Counter[str]] = defaultdict(Counter)
    for question, keys in keyed:
        best = max(keys, key=lambda key: (frequency[key], key), default="")
        topics.setdefault(best, Topic(best)).questions.append(question)
        if best:
            shown[best][keys[best]] += 1
    for key, topic in topics.items():
        if key:
            topic.word = shown[key].most_common(1)[0][0]
    ranked = sorted(topics.values(), key=lambda topic: (-len(topic.questions), topic.word))
    return ranked[:limit]


@dataclass(frozen=True)
class Feedback:
    """One piece of feedback on triage, as kept: no resident, no case, a scrubbed text."""

    at: str
    kind: str
    source: str
    answer: str | None
    language: str
    level: str
    category: str | None
    text: str | None


@dataclass
class TriageReport:
    """Feedback on triage grouped for people who tune it.

    Attributes:
        missed: Said calm (or only asked), but it was urgent: staff marked it, the
            resident wrote something urgent right after a calm reply, or answered the
            question "are you safe?" with "I am in danger now".
        false_alarms: Said urgent, and staff marked it not urgent.
        answers: How the question "are you safe?" was answered, counted.
        asked: Every answer to the question, for reading.
    """

    missed: list[Feedback]
    false_alarms: list[Feedback]
    answers: dict[str, int]
    asked: list[Feedback]


def triage_report(feedback: Sequence[Feedback]) -> TriageReport:
    """Group feedback into misses, false alarms and answers to the question."""
    missed = [f for f in feedback if f.kind == "missed"]
    # "I am in danger now" after the question: caught, but it should have been urgent.
    missed += [f for f in feedback if f.kind == "asked" and f.answer == "danger"]
    missed.sort(key=lambda f: f.at)
    answers = {answer: 0 for answer in ("danger", "later", "ok", "none")}
    asked = [f for f in feedback if f.kind == "asked"]
    for item in asked:
        answers[item.answer or "none"] = answers.get(item.answer or "none", 0) + 1
    return TriageReport(
        missed=missed,
        false_alarms=[f for f in feedback if f.kind == "false-alarm"],
        answers=answers,
        asked=asked,
    )
