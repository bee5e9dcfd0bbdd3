"""Search quality on labelled resident questions, per language.

``tests/data/search/holdout`` was written before the catalogue's resident words and is
never tuned against; ``dev`` is what tuning may look at (see its README). Run with
``-s`` to see the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from flows.catalogue import Catalogue, load_catalogue
from flows.language import LOCALES
from flows.search import search

DATA = Path(__file__).resolve().parent.parent / "data" / "search"
OFF_TOPIC = "off-topic"
MIN_TOP3 = 0.9
MIN_QUESTIONS = 20


@dataclass(frozen=True)
class Figures:
    questions: int
    top1: float
    top3: float
    answered: float
    off_topic: int
    off_topic_refused: int


def questions(split: str, locale: str) -> list[tuple[str, str]]:
    rows = yaml.safe_load((DATA / split / f"{locale}.yaml").read_text(encoding="utf-8"))
    return [(str(expected), str(text)) for expected, text in rows]


def measure(catalogue: Catalogue, split: str, locale: str) -> Figures:
    top1 = top3 = answered = count = off = refused = 0
    for expected, text in questions(split, locale):
        result = search(catalogue, text)
        ids = [hit.service_id for hit in result.hits]
        if expected == OFF_TOPIC:
            off += 1
            refused += not result.answered
            continue
        count += 1
        top1 += ids[:1] == [expected]
        top3 += expected in ids
        answered += result.answered
    return Figures(count, top1 / count, top3 / count, answered / count, off, refused)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_labels_are_known_services(catalogue: Catalogue) -> None:
    for split in ("holdout", "dev"):
        for locale in LOCALES:
            for expected, _ in questions(split, locale):
                assert expected == OFF_TOPIC or expected in catalogue.ids, (split, expected)


def test_enough_questions_per_language() -> None:
    for locale in LOCALES:
        holdout = [q for q in questions("holdout", locale) if q[0] != OFF_TOPIC]
        dev = [q for q in questions("dev", locale) if q[0] != OFF_TOPIC]
        assert len(holdout) >= MIN_QUESTIONS, locale
        assert len(holdout) + len(dev) >= 25, locale


def test_questions_are_not_copied_from_the_catalogue(catalogue: Catalogue) -> None:
    titles = {title.casefold() for service in catalogue for title in service.title.values()}
    for split in ("holdout", "dev"):
        for locale in LOCALES:
            for _, text in questions(split, locale):
                assert text.casefold() not in titles
                for service in catalogue:
                    assert text.casefold() not in service.description[locale].casefold()


@pytest.mark.parametrize("locale", LOCALES)
def test_holdout_top3_accuracy(catalogue: Catalogue, locale: str) -> None:
    holdout = measure(catalogue, "holdout", locale)
    dev = measure(catalogue, "dev", locale)
    print(
        f"\n{locale:5} holdout top1 {holdout.top1:.2f} top3 {holdout.top3:.2f} "
        f"answered {holdout.answered:.2f} (n={holdout.questions}) | "
        f"dev top1 {dev.top1:.2f} top3 {dev.top3:.2f} (n={dev.questions})"
    )
    assert holdout.top3 >= MIN_TOP3
    assert dev.top3 >= MIN_TOP3


def test_off_topic_questions_are_mostly_refused(catalogue: Catalogue) -> None:
    off = refused = 0
    for split in ("holdout", "dev"):
        for locale in LOCALES:
            figures = measure(catalogue, split, locale)
            off += figures.off_topic
            refused += figures.off_topic_refused
    print(f"\noff-topic refused: {refused}/{off}")
    assert refused / off >= 0.9


def test_on_topic_questions_are_mostly_answered(catalogue: Catalogue) -> None:
    for locale in LOCALES:
        assert measure(catalogue, "holdout", locale).answered >= 0.9, locale
