"""Triage's statistical safety net: a small linear model over character n-grams.

The vocabulary (:mod:`flows.triage.lexicon`) is explainable and exact, but it only
knows the phrasings someone wrote down. This model has read the whole labelled corpus
(``tests/data/triage/dev/``) and scores how much a message *looks like* the urgent ones
in any of the eight languages, misspellings and dialects included, because it compares
pieces of words (two to five letters) rather than whole phrases. Either the vocabulary
or the model can raise an alarm (see :func:`flows.triage.classify.triage`).

The model is multinomial logistic regression: one weight per feature and class
("calm" and the six categories), trained by ``scripts/train_triage.py`` with
scikit-learn and shipped as a small JSON file, so the bot itself needs neither
scikit-learn nor NumPy. Scoring is plain Python: the same features, a sum of weights,
a softmax. The file records the corpus it was trained on (a SHA-256 of the labelled
files), so a test fails when the corpus changed and the model was not retrained.

A long message is scored in overlapping windows of words and the most alarming window
counts: one sentence about ending a life must not be drowned by a long story around it.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from flows.triage.text import Word, read_words

# Every number reads as "0": a phone number, an age and a date would otherwise share
# letter pieces (" 1", "12") with the ages and counts in urgent messages.
_NUMBER: Final = re.compile(r"\d+")

__all__ = [
    "CALM",
    "FEATURE_VERSION",
    "Classifier",
    "ModelError",
    "Risk",
    "features",
    "load_classifier",
]

CALM: Final = "calm"
# Bump when :func:`features` changes: a model trained on other features is refused.
FEATURE_VERSION: Final = 2
SMALLEST_GRAM, LARGEST_GRAM = 2, 5
WINDOW_WORDS: Final = 30
# Fewer words than this give the model too little to go on ("hej", "ok thanks"): it
# stays silent and the vocabulary alone decides.
FEWEST_WORDS: Final = 3
# Below this many words the model may ask, never judge urgent on its own: a few topic
# words ("children and loneliness") are not enough to be sure.
SURE_WORDS: Final = 6
# Above this many words in the whole message the model may ask, never judge urgent on its
# own: it learnt from phone-length messages (99% of the corpus's urgent ones have under 50
# words), and the most alarming of a long story's many windows is alarming by chance too
# often (a calm 350-word letter about rent read as violence). The vocabulary still judges
# a long message urgent wherever its alarm stands.
LONGEST_SURE_WORDS: Final = 100
WINDOW_STEP: Final = 15


class ModelError(ValueError):
    """The model file is missing, unreadable or made for other features."""


@lru_cache(maxsize=65536)
def _word_grams(word: str) -> tuple[str, ...]:
    """Return the features of one folded word: the word and its letter n-grams, in order.

    Words recur from message to message, and from window to window of a long one: each
    is cut into n-grams once.
    """
    padded = f" {word} "
    grams = ("c " + padded[start:start + size]
             for size in range(SMALLEST_GRAM, LARGEST_GRAM + 1)
             for start in range(len(padded) - size + 1))
    # Interned, as the model's own feature names are: looking one up then finds the very
    # same string, not an equal one to compare letter by letter (a third faster).
    return tuple(map(sys.intern, ("w " + word, *grams)))


def _word_features(folded: Sequence[str]) -> Iterator[str]:
    # The order is part of the model's arithmetic: a set built from it is summed in its
    # iteration order, so every word's features, then the pairs, as always.
    return itertools.chain(itertools.chain.from_iterable(map(_word_grams, folded)),
                           (f"b {first} {second}" for first, second in itertools.pairwise(folded)))


def _folded(text: str, words: Sequence[Word] | None = None) -> list[str]:
    return [_NUMBER.sub("0", w.folded) for w in (read_words(text) if words is None else words)]


def features(text: str) -> set[str]:
    """Return the features of ``text``: its folded words, word pairs and letter n-grams.

    Words are folded as triage folds them (lower case, no diacritics, one form per
    letter, Arabic clitics kept; every number one "0"), so "Självmord", "sjalvmord" and
    "självmord" share almost every feature.
    """
    return set(_word_features(_folded(text)))


def windows(text: str) -> list[list[str]]:
    """Return the folded words of ``text`` in overlapping windows (one for a short text)."""
    return _windows(_folded(text))


def _windows(folded: list[str]) -> list[list[str]]:
    if len(folded) <= WINDOW_WORDS:
        return [folded]
    return [folded[start:start + WINDOW_WORDS]
            for start in range(0, len(folded) - WINDOW_STEP, WINDOW_STEP)]


@dataclass(frozen=True)
class Risk:
    """How the model reads a message.

    Attributes:
        urgent: Probability that the message is urgent (1 - the "calm" class), in the
            most alarming window.
        category: The most likely urgent category in that window.
        words: How many words that window has.
        message_words: How many words the whole message has.
    """

    urgent: float
    category: str
    words: int = 0
    message_words: int = 0

    @property
    def can_be_sure(self) -> bool:
        """Whether the model may call the message urgent on its own (else only ask)."""
        return self.words >= SURE_WORDS and self.message_words <= LONGEST_SURE_WORDS


class Classifier:
    """A trained model: weights per feature and class, and the thresholds chosen with it."""

    def __init__(self, raw: Mapping[str, object], where: str = "model") -> None:
        """Build the model from its parsed file.

        Raises:
            ModelError: The file is not a model for these features.
        """
        if raw.get("feature_version") != FEATURE_VERSION:
            raise ModelError(f"{where}: made for features version "
                             f"{raw.get('feature_version')!r}, this Nära reads {FEATURE_VERSION}; "
                             "retrain it (make triage-model)")
        try:
            classes = tuple(str(c) for c in raw["classes"])  # type: ignore[attr-defined]
            weights = raw["weights"]
            bias = tuple(float(b) for b in raw["bias"])  # type: ignore[attr-defined]
            thresholds = raw["thresholds"]
            self.thresholds = {key: float(thresholds[key])  # type: ignore[index]
                               for key in ("ask", "urgent", "calm")}
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"{where}: not a triage model ({error})") from None
        if CALM not in classes or len(bias) != len(classes) or not isinstance(weights, Mapping):
            raise ModelError(f"{where}: not a triage model (classes, bias or weights)")
        self.classes = classes
        self.bias = bias
        self.weights: dict[str, tuple[float, ...]] = {
            sys.intern(str(k)): tuple(v) for k, v in weights.items()
        }
        self.trained_on = str(raw.get("trained_on", ""))
        self.figures: Mapping[str, object] = raw.get("figures", {})  # type: ignore[assignment]
        self._calm = classes.index(CALM)

    def probabilities(self, folded: Sequence[str]) -> dict[str, float]:
        """Return the probability of each class for a run of folded words."""
        known = [self.weights[f] for f in set(_word_features(folded)) if f in self.weights]
        scale = 1.0 / math.sqrt(len(known)) if known else 0.0
        scores = list(self.bias)
        if known:
            # Class by class: the same additions, in the same order, as row by row (the
            # scores stay bit for bit those the thresholds were chosen with), in two
            # thirds of the time.
            scores = []
            for bias, column in zip(self.bias, zip(*known, strict=True), strict=True):
                total = bias
                for weight in column:
                    total += weight * scale
                scores.append(total)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def risk(self, text: str, words: Sequence[Word] | None = None) -> Risk:
        """Return the urgency of the most alarming window of ``text`` and its category.

        Args:
            text: The message.
            words: ``read_words(text)`` when the caller has read it already (triage
                has, for the vocabulary): a long message is then read once, not twice.
        """
        best: Risk | None = None
        folded = _folded(text, words)
        parts = _windows(folded)
        total = len(folded)
        for window in parts:
            if len(window) < FEWEST_WORDS:
                return Risk(0.0, self.classes[1], len(window), total)
            probs = self.probabilities(window)
            urgent = 1.0 - probs[CALM]
            if best is None or urgent > best.urgent:
                category = max((c for c in self.classes if c != CALM), key=probs.__getitem__)
                best = Risk(urgent, category, len(window), total)
        assert best is not None
        return best


def load_classifier(path: Path) -> Classifier:
    """Read a model file (JSON, gzip-compressed when it ends in ``.gz``).

    Raises:
        ModelError: The file is missing, unreadable or not a model for these features.
    """
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        raw = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, EOFError) as error:
        raise ModelError(f"{path}: cannot be read: {error}") from None
    if not isinstance(raw, Mapping):
        raise ModelError(f"{path}: not a triage model")
    return Classifier(raw, str(path))
