"""Triage quality on labelled messages written by people who never saw the rules.

The holdout (``tests/data/triage/holdout/``) was written by outside authors before any
tuning and is never tuned against; the targets of the triage issue hold on it in every
language. The dev corpus is what the vocabulary and the model learn from: it must be
large, from several independent authors, each row with its source. The shipped model
must be the one this corpus and vocabulary give.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from flows.language import LOCALES
from flows.triage import default_classifier, default_lexicon, triage
from flows.triage_lexicon import CATEGORIES
from flows.triage_quality import LabelledSet, Scores, read_split, score

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "triage"
HOLDOUT = read_split(DATA / "holdout")
DEV = read_split(DATA / "dev")
PROJECT = "project authors"

CAUGHT, URGENT_ALONE, ALERTED, ASKED = 0.97, 0.90, 0.05, 0.10


def _scores(labelled: LabelledSet) -> Scores:
    return score(labelled, lambda text, locale: triage(text, locale=locale))


def _report(split: str, scores: Scores) -> str:
    lines = [
        f"{split} {scores.language}: caught {scores.recall:.3f}, urgent {scores.urgent_recall:.3f}"
        f" ({scores.urgent} urgent), category {scores.category_accuracy:.3f}, alerted "
        f"{scores.false_alarm_rate:.3f}, asked {scores.asked_rate:.3f} ({scores.calm} calm)"
    ]
    lines += [f"  missed [{m.category}] {m.text}" for m in scores.missed]
    lines += [f"  asked [{m.category}] {m.text} ({r.explanation})" for m, r in scores.asked]
    lines += [f"  false alarm {r.category}: {m.text} ({r.explanation})"
              for m, r in scores.false_alarms]
    lines += [f"  asked calm {r.category}: {m.text} ({r.explanation})"
              for m, r in scores.asked_calm]
    return "\n".join(lines)


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


@pytest.mark.parametrize("locale", LOCALES)
def test_holdout_meets_the_targets(locale: str) -> None:
    scores = _scores(HOLDOUT[locale])
    print(_report("holdout", scores))
    assert scores.recall >= CAUGHT, _report("holdout", scores)
    assert scores.urgent_recall >= URGENT_ALONE, _report("holdout", scores)
    assert scores.false_alarm_rate <= ALERTED, _report("holdout", scores)
    assert scores.asked_rate <= ASKED, _report("holdout", scores)
    assert scores.category_accuracy >= 0.8, _report("holdout", scores)


@pytest.mark.parametrize("locale", LOCALES)
def test_calming_signals_never_silence_what_the_vocabulary_caught(locale: str) -> None:
    """A joke, a past or a school project beside an alarm leads to a question at most."""
    lexicon = default_lexicon()
    silenced = []
    for message in (*DEV[locale].urgent, *HOLDOUT[locale].urgent):
        rules = triage(message.text, locale=locale, lexicon=lexicon, classifier=None)
        if rules.rule_level == "urgent":
            assert triage(message.text, locale=locale).level == "urgent", message.text
        if rules.rule_level == "soft" and triage(message.text, locale=locale).level == "calm":
            silenced.append(message.text)
    # The model may judge a softened alarm calm; on urgent messages that must stay rare.
    assert len(silenced) <= 1, silenced


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
