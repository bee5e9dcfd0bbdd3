"""Triage quality on labelled messages written by people who never saw the rules.

The holdout (``tests/data/triage/holdout/``) was written by outside authors before any
tuning and is never tuned against; the targets of the triage issue hold on it over all
languages, and each language stays above the floor it has reached. The dev corpus is what the vocabulary and the model learn from: it must be
large, from several independent authors, each row with its source. The shipped model
must be the one this corpus and vocabulary give.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from flows.language import LOCALES
from flows.triage.classify import default_classifier, default_lexicon, triage
from flows.triage.lexicon import CATEGORIES
from flows.triage.quality import LabelledSet, Scores, read_split, score

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "triage"
HOLDOUT = read_split(DATA / "holdout")
DEV = read_split(DATA / "dev")
PROJECT = "project authors"

CAUGHT, URGENT_ALONE, ALERTED, ASKED = 0.97, 0.90, 0.05, 0.10


def _scores(labelled: LabelledSet) -> Scores:
    return score(labelled, lambda text, locale: triage(text, locale=locale))


def _figures(split: str, scores: Scores) -> str:
    """Numbers only: holdout messages are never shown, so no one tunes on them by accident."""
    return (f"{split} {scores.language}: caught {scores.recall:.3f}, urgent "
            f"{scores.urgent_recall:.3f} ({scores.urgent} urgent), category "
            f"{scores.category_accuracy:.3f}, alerted {scores.false_alarm_rate:.3f}, asked "
            f"{scores.asked_rate:.3f} ({scores.calm} calm)")


def test_the_corpus_is_large_independent_and_sourced() -> None:
    assert set(HOLDOUT) == set(LOCALES) == set(DEV)
    for locale in LOCALES:
        holdout, dev = HOLDOUT[locale], DEV[locale]
        outside = [m for m in dev.messages if not m.source.startswith(PROJECT)]
        assert sum(m.category is not None for m in outside) >= 150, locale
        assert sum(m.category is None for m in outside) >= 100, locale
        assert len({m.source for m in outside}) >= 3, locale
        assert len({m.source for m in holdout.messages}) >= 3, locale
        assert all(m.source for m in (*holdout.messages, *dev.messages)), locale
        assert not any(m.source.startswith(PROJECT) for m in holdout.messages), locale
        assert {m.category for m in holdout.urgent} == set(CATEGORIES), locale
        assert len(holdout.urgent) >= 100 and len(holdout.calm) >= 70, locale
        assert not {m.text for m in holdout.messages} & {m.text for m in dev.messages}, locale


def test_holdout_meets_the_targets_over_all_languages() -> None:
    urgent = calm = missed = asked = alerted = asked_calm = 0
    reports = []
    for locale in LOCALES:
        scores = _scores(HOLDOUT[locale])
        reports.append(_figures("holdout", scores))
        urgent += scores.urgent
        calm += scores.calm
        missed += len(scores.missed)
        asked += len(scores.asked)
        alerted += len(scores.false_alarms)
        asked_calm += len(scores.asked_calm)
    print("\n".join(reports))
    assert (urgent - missed) / urgent >= CAUGHT
    assert (urgent - missed - asked) / urgent >= URGENT_ALONE
    assert alerted / calm <= ALERTED
    assert asked_calm / calm <= ASKED


# The targets hold in every language on the holdout (2026-12-03, night: caught
# 0.974 at the lowest (fa_AF), urgent alone 0.910 (ti), alerted 0.040, asked 0.070), so
# they are the floor: no change may fall below them. bench/triage.py names each shortfall.
LANGUAGE_FLOOR = {"caught": CAUGHT, "urgent": URGENT_ALONE, "alerted": ALERTED, "asked": ASKED}


@pytest.mark.parametrize("locale", LOCALES)
def test_holdout_stays_above_the_floor_in_every_language(locale: str) -> None:
    scores = _scores(HOLDOUT[locale])
    print(_figures("holdout", scores))
    assert scores.recall >= LANGUAGE_FLOOR["caught"], _figures("holdout", scores)
    assert scores.urgent_recall >= LANGUAGE_FLOOR["urgent"], _figures("holdout", scores)
    assert scores.false_alarm_rate <= LANGUAGE_FLOOR["alerted"], _figures("holdout", scores)
    assert scores.asked_rate <= LANGUAGE_FLOOR["asked"], _figures("holdout", scores)
    assert scores.category_accuracy >= 0.85, _figures("holdout", scores)


@pytest.mark.parametrize("locale", LOCALES)
def test_calming_signals_never_silence_what_the_vocabulary_caught(locale: str) -> None:
    """A joke, a past or a school project beside an alarm leads to a question at most."""
    lexicon = default_lexicon()
    silenced: dict[str, list[str]] = {"dev": [], "holdout": []}
    for split, messages in (("dev", DEV[locale].urgent), ("holdout", HOLDOUT[locale].urgent)):
        for message in messages:
            rules = triage(message.text, locale=locale, lexicon=lexicon, classifier=None)
            level = triage(message.text, locale=locale).level
            if rules.rule_level == "urgent":
                assert level == "urgent", (split, message.text if split == "dev" else "")
            if rules.rule_level == "soft" and level == "calm":
                silenced[split].append(message.text)
    # The model may judge a softened alarm calm; on urgent messages that must stay rare.
    # (Holdout messages are counted, never shown.)
    assert len(silenced["dev"]) + len(silenced["holdout"]) <= 1, (
        silenced["dev"], len(silenced["holdout"]))


def test_the_shipped_model_is_the_one_this_corpus_gives() -> None:
    spec = importlib.util.spec_from_file_location("train_triage",
                                                  ROOT / "scripts" / "train_triage.py")
    assert spec is not None and spec.loader is not None
    trainer = importlib.util.module_from_spec(spec)
    sys.modules["train_triage"] = trainer
    spec.loader.exec_module(trainer)
    assert default_classifier().trained_on == trainer.corpus_digest(), (
        "the dev corpus, the vocabulary or the catalogue titles changed since the model "
        "was trained: run `make triage-model` and commit catalogue/triage/model.json.gz"
    )
